//! Ahead-of-time ladders: the admin API that queues, lists and cancels jobs
//! (`/api/v1/admin/transcode/jobs`), and, under a stream URL, the ladder's master playlist
//! (`l/{o|x}/master.m3u8`: with or without the original video; `l/x/manifest.mpd`: the rungs as
//! DASH representations) and its renditions
//! (`r/{track}/{rendition}/…`). Every level is filtered by the viewer's plan quality cap, on the
//! master and again on each request.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use marquee_media::TrackKind;
use marquee_store::{LadderTarget, TranscodeJob};
use marquee_transcode::decide::Rendition;
use marquee_transcode::ladder::{ladder_master, ladder_mpd, LadderAudio, Level, Measured};
use marquee_transcode::manifest::rendition_playlist;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{AdminUser, ClientAddress};
use crate::body::{SliceBody, DASH, HLS};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::ladder::{main_audio, LiveProgress};
use crate::packaging::Packaged;
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/transcode/jobs", get(list_jobs).post(queue_jobs))
        .route(
            "/admin/transcode/jobs/{id}",
            get(get_job).delete(cancel_job),
        )
}

/// A ladder job with, while it runs, its live progress.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobView {
    #[serde(flatten)]
    pub job: TranscodeJob,
    /// Present while the job runs.
    pub live: Option<LiveProgress>,
}

fn view(state: &AppState, mut job: TranscodeJob) -> JobView {
    let live = state.ladders.progress(job.id);
    if let Some(l) = &live {
        job.percent = l.percent;
        job.current_rung = l.rung.clone();
    }
    JobView { job, live }
}

/// What to make a ladder of: exactly one of `item_id` (a movie or an episode; a series or a
/// season: each of its episodes) and `library_id`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QueueLadder {
    pub item_id: Option<i64>,
    pub library_id: Option<i64>,
    /// Video heights, e.g. `[1080, 720, 480, 360]` (the default); those above the source are
    /// skipped. AAC stereo audio is always made.
    pub heights: Option<Vec<u32>>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct JobsQuery {
    /// Most jobs to list (default 100): queued and running first, then the newest.
    pub limit: Option<i64>,
}

/// Ladder jobs with live progress.
#[utoipa::path(get, path = "/api/v1/admin/transcode/jobs", tag = "admin", security(("bearer" = [])),
    params(JobsQuery),
    responses((status = 200, body = [JobView]), (status = 403, body = ErrorBody)))]
pub async fn list_jobs(
    State(state): State<AppState>,
    _admin: AdminUser,
    q: Result<Query<JobsQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Vec<JobView>>> {
    let Query(q) =
        q.map_err(|e| ApiError::bad_request(format!("bad query string: {}", e.body_text())))?;
    let jobs = state.store.transcode_jobs(q.limit.unwrap_or(100)).await?;
    Ok(Json(jobs.into_iter().map(|j| view(&state, j)).collect()))
}

type IdPath = Result<Path<i64>, axum::extract::rejection::PathRejection>;

/// One ladder job.
#[utoipa::path(get, path = "/api/v1/admin/transcode/jobs/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "job id")),
    responses((status = 200, body = JobView), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn get_job(
    State(state): State<AppState>,
    _admin: AdminUser,
    p: IdPath,
) -> ApiResult<Json<JobView>> {
    let Path(id) = p.map_err(|_| ApiError::bad_request("the job id must be a whole number"))?;
    Ok(Json(view(&state, state.store.transcode_job(id).await?)))
}

/// Queues an adaptive ladder (H.264 rungs at or below the source's height, AAC stereo audio) for
/// an item or a library: one job per movie or episode (one already queued or running is kept).
#[utoipa::path(post, path = "/api/v1/admin/transcode/jobs", tag = "admin", security(("bearer" = [])),
    request_body = QueueLadder,
    responses((status = 202, body = [JobView]), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "no ffmpeg, or nothing playable to transcode"), (status = 403, body = ErrorBody)))]
