//! Reviews, people and "more like this" against a real server: sidecar review Markdown comes out
//! as sanitised HTML, an administrator's edit and deletion survive a rescan, a person's page has
//! a local photo and credits by role, newest first, and related titles rank shared people above
//! a shared genre.

mod common;
use common::*;

use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;

fn sidecar(root: &Path, folder: &str, body: Value) {
    let dir = root.join("Movies").join(folder);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("{folder}.json")), body.to_string()).unwrap();
}

/// Four films: Bravo shares Alpha's director, Charlie only a genre, Delta only a critic.
fn library(root: &Path, alpha_synopsis: &str) {
    place(root, "Movies/Alpha (2010)/Alpha (2010).mp4", "tiny.mp4");
    place(root, "Movies/Bravo (2012)/Bravo (2012).mp4", "tiny-b.mp4");
    place(
        root,
        "Movies/Charlie (2014)/Charlie (2014).mp4",
        "tiny-c.mp4",
    );
    place(root, "Movies/Delta (2016)/Delta (2016).mp4", "tiny-d.mp4");
    std::fs::write(
        root.join("Movies/Alpha (2010)/dana.jpg"),
        b"\xff\xd8\xff\xe0 not really a jpeg",
    )
    .unwrap();
    sidecar(
        root,
        "Alpha (2010)",
        json!({
            "synopsis": alpha_synopsis,
            "genres": ["Drama"],
            "people": [{"name": "Dana Director", "role": "director", "photo": "dana.jpg",
                        "biography": "Makes films."}],
            "reviews": [{
                "author": "Robin Critic", "publication": "The Daily Screen", "date": "2010-05-01",
                "score": 80, "score_text": "4/5",
                "body_markdown": "A *taut* drama.<script>alert('x')</script>\n\n<img src=x onerror=\"alert(1)\">\n\n[more](javascript:alert(2))",
                "url": "javascript:alert(3)"
            }]
        }),
    );
    sidecar(
        root,
        "Bravo (2012)",
        json!({
            "genres": ["Comedy"],
            "people": [{"name": "Dana Director", "role": "director"},
                       {"name": "Dana Director", "role": "writer"}]
        }),
    );
    sidecar(root, "Charlie (2014)", json!({"genres": ["Drama"]}));
    sidecar(
        root,
        "Delta (2016)",
        json!({
            "genres": ["Western"],
            "reviews": [{"author": "Robin Critic", "date": "2016-02-02", "body_markdown": "Dusty."}]
        }),
    );
}

