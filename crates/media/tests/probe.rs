//! Probes ffmpeg-generated fixtures and compares the result with ffprobe.
//!
//! The fixtures are generated once per test run by `scripts/gen-test-media.sh`
//! into `target/test-media` at the workspace root (the script skips files that
//! already exist).  ffmpeg and ffprobe are required: without them these tests
//! fail with a message saying so, rather than passing without checking anything.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

mod common;
use common::fixtures;

use marquee_media::{probe, probe_path, Container, ProbeError, ProbeInfo, ProbeOptions, TrackKind};
use serde_json::Value;

const COUNT: ProbeOptions = ProbeOptions {
    count_keyframes: true,
};

/// The fixtures expected to probe successfully, with their container.
const GOOD: &[(&str, Container)] = &[
    ("h264_aac.mp4", Container::Mp4),
    ("h264_aac_faststart.mp4", Container::Mp4),
    ("h264_aac.mov", Container::Mov),
    ("h264_aac.m4v", Container::Mp4),
    ("bframes.mp4", Container::Mp4),
    ("gop300.mp4", Container::Mp4),
    ("two_audio_langs.mp4", Container::Mp4),
    ("mov_text.mp4", Container::Mp4),
    ("fragmented.mp4", Container::Mp4),
    ("mp3.mp4", Container::Mp4),
    ("h264_aac_subs.mkv", Container::Matroska),
    ("vp9_opus.webm", Container::Webm),
    ("hevc_ac3.mkv", Container::Matroska),
    ("av1.mkv", Container::Matroska),
    ("flac.mkv", Container::Matroska),
];

/// Fixture path, or `None` for optional fixtures this ffmpeg could not make (AV1).
fn fixture(name: &str) -> Option<PathBuf> {
    let p = fixtures().join(name);
    if p.exists() {
        Some(p)
    } else {
        assert_eq!(name, "av1.mkv", "fixture {name} was not generated");
        eprintln!("skipping {name}: this ffmpeg has no AV1 encoder");
        None
    }
}

fn ffprobe_json(path: &Path) -> Value {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_streams",
            "-show_format",
            "-of",
            "json",
        ])
        .arg(path)
        .output()
        .expect("run ffprobe");
    assert!(out.status.success(), "ffprobe failed on {}", path.display());
    serde_json::from_slice(&out.stdout).expect("ffprobe JSON")
}

/// ffprobe's count of keyframe packets in the first video stream.
fn ffprobe_keyframes(path: &Path) -> u64 {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            "packet=flags",
            "-of",
            "csv=p=0",
        ])
        .arg(path)
        .output()
        .expect("run ffprobe");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains('K'))
        .count() as u64
}

fn secs_to_ms(v: Option<&Value>) -> Option<f64> {
    v?.as_str()?.parse::<f64>().ok().map(|s| s * 1000.0)
}

/// "HH:MM:SS.fffffffff" (Matroska DURATION tags, as ffprobe shows them).
fn hms_to_ms(v: Option<&Value>) -> Option<f64> {
    let s = v?.as_str()?;
    let mut p = s.split(':');
    let h: f64 = p.next()?.parse().ok()?;
    let m: f64 = p.next()?.parse().ok()?;
    let sec: f64 = p.next()?.parse().ok()?;
    Some(((h * 60.0 + m) * 60.0 + sec) * 1000.0)
}

fn ffprobe_codec(name: &str) -> String {
    match name {
        "hdmv_pgs_subtitle" => "pgs".into(),
        "dvd_subtitle" => "vobsub".into(),
        n if n.starts_with("pcm_") => "pcm".into(),
        n => n.into(),
    }
}

fn kind_of(codec_type: &str) -> TrackKind {
    match codec_type {
        "video" => TrackKind::Video,
        "audio" => TrackKind::Audio,
        "subtitle" => TrackKind::Subtitle,
        _ => TrackKind::Other,
    }
}

fn frame_ms(info: &ProbeInfo) -> f64 {
    info.tracks
        .iter()
        .filter_map(|t| t.frame_rate)
        .map(|f| 1000.0 / f)
        .fold(0.0, f64::max)
}

