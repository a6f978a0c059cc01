//! What a path says about the media it holds: pure string rules, no file is read.
//!
//! Conventions covered:
//!
//! - **Episodes**: `S01E02`, `s1e2`, `S01.E02`, `S01 E02`, `1x02`; multi-episode `S01E01E02`,
//!   `S01E01-E02`, `S01E01-02`, `1x01-1x02` (a dash is a range: `S01E01-E03` is 1, 2, 3);
//!   numbers up to four digits (`S01E100`, `S2019E01`).
//! - **Folders**: `Show (2017)/Season 01/…`, `Season 1`, `S01`, `Series 2`, `Staffel 2`,
//!   `Season 2000`, `Specials` and `Season 00` (season 0). The show folder is the one above the
//!   season folder (or the file's own folder when there is none); library roots such as `TV`,
//!   `Shows` or `Movies` are never a show. A file with only `E02`, `Episode 2` or `02 - Title`
//!   takes the season from its folder and the series from the show folder.
//! - **Air dates**: `YYYY-MM-DD`, `YYYY.MM.DD`, `YYYY_MM_DD`, `YYYY MM DD`, and day-first
//!   `DD.MM.YYYY` (month-first only when day-first is impossible); month and day are checked.
//! - **Anime**: `[Group] Show - 12 [1080p]`, `Show - 12v2`, `Show - 1001`, `[Group] Show 12`,
//!   with a CRC `[ABCD1234]` dropped; absolute numbers unless a season is given (`Show S2 - 03`,
//!   `Show 2nd Season - 03`) or the file sits in a season folder.
//! - **Scene names**: titles end where release tags start; tags give resolution, source,
//!   codec and the group after the last `-` ([`ReleaseTags`]).
//! - **Series names**: dots/underscores become spaces (acronyms such as `S.H.I.E.L.D.` stay),
//!   a trailing `(2017)`/`.2017.` becomes the year, a name that is only a number stays a name
//!   (`24`, `1883`, `9-1-1`, `The 100`); country tags stay (`Show Name US`). When the file's
//!   series name matches the show folder's (ignoring case and punctuation) the folder's
//!   spelling and year are used.
//! - **Movies**: `Movie (1999)`, scene `Movie.1999.1080p…`, the last year wins and a leading
//!   number is a title (`1917 (2019)`, `2001 A Space Odyssey (1968)`, `Blade Runner 2049
//!   (2017)`); Plex `{edition-…}`, `{tmdb-…}`, `[imdbid-…]` are dropped; `cd1`, `- part1` are
//!   dropped from a yearless title; a yearless file in a `Movie (1999)` folder takes the
//!   folder's title and year.
//! - **Extras**: a file directly inside `trailers`, `featurettes`, `behind the scenes`,
//!   `deleted scenes`, `interviews`, `scenes`, `shorts`, `extras`, `other`, `sample(s)`, or
//!   named `…-trailer`, `…-featurette`, `…-behindthescenes`, `…-deleted`, `…-interview`,
//!   `…-scene`, `…-short`, `…-other`, `…-sample`, `….sample.…`, `sample`, `trailer`.
//!   An extra's `title` is its own name (for `Heat (1995)-trailer` that is `Heat`, with
//!   `year` 1995); when it has none (`sample.mkv`) the title of the folder it belongs to.
//!   `year` is the owner folder's year when the name has none; `series` and `season` are set
//!   only for extras inside a season folder, where the series is certain.
//!
//! Precedence, first match wins: not a video → `Unknown`; extras folder; extra suffix;
//! `SxxEyy`; `NxNN`; air date; anime ` - 12`; `E02`/`Episode 2`; in a season folder a leading
//! number, else an episode with no number; a year → movie; a yearless file in a folder with
//! a year → that movie; anything else with a name → a movie titled after the file.
//! Season from the file beats the season folder; the series from the file beats the folder.
//!
//! Choices where conventions disagree:
//!
//! - A video in a season folder is always an episode, even with no number (`Pilot.mkv`:
//!   season set, `episodes` empty); outside one, a file with no pattern is a movie.
//! - `E02`/`Episode 2` outside a season folder gives an episode with no season.
//! - ` - 1999` (a year-like number) or ` - 2 (1979)` is a movie unless the name has a
//!   `[Group]` or sits in a season folder; `Episode 1 … (1999)` likewise.
//! - Years are 1888–2039 (`MAX_YEAR` in `text.rs`); `Blade Runner 2049` keeps its number.
//! - An invalid date (`2023-02-30`) is not a date. `Show - 04.05.2023` is 4 May.
//! - `…x264-OTHER` (capitals after tags) is a group, not an `-other` extra.
//! - A remux reports source `remux`; `4K`/`UHD` without a number is `2160p`.

