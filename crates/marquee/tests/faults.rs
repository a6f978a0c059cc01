//! Faults a real server meets: media that changes or vanishes under a stream, clients that open
//! connections and never finish a request (slowloris), a data disk that fills up during a scan.
//! (SIGKILL during scans: `scan.rs`.)

mod common;
use common::*;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// A valid MP4 of about 55 MB (1.6 s of lossless 720p noise): larger than what the kernel's
/// socket buffers hold, so a stream of it is still going when the test interferes.
fn big_movie(path: &Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let status = Command::new("ffmpeg")
        .args([
            "-hide_banner",
            "-v",
            "error",
            "-nostdin",
            "-y",
            "-f",
            "lavfi",
            "-i",
        ])
        .arg("nullsrc=s=1280x720:r=25:d=1.6,geq=random(1)*255:128:128")
        .args([
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-qp",
            "0",
            "-pix_fmt",
            "yuv420p",
        ])
        .arg(path)
        .status()
        .expect("ffmpeg (install it)");
    assert!(status.success());
}

/// Reads a body to its end; answers the bytes received and whether it ended in an error.
async fn drain(mut resp: reqwest::Response) -> (u64, bool) {
    let mut got = 0u64;
    loop {
        match resp.chunk().await {
            Ok(Some(c)) => got += c.len() as u64,
            Ok(None) => return (got, false),
            Err(_) => return (got, true),
        }
    }
}

fn alive(server: &mut Server) -> bool {
    server.child.try_wait().unwrap().is_none()
}

