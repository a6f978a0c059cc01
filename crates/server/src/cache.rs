//! Catalog answers cached as serialised JSON until the catalog changes.
//!
//! Listings and details are read far more often than a scan writes, and the same pages are
//! asked for by every client; serving them from memory keeps latency flat under load. Entries
//! carry the store generation they were computed at: any catalog write makes them stale.
//! (When answers start to depend on who asks — entitlements, kids profiles — the key must
//! include that.)

use std::collections::HashMap;
use std::sync::Mutex;

use axum::body::Bytes;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::error::{ApiError, ApiResult};

/// Entries kept; past this the cache starts over (cheap, and bounds memory to a few MB).
const MAX_ENTRIES: usize = 512;

#[derive(Default)]
pub struct ResponseCache {
    entries: Mutex<HashMap<String, (u64, Bytes)>>,
}

impl ResponseCache {
    /// The cached JSON for `key` at `generation`, or computes, stores and returns it.
    pub async fn json<T, F>(&self, key: String, generation: u64, compute: F) -> ApiResult<Response>
    where
        T: Serialize,
        F: std::future::Future<Output = ApiResult<T>>,
    {
        let hit = self.entries.lock().ok().and_then(|e| {
            e.get(&key)
                .filter(|(g, _)| *g == generation)
                .map(|(_, b)| b.clone())
        });
        let bytes = match hit {
            Some(bytes) => bytes,
            None => {
                let value = compute.await?;
                let bytes =
                    Bytes::from(serde_json::to_vec(&value).map_err(|e| {
                        ApiError::internal(format!("cannot encode the answer: {e}"))
                    })?);
                if let Ok(mut entries) = self.entries.lock() {
                    if entries.len() >= MAX_ENTRIES {
                        entries.clear();
                    }
                    entries.insert(key, (generation, bytes.clone()));
                }
                bytes
            }
        };
        Ok((
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            bytes,
        )
            .into_response())
    }
}
