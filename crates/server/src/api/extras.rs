//! What the extras worker made, over HTTP: chapters, skip markers and the scrub-thumbnail track in
//! the playback info; the thumbnail track and sprite sheets under the signed `/stream/…` URLs;
//! generated stills and sized copies of artwork.

use std::path::{Path as FsPath, PathBuf};

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use marquee_store::extras::{generated_kind, still_version};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ApiResult};
use crate::extras::{images, markers};
use crate::AppState;

/// A chapter of the video.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlaybackChapter {
    pub start_ms: u64,
    /// Where the next chapter starts, or the end of the video.
    pub end_ms: Option<u64>,
    pub title: Option<String>,
}

/// The intro, for a "Skip intro" button shown from `start_ms` that seeks to `end_ms`.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct IntroMarker {
    pub start_ms: u64,
    pub end_ms: u64,
}

/// Where the end credits start: time to offer "Next episode" (and count the item as watched).
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct CreditsMarker {
    pub start_ms: u64,
}

/// The extras part of the playback info.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct PlaybackExtras {
    /// From the container (MP4 `chpl`, Matroska `Chapters`), else from the video's sidecar.
    pub chapters: Vec<PlaybackChapter>,
    /// From a sidecar, a chapter named like "Intro"/"Opening", or audio shared by the season's
    /// episodes (found in the background with ffmpeg). Absent until known.
    #[schema(nullable = false)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub intro: Option<IntroMarker>,
    /// From a sidecar, a chapter named like "Credits"/"Ending", or an ending shared by the
    /// season's episodes. Absent until known.
    #[schema(nullable = false)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credits: Option<CreditsMarker>,
    /// A WebVTT thumbnail track (cues of `thumbnails/sheet-N.jpg#xywh=x,y,w,h`, relative to the
    /// track), signed like the stream URLs. Absent until made (needs ffmpeg).
    #[schema(nullable = false)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thumbnails: Option<String>,
}

/// Chapters, markers and the thumbnail track of an item, for the playback info; `base` is the
/// item's signed `/stream/{id}/{token}` prefix.
pub(crate) async fn playback_extras(
    state: &AppState,
    item_id: i64,
    real: &FsPath,
    base: &str,
) -> ApiResult<PlaybackExtras> {
    let Some(x) = state.store.playback_extras(item_id).await? else {
        // Not done by the worker yet: the container's chapters cost a header read.
        let path = real.to_path_buf();
        let probe = tokio::task::spawn_blocking(move || {
            marquee_media::probe_path(&path, marquee_media::ProbeOptions::default())
        })
        .await;
        let Ok(Ok(probe)) = probe else {
            return Ok(PlaybackExtras::default());
        };
        let (intro, credits) = markers::from_chapters(&probe.chapters, probe.duration_ms);
        return Ok(PlaybackExtras {
            intro: intro.and_then(|s| {
                s.end_ms.map(|end_ms| IntroMarker {
                    start_ms: s.start_ms,
                    end_ms,
                })
            }),
            credits: credits.map(|start_ms| CreditsMarker { start_ms }),
            chapters: probe.chapters.into_iter().map(chapter).collect(),
            thumbnails: None,
        });
    };
    let has_track = x.thumbnails.is_some()
        && tokio::fs::try_exists(state.extras.file_dir(x.file_id).join("thumbnails.vtt"))
            .await
            .unwrap_or(false);
    Ok(PlaybackExtras {
        chapters: x.chapters.into_iter().map(chapter).collect(),
        intro: x.intro.and_then(|s| {
            s.end_ms
                .filter(|&e| e > s.start_ms)
                .map(|end_ms| IntroMarker {
                    start_ms: s.start_ms,
                    end_ms,
                })
        }),
        credits: x
            .credits_start_ms
            .map(|start_ms| CreditsMarker { start_ms }),
        thumbnails: has_track.then(|| format!("{base}/thumbnails.vtt")),
    })
}

fn chapter(c: marquee_media::Chapter) -> PlaybackChapter {
    PlaybackChapter {
        start_ms: c.start_ms,
        end_ms: c.end_ms,
        title: c.title,
    }
}

/// A small file from the extras folder as a response, with an ETag and 304s.
fn file_response(
    bytes: Vec<u8>,
    content_type: &'static str,
    etag: String,
    cache_control: &'static str,
    headers: &HeaderMap,
) -> Response {
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut resp = if matches {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        Response::new(Body::from(bytes))
    };
    let h = resp.headers_mut();
    if !matches {
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(cache_control),
    );
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    resp
}

/// `/stream/{item}/{token}/thumbnails.vtt` and `…/thumbnails/sheet-N.jpg`; `None` for any other
/// stream path. The token was checked by the caller.
pub(crate) async fn stream_file(
    state: &AppState,
    item_id: i64,
    rest: &str,
    headers: &HeaderMap,
) -> Option<ApiResult<Response>> {
    let name = if rest == "thumbnails.vtt" {
        rest.to_string()
    } else {
        let sheet = rest
            .strip_prefix("thumbnails/sheet-")?
            .strip_suffix(".jpg")?;
        if sheet.is_empty() || sheet.len() > 6 || !sheet.bytes().all(|b| b.is_ascii_digit()) {
            return Some(Err(ApiError::not_found(format!(
                "no such stream file: {rest}"
            ))));
        }
        format!("thumbnails/sheet-{sheet}.jpg")
    };
    Some(thumbnail_file(state, item_id, &name, headers).await)
}

