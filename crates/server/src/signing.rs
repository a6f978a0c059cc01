//! Signed playback URLs: a player fetches manifests and segments without any header, so the
//! permission travels in the URL as an HMAC-SHA256 over the key id, the item, the user, the
//! profile (0 for none), the playback session (stream) and an expiry.
//!
//! The token sits in the path (`/stream/{item}/{token}/…`) so that the relative URLs inside
//! manifests carry it to every segment without rewriting them, and a CDN can cache segments by
//! URL.
//!
//! Keys rotate without cutting anyone off: the keyring (`DATA/playback-keys`, one `id hex
//! retired-at` line per key) signs with its newest key and still accepts an older one until the
//! last URL it signed has expired.

use std::path::{Path, PathBuf};
use std::sync::RwLock;

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// How long a playback URL stays valid.
pub const PLAYBACK_TTL_SECS: i64 = 6 * 3600;

#[derive(Debug, Clone, PartialEq, Eq)]
struct Key {
    id: u32,
    secret: [u8; 32],
    /// When a newer key replaced it; it verifies until `retired_at + PLAYBACK_TTL_SECS`.
    retired_at: Option<i64>,
}

pub struct Signer {
    /// Newest first.
    keys: RwLock<Vec<Key>>,
    /// Where the keyring is kept; `None` for a signer that lives in memory only (tests).
    path: Option<PathBuf>,
}

/// Who a playback link was issued to: the user, the profile (0: the account itself) and the
/// playback session it belongs to (see `streams`), which its requests keep alive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Viewer {
    pub user: i64,
    pub profile: i64,
    pub stream: i64,
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

fn random_secret() -> [u8; 32] {
    let mut key = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut key);
    key
}

fn invalid(path: &Path, why: &str) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!(
            "{}: {why}; delete it to make a new key (playback links in use stop working)",
            path.display()
        ),
    )
}

impl Signer {
    /// A signer with one key, kept in memory.
    pub fn new(secret: [u8; 32]) -> Signer {
        Signer {
            keys: RwLock::new(vec![Key {
                id: 1,
                secret,
                retired_at: None,
            }]),
            path: None,
        }
    }

