//! "More like this": series and movies related to a title by what they share.
//!
//! One scored query. A title's features are its credits, genres, tags, studios and the critics
//! and publications that reviewed it — a series' own and its episodes' and seasons' together.
//! Each feature another series or movie shares adds a weight:
//!
//! | shared | weight | why |
//! | --- | --- | --- |
//! | a person (any role) | 3 | the same director, writer or cast is the strongest sign of kinship |
//! | a studio or network | 2 | a house style, but a studio makes many kinds of title |
//! | a tag | 1 | specific ("music industry"), but tags are sparse and uneven |
//! | a genre | 1 | broad: worth little alone, adds up when several match |
//! | a reviewer or publication | 0.5 | critics review widely; a tie-breaker, not a reason |
//!
//! so one shared person outranks a shared genre, and two shared genres plus a tag tie with one
//! shared person. Ties go to the more recent title, then by title.

use std::collections::HashMap;

use serde::Serialize;
use sqlx::{QueryBuilder, Row, Sqlite};

use crate::catalog::AVAILABLE;
use crate::profiles::push_access;
use crate::{Access, Result, Store, StoreError};

pub const WEIGHT_PERSON: f64 = 3.0;
pub const WEIGHT_STUDIO: f64 = 2.0;
pub const WEIGHT_TAG: f64 = 1.0;
pub const WEIGHT_GENRE: f64 = 1.0;
pub const WEIGHT_REVIEWER: f64 = 0.5;

/// What a related title shares with the one asked about.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SharedFeatures {
    /// Names of people credited on both.
    pub people: Vec<String>,
    pub genres: Vec<String>,
    pub tags: Vec<String>,
    pub studios: Vec<String>,
    /// Critics and publications that reviewed both.
    pub reviewers: Vec<String>,
}

/// A related series or movie.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SimilarTitle {
    pub id: i64,
    /// series or movie.
    pub kind: String,
    pub title: String,
    pub year: Option<i32>,
    pub poster: Option<String>,
    /// The sum of the weights of what it shares (see the module documentation).
    pub score: f64,
    pub shared: SharedFeatures,
}

