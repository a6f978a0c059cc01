//! Profiles and what a profile may see: the content-rating ceiling of kids profiles.
//!
//! Ratings are compared on one scale across the US TV Parental Guidelines and the MPA ratings
//! ([`rating_level`]); a title without a rating we know ("NR", "Unrated", a foreign rating, none)
//! is *unrated*, and each profile says whether it may see unrated titles (kids profiles: not by
//! default). An episode without a rating of its own takes its series'.

use serde::Serialize;
use sqlx::{QueryBuilder, Row, Sqlite};

use crate::{now, Result, Store, StoreError};

/// A profile under an account.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Profile {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub kids: bool,
    /// The highest rating it may watch (`TV-PG`, `PG-13`, …); none: no ceiling.
    pub max_rating: Option<String>,
    /// Whether titles without a known rating are shown.
    pub allow_unrated: bool,
    /// Whether a PIN guards it (entering it, or for a kids profile, leaving it).
    pub has_pin: bool,
    pub created_at: i64,
    #[serde(skip)]
    pub pin_hash: Option<String>,
}

/// What a viewer may see. The default sees everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Access {
    /// Highest [`rating_level`] allowed; `None`: no ceiling.
    pub max_level: Option<i32>,
    pub allow_unrated: bool,
    /// The titles the viewer's plan lets them play (see `plans`).
    pub titles: crate::Titles,
    /// Whether titles they may not play are left out of listings (else shown as locked).
    pub hide_locked: bool,
}

impl Default for Access {
    fn default() -> Access {
        Access::EVERYTHING
    }
}

impl Access {
    pub const EVERYTHING: Access = Access {
        max_level: None,
        allow_unrated: true,
        titles: crate::Titles::All,
        hide_locked: false,
    };

    /// No rating ceiling.
    pub fn unrated_ceiling(&self) -> bool {
        self.max_level.is_none() && self.allow_unrated
    }

    /// No ceiling and no plan limits at all.
    pub fn is_unrestricted(&self) -> bool {
        self.unrated_ceiling() && self.titles == crate::Titles::All
    }

    /// This access with a plan's titles, locked ones hidden or shown.
    pub fn with_titles(self, titles: crate::Titles, hide_locked: bool) -> Access {
        Access {
            titles,
            hide_locked,
            ..self
        }
    }

    /// A short tag for cache keys: responses differ per access class.
    pub fn tag(&self) -> String {
        let rating = match self.max_level {
            None if self.allow_unrated => "all".into(),
            level => format!("{}-{}", level.unwrap_or(99), u8::from(self.allow_unrated)),
        };
        match self.titles {
            crate::Titles::All => rating,
            titles => format!(
                "{rating}/{}{}",
                titles.tag(),
                if self.hide_locked { "-h" } else { "" }
            ),
        }
    }

    /// Whether a title with this rating may be shown.
    pub fn allows(&self, rating: Option<&str>) -> bool {
        match (rating.and_then(rating_level), self.max_level) {
            (None, _) => self.allow_unrated,
            (Some(_), None) => true,
            (Some(l), Some(max)) => l <= max,
        }
    }
}

impl Profile {
    pub fn access(&self) -> Access {
        Access {
            max_level: self.max_rating.as_deref().and_then(rating_level),
            allow_unrated: self.allow_unrated,
            ..Access::EVERYTHING
        }
    }
}

/// Where a rating sits on one scale for US TV and MPA ratings; `None` for unrated or unknown.
pub fn rating_level(rating: &str) -> Option<i32> {
    let r = rating.trim().to_ascii_uppercase();
    Some(match r.as_str() {
        "TV-Y" => 1,
        "TV-Y7" | "TV-Y7-FV" => 2,
        "G" | "TV-G" => 3,
        "PG" | "TV-PG" => 4,
        "PG-13" | "TV-14" => 5,
        "R" => 6,
        "NC-17" | "TV-MA" => 7,
        _ => return None,
    })
}

/// The ratings a ceiling may name.
pub const RATINGS: [&str; 12] = [
    "TV-Y", "TV-Y7", "G", "TV-G", "PG", "TV-PG", "PG-13", "TV-14", "R", "NC-17", "TV-MA",
    "TV-Y7-FV",
];

