//! Editorial reviews edited by administrators, and "more from this reviewer / publication".
//!
//! Sidecar reviews are rewritten by every rescan of their title; administrators' reviews are
//! not. A sidecar review is known by its *origin* (folded author and publication): when an
//! administrator edits one, the row becomes theirs (`source = 'admin'`) and keeps that origin;
//! when they delete one, it stays as a hidden row. A rescan skips any sidecar review whose
//! origin an administrator's row on the same title holds, so an edit or a deletion outlives
//! rescans. A review an administrator wrote from scratch has no origin and is simply theirs.

use serde::Serialize;
use sqlx::{QueryBuilder, Row, Sqlite};

use crate::profiles::push_access;
use crate::views::ReviewView;
use crate::{fold_title, now, Access, Result, Store, StoreError};

/// What identifies a sidecar review across rescans.
pub(crate) fn review_origin(author: &str, publication: Option<&str>) -> String {
    format!(
        "{}|{}",
        fold_title(author),
        fold_title(publication.unwrap_or(""))
    )
}

/// Links are kept only when they are web addresses (a review link is shown as is).
pub(crate) fn web_url(url: Option<String>) -> Option<String> {
    url.filter(|u| {
        let lower = u.trim_start().to_ascii_lowercase();
        lower.starts_with("https://") || lower.starts_with("http://")
    })
}

/// The fields of a review an administrator writes.
#[derive(Debug, Clone, Default)]
pub struct ReviewFields {
    pub author: String,
    pub publication: Option<String>,
    /// `YYYY-MM-DD`.
    pub date: Option<String>,
    /// 0–100.
    pub score: Option<f64>,
    pub score_text: Option<String>,
    pub body_markdown: String,
    pub url: Option<String>,
}

/// A review with the title it is about, for "more from this reviewer / publication".
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReviewedTitle {
    pub review: ReviewView,
    pub item_id: i64,
    /// series, season, episode or movie.
    pub kind: String,
    pub title: String,
    pub year: Option<i32>,
    /// For seasons and episodes: their series.
    pub series_id: Option<i64>,
    pub series_title: Option<String>,
    pub poster: Option<String>,
}

const REVIEW_COLUMNS: &str =
    "r.id, r.author, r.publication, r.date, r.score, r.score_text, r.body_markdown, r.url, r.source";

pub(crate) fn review_from(r: &sqlx::sqlite::SqliteRow) -> Result<ReviewView> {
    let body: String = r.try_get(6)?;
    Ok(ReviewView {
        id: r.try_get(0)?,
        author: r.try_get(1)?,
        publication: r.try_get(2)?,
        date: r.try_get(3)?,
        score: r.try_get(4)?,
        score_text: r.try_get(5)?,
        body_html: marquee_catalog::markdown::review_html(&body),
        body_markdown: body,
        url: web_url(r.try_get(7)?),
        source: r.try_get(8)?,
    })
}

impl Store {
    /// The visible reviews of an item, newest first.
    pub(crate) async fn reviews_of(&self, item_id: i64) -> Result<Vec<ReviewView>> {
        sqlx::query(&format!(
            "SELECT {REVIEW_COLUMNS} FROM reviews r WHERE r.item_id = ? AND NOT r.hidden
             ORDER BY r.date DESC, r.id"
        ))
        .bind(item_id)
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(review_from)
        .collect()
    }

