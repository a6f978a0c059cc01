//! Ahead-of-time ladders through the real server: queued by the admin API, progress polled, a
//! killed ffmpeg retried, a restart resumed, a cancel cleaned up, the master playlist's
//! attributes measured from the files, ffmpeg decoding each rendition, and the plan quality cap
//! steering viewers to the rungs under it.

mod common;
use common::*;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::{json, Value};

const TITLE: &str = "Movies/Lambda (2013)/Lambda (2013).mkv";

async fn library() -> (tempfile::TempDir, tempfile::TempDir) {
    let data = tempfile::tempdir().unwrap();
    let media = tempfile::tempdir().unwrap();
    place(media.path(), TITLE, "ladder_480p_24s.mkv");
    (data, media)
}

fn start(data: &Path, media: &Path) -> Server {
    let m = media.to_str().unwrap();
    Server::start_with_env(
        data,
        &["--media", m, "--no-watch", "--transcode-jobs", "1"],
        &[("MARQUEE_TRANSCODE_PRESET", "ultrafast")],
    )
}

async fn queue(api: &Api, body: Value) -> Vec<Value> {
    let res = api.post("/api/v1/admin/transcode/jobs", body).await;
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, 202, "{body}");
    body.as_array().unwrap().clone()
}

async fn job(api: &Api, id: i64) -> Value {
    api.get(&format!("/api/v1/admin/transcode/jobs/{id}")).await
}

/// Polls the job until `done(job)` holds, for at most `secs`.
async fn wait_job(api: &Api, id: i64, secs: u64, done: impl Fn(&Value) -> bool) -> Value {
    let mut last = Value::Null;
    for _ in 0..secs * 20 {
        last = job(api, id).await;
        assert_ne!(last["status"], "failed", "{last}");
        if done(&last) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("job {id} did not get there within {secs} s: {last}");
}

/// The one title's ladder folder.
fn ladder_dir(data: &Path) -> PathBuf {
    let root = data.join("transcode/ladder");
    let titles: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(titles.len(), 1, "{titles:?}");
    titles[0].clone()
}

fn alive(pid: i64) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| s.rsplit_once(')').map(|(_, r)| r.trim().to_string()))
        .is_some_and(|r| !r.starts_with('Z'))
}

/// The H.264 profile name and level ffprobe reads from a rendition.
fn h264_profile(url: &str) -> (String, u32) {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=profile,level",
        ])
        .args(["-of", "default=nw=1", url])
        .output()
        .expect("ffprobe");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let field = |k: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(k))
            .unwrap_or_else(|| panic!("no {k} from ffprobe: {text}"))
            .to_string()
    };
    (field("profile="), field("level=").parse().unwrap())
}

/// `NAME=value` attributes of an `#EXT-X-STREAM-INF` line.
fn attr<'a>(line: &'a str, name: &str) -> &'a str {
    let at = line
        .find(&format!("{name}="))
        .unwrap_or_else(|| panic!("no {name} in {line}"));
    let v = &line[at + name.len() + 1..];
    if let Some(q) = v.strip_prefix('"') {
        &q[..q.find('"').unwrap()]
    } else {
        &v[..v.find(',').unwrap_or(v.len())]
    }
}

fn no_partials(dir: &Path) {
    for f in files_under(dir) {
        assert!(!f.to_string_lossy().ends_with(".partial"), "{f:?}");
    }
}

