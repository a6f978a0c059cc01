//! The JSON API of a real `marquee serve` process on 127.0.0.1.

mod common;
use common::*;

fn demo_server() -> (tempfile::TempDir, Server) {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), &["--demo", "--no-watch"]);
    (data, server)
}

/// (The walk over every documented route, anonymous and as a viewer, is in `accounts.rs`.)
#[tokio::test]
async fn health_is_public_and_forged_tokens_are_refused() {
    let (_data, server) = demo_server();
    let client = reqwest::Client::new();
    let health = client.get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let anonymous = client
        .get(server.url("/api/v1/series"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    let body: serde_json::Value = anonymous.json().await.unwrap();
    assert!(
        body["error"].as_str().unwrap().contains("sign in"),
        "{body}"
    );
    // A forged token is refused the same way.
    let resp = client
        .get(server.url("/api/v1/series"))
        .bearer_auth("00".repeat(32))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
}

#[tokio::test]
async fn login_rejects_wrong_passwords_and_malformed_bodies() {
    let (_data, server) = demo_server();
    let client = reqwest::Client::new();
    let wrong = client
        .post(server.url("/api/v1/auth/login"))
        .json(&serde_json::json!({"username": "admin", "password": "nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let malformed = client
        .post(server.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body("{\"username\": 5")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
    let body: serde_json::Value = malformed.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("username"));
}

#[tokio::test]
async fn the_demo_catalog_is_browsable() {
    let (_data, server) = demo_server();
    let api = server.admin().await;
    server.wait_for_scan(&api).await;

    let series = api.get("/api/v1/series").await;
    assert_eq!(series["total"], 1, "{series}");
    let defiant = &series["items"][0];
    assert_eq!(defiant["title"], "The Defiant Ones");
    assert_eq!(defiant["year"], 2017);
    assert_eq!(defiant["episode_count"], 4);
    assert!(defiant["poster"].as_str().is_some());

    let id = defiant["id"].as_i64().unwrap();
    let detail = api.get(&format!("/api/v1/series/{id}")).await;
    let seasons = detail["seasons"].as_array().unwrap();
    assert_eq!(seasons.len(), 1);
    assert_eq!(seasons[0]["number"], 1);
    let episodes = seasons[0]["episodes"].as_array().unwrap();
    assert_eq!(
        episodes
            .iter()
            .map(|e| e["number"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        vec![1, 2, 3, 4]
    );
    assert!(episodes
        .iter()
        .all(|e| e["synopsis"].as_str().is_some_and(|s| s.len() > 40)));
    assert!(detail["genres"]
        .as_array()
        .unwrap()
        .iter()
        .any(|g| g == "Documentary"));
    let credits = detail["credits"].as_array().unwrap();
    let director = credits
        .iter()
        .find(|c| c["role"] == "director")
        .expect("a director");
    assert_eq!(director["name"], "Allen Hughes");
    assert!(credits.iter().any(|c| c["role"] == "interviewee"));
    assert!(!detail["reviews"].as_array().unwrap().is_empty());

    // Episode detail carries the probed file.
    let ep = api
        .get(&format!("/api/v1/items/{}", episodes[0]["id"]))
        .await;
    assert_eq!(ep["kind"], "episode");
    let tracks = ep["file"]["probe"]["tracks"].as_array().unwrap();
    assert!(tracks.iter().any(|t| t["codec"] == "h264"));
    assert!(tracks.iter().any(|t| t["codec"] == "aac"));

    // Artwork is served with caching headers; a revalidation answers 304.
    let poster = api
        .get_raw(&format!("/api/v1/items/{id}/artwork/poster"))
        .await;
    assert_eq!(poster.status(), 200);
    assert_eq!(poster.headers()["content-type"], "image/jpeg");
    let etag = poster.headers()["etag"].to_str().unwrap().to_string();
    assert!(poster.bytes().await.unwrap().starts_with(&[0xff, 0xd8]));
    let again = api
        .client
        .get(server.url(&format!("/api/v1/items/{id}/artwork/poster")))
        .bearer_auth(&api.token)
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);

    // Movies, with filters and sorting.
    let movies = api.get("/api/v1/movies?sort=year&order=desc&limit=2").await;
    assert!(movies["total"].as_i64().unwrap() >= 3, "{movies}");
    assert_eq!(movies["items"].as_array().unwrap().len(), 2);
    let years: Vec<i64> = movies["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["year"].as_i64().unwrap())
        .collect();
    assert!(years[0] >= years[1]);
    let docs = api.get("/api/v1/series?genre=documentary").await;
    assert_eq!(docs["total"], 1);
    let none = api.get("/api/v1/series?q=zzzz-no-such-title").await;
    assert_eq!(none["total"], 0);

    // People and their credits.
    let people = api.get("/api/v1/people?q=hughes").await;
    let hughes = &people["items"][0];
    assert_eq!(hughes["name"], "Allen Hughes");
    let person = api.get(&format!("/api/v1/people/{}", hughes["id"])).await;
    let roles = person["roles"].as_array().unwrap();
    assert!(roles.iter().any(|r| r["role"] == "director"
        && r["credits"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["title"] == "The Defiant Ones")));

    let genres = api.get("/api/v1/genres").await;
    assert!(genres
        .as_array()
        .unwrap()
        .iter()
        .any(|g| g["name"] == "Documentary"));

    // Errors are JSON with a status that fits.
    let missing = api.get_raw("/api/v1/series/999999").await;
    assert_eq!(missing.status(), 404);
    let bad = api.get_raw("/api/v1/series/abc").await;
    assert_eq!(bad.status(), 400);
    let bad_query = api.get_raw("/api/v1/series?limit=lots").await;
    assert_eq!(bad_query.status(), 400);
    let not_series = api
        .get_raw(&format!("/api/v1/series/{}", episodes[0]["id"]))
        .await;
    assert_eq!(not_series.status(), 404);
    let bad_kind = api
        .get_raw(&format!(
            "/api/v1/items/{id}/artwork/..%2F..%2Fetc%2Fpasswd"
        ))
        .await;
    assert_eq!(bad_kind.status(), 400);
}

#[tokio::test]
async fn admins_manage_users_and_see_failures() {
    let data = tempfile::tempdir().unwrap();
    let media = tempfile::tempdir().unwrap();
    place(
        media.path(),
        "Movies/Delta (1999)/Delta (1999).mp4",
        "tiny.mp4",
    );
    std::fs::write(
        media.path().join("Movies/broken (2000).mkv"),
        b"garbage bytes, not a movie",
    )
    .unwrap();
    let server = Server::start(
        data.path(),
        &["--media", media.path().to_str().unwrap(), "--no-watch"],
    );
    let admin = server.admin().await;
    server.wait_for_scan(&admin).await;

    let failures = admin.get("/api/v1/admin/failures").await;
    let failures = failures.as_array().unwrap();
    assert_eq!(failures.len(), 1);
    assert!(failures[0]["path"]
        .as_str()
        .unwrap()
        .ends_with("broken (2000).mkv"));
    assert!(!failures[0]["error"].as_str().unwrap().is_empty());
    let libs = admin.get("/api/v1/admin/libraries").await;
    assert_eq!(libs[0]["files"], 1);
    assert_eq!(libs[0]["failed"], 1);

    let created = admin
        .post(
            "/api/v1/admin/users",
            serde_json::json!({"username": "viewer", "password": "viewer-password"}),
        )
        .await;
    assert_eq!(created.status(), 201);
    let dup = admin
        .post(
            "/api/v1/admin/users",
            serde_json::json!({"username": "Viewer", "password": "viewer-password"}),
        )
        .await;
    assert_eq!(dup.status(), 409);

    let viewer = server.login("viewer", "viewer-password").await;
    assert_eq!(viewer.get("/api/v1/movies").await["total"], 1);
    let forbidden = viewer.get_raw("/api/v1/admin/users").await;
    assert_eq!(forbidden.status(), 403);
    let me = viewer.get("/api/v1/me").await;
    assert_eq!(me["user"]["username"], "viewer");
    assert!(me["user"].get("password_hash").is_none());

    // Sign out: the token stops working.
    let out = viewer
        .post("/api/v1/auth/logout", serde_json::json!({}))
        .await;
    assert_eq!(out.status(), 204);
    assert_eq!(viewer.get_raw("/api/v1/me").await.status(), 401);
}

#[tokio::test]
async fn the_watcher_picks_up_new_files() {
    let data = tempfile::tempdir().unwrap();
    let media = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(media.path().join("Movies")).unwrap();
    let server = Server::start(data.path(), &["--media", media.path().to_str().unwrap()]);
    let admin = server.admin().await;
    server.wait_for_scan(&admin).await;
    assert_eq!(admin.get("/api/v1/movies").await["total"], 0);
    place(
        media.path(),
        "Movies/Epsilon (2020)/Epsilon (2020).mp4",
        "tiny.mp4",
    );
    for _ in 0..150 {
        if admin.get("/api/v1/movies").await["total"] == 1 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the new movie did not appear within 15 s");
}

#[tokio::test]
async fn the_web_app_is_served_with_a_page_fallback() {
    let (_data, server) = demo_server();
    let client = reqwest::Client::new();
    for page in ["/", "/series/1", "/people/3", "/login?next=%2Fadmin"] {
        let resp = client.get(server.url(page)).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{page}");
        assert!(resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
        assert_eq!(resp.headers()["cache-control"], "no-cache");
        assert!(resp.text().await.unwrap().contains("Marquee"));
    }
    // Unknown API paths stay JSON errors; unknown assets are real 404s.
    let api = client.get(server.url("/api/v1/nope")).send().await.unwrap();
    assert_eq!(api.status(), 404);
    assert!(api.json::<serde_json::Value>().await.unwrap()["error"]
        .as_str()
        .unwrap()
        .contains("/api/v1/nope"));
    assert_eq!(
        client
            .get(server.url("/assets/missing-1234.js"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        client.post(server.url("/")).send().await.unwrap().status(),
        405
    );
}
