//! Read models: what the catalog API returns. Serialisable, and described for OpenAPI when the
//! `openapi` feature is on.

use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::{IntoParams, ToSchema};

/// One page of a listing.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Page<T> {
    pub items: Vec<T>,
    /// How many items match, across all pages.
    pub total: i64,
}

/// Sort orders for listings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SortBy {
    #[default]
    Title,
    Year,
    Added,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Order {
    #[default]
    Asc,
    Desc,
}

/// Filter, sort and pagination for series and movie listings.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(IntoParams))]
#[serde(default)]
pub struct ListQuery {
    /// Case-insensitive substring of the title.
    pub q: Option<String>,
    /// Only items with this genre.
    pub genre: Option<String>,
    /// Only items from this year.
    pub year: Option<i32>,
    pub sort: SortBy,
    pub order: Order,
    /// Items to skip (default 0).
    pub offset: Option<i64>,
    /// Page size (default 50, at most 500).
    pub limit: Option<i64>,
}

/// A series or movie in a listing.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct TitleSummary {
    pub id: i64,
    /// "series" or "movie".
    pub kind: String,
    pub title: String,
    pub year: Option<i32>,
    pub synopsis: Option<String>,
    pub content_rating: Option<String>,
    pub runtime_minutes: Option<i64>,
    pub genres: Vec<String>,
    /// URL of the poster, when there is one.
    pub poster: Option<String>,
    pub backdrop: Option<String>,
    /// Episodes available (series only).
    pub episode_count: Option<i64>,
    /// Unix seconds.
    pub added_at: i64,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CreditView {
    pub person_id: i64,
    pub name: String,
    pub role: String,
    pub character: Option<String>,
    pub photo: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ReviewView {
    pub id: i64,
    pub author: String,
    pub publication: Option<String>,
    pub date: Option<String>,
    /// 0–100.
    pub score: Option<f64>,
    pub score_text: Option<String>,
    pub body_markdown: String,
    /// The body rendered from Markdown and sanitised: safe to insert into a page as it is.
    pub body_html: String,
    /// A web address (http or https) for the full review.
    pub url: Option<String>,
    /// `sidecar` (from the title's metadata files, rewritten by rescans) or `admin` (written or
    /// edited by an administrator; rescans leave it).
    pub source: String,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ArtworkView {
    /// poster, backdrop, thumb, logo, banner.
    pub kind: String,
    /// Carries a version (`?v=`), so the image may be cached for good; add `&w=320` or `&w=640`
    /// for a smaller copy.
    pub url: String,
    /// A placeholder to paint while the image loads (<https://blurha.sh>), once computed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blurhash: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// `sidecar` (an image next to the video) or `generated` (a frame of the video).
    pub source: String,
}

/// The file behind a playable item.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct FileView {
    pub id: i64,
    /// Path relative to its media root.
    pub path: String,
    pub size: i64,
    /// ok, failed or missing.
    pub status: String,
    pub error: Option<String>,
    pub duration_ms: Option<i64>,
    /// The native probe's findings (container, tracks), as `marquee probe` prints them.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub probe: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct EpisodeView {
    pub id: i64,
    pub number: i64,
    /// Last episode number of a multi-episode file.
    pub number_end: Option<i64>,
    pub title: String,
    pub synopsis: Option<String>,
    pub air_date: Option<String>,
    pub runtime_minutes: Option<i64>,
    pub duration_ms: Option<i64>,
    pub content_rating: Option<String>,
    pub still: Option<String>,
    /// False while the file is missing or failed to read.
    pub available: bool,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct SeasonView {
    pub id: i64,
    /// 0 for specials.
    pub number: i64,
    pub title: String,
    pub synopsis: Option<String>,
    pub poster: Option<String>,
    pub episodes: Vec<EpisodeView>,
}

/// Any item (series, season, episode, movie, extra) in full.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ItemDetail {
    pub id: i64,
    /// series, season, episode, movie or extra.
    pub kind: String,
    pub title: String,
    pub original_title: Option<String>,
    pub sort_title: String,
    pub synopsis: Option<String>,
    pub tagline: Option<String>,
    pub year: Option<i32>,
    pub air_date: Option<String>,
    pub runtime_minutes: Option<i64>,
    pub content_rating: Option<String>,
    pub parent_id: Option<i64>,
    pub series_id: Option<i64>,
    pub season_number: Option<i64>,
    pub episode_number: Option<i64>,
    pub extra_kind: Option<String>,
    pub genres: Vec<String>,
    pub tags: Vec<String>,
    pub studios: Vec<String>,
    pub credits: Vec<CreditView>,
    pub reviews: Vec<ReviewView>,
    pub artwork: Vec<ArtworkView>,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub external_ids: serde_json::Value,
    pub file: Option<FileView>,
    /// Seasons with their episodes (series only).
    pub seasons: Vec<SeasonView>,
    /// Trailers, featurettes and other extras that belong to this item.
    pub extras: Vec<TitleRef>,
    pub added_at: i64,
}

/// A short reference to an item.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct TitleRef {
    pub id: i64,
    pub kind: String,
    pub title: String,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PersonSummary {
    pub id: i64,
    pub name: String,
    pub photo: Option<String>,
    pub credit_count: i64,
}

/// One of a person's credits.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PersonCreditView {
    pub item_id: i64,
    pub kind: String,
    pub title: String,
    pub year: Option<i32>,
    pub air_date: Option<String>,
    pub role: String,
    pub character: Option<String>,
    /// For episodes: the series they belong to.
    pub series_id: Option<i64>,
    pub series_title: Option<String>,
    /// For episodes.
    pub season_number: Option<i64>,
    pub episode_number: Option<i64>,
    /// The poster of the title (an episode's series).
    pub poster: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PersonDetail {
    pub id: i64,
    pub name: String,
    pub photo: Option<String>,
    pub biography: Option<String>,
    pub birth_date: Option<String>,
    /// Credits grouped by role — the role with the most titles first — each group newest first
    /// (undated last).
    pub roles: Vec<RoleGroup>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct RoleGroup {
    pub role: String,
    pub credits: Vec<PersonCreditView>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct GenreCount {
    pub name: String,
    /// Series and movies with this genre.
    pub count: i64,
}

/// A file the scanner could not read, with the reason.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct FailedFile {
    pub id: i64,
    pub library_id: i64,
    pub path: String,
    pub error: String,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct LibraryView {
    pub id: i64,
    pub name: String,
    pub root: String,
    pub files: i64,
    pub failed: i64,
    pub missing: i64,
}
