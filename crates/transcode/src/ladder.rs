//! Ahead-of-time adaptive ladders: every rung (H.264 at each height, AAC stereo audio) of a
//! title made once, kept under the data folder, on the original's segment plan.
//!
//! A rung is made by the same ffmpeg command as a just-in-time run ([`crate::command`]: keyframes
//! forced at the plan's cuts), each finished file repackaged onto the plan
//! ([`crate::repackage`]) and written atomically as `N.m4s`, so the folder only ever holds whole
//! segments. A rung is *published* when its `rendition.json` — what was measured from the files
//! (codec string from the init segment, peak and average bitrate from the segments' sizes and
//! the plan's durations, frame rate from the first segment) — is written; the master playlist
//! lists published rungs only. A run that dies is started again at the first missing segment,
//! which is also how a job resumes after a restart.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use marquee_media::{build_index_path, TrackKind};
use serde::{Deserialize, Serialize};

use crate::cache::write_atomically;
use crate::command::{parse_segment_list, segment_args, SegmentRun, VideoEncoder, SEGMENT_LIST};
use crate::decide::{Rendition, LADDER};
use crate::ffmpeg::{Ffmpeg, Process};
use crate::jit::{Title, TrackSpec};
use crate::repackage::{repackage, Base, Placement};

/// The file that publishes a finished rung.
pub const PUBLISHED: &str = "rendition.json";

/// How many runs in a row may die without finishing a segment before the rung fails.
const RETRIES: u32 = 3;

/// What was measured from a finished rung's files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measured {
    pub track_id: u32,
    /// `h264-720`, `aac`.
    pub rendition: String,
    /// RFC 6381, from the init segment (`avc1.64001f`, `mp4a.40.2`).
    pub codec: String,
    pub width: u32,
    pub height: u32,
    pub channels: u32,
    /// Frames per second of the first segment (video).
    pub frame_rate: Option<f64>,
    /// The largest segment's bits per second.
    pub peak_bps: u64,
    /// All bits over all seconds.
    pub average_bps: u64,
    pub segments: usize,
    pub bytes: u64,
}

/// The video rungs for a source `source_height` lines high from the heights asked for (the
/// default ladder when none): those at or below the source, highest first; a source below all of
/// them gets one rung of its own height.
pub fn ladder_rungs(source_height: u32, asked: &[u32]) -> Vec<Rendition> {
    let asked = if asked.is_empty() { LADDER } else { asked };
    let mut heights: Vec<u32> = asked
        .iter()
        .map(|h| h & !1)
        .filter(|h| (96..=source_height).contains(h))
        .collect();
    heights.sort_unstable_by(|a, b| b.cmp(a));
    heights.dedup();
    if heights.is_empty() && source_height >= 96 {
        heights.push(source_height & !1);
    }
    heights
        .into_iter()
        .map(|height| Rendition::H264 { height })
        .collect()
}

/// Where ladders live (`DATA/transcode/ladder`).
#[derive(Debug, Clone)]
pub struct LadderStore {
    pub root: PathBuf,
}

impl LadderStore {
    pub fn new(root: PathBuf) -> LadderStore {
        LadderStore { root }
    }

    /// The folder of one title's ladder.
    pub fn title_dir(&self, fingerprint: &str) -> PathBuf {
        let fp: String = fingerprint
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        self.root.join(fp)
    }

    /// The folder of one rung.
    pub fn rung_dir(&self, fingerprint: &str, track_id: u32, r: Rendition) -> PathBuf {
        self.title_dir(fingerprint).join(format!("{track_id}-{r}"))
    }

