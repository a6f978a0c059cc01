//! Direct play: the original file over HTTP with full range semantics, read by real clients.

mod common;
use common::*;

#[tokio::test]
async fn direct_play_honours_ranges_conditionals_and_head() {
    let data = tempfile::tempdir().unwrap();
    let media = tempfile::tempdir().unwrap();
    let file = place(
        media.path(),
        "Movies/Iota (2011)/Iota (2011).mp4",
        "h264_aac.mp4",
    );
    let bytes = std::fs::read(&file).unwrap();
    let len = bytes.len();
    let (server, api) = serve_media(data.path(), media.path()).await;
    let movie = &api.get("/api/v1/movies").await["items"][0];
    let url = server.url(&format!("/api/v1/items/{}/direct", movie["id"]));
    let get = |range: Option<&str>| {
        let mut r = api.client.get(&url).bearer_auth(&api.token);
        if let Some(range) = range {
            r = r.header("range", range);
        }
        r.send()
    };

    let full = get(None).await.unwrap();
    assert_eq!(full.status(), 200);
    assert_eq!(full.headers()["accept-ranges"], "bytes");
    assert_eq!(full.headers()["content-type"], "video/mp4");
    let etag = full.headers()["etag"].to_str().unwrap().to_string();
    assert_eq!(full.bytes().await.unwrap().as_ref(), bytes.as_slice());

    let first = get(Some("bytes=0-99")).await.unwrap();
    assert_eq!(first.status(), 206);
    assert_eq!(
        first.headers()["content-range"],
        format!("bytes 0-99/{len}").as_str()
    );
    assert_eq!(first.bytes().await.unwrap().as_ref(), &bytes[..100]);

    let suffix = get(Some("bytes=-500")).await.unwrap();
    assert_eq!(suffix.status(), 206);
    assert_eq!(suffix.bytes().await.unwrap().as_ref(), &bytes[len - 500..]);

    let open = get(Some(&format!("bytes={}-", len - 1000))).await.unwrap();
    assert_eq!(open.status(), 206);
    assert_eq!(open.headers()["content-length"], "1000");
    assert_eq!(open.bytes().await.unwrap().as_ref(), &bytes[len - 1000..]);

    let past = get(Some(&format!("bytes={len}-"))).await.unwrap();
    assert_eq!(past.status(), 416);
    assert_eq!(
        past.headers()["content-range"],
        format!("bytes */{len}").as_str()
    );

    let not_modified = api
        .client
        .get(&url)
        .bearer_auth(&api.token)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(not_modified.status(), 304);

    let if_range = |validator: &str| {
        api.client
            .get(&url)
            .bearer_auth(&api.token)
            .header("range", "bytes=10-19")
            .header("if-range", validator.to_string())
            .send()
    };
    assert_eq!(if_range(&etag).await.unwrap().status(), 206);
    let stale = if_range("\"stale\"").await.unwrap();
    assert_eq!(stale.status(), 200);
    assert_eq!(stale.bytes().await.unwrap().len(), len);

    let head = api
        .client
        .head(&url)
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()["content-length"], len.to_string().as_str());
    assert!(head.bytes().await.unwrap().is_empty());

    let download = api
        .client
        .get(format!("{url}?download=true"))
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap();
    assert!(download.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));

    // Without a session: refused.
    assert_eq!(reqwest::get(&url).await.unwrap().status(), 401);

    // A real client: ffprobe reads the stream over HTTP (it seeks with ranges to find the moov).
    let probe = std::process::Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "format=duration",
            "-of",
            "csv=p=0",
            "-headers",
        ])
        .arg(format!("Authorization: Bearer {}\r\n", api.token))
        .arg(&url)
        .output()
        .expect("ffprobe (install ffmpeg)");
    assert!(
        probe.status.success(),
        "{}",
        String::from_utf8_lossy(&probe.stderr)
    );
    let duration: f64 = String::from_utf8_lossy(&probe.stdout)
        .trim()
        .parse()
        .unwrap();
    assert!(duration > 1.0, "{duration}");
}

#[tokio::test]
async fn direct_play_of_a_missing_file_is_a_clear_404() {
    let data = tempfile::tempdir().unwrap();
    let media = tempfile::tempdir().unwrap();
    let file = place(
        media.path(),
        "Movies/Kappa (2012)/Kappa (2012).mp4",
        "tiny.mp4",
    );
    let (_server, api) = serve_media(data.path(), media.path()).await;
    let id = api.get("/api/v1/movies").await["items"][0]["id"].clone();
    std::fs::remove_file(&file).unwrap();
    let resp = api.get_raw(&format!("/api/v1/items/{id}/direct")).await;
    assert_eq!(resp.status(), 404);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert!(
        body["error"].as_str().unwrap().contains("cannot be opened"),
        "{body}"
    );
    // Other titles keep playing: the server is fine.
    assert_eq!(api.get_raw("/healthz").await.status(), 200);
}
