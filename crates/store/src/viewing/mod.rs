//! What a viewer did with the catalog: playback progress and the watched rule, continue watching,
//! up next, My List and thumbs.
//!
//! A *viewer* is an account's profile, or the account itself when the session chose no profile
//! (stored as profile 0). Every read that lists titles applies the viewer's [`Access`] in SQL.

mod queue;
mod reviews;
mod similar;
pub use queue::ProgressQueue;
pub(crate) use reviews::review_origin;
pub use reviews::{ReviewFields, ReviewedTitle};
pub use similar::{SharedFeatures, SimilarTitle};

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use sqlx::{QueryBuilder, Row, Sqlite};

use crate::profiles::push_access;
use crate::{Access, Result, Store, StoreError};

/// Share of an item's duration past which it counts as watched, unless configured otherwise.
pub const DEFAULT_WATCHED_THRESHOLD: f64 = 0.9;

/// Whose progress, list and thumbs these are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Viewer {
    pub user_id: i64,
    /// `None`: the account itself (no profile chosen on this device).
    pub profile_id: Option<i64>,
}

impl Viewer {
    fn profile_key(&self) -> i64 {
        self.profile_id.unwrap_or(0)
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// What the watched rule needs to know about an item.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ItemTiming {
    /// series, season, episode, movie or extra.
    pub kind: String,
    /// From the probed file; `None` when unknown.
    pub duration_ms: Option<i64>,
    /// Where the end credits start, when a credits marker is known.
    pub credits_start_ms: Option<i64>,
}

/// The watched rule: a position counts as the end of the item once it reaches the credits marker
/// (when there is one) or `threshold` (0–1) of the duration. Without either, it never does.
pub fn reached_end(
    position_ms: i64,
    duration_ms: Option<i64>,
    credits_start_ms: Option<i64>,
    threshold: f64,
) -> bool {
    if credits_start_ms.is_some_and(|c| c > 0 && position_ms >= c) {
        return true;
    }
    match duration_ms {
        Some(d) if d > 0 => position_ms as f64 >= threshold * d as f64,
        _ => false,
    }
}

/// One position report from a player, ready to be written.
#[derive(Debug, Clone)]
pub struct ProgressReport {
    pub viewer: Viewer,
    pub item_id: i64,
    pub position_ms: i64,
    pub duration_ms: Option<i64>,
    /// The position reached the end by [`reached_end`].
    pub completed: bool,
    /// When the server received it (unix ms).
    pub at_ms: i64,
}

/// A viewer's progress on one playable item.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProgressState {
    pub item_id: i64,
    /// The last reported position.
    pub position_ms: i64,
    pub duration_ms: Option<i64>,
    /// Where a player should start: the last position, or 0 once the end was reached.
    pub resume_ms: i64,
    /// The last report reached the end (past the watched threshold or the credits).
    pub completed: bool,
    /// Watched to the end at least once, or marked watched by hand.
    pub watched: bool,
    /// How many times it was watched to the end.
    pub play_count: i64,
    /// Unix ms of the last report; absent when it was only marked by hand.
    pub played_at: Option<i64>,
}

const STATE_COLUMNS: &str =
    "p.item_id, p.position_ms, p.duration_ms, p.completed, p.watched, p.play_count, p.played_at";

fn state_from(r: &sqlx::sqlite::SqliteRow) -> Result<ProgressState> {
    let position_ms: i64 = r.try_get(1)?;
    let completed: bool = r.try_get(3)?;
    Ok(ProgressState {
        item_id: r.try_get(0)?,
        position_ms,
        duration_ms: r.try_get(2)?,
        resume_ms: if completed { 0 } else { position_ms },
        completed,
        watched: r.try_get(4)?,
        play_count: r.try_get(5)?,
        played_at: r.try_get(6)?,
    })
}

