//! Playback: playback info with signed URLs; HLS, DASH and a progressive MP4 made on the fly from
//! the original file; the original file itself with full HTTP range semantics (direct play and
//! downloads).

use std::path::Path as FsPath;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, Version};
use axum::response::Response;
use axum::Json;
use marquee_catalog::subtitles::{subtitle_sources, SubtitleOrigin, SubtitleSource};
use marquee_media::{manifest, ProgressiveMp4, TrackKind};
use marquee_store::PlayableFile;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::streams::PlayResult;
use crate::auth::AuthUser;
use crate::body::{LazySlices, SliceBody, Slices, DASH, HLS};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::packaging::Packaged;
use crate::signing::PLAYBACK_TTL_SECS;
use crate::AppState;

type IdPath = Result<Path<i64>, axum::extract::rejection::PathRejection>;

#[derive(Debug, Deserialize, IntoParams)]
pub struct DirectQuery {
    /// `true` to ask the browser to save the file (Content-Disposition: attachment).
    #[serde(default)]
    pub download: bool,
}

fn content_type(path: &FsPath) -> &'static str {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase())
        .as_deref()
    {
        Some("mp4") | Some("m4v") => "video/mp4",
        Some("mov") => "video/quicktime",
        Some("mkv") => "video/x-matroska",
        Some("webm") => "video/webm",
        Some("avi") => "video/x-msvideo",
        Some("ts") | Some("m2ts") => "video/mp2t",
        _ => "application/octet-stream",
    }
}

/// The item's file, checked to be present and inside a media root.
async fn playable(state: &AppState, item_id: i64) -> ApiResult<(PlayableFile, std::path::PathBuf)> {
    let file = state
        .store
        .playable_file(item_id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("item {item_id} has no playable file")))?;
    match file.status.as_str() {
        "missing" => {
            return Err(ApiError::not_found(format!(
                "the file of item {item_id} is missing from its media folder"
            )))
        }
        "failed" => {
            return Err(ApiError::new(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                format!(
                    "the file of item {item_id} cannot be played: {}",
                    file.error.as_deref().unwrap_or("it could not be read")
                ),
            ))
        }
        _ => {}
    }
    // Only files inside a media root are ever served, whatever the database says.
    let real = state.inside_media_roots(&file.path).ok_or_else(|| {
        ApiError::not_found(format!(
            "the file of item {item_id} cannot be opened: it is gone"
        ))
    })?;
    Ok((file, real))
}

async fn direct_response(
    state: &AppState,
    item_id: i64,
    download: bool,
    method: &Method,
    headers: &HeaderMap,
    version: Version,
) -> ApiResult<Response> {
    let (_, real) = playable(state, item_id).await?;
    let md = tokio::fs::metadata(&real).await.map_err(|e| {
        ApiError::not_found(format!("the file of item {item_id} cannot be opened: {e}"))
    })?;
    let mtime = md
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let etag = format!("\"{:x}-{mtime:x}\"", md.len());
    let mut body = SliceBody::whole_file(real.clone(), md.len(), etag, content_type(&real));
    if download {
        let name = real
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "video".into());
        body.extra.extend(attachment(&name));
    }
    body.respond_over(method, headers, version)
}

/// `Content-Disposition: attachment` for a file called `name`: a plain ASCII `filename` and, when
/// the name is not plain ASCII, the exact name as `filename*` (RFC 6266).
fn attachment(name: &str) -> Option<(header::HeaderName, HeaderValue)> {
    let plain: String = name
        .chars()
        .map(|c| match c {
            '"' | '\\' => '_',
            c if c == ' ' || c.is_ascii_graphic() => c,
            _ => '_',
        })
        .collect();
    let mut value = format!("attachment; filename=\"{plain}\"");
    if plain != name {
        value.push_str("; filename*=UTF-8''");
        for b in name.bytes() {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                value.push(char::from(b));
            } else {
                value.push_str(&format!("%{b:02X}"));
            }
        }
    }
    let value = HeaderValue::from_str(&value).ok()?;
    Some((header::CONTENT_DISPOSITION, value))
}

/// The progressive MP4 as a response body: the slices of each requested range are made from the
/// cached index as they are sent, never listed in full (one per frame for a Matroska source).
struct ProgressiveBody {
    packaged: Arc<Packaged>,
    mp4: Arc<ProgressiveMp4>,
}

