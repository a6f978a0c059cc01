//! Media files and what the scanner learned about them.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use marquee_catalog::sidecar::Metadata;
use marquee_media::ProbeInfo;
use sqlx::{Row, Sqlite, Transaction};

use crate::{fold_title, now, sort_title, Result, Store};

/// What `stat` says about a file: enough to skip an unchanged file without opening it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStat {
    pub size: u64,
    pub mtime_ns: i64,
    pub inode: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileStatus {
    Ok,
    Failed,
    Missing,
}

impl FileStatus {
    fn as_str(self) -> &'static str {
        match self {
            FileStatus::Ok => "ok",
            FileStatus::Failed => "failed",
            FileStatus::Missing => "missing",
        }
    }
    fn parse(s: &str) -> FileStatus {
        match s {
            "ok" => FileStatus::Ok,
            "failed" => FileStatus::Failed,
            _ => FileStatus::Missing,
        }
    }
}

/// A file the store already knows, as the scanner needs it for its diff.
#[derive(Debug, Clone)]
pub struct KnownFile {
    pub id: i64,
    pub path: PathBuf,
    pub stat: FileStat,
    pub fingerprint: String,
    pub sidecar_stamp: String,
    pub status: FileStatus,
}

/// Where a file belongs in the catalog, with the metadata gathered for it.
// Values live only between preparing a file and writing its batch: boxing buys nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Placement {
    Episode {
        series: SeriesPlacement,
        season: u32,
        season_meta: Metadata,
        season_artwork: Vec<(String, PathBuf)>,
        episodes: Vec<u32>,
        meta: Metadata,
        artwork: Vec<(String, PathBuf)>,
    },
    Movie {
        /// Title and year from the file name: the movie's identity, which a sidecar's
        /// display title does not change.
        key_title: String,
        key_year: Option<i32>,
        meta: Metadata,
        artwork: Vec<(String, PathBuf)>,
    },
    Extra {
        kind: String,
        title: String,
        /// Stable key of the movie or series the extra belongs to, if known.
        owner_key: Option<String>,
    },
}

/// A series as seen from one of its episode files.
#[derive(Debug, Clone)]
pub struct SeriesPlacement {
    pub title: String,
    pub year: Option<i32>,
    pub meta: Metadata,
    pub artwork: Vec<(String, PathBuf)>,
}

/// One file's scan result, ready to be written.
#[derive(Debug, Clone)]
pub struct ScannedFile {
    /// The row this file already has: same path, or the file it was moved from.
    pub existing_id: Option<i64>,
    pub path: PathBuf,
    pub stat: FileStat,
    pub fingerprint: String,
    pub sidecar_stamp: String,
    /// `Some` when the file was (re)probed; `None` keeps what is stored.
    pub probe: Option<std::result::Result<ProbeInfo, String>>,
    /// `marquee identify`'s view of the path, stored for the admin API.
    pub identity_json: String,
    pub placement: Option<Placement>,
}

pub(crate) fn path_bytes(path: &Path) -> &[u8] {
    path.as_os_str().as_bytes()
}

pub(crate) fn path_from_bytes(bytes: &[u8]) -> PathBuf {
    PathBuf::from(OsStr::from_bytes(bytes))
}

impl Store {
    /// Registers a media root (idempotent) and returns its library id.
    pub async fn ensure_library(&self, root: &Path, name: &str) -> Result<i64> {
        let bytes = path_bytes(root);
        if let Some(row) = sqlx::query("SELECT id FROM libraries WHERE root = ?")
            .bind(bytes)
            .fetch_optional(&self.writer)
            .await?
        {
            return Ok(row.try_get(0)?);
        }
        let id = sqlx::query(
            "INSERT INTO libraries (name, root, root_display, created_at) VALUES (?, ?, ?, ?)",
        )
        .bind(name)
        .bind(bytes)
        .bind(root.to_string_lossy())
        .bind(now())
        .execute(&self.writer)
        .await?
        .last_insert_rowid();
        Ok(id)
    }