pub async fn queue_jobs(
    State(state): State<AppState>,
    admin: AdminUser,
    ClientAddress(address): ClientAddress,
    body: Result<Json<QueueLadder>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<(StatusCode, Json<Vec<JobView>>)> {
    let Json(body) = body.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let target = match (body.item_id, body.library_id) {
        (Some(id), None) => LadderTarget::Item(id),
        (None, Some(id)) => LadderTarget::Library(id),
        _ => {
            return Err(ApiError::bad_request(
                "give exactly one of item_id and library_id",
            ))
        }
    };
    let heights = body
        .heights
        .unwrap_or_else(|| marquee_transcode::decide::LADDER.to_vec());
    if heights.is_empty()
        || heights.len() > 8
        || heights
            .iter()
            .any(|h| h % 2 != 0 || !(96..=2160).contains(h))
    {
        return Err(ApiError::bad_request(
            "heights must list 1 to 8 even numbers of lines from 96 to 2160",
        ));
    }
    if let Err(why) = state.transcoder.ffmpeg() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("this server cannot transcode: {why}"),
        ));
    }
    let items = state.store.ladder_items(target).await?;
    if items.is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "nothing to transcode: no movie or episode with a readable file",
        ));
    }
    let jobs = state
        .store
        .queue_ladders(&items, &heights, Some(admin.0.user.id))
        .await?;
    super::audit_by(
        &state,
        &admin.0.user,
        address.as_deref(),
        "ladder_queued",
        Some(match target {
            LadderTarget::Item(id) => format!("item:{id}"),
            LadderTarget::Library(id) => format!("library:{id}"),
        }),
        Some(serde_json::json!({"jobs": jobs.iter().map(|j| j.id).collect::<Vec<_>>(), "heights": heights})),
    )
    .await?;
    state.ladders.wake();
    Ok((
        StatusCode::ACCEPTED,
        Json(jobs.into_iter().map(|j| view(&state, j)).collect()),
    ))
}

