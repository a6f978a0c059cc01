//! Matroska / WebM probing.
//!
//! The Segment is walked element by element reading only headers; the small
//! metadata elements (SeekHead, Info, Tracks, Tags) are loaded whole and parsed
//! from memory.  Clusters (the media) are skipped: once Info and Tracks are in
//! hand at the first Cluster, the remaining metadata (Tags, which ffmpeg and
//! mkvmerge write after the media) is reached through the SeekHead rather than
//! by walking every Cluster.
//!
//! Keyframe counting, when asked for, walks every Cluster's block *headers*
//! (track number and flags, a dozen bytes each) and skips the frame data.
//! Cues cannot replace this walk: muxers index only some keyframes.

pub(crate) mod ebml;
pub(crate) mod index;

use std::collections::HashMap;
use std::io::{Read, Seek};

use ebml::*;

use crate::codec;
use crate::source::Source;
use crate::{Container, ProbeError, ProbeInfo, ProbeOptions, TrackInfo, TrackKind};

/// Largest metadata element (Info, Tracks, Tags, SeekHead) we load.  Tracks
/// with large CodecPrivate blobs stay far below this.
const MAX_META: u64 = 32 << 20;
/// How many SeekHeads we follow (a SeekHead may point to another one).
const MAX_SEEK_HEADS: usize = 4;

/// Whether the first bytes are an EBML header.
pub(crate) fn looks_like(head: &[u8]) -> bool {
    head.starts_with(&[0x1A, 0x45, 0xDF, 0xA3])
}

/// The Segment's metadata and where its media lies: what both probing and the
/// sample index start from.
pub(crate) struct Segment {
    pub container: Container,
    pub seg_end: u64,
    pub meta: SegmentMeta,
}

/// Reads the EBML header and the Segment's metadata (Info, Tracks, Tags),
/// skipping the Clusters.
pub(crate) fn read_segment<R: Read + Seek>(src: &mut Source<R>) -> Result<Segment, ProbeError> {
    let len = src.len();
    let h = read_header_at(src, 0)?
        .filter(|h| h.id == EBML)
        .ok_or_else(|| ProbeError::Invalid("the EBML header is damaged or cut off".into()))?;
    let size = h
        .size
        .ok_or_else(|| ProbeError::Invalid("the EBML header has no size".into()))?;
    let body = src.read_vec(h.header_len, size, 64 * 1024, "EBML header")?;
    let doc_type = Elements::new(&body)
        .find(|(id, _)| *id == DOC_TYPE)
        .map_or_else(|| "matroska".to_string(), |(_, v)| string(v));
    let container = match doc_type.as_str() {
        "webm" => Container::Webm,
        "matroska" => Container::Matroska,
        other => {
            return Err(ProbeError::Invalid(format!(
                "unsupported EBML document type '{other}' (expected matroska or webm)"
            )))
        }
    };

    // Find the Segment (skipping Void or other elements between).
    let mut pos = h.header_len + size;
    let (seg_start, seg_end) = loop {
        let Some(h) = read_header_at(src, pos)? else {
            return Err(ProbeError::NoSegment);
        };
        let start = pos + h.header_len;
        if h.id == SEGMENT {
            // A Segment longer than the file is a truncated file: use what is there.
            let end = h.size.map_or(len, |s| start.saturating_add(s).min(len));
            break (start, end);
        }
        match h.size {
            Some(s) => pos = start.saturating_add(s),
            None => return Err(ProbeError::NoSegment),
        }
    };

    let mut seg = SegmentMeta::default();
    let mut seek_heads_read = 0usize;
    let mut pos = seg_start;
    while pos < seg_end {
        let Some(h) = read_header_at(src, pos)? else {
            break;
        };
        let body = pos + h.header_len;
        match h.id {
            CLUSTER => {
                seg.first_cluster.get_or_insert(pos);
                if seg.info.is_some() && seg.tracks.is_some() {
                    break;
                }
            }
            SEEK_HEAD if seek_heads_read < MAX_SEEK_HEADS => {
                seek_heads_read += 1;
                // A damaged SeekHead only costs us the shortcut; keep going.
                if let Some(size) = h.size {
                    if let Ok(data) = src.read_vec(body, size, MAX_META, "SeekHead") {
                        seg.add_seek_head(&data);
                    }
                }
            }
            INFO | TRACKS | TAGS => seg.load(src, h, body)?,
            // Chapters are optional: damaged ones must not fail the probe.
            CHAPTERS => {
                let _ = seg.load(src, h, body);
            }
            _ => {}
        }
        pos = match h.size {
            Some(s) => body.saturating_add(s),
            None if h.id == CLUSTER => skip_unknown_cluster(src, body, seg_end)?,
            // Unknown size on anything else: we cannot find its end.
            None => break,
        };
    }

    // Follow the SeekHead(s) to metadata stored after the media.
    let mut i = 0;
    while i < seg.seeks.len() {
        let (id, rel) = seg.seeks[i];
        i += 1;
        let at = seg_start.saturating_add(rel);
        let wanted = match id {
            INFO => seg.info.is_none(),
            TRACKS => seg.tracks.is_none(),
            TAGS => seg.tags.is_none(),
            CHAPTERS => seg.chapters.is_none(),
            SEEK_HEAD => seek_heads_read < MAX_SEEK_HEADS,
            _ => false,
        };
        if !wanted || at >= seg_end {
            continue;
        }
        let Some(h) = read_header_at(src, at)? else {
            continue;
        };
        if h.id != id {
            continue; // stale or wrong SeekHead entry
        }
        let body = at + h.header_len;
        if id == SEEK_HEAD {
            seek_heads_read += 1;
            if let Some(size) = h.size {
                if let Ok(data) = src.read_vec(body, size, MAX_META, "SeekHead") {
                    seg.add_seek_head(&data);
                }
            }
        } else if id == TAGS || id == CHAPTERS {
            // Tags and chapters are optional: a damaged trailer must not fail the probe.
            let _ = seg.load(src, h, body);
        } else {
            seg.load(src, h, body)?;
        }
    }

    if seg.tracks.is_none() {
        return Err(ProbeError::NoSegment);
    }
    Ok(Segment {
        container,
        seg_end,
        meta: seg,
    })
}