    /// Every media root known to the store.
    pub async fn library_roots(&self) -> Result<Vec<(i64, PathBuf)>> {
        let rows = sqlx::query("SELECT id, root FROM libraries ORDER BY id")
            .fetch_all(&self.reader)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, path_from_bytes(r.try_get::<&[u8], _>(1)?))))
            .collect()
    }

    /// Every file of a library, keyed by path, for the scanner's diff.
    pub async fn known_files(&self, library_id: i64) -> Result<HashMap<PathBuf, KnownFile>> {
        let rows = sqlx::query(
            "SELECT id, path, size, mtime_ns, inode, fingerprint, sidecar_stamp, status
             FROM media_files WHERE library_id = ?",
        )
        .bind(library_id)
        .fetch_all(&self.writer)
        .await?;
        let mut out = HashMap::with_capacity(rows.len());
        for r in rows {
            let path = path_from_bytes(r.try_get::<&[u8], _>(1)?);
            out.insert(
                path.clone(),
                KnownFile {
                    id: r.try_get(0)?,
                    path,
                    stat: FileStat {
                        size: r.try_get::<i64, _>(2)? as u64,
                        mtime_ns: r.try_get(3)?,
                        inode: r.try_get::<i64, _>(4)? as u64,
                    },
                    fingerprint: r.try_get(5)?,
                    sidecar_stamp: r.try_get(6)?,
                    status: FileStatus::parse(r.try_get(7)?),
                },
            );
        }
        Ok(out)
    }

    /// Marks files as missing. What hangs off them (items, and later progress) stays.
    pub async fn mark_missing(&self, ids: &[i64]) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        let t = now();
        for id in ids {
            sqlx::query(
                "UPDATE media_files SET status = 'missing', missing_since = ?, updated_at = ?
                 WHERE id = ? AND status != 'missing'",
            )
            .bind(t)
            .bind(t)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        self.bump_generation();
        Ok(())
    }

    /// Writes a batch of scan results in one transaction, so a killed scan leaves whole files
    /// either written or not, and the next scan picks up where this one stopped.
    pub async fn apply_scanned(&self, library_id: i64, batch: &[ScannedFile]) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        let mut written: HashMap<String, i64> = HashMap::new();
        for file in batch {
            let file_id = upsert_file(&mut tx, library_id, file).await?;
            if let Some(placement) = &file.placement {
                if !matches!(file.probe, Some(Err(_))) {
                    place(&mut tx, library_id, file_id, placement, &mut written).await?;
                }
            }
        }
        tx.commit().await?;
        self.bump_generation();
        Ok(())
    }
}

async fn upsert_file(
    tx: &mut Transaction<'_, Sqlite>,
    library_id: i64,
    f: &ScannedFile,
) -> Result<i64> {
    let t = now();
    let (status, error, probe_json, duration) = match &f.probe {
        Some(Ok(info)) => (
            FileStatus::Ok,
            None,
            Some(
                serde_json::to_string(info)
                    .map_err(|e| crate::StoreError::Corrupt(e.to_string()))?,
            ),
            Some(info.duration_ms as i64),
        ),
        Some(Err(reason)) => (FileStatus::Failed, Some(reason.clone()), None, None),
        None => (FileStatus::Ok, None, None, None),
    };
    let path = path_bytes(&f.path);
    let display = f.path.to_string_lossy();
    if let Some(id) = f.existing_id {
        // A moved file may land on a path another (stale) row still holds.
        sqlx::query("DELETE FROM media_files WHERE path = ? AND id != ?")
            .bind(path)
            .bind(id)
            .execute(&mut **tx)
            .await?;
        let keep_probe = f.probe.is_none();
        sqlx::query(
            "UPDATE media_files SET library_id = ?, path = ?, display_path = ?, size = ?, mtime_ns = ?,
                inode = ?, fingerprint = ?, sidecar_stamp = ?, identity = ?, missing_since = NULL,
                updated_at = ?,
                status = CASE WHEN ? THEN status ELSE ? END,
                error = CASE WHEN ? THEN error ELSE ? END,
                probe = CASE WHEN ? THEN probe ELSE ? END,
                duration_ms = CASE WHEN ? THEN duration_ms ELSE ? END
             WHERE id = ?",
        )
        .bind(library_id)
        .bind(path)
        .bind(display.as_ref())
        .bind(f.stat.size as i64)
        .bind(f.stat.mtime_ns)
        .bind(f.stat.inode as i64)
        .bind(&f.fingerprint)
        .bind(&f.sidecar_stamp)
        .bind(&f.identity_json)
        .bind(t)
        .bind(keep_probe)
        .bind(status.as_str())
        .bind(keep_probe)
        .bind(error)
        .bind(keep_probe)
        .bind(probe_json)
        .bind(keep_probe)
        .bind(duration)
        .bind(id)
        .execute(&mut **tx)
        .await?;
        Ok(id)
    } else {
        let id = sqlx::query(
            "INSERT INTO media_files (library_id, path, display_path, size, mtime_ns, inode,
                fingerprint, sidecar_stamp, status, error, probe, duration_ms, identity,
                added_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT(path) DO UPDATE SET size = excluded.size, mtime_ns = excluded.mtime_ns,
                inode = excluded.inode, fingerprint = excluded.fingerprint,
                sidecar_stamp = excluded.sidecar_stamp, status = excluded.status,
                error = excluded.error, probe = excluded.probe, duration_ms = excluded.duration_ms,
                identity = excluded.identity, missing_since = NULL, updated_at = excluded.updated_at
             RETURNING id",
        )
        .bind(library_id)
        .bind(path)
        .bind(display.as_ref())
        .bind(f.stat.size as i64)
        .bind(f.stat.mtime_ns)
        .bind(f.stat.inode as i64)
        .bind(&f.fingerprint)
        .bind(&f.sidecar_stamp)
        .bind(status.as_str())
        .bind(error)
        .bind(probe_json)
        .bind(duration)
        .bind(&f.identity_json)
        .bind(t)
        .bind(t)
        .fetch_one(&mut **tx)
        .await?
        .try_get(0)?;
        Ok(id)
    }
}

