//! Text helpers: preparing a name for matching, cleaning titles, finding years.

use std::sync::LazyLock;

use regex::Regex;

use super::tags::{self, TagScan};

/// Years outside this range are part of a title ("Blade Runner 2049"): the first film is
/// from 1888; raise the upper bound when its time comes.
pub(super) const MIN_YEAR: i32 = 1888;
pub(super) const MAX_YEAR: i32 = 2039;

pub(super) fn re(pattern: &str) -> Regex {
    // Patterns are constants of this module; a bad one is a programming error caught by tests.
    Regex::new(pattern).expect("naming regex")
}

/// Plex `{edition-…}`, `{tmdb-…}` and any other braces block.
static BRACES: LazyLock<Regex> = LazyLock::new(|| re(r"\{[^{}]*\}"));
/// `[imdbid-tt123]`, `[tmdbid-1]`, `(tvdbid-1)`, `[anidb-1]`.
static ID_TAG: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)[\[(](?:imdb|tmdb|tvdb|anidb)(?:id)?[-=:][^\[\]()]*[\])]"));
/// Anime release CRC32: `[ABCD1234]`.
static CRC: LazyLock<Regex> = LazyLock::new(|| re(r"\[[0-9A-Fa-f]{8}\]"));
/// `[Group] ` at the start of an anime release.
static LEADING_BRACKET: LazyLock<Regex> = LazyLock::new(|| re(r"^\s*\[([^\[\]]*)\]\s*"));
/// Two or more single letters each followed by a dot.
static ACRONYM: LazyLock<Regex> = LazyLock::new(|| re(r"(?:\b\p{Alphabetic}\.){2,}"));
static EMPTY_BRACKETS: LazyLock<Regex> = LazyLock::new(|| re(r"\(\s*\)|\[\s*\]"));
/// A year in brackets: `(1999)`, `[1999]`.
static PAREN_YEAR: LazyLock<Regex> = LazyLock::new(|| re(r"[(\[]([0-9]{4})[)\]]"));
/// A bare four-digit number standing alone.
static BARE_YEAR: LazyLock<Regex> = LazyLock::new(|| re(r"\b([0-9]{4})\b"));
/// A year closing a (cleaned) series name: `Doctor Who (2005)`, `Show 2017`.
static TRAILING_YEAR: LazyLock<Regex> =
    LazyLock::new(|| re(r"^(.*\S)\s*(?:[(\[]([0-9]{4})[)\]]|\s([0-9]{4}))$"));
/// Multi-part movie markers: `cd1`, `disc 2`, `- part1`, `-pt2` (not "Part 1" inside a title).
static PART: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)(?:[\s.\-]*\b(?:cd|dvd|disc|disk)[\s.\-]?[0-9]{1,2}|\s*-\s*(?:part|pt)[0-9]{1,2})$")
});

/// A file stem or folder name made ready for matching.
pub(super) struct Name {
    /// The name with `_` as spaces, Plex/ID/CRC blocks and a leading `[Group]` removed.
    pub core: String,
    /// The leading `[Group]` of anime releases.
    pub group: Option<String>,
    /// Scene style (`Show.Name.S01E01`): dots separate words.
    pub dot_mode: bool,
    pub tags: TagScan,
}

impl Name {
    pub fn new(raw: &str) -> Name {
        let s = raw.replace('_', " ");
        let s = BRACES.replace_all(&s, " ");
        let s = ID_TAG.replace_all(&s, " ");
        let mut s = CRC.replace_all(&s, " ").into_owned();
        let mut group = None;
        if let Some(c) = LEADING_BRACKET.captures(&s) {
            let inner = c.get(1).map_or("", |m| m.as_str()).trim();
            let end = c.get(0).map_or(0, |m| m.end());
            if looks_like_group(inner) {
                group = Some(inner.to_string());
            }
            s = s[end..].to_string();
        }
        let core = s.trim().to_string();
        // Scene names use dots between words; human names use spaces and keep dots
        // ("Mr. Robot", "S.W.A.T.").
        let dots = core.matches('.').count();
        let spaces = core.matches(' ').count();
        let tags = tags::scan(&core);
        Name {
            core,
            group,
            dot_mode: dots > spaces,
            tags,
        }
    }

    /// Where release tags start at or after `from` (the end of the core when there are none).
    pub fn tags_from(&self, from: usize) -> usize {
        self.tags
            .spans
            .iter()
            .map(|s| s.0)
            .find(|&s| s >= from)
            .unwrap_or(self.core.len())
    }

    /// The part of the name before any release tag.
    pub fn pre(&self) -> &str {
        cut_open_bracket(&self.core[..self.tags_from(0)])
    }

    /// The text between `from` and the next release tag.
    pub fn segment_from(&self, from: usize) -> &str {
        let from = from.min(self.core.len());
        cut_open_bracket(&self.core[from..self.tags_from(from)])
    }

    pub fn clean(&self, s: &str) -> Option<String> {
        non_empty(clean(s, self.dot_mode))
    }
}

/// A leading bracket names a group unless it is a tag (`[1080p]`) or a number.
fn looks_like_group(inner: &str) -> bool {
    !inner.is_empty()
        && !inner.chars().all(|c| c.is_ascii_digit())
        && tags::scan(inner).spans.is_empty()
}

/// Drops an unclosed `(` or `[` (and what follows) left where a tag cut a bracket in two.
fn cut_open_bracket(s: &str) -> &str {
    let open = s.rfind(['(', '[']);
    let close = s.rfind([')', ']']);
    match (open, close) {
        (Some(o), Some(c)) if o < c => s,
        (Some(o), _) => &s[..o],
        _ => s,
    }
}

