//! Users and their sign-in sessions.

use serde::Serialize;
use sqlx::Row;

use crate::{now, Result, Store, StoreError};

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    pub id: i64,
    pub username: String,
    pub is_admin: bool,
    pub disabled: bool,
    pub created_at: i64,
    /// Signed in with a password someone else chose (the first start's, or an administrator's
    /// reset): clients ask the user to choose their own. Cleared by a password change.
    pub must_change_password: bool,
    #[serde(skip)]
    pub password_hash: String,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionInfo {
    pub id: i64,
    pub user_id: i64,
    pub device: Option<String>,
    /// `bearer` (a token for apps and scripts) or `cookie` (the web app).
    pub kind: String,
    /// The client's address when it signed in.
    pub address: Option<String>,
    /// The profile chosen on this device, if any.
    pub profile_id: Option<i64>,
    pub created_at: i64,
    pub last_seen: i64,
    pub expires_at: i64,
}

/// How a new session is made.
#[derive(Debug, Clone, Copy)]
pub struct NewSession<'a> {
    pub user_id: i64,
    pub token_hash: &'a str,
    pub device: Option<&'a str>,
    pub kind: &'a str,
    pub address: Option<&'a str>,
    pub ttl_secs: i64,
}

const SESSION_COLUMNS: &str =
    "s.id AS sid, s.user_id AS s_user, s.device, s.kind, s.address, s.profile_id, s.created_at AS s_created, s.last_seen, s.expires_at";

fn session_from(r: &sqlx::sqlite::SqliteRow) -> Result<SessionInfo> {
    Ok(SessionInfo {
        id: r.try_get("sid")?,
        user_id: r.try_get("s_user")?,
        device: r.try_get("device")?,
        kind: r.try_get("kind")?,
        address: r.try_get("address")?,
        profile_id: r.try_get("profile_id")?,
        created_at: r.try_get("s_created")?,
        last_seen: r.try_get("last_seen")?,
        expires_at: r.try_get("expires_at")?,
    })
}

pub(crate) fn user_from(r: &sqlx::sqlite::SqliteRow) -> Result<User> {
    Ok(User {
        id: r.try_get("id")?,
        username: r.try_get("username")?,
        password_hash: r.try_get("password_hash")?,
        is_admin: r.try_get("is_admin")?,
        disabled: r.try_get("disabled")?,
        created_at: r.try_get("created_at")?,
        must_change_password: r.try_get("must_change_password")?,
    })
}

pub(crate) const USER_COLUMNS: &str =
    "id, username, password_hash, is_admin, disabled, created_at, must_change_password";

