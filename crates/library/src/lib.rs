//! The library: scanning media roots into the store, and watching them for changes.
//!
//! Data path: `walk` (folders and stats) → `scan` (diff, prepare in a bounded pool, write in
//! batches) → the store. `watch` turns file-system events into scoped rescans.

pub mod progress;
pub mod scan;
pub mod walk;
pub mod watch;

pub use progress::{ProgressSnapshot, ScanProgress};
pub use scan::{Problem, ScanSummary, Scanner};
