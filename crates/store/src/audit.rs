//! The audit log: sign-ins, failed sign-ins and administrative changes, newest first.

use serde::Serialize;
use sqlx::Row;

use crate::{now, Result, Store};

/// One audited event.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    pub id: i64,
    /// Unix seconds.
    pub at: i64,
    pub actor_id: Option<i64>,
    /// The user who acted, or the name typed at a failed sign-in.
    pub actor_name: Option<String>,
    /// `sign_in`, `sign_in_failed`, `sign_in_throttled`, `sign_out`, `sessions_revoked`,
    /// `password_changed`, `user_created`, `user_disabled`, `user_enabled`, `user_password_reset`,
    /// `user_admin_granted`, `user_admin_revoked`, `scan_started`.
    pub action: String,
    pub target: Option<String>,
    pub address: Option<String>,
    pub detail: Option<serde_json::Value>,
}

/// What to record; `Store::audit` stamps the time.
#[derive(Debug, Clone, Default)]
pub struct AuditEvent<'a> {
    pub actor_id: Option<i64>,
    pub actor_name: Option<&'a str>,
    pub action: &'a str,
    pub target: Option<String>,
    pub address: Option<&'a str>,
    pub detail: Option<serde_json::Value>,
}

impl Store {
    /// Appends an event to the audit log.
    pub async fn audit(&self, e: AuditEvent<'_>) -> Result<()> {
        sqlx::query(
            "INSERT INTO audit_log (at, actor_id, actor_name, action, target, address, detail)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(now())
        .bind(e.actor_id)
        .bind(e.actor_name)
        .bind(e.action)
        .bind(e.target)
        .bind(e.address)
        .bind(e.detail.map(|d| d.to_string()))
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// Up to `limit` entries older than `before_id` (all when `None`), newest first.
    pub async fn audit_log(&self, limit: i64, before_id: Option<i64>) -> Result<Vec<AuditEntry>> {
        let rows = sqlx::query(
            "SELECT id, at, actor_id, actor_name, action, target, address, detail FROM audit_log
             WHERE id < ? ORDER BY id DESC LIMIT ?",
        )
        .bind(before_id.unwrap_or(i64::MAX))
        .bind(limit.clamp(1, 500))
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|r| {
                let detail: Option<String> = r.try_get("detail")?;
                Ok(AuditEntry {
                    id: r.try_get("id")?,
                    at: r.try_get("at")?,
                    actor_id: r.try_get("actor_id")?,
                    actor_name: r.try_get("actor_name")?,
                    action: r.try_get("action")?,
                    target: r.try_get("target")?,
                    address: r.try_get("address")?,
                    detail: detail.and_then(|d| serde_json::from_str(&d).ok()),
                })
            })
            .collect()
    }
}
