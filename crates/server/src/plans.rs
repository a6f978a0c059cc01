//! Entitlements at request time: each user's entitlement and which items a plan unlocks, cached
//! in memory so that the signed `/stream/…` path can re-check them on every segment for the
//! price of a hash lookup; the quality cap; the billing webhook's signature.
//!
//! Every change made through this server (a grant, a webhook event, a plan edit) evicts what it
//! affects at once; expiries need no eviction because an entitlement carries the moment it stops
//! holding (`valid_until`) and is reloaded after it. Entries also age out after
//! [`ENTITLEMENT_TTL`], in case another process changed the database.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use marquee_store::{Entitlement, Store, StoreError, Titles};
use sha2::Sha256;

/// How long a cached entitlement is trusted without asking the database.
pub const ENTITLEMENT_TTL: Duration = Duration::from_secs(30);
/// How far a webhook's timestamp may be from our clock.
pub const WEBHOOK_TOLERANCE_SECS: i64 = 300;
/// Access after a failed payment, unless configured: 3 days.
pub const DEFAULT_GRACE_SECS: i64 = 3 * 24 * 3600;

/// What listings do with titles the viewer's plan does not unlock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LockedTitles {
    /// Listed, marked `locked` with the reason and the plans that unlock them.
    #[default]
    Show,
    /// Left out of listings, search and people, and 404 on detail (a series with a free episode
    /// still shows).
    Hide,
}

impl std::str::FromStr for LockedTitles {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "show" => Ok(LockedTitles::Show),
            "hide" => Ok(LockedTitles::Hide),
            other => Err(format!("locked titles must be show or hide, not {other:?}")),
        }
    }
}

/// Plans configuration and the caches.
pub struct Plans {
    pub locked_titles: LockedTitles,
    /// The payment provider's signing secret; `None`: the webhook is off.
    pub webhook_secret: Option<String>,
    /// Access after a failed payment, in seconds.
    pub grace_secs: i64,
    entitlements: Mutex<HashMap<i64, (Instant, Arc<Entitlement>)>>,
    /// Whether a plan's titles include an item, at a catalog generation.
    unlocked: Mutex<HashMap<(Titles, i64), (u64, bool)>>,
}

impl Default for Plans {
    fn default() -> Plans {
        Plans::new(LockedTitles::Show, None, DEFAULT_GRACE_SECS)
    }
}

impl Plans {
    pub fn new(
        locked_titles: LockedTitles,
        webhook_secret: Option<String>,
        grace_secs: i64,
    ) -> Plans {
        Plans {
            locked_titles,
            webhook_secret: webhook_secret.filter(|s| !s.is_empty()),
            grace_secs,
            entitlements: Mutex::default(),
            unlocked: Mutex::default(),
        }
    }

    pub fn hide_locked(&self) -> bool {
        self.locked_titles == LockedTitles::Hide
    }

    /// What a user may do now.
    pub async fn entitlement(
        &self,
        store: &Store,
        user_id: i64,
    ) -> Result<Arc<Entitlement>, StoreError> {
        let now = crate::unix_now();
        if let Ok(cache) = self.entitlements.lock() {
            if let Some((at, e)) = cache.get(&user_id) {
                if at.elapsed() < ENTITLEMENT_TTL && e.valid_until.is_none_or(|t| now < t) {
                    return Ok(e.clone());
                }
            }
        }
        let e = Arc::new(store.entitlement_at(user_id, now).await?);
        if let Ok(mut cache) = self.entitlements.lock() {
            if cache.len() > 50_000 {
                cache.retain(|_, (at, _)| at.elapsed() < ENTITLEMENT_TTL);
            }
            cache.insert(user_id, (Instant::now(), e.clone()));
        }
        Ok(e)
    }

    /// Forgets one user's entitlement (their subscription changed), or everyone's (a plan did).
    pub fn forget(&self, user_id: Option<i64>) {
        if let Ok(mut cache) = self.entitlements.lock() {
            match user_id {
                Some(id) => {
                    cache.remove(&id);
                }
                None => cache.clear(),
            }
        }
    }

    /// Whether `titles` may play item `item_id` (cached until the catalog or a plan changes).
    pub async fn unlocked(
        &self,
        store: &Store,
        titles: Titles,
        item_id: i64,
    ) -> Result<bool, StoreError> {
        if titles == Titles::All {
            return Ok(true);
        }
        let generation = store.generation();
        let key = (titles, item_id);
        let hit = self.unlocked.lock().ok().and_then(|c| c.get(&key).copied());
        if let Some((g, open)) = hit {
            if g == generation {
                return Ok(open);
            }
        }
        let open = store.item_unlocked(item_id, titles).await?;
        if let Ok(mut cache) = self.unlocked.lock() {
            if cache.len() > 100_000 {
                cache.clear();
            }
            cache.insert(key, (generation, open));
        }
        Ok(open)
    }
}

/// A quality cap that no rendition of a title fits under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverQualityCap {
    pub cap: u32,
    /// The lowest height the title has.
    pub lowest: u32,
}

impl std::fmt::Display for OverQualityCap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "your plan plays video up to {}p, and this title is only available at {}p",
            self.cap, self.lowest
        )
    }
}