/// SQL for the level of item alias `i` (its own rating, else its series'), mirroring
/// [`rating_level`].
fn level_sql(alias: &str) -> String {
    let rating = format!(
        "UPPER(TRIM(COALESCE({alias}.content_rating, (SELECT s.content_rating FROM items s WHERE s.id = {alias}.series_id))))"
    );
    format!(
        "(CASE {rating} WHEN 'TV-Y' THEN 1 WHEN 'TV-Y7' THEN 2 WHEN 'TV-Y7-FV' THEN 2 \
         WHEN 'G' THEN 3 WHEN 'TV-G' THEN 3 WHEN 'PG' THEN 4 WHEN 'TV-PG' THEN 4 \
         WHEN 'PG-13' THEN 5 WHEN 'TV-14' THEN 5 WHEN 'R' THEN 6 WHEN 'NC-17' THEN 7 \
         WHEN 'TV-MA' THEN 7 END)"
    )
}

/// Appends ` AND <item alias may be seen>` to a query: the rating ceiling, and for viewers whose
/// locked titles are hidden, their plan. Nothing for unrestricted access.
pub(crate) fn push_access(b: &mut QueryBuilder<'_, Sqlite>, alias: &str, access: &Access) {
    crate::plans::push_titles(b, alias, access);
    if access.unrated_ceiling() {
        return;
    }
    let level = level_sql(alias);
    b.push(format!(" AND ({level} IS NULL AND "))
        .push_bind(access.allow_unrated)
        .push(format!(" OR {level} <= "))
        .push_bind(access.max_level.unwrap_or(i32::MAX))
        .push(")");
}

fn profile_from(r: &sqlx::sqlite::SqliteRow) -> Result<Profile> {
    let pin_hash: Option<String> = r.try_get("pin_hash")?;
    Ok(Profile {
        id: r.try_get("id")?,
        user_id: r.try_get("user_id")?,
        name: r.try_get("name")?,
        kids: r.try_get("kids")?,
        max_rating: r.try_get("max_rating")?,
        allow_unrated: r.try_get("allow_unrated")?,
        has_pin: pin_hash.is_some(),
        created_at: r.try_get("created_at")?,
        pin_hash,
    })
}

const PROFILE_COLUMNS: &str =
    "id, user_id, name, kids, max_rating, allow_unrated, pin_hash, created_at";

/// A profile to create or the new values of one.
#[derive(Debug, Clone)]
pub struct ProfileFields {
    pub name: String,
    pub kids: bool,
    pub max_rating: Option<String>,
    pub allow_unrated: bool,
    /// `Some(None)` removes the PIN; `None` leaves it.
    pub pin_hash: Option<Option<String>>,
}

impl Store {
    pub async fn profiles_of(&self, user_id: i64) -> Result<Vec<Profile>> {
        let rows = sqlx::query(&format!(
            "SELECT {PROFILE_COLUMNS} FROM profiles WHERE user_id = ? ORDER BY id"
        ))
        .bind(user_id)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(profile_from).collect()
    }