mod tags;
#[cfg(test)]
mod tests;
mod text;

use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

use text::{
    clean, has_year, non_empty, parse_u32, parse_year, re, same_name, split_trailing_year,
    strip_part, strip_series_prefix, title_and_year, Name,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Episode,
    Movie,
    Extra,
    Unknown,
}

/// What a path says about the media it holds. Serialises to the `marquee identify` JSON line:
/// fields are omitted where not known.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Identity {
    pub path: String,
    pub kind: Kind,
    /// Series title, cleaned ("The 100", "9-1-1", "24").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub series: Option<String>,
    /// 0 for specials; `None` for absolute-numbered anime.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub season: Option<u32>,
    /// One or more (multi-episode files); absolute numbers for anime.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub episodes: Vec<u32>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub absolute: bool,
    /// Series year (from "Show (2017)") or movie year.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
    /// Episode title, the movie's title for movies, the extra's own name for extras.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// "YYYY-MM-DD" for date-based shows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub air_date: Option<String>,
    /// For [`Kind::Extra`]: "trailer" | "featurette" | "behind_the_scenes" | "deleted_scene" |
    /// "interview" | "scene" | "short" | "sample" | "other".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extra: Option<String>,
    #[serde(skip_serializing_if = "ReleaseTags::is_empty")]
    pub release: ReleaseTags,
}

/// Quality tags seen in the file name.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ReleaseTags {
    /// "2160p", "1080p", "720p", "480p", …
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolution: Option<String>,
    /// "bluray", "remux", "web-dl", "webrip", "hdtv", "sdtv", "dvd", "hdrip".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// "h264", "hevc", "av1", "xvid", "divx", "vp9".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub codec: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

impl Identity {
    /// A path about which nothing is known yet.
    pub fn unknown(path: &str) -> Identity {
        Identity {
            path: path.to_string(),
            kind: Kind::Unknown,
            series: None,
            season: None,
            episodes: Vec::new(),
            absolute: false,
            year: None,
            title: None,
            air_date: None,
            extra: None,
            release: ReleaseTags::default(),
        }
    }
}

impl ReleaseTags {
    pub fn is_empty(&self) -> bool {
        self.resolution.is_none()
            && self.source.is_none()
            && self.codec.is_none()
            && self.group.is_none()
    }
}

const VIDEO_EXTENSIONS: &[&str] = &[
    "mkv", "mk3d", "mp4", "m4v", "mov", "qt", "avi", "webm", "ts", "m2ts", "mts", "m2t", "wmv",
    "asf", "mpg", "mpeg", "mpe", "m2v", "flv", "f4v", "ogv", "ogm", "3gp", "3g2", "divx", "rm",
    "rmvb", "vob", "dv",
];

/// True for video container extensions, case-insensitive.
pub fn is_video_path(path: &Path) -> bool {
    path.file_name()
        .map(|n| n.to_string_lossy())
        .and_then(|n| split_ext(&n).map(|(_, ext)| is_video_ext(ext)))
        .unwrap_or(false)
}

