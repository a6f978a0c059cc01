//! Sidecar metadata: Kodi NFO files, Marquee's JSON sidecar, and local artwork.
//!
//! Three sources describe a title, in rising precedence:
//!
//! 1. what the file and folder names say (the `naming` module);
//! 2. a Kodi NFO file ([`read_nfo`]);
//! 3. a Marquee JSON sidecar ([`read_json`]).
//!
//! [`Metadata::merge_from`] layers them: a field set by a higher source wins, a
//! field it leaves unset keeps the lower source's value.  Which files belong to a
//! video or a folder is decided from a directory listing alone
//! ([`sidecars_for_video`], [`sidecars_for_folder`]); nothing here touches the
//! disk except [`read_sidecar_file`].
//!
//! The file formats are documented in `docs/sidecar.md`.

mod artwork;
mod json;
mod nfo;

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

pub use artwork::{season_artwork_from_show_folder, sidecars_for_folder, sidecars_for_video};
pub use json::read_json;
pub use nfo::{read_nfo, read_nfo_all};

/// Largest sidecar file (NFO or JSON) that is read: 4 MiB.  Real sidecars are a
/// few kilobytes; anything bigger is a mistake or an attack.
pub const MAX_SIDECAR_BYTES: usize = 4 * 1024 * 1024;

/// What a sidecar says about a series, season, episode or movie.  Every field is
/// optional: a sidecar may set as little as it likes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Metadata {
    pub title: Option<String>,
    pub sort_title: Option<String>,
    pub original_title: Option<String>,
    pub synopsis: Option<String>,
    pub tagline: Option<String>,
    pub year: Option<i32>,
    /// `YYYY-MM-DD`: premiered (series, movie), aired (episode) or release date.
    pub air_date: Option<String>,
    pub runtime_minutes: Option<u32>,
    /// As written ("TV-MA", "PG-13"), without "Rated " or country prefixes.
    pub content_rating: Option<String>,
    pub genres: Vec<String>,
    pub tags: Vec<String>,
    /// Studios and networks.
    pub studios: Vec<String>,
    pub season: Option<u32>,
    pub episode: Option<u32>,
    pub people: Vec<PersonCredit>,
    pub artwork: Vec<ArtworkRef>,
    pub reviews: Vec<Review>,
    /// "imdb" -> "tt…", "tmdb" -> "…", "tvdb" -> "…".
    pub external_ids: BTreeMap<String, String>,
    /// Chapters of the video (a video's own sidecar), in any order.
    pub chapters: Vec<ChapterMark>,
    /// Where the intro lies in the video, for "Skip intro".
    pub intro: Option<IntroMark>,
    /// Where the end credits start in the video, for "Next episode".
    pub credits_start_ms: Option<u64>,
}

/// A chapter as a sidecar gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChapterMark {
    pub start_ms: u64,
    pub title: Option<String>,
}

/// An intro as a sidecar gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntroMark {
    pub start_ms: u64,
    pub end_ms: u64,
}

/// A time in a video: seconds (`90`, `90.5`) or `[HH:]MM:SS[.fff]` (`1:30`, `00:01:30.500`).
/// `None` for anything else or a time past 100 hours.
pub fn parse_timestamp(s: &str) -> Option<u64> {
    let s = s.trim();
    let mut secs = 0f64;
    let parts: Vec<&str> = s.split(':').collect();
    if parts.len() > 3 || parts.iter().any(|p| p.is_empty()) {
        return None;
    }
    for (i, p) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        if !p.chars().all(|c| c.is_ascii_digit() || (last && c == '.')) {
            return None;
        }
        let v: f64 = p.parse().ok()?;
        if !last && v.fract() != 0.0 || (i > 0 && v >= 60.0) {
            return None;
        }
        secs = secs * 60.0 + v;
    }
    (secs.is_finite() && secs < 360_000.0).then(|| (secs * 1000.0).round() as u64)
}

/// One person's credit on a title.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonCredit {
    pub name: String,
    pub role: Role,
    /// The character played (cast) or a description of the part ("Himself").
    #[serde(default)]
    pub character: Option<String>,
    /// Billing order, 0 first.
    #[serde(default)]
    pub order: Option<u32>,
    /// Photo: relative path or absolute URL.
    #[serde(default)]
    pub photo: Option<String>,
    #[serde(default)]
    pub biography: Option<String>,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    pub birth_date: Option<String>,
}

