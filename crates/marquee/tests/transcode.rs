//! Transcoding by the real server: per-client decisions in the playback info, just-in-time
//! renditions that ffmpeg decodes and that line up with the remuxed original, a killed ffmpeg,
//! a full cache, and a server without ffmpeg.

mod common;
use common::*;

use std::process::Command;

const TITLE: &str = "Movies/Upsilon (2011)/Upsilon (2011).mkv";

/// Codec names of `url`'s streams, as ffprobe sees them.
fn codecs(url: &str) -> Vec<String> {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "stream=codec_name",
            "-of",
            "csv=p=0",
        ])
        .arg(url)
        .output()
        .expect("ffprobe");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut c: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim().trim_end_matches(',').to_string())
        .filter(|l| !l.is_empty())
        .collect();
    c.sort();
    c.dedup();
    c
}

/// When the first frame (in decode order: the keyframe) of a media segment is presented, in
/// seconds: ffprobe reads `init` and `segment` as one file. (Leading pictures of an open GOP may
/// be shown before it.)
fn first_pts(init: &[u8], segment: &[u8]) -> f64 {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("segment.mp4");
    std::fs::write(&path, [init, segment].concat()).unwrap();
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "packet=pts_time",
            "-of",
            "csv=p=0",
        ])
        .arg(&path)
        .output()
        .expect("ffprobe");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.trim().trim_end_matches(',').parse::<f64>().ok())
        .expect("a packet")
}

async fn get_bytes(url: &str) -> (u16, Vec<u8>) {
    let resp = reqwest::get(url).await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.bytes().await.unwrap().to_vec())
}

type Folders = (tempfile::TempDir, tempfile::TempDir);

async fn title_with_env(env: &[(&str, &str)]) -> (Server, Api, i64, Folders) {
    let data = tempfile::tempdir().unwrap();
    let media = tempfile::tempdir().unwrap();
    place(media.path(), TITLE, "hevc_ac3_20s.mkv");
    place(
        media.path(),
        "Movies/Phi (2012)/Phi (2012).mp4",
        "h264_aac.mp4",
    );
    let (server, api) = serve_media_with_env(data.path(), media.path(), env).await;
    let movies = api.get("/api/v1/movies").await;
    let id = id_of(&movies, "Upsilon");
    (server, api, id, (data, media))
}

fn ffmpeg_children(server_pid: u32) -> Vec<i32> {
    let mut pids = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // pid (comm) state ppid ...
        let Some(close) = stat.rfind(')') else {
            continue;
        };
        let comm = &stat[stat.find('(').unwrap_or(0) + 1..close];
        let ppid: u32 = stat[close + 2..]
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        if ppid == server_pid && comm == "ffmpeg" {
            pids.push(pid);
        }
    }
    pids
}

#[tokio::test]
async fn hevc_ac3_is_transcoded_for_chromium_in_line_with_the_original() {
    let (server, api, id, _media) =
        title_with_env(&[("MARQUEE_TRANSCODE_PRESET", "ultrafast")]).await;

    // Safari plays both codecs: nothing is transcoded.
    let safari = api
        .get(&format!("/api/v1/items/{id}/playback?client=safari"))
        .await;
    assert!(
        safari["hls"].as_str().unwrap().ends_with("/master.m3u8"),
        "{safari}"
    );
    assert!(!safari["hls"].as_str().unwrap().contains("/p/"), "{safari}");
    // A client that plays HEVC but not AC-3: audio only is transcoded.
    let tv = api
        .get(&format!(
            "/api/v1/items/{id}/playback?caps=hvc1.1.6.L93.B0,avc1.640028,mp4a.40.2"
        ))
        .await;
    let t = tv["tracks"].as_array().unwrap();
    assert_eq!(t[0]["delivery"], "remux", "{tv}");
    assert_eq!(t[1]["delivery"], "transcode", "{tv}");
    assert_eq!(t[1]["rendition"], "aac", "{tv}");

    // Chromium (the default): both.
    let info = api.get(&format!("/api/v1/items/{id}/playback")).await;
    let tracks = info["tracks"].as_array().unwrap();
    let video = tracks.iter().find(|t| t["kind"] == "video").unwrap();
    let audio = tracks.iter().find(|t| t["kind"] == "audio").unwrap();
    assert_eq!(video["delivery"], "transcode", "{info}");
    assert_eq!(video["rendition"], "h264-240", "{info}");
    assert!(
        video["reason"]
            .as_str()
            .unwrap()
            .contains("cannot decode hevc"),
        "{info}"
    );
    assert_eq!(audio["delivery"], "transcode", "{info}");
    assert_eq!(audio["rendition"], "aac", "{info}");
    let hls = info["hls"].as_str().unwrap();
    assert!(hls.contains("/p/1.h264-240,2.aac/master.m3u8"), "{hls}");
    let bad = api
        .get_raw(&format!("/api/v1/items/{id}/playback?client=netscape"))
        .await;
    assert_eq!(bad.status(), 400);

    let master_url = server.url(hls);
    let master = reqwest::get(&master_url)
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        master.contains("CODECS=\"avc1.640029,mp4a.40.2\""),
        "{master}"
    );
    assert!(master.contains("t/2/aac/playlist.m3u8"), "{master}");

    // The transcoded segment 1 starts where the remuxed original's segment 1 does.
    let base = hls.split("/p/").next().unwrap();
    let fetch = |path: String| {
        let url = server.url(&format!("{base}/{path}"));
        async move {
            let (status, body) = get_bytes(&url).await;
            assert_eq!(status, 200, "{url}: {}", String::from_utf8_lossy(&body));
            body
        }
    };
    let transcoded = fetch("t/1/h264-240/1.m4s".into()).await;
    let transcoded_init = fetch("t/1/h264-240/init.mp4".into()).await;
    let original = fetch("v/1/1.m4s".into()).await;
    let original_init = fetch("v/1/init.mp4".into()).await;
    let (t, o) = (
        first_pts(&transcoded_init, &transcoded),
        first_pts(&original_init, &original),
    );
    assert!(
        o > 0.0 && (t - o).abs() < 0.001,
        "transcoded {t} s, original {o} s"
    );

    // ffmpeg decodes the client's playlist through the real server, and sees H.264 and AAC.
    ffmpeg_decodes(&master_url);
    assert_eq!(codecs(&master_url), vec!["aac", "h264"]);
    let mpd_url = server.url(info["dash"].as_str().unwrap());
    assert!(
        mpd_url.ends_with("/p/1.h264-240,2.aac/manifest.mpd"),
        "{mpd_url}"
    );
    ffmpeg_decodes(&mpd_url);
    assert_eq!(codecs(&mpd_url), vec!["aac", "h264"]);
    // Every cached segment is whole.
    let cache = server.data.join("transcode/cache");
    let files = files_under(&cache);
    assert!(files.len() >= 8, "{files:?}");
    for f in files {
        assert!(!f.to_string_lossy().ends_with(".partial"), "{f:?}");
        assert!(
            whole_boxes(&std::fs::read(&f).unwrap()),
            "{f:?} is not whole"
        );
    }
}

