//! Ahead-of-time transcoding jobs: an item's adaptive ladder, queued by an administrator and made
//! by the server's ladder worker. What is finished lives on disk; a row says what was asked for
//! and how far the worker got.

use serde::Serialize;
use sqlx::sqlite::SqliteRow;
use sqlx::Row;

use crate::{now, Result, Store, StoreError};

/// One ladder job.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TranscodeJob {
    pub id: i64,
    pub item_id: i64,
    /// The item's title (an episode's own title).
    pub title: String,
    /// `queued`, `running`, `done`, `failed` or `cancelled`.
    pub status: String,
    /// The video rungs asked for, highest first (those above the source are skipped).
    pub heights: Vec<u32>,
    /// 0–100 over every rung.
    pub percent: f64,
    /// The rendition being made (`h264-720`, `aac`) while running.
    pub current_rung: Option<String>,
    /// ffmpeg runs that died and were retried.
    pub attempts: i64,
    pub error: Option<String>,
    pub requested_by: Option<i64>,
    /// Unix seconds.
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
}

/// What to queue: one item (a series or season: its episodes) or a whole library.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LadderTarget {
    Item(i64),
    Library(i64),
}

const SELECT: &str = "SELECT j.id, j.item_id, i.title, j.status, j.heights, j.percent,
    j.current_rung, j.attempts, j.error, j.requested_by, j.created_at, j.started_at, j.finished_at
    FROM transcode_jobs j JOIN items i ON i.id = j.item_id";

fn job(r: &SqliteRow) -> Result<TranscodeJob> {
    let heights: String = r.try_get(4)?;
    Ok(TranscodeJob {
        id: r.try_get(0)?,
        item_id: r.try_get(1)?,
        title: r.try_get(2)?,
        status: r.try_get(3)?,
        heights: parse_heights(&heights)?,
        percent: r.try_get(5)?,
        current_rung: r.try_get(6)?,
        attempts: r.try_get(7)?,
        error: r.try_get(8)?,
        requested_by: r.try_get(9)?,
        created_at: r.try_get(10)?,
        started_at: r.try_get(11)?,
        finished_at: r.try_get(12)?,
    })
}

fn parse_heights(s: &str) -> Result<Vec<u32>> {
    s.split(',')
        .filter(|h| !h.is_empty())
        .map(|h| {
            h.parse()
                .map_err(|_| StoreError::Corrupt(format!("ladder heights {s:?}")))
        })
        .collect()
}

