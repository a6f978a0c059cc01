//! ffmpeg command lines, as pure functions of what is asked for.
//!
//! A just-in-time run starts at a segment's cut: `-ss` before `-i`, so ffmpeg seeks in the
//! source (a seek never decodes from zero) and output time 0 is that cut. It maps one track,
//! forces keyframes at the following cuts of the source's segment plan and has the segment
//! muxer cut its output at the same times, one fragmented MP4 per planned segment
//! (`N.mp4`, numbered as the plan numbers them), and logs each finished file to a CSV list.

use std::ffi::OsString;
use std::path::Path;

use crate::burn::BurnIn;
use crate::decide::{nominal_bitrate, Rendition, AAC_BITRATE};

/// Name of the CSV list the segment muxer appends `file,start,end` to as each file is finished.
pub const SEGMENT_LIST: &str = "segments.csv";

/// Cut times are written this much early: the keyframe or packet *at* a cut must fall on the new
/// side even after ffmpeg rounds times to its own time bases (less than a frame at 240 fps).
const EARLY: f64 = 0.002;

/// The H.264 encoder a video rendition uses.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum VideoEncoder {
    /// libx264 on the CPU.
    #[default]
    Software,
    /// VA-API (Intel, AMD) on a DRM render node.
    Vaapi { device: String },
    /// NVIDIA NVENC.
    Nvenc,
    /// Intel Quick Sync.
    Qsv,
}

impl VideoEncoder {
    /// Parses a configured name (`vaapi`, `nvenc`, `qsv`, `software`/`none`); a VA-API device
    /// other than the first render node can follow a colon (`vaapi:/dev/dri/renderD129`).
    pub fn parse(s: &str) -> Option<VideoEncoder> {
        let (name, arg) = s.trim().split_once(':').unwrap_or((s.trim(), ""));
        Some(match name.to_ascii_lowercase().as_str() {
            "software" | "none" | "" => VideoEncoder::Software,
            "vaapi" => VideoEncoder::Vaapi {
                device: if arg.is_empty() {
                    "/dev/dri/renderD128".into()
                } else {
                    arg.into()
                },
            },
            "nvenc" => VideoEncoder::Nvenc,
            "qsv" => VideoEncoder::Qsv,
            _ => return None,
        })
    }

    /// ffmpeg's name of the encoder.
    pub fn codec(&self) -> &'static str {
        match self {
            VideoEncoder::Software => "libx264",
            VideoEncoder::Vaapi { .. } => "h264_vaapi",
            VideoEncoder::Nvenc => "h264_nvenc",
            VideoEncoder::Qsv => "h264_qsv",
        }
    }

    /// Options before `-i` (the VA-API device).
    fn input_args(&self) -> Vec<String> {
        match self {
            VideoEncoder::Vaapi { device } => vec!["-vaapi_device".into(), device.clone()],
            _ => Vec::new(),
        }
    }

    /// The filter chain's tail after scaling: the pixel format, and the upload to the GPU.
    fn filter_tail(&self) -> &'static str {
        match self {
            VideoEncoder::Vaapi { .. } => "format=nv12,hwupload",
            VideoEncoder::Qsv => "format=nv12",
            _ => "format=yuv420p",
        }
    }

    /// Rate and speed options for `preset` (libx264's name; hardware encoders get their fastest).
    fn quality_args(&self, preset: &str) -> Vec<String> {
        let v = |a: &[&str]| a.iter().map(|s| s.to_string()).collect();
        match self {
            VideoEncoder::Software => v(&["-preset", preset, "-crf", "23"]),
            VideoEncoder::Vaapi { .. } => v(&["-qp", "23"]),
            VideoEncoder::Nvenc => v(&[
                "-preset",
                "p1",
                "-rc",
                "vbr",
                "-cq",
                "23",
                "-forced-idr",
                "1",
            ]),
            VideoEncoder::Qsv => v(&["-preset", "veryfast", "-global_quality", "23"]),
        }
    }

    /// A one-second test encode: whether this encoder works on this machine.
    pub fn test_args(&self) -> Vec<String> {
        let mut a: Vec<String> = ["-hide_banner", "-nostdin", "-loglevel", "error"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        a.extend(self.input_args());
        a.extend(
            [
                "-f",
                "lavfi",
                "-i",
                "testsrc2=size=320x180:rate=25:duration=1",
                "-vf",
            ]
            .iter()
            .map(|s| s.to_string()),
        );
        a.push(self.filter_tail().into());
        a.extend([
            "-c:v".into(),
            self.codec().into(),
            "-f".into(),
            "null".into(),
            "-".into(),
        ]);
        a
    }
}

