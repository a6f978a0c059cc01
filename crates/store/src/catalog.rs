//! Catalog reads: listings, details, people, genres, admin views.

use std::collections::HashMap;
use std::path::PathBuf;

use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};

use crate::files::path_from_bytes;
use crate::views::*;
use crate::{Result, Store, StoreError};

/// Largest page a listing returns.
pub const MAX_PAGE: i64 = 500;

/// An item counts as available when it has a readable file, or (series) an available episode.
pub(crate) const AVAILABLE: &str = "(
    (i.kind = 'series' AND EXISTS (SELECT 1 FROM items e JOIN media_files f ON f.id = e.file_id
        WHERE e.series_id = i.id AND e.kind = 'episode' AND f.status = 'ok'))
 OR (i.kind != 'series' AND EXISTS (SELECT 1 FROM media_files f WHERE f.id = i.file_id AND f.status = 'ok'))
)";

pub(crate) fn artwork_url(item_id: i64, kind: &str) -> String {
    format!("/api/v1/items/{item_id}/artwork/{kind}")
}

/// A person's photo as a client fetches it: a web address as it is, a local file (an absolute
/// path the scanner resolved) through the API — the path itself would leak the file system.
fn public_photo(person_id: i64, photo: Option<String>) -> Option<String> {
    let photo = photo?;
    if photo.starts_with("https://") || photo.starts_with("http://") {
        Some(photo)
    } else if photo.starts_with('/') {
        Some(format!("/api/v1/people/{person_id}/photo"))
    } else {
        None
    }
}

impl Store {
    /// Series (`kind = "series"`) or movies (`kind = "movie"`), filtered, sorted and paged.
    /// Only titles `access` may see are listed (and counted).
    pub async fn list_titles(
        &self,
        kind: &str,
        q: &ListQuery,
        access: &crate::Access,
    ) -> Result<Page<TitleSummary>> {
        let limit = q.limit.unwrap_or(50).clamp(1, MAX_PAGE);
        let offset = q.offset.unwrap_or(0).max(0);
        let filters = |b: &mut QueryBuilder<'_, Sqlite>| {
            b.push(" FROM items i WHERE i.kind = ")
                .push_bind(kind.to_string())
                .push(" AND ")
                .push(AVAILABLE);
            crate::profiles::push_access(b, "i", access);
            if let Some(text) = q.q.as_deref().filter(|t| !t.trim().is_empty()) {
                b.push(" AND (i.title LIKE ")
                    .push_bind(format!("%{}%", escape_like(text.trim())))
                    .push(" ESCAPE '\\' OR i.original_title LIKE ")
                    .push_bind(format!("%{}%", escape_like(text.trim())))
                    .push(" ESCAPE '\\')");
            }
            if let Some(genre) = &q.genre {
                b.push(" AND EXISTS (SELECT 1 FROM item_facets g WHERE g.item_id = i.id AND g.facet = 'genre' AND g.value = ")
                    .push_bind(genre.clone())
                    .push(" COLLATE NOCASE)");
            }
            if let Some(year) = q.year {
                b.push(" AND i.year = ").push_bind(year);
            }
        };
        let mut count = QueryBuilder::new("SELECT COUNT(*)");
        filters(&mut count);
        let total: i64 = count.build().fetch_one(&self.reader).await?.try_get(0)?;