#[tokio::test]
async fn a_ladder_is_made_survives_a_killed_ffmpeg_and_steers_capped_viewers() {
    let (data, media) = library().await;
    let server = start(data.path(), media.path());
    let api = server.admin().await;
    server.wait_for_scan(&api).await;
    let id = id_of(&api.get("/api/v1/movies").await, "Lambda");

    // Malformed requests are refused.
    for bad in [
        json!({}),
        json!({"item_id": id, "library_id": 1}),
        json!({"item_id": id, "heights": [481]}),
    ] {
        let res = api.post("/api/v1/admin/transcode/jobs", bad).await;
        assert_eq!(res.status(), 400);
    }
    let res = api
        .post("/api/v1/admin/transcode/jobs", json!({"item_id": 999_999}))
        .await;
    assert_eq!(res.status(), 404);

    let jobs = queue(
        &api,
        json!({"item_id": id, "heights": [1080, 480, 360, 240]}),
    )
    .await;
    assert_eq!(jobs.len(), 1);
    let job_id = jobs[0]["id"].as_i64().unwrap();
    // Queuing again keeps the job that is queued or running.
    let again = queue(&api, json!({"item_id": id})).await;
    assert_eq!(again[0]["id"].as_i64(), Some(job_id));

    // Progress while it runs; the ffmpeg making a rung is SIGKILLed mid-rung.
    let mut killed = false;
    let mut saw_progress = false;
    for _ in 0..1200 {
        let j = job(&api, job_id).await;
        assert_ne!(j["status"], "failed", "{j}");
        if j["status"] == "done" {
            break;
        }
        let live = &j["live"];
        if live.is_object() {
            saw_progress |= live["rung"].is_string() && live["rungs"] == 4;
            if let Some(pid) = live["ffmpeg_pid"].as_i64() {
                let ok = !killed
                    && live["segments_done"].as_u64() < live["segments"].as_u64()
                    && alive(pid)
                    && Command::new("kill")
                        .args(["-KILL", &pid.to_string()])
                        .status()
                        .unwrap()
                        .success();
                killed |= ok;
            }
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(saw_progress, "the job never showed live progress");
    assert!(killed, "no ffmpeg was caught running");
    let done = wait_job(&api, job_id, 120, |j| j["status"] == "done").await;
    assert_eq!(done["percent"], 100.0, "{done}");
    assert!(done["attempts"].as_i64().unwrap() >= 1, "{done}");
    let dir = ladder_dir(server.data.as_path());
    no_partials(&data.path().join("transcode"));
    let mut rungs: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    rungs.sort();
    // No rung above the 480-line source.
    assert_eq!(rungs, ["1-h264-240", "1-h264-360", "1-h264-480", "2-aac"]);

    // Chromium cannot decode the HEVC original: the master lists the three rungs.
    let info = api.get(&format!("/api/v1/items/{id}/playback")).await;
    let hls = info["hls"].as_str().unwrap();
    assert!(hls.ends_with("/l/x/master.m3u8"), "{info}");
    let master_url = server.url(hls);
    let master = reqwest::get(&master_url)
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let levels: Vec<(&str, &str)> = master
        .lines()
        .zip(master.lines().skip(1))
        .filter(|(l, _)| l.starts_with("#EXT-X-STREAM-INF:"))
        .collect();
    assert_eq!(levels.len(), 3, "{master}");
    let audio = std::fs::read_to_string(dir.join("2-aac/rendition.json")).unwrap();
    let audio: Value = serde_json::from_str(&audio).unwrap();
    for (inf, uri) in &levels {
        let rendition = uri.split('/').nth(2).unwrap();
        let measured: Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join(format!("1-{rendition}/rendition.json"))).unwrap(),
        )
        .unwrap();
        // Recompute from the files: sizes over the plan's durations.
        let seg_dir = dir.join(format!("1-{rendition}"));
        // 24 s: a 2 s first segment, then 6 s ones.
        let bytes: u64 = (0..5)
            .map(|n| {
                std::fs::metadata(seg_dir.join(format!("{n}.m4s")))
                    .unwrap()
                    .len()
            })
            .sum();
        assert_eq!(measured["bytes"].as_u64(), Some(bytes));
        let avg = (bytes as f64 * 8.0 / 24.0).ceil() as u64;
        let avg_attr: u64 = attr(inf, "AVERAGE-BANDWIDTH").parse().unwrap();
        let expected = avg + audio["average_bps"].as_u64().unwrap();
        assert!(
            avg_attr.abs_diff(expected) <= expected / 50,
            "{inf}: {expected}"
        );
        let peak: u64 = attr(inf, "BANDWIDTH").parse().unwrap();
        assert!(peak >= avg_attr, "{inf}");
        let height: u32 = rendition.trim_start_matches("h264-").parse().unwrap();
        assert_eq!(
            attr(inf, "RESOLUTION"),
            format!("{}x{height}", height * 4 / 3)
        );
        assert_eq!(attr(inf, "FRAME-RATE"), "25.000");
        // The codec string is the one in the produced init segment: ffprobe agrees on the
        // profile and level (x264 signals the lowest profile its output needs).
        let codecs = attr(inf, "CODECS");
        assert!(codecs.ends_with(",mp4a.40.2"), "{inf}");
        assert_eq!(codecs.split(',').next(), measured["codec"].as_str());
        let base = master_url.rsplit_once('/').unwrap().0;
        let (profile, level) = h264_profile(&format!("{base}/{uri}"));
        let avc = codecs.split(',').next().unwrap();
        let want_profile = match &avc[5..7] {
            "42" => "Baseline",
            "4d" => "Main",
            "64" => "High",
            other => panic!("unexpected profile {other} in {avc}"),
        };
        assert!(profile.contains(want_profile), "{profile} vs {avc}");
        assert_eq!(
            u32::from_str_radix(&avc[9..11], 16).unwrap(),
            level,
            "{avc}"
        );
        // ffmpeg decodes each rendition's playlist through the server.
        ffmpeg_decodes(&format!("{base}/{uri}"));
    }
    let base = master_url.rsplit_once('/').unwrap().0.to_string();
    ffmpeg_decodes(&format!("{base}/r/2/aac/playlist.m3u8"));
    ffmpeg_decodes(&master_url);
    // DASH gets the rungs as representations of one video AdaptationSet.
    let mpd_url = server.url(info["dash"].as_str().unwrap());
    assert!(mpd_url.ends_with("/l/x/manifest.mpd"), "{mpd_url}");
    let mpd = reqwest::get(&mpd_url).await.unwrap().text().await.unwrap();
    assert_eq!(mpd.matches("<Representation ").count(), 4, "{mpd}");
    assert!(mpd.contains("media=\"r/1/h264-360/$Number$.m4s\""), "{mpd}");
    ffmpeg_decodes(&mpd_url);

    // Safari decodes HEVC: the original is the top level, above the rungs.
    let safari = api
        .get(&format!("/api/v1/items/{id}/playback?client=safari"))
        .await;
    let safari_master = reqwest::get(server.url(safari["hls"].as_str().unwrap()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(safari["hls"]
        .as_str()
        .unwrap()
        .ends_with("/l/o/master.m3u8"));
    assert_eq!(safari_master.matches("#EXT-X-STREAM-INF").count(), 4);
    assert!(
        safari_master.contains("v/1/playlist.m3u8"),
        "{safari_master}"
    );

    // A plan capped at 360 lines: the rungs under it instead of a 403.
    let res = api
        .post(
            "/api/v1/admin/plans",
            json!({"name": "Small", "all_titles": true, "max_height": 360}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let res = api
        .post(
            "/api/v1/admin/users",
            json!({"username": "small", "password": "viewer-password"}),
        )
        .await;
    let vid = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let res = api
        .client
        .put(server.url(&format!("/api/v1/admin/users/{vid}/subscription")))
        .bearer_auth(&api.token)
        .json(&json!({"plan": "Small"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let viewer = server.login("small", "viewer-password").await;
    let info = viewer.get(&format!("/api/v1/items/{id}/playback")).await;
    let hls = info["hls"].as_str().unwrap();
    let master = reqwest::get(server.url(hls))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(master.matches("#EXT-X-STREAM-INF").count(), 2, "{master}");
    assert!(!master.contains("h264-480"), "{master}");
    ffmpeg_decodes(&server.url(hls));
    let mpd = reqwest::get(server.url(info["dash"].as_str().unwrap()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(mpd.matches("<Representation ").count(), 3, "{mpd}");
    let base = hls.rsplit_once('/').unwrap().0;
    let status = |path: String| {
        let url = server.url(&format!("{base}/{path}"));
        async move { reqwest::get(url).await.unwrap().status().as_u16() }
    };
    assert_eq!(status("r/1/h264-360/0.m4s".into()).await, 200);
    // Above the cap: refused, on the ladder and on just-in-time renditions alike.
    assert_eq!(status("r/1/h264-480/0.m4s".into()).await, 403);
    assert_eq!(status("r/1/h264-480/playlist.m3u8".into()).await, 403);
    assert_eq!(status("t/1/h264-480/0.m4s".into()).await, 403);
    // The original file stays out of reach.
    assert_eq!(status("v/1/0.m4s".into()).await, 403);
}

#[tokio::test]
async fn a_restarted_server_resumes_its_job_and_a_cancel_removes_unfinished_rungs() {
    let (data, media) = library().await;
    let server = start(data.path(), media.path());
    let password = server.admin_password.clone().unwrap();
    let api = server.admin().await;
    server.wait_for_scan(&api).await;
    let id = id_of(&api.get("/api/v1/movies").await, "Lambda");
    let job_id = queue(&api, json!({"item_id": id, "heights": [480, 360]})).await[0]["id"]
        .as_i64()
        .unwrap();
    // Once the first rung is finished, the server dies (SIGKILL: no clean shutdown).
    wait_job(&api, job_id, 120, |j| {
        j["live"]["rung_number"].as_u64() >= Some(2)
    })
    .await;
    let first = ladder_dir(data.path()).join("1-h264-480");
    let before: Vec<(PathBuf, std::time::SystemTime)> = files_under(&first)
        .into_iter()
        .map(|f| {
            let t = std::fs::metadata(&f).unwrap().modified().unwrap();
            (f, t)
        })
        .collect();
    assert_eq!(before.len(), 7, "{before:?}"); // init, 5 segments, rendition.json
    drop(server);

    let server = start(data.path(), media.path());
    let api = server.login("admin", &password).await;
    let done = wait_job(&api, job_id, 120, |j| j["status"] == "done").await;
    assert_eq!(done["percent"], 100.0);
    // The finished rung was not made again.
    for (f, t) in &before {
        assert_eq!(
            std::fs::metadata(f).unwrap().modified().unwrap(),
            *t,
            "{f:?}"
        );
    }
    no_partials(&data.path().join("transcode"));

    // A new job (a 240-line rung) cancelled while it runs: ffmpeg is gone, its rung removed,
    // the finished rungs stay.
    let job_id = queue(&api, json!({"item_id": id, "heights": [240]})).await[0]["id"]
        .as_i64()
        .unwrap();
    let running = wait_job(&api, job_id, 60, |j| j["live"]["ffmpeg_pid"].is_i64()).await;
    let pid = running["live"]["ffmpeg_pid"].as_i64().unwrap();
    // Held still so that it cannot finish the rung before the cancel arrives.
    assert!(Command::new("kill")
        .args(["-STOP", &pid.to_string()])
        .status()
        .unwrap()
        .success());
    assert!(
        alive(pid),
        "ffmpeg {pid} ended before it could be cancelled"
    );
    let res = api
        .delete(&format!("/api/v1/admin/transcode/jobs/{job_id}"))
        .await;
    assert_eq!(res.status(), 200);
    wait_job(&api, job_id, 10, |j| {
        j["status"] == "cancelled" && j["live"].is_null()
    })
    .await;
    assert!(!alive(pid), "ffmpeg {pid} still runs");
    let dir = ladder_dir(data.path());
    assert!(!dir.join("1-h264-240").exists());
    assert!(dir.join("1-h264-480/rendition.json").is_file());
    let res = api
        .delete(&format!("/api/v1/admin/transcode/jobs/{job_id}"))
        .await;
    assert_eq!(res.status(), 409);
    let list = api.get("/api/v1/admin/transcode/jobs").await;
    assert_eq!(list.as_array().unwrap().len(), 2, "{list}");
}

#[tokio::test]
async fn the_cli_queues_a_ladder_that_the_running_server_makes_and_watches_it_finish() {
    let (data, media) = library().await;
    let server = start(data.path(), media.path());
    let api = server.admin().await;
    server.wait_for_scan(&api).await;
    let id = id_of(&api.get("/api/v1/movies").await, "Lambda");
    let cli = |args: &[&str]| {
        marquee()
            .arg("transcode")
            .args(args)
            .arg("--data")
            .arg(data.path())
            .output()
            .unwrap()
    };
    let out = cli(&["queue", "--item", &id.to_string(), "--heights", "240"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("queued"));
    // `watch` returns once nothing is queued or running (the server's worker made it).
    let out = cli(&["watch"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = cli(&["list", "--json"]);
    let jobs: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(jobs[0]["status"], "done", "{jobs}");
    assert_eq!(jobs[0]["heights"], json!([240]));
    assert!(ladder_dir(data.path())
        .join("1-h264-240/rendition.json")
        .is_file());
    // A finished job cannot be cancelled; the message says why.
    let job_id = jobs[0]["id"].as_i64().unwrap().to_string();
    let out = cli(&["cancel", &job_id]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already done"));
}