async fn wait_for_another_scan(api: &Api, before: usize) {
    for _ in 0..600 {
        let s = api.get("/api/v1/admin/scan").await;
        if s["progress"]["running"] == false && s["recent"].as_array().map_or(0, Vec::len) > before
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the rescan did not finish within 30 s");
}

fn titles(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn reviews_people_and_more_like_this() {
    let media = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    library(media.path(), "First synopsis.");
    let (server, api) = serve_media(data.path(), media.path()).await;
    let movies = api.get("/api/v1/movies").await;
    let [alpha, bravo, charlie, delta] =
        ["Alpha", "Bravo", "Charlie", "Delta"].map(|t| id_of(&movies, t));

    // The sidecar review's Markdown is rendered, and nothing executable survives.
    let detail = api.get(&format!("/api/v1/movies/{alpha}")).await;
    let review = &detail["reviews"][0];
    let html = review["body_html"].as_str().unwrap();
    assert!(html.contains("<em>taut</em>"), "{html}");
    for bad in ["<script", "alert", "onerror", "javascript:", "<img"] {
        assert!(!html.contains(bad), "{bad} in {html}");
    }
    assert_eq!(
        review["url"],
        Value::Null,
        "a javascript: link is not a web address"
    );
    assert_eq!(review["source"], "sidecar");
    let review_id = review["id"].as_i64().unwrap();

    // More like this: a shared director (3) over a shared genre (1) over a shared critic (0.5).
    let similar = api.get(&format!("/api/v1/items/{alpha}/similar")).await;
    assert_eq!(titles(&similar), ["Bravo", "Charlie", "Delta"], "{similar}");
    assert_eq!(similar[0]["shared"]["people"], json!(["Dana Director"]));
    assert_eq!(similar[0]["score"], 3.0);
    assert_eq!(similar[1]["shared"]["genres"], json!(["Drama"]));
    assert_eq!(similar[2]["shared"]["reviewers"], json!(["Robin Critic"]));
    // More from this reviewer, newest first; and from the publication.
    let by = api.get("/api/v1/reviews?author=robin%20critic").await;
    let reviewed: Vec<i64> = by
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["item_id"].as_i64().unwrap())
        .collect();
    assert_eq!(reviewed, vec![delta, alpha]);
    let by = api
        .get("/api/v1/reviews?publication=The%20Daily%20Screen")
        .await;
    assert_eq!(by.as_array().unwrap().len(), 1);
    assert_eq!(api.get_raw("/api/v1/reviews").await.status(), 400);

    // The person page: a local photo served through the API, credits grouped by role with the
    // busiest role first, newest first.
    let people = api.get("/api/v1/people?q=dana").await;
    let dana = people["items"][0]["id"].as_i64().unwrap();
    let person = api.get(&format!("/api/v1/people/{dana}")).await;
    assert_eq!(person["photo"], format!("/api/v1/people/{dana}/photo"));
    assert_eq!(person["biography"], "Makes films.");
    assert_eq!(person["roles"][0]["role"], "director");
    assert_eq!(titles(&person["roles"][0]["credits"]), ["Bravo", "Alpha"]);
    assert_eq!(person["roles"][1]["role"], "writer");
    let photo = api.get_raw(&format!("/api/v1/people/{dana}/photo")).await;
    assert_eq!(photo.status(), 200);
    assert_eq!(photo.headers()["content-type"], "image/jpeg");
    assert!(photo.bytes().await.unwrap().starts_with(b"\xff\xd8"));

    // Administrators edit the sidecar review, write one, delete Delta's.
    let edit = json!({"author": "Robin Critic", "publication": "The Daily Screen", "date": "2010-05-02",
        "score": 90, "body_markdown": "Better on a **second** look. <b onclick=\"x()\">ok</b>"});
    let res = api
        .client
        .put(server.url(&format!("/api/v1/admin/reviews/{review_id}")))
        .bearer_auth(&api.token)
        .json(&edit)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let edited: Value = res.json().await.unwrap();
    assert_eq!(edited["source"], "admin");
    assert!(edited["body_html"]
        .as_str()
        .unwrap()
        .contains("<strong>second</strong>"));
    assert!(!edited["body_html"].as_str().unwrap().contains("onclick"));
    let res = api
        .post(
            &format!("/api/v1/admin/items/{charlie}/reviews"),
            json!({"author": "House Critic", "body_markdown": "Quiet.", "score": 70}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let bad = api
        .post(
            &format!("/api/v1/admin/items/{charlie}/reviews"),
            json!({"author": "X", "body_markdown": "y", "score": 120}),
        )
        .await;
    assert_eq!(bad.status(), 400);
    let delta_review = api.get(&format!("/api/v1/movies/{delta}")).await["reviews"][0]["id"]
        .as_i64()
        .unwrap();
    let res = api
        .delete(&format!("/api/v1/admin/reviews/{delta_review}"))
        .await;
    assert_eq!(res.status(), 204);
    assert_eq!(
        api.get(&format!("/api/v1/movies/{delta}")).await["reviews"],
        json!([])
    );

    // A viewer who is not an administrator cannot.
    let res = api
        .post(
            "/api/v1/admin/users",
            json!({"username": "viewer", "password": "viewer-pass-1"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let viewer = server.login("viewer", "viewer-pass-1").await;
    let res = viewer
        .post(
            &format!("/api/v1/admin/items/{bravo}/reviews"),
            json!({"author": "V", "body_markdown": "x"}),
        )
        .await;
    assert_eq!(res.status(), 403);

    // The sidecars change and a rescan rereads them: the edits stand, nothing is duplicated.
    library(media.path(), "Second synopsis.");
    sidecar(
        media.path(),
        "Delta (2016)",
        json!({
            "genres": ["Western"], "synopsis": "Changed.",
            "reviews": [{"author": "Robin Critic", "date": "2016-02-02", "body_markdown": "Dusty."}]
        }),
    );
    let before = api.get("/api/v1/admin/scan").await["recent"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(
        api.post("/api/v1/admin/scan", json!({})).await.status(),
        202
    );
    wait_for_another_scan(&api, before).await;
    let detail = api.get(&format!("/api/v1/movies/{alpha}")).await;
    assert_eq!(
        detail["synopsis"], "Second synopsis.",
        "the rescan reread the sidecar"
    );
    let reviews = detail["reviews"].as_array().unwrap();
    assert_eq!(reviews.len(), 1, "{reviews:?}");
    assert_eq!(reviews[0]["score"], 90.0);
    assert!(reviews[0]["body_markdown"]
        .as_str()
        .unwrap()
        .starts_with("Better"));
    let delta_detail = api.get(&format!("/api/v1/movies/{delta}")).await;
    assert_eq!(delta_detail["synopsis"], "Changed.");
    assert_eq!(
        delta_detail["reviews"],
        json!([]),
        "a deleted sidecar review stays deleted"
    );
    assert_eq!(
        api.get(&format!("/api/v1/movies/{charlie}")).await["reviews"][0]["author"],
        "House Critic"
    );

    // Every change is in the audit log.
    let audit = api.get("/api/v1/admin/audit?limit=50").await;
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for a in ["review_updated", "review_created", "review_deleted"] {
        assert!(actions.contains(&a), "{a} missing from {actions:?}");
    }
}
