//! Chapters stored in the container: MP4 `chpl` (the Nero chapter list that ffmpeg, mp4v2 and
//! HandBrake write in `moov/udta`), the samples of a QuickTime chapter track (a text track that
//! another track points to with `tref/chap`; Apple's tools write only this) and Matroska
//! `Chapters`.
//!
//! Both parsers work on a box or element already loaded into memory and never fail: a damaged
//! list yields the chapters read before the damage. Chapters are sorted, capped in number and
//! given ends (the next chapter's start, or the file's end) by [`finish`].

use serde::{Deserialize, Serialize};

use crate::mkv::ebml::{string, uint, Elements};

/// At most this many chapters are kept (a DVD rip has dozens; a damaged file could claim millions).
pub const MAX_CHAPTERS: usize = 1000;
/// Titles longer than this are cut (in characters).
const MAX_TITLE_CHARS: usize = 200;

/// One chapter, in presentation time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chapter {
    pub start_ms: u64,
    /// Where the next chapter starts, or the end of the file.
    pub end_ms: Option<u64>,
    pub title: Option<String>,
}

fn clean_title(raw: &str) -> Option<String> {
    let t: String = raw
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_TITLE_CHARS)
        .collect();
    let t = t.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// Parses the payload of an MP4 `chpl` box: version/flags, (v1: 4 reserved bytes), a count,
/// then per chapter a 64-bit start in 100 ns units and a length-prefixed UTF-8 title.
pub fn parse_chpl(payload: &[u8]) -> Vec<Chapter> {
    let mut out = Vec::new();
    let Some(&version) = payload.first() else {
        return out;
    };
    let mut pos = if version >= 1 { 8 } else { 4 };
    let Some(&count) = payload.get(pos) else {
        return out;
    };
    pos += 1;
    for _ in 0..count {
        let Some(start) = payload.get(pos..pos + 8) else {
            break;
        };
        let start = u64::from_be_bytes(start.try_into().unwrap_or([0; 8]));
        let Some(&len) = payload.get(pos + 8) else {
            break;
        };
        let Some(title) = payload.get(pos + 9..pos + 9 + usize::from(len)) else {
            break;
        };
        pos += 9 + usize::from(len);
        out.push(Chapter {
            start_ms: start / 10_000,
            end_ms: None,
            title: clean_title(&String::from_utf8_lossy(title)),
        });
    }
    out
}

/// The title in one sample of a QuickTime chapter track: a 16-bit big-endian length, then the
/// text (UTF-8, or UTF-16 after a byte-order mark); modifier boxes may follow. A length past the
/// end of the sample keeps what is there.
pub fn parse_chapter_sample(sample: &[u8]) -> Option<String> {
    let len = usize::from(u16::from_be_bytes([*sample.first()?, *sample.get(1)?]));
    let text = sample.get(2..)?;
    let text = text.get(..len).unwrap_or(text);
    clean_title(&crate::subtitle::decode_text(text))
}

const EDITION_ENTRY: u32 = 0x45B9;
const EDITION_FLAG_DEFAULT: u32 = 0x45DB;
const EDITION_FLAG_ORDERED: u32 = 0x45DD;
const CHAPTER_ATOM: u32 = 0xB6;
const CHAPTER_TIME_START: u32 = 0x91;
const CHAPTER_TIME_END: u32 = 0x92;
const CHAPTER_FLAG_HIDDEN: u32 = 0x98;
const CHAPTER_FLAG_ENABLED: u32 = 0x4598;
const CHAPTER_DISPLAY: u32 = 0x80;
const CHAP_STRING: u32 = 0x85;
const CHAP_LANGUAGE: u32 = 0x437C;