/// One just-in-time run of ffmpeg for one track.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentRun<'a> {
    pub source: &'a Path,
    /// The track's position among the source's tracks of its kind (video or audio), in file
    /// order: ffmpeg's `0:v:N` / `0:a:N` (Matroska streams have no ids to map by).
    pub position: usize,
    pub rendition: Rendition,
    /// Where the run starts in the source, in seconds (the cut of `first_segment`).
    pub start: f64,
    /// The following cuts, in seconds of the source, ascending.
    pub cuts: &'a [f64],
    /// The plan's number of the segment at `start`.
    pub first_segment: usize,
    /// The video's height in the source (no upscaling).
    pub source_height: u32,
    /// The source audio's sample rate (kept when AAC supports it).
    pub sample_rate: u32,
    /// x264 preset (`ultrafast` … `medium`).
    pub preset: &'a str,
    pub encoder: &'a VideoEncoder,
    pub out_dir: &'a Path,
    /// When the burnt subtitle's last picture at or before `start` began (seconds of the
    /// source), if the index knows: the subtitle input is opened early enough to show it.
    pub picture_since: Option<f64>,
    /// An image subtitle track drawn into the video.
    pub burn: Option<BurnIn>,
}

/// Sample rates an AAC-LC encoder takes as they are.
const AAC_RATES: &[u32] = &[8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000];

/// The sample rate an AAC rendition of audio at `source_rate` has.
pub fn aac_rate(source_rate: u32) -> u32 {
    if AAC_RATES.contains(&source_rate) {
        source_rate
    } else {
        48_000
    }
}

fn secs(t: f64) -> String {
    format!("{:.6}", t.max(0.0))
}

/// The arguments of `ffmpeg` (without the program name) for `run`.
pub fn segment_args(run: &SegmentRun<'_>) -> Vec<OsString> {
    let mut a: Vec<OsString> = Vec::new();
    let mut push = |s: &str| a.push(s.into());
    for s in ["-hide_banner", "-nostdin", "-loglevel", "error", "-y"] {
        push(s);
    }
    if run.rendition.is_video() {
        for s in run.encoder.input_args() {
            push(&s);
        }
    }
    if run.start > 0.0 {
        push("-ss");
        push(&secs(run.start));
    }
    push("-i");
    a.push(run.source.as_os_str().to_owned());
    let burn = run.burn.filter(|_| run.rendition.is_video()).map(|b| {
        let (input, lead) = b.input_args(run.source, run.start, run.picture_since);
        a.extend(input);
        (b, lead)
    });
    let mut push = |s: &str| a.push(s.into());
    push("-map");
    let kind = if run.rendition.is_video() { 'v' } else { 'a' };
    match burn {
        Some(_) => push("[v]"),
        None => push(&format!("0:{kind}:{}", run.position)),
    }
    for s in ["-sn", "-dn", "-map_metadata", "-1", "-map_chapters", "-1"] {
        push(s);
    }
    // Relative to the run's start: output time 0 is `start`.
    let relative: Vec<String> = run
        .cuts
        .iter()
        .filter(|c| **c > run.start)
        .map(|c| secs(c - run.start - EARLY))
        .collect();
    match run.rendition {
        Rendition::H264 { height } => {
            let rate = nominal_bitrate(run.rendition);
            let mut filter = String::new();
            if run.source_height > height {
                filter.push_str(&format!("scale=-2:{height},"));
            }
            filter.push_str(run.encoder.filter_tail());
            push("-an");
            match burn {
                Some((b, lead)) => {
                    push("-filter_complex");
                    push(&b.graph(run.position, lead, &filter));
                }
                None => {
                    push("-vf");
                    push(&filter);
                }
            }
            push("-c:v");
            push(run.encoder.codec());
            for s in run.encoder.quality_args(run.preset) {
                push(&s);
            }
            let level = if height > 1080 { "5.1" } else { "4.1" };
            for s in ["-profile:v", "high", "-level:v", level] {
                push(s);
            }
            push("-maxrate");
            push(&rate.to_string());
            push("-bufsize");
            push(&(rate * 2).to_string());
            // No B-frames: presentation order is decode order, so a segment's first frame is
            // its keyframe and its decode time is the plan's cut.
            push("-bf");
            push("0");
            if !relative.is_empty() {
                push("-force_key_frames");
                push(&relative.join(","));
            }
        }
        Rendition::AacStereo => {
            let rate = aac_rate(run.sample_rate);
            for s in ["-vn", "-c:a", "aac", "-ac", "2"] {
                push(s);
            }
            push("-ar");
            push(&rate.to_string());
            push("-b:a");
            push(&AAC_BITRATE.to_string());
        }
    }
    push("-f");
    push("segment");
    if !relative.is_empty() {
        push("-segment_times");
        push(&relative.join(","));
    }
    push("-segment_start_number");
    push(&run.first_segment.to_string());
    for s in [
        "-segment_format",
        "mp4",
        "-segment_format_options",
        "movflags=+frag_keyframe+empty_moov+default_base_moof",
        "-segment_list_type",
        "csv",
        "-segment_list",
    ] {
        push(s);
    }
    a.push(run.out_dir.join(SEGMENT_LIST).into_os_string());
    a.push(run.out_dir.join("%d.mp4").into_os_string());
    a
}