/// The part a person played in making a title.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Director,
    Writer,
    Producer,
    Creator,
    Cast,
    /// Documentary: the person the film is about.
    Subject,
    /// Documentary: a person interviewed.
    Interviewee,
    Narrator,
    Composer,
    Editor,
    Cinematographer,
    Other,
}

impl Role {
    /// Every role, in the order credits are usually listed.
    pub const ALL: [Role; 12] = [
        Role::Director,
        Role::Writer,
        Role::Producer,
        Role::Creator,
        Role::Cast,
        Role::Subject,
        Role::Interviewee,
        Role::Narrator,
        Role::Composer,
        Role::Editor,
        Role::Cinematographer,
        Role::Other,
    ];

    /// The snake_case name used in JSON and the database.
    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Director => "director",
            Role::Writer => "writer",
            Role::Producer => "producer",
            Role::Creator => "creator",
            Role::Cast => "cast",
            Role::Subject => "subject",
            Role::Interviewee => "interviewee",
            Role::Narrator => "narrator",
            Role::Composer => "composer",
            Role::Editor => "editor",
            Role::Cinematographer => "cinematographer",
            Role::Other => "other",
        }
    }

    /// Reads a role leniently: any case, common synonyms ("actor", "Guest Star",
    /// "Executive Producer", "Director of Photography", "self").  Anything not
    /// recognised is [`Role::Other`].
    pub fn parse(s: &str) -> Role {
        let norm: String = s
            .trim()
            .chars()
            .map(|c| {
                if c == '_' || c == '-' {
                    ' '
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .collect();
        let norm = norm.split_whitespace().collect::<Vec<_>>().join(" ");
        match norm.as_str() {
            "director" | "directed by" | "co director" | "directing" => Role::Director,
            "writer" | "written by" | "screenplay" | "screenwriter" | "author" | "story"
            | "credits" | "teleplay" => Role::Writer,
            "producer"
            | "produced by"
            | "executive producer"
            | "co producer"
            | "coproducer"
            | "line producer"
            | "supervising producer" => Role::Producer,
            "creator" | "created by" | "showrunner" => Role::Creator,
            "cast" | "actor" | "actress" | "guest star" | "gueststar" | "guest" | "star"
            | "voice" | "voice actor" => Role::Cast,
            "subject" | "self" | "himself" | "herself" | "themselves" => Role::Subject,
            "interviewee" | "interview" | "interviewed" | "contributor" => Role::Interviewee,
            "narrator" | "narrated by" | "narration" => Role::Narrator,
            "composer" | "music" | "music by" | "original music" | "score" => Role::Composer,
            "editor" | "edited by" | "film editor" | "film editing" | "editing" => Role::Editor,
            "cinematographer"
            | "cinematography"
            | "director of photography"
            | "dop"
            | "dp"
            | "camera" => Role::Cinematographer,
            _ => Role::Other,
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A piece of artwork for a title.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArtworkRef {
    pub kind: ArtworkKind,
    /// Relative to the sidecar's folder, or an absolute URL.
    pub path: String,
}

/// What a piece of artwork is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArtworkKind {
    /// Portrait key art (2:3).
    Poster,
    /// Wide background art without text (16:9), "fanart" in Kodi.
    Backdrop,
    /// A still from the title (16:9): episode thumbnails, "landscape" art.
    Thumb,
    /// A transparent title logo.
    Logo,
    /// A wide, short banner (about 5.4:1).
    Banner,
}

impl ArtworkKind {
    /// The snake_case name used in JSON.
    pub fn as_str(&self) -> &'static str {
        match self {
            ArtworkKind::Poster => "poster",
            ArtworkKind::Backdrop => "backdrop",
            ArtworkKind::Thumb => "thumb",
            ArtworkKind::Logo => "logo",
            ArtworkKind::Banner => "banner",
        }
    }

    /// Reads a kind leniently, with Kodi's names ("fanart", "landscape",
    /// "clearlogo").  `None` when not recognised.
    pub fn parse(s: &str) -> Option<ArtworkKind> {
        match s.trim().to_ascii_lowercase().as_str() {
            "poster" | "folder" | "cover" | "keyart" => Some(ArtworkKind::Poster),
            "backdrop" | "fanart" | "background" | "art" => Some(ArtworkKind::Backdrop),
            "thumb" | "landscape" | "still" | "thumbnail" => Some(ArtworkKind::Thumb),
            "logo" | "clearlogo" => Some(ArtworkKind::Logo),
            "banner" => Some(ArtworkKind::Banner),
            _ => None,
        }
    }
}

/// A critic's or editor's review of a title.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Review {
    pub author: String,
    #[serde(default)]
    pub publication: Option<String>,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    pub date: Option<String>,
    /// 0–100.
    #[serde(default)]
    pub score: Option<f32>,
    /// The score as the publication shows it ("4/5", "B+").
    #[serde(default)]
    pub score_text: Option<String>,
    #[serde(default)]
    pub body_markdown: String,
    #[serde(default)]
    pub url: Option<String>,
}

/// Which kind of folder [`sidecars_for_folder`] looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FolderKind {
    /// A show's top folder (`Shows/The Wire (2002)/`).
    Series,
    /// A season folder (`Season 01/`); 0 is specials.
    Season(u32),
    /// A movie's own folder (`Movies/Heat (1995)/`).
    Movie,
}

/// The sidecar files and local artwork that belong to a video or a folder.  Names
/// are as they appear in the listing (relative to that folder).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SidecarSet {
    pub nfo: Option<String>,
    pub json: Option<String>,
    /// Most specific first; the first of a kind is the one to use.
    pub artwork: Vec<ArtworkRef>,
}