/// Cancels a queued or running job: its ffmpeg is killed and its unfinished rungs removed
/// (finished rungs stay playable). 409 when the job has already ended.
#[utoipa::path(delete, path = "/api/v1/admin/transcode/jobs/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "job id")),
    responses((status = 200, body = JobView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn cancel_job(
    State(state): State<AppState>,
    admin: AdminUser,
    ClientAddress(address): ClientAddress,
    p: IdPath,
) -> ApiResult<Json<JobView>> {
    let Path(id) = p.map_err(|_| ApiError::bad_request("the job id must be a whole number"))?;
    let job = state.store.cancel_transcode_job(id).await?;
    state.ladders.cancel(id);
    super::audit_by(
        &state,
        &admin.0.user,
        address.as_deref(),
        "ladder_cancelled",
        Some(format!("item:{}", job.item_id)),
        Some(serde_json::json!({"job": id})),
    )
    .await?;
    Ok(Json(view(&state, job)))
}

/// A title's ladder as one viewer may have it: the levels within their quality cap (the original
/// video first when `with_original`) and the audio.
pub struct Offer {
    pub levels: Vec<Level>,
    pub audio: LadderAudio,
    pub with_original: bool,
}

/// The ladder of `packaged` within `cap`; `None` when there is no finished ladder (a video rung
/// and the audio) or none of its rungs fits under the cap.
pub fn offer(
    state: &AppState,
    packaged: &Packaged,
    cap: Option<u32>,
    with_original: bool,
) -> Option<Offer> {
    let index = &packaged.index;
    let video = index.video()?;
    let audio_track = main_audio(index)?;
    let rungs = state.ladders.store.published_rungs(&packaged.fingerprint);
    let audio = rungs
        .iter()
        .find(|m| m.track_id == audio_track.track_id && m.rendition == "aac")?;
    let video_rungs: Vec<&Measured> = rungs
        .iter()
        .filter(|m| m.track_id == video.track_id && m.rendition.starts_with("h264-"))
        .collect();
    let fitting = crate::plans::within_quality_cap(video_rungs, |m| m.height, cap).ok()?;
    if fitting.is_empty() {
        return None;
    }
    let mut levels: Vec<Level> = Vec::new();
    let with_original = with_original && cap.is_none_or(|c| video.codec_config.height <= c);
    if with_original {
        let (peak, average) = marquee_media::manifest::bandwidth(video, &packaged.plan);
        let d = video.duration();
        levels.push(Level {
            uri: format!(
                "{}/playlist.m3u8",
                marquee_media::manifest::track_dir(video)
            ),
            codec: video.codec_string.clone().unwrap_or_default(),
            peak_bps: peak,
            average_bps: average,
            width: video.codec_config.width,
            height: video.codec_config.height,
            frame_rate: (d > 0)
                .then(|| video.samples.len() as f64 * f64::from(video.timescale) / d as f64),
        });
    }
    levels.extend(fitting.into_iter().map(|m| Level {
        uri: format!("r/{}/{}/playlist.m3u8", m.track_id, m.rendition),
        codec: m.codec.clone(),
        peak_bps: m.peak_bps,
        average_bps: m.average_bps,
        width: m.width,
        height: m.height,
        frame_rate: m.frame_rate,
    }));
    let language = audio_track
        .language
        .as_deref()
        .map(|l| marquee_media::lang::bcp47(l).unwrap_or_else(|| l.to_string()));
    let name = audio_track
        .name
        .clone()
        .or_else(|| {
            let l = audio_track.language.as_deref()?;
            marquee_media::lang::display_name(l).map(str::to_string)
        })
        .unwrap_or_else(|| "Audio".into());
    Some(Offer {
        levels,
        audio: LadderAudio {
            uri: format!("r/{}/aac/playlist.m3u8", audio.track_id),
            name,
            language,
            codec: audio.codec.clone(),
            peak_bps: audio.peak_bps,
            average_bps: audio.average_bps,
            channels: audio.channels,
        },
        with_original,
    })
}

/// The master playlist's path under a stream URL for `offer`.
pub fn master_path(offer: &Offer) -> &'static str {
    if offer.with_original {
        "l/o/master.m3u8"
    } else {
        "l/x/master.m3u8"
    }
}

/// Answers `l/{o|x}/master.m3u8` and `r/{track}/{rendition}/{playlist.m3u8 | init.mp4 | N.m4s}`
/// for a viewer whose plan caps video at `cap`; `None` for any other path.
pub async fn stream(
    state: &AppState,
    packaged: &Arc<Packaged>,
    rest: &str,
    cap: Option<u32>,
    method: &Method,
    headers: &HeaderMap,
) -> Option<ApiResult<Response>> {
    let not_found = || ApiError::not_found(format!("no such stream file: {rest}"));
    if let Some((variant, file)) = rest.strip_prefix("l/").and_then(|r| r.split_once('/')) {
        let with_original = match (variant, file) {
            ("o", "master.m3u8") => true,
            // The MPD offers the rungs only (the original's tracks keep their own timescales).
            ("x", "master.m3u8") | (_, "manifest.mpd") => false,
            _ => return Some(Err(not_found())),
        };
        return Some(match offer(state, packaged, cap, with_original) {
            Some(o) if file == "manifest.mpd" => {
                let rate =
                    main_audio(&packaged.index).map_or(48_000, |a| a.codec_config.sample_rate);
                SliceBody::generated(
                    ladder_mpd(&packaged.plan, &o.levels, &o.audio, rate),
                    &packaged.fingerprint,
                    &format!("ladder-mpd-{}", content_tag(&o)),
                    DASH,
                )
                .respond(method, headers)
            }
            Some(o) => SliceBody::generated(
                ladder_master(&o.levels, &o.audio),
                &packaged.fingerprint,
                &format!("ladder-{variant}-{}", content_tag(&o)),
                HLS,
            )
            .respond(method, headers),
            None => Err(ApiError::forbidden(match cap {
                Some(c) => format!("no finished ladder of this title fits your plan's {c}p limit"),
                None => "this title has no finished ladder".to_string(),
            })),
        });
    }
    let path = rest.strip_prefix("r/")?;
    let mut parts = path.splitn(3, '/');
    let (Some(track), Some(rendition), Some(name)) = (parts.next(), parts.next(), parts.next())
    else {
        return Some(Err(not_found()));
    };
    let (Ok(track_id), Some(rendition)) = (track.parse::<u32>(), Rendition::parse(rendition))
    else {
        return Some(Err(not_found()));
    };
    if let (Rendition::H264 { height }, Some(c)) = (rendition, cap) {
        if height > c {
            return Some(Err(ApiError::forbidden(format!(
                "your plan plays video up to {c}p; this rendition is {height}p"
            ))));
        }
    }
    let ladders = &state.ladders.store;
    let kind_fits = packaged
        .index
        .track(track_id)
        .is_some_and(|t| (t.kind == TrackKind::Video) == rendition.is_video());
    if !kind_fits
        || ladders
            .published(&packaged.fingerprint, track_id, rendition)
            .is_none()
    {
        return Some(Err(not_found()));
    }
    let tag = format!("ladder-{track_id}-{rendition}-{name}");
    if name == "playlist.m3u8" {
        let body = SliceBody::generated(
            rendition_playlist(&packaged.plan),
            &packaged.fingerprint,
            &tag,
            HLS,
        );
        return Some(body.respond(method, headers));
    }
    let valid = name == "init.mp4"
        || name
            .strip_suffix(".m4s")
            .and_then(|n| n.parse::<usize>().ok())
            .is_some_and(|n| n < packaged.plan.len());
    if !valid {
        return Some(Err(not_found()));
    }
    let file = ladders
        .rung_dir(&packaged.fingerprint, track_id, rendition)
        .join(name);
    let len = match tokio::fs::metadata(&file).await {
        Ok(m) => m.len(),
        Err(_) => return Some(Err(not_found())),
    };
    let mut body = SliceBody::whole_file(
        file,
        len,
        format!("\"{}-{tag}\"", packaged.fingerprint),
        if rendition.is_video() {
            "video/mp4"
        } else {
            "audio/mp4"
        },
    );
    body.cache_control = "public, max-age=31536000, immutable";
    Some(body.respond(method, headers))
}

/// Changes when the levels offered change (a rung finished, another cap).
fn content_tag(o: &Offer) -> String {
    let h: u64 = o
        .levels
        .iter()
        .map(|l| u64::from(l.height) * 31 + l.peak_bps)
        .fold(o.audio.peak_bps, |a, b| {
            a.wrapping_mul(1_000_003).wrapping_add(b)
        });
    format!("{h:x}")
}
