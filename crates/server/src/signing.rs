//! Signed playback URLs: a player fetches manifests and segments without any header, so the
//! permission travels in the URL as an HMAC-SHA256 over the item, the user and an expiry.
//!
//! The token sits in the path (`/stream/{item}/{token}/…`) so that the relative URLs inside
//! manifests carry it to every segment without rewriting them.

use std::path::Path;

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// How long a playback URL stays valid.
pub const PLAYBACK_TTL_SECS: i64 = 6 * 3600;

pub struct Signer {
    key: [u8; 32],
}

#[derive(Debug, PartialEq, Eq)]
pub enum TokenError {
    Malformed,
    Expired,
    Forged,
}

impl std::fmt::Display for TokenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TokenError::Malformed => "the playback link is malformed",
            TokenError::Expired => {
                "the playback link has expired; ask for a new one (GET /api/v1/items/{id}/playback)"
            }
            TokenError::Forged => "the playback link is not valid for this item",
        })
    }
}

impl Signer {
    pub fn new(key: [u8; 32]) -> Signer {
        Signer { key }
    }

    /// Reads the server key from `path`, creating it (mode 0600) on first use.
    pub fn load_or_create(path: &Path) -> std::io::Result<Signer> {
        match std::fs::read(path) {
            Ok(bytes) if bytes.len() == 32 => {
                let mut key = [0u8; 32];
                key.copy_from_slice(&bytes);
                Ok(Signer { key })
            }
            Ok(_) => Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "{} is not a 32-byte key; delete it to make a new one",
                    path.display()
                ),
            )),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut key = [0u8; 32];
                rand::thread_rng().fill_bytes(&mut key);
                let tmp = path.with_extension("tmp");
                {
                    use std::io::Write;
                    use std::os::unix::fs::OpenOptionsExt;
                    let mut f = std::fs::OpenOptions::new()
                        .write(true)
                        .create(true)
                        .truncate(true)
                        .mode(0o600)
                        .open(&tmp)?;
                    f.write_all(&key)?;
                    f.sync_all()?;
                }
                std::fs::rename(&tmp, path)?;
                Ok(Signer { key })
            }
            Err(e) => Err(e),
        }
    }

    fn mac(&self, item_id: i64, user_id: i64, expires: i64) -> HmacSha256 {
        // new_from_slice accepts any key length for HMAC; 32 bytes never fails.
        let mut mac = HmacSha256::new_from_slice(&self.key).unwrap_or_else(|_| unreachable!());
        mac.update(format!("play:{item_id}:{user_id}:{expires}").as_bytes());
        mac
    }

    /// `{user}-{expires}-{mac}`: URL-safe, no padding.
    pub fn sign(&self, item_id: i64, user_id: i64, expires: i64) -> String {
        let tag = self.mac(item_id, user_id, expires).finalize().into_bytes();
        format!("{user_id}-{expires}-{}", hex::encode(&tag[..16]))
    }

    /// The user a token was issued to, if it is genuine, unexpired and for this item.
    pub fn verify(&self, item_id: i64, token: &str, now: i64) -> Result<i64, TokenError> {
        let mut parts = token.splitn(3, '-');
        let (Some(user), Some(expires), Some(tag)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        let user: i64 = user.parse().map_err(|_| TokenError::Malformed)?;
        let expires: i64 = expires.parse().map_err(|_| TokenError::Malformed)?;
        let tag = hex::decode(tag).map_err(|_| TokenError::Malformed)?;
        if tag.len() != 16 {
            return Err(TokenError::Malformed);
        }
        // Constant-time comparison of the truncated tag.
        self.mac(item_id, user, expires)
            .verify_truncated_left(&tag)
            .map_err(|_| TokenError::Forged)?;
        if expires <= now {
            return Err(TokenError::Expired);
        }
        Ok(user)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_bind_item_user_and_expiry() {
        let s = Signer::new([7; 32]);
        let t = s.sign(42, 3, 1000);
        assert_eq!(s.verify(42, &t, 999), Ok(3));
        assert_eq!(s.verify(42, &t, 1000), Err(TokenError::Expired));
        assert_eq!(s.verify(43, &t, 10), Err(TokenError::Forged));
        let other_key = Signer::new([8; 32]);
        assert_eq!(other_key.verify(42, &t, 10), Err(TokenError::Forged));
        // Changing the user or expiry breaks the MAC.
        let forged = t.replacen("3-", "4-", 1);
        assert_eq!(s.verify(42, &forged, 10), Err(TokenError::Forged));
        for bad in ["", "x", "1-2", "1-2-zz", "a-b-00", "1-2-00"] {
            assert_eq!(s.verify(42, bad, 10), Err(TokenError::Malformed), "{bad}");
        }
    }

    #[test]
    fn key_file_is_created_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret.key");
        let a = Signer::load_or_create(&path).unwrap();
        let b = Signer::load_or_create(&path).unwrap();
        assert_eq!(a.sign(1, 1, 5), b.sign(1, 1, 5));
        std::fs::write(&path, b"short").unwrap();
        assert!(Signer::load_or_create(&path).is_err());
    }
}