impl LazySlices for ProgressiveBody {
    fn byte_len(&self) -> u64 {
        self.mp4.len()
    }

    fn range(
        self: Arc<Self>,
        start: u64,
        end: u64,
    ) -> Box<dyn Iterator<Item = marquee_media::Slice> + Send> {
        let mut cursor = self.mp4.cursor(&self.packaged.index, start, end);
        Box::new(std::iter::from_fn(move || {
            cursor.next_slice(&self.mp4, &self.packaged.index)
        }))
    }
}

/// `/stream/{item}/{token}/file.mp4`: the progressive MP4 (see `PlaybackInfo::progressive`).
async fn progressive_response(
    packaged: Arc<Packaged>,
    real: &FsPath,
    download: bool,
    method: &Method,
    headers: &HeaderMap,
) -> ApiResult<Response> {
    let mp4 = packaged.progressive().await.map_err(ApiError::not_found)?;
    let mut body = SliceBody {
        source: real.to_path_buf(),
        etag: format!(
            "\"{}-progressive-{}\"",
            packaged.fingerprint,
            marquee_media::progressive::FORMAT_VERSION
        ),
        slices: Slices::Lazy(Arc::new(ProgressiveBody { packaged, mp4 })),
        content_type: "video/mp4",
        cache_control: "private, max-age=3600",
        extra: Vec::new(),
    };
    if download {
        let stem = real
            .file_stem()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "video".into());
        body.extra.extend(attachment(&format!("{stem}.mp4")));
    }
    body.respond(method, headers)
}

/// The original file of a playable item, with Range, If-Range, If-None-Match and HEAD.
#[utoipa::path(get, path = "/api/v1/items/{id}/direct", tag = "playback", security(("bearer" = [])),
    params(("id" = i64, Path, description = "item id"), DirectQuery),
    responses((status = 200, description = "the whole file"), (status = 206, description = "the requested range"),
        (status = 304), (status = 404, body = ErrorBody), (status = 416, description = "no byte of the range exists"),
        (status = 409, body = super::streams::TooManyStreams, description = "every screen of the plan is taken")))]
pub async fn direct(
    State(state): State<AppState>,
    user: AuthUser,
    method: Method,
    version: Version,
    headers: HeaderMap,
    p: IdPath,
    q: Result<Query<DirectQuery>, axum::extract::rejection::QueryRejection>,
) -> PlayResult<Response> {
    let Path(item_id) =
        p.map_err(|_| ApiError::bad_request("the id in the path must be a whole number"))?;
    let Query(q) =
        q.map_err(|e| ApiError::bad_request(format!("bad query string: {}", e.body_text())))?;
    super::catalog::check_playable(&state, &user, item_id).await?;
    check_download(&user.entitlement, q.download)?;
    if user.entitlement.max_height.is_some() {
        let (file, real) = playable(&state, item_id).await?;
        let packaged = package(&state, &file, &real).await?;
        check_quality_cap(&packaged, user.entitlement.max_height)?;
    }
    // Direct play is a stream too: each request renews this device's stream of the item.
    super::streams::open(&state, &user, item_id).await?;
    Ok(direct_response(&state, item_id, q.download, &method, &headers, version).await?)
}

/// A 403 for a download the plan does not allow.
fn check_download(entitlement: &marquee_store::Entitlement, download: bool) -> ApiResult<()> {
    if download && !entitlement.downloads {
        return Err(ApiError::forbidden(match entitlement.plan_name() {
            Some(plan) => format!("your plan ({plan}) does not allow downloads"),
            None => "downloads need a plan that allows them".to_string(),
        }));
    }
    Ok(())
}

/// A 403 naming the plan's quality cap when the file's video is above it: the one rule
/// (`plans::within_quality_cap`) for playback info, manifests, segments and files.
fn check_quality_cap(packaged: &Packaged, cap: Option<u32>) -> ApiResult<()> {
    let video: Vec<u32> = packaged
        .index
        .video()
        .map(|t| t.codec_config.height)
        .into_iter()
        .collect();
    crate::plans::within_quality_cap(video, |h| *h, cap)
        .map(|_| ())
        .map_err(|e| ApiError::forbidden(e.to_string()))
}

