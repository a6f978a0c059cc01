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
    /// `show` or `hide`: what listings do with titles the viewer's plan does not unlock.
    pub locked_titles: Option<String>,
    /// The payment provider's webhook signing secret.
    pub billing_webhook_secret: Option<String>,
    /// Access after a failed payment, in seconds.
    pub billing_grace_secs: Option<i64>,
}

/// Plans and billing flags of `marquee serve`.
#[derive(Debug, Default, clap::Args)]
pub struct PlansArgs {
    /// Titles the viewer's plan does not unlock: `show` them marked locked (default) or `hide` them.
    #[arg(long, env = "MARQUEE_LOCKED_TITLES")]
    pub locked_titles: Option<String>,
    /// The secret the payment provider signs webhook events with; without it the webhook answers 503.
    #[arg(long, env = "MARQUEE_BILLING_WEBHOOK_SECRET", hide_env_values = true)]
    pub billing_webhook_secret: Option<String>,
    /// How long access continues after a failed payment, in seconds (default 3 days).
    #[arg(long, env = "MARQUEE_BILLING_GRACE_SECS")]
    pub billing_grace_secs: Option<i64>,
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

    /// The plans configuration: flags and variables, else the file's, else the defaults.
    pub fn plans(&self, args: PlansArgs) -> Result<marquee_server::plans::Plans> {
        let locked = match args.locked_titles.or(self.locked_titles.clone()) {
            Some(s) => s.parse().map_err(anyhow::Error::msg)?,
            None => Default::default(),
        };
        let grace = args
            .billing_grace_secs
            .or(self.billing_grace_secs)
            .unwrap_or(marquee_server::plans::DEFAULT_GRACE_SECS);
        if grace < 0 {
            anyhow::bail!("the billing grace period cannot be negative (got {grace} s)");
        }
        Ok(marquee_server::plans::Plans::new(
            locked,
            args.billing_webhook_secret
                .or(self.billing_webhook_secret.clone()),
            grace,
        ))
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
