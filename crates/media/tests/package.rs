//! Packages ffmpeg-generated fixtures into HLS + DASH exactly as a server
//! would (init segments, media segments via `write_slices`, playlists, MPD)
//! and checks the result with ffmpeg/ffprobe: both manifests must play without
//! a single error, with the same video frames and duration as the source and
//! audio starting with the video.
//!
//! ffmpeg and ffprobe are required: without them these tests fail, they do not
//! skip.

use std::fs;
use std::io::{BufWriter, Read, Seek, SeekFrom};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

mod common;
use common::fixtures;

use marquee_media::manifest::{segment_range, track_dir};
use marquee_media::{
    build_index, build_index_path, dash_mpd, hls_master, hls_media_playlist, init_segment,
    media_segment, plan_segments, progressive_mp4, total_len, write_slices, SampleIndex,
    SegmentPlan, TrackKind, UrlOptions,
};

/// Writes everything a server would serve for `src` into `dir`.
fn package_into(src: &Path, dir: &Path, target: Duration) -> (SampleIndex, SegmentPlan) {
    let index = build_index_path(src).unwrap_or_else(|e| panic!("index {}: {e}", src.display()));
    let reference = index.reference_track().expect("a packageable track");
    let plan = plan_segments(reference, target);
    let _ = fs::remove_dir_all(dir);
    fs::create_dir_all(dir).expect("mkdir");
    let urls = UrlOptions::default();
    fs::write(
        dir.join("master.m3u8"),
        hls_master(&index, &plan, &urls, &[]),
    )
    .expect("write");
    fs::write(
        dir.join("manifest.mpd"),
        dash_mpd(&index, &plan, &urls, &[]),
    )
    .expect("write");
    let mut source = fs::File::open(src).expect("open source");
    let tracks = index.video().into_iter().chain(index.audio());
    for t in tracks {
        let tdir = dir.join(track_dir(t));
        fs::create_dir_all(&tdir).expect("mkdir");
        fs::write(tdir.join("init.mp4"), init_segment(t).expect("init")).expect("write");
        fs::write(
            tdir.join("playlist.m3u8"),
            hls_media_playlist(t, &plan, &urls),
        )
        .expect("write");
        for n in segment_range(t, &plan) {
            let slices = media_segment(t, &plan, n, n as u32 + 1).expect("segment");
            let out =
                BufWriter::new(fs::File::create(tdir.join(format!("{n}.m4s"))).expect("create"));
            let written = write_slices(&slices, &mut source, out).expect("write segment");
            assert_eq!(written, marquee_media::total_len(&slices));
        }
    }
    (index, plan)
}

/// Runs ffmpeg over `input` decoding every stream; panics with its stderr on failure.
fn ffmpeg_plays(input: &Path) {
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-xerror", "-i"])
        .arg(input)
        .args(["-map", "0", "-f", "null", "-"])
        .output()
        .expect("run ffmpeg");
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "ffmpeg failed on {}:\n{}",
        input.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// What ffprobe sees of an input's packets.
#[derive(Debug)]
struct Seen {
    video_frames: u64,
    video_start: f64,
    video_end: f64,
    frame: f64,
    audio_streams: usize,
    audio_start: Option<f64>,
}

fn ffprobe(input: &Path) -> Seen {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "packet=stream_index,pts_time,duration_time:stream=index,codec_type",
            "-of",
            "csv",
        ])
        .arg(input)
        .output()
        .expect("run ffprobe");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let mut kinds = std::collections::HashMap::new();
    for l in text.lines().filter(|l| l.starts_with("stream,")) {
        let f: Vec<_> = l.split(',').collect();
        kinds.insert(f[1].to_string(), f[2].to_string());
    }
    let first_video = kinds
        .iter()
        .filter(|(_, k)| *k == "video")
        .map(|(i, _)| i.clone())
        .min_by_key(|i| i.parse::<u32>().unwrap_or(0))
        .expect("a video stream");
    let (mut frames, mut vstart, mut vend, mut dur) = (0u64, f64::MAX, f64::MIN, 0f64);
    let mut astart: Option<f64> = None;
    for l in text.lines().filter(|l| l.starts_with("packet,")) {
        let f: Vec<_> = l.split(',').collect();
        let (Some(idx), Some(pts)) = (f.get(1), f.get(2).and_then(|p| p.parse::<f64>().ok()))
        else {
            continue;
        };
        let d = f.get(3).and_then(|d| d.parse::<f64>().ok()).unwrap_or(0.0);
        match kinds.get(*idx).map(String::as_str) {
            Some("video") if *idx == first_video => {
                frames += 1;
                vstart = vstart.min(pts);
                vend = vend.max(pts + d);
                if d > 0.0 {
                    dur = if dur == 0.0 { d } else { dur.min(d) };
                }
            }
            Some("audio") => astart = Some(astart.map_or(pts, |a: f64| a.min(pts))),
            _ => {}
        }
    }
    Seen {
        video_frames: frames,
        video_start: vstart,
        video_end: vend,
        frame: dur,
        audio_streams: kinds.values().filter(|k| *k == "audio").count(),
        audio_start: astart,
    }
}

