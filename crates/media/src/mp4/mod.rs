//! ISO base media file format (MP4, MOV, M4V) probing.
//!
//! The file is walked box by box at the top level, reading only the 8–16 byte
//! headers and seeking over everything else (`mdat` in particular), so `moov`
//! is found whether it comes before or after the media data.  `moov` and each
//! `moof` are then read whole (they are small: kilobytes to a few megabytes)
//! and parsed from memory.
//!
//! Fragmented files carry an (almost) empty `moov` with an `mvex` box; their
//! per-track totals come from the `moof` fragments instead of the sample tables.
//! Every `moof` is read (each is a few KB; `mdat`s between them are still
//! skipped), because keyframe counts and, without `mehd`, durations need them.

mod boxes;
mod fragment;
pub(crate) mod index;
mod sample_entry;
mod stbl;

use std::collections::HashMap;
use std::io::{Read, Seek};

use boxes::{fourcc_str, parse_header, Boxes, Cursor, FourCc};
use fragment::{FragmentStats, Trex};
use sample_entry::SampleEntry;
use stbl::SampleTables;

use crate::source::Source;
use crate::{to_ms, Container, ProbeError, ProbeInfo, ProbeOptions, TrackInfo, TrackKind};

/// Largest `moov` we load.  Real ones are well under this even for long
/// movies (sample tables of a 3-hour film are a few MB); the cap exists so a
/// corrupt size cannot make us allocate gigabytes.
const MAX_MOOV: u64 = 256 << 20;
/// Largest `moof` we load.
const MAX_MOOF: u64 = 64 << 20;

/// Top-level box types that can start an ISO BMFF file.
const START_BOXES: [&FourCc; 12] = [
    b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot", b"styp", b"sidx", b"moof",
    b"uuid", b"pdin",
];

/// Whether the first bytes look like an ISO BMFF file.
pub(crate) fn looks_like(head: &[u8]) -> bool {
    head.get(4..8)
        .is_some_and(|t| START_BOXES.iter().any(|b| &b[..] == t))
}

/// Probes an ISO BMFF file.
/// Also answers the parsed `moov`, so that building the sample index does not
/// read and parse it a second time.
pub(crate) fn probe_movie<R: Read + Seek>(
    src: &mut Source<R>,
    _opts: ProbeOptions,
) -> Result<(ProbeInfo, Movie), ProbeError> {
    let len = src.len();
    let mut pos = 0u64;
    let mut major_brand: Option<FourCc> = None;
    let mut first_box: Option<FourCc> = None;
    let mut movie: Option<Movie> = None;
    let mut frag_stats: HashMap<u32, FragmentStats> = HashMap::new();

    while pos < len {
        let mut head = [0u8; 16];
        let n = src.read_at(pos, &mut head)?;
        let header = match parse_header(&head[..n], "the file") {
            Ok(Some(h)) => h,
            // Fewer than 8 bytes left: trailing padding, ignore.
            Ok(None) => break,
            // Garbage after a complete moov is tolerated (common with broken
            // tail writes); before it, the file is unusable.
            Err(e) if movie.is_some() => {
                let _ = e;
                break;
            }
            Err(e) => return Err(e),
        };
        let available = len - pos;
        let size = header.size.unwrap_or(available);
        let name = format!("'{}' box", fourcc_str(&header.typ));
        if first_box.is_none() {
            first_box = Some(header.typ);
        }
        if size > available {
            match &header.typ {
                // A cut-off media box after a complete moov still leaves a
                // (partly) playable file; anything else is an incomplete file.
                b"mdat" | b"free" | b"skip" | b"moof" if movie.is_some() => break,
                _ => {
                    return Err(ProbeError::Truncated {
                        what: name,
                        claimed: size,
                        available,
                    })
                }
            }
        }
        let body_pos = pos + header.header_len;
        let body_len = size - header.header_len;
        match &header.typ {
            b"ftyp" if major_brand.is_none() => {
                let mut b = [0u8; 4];
                if src.read_at(body_pos, &mut b)? == 4 && body_len >= 4 {
                    major_brand = Some(b);
                }
            }
            b"moov" if movie.is_none() => {
                let data = src.read_vec(body_pos, body_len, MAX_MOOV, &name)?;
                movie = Some(parse_moov(&data)?);
            }
            b"moof" => {
                // Fragments before the moov cannot be interpreted; skip them.
                if let Some(m) = &movie {
                    if m.fragmented {
                        let data = src.read_vec(body_pos, body_len, MAX_MOOF, &name)?;
                        FragmentStats::add_moof(&data, &m.trex, &mut frag_stats)?;
                    }
                }
            }
            _ => {}
        }
        // size ≥ header_len ≥ 8, so this always advances.
        pos = pos.saturating_add(size);
    }

    let mut movie = movie.ok_or(ProbeError::NoMoov)?;
    if movie.chapters.is_empty() {
        movie.chapters = chapter_track(src, &movie);
    }
    let container = match (major_brand, first_box) {
        (Some(b), _) if &b == b"qt  " => Container::Mov,
        (None, Some(_)) => Container::Mov, // classic QuickTime files have no ftyp
        _ => Container::Mp4,
    };
    let info = build_info(container, &movie, &frag_stats);
    Ok((info, movie))
}

