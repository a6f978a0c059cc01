//! Text subtitles to WebVTT: sidecar SRT, ASS/SSA and WebVTT files, and the
//! text tracks embedded in MP4 (`tx3g` mov_text, `wvtt`) and Matroska
//! (`S_TEXT/UTF8`, `S_TEXT/ASS`, `S_TEXT/SSA`, `S_TEXT/WEBVTT`).
//!
//! Browsers and HLS/DASH players take WebVTT only, so every source becomes a
//! list of [`Cue`]s whose text is already valid WebVTT cue payload (styling
//! reduced to `<b>`, `<i>`, `<u>`; everything else escaped), and
//! [`to_webvtt`] writes the file.  The parsers are forgiving — real subtitle
//! files are hand-edited, mis-numbered and in legacy encodings — and never
//! panic: a line they cannot read is skipped, not fatal.
//!
//! Image subtitles (PGS, VobSub, DVB) have no text to convert.

use std::fmt::Write as _;
use std::io::{Read, Seek};

use crate::index::TrackIndex;
use crate::source::Source;
use crate::ProbeError;

/// One cue: times in milliseconds of presentation time, text as WebVTT payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cue {
    pub start_ms: u64,
    pub end_ms: u64,
    /// WebVTT cue settings (`line:0 align:start`), kept from WebVTT sources.
    pub settings: String,
    /// Cue payload: escaped text with `<b>`, `<i>`, `<u>` (and, from WebVTT
    /// sources, the other WebVTT tags); lines joined by `\n`, never blank.
    pub text: String,
}

/// A sidecar subtitle file's format, from its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubtitleFormat {
    Srt,
    Ass,
    WebVtt,
}

impl SubtitleFormat {
    /// `srt`, `ass`/`ssa`, `vtt`/`webvtt` (any case).
    pub fn from_extension(ext: &str) -> Option<SubtitleFormat> {
        match ext.to_ascii_lowercase().as_str() {
            "srt" => Some(SubtitleFormat::Srt),
            "ass" | "ssa" => Some(SubtitleFormat::Ass),
            "vtt" | "webvtt" => Some(SubtitleFormat::WebVtt),
            _ => None,
        }
    }
}

/// Largest sidecar file or embedded sample we convert: a feature film's SRT
/// is 50–150 KB; anything past this is not a subtitle file.
pub const MAX_SUBTITLE_BYTES: usize = 16 * 1024 * 1024;
/// Largest single embedded subtitle sample we read.
const MAX_SAMPLE_BYTES: u32 = 64 * 1024;

/// Decodes subtitle bytes to text: a BOM decides (UTF-8, UTF-16LE/BE); else
/// UTF-8 when valid; else Windows-1252, the usual encoding of old SRT files.
pub fn decode_text(bytes: &[u8]) -> String {
    if let Some((enc, _)) = encoding_rs::Encoding::for_bom(bytes) {
        return enc.decode_with_bom_removal(bytes).0.into_owned();
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => encoding_rs::WINDOWS_1252.decode(bytes).0.into_owned(),
    }
}

/// Parses a sidecar file of the given format.
pub fn parse(format: SubtitleFormat, bytes: &[u8]) -> Vec<Cue> {
    let text = decode_text(bytes);
    let mut cues = match format {
        SubtitleFormat::Srt => parse_srt(&text),
        SubtitleFormat::Ass => parse_ass(&text),
        SubtitleFormat::WebVtt => parse_vtt(&text),
    };
    sort_cues(&mut cues);
    cues
}

/// Writes cues as a WebVTT file.
pub fn to_webvtt(cues: &[Cue]) -> String {
    let mut out = String::with_capacity(cues.len() * 64 + 16);
    out.push_str("WEBVTT\n");
    for c in cues {
        out.push('\n');
        let _ = write!(
            out,
            "{} --> {}",
            vtt_time(c.start_ms),
            vtt_time(c.end_ms.max(c.start_ms))
        );
        if !c.settings.is_empty() {
            out.push(' ');
            out.push_str(&c.settings);
        }
        out.push('\n');
        out.push_str(&c.text);
        out.push('\n');
    }
    out
}

fn vtt_time(ms: u64) -> String {
    let (h, m, s, f) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
    format!("{h:02}:{m:02}:{s:02}.{f:03}")
}

