//! Per-sample index of a file: what on-the-fly HLS/DASH packaging needs.
//!
//! Packaging a segment means knowing, for every sample of every track, where
//! its bytes are in the source file and when it is decoded and presented.
//! [`build_index`] derives that once from the container's own tables — MP4
//! sample tables (`stbl`) or fragments (`moof`), or a walk over Matroska block
//! headers — without reading any media payload.  The result is small enough to
//! keep in memory and to persist next to the library ([`SampleIndex::serialize`])
//! so that a file is indexed once, not per request.
//!
//! Timestamps are normalised so that `dts + cts_offset` is the *presentation*
//! time, with the container's presentation offset already applied: the first
//! edit of an MP4 edit list (B-frame delay, AAC priming), or Matroska's PTS
//! (from which decode times are derived).  A track's `dts` may therefore start
//! below zero; the fMP4 writer shifts it into range.

use std::io::{Read, Seek};
use std::path::Path;

use crate::source::Source;
use crate::{mkv, mp4, Container, ProbeError, ProbeOptions, TrackKind};

/// One sample (frame) of a track.  32 bytes: a 2-hour 60 fps film with audio
/// (~770k samples) costs about 25 MB in memory and 6–9 bytes per sample when
/// serialised (varint deltas).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sample {
    /// Byte offset of the sample data in the source file.
    pub offset: u64,
    /// Decode time in the track's timescale (may be negative, see module docs).
    pub dts: i64,
    /// Size in bytes.
    pub size: u32,
    /// Duration in the track's timescale.
    pub duration: u32,
    /// Presentation time minus decode time; never negative in an index built
    /// by [`build_index`] (negative `ctts` offsets move the decode times down
    /// instead).
    pub cts_offset: i32,
    /// A sync sample: decoding can start here.
    pub keyframe: bool,
}

impl Sample {
    /// Presentation time in the track's timescale.
    pub fn pts(&self) -> i64 {
        self.dts.saturating_add(i64::from(self.cts_offset))
    }
}

/// What the init segment needs to describe a track's codec.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CodecConfig {
    /// Sample entry type to write (`avc1`, `hvc1`, `av01`, `vp09`, `mp4a`,
    /// `Opus`, `fLaC`, `ac-3`, `ec-3`); all zero when the track cannot be
    /// packaged (see [`TrackIndex::unsupported`]).
    pub sample_entry: [u8; 4],
    /// Type of the decoder configuration box (`avcC`, `hvcC`, `av1C`, `vpcC`,
    /// `esds`, `dOps`, `dfLa`, `dac3`, `dec3`).
    pub config_box: [u8; 4],
    /// Payload of that box (for full boxes, including version and flags).
    pub config: Vec<u8>,
    pub width: u32,
    pub height: u32,
    pub channels: u32,
    pub sample_rate: u32,
}

/// The samples of one track plus what is needed to describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackIndex {
    /// `track_ID` (MP4) or `TrackNumber` (Matroska).
    pub track_id: u32,
    pub kind: TrackKind,
    /// Short codec name (h264, aac, ...), as in [`crate::TrackInfo::codec`].
    pub codec: String,
    /// RFC 6381 codec string, for manifests.
    pub codec_string: Option<String>,
    pub language: Option<String>,
    pub name: Option<String>,
    pub default: bool,
    /// Ticks per second of every time in `samples`.
    pub timescale: u32,
    pub codec_config: CodecConfig,
    /// Why this track cannot be packaged or converted (unsupported codec,
    /// compressed Matroska frames, image subtitles); `None` when it can.
    pub unsupported: Option<String>,
    /// Samples in decode order.
    pub samples: Vec<Sample>,
}

impl TrackIndex {
    /// Whether [`crate::cmaf`] can write this track (a video or audio track
    /// with samples and a codec it can describe).
    pub fn is_packageable(&self) -> bool {
        matches!(self.kind, TrackKind::Video | TrackKind::Audio) && self.is_usable()
    }

