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
    /// Sign-in through an OpenID Connect provider.
    pub oidc: Option<OidcFile>,
    pub stream_timeout: Option<u64>,
    pub max_streams: Option<u32>,
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

/// The `[oidc]` table of the configuration file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcFile {
    pub issuer: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub name: Option<String>,
    pub redirect_url: Option<String>,
    #[serde(default)]
    pub scopes: Vec<String>,
    pub plan_claim: Option<String>,
    /// `"VALUE=PLAN"` entries; the first whose value the claim holds wins.
    #[serde(default)]
    pub plans: Vec<String>,
}

/// `marquee serve` settings for sign-in through an OpenID Connect provider and for stream limits.
#[derive(Debug, Default, clap::Args)]
pub struct AccountArgs {
    /// Issuer URL of an OpenID Connect provider: enables "Sign in with …" (discovery from
    /// ISSUER/.well-known/openid-configuration).
    #[arg(long, env = "MARQUEE_OIDC_ISSUER")]
    pub oidc_issuer: Option<String>,
    /// The client id registered at the provider.
    #[arg(long, env = "MARQUEE_OIDC_CLIENT_ID")]
    pub oidc_client_id: Option<String>,
    /// The client secret (prefer the variable or the file: flags show in process lists).
    #[arg(long, env = "MARQUEE_OIDC_CLIENT_SECRET", hide_env_values = true)]
    pub oidc_client_secret: Option<String>,
    /// The provider's name on the sign-in button: "Sign in with NAME".
    #[arg(long, env = "MARQUEE_OIDC_NAME")]
    pub oidc_name: Option<String>,
    /// The callback URL registered at the provider (default: the address the browser used, then
    /// /api/v1/auth/oidc/callback).
    #[arg(long, env = "MARQUEE_OIDC_REDIRECT_URL")]
    pub oidc_redirect_url: Option<String>,
    /// Scopes to ask for, separated by spaces or commas (default: openid email profile).
    #[arg(long, env = "MARQUEE_OIDC_SCOPES")]
    pub oidc_scopes: Option<String>,
    /// A claim (such as groups) whose values are mapped to plans by --oidc-plan.
    #[arg(long, env = "MARQUEE_OIDC_PLAN_CLAIM")]
    pub oidc_plan_claim: Option<String>,
    /// VALUE=PLAN: a user whose claim holds VALUE gets the plan named PLAN at each sign-in
    /// (repeatable, or comma-separated in the variable; the first match wins).
    #[arg(long = "oidc-plan", env = "MARQUEE_OIDC_PLANS", value_delimiter = ',')]
    pub oidc_plans: Vec<String>,
    /// Seconds without a heartbeat after which a stream stops counting (default 60).
    #[arg(long, env = "MARQUEE_STREAM_TIMEOUT")]
    pub stream_timeout: Option<u64>,
    /// Concurrent streams for an account whose plan sets no limit (default: no limit).
    #[arg(long, env = "MARQUEE_MAX_STREAMS")]
    pub max_streams: Option<u32>,
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

impl FileConfig {
    /// OpenID Connect settings, when an issuer is configured: each from its flag or variable,
    /// else the file. An issuer without a client id is an error.
    pub fn oidc(&self, args: &AccountArgs) -> Result<Option<marquee_server::oidc::OidcSettings>> {
        let file = self.oidc.as_ref();
        let pick = |flag: &Option<String>, from_file: Option<&Option<String>>| {
            flag.clone()
                .or_else(|| from_file.and_then(|f| f.clone()))
                .filter(|v| !v.trim().is_empty())
        };
        let Some(issuer) = pick(&args.oidc_issuer, file.map(|f| &f.issuer)) else {
            return Ok(None);
        };
        let client_id = pick(&args.oidc_client_id, file.map(|f| &f.client_id)).context(
            "an OpenID Connect issuer is set but no client id (--oidc-client-id or MARQUEE_OIDC_CLIENT_ID)",
        )?;
        let scopes: Vec<String> = match &args.oidc_scopes {
            Some(s) => s
                .split([' ', ','])
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            None => file.map(|f| f.scopes.clone()).unwrap_or_default(),
        };
        let plans = if args.oidc_plans.is_empty() {
            file.map(|f| f.plans.clone()).unwrap_or_default()
        } else {
            args.oidc_plans.clone()
        };
        let plan_map = plans
            .iter()
            .map(|entry| {
                entry
                    .split_once('=')
                    .map(|(v, p)| (v.trim().to_string(), p.trim().to_string()))
                    .filter(|(v, p)| !v.is_empty() && !p.is_empty())
                    .with_context(|| format!("--oidc-plan {entry:?}: expected VALUE=PLAN"))
            })
            .collect::<Result<Vec<_>>>()?;
        let plan_claim = pick(&args.oidc_plan_claim, file.map(|f| &f.plan_claim));
        if !plan_map.is_empty() && plan_claim.is_none() {
            anyhow::bail!("--oidc-plan needs --oidc-plan-claim: which claim holds the values");
        }
        Ok(Some(marquee_server::oidc::OidcSettings {
            name: pick(&args.oidc_name, file.map(|f| &f.name))
                .unwrap_or_else(|| "single sign-on".into()),
            issuer,
            client_id,
            client_secret: pick(&args.oidc_client_secret, file.map(|f| &f.client_secret)),
            redirect_url: pick(&args.oidc_redirect_url, file.map(|f| &f.redirect_url)),
            scopes,
            plan_claim,
            plan_map,
        }))
    }

