//! A virtual progressive MP4 ("moov first") of a whole file, made on the fly.
//!
//! Some clients want one plain MP4 file rather than HLS or DASH (downloads,
//! `<video src>`, TVs and older devices), and a Matroska file is no MP4 at
//! all.  [`progressive_mp4`] describes such a file without writing it:
//! `ftyp`, a complete `moov` computed from the [`SampleIndex`] alone, the
//! `mdat` header, then the sample data as ranges of the source file.  Like the
//! fMP4 segments of [`crate::cmaf`], its length and every byte of it are known
//! before any media is read, so a server can answer `Range` requests into it
//! and stream it straight from the source.
//!
//! Layout, as a careful muxer would write it:
//!
//! * `moov` first, so a player can start before it has the whole file;
//! * samples interleaved in chunks of [`CHUNK_SECONDS`] per track, in decode
//!   time order (video before audio within a period), so a sequential reader
//!   never has to look far ahead for the other track;
//! * `stco`, or `co64` when an offset needs 64 bits; an `mdat` with a 64-bit
//!   size when the media needs it; `ctts` only when some sample has a
//!   composition offset, `stss` only when not every video sample is a sync
//!   sample;
//! * each track's decode times start at 0, and an edit list places its
//!   presentation: the file's earliest presentation time (or 0, when a track
//!   starts before 0 — AAC priming, B-frame delay) is time 0 of the movie, a
//!   track that starts later is delayed by an empty edit, and samples
//!   presented before time 0 are skipped by the edit's `media_time`.  Audio
//!   and video therefore keep the timing they have in the source.
//!
//! Only H.264 video (the first such track) and AAC audio (every AAC track; the
//! default one, or else the first, enabled and the others in the same
//! alternate group) go in: that is what every progressive MP4 player decodes.
//! Other audio tracks and subtitles are left out; a file whose video is not
//! H.264, or whose audio has no AAC track, gets
//! [`PackageError::NotProgressive`] naming the codec in the way.  The writer
//! itself is codec-agnostic (it uses the init segment's sample entries), so
//! widening [`accepted`] is all another codec would need.
//!
//! Memory: the `moov` of a 2-hour film (~770k samples) is a few MB, built in
//! one pass into one buffer.  The sample data is not listed slice by slice:
//! [`ProgressiveMp4`] keeps one small record per chunk, and a
//! [`ProgressiveCursor`] yields the slices of any byte range on demand, so a
//! Matroska source (whose frames are never contiguous) costs no per-sample
//! memory per request.

use crate::cmaf::{
    bx, edts, full, hdlr, mdhd, media_header_and_dinf, mvhd, sample_entry, tkhd, u32be, Edit,
    PackageError, Slice, TKHD_ENABLED, TKHD_IN_MOVIE,
};
use crate::index::{SampleIndex, TrackIndex};
use crate::TrackKind;

/// Changes whenever the bytes written for the same index change, so that a
/// server can put it in the `ETag` of the file.
pub const FORMAT_VERSION: u32 = 1;

/// Interleaving period: each chunk holds about this much of one track.
pub const CHUNK_SECONDS: f64 = 0.5;
/// [`CHUNK_SECONDS`] as a fraction (numerator, denominator) for exact maths.
const CHUNK_FRACTION: (i128, i128) = (1, 2);

/// Timescale of `mvhd`, `tkhd` and edit durations (as ffmpeg writes).
const MOVIE_TIMESCALE: u32 = 1000;

/// A progressive MP4 of a [`SampleIndex`]: the generated header and where
/// each chunk of samples goes.  Only meaningful with the index it was made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgressiveMp4 {
    /// `ftyp`, `moov` and the `mdat` header.
    header: Vec<u8>,
    /// Chunks in file order.
    chunks: Vec<Chunk>,
    len: u64,
    /// Positions in `index.tracks` of the tracks written, in `moov` order.
    tracks: Vec<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Chunk {
    /// Byte position of the chunk in the progressive file.
    pos: u64,
    /// Position of the track in `index.tracks`.
    track: u32,
    /// Samples `first..first + count` of that track.
    count: u32,
    first: usize,
}

impl ProgressiveMp4 {
    /// Length of the whole file in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Never true: there is always a header.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// `ftyp`, `moov` and the `mdat` header: everything generated.
    pub fn header(&self) -> &[u8] {
        &self.header
    }

    /// Number of interleaved chunks.
    pub fn chunk_count(&self) -> usize {
        self.chunks.len()
    }

