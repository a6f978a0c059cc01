//! HLS and DASH made on the fly by the real server, read by ffmpeg over HTTP.

mod common;
use common::*;

use std::process::Command;

/// Decoded video frames of a local file or URL (ffprobe -count_frames).
fn video_frames(input: &str) -> u64 {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-count_frames",
            "-show_entries",
            "stream=nb_read_frames",
            "-of",
            "csv=p=0",
        ])
        .arg(input)
        .output()
        .expect("ffprobe (install ffmpeg)");
    assert!(
        out.status.success(),
        "ffprobe {input}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // HLS shows one stream per variant: they are the same rendition, so take the first.
    let text = String::from_utf8_lossy(&out.stdout);
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    first.trim_end_matches(',').parse().unwrap_or_else(|_| {
        panic!(
            "ffprobe frame count for {input}: {:?}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// `ffmpeg -xerror` decodes every stream of `url` without a single error. (The null muxer has
/// no default subtitle encoder: WebVTT renditions are re-encoded as WebVTT.)
fn ffmpeg_plays(url: &str) {
    let out = Command::new("ffmpeg")
        .args([
            "-nostdin", "-v", "error", "-xerror", "-i", url, "-map", "0", "-c:s", "webvtt", "-f",
            "null", "-",
        ])
        .output()
        .expect("ffmpeg (install it)");
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "ffmpeg failed on {url}:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn hls_and_dash_from_the_server_play_in_ffmpeg() {
    let data = tempfile::tempdir().unwrap();
    let media = tempfile::tempdir().unwrap();
    let fixtures = [
        ("Movies/Lambda (2001)/Lambda (2001).mp4", "gop300.mp4"),
        ("Movies/Mu (2002)/Mu (2002).mp4", "two_audio_langs.mp4"),
        ("Movies/Nu (2003)/Nu (2003).mkv", "h264_aac_subs.mkv"),
        ("Movies/Xi (2004)/Xi (2004).webm", "vp9_opus.webm"),
        ("Movies/Omicron (2005)/Omicron (2005).mp4", "bframes.mp4"),
    ];
    for (rel, fx) in fixtures {
        place(media.path(), rel, fx);
    }
    let (server, api) = serve_media(data.path(), media.path()).await;
    let movies = api.get("/api/v1/movies?limit=50").await;
    assert_eq!(movies["total"], fixtures.len(), "{movies}");
    for (rel, fx) in fixtures {
        let title = rel.split('/').nth(1).unwrap().split(" (").next().unwrap();
        let movie = movies["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["title"] == title)
            .unwrap();
        let info = api
            .get(&format!("/api/v1/items/{}/playback", movie["id"]))
            .await;
        let tracks = info["tracks"].as_array().unwrap();
        assert!(
            tracks
                .iter()
                .any(|t| t["kind"] == "video" && t["streamed"] == true),
            "{info}"
        );
        let hls = server.url(info["hls"].as_str().unwrap());
        let dash = server.url(info["dash"].as_str().unwrap());
        ffmpeg_plays(&hls);
        ffmpeg_plays(&dash);
        let source = fixture(fx);
        let expected = video_frames(source.to_str().unwrap());
        assert_eq!(video_frames(&hls), expected, "{fx} over HLS");
        assert_eq!(video_frames(&dash), expected, "{fx} over DASH");
    }
}

#[tokio::test]
async fn stream_urls_are_signed_cacheable_and_ranged() {
    let data = tempfile::tempdir().unwrap();
    let media = tempfile::tempdir().unwrap();
    place(
        media.path(),
        "Movies/Pi (1998)/Pi (1998).mp4",
        "h264_aac.mp4",
    );
    place(media.path(), "Movies/Rho (1999)/Rho (1999).mp4", "tiny.mp4");
    std::fs::write(media.path().join("Movies/Sigma (2000).mp4"), b"not a video").unwrap();
    let (server, api) = serve_media(data.path(), media.path()).await;
    let movies = api.get("/api/v1/movies").await;
    let id_of = |t: &str| id_of(&movies, t);
    let (pi, rho) = (id_of("Pi"), id_of("Rho"));
    let info = api.get(&format!("/api/v1/items/{pi}/playback")).await;
    let hls = info["hls"].as_str().unwrap().to_string();
    let client = reqwest::Client::new();

    // No header needed; playlists point at init and media segments relative to the token.
    let master = client.get(server.url(&hls)).send().await.unwrap();
    assert_eq!(master.status(), 200);
    assert_eq!(master.headers()["access-control-allow-origin"], "*");
    let master = master.text().await.unwrap();
    assert!(master.starts_with("#EXTM3U"));
    assert!(master.contains("#EXT-X-VERSION:7"));
    assert!(
        master.contains("avc1.") && master.contains("mp4a.40.2"),
        "{master}"
    );
    let base = hls.trim_end_matches("master.m3u8");
    let video_playlist = master
        .lines()
        .find(|l| l.starts_with("v/"))
        .expect("a video rendition");
    let playlist = client
        .get(server.url(&format!("{base}{video_playlist}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        playlist.contains("#EXT-X-MAP:URI=\"init.mp4\""),
        "{playlist}"
    );
    let dir = video_playlist.trim_end_matches("playlist.m3u8");
    let segment_url = server.url(&format!("{base}{dir}0.m4s"));

    let seg = client.get(&segment_url).send().await.unwrap();
    assert_eq!(seg.status(), 200);
    assert_eq!(
        seg.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    let etag = seg.headers()["etag"].to_str().unwrap().to_string();
    let whole = seg.bytes().await.unwrap();
    assert_eq!(&whole[4..8], b"styp");
    let head = client.head(&segment_url).send().await.unwrap();
    assert_eq!(
        head.headers()["content-length"],
        whole.len().to_string().as_str()
    );
    let part = client
        .get(&segment_url)
        .header("range", "bytes=100-4195")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(part.bytes().await.unwrap(), whole.slice(100..4196));
    let again = client
        .get(&segment_url)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    let past = client
        .get(&segment_url)
        .header("range", format!("bytes={}-", whole.len()))
        .send()
        .await
        .unwrap();
    assert_eq!(past.status(), 416);

    // The token is bound to its item: moved to another item, forged, or garbage → 403.
    let token = hls.split('/').nth(3).unwrap();
    let moved = client
        .get(server.url(&format!("/stream/{rho}/{token}/master.m3u8")))
        .send()
        .await
        .unwrap();
    assert_eq!(moved.status(), 403);
    let mut forged = token.to_string();
    let last = forged.pop().unwrap();
    forged.push(if last == '0' { '1' } else { '0' });
    let forged = client
        .get(server.url(&format!("/stream/{pi}/{forged}/master.m3u8")))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let body: serde_json::Value = forged.json().await.unwrap();
    assert!(
        body["error"].as_str().unwrap().contains("not valid"),
        "{body}"
    );
    for bad in ["garbage", "1-2-3"] {
        let r = client
            .get(server.url(&format!("/stream/{pi}/{bad}/master.m3u8")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
    }
    // Unknown files under a good token are 404. A traversal attempt either stays under the token
    // (404) or is normalised by the client out of /stream/ and lands on the web app's page:
    // never on a file.
    for rest in [
        "v/999/init.mp4",
        "v/1/99999.m4s",
        "../../../../etc/passwd",
        "v/1/..%2F..%2Fsecret.key",
        "%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "nothing",
    ] {
        let r = client
            .get(server.url(&format!("{base}{rest}")))
            .send()
            .await
            .unwrap();
        let status = r.status();
        let html = r
            .headers()
            .get("content-type")
            .is_some_and(|v| v.to_str().unwrap_or("").starts_with("text/html"));
        let body = r.text().await.unwrap();
        assert!(!body.contains("root:"), "{rest} leaked a file");
        assert!(
            status == 404 || status == 400 || (status == 200 && html),
            "{rest}: {status}"
        );
    }

    // A file that could not be read: a JSON error, and the server keeps serving the rest.
    let sigma = api
        .get_raw("/api/v1/movies?q=Sigma")
        .await
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(sigma["total"], 0, "a failed file is not listed");
    let direct = client
        .get(server.url(&format!("{base}direct")))
        .header("range", "bytes=0-9")
        .send()
        .await
        .unwrap();
    assert_eq!(direct.status(), 206);
}

/// Subtitles through the server: embedded text tracks and sidecar files as WebVTT, listed in the
/// playback info and both manifests; an image track listed with its reason; a sidecar that is a
/// symlink out of the media folder never offered.
#[tokio::test]
async fn subtitles_are_served_as_webvtt() {
    let data = tempfile::tempdir().unwrap();
    let media = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let video = place(
        media.path(),
        "Movies/Tau (2006)/Tau (2006).mkv",
        "h264_aac_subs.mkv",
    );
    let folder = video.parent().unwrap().to_path_buf();
    std::fs::write(
        folder.join("Tau (2006).de.srt"),
        "1\n00:00:01,000 --> 00:00:02,000\nHallo <b>Welt</b>\n",
    )
    .unwrap();
    std::fs::write(
        outside.path().join("secret.srt"),
        "1\n00:00:01,000 --> 00:00:02,000\nsecret\n",
    )
    .unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("secret.srt"),
        folder.join("Tau (2006).it.srt"),
    )
    .unwrap();
    let (server, api) = serve_media(data.path(), media.path()).await;
    let movies = api.get("/api/v1/movies").await;
    let id = movies["items"][0]["id"].as_i64().unwrap();
    let info = api.get(&format!("/api/v1/items/{id}/playback")).await;
    let subs = info["subtitles"].as_array().unwrap();
    let labels: Vec<&str> = subs.iter().map(|s| s["label"].as_str().unwrap()).collect();
    assert_eq!(labels, ["English", "French (styled)", "German"], "{info}");
    assert_eq!(subs[2]["source"], "sidecar");
    assert_eq!(subs[2]["language"], "de");
    let client = reqwest::Client::new();
    for (sub, expected) in subs.iter().zip([
        "00:00:00.521 --> 00:00:01.521\nHello from Marquee.",
        "00:00:02.021 --> 00:00:03.521\nSecond cue, <i>in italics</i>.",
        "00:00:01.000 --> 00:00:02.000\nHallo <b>Welt</b>",
    ]) {
        let res = client
            .get(server.url(sub["url"].as_str().unwrap()))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "text/vtt; charset=utf-8");
        assert!(res.headers().contains_key("etag"));
        let vtt = res.text().await.unwrap();
        assert!(
            vtt.starts_with("WEBVTT\n") && vtt.contains(expected),
            "{vtt}"
        );
    }

    let hls = info["hls"].as_str().unwrap();
    let master = client
        .get(server.url(hls))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let renditions: Vec<&str> = master
        .lines()
        .filter(|l| l.starts_with("#EXT-X-MEDIA:TYPE=SUBTITLES"))
        .collect();
    assert_eq!(renditions.len(), 3, "{master}");
    assert!(
        !master.contains("secret") && !master.contains("Italian"),
        "{master}"
    );
    let uri = renditions[2]
        .rsplit("URI=\"")
        .next()
        .unwrap()
        .trim_end_matches('"');
    let base = hls.trim_end_matches("master.m3u8");
    let playlist = client
        .get(server.url(&format!("{base}{uri}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        playlist.contains("#EXTINF:") && playlist.contains("subtitles.vtt"),
        "{playlist}"
    );
    let mpd = client
        .get(server.url(info["dash"].as_str().unwrap()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(mpd.matches("mimeType=\"text/vtt\"").count(), 3, "{mpd}");
    // ffmpeg reads the DASH subtitle renditions over HTTP.
    ffmpeg_plays(&server.url(info["dash"].as_str().unwrap()));

    // A key that is not one of this video's subtitles.
    let missing = client
        .get(server.url(&format!("{base}s/x00000000/subtitles.vtt")))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

/// Rotating the signing key keeps links already handed out working (a viewer mid-film is not cut
/// off), while new links use the new key.
#[tokio::test]
async fn playback_key_rotation_keeps_current_viewers() {
    let data = tempfile::tempdir().unwrap();
    let media = tempfile::tempdir().unwrap();
    place(media.path(), "Movies/Phi (2007)/Phi (2007).mp4", "tiny.mp4");
    let (server, api) = serve_media(data.path(), media.path()).await;
    let id = api.get("/api/v1/movies").await["items"][0]["id"]
        .as_i64()
        .unwrap();
    let before = api.get(&format!("/api/v1/items/{id}/playback")).await;
    let old_url = server.url(before["hls"].as_str().unwrap());
    assert!(before["hls"].as_str().unwrap().contains("/1-"), "{before}");

    let rotated = api
        .post("/api/v1/admin/playback-keys/rotate", serde_json::json!({}))
        .await;
    assert_eq!(rotated.status(), 200);
    assert_eq!(
        rotated.json::<serde_json::Value>().await.unwrap()["key_id"],
        2
    );

    let client = reqwest::Client::new();
    assert_eq!(client.get(&old_url).send().await.unwrap().status(), 200);
    let after = api.get(&format!("/api/v1/items/{id}/playback")).await;
    let new_path = after["hls"].as_str().unwrap();
    assert!(new_path.contains("/2-"), "{after}");
    assert_eq!(
        client
            .get(server.url(new_path))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let log = api.get("/api/v1/admin/audit").await;
    assert!(log
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["action"] == "playback_key_rotated"));
}

/// Top-level box types of an MP4 in memory (64-bit sizes understood).
fn top_level_boxes(bytes: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let mut p = 0usize;
    while p + 8 <= bytes.len() {
        let mut size = u64::from(u32::from_be_bytes(bytes[p..p + 4].try_into().unwrap()));
        if size == 1 {
            size = u64::from_be_bytes(bytes[p + 8..p + 16].try_into().unwrap());
        }
        out.push(String::from_utf8_lossy(&bytes[p + 4..p + 8]).to_string());
        assert!(size >= 8, "box of {size} bytes at {p}");
        p += size as usize;
    }
    assert_eq!(p, bytes.len(), "boxes do not add up to the file");
    out
}

#[tokio::test]
async fn progressive_mp4_of_a_matroska_file() {
    let data = tempfile::tempdir().unwrap();
    let media = tempfile::tempdir().unwrap();
    place(
        media.path(),
        "Movies/Tau (2010)/Tau (2010).mkv",
        "h264_aac_subs.mkv",
    );
    place(
        media.path(),
        "Movies/Upsilon (2011)/Upsilon (2011).mkv",
        "hevc_ac3.mkv",
    );
    let (server, api) = serve_media(data.path(), media.path()).await;
    let movies = api.get("/api/v1/movies").await;
    let id_of = |t: &str| id_of(&movies, t);
    let info = api
        .get(&format!("/api/v1/items/{}/playback", id_of("Tau")))
        .await;
    let url = server.url(info["progressive"].as_str().expect("a progressive URL"));
    assert!(url.ends_with("/file.mp4"), "{url}");
    // `download` stays the original file.
    assert!(
        info["download"]
            .as_str()
            .unwrap()
            .ends_with("/direct?download=true"),
        "{info}"
    );
    let client = reqwest::Client::new();

    let full = client.get(&url).send().await.unwrap();
    assert_eq!(full.status(), 200);
    assert_eq!(full.headers()["content-type"], "video/mp4");
    assert_eq!(full.headers()["accept-ranges"], "bytes");
    assert_eq!(full.headers()["cache-control"], "private, max-age=3600");
    let etag = full.headers()["etag"].to_str().unwrap().to_string();
    assert!(etag.contains("-progressive-"), "{etag}");
    let length: usize = full.headers()["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let body = full.bytes().await.unwrap();
    assert_eq!(body.len(), length);
    assert_eq!(top_level_boxes(&body), ["ftyp", "moov", "mdat"]);

    let range = |r: String| client.get(&url).header("range", r).send();
    let part = range("bytes=1000-1999".into()).await.unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(
        part.headers()["content-range"],
        format!("bytes 1000-1999/{length}").as_str()
    );
    assert_eq!(part.bytes().await.unwrap(), body.slice(1000..2000));
    // Across the end of the generated header into the media, and the tail.
    let size_at = |p: usize| u32::from_be_bytes(body[p..p + 4].try_into().unwrap()) as usize;
    let ftyp_end = size_at(0);
    let header_end = ftyp_end + size_at(ftyp_end) + 8; // ftyp, moov, mdat header
    assert_eq!(&body[header_end - 4..header_end], b"mdat");
    let (a, b) = (header_end - 5, header_end + 70_000);
    let across = range(format!("bytes={a}-{b}")).await.unwrap();
    assert_eq!(across.status(), 206);
    assert_eq!(across.bytes().await.unwrap(), body.slice(a..b + 1));
    let tail = range("bytes=-777".into()).await.unwrap();
    assert_eq!(tail.bytes().await.unwrap(), body.slice(length - 777..));
    let past = range(format!("bytes={length}-")).await.unwrap();
    assert_eq!(past.status(), 416);

    let head = client.head(&url).send().await.unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(
        head.headers()["content-length"],
        length.to_string().as_str()
    );
    assert!(head.bytes().await.unwrap().is_empty());
    let again = client
        .get(&url)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    let download = client
        .get(format!("{url}?download=true"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        download.headers()["content-disposition"],
        "attachment; filename=\"Tau (2010).mp4\""
    );
    assert_eq!(download.bytes().await.unwrap(), body);

    // ffmpeg decodes the download without an error, every frame of the source; and reads the
    // URL itself like any player.
    let file = data.path().join("tau.mp4");
    std::fs::write(&file, &body).unwrap();
    let file = file.to_str().unwrap();
    ffmpeg_plays(file);
    let expected = video_frames(fixture("h264_aac_subs.mkv").to_str().unwrap());
    assert_eq!(video_frames(file), expected);
    assert_eq!(video_frames(&url), expected);

    // HEVC + AC-3: no progressive MP4 offered, and the URL says why.
    let id = id_of("Upsilon");
    let info = api.get(&format!("/api/v1/items/{id}/playback")).await;
    assert!(info.get("progressive").is_none(), "{info}");
    let hls = info["hls"].as_str().unwrap();
    let none = client
        .get(server.url(&hls.replace("master.m3u8", "file.mp4")))
        .send()
        .await
        .unwrap();
    assert_eq!(none.status(), 404);
    let why: serde_json::Value = none.json().await.unwrap();
    assert!(why["error"].as_str().unwrap().contains("HEVC"), "{why}");
}