fn compare_with_ffprobe(name: &str, container: Container) {
    let Some(path) = fixture(name) else { return };
    let ours = probe_path(&path, COUNT).unwrap_or_else(|e| panic!("{name}: {e}"));
    let theirs = ffprobe_json(&path);
    let streams = theirs["streams"].as_array().expect("streams");
    let ctx = |what: &str| format!("{name}: {what}\nours: {ours:#?}");

    assert_eq!(ours.container, container, "{}", ctx("container"));
    assert_eq!(ours.tracks.len(), streams.len(), "{}", ctx("track count"));
    let tolerance = 50.0f64.max(frame_ms(&ours));

    let ff_duration = secs_to_ms(theirs["format"].get("duration")).expect("format duration");
    assert!(
        (ours.duration_ms as f64 - ff_duration).abs() <= tolerance,
        "{}",
        ctx(&format!("duration: ffprobe says {ff_duration} ms"))
    );

    for (t, s) in ours.tracks.iter().zip(streams) {
        let idx = s["index"].as_u64().unwrap_or(0);
        let what = |w: &str| ctx(&format!("stream {idx} {w}"));
        let codec_type = s["codec_type"].as_str().unwrap_or("");
        assert_eq!(t.kind, kind_of(codec_type), "{}", what("kind"));
        assert_eq!(
            t.codec,
            ffprobe_codec(s["codec_name"].as_str().unwrap_or("")),
            "{}",
            what("codec")
        );
        let num = |k: &str| -> Option<u64> {
            s.get(k).and_then(|v| {
                v.as_u64()
                    .or_else(|| v.as_str().and_then(|x| x.parse().ok()))
            })
        };
        match t.kind {
            TrackKind::Video => {
                assert_eq!(t.width.map(u64::from), num("width"), "{}", what("width"));
                assert_eq!(t.height.map(u64::from), num("height"), "{}", what("height"));
            }
            TrackKind::Audio => {
                assert_eq!(
                    t.channels.map(u64::from),
                    num("channels"),
                    "{}",
                    what("channels")
                );
                assert_eq!(
                    t.sample_rate.map(u64::from),
                    num("sample_rate"),
                    "{}",
                    what("sample_rate")
                );
            }
            _ => {}
        }
        let ff_lang = s["tags"]["language"]
            .as_str()
            .filter(|l| *l != "und")
            .map(str::to_string);
        assert_eq!(t.language, ff_lang, "{}", what("language"));
        let ff_default = s["disposition"]["default"].as_u64() == Some(1);
        assert_eq!(t.default, ff_default, "{}", what("default flag"));

        // Stream duration: ffprobe's own (MP4) or the DURATION tag (Matroska).
        // For Matroska ffprobe fills a subtitle stream's "duration" with the whole
        // file's, while the DURATION tag has the track's real extent; prefer the tag.
        let ff_stream_ms =
            hms_to_ms(s["tags"].get("DURATION")).or_else(|| secs_to_ms(s.get("duration")));
        if let (Some(ff), Some(ours_ms)) = (ff_stream_ms, t.duration_ms) {
            assert!(
                (ours_ms as f64 - ff).abs() <= tolerance,
                "{}",
                what(&format!("duration: ffprobe says {ff} ms"))
            );
        }
        if t.kind == TrackKind::Video {
            if let Some((n, d)) = s["r_frame_rate"]
                .as_str()
                .and_then(|r| r.split_once('/'))
                .and_then(|(n, d)| Some((n.parse::<f64>().ok()?, d.parse::<f64>().ok()?)))
                .filter(|(_, d)| *d > 0.0)
            {
                let fps = t.frame_rate.expect("video frame rate");
                assert!(
                    (fps - n / d).abs() / (n / d) < 0.01,
                    "{}",
                    what(&format!("frame rate: ffprobe says {n}/{d}"))
                );
            }
            // RFC 6381 string against ffprobe's profile/level for H.264.
            if t.codec == "h264" {
                let cs = t.codec_string.as_deref().expect("h264 codec string");
                let level = s["level"].as_u64().expect("level");
                assert!(
                    cs.starts_with("avc1.") && cs.ends_with(&format!("{level:02x}")),
                    "{}",
                    what("codec string")
                );
            }
        }
    }

    let video: Vec<_> = ours
        .tracks
        .iter()
        .filter(|t| t.kind == TrackKind::Video)
        .collect();
    if let Some(v) = video.first() {
        assert_eq!(
            v.keyframes,
            Some(ffprobe_keyframes(&path)),
            "{}",
            ctx("keyframes")
        );
    }
}