/// Stable sort by start time, then drops cues with no text or no duration.
fn sort_cues(cues: &mut Vec<Cue>) {
    cues.retain(|c| !c.text.is_empty() && c.end_ms > c.start_ms);
    cues.sort_by_key(|c| c.start_ms);
}

// ---- timestamps ---------------------------------------------------------------

/// Reads `[[H:]M:]S[.,]fraction` (SRT, WebVTT and ASS spellings) as milliseconds.
fn parse_time(s: &str) -> Option<u64> {
    let s = s.trim();
    let (whole, frac) = match s.find(['.', ',']) {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => (s, ""),
    };
    let mut secs: u64 = 0;
    let mut parts = 0;
    for p in whole.split(':') {
        parts += 1;
        if parts > 3 || p.is_empty() || p.len() > 6 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        secs = secs.checked_mul(60)?.checked_add(p.parse::<u64>().ok()?)?;
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) || frac.len() > 9 {
        return None;
    }
    // ".5" is 500 ms, ".05" (ASS centiseconds) 50 ms, ".005" 5 ms.
    let mut ms = 0u64;
    for (i, b) in frac.bytes().take(3).enumerate() {
        ms += u64::from(b - b'0') * [100, 10, 1][i];
    }
    secs.checked_mul(1000)?.checked_add(ms)
}

/// `start --> end [settings]`.
fn parse_timing_line(line: &str) -> Option<(u64, u64, &str)> {
    let (a, rest) = line.split_once("-->")?;
    let rest = rest.trim_start();
    let (b, settings) = match rest.find(char::is_whitespace) {
        Some(i) => (&rest[..i], rest[i..].trim()),
        None => (rest, ""),
    };
    Some((parse_time(a)?, parse_time(b)?, settings))
}

// ---- text to WebVTT payload ---------------------------------------------------

/// Named entities WebVTT knows; any other `&` is escaped.
const ENTITIES: [&str; 6] = ["&amp;", "&lt;", "&gt;", "&nbsp;", "&lrm;", "&rlm;"];