    /// One visible review.
    pub async fn review(&self, id: i64) -> Result<(i64, ReviewView)> {
        let r = sqlx::query(&format!(
            "SELECT {REVIEW_COLUMNS}, r.item_id FROM reviews r WHERE r.id = ? AND NOT r.hidden"
        ))
        .bind(id)
        .fetch_optional(&self.reader)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("review {id}")))?;
        Ok((r.try_get(9)?, review_from(&r)?))
    }

    /// Adds an administrator's review to an item (a series, season, episode or movie).
    pub async fn create_review(
        &self,
        item_id: i64,
        f: &ReviewFields,
        by_user: i64,
    ) -> Result<ReviewView> {
        let id = sqlx::query(
            "INSERT INTO reviews (item_id, source, author, publication, date, score, score_text,
                body_markdown, url, updated_at, updated_by)
             VALUES (?, 'admin', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(item_id)
        .bind(&f.author)
        .bind(&f.publication)
        .bind(&f.date)
        .bind(f.score)
        .bind(&f.score_text)
        .bind(&f.body_markdown)
        .bind(&f.url)
        .bind(now())
        .bind(by_user)
        .execute(&self.writer)
        .await?
        .last_insert_rowid();
        self.bump_generation();
        Ok(self.review(id).await?.1)
    }

    /// Replaces a review's fields. A sidecar review becomes the administrator's, so rescans
    /// leave it as edited.
    pub async fn update_review(
        &self,
        id: i64,
        f: &ReviewFields,
        by_user: i64,
    ) -> Result<ReviewView> {
        let mut tx = self.writer.begin().await?;
        let origin = sidecar_origin(&mut tx, id).await?;
        sqlx::query(
            "UPDATE reviews SET source = 'admin', origin = ?, author = ?, publication = ?, date = ?,
                score = ?, score_text = ?, body_markdown = ?, url = ?, updated_at = ?, updated_by = ?
             WHERE id = ?",
        )
        .bind(origin)
        .bind(&f.author)
        .bind(&f.publication)
        .bind(&f.date)
        .bind(f.score)
        .bind(&f.score_text)
        .bind(&f.body_markdown)
        .bind(&f.url)
        .bind(now())
        .bind(by_user)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.bump_generation();
        Ok(self.review(id).await?.1)
    }

    /// Deletes a review. One that came from a sidecar is kept hidden instead, so that rescans
    /// do not bring it back.
    pub async fn delete_review(&self, id: i64, by_user: i64) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        match sidecar_origin(&mut tx, id).await? {
            Some(origin) => {
                sqlx::query(
                    "UPDATE reviews SET source = 'admin', origin = ?, hidden = 1, updated_at = ?,
                        updated_by = ? WHERE id = ?",
                )
                .bind(origin)
                .bind(now())
                .bind(by_user)
                .bind(id)
                .execute(&mut *tx)
                .await?
            }
            None => {
                sqlx::query("DELETE FROM reviews WHERE id = ?")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?
            }
        };
        tx.commit().await?;
        self.bump_generation();
        Ok(())
    }

    /// Reviews by an author or in a publication (case-insensitive; both: either matches), newest
    /// first, on titles `access` may see.
    pub async fn reviews_by(
        &self,
        author: Option<&str>,
        publication: Option<&str>,
        access: &Access,
        limit: i64,
    ) -> Result<Vec<ReviewedTitle>> {
        let mut q = QueryBuilder::<Sqlite>::new(format!(
            "SELECT {REVIEW_COLUMNS}, i.id, i.kind, i.title, COALESCE(i.year, s.year), s.id, s.title,
                EXISTS (SELECT 1 FROM artwork a WHERE a.item_id = COALESCE(i.series_id, i.id) AND a.kind = 'poster')
             FROM reviews r JOIN items i ON i.id = r.item_id LEFT JOIN items s ON s.id = i.series_id
             WHERE NOT r.hidden AND ("
        ));
        let mut any = false;
        if let Some(a) = author.map(str::trim).filter(|a| !a.is_empty()) {
            q.push("r.author = ")
                .push_bind(a.to_string())
                .push(" COLLATE NOCASE");
            any = true;
        }
        if let Some(p) = publication.map(str::trim).filter(|p| !p.is_empty()) {
            if any {
                q.push(" OR ");
            }
            q.push("r.publication = ")
                .push_bind(p.to_string())
                .push(" COLLATE NOCASE");
            any = true;
        }
        if !any {
            return Ok(Vec::new());
        }
        q.push(")");
        push_access(&mut q, "i", access);
        q.push(" ORDER BY r.date DESC, r.id DESC LIMIT ")
            .push_bind(limit.clamp(1, 200));
        q.build()
            .fetch_all(&self.reader)
            .await?
            .iter()
            .map(|r| {
                let series_id: Option<i64> = r.try_get(13)?;
                let item_id: i64 = r.try_get(9)?;
                let has_poster: bool = r.try_get(15)?;
                Ok(ReviewedTitle {
                    review: review_from(r)?,
                    item_id,
                    kind: r.try_get(10)?,
                    title: r.try_get(11)?,
                    year: r.try_get(12)?,
                    series_id,
                    series_title: r.try_get(14)?,
                    poster: has_poster.then(|| {
                        format!(
                            "/api/v1/items/{}/artwork/poster",
                            series_id.unwrap_or(item_id)
                        )
                    }),
                })
            })
            .collect()
    }
}

/// The origin a review keeps when an administrator takes it over: its own, or for a sidecar
/// review written before origins were recorded, the one its author and publication make. `None`
/// for a review an administrator wrote.
async fn sidecar_origin(tx: &mut sqlx::Transaction<'_, Sqlite>, id: i64) -> Result<Option<String>> {
    let r = sqlx::query(
        "SELECT source, origin, author, publication FROM reviews WHERE id = ? AND NOT hidden",
    )
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or_else(|| StoreError::NotFound(format!("review {id}")))?;
    let source: String = r.try_get(0)?;
    let origin: Option<String> = r.try_get(1)?;
    if origin.is_some() || source == "admin" {
        return Ok(origin);
    }
    let author: String = r.try_get(2)?;
    let publication: Option<String> = r.try_get(3)?;
    Ok(Some(review_origin(&author, publication.as_deref())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_ignore_case_and_punctuation_and_urls_must_be_web_addresses() {
        assert_eq!(
            review_origin("Jane  Doe", Some("The Paper!")),
            review_origin("jane doe", Some("the paper"))
        );
        assert_ne!(
            review_origin("Jane Doe", None),
            review_origin("Jane Doe", Some("X"))
        );
        assert_eq!(web_url(Some("javascript:alert(1)".into())), None);
        assert_eq!(
            web_url(Some("https://example.org/r".into())).as_deref(),
            Some("https://example.org/r")
        );
    }
}