    /// A text subtitle track whose samples [`crate::subtitle::read_embedded`]
    /// converts to WebVTT (image subtitles are marked unsupported).
    pub fn is_text_subtitle(&self) -> bool {
        self.kind == TrackKind::Subtitle && self.is_usable()
    }

    /// A subtitle track of pictures (PGS, VobSub, DVB): never WebVTT, only drawn into video by a
    /// transcoder. It stays unsupported, but its samples are indexed for their times (when each
    /// picture shows), which a transcoder starting mid-title needs.
    pub fn is_image_subtitle(&self) -> bool {
        self.kind == TrackKind::Subtitle
            && matches!(
                self.codec.as_str(),
                "pgs" | "hdmv_pgs_subtitle" | "vobsub" | "dvd_subtitle" | "dvb_subtitle"
            )
    }

    fn is_usable(&self) -> bool {
        self.unsupported.is_none() && !self.samples.is_empty() && self.timescale > 0
    }

    /// Earliest presentation time (ticks).
    pub fn start(&self) -> i64 {
        self.samples.iter().map(Sample::pts).min().unwrap_or(0)
    }

    /// Latest presentation end (ticks).
    pub fn end(&self) -> i64 {
        self.samples
            .iter()
            .map(|s| s.pts().saturating_add(i64::from(s.duration)))
            .max()
            .unwrap_or(0)
    }

    /// Presented duration in ticks.
    pub fn duration(&self) -> u64 {
        u64::try_from(self.end().saturating_sub(self.start())).unwrap_or(0)
    }
}

/// The sample index of a whole file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleIndex {
    pub container: Container,
    /// Duration as probed (milliseconds).
    pub duration_ms: u64,
    pub tracks: Vec<TrackIndex>,
}

impl SampleIndex {
    /// The first packageable video track.
    pub fn video(&self) -> Option<&TrackIndex> {
        self.tracks
            .iter()
            .find(|t| t.kind == TrackKind::Video && t.is_packageable())
    }

    /// Packageable audio tracks, in file order.
    pub fn audio(&self) -> impl Iterator<Item = &TrackIndex> {
        self.tracks
            .iter()
            .filter(|t| t.kind == TrackKind::Audio && t.is_packageable())
    }

    /// The track that drives segmentation: the video track, else the first audio track.
    pub fn reference_track(&self) -> Option<&TrackIndex> {
        self.video().or_else(|| self.audio().next())
    }

    /// Track by id.
    pub fn track(&self, track_id: u32) -> Option<&TrackIndex> {
        self.tracks.iter().find(|t| t.track_id == track_id)
    }
}

/// Builds the sample index of an MP4/MOV or Matroska/WebM file.
///
/// Reads the container metadata and sample tables (or every Matroska block
/// header), never the media payload.
pub fn build_index<R: Read + Seek>(reader: R) -> Result<SampleIndex, ProbeError> {
    let mut src = Source::new(reader)?;
    let (info, movie) = crate::probe_source(&mut src, ProbeOptions::default())?;
    let tracks = match movie {
        Some(movie) => mp4::index::build(&mut src, &info, movie)?,
        None => mkv::index::build(&mut src, &info)?,
    };
    Ok(SampleIndex {
        container: info.container,
        duration_ms: info.duration_ms,
        tracks,
    })
}

/// Opens `path` (buffered) and [`build_index`]es it.
pub fn build_index_path(path: &Path) -> Result<SampleIndex, ProbeError> {
    let file = std::fs::File::open(path)?;
    build_index(std::io::BufReader::with_capacity(64 * 1024, file))
}

/// `n` default samples. A film's half a million samples are 16 MB of fresh
/// memory, and faulting that in 4 KiB pages costs about as much as filling it
/// in: where the kernel offers transparent huge pages on request, ask for them.
pub(crate) fn sample_vec(n: usize) -> Vec<Sample> {
    let mut samples = sample_capacity(n);
    samples.resize(n, Sample::default());
    samples
}

