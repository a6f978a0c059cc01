//! Authentication: argon2id password hashes, opaque bearer tokens (stored only as SHA-256), and
//! extractors that turn a request into a signed-in user.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use axum::extract::ConnectInfo;
use axum::extract::FromRequestParts;
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use axum::http::Method;
use marquee_store::{Access, Profile, SessionInfo, User};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::net::SocketAddr;

use crate::error::ApiError;
use crate::AppState;

/// Name of the cookie the web app signs in with (HttpOnly).
pub const SESSION_COOKIE: &str = "marquee_session";
/// Name of the cookie holding the CSRF token (readable by the page, which echoes it).
pub const CSRF_COOKIE: &str = "marquee_csrf";
/// Header a cookie-signed-in page sends the CSRF token in on every request that changes state.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Sessions last 30 days.
pub const SESSION_TTL_SECS: i64 = 30 * 24 * 3600;

/// Hashes a password with argon2id and a random salt (PHC string).
pub fn hash_password(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| format!("cannot hash password: {e}"))
}

/// Checks a password against a stored PHC hash. A malformed hash never matches.
pub fn verify_password(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A fresh random token (256 bits, hex) to hand to a client.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// A readable random password for generated accounts.
pub fn new_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    (0..20)
        .map(|_| ALPHABET[(rng.next_u32() as usize) % ALPHABET.len()] as char)
        .collect()
}

/// What the store keeps of a token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The CSRF token of a cookie session: derived from the session token, so nothing more is
/// stored, and unguessable without it. Another site can make the browser send the cookie but
/// cannot read this value to put it in the header (double-submit).
pub fn csrf_token(session_token: &str) -> String {
    hex::encode(&Sha256::digest(format!("marquee-csrf:{session_token}").as_bytes())[..16])
}

/// The signed-in user of a request (bearer token or session cookie).
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub user: User,
    pub session: SessionInfo,
    /// The profile chosen on this device; `None` watches as the account itself.
    pub profile: Option<Profile>,
    /// What the user's plan lets them do now.
    pub entitlement: std::sync::Arc<marquee_store::Entitlement>,
    /// Whether titles their plan does not unlock are left out of listings.
    pub hide_locked: bool,
}

impl AuthUser {
    /// What this viewer may see: the profile's rating ceiling (or none) and the plan's titles.
    pub fn access(&self) -> Access {
        self.profile
            .as_ref()
            .map_or(Access::EVERYTHING, Profile::access)
            .with_titles(self.entitlement.titles(), self.hide_locked)
    }

    /// Whether the viewer is in a kids profile (which cannot manage profiles).
    pub fn in_kids_profile(&self) -> bool {
        self.profile.as_ref().is_some_and(|p| p.kids)
    }
}

/// The client's address as the server saw it (the peer of the TCP connection).
#[derive(Debug, Clone)]
pub struct ClientAddress(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddress(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip().to_string()),
        ))
    }
}

/// A signed-in administrator.
#[derive(Debug, Clone)]
pub struct AdminUser(pub AuthUser);

/// The value of a cookie in the request.
pub fn cookie(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    for header in headers.get_all(COOKIE) {
        let Ok(s) = header.to_str() else { continue };
        for pair in s.split(';') {
            if let Some((k, v)) = pair.trim().split_once('=') {
                if k == name {
                    return Some(v.to_string());
                }
            }
        }
    }
    None
}