    /// Reads the keyring from `path`, creating it (mode 0600) with one key on first use.
    pub fn load_or_create(path: &Path) -> std::io::Result<Signer> {
        let keys = match std::fs::read_to_string(path) {
            Ok(text) => parse_keyring(path, &text)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let keys = vec![Key {
                    id: 1,
                    secret: random_secret(),
                    retired_at: None,
                }];
                write_keyring(path, &keys)?;
                keys
            }
            Err(e) => return Err(e),
        };
        Ok(Signer {
            keys: RwLock::new(keys),
            path: Some(path.to_path_buf()),
        })
    }

    /// Makes a new signing key; the previous ones keep verifying the links they signed until
    /// those expire, then are forgotten. Answers the new key's id.
    pub fn rotate(&self, now: i64) -> std::io::Result<u32> {
        let mut keys = self
            .keys
            .write()
            .map_err(|_| std::io::Error::other("the keyring lock is poisoned"))?;
        let mut next = keys.clone();
        for k in &mut next {
            k.retired_at.get_or_insert(now);
        }
        next.retain(|k| k.retired_at.is_none_or(|r| r + PLAYBACK_TTL_SECS > now));
        let id = keys
            .iter()
            .map(|k| k.id)
            .max()
            .unwrap_or(0)
            .saturating_add(1);
        next.insert(
            0,
            Key {
                id,
                secret: random_secret(),
                retired_at: None,
            },
        );
        if let Some(path) = &self.path {
            write_keyring(path, &next)?;
        }
        *keys = next;
        Ok(id)
    }

    fn mac(
        secret: &[u8; 32],
        key_id: u32,
        item_id: i64,
        viewer: Viewer,
        expires: i64,
    ) -> HmacSha256 {
        // new_from_slice accepts any key length for HMAC; 32 bytes never fails.
        let mut mac = HmacSha256::new_from_slice(secret).unwrap_or_else(|_| unreachable!());
        let Viewer {
            user,
            profile,
            stream,
        } = viewer;
        mac.update(
            format!("play:{key_id}:{item_id}:{user}:{profile}:{stream}:{expires}").as_bytes(),
        );
        mac
    }

    /// `{key}-{user}-{profile}-{stream}-{expires}-{mac}`: URL-safe, no padding.
    pub fn sign(&self, item_id: i64, viewer: Viewer, expires: i64) -> String {
        let keys = self.keys.read().unwrap_or_else(|p| p.into_inner());
        let Some(key) = keys.first() else {
            return String::new();
        };
        let tag = Self::mac(&key.secret, key.id, item_id, viewer, expires)
            .finalize()
            .into_bytes();
        format!(
            "{}-{}-{}-{}-{expires}-{}",
            key.id,
            viewer.user,
            viewer.profile,
            viewer.stream,
            hex::encode(&tag[..16])
        )
    }

    /// Who a token was issued to, if it is genuine, unexpired and for this item.
    pub fn verify(&self, item_id: i64, token: &str, now: i64) -> Result<Viewer, TokenError> {
        let mut parts = token.splitn(6, '-');
        let (Some(key_id), Some(user), Some(profile), Some(stream), Some(expires), Some(tag)) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(TokenError::Malformed);
        };
        let key_id: u32 = key_id.parse().map_err(|_| TokenError::Malformed)?;
        let user: i64 = user.parse().map_err(|_| TokenError::Malformed)?;
        let profile: i64 = profile.parse().map_err(|_| TokenError::Malformed)?;
        let stream: i64 = stream.parse().map_err(|_| TokenError::Malformed)?;
        let viewer = Viewer {
            user,
            profile,
            stream,
        };
        let expires: i64 = expires.parse().map_err(|_| TokenError::Malformed)?;
        // One spelling per token: `hex` would also take upper case, and a token
        // that can be respelled makes a second cache key for the same grant.
        if tag.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(TokenError::Malformed);
        }
        let tag = hex::decode(tag).map_err(|_| TokenError::Malformed)?;
        if tag.len() != 16 {
            return Err(TokenError::Malformed);
        }
        let keys = self.keys.read().unwrap_or_else(|p| p.into_inner());
        // A key that is gone (rotated out long ago) cannot vouch for anything.
        let key = keys
            .iter()
            .find(|k| k.id == key_id)
            .ok_or(TokenError::Forged)?;
        // Constant-time comparison of the truncated tag.
        Self::mac(&key.secret, key.id, item_id, viewer, expires)
            .verify_truncated_left(&tag)
            .map_err(|_| TokenError::Forged)?;
        if expires <= now {
            return Err(TokenError::Expired);
        }
        Ok(viewer)
    }
}

/// `id hex [retired-at]` per line, newest first.
fn parse_keyring(path: &Path, text: &str) -> std::io::Result<Vec<Key>> {
    let mut keys = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let mut f = line.split_whitespace();
        let id: u32 = f
            .next()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| invalid(path, "a key line has no id"))?;
        let bytes = f
            .next()
            .and_then(|s| hex::decode(s).ok())
            .filter(|b| b.len() == 32)
            .ok_or_else(|| invalid(path, "a key is not 32 bytes of hex"))?;
        let mut secret = [0u8; 32];
        secret.copy_from_slice(&bytes);
        let retired_at = f.next().and_then(|s| s.parse().ok());
        keys.push(Key {
            id,
            secret,
            retired_at,
        });
    }
    if keys.is_empty() {
        return Err(invalid(path, "the keyring holds no key"));
    }
    Ok(keys)
}