/// Fields of an `items` row that come from metadata.
struct ItemFields<'a> {
    kind: &'a str,
    key: String,
    parent_id: Option<i64>,
    series_id: Option<i64>,
    title: String,
    season_number: Option<u32>,
    episode_number: Option<u32>,
    episode_number_end: Option<u32>,
    extra_kind: Option<&'a str>,
    file_id: Option<i64>,
    year: Option<i32>,
    meta: &'a Metadata,
}

impl<'a> ItemFields<'a> {
    /// A top-level item with no parent, numbers or file; literals override what they need.
    fn base(kind: &'a str, key: String, title: String, meta: &'a Metadata) -> ItemFields<'a> {
        ItemFields {
            kind,
            key,
            parent_id: None,
            series_id: None,
            title,
            season_number: None,
            episode_number: None,
            episode_number_end: None,
            extra_kind: None,
            file_id: None,
            year: None,
            meta,
        }
    }
}

async fn upsert_item(
    tx: &mut Transaction<'_, Sqlite>,
    library_id: i64,
    f: ItemFields<'_>,
) -> Result<i64> {
    let t = now();
    let m = f.meta;
    let sort = m
        .sort_title
        .as_deref()
        .map(sort_title)
        .unwrap_or_else(|| sort_title(&f.title));
    let external = if m.external_ids.is_empty() {
        None
    } else {
        serde_json::to_string(&m.external_ids).ok()
    };
    let id: i64 = sqlx::query(
        "INSERT INTO items (kind, key, library_id, parent_id, series_id, title, sort_title,
            original_title, synopsis, tagline, year, air_date, runtime_minutes, content_rating,
            season_number, episode_number, episode_number_end, extra_kind, file_id, external_ids,
            added_at, updated_at, free_sidecar)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(key) DO UPDATE SET library_id = excluded.library_id,
            parent_id = excluded.parent_id, series_id = excluded.series_id, title = excluded.title,
            sort_title = excluded.sort_title, original_title = excluded.original_title,
            synopsis = excluded.synopsis, tagline = excluded.tagline, year = excluded.year,
            air_date = excluded.air_date, runtime_minutes = excluded.runtime_minutes,
            content_rating = excluded.content_rating, season_number = excluded.season_number,
            episode_number = excluded.episode_number,
            episode_number_end = excluded.episode_number_end, extra_kind = excluded.extra_kind,
            file_id = COALESCE(excluded.file_id, items.file_id),
            external_ids = excluded.external_ids, updated_at = excluded.updated_at,
            free_sidecar = excluded.free_sidecar
         RETURNING id",
    )
    .bind(f.kind)
    .bind(&f.key)
    .bind(library_id)
    .bind(f.parent_id)
    .bind(f.series_id)
    .bind(&f.title)
    .bind(sort)
    .bind(&m.original_title)
    .bind(&m.synopsis)
    .bind(&m.tagline)
    .bind(m.year.or(f.year))
    .bind(&m.air_date)
    .bind(m.runtime_minutes)
    .bind(&m.content_rating)
    .bind(f.season_number)
    .bind(f.episode_number)
    .bind(f.episode_number_end)
    .bind(f.extra_kind)
    .bind(f.file_id)
    .bind(external)
    .bind(t)
    .bind(t)
    .bind(m.free.unwrap_or(false))
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)?;
    write_item_metadata(tx, id, m).await?;
    Ok(id)
}

