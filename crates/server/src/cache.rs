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

/// One answer, computed once: requests that miss together wait for the first one's computation
/// instead of each running the same queries (after every catalog change, 50 clients asking for
/// the same page sent 50 identical queries to SQLite at once: p99 of 400 ms against 2 ms).
type Slot = std::sync::Arc<tokio::sync::OnceCell<Bytes>>;

#[derive(Default)]
pub struct ResponseCache {
    entries: Mutex<HashMap<String, (u64, Slot)>>,
}

impl ResponseCache {
    /// The cached JSON for `key` at `generation`, or computes, stores and returns it.
    pub async fn json<T, F>(&self, key: String, generation: u64, compute: F) -> ApiResult<Response>
    where
        T: Serialize,
        F: std::future::Future<Output = ApiResult<T>>,
    {
        let slot = self.entries.lock().ok().and_then(|mut entries| {
            match entries.get(&key) {
                Some((g, slot)) if *g == generation => return Some(slot.clone()),
                // A request that read the generation before a change must not replace the
                // newer answer: it computes its own, uncached.
                Some((g, _)) if *g > generation => return None,
                _ => {}
            }
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
            let slot = Slot::default();
            entries.insert(key, (generation, slot.clone()));
            Some(slot)
        });
        let encode = || async {
            let value = compute.await?;
            serde_json::to_vec(&value)
                .map(Bytes::from)
                .map_err(|e| ApiError::internal(format!("cannot encode the answer: {e}")))
        };
        // A failed computation leaves the slot empty: the next request tries again.
        let bytes = match slot {
            Some(slot) => slot.get_or_try_init(encode).await?.clone(),
            None => encode().await?,
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[tokio::test]
    async fn requests_that_miss_together_compute_once() {
        let cache = Arc::new(ResponseCache::default());
        let runs = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let (cache, runs) = (cache.clone(), runs.clone());
            tasks.push(tokio::spawn(async move {
                cache
                    .json("page".into(), 7, async move {
                        runs.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        Ok(vec![1, 2, 3])
                    })
                    .await
                    .map(|r| r.status())
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap().unwrap(), axum::http::StatusCode::OK);
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        // A new generation computes again; an older one does not replace it.
        let again = |generation: u64, runs: Arc<AtomicUsize>| {
            let cache = cache.clone();
            async move {
                cache
                    .json("page".into(), generation, async move {
                        runs.fetch_add(1, Ordering::SeqCst);
                        Ok(generation)
                    })
                    .await
                    .map(|_| ())
            }
        };
        again(8, runs.clone()).await.unwrap();
        again(6, runs.clone()).await.unwrap();
        again(8, runs.clone()).await.unwrap();
        assert_eq!(
            runs.load(Ordering::SeqCst),
            3,
            "8 once, 6 uncached, 8 cached"
        );
    }

    #[tokio::test]
    async fn a_failed_computation_is_not_kept() {
        let cache = ResponseCache::default();
        let failed: ApiResult<Response> = cache
            .json("k".into(), 1, async {
                Err::<u8, _>(ApiError::internal("boom"))
            })
            .await;
        assert!(failed.is_err());
        let ok = cache.json("k".into(), 1, async { Ok(5u8) }).await;
        assert!(ok.is_ok());
    }
}
