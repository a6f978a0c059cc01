//! One simulated viewer: asks for playback info, reads the master playlist, picks a variant and
//! its audio, then pulls segments as a player does — a buffer kept some seconds ahead of a
//! playback clock that runs in real time — with seeks and pauses, until told to stop.

use std::time::Duration;

use anyhow::{bail, Context, Result};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::{Client, Url};
use tokio::time::Instant;

use crate::hls::{parse_master, parse_media, MediaPlaylist};

/// What every viewer shares.
pub struct Setup {
    pub server: Url,
    pub token: String,
    pub items: Vec<i64>,
    /// The bandwidth a viewer has: it picks the richest variant under it.
    pub max_bps: u64,
    /// Seconds of media a viewer keeps fetched ahead of its playback position.
    pub buffer_ahead: f64,
    /// Mean seconds between seeks, and between pauses (exponentially distributed).
    pub seek_every: f64,
    pub pause_every: f64,
}

/// What one viewer saw.
#[derive(Debug, Default)]
pub struct ViewerReport {
    pub segments: u64,
    pub bytes: u64,
    /// Segments that arrived after the playback clock reached them.
    pub stalls: u32,
    pub stall_seconds: f64,
    pub seeks: u32,
    pub pauses: u32,
    /// Seconds from pressing play (or seeking) to the first segment in hand.
    pub startups: Vec<f64>,
    /// Seconds to fetch one segment (video and its audio together).
    pub segment_times: Vec<f64>,
    /// Seconds for `GET /api/v1/items/{id}/playback`.
    pub info_times: Vec<f64>,
    pub errors: u32,
    pub first_error: Option<String>,
}

pub async fn watch(setup: &Setup, seed: u64, until: Instant) -> ViewerReport {
    let mut report = ViewerReport::default();
    if let Err(e) = run(setup, seed, until, &mut report).await {
        report.errors += 1;
        report.first_error = Some(format!("{e:#}"));
    }
    report
}

/// Exponentially distributed delay with the given mean.
fn exp_delay(rng: &mut StdRng, mean: f64) -> Duration {
    let u: f64 = rng.gen_range(f64::EPSILON..1.0);
    Duration::from_secs_f64((-u.ln() * mean).min(1e6))
}

struct Rendition {
    url: Url,
    playlist: MediaPlaylist,
    /// Next segment to fetch.
    next: usize,
}

impl Rendition {
    async fn load(client: &Client, url: Url) -> Result<Rendition> {
        let text = get(client, url.clone(), None).await?.text().await?;
        let playlist = parse_media(&text);
        if playlist.segments.is_empty() {
            bail!("{url} lists no segment");
        }
        if let Some(init) = &playlist.init {
            fetch(client, url.join(init)?).await?;
        }
        Ok(Rendition {
            url,
            playlist,
            next: 0,
        })
    }
}

async fn get(client: &Client, url: Url, token: Option<&str>) -> Result<reqwest::Response> {
    let mut req = client.get(url.clone());
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.with_context(|| format!("GET {url}"))?;
    if !resp.status().is_success() {
        bail!("GET {url}: {}", resp.status());
    }
    Ok(resp)
}

/// Reads a whole body without keeping it; answers its length, checked against Content-Length.
async fn fetch(client: &Client, url: Url) -> Result<u64> {
    let mut resp = get(client, url.clone(), None).await?;
    let want = resp.content_length();
    let mut n = 0u64;
    while let Some(chunk) = resp.chunk().await.with_context(|| format!("GET {url}"))? {
        n += chunk.len() as u64;
    }
    if want.is_some_and(|w| w != n) {
        bail!("GET {url}: {n} bytes of {want:?}");
    }
    Ok(n)
}

