//! Transcoded playback: what each client gets (`?caps=` / `?client=` on the playback info), the
//! per-client master playlist under `/stream/{id}/{token}/p/{choice}/`, and transcoded
//! renditions under `t/{track}/{rendition}/`, made just in time by `marquee-transcode`.

use std::sync::Arc;

use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use marquee_media::{Container, TrackKind};
use marquee_transcode::burn::{parse_rendition_name, BurnIn};
use marquee_transcode::decide::{parse_choice, Rendition};
use marquee_transcode::manifest::{dash_mpd_for, hls_master_for, rendition_playlist};
use marquee_transcode::{
    ClientCaps, Decision, ServerAbility, Title, TrackSpec, TranscodeError, Transcoder,
};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::body::{SliceBody, DASH, HLS};
use crate::error::{ApiError, ApiResult};
use crate::packaging::Packaged;
use crate::AppState;

/// What the client decodes.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct ClientQuery {
    /// Comma-separated codec strings the client found playable with
    /// `MediaSource.isTypeSupported` (`avc1.640028,mp4a.40.2,opus`) or short names
    /// (`h264,aac`). Wins over `client`.
    pub caps: Option<String>,
    /// A built-in profile: `chromium` (the default), `firefox`, `safari` or `tv`.
    pub client: Option<String>,
}

impl ClientQuery {
    pub fn caps(&self) -> Result<ClientCaps, ApiError> {
        let caps = match (&self.caps, &self.client) {
            (Some(list), _) => ClientCaps::parse_list(list),
            (None, Some(name)) => ClientCaps::profile(name),
            (None, None) => Ok(ClientCaps::default_profile()),
        };
        caps.map_err(|e| ApiError::bad_request(e.to_string()))
    }
}

/// The server's transcoder.
fn ability(t: &Transcoder) -> ServerAbility {
    ServerAbility {
        ffmpeg: t.ffmpeg().is_ok(),
        max_transcode_height: t.config.max_height,
    }
}

/// Decides what the client gets of `packaged`; `max_height` is a viewer's quality cap.
pub fn decision(
    state: &AppState,
    packaged: &Packaged,
    caps: &ClientCaps,
    max_height: Option<u32>,
) -> Decision {
    // Browsers read MP4 files as they are; Matroska only through MSE.
    let direct_container = matches!(packaged.index.container, Container::Mp4);
    marquee_transcode::decide(
        &packaged.index,
        caps,
        ability(&state.transcoder),
        max_height,
        direct_container,
    )
}

/// Answers `p/…` and `t/…` under a stream URL; `None` for any other path.
pub async fn stream(
    state: &AppState,
    packaged: &Arc<Packaged>,
    rest: &str,
    method: &Method,
    headers: &HeaderMap,
    subtitles: impl std::future::Future<Output = Vec<marquee_media::SubtitleRendition>>,
) -> Option<ApiResult<Response>> {
    let not_found = || ApiError::not_found(format!("no such stream file: {rest}"));
    if let Some(after) = rest.strip_prefix("p/") {
        // p/{choice}/master.m3u8 or manifest.mpd; anything else under p/{choice}/ is the same
        // file as without it.
        let (choice, inner) = after.split_once('/')?;
        if inner != "master.m3u8" && inner != "manifest.mpd" {
            return None;
        }
        let Some(chosen) = parse_choice(choice) else {
            return Some(Err(ApiError::bad_request(format!(
                "malformed rendition choice {choice:?}"
            ))));
        };
        if chosen.iter().any(|c| c.rendition.is_some()) {
            if let Err(why) = state.transcoder.ffmpeg() {
                return Some(Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!("this server cannot transcode: {why}"),
                )));
            }
        }
        let subs = subtitles.await;
        let body = if inner == "master.m3u8" {
            hls_master_for(&packaged.index, &packaged.plan, &chosen, &subs).map(|m| {
                SliceBody::generated(m, &packaged.fingerprint, &format!("master-{choice}"), HLS)
            })
        } else {
            dash_mpd_for(&packaged.index, &packaged.plan, &chosen, &subs).map(|m| {
                SliceBody::generated(m, &packaged.fingerprint, &format!("mpd-{choice}"), DASH)
            })
        };
        return Some(match body {
            Some(b) => b.respond(method, headers),
            None => Err(not_found()),
        });
    }
    let after = rest.strip_prefix("t/")?;
    Some(rendition(state, packaged, after, method, headers).await)
}

