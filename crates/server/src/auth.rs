//! Authentication: argon2id password hashes, opaque bearer tokens (stored only as SHA-256), and
//! extractors that turn a request into a signed-in user.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use axum::extract::FromRequestParts;
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use marquee_store::{SessionInfo, User};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::AppState;

/// Name of the cookie the web app signs in with.
pub const SESSION_COOKIE: &str = "marquee_session";
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

/// The signed-in user of a request (bearer token or session cookie).
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub user: User,
    pub session: SessionInfo,
}

/// A signed-in administrator.
#[derive(Debug, Clone)]
pub struct AdminUser(pub AuthUser);

fn token_from(parts: &Parts) -> Option<String> {
    if let Some(value) = parts
        .headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let mut it = value.splitn(2, ' ');
        if let (Some(scheme), Some(token)) = (it.next(), it.next()) {
            if scheme.eq_ignore_ascii_case("bearer") {
                return Some(token.trim().to_string());
            }
        }
    }
    for header in parts.headers.get_all(COOKIE) {
        let Ok(s) = header.to_str() else { continue };
        for pair in s.split(';') {
            if let Some((k, v)) = pair.trim().split_once('=') {
                if k == SESSION_COOKIE {
                    return Some(v.to_string());
                }
            }
        }
    }
    None
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = token_from(parts).ok_or_else(|| {
            ApiError::unauthorized(
                "sign in first: send Authorization: Bearer <token> from POST /api/v1/auth/login",
            )
        })?;
        let (session, user) = state
            .store
            .session_user(&token_hash(&token))
            .await?
            .ok_or_else(|| {
                ApiError::unauthorized("the session has expired or was signed out; sign in again")
            })?;
        if crate::unix_now() - session.last_seen > 60 {
            let store = state.store.clone();
            let id = session.id;
            tokio::spawn(async move {
                let _ = store.touch_session(id).await;
            });
        }
        Ok(AuthUser { user, session })
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
type CachedSession = (std::time::Instant, (SessionInfo, User));

/// How long a checked session is trusted without asking the database again.
const SESSION_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(5);

impl SessionCache {
    pub fn get(&self, token_hash: &str) -> Option<(SessionInfo, User)> {
        let entries = self.entries.lock().ok()?;
        let (at, value) = entries.get(token_hash)?;
        (at.elapsed() < SESSION_CACHE_TTL).then(|| value.clone())
    }

    pub fn put(&self, token_hash: String, value: (SessionInfo, User)) {
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
            entries.retain(|_, (_, (s, u))| Some(s.id) != session_id && Some(u.id) != user_id);
        }
    }
}