    /// What was measured of a published rung; `None` while it is not finished.
    pub fn published(&self, fingerprint: &str, track_id: u32, r: Rendition) -> Option<Measured> {
        let text = std::fs::read_to_string(self.rung_dir(fingerprint, track_id, r).join(PUBLISHED))
            .ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Every published rung of a title.
    pub fn published_rungs(&self, fingerprint: &str) -> Vec<Measured> {
        let Ok(dir) = std::fs::read_dir(self.title_dir(fingerprint)) else {
            return Vec::new();
        };
        let mut out: Vec<Measured> = dir
            .flatten()
            .filter_map(|e| std::fs::read_to_string(e.path().join(PUBLISHED)).ok())
            .filter_map(|t| serde_json::from_str(&t).ok())
            .collect();
        out.sort_by(|a: &Measured, b| b.height.cmp(&a.height).then(a.rendition.cmp(&b.rendition)));
        out
    }
}

/// Live state of a rung being made.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RungStatus {
    pub segments_done: usize,
    pub segments: usize,
    /// Frames per second ffmpeg reports (0 for audio).
    pub fps: f64,
    /// Media seconds per wall-clock second.
    pub speed: f64,
    /// The ffmpeg making it now.
    pub pid: Option<i32>,
    /// Runs that died and were started again.
    pub retries: u32,
}

/// Why a rung was not made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LadderError {
    #[error("cancelled")]
    Cancelled,
    #[error("{0}")]
    Failed(String),
}

/// One rung to make.
pub struct Rung<'a> {
    pub ffmpeg: &'a Ffmpeg,
    pub encoder: &'a VideoEncoder,
    pub preset: &'a str,
    pub title: &'a Title,
    pub spec: TrackSpec,
    /// The rung's folder (see [`LadderStore::rung_dir`]).
    pub dir: &'a Path,
    /// A scratch folder of its own for ffmpeg's files (removed at the end).
    pub work: &'a Path,
}

fn first_missing(dir: &Path, segments: usize) -> Option<usize> {
    (0..segments).find(|n| !dir.join(format!("{n}.m4s")).is_file())
}

fn count_done(dir: &Path, segments: usize) -> usize {
    (0..segments)
        .filter(|n| dir.join(format!("{n}.m4s")).is_file())
        .count()
}