fn is_video_ext(ext: &str) -> bool {
    VIDEO_EXTENSIONS.iter().any(|v| v.eq_ignore_ascii_case(ext))
}

/// `name.ext` → (`name`, `ext`); a leading dot (`.hidden`) is not an extension.
fn split_ext(file: &str) -> Option<(&str, &str)> {
    match file.rfind('.') {
        Some(i) if i > 0 => Some((&file[..i], &file[i + 1..])),
        _ => None,
    }
}

/// Identify from a path (relative or absolute; parent folders count). Never panics, reads
/// no file. Non-UTF-8 components are read lossily.
pub fn identify(path: &Path) -> Identity {
    let full = path.to_string_lossy();
    let mut id = Identity::unknown(&full);
    // Both separators, so a Windows path given on the command line splits too.
    let comps: Vec<&str> = full
        .split(['/', '\\'])
        .filter(|c| !c.is_empty() && *c != "." && *c != "..")
        .collect();
    let Some((file, dirs)) = comps.split_last() else {
        return id;
    };
    let Some((stem, ext)) = split_ext(file) else {
        return id;
    };
    if !is_video_ext(ext) {
        return id;
    }
    let name = Name::new(stem);
    id.release = name.tags.release.clone();
    if name.group.is_some() {
        id.release.group.clone_from(&name.group);
    }
    if identify_extra(&mut id, stem, dirs) {
        return id;
    }
    let ctx = Context::new(dirs);
    if let Some(ep) = episode(&name, &ctx) {
        fill_episode(&mut id, &name, &ctx, ep);
        return id;
    }
    identify_movie(&mut id, &name, &ctx);
    id
}

// ---------------------------------------------------------------------------------------
// Folders

/// Folder names that are library roots, never a show or movie.
const LIBRARY_ROOTS: &[&str] = &[
    "tv",
    "tv shows",
    "tvshows",
    "tv series",
    "shows",
    "series",
    "television",
    "anime",
    "movies",
    "films",
    "media",
    "videos",
    "video",
    "library",
    "downloads",
    "complete",
];

/// The kind of extra a folder name holds (`trailers` → `trailer`), case-insensitively.
pub fn extras_folder(name: &str) -> Option<&'static str> {
    let lower = name.trim().to_lowercase();
    EXTRA_FOLDERS
        .iter()
        .find(|(folder, _)| *folder == lower)
        .map(|(_, kind)| *kind)
}

/// The extras folders and the kind of extra each holds.
const EXTRA_FOLDERS: &[(&str, &str)] = &[
    ("trailers", "trailer"),
    ("featurettes", "featurette"),
    ("behind the scenes", "behind_the_scenes"),
    ("deleted scenes", "deleted_scene"),
    ("interviews", "interview"),
    ("scenes", "scene"),
    ("shorts", "short"),
    ("extras", "other"),
    ("other", "other"),
    ("samples", "sample"),
    ("sample", "sample"),
];

static SEASON_FOLDER: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r"(?i)^(?:(?:season|staffel|saison|temporada)[\s._\-]*([0-9]{1,4})(?:\s.*)?",
        r"|(?:series|s)[\s._\-]*([0-9]{1,4})|(specials?|season[\s._\-]*specials?))$"
    ))
});

/// `Season 1`, `S01`, `Series 2`, `Season 2000`, `Specials` → the season number.
pub fn season_folder(name: &str) -> Option<u32> {
    let c = SEASON_FOLDER.captures(name.trim())?;
    if c.get(3).is_some() {
        return Some(0);
    }
    parse_u32(c.get(1).or(c.get(2))?.as_str())
}

fn is_library_root(name: &str) -> bool {
    let lower = name.trim().to_lowercase();
    LIBRARY_ROOTS.contains(&lower.as_str())
}

/// A show or movie folder: its cleaned title and year.
#[derive(Debug, Default, Clone)]
struct Folder {
    title: Option<String>,
    year: Option<i32>,
}

