//! Profiles against the real server and the demo library: a kids profile (TV-PG ceiling, no
//! unrated titles) does not see the R-rated film or the TV-MA series anywhere — lists, details,
//! people, playback — while the account itself still does; a kids profile cannot manage
//! profiles, and leaving it needs its PIN.

mod common;
use common::*;

use serde_json::json;

async fn titles(api: &Api, path: &str) -> Vec<String> {
    api.get(path).await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["title"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_kids_profile_sees_nothing_above_its_ceiling() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), &["--demo", "--no-watch"]);
    let api = server.admin().await;
    server.wait_for_scan(&api).await;
    let movies = api.get("/api/v1/movies").await;
    let id_of = |t: &str| id_of(&movies, t);
    let mature = id_of("Harbor Lights");
    let series = api.get("/api/v1/series").await["items"][0]["id"]
        .as_i64()
        .unwrap();
    let director = api.get(&format!("/api/v1/movies/{mature}")).await["credits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["role"] == "director")
        .unwrap()["person_id"]
        .as_i64()
        .unwrap();

    let res = api
        .post(
            "/api/v1/me/profiles",
            json!({"name": "Kids", "kids": true, "pin": "2468"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let kids: serde_json::Value = res.json().await.unwrap();
    assert_eq!(kids["max_rating"], "TV-PG");
    assert_eq!(kids["allow_unrated"], false);
    assert_eq!(kids["has_pin"], true);
    assert!(kids.get("pin_hash").is_none());
    let res = api.post("/api/v1/me/profiles", json!({"name": "Me"})).await;
    let me = res.json::<serde_json::Value>().await.unwrap();
    let bad = api
        .post(
            "/api/v1/me/profiles",
            json!({"name": "X", "max_rating": "18+"}),
        )
        .await;
    assert_eq!(bad.status(), 400);

    // A second device chooses the kids profile (entering it needs no PIN).
    let tv = server
        .login("admin", server.admin_password.as_ref().unwrap())
        .await;
    let res = tv
        .post("/api/v1/me/profile", json!({"profile_id": kids["id"]}))
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(tv.get("/api/v1/me").await["profile"]["name"], "Kids");

    let kid_movies = titles(&tv, "/api/v1/movies").await;
    assert!(
        !kid_movies.contains(&"Harbor Lights".to_string()),
        "{kid_movies:?}"
    );
    assert!(
        kid_movies.contains(&"The Long Tide".to_string()),
        "{kid_movies:?}"
    );
    assert!(
        titles(&tv, "/api/v1/series").await.is_empty(),
        "the TV-MA series is listed"
    );
    for path in [
        format!("/api/v1/movies/{mature}"),
        format!("/api/v1/items/{mature}"),
        format!("/api/v1/series/{series}"),
        format!("/api/v1/items/{mature}/playback"),
        format!("/api/v1/items/{mature}/direct"),
    ] {
        assert_eq!(tv.get_raw(&path).await.status(), 404, "{path}");
    }
    let person = tv.get(&format!("/api/v1/people/{director}")).await;
    assert!(!person.to_string().contains("Harbor Lights"), "{person}");
    // The account itself, on the first device, still sees everything (no shared cache entry).
    assert!(titles(&api, "/api/v1/movies")
        .await
        .contains(&"Harbor Lights".to_string()));
    assert_eq!(
        api.get_raw(&format!("/api/v1/items/{mature}/playback"))
            .await
            .status(),
        200
    );

    // A kids profile cannot manage profiles, and leaving it needs its PIN.
    let res = tv
        .post("/api/v1/me/profiles", json!({"name": "Sneaky"}))
        .await;
    assert_eq!(res.status(), 403);
    let res = tv
        .post("/api/v1/me/profile", json!({"profile_id": me["id"]}))
        .await;
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("PIN"));
    let res = tv
        .post(
            "/api/v1/me/profile",
            json!({"profile_id": me["id"], "pin": "0000"}),
        )
        .await;
    assert_eq!(res.status(), 403);
    let res = tv
        .post(
            "/api/v1/me/profile",
            json!({"profile_id": me["id"], "pin": "2468"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert!(titles(&tv, "/api/v1/movies")
        .await
        .contains(&"Harbor Lights".to_string()));
}
