//! Live scan progress, shared between the scanner, the terminal and the admin API.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

use serde::Serialize;

/// Counters a scan updates as it goes. Reading them never blocks the scan.
#[derive(Debug, Default)]
pub struct ScanProgress {
    running: AtomicBool,
    /// Files found by the walk so far.
    pub found: AtomicU64,
    /// Files that need probing or metadata work in this scan.
    pub to_process: AtomicU64,
    /// Of those, how many are done.
    pub processed: AtomicU64,
    pub failed: AtomicU64,
    phase: Mutex<&'static str>,
    current: Mutex<String>,
}

/// A point-in-time copy, for JSON.
#[derive(Debug, Clone, Serialize)]
pub struct ProgressSnapshot {
    pub running: bool,
    /// idle, walking, processing or finishing.
    pub phase: String,
    pub found: u64,
    pub to_process: u64,
    pub processed: u64,
    pub failed: u64,
    pub current: String,
}

impl ScanProgress {
    pub fn start(&self) {
        self.running.store(true, Ordering::SeqCst);
        for c in [&self.found, &self.to_process, &self.processed, &self.failed] {
            c.store(0, Ordering::Relaxed);
        }
        self.set_phase("walking");
    }
    pub fn finish(&self) {
        self.set_phase("idle");
        self.set_current(String::new());
        self.running.store(false, Ordering::SeqCst);
    }
    pub fn is_running(&self) -> bool {
        self.running.load(Ordering::SeqCst)
    }
    pub fn set_phase(&self, phase: &'static str) {
        if let Ok(mut p) = self.phase.lock() {
            *p = phase;
        }
    }
    pub fn set_current(&self, current: String) {
        if let Ok(mut c) = self.current.lock() {
            *c = current;
        }
    }
    pub fn snapshot(&self) -> ProgressSnapshot {
        ProgressSnapshot {
            running: self.is_running(),
            phase: self.phase.lock().map(|p| p.to_string()).unwrap_or_default(),
            found: self.found.load(Ordering::Relaxed),
            to_process: self.to_process.load(Ordering::Relaxed),
            processed: self.processed.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            current: self.current.lock().map(|c| c.clone()).unwrap_or_default(),
        }
    }
}