/// Probes a Matroska or WebM file.
pub(crate) fn probe<R: Read + Seek>(
    src: &mut Source<R>,
    opts: ProbeOptions,
) -> Result<ProbeInfo, ProbeError> {
    let Segment {
        container,
        seg_end,
        meta: mut seg,
    } = read_segment(src)?;
    let entries = seg.tracks.take().ok_or(ProbeError::NoSegment)?;
    let info = seg.info.take().unwrap_or_default();
    let keyframes = match seg.first_cluster {
        Some(first) if opts.count_keyframes => Some(count_keyframes(src, first, seg_end)?),
        None if opts.count_keyframes => Some(HashMap::new()),
        _ => None,
    };
    let tags = seg.tags.take().unwrap_or_default();
    let mut tracks: Vec<TrackInfo> = entries
        .iter()
        .map(|e| build_track(e, &tags, keyframes.as_ref()))
        .collect();
    // WebM muxers often omit the VP9 CodecPrivate; the profile and bit depth are
    // then read from the first frame's header (a few bytes).
    if let Some(first) = seg.first_cluster {
        for t in tracks
            .iter_mut()
            .filter(|t| t.codec == "vp9" && t.codec_string.is_none())
        {
            t.codec_string = vp9_from_first_frame(src, first, seg_end, t)?;
        }
    }
    let duration_ms = info
        .duration_ms()
        .or_else(|| tracks.iter().filter_map(|t| t.duration_ms).max())
        .unwrap_or(0);
    let chapters = crate::chapters::finish(seg.chapters.take().unwrap_or_default(), duration_ms);
    Ok(ProbeInfo {
        container,
        duration_ms,
        bitrate: None,
        tracks,
        chapters,
    })
}

/// Metadata gathered from the Segment's top-level elements.
#[derive(Default)]
pub(crate) struct SegmentMeta {
    pub info: Option<Info>,
    pub tracks: Option<Vec<TrackEntry>>,
    tags: Option<TrackTags>,
    chapters: Option<Vec<crate::Chapter>>,
    /// SeekHead entries: (element ID, position relative to the Segment data).
    seeks: Vec<(u32, u64)>,
    pub first_cluster: Option<u64>,
}

impl SegmentMeta {
    fn add_seek_head(&mut self, data: &[u8]) {
        for (id, seek) in Elements::new(data) {
            if id != SEEK || self.seeks.len() >= 1024 {
                continue;
            }
            let mut target = None;
            let mut at = None;
            for (id, v) in Elements::new(seek) {
                match id {
                    SEEK_ID => target = uint(v).and_then(|x| u32::try_from(x).ok()),
                    SEEK_POSITION => at = uint(v),
                    _ => {}
                }
            }
            if let (Some(t), Some(a)) = (target, at) {
                self.seeks.push((t, a));
            }
        }
    }

    /// Loads and parses an Info, Tracks or Tags element.
    fn load<R: Read + Seek>(
        &mut self,
        src: &mut Source<R>,
        h: Header,
        body: u64,
    ) -> Result<(), ProbeError> {
        let what = match h.id {
            INFO => "Matroska Info element",
            TRACKS => "Matroska Tracks element",
            CHAPTERS => "Matroska Chapters element",
            _ => "Matroska Tags element",
        };
        let size = h
            .size
            .ok_or_else(|| ProbeError::Invalid(format!("{what} has no size")))?;
        let data = src.read_vec(body, size, MAX_META, what)?;
        match h.id {
            INFO if self.info.is_none() => self.info = Some(Info::parse(&data)),
            TRACKS if self.tracks.is_none() => self.tracks = Some(parse_tracks(&data)),
            TAGS if self.tags.is_none() => self.tags = Some(TrackTags::parse(&data)),
            CHAPTERS if self.chapters.is_none() => {
                self.chapters = Some(crate::chapters::parse_matroska_chapters(&data))
            }
            _ => {}
        }
        Ok(())
    }
}