impl Rung<'_> {
    /// Makes the rung's missing segments and publishes it; `status` follows along and `cancel`
    /// stops it (ffmpeg killed, the scratch folder removed). Blocking: run it on a blocking
    /// thread.
    pub fn make(
        &self,
        status: &Mutex<RungStatus>,
        cancel: &AtomicBool,
    ) -> Result<Measured, LadderError> {
        let failed =
            |what: &str, e: &dyn std::fmt::Display| LadderError::Failed(format!("{what}: {e}"));
        std::fs::create_dir_all(self.dir)
            .map_err(|e| failed(&format!("cannot create {}", self.dir.display()), &e))?;
        let segments = self.title.starts.len();
        let set = |f: &dyn Fn(&mut RungStatus)| {
            if let Ok(mut s) = status.lock() {
                f(&mut s);
            }
        };
        set(&|s| {
            s.segments = segments;
            s.segments_done = count_done(self.dir, segments);
        });
        let mut fruitless = 0u32;
        while let Some(first) = first_missing(self.dir, segments) {
            if cancel.load(Ordering::Relaxed) {
                return Err(LadderError::Cancelled);
            }
            match self.run(first, status, cancel) {
                Ok(()) => {}
                Err(LadderError::Cancelled) => return Err(LadderError::Cancelled),
                Err(LadderError::Failed(e)) => {
                    // A run that finished segments before dying is worth starting again at once.
                    let progressed = first_missing(self.dir, segments) != Some(first);
                    fruitless = if progressed { 0 } else { fruitless + 1 };
                    if fruitless >= RETRIES {
                        return Err(LadderError::Failed(e));
                    }
                    tracing::warn!("{e}; starting again at the first missing segment");
                    set(&|s| s.retries += 1);
                }
            }
            if first_missing(self.dir, segments) == Some(first) && fruitless == 0 {
                // ffmpeg exited cleanly without making the segment: retrying would loop.
                return Err(LadderError::Failed(format!(
                    "ffmpeg ended without making segment {first}"
                )));
            }
        }
        let measured = self
            .measure()
            .map_err(|e| failed("measuring the rung", &e))?;
        let json = serde_json::to_vec_pretty(&measured).map_err(|e| failed("encoding", &e))?;
        write_atomically(&self.dir.join(PUBLISHED), &json)
            .map_err(|e| failed(&format!("cannot write to {}", self.dir.display()), &e))?;
        Ok(measured)
    }

    /// One ffmpeg run from segment `first` to the end.
    fn run(
        &self,
        first: usize,
        status: &Mutex<RungStatus>,
        cancel: &AtomicBool,
    ) -> Result<(), LadderError> {
        let failed = |e: String| LadderError::Failed(e);
        let _ = std::fs::remove_dir_all(self.work);
        std::fs::create_dir_all(self.work)
            .map_err(|e| failed(format!("cannot create {}: {e}", self.work.display())))?;
        let _cleanup = RemoveDir(self.work.to_path_buf());
        let cuts = self.title.cut_secs();
        let start = cuts.get(first).copied().unwrap_or(0.0);
        let progress_file = self.work.join("progress.txt");
        let mut args: Vec<std::ffi::OsString> =
            vec!["-progress".into(), progress_file.clone().into_os_string()];
        args.extend(segment_args(&SegmentRun {
            source: &self.title.source,
            position: self.spec.position,
            rendition: self.spec.rendition,
            start,
            cuts: &cuts,
            first_segment: first,
            source_height: self.spec.source_height,
            sample_rate: self.spec.sample_rate,
            preset: self.preset,
            encoder: self.encoder,
            out_dir: self.work,
            // Ladders carry no subtitles burnt in: picture subtitles are a just-in-time choice.
            picture_since: None,
            burn: None,
        }));
        let mut command = Command::new(&self.ffmpeg.path);
        command.args(&args);
        let log = self.work.join("stderr.log");
        let process = Process::spawn(command, &log)
            .map_err(|e| failed(format!("cannot start {}: {e}", self.ffmpeg.path.display())))?;
        let set = |f: &dyn Fn(&mut RungStatus)| {
            if let Ok(mut s) = status.lock() {
                f(&mut s);
            }
        };
        set(&|s| s.pid = Some(process.pid()));
        let list = self.work.join(SEGMENT_LIST);
        let mut handled = 0usize;
        let result = loop {
            if cancel.load(Ordering::Relaxed) {
                break Err(LadderError::Cancelled);
            }
            let exited = process.exited();
            // Once ffmpeg has exited, the list is complete.
            let listed = std::fs::read_to_string(&list).unwrap_or_default();
            for e in parse_segment_list(&listed).iter().skip(handled) {
                self.store(e.number, start + e.start)?;
                handled += 1;
                let done = count_done(self.dir, self.title.starts.len());
                set(&|s| s.segments_done = done);
            }
            if let Ok(text) = std::fs::read_to_string(&progress_file) {
                let (fps, speed) = parse_progress(&text);
                set(&|s| {
                    s.fps = fps;
                    s.speed = speed;
                });
            }
            if let Some(code) = exited {
                break if code.success() {
                    Ok(())
                } else {
                    let stderr = std::fs::read_to_string(&log).unwrap_or_default();
                    let tail: String = stderr.lines().rev().take(3).collect::<Vec<_>>().join(" / ");
                    Err(failed(format!(
                        "ffmpeg {} making {} ended with {code}{}",
                        process.pid(),
                        self.spec.rendition,
                        if tail.is_empty() {
                            String::new()
                        } else {
                            format!(": {tail}")
                        }
                    )))
                };
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        // Gone before the status says so: a cancel answers only once ffmpeg has stopped.
        process.kill_and_wait(Duration::from_secs(2));
        set(&|s| s.pid = None);
        result
    }

    /// Repackages ffmpeg's file for segment `n` (starting `at` seconds into the source) and
    /// writes it, and the init segment once, atomically.
    fn store(&self, n: usize, at: f64) -> Result<(), LadderError> {
        let file = self.work.join(format!("{n}.mp4"));
        let video = self.spec.rendition.is_video();
        let placement = Placement {
            track_id: self.spec.track_id,
            kind: if video {
                TrackKind::Video
            } else {
                TrackKind::Audio
            },
            timescale: video.then_some(self.title.timescale),
            base: if video {
                Base::Ticks(self.title.starts.get(n).copied().unwrap_or(0))
            } else {
                Base::Seconds(at)
            },
            n,
            planned_duration: if video {
                self.title.durations.get(n).copied()
            } else {
                None
            },
        };
        let r = repackage(&file, placement).map_err(|e| {
            LadderError::Failed(format!("segment {n} of {}: {e}", self.spec.rendition))
        })?;
        let _ = std::fs::remove_file(&file);
        let write = |name: String, bytes: &[u8]| {
            write_atomically(&self.dir.join(&name), bytes).map_err(|e| {
                LadderError::Failed(format!(
                    "cannot write {}: {e}",
                    self.dir.join(&name).display()
                ))
            })
        };
        if !self.dir.join("init.mp4").is_file() {
            write("init.mp4".into(), &r.init)?;
        }
        write(format!("{n}.m4s"), &r.segment)
    }

    /// Measures the finished files.
    fn measure(&self) -> Result<Measured, String> {
        let init = self.dir.join("init.mp4");
        let index = build_index_path(&init).map_err(|e| format!("{}: {e}", init.display()))?;
        let track = index
            .tracks
            .first()
            .ok_or_else(|| format!("{} has no track", init.display()))?;
        let (mut peak, mut bytes, mut secs) = (0f64, 0u64, 0f64);
        let n = self.title.starts.len();
        for i in 0..n {
            let size = std::fs::metadata(self.dir.join(format!("{i}.m4s")))
                .map_err(|e| format!("segment {i}: {e}"))?
                .len();
            let d = self
                .title
                .secs(self.title.durations.get(i).copied().unwrap_or(0) as i64);
            // A last segment of a few frames would make a meaningless peak.
            if d >= 0.5 || n == 1 {
                peak = peak.max(size as f64 * 8.0 / d.max(0.001));
            }
            bytes += size;
            secs += d;
        }
        let frame_rate = if self.spec.rendition.is_video() {
            self.first_segment_frame_rate()
        } else {
            None
        };
        Ok(Measured {
            track_id: self.spec.track_id,
            rendition: self.spec.rendition.to_string(),
            codec: track
                .codec_string
                .clone()
                .unwrap_or_else(|| self.spec.rendition.codec_string().to_string()),
            width: track.codec_config.width,
            height: track.codec_config.height,
            channels: track.codec_config.channels,
            frame_rate,
            peak_bps: peak.ceil() as u64,
            average_bps: if secs > 0.0 {
                (bytes as f64 * 8.0 / secs).ceil() as u64
            } else {
                0
            },
            segments: n,
            bytes,
        })
    }

    /// Frames per second of segment 0, read back through the init segment.
    fn first_segment_frame_rate(&self) -> Option<f64> {
        let joined = self.work.join("first.mp4");
        std::fs::create_dir_all(self.work).ok()?;
        let _cleanup = RemoveDir(self.work.to_path_buf());
        let mut bytes = std::fs::read(self.dir.join("init.mp4")).ok()?;
        bytes.extend(std::fs::read(self.dir.join("0.m4s")).ok()?);
        std::fs::write(&joined, bytes).ok()?;
        let index = build_index_path(&joined).ok()?;
        let t = index.tracks.first()?;
        let d = t.duration();
        (d > 0 && !t.samples.is_empty())
            .then(|| t.samples.len() as f64 * f64::from(t.timescale) / d as f64)
    }
}

/// The latest `fps` and `speed` of ffmpeg's `-progress` output.
pub fn parse_progress(text: &str) -> (f64, f64) {
    let last = |key: &str| {
        text.lines()
            .rev()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.trim().trim_end_matches('x').parse::<f64>().ok())
            .filter(|v| v.is_finite())
            .unwrap_or(0.0)
    };
    (last("fps="), last("speed="))
}

