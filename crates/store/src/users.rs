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
    #[serde(skip)]
    pub password_hash: String,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionInfo {
    pub id: i64,
    pub user_id: i64,
    pub device: Option<String>,
    pub created_at: i64,
    pub last_seen: i64,
    pub expires_at: i64,
}

fn user_from(r: &sqlx::sqlite::SqliteRow) -> Result<User> {
    Ok(User {
        id: r.try_get("id")?,
        username: r.try_get("username")?,
        password_hash: r.try_get("password_hash")?,
        is_admin: r.try_get("is_admin")?,
        disabled: r.try_get("disabled")?,
        created_at: r.try_get("created_at")?,
    })
}

const USER_COLUMNS: &str = "id, username, password_hash, is_admin, disabled, created_at";

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

    /// Stores a new session under the hash of its bearer token.
    pub async fn create_session(
        &self,
        user_id: i64,
        token_hash: &str,
        device: Option<&str>,
        ttl_secs: i64,
    ) -> Result<SessionInfo> {
        let t = now();
        let id = sqlx::query(
            "INSERT INTO sessions (user_id, token_hash, device, created_at, last_seen, expires_at)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(user_id)
        .bind(token_hash)
        .bind(device)
        .bind(t)
        .bind(t)
        .bind(t + ttl_secs)
        .execute(&self.writer)
        .await?
        .last_insert_rowid();
        Ok(SessionInfo {
            id,
            user_id,
            device: device.map(str::to_string),
            created_at: t,
            last_seen: t,
            expires_at: t + ttl_secs,
        })
    }

    /// The live session and enabled user behind a token hash. Reads only: `last_seen` is
    /// refreshed by [`Store::touch_session`] at most once a minute, so requests do not queue
    /// on the single writer.
    pub async fn session_user(&self, token_hash: &str) -> Result<Option<(SessionInfo, User)>> {
        let row = sqlx::query(
            "SELECT s.id AS sid, s.device, s.created_at AS s_created, s.last_seen, s.expires_at,
                    u.id, u.username, u.password_hash, u.is_admin, u.disabled, u.created_at
             FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.token_hash = ? AND s.expires_at > ? AND u.disabled = 0",
        )
        .bind(token_hash)
        .bind(now())
        .fetch_optional(&self.reader)
        .await?;
        let Some(r) = row else { return Ok(None) };
        let user = user_from(&r)?;
        Ok(Some((
            SessionInfo {
                id: r.try_get("sid")?,
                user_id: user.id,
                device: r.try_get("device")?,
                created_at: r.try_get("s_created")?,
                last_seen: r.try_get("last_seen")?,
                expires_at: r.try_get("expires_at")?,
            },
            user,
        )))
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
    /// Replaces a user's password hash and clears the "must change" flag.
    pub async fn set_password(&self, user_id: i64, password_hash: &str) -> Result<()> {
        sqlx::query("UPDATE users SET password_hash = ?, must_change_password = 0 WHERE id = ?")
            .bind(password_hash)
            .bind(user_id)
            .execute(&self.writer)
            .await?;
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