static SEASON_TOKEN: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)\b(?:s[0-9]{1,4}|season[\s.]?[0-9]{1,4})(?:e[0-9]|[^0-9\p{Alphabetic}]|$)")
});

/// Reads a show or movie folder (`Show (2017)`, `Show.Name.S01.1080p.WEB-DL-GRP`,
/// `Movie.1999.1080p.BluRay-GRP`); `None` for library roots and season folders.
fn folder(name: &str) -> Option<Folder> {
    if is_library_root(name) || season_folder(name).is_some() {
        return None;
    }
    let n = Name::new(name);
    let mut pre = n.pre();
    if let Some(m) = SEASON_TOKEN.find(pre) {
        pre = &pre[..m.start()];
    }
    let (title, year) = title_and_year(pre, n.dot_mode);
    Some(Folder { title, year })
}

/// Where a file sits: its season folder and its show folder.
struct Context {
    season: Option<u32>,
    /// The folder above the season folder, or the file's own folder when there is none.
    show: Option<Folder>,
}

impl Context {
    fn new(dirs: &[&str]) -> Context {
        let parent = dirs.last().copied();
        let season = parent.and_then(season_folder);
        let show_dir = if season.is_some() {
            dirs.len().checked_sub(2).and_then(|i| dirs.get(i)).copied()
        } else {
            parent
        };
        Context {
            season,
            show: show_dir.and_then(folder),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Extras

static EXTRA_SUFFIX: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r"(?i)(?:\s*-\s*|_)(trailer|featurette|behindthescenes|behind[\s_\-]the[\s_\-]scenes|",
        r"deletedscene|deleted|interview|scene|short|other|sample)$"
    ))
});
static DOT_SAMPLE: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)\.sample(?:\.|$)"));

fn extra_kind(word: &str) -> &'static str {
    match word.to_lowercase().as_str() {
        "trailer" => "trailer",
        "featurette" => "featurette",
        "deleted" | "deletedscene" => "deleted_scene",
        "interview" => "interview",
        "scene" => "scene",
        "short" => "short",
        "sample" => "sample",
        "other" => "other",
        _ => "behind_the_scenes",
    }
}

/// Fills `id` when the file is an extra; see the module docs for which fields are set.
fn identify_extra(id: &mut Identity, stem: &str, dirs: &[&str]) -> bool {
    let parent = dirs.last().map(|d| d.trim().to_lowercase());
    let from_folder = parent
        .as_deref()
        .and_then(|p| EXTRA_FOLDERS.iter().find(|(f, _)| *f == p))
        .map(|(_, k)| *k);
    let (kind, own, owner_depth) = if let Some(folder_kind) = from_folder {
        // `Sample/grp-movie-sample.mkv`: the suffix repeats what the folder says; in a
        // generic `extras/` folder a `-trailer` suffix is the more precise kind.
        match extra_from_name(stem) {
            Some((kind, own)) if folder_kind == "other" => (kind, own, 2),
            Some((_, own)) => (folder_kind, own, 2),
            None => (folder_kind, stem, 2),
        }
    } else if let Some((kind, own)) = extra_from_name(stem) {
        (kind, own, 1)
    } else {
        return false;
    };
    id.kind = Kind::Extra;
    id.extra = Some(kind.to_string());
    let own_name = Name::new(own);
    // Tags of the name without the extra's suffix (`…x264-GRP.sample` has group GRP).
    id.release = own_name.tags.release.clone();
    if own_name.group.is_some() {
        id.release.group.clone_from(&own_name.group);
    }
    let (title, year) = title_and_year(own_name.pre(), own_name.dot_mode);
    let title = title.map(|t| strip_part(&t)).and_then(non_empty);
    let owner_dir = dirs
        .len()
        .checked_sub(owner_depth)
        .and_then(|i| dirs.get(i))
        .copied();
    let owner = match owner_dir.and_then(season_folder) {
        Some(season) => {
            id.season = Some(season);
            let show = dirs
                .len()
                .checked_sub(owner_depth + 1)
                .and_then(|i| dirs.get(i))
                .and_then(|d| folder(d))
                .unwrap_or_default();
            id.series.clone_from(&show.title);
            show
        }
        None => owner_dir.and_then(folder).unwrap_or_default(),
    };
    id.title = title.or(owner.title);
    id.year = year.or(owner.year);
    true
}

