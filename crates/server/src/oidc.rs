//! Sign-in through an outside OpenID Connect provider: the authorization-code flow with PKCE,
//! state and nonce, on the `openidconnect` crate (discovery, JWKS, ID token verification).
//!
//! The provider is discovered on first use (and again after an hour, or when an ID token is
//! signed by a key the cached JWKS lacks), so Marquee starts even while the provider is down.
//! Flows in progress live in memory for ten minutes, keyed by their `state`; the handler also
//! binds each to the browser that started it with a cookie holding the state.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreGenderClaim, CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm, CoreProviderMetadata,
};
use openidconnect::{
    AccessTokenHash, AdditionalClaims, AuthorizationCode, ClientId, ClientSecret, CsrfToken,
    IdToken, IdTokenClaims, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse, UserInfoClaims,
};
use serde::{Deserialize, Serialize};

/// How Marquee talks to the provider (from flags, `MARQUEE_OIDC_*` or the `[oidc]` table).
#[derive(Clone)]
pub struct OidcSettings {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Option<String>,
    /// Shown on the button: "Sign in with NAME".
    pub name: String,
    /// The callback URL registered at the provider; `None`: built from the request's host.
    pub redirect_url: Option<String>,
    /// Scopes to ask for besides `openid` (empty: `email profile`).
    pub scopes: Vec<String>,
    /// The claim whose values choose a plan (such as `groups`).
    pub plan_claim: Option<String>,
    /// Claim value → plan name, in order: the first value the user has wins.
    pub plan_map: Vec<(String, String)>,
}

#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("the identity provider settings are not valid: {0}")]
    Config(String),
    #[error("cannot reach the identity provider or read its discovery document: {0}")]
    Discovery(String),
    #[error("this sign-in was not started here or has expired (10 minutes); start again")]
    UnknownState,
    #[error("too many sign-ins are in progress; try again in a minute")]
    Busy,
    #[error("the identity provider did not accept the sign-in code: {0}")]
    Exchange(String),
    #[error("the identity provider's ID token is not valid: {0}")]
    IdToken(String),
    #[error("the identity provider's user info is not valid: {0}")]
    UserInfo(String),
}

/// Claims beyond the standard ones (such as `groups`), kept as JSON.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ExtraClaims {
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

impl AdditionalClaims for ExtraClaims {}

type ExtIdToken = IdToken<
    ExtraClaims,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;

/// A flow between its start and the provider's answer.
struct Pending {
    nonce: Nonce,
    pkce_verifier: String,
    redirect: RedirectUrl,
    started: Instant,
    /// A signed-in user who asked to link the provider account to theirs.
    link_user: Option<i64>,
    /// Where the web app goes afterwards.
    next: Option<String>,
}

/// How long a started sign-in may take.
const FLOW_TTL: Duration = Duration::from_secs(600);
/// Flows in progress at most (the start route is public).
const MAX_PENDING: usize = 10_000;
/// How long the discovery document and JWKS are trusted before they are fetched again.
const DISCOVERY_TTL: Duration = Duration::from_secs(3600);

/// What the provider vouched for at the end of a sign-in.
#[derive(Debug, Clone)]
pub struct ProviderAccount {
    pub issuer: String,
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    /// A user name to propose for a new account.
    pub username: String,
    /// The values of the plan claim, if one is configured.
    pub plan_values: Vec<String>,
    pub link_user: Option<i64>,
    pub next: Option<String>,
}

/// A sign-in to send the browser to.
#[derive(Debug)]
pub struct Started {
    pub url: String,
    pub state: String,
}

pub struct Oidc {
    pub settings: OidcSettings,
    issuer: IssuerUrl,
    http: reqwest::Client,
    discovered: tokio::sync::Mutex<Option<(Instant, CoreProviderMetadata)>>,
    pending: Mutex<HashMap<String, Pending>>,
}

