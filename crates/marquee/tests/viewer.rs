//! The viewer's experience against a real server and a real SQLite file: progress survives a
//! restart, continue watching orders by the last viewing and moves on to the next episode across
//! a season boundary, hand marks for a season, My List, thumbs, and profiles kept apart.

mod common;
use common::*;

use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;

/// A two-season series and two films, each file distinct (1 s long each).
fn library(root: &Path) {
    place(
        root,
        "Shows/Alpha (2019)/Season 01/Alpha - S01E01 - Pilot.mp4",
        "tiny.mp4",
    );
    place(
        root,
        "Shows/Alpha (2019)/Season 01/Alpha - S01E02 - Second.mkv",
        "tiny.mkv",
    );
    place(
        root,
        "Shows/Alpha (2019)/Season 02/Alpha - S02E01 - Return.mp4",
        "tiny-b.mp4",
    );
    place(root, "Movies/Beta (2001)/Beta (2001).mp4", "tiny-c.mp4");
    place(root, "Movies/Gamma (2003)/Gamma (2003).mp4", "tiny-d.mp4");
    // Ratings, for a kids profile: the series is for everyone, Beta is not.
    std::fs::write(
        root.join("Shows/Alpha (2019)/marquee.json"),
        r#"{"content_rating": "TV-G"}"#,
    )
    .unwrap();
    std::fs::write(
        root.join("Movies/Beta (2001)/Beta (2001).json"),
        r#"{"content_rating": "R", "people": [{"name": "Rex Rated", "role": "director"}]}"#,
    )
    .unwrap();
}

/// Ids of the series, its seasons and episodes by "S01E02"-style code.
struct Alpha {
    series: i64,
    seasons: Vec<i64>,
    episodes: std::collections::HashMap<String, i64>,
}

async fn alpha(api: &Api) -> Alpha {
    let series = id_of(&api.get("/api/v1/series").await, "Alpha");
    let detail = api.get(&format!("/api/v1/series/{series}")).await;
    let mut seasons = Vec::new();
    let mut episodes = std::collections::HashMap::new();
    for s in detail["seasons"].as_array().unwrap() {
        seasons.push(s["id"].as_i64().unwrap());
        for e in s["episodes"].as_array().unwrap() {
            episodes.insert(
                format!(
                    "S{:02}E{:02}",
                    s["number"].as_i64().unwrap(),
                    e["number"].as_i64().unwrap()
                ),
                e["id"].as_i64().unwrap(),
            );
        }
    }
    Alpha {
        series,
        seasons,
        episodes,
    }
}

async fn report(api: &Api, item: i64, position_ms: i64) -> Value {
    let res = api
        .post(
            "/api/v1/me/progress",
            json!({"item_id": item, "position_ms": position_ms}),
        )
        .await;
    let status = res.status();
    let text = res.text().await.unwrap();
    assert_eq!(status, 200, "progress report: {text}");
    // Reports a few ms apart keep "most recent first" unambiguous.
    tokio::time::sleep(Duration::from_millis(5)).await;
    serde_json::from_str(&text).unwrap()
}

async fn send(api: &Api, method: reqwest::Method, path: &str, body: Option<Value>) -> u16 {
    api.send(method, path, body).await.status().as_u16()
}