        let mut list = QueryBuilder::new(
            "SELECT i.id, i.kind, i.title, i.year, i.synopsis, i.content_rating, i.runtime_minutes, i.added_at,
                CASE WHEN i.kind = 'series' THEN (SELECT COUNT(*) FROM items e JOIN media_files f ON f.id = e.file_id
                    WHERE e.series_id = i.id AND e.kind = 'episode' AND f.status = 'ok') END AS episode_count",
        );
        filters(&mut list);
        let dir = match q.order {
            Order::Asc => "ASC",
            Order::Desc => "DESC",
        };
        let order = match q.sort {
            SortBy::Title => format!(" ORDER BY i.sort_title {dir}, i.id"),
            SortBy::Year => format!(" ORDER BY i.year {dir}, i.sort_title, i.id"),
            SortBy::Added => format!(" ORDER BY i.added_at {dir}, i.id {dir}"),
        };
        list.push(order)
            .push(" LIMIT ")
            .push_bind(limit)
            .push(" OFFSET ")
            .push_bind(offset);
        let rows = list.build().fetch_all(&self.reader).await?;
        let ids: Vec<i64> = rows
            .iter()
            .map(|r| r.try_get(0))
            .collect::<std::result::Result<_, _>>()?;
        let mut genres = self.facets_for(&ids, "genre").await?;
        let art = self.artwork_kinds_for(&ids).await?;
        let mut items = Vec::with_capacity(rows.len());
        for r in rows {
            let id: i64 = r.try_get(0)?;
            let kinds = art.get(&id);
            let has = |k: &str| kinds.is_some_and(|ks| ks.iter().any(|x| x == k));
            items.push(TitleSummary {
                id,
                kind: r.try_get(1)?,
                title: r.try_get(2)?,
                year: r.try_get(3)?,
                synopsis: r.try_get(4)?,
                content_rating: r.try_get(5)?,
                runtime_minutes: r.try_get(6)?,
                added_at: r.try_get(7)?,
                episode_count: r.try_get(8)?,
                genres: genres.remove(&id).unwrap_or_default(),
                poster: has("poster").then(|| artwork_url(id, "poster")),
                backdrop: has("backdrop").then(|| artwork_url(id, "backdrop")),
            });
        }
        Ok(Page { items, total })
    }

    async fn facets_for(&self, ids: &[i64], facet: &str) -> Result<HashMap<i64, Vec<String>>> {
        let mut out: HashMap<i64, Vec<String>> = HashMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        let mut b = QueryBuilder::new("SELECT item_id, value FROM item_facets WHERE facet = ");
        b.push_bind(facet.to_string()).push(" AND item_id IN (");
        let mut sep = b.separated(", ");
        for id in ids {
            sep.push_bind(*id);
        }
        b.push(") ORDER BY value");
        for r in b.build().fetch_all(&self.reader).await? {
            out.entry(r.try_get(0)?).or_default().push(r.try_get(1)?);
        }
        Ok(out)
    }

    async fn artwork_kinds_for(&self, ids: &[i64]) -> Result<HashMap<i64, Vec<String>>> {
        let mut out: HashMap<i64, Vec<String>> = HashMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        let mut b = QueryBuilder::new("SELECT item_id, kind FROM artwork WHERE item_id IN (");
        let mut sep = b.separated(", ");
        for id in ids {
            sep.push_bind(*id);
        }
        b.push(")");
        for r in b.build().fetch_all(&self.reader).await? {
            out.entry(r.try_get(0)?).or_default().push(r.try_get(1)?);
        }
        self.add_generated_kinds(ids, &mut out).await?;
        Ok(out)
    }

    /// Any item in full; a series includes its seasons and episodes.
    pub async fn item_detail(&self, id: i64) -> Result<ItemDetail> {
        let r = sqlx::query(
            "SELECT i.id, i.kind, i.title, i.original_title, i.sort_title, i.synopsis, i.tagline, i.year,
                    i.air_date, i.runtime_minutes, i.content_rating, i.parent_id, i.series_id,
                    i.season_number, i.episode_number, i.extra_kind, i.external_ids, i.added_at,
                    f.id, f.display_path, l.root_display, f.size, f.status, f.error, f.duration_ms, f.probe
             FROM items i
             LEFT JOIN media_files f ON f.id = i.file_id
             LEFT JOIN libraries l ON l.id = f.library_id
             WHERE i.id = ?",
        )
        .bind(id)
        .fetch_optional(&self.reader)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("item {id}")))?;
        let kind: String = r.try_get(1)?;
        let mut facets: HashMap<String, Vec<String>> = HashMap::new();
        for f in
            sqlx::query("SELECT facet, value FROM item_facets WHERE item_id = ? ORDER BY value")
                .bind(id)
                .fetch_all(&self.reader)
                .await?
        {
            facets.entry(f.try_get(0)?).or_default().push(f.try_get(1)?);
        }
        let file = file_view(&r)?;
        let external: Option<String> = r.try_get(16)?;
        let seasons = if kind == "series" {
            self.seasons_of(id).await?
        } else {
            Vec::new()
        };
        let extras = sqlx::query(
            "SELECT id, kind, title FROM items WHERE parent_id = ? AND kind = 'extra' ORDER BY sort_title",
        )
        .bind(id)
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(|r| {
            Ok(TitleRef {
                id: r.try_get(0)?,
                kind: r.try_get(1)?,
                title: r.try_get(2)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        Ok(ItemDetail {
            id,
            kind,
            title: r.try_get(2)?,
            original_title: r.try_get(3)?,
            sort_title: r.try_get(4)?,
            synopsis: r.try_get(5)?,
            tagline: r.try_get(6)?,
            year: r.try_get(7)?,
            air_date: r.try_get(8)?,
            runtime_minutes: r.try_get(9)?,
            content_rating: r.try_get(10)?,
            parent_id: r.try_get(11)?,
            series_id: r.try_get(12)?,
            season_number: r.try_get(13)?,
            episode_number: r.try_get(14)?,
            extra_kind: r.try_get(15)?,
            added_at: r.try_get(17)?,
            genres: facets.remove("genre").unwrap_or_default(),
            tags: facets.remove("tag").unwrap_or_default(),
            studios: facets.remove("studio").unwrap_or_default(),
            credits: self.credits_of(id).await?,
            reviews: self.reviews_of(id).await?,
            artwork: self.artwork_of(id).await?,
            external_ids: external
                .and_then(|s| serde_json::from_str(&s).ok())
                .unwrap_or(serde_json::Value::Object(Default::default())),
            file,
            seasons,
            extras,
        })
    }

    async fn seasons_of(&self, series_id: i64) -> Result<Vec<SeasonView>> {
        let seasons = sqlx::query(
            "SELECT s.id, s.season_number, s.title, s.synopsis,
                    EXISTS (SELECT 1 FROM artwork a WHERE a.item_id = s.id AND a.kind = 'poster')
             FROM items s WHERE s.parent_id = ? AND s.kind = 'season'
             ORDER BY s.season_number = 0, s.season_number",
        )
        .bind(series_id)
        .fetch_all(&self.reader)
        .await?;
        let episodes = sqlx::query(
            "SELECT e.id, e.parent_id, e.episode_number, e.episode_number_end, e.title, e.synopsis, e.air_date,
                    e.runtime_minutes, f.duration_ms, e.content_rating, COALESCE(f.status = 'ok', 0),
                    EXISTS (SELECT 1 FROM artwork a WHERE a.item_id = e.id AND a.kind = 'thumb')
                    OR EXISTS (SELECT 1 FROM file_extras x
                               WHERE x.file_id = e.file_id AND x.still_blurhash IS NOT NULL)
             FROM items e LEFT JOIN media_files f ON f.id = e.file_id
             WHERE e.series_id = ? AND e.kind = 'episode'
             ORDER BY e.season_number, e.episode_number",
        )
        .bind(series_id)
        .fetch_all(&self.reader)
        .await?;
        let mut by_season: HashMap<i64, Vec<EpisodeView>> = HashMap::new();
        for e in episodes {
            let id: i64 = e.try_get(0)?;
            let parent: Option<i64> = e.try_get(1)?;
            let has_still: bool = e.try_get(11)?;
            by_season
                .entry(parent.unwrap_or(0))
                .or_default()
                .push(EpisodeView {
                    id,
                    number: e.try_get(2)?,
                    number_end: e.try_get(3)?,
                    title: e.try_get(4)?,
                    synopsis: e.try_get(5)?,
                    air_date: e.try_get(6)?,
                    runtime_minutes: e.try_get(7)?,
                    duration_ms: e.try_get(8)?,
                    content_rating: e.try_get(9)?,
                    available: e.try_get(10)?,
                    still: has_still.then(|| artwork_url(id, "thumb")),
                });
        }
        seasons
            .iter()
            .map(|s| {
                let id: i64 = s.try_get(0)?;
                let has_poster: bool = s.try_get(4)?;
                Ok(SeasonView {
                    id,
                    number: s.try_get(1)?,
                    title: s.try_get(2)?,
                    synopsis: s.try_get(3)?,
                    poster: has_poster.then(|| artwork_url(id, "poster")),
                    episodes: by_season.remove(&id).unwrap_or_default(),
                })
            })
            .collect()
    }

    async fn credits_of(&self, item_id: i64) -> Result<Vec<CreditView>> {
        sqlx::query(
            "SELECT p.id, p.name, c.role, c.character, p.photo FROM credits c JOIN people p ON p.id = c.person_id
             WHERE c.item_id = ? ORDER BY c.ord, p.name",
        )
        .bind(item_id)
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(|r| {
            Ok(CreditView {
                person_id: r.try_get(0)?,
                name: r.try_get(1)?,
                role: r.try_get(2)?,
                character: r.try_get(3)?,
                photo: public_photo(r.try_get(0)?, r.try_get(4)?),
            })
        })
        .collect()
    }

    async fn artwork_of(&self, item_id: i64) -> Result<Vec<ArtworkView>> {
        self.artwork_views(item_id).await
    }

    /// The image file behind an item's artwork, if any. The caller checks it lies in a media root.
    pub async fn artwork_path(&self, item_id: i64, kind: &str) -> Result<Option<PathBuf>> {
        Ok(
            sqlx::query("SELECT path FROM artwork WHERE item_id = ? AND kind = ?")
                .bind(item_id)
                .bind(kind)
                .fetch_optional(&self.reader)
                .await?
                .map(|r| r.try_get::<&[u8], _>(0).map(path_from_bytes))
                .transpose()?,
        )
    }

    /// People whose name contains `q` (all people when `q` is empty), with their credit counts;
    /// for a restricted `access`, only people credited on titles it may see.
    pub async fn list_people(
        &self,
        q: Option<&str>,
        offset: i64,
        limit: i64,
        access: &crate::Access,
    ) -> Result<Page<PersonSummary>> {
        let pattern = format!("%{}%", escape_like(q.unwrap_or("").trim()));
        // Credits on titles `access` may see; a restricted profile lists only people with some.
        let visible_credits = |b: &mut QueryBuilder<'_, Sqlite>| {
            b.push("(SELECT COUNT(*) FROM credits c JOIN items i ON i.id = c.item_id WHERE c.person_id = p.id");
            crate::profiles::push_access(b, "i", access);
            b.push(")");
        };
        let filters = |b: &mut QueryBuilder<'_, Sqlite>| {
            b.push(" FROM people p WHERE p.name LIKE ")
                .push_bind(pattern.clone())
                .push(" ESCAPE '\\'");
            if !access.is_unrestricted() {
                b.push(" AND ");
                visible_credits(b);
                b.push(" > 0");
            }
        };
        let mut count = QueryBuilder::new("SELECT COUNT(*)");
        filters(&mut count);
        let total: i64 = count.build().fetch_one(&self.reader).await?.try_get(0)?;
        let mut list = QueryBuilder::new("SELECT p.id, p.name, p.photo, ");
        visible_credits(&mut list);
        filters(&mut list);
        list.push(" ORDER BY p.name_key LIMIT ")
            .push_bind(limit.clamp(1, MAX_PAGE))
            .push(" OFFSET ")
            .push_bind(offset.max(0));
        let items = list
            .build()
            .fetch_all(&self.reader)
            .await?
            .iter()
            .map(|r| {
                Ok(PersonSummary {
                    id: r.try_get(0)?,
                    name: r.try_get(1)?,
                    photo: public_photo(r.try_get(0)?, r.try_get(2)?),
                    credit_count: r.try_get(3)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Page { items, total })
    }

    /// A person with their credits across the catalog, grouped by role and ordered by date.
    /// A person with their credits on titles `access` may see.
    pub async fn person_detail(&self, id: i64, access: &crate::Access) -> Result<PersonDetail> {
        let p =
            sqlx::query("SELECT id, name, photo, biography, birth_date FROM people WHERE id = ?")
                .bind(id)
                .fetch_optional(&self.reader)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("person {id}")))?;
        let mut q = QueryBuilder::<Sqlite>::new(
            "SELECT i.id, i.kind, i.title, COALESCE(i.year, s.year), i.air_date, c.role, c.character, s.id, s.title,
                EXISTS (SELECT 1 FROM artwork a WHERE a.item_id = COALESCE(i.series_id, i.id) AND a.kind = 'poster'),
                i.season_number, i.episode_number
             FROM credits c JOIN items i ON i.id = c.item_id
             LEFT JOIN items s ON s.id = i.series_id
             WHERE c.person_id = ",
        );
        q.push_bind(id);
        crate::profiles::push_access(&mut q, "i", access);
        // Newest first, undated last.
        q.push(
            " ORDER BY COALESCE(i.air_date, printf('%04d', COALESCE(i.year, s.year, 0))) DESC,
              i.season_number, i.episode_number, i.sort_title",
        );
        let credits = q.build().fetch_all(&self.reader).await?;
        let mut roles: Vec<RoleGroup> = Vec::new();
        for r in credits {
            let role: String = r.try_get(5)?;
            let series_id: Option<i64> = r.try_get(7)?;
            let item_id: i64 = r.try_get(0)?;
            let has_poster: bool = r.try_get(9)?;
            let credit = PersonCreditView {
                item_id,
                kind: r.try_get(1)?,
                title: r.try_get(2)?,
                year: r.try_get(3)?,
                air_date: r.try_get(4)?,
                role: role.clone(),
                character: r.try_get(6)?,
                series_id,
                series_title: r.try_get(8)?,
                season_number: r.try_get(10)?,
                episode_number: r.try_get(11)?,
                poster: has_poster.then(|| artwork_url(series_id.unwrap_or(item_id), "poster")),
            };
            match roles.iter_mut().find(|g| g.role == role) {
                Some(g) => g.credits.push(credit),
                None => roles.push(RoleGroup {
                    role,
                    credits: vec![credit],
                }),
            }
        }
        // What the person is known for first: the role with the most titles, then the usual
        // order of credits.
        let rank = |role: &str| {
            marquee_catalog::sidecar::Role::ALL
                .iter()
                .position(|r| r.as_str() == role)
                .unwrap_or(usize::MAX)
        };
        roles.sort_by(|a, b| {
            titles_in(b)
                .cmp(&titles_in(a))
                .then_with(|| rank(&a.role).cmp(&rank(&b.role)))
                .then_with(|| a.role.cmp(&b.role))
        });
        Ok(PersonDetail {
            id: p.try_get(0)?,
            name: p.try_get(1)?,
            photo: public_photo(p.try_get(0)?, p.try_get(2)?),
            biography: p.try_get(3)?,
            birth_date: p.try_get(4)?,
            roles,
        })
    }

    /// Genres of available series and movies, with counts.
    pub async fn genres(&self) -> Result<Vec<GenreCount>> {
        let sql = format!(
            "SELECT g.value, COUNT(*) FROM item_facets g JOIN items i ON i.id = g.item_id
             WHERE g.facet = 'genre' AND i.kind IN ('series', 'movie') AND {AVAILABLE}
             GROUP BY g.value COLLATE NOCASE ORDER BY g.value COLLATE NOCASE"
        );
        sqlx::query(&sql)
            .fetch_all(&self.reader)
            .await?
            .iter()
            .map(|r| {
                Ok(GenreCount {
                    name: r.try_get(0)?,
                    count: r.try_get(1)?,
                })
            })
            .collect()
    }

    /// Files that failed to probe, with their reasons.
    pub async fn failed_files(&self) -> Result<Vec<FailedFile>> {
        sqlx::query(
            "SELECT id, library_id, display_path, COALESCE(error, 'unknown error'), updated_at
             FROM media_files WHERE status = 'failed' ORDER BY display_path",
        )
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(|r| {
            Ok(FailedFile {
                id: r.try_get(0)?,
                library_id: r.try_get(1)?,
                path: r.try_get(2)?,
                error: r.try_get(3)?,
                updated_at: r.try_get(4)?,
            })
        })
        .collect()
    }

    /// Libraries with their file counts.
    pub async fn libraries(&self) -> Result<Vec<LibraryView>> {
        sqlx::query(
            "SELECT l.id, l.name, l.root_display,
                (SELECT COUNT(*) FROM media_files f WHERE f.library_id = l.id AND f.status = 'ok'),
                (SELECT COUNT(*) FROM media_files f WHERE f.library_id = l.id AND f.status = 'failed'),
                (SELECT COUNT(*) FROM media_files f WHERE f.library_id = l.id AND f.status = 'missing')
             FROM libraries l ORDER BY l.id",
        )
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(|r| {
            Ok(LibraryView {
                id: r.try_get(0)?,
                name: r.try_get(1)?,
                root: r.try_get(2)?,
                files: r.try_get(3)?,
                failed: r.try_get(4)?,
                missing: r.try_get(5)?,
            })
        })
        .collect()
    }

    /// Records a finished scan's summary (JSON) for the admin API.
    pub async fn record_scan(
        &self,
        started_at: i64,
        finished_at: i64,
        summary_json: &str,
    ) -> Result<()> {
        sqlx::query("INSERT INTO scans (started_at, finished_at, summary) VALUES (?, ?, ?)")
            .bind(started_at)
            .bind(finished_at)
            .bind(summary_json)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// The most recent scan summaries, newest first.
    pub async fn recent_scans(
        &self,
        limit: i64,
    ) -> Result<Vec<(i64, Option<i64>, Option<String>)>> {
        sqlx::query("SELECT started_at, finished_at, summary FROM scans ORDER BY id DESC LIMIT ?")
            .bind(limit)
            .fetch_all(&self.reader)
            .await?
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
            .collect()
    }
}

fn file_view(r: &SqliteRow) -> Result<Option<FileView>> {
    let id: Option<i64> = r.try_get(18)?;
    let Some(id) = id else { return Ok(None) };
    let display: String = r.try_get(19)?;
    let root: Option<String> = r.try_get(20)?;
    let path = root
        .as_deref()
        .and_then(|root| display.strip_prefix(root))
        .map(|p| p.trim_start_matches('/').to_string())
        .unwrap_or(display.clone());
    let probe: Option<String> = r.try_get(25)?;
    Ok(Some(FileView {
        id,
        path,
        size: r.try_get(21)?,
        status: r.try_get(22)?,
        error: r.try_get(23)?,
        duration_ms: r.try_get(24)?,
        probe: probe.and_then(|p| serde_json::from_str(&p).ok()),
    }))
}

/// Distinct titles in a role group: a series' episodes count as the series.
fn titles_in(g: &RoleGroup) -> usize {
    g.credits
        .iter()
        .map(|c| c.series_id.unwrap_or(c.item_id))
        .collect::<std::collections::HashSet<_>>()
        .len()
}

impl Store {
    /// The local photo file of a person, if their photo is one. The caller checks it lies in a
    /// media root.
    pub async fn person_photo_path(&self, person_id: i64) -> Result<Option<PathBuf>> {
        let photo: Option<String> = sqlx::query("SELECT photo FROM people WHERE id = ?")
            .bind(person_id)
            .fetch_optional(&self.reader)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("person {person_id}")))?
            .try_get(0)?;
        Ok(photo.filter(|p| p.starts_with('/')).map(PathBuf::from))
    }
}

/// Escapes `%`, `_` and `\` for a LIKE pattern with `ESCAPE '\'`.
fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The file behind a playable item, as playback needs it.
#[derive(Debug, Clone)]
pub struct PlayableFile {
    pub file_id: i64,
    pub path: PathBuf,
    /// ok, failed or missing.
    pub status: String,
    /// Size plus a hash of the first and last 64 KiB: names derived caches.
    pub fingerprint: String,
    pub error: Option<String>,
}

impl Store {
    /// The file behind an item, if it has one.
    pub async fn playable_file(&self, item_id: i64) -> Result<Option<PlayableFile>> {
        let row = sqlx::query(
            "SELECT f.id, f.path, f.status, f.fingerprint, f.error
             FROM items i JOIN media_files f ON f.id = i.file_id WHERE i.id = ?",
        )
        .bind(item_id)
        .fetch_optional(&self.reader)
        .await?;
        row.map(|r| {
            Ok(PlayableFile {
                file_id: r.try_get(0)?,
                path: path_from_bytes(r.try_get::<&[u8], _>(1)?),
                status: r.try_get(2)?,
                fingerprint: r.try_get(3)?,
                error: r.try_get(4)?,
            })
        })
        .transpose()
    }
}