/// A track as playback sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlaybackTrack {
    pub id: u32,
    /// video, audio, subtitle or other.
    pub kind: String,
    pub codec: String,
    /// RFC 6381, as in the manifests.
    pub codec_string: Option<String>,
    pub language: Option<String>,
    pub name: Option<String>,
    pub default: bool,
    /// Whether the stream carries it (false: the reason is in `note`).
    pub streamed: bool,
    /// Whether common browsers (Chromium, Firefox) decode it through MSE.
    pub browser_playable: bool,
    /// Why it is not streamed or not playable in a browser.
    pub note: Option<String>,
    /// For this client: `direct` (the original file plays as it is), `remux` (streamed as it
    /// is, repackaged), `transcode` (re-encoded by ffmpeg) or `unavailable` (left out); video and
    /// audio tracks only.
    #[schema(nullable = false)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery: Option<String>,
    /// The rendition a transcode makes (`h264-720`, `aac`).
    #[schema(nullable = false)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rendition: Option<String>,
    /// Why `delivery` is what it is.
    #[schema(nullable = false)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A subtitle track: text ones as WebVTT (`url`), image ones listed with the reason they cannot
/// be shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlaybackSubtitle {
    /// BCP 47 (`en`, `pt-BR`).
    pub language: Option<String>,
    pub label: String,
    /// The whole track as WebVTT; absent when it cannot be shown.
    pub url: Option<String>,
    /// `embedded` (a track of the file) or `sidecar` (a file next to it).
    pub source: String,
    /// Shows only foreign-language parts; players turn it on with the matching audio.
    pub forced: bool,
    /// Shown without the viewer asking.
    pub default: bool,
    /// For the deaf and hard of hearing (SDH).
    pub hearing_impaired: bool,
    /// Why it cannot be shown, when it cannot.
    pub note: Option<String>,
    /// Image subtitles (PGS, VobSub): manifests for this client with the subtitle burnt into
    /// the video (transcoded just in time, at several levels on the same segment plan). Absent
    /// for text subtitles and when the server cannot transcode.
    #[schema(nullable = false)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub burn_in: Option<BurnInUrls>,
}

/// The manifests of one burnt-in subtitle choice.
#[derive(Debug, Serialize, ToSchema)]
pub struct BurnInUrls {
    pub hls: String,
    pub dash: String,
}

/// Where and how to play an item. URLs are usable as they are, without any header.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlaybackInfo {
    pub item_id: i64,
    pub hls: String,
    pub dash: String,
    /// The original file, as it is (Range requests work).
    pub direct: String,
    /// The original file as an attachment: every track and subtitle, byte for byte, whatever its
    /// container. For an MP4 that any device plays, use `progressive` with `?download=true`.
    /// Absent when the viewer's plan does not allow downloads.
    #[schema(nullable = false)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub download: Option<String>,
    /// A progressive MP4 ("moov first") made on the fly from the original file — Matroska
    /// included — for clients that want one plain MP4 file (`<video src>`, TVs, downloads). It
    /// carries the H.264 video and every AAC audio track; other audio tracks and subtitles are
    /// left out. Range requests work; add `?download=true` to get it as an attachment named after
    /// the original file. Absent when the file has no H.264 video or no AAC audio (its video or
    /// audio is another codec).
    #[schema(nullable = false)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub progressive: Option<String>,
    pub duration_ms: u64,
    /// Seconds until the URLs expire.
    pub expires_in: i64,
    /// The playback session these URLs belong to: it counts against the plan's concurrent
    /// streams while requests on the URLs or heartbeats (`POST /api/v1/me/streams/{id}/heartbeat`)
    /// keep arriving; `DELETE /api/v1/me/streams/{id}` ends it.
    pub stream_id: i64,
    /// Send a heartbeat at least this often while the player is open (also when paused).
    pub heartbeat_secs: i64,
    pub tracks: Vec<PlaybackTrack>,
    pub subtitles: Vec<PlaybackSubtitle>,
    /// Chapters, skip markers (`intro`, `credits`) and the scrub-thumbnail track.
    #[serde(flatten)]
    pub extras: super::extras::PlaybackExtras,
    /// Where this profile left off (0: from the start).
    pub resume_ms: i64,
    /// Up next: the episode to offer when this one ends (null after the last one and for
    /// movies); see `GET /api/v1/items/{id}/next`.
    pub next: Option<marquee_store::viewing::NextEpisode>,
}