fn continue_ids(cw: &Value) -> Vec<(i64, String)> {
    cw.as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["item_id"].as_i64().unwrap(),
                c["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn progress_continue_watching_up_next_and_marks() {
    let media = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    library(media.path());
    let (server, api) = serve_media(data.path(), media.path()).await;
    let a = alpha(&api).await;
    let (e101, e102, e201) = (
        a.episodes["S01E01"],
        a.episodes["S01E02"],
        a.episodes["S02E01"],
    );
    let movies = api.get("/api/v1/movies").await;
    let (beta, gamma) = (id_of(&movies, "Beta"), id_of(&movies, "Gamma"));

    // The files are 1 s long: 40 % is in progress, 95 % is past the 90 % threshold.
    let s = report(&api, gamma, 300).await;
    assert_eq!(
        (s["resume_ms"].as_i64(), s["completed"].as_bool()),
        (Some(300), Some(false))
    );
    report(&api, beta, 400).await;
    report(&api, e101, 500).await;
    assert_eq!(
        continue_ids(&api.get("/api/v1/me/continue-watching").await),
        vec![
            (e101, "resume".into()),
            (beta, "resume".into()),
            (gamma, "resume".into())
        ]
    );

    // Finishing S01E01 moves the series on to S01E02; finishing S01E02 crosses into season 2.
    let s = report(&api, e101, 960).await;
    assert_eq!(
        (s["completed"].as_bool(), s["watched"].as_bool()),
        (Some(true), Some(true))
    );
    assert_eq!(
        (s["resume_ms"].as_i64(), s["play_count"].as_i64()),
        (Some(0), Some(1))
    );
    assert_eq!(
        continue_ids(&api.get("/api/v1/me/continue-watching").await)[0],
        (e102, "next".into())
    );
    report(&api, e102, 950).await;
    let cw = api.get("/api/v1/me/continue-watching").await;
    assert_eq!(
        continue_ids(&cw),
        vec![
            (e201, "next".into()),
            (beta, "resume".into()),
            (gamma, "resume".into())
        ]
    );
    assert_eq!(cw[0]["season_number"], 2);
    assert_eq!(cw[0]["series_title"], "Alpha");
    // Touching Gamma again puts it first.
    report(&api, gamma, 600).await;
    assert_eq!(
        continue_ids(&api.get("/api/v1/me/continue-watching").await)[0],
        (gamma, "resume".into())
    );

    // Up next after the last episode of season 1 is the first of season 2, in playback info too.
    let next = api.get(&format!("/api/v1/items/{e102}/next")).await;
    assert_eq!(next["next"]["id"], e201, "{next}");
    assert_eq!(next["next"]["title"], "Return");
    let play = api.get(&format!("/api/v1/items/{e102}/playback")).await;
    assert_eq!(play["next"]["id"], e201);
    assert_eq!(
        api.get(&format!("/api/v1/items/{e201}/next")).await["next"],
        Value::Null
    );
    assert_eq!(
        api.get(&format!("/api/v1/items/{beta}/playback")).await["resume_ms"],
        400
    );

    // Marking season 1 unwatched, then watched by hand; the whole series unwatched.
    let season1 = a.seasons[0];
    let marked = api
        .delete(&format!("/api/v1/me/watched/{}", a.series))
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(marked["items"], 3);
    let res = api
        .client
        .put(server.url(&format!("/api/v1/me/watched/{season1}")))
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["items"], 2);
    let state = api.get(&format!("/api/v1/me/items/{}", a.series)).await;
    let watched: Vec<(i64, bool)> = state["progress"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["item_id"].as_i64().unwrap(),
                p["watched"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(watched, vec![(e101, true), (e102, true), (e201, false)]);
    assert_eq!(
        send(
            &api,
            reqwest::Method::PUT,
            "/api/v1/me/watched/999999",
            None
        )
        .await,
        404
    );

    // My List: series and movies, newest first; not episodes.
    for id in [beta, a.series] {
        assert_eq!(
            send(
                &api,
                reqwest::Method::PUT,
                &format!("/api/v1/me/list/{id}"),
                None
            )
            .await,
            204
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(
        send(
            &api,
            reqwest::Method::PUT,
            &format!("/api/v1/me/list/{e101}"),
            None
        )
        .await,
        400
    );
    let list: Vec<i64> = api
        .get("/api/v1/me/list")
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    assert_eq!(list, vec![a.series, beta]);
    assert_eq!(
        send(
            &api,
            reqwest::Method::DELETE,
            &format!("/api/v1/me/list/{beta}"),
            None
        )
        .await,
        204
    );
    assert_eq!(
        send(
            &api,
            reqwest::Method::DELETE,
            &format!("/api/v1/me/list/{beta}"),
            None
        )
        .await,
        404
    );
    assert_eq!(
        api.get(&format!("/api/v1/me/items/{}", a.series)).await["in_my_list"],
        true
    );

    // Thumbs: up, then down replaces it; a bad thumb is a 400.
    let rate = |id: i64, thumb: &'static str| {
        let path = format!("/api/v1/me/ratings/{id}");
        let api = &api;
        async move {
            send(
                api,
                reqwest::Method::PUT,
                &path,
                Some(json!({"thumb": thumb})),
            )
            .await
        }
    };
    assert_eq!(rate(gamma, "up").await, 204);
    assert_eq!(rate(e101, "down").await, 204);
    assert_eq!(rate(gamma, "down").await, 204);
    assert_eq!(rate(gamma, "sideways").await, 400);
    assert_eq!(rate(season1, "up").await, 400);
    let thumbs = api.get("/api/v1/me/ratings").await;
    assert_eq!(thumbs.as_array().unwrap().len(), 2);
    assert_eq!(
        api.get(&format!("/api/v1/me/items/{gamma}")).await["thumb"],
        -1
    );

    // Another profile starts with nothing of this.
    let res = api
        .post("/api/v1/me/profiles", json!({"name": "Guest"}))
        .await;
    let guest: Value = res.json().await.unwrap();
    let other = server
        .login("admin", server.admin_password.as_ref().unwrap())
        .await;
    assert_eq!(
        other
            .post("/api/v1/me/profile", json!({"profile_id": guest["id"]}))
            .await
            .status(),
        200
    );
    assert_eq!(other.get("/api/v1/me/continue-watching").await, json!([]));
    assert_eq!(other.get("/api/v1/me/list").await, json!([]));
    assert_eq!(
        other.get(&format!("/api/v1/items/{beta}/playback")).await["resume_ms"],
        0
    );

    // A kids profile cannot report on, list or rate what is above its ceiling, and its
    // continue watching holds only its own viewing.
    let res = api
        .post("/api/v1/me/profiles", json!({"name": "Kid", "kids": true}))
        .await;
    let kid_profile: Value = res.json().await.unwrap();
    let kid = server
        .login("admin", server.admin_password.as_ref().unwrap())
        .await;
    assert_eq!(
        kid.post(
            "/api/v1/me/profile",
            json!({"profile_id": kid_profile["id"]})
        )
        .await
        .status(),
        200
    );
    let res = kid
        .post(
            "/api/v1/me/progress",
            json!({"item_id": beta, "position_ms": 100}),
        )
        .await;
    assert_eq!(res.status(), 404);
    assert_eq!(
        send(
            &kid,
            reqwest::Method::PUT,
            &format!("/api/v1/me/list/{beta}"),
            None
        )
        .await,
        404
    );
    assert_eq!(
        kid.get_raw(&format!("/api/v1/items/{beta}/similar"))
            .await
            .status(),
        404
    );
    assert_eq!(kid.get("/api/v1/people?q=rex").await["total"], 0);
    assert_eq!(
        api.get("/api/v1/people?q=rex").await["items"][0]["credit_count"],
        1
    );
    report(&kid, e201, 100).await;
    assert_eq!(
        continue_ids(&kid.get("/api/v1/me/continue-watching").await),
        vec![(e201, "resume".into())]
    );
    // A deleted profile takes its viewing with it: SQLite gives the next profile the same id,
    // and it starts with nothing.
    let res = api
        .delete(&format!("/api/v1/me/profiles/{}", kid_profile["id"]))
        .await;
    assert!(res.status().is_success(), "{}", res.status());
    let res = api
        .post("/api/v1/me/profiles", json!({"name": "Next"}))
        .await;
    let next_profile: Value = res.json().await.unwrap();
    assert_eq!(next_profile["id"], kid_profile["id"]);
    let fresh = server
        .login("admin", server.admin_password.as_ref().unwrap())
        .await;
    let res = fresh
        .post(
            "/api/v1/me/profile",
            json!({"profile_id": next_profile["id"]}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(fresh.get("/api/v1/me/continue-watching").await, json!([]));

    // Bad reports are 4xx with a reason.
    let res = api
        .post(
            "/api/v1/me/progress",
            json!({"item_id": beta, "position_ms": -5}),
        )
        .await;
    assert_eq!(res.status(), 400);
    let res = api
        .post(
            "/api/v1/me/progress",
            json!({"item_id": a.series, "position_ms": 5}),
        )
        .await;
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("series"));

    // Acknowledged reports survive the process being killed.
    let password = server.admin_password.clone().unwrap();
    drop(server);
    let server = Server::start(
        data.path(),
        &["--media", media.path().to_str().unwrap(), "--no-watch"],
    );
    let api = server.login("admin", &password).await;
    let state = api.get(&format!("/api/v1/me/items/{gamma}")).await;
    assert_eq!(state["progress"][0]["resume_ms"], 600, "{state}");
    assert_eq!(
        api.get(&format!("/api/v1/items/{gamma}/playback")).await["resume_ms"],
        600
    );
    assert_eq!(
        continue_ids(&api.get("/api/v1/me/continue-watching").await)[0],
        (gamma, "resume".into())
    );
}

/// Polls until one more scan than `before` has finished.
async fn wait_for_scan_count(api: &Api, before: usize) {
    for _ in 0..600 {
        let s = api.get("/api/v1/admin/scan").await;
        if s["progress"]["running"] == false && s["recent"].as_array().map_or(0, Vec::len) > before
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the scan did not finish within 30 s");
}

/// 200 players report at once, several times each, while a scan writes 120 new files: every
/// request succeeds (none "database is locked") and every viewer's last position is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_reporters_during_a_scan_lose_nothing() {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::Arc;

    let media = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    for (i, fx) in [
        "tiny.mp4",
        "tiny-b.mp4",
        "tiny-c.mp4",
        "tiny-d.mp4",
        "tiny.mkv",
    ]
    .iter()
    .enumerate()
    {
        let ext = fx.rsplit('.').next().unwrap();
        place(
            media.path(),
            &format!("Movies/Film {i} (2000)/Film {i} (2000).{ext}"),
            fx,
        );
    }
    let (server, admin) = serve_media(data.path(), media.path()).await;
    let movies = admin.get("/api/v1/movies").await;
    let items: Vec<i64> = (0..5)
        .map(|i| id_of(&movies, &format!("Film {i}")))
        .collect();

    // 8 accounts × (the account itself + 4 profiles) = 40 viewers, each with its own session.
    let mut viewers: Vec<Api> = Vec::new();
    for u in 0..8 {
        let (name, password) = if u == 0 {
            ("admin".to_string(), server.admin_password.clone().unwrap())
        } else {
            let name = format!("viewer{u}");
            let res = admin
                .post(
                    "/api/v1/admin/users",
                    json!({"username": name, "password": "load-test-pass"}),
                )
                .await;
            assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
            (name, "load-test-pass".to_string())
        };
        let account = server.login(&name, &password).await;
        for p in 0..4 {
            let res = account
                .post("/api/v1/me/profiles", json!({"name": format!("P{p}")}))
                .await;
            let profile: Value = res.json().await.unwrap();
            let session = server.login(&name, &password).await;
            let res = session
                .post("/api/v1/me/profile", json!({"profile_id": profile["id"]}))
                .await;
            assert_eq!(res.status(), 200);
            viewers.push(session);
        }
        viewers.push(account);
    }
    let viewers: Vec<Arc<Api>> = viewers.into_iter().map(Arc::new).collect();

    // A scan with real work: 120 new episodes.
    for n in 1..=120 {
        place(
            media.path(),
            &format!("Shows/Load (2020)/Season 01/Load - S01E{n:03}.mp4"),
            "tiny.mp4",
        );
    }
    let before = admin.get("/api/v1/admin/scan").await["recent"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(
        admin.post("/api/v1/admin/scan", json!({})).await.status(),
        202
    );
    let scanning = Arc::new(AtomicBool::new(true));
    let watcher = {
        let scanning = scanning.clone();
        let api = Api {
            client: admin.client.clone(),
            base: admin.base.clone(),
            token: admin.token.clone(),
        };
        tokio::spawn(async move {
            wait_for_scan_count(&api, before).await;
            scanning.store(false, Ordering::SeqCst);
        })
    };

    let during_scan = Arc::new(AtomicUsize::new(0));
    let started = std::time::Instant::now();
    let reporters: Vec<_> = (0..200)
        .map(|r| {
            let api = viewers[r / 5].clone();
            let item = items[r % 5];
            let scanning = scanning.clone();
            let during_scan = during_scan.clone();
            tokio::spawn(async move {
                let mut failures = Vec::new();
                let mut last = 0;
                let mut sent = 0;
                // At least 5 reports, and on until the scan is over (bounded).
                for k in 0..100 {
                    if k >= 5 && !scanning.load(Ordering::SeqCst) {
                        break;
                    }
                    let position = 10 + k * 7 + (r as i64 % 5);
                    let running = scanning.load(Ordering::SeqCst);
                    let res = api
                        .post(
                            "/api/v1/me/progress",
                            json!({"item_id": item, "position_ms": position}),
                        )
                        .await;
                    let status = res.status();
                    sent += 1;
                    if status == 200 {
                        last = position;
                        if running {
                            during_scan.fetch_add(1, Ordering::Relaxed);
                        }
                    } else {
                        failures.push(format!(
                            "{status}: {}",
                            res.text().await.unwrap_or_default()
                        ));
                    }
                }
                (r, item, last, failures, sent)
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for t in reporters {
        outcomes.push(t.await.unwrap());
    }
    let elapsed = started.elapsed();
    watcher.await.unwrap();
    let failures: Vec<&String> = outcomes.iter().flat_map(|o| &o.3).collect();
    assert!(
        failures.is_empty(),
        "{} requests failed, e.g. {:?}",
        failures.len(),
        failures.first()
    );
    assert!(
        during_scan.load(Ordering::Relaxed) > 0,
        "no report overlapped the scan: the test proved nothing"
    );
    eprintln!(
        "{} reports from 200 reporters in {elapsed:?}, {} while the scan ran",
        outcomes.iter().map(|o| o.4).sum::<usize>(),
        during_scan.load(Ordering::Relaxed)
    );

    let scan = admin.get("/api/v1/admin/scan").await;
    let summary = &scan["recent"][0]["summary"];
    assert_eq!(summary["added"], 120, "{summary}");
    assert_eq!(
        summary["failed"].as_array().map_or(0, Vec::len),
        0,
        "{summary}"
    );

    // Every reporter's last acknowledged position is what the store holds.
    for (r, item, last, _, _) in outcomes {
        let state = viewers[r / 5]
            .get(&format!("/api/v1/me/items/{item}"))
            .await;
        assert_eq!(
            state["progress"][0]["position_ms"], last,
            "reporter {r}: {state}"
        );
    }
}