impl Oidc {
    pub fn new(settings: OidcSettings) -> Result<Oidc, OidcError> {
        let issuer = IssuerUrl::new(settings.issuer.clone())
            .map_err(|e| OidcError::Config(format!("issuer {:?}: {e}", settings.issuer)))?;
        if let Some(url) = &settings.redirect_url {
            RedirectUrl::new(url.clone())
                .map_err(|e| OidcError::Config(format!("redirect URL {url:?}: {e}")))?;
        }
        // No redirects: a provider endpoint that redirects elsewhere must not make this server
        // fetch arbitrary URLs (as the openidconnect documentation advises).
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(15))
            .build()
            .map_err(|e| OidcError::Config(format!("cannot make an HTTP client: {e}")))?;
        Ok(Oidc {
            settings,
            issuer,
            http,
            discovered: Default::default(),
            pending: Default::default(),
        })
    }

    /// The provider's metadata and keys, fetched when missing, old, or `refresh` is asked.
    async fn metadata(&self, refresh: bool) -> Result<CoreProviderMetadata, OidcError> {
        let mut cached = self.discovered.lock().await;
        if let Some((at, m)) = cached.as_ref() {
            if !refresh && at.elapsed() < DISCOVERY_TTL {
                return Ok(m.clone());
            }
        }
        let m = CoreProviderMetadata::discover_async(self.issuer.clone(), &self.http)
            .await
            .map_err(|e| OidcError::Discovery(error_chain(&e)))?;
        *cached = Some((Instant::now(), m.clone()));
        Ok(m)
    }

    /// The callback URL: the configured one, else the one built from the request.
    pub fn redirect_url(&self, from_request: &str) -> Result<RedirectUrl, OidcError> {
        let url = self
            .settings
            .redirect_url
            .clone()
            .unwrap_or_else(|| from_request.to_string());
        RedirectUrl::new(url.clone())
            .map_err(|e| OidcError::Config(format!("redirect URL {url:?}: {e}")))
    }

    /// Starts a sign-in: the provider's authorization URL, with a fresh state, nonce and PKCE
    /// challenge (S256) remembered for the callback.
    pub async fn start(
        &self,
        redirect: RedirectUrl,
        link_user: Option<i64>,
        next: Option<String>,
    ) -> Result<Started, OidcError> {
        {
            let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
            pending.retain(|_, p| p.started.elapsed() < FLOW_TTL);
            if pending.len() >= MAX_PENDING {
                return Err(OidcError::Busy);
            }
        }
        let metadata = self.metadata(false).await?;
        let client = self.client(metadata).set_redirect_uri(redirect.clone());
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge);
        for scope in self.scopes() {
            request = request.add_scope(Scope::new(scope));
        }
        let (url, state, nonce) = request.url();
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        pending.insert(
            state.secret().clone(),
            Pending {
                nonce,
                pkce_verifier: verifier.secret().clone(),
                redirect,
                started: Instant::now(),
                link_user,
                next,
            },
        );
        Ok(Started {
            url: url.to_string(),
            state: state.secret().clone(),
        })
    }

    /// Forgets a flow (the provider answered with an error).
    pub fn abandon(&self, state: &str) {
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        pending.remove(state);
    }

    /// Finishes a sign-in: exchanges the code (with the PKCE verifier), verifies the ID token
    /// (signature against the provider's JWKS, issuer, audience, expiry, nonce, and the access
    /// token hash when present) and reads the user info. Each state is good for one try.
    pub async fn finish(&self, state: &str, code: &str) -> Result<ProviderAccount, OidcError> {
        let flow = {
            let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
            pending.remove(state)
        }
        .filter(|p| p.started.elapsed() < FLOW_TTL)
        .ok_or(OidcError::UnknownState)?;
        let metadata = self.metadata(false).await?;
        let mut client = self
            .client(metadata)
            .set_redirect_uri(flow.redirect.clone());
        let token = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(|e| OidcError::Exchange(error_chain(&e)))?
            .set_pkce_verifier(PkceCodeVerifier::new(flow.pkce_verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|e| OidcError::Exchange(error_chain(&e)))?;
        let raw = token
            .id_token()
            .ok_or_else(|| OidcError::IdToken("the token response has no ID token".into()))?
            .to_string();
        let id_token: ExtIdToken = raw
            .parse()
            .map_err(|e: serde_json::Error| OidcError::IdToken(e.to_string()))?;
        let claims = match verify(&client, &id_token, &flow.nonce) {
            Ok(c) => c,
            // The provider may have rotated its keys since discovery: fetch them once more.
            Err(_) => {
                client = self
                    .client(self.metadata(true).await?)
                    .set_redirect_uri(flow.redirect.clone());
                verify(&client, &id_token, &flow.nonce)?
            }
        };
        if let Some(expected) = claims.access_token_hash() {
            let verifier = client.id_token_verifier();
            let alg = id_token
                .signing_alg()
                .map_err(|e| OidcError::IdToken(error_chain(&e)))?;
            let key = id_token
                .signing_key(&verifier)
                .map_err(|e| OidcError::IdToken(error_chain(&e)))?;
            let actual = AccessTokenHash::from_token(token.access_token(), alg, key)
                .map_err(|e| OidcError::IdToken(error_chain(&e)))?;
            if actual != *expected {
                return Err(OidcError::IdToken(
                    "the access token does not match the ID token's at_hash".into(),
                ));
            }
        }
        let mut facts = Facts::from_id_token(claims);
        // Many providers put email and groups only in the user info (as the code flow allows).
        if let Ok(request) =
            client.user_info(token.access_token().clone(), Some(claims.subject().clone()))
        {
            let info: UserInfoClaims<ExtraClaims, CoreGenderClaim> = request
                .request_async(&self.http)
                .await
                .map_err(|e| OidcError::UserInfo(error_chain(&e)))?;
            facts.add_user_info(&info);
        }
        let plan_values = self
            .settings
            .plan_claim
            .as_ref()
            .and_then(|c| facts.extra.get(c))
            .map(claim_values)
            .unwrap_or_default();
        Ok(ProviderAccount {
            issuer: self.issuer.as_str().to_string(),
            subject: claims.subject().as_str().to_string(),
            username: proposed_username(
                facts.preferred_username.as_deref(),
                facts.email.as_deref(),
                facts.name.as_deref(),
            ),
            email: facts.email,
            email_verified: facts.email_verified,
            plan_values,
            link_user: flow.link_user,
            next: flow.next,
        })
    }

    /// The plan a user's claim values grant: the first mapping whose value they hold.
    pub fn plan_for(&self, values: &[String]) -> Option<&str> {
        plan_for(&self.settings.plan_map, values)
    }

    fn scopes(&self) -> Vec<String> {
        let mut scopes: Vec<String> = if self.settings.scopes.is_empty() {
            vec!["email".into(), "profile".into()]
        } else {
            self.settings.scopes.clone()
        };
        // `openid` is added by the library.
        scopes.retain(|s| s != "openid");
        scopes
    }

    fn client(
        &self,
        metadata: CoreProviderMetadata,
    ) -> CoreClient<
        openidconnect::EndpointSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointMaybeSet,
        openidconnect::EndpointMaybeSet,
    > {
        CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(self.settings.client_id.clone()),
            self.settings.client_secret.clone().map(ClientSecret::new),
        )
    }
}

