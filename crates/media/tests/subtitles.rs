//! Embedded and sidecar text subtitles become the same WebVTT cues: the
//! fixtures' subtitle tracks were all made from one SRT file by ffmpeg, so
//! every track, whatever its format, must give back that file's cues.

use std::fs;
use std::path::Path;

mod common;
use common::fixtures;

use marquee_media::subtitle::{parse, parse_vtt, read_embedded, to_webvtt, Cue, SubtitleFormat};
use marquee_media::{build_index_path, SampleIndex, TrackIndex, TrackKind};

/// The sample index of `path` and its subtitle track with `codec`.
fn subtitle_track(path: &Path, codec: &str) -> (SampleIndex, TrackIndex) {
    let index = build_index_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let track = index
        .tracks
        .iter()
        .find(|t| t.kind == TrackKind::Subtitle && t.codec == codec)
        .cloned()
        .unwrap_or_else(|| panic!("{} has no {codec} track", path.display()));
    (index, track)
}

fn times_and_text(cues: &[Cue]) -> Vec<(u64, u64, String)> {
    cues.iter()
        .map(|c| (c.start_ms, c.end_ms, c.text.clone()))
        .collect()
}

fn expected() -> Vec<(u64, u64, String)> {
    vec![
        (500, 1500, "Hello from Marquee.".into()),
        (2000, 3500, "Second cue, <i>in italics</i>.".into()),
    ]
}

#[test]
fn the_sidecar_srt_is_the_reference() {
    let srt = fs::read(fixtures().join(".subs.srt")).expect("read the fixture SRT");
    assert_eq!(
        times_and_text(&parse(SubtitleFormat::Srt, &srt)),
        expected()
    );
}

#[test]
fn every_embedded_text_track_gives_the_same_cues() {
    let dir = fixtures();
    let cases = [
        ("mov_text.mp4", "mov_text", Some("eng")),
        ("h264_aac_subs.mkv", "subrip", Some("eng")),
        ("h264_aac_subs.mkv", "ass", Some("fra")),
        ("webvtt.mkv", "webvtt", Some("deu")),
    ];
    for (file, codec, language) in cases {
        let path = dir.join(file);
        let (index, track) = subtitle_track(&path, codec);
        assert!(
            track.is_text_subtitle(),
            "{file} {codec}: {:?}",
            track.unsupported
        );
        assert!(!track.is_packageable(), "subtitles are not CMAF tracks");
        assert_eq!(track.language.as_deref(), language, "{file} {codec}");
        let file_handle = fs::File::open(&path).expect("open");
        let cues = read_embedded(file_handle, &track).unwrap_or_else(|e| panic!("{file}: {e}"));
        // The times ffprobe reports for the track (ffmpeg may have shifted the SRT's times to
        // the file's start), the text the SRT had; one millisecond of rounding allowed.
        let got = times_and_text(&cues);
        let want = ffprobe_cue_times(&path, track.track_id, &index);
        assert_eq!(got.len(), 2, "{file} {codec}: {got:?}");
        assert_eq!(want.len(), 2, "{file} {codec}: ffprobe saw {want:?}");
        for ((g, e), (start, end)) in got.iter().zip(expected()).zip(want) {
            let e = (start, end, e.2);
            assert!(
                g.0.abs_diff(e.0) <= 1 && g.1.abs_diff(e.1) <= 1 && g.2 == e.2,
                "{file} {codec}: {got:?}"
            );
        }
        // The output is WebVTT that reads back to the same cues.
        let vtt = to_webvtt(&cues);
        assert!(vtt.starts_with("WEBVTT\n"));
        assert_eq!(times_and_text(&parse_vtt(&vtt)), got, "{file} {codec}");
    }
}