/// Writes the keyring atomically, readable by the owner only.
fn write_keyring(path: &Path, keys: &[Key]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut text = String::new();
    for k in keys {
        text.push_str(&format!("{} {}", k.id, hex::encode(k.secret)));
        if let Some(r) = k.retired_at {
            text.push_str(&format!(" {r}"));
        }
        text.push('\n');
    }
    let tmp = path.with_extension("tmp");
    {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALICE: Viewer = Viewer {
        user: 3,
        profile: 0,
        stream: 77,
    };

    #[test]
    fn tokens_bind_item_user_profile_and_expiry() {
        let s = Signer::new([7; 32]);
        let t = s.sign(42, ALICE, 1000);
        assert_eq!(s.verify(42, &t, 999), Ok(ALICE));
        assert_eq!(s.verify(42, &t, 1000), Err(TokenError::Expired));
        assert_eq!(s.verify(43, &t, 10), Err(TokenError::Forged));
        let other_key = Signer::new([8; 32]);
        assert_eq!(other_key.verify(42, &t, 10), Err(TokenError::Forged));
        // Changing the user, the profile, the stream or the expiry breaks the MAC.
        for forged in [
            t.replacen("-3-", "-4-", 1),
            t.replacen("-3-0-", "-3-7-", 1),
            t.replacen("-0-77-", "-0-78-", 1),
        ] {
            assert_eq!(
                s.verify(42, &forged, 10),
                Err(TokenError::Forged),
                "{forged}"
            );
        }
        let kids = Viewer {
            user: 3,
            profile: 9,
            stream: 1,
        };
        assert_eq!(s.verify(42, &s.sign(42, kids, 1000), 10), Ok(kids));
        // The same tag in upper case is another spelling, and refused.
        let (head, tag) = t.rsplit_once('-').unwrap();
        let shouted = format!("{head}-{}", tag.to_ascii_uppercase());
        assert_ne!(shouted, t, "the tag has a letter");
        assert_eq!(s.verify(42, &shouted, 10), Err(TokenError::Malformed));
        for bad in [
            "",
            "x",
            "1-2",
            "1-2-3",
            "1-2-3-4",
            "1-2-3-4-zz",
            "a-b-c-d-00",
            "1-2-3-4-00",
            "1-2-3-4-5-00",
            "1-2-3-x-5-00",
        ] {
            assert_eq!(s.verify(42, bad, 10), Err(TokenError::Malformed), "{bad}");
        }
    }

    #[test]
    fn rotation_keeps_current_viewers_until_their_links_expire() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("playback-keys");
        let s = Signer::load_or_create(&path).unwrap();
        let now = 1_000_000;
        let old = s.sign(5, ALICE, now + PLAYBACK_TTL_SECS);
        assert_eq!(s.rotate(now).unwrap(), 2);
        let new = s.sign(5, ALICE, now + PLAYBACK_TTL_SECS);
        assert!(new.starts_with("2-"), "{new}");
        // Both verify, also after a restart (the keyring is on disk).
        let reloaded = Signer::load_or_create(&path).unwrap();
        for signer in [&s, &reloaded] {
            assert_eq!(signer.verify(5, &old, now + 10), Ok(ALICE));
            assert_eq!(signer.verify(5, &new, now + 10), Ok(ALICE));
        }
        // Once every link the old key signed has expired, the next rotation forgets it.
        let later = now + PLAYBACK_TTL_SECS + 1;
        assert_eq!(s.rotate(later).unwrap(), 3);
        assert_eq!(s.verify(5, &old, now + 10), Err(TokenError::Forged));
        assert_eq!(s.verify(5, &new, now + 10), Ok(ALICE));
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 2, "{text}");
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn a_damaged_keyring_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("playback-keys");
        for bad in ["", "x y", "1 abcd", "1 zz"] {
            std::fs::write(&path, bad).unwrap();
            assert!(Signer::load_or_create(&path).is_err(), "{bad:?}");
        }
    }
}
