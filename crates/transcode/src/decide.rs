//! What happens to each track for one client: played as it is, remuxed into CMAF, transcoded,
//! or left out — and why. Pure: the sample index, the client's capabilities and what the server
//! can do go in, decisions come out.

use std::fmt;

use marquee_media::{SampleIndex, TrackIndex, TrackKind};
use serde::Serialize;

use crate::caps::ClientCaps;

/// A rendition made by ffmpeg.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rendition {
    /// H.264 (High profile, yuv420p) of this many lines.
    H264 { height: u32 },
    /// AAC-LC stereo.
    AacStereo,
}

/// The heights of the adaptive ladder, highest first.
pub const LADDER: &[u32] = &[1080, 720, 480, 360];

/// Nominal (peak) bits per second of a rendition: the encoder's `-maxrate`, and so the
/// BANDWIDTH a master playlist announces before any segment is made.
pub fn nominal_bitrate(r: Rendition) -> u64 {
    match r {
        Rendition::H264 { height } => match height {
            h if h > 1080 => 12_000_000,
            h if h > 720 => 6_000_000,
            h if h > 480 => 3_000_000,
            h if h > 360 => 1_500_000,
            h if h > 240 => 900_000,
            _ => 500_000,
        },
        Rendition::AacStereo => AAC_BITRATE,
    }
}

/// AAC stereo bitrate.
pub const AAC_BITRATE: u64 = 160_000;

impl Rendition {
    /// RFC 6381 codec string of what the encoder is told to make (High profile, level 4.1 for
    /// up to 1080p, 5.1 above).
    pub fn codec_string(self) -> &'static str {
        match self {
            Rendition::H264 { height } if height > 1080 => "avc1.640033",
            Rendition::H264 { .. } => "avc1.640029",
            Rendition::AacStereo => "mp4a.40.2",
        }
    }

    /// Parses the path form (`h264-720`, `aac`).
    pub fn parse(s: &str) -> Option<Rendition> {
        if s == "aac" {
            return Some(Rendition::AacStereo);
        }
        let height: u32 = s.strip_prefix("h264-")?.parse().ok()?;
        (height & 1 == 0 && (96..=2160).contains(&height)).then_some(Rendition::H264 { height })
    }

    pub fn is_video(self) -> bool {
        matches!(self, Rendition::H264 { .. })
    }
}

impl fmt::Display for Rendition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rendition::H264 { height } => write!(f, "h264-{height}"),
            Rendition::AacStereo => f.write_str("aac"),
        }
    }
}

/// The H.264 renditions a video of `source_height` lines may be offered in, highest first:
/// the ladder's heights up to the source's and up to `max_height` (a plan's or the server's
/// cap). A source below the lowest rung gets one rendition of its own height. The one place
/// that decides heights, so a cap filters every path.
pub fn renditions(source_height: u32, max_height: Option<u32>) -> Vec<Rendition> {
    let limit = source_height.min(max_height.unwrap_or(u32::MAX));
    let mut out: Vec<Rendition> = LADDER
        .iter()
        .filter(|h| **h <= limit)
        .map(|&height| Rendition::H264 { height })
        .collect();
    if out.is_empty() && limit >= 96 {
        out.push(Rendition::H264 { height: limit & !1 });
    }
    out
}

/// How a track reaches the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Delivery {
    /// The original file plays as it is.
    Direct,
    /// Repackaged into CMAF segments without touching the media.
    Remux,
    /// Re-encoded by ffmpeg.
    Transcode,
    /// Not offered (the reason says why).
    Unavailable,
}

impl Delivery {
    pub fn as_str(self) -> &'static str {
        match self {
            Delivery::Direct => "direct",
            Delivery::Remux => "remux",
            Delivery::Transcode => "transcode",
            Delivery::Unavailable => "unavailable",
        }
    }
}

/// The decision for one track.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackDecision {
    pub track_id: u32,
    pub kind: TrackKind,
    pub delivery: Delivery,
    pub rendition: Option<Rendition>,
    pub reason: String,
}