#[tokio::test]
async fn a_killed_ffmpeg_is_retried_and_leaves_no_partial_segment() {
    // A window of one segment: the run pauses after segment 1, alive, until it is killed.
    let (server, api, id, _media) = title_with_env(&[
        ("MARQUEE_TRANSCODE_PRESET", "ultrafast"),
        ("MARQUEE_TRANSCODE_WINDOW", "1"),
    ])
    .await;
    let info = api.get(&format!("/api/v1/items/{id}/playback")).await;
    let base = info["hls"]
        .as_str()
        .unwrap()
        .split("/p/")
        .next()
        .unwrap()
        .to_string();
    let seg = |n: usize| server.url(&format!("{base}/t/1/h264-240/{n}.m4s"));
    let (status, _) = get_bytes(&seg(0)).await;
    assert_eq!(status, 200);
    let mut victims = Vec::new();
    for _ in 0..100 {
        victims = ffmpeg_children(server.child.id());
        if !victims.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(!victims.is_empty(), "no ffmpeg runs for the job");
    for pid in &victims {
        let killed = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
    }
    // Segment 2 was the killed run's to make: it is made again.
    let (status, body) = get_bytes(&seg(2)).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert!(whole_boxes(&body));
    let (status, _) = get_bytes(&seg(3)).await;
    assert_eq!(status, 200);
    for f in files_under(&server.data.join("transcode/cache")) {
        assert!(!f.to_string_lossy().ends_with(".partial"), "{f:?}");
        assert!(
            whole_boxes(&std::fs::read(&f).unwrap()),
            "{f:?} is not whole"
        );
    }
}

#[tokio::test]
async fn a_full_cache_is_a_clear_error_and_remuxed_titles_still_play() {
    // 8 KB: smaller than any segment.
    let (server, api, id, _media) = title_with_env(&[
        ("MARQUEE_TRANSCODE_PRESET", "ultrafast"),
        ("MARQUEE_TRANSCODE_CACHE_MB", "0.008"),
    ])
    .await;
    let info = api.get(&format!("/api/v1/items/{id}/playback")).await;
    let base = info["hls"]
        .as_str()
        .unwrap()
        .split("/p/")
        .next()
        .unwrap()
        .to_string();
    let resp = reqwest::get(server.url(&format!("{base}/t/1/h264-240/0.m4s")))
        .await
        .unwrap();
    assert_eq!(resp.status(), 507);
    let body: serde_json::Value = resp.json().await.unwrap();
    let message = body["error"].as_str().unwrap();
    assert!(
        message.contains("transcoding cache") && message.contains("full"),
        "{message}"
    );

    let movies = api.get("/api/v1/movies").await;
    let phi = id_of(&movies, "Phi");
    let info = api.get(&format!("/api/v1/items/{phi}/playback")).await;
    assert!(!info["hls"].as_str().unwrap().contains("/p/"), "{info}");
    ffmpeg_decodes(&server.url(info["hls"].as_str().unwrap()));
}

#[tokio::test]
async fn without_ffmpeg_only_what_can_be_remuxed_is_offered() {
    let (server, api, id, _media) = title_with_env(&[("MARQUEE_FFMPEG", "none")]).await;
    let info = api.get(&format!("/api/v1/items/{id}/playback")).await;
    for t in info["tracks"].as_array().unwrap() {
        if t["kind"] == "video" || t["kind"] == "audio" {
            assert_eq!(t["delivery"], "unavailable", "{info}");
            assert!(
                t["reason"].as_str().unwrap().contains("no ffmpeg"),
                "{info}"
            );
        }
    }
    let base = info["hls"]
        .as_str()
        .unwrap()
        .rsplit_once('/')
        .unwrap()
        .0
        .to_string();
    let resp = reqwest::get(server.url(&format!("{base}/t/1/h264-240/0.m4s")))
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
    // Safari remuxes it all, with or without ffmpeg.
    let safari = api
        .get(&format!("/api/v1/items/{id}/playback?client=safari"))
        .await;
    ffmpeg_decodes(&server.url(safari["hls"].as_str().unwrap()));
}