/// Decoded video frames (what a player shows), via ffprobe -count_frames.
fn decoded_frames(input: &Path) -> u64 {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-count_frames",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=nb_read_frames",
            "-of",
            "csv=p=0",
        ])
        .arg(input)
        .output()
        .expect("run ffprobe");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.trim().trim_end_matches(',').parse::<u64>().ok())
        .next()
        .unwrap_or_else(|| panic!("no frame count for {}", input.display()))
}

fn check(name: &str) {
    let src = fixtures().join(name);
    let dir = std::env::temp_dir().join(format!("marquee-package-{}-{name}", std::process::id()));
    let (index, plan) = package_into(&src, &dir, Duration::from_secs(2));
    assert!(!plan.is_empty());
    let master = dir.join("master.m3u8");
    let mpd = dir.join("manifest.mpd");
    ffmpeg_plays(&master);
    ffmpeg_plays(&mpd);

    let source = ffprobe(&src);
    let source_frames = decoded_frames(&src);
    let audio_tracks = index.audio().count();
    for (what, input) in [("HLS", &master), ("DASH", &mpd)] {
        let seen = ffprobe(input);
        let frame = source.frame.max(1.0 / 120.0);
        assert_eq!(
            decoded_frames(input),
            source_frames,
            "{name} {what}: decoded video frames differ from the source"
        );
        assert_eq!(
            seen.video_frames, source.video_frames,
            "{name} {what}: video packets"
        );
        let d_src = source.video_end - source.video_start;
        let d_out = seen.video_end - seen.video_start;
        assert!(
            (d_src - d_out).abs() <= frame + 1e-3,
            "{name} {what}: video lasts {d_out:.3}s, source {d_src:.3}s"
        );
        assert_eq!(
            seen.audio_streams, audio_tracks,
            "{name} {what}: audio streams"
        );
        if let (Some(a), Some(sa)) = (seen.audio_start, source.audio_start) {
            // Audio starts with the video, as in the source.
            let gap = (a - seen.video_start) - (sa - source.video_start);
            assert!(
                gap.abs() <= frame + 1e-3,
                "{name} {what}: audio starts {a:.3}s, video {:.3}s (source: {sa:.3}s / {:.3}s)",
                seen.video_start,
                source.video_start
            );
            assert!(
                (a - seen.video_start).abs() <= frame + 0.025,
                "{name} {what}: first audio {a:.3}s vs first video {:.3}s",
                seen.video_start
            );
        }
    }
    // Segment durations add up to the presentation and EXTINF sums agree.
    let playlist = fs::read_to_string(
        dir.join(track_dir(index.video().expect("video")))
            .join("playlist.m3u8"),
    )
    .expect("playlist");
    let extinf: f64 = playlist
        .lines()
        .filter_map(|l| l.strip_prefix("#EXTINF:"))
        .filter_map(|l| l.trim_end_matches(',').parse::<f64>().ok())
        .sum();
    assert!(
        (extinf - plan.total_seconds()).abs() < 1e-3,
        "{name}: EXTINF sum {extinf}"
    );
    let _ = fs::remove_dir_all(&dir);
}