    /// Ids of the tracks in the file, video first, as in the source.
    pub fn track_ids(&self, index: &SampleIndex) -> Vec<u32> {
        self.tracks
            .iter()
            .filter_map(|&i| index.tracks.get(i).map(|t| t.track_id))
            .collect()
    }

    /// The whole file as slices (adjacent file ranges merged).
    pub fn slices(&self, index: &SampleIndex) -> Vec<Slice> {
        let mut c = self.cursor(index, 0, self.len);
        std::iter::from_fn(|| c.next_slice(self, index)).collect()
    }

    /// A cursor over bytes `start..end` of the file (clamped to its length).
    pub fn cursor(&self, index: &SampleIndex, start: u64, end: u64) -> ProgressiveCursor {
        let end = end.min(self.len);
        let start = start.min(end);
        let mut c = ProgressiveCursor {
            pos: start,
            end,
            chunk: 0,
            sample: 0,
            into: 0,
        };
        if start < self.header.len() as u64 || self.chunks.is_empty() {
            return c;
        }
        c.chunk = self
            .chunks
            .partition_point(|ch| ch.pos <= start)
            .saturating_sub(1);
        let ch = self.chunks[c.chunk];
        let mut p = ch.pos;
        for (i, s) in chunk_samples(index, &ch).iter().enumerate() {
            let size = u64::from(s.size);
            if p + size > start {
                c.sample = i as u32;
                c.into = (start - p) as u32;
                return c;
            }
            p += size;
        }
        // Past the chunk's samples (a mismatched index): start at the next.
        c.chunk += 1;
        c
    }
}

/// The samples of chunk `ch` (empty if `index` is not the one it was made of).
fn chunk_samples<'a>(index: &'a SampleIndex, ch: &Chunk) -> &'a [crate::Sample] {
    index
        .tracks
        .get(ch.track as usize)
        .and_then(|t| t.samples.get(ch.first..ch.first + ch.count as usize))
        .unwrap_or(&[])
}

/// Walks a byte range of a [`ProgressiveMp4`], one slice at a time, holding
/// no reference: a server can keep it next to shared copies of the file
/// description and the index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgressiveCursor {
    pos: u64,
    end: u64,
    chunk: usize,
    sample: u32,
    /// Bytes of the current sample already produced.
    into: u32,
}

impl ProgressiveCursor {
    /// Bytes left to produce.
    pub fn remaining(&self) -> u64 {
        self.end - self.pos
    }

    /// The next slice: first (part of) the header, then file ranges, each as
    /// long as the source is contiguous.  `None` at the end of the range — or
    /// early, if `index` is not the index `mp4` was made of.
    pub fn next_slice(&mut self, mp4: &ProgressiveMp4, index: &SampleIndex) -> Option<Slice> {
        if self.pos >= self.end {
            return None;
        }
        let hlen = mp4.header.len() as u64;
        if self.pos < hlen {
            let e = self.end.min(hlen);
            let bytes = mp4.header[self.pos as usize..e as usize].to_vec();
            self.pos = e;
            return Some(Slice::Bytes(bytes));
        }
        let mut run: Option<(u64, u64)> = None;
        while self.pos < self.end {
            let Some(ch) = mp4.chunks.get(self.chunk) else {
                break;
            };
            if self.sample >= ch.count {
                self.chunk += 1;
                self.sample = 0;
                self.into = 0;
                continue;
            }
            let Some(s) = chunk_samples(index, ch).get(self.sample as usize) else {
                break;
            };
            let size = u64::from(s.size);
            let into = u64::from(self.into);
            let take = size.saturating_sub(into).min(self.end - self.pos);
            if take > 0 {
                let offset = s.offset.saturating_add(into);
                match &mut run {
                    Some((o, l)) if o.checked_add(*l) == Some(offset) => *l += take,
                    Some(_) => break,
                    None => run = Some((offset, take)),
                }
                self.pos += take;
            }
            if into + take >= size {
                self.sample += 1;
                self.into = 0;
            } else {
                self.into += take as u32;
            }
        }
        if run.is_none() {
            // Only a mismatched index gets here: end the range.
            self.pos = self.end;
        }
        run.map(|(offset, len)| Slice::File { offset, len })
    }
}

/// Codecs that go into a progressive MP4.
fn accepted(t: &TrackIndex) -> bool {
    let entry = &t.codec_config.sample_entry;
    match t.kind {
        TrackKind::Video => t.codec == "h264" && (entry == b"avc1" || entry == b"avc3"),
        TrackKind::Audio => t.codec == "aac" && entry == b"mp4a",
        _ => false,
    }
}