/// The request's token, and whether it came in the session cookie (which needs CSRF checks).
fn token_from(parts: &Parts) -> Option<(String, bool)> {
    if let Some(value) = parts
        .headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let mut it = value.splitn(2, ' ');
        if let (Some(scheme), Some(token)) = (it.next(), it.next()) {
            if scheme.eq_ignore_ascii_case("bearer") {
                return Some((token.trim().to_string(), false));
            }
        }
    }
    cookie(&parts.headers, SESSION_COOKIE).map(|t| (t, true))
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let (token, via_cookie) = token_from(parts).ok_or_else(|| {
            ApiError::unauthorized(
                "sign in first: send Authorization: Bearer <token> from POST /api/v1/auth/login",
            )
        })?;
        // A page on another site can make the browser send our cookie, not read the CSRF token.
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if via_cookie && !safe {
            let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
            if sent != Some(csrf_token(&token).as_str()) {
                return Err(ApiError::forbidden(format!(
                    "missing or wrong {CSRF_HEADER} header: a signed-in page sends the value of the {CSRF_COOKIE} cookie with every change"
                )));
            }
        }
        let hash = token_hash(&token);
        // The session, its user and its chosen profile are checked together and cached together:
        // a profile session costs no extra query per request.
        let (session, user, profile) = match state.sessions.get(&hash) {
            Some(hit) => hit,
            None => {
                let (session, user) = state.store.session_user(&hash).await?.ok_or_else(|| {
                    ApiError::unauthorized(
                        "the session has expired or was signed out; sign in again",
                    )
                })?;
                let profile = match session.profile_id {
                    Some(_) => state.store.session_profile(session.id).await?,
                    None => None,
                };
                let found = (session, user, profile);
                state.sessions.put(hash, found.clone());
                found
            }
        };
        if crate::unix_now() - session.last_seen > 60 {
            let store = state.store.clone();
            let id = session.id;
            tokio::spawn(async move {
                let _ = store.touch_session(id).await;
            });
        }
        let entitlement = state.plans.entitlement(&state.store, user.id).await?;
        Ok(AuthUser {
            user,
            session,
            profile,
            entitlement,
            hide_locked: state.plans.hide_locked(),
        })
    }
}

impl FromRequestParts<AppState> for AdminUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let user = AuthUser::from_request_parts(parts, state).await?;
        if !user.user.is_admin {
            return Err(ApiError::forbidden("this needs an administrator account"));
        }
        Ok(AdminUser(user))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_round_trip_and_rejects_wrong_and_malformed() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong", &h));
        assert!(!verify_password("correct horse", "not a hash"));
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let a = new_token();
        assert_ne!(a, new_token());
        assert_eq!(a.len(), 64);
        assert_eq!(token_hash(&a), token_hash(&a));
        assert_ne!(token_hash(&a), a);
        assert_eq!(new_password().len(), 20);
    }
}

/// Recently checked sessions, so that a burst of requests from one player does not queue on the
/// database. Entries live a few seconds; signing out evicts at once.
#[derive(Default)]
pub struct SessionCache {
    entries: std::sync::Mutex<std::collections::HashMap<String, CachedSession>>,
}

/// When a session was checked, and what the database said.
type CachedSession = (std::time::Instant, Checked);

/// A session as the database vouched for it: the session, its user and its chosen profile.
type Checked = (SessionInfo, User, Option<Profile>);

/// How long a checked session is trusted without asking the database again.
const SESSION_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(5);

impl SessionCache {
    pub fn get(&self, token_hash: &str) -> Option<Checked> {
        let entries = self.entries.lock().ok()?;
        let (at, value) = entries.get(token_hash)?;
        (at.elapsed() < SESSION_CACHE_TTL).then(|| value.clone())
    }

    pub fn put(&self, token_hash: String, value: Checked) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() > 10_000 {
                entries.retain(|_, (at, _)| at.elapsed() < SESSION_CACHE_TTL);
            }
            entries.insert(token_hash, (std::time::Instant::now(), value));
        }
    }

    /// Forgets a session (signed out) or every session of a user (disabled, password reset).
    pub fn evict(&self, session_id: Option<i64>, user_id: Option<i64>) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.retain(|_, (_, (s, u, _))| Some(s.id) != session_id && Some(u.id) != user_id);
        }
    }
}

/// Failed sign-ins per account and per address, and how long each must wait. In memory: a restart
/// forgets them, which costs an attacker a restart they cannot cause. Times are in milliseconds:
/// in whole seconds, a try just after a second boundary found the first 1 s wait already over.
#[derive(Default)]
pub struct LoginThrottle {
    failures: std::sync::Mutex<std::collections::HashMap<String, Vec<i64>>>,
}

/// Failures within this window count (ms).
const THROTTLE_WINDOW_MS: i64 = 15 * 60 * 1000;
/// Free failures per account and per address before waits begin.
const FREE_FAILURES_ACCOUNT: usize = 5;
const FREE_FAILURES_ADDRESS: usize = 20;
/// The longest wait (ms).
const MAX_WAIT_MS: i64 = 15 * 60 * 1000;