/// Writes the progressive MP4 of `name` and checks it as a player would:
/// `ftyp`, `moov`, `mdat` in that order and nothing else; ffmpeg decodes it
/// without an error; the same video frames, duration and audio start as the
/// source.
fn check_progressive(name: &str) {
    let src = fixtures().join(name);
    let index = build_index_path(&src).unwrap_or_else(|e| panic!("index {name}: {e}"));
    let mp4 = progressive_mp4(&index).unwrap_or_else(|e| panic!("{name}: {e}"));
    let out = std::env::temp_dir().join(format!(
        "marquee-progressive-{}-{name}.mp4",
        std::process::id()
    ));
    let slices = mp4.slices(&index);
    let mut source = fs::File::open(&src).expect("open source");
    let written = write_slices(
        &slices,
        &mut source,
        BufWriter::new(fs::File::create(&out).expect("create")),
    )
    .expect("write");
    assert_eq!(written, mp4.len());
    let bytes = fs::read(&out).expect("read back");
    assert_eq!(bytes.len() as u64, mp4.len());
    let mut top = Vec::new();
    let mut p = 0usize;
    while p + 8 <= bytes.len() {
        let mut size = u64::from(u32::from_be_bytes(bytes[p..p + 4].try_into().unwrap()));
        if size == 1 {
            size = u64::from_be_bytes(bytes[p + 8..p + 16].try_into().unwrap());
        }
        top.push(String::from_utf8_lossy(&bytes[p + 4..p + 8]).to_string());
        assert!(size >= 8, "{name}: box of {size} bytes at {p}");
        p += size as usize;
    }
    assert_eq!(p, bytes.len(), "{name}: boxes do not add up to the file");
    assert_eq!(top, ["ftyp", "moov", "mdat"], "{name}");

    ffmpeg_plays(&out);
    let source = ffprobe(&src);
    let seen = ffprobe(&out);
    let frame = source.frame.max(1.0 / 120.0);
    assert_eq!(
        decoded_frames(&out),
        decoded_frames(&src),
        "{name}: decoded video frames differ from the source"
    );
    assert_eq!(
        seen.video_frames, source.video_frames,
        "{name}: video packets"
    );
    let d_src = source.video_end - source.video_start;
    let d_out = seen.video_end - seen.video_start;
    assert!(
        (d_src - d_out).abs() <= frame + 1e-3,
        "{name}: video lasts {d_out:.3}s, source {d_src:.3}s"
    );
    let aac = index.audio().filter(|t| t.codec == "aac").count();
    assert_eq!(seen.audio_streams, aac, "{name}: audio streams");
    if let (Some(a), Some(sa)) = (seen.audio_start, source.audio_start) {
        let gap = (a - seen.video_start) - (sa - source.video_start);
        assert!(
            gap.abs() <= frame + 1e-3,
            "{name}: audio starts {a:.3}s, video {:.3}s (source: {sa:.3}s / {:.3}s)",
            seen.video_start,
            source.video_start
        );
    }
    let _ = fs::remove_file(&out);
}

#[test]
fn progressive_from_mp4_with_bframes_and_edit_list() {
    check_progressive("bframes.mp4");
}

#[test]
fn progressive_from_mp4_with_moov_at_end() {
    check_progressive("h264_aac.mp4");
}

#[test]
fn progressive_from_fragmented_mp4() {
    check_progressive("fragmented.mp4");
}