/// Start and end (ms) of each packet of a subtitle track, as ffprobe reports them.
/// Picture subtitles are never WebVTT, but their times are indexed: a transcoder burning them in
/// from the middle of a title must know when the picture on screen began. The times must be
/// ffprobe's packet times (`image_subs.mkv`: a box from ~0.5 to 3.5 s and one from 4 to 7.5 s;
/// PGS has a display set at each start and a clearing one at each end, VobSub one per picture).
#[test]
fn picture_subtitles_are_indexed_for_their_times_only() {
    let dir = fixtures();
    for (file, codec, stream) in [
        ("image_subs.mkv", "pgs", "s:0"),
        ("image_subs.mkv", "vobsub", "s:1"),
        ("vobsub.mp4", "dvd_subtitle", "s:0"),
    ] {
        let path = dir.join(file);
        let (_, track) = subtitle_track(&path, codec);
        assert!(track.is_image_subtitle());
        assert!(!track.is_text_subtitle() && !track.is_packageable());
        assert!(
            track.unsupported.is_some(),
            "{file} {codec}: still not WebVTT"
        );
        let starts: Vec<f64> = track
            .samples
            .iter()
            .map(|s| s.pts() as f64 / f64::from(track.timescale))
            .collect();
        let out = std::process::Command::new("ffprobe")
            .args(["-v", "error", "-select_streams", stream])
            .args(["-show_entries", "packet=pts_time", "-of", "csv=p=0"])
            .arg(&path)
            .output()
            .expect("ffprobe runs");
        let want: Vec<f64> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.trim().trim_end_matches(',').parse().ok())
            .collect();
        assert!(want.len() >= 2, "{file} {stream}: ffprobe lists {want:?}");
        assert_eq!(
            starts.len(),
            want.len(),
            "{file} {codec}: {starts:?} vs {want:?}"
        );
        for (got, want) in starts.iter().zip(&want) {
            assert!((got - want).abs() < 0.002, "{file} {codec}: {starts:?}");
        }
    }
}

fn ffprobe_cue_times(
    path: &std::path::Path,
    track_id: u32,
    index: &marquee_media::SampleIndex,
) -> Vec<(u64, u64)> {
    let stream = index
        .tracks
        .iter()
        .position(|t| t.track_id == track_id)
        .expect("track position");
    let out = std::process::Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", &stream.to_string()])
        .args([
            "-show_entries",
            "packet=pts_time,duration_time,size",
            "-of",
            "csv=p=0",
        ])
        .arg(path)
        .output()
        .expect("run ffprobe");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mut f = l.split(',');
            let p: f64 = f.next()?.parse().ok()?;
            let d: f64 = f.next()?.parse().ok()?;
            // mov_text marks the gaps between cues with empty (2-byte) samples.
            let size: u64 = f.next()?.parse().ok()?;
            if size <= 2 {
                return None;
            }
            Some((
                (p * 1000.0).round() as u64,
                ((p + d) * 1000.0).round() as u64,
            ))
        })
        .collect()
}

#[test]
fn ffmpeg_reads_our_webvtt() {
    let dir = fixtures();
    let index = build_index_path(&dir.join("h264_aac_subs.mkv")).expect("index");
    let track = index
        .tracks
        .iter()
        .find(|t| t.codec == "ass")
        .expect("ASS track");
    let cues = read_embedded(
        fs::File::open(dir.join("h264_aac_subs.mkv")).expect("open"),
        track,
    )
    .expect("cues");
    let out = std::env::temp_dir().join(format!("marquee-subs-{}.vtt", std::process::id()));
    fs::write(&out, to_webvtt(&cues)).expect("write");
    let res = std::process::Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-xerror", "-i"])
        .arg(&out)
        .args(["-f", "srt", "-"])
        .output()
        .expect("run ffmpeg");
    let _ = fs::remove_file(&out);
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    let srt = String::from_utf8_lossy(&res.stdout);
    assert!(srt.contains("00:00:02,021 --> 00:00:03,521"), "{srt}");
    assert!(srt.contains("Hello from Marquee."), "{srt}");
}