/// Converts SRT-style text (HTML-ish tags, sometimes ASS `{\…}` overrides) to
/// a WebVTT payload: `<b>`, `<i>`, `<u>` kept, other tags and overrides
/// dropped, `&`/`<`/`>` escaped, blank lines removed.
pub(crate) fn srt_text_to_vtt(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut open: Vec<char> = Vec::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        match c {
            '<' => {
                if let Some(end) = rest.find('>') {
                    let tag = rest[1..end].trim().to_ascii_lowercase();
                    let (closing, name) = match tag.strip_prefix('/') {
                        Some(n) => (true, n.trim()),
                        None => (false, tag.as_str()),
                    };
                    let name = name.split_whitespace().next().unwrap_or("");
                    if let Some(k @ ('b' | 'i' | 'u')) = single_char(name) {
                        if closing {
                            if open.contains(&k) {
                                close_tag(&mut out, &mut open, k);
                            }
                        } else if !open.contains(&k) {
                            open.push(k);
                            let _ = write!(out, "<{k}>");
                        }
                    } else if name == "br" {
                        out.push('\n');
                    }
                    rest = &rest[end + 1..];
                } else {
                    out.push_str("&lt;");
                    rest = &rest[1..];
                }
            }
            '{' if rest.starts_with("{\\") => match rest.find('}') {
                Some(end) => rest = &rest[end + 1..],
                None => {
                    out.push('{');
                    rest = &rest[1..];
                }
            },
            _ => {
                push_escaped(&mut out, c, rest);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    while let Some(k) = open.pop() {
        let _ = write!(out, "</{k}>");
    }
    tidy_lines(&out)
}

fn single_char(s: &str) -> Option<char> {
    let mut it = s.chars();
    let c = it.next()?;
    it.next().is_none().then_some(c)
}

/// Closes `k` and re-opens anything opened after it, so tags always nest.
fn close_tag(out: &mut String, open: &mut Vec<char>, k: char) {
    let Some(pos) = open.iter().rposition(|&o| o == k) else {
        return;
    };
    let reopen: Vec<char> = open.drain(pos..).skip(1).collect();
    for o in reopen.iter().rev() {
        let _ = write!(out, "</{o}>");
    }
    let _ = write!(out, "</{k}>");
    for o in reopen {
        let _ = write!(out, "<{o}>");
        open.push(o);
    }
}

fn push_escaped(out: &mut String, c: char, rest: &str) {
    match c {
        '&' if ENTITIES.iter().any(|e| rest.starts_with(e)) || numeric_entity(rest) => {
            out.push('&')
        }
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '\r' => {}
        c => out.push(c),
    }
}

fn numeric_entity(s: &str) -> bool {
    let Some(body) = s.strip_prefix("&#") else {
        return false;
    };
    let end = body.find(';').unwrap_or(usize::MAX);
    end > 0
        && end <= 8
        && body[..end]
            .trim_start_matches(['x', 'X'])
            .bytes()
            .all(|b| b.is_ascii_hexdigit())
}

/// Trims each line, drops blank ones (a blank line would end the cue) and
/// defuses a literal `-->`.
fn tidy_lines(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| l.replace("-->", "--&gt;"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Converts ASS dialogue text: `\N` line breaks, `\h` hard spaces, override
/// blocks mapped to `<b>`/`<i>`/`<u>` where they say so and dropped otherwise,
/// drawings (`\p1`) removed.
pub(crate) fn ass_text_to_vtt(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut open: Vec<char> = Vec::new();
    let mut drawing = false;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c == '{' {
            let Some(end) = rest.find('}') else {
                rest = &rest[1..];
                continue;
            };
            for tag in rest[1..end].split('\\').skip(1) {
                let tag = tag.trim();
                let (name, value) = tag.split_at(
                    tag.find(|ch: char| !ch.is_ascii_alphabetic())
                        .unwrap_or(tag.len()),
                );
                match name {
                    "b" | "i" | "u" => {
                        let k = name.chars().next().unwrap_or('b');
                        let on = matches!(value.parse::<u32>(), Ok(v) if v == 1 || v >= 400);
                        if on && !open.contains(&k) {
                            open.push(k);
                            let _ = write!(out, "<{k}>");
                        } else if !on && open.contains(&k) {
                            close_tag(&mut out, &mut open, k);
                        }
                    }
                    "p" => drawing = value.parse::<u32>().unwrap_or(0) > 0,
                    "r" => {
                        while let Some(k) = open.pop() {
                            let _ = write!(out, "</{k}>");
                        }
                    }
                    _ => {}
                }
            }
            rest = &rest[end + 1..];
            continue;
        }
        if c == '\\' {
            match rest[1..].chars().next() {
                Some('N') | Some('n') => {
                    out.push('\n');
                    rest = &rest[2..];
                    continue;
                }
                Some('h') => {
                    if !drawing {
                        out.push('\u{a0}');
                    }
                    rest = &rest[2..];
                    continue;
                }
                _ => {}
            }
        }
        if !drawing {
            push_escaped(&mut out, c, rest);
        }
        rest = &rest[c.len_utf8()..];
    }
    while let Some(k) = open.pop() {
        let _ = write!(out, "</{k}>");
    }
    tidy_lines(&out)
}

/// Keeps a WebVTT payload (its tags are already WebVTT), removing blank
/// lines and stray `-->`.
fn vtt_payload(text: &str) -> String {
    tidy_lines(text)
}

// ---- SRT ----------------------------------------------------------------------

/// SubRip: blocks of an optional counter, a timing line and text lines.
/// Tolerates missing counters, `.` for `,`, missing blank lines before a
/// counter, and text after the last timing line without a trailing newline.
pub fn parse_srt(text: &str) -> Vec<Cue> {
    let mut cues = Vec::new();
    let mut current: Option<(u64, u64, Vec<&str>)> = None;
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim_end_matches('\r');
        if let Some((start, end, _)) = parse_timing_line(line) {
            if let Some((s, e, body)) = current.take() {
                push_srt(&mut cues, s, e, &body);
            }
            current = Some((start, end, Vec::new()));
        } else if let Some((_, _, body)) = current.as_mut() {
            // A counter line followed by a timing line starts the next cue.
            let is_counter = line.trim().bytes().all(|b| b.is_ascii_digit())
                && !line.trim().is_empty()
                && lines
                    .get(i + 1)
                    .is_some_and(|n| parse_timing_line(n).is_some());
            if !is_counter {
                body.push(line);
            }
        }
        i += 1;
    }
    if let Some((s, e, body)) = current {
        push_srt(&mut cues, s, e, &body);
    }
    cues
}

fn push_srt(cues: &mut Vec<Cue>, start: u64, end: u64, body: &[&str]) {
    let text = srt_text_to_vtt(&body.join("\n"));
    cues.push(Cue {
        start_ms: start,
        end_ms: end,
        settings: String::new(),
        text,
    });
}

// ---- ASS / SSA ----------------------------------------------------------------

/// Advanced SubStation Alpha: the `Dialogue:` lines of `[Events]`, with the
/// field order its `Format:` line gives (the standard order when absent).
pub fn parse_ass(text: &str) -> Vec<Cue> {
    const STANDARD: [&str; 10] = [
        "layer", "start", "end", "style", "name", "marginl", "marginr", "marginv", "effect", "text",
    ];
    let mut in_events = false;
    let mut format: Vec<String> = STANDARD.iter().map(|s| s.to_string()).collect();
    let mut cues = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_events = line.eq_ignore_ascii_case("[events]");
            continue;
        }
        if !in_events {
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        if key.eq_ignore_ascii_case("format") {
            format = value
                .split(',')
                .map(|f| f.trim().to_ascii_lowercase())
                .collect();
            continue;
        }
        if !key.eq_ignore_ascii_case("dialogue") {
            continue;
        }
        // Text is the last field and may itself contain commas.
        let fields: Vec<&str> = value.splitn(format.len().max(1), ',').collect();
        let field = |name: &str| {
            format
                .iter()
                .position(|f| f == name)
                .and_then(|i| fields.get(i))
                .map(|s| s.trim())
        };
        let (Some(start), Some(end), Some(body)) = (
            field("start").and_then(parse_time),
            field("end").and_then(parse_time),
            format
                .iter()
                .position(|f| f == "text")
                .and_then(|i| fields.get(i)),
        ) else {
            continue;
        };
        cues.push(Cue {
            start_ms: start,
            end_ms: end,
            settings: String::new(),
            text: ass_text_to_vtt(body),
        });
    }
    cues
}

// ---- WebVTT -------------------------------------------------------------------

/// WebVTT: cues kept with their settings; NOTE, STYLE and REGION blocks and
/// cue identifiers dropped.
pub fn parse_vtt(text: &str) -> Vec<Cue> {
    let mut cues = Vec::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let line = line.trim_end_matches('\r');
        let Some((start, end, settings)) = parse_timing_line(line) else {
            continue;
        };
        let mut body = Vec::new();
        while let Some(next) = lines.peek() {
            let next = next.trim_end_matches('\r');
            if next.trim().is_empty() {
                break;
            }
            body.push(next);
            lines.next();
        }
        cues.push(Cue {
            start_ms: start,
            end_ms: end,
            settings: settings.to_string(),
            text: vtt_payload(&body.join("\n")),
        });
    }
    cues
}