/// Parses the body of a Matroska `Chapters` element: the default edition (else the first), its
/// visible top-level chapter atoms. Ordered editions (which play segments of other files) are
/// skipped since their times are not this file's timeline.
pub fn parse_matroska_chapters(body: &[u8]) -> Vec<Chapter> {
    let editions: Vec<&[u8]> = Elements::new(body)
        .filter(|(id, _)| *id == EDITION_ENTRY)
        .map(|(_, v)| v)
        .collect();
    let flag = |edition: &[u8], wanted: u32| {
        Elements::new(edition)
            .find(|(id, _)| *id == wanted)
            .and_then(|(_, v)| uint(v))
            .is_some_and(|v| v == 1)
    };
    let usable: Vec<&[u8]> = editions
        .into_iter()
        .filter(|e| !flag(e, EDITION_FLAG_ORDERED))
        .collect();
    let Some(edition) = usable
        .iter()
        .find(|e| flag(e, EDITION_FLAG_DEFAULT))
        .or(usable.first())
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (id, atom) in Elements::new(edition) {
        if id != CHAPTER_ATOM || out.len() >= MAX_CHAPTERS {
            continue;
        }
        let mut start = None;
        let mut end = None;
        let mut hidden = false;
        let mut title: Option<(Option<String>, String)> = None;
        for (id, v) in Elements::new(atom) {
            match id {
                CHAPTER_TIME_START => start = uint(v),
                CHAPTER_TIME_END => end = uint(v),
                CHAPTER_FLAG_HIDDEN => hidden = uint(v) == Some(1),
                CHAPTER_FLAG_ENABLED => hidden |= uint(v) == Some(0),
                CHAPTER_DISPLAY => {
                    let mut s = None;
                    let mut lang = None;
                    for (id, v) in Elements::new(v) {
                        match id {
                            CHAP_STRING => s = Some(string(v)),
                            CHAP_LANGUAGE => lang = Some(string(v)),
                            _ => {}
                        }
                    }
                    // The first display wins, unless a later one is English and the first not.
                    if let Some(s) = s {
                        let better = match &title {
                            None => true,
                            Some((l, _)) => {
                                l.as_deref() != Some("eng") && lang.as_deref() == Some("eng")
                            }
                        };
                        if better {
                            title = Some((lang, s));
                        }
                    }
                }
                _ => {}
            }
        }
        let (Some(start), false) = (start, hidden) else {
            continue;
        };
        out.push(Chapter {
            start_ms: start / 1_000_000,
            end_ms: end.map(|e| e / 1_000_000),
            title: title.and_then(|(_, t)| clean_title(&t)),
        });
    }
    out
}

