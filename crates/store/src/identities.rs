//! Accounts at outside OpenID Connect providers (issuer + subject) linked to local users.

use serde::Serialize;
use sqlx::Row;

use crate::users::{user_from, USER_COLUMNS};
use crate::{now, Result, Store, StoreError, User};

/// A provider account linked to a local user.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Identity {
    pub issuer: String,
    pub subject: String,
    pub user_id: i64,
    pub email: Option<String>,
    pub created_at: i64,
    pub last_used: i64,
}

/// A password hash that no password matches: accounts made by a provider sign in only there
/// until an administrator sets a password.
pub const NO_PASSWORD: &str = "!external";

impl Store {
    /// The user linked to a provider account, noting the sign-in (and the email it now reports).
    pub async fn user_by_identity(
        &self,
        issuer: &str,
        subject: &str,
        email: Option<&str>,
    ) -> Result<Option<User>> {
        let done = sqlx::query(
            "UPDATE identities SET last_used = ?, email = COALESCE(?, email)
             WHERE issuer = ? AND subject = ?",
        )
        .bind(now())
        .bind(email)
        .bind(issuer)
        .bind(subject)
        .execute(&self.writer)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users
             WHERE id = (SELECT user_id FROM identities WHERE issuer = ? AND subject = ?)"
        ))
        .bind(issuer)
        .bind(subject)
        .fetch_optional(&self.writer)
        .await?;
        row.map(|r| user_from(&r)).transpose()
    }

    /// Creates a user for a provider account seen for the first time and links the two, in one
    /// transaction. The name is `wanted`, or `wanted-2`, `wanted-3`, … when it is taken: a
    /// provider never takes over an existing local account by its name.
    pub async fn create_user_for_identity(
        &self,
        wanted: &str,
        issuer: &str,
        subject: &str,
        email: Option<&str>,
    ) -> Result<User> {
        let mut tx = self.writer.begin().await?;
        let mut name = None;
        for n in 1..=1000 {
            let candidate = if n == 1 {
                wanted.to_string()
            } else {
                format!("{wanted}-{n}")
            };
            let taken = sqlx::query("SELECT 1 FROM users WHERE username = ?")
                .bind(&candidate)
                .fetch_optional(&mut *tx)
                .await?
                .is_some();
            if !taken {
                name = Some(candidate);
                break;
            }
        }
        let name = name.ok_or_else(|| {
            StoreError::Conflict(format!("every user name like {wanted:?} is taken"))
        })?;
        let t = now();
        let user_id = sqlx::query(
            "INSERT INTO users (username, password_hash, is_admin, created_at) VALUES (?, ?, 0, ?)",
        )
        .bind(&name)
        .bind(NO_PASSWORD)
        .bind(t)
        .execute(&mut *tx)
        .await?
        .last_insert_rowid();
        insert_identity(&mut tx, user_id, issuer, subject, email, t).await?;
        tx.commit().await?;
        self.user_by_id(user_id).await
    }

    /// Links a provider account to an existing user (who asked for it while signed in).
    pub async fn link_identity(
        &self,
        user_id: i64,
        issuer: &str,
        subject: &str,
        email: Option<&str>,
    ) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        insert_identity(&mut tx, user_id, issuer, subject, email, now()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The provider accounts linked to a user.
    pub async fn identities_of(&self, user_id: i64) -> Result<Vec<Identity>> {
        let rows = sqlx::query(
            "SELECT issuer, subject, user_id, email, created_at, last_used FROM identities
             WHERE user_id = ? ORDER BY created_at",
        )
        .bind(user_id)
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Identity {
                    issuer: r.try_get("issuer")?,
                    subject: r.try_get("subject")?,
                    user_id: r.try_get("user_id")?,
                    email: r.try_get("email")?,
                    created_at: r.try_get("created_at")?,
                    last_used: r.try_get("last_used")?,
                })
            })
            .collect()
    }
}

async fn insert_identity(
    tx: &mut sqlx::SqliteConnection,
    user_id: i64,
    issuer: &str,
    subject: &str,
    email: Option<&str>,
    at: i64,
) -> Result<()> {
    let res = sqlx::query(
        "INSERT INTO identities (issuer, subject, user_id, email, created_at, last_used)
         VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(issuer)
    .bind(subject)
    .bind(user_id)
    .bind(email)
    .bind(at)
    .bind(at)
    .execute(tx)
    .await;
    match res {
        Ok(_) => Ok(()),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Err(StoreError::Conflict(
            "this provider account is already linked to a user".into(),
        )),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn identities_create_link_and_never_take_over_a_name() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db")).await.unwrap();
        let local = store.create_user("alice", "hash", false).await.unwrap();
        let iss = "https://idp.example";
        assert!(store
            .user_by_identity(iss, "sub-1", None)
            .await
            .unwrap()
            .is_none());
        // A provider account called alice gets its own user, not the local alice.
        let made = store
            .create_user_for_identity("alice", iss, "sub-1", Some("a@example.com"))
            .await
            .unwrap();
        assert_eq!(made.username, "alice-2");
        assert_ne!(made.id, local.id);
        assert_eq!(made.password_hash, NO_PASSWORD);
        let again = store
            .user_by_identity(iss, "sub-1", None)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(again.id, made.id);
        // The same subject at another issuer is another account.
        assert!(store
            .user_by_identity("https://other.example", "sub-1", None)
            .await
            .unwrap()
            .is_none());
        // Explicit linking; a provider account links to one user only.
        store
            .link_identity(local.id, iss, "sub-2", None)
            .await
            .unwrap();
        assert!(matches!(
            store.link_identity(made.id, iss, "sub-2", None).await,
            Err(StoreError::Conflict(_))
        ));
        let linked = store.identities_of(local.id).await.unwrap();
        assert_eq!(linked.len(), 1);
        assert_eq!(linked[0].subject, "sub-2");
        let mine = store.identities_of(made.id).await.unwrap();
        assert_eq!(mine[0].email.as_deref(), Some("a@example.com"));
    }
}
