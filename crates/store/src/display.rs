//! Short names of items for lists people read ("what is playing on which screen").

use sqlx::Row;

use crate::{Result, Store};

impl Store {
    /// An item's title as a viewer recognises it: a film's title, or `Series · S1E2 · Title`
    /// for an episode. `None` when the item does not exist.
    pub async fn display_title(&self, item_id: i64) -> Result<Option<String>> {
        let row = sqlx::query(
            "SELECT i.title, s.title AS series, i.season_number, i.episode_number
             FROM items i LEFT JOIN items s ON s.id = i.series_id WHERE i.id = ?",
        )
        .bind(item_id)
        .fetch_optional(&self.reader)
        .await?;
        let Some(r) = row else { return Ok(None) };
        let title: String = r.try_get("title")?;
        let series: Option<String> = r.try_get("series")?;
        let season: Option<i64> = r.try_get("season_number")?;
        let episode: Option<i64> = r.try_get("episode_number")?;
        Ok(Some(match (series, season, episode) {
            (Some(series), Some(s), Some(e)) => format!("{series} · S{s}E{e} · {title}"),
            (Some(series), _, _) => format!("{series} · {title}"),
            _ => title,
        }))
    }
}