fn codec_name(t: &TrackIndex) -> String {
    match t.codec.as_str() {
        "h264" => "H.264".into(),
        "hevc" => "HEVC".into(),
        "av1" => "AV1".into(),
        "vp8" | "vp9" | "mp3" | "flac" | "opus" | "vorbis" | "dts" | "truehd" => {
            t.codec.to_uppercase()
        }
        "ac3" => "AC-3".into(),
        "eac3" => "E-AC-3".into(),
        "aac" => "AAC".into(),
        other => other.to_string(),
    }
}

/// The tracks a progressive MP4 of `index` carries (video first, then the AAC
/// tracks), or why there is none.  Cheap: lets a server decide whether to
/// offer the file without building it.
pub fn progressive_tracks(index: &SampleIndex) -> Result<Vec<&TrackIndex>, PackageError> {
    let not = |t: &TrackIndex, what: &str| {
        PackageError::NotProgressive(format!(
            "track {} is {} {what}; a progressive MP4 carries H.264 video and AAC audio only",
            t.track_id,
            codec_name(t)
        ))
    };
    let mut out = Vec::new();
    if let Some(first_video) = index.tracks.iter().find(|t| t.kind == TrackKind::Video) {
        let Some(v) = index.video() else {
            return Err(PackageError::NotProgressive(format!(
                "video track {} cannot be packaged: {}",
                first_video.track_id,
                first_video
                    .unsupported
                    .as_deref()
                    .unwrap_or("it has no samples")
            )));
        };
        if !accepted(v) {
            return Err(not(v, "video"));
        }
        out.push(v);
    }
    let audio: Vec<&TrackIndex> = index.audio().filter(|t| accepted(t)).collect();
    if audio.is_empty() {
        if let Some(a) = index.tracks.iter().find(|t| t.kind == TrackKind::Audio) {
            return Err(match &a.unsupported {
                Some(why) if accepted(a) => PackageError::NotProgressive(format!(
                    "audio track {} cannot be packaged: {why}",
                    a.track_id
                )),
                _ => not(a, "audio"),
            });
        }
    }
    out.extend(audio);
    if out.is_empty() {
        return Err(PackageError::NotProgressive(
            "the file has no H.264 video or AAC audio track".into(),
        ));
    }
    Ok(out)
}

/// How one track is written.
struct Layout<'a> {
    track: &'a TrackIndex,
    /// Position in `index.tracks`.
    pos: usize,
    /// Output track id (1-based, in `moov` order).
    id: u32,
    flags: u32,
    alternate_group: u16,
    edits: Vec<Edit>,
    /// Presented duration in the movie timescale (empty edit included).
    movie_duration: u64,
    /// Sum of sample durations (media timescale).
    media_duration: u64,
    /// Samples per chunk, in this track's chunk order.
    chunk_sizes: Vec<u32>,
}

/// `a * num / den` rounded up (`up`) or to nearest, for non-negative `a`.
fn rescale(a: i128, num: i128, den: i128, up: bool) -> i128 {
    if den <= 0 {
        return 0;
    }
    let x = a.max(0) * num;
    if up {
        (x + den - 1) / den
    } else {
        (x + den / 2) / den
    }
}

