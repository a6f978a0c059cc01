//! Extras made in the background, through the real API of a real server: intro and credits
//! detection across a season, scrub thumbnails, stills from the video, chapters.

mod common;
use common::*;

use std::time::Duration;

use serde_json::Value;

/// Polls `path` until `ready` holds for its JSON (the worker runs in the background).
async fn wait_for(api: &Api, path: &str, what: &str, ready: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..1200 {
        let v = api.get(path).await;
        if ready(&v) {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "{what} did not appear within 120 s: {}",
        api.get(path).await
    );
}

/// Reports a position for the signed-in account and answers whether the item now counts as
/// watched (and resumes from the start).
async fn watched_at(api: &Api, item: i64, position_ms: i64) -> bool {
    let res = api
        .post(
            "/api/v1/me/progress",
            serde_json::json!({"item_id": item, "position_ms": position_ms}),
        )
        .await;
    let status = res.status();
    let body: Value = serde_json::from_str(&res.text().await.unwrap()).unwrap();
    assert_eq!(status, 200, "progress report: {body}");
    assert_eq!(body["watched"], body["completed"], "{body}");
    assert_eq!(
        body["resume_ms"],
        if body["completed"] == true {
            0
        } else {
            position_ms
        },
        "{body}"
    );
    body["watched"] == true
}

fn ms(v: &Value) -> i64 {
    v.as_i64()
        .unwrap_or_else(|| panic!("not a number of ms: {v}"))
}

async fn episode_ids(api: &Api, series: &str) -> Vec<i64> {
    let id = id_of(&api.get("/api/v1/series").await, series);
    let detail = api.get(&format!("/api/v1/series/{id}")).await;
    detail["seasons"][0]["episodes"]
        .as_array()
        .expect("episodes")
        .iter()
        .map(|e| e["id"].as_i64().expect("id"))
        .collect()
}

#[tokio::test]
async fn a_shared_intro_and_ending_are_found_and_thumbnails_follow_the_file() {
    let data = tempfile::tempdir().unwrap();
    let media = tempfile::tempdir().unwrap();
    // The same theme starts 1 s, 3.5 s and 5.5 s in; the same ending fills the last 4 s.
    let starts = [1000, 3500, 5500];
    let mut files = Vec::new();
    for n in 1..=3 {
        files.push(place(
            media.path(),
            &format!("Intro Show/Season 01/Intro Show - S01E0{n}.mkv"),
            &format!("intro_ep{n}.mkv"),
        ));
    }
    let (server, api) = serve_media(data.path(), media.path()).await;
    let episodes = episode_ids(&api, "Intro Show").await;
    assert_eq!(episodes.len(), 3);

    for (id, start) in episodes.iter().zip(starts) {
        let path = format!("/api/v1/items/{id}/playback");
        let info = wait_for(&api, &path, "the intro and credits", |v| {
            v.get("intro").is_some() && v.get("credits").is_some()
        })
        .await;
        let (intro_start, intro_end) =
            (ms(&info["intro"]["start_ms"]), ms(&info["intro"]["end_ms"]));
        assert!(
            (intro_start - start).abs() <= 1000 && (intro_end - (start + 8000)).abs() <= 1000,
            "episode {id}: the intro is at {start}–{} ms, found {intro_start}–{intro_end}",
            start + 8000
        );
        let credits = ms(&info["credits"]["start_ms"]);
        let duration = ms(&info["duration_ms"]);
        assert!(
            (credits - (duration - 4000)).abs() <= 1000,
            "episode {id}: the ending starts at {} ms, found {credits}",
            duration - 4000
        );
        // The detected ending counts for "watched", well before 90 % of the episode.
        assert!(credits + 200 < duration * 9 / 10, "{credits} / {duration}");
        assert!(!watched_at(&api, *id, credits - 500).await, "episode {id}");
        assert!(watched_at(&api, *id, credits + 200).await, "episode {id}");

        // Scrub thumbnails: a signed WebVTT track whose cues cover the whole video.
        let info = wait_for(&api, &path, "scrub thumbnails", |v| {
            v.get("thumbnails").is_some()
        })
        .await;
        let vtt_url = server.url(info["thumbnails"].as_str().unwrap());
        let resp = reqwest::get(&vtt_url).await.unwrap();
        assert_eq!(resp.status(), 200);
        assert!(resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/vtt"));
        let vtt = resp.text().await.unwrap();
        assert!(vtt.starts_with("WEBVTT"));
        let cues: Vec<(i64, i64, String)> = vtt
            .split("\n\n")
            .filter_map(|block| {
                let mut lines = block.lines();
                let timing = lines.find(|l| l.contains("-->"))?;
                let (a, b) = timing.split_once(" --> ")?;
                Some((vtt_ms(a), vtt_ms(b), lines.next()?.to_string()))
            })
            .collect();
        assert!(cues.len() >= 10, "{vtt}");
        assert_eq!(cues[0].0, 0);
        // The track ends with the video (the packager's duration may differ by a frame).
        let end = cues.last().unwrap().1;
        assert!(
            (end - duration).abs() <= 100,
            "ends at {end}, not {duration}: {vtt}"
        );
        for pair in cues.windows(2) {
            assert_eq!(pair[0].1, pair[1].0, "cues leave a gap: {vtt}");
        }
        let (_, _, first) = &cues[0];
        assert!(
            first.starts_with("thumbnails/sheet-0.jpg#xywh=0,0,"),
            "{first}"
        );
        let sheet_url = format!(
            "{}/{}",
            vtt_url.rsplit_once('/').unwrap().0,
            first.split('#').next().unwrap()
        );
        let sheet = reqwest::get(&sheet_url).await.unwrap();
        assert_eq!(sheet.status(), 200, "{sheet_url}");
        assert_eq!(sheet.headers()["content-type"], "image/jpeg");
        let img = image::load_from_memory(&sheet.bytes().await.unwrap()).unwrap();
        assert_eq!(img.width(), 1600, "10 tiles of 160 px");
        // A bad token is refused.
        let (prefix, name) = vtt_url.rsplit_once('/').unwrap();
        let (prefix, token) = prefix.rsplit_once('/').unwrap();
        let other = if token.ends_with('0') { '1' } else { '0' };
        let forged = format!("{prefix}/{}{other}/{name}", &token[..token.len() - 1]);
        assert_eq!(
            reqwest::get(&forged).await.unwrap().status(),
            403,
            "{forged}"
        );
    }

    // The episodes' stills stand in for missing thumbs, with placeholders.
    let detail = api.get(&format!("/api/v1/items/{}", episodes[0])).await;
    let thumb = detail["artwork"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "thumb")
        .unwrap_or_else(|| panic!("no generated thumb: {detail}"));
    assert_eq!(thumb["source"], "generated");
    assert!(thumb["blurhash"].as_str().is_some_and(|h| h.len() >= 6));

    // The thumbnails of a file that goes away are removed.
    let extras_dirs = || {
        std::fs::read_dir(data.path().join("extras"))
            .unwrap()
            .count()
    };
    assert_eq!(extras_dirs(), 3);
    std::fs::remove_file(&files[2]).unwrap();
    let resp = api.post("/api/v1/admin/scan", serde_json::json!({})).await;
    assert!(resp.status().is_success(), "{}", resp.text().await.unwrap());
    for _ in 0..300 {
        if extras_dirs() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        extras_dirs(),
        2,
        "the removed episode's thumbnails are still on disk"
    );
}

fn vtt_ms(t: &str) -> i64 {
    let (hms, frac) = t.trim().split_once('.').unwrap();
    let p: Vec<i64> = hms.split(':').map(|x| x.parse().unwrap()).collect();
    ((p[0] * 60 + p[1]) * 60 + p[2]) * 1000 + frac.parse::<i64>().unwrap()
}

#[tokio::test]
async fn a_still_skips_the_black_opening_and_comes_in_sizes() {
    let data = tempfile::tempdir().unwrap();
    let media = tempfile::tempdir().unwrap();
    place(
        media.path(),
        "Dark Start (2020)/Dark Start (2020).mp4",
        "black_start.mp4",
    );
    let (server, api) = serve_media(data.path(), media.path()).await;
    let id = id_of(&api.get("/api/v1/movies").await, "Dark Start");
    let detail = wait_for(&api, &format!("/api/v1/items/{id}"), "a poster", |v| {
        v["artwork"].as_array().is_some_and(|a| !a.is_empty())
    })
    .await;
    let poster = &detail["artwork"][0];
    assert_eq!(poster["kind"], "poster");
    assert_eq!(poster["source"], "generated");
    assert_eq!(
        (poster["width"].as_u64(), poster["height"].as_u64()),
        (Some(704), Some(396))
    );
    assert!(
        poster["blurhash"].as_str().is_some_and(|h| h.len() == 28),
        "{poster}"
    );
    let url = poster["url"].as_str().unwrap();
    assert!(url.contains("?v="), "{url}");

    let resp = api.get_raw(url).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "image/jpeg");
    assert!(resp.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("immutable"));
    let etag = resp.headers()["etag"].to_str().unwrap().to_string();
    let img = image::load_from_memory(&resp.bytes().await.unwrap()).unwrap();
    assert_eq!(img.width(), 704);
    let luma = img.to_luma8();
    let mean = luma.pixels().map(|p| f64::from(p.0[0])).sum::<f64>()
        / f64::from(img.width() * img.height());
    assert!(mean > 40.0, "the still is black (mean luma {mean:.1})");

    for (w, want) in [(300, 320), (600, 640), (2000, 704)] {
        let resp = api.get_raw(&format!("{url}&w={w}")).await;
        assert_eq!(resp.status(), 200);
        let img = image::load_from_memory(&resp.bytes().await.unwrap()).unwrap();
        assert_eq!(img.width(), want, "?w={w}");
    }
    let again = api
        .client
        .get(server.url(url))
        .bearer_auth(&api.token)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    // The listing shows it as the poster too.
    let list = api.get("/api/v1/movies").await;
    assert!(list["items"][0]["poster"].is_string(), "{list}");
}

#[tokio::test]
async fn chapters_and_sidecar_markers_without_ffmpeg() {
    let data = tempfile::tempdir().unwrap();
    let media = tempfile::tempdir().unwrap();
    place(
        media.path(),
        "Chaptered (2001)/Chaptered (2001).mkv",
        "chapters.mkv",
    );
    place(
        media.path(),
        "Marked (2002)/Marked (2002).mp4",
        "chapters.mp4",
    );
    place(
        media.path(),
        "Sidecar (2003)/Sidecar (2003).mp4",
        "tiny.mp4",
    );
    std::fs::write(
        media.path().join("Sidecar (2003)/Sidecar (2003).json"),
        r#"{"chapters": [{"start": 0, "title": "Cold open"}, {"start": "0:00.4", "title": "Story"}],
            "intro": {"start": 0.1, "end": 0.4}, "credits": 0.8}"#,
    )
    .unwrap();
    let (_server, api) = serve_media_with_env(
        data.path(),
        media.path(),
        &[("MARQUEE_FFMPEG", "/nonexistent/ffmpeg")],
    )
    .await;
    let movies = api.get("/api/v1/movies").await;

    // Sidecar chapters come only from the worker: once they show, it has done the file.
    let sidecar = id_of(&movies, "Sidecar");
    let info = wait_for(
        &api,
        &format!("/api/v1/items/{sidecar}/playback"),
        "sidecar chapters",
        |v| v["chapters"].as_array().is_some_and(|c| !c.is_empty()),
    )
    .await;
    assert_eq!(info["chapters"][1]["start_ms"], 400);
    assert_eq!(info["chapters"][0]["title"], "Cold open");
    assert_eq!(
        info["intro"],
        serde_json::json!({"start_ms": 100, "end_ms": 400})
    );
    assert_eq!(info["credits"]["start_ms"], 800);
    // The sidecar's credits mark the end for "watched": 850 ms of a 1 s film is short of 90 %.
    assert!(!watched_at(&api, sidecar, 700).await);
    assert!(watched_at(&api, sidecar, 850).await);
    assert!(
        info.get("thumbnails").is_none(),
        "no ffmpeg, no thumbnails: {info}"
    );

    for title in ["Chaptered", "Marked"] {
        let id = id_of(&movies, title);
        let info = wait_for(
            &api,
            &format!("/api/v1/items/{id}/playback"),
            "container chapters",
            |v| v["chapters"].as_array().is_some_and(|c| c.len() == 3),
        )
        .await;
        let chapters: Vec<(i64, i64, &str)> = info["chapters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    ms(&c["start_ms"]),
                    ms(&c["end_ms"]),
                    c["title"].as_str().unwrap(),
                )
            })
            .collect();
        let end = ms(&info["duration_ms"]);
        assert_eq!(chapters[0], (0, 1500, "Intro"), "{title}");
        assert_eq!(chapters[1], (1500, 3000, "Part One"), "{title}");
        assert_eq!((chapters[2].0, chapters[2].2), (3000, "Credits"), "{title}");
        assert!(
            (chapters[2].1 - end).abs() <= 100,
            "{title}: {chapters:?} / {end}"
        );
        assert_eq!(
            info["intro"],
            serde_json::json!({"start_ms": 0, "end_ms": 1500}),
            "{title}"
        );
        assert_eq!(info["credits"]["start_ms"], 3000, "{title}");
        // A "Credits" chapter does too (3.1 s of 4 s is short of 90 %).
        assert!(!watched_at(&api, id, 2900).await, "{title}");
        assert!(watched_at(&api, id, 3100).await, "{title}");
        // Without ffmpeg nothing is generated: no poster stands in for the missing one.
        let detail = api.get(&format!("/api/v1/items/{id}")).await;
        assert_eq!(detail["artwork"], serde_json::json!([]), "{title}");
    }

    // `marquee probe` prints them too.
    let out = marquee()
        .arg("probe")
        .arg(fixture("chapters.mp4"))
        .output()
        .unwrap();
    let probe: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(probe["chapters"][2]["title"], "Credits");
}