/// The decisions for every video and audio track of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub tracks: Vec<TrackDecision>,
}

/// What the server can do, beyond remuxing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerAbility {
    /// ffmpeg is there to transcode.
    pub ffmpeg: bool,
    /// Highest video a just-in-time transcode makes (ffmpeg on a small machine).
    pub max_transcode_height: u32,
}

/// Decides for each video and audio track of `index`. Only the first streamable video track is
/// offered (the manifests carry one video); every audio track is offered in a form the client
/// decodes when one exists. `max_height` is a viewer's quality cap: a taller video is
/// transcoded down to fit.
pub fn decide(
    index: &SampleIndex,
    caps: &ClientCaps,
    server: ServerAbility,
    max_height: Option<u32>,
    direct_container: bool,
) -> Decision {
    let mut tracks = Vec::new();
    let main_video = index
        .tracks
        .iter()
        .find(|t| t.kind == TrackKind::Video && !t.samples.is_empty());
    for t in &index.tracks {
        match t.kind {
            TrackKind::Video => {
                if main_video.map(|v| v.track_id) != Some(t.track_id) {
                    tracks.push(TrackDecision {
                        track_id: t.track_id,
                        kind: t.kind,
                        delivery: Delivery::Unavailable,
                        rendition: None,
                        reason: "only the first video track is streamed".into(),
                    });
                    continue;
                }
                tracks.push(decide_video(t, caps, server, max_height));
            }
            TrackKind::Audio => tracks.push(decide_audio(t, caps, server)),
            _ => {}
        }
    }
    // The original file plays as it is only when every track offered is remuxed as it is and
    // the client reads the container (MP4).
    if direct_container
        && tracks
            .iter()
            .all(|d| d.delivery == Delivery::Remux || d.delivery == Delivery::Unavailable)
        && tracks.iter().any(|d| d.delivery == Delivery::Remux)
    {
        for d in &mut tracks {
            if d.delivery == Delivery::Remux {
                d.delivery = Delivery::Direct;
            }
        }
    }
    Decision { tracks }
}

fn cannot(t: &TrackIndex, caps: &ClientCaps) -> String {
    format!("{} cannot decode {}", client(caps), t.codec)
}

fn client(caps: &ClientCaps) -> String {
    if caps.source.starts_with("the client") {
        "the client".into()
    } else {
        format!("a client of {}", caps.source)
    }
}

fn decide_video(
    t: &TrackIndex,
    caps: &ClientCaps,
    server: ServerAbility,
    max_height: Option<u32>,
) -> TrackDecision {
    let height = t.codec_config.height;
    let decodes = caps.decodes(&t.codec) && t.is_packageable();
    let over_cap = max_height.is_some_and(|m| height > m);
    let decision = |delivery, rendition, reason: String| TrackDecision {
        track_id: t.track_id,
        kind: t.kind,
        delivery,
        rendition,
        reason,
    };
    if decodes && !over_cap {
        return decision(
            Delivery::Remux,
            None,
            format!("{} decodes {}", client(caps), t.codec),
        );
    }
    let why = if !decodes {
        match &t.unsupported {
            Some(u) if caps.decodes(&t.codec) => u.clone(),
            _ => cannot(t, caps),
        }
    } else {
        format!(
            "the video is {height} lines, above this viewer's limit of {} lines",
            max_height.unwrap_or(0)
        )
    };
    if !server.ffmpeg {
        return decision(
            Delivery::Unavailable,
            None,
            format!("{why}, and this server has no ffmpeg to transcode it"),
        );
    }
    let limit = max_height
        .unwrap_or(u32::MAX)
        .min(server.max_transcode_height);
    match renditions(height.max(96), Some(limit)).first() {
        Some(&r) => decision(
            Delivery::Transcode,
            Some(r),
            format!("{why}: transcoded to H.264 {}p", rendition_height(r)),
        ),
        None => decision(
            Delivery::Unavailable,
            None,
            format!("{why}, and no rendition fits a limit of {limit} lines"),
        ),
    }
}