macro_rules! ffprobe_tests {
    ($($test:ident => $idx:expr;)*) => {$(
        #[test]
        fn $test() {
            let (name, container) = GOOD[$idx];
            compare_with_ffprobe(name, container);
        }
    )*};
}

ffprobe_tests! {
    matches_ffprobe_h264_aac_mp4 => 0;
    matches_ffprobe_faststart_mp4 => 1;
    matches_ffprobe_mov => 2;
    matches_ffprobe_m4v => 3;
    matches_ffprobe_bframes_mp4 => 4;
    matches_ffprobe_gop300_mp4 => 5;
    matches_ffprobe_two_audio_langs_mp4 => 6;
    matches_ffprobe_mov_text_mp4 => 7;
    matches_ffprobe_fragmented_mp4 => 8;
    matches_ffprobe_mp3_mp4 => 9;
    matches_ffprobe_h264_aac_subs_mkv => 10;
    matches_ffprobe_vp9_opus_webm => 11;
    matches_ffprobe_hevc_ac3_mkv => 12;
    matches_ffprobe_av1_mkv => 13;
    matches_ffprobe_flac_mkv => 14;
}

/// Codec strings and the details ffprobe does not report in the same form.
#[test]
fn codec_strings_and_details() {
    let p = |name: &str| fixture(name).map(|p| probe_path(&p, COUNT).expect(name));
    let cs = |info: &ProbeInfo, i: usize| info.tracks[i].codec_string.clone().unwrap_or_default();

    let mp4 = p("h264_aac.mp4").expect("fixture");
    assert!(cs(&mp4, 0).starts_with("avc1.42"), "{mp4:#?}"); // ultrafast → baseline
    assert_eq!(cs(&mp4, 1), "mp4a.40.2");
    assert_eq!(mp4.tracks[0].keyframes, Some(2));
    assert!(mp4.bitrate.is_some_and(|b| b > 100_000));
    assert!(mp4.tracks[1].bitrate.is_some());

    let langs = p("two_audio_langs.mp4").expect("fixture");
    assert_eq!(langs.tracks[1].language.as_deref(), Some("eng"));
    assert_eq!(langs.tracks[2].language.as_deref(), Some("fra"));
    assert_eq!(langs.tracks[2].sample_rate, Some(44100));

    let frag = p("fragmented.mp4").expect("fixture");
    assert!(frag.duration_ms > 3900, "{frag:#?}");

    let mp3 = p("mp3.mp4").expect("fixture");
    assert!(
        ["mp4a.6B", "mp4a.40.34"].contains(&cs(&mp3, 1).as_str()),
        "{mp3:#?}"
    );

    let subs = p("h264_aac_subs.mkv").expect("fixture");
    assert_eq!(subs.tracks[2].codec, "subrip");
    assert_eq!(subs.tracks[3].codec, "ass");
    assert_eq!(subs.tracks[3].name.as_deref(), Some("French (styled)"));
    assert_eq!(cs(&subs, 1), "mp4a.40.2");

    let mov_text = p("mov_text.mp4").expect("fixture");
    assert_eq!(mov_text.tracks[2].kind, TrackKind::Subtitle);

    let webm = p("vp9_opus.webm").expect("fixture");
    assert!(cs(&webm, 0).starts_with("vp09.00."), "{webm:#?}");
    assert_eq!(cs(&webm, 1), "opus");

    let hevc = p("hevc_ac3.mkv").expect("fixture");
    assert!(cs(&hevc, 0).starts_with("hvc1.1.6.L"), "{hevc:#?}");
    assert_eq!(cs(&hevc, 1), "ac-3");

    if let Some(av1) = p("av1.mkv") {
        assert!(cs(&av1, 0).starts_with("av01.0."), "{av1:#?}");
        assert!(cs(&av1, 0).ends_with(".08"), "{av1:#?}");
    }

    let flac = p("flac.mkv").expect("fixture");
    assert_eq!(cs(&flac, 0), "fLaC");

    // Without count_keyframes, Matroska keyframes are not counted.
    let path = fixture("h264_aac_subs.mkv").expect("fixture");
    let quick = probe_path(&path, ProbeOptions::default()).expect("probe");
    assert_eq!(quick.tracks[0].keyframes, None);
}