/// An episode as up-next ordering sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct EpisodeSlot {
    pub id: i64,
    /// 0 for specials.
    pub season: i64,
    pub number: i64,
    /// `YYYY-MM-DD`.
    pub air_date: Option<String>,
    /// Episodes of one multi-episode file share it; up next skips the rest of the file.
    pub file_id: Option<i64>,
}

/// The order a series is watched in, as chains: the first chain is the series itself — regular
/// seasons in season and episode order, with each *dated* special placed after the last regular
/// episode that aired on or before it (before the first one when it aired before them all); the
/// second chain holds the undated specials in number order, which follow only each other (an
/// undated special is bonus material, never slipped between episodes).
pub fn watch_order(episodes: &[EpisodeSlot]) -> Vec<Vec<i64>> {
    let mut regular: Vec<&EpisodeSlot> = episodes.iter().filter(|e| e.season > 0).collect();
    regular.sort_by_key(|e| (e.season, e.number, e.id));
    let mut specials: Vec<&EpisodeSlot> = episodes.iter().filter(|e| e.season <= 0).collect();
    specials.sort_by(|a, b| {
        (a.air_date.as_deref(), a.number, a.id).cmp(&(b.air_date.as_deref(), b.number, b.id))
    });
    // For each regular index, the dated specials that follow it; `usize::MAX`: before them all.
    let mut after: HashMap<usize, Vec<i64>> = HashMap::new();
    let mut undated = Vec::new();
    for s in specials {
        let Some(date) = s.air_date.as_deref() else {
            undated.push(s.id);
            continue;
        };
        let slot = regular
            .iter()
            .rposition(|e| e.air_date.as_deref().is_some_and(|d| d <= date))
            .unwrap_or(usize::MAX);
        after.entry(slot).or_default().push(s.id);
    }
    let mut main = after.remove(&usize::MAX).unwrap_or_default();
    for (i, e) in regular.iter().enumerate() {
        main.push(e.id);
        main.extend(after.remove(&i).unwrap_or_default());
    }
    let mut chains = vec![main];
    if !undated.is_empty() {
        chains.push(undated);
    }
    chains
}

/// The episode after `current` in [`watch_order`], skipping the other episodes of the same file
/// and those `skip` says to (already watched).
pub fn next_in_order(
    episodes: &[EpisodeSlot],
    current: i64,
    skip: impl Fn(i64) -> bool,
) -> Option<i64> {
    let file_of: HashMap<i64, Option<i64>> = episodes.iter().map(|e| (e.id, e.file_id)).collect();
    let own_file = file_of.get(&current).copied().flatten();
    for chain in watch_order(episodes) {
        let Some(at) = chain.iter().position(|&id| id == current) else {
            continue;
        };
        return chain[at + 1..].iter().copied().find(|id| {
            let same_file = own_file.is_some() && file_of.get(id).copied().flatten() == own_file;
            !same_file && !skip(*id)
        });
    }
    None
}

/// The next episode to play, as playback info and up next show it.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NextEpisode {
    pub id: i64,
    pub title: String,
    pub series_id: i64,
    pub series_title: String,
    /// 0 for specials.
    pub season_number: i64,
    pub episode_number: i64,
    pub duration_ms: Option<i64>,
    /// The episode's still, when it has one.
    pub still: Option<String>,
}

/// A row of "Continue watching".
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContinueItem {
    /// The episode or movie to play.
    pub item_id: i64,
    /// episode or movie.
    pub kind: String,
    pub title: String,
    /// `resume`: started and not finished; `next`: the next episode of a series whose last
    /// played episode was finished.
    pub reason: String,
    /// Where to start playing.
    pub resume_ms: i64,
    pub duration_ms: Option<i64>,
    /// Unix ms of the viewing that put it here; the list is ordered by it, newest first.
    pub last_played_at: i64,
    pub series_id: Option<i64>,
    pub series_title: Option<String>,
    pub season_number: Option<i64>,
    pub episode_number: Option<i64>,
    /// Episode still or movie poster.
    pub image: Option<String>,
    /// Series or movie poster.
    pub poster: Option<String>,
}