/// An empty list with room for `n` samples, backed as [`sample_vec`]'s.
fn sample_capacity(n: usize) -> Vec<Sample> {
    let mut samples: Vec<Sample> = Vec::with_capacity(n);
    advise_huge_pages(
        samples.as_mut_ptr().cast(),
        n.saturating_mul(std::mem::size_of::<Sample>()),
    );
    samples
}

#[cfg(target_os = "linux")]
fn advise_huge_pages(ptr: *mut u8, len: usize) {
    const HUGE: usize = 2 << 20;
    if len < 2 * HUGE {
        return;
    }
    let start = (ptr as usize).next_multiple_of(HUGE);
    let end = (ptr as usize).saturating_add(len) / HUGE * HUGE;
    if end > start {
        // SAFETY: [start, end) lies inside the allocation of `len` bytes at `ptr`
        // (rounded inwards to whole huge pages). MADV_HUGEPAGE changes how the kernel
        // backs those pages, never what they hold; a refusal is harmless.
        unsafe {
            libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_huge_pages(_ptr: *mut u8, _len: usize) {}

/// Most samples one track may have: 20 million is over 90 hours at 60 fps.
/// Sample counts are also checked against the file's bytes, but a damaged
/// file with 1-byte samples could otherwise ask for 32 bytes of index per
/// byte of file.
pub(crate) const MAX_SAMPLES: usize = 20_000_000;

pub(crate) fn too_many_samples(track_id: u32) -> ProbeError {
    ProbeError::Invalid(format!(
        "track {track_id} has more than {MAX_SAMPLES} samples; the file is damaged"
    ))
}

/// Makes every composition offset non-negative by moving decode times down,
/// leaving presentation times unchanged.
pub(crate) fn normalize_cts(samples: &mut [Sample]) {
    let min = samples.iter().map(|s| s.cts_offset).min().unwrap_or(0);
    if min < 0 {
        let b = -i64::from(min);
        for s in samples {
            s.dts = s.dts.saturating_sub(b);
            s.cts_offset = i32::try_from(i64::from(s.cts_offset) + b).unwrap_or(i32::MAX);
        }
    }
}

/// Sets the metadata of `t` from the probe's view of the same track.
pub(crate) fn track_from_info(info: &crate::TrackInfo, timescale: u32) -> TrackIndex {
    TrackIndex {
        track_id: u32::try_from(info.id).unwrap_or(u32::MAX),
        kind: info.kind,
        codec: info.codec.clone(),
        codec_string: info.codec_string.clone(),
        language: info.language.clone(),
        name: info.name.clone(),
        default: info.default,
        timescale,
        codec_config: CodecConfig {
            width: info.width.unwrap_or(0),
            height: info.height.unwrap_or(0),
            channels: info.channels.unwrap_or(0),
            sample_rate: info.sample_rate.unwrap_or(0),
            ..CodecConfig::default()
        },
        unsupported: None,
        samples: Vec::new(),
    }
}

// ---- serialisation -----------------------------------------------------------

const MAGIC: &[u8; 4] = b"MQIX";
/// 2: text subtitle tracks carry their samples. 3: a word-wise checksum.
const VERSION: u16 = 4;

/// Catches a damaged or cut cache file (not an attacker: the data folder is
/// ours). Eight bytes per multiply: a film's 4 MB index in about a millisecond.
fn checksum(data: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ data.len() as u64;
    let mut words = data.chunks_exact(8);
    for word in &mut words {
        let mut w = [0u8; 8];
        w.copy_from_slice(word);
        h = (h ^ u64::from_le_bytes(w))
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .rotate_left(29);
    }
    for &b in words.remainder() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn put_var(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_var(out, b.len() as u64);
    out.extend_from_slice(b);
}

fn put_opt(out: &mut Vec<u8>, s: &Option<String>) {
    match s {
        Some(s) => {
            out.push(1);
            put_bytes(out, s.as_bytes());
        }
        None => out.push(0),
    }
}

fn kind_code(k: TrackKind) -> u8 {
    match k {
        TrackKind::Video => 0,
        TrackKind::Audio => 1,
        TrackKind::Subtitle => 2,
        TrackKind::Other => 3,
    }
}

fn container_code(c: Container) -> u8 {
    match c {
        Container::Mp4 => 0,
        Container::Mov => 1,
        Container::Matroska => 2,
        Container::Webm => 3,
    }
}

/// Bounds-checked reader over serialised bytes.
struct Rd<'a> {
    b: &'a [u8],
    pos: usize,
}

fn bad(what: &str) -> ProbeError {
    ProbeError::Invalid(format!("sample index cache: {what}"))
}

impl<'a> Rd<'a> {
    fn u8(&mut self) -> Result<u8, ProbeError> {
        let v = *self.b.get(self.pos).ok_or_else(|| bad("cut short"))?;
        self.pos += 1;
        Ok(v)
    }
    fn bytes(&mut self, n: usize) -> Result<&'a [u8], ProbeError> {
        let end = self.pos.checked_add(n).ok_or_else(|| bad("cut short"))?;
        let s = self.b.get(self.pos..end).ok_or_else(|| bad("cut short"))?;
        self.pos = end;
        Ok(s)
    }
    #[inline(always)]
    fn var(&mut self) -> Result<u64, ProbeError> {
        // Most numbers are deltas that fit in one byte.
        if let Some(&b) = self.b.get(self.pos) {
            if b < 0x80 {
                self.pos += 1;
                return Ok(u64::from(b));
            }
        }
        self.var_long()
    }
    #[inline(never)]
    fn var_long(&mut self) -> Result<u64, ProbeError> {
        let mut v = 0u64;
        for i in 0..10 {
            let b = self.u8()?;
            let part = u64::from(b & 0x7f);
            if i == 9 && b > 1 {
                return Err(bad("number out of range"));
            }
            v |= part << (7 * i);
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(bad("number out of range"))
    }
    #[inline]
    fn u32(&mut self) -> Result<u32, ProbeError> {
        u32::try_from(self.var()?).map_err(|_| bad("number out of range"))
    }
    #[inline]
    fn i32(&mut self) -> Result<i32, ProbeError> {
        i32::try_from(unzigzag(self.var()?)).map_err(|_| bad("number out of range"))
    }
    fn vec(&mut self, cap: usize) -> Result<Vec<u8>, ProbeError> {
        let n = usize::try_from(self.var()?).map_err(|_| bad("length out of range"))?;
        if n > cap {
            return Err(bad("length out of range"));
        }
        Ok(self.bytes(n)?.to_vec())
    }
    fn string(&mut self) -> Result<String, ProbeError> {
        String::from_utf8(self.vec(64 * 1024)?).map_err(|_| bad("invalid text"))
    }
    fn opt(&mut self) -> Result<Option<String>, ProbeError> {
        match self.u8()? {
            0 => Ok(None),
            1 => Ok(Some(self.string()?)),
            _ => Err(bad("invalid flag")),
        }
    }
    fn fourcc(&mut self) -> Result<[u8; 4], ProbeError> {
        let b = self.bytes(4)?;
        Ok([b[0], b[1], b[2], b[3]])
    }
}

impl SampleIndex {
    /// Compact binary form: `MQIX`, a version, the tracks with their samples
    /// delta- and varint-coded (6–9 bytes per sample), and a checksum.
    pub fn serialize(&self) -> Vec<u8> {
        let samples: usize = self.tracks.iter().map(|t| t.samples.len()).sum();
        let mut out = Vec::with_capacity(64 + samples * 7);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_be_bytes());
        out.push(container_code(self.container));
        put_var(&mut out, self.duration_ms);
        put_var(&mut out, self.tracks.len() as u64);
        for t in &self.tracks {
            put_var(&mut out, u64::from(t.track_id));
            out.push(kind_code(t.kind));
            put_bytes(&mut out, t.codec.as_bytes());
            put_opt(&mut out, &t.codec_string);
            put_opt(&mut out, &t.language);
            put_opt(&mut out, &t.name);
            out.push(u8::from(t.default));
            put_var(&mut out, u64::from(t.timescale));
            let c = &t.codec_config;
            out.extend_from_slice(&c.sample_entry);
            out.extend_from_slice(&c.config_box);
            put_bytes(&mut out, &c.config);
            for v in [c.width, c.height, c.channels, c.sample_rate] {
                put_var(&mut out, u64::from(v));
            }
            put_opt(&mut out, &t.unsupported);
            put_var(&mut out, t.samples.len() as u64);
            let (mut next_off, mut next_dts) = (0u64, 0i64);
            for s in &t.samples {
                // Samples are mostly contiguous and back to back in time, so the
                // deltas from "where the previous one ended" are tiny.
                put_var(&mut out, zigzag(s.offset.wrapping_sub(next_off) as i64));
                put_var(&mut out, (u64::from(s.size) << 1) | u64::from(s.keyframe));
                put_var(&mut out, zigzag(s.dts.wrapping_sub(next_dts)));
                put_var(&mut out, u64::from(s.duration));
                put_var(&mut out, zigzag(i64::from(s.cts_offset)));
                next_off = s.offset.wrapping_add(u64::from(s.size));
                next_dts = s.dts.wrapping_add(i64::from(s.duration));
            }
        }
        let sum = checksum(&out);
        out.extend_from_slice(&sum.to_be_bytes());
        out
    }

    /// Reads what [`serialize`](Self::serialize) wrote.  Anything else —
    /// another version, a damaged or truncated file — is an error, never a
    /// panic or an unbounded allocation.
    pub fn deserialize(bytes: &[u8]) -> Result<SampleIndex, ProbeError> {
        if bytes.len() < 4 + 2 + 8 || &bytes[..4] != MAGIC {
            return Err(bad("not a Marquee sample index"));
        }
        let (body, sum) = bytes.split_at(bytes.len() - 8);
        let mut s = [0u8; 8];
        s.copy_from_slice(sum);
        if checksum(body) != u64::from_be_bytes(s) {
            return Err(bad("checksum mismatch"));
        }
        let version = u16::from_be_bytes([body[4], body[5]]);
        if version != VERSION {
            return Err(bad(&format!("unsupported version {version}")));
        }
        let mut r = Rd { b: body, pos: 6 };
        let container = match r.u8()? {
            0 => Container::Mp4,
            1 => Container::Mov,
            2 => Container::Matroska,
            3 => Container::Webm,
            _ => return Err(bad("unknown container")),
        };
        let duration_ms = r.var()?;
        let ntracks = r.var()?;
        // Every track takes well over 16 bytes.
        if ntracks > (body.len() / 16) as u64 {
            return Err(bad("track count out of range"));
        }
        let mut tracks = Vec::with_capacity(ntracks as usize);
        for _ in 0..ntracks {
            let track_id = r.u32()?;
            let kind = match r.u8()? {
                0 => TrackKind::Video,
                1 => TrackKind::Audio,
                2 => TrackKind::Subtitle,
                3 => TrackKind::Other,
                _ => return Err(bad("unknown track kind")),
            };
            let codec = r.string()?;
            let codec_string = r.opt()?;
            let language = r.opt()?;
            let name = r.opt()?;
            let default = r.u8()? != 0;
            let timescale = r.u32()?;
            let sample_entry = r.fourcc()?;
            let config_box = r.fourcc()?;
            let config = r.vec(16 << 20)?;
            let codec_config = CodecConfig {
                sample_entry,
                config_box,
                config,
                width: r.u32()?,
                height: r.u32()?,
                channels: r.u32()?,
                sample_rate: r.u32()?,
            };
            let unsupported = r.opt()?;
            let n = r.var()?;
            // Each sample takes at least 5 bytes.
            let left = (body.len() - r.pos) as u64;
            if n > left / 5 {
                return Err(bad("sample count out of range"));
            }
            let mut samples = sample_capacity(n as usize);
            let (mut next_off, mut next_dts) = (0u64, 0i64);
            for _ in 0..n {
                let offset = next_off.wrapping_add(unzigzag(r.var()?) as u64);
                let sk = r.var()?;
                let size = u32::try_from(sk >> 1).map_err(|_| bad("number out of range"))?;
                let dts = next_dts.wrapping_add(unzigzag(r.var()?));
                let duration = r.u32()?;
                let cts_offset = r.i32()?;
                samples.push(Sample {
                    offset,
                    dts,
                    size,
                    duration,
                    cts_offset,
                    keyframe: sk & 1 == 1,
                });
                next_off = offset.wrapping_add(u64::from(size));
                next_dts = dts.wrapping_add(i64::from(duration));
            }
            tracks.push(TrackIndex {
                track_id,
                kind,
                codec,
                codec_string,
                language,
                name,
                default,
                timescale,
                codec_config,
                unsupported,
                samples,
            });
        }
        if r.pos != body.len() {
            return Err(bad("trailing bytes"));
        }
        Ok(SampleIndex {
            container,
            duration_ms,
            tracks,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_index() -> SampleIndex {
        let samples = (0..1000)
            .map(|i| Sample {
                offset: 1000 + i * 300 + if i == 500 { 7 } else { 0 },
                dts: i as i64 * 512 - 1024,
                size: 300,
                duration: 512,
                cts_offset: if i % 3 == 1 { 1024 } else { -512 },
                keyframe: i % 50 == 0,
            })
            .collect();
        SampleIndex {
            container: Container::Mp4,
            duration_ms: 40_000,
            tracks: vec![TrackIndex {
                track_id: 1,
                kind: TrackKind::Video,
                codec: "h264".into(),
                codec_string: Some("avc1.64001f".into()),
                language: None,
                name: Some("Main".into()),
                default: true,
                timescale: 12800,
                codec_config: CodecConfig {
                    sample_entry: *b"avc1",
                    config_box: *b"avcC",
                    config: vec![1, 0x64, 0, 0x1f, 0xff],
                    width: 320,
                    height: 240,
                    channels: 0,
                    sample_rate: 0,
                },
                unsupported: None,
                samples,
            }],
        }
    }

    #[test]
    fn sample_is_compact() {
        assert_eq!(std::mem::size_of::<Sample>(), 32);
    }

    #[test]
    fn round_trip() {
        let idx = sample_index();
        let bytes = idx.serialize();
        assert!(bytes.len() < 1000 * 10, "{} bytes", bytes.len());
        assert_eq!(SampleIndex::deserialize(&bytes).expect("valid"), idx);
    }

    #[test]
    fn rejects_damage() {
        let bytes = sample_index().serialize();
        // Every truncation and every single-byte change is an error, not a panic.
        for n in 0..bytes.len() {
            assert!(SampleIndex::deserialize(&bytes[..n]).is_err(), "cut at {n}");
        }
        for i in (0..bytes.len()).step_by(7) {
            let mut b = bytes.clone();
            b[i] ^= 0x5a;
            assert!(SampleIndex::deserialize(&b).is_err(), "flip at {i}");
        }
        // A valid checksum over garbage (huge counts) is still rejected.
        let mut forged = MAGIC.to_vec();
        forged.extend_from_slice(&VERSION.to_be_bytes());
        forged.extend_from_slice(&[0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f]);
        let sum = checksum(&forged);
        forged.extend_from_slice(&sum.to_be_bytes());
        assert!(SampleIndex::deserialize(&forged).is_err());
        assert!(SampleIndex::deserialize(b"MQIX").is_err());
    }

    #[test]
    fn varints() {
        for v in [0i64, 1, -1, 63, -64, i64::MAX, i64::MIN] {
            assert_eq!(unzigzag(zigzag(v)), v);
        }
        let mut out = Vec::new();
        put_var(&mut out, u64::MAX);
        let mut r = Rd { b: &out, pos: 0 };
        assert_eq!(r.var().expect("valid"), u64::MAX);
        let mut r = Rd {
            b: &[0xff; 11],
            pos: 0,
        };
        assert!(r.var().is_err());
    }
}