/// Probing reads headers, not media: a few tens of KB for these files.
#[test]
fn probing_reads_only_headers() {
    for name in [
        "h264_aac.mp4",
        "h264_aac_faststart.mp4",
        "h264_aac_subs.mkv",
        "vp9_opus.webm",
    ] {
        let data = std::fs::read(fixture(name).expect("fixture")).expect("read");
        let (_, read) =
            marquee_media::probe_counting_reads(Cursor::new(&data), ProbeOptions::default())
                .expect("probe");
        assert!(
            read < 64 * 1024,
            "{name}: read {read} of {} bytes",
            data.len()
        );
    }
}

/// A 4 GiB "file": real header bytes around a gap of zeros that is never
/// materialised, so the test can prove that probing skips the media payload.
struct SparseFile {
    head: Vec<u8>,
    gap: u64,
    tail: Vec<u8>,
    pos: u64,
}

impl SparseFile {
    fn len(&self) -> u64 {
        self.head.len() as u64 + self.gap + self.tail.len() as u64
    }
}

impl std::io::Read for SparseFile {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let head_len = self.head.len() as u64;
        let tail_start = head_len + self.gap;
        let n = if self.pos < head_len {
            let src = &self.head[self.pos as usize..];
            let n = src.len().min(buf.len());
            buf[..n].copy_from_slice(&src[..n]);
            n
        } else if self.pos < tail_start {
            let n = ((tail_start - self.pos) as usize).min(buf.len());
            buf[..n].fill(0);
            n
        } else if self.pos < self.len() {
            let src = &self.tail[(self.pos - tail_start) as usize..];
            let n = src.len().min(buf.len());
            buf[..n].copy_from_slice(&src[..n]);
            n
        } else {
            0
        };
        self.pos += n as u64;
        Ok(n)
    }
}

impl std::io::Seek for SparseFile {
    fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
        let target = match to {
            std::io::SeekFrom::Start(p) => p as i128,
            std::io::SeekFrom::End(d) => self.len() as i128 + d as i128,
            std::io::SeekFrom::Current(d) => self.pos as i128 + d as i128,
        };
        self.pos = u64::try_from(target).map_err(|_| std::io::ErrorKind::InvalidInput)?;
        Ok(self.pos)
    }
}

/// Top-level boxes of an MP4 as (type, whole box bytes).
fn top_level_boxes(data: &[u8]) -> Vec<([u8; 4], &[u8])> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos + 8 <= data.len() {
        let size = u32::from_be_bytes(data[pos..pos + 4].try_into().expect("4 bytes")) as usize;
        let typ: [u8; 4] = data[pos + 4..pos + 8].try_into().expect("4 bytes");
        let end = if size == 0 { data.len() } else { pos + size };
        out.push((typ, &data[pos..end]));
        pos = end;
    }
    out
}

#[test]
fn probing_a_4gb_mp4_reads_kilobytes() {
    let data = std::fs::read(fixture("h264_aac.mp4").expect("fixture")).expect("read");
    let boxes = top_level_boxes(&data);
    let ftyp = boxes.iter().find(|(t, _)| t == b"ftyp").expect("ftyp").1;
    let moov = boxes.iter().find(|(t, _)| t == b"moov").expect("moov").1;
    // ftyp, then a 4 GiB mdat with a 64-bit size, then moov at the end.
    let gap: u64 = 4 << 30;
    let mut head = ftyp.to_vec();
    head.extend_from_slice(&1u32.to_be_bytes());
    head.extend_from_slice(b"mdat");
    head.extend_from_slice(&(gap + 16).to_be_bytes());
    let file = SparseFile {
        head,
        gap,
        tail: moov.to_vec(),
        pos: 0,
    };
    let (info, read) =
        marquee_media::probe_counting_reads(file, ProbeOptions::default()).expect("probe");
    assert_eq!(info.tracks.len(), 2);
    assert_eq!(info.duration_ms, 4000);
    assert!(info.bitrate.is_some_and(|b| b > 8_000_000_000));
    assert!(read < 64 * 1024, "read {read} bytes");
}