/// Finds the end of an unknown-size Cluster (live recordings write these): its
/// children run until the next top-level element.  Reads child headers only.
fn skip_unknown_cluster<R: Read + Seek>(
    src: &mut Source<R>,
    mut pos: u64,
    seg_end: u64,
) -> Result<u64, ProbeError> {
    while pos < seg_end {
        let Some(h) = read_header_at(src, pos)? else {
            return Ok(seg_end);
        };
        if TOP_LEVEL.contains(&h.id) {
            return Ok(pos);
        }
        match h.size {
            Some(s) => pos = pos.saturating_add(h.header_len).saturating_add(s),
            None => return Ok(seg_end),
        }
    }
    Ok(seg_end)
}

/// A block's track number and flags, read from its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BlockHeader {
    pub track: u64,
    pub timecode: i16,
    pub flags: u8,
    /// Length of this header (track vint + timecode + flags).
    pub len: u8,
}

/// One block found by [`walk_blocks`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BlockRef {
    pub header: BlockHeader,
    pub keyframe: bool,
    /// File offset and length of the block data after its header (including
    /// any lacing information).
    pub data_pos: u64,
    pub data_len: u64,
    /// The enclosing Cluster's Timestamp (in TimestampScale units; 0 when the
    /// Cluster has none before this block).
    pub cluster_time: u64,
    /// BlockDuration of a BlockGroup, when given.
    pub duration: Option<u64>,
}

impl BlockHeader {
    /// Parses the start of a (Simple)Block payload: track vint, timecode, flags.
    pub(crate) fn parse(b: &[u8]) -> Option<Self> {
        let (track, n, _) = vint(b, 8)?;
        let rest = b.get(n..n + 3)?;
        Some(BlockHeader {
            track,
            timecode: i16::from_be_bytes([rest[0], rest[1]]),
            flags: rest[2],
            len: (n + 3) as u8,
        })
    }
}

/// Visits every block header in the Clusters from `pos` to `seg_end`, calling
/// `f` for each until it returns `false`.  Frame data is never read.  This is
/// the walk the future per-sample index will extend with cluster timestamps.
pub(crate) fn walk_blocks<R: Read + Seek>(
    src: &mut Source<R>,
    mut pos: u64,
    seg_end: u64,
    f: &mut dyn FnMut(BlockRef) -> bool,
) -> Result<(), ProbeError> {
    let mut head = [0u8; 12];
    while pos < seg_end {
        let Some(h) = read_header_at(src, pos)? else {
            break;
        };
        let body = pos + h.header_len;
        if h.id != CLUSTER {
            match h.size {
                Some(s) => {
                    pos = body.saturating_add(s);
                    continue;
                }
                None => break,
            }
        }
        // Walk the cluster's children; an unknown size ends at the next top-level ID.
        let cluster_end = h
            .size
            .map_or(seg_end, |s| body.saturating_add(s).min(seg_end));
        let mut p = body;
        let mut cluster_time = 0u64;
        while p < cluster_end {
            let Some(c) = read_header_at(src, p)? else {
                break;
            };
            if TOP_LEVEL.contains(&c.id) {
                break;
            }
            let cbody = p + c.header_len;
            let Some(csize) = c.size else { break };
            let cend = cbody.saturating_add(csize);
            match c.id {
                CLUSTER_TIMESTAMP => {
                    let mut b = [0u8; 8];
                    let n = usize::try_from(csize).unwrap_or(9);
                    if n <= 8 {
                        src.read_exact_at(cbody, &mut b[..n], "Cluster Timestamp")?;
                        cluster_time = uint(&b[..n]).unwrap_or(0);
                    }
                }
                SIMPLE_BLOCK => {
                    let n = src.read_at(cbody, &mut head)?;
                    let n = n.min(usize::try_from(csize).unwrap_or(usize::MAX));
                    if let Some(b) = BlockHeader::parse(&head[..n]) {
                        let block = BlockRef {
                            header: b,
                            keyframe: b.flags & 0x80 != 0,
                            data_pos: cbody + u64::from(b.len),
                            data_len: csize.saturating_sub(u64::from(b.len)),
                            cluster_time,
                            duration: None,
                        };
                        if !f(block) {
                            return Ok(());
                        }
                    }
                }
                BLOCK_GROUP => {
                    let mut block = None;
                    let mut referenced = false;
                    let mut duration = None;
                    let mut q = cbody;
                    while q < cend {
                        let Some(g) = read_header_at(src, q)? else {
                            break;
                        };
                        let Some(gsize) = g.size else { break };
                        let gbody = q + g.header_len;
                        match g.id {
                            BLOCK => {
                                let n = src.read_at(gbody, &mut head)?;
                                let n = n.min(usize::try_from(gsize).unwrap_or(usize::MAX));
                                block = BlockHeader::parse(&head[..n]).map(|b| {
                                    (
                                        b,
                                        gbody + u64::from(b.len),
                                        gsize.saturating_sub(u64::from(b.len)),
                                    )
                                });
                            }
                            REFERENCE_BLOCK => referenced = true,
                            BLOCK_DURATION if gsize <= 8 => {
                                let mut b = [0u8; 8];
                                let n = usize::try_from(gsize).unwrap_or(0);
                                src.read_exact_at(gbody, &mut b[..n], "BlockDuration")?;
                                duration = uint(&b[..n]);
                            }
                            _ => {}
                        }
                        q = gbody.saturating_add(gsize);
                    }
                    if let Some((header, data_pos, data_len)) = block {
                        let block = BlockRef {
                            header,
                            keyframe: !referenced,
                            data_pos,
                            data_len,
                            cluster_time,
                            duration,
                        };
                        if !f(block) {
                            return Ok(());
                        }
                    }
                }
                _ => {}
            }
            p = cend;
        }
        // Both are ≥ body > pos, so the walk always advances.
        pos = if h.size.is_some() {
            cluster_end.max(body)
        } else {
            p
        };
    }
    Ok(())
}