/// Builds the progressive MP4 of `index`.  See the module documentation for
/// what goes in; errors are [`PackageError::NotProgressive`].
pub fn progressive_mp4(index: &SampleIndex) -> Result<ProgressiveMp4, PackageError> {
    let tracks = progressive_tracks(index)?;
    let positions: Vec<usize> = tracks
        .iter()
        .map(|t| {
            index
                .tracks
                .iter()
                .position(|u| std::ptr::eq(u, *t))
                .unwrap_or(0)
        })
        .collect();

    // Movie time 0: the earliest presentation time of any track, or 0 when
    // a track starts before 0 (what precedes 0 is priming or reorder delay).
    let origin = tracks
        .iter()
        .map(|t| (i128::from(t.start()), i128::from(t.timescale)))
        .min_by(|a, b| (a.0 * b.1).cmp(&(b.0 * a.1)))
        .map(|(s, ts)| if s < 0 { (0, 1) } else { (s, ts) })
        .unwrap_or((0, 1));

    // Chunks: every track cut on the same grid of CHUNK_SECONDS by decode
    // time; ordered by grid cell, then track (video first).
    let mut order: Vec<(i64, usize, usize, u32)> = Vec::new(); // (cell, moov pos, first, count)
    let mut layouts = Vec::with_capacity(tracks.len());
    let audio_count = tracks.iter().filter(|t| t.kind == TrackKind::Audio).count();
    let enabled_audio = tracks
        .iter()
        .position(|t| t.kind == TrackKind::Audio && t.default)
        .or_else(|| tracks.iter().position(|t| t.kind == TrackKind::Audio));
    for (k, t) in tracks.iter().enumerate() {
        let ts = i128::from(t.timescale);
        let cell = |dts: i64| -> i64 {
            let x = i128::from(dts) * CHUNK_FRACTION.1;
            (x.div_euclid(ts * CHUNK_FRACTION.0)) as i64
        };
        let mut chunk_sizes = Vec::new();
        let mut first = 0usize;
        while first < t.samples.len() {
            let c = cell(t.samples[first].dts);
            let mut n = first + 1;
            while n < t.samples.len() && cell(t.samples[n].dts) == c {
                n += 1;
            }
            let count = (n - first) as u32;
            order.push((c, k, first, count));
            chunk_sizes.push(count);
            first = n;
        }

        let d0 = t.samples.first().map_or(0, |s| s.dts);
        let start = t.start();
        let end = t.end();
        // The origin in this track's ticks; the track's presentation starts at
        // the later of it and its own first presentation time.
        let o = if origin.0 == 0 {
            0
        } else {
            rescale(origin.0, ts, origin.1, false) as i64
        };
        let p = start.max(o);
        let empty = rescale(
            i128::from(p) - i128::from(o),
            i128::from(MOVIE_TIMESCALE),
            ts,
            false,
        ) as u64;
        let shown = rescale(
            i128::from(end.saturating_sub(p)),
            i128::from(MOVIE_TIMESCALE),
            ts,
            true,
        ) as u64;
        let media_time = p.saturating_sub(d0);
        let mut edits = Vec::new();
        if empty > 0 {
            edits.push(Edit::Empty { duration: empty });
        }
        if empty > 0 || media_time != 0 {
            edits.push(Edit::Media {
                duration: shown,
                media_time,
            });
        }
        let audio = t.kind == TrackKind::Audio;
        layouts.push(Layout {
            track: t,
            pos: positions[k],
            id: k as u32 + 1,
            flags: if !audio || enabled_audio == Some(k) {
                TKHD_ENABLED | TKHD_IN_MOVIE
            } else {
                TKHD_IN_MOVIE
            },
            alternate_group: u16::from(audio && audio_count > 1),
            edits,
            movie_duration: empty.saturating_add(shown),
            media_duration: decode_durations(&t.samples).map(u64::from).sum(),
            chunk_sizes,
        });
    }
    order.sort_by_key(|&(cell, k, _, _)| (cell, k));

    // Payload offsets of each chunk, relative to the start of the mdat payload.
    let mut rel = Vec::with_capacity(order.len());
    let mut payload = 0u64;
    for &(_, k, first, count) in &order {
        rel.push(payload);
        payload += tracks[k].samples[first..first + count as usize]
            .iter()
            .map(|s| u64::from(s.size))
            .sum::<u64>();
    }
    let mdat_header: u64 = if payload + 8 > u64::from(u32::MAX) {
        16
    } else {
        8
    };

    // Chunk offsets per track, in the track's own order.
    let mut offsets: Vec<Vec<u64>> = layouts
        .iter()
        .map(|l| Vec::with_capacity(l.chunk_sizes.len()))
        .collect();
    for (&(_, k, _, _), &r) in order.iter().zip(&rel) {
        offsets[k].push(r);
    }

    let mut header = build_header(&layouts, &offsets, mdat_header, payload, false);
    let last = rel.last().copied().unwrap_or(0);
    if header.len() as u64 + last > u64::from(u32::MAX) {
        header = build_header(&layouts, &offsets, mdat_header, payload, true);
    }
    let hlen = header.len() as u64;
    let chunks = order
        .iter()
        .zip(&rel)
        .map(|(&(_, k, first, count), &r)| Chunk {
            pos: hlen + r,
            track: layouts[k].pos as u32,
            count,
            first,
        })
        .collect();
    Ok(ProgressiveMp4 {
        header,
        chunks,
        len: hlen + payload,
        tracks: layouts.iter().map(|l| l.pos).collect(),
    })
}