/// `Heat (1995)-trailer` → ("trailer", "Heat (1995)"); `sample` → ("sample", "").
fn extra_from_name(stem: &str) -> Option<(&'static str, &str)> {
    let lower = stem.trim().to_lowercase();
    if lower == "sample" || lower == "trailer" {
        return Some((extra_kind(&lower), ""));
    }
    if let Some(m) = DOT_SAMPLE.find(stem) {
        return Some(("sample", &stem[..m.start()]));
    }
    let c = EXTRA_SUFFIX.captures(stem)?;
    let (all, word) = (c.get(0)?, c.get(1)?);
    let kind = extra_kind(word.as_str());
    // `…x264-OTHER` is a release group, not an extra: groups are written in capitals.
    let shouting = word.as_str().chars().all(|c| c.is_uppercase());
    if kind != "sample" && shouting && !Name::new(stem).tags.spans.is_empty() {
        return None;
    }
    Some((kind, &stem[..all.start()]))
}

// ---------------------------------------------------------------------------------------
// Episodes

/// An episode pattern found in the name. Offsets are into `Name::core`.
struct Episode {
    /// Where the series name ends (it starts at 0).
    series_end: usize,
    season: Option<u32>,
    episodes: Vec<u32>,
    absolute: bool,
    /// Where the episode title starts (it ends at the next tag).
    title_start: Option<usize>,
    air_date: Option<String>,
}

impl Episode {
    fn new(series_end: usize, season: Option<u32>, episodes: Vec<u32>, title: usize) -> Self {
        Episode {
            series_end,
            season,
            episodes,
            absolute: false,
            title_start: Some(title),
            air_date: None,
        }
    }
}

static SXXEYY: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)\bs([0-9]{1,4})[ .\-]?e([0-9]{1,4})"));
static NXNN: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)\b([0-9]{1,2})x([0-9]{1,4})"));
/// More episodes after `S01E01`: `E02`, `-E02`, `-S01E02`.
static MORE_SE: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)^[ .]?(-)?[ .]?(?:s([0-9]{1,4})[ .]?)?e([0-9]{1,4})"));
/// More episodes after `1x01`: `x02`, `-1x02`.
static MORE_X: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)^[ .]?(-)?[ .]?(?:([0-9]{1,2}))?x([0-9]{1,4})"));
/// A range end: `-02`, `~02`.
static MORE_DASH: LazyLock<Regex> = LazyLock::new(|| re(r"^[\-~]([0-9]{1,4})"));
static DATE_YMD: LazyLock<Regex> =
    LazyLock::new(|| re(r"\b((?:19|20)[0-9]{2})([\-. ])([0-9]{1,2})([\-. ])([0-9]{1,2})\b"));
static DATE_DMY: LazyLock<Regex> =
    LazyLock::new(|| re(r"\b([0-9]{1,2})([\-. ])([0-9]{1,2})([\-. ])((?:19|20)[0-9]{2})\b"));
static ANIME: LazyLock<Regex> = LazyLock::new(|| re(r"\s-\s?([0-9]{1,4})(?:[vV][0-9]{1,2})?"));
/// `[Group] Show 12`: a number closing the name, only for bracket-group releases.
static ANIME_BARE: LazyLock<Regex> = LazyLock::new(|| re(r"\s([0-9]{1,4})(?:[vV][0-9]{1,2})?\s*$"));
static ANIME_SEASON: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^(.+?)\s+(?:s([0-9]{1,2})|season\s*([0-9]{1,2})|([0-9]{1,2})(?:st|nd|rd|th)\s+season)$",
    )
});
static E_ONLY: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)\b(?:e|ep[ .]?|episode[ .]?)([0-9]{1,4})"));
static LEADING_NUMBER: LazyLock<Regex> =
    LazyLock::new(|| re(r"^([0-9]{1,3})(?:[vV][0-9]{1,2})?(?:[\s.\-]|$)"));