async fn thumbnail_file(
    state: &AppState,
    item_id: i64,
    name: &str,
    headers: &HeaderMap,
) -> ApiResult<Response> {
    let gone = || ApiError::not_found(format!("item {item_id} has no scrub thumbnails (yet)"));
    let x = state
        .store
        .playback_extras(item_id)
        .await?
        .ok_or_else(gone)?;
    x.thumbnails.ok_or_else(gone)?;
    let file = state.store.playable_file(item_id).await?.ok_or_else(gone)?;
    let bytes = tokio::fs::read(state.extras.file_dir(x.file_id).join(name))
        .await
        .map_err(|_| gone())?;
    let etag = format!("\"{}-{name}\"", still_version(&file.fingerprint));
    Ok(if name.ends_with(".vtt") {
        file_response(
            bytes,
            "text/vtt; charset=utf-8",
            etag,
            "private, max-age=3600",
            headers,
        )
    } else {
        file_response(bytes, "image/jpeg", etag, "private, max-age=86400", headers)
    })
}

/// `?w=` and `?v=` of an artwork request.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct ArtworkQuery {
    /// Width wanted: the smallest kept copy at least this wide is sent (320, 640, or the full
    /// image).
    pub w: Option<u32>,
    /// The version from the catalog's artwork URL: when it is current, the answer may be cached
    /// for good (`immutable`).
    pub v: Option<String>,
}

impl ArtworkQuery {
    pub(crate) fn wants_extras(&self) -> bool {
        self.w.is_some() || self.v.is_some()
    }
}

fn cache_for(q: &ArtworkQuery, version: &str) -> &'static str {
    if q.v.as_deref() == Some(version) {
        "private, max-age=31536000, immutable"
    } else {
        "private, max-age=3600"
    }
}

/// The still generated from an item's video, standing in for a missing poster (films) or thumb
/// (episodes).
pub(crate) async fn generated_artwork(
    state: &AppState,
    item_id: i64,
    kind: &str,
    q: &ArtworkQuery,
    headers: &HeaderMap,
) -> ApiResult<Response> {
    let missing = || ApiError::not_found(format!("item {item_id} has no {kind}"));
    let (file_id, still, version) = state
        .store
        .generated_still(item_id)
        .await?
        .ok_or_else(missing)?;
    let item_kind = state.store.item_kind(item_id).await?;
    if generated_kind(item_kind.as_deref()) != kind {
        return Err(missing());
    }
    let name = match images::size_for(q.w, still.width) {
        Some(w) => format!("still-{w}.jpg"),
        None => "still.jpg".into(),
    };
    let bytes = tokio::fs::read(state.extras.file_dir(file_id).join(&name))
        .await
        .map_err(|_| missing())?;
    let etag = format!("\"{version}-{name}\"");
    Ok(file_response(
        bytes,
        "image/jpeg",
        etag,
        cache_for(q, &version),
        headers,
    ))
}

/// A sidecar image with `?w=` (a resized copy, made once and kept under `DATA/extras/art`) or
/// `?v=` (long caching when current).
pub(crate) async fn sidecar_artwork(
    state: &AppState,
    item_id: i64,
    kind: &str,
    real: PathBuf,
    q: &ArtworkQuery,
    headers: &HeaderMap,
) -> ApiResult<Response> {
    let md = tokio::fs::metadata(&real)
        .await
        .map_err(|_| ApiError::not_found(format!("the {kind} image of item {item_id} is gone")))?;
    let version = images::stamp(&md);
    let cache_control = cache_for(q, &version);
    // Wider than any kept size (or no width asked): the original.
    let size =
        q.w.filter(|&w| w > 0)
            .and_then(|w| images::SIZES.into_iter().find(|&s| s >= w));
    let Some(w) = size else {
        let bytes = tokio::fs::read(&real)
            .await
            .map_err(|e| ApiError::internal(format!("cannot read the {kind} image: {e}")))?;
        let etag = format!("\"{version}\"");
        return Ok(file_response(
            bytes,
            images::content_type(&real),
            etag,
            cache_control,
            headers,
        ));
    };
    let cached = state
        .extras
        .dir
        .join("art")
        .join(format!("{item_id}-{kind}-{version}-{w}.jpg"));
    let etag = format!("\"{version}-{w}\"");
    if let Ok(bytes) = tokio::fs::read(&cached).await {
        return Ok(file_response(
            bytes,
            "image/jpeg",
            etag,
            cache_control,
            headers,
        ));
    }
    let made = cached.clone();
    let bytes = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, String> {
        let img = image::ImageReader::open(&real)
            .and_then(|r| r.with_guessed_format())
            .map_err(|e| e.to_string())?
            .decode()
            .map_err(|e| format!("the image cannot be decoded: {e}"))?;
        if let Some(dir) = made.parent() {
            std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        }
        images::write_jpeg(&images::resized(&img, w), &made)?;
        std::fs::read(&made).map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))?
    .map_err(|e| ApiError::internal(format!("cannot resize the {kind} image: {e}")))?;
    Ok(file_response(
        bytes,
        "image/jpeg",
        etag,
        cache_control,
        headers,
    ))
}
