//! Persistence for Marquee.
//!
//! Callers see only domain values and read models (`views`), never SQL or driver types, so a
//! second backend (PostgreSQL) can be added behind the same [`Store`] methods.
//!
//! SQLite runs in WAL mode with a busy timeout and foreign keys on. Writes go through a pool of
//! exactly one connection — SQLite allows one writer at a time, and queueing writers in the pool
//! rather than in SQLite's busy handler is what keeps "database is locked" away — while reads use
//! a separate pool that never blocks on the writer.

mod audit;
pub use audit::{AuditEntry, AuditEvent};
mod catalog;
mod plans;
mod profiles;
pub use catalog::PlayableFile;
pub use plans::{
    BillingData, BillingEvent, BillingOutcome, Entitlement, Lapse, Locked, Plan, PlanFields,
    PlanRef, Standing, Subscription, SubscriptionSource, Titles, FREE_MAX_STREAMS,
};
pub use profiles::{rating_level, Access, Profile, ProfileFields, RATINGS};
mod display;
pub mod extras;
mod files;
mod identities;
pub use identities::{Identity, NO_PASSWORD};
mod search;
mod transcode_jobs;
pub use search::{SearchSource, SearchableItem, SearchablePerson, SearchableReview};
pub use transcode_jobs::{LadderTarget, TranscodeJob};
mod users;
pub mod viewing;
pub mod views;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

pub use files::{
    movie_key, series_key, FileStat, FileStatus, KnownFile, Placement, ScannedFile, SeriesPlacement,
};
pub use users::{NewSession, SessionInfo, User};

/// Errors from the store. `NotFound` and `Conflict` carry what a person needs to act.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// The database handle. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    writer: SqlitePool,
    reader: SqlitePool,
    /// Bumped by every write that changes what the catalog shows, so readers can cache answers
    /// and know when they are stale.
    generation: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// Changes that may show a little late (see [`Store::bump_generation_soon`]).
    late: std::sync::Arc<LateChanges>,
}

/// Background changes not yet counted in the generation, and when it last moved.
#[derive(Default)]
struct LateChanges {
    pending: std::sync::atomic::AtomicBool,
    last_bump_ms: std::sync::atomic::AtomicU64,
    clock: std::sync::OnceLock<std::time::Instant>,
}

impl LateChanges {
    fn now_ms(&self) -> u64 {
        self.clock
            .get_or_init(std::time::Instant::now)
            .elapsed()
            .as_millis() as u64
    }
}

/// How long a background change (a generated still, a placeholder) may wait before it empties
/// the response caches: a worker saving thousands of them then costs one cache refill every
/// interval instead of one per save.
const LATE_CHANGE_DELAY_MS: u64 = 2_000;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub async fn open(path: &Path) -> Result<Store> {
        let options = SqliteConnectOptions::from_str("sqlite:")?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            // A modest page cache per connection keeps idle memory small.
            .pragma("cache_size", "-2048")
            .pragma("temp_store", "memory");
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .connect_with(options.clone())
            .await?;
        MIGRATOR.run(&writer).await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .min_connections(0)
            .idle_timeout(Some(Duration::from_secs(60)))
            .connect_with(options.read_only(true))
            .await?;
        Ok(Store {
            writer,
            reader,
            generation: Default::default(),
            late: Default::default(),
        })
    }

    /// The catalog's current generation: answers computed at an older one may be stale.
    pub fn generation(&self) -> u64 {
        use std::sync::atomic::Ordering;
        let late = &self.late;
        if late.pending.load(Ordering::Acquire)
            && late.now_ms() >= late.last_bump_ms.load(Ordering::Acquire) + LATE_CHANGE_DELAY_MS
            && late.pending.swap(false, Ordering::AcqRel)
        {
            self.bump_generation();
        }
        self.generation.load(Ordering::Acquire)
    }

    pub(crate) fn bump_generation(&self) {
        use std::sync::atomic::Ordering;
        self.late
            .last_bump_ms
            .store(self.late.now_ms(), Ordering::Release);
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// For background changes that may show up to [`LATE_CHANGE_DELAY_MS`] late: counted in the
    /// generation by the first reader after that delay, so bursts of them coalesce.
    pub(crate) fn bump_generation_soon(&self) {
        self.late
            .pending
            .store(true, std::sync::atomic::Ordering::Release);
    }

    /// `PRAGMA integrity_check`: `Ok(())` when the database file is sound.
    pub async fn integrity_check(&self) -> Result<()> {
        let rows: Vec<(String,)> = sqlx::query_as("PRAGMA integrity_check")
            .fetch_all(&self.writer)
            .await?;
        match rows.as_slice() {
            [(ok,)] if ok == "ok" => Ok(()),
            other => Err(StoreError::Corrupt(
                other
                    .iter()
                    .map(|(s,)| s.as_str())
                    .collect::<Vec<_>>()
                    .join("; "),
            )),
        }
    }

    /// Flushes the WAL into the main file and closes both pools.
    pub async fn close(&self) {
        let _ = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.writer)
            .await;
        self.reader.close().await;
        self.writer.close().await;
    }
}

/// Seconds since the Unix epoch.
pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Lower-cased, punctuation-free form of a title, for identity keys and sort titles.
pub fn fold_title(title: &str) -> String {
    let mut out = String::with_capacity(title.len());
    let mut space = false;
    for c in title.chars() {
        if c.is_alphanumeric() {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.extend(c.to_lowercase());
        } else {
            space = true;
        }
    }
    out
}

/// The title used for sorting: leading English articles moved out of the way.
pub fn sort_title(title: &str) -> String {
    let folded = fold_title(title);
    for article in ["the ", "a ", "an "] {
        if let Some(rest) = folded.strip_prefix(article) {
            if !rest.is_empty() {
                return rest.to_string();
            }
        }
    }
    folded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_titles_drop_articles_and_punctuation() {
        assert_eq!(sort_title("The Defiant Ones"), "defiant ones");
        assert_eq!(sort_title("A"), "a");
        assert_eq!(sort_title("9-1-1"), "9 1 1");
        assert_eq!(
            fold_title("  Léon: The Professional "),
            "léon the professional"
        );
    }
}