/// Codecs that Chromium and Firefox decode through MSE (Debian's Chromium lacks HEVC and AC-3).
fn browser_playable(codec: &str) -> bool {
    matches!(
        codec,
        "h264" | "vp8" | "vp9" | "av1" | "aac" | "mp3" | "opus" | "flac" | "vorbis"
    )
}

/// Playback URLs (HLS, DASH, direct, download) signed for this user, with the tracks and, for
/// the client described by `caps` or `client`, what happens to each (remux, transcode) and why.
/// `hls` is then the master playlist made for that client.
#[utoipa::path(get, path = "/api/v1/items/{id}/playback", tag = "playback", security(("bearer" = [])),
    params(("id" = i64, Path, description = "item id"), super::transcode::ClientQuery),
    responses((status = 200, body = PlaybackInfo), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 409, body = super::streams::TooManyStreams, description = "every screen of the plan is taken: the limit and the streams playing")))]
pub async fn playback_info(
    State(state): State<AppState>,
    user: AuthUser,
    p: IdPath,
    client: Result<Query<super::transcode::ClientQuery>, axum::extract::rejection::QueryRejection>,
) -> PlayResult<Json<PlaybackInfo>> {
    let Path(item_id) =
        p.map_err(|_| ApiError::bad_request("the id in the path must be a whole number"))?;
    let Query(client) = client
        .map_err(|e| ApiError::bad_request(format!("bad query string: {}", e.body_text())))?;
    let caps = client.caps()?;
    // A profile's rating ceiling and the plan apply before any link is signed.
    super::catalog::check_playable(&state, &user, item_id).await?;
    let (file, real) = playable(&state, item_id).await?;
    let packaged = package(&state, &file, &real).await?;
    let decision = super::transcode::decision(&state, &packaged, &caps, None);
    // With a finished ladder the viewer gets its levels within their plan's cap (and the
    // original too when the client decodes it and it fits): no 403 for a title above the cap.
    let plays_original = decision.tracks.iter().any(|d| {
        d.kind == TrackKind::Video
            && matches!(
                d.delivery,
                marquee_transcode::Delivery::Remux | marquee_transcode::Delivery::Direct
            )
    });
    let ladder = super::ladder::offer(
        &state,
        &packaged,
        user.entitlement.max_height,
        plays_original,
    );
    if ladder.is_none() {
        check_quality_cap(&packaged, user.entitlement.max_height)?;
    }
    let stream = super::streams::open(&state, &user, item_id).await?;
    let expires = crate::unix_now() + PLAYBACK_TTL_SECS;
    let viewer = crate::signing::Viewer {
        user: user.user.id,
        profile: user.profile.as_ref().map_or(0, |p| p.id),
        stream: stream.id,
    };
    let token = state.signer.sign(item_id, viewer, expires);
    let base = format!("/stream/{item_id}/{token}");
    let mut tracks = Vec::new();
    let mut subtitles: Vec<PlaybackSubtitle> = subtitles_of(&state, &packaged)
        .await
        .into_iter()
        .map(|s| PlaybackSubtitle {
            url: Some(format!("{base}/{}/subtitles.vtt", s.rendition.dir())),
            source: match s.origin {
                SubtitleOrigin::Embedded { .. } => "embedded".into(),
                SubtitleOrigin::Sidecar { .. } => "sidecar".into(),
            },
            language: s.rendition.language,
            label: s.rendition.name,
            forced: s.rendition.forced,
            default: s.rendition.default,
            hearing_impaired: s.rendition.hearing_impaired,
            note: None,
            burn_in: None,
        })
        .collect();
    for t in &packaged.index.tracks {
        let streamed = t.is_packageable() || t.is_text_subtitle();
        let playable = browser_playable(&t.codec) || t.is_text_subtitle();
        if t.kind == TrackKind::Subtitle && !t.is_text_subtitle() {
            let burn_in = super::transcode::burn_in_choice(
                &state, &packaged, &decision, t.track_id,
            )
            .map(|choice| BurnInUrls {
                hls: format!("{base}/p/{choice}/master.m3u8"),
                dash: format!("{base}/p/{choice}/manifest.mpd"),
            });
            subtitles.push(PlaybackSubtitle {
                language: t.language.as_deref().and_then(marquee_media::lang::bcp47),
                label: t
                    .name
                    .clone()
                    .or_else(|| {
                        let tag = t.language.as_deref()?;
                        Some(
                            marquee_media::lang::display_name(tag)
                                .map_or_else(|| tag.to_string(), str::to_string),
                        )
                    })
                    .unwrap_or_else(|| format!("Track {}", t.track_id)),
                url: None,
                source: "embedded".into(),
                forced: false,
                default: false,
                hearing_impaired: false,
                note: Some(match &burn_in {
                    Some(_) => "pictures, not text: choose `burn_in` to see them drawn into the video (transcoded)".into(),
                    None => t
                        .unsupported
                        .clone()
                        .unwrap_or_else(|| "the track has no cues".into()),
                }),
                burn_in,
            });
        }
        tracks.push(PlaybackTrack {
            id: t.track_id,
            kind: format!("{:?}", t.kind).to_lowercase(),
            codec: t.codec.clone(),
            codec_string: t.codec_string.clone(),
            language: t.language.clone(),
            name: t.name.clone(),
            default: t.default,
            streamed,
            browser_playable: playable,
            note: match (&t.unsupported, playable) {
                (Some(reason), _) => Some(reason.clone()),
                (None, false) => Some(format!(
                    "browsers cannot decode {}; it needs transcoding",
                    t.codec
                )),
                (None, true) => None,
            },
            delivery: None,
            rendition: None,
            reason: None,
        });
        if let (Some(d), Some(t)) = (
            decision.tracks.iter().find(|d| d.track_id == t.track_id),
            tracks.last_mut(),
        ) {
            t.delivery = Some(d.delivery.as_str().to_string());
            t.rendition = d.rendition.map(|r| r.to_string());
            t.reason = Some(d.reason.clone());
        }
    }
    // With nothing at all to offer this client, the plain manifests stay (the tracks say why).
    let own = decision.needs_choice() && !decision.choice().is_empty();
    let manifests = if own {
        format!("{base}/p/{}", decision.choice())
    } else {
        base.clone()
    };
    let extras = super::extras::playback_extras(&state, item_id, &real, &base).await?;
    Ok(Json(PlaybackInfo {
        item_id,
        hls: match &ladder {
            Some(offer) => format!("{base}/{}", super::ladder::master_path(offer)),
            None => format!("{manifests}/master.m3u8"),
        },
        dash: match &ladder {
            Some(_) => format!("{base}/l/x/manifest.mpd"),
            None => format!("{manifests}/manifest.mpd"),
        },
        direct: format!("{base}/direct"),
        download: user
            .entitlement
            .downloads
            .then(|| format!("{base}/direct?download=true")),
        progressive: packaged
            .no_progressive
            .is_none()
            .then(|| format!("{base}/file.mp4")),
        duration_ms: (packaged.plan.total_seconds() * 1000.0).round() as u64,
        expires_in: PLAYBACK_TTL_SECS,
        stream_id: stream.id,
        heartbeat_secs: (state.streams.timeout_secs() / 2).max(1),
        tracks,
        subtitles,
        extras,
        resume_ms: state
            .store
            .progress_under(super::viewer::viewer_of(&user), item_id)
            .await?
            .iter()
            .find(|p| p.item_id == item_id)
            .map_or(0, |p| p.resume_ms),
        next: state
            .store
            .next_episode(item_id, None, &user.access())
            .await?,
    }))
}

