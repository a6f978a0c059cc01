//! The built-in demo library: embedded in the binary, written into the data folder on demand.

use std::path::{Path, PathBuf};

use include_dir::{include_dir, Dir};

static DEMO: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../../demo/library");

/// Writes the demo library into `DATA/demo-library` (only files that are missing or differ in
/// size) and returns its folder.
pub fn install(data: &Path) -> std::io::Result<PathBuf> {
    let root = data.join("demo-library");
    write_dir(&DEMO, &root)?;
    Ok(root)
}

fn write_dir(dir: &Dir<'_>, root: &Path) -> std::io::Result<()> {
    for file in dir.files() {
        let path = root.join(file.path());
        let same = std::fs::metadata(&path).is_ok_and(|m| m.len() == file.contents().len() as u64);
        if !same {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&path, file.contents())?;
        }
    }
    for sub in dir.dirs() {
        write_dir(sub, root)?;
    }
    Ok(())
}