    /// One of a user's profiles.
    pub async fn profile_of(&self, user_id: i64, profile_id: i64) -> Result<Profile> {
        let row = sqlx::query(&format!(
            "SELECT {PROFILE_COLUMNS} FROM profiles WHERE id = ? AND user_id = ?"
        ))
        .bind(profile_id)
        .bind(user_id)
        .fetch_optional(&self.reader)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("profile {profile_id}")))?;
        profile_from(&row)
    }

    /// Creates a profile, unless the user already has `max` of them or one of that name.
    pub async fn create_profile(
        &self,
        user_id: i64,
        fields: &ProfileFields,
        max: i64,
    ) -> Result<Profile> {
        let mut tx = self.writer.begin().await?;
        let n: i64 = sqlx::query("SELECT COUNT(*) FROM profiles WHERE user_id = ?")
            .bind(user_id)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        if n >= max {
            return Err(StoreError::Conflict(format!(
                "an account has at most {max} profiles"
            )));
        }
        let id = sqlx::query(
            "INSERT INTO profiles (user_id, name, kids, max_rating, allow_unrated, pin_hash, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(user_id)
        .bind(&fields.name)
        .bind(fields.kids)
        .bind(&fields.max_rating)
        .bind(fields.allow_unrated)
        .bind(fields.pin_hash.clone().flatten())
        .bind(now())
        .execute(&mut *tx)
        .await
        .map_err(|e| conflict_on_name(e, &fields.name))?
        .last_insert_rowid();
        tx.commit().await?;
        self.profile_of(user_id, id).await
    }

    pub async fn update_profile(
        &self,
        user_id: i64,
        profile_id: i64,
        fields: &ProfileFields,
    ) -> Result<Profile> {
        let mut q = QueryBuilder::<Sqlite>::new("UPDATE profiles SET name = ");
        q.push_bind(&fields.name)
            .push(", kids = ")
            .push_bind(fields.kids)
            .push(", max_rating = ")
            .push_bind(&fields.max_rating)
            .push(", allow_unrated = ")
            .push_bind(fields.allow_unrated);
        if let Some(pin) = &fields.pin_hash {
            q.push(", pin_hash = ").push_bind(pin.clone());
        }
        q.push(" WHERE id = ")
            .push_bind(profile_id)
            .push(" AND user_id = ")
            .push_bind(user_id);
        let done = q
            .build()
            .execute(&self.writer)
            .await
            .map_err(|e| conflict_on_name(e, &fields.name))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("profile {profile_id}")));
        }
        self.profile_of(user_id, profile_id).await
    }

    pub async fn delete_profile(&self, user_id: i64, profile_id: i64) -> Result<()> {
        let done = sqlx::query("DELETE FROM profiles WHERE id = ? AND user_id = ?")
            .bind(profile_id)
            .bind(user_id)
            .execute(&self.writer)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("profile {profile_id}")));
        }
        Ok(())
    }

    /// The profile a session watches as (`None`: the account itself, unrestricted).
    pub async fn set_session_profile(
        &self,
        session_id: i64,
        profile_id: Option<i64>,
    ) -> Result<()> {
        sqlx::query("UPDATE sessions SET profile_id = ? WHERE id = ?")
            .bind(profile_id)
            .bind(session_id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// The profile a session watches as, if it chose one.
    pub async fn session_profile(&self, session_id: i64) -> Result<Option<Profile>> {
        let row = sqlx::query(&format!(
            "SELECT {} FROM profiles p JOIN sessions s ON s.profile_id = p.id WHERE s.id = ?",
            PROFILE_COLUMNS
                .split(", ")
                .map(|c| format!("p.{c} AS {c}"))
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .bind(session_id)
        .fetch_optional(&self.reader)
        .await?;
        row.as_ref().map(profile_from).transpose()
    }

    /// Whether `access` may see item `id` (an episode or season by its series' rating when it
    /// has none of its own; in hide mode, only what its plan unlocks or has something free
    /// inside). A missing item is not seen. [`Store::visible_items`] is the batch form.
    pub async fn item_visible(&self, id: i64, access: &Access) -> Result<bool> {
        let mut q = QueryBuilder::<Sqlite>::new("SELECT COUNT(*) FROM items i WHERE i.id = ");
        q.push_bind(id);
        push_access(&mut q, "i", access);
        let n: i64 = q.build().fetch_one(&self.reader).await?.try_get(0)?;
        Ok(n > 0)
    }
}

fn conflict_on_name(e: sqlx::Error, name: &str) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.message().contains("UNIQUE") => {
            StoreError::Conflict(format!("there is already a profile named '{name}'"))
        }
        _ => e.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_scale_for_tv_and_film_ratings() {
        assert!(rating_level("TV-Y") < rating_level("TV-PG"));
        assert_eq!(rating_level("pg"), rating_level("TV-PG"));
        assert_eq!(rating_level("PG-13"), rating_level("TV-14"));
        assert!(rating_level("R") < rating_level("TV-MA"));
        assert_eq!(rating_level("NR"), None);
        assert_eq!(rating_level("15"), None);
        let kids = Access {
            max_level: rating_level("TV-PG"),
            allow_unrated: false,
            ..Access::EVERYTHING
        };
        assert!(kids.allows(Some("G")) && kids.allows(Some("TV-Y7")));
        assert!(!kids.allows(Some("R")) && !kids.allows(Some("TV-14")));
        assert!(!kids.allows(None) && !kids.allows(Some("Unrated")));
        assert!(Access::EVERYTHING.allows(Some("NC-17")) && Access::EVERYTHING.allows(None));
        assert_ne!(kids.tag(), Access::EVERYTHING.tag());
    }
}
