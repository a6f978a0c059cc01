//! Image subtitles (PGS, VobSub, DVB) burnt into a just-in-time video rendition.
//!
//! Pictures cannot become WebVTT, so a viewer who picks one gets the video transcoded with the
//! subtitle drawn over it. A burnt rendition is named after its subtitle (`h264-720+s5`): it has
//! its own playlist folder and its own cache entries, on the source's one segment plan. PGS and
//! VobSub take the same path: ffmpeg decodes either into pictures and `overlay` draws them.

use std::ffi::OsString;
use std::path::Path;

use marquee_media::{SampleIndex, TrackKind};

use crate::decide::{renditions, Decision, Delivery, Rendition};

/// Between a rendition's name and the subtitle track id burnt into it.
const SEPARATOR: &str = "+s";

/// How far before a run's start the subtitles are read: a cue shown across the cut (up to this
/// long) is on the first segment of a run too, whichever segment the run starts at.
pub const LOOKBACK_SECS: f64 = 30.0;

/// A subtitle track burnt into a video rendition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BurnIn {
    pub track_id: u32,
    /// Position among the source's subtitle tracks: ffmpeg's `s:N`.
    pub position: usize,
}

impl BurnIn {
    /// Track `track_id` of `index`, when it is an image subtitle track.
    pub fn of(index: &SampleIndex, track_id: u32) -> Option<BurnIn> {
        let mut subtitles = index
            .tracks
            .iter()
            .filter(|t| t.kind == TrackKind::Subtitle);
        let position = subtitles.position(|t| t.track_id == track_id)?;
        let track = index.track(track_id)?;
        track
            .is_image_subtitle()
            .then_some(BurnIn { track_id, position })
    }

    /// ffmpeg's second input: the source again, opened up to [`LOOKBACK_SECS`] before `start`
    /// (the video's input starts exactly at `start`), or a second before `picture_since` when
    /// the picture shown at `start` began earlier than that. Returns the arguments and how far
    /// before `start` that input begins.
    pub fn input_args(
        &self,
        source: &Path,
        start: f64,
        picture_since: Option<f64>,
    ) -> (Vec<OsString>, f64) {
        let mut from = start - LOOKBACK_SECS;
        if let Some(since) = picture_since.filter(|t| t.is_finite()) {
            from = from.min(since - 1.0);
        }
        let from = from.max(0.0);
        let mut a: Vec<OsString> = Vec::new();
        if from > 0.0 {
            a.push("-ss".into());
            a.push(format!("{from:.6}").into());
        }
        a.push("-i".into());
        a.push(source.as_os_str().to_owned());
        (a, start - from)
    }

    /// The filter graph: the subtitle pictures moved onto the video's clock (`lead` seconds
    /// earlier, see [`BurnIn::input_args`]) and overlaid on video track `video_position` at
    /// the source's size, then `tail` (scaling, pixel format); its output is `[v]`. The
    /// video alone sets the pace (`repeatlast=0`): a last cue without an end (VobSub made from
    /// PGS can have one) must not stretch the video's last frame.
    pub fn graph(&self, video_position: usize, lead: f64, tail: &str) -> String {
        format!(
            "[1:s:{}]setpts=PTS-{lead:.6}/TB[subs];[0:v:{video_position}][subs]overlay=repeatlast=0,{tail}[v]",
            self.position
        )
    }
}

/// The path form of a video rendition with `burn` drawn in: `h264-720` or `h264-720+s5`.
pub fn rendition_name(r: Rendition, burn: Option<u32>) -> String {
    match burn {
        Some(s) => format!("{r}{SEPARATOR}{s}"),
        None => r.to_string(),
    }
}

/// Parses [`rendition_name`]'s form (only video renditions have subtitles burnt in).
pub fn parse_rendition_name(s: &str) -> Option<(Rendition, Option<u32>)> {
    match s.split_once(SEPARATOR) {
        Some((r, id)) => {
            let r = Rendition::parse(r)?;
            // Digits only: one spelling per rendition (no `+s05`, `+s+5`).
            let plain = !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) && id.len() < 10;
            (plain && !id.starts_with('0') && r.is_video()).then_some(())?;
            Some((r, Some(id.parse().ok()?)))
        }
        None => Some((Rendition::parse(s)?, None)),
    }
}