/// How many blocks we look through for a track's first frame.
const FIRST_FRAME_SEARCH: usize = 256;

/// `vp09.PP.LL.DD` from the first VP9 frame of `track`: profile and bit depth
/// from its uncompressed header, level estimated from picture size and rate.
fn vp9_from_first_frame<R: Read + Seek>(
    src: &mut Source<R>,
    first_cluster: u64,
    seg_end: u64,
    track: &TrackInfo,
) -> Result<Option<String>, ProbeError> {
    let mut found = None;
    let mut seen = 0usize;
    walk_blocks(src, first_cluster, seg_end, &mut |b| {
        seen += 1;
        // Laced blocks start with lace sizes, not the frame; skip them.
        if b.header.track == track.id && b.header.flags & 0x06 == 0 {
            found = Some((b.data_pos, b.data_len));
            return false;
        }
        seen < FIRST_FRAME_SEARCH
    })?;
    let Some((pos, len)) = found else {
        return Ok(None);
    };
    let mut head = [0u8; 8];
    let n = src.read_at(pos, &mut head)?;
    let n = n.min(usize::try_from(len).unwrap_or(usize::MAX));
    let Some((profile, depth)) = codec::vp9_frame_profile(&head[..n]) else {
        return Ok(None);
    };
    let level = codec::vp9_level(
        track.width.unwrap_or(0),
        track.height.unwrap_or(0),
        track.frame_rate.unwrap_or(30.0),
    );
    Ok(Some(format!("vp09.{profile:02}.{level:02}.{depth:02}")))
}

/// Keyframes per track number.
fn count_keyframes<R: Read + Seek>(
    src: &mut Source<R>,
    first_cluster: u64,
    seg_end: u64,
) -> Result<HashMap<u64, u64>, ProbeError> {
    let mut counts: HashMap<u64, u64> = HashMap::new();
    walk_blocks(src, first_cluster, seg_end, &mut |b| {
        if b.keyframe {
            *counts.entry(b.header.track).or_default() += 1;
        }
        true
    })?;
    Ok(counts)
}

/// Segment Info.
#[derive(Debug, Default)]
pub(crate) struct Info {
    pub timecode_scale: u64,
    pub duration: Option<f64>,
}

impl Info {
    fn parse(data: &[u8]) -> Self {
        let mut i = Info {
            timecode_scale: 1_000_000,
            duration: None,
        };
        for (id, v) in Elements::new(data) {
            match id {
                TIMECODE_SCALE => {
                    if let Some(s) = uint(v).filter(|&s| s > 0) {
                        i.timecode_scale = s;
                    }
                }
                DURATION => i.duration = float(v).filter(|d| *d >= 0.0),
                _ => {}
            }
        }
        i
    }

    fn duration_ms(&self) -> Option<u64> {
        let d = self.duration? * self.timecode_scale as f64 / 1e6;
        // `as` saturates, so absurd values cannot wrap.
        (d.is_finite() && d > 0.0).then_some(d.round() as u64)
    }
}

