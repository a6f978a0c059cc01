//! Feeds arbitrary bytes to `probe`.  Seed the corpus with the MP4 fixtures
//! (`target/test-media/*.mp4`, `*.mov`, `*.m4v`) for useful coverage.
#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use marquee_media::{probe, ProbeOptions};

fuzz_target!(|data: &[u8]| {
    let opts = ProbeOptions {
        count_keyframes: true,
    };
    let _ = probe(Cursor::new(data), opts);
});