fn verify<'t, HA, HD, HI, HR, HT, HU>(
    client: &CoreClient<HA, HD, HI, HR, HT, HU>,
    token: &'t ExtIdToken,
    nonce: &Nonce,
) -> Result<&'t IdTokenClaims<ExtraClaims, CoreGenderClaim>, OidcError>
where
    HA: openidconnect::EndpointState,
    HD: openidconnect::EndpointState,
    HI: openidconnect::EndpointState,
    HR: openidconnect::EndpointState,
    HT: openidconnect::EndpointState,
    HU: openidconnect::EndpointState,
{
    token
        .claims(&client.id_token_verifier(), nonce)
        .map_err(|e| OidcError::IdToken(error_chain(&e)))
}

/// The claims Marquee uses, from the ID token and then the user info.
#[derive(Debug, Default)]
struct Facts {
    email: Option<String>,
    email_verified: bool,
    preferred_username: Option<String>,
    name: Option<String>,
    extra: serde_json::Map<String, serde_json::Value>,
}

impl Facts {
    fn from_id_token(c: &IdTokenClaims<ExtraClaims, CoreGenderClaim>) -> Facts {
        Facts {
            email: c.email().map(|e| e.as_str().to_string()),
            email_verified: c.email_verified().unwrap_or(false),
            preferred_username: c.preferred_username().map(|u| u.as_str().to_string()),
            name: c
                .name()
                .and_then(|n| n.get(None))
                .map(|n| n.as_str().to_string()),
            extra: c.additional_claims().other.clone(),
        }
    }

