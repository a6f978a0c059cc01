//! Concurrent stream limits against the real server and the demo library: the configured
//! default until plans exist, then the plan's; one screen too many is refused with the limit and
//! the streams in the way; a stopped stream's links are refused; heartbeats and segment requests
//! keep a stream alive, silence frees its screen.

mod common;
use common::*;

use std::time::Duration;

use serde_json::{json, Value};

/// Stream timeout of the server under test, in seconds.
const TIMEOUT: u64 = 3;

/// Signs in as `user` on a device called `device`.
async fn device(server: &Server, user: &str, password: &str, device: &str) -> Api {
    let client = reqwest::Client::new();
    let res = client
        .post(server.url("/api/v1/auth/login"))
        .json(&json!({"username": user, "password": password, "device": device}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    Api {
        client,
        base: server.base.clone(),
        token: body["token"].as_str().unwrap().to_string(),
    }
}

async fn playback(api: &Api, item: i64) -> (u16, Value) {
    let res = api.get_raw(&format!("/api/v1/items/{item}/playback")).await;
    let status = res.status().as_u16();
    (status, res.json().await.unwrap())
}

async fn heartbeat(api: &Api, stream: i64) -> u16 {
    api.post(&format!("/api/v1/me/streams/{stream}/heartbeat"), json!({}))
        .await
        .status()
        .as_u16()
}

/// A request on a signed link, as a player makes it (no header).
async fn fetch(server: &Server, link: &Value) -> u16 {
    reqwest::get(server.url(link.as_str().unwrap()))
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn one_screen_too_many_is_refused_and_silent_streams_lapse() {
    let data = tempfile::tempdir().unwrap();
    let timeout = TIMEOUT.to_string();
    let server = Server::start(
        data.path(),
        &[
            "--demo",
            "--no-watch",
            "--stream-timeout",
            &timeout,
            "--max-streams",
            "1",
        ],
    );
    let admin = server.admin().await;
    server.wait_for_scan(&admin).await;
    let res = admin
        .post(
            "/api/v1/admin/users",
            json!({"username": "viewer", "password": "viewer-password"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let tv = device(&server, "viewer", "viewer-password", "Living room TV").await;
    let phone = device(&server, "viewer", "viewer-password", "Phone").await;
    let tablet = device(&server, "viewer", "viewer-password", "Tablet").await;
    let movies = tv.get("/api/v1/movies").await;
    let film = movies["items"][0]["id"].as_i64().unwrap();
    let title = movies["items"][0]["title"].as_str().unwrap().to_string();
    let other = movies["items"][1]["id"].as_i64().unwrap();

    // The TV plays; its links work without any header.
    let (status, on_tv) = playback(&tv, film).await;
    assert_eq!(status, 200, "{on_tv}");
    let tv_stream = on_tv["stream_id"].as_i64().unwrap();
    assert!(on_tv["heartbeat_secs"].as_i64().unwrap() >= 1);
    assert_eq!(fetch(&server, &on_tv["hls"]).await, 200);
    // Asking again for the same film on the same device keeps the one stream.
    let (status, again) = playback(&tv, film).await;
    assert_eq!(status, 200);
    assert_eq!(again["stream_id"], tv_stream);
    // No plan is defined yet: the configured default (--max-streams 1) applies.
    let (status, refused) = playback(&phone, other).await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["limit"], 1);

    // Plans decide once there are any: the viewer's allows two screens.
    let store = marquee_store::Store::open(&data.path().join("marquee.db"))
        .await
        .unwrap();
    let plan = store
        .create_plan(&marquee_store::PlanFields {
            name: "Two screens".into(),
            all_titles: true,
            max_streams: Some(2),
            ..Default::default()
        })
        .await
        .unwrap();
    let viewer_id = tv.get("/api/v1/me").await["user"]["id"].as_i64().unwrap();
    store
        .grant_plan(
            viewer_id,
            plan.id,
            marquee_store::SubscriptionSource::Admin,
            None,
        )
        .await
        .unwrap();
    store.close().await;
    let (status, on_phone) = playback(&phone, other).await;
    assert_eq!(status, 200, "{on_phone}");
    let phone_stream = on_phone["stream_id"].as_i64().unwrap();

    // The tablet is one screen too many: the answer names the limit and what plays where.
    let (status, refused) = playback(&tablet, film).await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["limit"], 2);
    assert!(refused["error"].as_str().unwrap().contains("2 streams"));
    let streams = refused["streams"].as_array().unwrap();
    assert_eq!(streams.len(), 2);
    assert_eq!(streams[0]["id"], tv_stream);
    assert_eq!(streams[0]["device"], "Living room TV");
    assert_eq!(streams[0]["title"], title.as_str());
    assert_eq!(streams[0]["item_id"], film);
    assert!(streams[0]["started_at"].as_i64().unwrap() > 0);
    assert_eq!(streams[1]["id"], phone_stream);
    assert_eq!(streams[1]["device"], "Phone");
    // Direct play is a stream too.
    let res = tablet
        .get_raw(&format!("/api/v1/items/{film}/direct"))
        .await;
    assert_eq!(res.status(), 409);
    assert_eq!(tablet.get("/api/v1/me/streams").await, json!(streams));

    // Someone else cannot stop a stream; the viewer can, from the tablet.
    let stop = |api: &Api, id: i64| {
        api.client
            .delete(format!("{}/api/v1/me/streams/{id}", api.base))
            .bearer_auth(&api.token)
            .send()
    };
    assert_eq!(stop(&admin, tv_stream).await.unwrap().status(), 404);
    assert_eq!(stop(&tablet, tv_stream).await.unwrap().status(), 204);
    // The stopped stream's links are refused from now on, and it cannot be revived.
    assert_eq!(fetch(&server, &on_tv["hls"]).await, 403);
    assert_eq!(fetch(&server, &on_tv["direct"]).await, 403);
    assert_eq!(heartbeat(&tv, tv_stream).await, 410);

    // The tablet plays now. Heartbeats and segment requests keep streams alive past the timeout.
    let (status, on_tablet) = playback(&tablet, film).await;
    assert_eq!(status, 200, "{on_tablet}");
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(1000)).await;
        assert_eq!(heartbeat(&phone, phone_stream).await, 200);
        assert_eq!(fetch(&server, &on_tablet["hls"]).await, 200);
    }
    assert_eq!(playback(&tv, film).await.0, 409);

    // Both fall silent: once the timeout passes their screens are free.
    tokio::time::sleep(Duration::from_millis(TIMEOUT * 1000 + 500)).await;
    assert_eq!(phone.get("/api/v1/me/streams").await, json!([]));
    let (status, on_tv) = playback(&tv, film).await;
    assert_eq!(status, 200, "{on_tv}");
    assert_ne!(on_tv["stream_id"], tv_stream);
    assert_eq!(playback(&tablet, other).await.0, 200);
    // The phone's lapsed stream cannot come back while both screens are taken.
    assert_eq!(fetch(&server, &on_phone["hls"]).await, 409);
    assert_eq!(heartbeat(&phone, phone_stream).await, 409);
    assert_eq!(heartbeat(&phone, 12345).await, 404);

    // Administrators have no limit.
    let (status, _) = playback(&admin, film).await;
    assert_eq!(status, 200);
}
