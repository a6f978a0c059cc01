//! Scanning real folders with `marquee scan`: incremental work, moves, missing files, bad input.

mod common;
use common::*;

use std::path::Path;

fn count(summary: &serde_json::Value, field: &str) -> u64 {
    summary[field]
        .as_u64()
        .unwrap_or_else(|| panic!("{field} missing in {summary}"))
}

fn counts(s: &serde_json::Value) -> (u64, u64, u64, u64, u64, usize) {
    (
        count(s, "added"),
        count(s, "updated"),
        count(s, "moved"),
        count(s, "removed"),
        count(s, "unchanged"),
        s["failed"].as_array().map(Vec::len).unwrap_or(0),
    )
}

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
        "Shows/Alpha (2019)/Season 02/Alpha - S02E01.mp4",
        "tiny-b.mp4",
    );
    place(root, "Movies/Beta (2001)/Beta (2001).mp4", "tiny-c.mp4");
}

async fn open(data: &Path) -> marquee_store::Store {
    marquee_store::Store::open(&data.join("marquee.db"))
        .await
        .unwrap()
}

#[tokio::test]
async fn incremental_scan_keeps_identity_across_moves_and_returns() {
    let media = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let root = media.path();
    library(root);

    let first = scan(data.path(), &[root]);
    assert_eq!(counts(&first), (4, 0, 0, 0, 0, 0), "{first}");

    // Nothing changed: nothing is opened again.
    let second = scan(data.path(), &[root]);
    assert_eq!(counts(&second), (0, 0, 0, 0, 4, 0), "{second}");

    let store = open(data.path()).await;
    let series = store
        .list_titles("series", &Default::default(), &Default::default())
        .await
        .unwrap();
    assert_eq!(series.total, 1);
    let alpha = store.item_detail(series.items[0].id).await.unwrap();
    assert_eq!(alpha.title, "Alpha");
    assert_eq!(alpha.year, Some(2019));
    assert_eq!(alpha.seasons.len(), 2);
    let pilot_id = alpha.seasons[0].episodes[0].id;
    let file_before = store.item_detail(pilot_id).await.unwrap().file.unwrap().id;
    store.close().await;

    // Rename a file within its season: same bytes, same identity.
    std::fs::rename(
        root.join("Shows/Alpha (2019)/Season 01/Alpha - S01E01 - Pilot.mp4"),
        root.join("Shows/Alpha (2019)/Season 01/Alpha.S01E01.Pilot.1080p.mp4"),
    )
    .unwrap();
    // Delete the movie.
    std::fs::remove_file(root.join("Movies/Beta (2001)/Beta (2001).mp4")).unwrap();
    let third = scan(data.path(), &[root]);
    assert_eq!(counts(&third), (0, 0, 1, 1, 2, 0), "{third}");

    let store = open(data.path()).await;
    let pilot = store.item_detail(pilot_id).await.unwrap();
    assert_eq!(
        pilot.file.as_ref().unwrap().id,
        file_before,
        "a moved file keeps its row"
    );
    assert!(pilot
        .file
        .unwrap()
        .path
        .contains("Alpha.S01E01.Pilot.1080p.mp4"));
    let movies = store
        .list_titles("movie", &Default::default(), &Default::default())
        .await
        .unwrap();
    assert_eq!(movies.total, 0, "a missing movie is not listed");
    store.close().await;

    // The movie comes back, under another name: it is recognised, not added anew.
    place(root, "Movies/Beta (2001)/Beta.2001.REMUX.mp4", "tiny-c.mp4");
    let fourth = scan(data.path(), &[root]);
    assert_eq!(counts(&fourth), (0, 0, 1, 0, 3, 0), "{fourth}");
    let store = open(data.path()).await;
    assert_eq!(
        store
            .list_titles("movie", &Default::default(), &Default::default())
            .await
            .unwrap()
            .total,
        1
    );
    store.integrity_check().await.unwrap();
    store.close().await;
}

