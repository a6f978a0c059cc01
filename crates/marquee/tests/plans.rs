//! Plans against the real server and the demo library (640×360 videos): a viewer without a plan
//! sees locked titles with the reason and the plans that unlock them, and is refused at every
//! door — playback info, playlists, segments, subtitles, direct play, downloads — while a free
//! episode plays; the quality cap, downloads, expired grants and trials; the billing webhook
//! (signatures, replays, cancellation cutting off a signed link, a payment grace period); and
//! hide mode.

mod common;
use common::*;

use reqwest::StatusCode;
use serde_json::{json, Value};

const SECRET: &str = "whsec_test_secret";

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

async fn send(api: &Api, method: reqwest::Method, path: &str, body: Value) -> reqwest::Response {
    api.send(method, path, Some(body)).await
}

async fn status(client: &reqwest::Client, url: &str) -> StatusCode {
    client.get(url).send().await.unwrap().status()
}

/// Creates a plan and answers its id.
async fn plan(admin: &Api, body: Value) -> i64 {
    let res = admin.post("/api/v1/admin/plans", body).await;
    assert_eq!(res.status(), 201);
    res.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

async fn grant(admin: &Api, user: i64, body: Value) {
    let res = send(
        admin,
        reqwest::Method::PUT,
        &format!("/api/v1/admin/users/{user}/subscription"),
        body,
    )
    .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
}

/// Creates a viewer and signs them in.
async fn viewer(server: &Server, admin: &Api, name: &str) -> (i64, Api) {
    let res = admin
        .post(
            "/api/v1/admin/users",
            json!({"username": name, "password": "viewer-password"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    (id, server.login(name, "viewer-password").await)
}

/// Every stream URL of a playback answer: manifests, the video playlist, init and first segment,
/// the subtitles, the original file and the progressive MP4.
async fn stream_urls(server: &Server, client: &reqwest::Client, info: &Value) -> Vec<String> {
    let hls = info["hls"].as_str().unwrap();
    let base = hls.trim_end_matches("master.m3u8");
    let master = client
        .get(server.url(hls))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let video = master
        .lines()
        .find(|l| l.starts_with("v/"))
        .expect("a video rendition");
    let dir = video.trim_end_matches("playlist.m3u8");
    let mut urls = vec![
        server.url(hls),
        server.url(info["dash"].as_str().unwrap()),
        server.url(&format!("{base}{video}")),
        server.url(&format!("{base}{dir}init.mp4")),
        server.url(&format!("{base}{dir}0.m4s")),
        server.url(info["direct"].as_str().unwrap()),
        server.url(info["progressive"].as_str().unwrap()),
    ];
    for s in info["subtitles"].as_array().unwrap() {
        urls.push(server.url(s["url"].as_str().unwrap()));
    }
    urls
}

async fn webhook(server: &Server, body: &Value, signature: Option<String>) -> reqwest::Response {
    let bytes = serde_json::to_vec(body).unwrap();
    let sig =
        signature.unwrap_or_else(|| marquee_server::plans::sign_webhook(SECRET, now(), &bytes));
    reqwest::Client::new()
        .post(server.url("/api/v1/billing/webhook"))
        .header("content-type", "application/json")
        .header("marquee-signature", sig)
        .body(bytes)
        .send()
        .await
        .unwrap()
}

fn event(id: &str, kind: &str, data: Value) -> Value {
    json!({"id": id, "type": kind, "data": data})
}

#[tokio::test]
async fn plans_lock_every_door_and_the_lifecycle_opens_and_closes_them() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(
        data.path(),
        &[
            "--demo",
            "--no-watch",
            "--billing-webhook-secret",
            SECRET,
            "--billing-grace-secs",
            "3",
        ],
    );
    let admin = server.admin().await;
    server.wait_for_scan(&admin).await;
    let movies = admin.get("/api/v1/movies").await;
    let film = |t: &str| id_of(&movies, t);
    let (harbor, tide, orbits) = (
        film("Harbor Lights"),
        film("The Long Tide"),
        film("Paper Orbits"),
    );
    let series = admin.get("/api/v1/series").await["items"][0]["id"]
        .as_i64()
        .unwrap();
    let episodes: Vec<i64> = admin.get(&format!("/api/v1/series/{series}")).await["seasons"][0]
        ["episodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    let (first, second) = (episodes[0], episodes[1]);

    let films = plan(
        &admin,
        json!({"name": "Films", "items": [harbor, tide, orbits], "max_height": 720, "max_streams": 2}),
    )
    .await;
    plan(
        &admin,
        json!({"name": "HBO", "collections": ["hbo"], "downloads": true}),
    )
    .await;
    plan(
        &admin,
        json!({"name": "Tiny", "all_titles": true, "max_height": 240}),
    )
    .await;
    let dup = admin
        .post("/api/v1/admin/plans", json!({"name": "films"}))
        .await;
    assert_eq!(dup.status(), 409);
    let bad = admin
        .post("/api/v1/admin/plans", json!({"name": "X", "max_height": 0}))
        .await;
    assert_eq!(bad.status(), 400);
    let free = send(
        &admin,
        reqwest::Method::PUT,
        &format!("/api/v1/admin/items/{first}/free"),
        json!({"free": true}),
    )
    .await;
    assert_eq!(free.json::<Value>().await.unwrap()["free"], true);

    let (vid, viewer) = viewer(&server, &admin, "viewer").await;
    let me = viewer.get("/api/v1/me/subscription").await;
    assert_eq!(me["standing"], "free_only", "{me}");
    assert_eq!(me["lapse"], "no_plan");

    // Listings show locked titles with the reason and the plans that unlock them.
    let list = viewer.get("/api/v1/movies").await;
    let locked = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == harbor)
        .unwrap()["locked"]
        .clone();
    assert!(
        locked["reason"].as_str().unwrap().contains("no plan"),
        "{locked}"
    );
    let names: Vec<&str> = locked["plans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Films", "Tiny"]);
    let show = viewer.get("/api/v1/series").await["items"][0].clone();
    assert_eq!(show["locked"]["free_preview"], true, "{show}");
    assert!(
        show["locked"]["plans"].to_string().contains("HBO"),
        "{show}"
    );
    // The administrator sees nothing locked.
    assert!(admin.get("/api/v1/movies").await["items"][0]["locked"].is_null());
    let detail = viewer.get(&format!("/api/v1/series/{series}")).await;
    let eps = &detail["seasons"][0]["episodes"];
    assert!(eps[0]["locked"].is_null(), "{eps}");
    assert!(!eps[1]["locked"].is_null(), "{eps}");
    assert!(!viewer.get(&format!("/api/v1/movies/{harbor}")).await["locked"].is_null());

    // Every door refuses a locked title.
    for path in [
        format!("/api/v1/items/{harbor}/playback"),
        format!("/api/v1/items/{harbor}/direct"),
        format!("/api/v1/items/{harbor}/direct?download=true"),
        format!("/api/v1/items/{second}/playback"),
    ] {
        let res = viewer.get_raw(&path).await;
        assert_eq!(res.status(), 403, "{path}");
        let msg = res.json::<Value>().await.unwrap()["error"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(
            msg.contains("locked") && msg.contains("no plan"),
            "{path}: {msg}"
        );
    }
    // A free episode plays without a plan, through every URL.
    let client = reqwest::Client::new();
    let info = viewer.get(&format!("/api/v1/items/{first}/playback")).await;
    assert!(
        info.get("download").is_none(),
        "no plan, no downloads: {info}"
    );
    for url in stream_urls(&server, &client, &info).await {
        assert_eq!(status(&client, &url).await, 200, "{url}");
    }

    // Films: the film plays (720p cap, the source is 360p), through every URL, subtitles
    // included; no downloads on this plan.
    grant(&admin, vid, json!({"plan": "Films"})).await;
    let info = viewer
        .get(&format!("/api/v1/items/{harbor}/playback"))
        .await;
    assert!(info.get("download").is_none());
    assert_eq!(info["subtitles"].as_array().unwrap().len(), 1, "{info}");
    let urls = stream_urls(&server, &client, &info).await;
    for url in &urls {
        assert_eq!(status(&client, url).await, 200, "{url}");
    }
    let direct = info["direct"].as_str().unwrap();
    for download in [
        server.url(&format!("{direct}?download=true")),
        server.url(&format!(
            "{}?download=true",
            info["progressive"].as_str().unwrap()
        )),
        server.url(&format!("/api/v1/items/{harbor}/direct?download=true")),
    ] {
        let res = client
            .get(&download)
            .bearer_auth(&viewer.token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "{download}");
        assert!(res
            .text()
            .await
            .unwrap()
            .contains("does not allow downloads"));
    }
    assert_eq!(
        viewer
            .get_raw(&format!("/api/v1/items/{second}/playback"))
            .await
            .status(),
        403
    );

    // Taking the plan away stops the links already handed out, at once.
    let ended = send(
        &admin,
        reqwest::Method::DELETE,
        &format!("/api/v1/admin/users/{vid}/subscription"),
        json!({}),
    )
    .await;
    assert_eq!(ended.status(), 204);
    for url in &urls {
        let res = client.get(url).send().await.unwrap();
        assert_eq!(res.status(), 403, "{url}");
        assert!(res.text().await.unwrap().contains("no plan"));
    }

    // The quality cap: 240p is below every rendition of the film.
    grant(&admin, vid, json!({"plan": "Tiny"})).await;
    let res = viewer
        .get_raw(&format!("/api/v1/items/{harbor}/playback"))
        .await;
    assert_eq!(res.status(), 403);
    let msg = res.text().await.unwrap();
    assert!(msg.contains("up to 240p") && msg.contains("360p"), "{msg}");
    assert_eq!(
        viewer
            .get_raw(&format!("/api/v1/items/{harbor}/direct"))
            .await
            .status(),
        403
    );

    // HBO: the series (a collection by its network) with downloads.
    grant(&admin, vid, json!({"plan": "HBO"})).await;
    let info = viewer
        .get(&format!("/api/v1/items/{second}/playback"))
        .await;
    let download = server.url(info["download"].as_str().unwrap());
    assert_eq!(status(&client, &download).await, 200);
    assert_eq!(
        viewer
            .get_raw(&format!("/api/v1/items/{harbor}/playback"))
            .await
            .status(),
        403
    );

    // Expired grants and trials are refused, and say so.
    grant(
        &admin,
        vid,
        json!({"plan": "Films", "trial": true, "expires_at": now() - 10}),
    )
    .await;
    assert_eq!(
        viewer.get("/api/v1/me/subscription").await["lapse"],
        "trial_ended"
    );
    let res = viewer
        .get_raw(&format!("/api/v1/items/{harbor}/playback"))
        .await;
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("trial has ended"));
    grant(
        &admin,
        vid,
        json!({"plan_id": films, "expires_at": now() - 10}),
    )
    .await;
    assert_eq!(
        viewer.get("/api/v1/me/subscription").await["lapse"],
        "expired"
    );
    assert_eq!(
        viewer
            .get_raw(&format!("/api/v1/items/{harbor}/playback"))
            .await
            .status(),
        403
    );
    grant(
        &admin,
        vid,
        json!({"plan": "Films", "trial": true, "expires_at": now() + 3600}),
    )
    .await;
    assert_eq!(
        viewer.get("/api/v1/me/subscription").await["standing"],
        "trialing"
    );
    assert_eq!(
        viewer
            .get_raw(&format!("/api/v1/items/{harbor}/playback"))
            .await
            .status(),
        200
    );
    let missing = send(
        &admin,
        reqwest::Method::PUT,
        &format!("/api/v1/admin/users/{vid}/subscription"),
        json!({"plan": "Gold"}),
    )
    .await;
    assert_eq!(missing.status(), 404);

    // The billing webhook: a subscription is created and plays.
    let created = event(
        "evt_1",
        "subscription.created",
        json!({
            "subscription_id": "sub_1", "username": "viewer", "plan": "Films", "current_period_end": now() + 3600,
        }),
    );
    let res = webhook(&server, &created, None).await;
    assert_eq!(res.status(), 200);
    let outcome: Value = res.json().await.unwrap();
    assert_eq!(outcome["duplicate"], false);
    let me = viewer.get("/api/v1/me/subscription").await;
    assert_eq!(
        (
            me["standing"].as_str(),
            me["subscription"]["source"].as_str()
        ),
        (Some("active"), Some("billing"))
    );
    let info = viewer
        .get(&format!("/api/v1/items/{harbor}/playback"))
        .await;
    let urls = stream_urls(&server, &client, &info).await;
    let segment = urls[4].clone();
    assert_eq!(status(&client, &segment).await, 200);

    // Forged, stale and unsigned events are refused; nothing changes.
    let cancel = event(
        "evt_2",
        "subscription.cancelled",
        json!({"subscription_id": "sub_1"}),
    );
    let body = serde_json::to_vec(&cancel).unwrap();
    let forged = marquee_server::plans::sign_webhook("not-the-secret", now(), &body);
    let stale = marquee_server::plans::sign_webhook(SECRET, now() - 600, &body);
    for (sig, why) in [
        (forged, "does not match"),
        (stale, "s from the server's clock"),
        ("t=1".into(), "malformed"),
    ] {
        let res = webhook(&server, &cancel, Some(sig)).await;
        assert_eq!(res.status(), 400);
        let text = res.text().await.unwrap();
        assert!(text.contains(why), "{text}");
    }
    let unsigned = reqwest::Client::new()
        .post(server.url("/api/v1/billing/webhook"))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 400);
    assert_eq!(status(&client, &segment).await, 200);

    // Cancelled now: the signed segment URL stops working at once.
    assert_eq!(webhook(&server, &cancel, None).await.status(), 200);
    let res = client.get(&segment).send().await.unwrap();
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("cancelled"));
    // Replaying the creation (a captured, correctly signed event) changes nothing.
    let replay: Value = webhook(&server, &created, None).await.json().await.unwrap();
    assert_eq!(replay["duplicate"], true, "{replay}");
    assert_eq!(status(&client, &segment).await, 403);
    assert_eq!(
        viewer.get("/api/v1/me/subscription").await["lapse"],
        "canceled"
    );

    // A new subscription, a failed payment: access continues for the grace period, then stops.
    let res = webhook(&server, &event("evt_3", "subscription.created", json!({
        "subscription_id": "sub_2", "user_id": vid, "plan": "films", "current_period_end": now() + 3600,
    })), None).await;
    assert_eq!(res.status(), 200);
    let info = viewer
        .get(&format!("/api/v1/items/{harbor}/playback"))
        .await;
    let segment = stream_urls(&server, &client, &info).await[4].clone();
    let res = webhook(
        &server,
        &event(
            "evt_4",
            "subscription.payment_failed",
            json!({"subscription_id": "sub_2"}),
        ),
        None,
    )
    .await;
    assert_eq!(res.status(), 200);
    let me = viewer.get("/api/v1/me/subscription").await;
    assert_eq!(me["standing"], "grace", "{me}");
    assert_eq!(status(&client, &segment).await, 200);
    let grace_until = me["subscription"]["grace_until"].as_i64().unwrap();
    while now() <= grace_until {
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    let res = client.get(&segment).send().await.unwrap();
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("payment failed"));
    assert_eq!(
        viewer.get("/api/v1/me/subscription").await["lapse"],
        "payment_failed"
    );
    // Renewed: back.
    let res = webhook(
        &server,
        &event(
            "evt_5",
            "subscription.renewed",
            json!({
                "subscription_id": "sub_2", "current_period_end": now() + 3600,
            }),
        ),
        None,
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(status(&client, &segment).await, 200);

    // Administrators' changes and billing events are audited.
    let log = admin.get("/api/v1/admin/audit?limit=500").await;
    let actions: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for action in [
        "plan_created",
        "item_free_set",
        "subscription_granted",
        "subscription_ended",
        "billing_event",
    ] {
        assert!(
            actions.contains(&action),
            "{action} missing from {actions:?}"
        );
    }
    // A plan with subscribers cannot be deleted.
    let res = send(
        &admin,
        reqwest::Method::DELETE,
        &format!("/api/v1/admin/plans/{films}"),
        json!({}),
    )
    .await;
    assert_eq!(res.status(), 409);
}

#[tokio::test]
async fn hide_mode_leaves_locked_titles_out() {
    let data = tempfile::tempdir().unwrap();
    // One more film, free by its JSON sidecar.
    let media = tempfile::tempdir().unwrap();
    let folder = media.path().join("Movies/Open Air (2020)");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::copy(
        workspace_root().join("demo/library/Movies/Paper Orbits (2022)/Paper Orbits (2022).mp4"),
        folder.join("Open Air (2020).mp4"),
    )
    .unwrap();
    std::fs::write(folder.join("Open Air (2020).json"), r#"{"free": true}"#).unwrap();
    let server = Server::start(
        data.path(),
        &[
            "--demo",
            "--no-watch",
            "--locked-titles",
            "hide",
            "--media",
            media.path().to_str().unwrap(),
        ],
    );
    let admin = server.admin().await;
    server.wait_for_scan(&admin).await;
    let movies = admin.get("/api/v1/movies").await;
    let (harbor, tide) = (
        id_of(&movies, "Harbor Lights"),
        id_of(&movies, "The Long Tide"),
    );
    let series = admin.get("/api/v1/series").await["items"][0]["id"]
        .as_i64()
        .unwrap();
    let first = admin.get(&format!("/api/v1/series/{series}")).await["seasons"][0]["episodes"][0]
        ["id"]
        .as_i64()
        .unwrap();
    let director = admin.get(&format!("/api/v1/movies/{harbor}")).await["credits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["role"] == "director")
        .unwrap()["person_id"]
        .as_i64()
        .unwrap();
    plan(&admin, json!({"name": "Tide", "items": [tide]})).await;
    let free = send(
        &admin,
        reqwest::Method::PUT,
        &format!("/api/v1/admin/items/{first}/free"),
        json!({"free": true}),
    )
    .await;
    assert_eq!(free.status(), 200);
    let (vid, viewer) = viewer(&server, &admin, "viewer").await;

    // No plan: only the free film is listed; the series is, for its free episode.
    let list = viewer.get("/api/v1/movies").await;
    assert_eq!(list["total"], 1, "{list}");
    let open_air = id_of(&list, "Open Air");
    assert!(list["items"][0]["locked"].is_null());
    assert_eq!(
        viewer
            .get_raw(&format!("/api/v1/items/{open_air}/playback"))
            .await
            .status(),
        200
    );
    let shows = viewer.get("/api/v1/series").await;
    assert_eq!(shows["total"], 1, "{shows}");
    assert_eq!(shows["items"][0]["locked"]["free_preview"], true);
    assert_eq!(
        viewer
            .get_raw(&format!("/api/v1/movies/{harbor}"))
            .await
            .status(),
        404
    );
    assert_eq!(
        viewer
            .get_raw(&format!("/api/v1/items/{harbor}/playback"))
            .await
            .status(),
        404
    );
    let person = viewer.get(&format!("/api/v1/people/{director}")).await;
    assert!(!person.to_string().contains("Harbor Lights"), "{person}");
    assert_eq!(
        viewer
            .get_raw(&format!("/api/v1/items/{first}/playback"))
            .await
            .status(),
        200
    );

    // With the plan, its film appears, and only it.
    grant(&admin, vid, json!({"plan": "Tide"})).await;
    let list = viewer.get("/api/v1/movies").await;
    assert_eq!(list["total"], 2, "{list}");
    assert_eq!(id_of(&list, "The Long Tide"), tide);
    assert!(list["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["locked"].is_null()));
    assert_eq!(admin.get("/api/v1/movies").await["total"], 4);
}