impl SidecarSet {
    /// True when nothing was found.
    pub fn is_empty(&self) -> bool {
        self.nfo.is_none() && self.json.is_none() && self.artwork.is_empty()
    }

    /// The preferred artwork of a kind.
    pub fn first(&self, kind: ArtworkKind) -> Option<&ArtworkRef> {
        self.artwork.iter().find(|a| a.kind == kind)
    }
}

/// Why a sidecar could not be read.  Messages name the file when it is known
/// (see [`SidecarError::in_file`]) and say where the problem is.
#[derive(Debug, thiserror::Error)]
pub enum SidecarError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{} is not XML: {message} at byte {position}", display_file(.file, "the NFO file"))]
    NotXml {
        file: Option<String>,
        message: String,
        position: u64,
    },
    #[error("{} is not valid JSON: {message} at line {line}, column {column}", display_file(.file, "the JSON sidecar"))]
    Json {
        file: Option<String>,
        message: String,
        line: usize,
        column: usize,
    },
    #[error("{} has a bad value for `{field}`: {message}", display_file(.file, "the JSON sidecar"))]
    Invalid {
        file: Option<String>,
        field: String,
        message: String,
    },
    #[error("{} is {size} bytes; sidecars larger than {limit} bytes are not read", display_file(.file, "the sidecar"))]
    TooLarge {
        file: Option<String>,
        size: u64,
        limit: u64,
    },
}

fn display_file(file: &Option<String>, fallback: &str) -> String {
    file.clone().unwrap_or_else(|| fallback.to_string())
}

impl SidecarError {
    /// Names the file the error is about, for the message ("tvshow.nfo is not
    /// XML: …").
    pub fn in_file(mut self, name: impl Into<String>) -> Self {
        let name = name.into();
        match &mut self {
            SidecarError::Io { .. } => {}
            SidecarError::NotXml { file, .. }
            | SidecarError::Json { file, .. }
            | SidecarError::Invalid { file, .. }
            | SidecarError::TooLarge { file, .. } => *file = Some(name),
        }
        self
    }
}

pub(crate) fn check_size(len: usize) -> Result<(), SidecarError> {
    if len > MAX_SIDECAR_BYTES {
        return Err(SidecarError::TooLarge {
            file: None,
            size: len as u64,
            limit: MAX_SIDECAR_BYTES as u64,
        });
    }
    Ok(())
}

