//! What the background extras worker derives from media files: chapters, intro and credits
//! markers, audio fingerprints, stills and scrub thumbnails (migration 0008).

use std::collections::HashMap;
use std::path::PathBuf;

use marquee_media::audio_match::Code;
use marquee_media::Chapter;
use serde::{Deserialize, Serialize};
use sqlx::{QueryBuilder, Row, Sqlite};

use crate::catalog::artwork_url;
use crate::files::path_from_bytes;
use crate::views::ArtworkView;
use crate::{now, Result, Store};

/// A file the worker has not done yet (or whose content changed since).
#[derive(Debug, Clone)]
pub struct ExtrasJob {
    pub file_id: i64,
    pub path: PathBuf,
    pub fingerprint: String,
    pub duration_ms: u64,
    /// The episode or movie it plays.
    pub item_id: i64,
    pub item_kind: String,
    /// The season (episodes only): intros are matched within it.
    pub season_id: Option<i64>,
    /// Whether the item already has sidecar artwork of the kind a still would stand in for.
    pub has_sidecar_still: bool,
}

/// A marker that lets players skip: where it came from and where it lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    pub start_ms: u64,
    pub end_ms: Option<u64>,
}

/// The layout of a file's scrub thumbnails: `count` tiles of `width`×`height`, one every
/// `interval_ms`, `columns`×`rows` to a sheet (`sheet-<n>.jpg`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThumbnailLayout {
    pub interval_ms: u64,
    pub width: u32,
    pub height: u32,
    pub columns: u32,
    pub rows: u32,
    pub count: u32,
}

/// A generated still's size and placeholder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StillInfo {
    pub blurhash: String,
    pub width: u32,
    pub height: u32,
}

/// Everything the worker stores for one file.
#[derive(Debug, Clone, Default)]
pub struct FileExtras {
    pub file_id: i64,
    pub fingerprint: String,
    pub chapters: Vec<Chapter>,
    /// `container` or `sidecar`.
    pub chapters_source: Option<String>,
    /// Markers known without matching audio (from chapters or sidecars), with their source.
    pub intro: Option<(Span, String)>,
    pub credits: Option<(u64, String)>,
    pub head_codes: Option<Vec<Code>>,
    pub tail_codes: Option<Vec<Code>>,
    pub tail_offset_ms: Option<u64>,
    pub still: Option<StillInfo>,
    pub thumbnails: Option<ThumbnailLayout>,
    pub thumbnails_bytes: u64,
    pub error: Option<String>,
}

/// What playback shows for a file.
#[derive(Debug, Clone, Default)]
pub struct PlaybackExtras {
    pub file_id: i64,
    pub chapters: Vec<Chapter>,
    pub intro: Option<Span>,
    pub credits_start_ms: Option<u64>,
    pub thumbnails: Option<ThumbnailLayout>,
}

/// One episode of a season, as intro matching sees it.
#[derive(Debug, Clone)]
pub struct SeasonEpisode {
    pub file_id: i64,
    pub fingerprint: String,
    pub duration_ms: u64,
    pub head_codes: Vec<Code>,
    pub tail_codes: Vec<Code>,
    pub tail_offset_ms: u64,
    /// Markers from chapters or sidecars, which audio matching does not override.
    pub intro_source: Option<String>,
    pub credits_source: Option<String>,
}

/// A file the worker has images for, and whether they are still wanted.
#[derive(Debug, Clone)]
pub struct ExtrasOnDisk {
    pub file_id: i64,
    /// The file is present and unchanged since the images were made.
    pub current: bool,
}

/// Codes as stored: u32 little-endian, `u32::MAX` for silence (a code never has all 32 bands
/// above twice the mean).
pub fn encode_codes(codes: &[Code]) -> Vec<u8> {
    codes
        .iter()
        .flat_map(|c| c.unwrap_or(u32::MAX).to_le_bytes())
        .collect()
}

pub fn decode_codes(bytes: &[u8]) -> Vec<Code> {
    bytes
        .chunks_exact(4)
        .map(|b| {
            let v = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
            (v != u32::MAX).then_some(v)
        })
        .collect()
}