struct RemoveDir(PathBuf);

impl Drop for RemoveDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One level of a ladder's master playlist.
#[derive(Debug, Clone, PartialEq)]
pub struct Level {
    /// The media playlist, relative to the master.
    pub uri: String,
    pub codec: String,
    pub peak_bps: u64,
    pub average_bps: u64,
    pub width: u32,
    pub height: u32,
    pub frame_rate: Option<f64>,
}

/// The audio every level plays with.
#[derive(Debug, Clone, PartialEq)]
pub struct LadderAudio {
    pub uri: String,
    pub name: String,
    pub language: Option<String>,
    pub codec: String,
    pub peak_bps: u64,
    pub average_bps: u64,
    pub channels: u32,
}

/// The HLS master playlist of a ladder: one variant per level, highest first, each with the
/// audio's bitrate added and both codecs.
pub fn ladder_master(levels: &[Level], audio: &LadderAudio) -> String {
    let quoted = |s: &str| s.replace(['"', '\n', '\r'], "'");
    let mut m = String::from("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n");
    let _ = write!(
        m,
        "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"audio\",NAME=\"{}\"",
        quoted(&audio.name)
    );
    if let Some(l) = &audio.language {
        let _ = write!(m, ",LANGUAGE=\"{}\"", quoted(l));
    }
    let _ = write!(m, ",DEFAULT=YES,AUTOSELECT=YES");
    if audio.channels > 0 {
        let _ = write!(m, ",CHANNELS=\"{}\"", audio.channels);
    }
    let _ = writeln!(m, ",URI=\"{}\"", audio.uri);
    let mut sorted: Vec<&Level> = levels.iter().collect();
    sorted.sort_by_key(|l| std::cmp::Reverse(l.peak_bps));
    for l in sorted {
        let _ = write!(
            m,
            "#EXT-X-STREAM-INF:BANDWIDTH={},AVERAGE-BANDWIDTH={},CODECS=\"{},{}\",RESOLUTION={}x{}",
            l.peak_bps + audio.peak_bps,
            l.average_bps + audio.average_bps,
            quoted(&l.codec),
            quoted(&audio.codec),
            l.width,
            l.height
        );
        if let Some(f) = l.frame_rate {
            let _ = write!(m, ",FRAME-RATE={f:.3}");
        }
        let _ = writeln!(m, ",AUDIO=\"audio\"\n{}", l.uri);
    }
    m
}