#[test]
fn progressive_from_matroska() {
    check_progressive("h264_aac_subs.mkv");
    check_progressive("h264_60fps_bframes.mkv");
}

#[test]
fn progressive_with_two_audio_tracks_and_vfr() {
    check_progressive("two_audio_langs.mp4");
    check_progressive("vfr.mp4");
    let index = build_index_path(&fixtures().join("two_audio_langs.mp4")).expect("index");
    let mp4 = progressive_mp4(&index).expect("progressive");
    assert_eq!(mp4.track_ids(&index).len(), 3);
}

#[test]
fn progressive_needs_h264_and_aac() {
    for (name, why) in [
        ("hevc_ac3.mkv", "is HEVC video"),
        ("vp9_opus.webm", "is VP9 video"),
        ("mp3.mp4", "is MP3 audio"),
    ] {
        let index = build_index_path(&fixtures().join(name)).expect("index");
        let e = progressive_mp4(&index).expect_err(name).to_string();
        assert!(e.contains(why), "{name}: {e}");
    }
}

#[test]
fn moov_at_end() {
    check("h264_aac.mp4");
}

#[test]
fn bframes_with_edit_list() {
    check("bframes.mp4");
}

#[test]
fn ten_second_gop() {
    check("gop300.mp4");
}

#[test]
fn two_audio_languages() {
    check("two_audio_langs.mp4");
    let index = build_index_path(&fixtures().join("two_audio_langs.mp4")).expect("index");
    let plan = plan_segments(index.video().expect("video"), Duration::from_secs(2));
    let master = hls_master(&index, &plan, &UrlOptions::default(), &[]);
    // Containers say "eng"/"fra"; manifests use BCP 47 and a readable name.
    assert!(
        master.contains("NAME=\"English\",LANGUAGE=\"en\""),
        "{master}"
    );
    assert!(
        master.contains("NAME=\"French\",LANGUAGE=\"fr\""),
        "{master}"
    );
    assert_eq!(master.matches("DEFAULT=YES").count(), 1, "{master}");
    let mpd = dash_mpd(&index, &plan, &UrlOptions::default(), &[]);
    assert!(
        mpd.contains("lang=\"en\"") && mpd.contains("lang=\"fr\""),
        "{mpd}"
    );
}

#[test]
fn fragmented_input() {
    check("fragmented.mp4");
}

#[test]
fn vp9_opus_webm() {
    check("vp9_opus.webm");
}

#[test]
fn matroska_h264_aac_with_subtitles() {
    check("h264_aac_subs.mkv");
}

#[test]
fn matroska_hevc_ac3() {
    check("hevc_ac3.mkv");
}

#[test]
fn matroska_eac3() {
    check("h264_eac3.mkv");
    let index = build_index_path(&fixtures().join("h264_eac3.mkv")).expect("index");
    let audio = index.audio().next().expect("the E-AC-3 track is packaged");
    assert_eq!(&audio.codec_config.sample_entry, b"ec-3");
    assert_eq!(audio.codec_config.channels, 6);
}

#[test]
fn irregular_keyframes() {
    check("irregular_kf.mp4");
    let index = build_index_path(&fixtures().join("irregular_kf.mp4")).expect("index");
    let v = index.video().expect("video");
    let plan = plan_segments(v, Duration::from_secs(2));
    for s in &plan.segments {
        assert!(v.samples[s.first_sample].keyframe);
    }
    // Keyframes at ~0, 0.7, 3.1, 3.3, 8.9 s with a 2 s target: cuts at 3.1 and 8.9.
    assert_eq!(plan.len(), 3, "{plan:?}");
    assert_eq!(plan.target_duration(), 6);
}

#[test]
fn variable_frame_rate() {
    check("vfr.mp4");
}

#[test]
fn matroska_60fps_bframes() {
    check("h264_60fps_bframes.mkv");
}

