//! Configuration: flags, then `MARQUEE_*` variables (both through clap), then a TOML file.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub data: Option<PathBuf>,
    #[serde(default)]
    pub media: Vec<PathBuf>,
    pub listen: Option<String>,
}

impl FileConfig {
    /// Reads the file when one is given; no file means defaults.
    pub fn load(path: Option<&Path>) -> Result<FileConfig> {
        let Some(path) = path else {
            return Ok(FileConfig::default());
        };
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the configuration file {}", path.display()))?;
        toml::from_str(&text)
            .with_context(|| format!("the configuration file {} is not valid", path.display()))
    }

    /// The data folder: the flag or variable, else the file, else `./marquee-data`.
    pub fn data_dir(&self, flag: Option<PathBuf>) -> Result<PathBuf> {
        let dir = flag
            .or_else(|| self.data.clone())
            .unwrap_or_else(|| PathBuf::from("marquee-data"));
        std::path::absolute(&dir).with_context(|| format!("bad data folder {}", dir.display()))
    }

    /// Media folders: the flags or variable when given, else the file's.
    pub fn media_dirs(&self, flags: Vec<PathBuf>) -> Vec<PathBuf> {
        if flags.is_empty() {
            self.media.clone()
        } else {
            flags
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_win_over_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("marquee.toml");
        std::fs::write(
            &path,
            "data = \"/srv/marquee\"\nmedia = [\"/srv/tv\"]\nlisten = \"0.0.0.0:8096\"\n",
        )
        .unwrap();
        let c = FileConfig::load(Some(&path)).unwrap();
        assert_eq!(c.data_dir(None).unwrap(), PathBuf::from("/srv/marquee"));
        assert_eq!(c.data_dir(Some("/x".into())).unwrap(), PathBuf::from("/x"));
        assert_eq!(c.media_dirs(vec![]), vec![PathBuf::from("/srv/tv")]);
        assert_eq!(c.media_dirs(vec!["/m".into()]), vec![PathBuf::from("/m")]);
        std::fs::write(&path, "dta = 1").unwrap();
        assert!(FileConfig::load(Some(&path)).is_err());
    }
}
