//! Just-in-time renditions by the real server, beyond the basics in `transcode.rs`: image
//! subtitles (PGS, VobSub) burnt into the video, several adaptive levels on one segment plan,
//! and a transcoding folder on a disk that fills up.

mod common;
use common::*;

use std::path::{Path, PathBuf};
use std::process::Command;

async fn fetch(url: &str) -> Vec<u8> {
    let resp = reqwest::get(url).await.unwrap();
    let status = resp.status();
    let body = resp.bytes().await.unwrap().to_vec();
    assert_eq!(status, 200, "{url}: {}", String::from_utf8_lossy(&body));
    body
}

/// [`serve_media`] with the fastest x264 preset: these tests check what is drawn, not quality.
async fn serve_fast(data: &Path, media: &Path) -> (Server, Api) {
    serve_media_with_env(data, media, &[("MARQUEE_TRANSCODE_PRESET", "ultrafast")]).await
}

/// Mean luma (0–255) of the `w`×`h` box at `x`,`y` of the frame shown at `at` seconds of the
/// fMP4 made of `init` and `segment` (one or more media segments), decoded by ffmpeg.
fn box_luma(init: &[u8], segment: &[u8], at: f64, (x, y, w, h): (u32, u32, u32, u32)) -> f64 {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("segment.mp4");
    std::fs::write(&path, [init, segment].concat()).unwrap();
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-ss", &format!("{at}"), "-i"])
        .arg(&path)
        .args([
            "-frames:v",
            "1",
            "-vf",
            &format!(
                "crop={w}:{h}:{x}:{y},signalstats,metadata=mode=print:key=lavfi.signalstats.YAVG:file=-"
            ),
            "-f",
            "null",
            "-",
        ])
        .output()
        .expect("ffmpeg");
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| l.strip_prefix("lavfi.signalstats.YAVG="))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| {
            panic!(
                "no luma measured: {text} {}",
                String::from_utf8_lossy(&out.stderr)
            )
        })
}

/// The white boxes of `image_subs.mkv` (640x480): cue 1 at the bottom (0.5–3.5 s), cue 2 at
/// the top (4–7.5 s). At 480 lines the video is not scaled.
const BOTTOM: (u32, u32, u32, u32) = (130, 370, 380, 60);
const TOP: (u32, u32, u32, u32) = (130, 50, 380, 60);