/// The renditions a plan capped at `cap` (a video height; `None`: no cap) may be offered: those at
/// or under the cap, in their order. Fails, naming the cap, when there are renditions and none
/// fits. The one rule for playback info, manifests and every stream request.
pub fn within_quality_cap<T>(
    renditions: Vec<T>,
    height: impl Fn(&T) -> u32,
    cap: Option<u32>,
) -> Result<Vec<T>, OverQualityCap> {
    let Some(cap) = cap else {
        return Ok(renditions);
    };
    let lowest = renditions.iter().map(&height).min();
    let fitting: Vec<T> = renditions
        .into_iter()
        .filter(|r| height(r) <= cap)
        .collect();
    match lowest {
        Some(lowest) if fitting.is_empty() => Err(OverQualityCap { cap, lowest }),
        _ => Ok(fitting),
    }
}

/// Why a webhook's signature was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum SignatureError {
    Missing,
    Malformed,
    Stale { age: i64 },
    Mismatch,
}

impl std::fmt::Display for SignatureError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SignatureError::Missing => f.write_str("the Marquee-Signature header is missing"),
            SignatureError::Malformed => f.write_str(
                "the Marquee-Signature header is malformed: expected t=<unix seconds>,v1=<hex HMAC-SHA256>",
            ),
            SignatureError::Stale { age } => write!(
                f,
                "the signature's timestamp is {age} s from the server's clock (at most {WEBHOOK_TOLERANCE_SECS} s): a replay, or a clock out of step"
            ),
            SignatureError::Mismatch => f.write_str(
                "the signature does not match: HMAC-SHA256 of \"{t}.{body}\" under the webhook secret",
            ),
        }
    }
}

/// Checks a `Marquee-Signature: t=…,v1=…` header as Stripe signs: HMAC-SHA256 of `"{t}.{body}"`
/// in hex, any one `v1` matching (providers send several while rotating secrets), compared in
/// constant time, with `t` within [`WEBHOOK_TOLERANCE_SECS`] of `now`.
pub fn verify_webhook(
    secret: &str,
    header: Option<&str>,
    body: &[u8],
    now: i64,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => {
                timestamp = Some((t, t.parse::<i64>().map_err(|_| SignatureError::Malformed)?))
            }
            Some(("v1", sig)) => {
                signatures.push(hex::decode(sig).map_err(|_| SignatureError::Malformed)?)
            }
            Some(_) => {}
            None => return Err(SignatureError::Malformed),
        }
    }
    // The MAC covers the timestamp as sent.
    let (t_sent, t) = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    let age = now.saturating_sub(t);
    if age.abs() > WEBHOOK_TOLERANCE_SECS {
        return Err(SignatureError::Stale { age });
    }
    let mac = || {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(t_sent.as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    };
    // `verify_slice` compares in constant time.
    if signatures.iter().any(|s| mac().verify_slice(s).is_ok()) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// A `Marquee-Signature` header for `body` at `t` (for tests and for providers' documentation).
pub fn sign_webhook(secret: &str, t: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_signatures_as_stripe_makes_them() {
        let body = br#"{"id":"evt_1"}"#;
        let header = sign_webhook("whsec", 1000, body);
        assert_eq!(verify_webhook("whsec", Some(&header), body, 1000), Ok(()));
        assert_eq!(verify_webhook("whsec", Some(&header), body, 1300), Ok(()));
        assert_eq!(
            verify_webhook("whsec", Some(&header), body, 1301),
            Err(SignatureError::Stale { age: 301 })
        );
        assert_eq!(
            verify_webhook("other", Some(&header), body, 1000),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_webhook("whsec", Some(&header), br#"{"id":"evt_2"}"#, 1000),
            Err(SignatureError::Mismatch)
        );
        // Moving the timestamp breaks the signature.
        let moved = header.replace("t=1000", "t=1001");
        assert_eq!(
            verify_webhook("whsec", Some(&moved), body, 1000),
            Err(SignatureError::Mismatch)
        );
        // One good v1 among several is enough (secret rotation).
        let v1 = header.split("v1=").nth(1).unwrap();
        let two = format!("t=1000,v1={},v1={v1}", "00".repeat(32));
        assert_eq!(verify_webhook("whsec", Some(&two), body, 1000), Ok(()));
        for bad in [
            "",
            "t=1000",
            "v1=00",
            "t=x,v1=00",
            "t=1000,v1=zz",
            "garbage",
        ] {
            assert_eq!(
                verify_webhook("whsec", Some(bad), body, 1000),
                Err(SignatureError::Malformed),
                "{bad}"
            );
        }
        assert_eq!(
            verify_webhook("whsec", None, body, 1000),
            Err(SignatureError::Missing)
        );
    }

    #[test]
    fn the_quality_cap_keeps_what_fits_and_names_itself_when_nothing_does() {
        let h = |x: &u32| *x;
        assert_eq!(
            within_quality_cap(vec![1080, 720, 480], h, Some(720)),
            Ok(vec![720, 480])
        );
        assert_eq!(within_quality_cap(vec![1080], h, None), Ok(vec![1080]));
        let over = within_quality_cap(vec![2160, 1080], h, Some(720)).unwrap_err();
        assert_eq!(
            over,
            OverQualityCap {
                cap: 720,
                lowest: 1080
            }
        );
        assert!(over.to_string().contains("up to 720p"), "{over}");
        // Nothing to cap (an audio-only title) is not an error.
        assert_eq!(
            within_quality_cap(Vec::<u32>::new(), h, Some(720)),
            Ok(vec![])
        );
        assert_eq!("HIDE".parse::<LockedTitles>(), Ok(LockedTitles::Hide));
        assert!("maybe".parse::<LockedTitles>().is_err());
    }
}