/// `t/{track}/{rendition}/{playlist.m3u8 | init.mp4 | N.m4s}`; a video rendition may name an
/// image subtitle track to burn in (`h264-720+s4`).
async fn rendition(
    state: &AppState,
    packaged: &Arc<Packaged>,
    path: &str,
    method: &Method,
    headers: &HeaderMap,
) -> ApiResult<Response> {
    let not_found = || ApiError::not_found(format!("no such stream file: t/{path}"));
    let mut parts = path.splitn(3, '/');
    let (Some(track), Some(folder), Some(name)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(not_found());
    };
    let track_id: u32 = track.parse().map_err(|_| not_found())?;
    // `rendition` names the folder (and ETags): a burnt rendition's differ from the plain one's.
    let (rendition, burn) = parse_rendition_name(folder).ok_or_else(not_found)?;
    let burn = match burn {
        Some(s) => Some(BurnIn::of(&packaged.index, s).ok_or_else(not_found)?),
        None => None,
    };
    let track = packaged.index.track(track_id).ok_or_else(not_found)?;
    let fits = match (track.kind, rendition) {
        (TrackKind::Video, Rendition::H264 { height }) => {
            // Never above the source or the server's limit.
            marquee_transcode::decide::renditions(
                track.codec_config.height.max(96),
                Some(state.transcoder.config.max_height),
            )
            .contains(&Rendition::H264 { height })
        }
        (TrackKind::Audio, Rendition::AacStereo) => true,
        _ => false,
    };
    if !fits || track.samples.is_empty() {
        return Err(not_found());
    }
    if name == "playlist.m3u8" {
        return SliceBody::generated(
            rendition_playlist(&packaged.plan),
            &packaged.fingerprint,
            &format!("{track_id}-{folder}-playlist"),
            HLS,
        )
        .respond(method, headers);
    }
    let title = Arc::new(
        Title::new(&packaged.source, &packaged.fingerprint, &packaged.plan)
            .with_pictures(&packaged.index, burn),
    );
    let position = packaged
        .index
        .tracks
        .iter()
        .filter(|t| t.kind == track.kind)
        .position(|t| t.track_id == track_id)
        .unwrap_or(0);
    let spec = TrackSpec {
        track_id,
        position,
        rendition,
        source_height: track.codec_config.height,
        sample_rate: track.codec_config.sample_rate,
        burn,
    };
    let (file, tag) = if name == "init.mp4" {
        (
            state.transcoder.init(&title, spec).await,
            "init".to_string(),
        )
    } else {
        let n: usize = name
            .strip_suffix(".m4s")
            .and_then(|n| n.parse().ok())
            .ok_or_else(not_found)?;
        (
            state.transcoder.segment(&title, spec, n).await,
            n.to_string(),
        )
    };
    let file = file.map_err(|e| match e {
        TranscodeError::NoSuchSegment(_) => not_found(),
        TranscodeError::CacheFull(m) => ApiError::new(StatusCode::INSUFFICIENT_STORAGE, m),
        TranscodeError::Timeout(..) => ApiError::new(StatusCode::GATEWAY_TIMEOUT, e.to_string()),
        TranscodeError::NoFfmpeg(_) => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string())
        }
        TranscodeError::Failed(_) => ApiError::internal(e.to_string()),
    })?;
    let len = tokio::fs::metadata(&file)
        .await
        .map_err(|e| ApiError::internal(format!("the transcoded segment is gone: {e}")))?
        .len();
    let content_type = if rendition.is_video() {
        "video/mp4"
    } else {
        "audio/mp4"
    };
    let mut body = SliceBody::whole_file(
        file,
        len,
        format!("\"{}-{track_id}-{folder}-{tag}\"", packaged.fingerprint),
        content_type,
    );
    body.cache_control = "public, max-age=31536000, immutable";
    body.respond(method, headers)
}

/// The choice showing image subtitle track `subtitle` burnt in for this client, when the
/// server can transcode.
pub fn burn_in_choice(
    state: &AppState,
    packaged: &Packaged,
    decision: &Decision,
    subtitle: u32,
) -> Option<String> {
    state.transcoder.ffmpeg().ok()?;
    marquee_transcode::burn::burn_choice(
        decision,
        &packaged.index,
        subtitle,
        state.transcoder.config.max_height,
    )
}

/// Whether `rest` is a transcoded rendition (`t/{track}/{rendition}/…`) that a plan capped at
/// `cap` may play (audio, or video at or under the cap): such renditions are checked on their
/// own height rather than the source's. A video rendition above the cap is refused.
pub fn rendition_within_cap(rest: &str, cap: Option<u32>) -> ApiResult<bool> {
    let Some(rendition) = rest
        .strip_prefix("t/")
        .and_then(|r| r.split('/').nth(1))
        .and_then(Rendition::parse)
    else {
        return Ok(false);
    };
    match (rendition, cap) {
        (Rendition::H264 { height }, Some(c)) if height > c => Err(ApiError::forbidden(format!(
            "your plan plays video up to {c}p; this rendition is {height}p"
        ))),
        _ => Ok(true),
    }
}

/// Says once, at start-up, whether the server can transcode.
pub fn announce(t: &Transcoder) {
    match t.ffmpeg() {
        Ok(f) => {
            tracing::info!(
                "transcoding with {} ({}, {}); cache {} (cap {} MB)",
                f.path.display(),
                f.version,
                t.encoder().codec(),
                t.cache().root().display(),
                t.config.cache_cap >> 20
            );
            if let Some(why) = &t.encoder_fallback {
                tracing::warn!("hardware encoding is not used: {why}; encoding with libx264");
            }
        }
        Err(why) => tracing::warn!(
            "no transcoding: {why}. Titles are offered only as they can be remuxed; tracks a \
             client cannot decode are left out, and the playback info says why. Install ffmpeg \
             (with libx264) to transcode."
        ),
    }
}