#[test]
fn url_prefix_and_suffix() {
    let index = build_index_path(&fixtures().join("h264_aac.mp4")).expect("index");
    let plan = plan_segments(index.video().expect("video"), Duration::from_secs(2));
    let urls = UrlOptions {
        prefix: "/api/v1/stream/7/".into(),
        suffix: "?token=a&b".into(),
    };
    let master = hls_master(&index, &plan, &urls, &[]);
    assert!(
        master.contains("/api/v1/stream/7/v/1/playlist.m3u8?token=a&b"),
        "{master}"
    );
    let v = index.video().expect("video");
    let pl = hls_media_playlist(v, &plan, &urls);
    assert!(
        pl.contains("URI=\"/api/v1/stream/7/v/1/init.mp4?token=a&b\""),
        "{pl}"
    );
    assert!(pl.contains("/api/v1/stream/7/v/1/0.m4s?token=a&b"), "{pl}");
    let mpd = dash_mpd(&index, &plan, &urls, &[]);
    assert!(
        mpd.contains("media=\"/api/v1/stream/7/v/1/$Number$.m4s?token=a&amp;b\""),
        "{mpd}"
    );
}

#[test]
fn index_round_trips_through_bytes() {
    for name in [
        "bframes.mp4",
        "fragmented.mp4",
        "vp9_opus.webm",
        "hevc_ac3.mkv",
    ] {
        let index = build_index_path(&fixtures().join(name)).expect("index");
        let bytes = index.serialize();
        assert_eq!(
            SampleIndex::deserialize(&bytes).expect("valid"),
            index,
            "{name}"
        );
    }
}

#[test]
fn edit_list_aligns_first_timestamps() {
    // bframes.mp4: the video's edit list hides the B-frame delay, so its first
    // presentation time is 0.
    let index = build_index_path(&fixtures().join("bframes.mp4")).expect("index");
    let v = index.video().expect("video");
    assert_eq!(v.start(), 0);
    assert!(v
        .samples
        .iter()
        .any(|s| s.cts_offset != v.samples[0].cts_offset));
    let a = index.audio().next().expect("audio");
    let a0 = a.start() as f64 / f64::from(a.timescale);
    assert!(a0.abs() < 0.05, "audio starts at {a0}");
}

/// A reader that presents a small in-memory head followed by `len` zero bytes,
/// so that a synthetic multi-gigabyte MP4 costs no disk.
struct Sparse {
    head: Vec<u8>,
    len: u64,
    pos: u64,
}

impl Read for Sparse {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = (buf.len() as u64).min(self.len.saturating_sub(self.pos)) as usize;
        for (i, b) in buf[..n].iter_mut().enumerate() {
            let p = self.pos + i as u64;
            *b = self.head.get(p as usize).copied().unwrap_or(0);
        }
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for Sparse {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        self.pos = match pos {
            SeekFrom::Start(p) => p,
            SeekFrom::End(d) => self.len.saturating_add_signed(d),
            SeekFrom::Current(d) => self.pos.saturating_add_signed(d),
        };
        Ok(self.pos)
    }
}

fn mp4_box(typ: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut v = ((body.len() + 8) as u32).to_be_bytes().to_vec();
    v.extend_from_slice(typ);
    v.extend_from_slice(body);
    v
}

fn words(w: &[u32]) -> Vec<u8> {
    w.iter().flat_map(|x| x.to_be_bytes()).collect()
}