/// Why a subtitle track with this codec cannot be shown as text.
pub(crate) fn not_text_reason(codec: &str) -> String {
    let image = match codec {
        "pgs" | "hdmv_pgs_subtitle" => Some("PGS (Blu-ray)"),
        "vobsub" | "dvd_subtitle" => Some("VobSub (DVD)"),
        "dvb_subtitle" => Some("DVB"),
        _ => None,
    };
    match image {
        Some(name) => format!(
            "{name} subtitles are pictures, not text: they cannot be converted to WebVTT and need burning into the video (transcoding)"
        ),
        None => format!("subtitles in '{codec}' cannot be converted to WebVTT"),
    }
}

// ---- embedded tracks ----------------------------------------------------------

/// The text of one embedded subtitle sample, as a WebVTT payload; `None` for
/// an empty sample (MP4 uses them for gaps) or one it cannot read.
pub fn sample_text(codec: &str, data: &[u8]) -> Option<(String, String)> {
    let (text, settings) = match codec {
        "mov_text" => {
            // 16-bit length, the text, then modifier boxes: `styl` gives bold,
            // italic and underline runs.
            let len = usize::from(u16::from_be_bytes([*data.first()?, *data.get(1)?]));
            let raw = data.get(2..2 + len)?;
            let styles = boxes(data.get(2 + len..).unwrap_or_default())
                .find(|(t, _)| t == b"styl")
                .map(|(_, body)| tx3g_styles(body))
                .unwrap_or_default();
            (tx3g_text_to_vtt(&decode_text(raw), &styles), String::new())
        }
        "subrip" => (srt_text_to_vtt(&decode_text(data)), String::new()),
        // Matroska ASS blocks: ReadOrder, Layer, Style, Name, MarginL, MarginR,
        // MarginV, Effect, Text — the text follows the eighth comma.
        "ass" => {
            let s = decode_text(data);
            let body = s.splitn(9, ',').nth(8)?;
            (ass_text_to_vtt(body), String::new())
        }
        "webvtt" if data.get(4..8) == Some(b"vttc") || data.get(4..8) == Some(b"vtte") => {
            wvtt_sample(data)?
        }
        "webvtt" => (vtt_payload(&decode_text(data)), String::new()),
        _ => return None,
    };
    (!text.is_empty()).then_some((text, settings))
}