fn digit_at(s: &str, i: usize) -> bool {
    s.get(i..)
        .and_then(|r| r.chars().next())
        .is_some_and(|c| c.is_ascii_digit())
}

fn alnum_at(s: &str, i: usize) -> bool {
    s.get(i..)
        .and_then(|r| r.chars().next())
        .is_some_and(char::is_alphanumeric)
}

/// Collects further episodes after the first (`E01E02`, `E01-E03`, `1x01-1x02`, `E01-02`).
/// A dash means a range. Stops at `limit`; returns the episodes and where they end.
fn more_episodes(
    s: &str,
    mut pos: usize,
    limit: usize,
    season: Option<u32>,
    first: u32,
    more: Option<&Regex>,
) -> (Vec<u32>, usize) {
    let mut eps = vec![first];
    while pos < limit {
        let rest = &s[pos..limit];
        let (n, range, len) = if let Some(c) = more.and_then(|m| m.captures(rest)) {
            let (Some(all), Some(num)) = (c.get(0), c.get(3)) else {
                break;
            };
            if let Some(sn) = c.get(2) {
                if parse_u32(sn.as_str()) != season {
                    break;
                }
            }
            if digit_at(rest, all.end()) {
                break;
            }
            let Some(n) = parse_u32(num.as_str()) else {
                break;
            };
            (n, c.get(1).is_some(), all.end())
        } else if let Some(c) = MORE_DASH.captures(rest) {
            let (Some(all), Some(num)) = (c.get(0), c.get(1)) else {
                break;
            };
            // `-1080p`, `-GRP`, `-2nd` are not episodes.
            if alnum_at(rest, all.end()) {
                break;
            }
            let Some(n) = parse_u32(num.as_str()) else {
                break;
            };
            (n, true, all.end())
        } else {
            break;
        };
        let Some(&last) = eps.last() else { break };
        if n <= last {
            break;
        }
        if range && n - last <= 50 {
            eps.extend(last + 1..=n);
        } else {
            eps.push(n);
        }
        pos += len;
    }
    (eps, pos)
}