/// The choice (see [`Decision::choice`]) that shows image subtitle `subtitle` burnt in: the
/// client's own, with its video transcoded — at the height the decision chose, or the highest
/// the server makes when the client plays the original — and the subtitle drawn in. `None` when
/// the video cannot be transcoded (no ffmpeg, no video).
pub fn burn_choice(
    decision: &Decision,
    index: &SampleIndex,
    subtitle: u32,
    max_height: u32,
) -> Option<String> {
    BurnIn::of(index, subtitle)?;
    let mut d = decision.clone();
    let video = d
        .tracks
        .iter_mut()
        .find(|t| t.kind == TrackKind::Video && t.delivery != Delivery::Unavailable)?;
    let rendition = match (video.delivery, video.rendition) {
        (Delivery::Transcode, Some(r)) => r,
        _ => {
            let height = index.track(video.track_id)?.codec_config.height;
            *renditions(height.max(96), Some(max_height)).first()?
        }
    };
    video.delivery = Delivery::Transcode;
    video.rendition = Some(rendition);
    let id = video.track_id;
    // Direct play of the original is off the table: every other track as the client has it.
    for t in &mut d.tracks {
        if t.delivery == Delivery::Direct {
            t.delivery = Delivery::Remux;
        }
    }
    let plain = format!("{id}.{rendition}");
    let burnt = format!("{id}.{}", rendition_name(rendition, Some(subtitle)));
    let parts: Vec<String> = d
        .choice()
        .split(',')
        .map(|p| if p == plain { burnt.clone() } else { p.into() })
        .collect();
    Some(parts.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decide::{parse_choice, TrackDecision};
    use marquee_media::{CodecConfig, Container, TrackIndex};

    fn track(id: u32, kind: TrackKind, codec: &str) -> TrackIndex {
        TrackIndex {
            track_id: id,
            kind,
            codec: codec.into(),
            codec_string: None,
            language: None,
            name: None,
            default: false,
            timescale: 1000,
            codec_config: CodecConfig {
                height: if kind == TrackKind::Video { 1080 } else { 0 },
                ..CodecConfig::default()
            },
            unsupported: None,
            samples: Vec::new(),
        }
    }

    fn index() -> SampleIndex {
        SampleIndex {
            container: Container::Matroska,
            duration_ms: 1000,
            tracks: vec![
                track(1, TrackKind::Video, "h264"),
                track(2, TrackKind::Audio, "aac"),
                track(3, TrackKind::Subtitle, "srt"),
                track(4, TrackKind::Subtitle, "pgs"),
                track(5, TrackKind::Subtitle, "vobsub"),
            ],
        }
    }

    fn decision(video: Delivery, rendition: Option<Rendition>) -> Decision {
        let d = |track_id, kind, delivery, rendition| TrackDecision {
            track_id,
            kind,
            delivery,
            rendition,
            reason: String::new(),
        };
        Decision {
            tracks: vec![
                d(1, TrackKind::Video, video, rendition),
                d(2, TrackKind::Audio, Delivery::Remux, None),
            ],
        }
    }

    #[test]
    fn image_tracks_only_with_their_ffmpeg_position() {
        let idx = index();
        assert_eq!(BurnIn::of(&idx, 3), None);
        assert_eq!(
            BurnIn::of(&idx, 5),
            Some(BurnIn {
                track_id: 5,
                position: 2
            })
        );
        assert_eq!(BurnIn::of(&idx, 2), None);
        assert_eq!(BurnIn::of(&idx, 9), None);
    }

    #[test]
    fn names_round_trip() {
        let r = Rendition::H264 { height: 720 };
        assert_eq!(rendition_name(r, Some(4)), "h264-720+s4");
        assert_eq!(parse_rendition_name("h264-720+s4"), Some((r, Some(4))));
        assert_eq!(parse_rendition_name("h264-720"), Some((r, None)));
        for bad in [
            "h264-720+s",
            "h264-720+s04",
            "h264-720+s+4",
            "aac+s4",
            "h264-720+sx",
        ] {
            assert_eq!(parse_rendition_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn choice_transcodes_the_video_to_burn() {
        let idx = index();
        // The client plays the original: the video is transcoded at the server's highest.
        let c = burn_choice(&decision(Delivery::Direct, None), &idx, 4, 720).unwrap();
        assert_eq!(c, "1.h264-720+s4,2");
        let parsed = parse_choice(&c).unwrap();
        assert_eq!(parsed[0].burn, Some(4));
        assert_eq!(parsed[0].rendition, Some(Rendition::H264 { height: 720 }));
        // Already transcoded: the same height.
        let d = decision(Delivery::Transcode, Some(Rendition::H264 { height: 480 }));
        assert_eq!(burn_choice(&d, &idx, 5, 720).unwrap(), "1.h264-480+s5,2");
        // A text track, or no video to draw on.
        assert_eq!(burn_choice(&d, &idx, 3, 720), None);
        assert_eq!(
            burn_choice(&decision(Delivery::Unavailable, None), &idx, 4, 720),
            None
        );
    }

    #[test]
    fn graph_reads_subtitles_from_before_the_cut() {
        let b = BurnIn {
            track_id: 4,
            position: 1,
        };
        let (a, lead) = b.input_args(Path::new("/m/f.mkv"), 100.0, None);
        assert_eq!(a, ["-ss", "70.000000", "-i", "/m/f.mkv"]);
        assert_eq!(lead, 30.0);
        // A picture shown at the cut that began 30 s or more before it: read from just before it.
        let (a, lead) = b.input_args(Path::new("/m/f.mkv"), 100.0, Some(45.0));
        assert_eq!(a, ["-ss", "44.000000", "-i", "/m/f.mkv"]);
        assert_eq!(lead, 56.0);
        // A recent picture changes nothing.
        let (a, _) = b.input_args(Path::new("/m/f.mkv"), 100.0, Some(95.0));
        assert_eq!(a, ["-ss", "70.000000", "-i", "/m/f.mkv"]);
        let (a, lead) = b.input_args(Path::new("/m/f.mkv"), 6.0, Some(0.5));
        assert_eq!(a, ["-i", "/m/f.mkv"]);
        assert_eq!(lead, 6.0);
        assert_eq!(
            b.graph(0, 6.0, "scale=-2:720,format=yuv420p"),
            "[1:s:1]setpts=PTS-6.000000/TB[subs];[0:v:0][subs]overlay=repeatlast=0,scale=-2:720,format=yuv420p[v]"
        );
    }
}