#[tokio::test]
async fn media_cut_short_or_deleted_mid_stream_fails_that_stream_only() {
    let data = tempfile::tempdir().unwrap();
    let media = tempfile::tempdir().unwrap();
    let big = media.path().join("Movies/Big (2020)/Big (2020).mp4");
    big_movie(&big);
    place(
        media.path(),
        "Movies/Small (2021)/Small (2021).mp4",
        "tiny.mp4",
    );
    let (mut server, api) = serve_media(data.path(), media.path()).await;
    let movies = api.get("/api/v1/movies").await;
    let (big_id, small_id) = (id_of(&movies, "Big"), id_of(&movies, "Small"));
    let big_info = api.get(&format!("/api/v1/items/{big_id}/playback")).await;
    let client = reqwest::Client::new();

    // Direct play: the file shrinks to a tenth while it streams (a disk failing, a file being
    // replaced). The response stops short with an error; it is never padded or garbled.
    let mut resp = client
        .get(server.url(big_info["direct"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let len = resp.content_length().unwrap();
    let first = resp.chunk().await.unwrap().unwrap().len() as u64;
    std::fs::OpenOptions::new()
        .write(true)
        .open(&big)
        .unwrap()
        .set_len(len / 10)
        .unwrap();
    let (rest, failed) = drain(resp).await;
    assert!(
        first + rest < len && failed,
        "{} of {len} bytes, ended in an error: {failed}",
        first + rest
    );
    assert!(alive(&mut server));

    // The other title plays on: its HLS stream, end to end.
    let small = api.get(&format!("/api/v1/items/{small_id}/playback")).await;
    let master = client
        .get(server.url(small["hls"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(master.status(), 200);
    let (n, failed) = drain(
        client
            .get(server.url(small["direct"].as_str().unwrap()))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(n > 0 && !failed);

    // The file is deleted: a clear JSON error for it, the server still up.
    // (The signed link from before is no longer this device's stream since Small played, so ask
    // through the API.)
    std::fs::remove_file(&big).unwrap();
    let gone = api.get_raw(&format!("/api/v1/items/{big_id}/direct")).await;
    assert_eq!(gone.status(), 404);
    let body: serde_json::Value = gone.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("gone"), "{body}");
    let info = api
        .get_raw(&format!("/api/v1/items/{big_id}/playback"))
        .await;
    let status = info.status();
    let body: serde_json::Value = info.json().await.unwrap();
    assert_eq!(status, 404, "{body}");
    assert!(body["error"].is_string());
    assert_eq!(api.get_raw("/healthz").await.status(), 200);
    assert!(alive(&mut server));
}

#[tokio::test]
async fn a_segment_stream_survives_its_file_being_deleted_and_the_next_request_is_a_clean_404() {
    let data = tempfile::tempdir().unwrap();
    let media = tempfile::tempdir().unwrap();
    let big = media.path().join("Movies/Big (2020)/Big (2020).mp4");
    big_movie(&big);
    let (mut server, api) = serve_media(data.path(), media.path()).await;
    let id = api.get("/api/v1/movies").await["items"][0]["id"].clone();
    let info = api.get(&format!("/api/v1/items/{id}/playback")).await;
    let base = info["hls"]
        .as_str()
        .unwrap()
        .trim_end_matches("master.m3u8")
        .to_string();
    let client = reqwest::Client::new();
    let master = client
        .get(server.url(&format!("{base}master.m3u8")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let video = master
        .lines()
        .find(|l| l.starts_with("v/"))
        .unwrap()
        .trim_end_matches("playlist.m3u8")
        .to_string();
    let mut resp = client
        .get(server.url(&format!("{base}{video}0.m4s")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let len = resp.content_length().unwrap();
    assert!(len > 20_000_000, "{len}");
    let first = resp.chunk().await.unwrap().unwrap().len() as u64;
    // Deleted mid-stream: the open file still reads to the end (as on any Unix server).
    std::fs::remove_file(&big).unwrap();
    let (rest, failed) = drain(resp).await;
    assert!(first + rest == len && !failed, "{} of {len}", first + rest);
    // The next request finds it gone: JSON, 404, and the server carries on.
    let again = client
        .get(server.url(&format!("{base}{video}0.m4s")))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 404);
    assert!(again.json::<serde_json::Value>().await.unwrap()["error"].is_string());
    assert_eq!(api.get_raw("/healthz").await.status(), 200);
    assert!(alive(&mut server));
}

/// Raises this process's soft limit on open files; answers the limit.
fn raise_own_fd_limit() -> u64 {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    unsafe {
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
        lim.rlim_cur = lim.rlim_max;
        libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
    }
    lim.rlim_cur
}

fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap()
}

fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .count()
}

/// Connections that send half a request and then a header line now and then, never finishing.
fn slowloris(addr: &str, n: usize) -> Vec<TcpStream> {
    (0..n)
        .map(|_| {
            let mut s = TcpStream::connect(addr).unwrap();
            s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
                .unwrap();
            s
        })
        .collect()
}

fn trickle(conns: &mut [TcpStream]) {
    for s in conns {
        // A closed connection is what we want; ignore write errors.
        let _ = s.write_all(b"X-a: b\r\n");
    }
}

/// The server closed the connection (reads end or fail), rather than waiting forever.
fn closed_by_server(s: &mut TcpStream) -> bool {
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = [0u8; 512];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue, // a 408 or similar before closing
            Err(e) => {
                return matches!(
                    e.kind(),
                    std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe
                )
            }
        }
    }
}

async fn healthz_within(client: &reqwest::Client, url: &str, limit: Duration) -> Duration {
    let t = Instant::now();
    let resp = tokio::time::timeout(limit, client.get(url).send())
        .await
        .unwrap_or_else(|_| panic!("GET {url} took longer than {limit:?}"))
        .unwrap();
    assert_eq!(resp.status(), 200);
    t.elapsed()
}

#[tokio::test]
async fn slow_and_idle_connections_cannot_exhaust_the_server() {
    let own = raise_own_fd_limit();
    let many = 2000.min((own as usize).saturating_sub(200));
    let data = tempfile::tempdir().unwrap();
    // Header timeout of 2 s instead of 20 s, to keep the test short.
    let server = Server::start_with_env(
        data.path(),
        &["--no-watch"],
        &[("MARQUEE_HEADER_TIMEOUT", "2")],
    );
    let pid = server.child.id();
    let addr = server.base.trim_start_matches("http://").to_string();
    // A new connection per check, like a new visitor: a pooled one may have been closed by the
    // server's idle timeout, which is the behaviour under test, not a failure.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let health = server.url("/healthz");
    healthz_within(&client, &health, Duration::from_secs(5)).await;
    let (rss0, fds0) = (rss_kb(pid), open_fds(pid));

    // Thousands of connections that dribble headers: the server holds them, bounded, and
    // answers everyone else at once.
    let mut slow = slowloris(&addr, many);
    for _ in 0..3 {
        trickle(&mut slow);
        healthz_within(&client, &health, Duration::from_secs(1)).await;
        std::thread::sleep(Duration::from_millis(300));
    }
    let (rss1, fds1) = (rss_kb(pid), open_fds(pid));
    eprintln!(
        "{many} slow connections: RSS {} → {} MB, fds {fds0} → {fds1}",
        rss0 / 1024,
        rss1 / 1024
    );
    assert!(
        rss1 < rss0 + 64 * 1024,
        "{many} idle connections took {} MB",
        (rss1 - rss0) / 1024
    );
    // The header timeout closes them even though they keep sending.
    std::thread::sleep(Duration::from_millis(2500));
    trickle(&mut slow);
    let closed = slow.iter_mut().map(closed_by_server).filter(|c| *c).count();
    assert_eq!(
        closed, many,
        "connections still open past the header timeout"
    );
    drop(slow);
    std::thread::sleep(Duration::from_millis(300));
    let fds2 = open_fds(pid);
    assert!(
        fds2 <= fds0 + 8,
        "{fds2} descriptors open after, {fds0} before"
    );
    healthz_within(&client, &health, Duration::from_secs(1)).await;
    drop(server);

    // With few descriptors (ulimit -n 256), more slow clients than the server may hold: it never
    // runs out of descriptors and a normal request is answered once timeouts free a slot.
    let data = tempfile::tempdir().unwrap();
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg("ulimit -n 256 && exec \"$0\" serve --listen 127.0.0.1:0 --no-watch --data \"$1\"")
        .arg(env!("CARGO_BIN_EXE_marquee"))
        .arg(data.path())
        .env("MARQUEE_HEADER_TIMEOUT", "1");
    let mut server = Server::spawn(command, data.path());
    let pid = server.child.id();
    let addr = server.base.trim_start_matches("http://").to_string();
    let health = server.url("/healthz");
    let mut slow = slowloris(&addr, 400);
    let client = reqwest::Client::new();
    let waited = tokio::spawn({
        let (client, health) = (client.clone(), health.clone());
        async move { healthz_within(&client, &health, Duration::from_secs(15)).await }
    });
    let mut most = 0;
    let t = Instant::now();
    while !waited.is_finished() && t.elapsed() < Duration::from_secs(16) {
        most = most.max(open_fds(pid));
        trickle(&mut slow);
        std::thread::sleep(Duration::from_millis(100));
    }
    let waited = waited.await.unwrap();
    eprintln!("400 slow connections, ulimit -n 256: at most {most} fds; a normal request waited {waited:?}");
    assert!(most < 256, "{most} descriptors open with a limit of 256");
    assert!(alive(&mut server));
}

#[tokio::test]
async fn a_full_data_disk_fails_the_scan_clearly_and_corrupts_nothing() {
    let media = tempfile::tempdir().unwrap();
    let mount_point = tempfile::tempdir().unwrap();
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: mounting a small file system for the data folder needs root");
        return;
    }
    let Ok(disk) = Tmpfs::mount(mount_point.path(), "384k") else {
        eprintln!("skipped: cannot mount a tmpfs here (no CAP_SYS_ADMIN?)");
        return;
    };
    let data = mount_point.path().join("data");
    let source = fixture("tiny.mp4");
    let episodes = 1500;
    for e in 1..=episodes {
        let p = media.path().join(format!(
            "Shows/Delta/Season {}/Delta - S{:02}E{:02}.mp4",
            (e - 1) / 100 + 1,
            (e - 1) / 100 + 1,
            (e - 1) % 100 + 1
        ));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::copy(&source, &p).unwrap();
    }
    let out = marquee()
        .args(["scan", "--data"])
        .arg(&data)
        .arg("--media")
        .arg(media.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("scan on a full disk: {:?}\n{stderr}", out.status);
    assert!(
        !out.status.success(),
        "a scan that could not save must fail"
    );
    assert!(
        stderr.contains("full") || stderr.contains("No space left"),
        "the error says the disk is full: {stderr}"
    );
    // Room again: the database is sound, and a scan finishes the job.
    disk.resize("64m");
    let store = marquee_store::Store::open(&data.join("marquee.db"))
        .await
        .unwrap();
    store.integrity_check().await.unwrap();
    store.close().await;
    let s = scan(&data, &[media.path()]);
    assert_eq!(
        s["added"].as_u64().unwrap() + s["unchanged"].as_u64().unwrap(),
        episodes as u64,
        "{s}"
    );
    drop(disk);
}

/// SIGKILL of the server in the middle of bursts of progress reports, 50 times: after each kill
/// the database passes `PRAGMA integrity_check`, and once the server is back every position it
/// acknowledged (answered 200) is stored — the answer comes only after the commit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_writes_acknowledged_before_a_sigkill_are_kept() {
    use std::sync::atomic::{AtomicI64, Ordering};
    use std::sync::Arc;

    let media = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    for (i, fx) in ["tiny.mp4", "tiny-b.mp4", "tiny-c.mp4", "tiny-d.mp4"]
        .iter()
        .enumerate()
    {
        place(
            media.path(),
            &format!("Movies/Film {i} (2000)/Film {i} (2000).mp4"),
            fx,
        );
    }
    let media_arg = media.path().to_str().unwrap().to_string();
    let args = ["--media", media_arg.as_str(), "--no-watch"];
    let first = Server::start(data.path(), &args);
    let password = first.admin_password.clone().expect("admin password");
    let api = first.admin().await;
    first.wait_for_scan(&api).await;
    let movies = api.get("/api/v1/movies").await;
    let items: Vec<i64> = (0..4)
        .map(|i| id_of(&movies, &format!("Film {i}")))
        .collect();
    drop(first);

    // The highest position acknowledged per item; positions only grow, across all rounds.
    let acked: Arc<Vec<AtomicI64>> = Arc::new((0..4).map(|_| AtomicI64::new(-1)).collect());
    let next_position = Arc::new(AtomicI64::new(0));
    let mut kills_mid_burst = 0;
    for round in 0..50u64 {
        let mut server = Server::start(data.path(), &args);
        let api = Arc::new(server.login("admin", &password).await);
        assert_acknowledged_kept(&api, &items, &acked, round).await;
        // One reporter per item (so its writes are ordered), each sending as fast as answers come.
        let reporters: Vec<_> = (0..4)
            .map(|r| {
                let (api, acked, next) = (api.clone(), acked.clone(), next_position.clone());
                let slot = r;
                let item = items[slot];
                tokio::spawn(async move {
                    loop {
                        let position = next.fetch_add(1, Ordering::SeqCst);
                        let res = api
                            .client
                            .post(format!("{}/api/v1/me/progress", api.base))
                            .bearer_auth(&api.token)
                            .json(&serde_json::json!({"item_id": item, "position_ms": position}))
                            .send()
                            .await;
                        match res {
                            Ok(r) if r.status() == 200 => {
                                acked[slot].fetch_max(position, Ordering::SeqCst);
                            }
                            // The server is gone: the burst is over.
                            _ => return,
                        }
                    }
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(30 + (round * 41) % 300)).await;
        if server.child.try_wait().unwrap().is_none() {
            kills_mid_burst += 1;
        }
        server.child.kill().unwrap(); // SIGKILL
        server.child.wait().unwrap();
        for r in reporters {
            r.await.unwrap();
        }
        let store = marquee_store::Store::open(&data.path().join("marquee.db"))
            .await
            .unwrap();
        store
            .integrity_check()
            .await
            .unwrap_or_else(|e| panic!("round {round}: integrity_check after SIGKILL: {e}"));
        store.close().await;
    }
    assert_eq!(
        kills_mid_burst, 50,
        "the server was not running at every kill"
    );
    let server = Server::start(data.path(), &args);
    let api = server.login("admin", &password).await;
    assert_acknowledged_kept(&api, &items, &acked, 50).await;
    assert!(
        acked.iter().all(|a| a.load(Ordering::SeqCst) > 0),
        "no progress was acknowledged"
    );
}

/// Every item's stored position is at least the highest one the server acknowledged.
async fn assert_acknowledged_kept(
    api: &Api,
    items: &[i64],
    acked: &[std::sync::atomic::AtomicI64],
    round: u64,
) {
    for (slot, item) in items.iter().enumerate() {
        let want = acked[slot].load(std::sync::atomic::Ordering::SeqCst);
        if want < 0 {
            continue;
        }
        let state = api.get(&format!("/api/v1/me/items/{item}")).await;
        let stored = state["progress"][0]["position_ms"].as_i64().unwrap_or(-1);
        assert!(
            stored >= want,
            "after kill {round}: item {item} holds {stored}, {want} was acknowledged: {state}"
        );
    }
}