    /// Seconds without a heartbeat before a stream lapses, and the default stream limit.
    pub fn streams(&self, args: &AccountArgs) -> (u64, Option<u32>) {
        (
            args.stream_timeout.or(self.stream_timeout).unwrap_or(60),
            args.max_streams.or(self.max_streams),
        )
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

    #[test]
    fn oidc_settings_from_flags_and_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("marquee.toml");
        std::fs::write(
            &path,
            "stream_timeout = 30\n[oidc]\nissuer = \"https://idp.example\"\nclient_id = \"marquee\"\nclient_secret = \"s\"\nname = \"Acme\"\nscopes = [\"openid\", \"groups\"]\nplan_claim = \"groups\"\nplans = [\"gold=Premium\", \"silver=Basic\"]\n",
        )
        .unwrap();
        let c = FileConfig::load(Some(&path)).unwrap();
        let none = AccountArgs::default();
        let s = c.oidc(&none).unwrap().unwrap();
        assert_eq!(s.issuer, "https://idp.example");
        assert_eq!(s.name, "Acme");
        assert_eq!(s.client_secret.as_deref(), Some("s"));
        assert_eq!(s.scopes, ["openid", "groups"]);
        assert_eq!(
            s.plan_map,
            [
                ("gold".to_string(), "Premium".to_string()),
                ("silver".to_string(), "Basic".to_string())
            ]
        );
        assert_eq!(c.streams(&none), (30, None));
        let flags = AccountArgs {
            oidc_name: Some("Other".into()),
            oidc_scopes: Some("openid email,profile".into()),
            oidc_plans: vec!["x=Y".into()],
            max_streams: Some(2),
            ..Default::default()
        };
        let s = c.oidc(&flags).unwrap().unwrap();
        assert_eq!(s.name, "Other");
        assert_eq!(s.scopes, ["openid", "email", "profile"]);
        assert_eq!(s.plan_map, [("x".to_string(), "Y".to_string())]);
        assert_eq!(c.streams(&flags), (30, Some(2)));
        // Nothing configured: no OIDC. Malformed mappings and a missing client id are errors.
        assert!(FileConfig::default().oidc(&none).unwrap().is_none());
        let bad = AccountArgs {
            oidc_plans: vec!["novalue".into()],
            ..Default::default()
        };
        assert!(c.oidc(&bad).is_err());
        let no_client = AccountArgs {
            oidc_issuer: Some("https://idp.example".into()),
            ..Default::default()
        };
        assert!(FileConfig::default().oidc(&no_client).is_err());
    }
}