/// `ftyp`, `moov` and the `mdat` header.  Chunk offsets are written relative
/// to the mdat payload and patched once the header's length is known.
fn build_header(
    layouts: &[Layout],
    offsets: &[Vec<u64>],
    mdat_header: u64,
    payload: u64,
    co64: bool,
) -> Vec<u8> {
    let samples: usize = layouts.iter().map(|l| l.track.samples.len()).sum();
    let chunks: usize = offsets.iter().map(Vec::len).sum();
    let mut o = Vec::with_capacity(4096 + samples * 12 + chunks * 20);
    bx(&mut o, b"ftyp", |o| {
        o.extend_from_slice(b"isom");
        u32be(o, 0x200);
        o.extend_from_slice(b"isomiso2avc1mp41");
    });
    // (position of the first entry, count) of each chunk offset table.
    let mut tables: Vec<(usize, usize)> = Vec::with_capacity(layouts.len());
    bx(&mut o, b"moov", |o| {
        let duration = layouts.iter().map(|l| l.movie_duration).max().unwrap_or(0);
        mvhd(o, MOVIE_TIMESCALE, duration, layouts.len() as u32 + 1);
        for (l, offs) in layouts.iter().zip(offsets) {
            trak(o, l, offs, co64, &mut tables);
        }
    });
    let hlen = (o.len() as u64) + mdat_header;
    let width = if co64 { 8 } else { 4 };
    for (at, count) in tables {
        for i in 0..count {
            let p = at + i * width;
            if co64 {
                let v = u64::from_be_bytes(o[p..p + 8].try_into().unwrap_or([0; 8]));
                o[p..p + 8].copy_from_slice(&(v + hlen).to_be_bytes());
            } else {
                let v = u32::from_be_bytes(o[p..p + 4].try_into().unwrap_or([0; 4]));
                let v = (u64::from(v) + hlen).min(u64::from(u32::MAX)) as u32;
                o[p..p + 4].copy_from_slice(&v.to_be_bytes());
            }
        }
    }
    if mdat_header == 16 {
        u32be(&mut o, 1);
        o.extend_from_slice(b"mdat");
        o.extend_from_slice(&(payload + 16).to_be_bytes());
    } else {
        u32be(&mut o, (payload + 8) as u32);
        o.extend_from_slice(b"mdat");
    }
    o
}

fn trak(
    o: &mut Vec<u8>,
    l: &Layout,
    offsets: &[u64],
    co64: bool,
    tables: &mut Vec<(usize, usize)>,
) {
    let t = l.track;
    let video = t.kind == TrackKind::Video;
    bx(o, b"trak", |o| {
        tkhd(o, l.flags, l.id, l.movie_duration, l.alternate_group, t);
        if !l.edits.is_empty() {
            edts(o, &l.edits);
        }
        bx(o, b"mdia", |o| {
            mdhd(o, t, l.media_duration);
            hdlr(o, video);
            bx(o, b"minf", |o| {
                media_header_and_dinf(o, video);
                bx(o, b"stbl", |o| {
                    full(o, b"stsd", 0, 0, |o| {
                        u32be(o, 1);
                        sample_entry(o, t);
                    });
                    sample_tables(o, l);
                    let count = offsets.len();
                    full(o, if co64 { b"co64" } else { b"stco" }, 0, 0, |o| {
                        u32be(o, count as u32);
                        tables.push((o.len(), count));
                        for &r in offsets {
                            if co64 {
                                o.extend_from_slice(&r.to_be_bytes());
                            } else {
                                u32be(o, u32::try_from(r).unwrap_or(u32::MAX));
                            }
                        }
                    });
                });
            });
        });
    });
}

/// Run-length encodes `values` as (count, value) pairs.
fn runs<T: PartialEq + Copy>(values: impl Iterator<Item = T>) -> Vec<(u32, T)> {
    let mut out: Vec<(u32, T)> = Vec::new();
    for v in values {
        match out.last_mut() {
            Some((n, last)) if *last == v && *n < u32::MAX => *n += 1,
            _ => out.push((1, v)),
        }
    }
    out
}

/// The `stts` duration of each sample: the gap to the next decode time (so
/// that a gap in the index, such as a jump between fragments, stays in the
/// file), and for the last sample its own duration.
fn decode_durations(samples: &[crate::Sample]) -> impl Iterator<Item = u32> + '_ {
    samples
        .iter()
        .enumerate()
        .map(|(i, s)| match samples.get(i + 1) {
            Some(next) => u32::try_from(next.dts.saturating_sub(s.dts).max(0)).unwrap_or(u32::MAX),
            None => s.duration,
        })
}