impl Store {
    /// Files that are present and playable and have no extras for their current content, oldest
    /// first. Episodes of one season come together, so a season can be matched once it is done.
    pub async fn pending_extras(&self, limit: i64) -> Result<Vec<ExtrasJob>> {
        let rows = sqlx::query(
            "SELECT f.id, f.path, f.fingerprint, COALESCE(f.duration_ms, 0), i.id, i.kind,
                    CASE WHEN i.kind = 'episode' THEN i.parent_id END,
                    EXISTS (SELECT 1 FROM artwork a WHERE a.item_id = i.id
                            AND a.kind = CASE WHEN i.kind = 'episode' THEN 'thumb' ELSE 'poster' END)
             FROM media_files f
             JOIN items i ON i.id = (SELECT MIN(id) FROM items WHERE file_id = f.id)
             LEFT JOIN file_extras x ON x.file_id = f.id
             WHERE f.status = 'ok' AND (x.file_id IS NULL OR x.fingerprint != f.fingerprint)
             ORDER BY i.parent_id, f.id
             LIMIT ?",
        )
        .bind(limit)
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ExtrasJob {
                    file_id: r.try_get(0)?,
                    path: path_from_bytes(r.try_get::<&[u8], _>(1)?),
                    fingerprint: r.try_get(2)?,
                    duration_ms: r.try_get::<i64, _>(3)?.max(0) as u64,
                    item_id: r.try_get(4)?,
                    item_kind: r.try_get(5)?,
                    season_id: r.try_get(6)?,
                    has_sidecar_still: r.try_get(7)?,
                })
            })
            .collect()
    }

    /// Stores (replacing) what was derived from a file. Audio-matched markers are cleared: the
    /// season is matched again.
    pub async fn save_file_extras(&self, x: &FileExtras) -> Result<()> {
        let chapters = serde_json::to_string(&x.chapters).unwrap_or_else(|_| "[]".into());
        let thumbnails = x
            .thumbnails
            .as_ref()
            .and_then(|t| serde_json::to_string(t).ok());
        sqlx::query(
            "INSERT OR REPLACE INTO file_extras (file_id, fingerprint, chapters, chapters_source,
                intro_start_ms, intro_end_ms, intro_source, credits_start_ms, credits_source,
                head_codes, tail_codes, tail_offset_ms, still_blurhash, still_width, still_height,
                thumbnails, thumbnails_bytes, error, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(x.file_id)
        .bind(&x.fingerprint)
        .bind(chapters)
        .bind(&x.chapters_source)
        .bind(x.intro.as_ref().map(|(s, _)| s.start_ms as i64))
        .bind(
            x.intro
                .as_ref()
                .and_then(|(s, _)| s.end_ms.map(|e| e as i64)),
        )
        .bind(x.intro.as_ref().map(|(_, src)| src.clone()))
        .bind(x.credits.as_ref().map(|(s, _)| *s as i64))
        .bind(x.credits.as_ref().map(|(_, src)| src.clone()))
        .bind(x.head_codes.as_deref().map(encode_codes))
        .bind(x.tail_codes.as_deref().map(encode_codes))
        .bind(x.tail_offset_ms.map(|v| v as i64))
        .bind(x.still.as_ref().map(|s| s.blurhash.clone()))
        .bind(x.still.as_ref().map(|s| s.width))
        .bind(x.still.as_ref().map(|s| s.height))
        .bind(thumbnails)
        .bind(x.thumbnails_bytes as i64)
        .bind(&x.error)
        .bind(now())
        .execute(&self.writer)
        .await?;
        self.bump_generation_soon();
        Ok(())
    }

    /// Bytes of scrub thumbnails on disk, for the disk cap.
    pub async fn thumbnails_bytes(&self) -> Result<u64> {
        let total: i64 =
            sqlx::query_scalar("SELECT COALESCE(SUM(thumbnails_bytes), 0) FROM file_extras")
                .fetch_one(&self.reader)
                .await?;
        Ok(total.max(0) as u64)
    }

    /// The episodes of a season that have fingerprints, in episode order.
    pub async fn season_episodes(&self, season_id: i64) -> Result<Vec<SeasonEpisode>> {
        let rows = sqlx::query(
            "SELECT f.id, f.fingerprint, COALESCE(f.duration_ms, 0), x.head_codes, x.tail_codes,
                    COALESCE(x.tail_offset_ms, 0), x.intro_source, x.credits_source
             FROM items i JOIN media_files f ON f.id = i.file_id
             JOIN file_extras x ON x.file_id = f.id AND x.fingerprint = f.fingerprint
             WHERE i.parent_id = ? AND i.kind = 'episode' AND f.status = 'ok'
             GROUP BY f.id
             ORDER BY MIN(i.episode_number), f.id",
        )
        .bind(season_id)
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|r| {
                let codes = |i: usize| -> Result<Vec<Code>> {
                    Ok(r.try_get::<Option<&[u8]>, _>(i)?
                        .map(decode_codes)
                        .unwrap_or_default())
                };
                Ok(SeasonEpisode {
                    file_id: r.try_get(0)?,
                    fingerprint: r.try_get(1)?,
                    duration_ms: r.try_get::<i64, _>(2)?.max(0) as u64,
                    head_codes: codes(3)?,
                    tail_codes: codes(4)?,
                    tail_offset_ms: r.try_get::<i64, _>(5)?.max(0) as u64,
                    intro_source: r.try_get(6)?,
                    credits_source: r.try_get(7)?,
                })
            })
            .collect()
    }

    /// The stamp a season was last matched at (its episodes' files and fingerprints).
    pub async fn season_stamp(&self, season_id: i64) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT stamp FROM season_markers WHERE season_id = ?")
                .bind(season_id)
                .fetch_optional(&self.reader)
                .await?,
        )
    }

    /// Seasons with an episode whose extras are done, for matching.
    pub async fn seasons_with_extras(&self) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT DISTINCT i.parent_id FROM items i JOIN file_extras x ON x.file_id = i.file_id
             WHERE i.kind = 'episode' AND i.parent_id IS NOT NULL",
        )
        .fetch_all(&self.reader)
        .await?)
    }

    /// Stores audio-matched markers for a season's files (never replacing ones from chapters
    /// or sidecars) and the stamp they were matched at.
    pub async fn save_season_markers(
        &self,
        season_id: i64,
        stamp: &str,
        markers: &[(i64, Option<Span>, Option<u64>)],
    ) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        for (file_id, intro, credits) in markers {
            sqlx::query(
                "UPDATE file_extras SET intro_start_ms = ?, intro_end_ms = ?,
                    intro_source = CASE WHEN ? IS NULL THEN NULL ELSE 'audio' END
                 WHERE file_id = ? AND (intro_source IS NULL OR intro_source = 'audio')",
            )
            .bind(intro.map(|s| s.start_ms as i64))
            .bind(intro.and_then(|s| s.end_ms.map(|e| e as i64)))
            .bind(intro.map(|s| s.start_ms as i64))
            .bind(file_id)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE file_extras SET credits_start_ms = ?,
                    credits_source = CASE WHEN ? IS NULL THEN NULL ELSE 'audio' END
                 WHERE file_id = ? AND (credits_source IS NULL OR credits_source = 'audio')",
            )
            .bind(credits.map(|s| s as i64))
            .bind(credits.map(|s| s as i64))
            .bind(file_id)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "INSERT OR REPLACE INTO season_markers (season_id, stamp, matched_at) VALUES (?, ?, ?)",
        )
        .bind(season_id)
        .bind(stamp)
        .bind(now())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.bump_generation();
        Ok(())
    }

    /// Chapters, markers and thumbnails of an item's file, when the worker has done it.
    pub async fn playback_extras(&self, item_id: i64) -> Result<Option<PlaybackExtras>> {
        let row = sqlx::query(
            "SELECT x.file_id, x.chapters, x.intro_start_ms, x.intro_end_ms, x.credits_start_ms,
                    x.thumbnails
             FROM items i JOIN media_files f ON f.id = i.file_id
             JOIN file_extras x ON x.file_id = f.id AND x.fingerprint = f.fingerprint
             WHERE i.id = ?",
        )
        .bind(item_id)
        .fetch_optional(&self.reader)
        .await?;
        let Some(r) = row else { return Ok(None) };
        let ms = |i: usize| -> Result<Option<u64>> {
            Ok(r.try_get::<Option<i64>, _>(i)?.map(|v| v.max(0) as u64))
        };
        let chapters: String = r.try_get(1)?;
        let thumbnails: Option<String> = r.try_get(5)?;
        Ok(Some(PlaybackExtras {
            file_id: r.try_get(0)?,
            chapters: serde_json::from_str(&chapters).unwrap_or_default(),
            intro: ms(2)?.map(|start_ms| Span {
                start_ms,
                end_ms: ms(3).ok().flatten(),
            }),
            credits_start_ms: ms(4)?,
            thumbnails: thumbnails.and_then(|t| serde_json::from_str(&t).ok()),
        }))
    }

    /// The generated still of an item's file, if there is one: (file id, still, version).
    pub async fn generated_still(&self, item_id: i64) -> Result<Option<(i64, StillInfo, String)>> {
        let row = sqlx::query(
            "SELECT x.file_id, x.still_blurhash, x.still_width, x.still_height, x.fingerprint
             FROM items i JOIN media_files f ON f.id = i.file_id
             JOIN file_extras x ON x.file_id = f.id AND x.fingerprint = f.fingerprint
             WHERE i.id = ? AND f.status = 'ok' AND x.still_blurhash IS NOT NULL",
        )
        .bind(item_id)
        .fetch_optional(&self.reader)
        .await?;
        row.map(|r| {
            Ok((
                r.try_get(0)?,
                StillInfo {
                    blurhash: r.try_get(1)?,
                    width: r.try_get::<i64, _>(2)?.max(0) as u32,
                    height: r.try_get::<i64, _>(3)?.max(0) as u32,
                },
                still_version(&r.try_get::<String, _>(4)?),
            ))
        })
        .transpose()
    }

    /// Every file the worker has done, and whether its results are still wanted (the file is
    /// present and unchanged): what the clean-up of `DATA/extras` goes by.
    pub async fn extras_on_disk(&self) -> Result<Vec<ExtrasOnDisk>> {
        let rows = sqlx::query(
            "SELECT x.file_id, COALESCE(f.status = 'ok' AND f.fingerprint = x.fingerprint, 0)
             FROM file_extras x LEFT JOIN media_files f ON f.id = x.file_id",
        )
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ExtrasOnDisk {
                    file_id: r.try_get(0)?,
                    current: r.try_get(1)?,
                })
            })
            .collect()
    }

    /// Forgets the images of a file that is gone or changed (its folder was removed), so
    /// they are neither served nor counted against the disk cap.
    pub async fn drop_file_images(&self, file_id: i64) -> Result<()> {
        sqlx::query(
            "UPDATE file_extras SET still_blurhash = NULL, thumbnails = NULL, thumbnails_bytes = 0
             WHERE file_id = ?",
        )
        .bind(file_id)
        .execute(&self.writer)
        .await?;
        self.bump_generation();
        Ok(())
    }

    /// Sidecar artwork without a placeholder for its current version: (item, kind, path).
    pub async fn artwork_without_placeholder(
        &self,
        limit: i64,
    ) -> Result<Vec<(i64, String, PathBuf)>> {
        let rows = sqlx::query(
            "SELECT a.item_id, a.kind, a.path FROM artwork a
             LEFT JOIN artwork_placeholders p ON p.item_id = a.item_id AND p.kind = a.kind
             WHERE p.item_id IS NULL LIMIT ?",
        )
        .bind(limit)
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get(0)?,
                    r.try_get(1)?,
                    path_from_bytes(r.try_get::<&[u8], _>(2)?),
                ))
            })
            .collect()
    }

    /// Stores the placeholder of a sidecar image; `stamp` names the image version it was made from.
    pub async fn save_placeholder(
        &self,
        item_id: i64,
        kind: &str,
        stamp: &str,
        still: &StillInfo,
    ) -> Result<()> {
        sqlx::query(
            "INSERT OR REPLACE INTO artwork_placeholders (item_id, kind, stamp, blurhash, width, height)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(item_id)
        .bind(kind)
        .bind(stamp)
        .bind(&still.blurhash)
        .bind(still.width)
        .bind(still.height)
        .execute(&self.writer)
        .await?;
        self.bump_generation_soon();
        Ok(())
    }

    /// An item's artwork for the catalog: sidecar images (with their placeholders once made),
    /// then the generated still where no sidecar image of its kind exists (`thumb` for an
    /// episode, `poster` for anything else).
    pub async fn artwork_views(&self, item_id: i64) -> Result<Vec<ArtworkView>> {
        let mut out: Vec<ArtworkView> = sqlx::query(
            "SELECT a.kind, p.blurhash, p.width, p.height, p.stamp FROM artwork a
             LEFT JOIN artwork_placeholders p ON p.item_id = a.item_id AND p.kind = a.kind
                  AND p.blurhash != ''
             WHERE a.item_id = ? ORDER BY a.kind",
        )
        .bind(item_id)
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(|r| {
            let kind: String = r.try_get(0)?;
            let stamp: Option<String> = r.try_get(4)?;
            let mut url = artwork_url(item_id, &kind);
            if let Some(v) = &stamp {
                url.push_str(&format!("?v={v}"));
            }
            Ok(ArtworkView {
                url,
                kind,
                blurhash: r.try_get(1)?,
                width: r.try_get::<Option<i64>, _>(2)?.map(|v| v.max(0) as u32),
                height: r.try_get::<Option<i64>, _>(3)?.map(|v| v.max(0) as u32),
                source: "sidecar".into(),
            })
        })
        .collect::<Result<_>>()?;
        if let Some((_, still, version)) = self.generated_still(item_id).await? {
            let kind: Option<String> = sqlx::query_scalar("SELECT kind FROM items WHERE id = ?")
                .bind(item_id)
                .fetch_optional(&self.reader)
                .await?;
            let kind = generated_kind(kind.as_deref());
            if !out.iter().any(|a| a.kind == kind) {
                out.push(ArtworkView {
                    kind: kind.to_string(),
                    url: format!("{}?v={version}", artwork_url(item_id, kind)),
                    blurhash: Some(still.blurhash),
                    width: Some(still.width),
                    height: Some(still.height),
                    source: "generated".into(),
                });
            }
        }
        Ok(out)
    }

    /// An item's kind (series, season, episode, movie, extra).
    pub async fn item_kind(&self, item_id: i64) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT kind FROM items WHERE id = ?")
            .bind(item_id)
            .fetch_optional(&self.reader)
            .await?)
    }

    /// Adds the kinds that generated stills provide to a listing's artwork kinds.
    pub(crate) async fn add_generated_kinds(
        &self,
        ids: &[i64],
        kinds: &mut HashMap<i64, Vec<String>>,
    ) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut b = QueryBuilder::<Sqlite>::new(
            "SELECT i.id, i.kind FROM items i JOIN file_extras x ON x.file_id = i.file_id
             WHERE x.still_blurhash IS NOT NULL AND i.id IN (",
        );
        let mut sep = b.separated(", ");
        for id in ids {
            sep.push_bind(*id);
        }
        b.push(")");
        for r in b.build().fetch_all(&self.reader).await? {
            let kind: String = r.try_get(1)?;
            let entry = kinds.entry(r.try_get(0)?).or_default();
            let kind = generated_kind(Some(&kind)).to_string();
            if !entry.contains(&kind) {
                entry.push(kind);
            }
        }
        Ok(())
    }
}

/// The artwork kind a generated still stands in for.
pub fn generated_kind(item_kind: Option<&str>) -> &'static str {
    if item_kind == Some("episode") {
        "thumb"
    } else {
        "poster"
    }
}

/// The version of a generated still in its URL: the file's fingerprint, URL-safe.
pub fn still_version(fingerprint: &str) -> String {
    fingerprint
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(32)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_with_silence() {
        let codes = vec![Some(0), None, Some(0x8000_0001), Some(7)];
        assert_eq!(decode_codes(&encode_codes(&codes)), codes);
        assert!(decode_codes(&[1, 2, 3]).is_empty());
    }
}