/// What `moov` says.
#[derive(Debug, Default)]
pub(crate) struct Movie {
    pub timescale: u32,
    pub duration: u64,
    pub fragmented: bool,
    /// `mehd` fragment duration (movie timescale).
    pub fragment_duration: Option<u64>,
    pub trex: HashMap<u32, Trex>,
    pub tracks: Vec<Trak>,
    /// From `udta/chpl`.
    pub chapters: Vec<crate::Chapter>,
}

/// What one `trak` says.
#[derive(Debug, Default)]
pub(crate) struct Trak {
    pub id: u32,
    pub enabled: bool,
    /// `tkhd` duration, in the movie timescale (covers the edit list).
    pub tkhd_duration: u64,
    /// Sum of edit durations (movie timescale), when there is an edit list.
    pub edit_duration: Option<u64>,
    /// The first edit list: (empty-edit time before the first real edit, in the
    /// movie timescale; media_time of the first real edit, media timescale).
    pub first_edit: Option<(u64, i64)>,
    pub timescale: u32,
    pub media_duration: u64,
    pub language: Option<String>,
    pub handler: FourCc,
    pub handler_name: Option<String>,
    pub title: Option<String>,
    pub entry: Option<SampleEntry>,
    pub tables: SampleTables,
    /// `tref/chap`: the QuickTime chapter tracks this track points to.
    pub chapter_refs: Vec<u32>,
}

pub(crate) fn parse_moov(moov: &[u8]) -> Result<Movie, ProbeError> {
    let mut m = Movie::default();
    for child in Boxes::new(moov, "'moov'") {
        let (typ, p) = child?;
        match &typ {
            b"mvhd" => {
                let mut c = Cursor::new(p, "mvhd");
                let (v, _) = c.version_flags()?;
                if v == 1 {
                    c.skip(16)?;
                    m.timescale = c.u32()?;
                    m.duration = c.u64()?;
                } else {
                    c.skip(8)?;
                    m.timescale = c.u32()?;
                    m.duration = u64::from(c.u32()?);
                }
                // All-ones means "unknown" (common in fragmented files).
                if m.duration == u64::MAX || m.duration == u64::from(u32::MAX) {
                    m.duration = 0;
                }
            }
            b"mvex" => {
                m.fragmented = true;
                for child in Boxes::new(p, "'mvex'") {
                    let (typ, p) = child?;
                    match &typ {
                        b"mehd" => {
                            let mut c = Cursor::new(p, "mehd");
                            let (v, _) = c.version_flags()?;
                            let d = if v == 1 {
                                c.u64()?
                            } else {
                                u64::from(c.u32()?)
                            };
                            m.fragment_duration = (d > 0).then_some(d);
                        }
                        b"trex" => {
                            let (id, t) = fragment::parse_trex(p)?;
                            m.trex.insert(id, t);
                        }
                        _ => {}
                    }
                }
            }
            b"trak" => m.tracks.push(parse_trak(p)?),
            b"udta" => {
                if let Some(chpl) = Boxes::find(p, "'udta'", b"chpl") {
                    m.chapters = crate::chapters::parse_chpl(chpl);
                }
            }
            _ => {}
        }
    }
    // A QuickTime chapter track is a text track holding chapter titles, not subtitles: it is
    // told apart so that players are not offered it (the titles come from `chpl`, else from its
    // samples: `chapter_track`).
    let chapter_tracks: Vec<u32> = m
        .tracks
        .iter()
        .flat_map(|t| t.chapter_refs.clone())
        .collect();
    for t in m
        .tracks
        .iter_mut()
        .filter(|t| chapter_tracks.contains(&t.id))
    {
        t.handler = *b"chap";
    }
    Ok(m)
}