/// Sorts chapters, drops duplicates and ones past the end, caps their number and fills in the
/// ends. `duration_ms` of 0 means unknown.
pub fn finish(mut chapters: Vec<Chapter>, duration_ms: u64) -> Vec<Chapter> {
    chapters.sort_by_key(|c| c.start_ms);
    chapters.dedup_by_key(|c| c.start_ms);
    if duration_ms > 0 {
        chapters.retain(|c| c.start_ms < duration_ms);
    }
    chapters.truncate(MAX_CHAPTERS);
    let starts: Vec<u64> = chapters.iter().map(|c| c.start_ms).skip(1).collect();
    for (i, c) in chapters.iter_mut().enumerate() {
        let next = starts
            .get(i)
            .copied()
            .or((duration_ms > 0).then_some(duration_ms));
        c.end_ms = match (c.end_ms, next) {
            (Some(e), Some(n)) if e > c.start_ms => Some(e.min(n)),
            (Some(e), None) if e > c.start_ms => Some(e),
            (_, n) => n,
        };
    }
    chapters
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chpl(version: u8, chapters: &[(u64, &str)]) -> Vec<u8> {
        let mut b = vec![version, 0, 0, 0];
        if version >= 1 {
            b.extend([0, 0, 0, 0]);
        }
        b.push(chapters.len() as u8);
        for (start, title) in chapters {
            b.extend((start * 10_000).to_be_bytes());
            b.push(title.len() as u8);
            b.extend(title.as_bytes());
        }
        b
    }

    #[test]
    fn chpl_versions_and_titles() {
        for v in [0, 1] {
            let got = parse_chpl(&chpl(v, &[(0, "Opening"), (90_500, "Act One")]));
            assert_eq!(got.len(), 2, "version {v}");
            assert_eq!(got[1].start_ms, 90_500);
            assert_eq!(got[1].title.as_deref(), Some("Act One"));
        }
    }

    #[test]
    fn chpl_damage_keeps_what_was_read() {
        let mut b = chpl(1, &[(0, "A"), (1000, "B")]);
        b.truncate(b.len() - 1);
        assert_eq!(parse_chpl(&b).len(), 1);
        assert!(parse_chpl(&[]).is_empty());
        assert!(parse_chpl(&[1, 0, 0]).is_empty());
        // A count larger than what follows.
        let mut b = chpl(0, &[(5, "X")]);
        b[4] = 200;
        assert_eq!(parse_chpl(&b).len(), 1);
    }

    #[test]
    fn chapter_track_samples() {
        let sample = |text: &[u8], extra: &[u8]| {
            let mut b = (text.len() as u16).to_be_bytes().to_vec();
            b.extend(text);
            b.extend(extra);
            b
        };
        // ffmpeg adds an `encd` box after the text.
        let encd = [0, 0, 0, 12, b'e', b'n', b'c', b'd', 0, 0, 1, 0];
        assert_eq!(
            parse_chapter_sample(&sample(b"Act One", &encd)).as_deref(),
            Some("Act One")
        );
        let utf16: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain("Épilogue".encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        assert_eq!(
            parse_chapter_sample(&sample(&utf16, &[])).as_deref(),
            Some("Épilogue")
        );
        // Empty, cut short, or a length beyond the sample.
        assert_eq!(parse_chapter_sample(&sample(b"", &[])), None);
        assert_eq!(parse_chapter_sample(&[0]), None);
        assert_eq!(
            parse_chapter_sample(&[0, 200, b'H', b'i']).as_deref(),
            Some("Hi")
        );
    }

    fn el(id: u32, body: &[u8]) -> Vec<u8> {
        let mut b: Vec<u8> = id
            .to_be_bytes()
            .into_iter()
            .skip_while(|&x| x == 0)
            .collect();
        assert!(body.len() < 0x4000);
        b.extend([0x40 | (body.len() >> 8) as u8, body.len() as u8]);
        b.extend(body);
        b
    }

    fn atom(start_ns: u64, title: &str, lang: &str, hidden: bool) -> Vec<u8> {
        let mut display = el(CHAP_STRING, title.as_bytes());
        display.extend(el(CHAP_LANGUAGE, lang.as_bytes()));
        let mut a = el(CHAPTER_TIME_START, &start_ns.to_be_bytes());
        a.extend(el(CHAPTER_FLAG_HIDDEN, &[u8::from(hidden)]));
        a.extend(el(CHAPTER_DISPLAY, &display));
        el(CHAPTER_ATOM, &a)
    }

    #[test]
    fn matroska_default_edition_visible_atoms() {
        let mut first = atom(0, "Ignored edition", "eng", false);
        first.extend(el(EDITION_FLAG_ORDERED, &[1]));
        let mut second = el(EDITION_FLAG_DEFAULT, &[1]);
        second.extend(atom(0, "Intro", "eng", false));
        second.extend(atom(5_000_000_000, "Secret", "eng", true));
        second.extend(atom(60_000_000_000, "Credits", "eng", false));
        let mut body = el(EDITION_ENTRY, &first);
        body.extend(el(EDITION_ENTRY, &second));
        let got = finish(parse_matroska_chapters(&body), 90_000);
        let titles: Vec<_> = got.iter().map(|c| c.title.as_deref().unwrap()).collect();
        assert_eq!(titles, ["Intro", "Credits"]);
        assert_eq!(got[0].end_ms, Some(60_000));
        assert_eq!(got[1].end_ms, Some(90_000));
        assert!(parse_matroska_chapters(&[0xff, 0x12]).is_empty());
    }

    #[test]
    fn finish_sorts_dedups_and_clips() {
        let c = |s| Chapter {
            start_ms: s,
            end_ms: None,
            title: None,
        };
        let got = finish(vec![c(500), c(0), c(500), c(99_000)], 10_000);
        assert_eq!(
            got.iter()
                .map(|c| (c.start_ms, c.end_ms))
                .collect::<Vec<_>>(),
            [(0, Some(500)), (500, Some(10_000))]
        );
        assert_eq!(finish(vec![c(7)], 0)[0].end_ms, None);
    }
}