/// A 2-hour trak: `n` samples of `size` bytes, `delta` ticks each, one chunk
/// per `per_chunk` samples starting at `base`.
#[allow(clippy::too_many_arguments)]
fn synthetic_trak(
    id: u32,
    handler: &[u8; 4],
    entry: Vec<u8>,
    n: u32,
    size: u32,
    delta: u32,
    ts: u32,
    base: u64,
    per_chunk: u32,
) -> Vec<u8> {
    let tkhd = mp4_box(
        b"tkhd",
        &[words(&[3, 0, 0, id, 0, 0]), vec![0; 60]].concat(),
    );
    let mdhd = mp4_box(
        b"mdhd",
        &[words(&[0, 0, 0, ts, n * delta]), vec![0x55, 0xc4, 0, 0]].concat(),
    );
    let hdlr = mp4_box(
        b"hdlr",
        &[words(&[0, 0]), handler.to_vec(), vec![0; 13]].concat(),
    );
    let stsd = mp4_box(b"stsd", &[words(&[0, 1]), entry].concat());
    let stts = mp4_box(b"stts", &words(&[0, 1, n, delta]));
    let mut stsz = words(&[0, 0, n]);
    stsz.reserve(n as usize * 4);
    for _ in 0..n {
        stsz.extend_from_slice(&size.to_be_bytes());
    }
    let stsz = mp4_box(b"stsz", &stsz);
    let stsc = mp4_box(b"stsc", &words(&[0, 1, 1, per_chunk, 1]));
    let chunks = n.div_ceil(per_chunk);
    let mut co64 = words(&[0, chunks]);
    for c in 0..u64::from(chunks) {
        co64.extend_from_slice(&(base + c * u64::from(per_chunk) * u64::from(size)).to_be_bytes());
    }
    let co64 = mp4_box(b"co64", &co64);
    let stss = if handler == b"vide" {
        let k: Vec<u32> = (0..n).step_by(120).map(|i| i + 1).collect();
        mp4_box(b"stss", &[words(&[0, k.len() as u32]), words(&k)].concat())
    } else {
        Vec::new()
    };
    let stbl = mp4_box(b"stbl", &[stsd, stts, stsz, stsc, co64, stss].concat());
    let minf = mp4_box(b"minf", &stbl);
    let mdia = mp4_box(b"mdia", &[mdhd, hdlr, minf].concat());
    mp4_box(b"trak", &[tkhd, mdia].concat())
}

/// 2 h at 60 fps (432k video samples) + 48 kHz AAC (337.5k samples).
const TWO_HOURS: (u32, u32) = (432_000, 337_500);

/// A synthetic 2-hour H.264/AAC MP4 of ~8.8 GB (sparse: no disk), with its
/// media starting at `base`; returns the reader and the file's length.
fn two_hour_source(base: u64) -> (Sparse, u64) {
    let (vn, an) = TWO_HOURS;
    let mut avc1 = vec![0u8; 78];
    avc1[7] = 1;
    avc1[24..28].copy_from_slice(&[1, 0x40, 0, 0xf0]);
    avc1.extend(mp4_box(b"avcC", &[1, 0x64, 0, 0x28, 0xff, 0xe0, 0]));
    let avc1 = mp4_box(b"avc1", &avc1);
    let mut mp4a = vec![0u8; 28];
    mp4a[7] = 1;
    mp4a[17] = 2;
    mp4a[19] = 16;
    mp4a[24..28].copy_from_slice(&(48000u32 << 16).to_be_bytes());
    let esds = [
        0u8, 0, 0, 0, 0x03, 0x19, 0, 1, 0, 0x04, 0x11, 0x40, 0x15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0x05, 0x02, 0x11, 0x90, 0x06, 0x01, 0x02,
    ];
    mp4a.extend(mp4_box(b"esds", &esds));
    let mp4a = mp4_box(b"mp4a", &mp4a);
    let video_bytes = u64::from(vn) * 20_000;
    let vtrak = synthetic_trak(1, b"vide", avc1, vn, 20_000, 1, 60, base, 60);
    let atrak = synthetic_trak(
        2,
        b"soun",
        mp4a,
        an,
        400,
        1024,
        48000,
        base + video_bytes,
        47,
    );
    let mvhd = mp4_box(
        b"mvhd",
        &[words(&[0, 0, 0, 1000, 7_200_000]), vec![0; 80]].concat(),
    );
    let moov = mp4_box(b"moov", &[mvhd, vtrak, atrak].concat());
    let ftyp = mp4_box(b"ftyp", b"isom\0\0\0\0isom");
    let mut head = [ftyp, moov].concat();
    let total = base + video_bytes + u64::from(an) * 400;
    // 'free' up to the mdat, whose 64-bit header ends at `base`.
    let free_len = base as usize - 16 - head.len();
    head.extend(((free_len) as u32).to_be_bytes());
    head.extend_from_slice(b"free");
    head.resize(base as usize - 16, 0);
    head.extend_from_slice(&1u32.to_be_bytes());
    head.extend_from_slice(b"mdat");
    head.extend_from_slice(&(total - base + 16).to_be_bytes());
    let reader = Sparse {
        head,
        len: total,
        pos: 0,
    };
    (reader, total)
}