#[tokio::test]
async fn a_changed_sidecar_poster_gets_a_new_placeholder_and_version() {
    let data = tempfile::tempdir().unwrap();
    let media = tempfile::tempdir().unwrap();
    place(media.path(), "Framed (2004)/Framed (2004).mp4", "tiny.mp4");
    let poster = media.path().join("Framed (2004)/poster.jpg");
    let paint = |w: u32, h: u32, rgb: [u8; 3]| {
        image::RgbImage::from_fn(w, h, |x, _| {
            // A gradient, so that the placeholder has something to describe.
            let f = x as f32 / w as f32;
            image::Rgb(rgb.map(|c| (f32::from(c) * (0.3 + 0.7 * f)) as u8))
        })
        .save(&poster)
        .unwrap();
    };
    paint(60, 90, [200, 30, 30]);
    let (_server, api) = serve_media_with_env(
        data.path(),
        media.path(),
        &[("MARQUEE_FFMPEG", "/nonexistent/ffmpeg")],
    )
    .await;
    let id = id_of(&api.get("/api/v1/movies").await, "Framed");
    let path = format!("/api/v1/items/{id}");
    let poster_of = |v: &Value| {
        v["artwork"]
            .as_array()
            .and_then(|a| a.iter().find(|a| a["kind"] == "poster"))
            .cloned()
            .unwrap_or(Value::Null)
    };
    let first = poster_of(
        &wait_for(&api, &path, "the poster's placeholder", |v| {
            poster_of(v)["blurhash"].is_string()
        })
        .await,
    );
    assert_eq!(
        (first["width"].as_u64(), first["height"].as_u64()),
        (Some(60), Some(90))
    );

    // The same file name, another picture: a rescan makes a new placeholder and a new URL.
    paint(120, 68, [20, 60, 220]);
    let resp = api.post("/api/v1/admin/scan", serde_json::json!({})).await;
    assert!(resp.status().is_success(), "{}", resp.text().await.unwrap());
    let second = poster_of(
        &wait_for(&api, &path, "the new poster's placeholder", |v| {
            poster_of(v)["width"] == 120
        })
        .await,
    );
    assert_eq!(second["height"], 68, "{second}");
    assert_ne!(second["blurhash"], first["blurhash"]);
    assert_ne!(
        second["url"], first["url"],
        "the cached-for-good URL must change"
    );
    let img = api.get_raw(second["url"].as_str().unwrap()).await;
    assert_eq!(img.status(), 200);
    let img = image::load_from_memory(&img.bytes().await.unwrap()).unwrap();
    assert_eq!(img.width(), 120);
}