/// A title in My List or among a viewer's thumbs.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SavedTitle {
    pub id: i64,
    /// series, movie (My List); also episode for thumbs.
    pub kind: String,
    pub title: String,
    pub year: Option<i32>,
    pub poster: Option<String>,
    /// Thumbs only: 1 up, -1 down.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thumb: Option<i64>,
    /// Unix ms when it was added or rated.
    pub at: i64,
}

/// A viewer's relation to one item, for detail pages.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ViewerItemState {
    pub item_id: i64,
    pub in_my_list: bool,
    /// 1 thumbs up, -1 thumbs down, absent when not rated.
    pub thumb: Option<i64>,
    /// Progress of the item itself, or for a series or season of each of its episodes that
    /// has any.
    pub progress: Vec<ProgressState>,
}

fn artwork_url(item_id: i64, kind: &str) -> String {
    format!("/api/v1/items/{item_id}/artwork/{kind}")
}

impl Store {
    /// What the watched rule needs about an item: its kind, its file's duration and where its
    /// end credits start — the extras worker's marker (from a chapter, a sidecar or the audio
    /// matched across a season), only while it describes the file as it is now.
    pub async fn item_timing(&self, item_id: i64) -> Result<ItemTiming> {
        let r = sqlx::query(
            "SELECT i.kind, f.duration_ms, x.credits_start_ms
             FROM items i LEFT JOIN media_files f ON f.id = i.file_id
             LEFT JOIN file_extras x ON x.file_id = f.id AND x.fingerprint = f.fingerprint
             WHERE i.id = ?",
        )
        .bind(item_id)
        .fetch_optional(&self.reader)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("item {item_id}")))?;
        Ok(ItemTiming {
            kind: r.try_get(0)?,
            duration_ms: r.try_get(1)?,
            credits_start_ms: r.try_get(2)?,
        })
    }

    /// Writes position reports in one transaction, in order, and returns each one's state.
    pub async fn record_progress(&self, reports: &[ProgressReport]) -> Result<Vec<ProgressState>> {
        let mut tx = self.writer.begin().await?;
        let mut out = Vec::with_capacity(reports.len());
        for r in reports {
            let done = i64::from(r.completed);
            let row = sqlx::query(
                "INSERT INTO progress AS p (user_id, profile_id, item_id, position_ms, duration_ms,
                    completed, watched, play_count, played_at, updated_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                 ON CONFLICT (user_id, profile_id, item_id) DO UPDATE SET
                    position_ms = excluded.position_ms,
                    duration_ms = COALESCE(excluded.duration_ms, p.duration_ms),
                    play_count = p.play_count + (excluded.completed AND NOT p.completed),
                    completed = excluded.completed,
                    watched = p.watched OR excluded.completed,
                    played_at = excluded.played_at,
                    updated_at = excluded.updated_at
                 RETURNING item_id, position_ms, duration_ms, completed, watched, play_count,
                    played_at",
            )
            .bind(r.viewer.user_id)
            .bind(r.viewer.profile_key())
            .bind(r.item_id)
            .bind(r.position_ms)
            .bind(r.duration_ms)
            .bind(done)
            .bind(done)
            .bind(done)
            .bind(r.at_ms)
            .bind(r.at_ms)
            .fetch_one(&mut *tx)
            .await?;
            out.push(state_from(&row)?);
        }
        tx.commit().await?;
        Ok(out)
    }

    /// The viewer's progress on an item, or on each episode of a series or season.
    pub async fn progress_under(&self, viewer: Viewer, item_id: i64) -> Result<Vec<ProgressState>> {
        let rows = sqlx::query(&format!(
            "SELECT {STATE_COLUMNS} FROM progress p JOIN items i ON i.id = p.item_id
             WHERE p.user_id = ?1 AND p.profile_id = ?2
               AND (i.id = ?3 OR i.parent_id = ?3 OR i.series_id = ?3)
             ORDER BY i.season_number, i.episode_number, i.id"
        ))
        .bind(viewer.user_id)
        .bind(viewer.profile_key())
        .bind(item_id)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(state_from).collect()
    }

    /// Marks an episode or movie — or every episode of a season or series — watched (resume
    /// from the start, counted as seen) or unwatched (no progress at all). Only what `access`
    /// may see is touched; returns how many items changed.
    pub async fn mark_watched(
        &self,
        viewer: Viewer,
        item_id: i64,
        watched: bool,
        access: &Access,
    ) -> Result<u64> {
        let mut targets = QueryBuilder::<Sqlite>::new(
            "SELECT i.id FROM items i WHERE i.kind IN ('episode', 'movie') AND (i.id = ",
        );
        targets
            .push_bind(item_id)
            .push(" OR i.parent_id = ")
            .push_bind(item_id)
            .push(" OR i.series_id = ")
            .push_bind(item_id)
            .push(")");
        push_access(&mut targets, "i", access);
        let ids: Vec<i64> = targets
            .build()
            .fetch_all(&self.reader)
            .await?
            .iter()
            .map(|r| r.try_get(0))
            .collect::<std::result::Result<_, _>>()?;
        if ids.is_empty() {
            return Err(StoreError::NotFound(format!(
                "item {item_id} (or an episode or movie under it)"
            )));
        }
        let t = now_ms();
        let mut tx = self.writer.begin().await?;
        for id in &ids {
            if watched {
                sqlx::query(
                    "INSERT INTO progress AS p (user_id, profile_id, item_id, completed, watched, updated_at)
                     VALUES (?, ?, ?, 1, 1, ?)
                     ON CONFLICT (user_id, profile_id, item_id) DO UPDATE SET
                        completed = 1, watched = 1, updated_at = excluded.updated_at",
                )
            } else {
                sqlx::query(
                    "INSERT INTO progress AS p (user_id, profile_id, item_id, updated_at)
                     VALUES (?, ?, ?, ?)
                     ON CONFLICT (user_id, profile_id, item_id) DO UPDATE SET
                        position_ms = 0, completed = 0, watched = 0, updated_at = excluded.updated_at",
                )
            }
            .bind(viewer.user_id)
            .bind(viewer.profile_key())
            .bind(id)
            .bind(t)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(ids.len() as u64)
    }

    /// The playable episodes of a series that `access` may see, for up-next ordering.
    async fn episode_slots(&self, series_id: i64, access: &Access) -> Result<Vec<EpisodeSlot>> {
        let mut q = QueryBuilder::<Sqlite>::new(
            "SELECT i.id, COALESCE(i.season_number, 0), COALESCE(i.episode_number, 0), i.air_date, i.file_id
             FROM items i JOIN media_files f ON f.id = i.file_id AND f.status = 'ok'
             WHERE i.kind = 'episode' AND i.series_id = ",
        );
        q.push_bind(series_id);
        push_access(&mut q, "i", access);
        q.build()
            .fetch_all(&self.reader)
            .await?
            .iter()
            .map(|r| {
                Ok(EpisodeSlot {
                    id: r.try_get(0)?,
                    season: r.try_get(1)?,
                    number: r.try_get(2)?,
                    air_date: r.try_get(3)?,
                    file_id: r.try_get(4)?,
                })
            })
            .collect()
    }

    /// The episodes of a series the viewer has watched.
    async fn watched_among(&self, viewer: Viewer, series_id: i64) -> Result<HashSet<i64>> {
        sqlx::query(
            "SELECT p.item_id FROM progress p JOIN items i ON i.id = p.item_id
             WHERE p.user_id = ? AND p.profile_id = ? AND i.series_id = ? AND p.watched",
        )
        .bind(viewer.user_id)
        .bind(viewer.profile_key())
        .bind(series_id)
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(|r| Ok(r.try_get(0)?))
        .collect()
    }

    /// Up next after an episode: the following playable episode in [`watch_order`] (crossing
    /// seasons), or `None` after the last one or for anything but an episode. With a viewer,
    /// episodes that viewer already watched are skipped.
    pub async fn next_episode(
        &self,
        item_id: i64,
        viewer: Option<Viewer>,
        access: &Access,
    ) -> Result<Option<NextEpisode>> {
        let series: Option<i64> =
            sqlx::query("SELECT series_id FROM items WHERE id = ? AND kind = 'episode'")
                .bind(item_id)
                .fetch_optional(&self.reader)
                .await?
                .map(|r| r.try_get(0))
                .transpose()?
                .flatten();
        let Some(series_id) = series else {
            return Ok(None);
        };
        let mut slots = self.episode_slots(series_id, access).await?;
        if !slots.iter().any(|s| s.id == item_id) {
            // The current episode is not playable itself: order it all the same.
            let r = sqlx::query(
                "SELECT COALESCE(season_number, 0), COALESCE(episode_number, 0), air_date, file_id
                 FROM items WHERE id = ?",
            )
            .bind(item_id)
            .fetch_one(&self.reader)
            .await?;
            slots.push(EpisodeSlot {
                id: item_id,
                season: r.try_get(0)?,
                number: r.try_get(1)?,
                air_date: r.try_get(2)?,
                file_id: r.try_get(3)?,
            });
        }
        let watched = match viewer {
            Some(v) => self.watched_among(v, series_id).await?,
            None => HashSet::new(),
        };
        let Some(next) = next_in_order(&slots, item_id, |id| watched.contains(&id)) else {
            return Ok(None);
        };
        self.next_view(next).await
    }

    async fn next_view(&self, id: i64) -> Result<Option<NextEpisode>> {
        let Some(r) = sqlx::query(
            "SELECT e.id, e.title, s.id, s.title, COALESCE(e.season_number, 0),
                    COALESCE(e.episode_number, 0), f.duration_ms,
                    EXISTS (SELECT 1 FROM artwork a WHERE a.item_id = e.id AND a.kind = 'thumb')
             FROM items e JOIN items s ON s.id = e.series_id
             LEFT JOIN media_files f ON f.id = e.file_id WHERE e.id = ?",
        )
        .bind(id)
        .fetch_optional(&self.reader)
        .await?
        else {
            return Ok(None);
        };
        let has_still: bool = r.try_get(7)?;
        Ok(Some(NextEpisode {
            id: r.try_get(0)?,
            title: r.try_get(1)?,
            series_id: r.try_get(2)?,
            series_title: r.try_get(3)?,
            season_number: r.try_get(4)?,
            episode_number: r.try_get(5)?,
            duration_ms: r.try_get(6)?,
            still: has_still.then(|| artwork_url(id, "thumb")),
        }))
    }

    /// Continue watching, newest viewing first: movies and episodes started and not finished,
    /// and for a series whose most recently played episode was finished, its next unwatched
    /// episode. One entry per series. Only what `access` may see and what can be played.
    pub async fn continue_watching(
        &self,
        viewer: Viewer,
        access: &Access,
        limit: usize,
    ) -> Result<Vec<ContinueItem>> {
        let mut q = QueryBuilder::<Sqlite>::new(
            "SELECT p.item_id, i.kind, i.series_id, p.position_ms, p.completed, p.played_at
             FROM progress p JOIN items i ON i.id = p.item_id
             WHERE p.played_at IS NOT NULL AND i.kind IN ('episode', 'movie') AND p.user_id = ",
        );
        q.push_bind(viewer.user_id)
            .push(" AND p.profile_id = ")
            .push_bind(viewer.profile_key());
        push_access(&mut q, "i", access);
        q.push(" ORDER BY p.played_at DESC, p.item_id DESC LIMIT 2000");
        let rows = q.build().fetch_all(&self.reader).await?;
        // (item to play, reason, resume position, when)
        let mut picks: Vec<(i64, &'static str, i64, i64)> = Vec::new();
        let mut series_done: HashSet<i64> = HashSet::new();
        for r in &rows {
            if picks.len() >= limit {
                break;
            }
            let item_id: i64 = r.try_get(0)?;
            let series: Option<i64> = r.try_get(2)?;
            let position: i64 = r.try_get(3)?;
            let completed: bool = r.try_get(4)?;
            let at: i64 = r.try_get(5)?;
            match series {
                Some(s) => {
                    // Only a series' most recent viewing decides its entry.
                    if !series_done.insert(s) {
                        continue;
                    }
                    if !completed && position > 0 {
                        picks.push((item_id, "resume", position, at));
                    } else if completed {
                        if let Some(next) = self.next_episode(item_id, Some(viewer), access).await?
                        {
                            let resume = self
                                .progress_under(viewer, next.id)
                                .await?
                                .first()
                                .map_or(0, |p| p.resume_ms);
                            picks.push((next.id, "next", resume, at));
                        }
                    }
                }
                None => {
                    if !completed && position > 0 {
                        picks.push((item_id, "resume", position, at));
                    }
                }
            }
        }
        self.continue_views(&picks).await
    }

    async fn continue_views(&self, picks: &[(i64, &str, i64, i64)]) -> Result<Vec<ContinueItem>> {
        if picks.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = QueryBuilder::<Sqlite>::new(
            "SELECT i.id, i.kind, i.title, i.series_id, s.title, i.season_number, i.episode_number,
                    f.duration_ms,
                    EXISTS (SELECT 1 FROM artwork a WHERE a.item_id = i.id AND a.kind = 'thumb'),
                    EXISTS (SELECT 1 FROM artwork a WHERE a.item_id = COALESCE(i.series_id, i.id) AND a.kind = 'poster')
             FROM items i LEFT JOIN items s ON s.id = i.series_id
             JOIN media_files f ON f.id = i.file_id AND f.status = 'ok'
             WHERE i.id IN (",
        );
        let mut sep = q.separated(", ");
        for p in picks {
            sep.push_bind(p.0);
        }
        q.push(")");
        let mut found: HashMap<i64, sqlx::sqlite::SqliteRow> = HashMap::new();
        for r in q.build().fetch_all(&self.reader).await? {
            found.insert(r.try_get(0)?, r);
        }
        let mut out = Vec::with_capacity(picks.len());
        for (id, reason, resume, at) in picks {
            // A file that went missing drops out of the row until it comes back.
            let Some(r) = found.get(id) else { continue };
            let series_id: Option<i64> = r.try_get(3)?;
            let has_still: bool = r.try_get(8)?;
            let has_poster: bool = r.try_get(9)?;
            let poster = has_poster.then(|| artwork_url(series_id.unwrap_or(*id), "poster"));
            out.push(ContinueItem {
                item_id: *id,
                kind: r.try_get(1)?,
                title: r.try_get(2)?,
                reason: reason.to_string(),
                resume_ms: *resume,
                duration_ms: r.try_get(7)?,
                last_played_at: *at,
                series_id,
                series_title: r.try_get(4)?,
                season_number: r.try_get(5)?,
                episode_number: r.try_get(6)?,
                image: if has_still {
                    Some(artwork_url(*id, "thumb"))
                } else {
                    poster.clone()
                },
                poster,
            });
        }
        Ok(out)
    }

    /// The kind of an item that `access` may see; `NotFound` otherwise.
    pub async fn visible_kind(&self, item_id: i64, access: &Access) -> Result<String> {
        let mut q = QueryBuilder::<Sqlite>::new("SELECT i.kind FROM items i WHERE i.id = ");
        q.push_bind(item_id);
        push_access(&mut q, "i", access);
        q.build()
            .fetch_optional(&self.reader)
            .await?
            .map(|r| r.try_get(0))
            .transpose()?
            .ok_or_else(|| StoreError::NotFound(format!("item {item_id}")))
    }

    /// Adds an item to My List (again: no change). The caller checks it is a series or movie
    /// the viewer may see ([`Store::visible_kind`]).
    pub async fn my_list_add(&self, viewer: Viewer, item_id: i64) -> Result<()> {
        sqlx::query(
            "INSERT OR IGNORE INTO my_list (user_id, profile_id, item_id, added_at) VALUES (?, ?, ?, ?)",
        )
        .bind(viewer.user_id)
        .bind(viewer.profile_key())
        .bind(item_id)
        .bind(now_ms())
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// Removes an item from My List; `false` when it was not there.
    pub async fn my_list_remove(&self, viewer: Viewer, item_id: i64) -> Result<bool> {
        self.forget_saved("my_list", viewer, item_id).await
    }

    /// Deletes the viewer's row for `item_id` from `table` (My List or ratings, this module's
    /// literals); `false` when there was none.
    async fn forget_saved(&self, table: &str, viewer: Viewer, item_id: i64) -> Result<bool> {
        let done = sqlx::query(&format!(
            "DELETE FROM {table} WHERE user_id = ? AND profile_id = ? AND item_id = ?"
        ))
        .bind(viewer.user_id)
        .bind(viewer.profile_key())
        .bind(item_id)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// My List, most recently added first; only what `access` may see.
    pub async fn my_list(&self, viewer: Viewer, access: &Access) -> Result<Vec<SavedTitle>> {
        self.saved_titles("my_list", "added_at", "NULL", viewer, access)
            .await
    }

    /// Thumbs up (`true`) or down for an item. The caller checks it is a series, movie or
    /// episode the viewer may see ([`Store::visible_kind`]).
    pub async fn set_thumb(&self, viewer: Viewer, item_id: i64, up: bool) -> Result<()> {
        let thumb: i64 = if up { 1 } else { -1 };
        sqlx::query(
            "INSERT INTO ratings (user_id, profile_id, item_id, thumb, rated_at) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (user_id, profile_id, item_id) DO UPDATE SET thumb = excluded.thumb,
                rated_at = excluded.rated_at",
        )
        .bind(viewer.user_id)
        .bind(viewer.profile_key())
        .bind(item_id)
        .bind(thumb)
        .bind(now_ms())
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// Withdraws a thumb; `false` when there was none.
    pub async fn clear_thumb(&self, viewer: Viewer, item_id: i64) -> Result<bool> {
        self.forget_saved("ratings", viewer, item_id).await
    }

    /// The viewer's thumbs, most recent first; only what `access` may see.
    pub async fn thumbs(&self, viewer: Viewer, access: &Access) -> Result<Vec<SavedTitle>> {
        self.saved_titles("ratings", "rated_at", "t.thumb", viewer, access)
            .await
    }

    async fn saved_titles(
        &self,
        table: &str,
        at: &str,
        thumb: &str,
        viewer: Viewer,
        access: &Access,
    ) -> Result<Vec<SavedTitle>> {
        let mut q = QueryBuilder::<Sqlite>::new(format!(
            "SELECT i.id, i.kind, i.title, i.year, {thumb}, t.{at},
                EXISTS (SELECT 1 FROM artwork a WHERE a.item_id = i.id AND a.kind = 'poster')
             FROM {table} t JOIN items i ON i.id = t.item_id WHERE t.user_id = "
        ));
        q.push_bind(viewer.user_id)
            .push(" AND t.profile_id = ")
            .push_bind(viewer.profile_key());
        push_access(&mut q, "i", access);
        q.push(format!(" ORDER BY t.{at} DESC, i.id DESC"));
        q.build()
            .fetch_all(&self.reader)
            .await?
            .iter()
            .map(|r| {
                let id: i64 = r.try_get(0)?;
                let has_poster: bool = r.try_get(6)?;
                Ok(SavedTitle {
                    id,
                    kind: r.try_get(1)?,
                    title: r.try_get(2)?,
                    year: r.try_get(3)?,
                    thumb: r.try_get(4)?,
                    at: r.try_get(5)?,
                    poster: has_poster.then(|| artwork_url(id, "poster")),
                })
            })
            .collect()
    }

    /// Whether an item is in My List, its thumb and the progress under it.
    pub async fn viewer_item_state(&self, viewer: Viewer, item_id: i64) -> Result<ViewerItemState> {
        let r = sqlx::query(
            "SELECT EXISTS (SELECT 1 FROM my_list WHERE user_id = ?1 AND profile_id = ?2 AND item_id = ?3),
                    (SELECT thumb FROM ratings WHERE user_id = ?1 AND profile_id = ?2 AND item_id = ?3)",
        )
        .bind(viewer.user_id)
        .bind(viewer.profile_key())
        .bind(item_id)
        .fetch_one(&self.reader)
        .await?;
        Ok(ViewerItemState {
            item_id,
            in_my_list: r.try_get(0)?,
            thumb: r.try_get(1)?,
            progress: self.progress_under(viewer, item_id).await?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep(id: i64, season: i64, number: i64, air: Option<&str>) -> EpisodeSlot {
        EpisodeSlot {
            id,
            season,
            number,
            air_date: air.map(str::to_string),
            file_id: Some(id),
        }
    }

    #[test]
    fn the_watched_rule_takes_the_credits_marker_or_the_threshold() {
        assert!(!reached_end(80_000, Some(100_000), None, 0.9));
        assert!(reached_end(90_000, Some(100_000), None, 0.9));
        assert!(reached_end(80_000, Some(100_000), Some(78_000), 0.9));
        assert!(!reached_end(70_000, Some(100_000), Some(78_000), 0.9));
        assert!(reached_end(50_000, Some(100_000), None, 0.5));
        // Unknown duration: only the credits can tell.
        assert!(!reached_end(1_000_000, None, None, 0.9));
        assert!(reached_end(60_000, None, Some(60_000), 0.9));
    }

    #[test]
    fn next_crosses_seasons_and_places_dated_specials_by_air_date() {
        let eps = vec![
            ep(21, 2, 1, Some("2021-01-01")),
            ep(11, 1, 1, Some("2020-01-01")),
            ep(12, 1, 2, Some("2020-01-08")),
            // Aired between the seasons: watched after S01E02.
            ep(1, 0, 1, Some("2020-12-24")),
            // No air date: bonus material, only follows other undated specials.
            ep(2, 0, 2, None),
            ep(3, 0, 3, None),
        ];
        assert_eq!(watch_order(&eps), vec![vec![11, 12, 1, 21], vec![2, 3]]);
        assert_eq!(next_in_order(&eps, 11, |_| false), Some(12));
        assert_eq!(next_in_order(&eps, 12, |_| false), Some(1));
        assert_eq!(next_in_order(&eps, 1, |_| false), Some(21));
        assert_eq!(next_in_order(&eps, 12, |id| id == 1), Some(21));
        assert_eq!(next_in_order(&eps, 21, |_| false), None);
        assert_eq!(next_in_order(&eps, 2, |_| false), Some(3));
        assert_eq!(next_in_order(&eps, 3, |_| false), None);
        assert_eq!(next_in_order(&eps, 99, |_| false), None);
    }

    #[test]
    fn next_skips_the_rest_of_a_multi_episode_file() {
        let mut eps = vec![ep(1, 1, 1, None), ep(2, 1, 2, None), ep(3, 1, 3, None)];
        eps[1].file_id = Some(1);
        assert_eq!(next_in_order(&eps, 1, |_| false), Some(3));
    }

    #[test]
    fn a_special_aired_before_the_premiere_comes_first() {
        let eps = vec![
            ep(11, 1, 1, Some("2020-01-01")),
            ep(1, 0, 1, Some("2019-06-01")),
        ];
        assert_eq!(watch_order(&eps), vec![vec![1, 11]]);
    }
}