#[tokio::test]
async fn image_subtitles_are_burnt_into_every_level_when_chosen() {
    let data = tempfile::tempdir().unwrap();
    let media = tempfile::tempdir().unwrap();
    place(
        media.path(),
        "Movies/Chi (2013)/Chi (2013).mkv",
        "image_subs.mkv",
    );
    place(
        media.path(),
        "Movies/Psi (2014)/Psi (2014).mp4",
        "vobsub.mp4",
    );
    let (server, api) = serve_fast(data.path(), media.path()).await;
    let id = id_of(&api.get("/api/v1/movies").await, "Chi");

    // Chromium plays the H.264 as it is; each picture subtitle is offered burnt in.
    let info = api.get(&format!("/api/v1/items/{id}/playback")).await;
    let video = &info["tracks"][0];
    assert_eq!(video["delivery"], "remux", "{info}");
    assert!(!info["hls"].as_str().unwrap().contains("/p/"), "{info}");
    let subs = info["subtitles"].as_array().unwrap();
    let burn = |lang: &str| {
        let s = subs
            .iter()
            .find(|s| s["language"] == lang)
            .unwrap_or_else(|| panic!("no {lang} subtitle: {info}"));
        assert!(s["url"].is_null(), "{s}");
        assert!(s["note"].as_str().unwrap().contains("burn_in"), "{s}");
        s["burn_in"]["hls"].as_str().unwrap().to_string()
    };
    // Named for people, like text subtitles.
    let labels: Vec<&str> = subs.iter().filter_map(|s| s["label"].as_str()).collect();
    assert_eq!(labels, ["English", "French"], "{info}");
    let pgs = burn("en");
    let vobsub = burn("fr");
    assert!(pgs.contains("/p/1.h264-480+s3,2/master.m3u8"), "{pgs}");
    assert!(
        vobsub.contains("/p/1.h264-480+s4,2/master.m3u8"),
        "{vobsub}"
    );

    // Two levels on the one plan, both burnt; the video and audio decode without an error.
    let master = String::from_utf8(fetch(&server.url(&pgs)).await).unwrap();
    assert_eq!(master.matches("#EXT-X-STREAM-INF").count(), 2, "{master}");
    assert!(master.contains("RESOLUTION=640x480"), "{master}");
    assert!(master.contains("RESOLUTION=480x360"), "{master}");
    assert!(
        master.contains("\nt/1/h264-360+s3/playlist.m3u8\n"),
        "{master}"
    );
    let base = pgs.split("/p/").next().unwrap();
    for level in ["h264-480+s3", "h264-360+s3"] {
        let playlist = server.url(&format!("{base}/t/1/{level}/playlist.m3u8"));
        // Every segment is there (ffmpeg's HLS reader skips a missing one without an error).
        let text = String::from_utf8(fetch(&playlist).await).unwrap();
        let segments: Vec<&str> = text.lines().filter(|l| l.ends_with(".m4s")).collect();
        assert_eq!(segments.len(), 2, "{text}");
        for s in segments {
            fetch(&server.url(&format!("{base}/t/1/{level}/{s}"))).await;
        }
        ffmpeg_decodes(&playlist);
    }
    ffmpeg_decodes(&server.url(&vobsub));
    let dash = subs.iter().find(|s| s["language"] == "en").unwrap()["burn_in"]["dash"]
        .as_str()
        .unwrap();
    assert!(dash.ends_with("/p/1.h264-480+s3,2/manifest.mpd"), "{dash}");
    ffmpeg_decodes(&server.url(dash));

    // The pictures are in the video: at 2 s the bottom box is white where the plain rendition
    // shows the test pattern, and the top box (no cue then) is the same in both.
    let get = |rendition: &str, file: &str| server.url(&format!("{base}/t/1/{rendition}/{file}"));
    // Both segments (a 2 s first one, then the rest), one after the other as a player reads them.
    let both = |rendition: &str| {
        let (first, second) = (get(rendition, "0.m4s"), get(rendition, "1.m4s"));
        async move { [fetch(&first).await, fetch(&second).await].concat() }
    };
    let plain_init = fetch(&get("h264-480", "init.mp4")).await;
    let plain = both("h264-480").await;
    let burnt_init = fetch(&get("h264-480+s3", "init.mp4")).await;
    let burnt = both("h264-480+s3").await;
    assert_ne!(plain, burnt, "the burnt segment is cached apart");
    let (b, p) = (
        box_luma(&burnt_init, &burnt, 2.0, BOTTOM),
        box_luma(&plain_init, &plain, 2.0, BOTTOM),
    );
    assert!(b > 225.0 && p < 200.0, "bottom box: burnt {b}, plain {p}");
    let (b, p) = (
        box_luma(&burnt_init, &burnt, 2.0, TOP),
        box_luma(&plain_init, &plain, 2.0, TOP),
    );
    assert!((b - p).abs() < 8.0, "top box: burnt {b}, plain {p}");
    // VobSub, the second cue (top, 4–7.5 s).
    let vob_init = fetch(&get("h264-480+s4", "init.mp4")).await;
    let vob = both("h264-480+s4").await;
    let v = box_luma(&vob_init, &vob, 5.0, TOP);
    let p = box_luma(&plain_init, &plain, 5.0, TOP);
    assert!(
        v > 225.0 && p < 200.0,
        "top box at 5 s: vobsub {v}, plain {p}"
    );

    // Only picture subtitle tracks burn; a rendition name that is not one is refused.
    for bad in ["h264-480+s2", "h264-480+s9", "aac+s3"] {
        let resp = reqwest::get(get(bad, "0.m4s")).await.unwrap();
        assert_eq!(resp.status(), 404, "{bad}");
    }

    // VobSub in MP4 (`mp4s`) takes the same path (last: opening it ends this device's stream of
    // the other title).
    let psi = id_of(&api.get("/api/v1/movies").await, "Psi");
    let info = api.get(&format!("/api/v1/items/{psi}/playback")).await;
    let hls = info["subtitles"][0]["burn_in"]["hls"].as_str().unwrap();
    assert!(hls.contains("/p/1.h264-480+s3,2/master.m3u8"), "{info}");
    let mp4_base = hls.split("/p/").next().unwrap();
    let mp4_get = |file: &str| server.url(&format!("{mp4_base}/t/1/h264-480+s3/{file}"));
    let mp4_segments = [
        fetch(&mp4_get("0.m4s")).await,
        fetch(&mp4_get("1.m4s")).await,
    ]
    .concat();
    let v = box_luma(&fetch(&mp4_get("init.mp4")).await, &mp4_segments, 5.0, TOP);
    assert!(v > 225.0, "top box at 5 s, VobSub in MP4: {v}");
}

