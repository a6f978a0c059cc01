//! What the media integration tests share: the generated fixtures.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Once;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn tool_available(name: &str) -> bool {
    Command::new(name)
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Generates the fixtures (once per process) with `scripts/gen-test-media.sh` and returns their
/// directory. Without ffmpeg and ffprobe the tests fail with a message saying so, rather than
/// passing without checking anything.
pub fn fixtures() -> PathBuf {
    static GENERATE: Once = Once::new();
    let root = workspace_root();
    let dir = root.join("target/test-media");
    GENERATE.call_once(|| {
        for tool in ["ffmpeg", "ffprobe"] {
            assert!(
                tool_available(tool),
                "{tool} not found: the media tests need ffmpeg and ffprobe \
                 (Debian/Ubuntu: apt-get install ffmpeg)"
            );
        }
        let out = Command::new("bash")
            .arg(root.join("scripts/gen-test-media.sh"))
            .arg(&dir)
            .output()
            .expect("run scripts/gen-test-media.sh");
        assert!(
            out.status.success(),
            "scripts/gen-test-media.sh failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    });
    dir
}