pub(super) fn non_empty(s: String) -> Option<String> {
    if s.is_empty() {
        None
    } else {
        Some(s)
    }
}

/// Makes a readable title: dots (scene style) and underscores become spaces, runs of
/// single letters stay an acronym (`S.H.I.E.L.D.`), separators at the ends go.
pub(super) fn clean(s: &str, dot_mode: bool) -> String {
    let s = s.replace('_', " ");
    let s = if dot_mode { undot(&s) } else { s };
    let s = EMPTY_BRACKETS.replace_all(&s, " ");
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    trim_separators(&s).to_string()
}

/// Scene dots become spaces, except inside acronyms (`S.H.I.E.L.D.`, `E.T.`).
fn undot(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    for m in ACRONYM.find_iter(s) {
        out.push_str(&s[last..m.start()].replace('.', " "));
        out.push_str(m.as_str());
        out.push(' ');
        last = m.end();
    }
    out.push_str(&s[last..].replace('.', " "));
    out
}

fn trim_separators(s: &str) -> &str {
    let mut s = s;
    loop {
        let before = s.len();
        s = s.trim_start_matches(|c: char| {
            c.is_whitespace()
                || matches!(c, '-' | '.' | ',' | ';' | ':' | '~' | '|' | '+' | ')' | ']')
        });
        s = s.trim_end_matches(|c: char| {
            c.is_whitespace() || matches!(c, '-' | ',' | ';' | ':' | '~' | '|' | '+' | '(' | '[')
        });
        if s.ends_with('.') && !ends_with_acronym(s) {
            s = &s[..s.len() - 1];
        }
        if s.len() == before {
            return s;
        }
    }
}

/// `S.H.I.E.L.D.` keeps its last dot; `Show Name.` does not.
fn ends_with_acronym(s: &str) -> bool {
    let mut rev = s.chars().rev();
    let _dot = rev.next();
    match (rev.next(), rev.next()) {
        (Some(l), Some(b)) => l.is_alphabetic() && (b == '.' || b == ' '),
        (Some(l), None) => l.is_alphabetic(),
        _ => false,
    }
}

pub(super) fn parse_u32(s: &str) -> Option<u32> {
    s.parse().ok()
}

pub(super) fn parse_year(s: &str) -> Option<i32> {
    s.parse().ok().filter(|y| (MIN_YEAR..=MAX_YEAR).contains(y))
}

/// Splits a cleaned series name from a year at its end: `Doctor Who (2005)` → 2005.
/// A name that is only a year (`1883`) stays a name.
pub(super) fn split_trailing_year(s: &str) -> (String, Option<i32>) {
    if let Some(c) = TRAILING_YEAR.captures(s) {
        let year = c.get(2).or(c.get(3)).and_then(|m| parse_year(m.as_str()));
        let head = c.get(1).map_or("", |m| m.as_str());
        let head = trim_separators(head);
        if let (Some(y), false) = (year, head.is_empty()) {
            return (head.to_string(), Some(y));
        }
    }
    (s.to_string(), None)
}

/// A movie-style name: the title before the last year (a bracketed year wins over a
/// bare one; a year at the very start is part of the title, as in `1917` or `2001 A Space
/// Odyssey 1968`). Returns the cleaned title and the year.
pub(super) fn title_and_year(pre: &str, dot_mode: bool) -> (Option<String>, Option<i32>) {
    let has_title = |end: usize| !clean(&pre[..end], dot_mode).is_empty();
    let paren = PAREN_YEAR
        .captures_iter(pre)
        .filter_map(|c| {
            let m = c.get(0)?;
            let y = parse_year(c.get(1)?.as_str())?;
            has_title(m.start()).then_some((m.start(), y))
        })
        .last();
    let found = paren.or_else(|| {
        BARE_YEAR
            .captures_iter(pre)
            .filter_map(|c| {
                let m = c.get(1)?;
                let y = parse_year(m.as_str())?;
                has_title(m.start()).then_some((m.start(), y))
            })
            .last()
    });
    match found {
        Some((start, year)) => (non_empty(clean(&pre[..start], dot_mode)), Some(year)),
        None => (non_empty(clean(pre, dot_mode)), None),
    }
}

/// True when `s` holds a plausible year, bracketed or bare.
pub(super) fn has_year(s: &str) -> bool {
    BARE_YEAR
        .captures_iter(s)
        .any(|c| c.get(1).and_then(|m| parse_year(m.as_str())).is_some())
}

/// Removes a multi-part marker (`cd1`, `- part2`) from the end of a cleaned title.
pub(super) fn strip_part(title: &str) -> String {
    PART.replace(title, "").trim().to_string()
}

/// Compares names ignoring case, punctuation and spacing (`Marvel's` = `Marvels`).
pub(super) fn same_name(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        s.chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect::<String>()
    };
    let (a, b) = (norm(a), norm(b));
    !a.is_empty() && a == b
}

/// Strips a leading copy of the series name from an episode title
/// (`Show - Christmas Special` → `Christmas Special`).
pub(super) fn strip_series_prefix(title: &str, series: &str) -> String {
    let lower_t = title.to_lowercase();
    let lower_s = series.to_lowercase();
    let n = lower_s.len();
    // Byte offsets are only comparable when lowercasing kept the length.
    if n > 0
        && lower_t.len() == title.len()
        && lower_t.starts_with(&lower_s)
        && title.is_char_boundary(n)
    {
        let rest = &title[n..];
        if rest.is_empty() || rest.starts_with([' ', '-', '.', ':']) {
            let rest = trim_separators(rest);
            if !rest.is_empty() {
                return rest.to_string();
            }
        }
    }
    title.to_string()
}