fn valid_date(y: i32, m: u32, d: u32) -> bool {
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

/// Finds an air date in `pre`: (start, end, "YYYY-MM-DD").
fn air_date(pre: &str) -> Option<(usize, usize, String)> {
    let num = |c: &regex::Captures, i: usize| c.get(i).and_then(|m| m.as_str().parse::<u32>().ok());
    for c in DATE_YMD.captures_iter(pre) {
        let (Some(all), Some(s1), Some(s2)) = (c.get(0), c.get(2), c.get(4)) else {
            continue;
        };
        let (Some(y), Some(m), Some(d)) = (num(&c, 1), num(&c, 3), num(&c, 5)) else {
            continue;
        };
        let y = y as i32; // four digits, fits
        if s1.as_str() == s2.as_str() && valid_date(y, m, d) {
            return Some((all.start(), all.end(), format!("{y:04}-{m:02}-{d:02}")));
        }
    }
    for c in DATE_DMY.captures_iter(pre) {
        let (Some(all), Some(s1), Some(s2)) = (c.get(0), c.get(2), c.get(4)) else {
            continue;
        };
        let (Some(a), Some(b), Some(y)) = (num(&c, 1), num(&c, 3), num(&c, 5)) else {
            continue;
        };
        let y = y as i32;
        if s1.as_str() != s2.as_str() || s1.as_str() == " " {
            continue;
        }
        // Day first, as written in most of the world; month first only when that is the
        // only valid reading (`05.25.2023`).
        let (m, d) = if valid_date(y, b, a) { (b, a) } else { (a, b) };
        if valid_date(y, m, d) {
            return Some((all.start(), all.end(), format!("{y:04}-{m:02}-{d:02}")));
        }
    }
    None
}

/// The episode patterns, in precedence order (see the module docs).
fn episode(name: &Name, ctx: &Context) -> Option<Episode> {
    let core = name.core.as_str();
    for c in SXXEYY.captures_iter(core) {
        let (Some(all), Some(s), Some(e)) = (c.get(0), c.get(1), c.get(2)) else {
            continue;
        };
        if digit_at(core, all.end()) {
            continue;
        }
        let (Some(season), Some(first)) = (parse_u32(s.as_str()), parse_u32(e.as_str())) else {
            continue;
        };
        let (eps, end) = more_episodes(
            core,
            all.end(),
            core.len(),
            Some(season),
            first,
            Some(&MORE_SE),
        );
        return Some(Episode::new(all.start(), Some(season), eps, end));
    }
    // The remaining patterns look only before the release tags (`DD5.1x264` is no `1x264`).
    let pre = name.pre();
    for c in NXNN.captures_iter(pre) {
        let (Some(all), Some(s), Some(e)) = (c.get(0), c.get(1), c.get(2)) else {
            continue;
        };
        if digit_at(pre, all.end()) {
            continue;
        }
        let (Some(season), Some(first)) = (parse_u32(s.as_str()), parse_u32(e.as_str())) else {
            continue;
        };
        let (eps, end) = more_episodes(
            pre,
            all.end(),
            pre.len(),
            Some(season),
            first,
            Some(&MORE_X),
        );
        return Some(Episode::new(all.start(), Some(season), eps, end));
    }
    if let Some((start, end, date)) = air_date(pre) {
        return Some(Episode {
            series_end: start,
            season: None,
            episodes: Vec::new(),
            absolute: false,
            title_start: Some(end),
            air_date: Some(date),
        });
    }
    if let Some(ep) = anime(name, pre, ctx) {
        return Some(ep);
    }
    for c in E_ONLY.captures_iter(pre) {
        let (Some(all), Some(e)) = (c.get(0), c.get(1)) else {
            continue;
        };
        let Some(first) = parse_u32(e.as_str()).filter(|_| !digit_at(pre, all.end())) else {
            continue;
        };
        // `Star Wars Episode 1 - The Phantom Menace (1999)` is a movie.
        if ctx.season.is_none() && has_year(&pre[all.end()..]) {
            continue;
        }
        let (eps, end) = more_episodes(pre, all.end(), pre.len(), None, first, Some(&MORE_SE));
        return Some(Episode::new(all.start(), None, eps, end));
    }
    // Inside a season folder every video is an episode of that season.
    ctx.season?;
    if let Some(c) = LEADING_NUMBER.captures(pre) {
        if let (Some(all), Some(n)) = (c.get(0), c.get(1).and_then(|m| parse_u32(m.as_str()))) {
            let (eps, end) = more_episodes(
                pre,
                c.get(1).map_or(0, |m| m.end()),
                pre.len(),
                None,
                n,
                Some(&MORE_SE),
            );
            return Some(Episode::new(
                0,
                None,
                eps,
                end.max(all.end()).min(pre.len()),
            ));
        }
    }
    Some(Episode {
        series_end: 0,
        season: None,
        episodes: Vec::new(),
        absolute: false,
        title_start: Some(0),
        air_date: None,
    })
}

/// `Show - 12`, `Show - 12v2 [1080p]`, `Show - 12 - Title`, `[Group] Show 12`.
fn anime(name: &Name, pre: &str, ctx: &Context) -> Option<Episode> {
    let bare = if name.group.is_some() {
        ANIME_BARE.captures(pre)
    } else {
        None
    };
    for c in ANIME.captures_iter(pre).chain(bare) {
        let (Some(all), Some(num)) = (c.get(0), c.get(1)) else {
            continue;
        };
        let Some(n) = parse_u32(num.as_str()) else {
            continue;
        };
        if digit_at(pre, all.end()) {
            continue;
        }
        // `Movie - 1999` is a year, unless the release is clearly a series.
        let year_like = num.as_str().len() == 4 && parse_year(num.as_str()).is_some();
        // `Rocky - 2 (1979)`: a year after the number makes it a movie title.
        let loose = name.group.is_none() && ctx.season.is_none();
        if loose && (year_like || has_year(&pre[all.end()..])) {
            continue;
        }
        let (eps, end) = more_episodes(pre, all.end(), pre.len(), None, n, None);
        let after = &pre[end..];
        let rest = after.trim_start();
        let ok = rest.is_empty()
            || (after.len() > rest.len() && rest.starts_with(['-', '[', '(', '~']))
            || after.starts_with(['[', '(']);
        if !ok {
            continue;
        }
        let mut ep = Episode::new(all.start(), None, eps, end);
        ep.absolute = true;
        return Some(ep);
    }
    None
}

fn fill_episode(id: &mut Identity, name: &Name, ctx: &Context, ep: Episode) {
    id.kind = Kind::Episode;
    let core = name.core.as_str();
    let raw_series = clean(&core[..ep.series_end.min(core.len())], name.dot_mode);
    let (mut series, mut year) = match split_trailing_year(&raw_series) {
        (s, y) if !s.is_empty() => (Some(s), y),
        _ => (None, None),
    };
    let mut season = ep.season;
    let mut absolute = ep.absolute;
    if absolute {
        // `Show S2 - 03`, `Show 2nd Season - 03`: a season given in the series name.
        if let Some(c) = series.as_deref().and_then(|s| ANIME_SEASON.captures(s)) {
            let n = c
                .get(2)
                .or(c.get(3))
                .or(c.get(4))
                .and_then(|m| parse_u32(m.as_str()));
            if let (Some(head), Some(n)) = (c.get(1), n) {
                let (s, y) = split_trailing_year(head.as_str());
                season = Some(n);
                absolute = false;
                year = year.or(y);
                series = Some(s);
            }
        }
        if ctx.season.is_some() {
            absolute = false;
        }
    }
    if season.is_none() && !absolute {
        season = ctx.season;
    }
    if let Some(show) = &ctx.show {
        match &series {
            None => {
                series.clone_from(&show.title);
                year = year.or(show.year);
            }
            // The folder is the curated spelling (`Marvel's` over `Marvels`).
            Some(s) if show.title.as_deref().is_some_and(|t| same_name(s, t)) => {
                series.clone_from(&show.title);
                year = year.or(show.year);
            }
            Some(_) => {}
        }
    }
    let mut title = ep
        .title_start
        .and_then(|t| name.clean(name.segment_from(t)));
    if let (Some(t), Some(s)) = (&title, &series) {
        title = non_empty(strip_series_prefix(t, s));
    }
    id.series = series;
    id.season = season;
    id.episodes = ep.episodes;
    id.absolute = absolute;
    id.year = year;
    id.title = title;
    id.air_date = ep.air_date;
}

// ---------------------------------------------------------------------------------------
// Movies

fn identify_movie(id: &mut Identity, name: &Name, ctx: &Context) {
    let (title, year) = title_and_year(name.pre(), name.dot_mode);
    let folder = ctx.show.clone().unwrap_or_default();
    let (title, year) = match (title, year) {
        (t, Some(y)) => (t.or(folder.title), Some(y)),
        // A yearless file in `Movie (1999)/` is that movie, whatever the file is called.
        (_, None) if folder.year.is_some() && folder.title.is_some() => (folder.title, folder.year),
        (Some(t), None) => (non_empty(strip_part(&t)), None),
        (None, None) => (folder.title, None),
    };
    if title.is_none() && year.is_none() {
        return;
    }
    id.kind = Kind::Movie;
    id.title = title;
    id.year = year;
}
