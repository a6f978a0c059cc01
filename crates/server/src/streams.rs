//! Concurrent stream limits: who is watching what right now, counted from playback sessions that
//! keep sending signs of life.
//!
//! A playback session ("stream") opens when a client asks for playback info; its id is signed
//! into the playback links. It stays active while heartbeats arrive — the explicit heartbeat
//! endpoint, or any request on its signed `/stream/…` URLs — and lapses after `timeout` seconds
//! without one. A lapsed stream comes back on its next heartbeat if the account has a free
//! screen; a stopped one never does (its links are refused until they expire).
//!
//! Kept in memory only: heartbeats arrive with every segment and must cost a lock and a hash
//! lookup, not a database write. A restart forgets the streams; players then re-register with
//! their next request (their links still carry the stream id), within the limit as always. What
//! a restart does lose is the list of stopped streams: such a stream may come back after a
//! restart, counted against the limit like any other.

use std::collections::HashMap;
use std::sync::Mutex;

use rand::Rng;
use serde::Serialize;
use utoipa::ToSchema;

/// A playback session as its owner sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ActiveStream {
    pub id: i64,
    pub item_id: i64,
    /// What is playing.
    pub title: String,
    /// The device (session name) playing it, when known.
    pub device: Option<String>,
    /// The profile watching (absent: the account itself).
    pub profile_id: Option<i64>,
    /// Unix seconds.
    pub started_at: i64,
    /// The last heartbeat (unix seconds).
    pub last_seen: i64,
}

/// What a new stream is.
#[derive(Debug, Clone)]
pub struct NewStream {
    pub user_id: i64,
    /// The sign-in session (device) asking; 0 when unknown.
    pub session_id: i64,
    pub profile_id: Option<i64>,
    pub item_id: i64,
    pub title: String,
    pub device: Option<String>,
}

/// The account already watches on as many screens as its plan allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverLimit {
    pub limit: u32,
    /// The active streams, oldest first.
    pub streams: Vec<ActiveStream>,
}

/// Why a heartbeat was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BeatError {
    /// Stopped by its owner; its links are refused.
    Stopped,
    /// Not known here (never opened, or forgotten by a restart): the caller may re-open it.
    Unknown,
    /// It had lapsed and the account has no free screen now.
    OverLimit(OverLimit),
}

#[derive(Debug, Clone)]
struct Entry {
    user_id: i64,
    session_id: i64,
    stream: ActiveStream,
    /// The limit when it was opened: a lapsed stream resumes under it without asking the store.
    limit: Option<u32>,
    stopped: bool,
    /// Order of opening (ids are random), for "oldest first".
    seq: u64,
}

/// The streams of every account. Records are kept until their links expire (`forget_after`),
/// so that a lapsed stream can resume and a stopped one stays refused.
pub struct StreamTracker {
    /// Seconds without a heartbeat after which a stream stops counting.
    timeout: i64,
    /// Seconds after its last heartbeat that a record is dropped (the playback links' lifetime).
    forget_after: i64,
    /// The limit for accounts whose plan does not set one (`None`: no limit).
    pub default_limit: Option<u32>,
    entries: Mutex<HashMap<i64, Entry>>,
    opened: std::sync::atomic::AtomicU64,
}

impl StreamTracker {
    pub fn new(timeout_secs: u64, default_limit: Option<u32>) -> StreamTracker {
        StreamTracker {
            timeout: timeout_secs.max(1) as i64,
            forget_after: crate::signing::PLAYBACK_TTL_SECS,
            default_limit,
            entries: Mutex::default(),
            opened: Default::default(),
        }
    }

    /// Seconds without a heartbeat after which a stream lapses.
    pub fn timeout_secs(&self) -> i64 {
        self.timeout
    }