/// The static DASH MPD of a ladder: one video AdaptationSet with a Representation per level
/// (each a ladder rung, `r/…/playlist.m3u8` in its `uri`) and the audio, all on `plan`.
/// `audio_source_rate` is the source audio's sample rate (the AAC rung keeps it when it can).
pub fn ladder_mpd(
    plan: &marquee_media::SegmentPlan,
    levels: &[Level],
    audio: &LadderAudio,
    audio_source_rate: u32,
) -> String {
    use crate::manifest::{timeline, transcoded_timeline, xml};
    let mut m = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        m,
        "<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\" profiles=\"urn:mpeg:dash:profile:isoff-live:2011\" \
         type=\"static\" mediaPresentationDuration=\"PT{:.3}S\" minBufferTime=\"PT{}S\">",
        plan.total_seconds().max(0.0),
        plan.target_duration()
    );
    m.push_str("  <Period id=\"0\" start=\"PT0S\">\n");
    let dir = |uri: &str| uri.trim_end_matches("/playlist.m3u8").to_string();
    let template = |m: &mut String, dir: &str, r: Rendition, rate: u32| {
        let (timescale, first, durations) = transcoded_timeline(plan, r, rate);
        let _ = writeln!(
            m,
            "        <SegmentTemplate timescale=\"{timescale}\" initialization=\"{dir}/init.mp4\" media=\"{dir}/$Number$.m4s\" startNumber=\"0\">"
        );
        timeline(m, first, durations.into_iter());
        m.push_str("        </SegmentTemplate>\n      </Representation>\n");
    };
    m.push_str("    <AdaptationSet id=\"1\" contentType=\"video\" mimeType=\"video/mp4\" segmentAlignment=\"true\" startWithSAP=\"1\">\n");
    let mut sorted: Vec<&Level> = levels.iter().collect();
    sorted.sort_by_key(|l| std::cmp::Reverse(l.peak_bps));
    for l in sorted {
        let d = dir(&l.uri);
        let _ = write!(
            m,
            "      <Representation id=\"{}\" bandwidth=\"{}\" codecs=\"{}\" width=\"{}\" height=\"{}\"",
            xml(&d.replace('/', "-")),
            l.peak_bps,
            xml(&l.codec),
            l.width,
            l.height
        );
        if let Some(f) = l.frame_rate {
            let _ = write!(m, " frameRate=\"{}\"", (f * 1000.0).round() / 1000.0);
        }
        m.push_str(">\n");
        template(&mut m, &d, Rendition::H264 { height: l.height }, 0);
    }
    m.push_str("    </AdaptationSet>\n");
    let _ = write!(
        m,
        "    <AdaptationSet id=\"2\" contentType=\"audio\" mimeType=\"audio/mp4\" segmentAlignment=\"true\" startWithSAP=\"1\""
    );
    if let Some(l) = &audio.language {
        let _ = write!(m, " lang=\"{}\"", xml(l));
    }
    let d = dir(&audio.uri);
    let _ = writeln!(
        m,
        ">\n      <Representation id=\"{}\" bandwidth=\"{}\" codecs=\"{}\">\n        <AudioChannelConfiguration schemeIdUri=\"urn:mpeg:dash:23003:3:audio_channel_configuration:2011\" value=\"{}\"/>",
        xml(&d.replace('/', "-")),
        audio.peak_bps,
        xml(&audio.codec),
        audio.channels.max(1)
    );
    template(&mut m, &d, Rendition::AacStereo, audio_source_rate);
    m.push_str("    </AdaptationSet>\n  </Period>\n</MPD>\n");
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rungs_stay_at_or_below_the_source() {
        let h = |r: Vec<Rendition>| -> Vec<String> { r.iter().map(|r| r.to_string()).collect() };
        assert_eq!(
            h(ladder_rungs(1080, &[])),
            ["h264-1080", "h264-720", "h264-480", "h264-360"]
        );
        assert_eq!(
            h(ladder_rungs(800, &[])),
            ["h264-720", "h264-480", "h264-360"]
        );
        assert_eq!(
            h(ladder_rungs(480, &[240, 480, 360, 481])),
            ["h264-480", "h264-360", "h264-240"]
        );
        assert_eq!(h(ladder_rungs(240, &[])), ["h264-240"]);
        assert!(ladder_rungs(0, &[]).is_empty());
    }

    #[test]
    fn ffmpeg_progress() {
        let text = "frame=10\nfps=12.5\nspeed=0.5x\nprogress=continue\nframe=40\nfps=33.0\nspeed=1.32x\nprogress=continue\n";
        assert_eq!(parse_progress(text), (33.0, 1.32));
        assert_eq!(parse_progress("speed=N/A\n"), (0.0, 0.0));
    }

    #[test]
    fn master_lists_every_level_with_audio_added() {
        let level = |h: u32, peak: u64| Level {
            uri: format!("r/1/h264-{h}/playlist.m3u8"),
            codec: "avc1.64001e".into(),
            peak_bps: peak,
            average_bps: peak / 2,
            width: h * 16 / 9,
            height: h,
            frame_rate: Some(25.0),
        };
        let audio = LadderAudio {
            uri: "r/2/aac/playlist.m3u8".into(),
            name: "English".into(),
            language: Some("en".into()),
            codec: "mp4a.40.2".into(),
            peak_bps: 130_000,
            average_bps: 128_000,
            channels: 2,
        };
        let m = ladder_master(&[level(360, 400_000), level(480, 900_000)], &audio);
        let first = m.find("h264-480").unwrap();
        assert!(first < m.find("h264-360").unwrap(), "{m}");
        assert!(m.contains("BANDWIDTH=1030000,AVERAGE-BANDWIDTH=578000,CODECS=\"avc1.64001e,mp4a.40.2\",RESOLUTION=853x480,FRAME-RATE=25.000,AUDIO=\"audio\"\nr/1/h264-480/playlist.m3u8\n"), "{m}");
        assert!(
            m.contains("CHANNELS=\"2\",URI=\"r/2/aac/playlist.m3u8\""),
            "{m}"
        );
    }
}
