//! Feeds arbitrary bytes to the Kodi NFO reader. Seed with `demo/library/**/*.nfo`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = marquee_catalog::sidecar::read_nfo(data);
    let _ = marquee_catalog::sidecar::read_nfo_all(data);
});