#[test]
fn two_hour_index_is_complete() {
    let (vn, an) = TWO_HOURS;
    let base = 8u64 << 20;
    let (reader, total) = two_hour_source(base);
    let t0 = Instant::now();
    let index = build_index(reader).expect("index");
    let took = t0.elapsed();
    assert_eq!(index.tracks.len(), 2);
    assert_eq!(index.tracks[0].samples.len(), vn as usize);
    assert_eq!(index.tracks[1].samples.len(), an as usize);
    let v = &index.tracks[0];
    assert_eq!(v.kind, TrackKind::Video);
    assert_eq!(v.samples[61].offset, base + 61 * 20_000);
    assert_eq!(v.samples.iter().filter(|s| s.keyframe).count(), 3600);
    let a = &index.tracks[1];
    assert_eq!(a.samples[an as usize - 1].offset, total - 400);
    let plan = plan_segments(v, Duration::from_secs(6));
    assert_eq!(plan.len(), 1200);
    // Speed is measured by scripts/bench-playback (first playlist), not asserted here: a
    // loaded machine must not fail a correctness test.
    eprintln!("2-hour index: {took:?}");
}

/// The progressive MP4 of a 2-hour film: a `moov` of a few MB at
/// most, `co64` and a 64-bit `mdat` (the file is over 4 GB), and a slice
/// list no longer than its chunk list.
#[test]
fn two_hour_progressive_mp4_is_compact() {
    let (vn, an) = TWO_HOURS;
    let base = 8u64 << 20;
    let (reader, total) = two_hour_source(base);
    let mut index = build_index(reader).expect("index");
    let t0 = Instant::now();
    let mp4 = progressive_mp4(&index).expect("progressive");
    let took = t0.elapsed();
    let header = mp4.header();
    assert_eq!(mp4.len(), header.len() as u64 + (total - base));
    assert!(
        header.windows(4).any(|w| w == b"co64") && !header.windows(4).any(|w| w == b"stco"),
        "an 8.8 GB file needs co64"
    );
    assert_eq!(
        &header[header.len() - 16..header.len() - 8],
        b"\0\0\0\x01mdat"
    );
    // Half-second chunks: 14 400 per track.
    assert_eq!(mp4.chunk_count(), 2 * 14_400);
    // Constant sample sizes: stsz is one word; the tables are per chunk.
    assert!(header.len() < 1 << 20, "moov of {} bytes", header.len());
    let t1 = Instant::now();
    let slices = mp4.slices(&index);
    let took_slices = t1.elapsed();
    assert!(slices.len() <= mp4.chunk_count() + 1, "{}", slices.len());
    assert_eq!(total_len(&slices), mp4.len());

    // Worst case for the tables: every sample a different size, B-frame
    // composition offsets.
    for (i, s) in index.tracks[0].samples.iter_mut().enumerate() {
        s.size = 20_000 - (i % 97) as u32;
        s.cts_offset = [2, 0, 1][i % 3];
    }
    for (i, s) in index.tracks[1].samples.iter_mut().enumerate() {
        s.size = 400 - (i % 13) as u32;
    }
    let t2 = Instant::now();
    let mp4 = progressive_mp4(&index).expect("progressive");
    let took_worst = t2.elapsed();
    let samples = u64::from(vn) + u64::from(an);
    let moov = mp4.header().len() as u64;
    // 4 bytes of stsz per sample, 8 of ctts per video sample, plus chunks.
    assert!(
        moov < samples * 4 + u64::from(vn) * 8 + (1 << 20),
        "moov of {moov} bytes"
    );
    eprintln!(
        "2-hour progressive MP4: moov {moov} bytes; built in {took:?} (worst case {took_worst:?}), \
         slices listed in {took_slices:?}"
    );
}