fn rendition_height(r: Rendition) -> u32 {
    match r {
        Rendition::H264 { height } => height,
        Rendition::AacStereo => 0,
    }
}

fn decide_audio(t: &TrackIndex, caps: &ClientCaps, server: ServerAbility) -> TrackDecision {
    let decision = |delivery, rendition, reason: String| TrackDecision {
        track_id: t.track_id,
        kind: t.kind,
        delivery,
        rendition,
        reason,
    };
    if t.samples.is_empty() {
        return decision(
            Delivery::Unavailable,
            None,
            t.unsupported
                .clone()
                .unwrap_or_else(|| "the track has no samples".into()),
        );
    }
    if caps.decodes(&t.codec) && t.is_packageable() {
        return decision(
            Delivery::Remux,
            None,
            format!("{} decodes {}", client(caps), t.codec),
        );
    }
    let why = match &t.unsupported {
        Some(u) if caps.decodes(&t.codec) => u.clone(),
        _ => cannot(t, caps),
    };
    if server.ffmpeg {
        decision(
            Delivery::Transcode,
            Some(Rendition::AacStereo),
            format!("{why}: transcoded to AAC stereo"),
        )
    } else {
        decision(
            Delivery::Unavailable,
            None,
            format!("{why}, and this server has no ffmpeg to transcode it"),
        )
    }
}

impl Decision {
    /// Whether anything differs from remuxing every track (so the plain manifests will do).
    pub fn needs_choice(&self) -> bool {
        self.tracks
            .iter()
            .any(|d| matches!(d.delivery, Delivery::Transcode | Delivery::Unavailable))
    }

    /// The path form of what this client gets: offered tracks, comma-separated, each `ID` for a
    /// remuxed track or `ID.RENDITION` for a transcoded one (`1.h264-720,2.aac,3`).
    pub fn choice(&self) -> String {
        let parts: Vec<String> = self
            .tracks
            .iter()
            .filter_map(|d| match (d.delivery, d.rendition) {
                (Delivery::Transcode, Some(r)) => Some(format!("{}.{r}", d.track_id)),
                (Delivery::Remux | Delivery::Direct, _) => Some(d.track_id.to_string()),
                _ => None,
            })
            .collect();
        parts.join(",")
    }
}

/// One offered track of a choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chosen {
    pub track_id: u32,
    pub rendition: Option<Rendition>,
    /// An image subtitle track drawn into this video rendition (`1.h264-720+s4`).
    pub burn: Option<u32>,
}