/// `stts`, `ctts`, `stss`, `stsz` and `stsc` of one track.
fn sample_tables(o: &mut Vec<u8>, l: &Layout) {
    let samples = &l.track.samples;
    let stts = runs(decode_durations(samples));
    full(o, b"stts", 0, 0, |o| {
        u32be(o, stts.len() as u32);
        for (n, d) in &stts {
            u32be(o, *n);
            u32be(o, *d);
        }
    });
    if samples.iter().any(|s| s.cts_offset != 0) {
        // Offsets are non-negative in the index: version 0.
        let ctts = runs(samples.iter().map(|s| s.cts_offset.max(0) as u32));
        full(o, b"ctts", 0, 0, |o| {
            u32be(o, ctts.len() as u32);
            for (n, c) in &ctts {
                u32be(o, *n);
                u32be(o, *c);
            }
        });
    }
    if l.track.kind == TrackKind::Video && samples.iter().any(|s| !s.keyframe) {
        let sync = samples.iter().filter(|s| s.keyframe).count();
        full(o, b"stss", 0, 0, |o| {
            u32be(o, sync as u32);
            for (i, _) in samples.iter().enumerate().filter(|(_, s)| s.keyframe) {
                u32be(o, i as u32 + 1);
            }
        });
    }
    let same = samples
        .first()
        .map(|f| f.size)
        .filter(|&f| samples.iter().all(|s| s.size == f));
    full(o, b"stsz", 0, 0, |o| {
        u32be(o, same.unwrap_or(0));
        u32be(o, samples.len() as u32);
        if same.is_none() {
            o.reserve(samples.len() * 4);
            for s in samples {
                u32be(o, s.size);
            }
        }
    });
    let stsc = runs(l.chunk_sizes.iter().copied());
    full(o, b"stsc", 0, 0, |o| {
        u32be(o, stsc.len() as u32);
        let mut chunk = 1u32;
        for (n, per) in &stsc {
            u32be(o, chunk);
            u32be(o, *per);
            u32be(o, 1); // sample description index
            chunk = chunk.saturating_add(*n);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::{CodecConfig, Sample};
    use crate::Container;

    fn track(id: u32, kind: TrackKind, n: usize, dur: u32, ts: u32, first_dts: i64) -> TrackIndex {
        let video = kind == TrackKind::Video;
        TrackIndex {
            track_id: id,
            kind,
            codec: if video { "h264" } else { "aac" }.into(),
            codec_string: None,
            language: Some("eng".into()),
            name: None,
            default: true,
            timescale: ts,
            codec_config: CodecConfig {
                sample_entry: if video { *b"avc1" } else { *b"mp4a" },
                config_box: if video { *b"avcC" } else { *b"esds" },
                config: vec![1, 2, 3],
                width: 320,
                height: 240,
                channels: 2,
                sample_rate: 48000,
            },
            unsupported: None,
            samples: (0..n)
                .map(|i| Sample {
                    offset: 0,
                    dts: first_dts + i as i64 * i64::from(dur),
                    size: 100 + (i % 7) as u32,
                    duration: dur,
                    cts_offset: if video && i % 3 == 1 {
                        2 * dur as i32
                    } else {
                        0
                    },
                    keyframe: !video || i % 25 == 0,
                })
                .collect(),
        }
    }

    /// A Matroska-like index: video and audio samples alternate in the
    /// source with a few bytes between them.
    fn index() -> SampleIndex {
        let mut v = track(1, TrackKind::Video, 100, 512, 12800, -1024);
        let mut a = track(2, TrackKind::Audio, 190, 1024, 48000, -1024);
        let mut pos = 5000u64;
        let (mut i, mut j) = (0, 0);
        while i < v.samples.len() || j < a.samples.len() {
            let vt = v.samples.get(i).map(|s| s.dts as f64 / 12800.0);
            let at = a.samples.get(j).map(|s| s.dts as f64 / 48000.0);
            let s = match (vt, at) {
                (Some(x), Some(y)) if x > y => {
                    j += 1;
                    &mut a.samples[j - 1]
                }
                (Some(_), _) => {
                    i += 1;
                    &mut v.samples[i - 1]
                }
                _ => {
                    j += 1;
                    &mut a.samples[j - 1]
                }
            };
            s.offset = pos;
            pos += u64::from(s.size) + 7;
        }
        SampleIndex {
            container: Container::Matroska,
            duration_ms: 4000,
            tracks: vec![v, a],
        }
    }

    fn boxes(data: &[u8]) -> Vec<(String, usize, usize)> {
        // (path, body start, body end), recursing into containers.
        fn walk(data: &[u8], base: usize, prefix: &str, out: &mut Vec<(String, usize, usize)>) {
            let mut p = 0;
            while p + 8 <= data.len() {
                let size = u32::from_be_bytes(data[p..p + 4].try_into().unwrap()) as usize;
                let typ = String::from_utf8_lossy(&data[p + 4..p + 8]).to_string();
                let size = if typ == "mdat" { 8 } else { size };
                assert!(size >= 8 && p + size <= data.len(), "bad box {typ} at {p}");
                let path = format!("{prefix}/{typ}");
                out.push((path.clone(), base + p + 8, base + p + size));
                if matches!(
                    typ.as_str(),
                    "moov" | "trak" | "edts" | "mdia" | "minf" | "dinf" | "stbl"
                ) {
                    walk(&data[p + 8..p + size], base + p + 8, &path, out);
                }
                p += size;
            }
        }
        let mut out = Vec::new();
        walk(data, 0, "", &mut out);
        out
    }

    fn u32_at(d: &[u8], p: usize) -> u32 {
        u32::from_be_bytes(d[p..p + 4].try_into().unwrap())
    }

    #[test]
    fn layout_and_tables() {
        let index = index();
        let mp4 = progressive_mp4(&index).expect("progressive");
        let h = mp4.header();
        let b = boxes(h);
        let paths: Vec<&str> = b.iter().map(|(p, _, _)| p.as_str()).collect();
        assert_eq!(paths[0], "/ftyp");
        assert_eq!(paths[1], "/moov");
        assert_eq!(*paths.last().unwrap(), "/mdat");
        for want in [
            "/moov/mvhd",
            "/moov/trak/tkhd",
            "/moov/trak/edts/elst",
            "/moov/trak/mdia/minf/stbl/stsd",
            "/moov/trak/mdia/minf/stbl/ctts",
            "/moov/trak/mdia/minf/stbl/stss",
            "/moov/trak/mdia/minf/stbl/stco",
        ] {
            assert!(paths.contains(&want), "missing {want}: {paths:?}");
        }
        assert_eq!(paths.iter().filter(|p| **p == "/moov/trak").count(), 2);
        // Audio: no ctts, no stss.
        assert_eq!(paths.iter().filter(|p| p.ends_with("ctts")).count(), 1);
        assert_eq!(paths.iter().filter(|p| p.ends_with("stss")).count(), 1);

        // The file is the header plus every sample, once.
        let payload: u64 = index
            .tracks
            .iter()
            .flat_map(|t| &t.samples)
            .map(|s| u64::from(s.size))
            .sum();
        assert_eq!(mp4.len(), h.len() as u64 + payload);
        let mdat_size = u32_at(h, h.len() - 8);
        assert_eq!(u64::from(mdat_size), payload + 8);
        let slices = mp4.slices(&index);
        assert_eq!(crate::total_len(&slices), mp4.len());

        // Every chunk offset points at its first sample's bytes in the output.
        let mut out_pos = std::collections::HashMap::new();
        let mut p = h.len() as u64;
        for s in &slices[1..] {
            let Slice::File { offset, len } = s else {
                panic!("bytes after the header")
            };
            for k in 0..*len {
                out_pos.insert(offset + k, p + k);
            }
            p += len;
        }
        let stcos: Vec<_> = b.iter().filter(|(p, _, _)| p.ends_with("stco")).collect();
        let stscs: Vec<_> = b.iter().filter(|(p, _, _)| p.ends_with("stsc")).collect();
        for (t, ((_, s0, _), (_, c0, _))) in index.tracks.iter().zip(stcos.iter().zip(&stscs)) {
            let n = u32_at(h, s0 + 4) as usize;
            // Expand stsc into samples per chunk.
            let entries = u32_at(h, c0 + 4) as usize;
            let mut per = Vec::new();
            for e in 0..entries {
                let first = u32_at(h, c0 + 8 + e * 12) as usize;
                let next = if e + 1 < entries {
                    u32_at(h, c0 + 8 + (e + 1) * 12) as usize
                } else {
                    n + 1
                };
                let spc = u32_at(h, c0 + 8 + e * 12 + 4);
                per.resize(per.len() + (next - first), spc);
            }
            assert_eq!(per.len(), n);
            assert_eq!(per.iter().sum::<u32>() as usize, t.samples.len());
            let mut sample = 0usize;
            for (c, spc) in per.iter().enumerate() {
                let off = u64::from(u32_at(h, s0 + 8 + c * 4));
                assert_eq!(
                    off, out_pos[&t.samples[sample].offset],
                    "track {}",
                    t.track_id
                );
                sample += *spc as usize;
            }
        }

        // Chunks are about CHUNK_SECONDS long and interleaved: the file
        // alternates between tracks.
        assert!(mp4.chunk_count() >= 16, "{}", mp4.chunk_count());

        // Video edit: starts 1024 ticks in (B-frame delay), media_time as i32.
        let (_, e0, _) = b.iter().find(|(p, _, _)| p.ends_with("elst")).unwrap();
        assert_eq!(u32_at(h, e0 + 4), 1);
        assert_eq!(u32_at(h, e0 + 12), 1024);
    }

    #[test]
    fn any_range_is_the_same_bytes() {
        let index = index();
        let mp4 = progressive_mp4(&index).expect("progressive");
        // Source bytes: value derived from the offset.
        let byte = |o: u64| (o % 251) as u8;
        let render = |slices: &[Slice]| -> Vec<u8> {
            let mut v = Vec::new();
            for s in slices {
                match s {
                    Slice::Bytes(b) => v.extend_from_slice(b),
                    Slice::File { offset, len } => v.extend((0..*len).map(|k| byte(offset + k))),
                }
            }
            v
        };
        let full = render(&mp4.slices(&index));
        assert_eq!(full.len() as u64, mp4.len());
        let len = mp4.len();
        let hl = mp4.header().len() as u64;
        for (a, b) in [
            (0, len),
            (0, 10),
            (hl - 3, hl + 250),
            (hl, hl + 1),
            (hl + 101, hl + 5000),
            (len - 1, len),
            (len / 2, len / 2 + 333),
            (len, len),
        ] {
            let mut c = mp4.cursor(&index, a, b);
            let slices: Vec<Slice> = std::iter::from_fn(|| c.next_slice(&mp4, &index)).collect();
            assert_eq!(render(&slices), full[a as usize..b as usize], "{a}..{b}");
        }
    }

    #[test]
    fn contiguous_samples_merge() {
        let mut index = index();
        // Make the source an ideal progressive file: all samples back to back
        // in the order the writer will put them.
        let mp4 = progressive_mp4(&index).expect("progressive");
        let mut pos = 0u64;
        for ch in mp4.chunks.clone() {
            let t = &mut index.tracks[ch.track as usize];
            for s in &mut t.samples[ch.first..ch.first + ch.count as usize] {
                s.offset = pos;
                pos += u64::from(s.size);
            }
        }
        let slices = progressive_mp4(&index).unwrap().slices(&index);
        assert_eq!(slices.len(), 2, "{slices:?}");
    }

    #[test]
    fn only_h264_and_aac() {
        let mut index = index();
        index.tracks[0].codec = "hevc".into();
        index.tracks[0].codec_config.sample_entry = *b"hvc1";
        let e = progressive_mp4(&index).unwrap_err().to_string();
        assert!(e.contains("track 1 is HEVC video"), "{e}");
        let mut index = self::index();
        index.tracks[1].codec = "ac3".into();
        index.tracks[1].codec_config.sample_entry = *b"ac-3";
        let e = progressive_mp4(&index).unwrap_err().to_string();
        assert!(e.contains("track 2 is AC-3 audio"), "{e}");
        // An AC-3 track next to an AAC one is left out.
        let mut index = self::index();
        let mut ac3 = index.tracks[1].clone();
        ac3.track_id = 3;
        ac3.codec = "ac3".into();
        ac3.codec_config.sample_entry = *b"ac-3";
        index.tracks.push(ac3);
        let mp4 = progressive_mp4(&index).unwrap();
        assert_eq!(mp4.track_ids(&index), vec![1, 2]);
        // Audio only is fine.
        let mut index = self::index();
        index.tracks.remove(0);
        assert!(progressive_mp4(&index).is_ok());
    }

    #[test]
    fn large_offsets_use_co64_and_largesize() {
        let mut index = index();
        for t in &mut index.tracks {
            for s in &mut t.samples {
                s.size = 30_000_000;
            }
        }
        let mp4 = progressive_mp4(&index).unwrap();
        let h = mp4.header();
        let b = boxes(&h[..h.len() - 16]);
        assert!(b.iter().any(|(p, _, _)| p.ends_with("co64")));
        assert!(!b.iter().any(|(p, _, _)| p.ends_with("stco")));
        assert_eq!(u32_at(h, h.len() - 16), 1);
        assert_eq!(&h[h.len() - 12..h.len() - 8], b"mdat");
        let payload = 290 * 30_000_000u64;
        assert_eq!(
            u64::from_be_bytes(h[h.len() - 8..].try_into().unwrap()),
            payload + 16
        );
        assert_eq!(mp4.len(), h.len() as u64 + payload);
    }
}
