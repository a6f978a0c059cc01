//! Search against the real server, a real SQLite file and the demo library: typos, prefixes,
//! case and diacritics, a kids profile's ceiling, and a file added by a rescan.

mod common;
use common::*;

use std::time::Duration;

use serde_json::{json, Value};

fn encode(q: &str) -> String {
    q.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn search(api: &Api, q: &str) -> Value {
    api.get(&format!("/api/v1/search?q={}&limit=20", encode(q)))
        .await
}

fn titles(results: &Value, group: &str) -> Vec<String> {
    results[group]
        .as_array()
        .unwrap_or_else(|| panic!("no group {group} in {results}"))
        .iter()
        .map(|h| h["title"].as_str().unwrap().to_string())
        .collect()
}

/// Searches until `group` holds `title` (the index follows the store within a second or so).
async fn search_until(api: &Api, q: &str, group: &str, title: &str) -> Value {
    for _ in 0..200 {
        let r = search(api, q).await;
        if titles(&r, group).iter().any(|t| t == title) {
            return r;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "searching {q:?} did not find {title:?} among {group} within 20 s: {}",
        search(api, q).await
    );
}

#[tokio::test]
async fn search_forgives_typos_follows_typing_and_respects_profiles() {
    let data = tempfile::tempdir().unwrap();
    let extra = tempfile::tempdir().unwrap();
    let extra_root = extra.path().to_str().unwrap().to_string();
    let server = Server::start(
        data.path(),
        &["--demo", "--no-watch", "--media", &extra_root],
    );
    let api = server.admin().await;
    server.wait_for_scan(&api).await;

    // Prefix of the word being typed; the first sync after the scan builds the index.
    let r = search_until(&api, "harb", "movies", "Harbor Lights").await;
    assert_eq!(titles(&r, "movies")[0], "Harbor Lights");
    assert_eq!(r["movies"][0]["kind"], "movie");
    assert!(titles(&search(&api, "the defiant o").await, "series")
        .contains(&"The Defiant Ones".to_string()));

    // Typos: a person and an episode.
    let r = search(&api, "jimy iovinne").await;
    assert_eq!(
        titles(&r, "people").first().map(String::as_str),
        Some("Jimmy Iovine"),
        "{r}"
    );
    // "tow" is also one edit from "to" in the other episodes' synopses: they rank below.
    let r = search(&api, "prat tow").await;
    assert_eq!(
        titles(&r, "episodes").first().map(String::as_str),
        Some("Part Two"),
        "{r}"
    );
    assert_eq!(r["episodes"][0]["subtitle"], "The Defiant Ones · S1E2");
    assert!(r["episodes"][0]["series_id"].as_i64().is_some());

    // Case and diacritics.
    let r = search(&api, "BRÉNNAN-SATÓ").await;
    assert_eq!(titles(&r, "people"), ["Odile Brennan-Sato"], "{r}");
    assert!(
        titles(&r, "movies").contains(&"Harbor Lights".to_string()),
        "{r}"
    );
    let r = search(&api, "HARBOR lights").await;
    assert_eq!(titles(&r, "movies")[0], "Harbor Lights");

    // Malformed requests.
    for (path, status) in [
        ("/api/v1/search", 400),
        ("/api/v1/search?q=x&limit=0", 400),
        ("/api/v1/search?q=x&limit=ten", 400),
    ] {
        let res = api.get_raw(path).await;
        assert_eq!(res.status(), status, "{path}");
        let body: Value = res.json().await.unwrap();
        assert!(body["error"].as_str().is_some_and(|e| !e.is_empty()));
    }
    assert_eq!(
        search(&api, "").await,
        json!({"series": [], "movies": [], "episodes": [], "people": [], "reviews": []})
    );
    // The listing filter still works alongside.
    let listed = api.get("/api/v1/movies?q=harbor").await;
    assert_eq!(listed["total"], 1);

    // A kids profile (TV-PG, no unrated titles) does not find the R-rated film or the TV-MA
    // series, nor people known only from them; it still finds what it may watch.
    let res = api
        .post("/api/v1/me/profiles", json!({"name": "Kids", "kids": true}))
        .await;
    assert_eq!(res.status(), 201);
    let kids: Value = res.json().await.unwrap();
    let tv = server
        .login("admin", server.admin_password.as_ref().unwrap())
        .await;
    let res = tv
        .post("/api/v1/me/profile", json!({"profile_id": kids["id"]}))
        .await;
    assert_eq!(res.status(), 200);
    let r = search(&tv, "harbor").await;
    assert!(
        !titles(&r, "movies").contains(&"Harbor Lights".to_string()),
        "{r}"
    );
    let r = search(&tv, "brennan").await;
    assert!(
        titles(&r, "people").is_empty() && titles(&r, "movies").is_empty(),
        "{r}"
    );
    let r = search(&tv, "defiant").await;
    assert!(
        titles(&r, "series").is_empty() && titles(&r, "episodes").is_empty(),
        "{r}"
    );
    assert!(titles(&r, "reviews").is_empty(), "{r}");
    let r = search(&tv, "long tid").await;
    assert_eq!(titles(&r, "movies"), ["The Long Tide"], "{r}");
    // The account itself still finds all of it.
    let r = search(&api, "defiant").await;
    assert!(
        !titles(&r, "series").is_empty() && !titles(&r, "episodes").is_empty(),
        "{r}"
    );

    // A file added and found by a rescan is searchable without a restart.
    place(
        extra.path(),
        "Quiet Meridian (2020)/Quiet Meridian (2020).mp4",
        "tiny.mp4",
    );
    assert!(titles(&search(&api, "meridian").await, "movies").is_empty());
    let res = api.post("/api/v1/admin/scan", json!({})).await;
    assert!(res.status().is_success(), "{}", res.status());
    let r = search_until(&api, "quiet meridain", "movies", "Quiet Meridian").await;
    assert_eq!(r["movies"][0]["year"], 2020);
}