/// Largest chapter-track sample read (a title and its style boxes).
const MAX_CHAPTER_SAMPLE: u32 = 4096;

/// Chapters from a QuickTime chapter track, for files without `chpl`: each sample of the track is
/// one chapter's title, starting at the sample's time. Damage keeps the chapters read before it.
fn chapter_track<R: Read + Seek>(src: &mut Source<R>, movie: &Movie) -> Vec<crate::Chapter> {
    let Some(trak) = movie.tracks.iter().find(|t| &t.handler == b"chap") else {
        return Vec::new();
    };
    if trak.timescale == 0 {
        return Vec::new();
    }
    let Ok(samples) = index::table_samples(trak, src.len()) else {
        return Vec::new();
    };
    let offset = index::edit_offset(trak, movie.timescale);
    let mut out = Vec::new();
    for s in samples.iter().take(crate::chapters::MAX_CHAPTERS) {
        let mut buf = vec![0u8; s.size.min(MAX_CHAPTER_SAMPLE) as usize];
        let Ok(n) = src.read_at(s.offset, &mut buf) else {
            break;
        };
        let Some(start_ms) = to_ms(
            s.dts.saturating_add(offset).max(0) as u64,
            u64::from(trak.timescale),
        ) else {
            break;
        };
        out.push(crate::Chapter {
            start_ms,
            end_ms: None,
            title: crate::chapters::parse_chapter_sample(&buf[..n]),
        });
    }
    out
}

fn parse_trak(trak: &[u8]) -> Result<Trak, ProbeError> {
    let mut t = Trak::default();
    for child in Boxes::new(trak, "'trak'") {
        let (typ, p) = child?;
        match &typ {
            b"tkhd" => {
                let mut c = Cursor::new(p, "tkhd");
                let (v, flags) = c.version_flags()?;
                t.enabled = flags & 1 != 0;
                if v == 1 {
                    c.skip(16)?;
                    t.id = c.u32()?;
                    c.skip(4)?;
                    t.tkhd_duration = c.u64()?;
                } else {
                    c.skip(8)?;
                    t.id = c.u32()?;
                    c.skip(4)?;
                    t.tkhd_duration = u64::from(c.u32()?);
                }
                if t.tkhd_duration == u64::MAX || t.tkhd_duration == u64::from(u32::MAX) {
                    t.tkhd_duration = 0;
                }
            }
            b"edts" => {
                if let Some(elst) = Boxes::find(p, "'edts'", b"elst") {
                    t.edit_duration = parse_elst(elst)?;
                    t.first_edit = first_edit(elst)?;
                }
            }
            b"mdia" => parse_mdia(p, &mut t)?,
            b"udta" => {
                if let Some(name) = Boxes::find(p, "'udta'", b"name") {
                    t.title = clean_string(name);
                }
            }
            b"tref" => {
                if let Some(chap) = Boxes::find(p, "'tref'", b"chap") {
                    t.chapter_refs = chap.chunks_exact(4).map(boxes::be32).take(64).collect();
                }
            }
            _ => {}
        }
    }
    Ok(t)
}

/// Sum of edit segment durations (movie timescale), excluding nothing: empty
/// edits delay the track and so count towards its presentation length.
fn parse_elst(p: &[u8]) -> Result<Option<u64>, ProbeError> {
    let mut c = Cursor::new(p, "elst");
    let (v, _) = c.version_flags()?;
    let n = c.u32()?;
    let rec = if v == 1 { 20 } else { 12 };
    let mut total = 0u64;
    for r in c.table(n, rec)? {
        let d = if v == 1 {
            boxes::be64(r)
        } else {
            u64::from(boxes::be32(r))
        };
        total = total.saturating_add(d);
    }
    Ok((n > 0).then_some(total))
}

/// The presentation offset an edit list asks for: the empty edits (delays) in
/// front of the first real edit, and that edit's media_time.  Later edits
/// (rare outside editing tools) are not honoured by the packager.
fn first_edit(p: &[u8]) -> Result<Option<(u64, i64)>, ProbeError> {
    let mut c = Cursor::new(p, "elst");
    let (v, _) = c.version_flags()?;
    let n = c.u32()?;
    let rec = if v == 1 { 20 } else { 12 };
    let mut empty = 0u64;
    for r in c.table(n, rec)? {
        let (d, t) = if v == 1 {
            (boxes::be64(r), boxes::be64(&r[8..]) as i64)
        } else {
            (
                u64::from(boxes::be32(r)),
                i64::from(boxes::be32(&r[4..]) as i32),
            )
        };
        if t == -1 {
            empty = empty.saturating_add(d);
        } else {
            return Ok(Some((empty, t)));
        }
    }
    Ok(None)
}