impl LoginThrottle {
    fn keys(account: &str, address: Option<&str>) -> Vec<(String, usize)> {
        let mut keys = vec![(
            format!("account:{}", account.trim().to_lowercase()),
            FREE_FAILURES_ACCOUNT,
        )];
        if let Some(a) = address {
            keys.push((format!("address:{a}"), FREE_FAILURES_ADDRESS));
        }
        keys
    }

    /// Whole seconds (rounded up) the client must wait before trying this account from this
    /// address again (0: may try now), at `now` in Unix milliseconds. Each failure past the free
    /// ones doubles the wait, from 1 s up to 15 minutes.
    pub fn wait_secs(&self, account: &str, address: Option<&str>, now: i64) -> i64 {
        let Ok(map) = self.failures.lock() else {
            return 0;
        };
        let mut wait = 0;
        for (key, free) in Self::keys(account, address) {
            let Some(times) = map.get(&key) else { continue };
            let recent: Vec<i64> = times
                .iter()
                .copied()
                .filter(|t| now - t < THROTTLE_WINDOW_MS)
                .collect();
            if recent.len() < free {
                continue;
            }
            let excess = (recent.len() - free).min(20) as u32;
            let penalty = (1000 * 2i64.pow(excess)).min(MAX_WAIT_MS);
            let last = recent.iter().copied().max().unwrap_or(now);
            wait = wait.max(last + penalty - now);
        }
        (wait.max(0) + 999) / 1000
    }

    /// A failure at `now` (Unix milliseconds).
    pub fn record_failure(&self, account: &str, address: Option<&str>, now: i64) {
        let Ok(mut map) = self.failures.lock() else {
            return;
        };
        if map.len() > 50_000 {
            map.retain(|_, times| times.iter().any(|t| now - t < THROTTLE_WINDOW_MS));
        }
        for (key, _) in Self::keys(account, address) {
            let times = map.entry(key).or_default();
            times.retain(|t| now - t < THROTTLE_WINDOW_MS);
            times.push(now);
        }
    }

    /// A successful sign-in clears the account's failures (not the address's).
    pub fn record_success(&self, account: &str) {
        if let Ok(mut map) = self.failures.lock() {
            map.remove(&format!("account:{}", account.trim().to_lowercase()));
        }
    }
}

#[cfg(test)]
mod throttle_tests {
    use super::*;

    #[test]
    fn waits_grow_after_the_free_failures_and_expire() {
        let t = LoginThrottle::default();
        let now = 1_000_000_000;
        for i in 0..5 {
            assert_eq!(t.wait_secs("Alice", Some("10.0.0.1"), now + i * 1000), 0);
            t.record_failure("alice", Some("10.0.0.1"), now + i * 1000);
        }
        // Five failures: the sixth try waits 1 s, then 2, 4, ...
        assert_eq!(t.wait_secs("ALICE", Some("10.0.0.9"), now + 4000), 1);
        // ... a full second, whatever the clock's second (it once was over at the next tick).
        assert_eq!(t.wait_secs("alice", None, now + 4999), 1);
        assert_eq!(t.wait_secs("alice", None, now + 5000), 0);
        t.record_failure("alice", None, now + 5000);
        assert_eq!(t.wait_secs("alice", None, now + 5000), 2);
        t.record_failure("alice", None, now + 7000);
        assert_eq!(t.wait_secs("alice", None, now + 7000), 4);
        assert_eq!(
            t.wait_secs("alice", None, now + 7500),
            4,
            "3.5 s, rounded up"
        );
        // Another account from the same address is not held up by alice's failures.
        assert_eq!(t.wait_secs("bob", Some("10.0.0.1"), now + 7000), 0);
        // After the window, nothing counts.
        assert_eq!(
            t.wait_secs("alice", None, now + 7000 + THROTTLE_WINDOW_MS),
            0
        );
        t.record_success("alice");
        assert_eq!(t.wait_secs("alice", None, now + 8000), 0);
    }

    #[test]
    fn one_address_trying_many_accounts_is_held_up() {
        let t = LoginThrottle::default();
        for i in 0..20 {
            t.record_failure(&format!("user{i}"), Some("10.0.0.2"), 100_000);
        }
        assert!(t.wait_secs("someone-else", Some("10.0.0.2"), 100_000) > 0);
        assert_eq!(t.wait_secs("someone-else", Some("10.0.0.3"), 100_000), 0);
    }
}