/// `styl` records (3GPP TS 26.245): character range and face flags
/// (1 bold, 2 italic, 4 underline).
fn tx3g_styles(body: &[u8]) -> Vec<(usize, usize, u8)> {
    let count = body
        .get(0..2)
        .map_or(0, |b| usize::from(u16::from_be_bytes([b[0], b[1]])));
    body.get(2..)
        .unwrap_or_default()
        .chunks_exact(12)
        .take(count)
        .map(|r| {
            let start = usize::from(u16::from_be_bytes([r[0], r[1]]));
            let end = usize::from(u16::from_be_bytes([r[2], r[3]]));
            (start, end, r[6] & 7)
        })
        .collect()
}

/// Applies `styl` runs (character offsets) as `<b>`/`<i>`/`<u>` around the
/// escaped text.
fn tx3g_text_to_vtt(text: &str, styles: &[(usize, usize, u8)]) -> String {
    if styles.iter().all(|s| s.2 == 0) {
        return srt_text_to_vtt(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut open: Vec<char> = Vec::new();
    let mut rest = text;
    let mut pos = 0usize;
    while let Some(c) = rest.chars().next() {
        let flags = styles
            .iter()
            .filter(|s| s.0 <= pos && pos < s.1)
            .fold(0u8, |acc, s| acc | s.2);
        for (bit, k) in [(1u8, 'b'), (2, 'i'), (4, 'u')] {
            if flags & bit == 0 && open.contains(&k) {
                close_tag(&mut out, &mut open, k);
            }
        }
        for (bit, k) in [(1u8, 'b'), (2, 'i'), (4, 'u')] {
            if flags & bit != 0 && !open.contains(&k) {
                open.push(k);
                let _ = write!(out, "<{k}>");
            }
        }
        push_escaped(&mut out, c, rest);
        rest = &rest[c.len_utf8()..];
        pos += 1;
    }
    while let Some(k) = open.pop() {
        let _ = write!(out, "</{k}>");
    }
    tidy_lines(&out)
}

/// An ISO-BMFF WebVTT sample: `vttc` boxes holding `payl` (text) and `sttg`
/// (settings); `vtte` means no cue.  Overlapping cues share one sample: their
/// texts are joined.
fn wvtt_sample(data: &[u8]) -> Option<(String, String)> {
    let mut texts = Vec::new();
    let mut settings = String::new();
    for (typ, body) in boxes(data) {
        if &typ != b"vttc" {
            continue;
        }
        for (inner, payload) in boxes(body) {
            match &inner {
                b"payl" => texts.push(vtt_payload(&decode_text(payload))),
                b"sttg" if settings.is_empty() => {
                    settings = decode_text(payload).trim().to_string();
                }
                _ => {}
            }
        }
    }
    let text = texts.join("\n");
    (!text.is_empty()).then_some((text, settings))
}

/// Iterates plain 32-bit-size boxes; stops at the first damaged header.
fn boxes(mut data: &[u8]) -> impl Iterator<Item = ([u8; 4], &[u8])> {
    std::iter::from_fn(move || {
        let size = u32::from_be_bytes(data.get(0..4)?.try_into().ok()?) as usize;
        let typ: [u8; 4] = data.get(4..8)?.try_into().ok()?;
        if size < 8 {
            return None;
        }
        let body = data.get(8..size)?;
        data = &data[size..];
        Some((typ, body))
    })
}

/// Reads an embedded text subtitle track's samples from the file and
/// converts them to cues.  `track` must come from [`crate::build_index`] of
/// the same file and be a text subtitle track
/// ([`TrackIndex::is_text_subtitle`]).
pub fn read_embedded<R: Read + Seek>(
    reader: R,
    track: &TrackIndex,
) -> Result<Vec<Cue>, ProbeError> {
    let mut src = Source::new(reader)?;
    let ts = u64::from(track.timescale.max(1));
    let to_ms = |t: i64| u64::try_from(t).unwrap_or(0).saturating_mul(1000) / ts;
    let mut cues = Vec::with_capacity(track.samples.len());
    let mut buf = Vec::new();
    let samples = &track.samples;
    for (i, s) in samples.iter().enumerate() {
        if s.size == 0 || s.size > MAX_SAMPLE_BYTES {
            continue;
        }
        buf.resize(s.size as usize, 0);
        let n = src.read_at(s.offset, &mut buf)?;
        let Some((text, settings)) = sample_text(&track.codec, &buf[..n]) else {
            continue;
        };
        let start = s.pts();
        let mut end = start.saturating_add(i64::from(s.duration));
        if s.duration == 0 {
            // No duration stored: until the next cue, at most 5 s.
            let next = samples.get(i + 1).map_or(i64::MAX, |x| x.pts());
            end = next.min(start.saturating_add(5 * ts as i64));
        }
        cues.push(Cue {
            start_ms: to_ms(start),
            end_ms: to_ms(end),
            settings,
            text,
        });
    }
    sort_cues(&mut cues);
    Ok(cues)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cue(start_ms: u64, end_ms: u64, text: &str) -> Cue {
        Cue {
            start_ms,
            end_ms,
            settings: String::new(),
            text: text.into(),
        }
    }

    #[test]
    fn times_in_every_spelling() {
        assert_eq!(parse_time("00:01:02,345"), Some(62_345));
        assert_eq!(parse_time("01:02.5"), Some(62_500));
        assert_eq!(parse_time("0:00:01.05"), Some(1_050));
        assert_eq!(parse_time("1:00:00.000"), Some(3_600_000));
        assert_eq!(parse_time(" 00:00:03,1 "), Some(3_100));
        assert_eq!(parse_time("12"), Some(12_000));
        for bad in ["", "a:b", "00:00:00,abc", "1:2:3:4", "-1:00", "::"] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
    }

    #[test]
    fn srt_with_the_usual_damage() {
        let srt = "\u{feff}1\r\n00:00:01,000 --> 00:00:02,500\r\n<i>Hello</i> & <font color=\"red\">bye</font>\r\n\r\n\
                   2\n00:00:03,000 --> 00:00:04,000 X1:0\nline one\n\nline two?\n3\n00:00:05.000 --> 00:00:06.000\n{\\an8}Top <b>bold\n";
        let cues = parse(SubtitleFormat::Srt, srt.as_bytes());
        assert_eq!(
            cues,
            vec![
                cue(1000, 2500, "<i>Hello</i> &amp; bye"),
                cue(3000, 4000, "line one\nline two?"),
                cue(5000, 6000, "Top <b>bold</b>"),
            ]
        );
    }

    #[test]
    fn latin1_and_utf16_files_are_decoded() {
        let latin1 = b"1\n00:00:01,000 --> 00:00:02,000\nCaf\xe9\n";
        assert_eq!(parse(SubtitleFormat::Srt, latin1)[0].text, "Café");
        let mut utf16 = vec![0xff, 0xfe];
        for u in "1\n00:00:01,000 --> 00:00:02,000\nÜber\n".encode_utf16() {
            utf16.extend_from_slice(&u.to_le_bytes());
        }
        assert_eq!(parse(SubtitleFormat::Srt, &utf16)[0].text, "Über");
    }

    #[test]
    fn ass_dialogue_with_overrides_and_commas() {
        let ass = "[Script Info]\nTitle: x\n\n[V4+ Styles]\nFormat: Name, Fontname\nStyle: Default,Arial\n\n\
                   [Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n\
                   Dialogue: 0,0:00:02.00,0:00:04.50,Default,,0,0,0,,{\\i1}Well,{\\i0} then\\Nnext line\n\
                   Comment: 0,0:00:05.00,0:00:06.00,Default,,0,0,0,,not shown\n\
                   Dialogue: 0,0:00:01.00,0:00:01.50,Default,,0,0,0,,{\\p1}m 0 0 l 10 10{\\p0}A\\hB <x>\n";
        let cues = parse(SubtitleFormat::Ass, ass.as_bytes());
        assert_eq!(
            cues,
            vec![
                cue(1000, 1500, "A\u{a0}B &lt;x&gt;"),
                cue(2000, 4500, "<i>Well,</i> then\nnext line"),
            ]
        );
    }

    #[test]
    fn vtt_keeps_settings_and_drops_notes() {
        let vtt = "WEBVTT - title\n\nNOTE a comment\n\nSTYLE\n::cue { color: red }\n\nintro\n00:01.000 --> 00:02.000 line:0 align:start\n<v Bob>Hi</v>\n\n00:00:03.000 --> 00:00:04.000\nA --> B\n";
        let cues = parse(SubtitleFormat::WebVtt, vtt.as_bytes());
        assert_eq!(cues.len(), 2);
        assert_eq!(cues[0].settings, "line:0 align:start");
        assert_eq!(cues[0].text, "<v Bob>Hi</v>");
        assert_eq!(cues[1].text, "A --&gt; B");
    }

    #[test]
    fn webvtt_output_is_well_formed() {
        let out = to_webvtt(&[cue(3_723_004, 3_724_000, "a\nb")]);
        assert_eq!(out, "WEBVTT\n\n01:02:03.004 --> 01:02:04.000\na\nb\n");
    }

    #[test]
    fn tags_always_nest() {
        assert_eq!(
            srt_text_to_vtt("<b>a<i>b</b>c</i>"),
            "<b>a<i>b</i></b><i>c</i>"
        );
        assert_eq!(srt_text_to_vtt("</i>x<u>"), "x<u></u>");
        assert_eq!(
            srt_text_to_vtt("a < b &amp; c &#233; d"),
            "a &lt; b &amp; c &#233; d"
        );
    }

    #[test]
    fn embedded_sample_payloads() {
        let mut tx3g = vec![0, 5];
        tx3g.extend_from_slice(b"Hello");
        tx3g.extend_from_slice(&[0, 0, 0, 8, b's', b't', b'y', b'l']);
        assert_eq!(
            sample_text("mov_text", &tx3g).map(|t| t.0),
            Some("Hello".into())
        );
        assert_eq!(sample_text("mov_text", &[0, 0]), None);
        assert_eq!(sample_text("mov_text", &[0, 9, b'x']), None);
        assert_eq!(
            sample_text("ass", b"3,0,Default,,0,0,0,,Hi, {\\b1}you").map(|t| t.0),
            Some("Hi, <b>you</b>".into())
        );
        let mut wvtt = Vec::new();
        let payl = b"cue text";
        let sttg = b"align:end";
        let inner = 8 + payl.len() + 8 + sttg.len();
        wvtt.extend_from_slice(&((8 + inner) as u32).to_be_bytes());
        wvtt.extend_from_slice(b"vttc");
        wvtt.extend_from_slice(&((8 + sttg.len()) as u32).to_be_bytes());
        wvtt.extend_from_slice(b"sttg");
        wvtt.extend_from_slice(sttg);
        wvtt.extend_from_slice(&((8 + payl.len()) as u32).to_be_bytes());
        wvtt.extend_from_slice(b"payl");
        wvtt.extend_from_slice(payl);
        assert_eq!(
            sample_text("webvtt", &wvtt),
            Some(("cue text".into(), "align:end".into()))
        );
        assert_eq!(
            sample_text("webvtt", &[0, 0, 0, 8, b'v', b't', b't', b'e']),
            None
        );
        assert_eq!(sample_text("pgs", b"anything"), None);
    }

    #[test]
    fn garbage_never_panics() {
        let mut seed = 0x1234_5678u32;
        for len in 0..400usize {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 17;
                    seed ^= seed << 5;
                    b"0123456789:,.-> \n<>{}\\ibNh&#;"[seed as usize % 29]
                })
                .collect();
            for f in [
                SubtitleFormat::Srt,
                SubtitleFormat::Ass,
                SubtitleFormat::WebVtt,
            ] {
                let _ = to_webvtt(&parse(f, &bytes));
            }
            for codec in ["mov_text", "subrip", "ass", "webvtt"] {
                let _ = sample_text(codec, &bytes);
            }
        }
    }
}
