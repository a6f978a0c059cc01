//! Inputs the fuzzers found (crashes, timeouts), kept so they stay fixed: each one goes through
//! the same pipeline as the `probe_mp4` / `probe_mkv` fuzz targets and must finish quickly.

use std::time::{Duration, Instant};

#[path = "../../../fuzz/fuzz_targets/media_pipeline.rs"]
mod media_pipeline;

#[test]
fn found_inputs_run_through_the_pipeline() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).expect("the regression folder") {
        let path = entry.expect("entry").path();
        let data = std::fs::read(&path).expect("read");
        let start = Instant::now();
        media_pipeline::run(&data);
        // Generous for a debug build on a busy machine; the bugs these caught took minutes.
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{} took {:?}",
            path.display(),
            start.elapsed()
        );
        count += 1;
    }
    assert!(count >= 2);
}