/// A picture on screen since long before a seek point is burnt into the first segment after
/// it: `long_cue.mkv` shows its box from 1 s to 42 s, and the first request for the title's
/// burnt rendition asks for the segment at 38 s, so the just-in-time run starts there. The
/// subtitle input must be opened before 1 s, not 30 s before the cut (8 s).
#[tokio::test]
async fn a_picture_shown_long_before_a_seek_is_burnt_in_after_it() {
    let data = tempfile::tempdir().unwrap();
    let media = tempfile::tempdir().unwrap();
    place(
        media.path(),
        "Movies/Omega (2015)/Omega (2015).mkv",
        "long_cue.mkv",
    );
    let (server, api) = serve_fast(data.path(), media.path()).await;
    let id = id_of(&api.get("/api/v1/movies").await, "Omega");
    let info = api.get(&format!("/api/v1/items/{id}/playback")).await;
    let hls = info["subtitles"][0]["burn_in"]["hls"]
        .as_str()
        .unwrap_or_else(|| panic!("no burn-in offered: {info}"));
    let master = String::from_utf8(fetch(&server.url(hls)).await).unwrap();
    let level = master
        .lines()
        .find(|l| l.ends_with("/playlist.m3u8") && l.contains("+s"))
        .unwrap_or_else(|| panic!("no burnt level: {master}"));
    let dir = server.url(&format!(
        "{}/{}",
        hls.trim_end_matches("/master.m3u8"),
        level.trim_end_matches("/playlist.m3u8")
    ));
    let playlist = String::from_utf8(fetch(&format!("{dir}/playlist.m3u8")).await).unwrap();
    // The segment that holds 39 s, and where it starts.
    let (mut at, mut found) = (0.0f64, None);
    let mut lines = playlist.lines();
    while let Some(line) = lines.next() {
        let Some(d) = line.strip_prefix("#EXTINF:") else {
            continue;
        };
        let d: f64 = d.trim_end_matches(',').parse().unwrap();
        let name = lines.next().unwrap();
        if at <= 39.0 && 39.0 < at + d {
            found = Some((name.to_string(), at));
        }
        at += d;
    }
    let (name, start) = found.unwrap_or_else(|| panic!("no segment at 39 s: {playlist}"));
    assert!(
        start >= 32.0,
        "the segment at 39 s starts at {start}: {playlist}"
    );
    let init = fetch(&format!("{dir}/init.mp4")).await;
    let segment = fetch(&format!("{dir}/{name}")).await;
    let b = box_luma(&init, &segment, 39.0 - start, BOTTOM);
    let t = box_luma(&init, &segment, 39.0 - start, TOP);
    assert!(
        b > 225.0,
        "bottom box at 39 s: {b} (the picture since 1 s is missing)"
    );
    assert!(t < 200.0, "top box at 39 s: {t}");
}

#[tokio::test]
async fn a_full_disk_is_a_clear_error_and_remuxed_titles_still_play() {
    let data = tempfile::tempdir().unwrap();
    let media = tempfile::tempdir().unwrap();
    place(
        media.path(),
        "Movies/Upsilon (2011)/Upsilon (2011).mkv",
        "hevc_ac3_20s.mkv",
    );
    place(
        media.path(),
        "Movies/Phi (2012)/Phi (2012).mp4",
        "h264_aac.mp4",
    );
    // The transcoding folder (cache and ffmpeg's work) on a 96 KB disk: the cache's own cap
    // (10 GB by default) is far away, the disk is not.
    let folder = data.path().join("transcode");
    let _disk = match Tmpfs::mount(&folder, "96k") {
        Ok(d) => d,
        Err(why) => {
            eprintln!("skipped: cannot mount a tmpfs (needs root): {why}");
            return;
        }
    };
    let (server, api) = serve_fast(data.path(), media.path()).await;
    let movies = api.get("/api/v1/movies").await;
    let id = id_of(&movies, "Upsilon");
    let info = api.get(&format!("/api/v1/items/{id}/playback")).await;
    let base = info["hls"]
        .as_str()
        .unwrap()
        .split("/p/")
        .next()
        .unwrap()
        .to_string();

    // Segments until the disk is full: a 507 that says so, not a 500 or a hang.
    let mut full = None;
    for n in 0..4 {
        let resp = reqwest::get(server.url(&format!("{base}/t/1/h264-240/{n}.m4s")))
            .await
            .unwrap();
        match resp.status().as_u16() {
            200 => continue,
            status => {
                let body: serde_json::Value = resp.json().await.unwrap();
                full = Some((n, status, body));
                break;
            }
        }
    }
    let (n, status, body) = full.expect("the 96 KB disk never filled");
    assert_eq!(status, 507, "segment {n}: {body}");
    let message = body["error"].as_str().unwrap();
    assert!(
        message.contains("full") && message.contains("no space left on device"),
        "{message}"
    );

    // Nothing half-written is left: no partial file, every cached file whole, no work files.
    let cached = files_under(&folder.join("cache"));
    for f in &cached {
        let name = f.to_string_lossy();
        assert!(!name.ends_with(".partial"), "{name}");
        assert!(whole_boxes(&std::fs::read(f).unwrap()), "truncated: {name}");
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !files_under(&folder.join("work")).is_empty() && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(files_under(&folder.join("work")), Vec::<PathBuf>::new());

    // A remuxed title still plays: its playlist decodes and a segment arrives whole.
    let phi = id_of(&movies, "Phi");
    let info = api.get(&format!("/api/v1/items/{phi}/playback")).await;
    let hls = info["hls"].as_str().unwrap();
    assert!(!hls.contains("/p/"), "{info}");
    ffmpeg_decodes(&server.url(hls));
    let phi_base = hls.trim_end_matches("/master.m3u8");
    let segment = fetch(&server.url(&format!("{phi_base}/v/1/0.m4s"))).await;
    assert!(whole_boxes(&segment));
}