    /// Registers stream `id` for `new` (the caller checked the limit under the same lock).
    fn insert(
        &self,
        map: &mut HashMap<i64, Entry>,
        id: i64,
        new: NewStream,
        limit: Option<u32>,
        now: i64,
    ) -> ActiveStream {
        let stream = ActiveStream {
            id,
            item_id: new.item_id,
            title: new.title,
            device: new.device,
            profile_id: new.profile_id,
            started_at: now,
            last_seen: now,
        };
        map.insert(
            id,
            Entry {
                user_id: new.user_id,
                session_id: new.session_id,
                stream: stream.clone(),
                limit,
                stopped: false,
                seq: self
                    .opened
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            },
        );
        stream
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, Entry>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn active(&self, e: &Entry, now: i64) -> bool {
        !e.stopped && now - e.stream.last_seen < self.timeout
    }

    /// The user's active streams, oldest first.
    fn active_of(&self, map: &HashMap<i64, Entry>, user_id: i64, now: i64) -> Vec<ActiveStream> {
        let mut list: Vec<&Entry> = map
            .values()
            .filter(|e| e.user_id == user_id && self.active(e, now))
            .collect();
        list.sort_by_key(|e| e.seq);
        list.into_iter().map(|e| e.stream.clone()).collect()
    }

    /// Renews the active stream this device already has for this item and profile, if any (a
    /// player that reloads, or the next range request of direct play, takes no second screen).
    pub fn renew(&self, new: &NewStream, now: i64) -> Option<ActiveStream> {
        if new.session_id == 0 {
            return None;
        }
        let mut map = self.lock();
        let e = map.values_mut().find(|e| {
            !e.stopped
                && e.user_id == new.user_id
                && e.session_id == new.session_id
                && e.stream.item_id == new.item_id
                && e.stream.profile_id == new.profile_id
                && now - e.stream.last_seen < self.timeout
        })?;
        e.stream.last_seen = now;
        Some(e.stream.clone())
    }

    /// Opens a stream, or renews the one this device already has for this item and profile.
    /// Refused when the user already has `limit` active streams.
    pub fn open(
        &self,
        new: NewStream,
        limit: Option<u32>,
        now: i64,
    ) -> Result<ActiveStream, OverLimit> {
        if let Some(s) = self.renew(&new, now) {
            return Ok(s);
        }
        let mut map = self.lock();
        map.retain(|_, e| now - e.stream.last_seen < self.forget_after);
        // One screen plays one title: a device that starts another title gives up the stream of
        // the one it played before, so moving on (the next episode) never counts as a second screen.
        if new.session_id != 0 {
            for e in map.values_mut().filter(|e| {
                e.user_id == new.user_id && e.session_id == new.session_id && !e.stopped
            }) {
                e.stopped = true;
            }
        }
        let active = self.active_of(&map, new.user_id, now);
        if let Some(limit) = limit {
            if active.len() >= limit as usize {
                return Err(OverLimit {
                    limit,
                    streams: active,
                });
            }
        }
        // Random ids (below 2^53, exact in JSON numbers) never repeat across restarts, so a link
        // from before a restart cannot feed another viewer's stream.
        let mut rng = rand::thread_rng();
        let id = loop {
            let id = rng.gen_range(1..(1i64 << 53));
            if !map.contains_key(&id) {
                break id;
            }
        };
        Ok(self.insert(&mut map, id, new, limit, now))
    }

    /// A sign of life from stream `id` of `user_id` playing `item_id` (a segment request or an
    /// explicit heartbeat; `item_id` is `None` when the caller does not know it). A lapsed
    /// stream resumes when a screen is free.
    pub fn beat(
        &self,
        id: i64,
        user_id: i64,
        item_id: Option<i64>,
        now: i64,
    ) -> Result<ActiveStream, BeatError> {
        let mut map = self.lock();
        let Some(e) = map.get(&id) else {
            return Err(BeatError::Unknown);
        };
        if e.user_id != user_id || item_id.is_some_and(|i| i != e.stream.item_id) {
            return Err(BeatError::Unknown);
        }
        if e.stopped {
            return Err(BeatError::Stopped);
        }
        if !self.active(e, now) {
            if let Some(limit) = e.limit {
                let active = self.active_of(&map, user_id, now);
                if active.len() >= limit as usize {
                    return Err(BeatError::OverLimit(OverLimit {
                        limit,
                        streams: active,
                    }));
                }
            }
        }
        let Some(e) = map.get_mut(&id) else {
            return Err(BeatError::Unknown);
        };
        e.stream.last_seen = now;
        Ok(e.stream.clone())
    }

    /// Re-registers a stream this tracker does not know (forgotten by a restart) under its old
    /// id, within the limit.
    pub fn resume(
        &self,
        id: i64,
        new: NewStream,
        limit: Option<u32>,
        now: i64,
    ) -> Result<ActiveStream, BeatError> {
        let mut map = self.lock();
        if map.contains_key(&id) {
            // A concurrent request registered it meanwhile: this is a heartbeat, then.
            drop(map);
            return self.beat(id, new.user_id, Some(new.item_id), now);
        }
        let active = self.active_of(&map, new.user_id, now);
        if let Some(limit) = limit {
            if active.len() >= limit as usize {
                return Err(BeatError::OverLimit(OverLimit {
                    limit,
                    streams: active,
                }));
            }
        }
        Ok(self.insert(&mut map, id, new, limit, now))
    }

    /// Stops one of the user's streams; its links are refused from now on. False when the user
    /// has no such stream.
    pub fn stop(&self, id: i64, user_id: i64) -> bool {
        let mut map = self.lock();
        match map.get_mut(&id) {
            Some(e) if e.user_id == user_id && !e.stopped => {
                e.stopped = true;
                true
            }
            _ => false,
        }
    }

    /// The user's active streams, oldest first.
    pub fn list(&self, user_id: i64, now: i64) -> Vec<ActiveStream> {
        let map = self.lock();
        self.active_of(&map, user_id, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(user: i64, session: i64, item: i64) -> NewStream {
        NewStream {
            user_id: user,
            session_id: session,
            profile_id: None,
            item_id: item,
            title: format!("item {item}"),
            device: Some(format!("device {session}")),
        }
    }

    #[test]
    fn the_limit_counts_active_streams_per_account() {
        let t = StreamTracker::new(60, None);
        let a = t.open(new(1, 10, 100), Some(2), 1000).unwrap();
        // The same device asking again for the same item keeps its stream.
        assert_eq!(t.open(new(1, 10, 100), Some(2), 1001).unwrap().id, a.id);
        let b = t.open(new(1, 11, 100), Some(2), 1002).unwrap();
        assert_ne!(a.id, b.id);
        let over = t.open(new(1, 12, 200), Some(2), 1003).unwrap_err();
        assert_eq!(over.limit, 2);
        assert_eq!(
            over.streams.iter().map(|s| s.id).collect::<Vec<_>>(),
            [a.id, b.id]
        );
        // Another account is not affected; no limit means none.
        assert!(t.open(new(2, 20, 100), Some(1), 1003).is_ok());
        assert!(t.open(new(1, 12, 200), None, 1003).is_ok());
    }

    #[test]
    fn streams_lapse_without_heartbeats_and_resume_if_a_screen_is_free() {
        let t = StreamTracker::new(60, None);
        let a = t.open(new(1, 10, 100), Some(1), 1000).unwrap();
        assert!(t.beat(a.id, 1, Some(100), 1050).is_ok());
        assert!(t.open(new(1, 11, 200), Some(1), 1100).is_err());
        // 60 s after the last heartbeat it no longer counts.
        assert!(t.list(1, 1110).is_empty());
        let b = t.open(new(1, 11, 200), Some(1), 1110).unwrap();
        // The lapsed stream cannot come back while b plays.
        match t.beat(a.id, 1, Some(100), 1111) {
            Err(BeatError::OverLimit(o)) => assert_eq!(o.streams[0].id, b.id),
            other => panic!("{other:?}"),
        }
        assert!(t.stop(b.id, 1));
        assert!(t.beat(a.id, 1, Some(100), 1112).is_ok());
        assert_eq!(t.beat(b.id, 1, Some(200), 1112), Err(BeatError::Stopped));
    }

    #[test]
    fn heartbeats_must_match_the_owner_and_item() {
        let t = StreamTracker::new(60, None);
        let a = t.open(new(1, 10, 100), Some(1), 1000).unwrap();
        assert_eq!(t.beat(a.id, 2, Some(100), 1001), Err(BeatError::Unknown));
        assert_eq!(t.beat(a.id, 1, Some(101), 1001), Err(BeatError::Unknown));
        assert!(!t.stop(a.id, 2));
        assert_eq!(t.beat(42, 1, None, 1001), Err(BeatError::Unknown));
        // A forgotten stream re-registers under its id, within the limit.
        let r = t.resume(42, new(1, 0, 300), Some(2), 1002).unwrap();
        assert_eq!(r.id, 42);
        assert!(matches!(
            t.resume(43, new(1, 0, 300), Some(2), 1002),
            Err(BeatError::OverLimit(_))
        ));
        // Records go once their links have expired.
        t.open(new(3, 30, 1), None, 1000 + PLAYBACK_TTL).unwrap();
        assert_eq!(
            t.beat(a.id, 1, None, 1000 + PLAYBACK_TTL),
            Err(BeatError::Unknown)
        );
    }

    const PLAYBACK_TTL: i64 = crate::signing::PLAYBACK_TTL_SECS;
}
