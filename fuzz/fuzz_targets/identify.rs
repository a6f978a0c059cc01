//! Feeds arbitrary paths (file names come from outside too) to the naming rules.
#![no_main]

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = Path::new(OsStr::from_bytes(data));
    let identity = marquee_catalog::naming::identify(path);
    let _ = serde_json_free_len(&identity);
    let _ = marquee_catalog::naming::is_video_path(path);
});

/// Touches every field so the optimiser keeps the work.
fn serde_json_free_len(i: &marquee_catalog::naming::Identity) -> usize {
    i.path.len() + i.series.as_ref().map_or(0, String::len) + i.episodes.len()
}