fn parse_mdia(mdia: &[u8], t: &mut Trak) -> Result<(), ProbeError> {
    let mut stbl = None;
    for child in Boxes::new(mdia, "'mdia'") {
        let (typ, p) = child?;
        match &typ {
            b"mdhd" => {
                let mut c = Cursor::new(p, "mdhd");
                let (v, _) = c.version_flags()?;
                if v == 1 {
                    c.skip(16)?;
                    t.timescale = c.u32()?;
                    t.media_duration = c.u64()?;
                } else {
                    c.skip(8)?;
                    t.timescale = c.u32()?;
                    t.media_duration = u64::from(c.u32()?);
                }
                if t.media_duration == u64::MAX || t.media_duration == u64::from(u32::MAX) {
                    t.media_duration = 0;
                }
                t.language = decode_language(c.u16()?);
            }
            b"hdlr" => {
                let mut c = Cursor::new(p, "hdlr");
                c.version_flags()?;
                c.skip(4)?;
                let h = c.bytes(4)?;
                t.handler = [h[0], h[1], h[2], h[3]];
                c.skip(12)?;
                t.handler_name = handler_name(c.rest());
            }
            b"minf" => stbl = Boxes::find(p, "'minf'", b"stbl"),
            _ => {}
        }
    }
    if let Some(stbl) = stbl {
        t.tables = SampleTables::parse(stbl)?;
        if let Some(stsd) = Boxes::find(stbl, "'stbl'", b"stsd") {
            t.entry = sample_entry::parse_stsd(stsd)?;
        }
    }
    Ok(())
}

/// `mdhd` language: ISO 639-2/T packed as three 5-bit letters, or (QuickTime)
/// a Macintosh language code below 0x400.  "und" and unknown codes are `None`.
fn decode_language(code: u16) -> Option<String> {
    if code < 0x400 {
        const MAC: [&str; 24] = [
            "eng", "fra", "deu", "ita", "nld", "swe", "spa", "dan", "por", "nor", "heb", "jpn",
            "ara", "fin", "ell", "isl", "mlt", "tur", "hrv", "zho", "urd", "hin", "tha", "kor",
        ];
        return MAC.get(usize::from(code)).map(|s| s.to_string());
    }
    let chars: Vec<u8> = [(code >> 10) & 0x1f, (code >> 5) & 0x1f, code & 0x1f]
        .iter()
        .map(|&c| (c as u8).wrapping_add(0x60))
        .collect();
    if !chars.iter().all(u8::is_ascii_lowercase) {
        return None;
    }
    let s = String::from_utf8(chars).ok()?;
    (s != "und").then_some(s)
}

/// The `hdlr` name, unless it is a muxer's boilerplate ("SoundHandler",
/// "Core Media Video", ...), which says nothing about the track.
fn handler_name(raw: &[u8]) -> Option<String> {
    // QuickTime writes a Pascal string (length byte first), ISO a C string.
    let raw = match raw.split_first() {
        Some((&n, rest)) if usize::from(n) == rest.len() && n > 0 => rest,
        _ => raw,
    };
    let s = clean_string(raw)?;
    const BOILERPLATE: [&str; 8] = [
        "Core Media",
        "GPAC",
        "L-SMASH",
        "Apple ",
        "Mainconcept",
        "ISO Media",
        "Bento4",
        "Lavf",
    ];
    if s.ends_with("Handler") || BOILERPLATE.iter().any(|b| s.starts_with(b)) {
        return None;
    }
    Some(s)
}

/// Trims NULs and whitespace; `None` when nothing is left.
fn clean_string(raw: &[u8]) -> Option<String> {
    let end = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
    let s = String::from_utf8_lossy(&raw[..end]).trim().to_string();
    (!s.is_empty()).then_some(s)
}

pub(crate) fn kind_of(handler: &FourCc) -> TrackKind {
    match handler {
        b"vide" => TrackKind::Video,
        b"soun" => TrackKind::Audio,
        // `subp`: VobSub pictures (`mp4s`), shown only burnt in.
        b"sbtl" | b"subt" | b"text" | b"clcp" | b"subp" => TrackKind::Subtitle,
        _ => TrackKind::Other,
    }
}