/// One TrackEntry.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TrackEntry {
    pub number: u64,
    uid: Option<u64>,
    track_type: Option<u64>,
    default: bool,
    pub default_duration_ns: Option<u64>,
    name: Option<String>,
    language: String,
    language_bcp47: Option<String>,
    pub codec_id: String,
    pub codec_private: Vec<u8>,
    width: Option<u64>,
    height: Option<u64>,
    sampling_frequency: Option<f64>,
    output_sampling_frequency: Option<f64>,
    channels: Option<u64>,
    /// ContentEncodings present (compression or encryption): frames are not
    /// stored as the codec wrote them.
    pub encoded: bool,
}

impl Default for TrackEntry {
    fn default() -> Self {
        // Matroska's defaults: FlagDefault 1, Language "eng".
        TrackEntry {
            number: 0,
            uid: None,
            track_type: None,
            default: true,
            default_duration_ns: None,
            name: None,
            language: "eng".into(),
            language_bcp47: None,
            codec_id: String::new(),
            codec_private: Vec::new(),
            width: None,
            height: None,
            sampling_frequency: None,
            output_sampling_frequency: None,
            channels: None,
            encoded: false,
        }
    }
}

fn parse_tracks(data: &[u8]) -> Vec<TrackEntry> {
    let mut out = Vec::new();
    for (id, entry) in Elements::new(data) {
        if id != TRACK_ENTRY {
            continue;
        }
        let mut t = TrackEntry::default();
        for (id, v) in Elements::new(entry) {
            match id {
                TRACK_NUMBER => t.number = uint(v).unwrap_or(0),
                TRACK_UID => t.uid = uint(v),
                TRACK_TYPE => t.track_type = uint(v),
                FLAG_DEFAULT => t.default = uint(v).unwrap_or(1) != 0,
                DEFAULT_DURATION => t.default_duration_ns = uint(v).filter(|&d| d > 0),
                NAME => t.name = Some(string(v)).filter(|s| !s.is_empty()),
                LANGUAGE => t.language = string(v),
                LANGUAGE_BCP47 => t.language_bcp47 = Some(string(v)).filter(|s| !s.is_empty()),
                CODEC_ID => t.codec_id = string(v),
                CODEC_PRIVATE => t.codec_private = v.to_vec(),
                CONTENT_ENCODINGS => t.encoded = true,
                VIDEO => {
                    for (id, v) in Elements::new(v) {
                        match id {
                            PIXEL_WIDTH => t.width = uint(v),
                            PIXEL_HEIGHT => t.height = uint(v),
                            _ => {}
                        }
                    }
                }
                AUDIO => {
                    for (id, v) in Elements::new(v) {
                        match id {
                            SAMPLING_FREQUENCY => t.sampling_frequency = float(v),
                            OUTPUT_SAMPLING_FREQUENCY => t.output_sampling_frequency = float(v),
                            CHANNELS => t.channels = uint(v),
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        if t.number > 0 {
            out.push(t);
        }
    }
    out
}

/// Per-track statistics tags (DURATION, BPS) written by ffmpeg and mkvmerge.
#[derive(Debug, Default)]
struct TrackTags {
    /// TrackUID → (duration ms, bits per second).
    by_uid: HashMap<u64, (Option<u64>, Option<u64>)>,
}

impl TrackTags {
    fn parse(data: &[u8]) -> Self {
        let mut tags = TrackTags::default();
        for (id, tag) in Elements::new(data) {
            if id != TAG {
                continue;
            }
            let mut uids = Vec::new();
            let mut duration = None;
            let mut bps = None;
            for (id, v) in Elements::new(tag) {
                match id {
                    TARGETS => uids.extend(
                        Elements::new(v)
                            .filter(|(id, _)| *id == TAG_TRACK_UID)
                            .filter_map(|(_, v)| uint(v))
                            .take(64),
                    ),
                    SIMPLE_TAG => {
                        let mut name = String::new();
                        let mut value = String::new();
                        for (id, v) in Elements::new(v) {
                            match id {
                                TAG_NAME => name = string(v),
                                TAG_STRING => value = string(v),
                                _ => {}
                            }
                        }
                        match name.to_ascii_uppercase().as_str() {
                            "DURATION" => duration = parse_tag_duration(&value),
                            "BPS" => bps = value.parse::<u64>().ok(),
                            _ => {}
                        }
                    }
                    _ => {}
                }
            }
            for uid in uids {
                let e = tags.by_uid.entry(uid).or_default();
                e.0 = e.0.or(duration);
                e.1 = e.1.or(bps);
            }
        }
        tags
    }
}

/// "HH:MM:SS.nnnnnnnnn" → milliseconds.
fn parse_tag_duration(s: &str) -> Option<u64> {
    let mut parts = s.trim().splitn(3, ':');
    let h: u64 = parts.next()?.parse().ok()?;
    let m: u64 = parts.next()?.parse().ok()?;
    let sec = parts.next()?;
    let (whole, frac) = sec.split_once('.').unwrap_or((sec, ""));
    let whole: u64 = whole.parse().ok()?;
    let frac_ms = if frac.is_empty() {
        0
    } else {
        let digits: String = frac.chars().chain("000".chars()).take(3).collect();
        digits.parse::<u64>().ok()?
    };
    h.checked_mul(3_600_000)?
        .checked_add(m.checked_mul(60_000)?)?
        .checked_add(whole.checked_mul(1000)?)?
        .checked_add(frac_ms)
}

/// Short codec name for a Matroska CodecID; unknown IDs are kept as is.
fn codec_name(codec_id: &str) -> String {
    let name = match codec_id {
        "V_MPEG4/ISO/AVC" => "h264",
        "V_MPEGH/ISO/HEVC" => "hevc",
        "V_AV1" => "av1",
        "V_VP9" => "vp9",
        "V_VP8" => "vp8",
        "V_MPEG4/ISO/ASP" | "V_MPEG4/ISO/SP" | "V_MPEG4/ISO/AP" => "mpeg4",
        "V_MPEG2" => "mpeg2video",
        "V_MPEG1" => "mpeg1video",
        "V_THEORA" => "theora",
        "V_PRORES" => "prores",
        "V_MJPEG" => "mjpeg",
        "A_AC3" => "ac3",
        "A_EAC3" => "eac3",
        "A_OPUS" => "opus",
        "A_FLAC" => "flac",
        "A_MPEG/L3" => "mp3",
        "A_MPEG/L2" => "mp2",
        "A_VORBIS" => "vorbis",
        "A_TRUEHD" => "truehd",
        "A_ALAC" => "alac",
        "S_TEXT/UTF8" => "subrip",
        "S_TEXT/ASS" | "S_TEXT/SSA" | "S_ASS" | "S_SSA" => "ass",
        "S_TEXT/WEBVTT" | "D_WEBVTT/SUBTITLES" | "D_WEBVTT/CAPTIONS" | "D_WEBVTT/DESCRIPTIONS" => {
            "webvtt"
        }
        "S_HDMV/PGS" => "pgs",
        "S_VOBSUB" => "vobsub",
        "S_DVBSUB" => "dvb_subtitle",
        id if id.starts_with("A_AAC") => "aac",
        id if id.starts_with("A_DTS") => "dts",
        id if id.starts_with("A_PCM") => "pcm",
        id => return id.to_string(),
    };
    name.to_string()
}

/// RFC 6381 codec string from CodecID and CodecPrivate.
fn codec_string(t: &TrackEntry) -> Option<String> {
    let cp = t.codec_private.as_slice();
    match t.codec_id.as_str() {
        "V_MPEG4/ISO/AVC" => codec::avc_codec_string("avc1", cp),
        "V_MPEGH/ISO/HEVC" => codec::hevc_codec_string("hvc1", cp),
        "V_AV1" => codec::av1_codec_string(cp),
        "V_VP9" => codec::vp9_codec_string_from_features(cp),
        "V_VP8" => Some("vp8".into()),
        "A_AC3" => Some("ac-3".into()),
        "A_EAC3" => Some("ec-3".into()),
        "A_OPUS" => Some("opus".into()),
        "A_FLAC" => Some("fLaC".into()),
        "A_MPEG/L3" => Some("mp4a.6B".into()),
        "A_VORBIS" => Some("vorbis".into()),
        "S_TEXT/WEBVTT" => Some("wvtt".into()),
        id if id.starts_with("A_AAC") => {
            let asc = codec::parse_audio_specific_config(cp);
            Some(match (asc, id) {
                (Some(a), _) => codec::aac_codec_string(Some(&a)),
                // Legacy CodecIDs name the profile instead of carrying a config.
                (None, "A_AAC/MPEG4/MAIN" | "A_AAC/MPEG2/MAIN") => "mp4a.40.1".into(),
                (None, "A_AAC/MPEG4/LC/SBR" | "A_AAC/MPEG2/LC/SBR") => "mp4a.40.5".into(),
                (None, "A_AAC/MPEG4/SSR" | "A_AAC/MPEG2/SSR") => "mp4a.40.3".into(),
                (None, "A_AAC/MPEG4/LTP") => "mp4a.40.4".into(),
                (None, _) => "mp4a.40.2".into(),
            })
        }
        _ => None,
    }
}

fn build_track(
    t: &TrackEntry,
    tags: &TrackTags,
    keyframes: Option<&HashMap<u64, u64>>,
) -> TrackInfo {
    let kind = match t.track_type {
        Some(1) => TrackKind::Video,
        Some(2) => TrackKind::Audio,
        Some(0x11) => TrackKind::Subtitle,
        Some(_) => TrackKind::Other,
        None => match t.codec_id.get(..2) {
            Some("V_") => TrackKind::Video,
            Some("A_") => TrackKind::Audio,
            Some("S_") => TrackKind::Subtitle,
            _ => TrackKind::Other,
        },
    };
    let (tag_duration, tag_bps) = t
        .uid
        .and_then(|u| tags.by_uid.get(&u).copied())
        .unwrap_or_default();
    let codec = codec_name(&t.codec_id);
    let mut channels = t.channels.and_then(|c| u32::try_from(c).ok());
    let mut sample_rate = t
        .output_sampling_frequency
        .or(t.sampling_frequency)
        .filter(|f| *f > 0.0 && *f < 10_000_000.0)
        .map(|f| f.round() as u32);
    match codec.as_str() {
        "aac" => {
            if let Some(a) = codec::parse_audio_specific_config(&t.codec_private) {
                channels = channels.or(a.channels);
                sample_rate = sample_rate.or(a.sample_rate);
            }
        }
        "flac" => {
            if let Some((rate, ch)) = codec::flac_streaminfo(&t.codec_private) {
                channels = channels.or(Some(ch));
                sample_rate = sample_rate.or(Some(rate));
            }
        }
        "opus" => sample_rate = Some(48000),
        _ => {}
    }
    if kind != TrackKind::Audio {
        channels = None;
        sample_rate = None;
    } else if channels.is_none() {
        channels = Some(1); // Matroska's default for Channels
    }
    let language = t
        .language_bcp47
        .clone()
        .or_else(|| Some(t.language.clone()))
        .filter(|l| !l.is_empty() && l != "und");
    let visual = kind == TrackKind::Video;
    TrackInfo {
        id: t.number,
        kind,
        codec,
        codec_string: codec_string(t),
        language,
        name: t.name.clone(),
        default: t.default,
        width: t
            .width
            .filter(|_| visual)
            .and_then(|w| u32::try_from(w).ok()),
        height: t
            .height
            .filter(|_| visual)
            .and_then(|h| u32::try_from(h).ok()),
        frame_rate: t
            .default_duration_ns
            .filter(|_| visual)
            .map(|d| 1e9 / d as f64),
        channels,
        sample_rate,
        bitrate: tag_bps,
        duration_ms: tag_duration,
        keyframes: match keyframes {
            Some(k) if visual => Some(k.get(&t.number).copied().unwrap_or(0)),
            _ => None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// Encodes an element with a 1-byte (or 8-byte when large) size.
    fn el(id: u32, body: &[u8]) -> Vec<u8> {
        let mut v: Vec<u8> = id
            .to_be_bytes()
            .iter()
            .copied()
            .skip_while(|&b| b == 0)
            .collect();
        if body.len() < 127 {
            v.push(0x80 | body.len() as u8);
        } else {
            v.push(0x01);
            v.extend_from_slice(&(body.len() as u64).to_be_bytes()[1..]);
        }
        v.extend_from_slice(body);
        v
    }

    fn sample_file(unknown_cluster: bool) -> Vec<u8> {
        let ebml_header = el(EBML, &el(DOC_TYPE, b"webm"));
        let info = el(
            INFO,
            &[
                el(TIMECODE_SCALE, &[0x0f, 0x42, 0x40]),
                el(DURATION, &2500.0f64.to_be_bytes()),
            ]
            .concat(),
        );
        let video = el(
            TRACK_ENTRY,
            &[
                el(TRACK_NUMBER, &[1]),
                el(TRACK_TYPE, &[1]),
                el(CODEC_ID, b"V_VP9"),
                el(CODEC_PRIVATE, &[1, 1, 0, 2, 1, 10, 3, 1, 8]),
                el(DEFAULT_DURATION, &40_000_000u32.to_be_bytes()),
                el(
                    VIDEO,
                    &[el(PIXEL_WIDTH, &[0x01, 0x40]), el(PIXEL_HEIGHT, &[0xb4])].concat(),
                ),
            ]
            .concat(),
        );
        let audio = el(
            TRACK_ENTRY,
            &[
                el(TRACK_NUMBER, &[2]),
                el(TRACK_TYPE, &[2]),
                el(CODEC_ID, b"A_OPUS"),
                el(LANGUAGE, b"fra"),
                el(
                    AUDIO,
                    &[
                        el(CHANNELS, &[2]),
                        el(SAMPLING_FREQUENCY, &48000.0f32.to_be_bytes()),
                    ]
                    .concat(),
                ),
            ]
            .concat(),
        );
        let tracks = el(TRACKS, &[video, audio].concat());
        let blocks = [
            el(0xE7, &[0]),
            el(SIMPLE_BLOCK, &[0x81, 0, 0, 0x80, 9, 9, 9]),
            el(SIMPLE_BLOCK, &[0x82, 0, 0, 0x80, 9]),
            el(SIMPLE_BLOCK, &[0x81, 0, 40, 0x00, 9, 9]),
            el(BLOCK_GROUP, &el(BLOCK, &[0x81, 0, 80, 0, 9])),
            el(
                BLOCK_GROUP,
                &[
                    el(BLOCK, &[0x81, 0, 120, 0, 9]),
                    el(REFERENCE_BLOCK, &[0xd8]),
                ]
                .concat(),
            ),
        ]
        .concat();
        let cluster = if unknown_cluster {
            let mut c = vec![0x1F, 0x43, 0xB6, 0x75, 0xFF];
            c.extend_from_slice(&blocks);
            c
        } else {
            el(CLUSTER, &blocks)
        };
        let segment_body = [info, tracks, cluster.clone(), cluster].concat();
        let mut seg = vec![
            0x18, 0x53, 0x80, 0x67, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        ];
        seg.extend_from_slice(&segment_body);
        [ebml_header, seg].concat()
    }

    #[test]
    fn probes_a_hand_made_webm() {
        for unknown in [false, true] {
            let data = sample_file(unknown);
            let opts = ProbeOptions {
                count_keyframes: true,
            };
            let info = crate::probe(Cursor::new(data), opts).expect("probe");
            assert_eq!(info.container, Container::Webm);
            assert_eq!(info.duration_ms, 2500);
            assert_eq!(info.tracks.len(), 2);
            let v = &info.tracks[0];
            assert_eq!(v.codec, "vp9");
            assert_eq!(v.codec_string.as_deref(), Some("vp09.00.10.08"));
            assert_eq!((v.width, v.height), (Some(320), Some(180)));
            assert_eq!(v.frame_rate, Some(25.0));
            assert_eq!(v.language.as_deref(), Some("eng"));
            // Per cluster: one keyframe SimpleBlock + one BlockGroup without ReferenceBlock.
            assert_eq!(v.keyframes, Some(4), "unknown-size clusters: {unknown}");
            let a = &info.tracks[1];
            assert_eq!(a.kind, TrackKind::Audio);
            assert_eq!(a.codec_string.as_deref(), Some("opus"));
            assert_eq!(a.language.as_deref(), Some("fra"));
            assert_eq!((a.channels, a.sample_rate), (Some(2), Some(48000)));
            assert_eq!(a.keyframes, None);
        }
    }

    #[test]
    fn bad_files() {
        let probe = |data: Vec<u8>| crate::probe(Cursor::new(data), ProbeOptions::default());
        // Unknown DocType.
        let e = probe(el(EBML, &el(DOC_TYPE, b"mka2"))).unwrap_err();
        assert!(
            e.to_string()
                .contains("unsupported EBML document type 'mka2'"),
            "{e}"
        );
        // EBML header only, no Segment.
        let e = probe(el(EBML, &el(DOC_TYPE, b"matroska"))).unwrap_err();
        assert!(matches!(e, ProbeError::NoSegment), "{e}");
        // EBML header claiming more than the file holds.
        let mut data = el(EBML, &el(DOC_TYPE, b"webm"));
        data[4] = 0x80 | 0x7e;
        let e = probe(data).unwrap_err();
        assert!(matches!(e, ProbeError::Truncated { .. }), "{e}");
        // Tracks cut off by the end of the file.
        let mut data = sample_file(false);
        let tracks_at = data
            .windows(4)
            .position(|w| w == TRACKS.to_be_bytes())
            .expect("tracks");
        data.truncate(tracks_at + 10);
        let e = probe(data).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("truncated: Matroska Tracks element claims"),
            "{e}"
        );
        // Segment with no Tracks at all.
        let mut data = el(EBML, &el(DOC_TYPE, b"webm"));
        data.extend(el(SEGMENT, &el(INFO, &el(TIMECODE_SCALE, &[1]))));
        let e = probe(data).unwrap_err();
        assert!(matches!(e, ProbeError::NoSegment), "{e}");
    }

    #[test]
    fn block_headers() {
        assert_eq!(
            BlockHeader::parse(&[0x81, 0xff, 0xfe, 0x80]),
            Some(BlockHeader {
                track: 1,
                timecode: -2,
                flags: 0x80,
                len: 4
            })
        );
        assert_eq!(BlockHeader::parse(&[0x40, 0x81, 0, 0]), None);
        assert_eq!(BlockHeader::parse(&[0x00]), None);
    }

    #[test]
    fn tag_durations() {
        assert_eq!(parse_tag_duration("00:00:04.021000000"), Some(4021));
        assert_eq!(parse_tag_duration("01:02:03"), Some(3_723_000));
        assert_eq!(parse_tag_duration("0:0:1.5"), Some(1500));
        assert_eq!(parse_tag_duration("nope"), None);
        assert_eq!(parse_tag_duration("99999999999999:00:00"), None);
    }

    #[test]
    fn codec_names() {
        assert_eq!(codec_name("A_AAC/MPEG4/LC"), "aac");
        assert_eq!(codec_name("S_TEXT/ASS"), "ass");
        assert_eq!(codec_name("X_WEIRD"), "X_WEIRD");
    }
}