/// Replaces an item's facets, credits and sidecar reviews with what the metadata says.
async fn write_item_metadata(
    tx: &mut Transaction<'_, Sqlite>,
    item_id: i64,
    m: &Metadata,
) -> Result<()> {
    sqlx::query("DELETE FROM item_facets WHERE item_id = ?")
        .bind(item_id)
        .execute(&mut **tx)
        .await?;
    for (facet, values) in [
        ("genre", &m.genres),
        ("tag", &m.tags),
        ("studio", &m.studios),
    ] {
        for v in values {
            let v = v.trim();
            if v.is_empty() {
                continue;
            }
            sqlx::query(
                "INSERT OR IGNORE INTO item_facets (item_id, facet, value) VALUES (?, ?, ?)",
            )
            .bind(item_id)
            .bind(facet)
            .bind(v)
            .execute(&mut **tx)
            .await?;
        }
    }
    sqlx::query("DELETE FROM credits WHERE item_id = ?")
        .bind(item_id)
        .execute(&mut **tx)
        .await?;
    for (i, p) in m.people.iter().enumerate() {
        let name = p.name.trim();
        if name.is_empty() {
            continue;
        }
        let key = fold_title(name);
        let person_id: i64 = sqlx::query(
            "INSERT INTO people (name, name_key, photo, biography, birth_date) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT(name_key) DO UPDATE SET
                photo = COALESCE(excluded.photo, people.photo),
                biography = COALESCE(excluded.biography, people.biography),
                birth_date = COALESCE(excluded.birth_date, people.birth_date)
             RETURNING id",
        )
        .bind(name)
        .bind(key)
        .bind(&p.photo)
        .bind(&p.biography)
        .bind(&p.birth_date)
        .fetch_one(&mut **tx)
        .await?
        .try_get(0)?;
        sqlx::query(
            "INSERT OR IGNORE INTO credits (item_id, person_id, role, character, ord) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(item_id)
        .bind(person_id)
        .bind(p.role.as_str())
        .bind(&p.character)
        .bind(p.order.map(i64::from).unwrap_or(i as i64))
        .execute(&mut **tx)
        .await?;
    }
    sqlx::query("DELETE FROM reviews WHERE item_id = ? AND source = 'sidecar'")
        .bind(item_id)
        .execute(&mut **tx)
        .await?;
    for r in &m.reviews {
        // An administrator's edit or deletion of this review (same origin) wins over the file.
        // (Numbered parameters throughout: sqlx cannot mix `?N` with plain `?`.)
        let origin = crate::viewing::review_origin(&r.author, r.publication.as_deref());
        sqlx::query(
            "INSERT INTO reviews (item_id, source, origin, author, publication, date, score, score_text, body_markdown, url)
             SELECT ?1, 'sidecar', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9
             WHERE NOT EXISTS (SELECT 1 FROM reviews WHERE item_id = ?1 AND source = 'admin' AND origin = ?2)",
        )
        .bind(item_id)
        .bind(&origin)
        .bind(&r.author)
        .bind(&r.publication)
        .bind(&r.date)
        .bind(r.score)
        .bind(&r.score_text)
        .bind(&r.body_markdown)
        .bind(&r.url)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

async fn write_artwork(
    tx: &mut Transaction<'_, Sqlite>,
    item_id: i64,
    artwork: &[(String, PathBuf)],
) -> Result<()> {
    for (kind, path) in artwork {
        sqlx::query("INSERT OR REPLACE INTO artwork (item_id, kind, path) VALUES (?, ?, ?)")
            .bind(item_id)
            .bind(kind)
            .bind(path_bytes(path))
            .execute(&mut **tx)
            .await?;
        // The scan writes artwork again because a sidecar changed, maybe this very image (same
        // path, new pixels): its placeholder and `?v=` are made again by the extras worker.
        sqlx::query("DELETE FROM artwork_placeholders WHERE item_id = ? AND kind = ?")
            .bind(item_id)
            .bind(kind)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Upserts the items a file belongs to. `written` remembers series and seasons already written
/// in this batch so that a season of twenty episodes writes its series once, not twenty times.
async fn place(
    tx: &mut Transaction<'_, Sqlite>,
    library_id: i64,
    file_id: i64,
    placement: &Placement,
    written: &mut HashMap<String, i64>,
) -> Result<()> {
    match placement {
        Placement::Episode {
            series,
            season,
            season_meta,
            season_artwork,
            episodes,
            meta,
            artwork,
        } => {
            let series_title = series
                .meta
                .title
                .clone()
                .unwrap_or_else(|| series.title.clone());
            let series_key = series_key(library_id, &series.title, series.year);
            let series_id = match written.get(&series_key) {
                Some(id) => *id,
                None => {
                    let id = upsert_item(
                        tx,
                        library_id,
                        ItemFields {
                            year: series.year,
                            ..ItemFields::base(
                                "series",
                                series_key.clone(),
                                series_title,
                                &series.meta,
                            )
                        },
                    )
                    .await?;
                    write_artwork(tx, id, &series.artwork).await?;
                    written.insert(series_key.clone(), id);
                    id
                }
            };
            let season_key = format!("season:{series_id}:{season}");
            let season_id = match written.get(&season_key) {
                Some(id) => *id,
                None => {
                    let title = season_meta.title.clone().unwrap_or_else(|| {
                        if *season == 0 {
                            "Specials".to_string()
                        } else {
                            format!("Season {season}")
                        }
                    });
                    let id = upsert_item(
                        tx,
                        library_id,
                        ItemFields {
                            parent_id: Some(series_id),
                            series_id: Some(series_id),
                            season_number: Some(*season),
                            ..ItemFields::base("season", season_key.clone(), title, season_meta)
                        },
                    )
                    .await?;
                    write_artwork(tx, id, season_artwork).await?;
                    written.insert(season_key, id);
                    id
                }
            };
            // A multi-episode file gives each episode its own item sharing the file.
            let last = episodes.last().copied();
            for (i, number) in episodes.iter().enumerate() {
                let title = match (&meta.title, i) {
                    (Some(t), 0) => t.clone(),
                    (Some(t), _) => format!("{t} (part {})", i + 1),
                    (None, _) => format!("Episode {number}"),
                };
                let id = upsert_item(
                    tx,
                    library_id,
                    ItemFields {
                        parent_id: Some(season_id),
                        series_id: Some(series_id),
                        season_number: Some(*season),
                        episode_number: Some(*number),
                        episode_number_end: if episodes.len() > 1 && i == 0 {
                            last
                        } else {
                            None
                        },
                        file_id: Some(file_id),
                        ..ItemFields::base(
                            "episode",
                            format!("episode:{series_id}:{season}:{number}"),
                            title,
                            meta,
                        )
                    },
                )
                .await?;
                write_artwork(tx, id, artwork).await?;
            }
        }
        Placement::Movie {
            key_title,
            key_year,
            meta,
            artwork,
        } => {
            let title = meta.title.clone().unwrap_or_else(|| key_title.clone());
            let id = upsert_item(
                tx,
                library_id,
                ItemFields {
                    file_id: Some(file_id),
                    year: *key_year,
                    ..ItemFields::base(
                        "movie",
                        movie_key(library_id, key_title, *key_year),
                        title,
                        meta,
                    )
                },
            )
            .await?;
            write_artwork(tx, id, artwork).await?;
        }
        Placement::Extra {
            kind,
            title,
            owner_key,
        } => {
            let owner: Option<i64> = match owner_key {
                Some(key) => sqlx::query("SELECT id FROM items WHERE key = ?")
                    .bind(key)
                    .fetch_optional(&mut **tx)
                    .await?
                    .map(|r| r.try_get(0))
                    .transpose()?,
                None => None,
            };
            upsert_item(
                tx,
                library_id,
                ItemFields {
                    parent_id: owner,
                    extra_kind: Some(kind),
                    file_id: Some(file_id),
                    ..ItemFields::base(
                        "extra",
                        format!("extra:{file_id}"),
                        title.clone(),
                        &Metadata::default(),
                    )
                },
            )
            .await?;
        }
    }
    Ok(())
}

/// Identity of a series: its folded title and year within a library.
pub fn series_key(library_id: i64, title: &str, year: Option<i32>) -> String {
    format!(
        "series:{library_id}:{}:{}",
        fold_title(title),
        year.unwrap_or(0)
    )
}

/// Identity of a movie: its folded title and year within a library.
pub fn movie_key(library_id: i64, title: &str, year: Option<i32>) -> String {
    format!(
        "movie:{library_id}:{}:{}",
        fold_title(title),
        year.unwrap_or(0)
    )
}