impl Store {
    /// Series and movies most like `item_id` (an episode or season stands for its series), best
    /// first, among those `access` may see and that can be played.
    pub async fn similar_titles(
        &self,
        item_id: i64,
        access: &Access,
        limit: i64,
    ) -> Result<Vec<SimilarTitle>> {
        let target: i64 = sqlx::query("SELECT COALESCE(series_id, id) FROM items WHERE id = ?")
            .bind(item_id)
            .fetch_optional(&self.reader)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("item {item_id}")))?
            .try_get(0)?;
        // Every feature a candidate shares, once per (candidate, kind, value): `what` is the
        // shown name.
        let mut q = QueryBuilder::<Sqlite>::new("WITH mine AS (SELECT id FROM items WHERE id = ");
        q.push_bind(target)
            .push(" OR series_id = ")
            .push_bind(target)
            .push(format!(
                "),
             shared (cid, why, what) AS (
                SELECT COALESCE(i.series_id, i.id), 'person', p.name
                FROM credits c JOIN items i ON i.id = c.item_id JOIN people p ON p.id = c.person_id
                WHERE c.person_id IN (SELECT person_id FROM credits WHERE item_id IN mine)
              UNION
                SELECT COALESCE(i.series_id, i.id), f.facet, f.value
                FROM item_facets f JOIN items i ON i.id = f.item_id
                WHERE EXISTS (SELECT 1 FROM item_facets t WHERE t.item_id IN mine
                              AND t.facet = f.facet AND t.value = f.value COLLATE NOCASE)
              UNION
                SELECT COALESCE(i.series_id, i.id), 'reviewer', r.author
                FROM reviews r JOIN items i ON i.id = r.item_id
                WHERE NOT r.hidden AND r.author COLLATE NOCASE IN
                    (SELECT author FROM reviews WHERE item_id IN mine AND NOT hidden)
              UNION
                SELECT COALESCE(i.series_id, i.id), 'reviewer', r.publication
                FROM reviews r JOIN items i ON i.id = r.item_id
                WHERE NOT r.hidden AND r.publication COLLATE NOCASE IN
                    (SELECT publication FROM reviews WHERE item_id IN mine AND NOT hidden)
             ),
             scored AS (
                SELECT cid, SUM(CASE why WHEN 'person' THEN {WEIGHT_PERSON:?} WHEN 'studio' THEN {WEIGHT_STUDIO:?}
                    WHEN 'tag' THEN {WEIGHT_TAG:?} WHEN 'genre' THEN {WEIGHT_GENRE:?}
                    ELSE {WEIGHT_REVIEWER:?} END) AS score
                FROM (SELECT DISTINCT cid, why, what COLLATE NOCASE AS what FROM shared) GROUP BY cid
             )
             SELECT i.id, i.kind, i.title, i.year, s.score,
                EXISTS (SELECT 1 FROM artwork a WHERE a.item_id = i.id AND a.kind = 'poster')
             FROM scored s JOIN items i ON i.id = s.cid
             WHERE i.kind IN ('series', 'movie') AND {AVAILABLE} AND i.id != "
            ))
            .push_bind(target);
        push_access(&mut q, "i", access);
        q.push(" ORDER BY s.score DESC, i.year DESC, i.sort_title LIMIT ")
            .push_bind(limit.clamp(1, 100));
        let rows = q.build().fetch_all(&self.reader).await?;
        let ids: Vec<i64> = rows
            .iter()
            .map(|r| r.try_get(0))
            .collect::<std::result::Result<_, _>>()?;
        let mut shared = self.shared_features(target, &ids).await?;
        rows.iter()
            .map(|r| {
                let id: i64 = r.try_get(0)?;
                let has_poster: bool = r.try_get(5)?;
                Ok(SimilarTitle {
                    id,
                    kind: r.try_get(1)?,
                    title: r.try_get(2)?,
                    year: r.try_get(3)?,
                    score: r.try_get(4)?,
                    poster: has_poster.then(|| format!("/api/v1/items/{id}/artwork/poster")),
                    shared: shared.remove(&id).unwrap_or_default(),
                })
            })
            .collect()
    }

    /// What each of `ids` shares with `target`, by kind, for showing why it is related.
    async fn shared_features(
        &self,
        target: i64,
        ids: &[i64],
    ) -> Result<HashMap<i64, SharedFeatures>> {
        let mut out: HashMap<i64, SharedFeatures> = HashMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        let features = |alias_cond: &str| {
            format!(
                "SELECT 'person', p.name FROM credits c JOIN people p ON p.id = c.person_id
                    JOIN items i ON i.id = c.item_id WHERE {alias_cond}
                 UNION SELECT f.facet, f.value FROM item_facets f JOIN items i ON i.id = f.item_id WHERE {alias_cond}
                 UNION SELECT 'reviewer', r.author FROM reviews r JOIN items i ON i.id = r.item_id
                    WHERE NOT r.hidden AND {alias_cond}
                 UNION SELECT 'reviewer', r.publication FROM reviews r JOIN items i ON i.id = r.item_id
                    WHERE NOT r.hidden AND r.publication IS NOT NULL AND {alias_cond}"
            )
        };
        let mine: Vec<(String, String)> =
            sqlx::query_as(&features("(i.id = ?1 OR i.series_id = ?1)"))
                .bind(target)
                .fetch_all(&self.reader)
                .await?;
        let folded: std::collections::HashSet<(String, String)> = mine
            .iter()
            .map(|(k, v)| (k.clone(), v.to_lowercase()))
            .collect();
        for id in ids {
            let theirs: Vec<(String, String)> =
                sqlx::query_as(&features("(i.id = ?1 OR i.series_id = ?1)"))
                    .bind(id)
                    .fetch_all(&self.reader)
                    .await?;
            let s = out.entry(*id).or_default();
            for (kind, value) in theirs {
                if !folded.contains(&(kind.clone(), value.to_lowercase())) {
                    continue;
                }
                let list = match kind.as_str() {
                    "person" => &mut s.people,
                    "genre" => &mut s.genres,
                    "tag" => &mut s.tags,
                    "studio" => &mut s.studios,
                    _ => &mut s.reviewers,
                };
                if !list.iter().any(|v| v.eq_ignore_ascii_case(&value)) {
                    list.push(value);
                }
            }
            for list in [
                &mut s.people,
                &mut s.genres,
                &mut s.tags,
                &mut s.studios,
                &mut s.reviewers,
            ] {
                list.sort();
            }
        }
        Ok(out)
    }
}