async fn run(setup: &Setup, seed: u64, until: Instant, r: &mut ViewerReport) -> Result<()> {
    // Each viewer its own connections, as real players have.
    let client = Client::builder().timeout(Duration::from_secs(60)).build()?;
    let mut rng = StdRng::seed_from_u64(seed);
    let item = setup.items[rng.gen_range(0..setup.items.len())];
    let t = Instant::now();
    let info: serde_json::Value = get(
        &client,
        setup
            .server
            .join(&format!("/api/v1/items/{item}/playback"))?,
        Some(&setup.token),
    )
    .await?
    .json()
    .await?;
    r.info_times.push(t.elapsed().as_secs_f64());
    let hls = info["hls"]
        .as_str()
        .context("playback info without an hls URL")?;
    let master_url = setup.server.join(hls)?;
    let master = parse_master(&get(&client, master_url.clone(), None).await?.text().await?);
    let variant = master
        .pick(setup.max_bps)
        .with_context(|| format!("{master_url} lists no variant"))?;
    let mut video = Rendition::load(&client, master_url.join(&variant.uri)?).await?;
    let mut audio = match master.audio_for(variant).and_then(|a| a.uri.as_deref()) {
        Some(uri) => Some(Rendition::load(&client, master_url.join(uri)?).await?),
        None => None,
    };
    let total = video.playlist.total_seconds();

    let jump = |to: f64, video: &mut Rendition, audio: &mut Option<Rendition>| {
        video.next = video.playlist.index_at(to);
        let start = video.playlist.segments[video.next].start;
        if let Some(a) = audio.as_mut() {
            a.next = a.playlist.index_at(start);
        }
        start
    };
    // Viewers resume somewhere in the first 80 % of a title. Fetched up to `buffered_end`.
    let mut buffered_end = jump(rng.gen_range(0.0..total * 0.8), &mut video, &mut audio);
    // The playback clock: at media time `media_at` when `since` (None: not running).
    let mut media_at = buffered_end;
    let mut since: Option<Instant> = None;
    // Pressed play or seeked, waiting for the first segment.
    let mut waiting: Option<Instant> = Some(Instant::now());
    let mut paused_until: Option<Instant> = None;
    let mut next_seek = Instant::now() + exp_delay(&mut rng, setup.seek_every);
    let mut next_pause = Instant::now() + exp_delay(&mut rng, setup.pause_every);

    loop {
        let now = Instant::now();
        if now >= until {
            return Ok(());
        }
        let position = since.map_or(media_at, |s| media_at + (now - s).as_secs_f64());
        if waiting.is_none() && now >= next_seek {
            r.seeks += 1;
            buffered_end = jump(rng.gen_range(0.0..total), &mut video, &mut audio);
            media_at = buffered_end;
            (since, paused_until, waiting) = (None, None, Some(now));
            next_seek = now + exp_delay(&mut rng, setup.seek_every);
            continue;
        }
        if let Some(p) = paused_until {
            if now >= p {
                paused_until = None;
                since = Some(now);
            }
        } else if since.is_some() && now >= next_pause {
            r.pauses += 1;
            media_at = position;
            since = None;
            paused_until = Some(now + Duration::from_secs_f64(rng.gen_range(2.0..10.0)));
            next_pause = now + exp_delay(&mut rng, setup.pause_every);
            continue;
        }
        if video.next >= video.playlist.segments.len() && position >= total - 0.05 {
            // The end of the title: the next one starts from the beginning.
            buffered_end = jump(0.0, &mut video, &mut audio);
            media_at = buffered_end;
            (since, waiting) = (None, Some(now));
            continue;
        }
        if video.next < video.playlist.segments.len()
            && buffered_end - position < setup.buffer_ahead
        {
            let seg = video.playlist.segments[video.next].clone();
            // When the running clock reaches this segment.
            let deadline =
                since.map(|s| s + Duration::from_secs_f64((seg.start - media_at).max(0.0)));
            let started = Instant::now();
            let v = fetch(&client, video.url.join(&seg.uri)?);
            let a = async {
                let mut bytes = 0u64;
                let mut count = 0u64;
                if let Some(a) = audio.as_mut() {
                    let end = seg.start + seg.duration;
                    while let Some(s) = a.playlist.segments.get(a.next) {
                        if s.start >= end - 1e-3 {
                            break;
                        }
                        bytes += fetch(&client, a.url.join(&s.uri)?).await?;
                        count += 1;
                        a.next += 1;
                    }
                }
                anyhow::Ok((bytes, count))
            };
            let (vb, (ab, ac)) = tokio::try_join!(v, a)?;
            let arrived = Instant::now();
            r.segment_times.push((arrived - started).as_secs_f64());
            r.segments += 1 + ac;
            r.bytes += vb + ab;
            if let Some(w) = waiting.take() {
                r.startups.push((arrived - w).as_secs_f64());
                media_at = seg.start;
                since = Some(arrived);
            } else if let Some(d) = deadline.filter(|d| arrived > *d) {
                // Playback reached the segment before it was here: it stopped at `d` and
                // starts again now.
                r.stalls += 1;
                r.stall_seconds += (arrived - d).as_secs_f64();
                media_at = seg.start;
                since = Some(arrived);
            }
            buffered_end = seg.start + seg.duration;
            video.next += 1;
            continue;
        }
        // Nothing to fetch: wait until the buffer drains to its target, or the next event.
        let mut wake = until.min(next_seek);
        if let Some(p) = paused_until {
            wake = wake.min(p);
        }
        if let Some(s) = since {
            wake = wake.min(next_pause);
            let drain = (buffered_end - setup.buffer_ahead - media_at).max(0.0);
            wake = wake.min(s + Duration::from_secs_f64(drain));
            let end = (total - media_at).max(0.0);
            wake = wake.min(s + Duration::from_secs_f64(end));
        }
        tokio::time::sleep_until(wake.max(now + Duration::from_millis(20))).await;
    }
}