#[test]
fn bad_files_give_specific_errors() {
    let err = |name: &str| {
        let path = fixture(name).expect("fixture");
        probe_path(&path, COUNT).expect_err(name)
    };
    let e = err("empty.mp4");
    assert!(matches!(e, ProbeError::Empty), "{e}");
    assert_eq!(e.to_string(), "file is empty (0 bytes)");

    let e = err("truncated.mp4");
    assert!(
        matches!(&e, ProbeError::Truncated { what, .. } if what == "'moov' box"),
        "{e}"
    );
    assert!(
        e.to_string().starts_with("truncated: 'moov' box claims "),
        "{e}"
    );

    let e = err("garbage.mp4");
    assert_eq!(
        e.to_string(),
        "not an MP4 or Matroska file (starts with 3c 68 74 6d)"
    );

    let e = err("corrupt_moov.mp4");
    assert!(matches!(e, ProbeError::Invalid(_)), "{e}");
    assert!(e.to_string().contains("'mvhd'"), "{e}");

    // An MP4 with only media data and no moov.
    let mut data = 16u32.to_be_bytes().to_vec();
    data.extend_from_slice(b"mdat01234567");
    let e = probe(Cursor::new(data), COUNT).expect_err("no moov");
    assert!(matches!(e, ProbeError::NoMoov), "{e}");
}

/// xorshift64*: deterministic, dependency-free randomness for the mutation test.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// A poor man's fuzzer: thousands of deterministic mutations of the real
/// fixtures must never panic and each probe must finish quickly.  The mutations
/// target the header regions (file start and end, where moov / Tracks / Cues
/// live) because mutating media payloads exercises nothing.
#[test]
fn mutated_fixtures_never_panic() {
    const PER_FILE: usize = 200;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let started = Instant::now();
    let mut probes = 0;
    for (name, _) in GOOD {
        let Some(path) = fixture(name) else { continue };
        let original = std::fs::read(&path).expect("read fixture");
        for i in 0..PER_FILE {
            let mut data = original.clone();
            let len = data.len();
            let region = 8192.min(len);
            let pick = |rng: &mut Rng| {
                let off = rng.below(region);
                if rng.next() & 1 == 0 {
                    off
                } else {
                    len - region + off
                }
            };
            match rng.below(5) {
                // Flip a few bytes.
                0 => {
                    for _ in 0..1 + rng.below(8) {
                        let p = pick(&mut rng);
                        data[p] ^= (rng.next() as u8) | 1;
                    }
                }
                // Overwrite a 32-bit word with an interesting value.
                1 => {
                    let p = pick(&mut rng).min(len.saturating_sub(4));
                    let v: u32 = match rng.below(4) {
                        0 => 0,
                        1 => u32::MAX,
                        2 => 1,
                        _ => rng.next() as u32,
                    };
                    let end = (p + 4).min(len);
                    data[p..end].copy_from_slice(&v.to_be_bytes()[..end - p]);
                }
                // Truncate.
                2 => data.truncate(pick(&mut rng)),
                // Set an EBML size byte to "unknown" / 8-byte length.
                3 => {
                    let p = pick(&mut rng);
                    data[p] = if rng.next() & 1 == 0 { 0xff } else { 0x01 };
                }
                // Duplicate a header chunk over another spot.
                _ => {
                    let a = pick(&mut rng);
                    let b = pick(&mut rng);
                    let n = rng.below(64).min(len - a).min(len - b);
                    let chunk = data[a..a + n].to_vec();
                    data[b..b + n].copy_from_slice(&chunk);
                }
            }
            let t = Instant::now();
            let result = std::panic::catch_unwind(|| probe(Cursor::new(&data), COUNT));
            assert!(result.is_ok(), "{name}: mutation {i} panicked");
            assert!(
                t.elapsed() < Duration::from_secs(2),
                "{name}: mutation {i} took {:?}",
                t.elapsed()
            );
            probes += 1;
        }
    }
    assert!(probes >= 2000, "only {probes} mutations ran");
    eprintln!("{probes} mutated probes in {:?}", started.elapsed());
}

