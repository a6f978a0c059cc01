//! Group commit for position reports.
//!
//! Players report every ~10 s, so a busy evening is hundreds of tiny writes a second on the one
//! writer connection. Each report goes into a bounded queue; one task takes everything queued,
//! writes it in a single transaction and then answers each waiting request. A report is
//! *acknowledged* (the HTTP request succeeds) only after the transaction holding it committed:
//! in WAL mode with `synchronous=NORMAL` that survives the process being killed (a power cut may
//! lose the last transactions, as for every other write). While one batch is written, the next
//! one gathers, so 200 reporters cost a handful of transactions, not 200.

use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, oneshot};

use super::{ProgressReport, ProgressState};
use crate::{Result, Store, StoreError};

/// Reports waiting beyond this make new reporters wait for room (back-pressure, bounded memory).
const QUEUE_CAPACITY: usize = 4096;
/// The most reports written in one transaction.
const MAX_BATCH: usize = 512;

struct Pending {
    report: ProgressReport,
    done: oneshot::Sender<Result<ProgressState>>,
}

/// The queue in front of [`Store::record_progress`]. Cheap to clone.
#[derive(Clone)]
pub struct ProgressQueue {
    tx: mpsc::Sender<Pending>,
    /// The receiver until the writer task takes it, on first use (so a queue can be made
    /// outside a runtime).
    rx: Arc<Mutex<Option<mpsc::Receiver<Pending>>>>,
    store: Store,
}

impl ProgressQueue {
    pub fn new(store: Store) -> ProgressQueue {
        let (tx, rx) = mpsc::channel(QUEUE_CAPACITY);
        ProgressQueue {
            tx,
            rx: Arc::new(Mutex::new(Some(rx))),
            store,
        }
    }

    /// Queues a report and waits until it is committed; returns the stored state.
    pub async fn submit(&self, report: ProgressReport) -> Result<ProgressState> {
        self.start();
        let (done, answer) = oneshot::channel();
        self.tx
            .send(Pending { report, done })
            .await
            .map_err(|_| StoreError::Conflict("the progress writer has stopped".into()))?;
        answer
            .await
            .map_err(|_| StoreError::Conflict("the progress writer has stopped".into()))?
    }

    fn start(&self) {
        let taken = self.rx.lock().ok().and_then(|mut rx| rx.take());
        if let Some(rx) = taken {
            tokio::spawn(write_batches(self.store.clone(), rx));
        }
    }
}

async fn write_batches(store: Store, mut rx: mpsc::Receiver<Pending>) {
    let mut batch: Vec<Pending> = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let reports: Vec<ProgressReport> = batch.iter().map(|p| p.report.clone()).collect();
        match store.record_progress(&reports).await {
            Ok(states) => {
                tracing::debug!(reports = states.len(), "progress batch committed");
                for (p, state) in batch.drain(..).zip(states) {
                    let _ = p.done.send(Ok(state));
                }
            }
            Err(e) => {
                // One bad report (an item a scan just removed) must not sink the others: write
                // each on its own so every request gets its own answer.
                tracing::debug!(error = %e, n = batch.len(), "progress batch failed; writing one by one");
                for p in batch.drain(..) {
                    let one = store
                        .record_progress(std::slice::from_ref(&p.report))
                        .await
                        .and_then(|mut s| {
                            s.pop().ok_or_else(|| {
                                StoreError::Corrupt("the progress write returned nothing".into())
                            })
                        });
                    let _ = p.done.send(one);
                }
            }
        }
    }
}