fn heights_text(heights: &[u32]) -> String {
    heights
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

impl Store {
    /// The playable items `target` covers (movies and episodes with a present file), in id order.
    pub async fn ladder_items(&self, target: LadderTarget) -> Result<Vec<i64>> {
        let (filter, id) = match target {
            LadderTarget::Item(id) => ("(i.id = ? OR i.parent_id = ?1 OR i.series_id = ?1)", id),
            LadderTarget::Library(id) => ("i.library_id = ?", id),
        };
        let exists = match target {
            LadderTarget::Item(_) => "SELECT 1 FROM items WHERE id = ?",
            LadderTarget::Library(_) => "SELECT 1 FROM libraries WHERE id = ?",
        };
        if sqlx::query(exists)
            .bind(id)
            .fetch_optional(&self.reader)
            .await?
            .is_none()
        {
            return Err(StoreError::NotFound(match target {
                LadderTarget::Item(id) => format!("item {id}"),
                LadderTarget::Library(id) => format!("library {id}"),
            }));
        }
        let rows = sqlx::query(&format!(
            "SELECT i.id FROM items i JOIN media_files f ON f.id = i.file_id
             WHERE {filter} AND i.kind IN ('movie', 'episode') AND f.status = 'ok' ORDER BY i.id"
        ))
        .bind(id)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
    }

    /// Queues a ladder job per item; an item with a job queued or running keeps that one.
    pub async fn queue_ladders(
        &self,
        items: &[i64],
        heights: &[u32],
        requested_by: Option<i64>,
    ) -> Result<Vec<TranscodeJob>> {
        let mut tx = self.writer.begin().await?;
        let mut ids = Vec::with_capacity(items.len());
        for item in items {
            let active: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM transcode_jobs WHERE item_id = ? AND status IN ('queued', 'running')",
            )
            .bind(item)
            .fetch_optional(&mut *tx)
            .await?;
            let id = match active {
                Some(id) => id,
                None => sqlx::query_scalar(
                    "INSERT INTO transcode_jobs (item_id, status, heights, requested_by, created_at)
                     VALUES (?, 'queued', ?, ?, ?) RETURNING id",
                )
                .bind(item)
                .bind(heights_text(heights))
                .bind(requested_by)
                .bind(now())
                .fetch_one(&mut *tx)
                .await?,
            };
            ids.push(id);
        }
        tx.commit().await?;
        let mut jobs = Vec::with_capacity(ids.len());
        for id in ids {
            jobs.push(self.transcode_job_written(id).await?);
        }
        Ok(jobs)
    }

    async fn transcode_job_written(&self, id: i64) -> Result<TranscodeJob> {
        let row = sqlx::query(&format!("{SELECT} WHERE j.id = ?"))
            .bind(id)
            .fetch_optional(&self.writer)
            .await?;
        row.as_ref()
            .map(job)
            .transpose()?
            .ok_or_else(|| StoreError::NotFound(format!("transcoding job {id}")))
    }

    /// One job.
    pub async fn transcode_job(&self, id: i64) -> Result<TranscodeJob> {
        let row = sqlx::query(&format!("{SELECT} WHERE j.id = ?"))
            .bind(id)
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref()
            .map(job)
            .transpose()?
            .ok_or_else(|| StoreError::NotFound(format!("transcoding job {id}")))
    }

    /// Up to `limit` jobs: queued and running ones first, then the newest.
    pub async fn transcode_jobs(&self, limit: i64) -> Result<Vec<TranscodeJob>> {
        let rows = sqlx::query(&format!(
            "{SELECT} ORDER BY j.status IN ('queued', 'running') DESC, j.id DESC LIMIT ?"
        ))
        .bind(limit.clamp(1, 1000))
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(job).collect()
    }

    /// Takes the oldest queued job and marks it running.
    pub async fn claim_transcode_job(&self) -> Result<Option<TranscodeJob>> {
        let id: Option<i64> = sqlx::query_scalar(
            "UPDATE transcode_jobs SET status = 'running', started_at = ?, error = NULL
             WHERE id = (SELECT id FROM transcode_jobs WHERE status = 'queued' ORDER BY id LIMIT 1)
             RETURNING id",
        )
        .bind(now())
        .fetch_optional(&self.writer)
        .await?;
        match id {
            Some(id) => Ok(Some(self.transcode_job_written(id).await?)),
            None => Ok(None),
        }
    }

    /// Queues again the jobs left running by a server that stopped; returns how many.
    pub async fn requeue_running_transcode_jobs(&self) -> Result<u64> {
        Ok(sqlx::query(
            "UPDATE transcode_jobs SET status = 'queued', current_rung = NULL WHERE status = 'running'",
        )
        .execute(&self.writer)
        .await?
        .rows_affected())
    }

    /// Records a running job's progress (ignored once it is no longer running).
    pub async fn transcode_progress(
        &self,
        id: i64,
        percent: f64,
        rung: Option<&str>,
        attempts: i64,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE transcode_jobs SET percent = ?, current_rung = ?, attempts = ?
             WHERE id = ? AND status = 'running'",
        )
        .bind(percent.clamp(0.0, 100.0))
        .bind(rung)
        .bind(attempts)
        .bind(id)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// Ends a running job: `done` (at 100 %) or `failed` with the reason. A job cancelled
    /// meanwhile stays cancelled.
    pub async fn finish_transcode_job(&self, id: i64, error: Option<&str>) -> Result<()> {
        sqlx::query(
            "UPDATE transcode_jobs SET status = ?, error = ?, current_rung = NULL, finished_at = ?,
             percent = CASE WHEN ? IS NULL THEN 100 ELSE percent END
             WHERE id = ? AND status = 'running'",
        )
        .bind(if error.is_none() { "done" } else { "failed" })
        .bind(error)
        .bind(now())
        .bind(error)
        .bind(id)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// Cancels a queued or running job; a finished one is a conflict.
    pub async fn cancel_transcode_job(&self, id: i64) -> Result<TranscodeJob> {
        let changed = sqlx::query(
            "UPDATE transcode_jobs SET status = 'cancelled', current_rung = NULL, finished_at = ?
             WHERE id = ? AND status IN ('queued', 'running')",
        )
        .bind(now())
        .bind(id)
        .execute(&self.writer)
        .await?
        .rows_affected();
        let job = self.transcode_job_written(id).await?;
        if changed == 0 {
            return Err(StoreError::Conflict(format!(
                "transcoding job {id} is already {}",
                job.status
            )));
        }
        Ok(job)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heights_round_trip() {
        assert_eq!(heights_text(&[1080, 720]), "1080,720");
        assert_eq!(parse_heights("1080,720").unwrap(), vec![1080, 720]);
        assert!(parse_heights("").unwrap().is_empty());
        assert!(parse_heights("x").is_err());
    }

    #[tokio::test]
    async fn unknown_targets_are_not_found() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db")).await.unwrap();
        assert!(matches!(
            store.ladder_items(LadderTarget::Item(99)).await,
            Err(StoreError::NotFound(_))
        ));
        assert!(matches!(
            store.cancel_transcode_job(5).await,
            Err(StoreError::NotFound(_))
        ));
        assert!(store.claim_transcode_job().await.unwrap().is_none());
    }
}