impl Store {
    pub async fn count_users(&self) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) FROM users")
            .fetch_one(&self.writer)
            .await?
            .try_get(0)?)
    }

    /// Creates a user; the name must be new (case-insensitively).
    pub async fn create_user(
        &self,
        username: &str,
        password_hash: &str,
        is_admin: bool,
    ) -> Result<User> {
        let res = sqlx::query(
            "INSERT INTO users (username, password_hash, is_admin, created_at) VALUES (?, ?, ?, ?)",
        )
        .bind(username)
        .bind(password_hash)
        .bind(is_admin)
        .bind(now())
        .execute(&self.writer)
        .await;
        match res {
            Ok(done) => self.user_by_id(done.last_insert_rowid()).await,
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Err(StoreError::Conflict(
                format!("a user named {username:?} already exists"),
            )),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn user_by_id(&self, id: i64) -> Result<User> {
        let r = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?"))
            .bind(id)
            .fetch_optional(&self.writer)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("user {id}")))?;
        user_from(&r)
    }

    pub async fn user_by_name(&self, username: &str) -> Result<Option<User>> {
        sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE username = ?"
        ))
        .bind(username)
        .fetch_optional(&self.writer)
        .await?
        .map(|r| user_from(&r))
        .transpose()
    }

    pub async fn list_users(&self) -> Result<Vec<User>> {
        sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users ORDER BY username"
        ))
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(user_from)
        .collect()
    }

    /// Stores a new session under the hash of its token.
    pub async fn create_session(&self, new: NewSession<'_>) -> Result<SessionInfo> {
        let t = now();
        let id = sqlx::query(
            "INSERT INTO sessions (user_id, token_hash, device, kind, address, created_at, last_seen, expires_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(new.user_id)
        .bind(new.token_hash)
        .bind(new.device)
        .bind(new.kind)
        .bind(new.address)
        .bind(t)
        .bind(t)
        .bind(t + new.ttl_secs)
        .execute(&self.writer)
        .await?
        .last_insert_rowid();
        Ok(SessionInfo {
            id,
            user_id: new.user_id,
            device: new.device.map(str::to_string),
            kind: new.kind.to_string(),
            address: new.address.map(str::to_string),
            profile_id: None,
            created_at: t,
            last_seen: t,
            expires_at: t + new.ttl_secs,
        })
    }

    /// A user's live sessions, most recently used first.
    pub async fn sessions_of(&self, user_id: i64) -> Result<Vec<SessionInfo>> {
        let rows = sqlx::query(&format!(
            "SELECT {SESSION_COLUMNS} FROM sessions s
             WHERE s.user_id = ? AND s.expires_at > ? ORDER BY s.last_seen DESC, s.id DESC"
        ))
        .bind(user_id)
        .bind(now())
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(session_from).collect()
    }

    /// Ends one of a user's sessions; false when the user has no such session.
    pub async fn delete_session_of(&self, user_id: i64, session_id: i64) -> Result<bool> {
        let done = sqlx::query("DELETE FROM sessions WHERE id = ? AND user_id = ?")
            .bind(session_id)
            .bind(user_id)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Ends every session of a user ("sign out everywhere"), or all but `keep`; answers how many.
    pub async fn delete_sessions_of(&self, user_id: i64, keep: Option<i64>) -> Result<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE user_id = ? AND id != ?")
            .bind(user_id)
            .bind(keep.unwrap_or(-1))
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected())
    }

    /// Disables or enables an account; a disabled account's sessions end.
    pub async fn set_disabled(&self, user_id: i64, disabled: bool) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        sqlx::query("UPDATE users SET disabled = ? WHERE id = ?")
            .bind(disabled)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        if disabled {
            sqlx::query("DELETE FROM sessions WHERE user_id = ?")
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Grants or takes back administrator rights.
    pub async fn set_admin(&self, user_id: i64, is_admin: bool) -> Result<()> {
        sqlx::query("UPDATE users SET is_admin = ? WHERE id = ?")
            .bind(is_admin)
            .bind(user_id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// How many enabled administrators there are (the last one cannot be disabled or demoted).
    pub async fn count_active_admins(&self) -> Result<i64> {
        Ok(
            sqlx::query("SELECT COUNT(*) AS n FROM users WHERE is_admin = 1 AND disabled = 0")
                .fetch_one(&self.reader)
                .await?
                .try_get("n")?,
        )
    }

    /// The live session and enabled user behind a token hash. Reads only: `last_seen` is
    /// refreshed by [`Store::touch_session`] at most once a minute, so requests do not queue
    /// on the single writer.
    pub async fn session_user(&self, token_hash: &str) -> Result<Option<(SessionInfo, User)>> {
        let row = sqlx::query(&format!(
            "SELECT {SESSION_COLUMNS},
                    u.id, u.username, u.password_hash, u.is_admin, u.disabled, u.created_at,
                    u.must_change_password
             FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.token_hash = ? AND s.expires_at > ? AND u.disabled = 0"
        ))
        .bind(token_hash)
        .bind(now())
        .fetch_optional(&self.reader)
        .await?;
        let Some(r) = row else { return Ok(None) };
        Ok(Some((session_from(&r)?, user_from(&r)?)))
    }

    pub async fn touch_session(&self, session_id: i64) -> Result<()> {
        sqlx::query("UPDATE sessions SET last_seen = ? WHERE id = ?")
            .bind(now())
            .bind(session_id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    pub async fn delete_session(&self, session_id: i64) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id = ?")
            .bind(session_id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }
}

impl Store {
    /// Replaces a user's password hash and clears the "must change" flag. Every other session
    /// of the user ends (`keep` is the session that made the change, if any): whoever knew the
    /// old password is signed out.
    pub async fn set_password(
        &self,
        user_id: i64,
        password_hash: &str,
        keep: Option<i64>,
    ) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        sqlx::query("UPDATE users SET password_hash = ?, must_change_password = 0 WHERE id = ?")
            .bind(password_hash)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = ? AND id != ?")
            .bind(user_id)
            .bind(keep.unwrap_or(-1))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Marks a generated password as one the user must change.
    pub async fn require_password_change(&self, user_id: i64) -> Result<()> {
        sqlx::query("UPDATE users SET must_change_password = 1 WHERE id = ?")
            .bind(user_id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }
}