async fn package(state: &AppState, file: &PlayableFile, real: &FsPath) -> ApiResult<Arc<Packaged>> {
    state
        .packaging
        .get(real, &file.fingerprint)
        .await
        .map_err(|reason| {
            ApiError::new(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                format!("this file cannot be streamed: {reason}"),
            )
        })
}

/// The video's text subtitles now: embedded tracks and sidecar files, the latter only when they
/// resolve inside a media root (a symlink out of the library is not followed).
async fn subtitles_of(state: &AppState, packaged: &Arc<Packaged>) -> Vec<SubtitleSource> {
    let state = state.clone();
    let packaged = packaged.clone();
    tokio::task::spawn_blocking(move || {
        let mut sources = subtitle_sources(&packaged.source, &packaged.index);
        sources.retain(|s| match &s.origin {
            SubtitleOrigin::Embedded { .. } => true,
            SubtitleOrigin::Sidecar { path, .. } => state.inside_media_roots(path).is_some(),
        });
        sources
    })
    .await
    .unwrap_or_default()
}

type StreamPath = Result<Path<(i64, String, String)>, axum::extract::rejection::PathRejection>;

/// `/stream/{item}/{token}/…`: manifests, init and media segments, the progressive MP4
/// (`file.mp4`) and the original file (`direct`), for players that cannot send headers. The token
/// is checked on every request.
pub async fn stream(
    State(state): State<AppState>,
    method: Method,
    version: Version,
    headers: HeaderMap,
    p: StreamPath,
    q: Result<Query<DirectQuery>, axum::extract::rejection::QueryRejection>,
) -> PlayResult<Response> {
    let Path((item_id, token, rest)) =
        p.map_err(|_| ApiError::bad_request("expected /stream/{item id}/{token}/{file}"))?;
    let viewer = state
        .signer
        .verify(item_id, &token, crate::unix_now())
        .map_err(|e| ApiError::forbidden(e.to_string()))?;
    // Under a client's `p/{choice}/`, everything but its master playlist is the file's own.
    let rest = match rest
        .strip_prefix("p/")
        .or_else(|| rest.strip_prefix("l/"))
        .and_then(|r| r.split_once('/'))
    {
        Some((_, inner)) if inner != "master.m3u8" && inner != "manifest.mpd" => inner.to_string(),
        _ => rest,
    };
    // Every request keeps its stream alive; a stopped stream's links are refused.
    super::streams::beat_link(&state, viewer, item_id).await?;
    // The link proves who it was issued to, not that they may still watch: their plan is checked
    // again on every request (from memory), so a cancelled plan stops playback within the link's
    // life.
    let entitlement = match state.plans.entitlement(&state.store, viewer.user).await {
        Ok(e) => e,
        Err(marquee_store::StoreError::NotFound(_)) => {
            return Err(ApiError::forbidden(
                "the account this playback link was issued to no longer exists",
            )
            .into())
        }
        Err(e) => return Err(ApiError::from(e).into()),
    };
    let titles = entitlement.titles();
    if !state.plans.unlocked(&state.store, titles, item_id).await? {
        return Err(ApiError::forbidden(format!(
            "playback of item {item_id} stopped: {}; GET /api/v1/items/{item_id} lists the plans that unlock it",
            titles.reason()
        ))
        .into());
    }
    let download = q.map(|Query(q)| q.download).unwrap_or(false);
    check_download(&entitlement, download)?;
    if rest == "direct" && entitlement.max_height.is_none() {
        return Ok(direct_response(&state, item_id, download, &method, &headers, version).await?);
    }
    if let Some(resp) = super::extras::stream_file(&state, item_id, &rest, &headers).await {
        return Ok(resp?);
    }
    let (file, real) = playable(&state, item_id).await?;
    let packaged = package(&state, &file, &real).await?;
    // A ladder's levels and transcoded renditions are checked against the cap one by one; the
    // original file's tracks as a whole.
    let cap = entitlement.max_height;
    if let Some(r) = super::ladder::stream(&state, &packaged, &rest, cap, &method, &headers).await {
        return Ok(r?);
    }
    if !super::transcode::rendition_within_cap(&rest, cap)? {
        check_quality_cap(&packaged, cap)?;
    }
    if rest == "direct" {
        return Ok(direct_response(&state, item_id, download, &method, &headers, version).await?);
    }
    if rest == "file.mp4" {
        return Ok(progressive_response(packaged, &real, download, &method, &headers).await?);
    }
    // A client's own master playlist and transcoded renditions.
    let subs = async {
        let m = packaged.manifests(subtitles_of(&state, &packaged).await);
        crate::packaging::renditions(&m)
    };
    if let Some(r) =
        super::transcode::stream(&state, &packaged, &rest, &method, &headers, subs).await
    {
        return Ok(r?);
    }
    let not_found = || ApiError::not_found(format!("no such stream file: {rest}"));
    let text = |body: String, content_type: &'static str, tag: &str| {
        SliceBody::generated(body, &file.fingerprint, tag, content_type)
    };
    let body = match rest.as_str() {
        "master.m3u8" => {
            let m = packaged.manifests(subtitles_of(&state, &packaged).await);
            text(packaged.master(&m), HLS, "master")
        }
        "manifest.mpd" => {
            let m = packaged.manifests(subtitles_of(&state, &packaged).await);
            text(packaged.mpd(&m), DASH, "mpd")
        }
        _ if rest.starts_with("s/") => {
            // s/{key}/{playlist.m3u8 | subtitles.vtt}
            let (key, name) = rest[2..].split_once('/').ok_or_else(not_found)?;
            let source = subtitles_of(&state, &packaged)
                .await
                .into_iter()
                .find(|s| s.rendition.key == key)
                .ok_or_else(not_found)?;
            match name {
                "playlist.m3u8" => text(
                    marquee_media::hls_subtitle_playlist(
                        &packaged.plan,
                        &Default::default(),
                        &source.rendition,
                    ),
                    HLS,
                    &format!("{key}-playlist"),
                ),
                "subtitles.vtt" => {
                    let p = packaged.clone();
                    let vtt = tokio::task::spawn_blocking(move || {
                        marquee_catalog::subtitles::webvtt(&p.source, &p.index, &source)
                    })
                    .await
                    .map_err(|e| ApiError::internal(e.to_string()))?
                    .map_err(|e| {
                        ApiError::new(axum::http::StatusCode::UNPROCESSABLE_ENTITY, e.to_string())
                    })?;
                    // Sidecars can change under the same video: the tag follows the content.
                    let tag = format!("{key}-{}", content_tag(vtt.as_bytes()));
                    let mut body = text(vtt, "text/vtt; charset=utf-8", &tag);
                    body.cache_control = "private, max-age=300";
                    body
                }
                _ => return Err(not_found().into()),
            }
        }
        _ => {
            // {v|a}/{track}/{playlist.m3u8 | init.mp4 | N.m4s}
            let mut parts = rest.splitn(3, '/');
            let (Some(kind), Some(track), Some(name)) = (parts.next(), parts.next(), parts.next())
            else {
                return Err(not_found().into());
            };
            let track_id: u32 = track.parse().map_err(|_| not_found())?;
            let track = packaged
                .index
                .track(track_id)
                .filter(|t| {
                    t.is_packageable() && manifest::track_dir(t) == format!("{kind}/{track_id}")
                })
                .ok_or_else(not_found)?;
            // Init and media segments never change for a given file: cache them for a year.
            let segment = |tag: String, slices: Vec<marquee_media::Slice>| SliceBody {
                source: real.clone(),
                etag: format!("\"{}-{track_id}-{tag}\"", file.fingerprint),
                slices: slices.into(),
                content_type: if track.kind == TrackKind::Audio {
                    "audio/mp4"
                } else {
                    "video/mp4"
                },
                cache_control: "public, max-age=31536000, immutable",
                extra: Vec::new(),
            };
            if name == "playlist.m3u8" {
                text(
                    marquee_media::hls_media_playlist(track, &packaged.plan, &Default::default()),
                    HLS,
                    &format!("{track_id}-playlist"),
                )
            } else if name == "init.mp4" {
                let init = marquee_media::init_segment(track)
                    .map_err(|e| ApiError::internal(e.to_string()))?;
                segment("init".into(), vec![marquee_media::Slice::Bytes(init)])
            } else {
                let n: usize = name
                    .strip_suffix(".m4s")
                    .and_then(|n| n.parse().ok())
                    .ok_or_else(not_found)?;
                if !manifest::segment_range(track, &packaged.plan).contains(&n) {
                    return Err(not_found().into());
                }
                let slices = marquee_media::media_segment(track, &packaged.plan, n, n as u32 + 1)
                    .map_err(|e| ApiError::internal(e.to_string()))?;
                segment(n.to_string(), slices)
            }
        }
    };
    Ok(body.respond_over(&method, &headers, version)?)
}

/// A short hash of a response body, for ETags of content that is not tied to the file's fingerprint.
fn content_tag(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(&Sha256::digest(bytes)[..8])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attachment_names() {
        let v = |name: &str| attachment(name).unwrap().1.to_str().unwrap().to_string();
        assert_eq!(
            v("Tau (2010).mp4"),
            "attachment; filename=\"Tau (2010).mp4\""
        );
        assert_eq!(
            v("a\"b\\c.mp4"),
            "attachment; filename=\"a_b_c.mp4\"; filename*=UTF-8''a%22b%5Cc.mp4"
        );
        assert_eq!(
            v("Amélie.mp4"),
            "attachment; filename=\"Am_lie.mp4\"; filename*=UTF-8''Am%C3%A9lie.mp4"
        );
        assert!(attachment("line\r\nbreak").is_some());
    }
}