/// One line of the segment list: a finished file and where it starts and ends, in seconds
/// after the run's start.
#[derive(Debug, Clone, PartialEq)]
pub struct ListedSegment {
    pub file: String,
    pub number: usize,
    pub start: f64,
    pub end: f64,
}

/// Parses the complete lines of the segment list (a last line without its newline is still
/// being written and is left for the next read).
pub fn parse_segment_list(text: &str) -> Vec<ListedSegment> {
    let complete = match text.rfind('\n') {
        Some(i) => &text[..i],
        None => return Vec::new(),
    };
    complete
        .lines()
        .filter_map(|line| {
            let mut f = line.rsplitn(3, ',');
            let end: f64 = f.next()?.trim().parse().ok()?;
            let start: f64 = f.next()?.trim().parse().ok()?;
            let file = f.next()?.trim().to_string();
            let number = file.strip_suffix(".mp4")?.parse().ok()?;
            Some(ListedSegment {
                file,
                number,
                start,
                end,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(a: &[OsString]) -> Vec<String> {
        a.iter().map(|s| s.to_string_lossy().into_owned()).collect()
    }

    fn after<'a>(a: &'a [String], flag: &str) -> &'a str {
        let i = a.iter().position(|s| s == flag).unwrap();
        &a[i + 1]
    }

    #[test]
    fn video_run_seeks_and_cuts_on_the_plan() {
        let cuts = [4.0, 6.0, 8.5, 12.0];
        let run = SegmentRun {
            source: Path::new("/m/film.mkv"),
            position: 0,
            rendition: Rendition::H264 { height: 720 },
            start: 6.0,
            cuts: &cuts,
            first_segment: 3,
            source_height: 1080,
            sample_rate: 0,
            preset: "veryfast",
            encoder: &VideoEncoder::Software,
            out_dir: Path::new("/w/run"),
            picture_since: None,
            burn: None,
        };
        let a = strings(&segment_args(&run));
        // -ss comes before -i: an input seek.
        let ss = a.iter().position(|s| s == "-ss").unwrap();
        let i = a.iter().position(|s| s == "-i").unwrap();
        assert!(ss < i);
        assert_eq!(after(&a, "-ss"), "6.000000");
        assert_eq!(after(&a, "-map"), "0:v:0");
        assert_eq!(after(&a, "-vf"), "scale=-2:720,format=yuv420p");
        assert_eq!(after(&a, "-force_key_frames"), "2.498000,5.998000");
        assert_eq!(after(&a, "-segment_times"), "2.498000,5.998000");
        assert_eq!(after(&a, "-segment_start_number"), "3");
        assert_eq!(after(&a, "-bf"), "0");
        assert_eq!(after(&a, "-maxrate"), "3000000");
        assert_eq!(a.last().unwrap(), "/w/run/%d.mp4");
        assert_eq!(after(&a, "-segment_list"), "/w/run/segments.csv");
    }

    #[test]
    fn burnt_run_overlays_a_second_input_on_the_same_cuts() {
        let cuts = [0.0, 6.0, 12.0];
        let run = SegmentRun {
            source: Path::new("/m/film.mkv"),
            position: 0,
            rendition: Rendition::H264 { height: 720 },
            start: 6.0,
            cuts: &cuts,
            first_segment: 1,
            source_height: 1080,
            sample_rate: 0,
            preset: "veryfast",
            encoder: &VideoEncoder::Software,
            out_dir: Path::new("/w/run"),
            picture_since: None,
            burn: Some(BurnIn {
                track_id: 5,
                position: 1,
            }),
        };
        let a = strings(&segment_args(&run));
        let inputs: Vec<usize> = (0..a.len()).filter(|i| a[*i] == "-i").collect();
        assert_eq!(inputs.len(), 2, "{a:?}");
        assert_eq!(a[inputs[1] + 1], "/m/film.mkv");
        assert_eq!(after(&a, "-map"), "[v]");
        assert!(!a.contains(&"-vf".to_string()));
        assert_eq!(
            after(&a, "-filter_complex"),
            "[1:s:1]setpts=PTS-6.000000/TB[subs];[0:v:0][subs]overlay=repeatlast=0,scale=-2:720,format=yuv420p[v]"
        );
        assert_eq!(after(&a, "-force_key_frames"), "5.998000");
        // Audio renditions ignore it.
        let audio = SegmentRun {
            rendition: Rendition::AacStereo,
            ..run
        };
        let a = strings(&segment_args(&audio));
        assert_eq!(a.iter().filter(|s| *s == "-i").count(), 1);
        assert_eq!(after(&a, "-map"), "0:a:0");
    }

    #[test]
    fn audio_run_from_zero_keeps_a_supported_rate() {
        let cuts = [0.0, 6.0];
        let mut run = SegmentRun {
            source: Path::new("a.mkv"),
            position: 1,
            rendition: Rendition::AacStereo,
            start: 0.0,
            cuts: &cuts,
            first_segment: 0,
            source_height: 0,
            sample_rate: 44_100,
            preset: "veryfast",
            encoder: &VideoEncoder::Software,
            out_dir: Path::new("w"),
            picture_since: None,
            burn: None,
        };
        let a = strings(&segment_args(&run));
        assert!(!a.contains(&"-ss".to_string()));
        assert_eq!(after(&a, "-map"), "0:a:1");
        assert!(!a.contains(&"-force_key_frames".to_string()));
        assert_eq!(after(&a, "-ar"), "44100");
        assert_eq!(after(&a, "-ac"), "2");
        assert_eq!(after(&a, "-segment_times"), "5.998000");
        run.sample_rate = 96_000;
        assert_eq!(after(&strings(&segment_args(&run)), "-ar"), "48000");
    }

    #[test]
    fn no_upscaling() {
        let run = SegmentRun {
            source: Path::new("a.mkv"),
            position: 0,
            rendition: Rendition::H264 { height: 240 },
            start: 0.0,
            cuts: &[],
            first_segment: 0,
            source_height: 240,
            sample_rate: 0,
            preset: "ultrafast",
            encoder: &VideoEncoder::Software,
            out_dir: Path::new("w"),
            picture_since: None,
            burn: None,
        };
        assert_eq!(
            after(&strings(&segment_args(&run)), "-vf"),
            "format=yuv420p"
        );
    }

    #[test]
    fn hardware_encoders() {
        let vaapi = VideoEncoder::parse("vaapi").unwrap();
        let run = SegmentRun {
            source: Path::new("a.mkv"),
            position: 0,
            rendition: Rendition::H264 { height: 720 },
            start: 6.0,
            cuts: &[6.0, 12.0],
            first_segment: 1,
            source_height: 1080,
            sample_rate: 0,
            preset: "veryfast",
            encoder: &vaapi,
            out_dir: Path::new("w"),
            picture_since: None,
            burn: None,
        };
        let a = strings(&segment_args(&run));
        assert_eq!(after(&a, "-vaapi_device"), "/dev/dri/renderD128");
        let at = |f: &str| a.iter().position(|s| s == f).unwrap();
        assert!(at("-vaapi_device") < at("-i"));
        assert_eq!(after(&a, "-vf"), "scale=-2:720,format=nv12,hwupload");
        assert_eq!(after(&a, "-c:v"), "h264_vaapi");
        assert!(!a.contains(&"-crf".to_string()));
        assert_eq!(after(&a, "-force_key_frames"), "5.998000");
        assert_eq!(VideoEncoder::parse("NVENC"), Some(VideoEncoder::Nvenc));
        assert_eq!(
            VideoEncoder::parse("vaapi:/dev/dri/renderD129"),
            Some(VideoEncoder::Vaapi {
                device: "/dev/dri/renderD129".into()
            })
        );
        assert_eq!(VideoEncoder::parse("quantum"), None);
        assert!(VideoEncoder::Qsv
            .test_args()
            .contains(&"h264_qsv".to_string()));
    }

    #[test]
    fn segment_list_lines() {
        let text = "2.mp4,0.000000,2.000000\n3.mp4,2.000000,4.005333\n4.mp4,4.0";
        let l = parse_segment_list(text);
        assert_eq!(l.len(), 2);
        assert_eq!(l[1].number, 3);
        assert_eq!(l[1].start, 2.0);
        assert_eq!(l[1].end, 4.005333);
        assert!(parse_segment_list("2.mp4,0,1").is_empty());
        assert!(parse_segment_list("junk\n").is_empty());
    }
}