#[tokio::test]
async fn bad_files_are_reported_and_skipped() {
    let media = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let root = media.path();
    library(root);
    let bad = root.join("Shows/Alpha (2019)/Season 01");
    std::fs::write(bad.join("Alpha - S01E03.mp4"), b"").unwrap();
    std::fs::write(
        bad.join("Alpha - S01E04.mkv"),
        b"this is not a video at all, just text",
    )
    .unwrap();
    let good = std::fs::read(fixture("tiny.mp4")).unwrap();
    std::fs::write(bad.join("Alpha - S01E05.mp4"), &good[..good.len() / 3]).unwrap();
    // A name that is not UTF-8 is still scanned.
    use std::os::unix::ffi::OsStrExt;
    let odd = std::ffi::OsStr::from_bytes(b"Alpha - S01E06 - Caf\xe9.mp4");
    std::fs::copy(fixture("tiny-d.mp4"), bad.join(odd)).unwrap();
    // An NFO that is not XML: a warning, the episode is still added from its name.
    std::fs::write(
        root.join("Shows/Alpha (2019)/tvshow.nfo"),
        b"<tvshow><title>Unclosed",
    )
    .unwrap();
    // A symlink loop.
    std::os::unix::fs::symlink(root.join("Shows"), root.join("Shows/Alpha (2019)/loop")).unwrap();

    let s = scan(data.path(), &[root]);
    let failed = s["failed"].as_array().unwrap();
    assert_eq!(failed.len(), 3, "{s}");
    let reasons: Vec<String> = failed
        .iter()
        .map(|f| f["reason"].as_str().unwrap().to_string())
        .collect();
    assert!(reasons.iter().any(|r| r.contains("empty")), "{reasons:?}");
    assert_eq!(count(&s, "added"), 8, "{s}");
    assert!(
        s["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["path"].as_str().unwrap().ends_with("tvshow.nfo")),
        "{s}"
    );

    let store = open(data.path()).await;
    let failures = store.failed_files().await.unwrap();
    assert_eq!(failures.len(), 3);
    let series = store
        .list_titles("series", &Default::default(), &Default::default())
        .await
        .unwrap();
    assert_eq!(series.total, 1);
    let alpha = store.item_detail(series.items[0].id).await.unwrap();
    let s1 = &alpha.seasons[0];
    let available: Vec<i64> = s1
        .episodes
        .iter()
        .filter(|e| e.available)
        .map(|e| e.number)
        .collect();
    assert_eq!(available, vec![1, 2, 6]);
    store.integrity_check().await.unwrap();
    store.close().await;

    // Failed files are not retried while unchanged: a rescan is quiet.
    let again = scan(data.path(), &[root]);
    assert_eq!(
        count(&again, "added") + count(&again, "updated"),
        0,
        "{again}"
    );
}

#[tokio::test]
async fn a_vanished_media_folder_marks_nothing_missing() {
    let media = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let root = media.path().join("lib");
    library(&root);
    scan(data.path(), &[&root]);
    let moved_away = media.path().join("elsewhere");
    std::fs::rename(&root, &moved_away).unwrap();
    std::fs::create_dir(&root).unwrap(); // the mount point is there, the disk is not...
    std::fs::remove_dir(&root).unwrap(); // ...or not even that
                                         // `scan` refuses a root that does not exist at start; the server's background scan does not
                                         // refuse, so check the library code path directly.
    let store = open(data.path()).await;
    let scanner =
        marquee_library::Scanner::new(store.clone(), vec![root.clone()], Default::default());
    let s = scanner.scan_all().await.unwrap();
    assert_eq!(s.removed, 0);
    assert!(
        s.folder_errors[0].reason.contains("not accessible"),
        "{:?}",
        s.folder_errors
    );
    assert_eq!(
        store
            .list_titles("series", &Default::default(), &Default::default())
            .await
            .unwrap()
            .total,
        1
    );
    store.close().await;
}

#[tokio::test]
async fn unreadable_folders_are_reported_and_their_files_kept() {
    let media = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let root = media.path();
    library(root);
    scan(data.path(), &[root]);
    // Root can read everything, so take the permission away from a plain user instead: the
    // scan runs as `nobody` through setpriv when we are root.
    let locked = root.join("Shows/Alpha (2019)/Season 02");
    let everyone = |p: &Path| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o777)).unwrap();
    };
    for entry in walk(media.path()).into_iter().chain(walk(data.path())) {
        everyone(&entry);
    }
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    let is_root = unsafe_geteuid() == 0;
    let mut cmd = if is_root {
        let mut c = std::process::Command::new("setpriv");
        c.args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            env!("CARGO_BIN_EXE_marquee"),
        ]);
        c
    } else {
        marquee()
    };
    let out = cmd
        .args(["scan", "--json", "--data"])
        .arg(data.path())
        .arg("--media")
        .arg(root)
        .output()
        .unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    eprintln!("interrupted scan: {s}");
    assert_eq!(count(&s, "removed"), 0, "{s}");
    let errors = s["folder_errors"].as_array().unwrap();
    assert!(
        errors
            .iter()
            .any(|e| e["path"].as_str().unwrap().ends_with("Season 02")),
        "{s}"
    );
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = vec![dir.to_path_buf()];
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() && !p.is_symlink() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