/// Damaged files never panic the index builder, and whatever index comes out
/// can be planned, packaged and described without panicking either.
#[test]
fn damaged_files_do_not_panic() {
    let dir = fixtures();
    for name in [
        "h264_aac.mp4",
        "bframes.mp4",
        "fragmented.mp4",
        "vp9_opus.webm",
        "hevc_ac3.mkv",
        "h264_60fps_bframes.mkv",
    ] {
        let good = fs::read(dir.join(name)).expect("fixture");
        let mut variants: Vec<Vec<u8>> = Vec::new();
        for cut in [good.len() / 3, good.len() / 2, good.len() - 100] {
            variants.push(good[..cut].to_vec());
        }
        // Deterministic byte damage spread over the headers and tables.
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..40 {
            let mut v = good.clone();
            for _ in 0..8 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let at = (seed % v.len() as u64) as usize;
                v[at] = (seed >> 32) as u8;
            }
            variants.push(v);
        }
        for v in variants {
            let Ok(index) = build_index(std::io::Cursor::new(&v)) else {
                continue;
            };
            let Some(reference) = index.reference_track() else {
                continue;
            };
            let plan = plan_segments(reference, Duration::from_secs(2));
            let urls = UrlOptions::default();
            let _ = hls_master(&index, &plan, &urls, &[]);
            let _ = dash_mpd(&index, &plan, &urls, &[]);
            for t in index.video().into_iter().chain(index.audio()) {
                let _ = init_segment(t);
                let _ = hls_media_playlist(t, &plan, &urls);
                for n in 0..plan.len() {
                    let _ = media_segment(t, &plan, n, 1);
                }
            }
            if let Ok(mp4) = progressive_mp4(&index) {
                assert_eq!(total_len(&mp4.slices(&index)), mp4.len());
            }
        }
    }
}

/// Audio-only file (FLAC in Matroska): fixed-duration cuts at frame
/// boundaries, the master playlist points straight at the audio playlist, and
/// both manifests play every audio packet.
#[test]
fn audio_only_flac() {
    let src = fixtures().join("flac.mkv");
    let dir = std::env::temp_dir().join(format!("marquee-package-{}-flac", std::process::id()));
    let (index, plan) = package_into(&src, &dir, Duration::from_secs(1));
    assert!(index.video().is_none());
    assert!(plan.len() >= 3, "{plan:?}");
    let master = fs::read_to_string(dir.join("master.m3u8")).expect("master");
    assert!(
        master.contains("CODECS=\"fLaC\"") && master.contains("a/1/playlist.m3u8"),
        "{master}"
    );
    let count = |input: &Path| {
        let out = Command::new("ffprobe")
            .args(["-v", "error", "-select_streams", "a:0", "-count_packets"])
            .args(["-show_entries", "stream=nb_read_packets", "-of", "csv=p=0"])
            .arg(input)
            .output()
            .expect("run ffprobe");
        // HLS inputs list the stream again under their program: take the first.
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| l.trim().trim_end_matches(',').to_string())
            .find(|l| !l.is_empty())
            .unwrap_or_default()
    };
    let want = count(&src);
    for input in [dir.join("master.m3u8"), dir.join("manifest.mpd")] {
        ffmpeg_plays(&input);
        assert_eq!(count(&input), want, "{}", input.display());
    }
    let _ = fs::remove_dir_all(&dir);
}