    fn add_user_info(&mut self, u: &UserInfoClaims<ExtraClaims, CoreGenderClaim>) {
        if let Some(email) = u.email() {
            self.email = Some(email.as_str().to_string());
            self.email_verified = u.email_verified().unwrap_or(false);
        }
        if let Some(p) = u.preferred_username() {
            self.preferred_username = Some(p.as_str().to_string());
        }
        if let Some(n) = u.name().and_then(|n| n.get(None)) {
            self.name = Some(n.as_str().to_string());
        }
        for (k, v) in &u.additional_claims().other {
            self.extra.insert(k.clone(), v.clone());
        }
    }
}

/// The values of a claim: a string, or the strings of an array.
pub fn claim_values(v: &serde_json::Value) -> Vec<String> {
    match v {
        serde_json::Value::String(s) => vec![s.clone()],
        serde_json::Value::Array(a) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

/// The first mapping whose value is among `values`.
pub fn plan_for<'m>(map: &'m [(String, String)], values: &[String]) -> Option<&'m str> {
    map.iter()
        .find(|(value, _)| values.iter().any(|v| v == value))
        .map(|(_, plan)| plan.as_str())
}

/// A user name for a new account: the provider's preferred user name, else the part of the
/// email before `@`, else the name; at most 64 characters without control characters.
pub fn proposed_username(
    preferred: Option<&str>,
    email: Option<&str>,
    name: Option<&str>,
) -> String {
    let from_email = email.and_then(|e| e.split('@').next());
    [preferred, from_email, name]
        .into_iter()
        .flatten()
        .map(|s| {
            s.chars()
                .filter(|c| !c.is_control())
                .take(56)
                .collect::<String>()
                .trim()
                .to_string()
        })
        .find(|s| !s.is_empty())
        .unwrap_or_else(|| "user".into())
}

/// An error and its causes on one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_follow_the_first_matching_value() {
        let map = vec![
            ("gold".to_string(), "Premium".to_string()),
            ("silver".to_string(), "Basic".to_string()),
        ];
        let values = claim_values(&serde_json::json!(["staff", "silver", "gold"]));
        assert_eq!(plan_for(&map, &values), Some("Premium"));
        assert_eq!(
            plan_for(&map, &claim_values(&serde_json::json!("silver"))),
            Some("Basic")
        );
        assert_eq!(plan_for(&map, &claim_values(&serde_json::json!(42))), None);
        assert_eq!(plan_for(&map, &[]), None);
    }

    #[test]
    fn proposed_names() {
        assert_eq!(
            proposed_username(Some("alice"), Some("a@x"), Some("A")),
            "alice"
        );
        assert_eq!(
            proposed_username(Some("  "), Some("bob@example.com"), None),
            "bob"
        );
        assert_eq!(
            proposed_username(None, None, Some("Carol\u{7} King")),
            "Carol King"
        );
        assert_eq!(proposed_username(None, Some("@x"), None), "user");
        assert_eq!(
            proposed_username(Some(&"x".repeat(100)), None, None).len(),
            56
        );
    }

    #[test]
    fn settings_are_checked() {
        let settings = OidcSettings {
            issuer: "not a url".into(),
            client_id: "c".into(),
            client_secret: None,
            name: "Acme".into(),
            redirect_url: None,
            scopes: vec![],
            plan_claim: None,
            plan_map: vec![],
        };
        assert!(matches!(
            Oidc::new(settings.clone()),
            Err(OidcError::Config(_))
        ));
        let ok = Oidc::new(OidcSettings {
            issuer: "https://idp.example".into(),
            ..settings
        })
        .unwrap();
        assert_eq!(ok.scopes(), ["email", "profile"]);
        assert!(ok
            .redirect_url("https://m.example/api/v1/auth/oidc/callback")
            .is_ok());
        assert!(ok.redirect_url("no").is_err());
    }
}