/// Reads a sidecar file from disk: `.nfo` with [`read_nfo`], anything else with
/// [`read_json`].  The size is checked before reading, and errors name the file.
pub fn read_sidecar_file(path: &Path) -> Result<Metadata, SidecarError> {
    use std::io::Read;
    let shown = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let io_err = |source| SidecarError::Io {
        path: path.display().to_string(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io_err)?;
    let len = file.metadata().map_err(io_err)?.len();
    if len > MAX_SIDECAR_BYTES as u64 {
        return Err(SidecarError::TooLarge {
            file: Some(shown),
            size: len,
            limit: MAX_SIDECAR_BYTES as u64,
        });
    }
    let mut bytes = Vec::with_capacity(len as usize);
    // Read one byte past the cap in case the file grew since `metadata`.
    file.take(MAX_SIDECAR_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(io_err)?;
    let is_nfo = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("nfo"));
    let result = if is_nfo {
        read_nfo(&bytes)
    } else {
        read_json(&bytes)
    };
    result.map_err(|e| e.in_file(shown))
}

impl Metadata {
    /// Layers `other` over `self`: every field `other` sets wins; fields it leaves
    /// unset keep their value.  Lists replace whole (a non-empty list in `other`
    /// replaces the list here); `external_ids` merge key by key.
    ///
    /// Build the final record as `from_name.merge_from(nfo); .merge_from(json)`.
    pub fn merge_from(&mut self, other: Metadata) {
        fn opt<T>(mine: &mut Option<T>, theirs: Option<T>) {
            if theirs.is_some() {
                *mine = theirs;
            }
        }
        fn list<T>(mine: &mut Vec<T>, theirs: Vec<T>) {
            if !theirs.is_empty() {
                *mine = theirs;
            }
        }
        let Metadata {
            title,
            sort_title,
            original_title,
            synopsis,
            tagline,
            year,
            air_date,
            runtime_minutes,
            content_rating,
            genres,
            tags,
            studios,
            season,
            episode,
            people,
            artwork,
            reviews,
            external_ids,
            chapters,
            intro,
            credits_start_ms,
        } = other;
        opt(&mut self.title, title);
        opt(&mut self.sort_title, sort_title);
        opt(&mut self.original_title, original_title);
        opt(&mut self.synopsis, synopsis);
        opt(&mut self.tagline, tagline);
        opt(&mut self.year, year);
        opt(&mut self.air_date, air_date);
        opt(&mut self.runtime_minutes, runtime_minutes);
        opt(&mut self.content_rating, content_rating);
        list(&mut self.genres, genres);
        list(&mut self.tags, tags);
        list(&mut self.studios, studios);
        opt(&mut self.season, season);
        opt(&mut self.episode, episode);
        list(&mut self.people, people);
        list(&mut self.artwork, artwork);
        list(&mut self.reviews, reviews);
        self.external_ids.extend(external_ids);
        list(&mut self.chapters, chapters);
        opt(&mut self.intro, intro);
        opt(&mut self.credits_start_ms, credits_start_ms);
    }

    /// The people credited with a role, in billing order.
    pub fn people_with(&self, role: Role) -> impl Iterator<Item = &PersonCredit> {
        self.people.iter().filter(move |p| p.role == role)
    }

    /// True when no field is set.
    pub fn is_empty(&self) -> bool {
        *self == Metadata::default()
    }
}

// ---------------------------------------------------------------------------
// Small normalisers shared by the NFO and JSON readers.

/// Trims; `None` when nothing is left.
pub(crate) fn clean(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// "Rated PG-13" -> "PG-13"; "US:PG-13 / GB:12A" -> "PG-13"; "TV-MA" stays.
pub(crate) fn normalize_rating(s: &str) -> Option<String> {
    let first = s.split(" / ").next().unwrap_or(s).trim();
    let first = match first.split_once(':') {
        // "US:PG-13", "gb:15"; keep ratings that merely contain ':' after a space.
        Some((country, rest))
            if (2..=3).contains(&country.len())
                && country.chars().all(|c| c.is_ascii_alphabetic()) =>
        {
            rest.trim()
        }
        _ => first,
    };
    let lower = first.to_ascii_lowercase();
    let first = if lower.starts_with("rated ") {
        first[6..].trim()
    } else {
        first
    };
    clean(first)
}

/// Accepts `YYYY-MM-DD`, `YYYY-MM-DD HH:MM:SS`, `YYYY-MM-DDTHH…`, `YYYY/MM/DD`
/// and `YYYY-MM`/`YYYY` (padded with `-01`).
pub(crate) fn normalize_date(s: &str) -> Option<String> {
    let t = s.trim();
    let date_part = t.split(['T', ' ']).next().unwrap_or(t);
    let parts: Vec<&str> = date_part.split(['-', '/', '.']).collect();
    let num = |p: &str, len: usize| -> Option<u32> {
        (p.len() == len && p.chars().all(|c| c.is_ascii_digit()))
            .then(|| p.parse().ok())
            .flatten()
    };
    let (y, m, d) = match parts.as_slice() {
        [y, m, d] => (num(y, 4)?, num_1_2(m)?, num_1_2(d)?),
        [y, m] => (num(y, 4)?, num_1_2(m)?, 1),
        [y] => (num(y, 4)?, 1, 1),
        _ => return None,
    };
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || y < 1800 {
        return None;
    }
    Some(format!("{y:04}-{m:02}-{d:02}"))
}

fn num_1_2(p: &str) -> Option<u32> {
    ((1..=2).contains(&p.len()) && p.chars().all(|c| c.is_ascii_digit()))
        .then(|| p.parse().ok())
        .flatten()
}

/// The year of a normalised date.
pub(crate) fn year_of(date: &str) -> Option<i32> {
    date.get(0..4)?.parse().ok()
}

/// Minutes from "95", "95 min", "1h 35m", "1:35:00" (h:m:s), "PT1H35M".
pub(crate) fn parse_runtime(s: &str) -> Option<u32> {
    let t = s.trim().to_ascii_lowercase();
    if t.is_empty() {
        return None;
    }
    if t.contains(':') {
        let parts: Vec<u32> = t
            .split(':')
            .map(|p| p.trim().parse::<u32>())
            .collect::<Result<_, _>>()
            .ok()?;
        return match parts.as_slice() {
            [h, m, s] => h
                .checked_mul(60)?
                .checked_add(*m)?
                .checked_add(u32::from(*s >= 30)),
            [m, s] => m.checked_add(u32::from(*s >= 30)),
            _ => None,
        };
    }
    let t = t.strip_prefix("pt").unwrap_or(&t);
    let mut minutes = 0u32;
    let mut any = false;
    let mut digits = String::new();
    let mut chars = t.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        if c == ' ' && chars.peek().is_some_and(|n| n.is_ascii_alphabetic()) {
            continue;
        }
        if digits.is_empty() {
            continue;
        }
        let n: u32 = digits.parse().ok()?;
        digits.clear();
        any = true;
        match c {
            'h' => minutes = minutes.checked_add(n.checked_mul(60)?)?,
            's' => minutes = minutes.checked_add(u32::from(n >= 30))?,
            _ => minutes = minutes.checked_add(n)?,
        }
        // Skip the rest of the unit word ("min", "hours").
        while chars.peek().is_some_and(|n| n.is_ascii_alphabetic()) {
            chars.next();
        }
    }
    if !digits.is_empty() {
        minutes = minutes.checked_add(digits.parse().ok()?)?;
        any = true;
    }
    (any && minutes > 0).then_some(minutes)
}

/// Adds `value` to `list` unless it is empty or already there (any case).
pub(crate) fn push_unique(list: &mut Vec<String>, value: &str) {
    let Some(v) = clean(value) else { return };
    if !list.iter().any(|x| x.eq_ignore_ascii_case(&v)) {
        list.push(v);
    }
}

/// Adds each part of "Drama / Crime" (also `|` and `;` separated).
pub(crate) fn push_split(list: &mut Vec<String>, value: &str) {
    for part in split_list(value) {
        push_unique(list, part);
    }
}

/// Splits "Drama / Crime", "Drama|Crime", "Drama; Crime".  A bare slash is kept
/// ("AC/DC", "Sci-Fi/Fantasy" as one name).
pub(crate) fn split_list(value: &str) -> impl Iterator<Item = &str> {
    value
        .split(" / ")
        .flat_map(|p| p.split(['|', ';']))
        .map(str::trim)
        .filter(|p| !p.is_empty())
}

/// Normalises an external id key: "IMDB" -> "imdb", "themoviedb" -> "tmdb".
pub(crate) fn normalize_id_key(k: &str) -> Option<String> {
    let k = k.trim().to_ascii_lowercase();
    let k = match k.as_str() {
        "" => return None,
        "imdb" | "imdb_id" | "imdbid" => "imdb",
        "tmdb" | "themoviedb" | "tmdb_id" | "tmdbid" | "moviedb" => "tmdb",
        "tvdb" | "thetvdb" | "tvdb_id" | "tvdbid" => "tvdb",
        other => other,
    };
    Some(k.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_layers_set_fields() {
        let mut from_name = Metadata {
            title: Some("the defiant ones".into()),
            year: Some(2017),
            season: Some(1),
            episode: Some(1),
            ..Metadata::default()
        };
        let nfo = Metadata {
            title: Some("The Defiant Ones".into()),
            genres: vec!["Documentary".into()],
            external_ids: [("tvdb".to_string(), "1".to_string())].into(),
            ..Metadata::default()
        };
        let json = Metadata {
            synopsis: Some("Ours.".into()),
            genres: vec!["Documentary".into(), "Music".into()],
            external_ids: [("imdb".to_string(), "tt1".to_string())].into(),
            ..Metadata::default()
        };
        from_name.merge_from(nfo);
        from_name.merge_from(json);
        assert_eq!(from_name.title.as_deref(), Some("The Defiant Ones"));
        assert_eq!(from_name.year, Some(2017));
        assert_eq!((from_name.season, from_name.episode), (Some(1), Some(1)));
        assert_eq!(from_name.synopsis.as_deref(), Some("Ours."));
        assert_eq!(from_name.genres, ["Documentary", "Music"]);
        assert_eq!(from_name.external_ids.len(), 2, "ids merge key by key");
        let before = from_name.clone();
        from_name.merge_from(Metadata::default());
        assert_eq!(from_name, before, "an empty layer changes nothing");
    }

    #[test]
    fn roles_round_trip_and_synonyms() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), role);
            let json = serde_json::to_string(&role).expect("serializes");
            assert_eq!(json, format!("\"{}\"", role.as_str()));
        }
        assert_eq!(Role::parse(" Actor "), Role::Cast);
        assert_eq!(Role::parse("GuestStar"), Role::Cast);
        assert_eq!(Role::parse("executive_producer"), Role::Producer);
        assert_eq!(
            Role::parse("Director of Photography"),
            Role::Cinematographer
        );
        assert_eq!(Role::parse("Herself"), Role::Subject);
        assert_eq!(Role::parse("best boy"), Role::Other);
        assert_eq!(ArtworkKind::parse("FanArt"), Some(ArtworkKind::Backdrop));
        assert_eq!(ArtworkKind::parse("disc"), None);
    }

    #[test]
    fn normalisers() {
        assert_eq!(normalize_rating("Rated PG-13").as_deref(), Some("PG-13"));
        assert_eq!(
            normalize_rating("US:PG-13 / GB:12A").as_deref(),
            Some("PG-13")
        );
        assert_eq!(normalize_rating("us:TV-MA").as_deref(), Some("TV-MA"));
        assert_eq!(normalize_rating("TV-14").as_deref(), Some("TV-14"));
        assert_eq!(normalize_rating("  "), None);
        assert_eq!(normalize_date("2017-07-09").as_deref(), Some("2017-07-09"));
        assert_eq!(
            normalize_date("2017-7-9 20:00:00").as_deref(),
            Some("2017-07-09")
        );
        assert_eq!(
            normalize_date("2017-07-09T21:00:00Z").as_deref(),
            Some("2017-07-09")
        );
        assert_eq!(normalize_date("2017/07/09").as_deref(), Some("2017-07-09"));
        assert_eq!(normalize_date("2017").as_deref(), Some("2017-01-01"));
        assert_eq!(normalize_date("2017-13-01"), None);
        assert_eq!(normalize_date("July 9"), None);
        assert_eq!(parse_runtime("95"), Some(95));
        assert_eq!(parse_runtime("95 min"), Some(95));
        assert_eq!(parse_runtime("1h 35m"), Some(95));
        assert_eq!(parse_runtime("1 hour 35 minutes"), Some(95));
        assert_eq!(parse_runtime("PT1H35M"), Some(95));
        assert_eq!(parse_runtime("1:35:00"), Some(95));
        assert_eq!(parse_runtime("0"), None);
        assert_eq!(parse_runtime("long"), None);
        assert_eq!(parse_runtime("99999999999999 min"), None);
        assert_eq!(parse_runtime("4294967295:59:59"), None);
        assert_eq!(parse_runtime("99999999h"), None);
    }

    #[test]
    fn read_sidecar_file_names_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let nfo = dir.path().join("tvshow.nfo");
        std::fs::write(&nfo, "<tvshow><title>X</title>").expect("write");
        let msg = read_sidecar_file(&nfo).unwrap_err().to_string();
        assert!(msg.starts_with("tvshow.nfo is not XML: "), "{msg}");
        let json = dir.path().join("marquee.json");
        std::fs::write(&json, r#"{"title": "X"}"#).expect("write");
        assert_eq!(
            read_sidecar_file(&json).expect("reads").title.as_deref(),
            Some("X")
        );
        let missing = read_sidecar_file(&dir.path().join("nope.nfo")).unwrap_err();
        assert!(matches!(missing, SidecarError::Io { .. }));
        let big = dir.path().join("big.json");
        std::fs::write(&big, vec![b' '; MAX_SIDECAR_BYTES + 10]).expect("write");
        assert!(matches!(
            read_sidecar_file(&big),
            Err(SidecarError::TooLarge { file: Some(_), .. })
        ));
    }

    // ---- the demo library shipped in demo/library -------------------------

    fn demo_root() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../demo/library")
    }

    fn listing(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .expect("demo folder is readable")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    fn read(dir: &Path, name: &Option<String>) -> Metadata {
        match name {
            Some(n) => read_sidecar_file(&dir.join(n)).unwrap_or_else(|e| panic!("{e}")),
            None => Metadata::default(),
        }
    }

    /// Every listed artwork that is not a URL exists.
    fn assert_art_exists(dir: &Path, m: &Metadata) {
        for a in &m.artwork {
            if !a.path.contains("://") {
                assert!(dir.join(&a.path).is_file(), "missing artwork {}", a.path);
            }
        }
    }

    #[test]
    fn demo_library_sidecars() {
        let root = demo_root();
        let show_dir = root.join("Shows/The Defiant Ones (2017)");
        let show_names = listing(&show_dir);
        let show_refs: Vec<&str> = show_names.iter().map(String::as_str).collect();
        let show_set = sidecars_for_folder(FolderKind::Series, &show_refs);
        assert_eq!(show_set.nfo.as_deref(), Some("tvshow.nfo"));
        assert_eq!(show_set.json.as_deref(), Some("marquee.json"));
        assert!(show_set.first(ArtworkKind::Poster).is_some());
        assert!(show_set.first(ArtworkKind::Backdrop).is_some());
        let season_art = season_artwork_from_show_folder(1, &show_refs);
        assert_eq!(
            season_art.first().map(|a| a.path.as_str()),
            Some("season01-poster.jpg")
        );

        let nfo = read(&show_dir, &show_set.nfo);
        let json = read(&show_dir, &show_set.json);
        assert_art_exists(&show_dir, &nfo);
        assert_art_exists(&show_dir, &json);
        let mut show = Metadata::default();
        show.merge_from(nfo);
        show.merge_from(json);
        assert_eq!(show.title.as_deref(), Some("The Defiant Ones"));
        assert_eq!(show.year, Some(2017));
        assert_eq!(show.content_rating.as_deref(), Some("TV-MA"));
        assert_eq!(show.genres, ["Documentary", "Music"]);
        assert_eq!(show.studios, ["HBO"]);
        let directors: Vec<&str> = show
            .people_with(Role::Director)
            .map(|p| p.name.as_str())
            .collect();
        assert_eq!(directors, ["Allen Hughes"]);
        let subjects: Vec<&str> = show
            .people_with(Role::Subject)
            .map(|p| p.name.as_str())
            .collect();
        assert_eq!(subjects, ["Dr. Dre", "Jimmy Iovine"]);
        assert!(show
            .people_with(Role::Interviewee)
            .any(|p| p.name == "Verna Griffin"));
        assert!(show.people_with(Role::Interviewee).count() >= 15);
        assert_eq!(show.reviews.len(), 1);
        let review = &show.reviews[0];
        assert_eq!(review.author, "Marquee Editors");
        assert_eq!(review.publication.as_deref(), Some("Marquee"));
        assert!(review.score.is_some_and(|s| (0.0..=100.0).contains(&s)));
        assert!(
            review.body_markdown.contains("\n- "),
            "the review has a list"
        );
        assert!(
            review.body_markdown.contains('*'),
            "the review has emphasis"
        );

        let season_dir = show_dir.join("Season 01");
        let season_names = listing(&season_dir);
        let season_refs: Vec<&str> = season_names.iter().map(String::as_str).collect();
        let season_set = sidecars_for_folder(FolderKind::Season(1), &season_refs);
        let season = read(&season_dir, &season_set.nfo);
        assert_eq!(season.season, Some(1));

        let videos: Vec<&str> = season_refs
            .iter()
            .copied()
            .filter(|n| n.ends_with(".mp4"))
            .collect();
        assert_eq!(videos.len(), 4);
        let air_dates = ["2017-07-09", "2017-07-10", "2017-07-11", "2017-07-12"];
        for (i, video) in videos.iter().enumerate() {
            let set = sidecars_for_video(video, &season_refs);
            assert!(set.json.is_some(), "{video} has a JSON sidecar");
            assert!(
                set.first(ArtworkKind::Thumb).is_some(),
                "{video} has a still"
            );
            let ep = read(&season_dir, &set.json);
            assert_art_exists(&season_dir, &ep);
            assert_eq!(ep.season, Some(1));
            assert_eq!(ep.episode, Some(i as u32 + 1));
            assert_eq!(ep.air_date.as_deref(), Some(air_dates[i]));
            assert!(ep.runtime_minutes.is_some());
            let synopsis = ep.synopsis.unwrap_or_default();
            let sentences = synopsis.matches(". ").count() + 1;
            assert!((2..=4).contains(&sentences), "{video}: {synopsis}");
        }

        // Movies: each has a sidecar, a poster and a rating; one is rated R.
        let movies_dir = root.join("Movies");
        let mut ratings = Vec::new();
        let mut subtitles = 0;
        for folder in listing(&movies_dir) {
            let dir = movies_dir.join(&folder);
            let names = listing(&dir);
            let refs: Vec<&str> = names.iter().map(String::as_str).collect();
            let video = format!("{folder}.mp4");
            assert!(refs.contains(&video.as_str()), "{folder} has {video}");
            let set = sidecars_for_video(&video, &refs);
            assert!(
                set.nfo.is_some() || set.json.is_some(),
                "{folder} has a sidecar"
            );
            assert!(
                set.first(ArtworkKind::Poster).is_some(),
                "{folder} has a poster"
            );
            let mut m = read(&dir, &set.nfo);
            m.merge_from(read(&dir, &set.json));
            assert_art_exists(&dir, &m);
            assert!(
                m.title.is_some() && m.year.is_some() && m.synopsis.is_some(),
                "{folder}"
            );
            assert!(m.people_with(Role::Director).count() == 1, "{folder}");
            assert!(!m.genres.is_empty());
            ratings.push(m.content_rating.unwrap_or_default());
            subtitles += refs.iter().filter(|n| n.ends_with(".en.srt")).count();
        }
        assert_eq!(ratings.len(), 3);
        assert!(ratings.iter().any(|r| r == "R"), "{ratings:?}");
        assert!(ratings.iter().all(|r| !r.is_empty()));
        assert_eq!(subtitles, 1);
    }

    #[test]
    fn timestamps() {
        assert_eq!(parse_timestamp("90"), Some(90_000));
        assert_eq!(parse_timestamp("90.5"), Some(90_500));
        assert_eq!(parse_timestamp("1:30"), Some(90_000));
        assert_eq!(parse_timestamp(" 00:01:30.250 "), Some(90_250));
        assert_eq!(parse_timestamp("1:02:03"), Some(3_723_000));
        for bad in [
            "",
            "abc",
            "1:60",
            "1::2",
            "1.5:00",
            "-3",
            "1:2:3:4",
            "999999999",
        ] {
            assert_eq!(parse_timestamp(bad), None, "{bad}");
        }
    }
}