/// Prints our probe of every good fixture as JSON, for eyeballing against
/// ffprobe: `cargo test -p marquee-media --test probe -- --ignored --nocapture dump`.
#[test]
#[ignore]
fn dump_fixtures() {
    for (name, _) in GOOD {
        let Some(path) = fixture(name) else { continue };
        let info = probe_path(&path, COUNT).expect(name);
        println!("{name}: {}", serde_json::to_string(&info).expect("json"));
    }
}

/// Chapters written by ffmpeg (`-map_chapters` from an ffmetadata file) agree with ffprobe's.
#[test]
fn chapters_match_ffprobe() {
    for name in ["chapters.mkv", "chapters.mp4"] {
        let path = fixture(name).expect(name);
        let info = probe_path(&path, COUNT).expect(name);
        let out = Command::new("ffprobe")
            .args(["-v", "error", "-show_chapters", "-of", "json"])
            .arg(&path)
            .output()
            .expect("run ffprobe");
        let theirs: Value = serde_json::from_slice(&out.stdout).expect("ffprobe JSON");
        let theirs = theirs["chapters"].as_array().expect("chapters");
        assert_eq!(
            info.chapters.len(),
            theirs.len(),
            "{name}: {:?}",
            info.chapters
        );
        for (ours, theirs) in info.chapters.iter().zip(theirs) {
            let start = secs_to_ms(theirs.get("start_time")).expect("start_time");
            assert!(
                (ours.start_ms as f64 - start).abs() <= 1.0,
                "{name}: {ours:?} vs {theirs}"
            );
            assert_eq!(
                ours.title.as_deref(),
                theirs["tags"]["title"].as_str(),
                "{name}"
            );
        }
        let titles: Vec<_> = info
            .chapters
            .iter()
            .filter_map(|c| c.title.as_deref())
            .collect();
        assert_eq!(titles, ["Intro", "Part One", "Credits"], "{name}");
        assert_eq!(info.chapters[1].end_ms, Some(3000), "{name}");
        // The MP4's QuickTime chapter track is no subtitle track.
        assert!(
            info.tracks
                .iter()
                .all(|t| t.kind != marquee_media::TrackKind::Subtitle),
            "{name}: {:?}",
            info.tracks
        );
    }
    // Files without chapters have none.
    let info = probe_path(&fixture("h264_aac.mp4").unwrap(), COUNT).unwrap();
    assert!(info.chapters.is_empty());
}

/// An MP4 whose chapters are only in a QuickTime chapter track (no `chpl`, as Apple's tools write
/// them): ffmpeg's file with its `chpl` box turned into `free`, so the titles and times can come
/// from nothing but the chapter track's samples. ffprobe reads the same file the same way.
#[test]
fn chapters_from_a_quicktime_chapter_track_alone() {
    let mut bytes = std::fs::read(fixture("chapters.mp4").unwrap()).unwrap();
    let at = bytes
        .windows(4)
        .position(|w| w == b"chpl")
        .expect("ffmpeg wrote a chpl box");
    bytes[at..at + 4].copy_from_slice(b"free");
    assert!(!bytes.windows(4).any(|w| w == b"chpl"));
    let info = probe(Cursor::new(&bytes), COUNT).unwrap();
    let got: Vec<(u64, Option<u64>, &str)> = info
        .chapters
        .iter()
        .map(|c| (c.start_ms, c.end_ms, c.title.as_deref().unwrap_or("")))
        .collect();
    assert_eq!(
        &got[..2],
        [(0, Some(1500), "Intro"), (1500, Some(3000), "Part One")]
    );
    assert_eq!((got[2].0, got[2].2), (3000, "Credits"));

    let path = std::env::temp_dir().join(format!("marquee-qt-chapters-{}.mp4", std::process::id()));
    std::fs::write(&path, &bytes).unwrap();
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-show_chapters", "-of", "json"])
        .arg(&path)
        .output()
        .expect("run ffprobe");
    std::fs::remove_file(&path).unwrap();
    let theirs: Value = serde_json::from_slice(&out.stdout).expect("ffprobe JSON");
    let titles: Vec<_> = theirs["chapters"]
        .as_array()
        .expect("chapters")
        .iter()
        .map(|c| c["tags"]["title"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(titles, ["Intro", "Part One", "Credits"]);
}
