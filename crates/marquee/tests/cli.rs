//! The command-line contract: `identify`, `user add`, errors.

mod common;
use common::*;

#[test]
fn identify_prints_one_json_object_per_path() {
    let out = marquee()
        .args([
            "identify",
            "Shows/The Defiant Ones (2017)/Season 01/The Defiant Ones - S01E02 - Part Two.mp4",
            "Movies/Blade Runner 2049 (2017)/Blade Runner 2049 (2017).mkv",
            "Show.Name.S01E01E02.1080p.WEB-DL.x264-GRP.mkv",
            "Movies/Heat (1995)/trailers/Teaser.mkv",
            "notes.txt",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 5);
    let ep = &lines[0];
    assert_eq!(ep["kind"], "episode");
    assert_eq!(ep["series"], "The Defiant Ones");
    assert_eq!(ep["season"], 1);
    assert_eq!(ep["episodes"], serde_json::json!([2]));
    assert_eq!(ep["year"], 2017);
    assert_eq!(ep["title"], "Part Two");
    assert!(ep["path"].as_str().unwrap().ends_with("Part Two.mp4"));
    assert_eq!(lines[1]["kind"], "movie");
    assert_eq!(lines[1]["title"], "Blade Runner 2049");
    assert_eq!(lines[1]["year"], 2017);
    assert_eq!(lines[2]["episodes"], serde_json::json!([1, 2]));
    assert_eq!(lines[2]["series"], "Show Name");
    assert_eq!(lines[3]["kind"], "extra");
    assert_eq!(lines[4]["kind"], "unknown");
    // Fields that are not known are left out, not null.
    assert!(lines[4].get("season").is_none());
}

#[test]
fn identify_reads_no_file() {
    // Paths that do not exist identify the same as paths that do.
    let out = marquee()
        .args(["identify", "/definitely/not/here/Show - S02E03.mkv"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["season"], 2);
    assert_eq!(v["episodes"], serde_json::json!([3]));
}

#[test]
fn user_add_reads_the_password_from_stdin() {
    use std::io::Write;
    let data = tempfile::tempdir().unwrap();
    let run = |name: &str, password: &str| {
        let mut child = marquee()
            .args(["user", "add", name, "--admin", "--password-stdin", "--data"])
            .arg(data.path())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(password.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let ok = run("alice", "s3cret-password\n");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("alice"));
    let dup = run("ALICE", "another-password\n");
    assert!(!dup.status.success());
    assert!(String::from_utf8_lossy(&dup.stderr).contains("already exists"));
    let short = run("bob", "short\n");
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 8"));
}

#[test]
fn scan_without_media_says_what_to_do() {
    let data = tempfile::tempdir().unwrap();
    let out = marquee()
        .args(["scan", "--data"])
        .arg(data.path())
        .env_remove("MARQUEE_MEDIA")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--media"));
    let out = marquee()
        .args(["scan", "--data"])
        .arg(data.path())
        .args(["--media", "/no/such/folder"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
}

#[test]
fn probe_prints_tracks_and_rejects_bad_files() {
    let out = marquee()
        .arg("probe")
        .arg(fixture("two_audio_langs.mp4"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["container"], "mp4");
    assert!(v["duration_ms"].as_u64().unwrap() > 1000);
    let tracks = v["tracks"].as_array().unwrap();
    let video = tracks.iter().find(|t| t["kind"] == "video").unwrap();
    assert!(video["codec_string"].as_str().unwrap().starts_with("avc1."));
    assert!(video["keyframes"].as_u64().unwrap() >= 1);
    assert!(video["width"].as_u64().is_some());
    let langs: Vec<&str> = tracks
        .iter()
        .filter(|t| t["kind"] == "audio")
        .filter_map(|t| t["language"].as_str())
        .collect();
    assert_eq!(langs, vec!["eng", "fra"]);
    for bad in [
        "empty.mp4",
        "truncated.mp4",
        "garbage.mp4",
        "corrupt_moov.mp4",
    ] {
        let out = marquee().arg("probe").arg(fixture(bad)).output().unwrap();
        assert!(!out.status.success(), "{bad}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim().lines().count(), 1, "one line for {bad}: {err}");
    }
}

#[test]
fn package_writes_what_ffmpeg_plays() {
    let out_dir = tempfile::tempdir().unwrap();
    let out = marquee()
        .arg("package")
        .arg(fixture("gop300.mp4"))
        .arg("--out")
        .arg(out_dir.path())
        .args(["--segment-duration", "4"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for manifest in ["master.m3u8", "manifest.mpd"] {
        let play = std::process::Command::new("ffmpeg")
            .args(["-nostdin", "-v", "error", "-xerror", "-i"])
            .arg(out_dir.path().join(manifest))
            .args(["-map", "0", "-f", "null", "-"])
            .output()
            .unwrap();
        assert!(
            play.status.success() && play.stderr.is_empty(),
            "{manifest}: {}",
            String::from_utf8_lossy(&play.stderr)
        );
    }
    let bad = marquee()
        .arg("package")
        .arg(fixture("garbage.mp4"))
        .arg("--out")
        .arg(out_dir.path().join("x"))
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("garbage.mp4"));
}

/// Embedded text tracks and a sidecar file all become WebVTT renditions of both manifests, and
/// ffmpeg reads the DASH ones back with the right cues. (ffmpeg 5.1's HLS demuxer skips subtitle
/// renditions; hls.js checks those in the browser tests.)
#[test]
fn package_writes_subtitles_for_hls_and_dash() {
    let dir = tempfile::tempdir().unwrap();
    let video = dir.path().join("Film (2020).mkv");
    std::fs::copy(fixture("h264_aac_subs.mkv"), &video).unwrap();
    std::fs::write(
        dir.path().join("Film (2020).es.forced.srt"),
        "1\n00:00:01,000 --> 00:00:02,000\n¡Hola!\n",
    )
    .unwrap();
    let out_dir = dir.path().join("out");
    let out = marquee()
        .arg("package")
        .arg(&video)
        .arg("--out")
        .arg(&out_dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let master = std::fs::read_to_string(out_dir.join("master.m3u8")).unwrap();
    let subs: Vec<&str> = master
        .lines()
        .filter(|l| l.starts_with("#EXT-X-MEDIA:TYPE=SUBTITLES"))
        .collect();
    assert_eq!(subs.len(), 3, "{master}");
    assert!(
        subs[2].contains(
            "NAME=\"Spanish (Forced)\",LANGUAGE=\"es\",DEFAULT=YES,AUTOSELECT=YES,FORCED=YES"
        ),
        "{master}"
    );
    assert!(master.contains("SUBTITLES=\"subs\""), "{master}");
    // Every subtitle playlist names a WebVTT file that exists.
    for line in &subs {
        let uri = line.rsplit("URI=\"").next().unwrap().trim_end_matches('"');
        let playlist = out_dir.join(uri);
        let text = std::fs::read_to_string(&playlist).unwrap();
        let vtt = playlist
            .parent()
            .unwrap()
            .join(text.lines().nth(6).unwrap());
        assert!(std::fs::read_to_string(vtt)
            .unwrap()
            .starts_with("WEBVTT\n"));
    }
    let sidecar = std::fs::read_to_string(
        std::fs::read_dir(out_dir.join("s"))
            .unwrap()
            .flatten()
            .find(|e| e.file_name().to_string_lossy().starts_with('x'))
            .unwrap()
            .path()
            .join("subtitles.vtt"),
    )
    .unwrap();
    assert_eq!(sidecar, "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n¡Hola!\n");

    // ffmpeg refuses .vtt URLs in an MPD read from disk unless told otherwise, and its null
    // muxer needs a subtitle encoder named.
    let mpd = out_dir.join("manifest.mpd");
    let play = std::process::Command::new("ffmpeg")
        .args([
            "-nostdin",
            "-v",
            "error",
            "-xerror",
            "-allowed_extensions",
            "ALL",
            "-i",
        ])
        .arg(&mpd)
        .args(["-map", "0", "-c:s", "webvtt", "-f", "null", "-"])
        .output()
        .unwrap();
    assert!(
        play.status.success() && play.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&play.stderr)
    );
    let probe = std::process::Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-allowed_extensions",
            "ALL",
            "-select_streams",
            "s",
        ])
        .args([
            "-show_entries",
            "packet=stream_index,pts_time",
            "-of",
            "csv=p=0",
        ])
        .arg(&mpd)
        .output()
        .unwrap();
    let packets = String::from_utf8_lossy(&probe.stdout);
    // Two cues in each embedded track, one in the sidecar.
    assert_eq!(packets.lines().count(), 5, "{packets}");
    assert!(packets.contains("2.021"), "{packets}");
    assert!(packets.contains("1.000"), "{packets}");
}