fn build_info(
    container: Container,
    movie: &Movie,
    frags: &HashMap<u32, FragmentStats>,
) -> ProbeInfo {
    let movie_ts = u64::from(movie.timescale);
    let mut tracks = Vec::with_capacity(movie.tracks.len());
    let mut longest = 0u64;
    for t in &movie.tracks {
        let kind = kind_of(&t.handler);
        let ts = u64::from(t.timescale);
        let frag = frags.get(&t.id);
        // Duration: the edit list (what players present) when there is one and it
        // is non-zero, else the media duration, else the fragments' sum.
        let media_ms = to_ms(t.media_duration, ts).filter(|&d| d > 0);
        let duration_ms = t
            .edit_duration
            .filter(|&d| d > 0)
            .and_then(|d| to_ms(d, movie_ts))
            .or(media_ms)
            .or_else(|| to_ms(t.tkhd_duration, movie_ts).filter(|&d| d > 0))
            .or_else(|| to_ms(t.tables.total_duration(), ts).filter(|&d| d > 0))
            .or_else(|| frag.and_then(|f| to_ms(f.duration, ts)).filter(|&d| d > 0));
        let (samples, sync, bytes, delta) = match frag {
            Some(f) if movie.fragmented && t.tables.samples() == 0 => {
                (f.samples, f.sync_samples, f.bytes, f.dominant_delta())
            }
            _ => (
                t.tables.samples(),
                t.tables.sync_samples(),
                t.tables.total_bytes(),
                t.tables.dominant_delta(),
            ),
        };
        let entry = t.entry.clone().unwrap_or_default();
        let frame_rate = match (kind, delta) {
            (TrackKind::Video, Some(d)) if ts > 0 => Some(ts as f64 / f64::from(d)),
            _ => None,
        };
        let bitrate = entry.bitrate.or_else(|| match duration_ms {
            Some(ms) if ms > 0 && bytes > 0 => Some(bytes.saturating_mul(8000) / ms),
            _ => None,
        });
        longest = longest.max(duration_ms.unwrap_or(0));
        let codec = if entry.codec.is_empty() {
            fourcc_str(&entry.format)
        } else {
            entry.codec
        };
        tracks.push(TrackInfo {
            id: u64::from(t.id),
            kind,
            codec,
            codec_string: entry.codec_string,
            language: t.language.clone(),
            name: t.title.clone().or_else(|| t.handler_name.clone()),
            default: t.enabled,
            width: entry.width,
            height: entry.height,
            frame_rate,
            channels: entry.channels,
            sample_rate: entry.sample_rate,
            bitrate,
            duration_ms,
            keyframes: (kind == TrackKind::Video && samples > 0).then_some(sync),
        });
    }
    let duration_ms = to_ms(movie.duration, movie_ts)
        .filter(|&d| d > 0)
        .or_else(|| {
            movie
                .fragment_duration
                .and_then(|d| to_ms(d, movie_ts))
                .filter(|&d| d > 0)
        })
        .unwrap_or(longest);
    ProbeInfo {
        container,
        duration_ms,
        bitrate: None,
        tracks,
        chapters: crate::chapters::finish(movie.chapters.clone(), duration_ms),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages() {
        // "eng" = (5,14,7) → 0b00101_01110_00111
        assert_eq!(decode_language(0x15c7).as_deref(), Some("eng"));
        assert_eq!(
            decode_language(0x55c4),
            Some("und".into()).filter(|_| false)
        );
        assert_eq!(decode_language(0).as_deref(), Some("eng"));
        assert_eq!(decode_language(0x7fff), None);
        assert_eq!(decode_language(0x3ff), None);
    }

    #[test]
    fn handler_names() {
        assert_eq!(handler_name(b"SoundHandler\0"), None);
        assert_eq!(handler_name(b"\x0cCore Media Video"), None);
        assert_eq!(handler_name(b"Commentary\0").as_deref(), Some("Commentary"));
        assert_eq!(handler_name(b"\x05Hello").as_deref(), Some("Hello"));
        assert_eq!(handler_name(b""), None);
    }

    #[test]
    fn detection() {
        assert!(looks_like(b"\0\0\0\x20ftypisom"));
        assert!(looks_like(b"\0\0\0\x08free"));
        assert!(!looks_like(b"\0\0\0\x08fre"));
        assert!(!looks_like(b"<html>"));
    }
}
