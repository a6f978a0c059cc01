//! Feeds arbitrary bytes to the JSON sidecar reader. Seed with `demo/library/**/*.json`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = marquee_catalog::sidecar::read_json(data);
});