/// Parses [`Decision::choice`]'s form; `None` for anything malformed.
pub fn parse_choice(s: &str) -> Option<Vec<Chosen>> {
    if s.is_empty() || s.len() > 512 {
        return None;
    }
    s.split(',')
        .map(|part| {
            let (id, rendition, burn) = match part.split_once('.') {
                Some((id, r)) => {
                    let (r, burn) = crate::burn::parse_rendition_name(r)?;
                    (id, Some(r), burn)
                }
                None => (part, None, None),
            };
            Some(Chosen {
                track_id: id.parse().ok()?,
                rendition,
                burn,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use marquee_media::{CodecConfig, Container, Sample};

    fn track(id: u32, kind: TrackKind, codec: &str, height: u32) -> TrackIndex {
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
                sample_entry: *b"xxxx",
                height,
                ..CodecConfig::default()
            },
            unsupported: None,
            samples: vec![Sample {
                keyframe: true,
                duration: 40,
                size: 10,
                ..Sample::default()
            }],
        }
    }

    fn index(tracks: Vec<TrackIndex>) -> SampleIndex {
        SampleIndex {
            container: Container::Matroska,
            duration_ms: 1000,
            tracks,
        }
    }

    const WITH_FFMPEG: ServerAbility = ServerAbility {
        ffmpeg: true,
        max_transcode_height: 720,
    };

    #[test]
    fn ladder_follows_source_and_cap() {
        let h = |v: Vec<Rendition>| v.iter().map(|r| rendition_height(*r)).collect::<Vec<_>>();
        assert_eq!(h(renditions(1080, None)), vec![1080, 720, 480, 360]);
        assert_eq!(h(renditions(2160, Some(720))), vec![720, 480, 360]);
        assert_eq!(h(renditions(800, None)), vec![720, 480, 360]);
        assert_eq!(h(renditions(241, None)), vec![240]);
        assert!(renditions(1080, Some(50)).is_empty());
    }

    #[test]
    fn hevc_ac3_for_chromium_transcodes_both() {
        let idx = index(vec![
            track(1, TrackKind::Video, "hevc", 1080),
            track(2, TrackKind::Audio, "ac3", 0),
            track(3, TrackKind::Audio, "aac", 0),
        ]);
        let d = decide(
            &idx,
            &ClientCaps::default_profile(),
            WITH_FFMPEG,
            None,
            false,
        );
        assert_eq!(d.tracks[0].delivery, Delivery::Transcode);
        assert_eq!(d.tracks[0].rendition, Some(Rendition::H264 { height: 720 }));
        assert_eq!(
            d.tracks[0].reason,
            "a client of the chromium profile cannot decode hevc: transcoded to H.264 720p"
        );
        assert_eq!(d.tracks[1].rendition, Some(Rendition::AacStereo));
        assert_eq!(d.tracks[2].delivery, Delivery::Remux);
        assert_eq!(d.choice(), "1.h264-720,2.aac,3");
        assert!(d.needs_choice());
        // Safari plays it all: an audio-only client need leaves video alone.
        let safari = ClientCaps::profile("safari").unwrap();
        let d = decide(&idx, &safari, WITH_FFMPEG, None, false);
        assert!(d.tracks.iter().all(|t| t.delivery == Delivery::Remux));
        assert!(!d.needs_choice());
        let tv_no_dolby = ClientCaps::parse_list("hvc1.1.6.L93.B0,mp4a.40.2").unwrap();
        let d = decide(&idx, &tv_no_dolby, WITH_FFMPEG, None, false);
        assert_eq!(d.choice(), "1,2.aac,3");
    }

    #[test]
    fn without_ffmpeg_only_remux_and_reasons() {
        let idx = index(vec![
            track(1, TrackKind::Video, "hevc", 1080),
            track(2, TrackKind::Audio, "aac", 0),
        ]);
        let none = ServerAbility {
            ffmpeg: false,
            max_transcode_height: 720,
        };
        let d = decide(&idx, &ClientCaps::default_profile(), none, None, false);
        assert_eq!(d.tracks[0].delivery, Delivery::Unavailable);
        assert!(
            d.tracks[0].reason.contains("no ffmpeg"),
            "{}",
            d.tracks[0].reason
        );
        assert_eq!(d.choice(), "2");
    }

    #[test]
    fn cap_and_direct() {
        let idx = index(vec![
            track(1, TrackKind::Video, "h264", 1080),
            track(2, TrackKind::Audio, "aac", 0),
        ]);
        let caps = ClientCaps::default_profile();
        let d = decide(&idx, &caps, WITH_FFMPEG, Some(480), true);
        assert_eq!(d.tracks[0].rendition, Some(Rendition::H264 { height: 480 }));
        assert!(d.tracks[0].reason.contains("above this viewer's limit"));
        let d = decide(&idx, &caps, WITH_FFMPEG, None, true);
        assert!(d.tracks.iter().all(|t| t.delivery == Delivery::Direct));
    }

    #[test]
    fn choices_round_trip_and_reject_junk() {
        let c = parse_choice("1.h264-720,2.aac,3").unwrap();
        assert_eq!(c.len(), 3);
        assert_eq!(c[0].rendition, Some(Rendition::H264 { height: 720 }));
        assert_eq!(c[2].rendition, None);
        for bad in ["", "x", "1.h264-721", "1.vp9", "1.h264-99999", "1,,2"] {
            assert!(parse_choice(bad).is_none(), "{bad}");
        }
    }
}