fn unsafe_geteuid() -> u32 {
    // `id -u` avoids a libc dependency for one call.
    let out = std::process::Command::new("id").arg("-u").output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

/// Episodes the database holds now (0 before the first commit).
async fn episodes_committed(data: &Path) -> u64 {
    let store = open(data).await;
    store
        .integrity_check()
        .await
        .expect("PRAGMA integrity_check after a SIGKILL");
    let series = store
        .list_titles("series", &Default::default(), &Default::default())
        .await
        .unwrap();
    let n = series
        .items
        .first()
        .and_then(|s| s.episode_count)
        .unwrap_or(0);
    store.close().await;
    n as u64
}

/// SIGKILL at 50 moments of scans (start-up, mid-walk, mid-commit): after each, the database
/// passes `PRAGMA integrity_check` and holds at least every episode an earlier check saw
/// committed (a committed transaction survives the kill); a last scan completes the library.
#[tokio::test]
async fn a_killed_scan_resumes_and_the_database_stays_sound() {
    let media = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let root = media.path();
    let source = fixture("tiny.mp4");
    for s in 1..=4 {
        for e in 1..=150 {
            let p = root.join(format!("Shows/Gamma/Season {s}/Gamma - S{s:02}E{e:02}.mp4"));
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::copy(&source, &p).unwrap();
        }
    }
    let mut committed = 0u64;
    let mut kills_mid_scan = 0;
    for attempt in 0..50u64 {
        let mut child = marquee()
            .args(["scan", "--data"])
            .arg(data.path())
            .arg("--media")
            .arg(root)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Spread over the scan's life: from before the database exists to deep into commits.
        std::thread::sleep(std::time::Duration::from_millis(10 + (attempt * 37) % 250));
        if child.try_wait().unwrap().is_none() {
            kills_mid_scan += 1;
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        if !data.path().join("marquee.db").exists() {
            continue;
        }
        let now = episodes_committed(data.path()).await;
        assert!(
            now >= committed,
            "kill {attempt}: {now} episodes, {committed} were committed before"
        );
        committed = now;
    }
    assert!(
        kills_mid_scan >= 40,
        "only {kills_mid_scan} kills hit a running scan"
    );
    let s = scan(data.path(), &[root]);
    assert_eq!(count(&s, "added") + count(&s, "unchanged"), 600, "{s}");
    assert_eq!(episodes_committed(data.path()).await, 600);
}

#[tokio::test]
async fn a_media_folder_that_disappears_mid_scan_loses_nothing() {
    let media = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let root = media.path().join("disk");
    let source = fixture("tiny.mp4");
    let make = |root: &Path| {
        for e in 1..=400 {
            let p = root.join(format!("Shows/Zeta/Season 1/Zeta - S01E{e:03}.mp4"));
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::copy(&source, &p).unwrap();
        }
    };
    make(&root);
    // First scan: everything known.
    assert_eq!(count(&scan(data.path(), &[&root]), "added"), 400);
    // Touch every file so the next scan has work to do, then pull the disk out from under it.
    for e in 1..=400 {
        let p = root.join(format!("Shows/Zeta/Season 1/Zeta - S01E{e:03}.mp4"));
        std::fs::OpenOptions::new()
            .append(true)
            .open(&p)
            .unwrap()
            .set_len(source.metadata().unwrap().len() + 1)
            .unwrap();
    }
    let child = marquee()
        .args(["scan", "--json", "--data"])
        .arg(data.path())
        .arg("--media")
        .arg(&root)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(100));
    let away = media.path().join("unplugged");
    std::fs::rename(&root, &away).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    eprintln!("interrupted scan: {s}");
    assert_eq!(count(&s, "removed"), 0, "{s}");
    assert!(
        s["failed"].as_array().unwrap().is_empty(),
        "vanished files are not failures: {s}"
    );
    // The disk comes back: every episode is there, none failed.
    std::fs::rename(&away, &root).unwrap();
    let back = scan(data.path(), &[&root]);
    assert!(back["failed"].as_array().unwrap().is_empty(), "{back}");
    let store = open(data.path()).await;
    store.integrity_check().await.unwrap();
    let zeta = store
        .list_titles("series", &Default::default(), &Default::default())
        .await
        .unwrap();
    assert_eq!(zeta.items[0].episode_count, Some(400));
    assert!(store.failed_files().await.unwrap().is_empty());
    store.close().await;
}
