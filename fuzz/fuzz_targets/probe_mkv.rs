//! Feeds arbitrary bytes through probing, indexing and packaging (see media_pipeline.rs). Seed
//! the corpus with the Matroska fixtures (`target/test-media/*.mkv`, `*.webm`) for useful coverage.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "media_pipeline.rs"]
mod media_pipeline;

fuzz_target!(|data: &[u8]| media_pipeline::run(data));
