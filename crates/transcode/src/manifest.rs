//! HLS playlists of a client's choice: remuxed tracks under `v/ID` and `a/ID`, transcoded ones
//! under `t/ID/RENDITION`, all on the source's one segment plan.

use std::fmt::Write;

use marquee_media::manifest::{bandwidth, segment_range, track_dir};
use marquee_media::{SampleIndex, SegmentPlan, SubtitleRendition, TrackIndex, TrackKind};

use crate::burn::{rendition_name, BurnIn};
use crate::decide::{nominal_bitrate, Chosen, Rendition, LADDER};

/// Folder of a transcoded rendition: `t/<track>/<rendition>`.
pub fn rendition_dir(track_id: u32, r: Rendition) -> String {
    format!("t/{track_id}/{r}")
}

/// The media playlist of a transcoded rendition: one segment per planned segment, with the
/// plan's durations (what the repackaged segments hold).
pub fn rendition_playlist(plan: &SegmentPlan) -> String {
    let mut m = String::from("#EXTM3U\n#EXT-X-VERSION:7\n");
    let _ = writeln!(m, "#EXT-X-TARGETDURATION:{}", plan.target_duration());
    m.push_str("#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-INDEPENDENT-SEGMENTS\n");
    m.push_str("#EXT-X-MAP:URI=\"init.mp4\"\n");
    for n in 0..plan.len() {
        let _ = writeln!(m, "#EXTINF:{:.6},\n{n}.m4s", plan.seconds(n));
    }
    m.push_str("#EXT-X-ENDLIST\n");
    m
}

#[derive(Clone, Copy)]
struct Offer<'a> {
    track: &'a TrackIndex,
    rendition: Option<Rendition>,
    /// An image subtitle track drawn into the video.
    burn: Option<u32>,
}

impl<'a> Offer<'a> {
    fn dir(&self) -> String {
        match self.rendition {
            Some(r) => format!("t/{}/{}", self.track.track_id, rendition_name(r, self.burn)),
            None => track_dir(self.track),
        }
    }

    /// What a player may switch between: a transcoded video at its height and at each lower
    /// rung of the ladder (every one cut on the same plan), else the offer itself.
    fn levels(&self) -> Vec<Offer<'a>> {
        match self.rendition {
            Some(Rendition::H264 { height }) => std::iter::once(height)
                .chain(LADDER.iter().copied().filter(|h| *h < height))
                .map(|height| Offer {
                    rendition: Some(Rendition::H264 { height }),
                    ..*self
                })
                .collect(),
            _ => vec![*self],
        }
    }

    fn codec_string(&self) -> Option<String> {
        match self.rendition {
            Some(r) => Some(r.codec_string().to_string()),
            None => self.track.codec_string.clone(),
        }
    }

    /// Peak and average bits per second: measured for a remuxed track, the encoder's cap for a
    /// transcoded one.
    fn bandwidth(&self, plan: &SegmentPlan) -> (u64, u64) {
        match self.rendition {
            Some(r) => (nominal_bitrate(r), nominal_bitrate(r) * 3 / 4),
            None => bandwidth(self.track, plan),
        }
    }

    fn resolution(&self) -> Option<(u32, u32)> {
        let c = &self.track.codec_config;
        if c.width == 0 || c.height == 0 {
            return None;
        }
        match self.rendition {
            Some(Rendition::H264 { height }) if height < c.height => {
                // scale=-2:H: the width keeps the aspect ratio, rounded to an even number.
                let w = (u64::from(c.width) * u64::from(height) / u64::from(c.height)) as u32;
                Some(((w + 1) & !1, height))
            }
            _ => Some((c.width, c.height)),
        }
    }

    fn channels(&self) -> u32 {
        match self.rendition {
            Some(Rendition::AacStereo) => 2,
            _ => self.track.codec_config.channels,
        }
    }
}

fn quoted(s: &str) -> String {
    s.replace(['"', '\n', '\r'], "'")
}

fn frame_rate(track: &TrackIndex) -> Option<f64> {
    let d = track.duration();
    (d > 0 && !track.samples.is_empty())
        .then(|| track.samples.len() as f64 * f64::from(track.timescale) / d as f64)
}

/// The HLS master playlist offering exactly `choice` (see [`crate::decide::Decision::choice`]);
/// `None` when it names a track the file does not have or offers nothing playable.
pub fn hls_master_for(
    index: &SampleIndex,
    plan: &SegmentPlan,
    choice: &[Chosen],
    subtitles: &[SubtitleRendition],
) -> Option<String> {
    let mut video: Option<Offer> = None;
    let mut audio: Vec<Offer> = Vec::new();
    for c in choice {
        let track = index.track(c.track_id)?;
        let offer = Offer {
            track,
            rendition: c.rendition,
            burn: c.burn,
        };
        match (track.kind, c.rendition) {
            (TrackKind::Video, None | Some(Rendition::H264 { .. })) if video.is_none() => {
                if c.rendition.is_none() && !track.is_packageable() {
                    return None;
                }
                if c.burn.is_some_and(|s| BurnIn::of(index, s).is_none()) {
                    return None;
                }
                video = Some(offer);
            }
            (TrackKind::Audio, None | Some(Rendition::AacStereo)) => {
                if c.rendition.is_none() && !track.is_packageable() {
                    return None;
                }
                audio.push(offer);
            }
            _ => return None,
        }
    }
    let mut m = String::from("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n");
    let default_audio = audio
        .iter()
        .position(|a| a.track.default)
        .or((!audio.is_empty()).then_some(0));
    if video.is_some() {
        let mut names: Vec<String> = Vec::new();
        for (i, a) in audio.iter().enumerate() {
            let t = a.track;
            let mut name = t
                .name
                .clone()
                .or_else(|| {
                    let l = t.language.as_deref()?;
                    Some(
                        marquee_media::lang::display_name(l)
                            .map_or_else(|| l.to_string(), str::to_string),
                    )
                })
                .unwrap_or_else(|| format!("Audio {}", t.track_id));
            if names.contains(&name) {
                name = format!("{name} ({})", t.track_id);
            }
            names.push(name.clone());
            let _ = write!(
                m,
                "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"audio\",NAME=\"{}\"",
                quoted(&name)
            );
            if let Some(l) = &t.language {
                let tag = marquee_media::lang::bcp47(l).unwrap_or_else(|| l.clone());
                let _ = write!(m, ",LANGUAGE=\"{}\"", quoted(&tag));
            }
            let _ = write!(
                m,
                ",DEFAULT={},AUTOSELECT=YES",
                if Some(i) == default_audio {
                    "YES"
                } else {
                    "NO"
                }
            );
            if a.channels() > 0 {
                let _ = write!(m, ",CHANNELS=\"{}\"", a.channels());
            }
            let _ = writeln!(m, ",URI=\"{}/playlist.m3u8\"", a.dir());
        }
    }
    for s in subtitles {
        let _ = write!(
            m,
            "#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID=\"subs\",NAME=\"{}\"",
            quoted(&s.name)
        );
        if let Some(l) = &s.language {
            let tag = marquee_media::lang::bcp47(l).unwrap_or_else(|| l.clone());
            let _ = write!(m, ",LANGUAGE=\"{}\"", quoted(&tag));
        }
        let _ = writeln!(
            m,
            ",DEFAULT={},AUTOSELECT={},FORCED={},URI=\"{}/playlist.m3u8\"",
            if s.default { "YES" } else { "NO" },
            if s.default || s.forced { "YES" } else { "NO" },
            if s.forced { "YES" } else { "NO" },
            s.dir()
        );
    }
    let default_audio = default_audio.and_then(|i| audio.get(i));
    let main = video.as_ref().or(default_audio)?;
    let levels = main.levels();
    if levels.len() > 1 {
        m.push_str("# Transcoded levels: BANDWIDTH is the encoder's -maxrate (AVERAGE-BANDWIDTH 3/4 of it) plus the audio's, estimated before any segment is made\n");
    }
    for level in &levels {
        let (mut peak, mut avg) = level.bandwidth(plan);
        let mut codecs: Vec<String> = level.codec_string().into_iter().collect();
        if let (Some(_), Some(a)) = (&video, default_audio) {
            let (p, v) = a.bandwidth(plan);
            peak += p;
            avg += v;
            codecs.extend(a.codec_string());
        }
        let _ = write!(
            m,
            "#EXT-X-STREAM-INF:BANDWIDTH={peak},AVERAGE-BANDWIDTH={avg}"
        );
        if !codecs.is_empty() {
            let _ = write!(m, ",CODECS=\"{}\"", quoted(&codecs.join(",")));
        }
        if video.is_some() {
            if let Some((w, h)) = level.resolution() {
                let _ = write!(m, ",RESOLUTION={w}x{h}");
            }
            if let Some(f) = frame_rate(level.track) {
                let _ = write!(m, ",FRAME-RATE={f:.3}");
            }
            if default_audio.is_some() {
                m.push_str(",AUDIO=\"audio\"");
            }
        }
        if !subtitles.is_empty() {
            m.push_str(",SUBTITLES=\"subs\"");
        }
        let _ = writeln!(m, "\n{}/playlist.m3u8", level.dir());
    }
    Some(m)
}

pub(crate) fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The timescale, first decode time and segment durations of a transcoded rendition on `plan`:
/// video keeps the plan's timescale, AAC its sample rate (for a source at `sample_rate`).
pub(crate) fn transcoded_timeline(
    plan: &SegmentPlan,
    r: Rendition,
    sample_rate: u32,
) -> (u64, i64, Vec<u64>) {
    let ts = u64::from(plan.timescale.max(1));
    let out = match r {
        Rendition::H264 { .. } => ts,
        Rendition::AacStereo => u64::from(crate::command::aac_rate(sample_rate)),
    };
    let at = |tick: i64| -> i64 { (i128::from(tick) * i128::from(out) / i128::from(ts)) as i64 };
    let starts: Vec<i64> = plan.segments.iter().map(|s| at(s.start)).collect();
    let end = at(plan
        .segments
        .last()
        .map_or(0, |s| s.start + s.duration as i64));
    let durations = (0..starts.len())
        .map(|n| (starts.get(n + 1).copied().unwrap_or(end) - starts[n]).max(0) as u64)
        .collect();
    (out, starts.first().copied().unwrap_or(0), durations)
}

/// A SegmentTimeline: the first `S` carries the start time, equal durations run-length encoded.
pub(crate) fn timeline(m: &mut String, first: i64, durations: impl Iterator<Item = u64>) {
    let mut runs: Vec<(u64, u64)> = Vec::new();
    for d in durations {
        match runs.last_mut() {
            Some((rd, r)) if *rd == d => *r += 1,
            _ => runs.push((d, 0)),
        }
    }
    m.push_str("          <SegmentTimeline>\n");
    for (i, (d, r)) in runs.iter().enumerate() {
        m.push_str("            <S");
        if i == 0 {
            let _ = write!(m, " t=\"{}\"", first.max(0));
        }
        let _ = write!(m, " d=\"{d}\"");
        if *r > 0 {
            let _ = write!(m, " r=\"{r}\"");
        }
        m.push_str("/>\n");
    }
    m.push_str("          </SegmentTimeline>\n");
}

/// The static DASH MPD offering exactly `choice`: one AdaptationSet for the video, one per
/// audio track, remuxed or transcoded, and one per subtitle rendition. `None` as for
/// [`hls_master_for`].
pub fn dash_mpd_for(
    index: &SampleIndex,
    plan: &SegmentPlan,
    choice: &[Chosen],
    subtitles: &[SubtitleRendition],
) -> Option<String> {
    // Validated (and ordered) as the HLS master does.
    hls_master_for(index, plan, choice, &[])?;
    let mut m = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        m,
        "<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\" profiles=\"urn:mpeg:dash:profile:isoff-live:2011\" \
         type=\"static\" mediaPresentationDuration=\"PT{:.3}S\" minBufferTime=\"PT{}S\">",
        plan.total_seconds().max(0.0),
        plan.target_duration()
    );
    m.push_str("  <Period id=\"0\" start=\"PT0S\">\n");
    let mut next_id = 0u64;
    for c in choice {
        let track = index.track(c.track_id)?;
        let offer = Offer {
            track,
            rendition: c.rendition,
            burn: c.burn,
        };
        let video = track.kind == TrackKind::Video;
        next_id = next_id.max(u64::from(track.track_id));
        let _ = write!(
            m,
            "    <AdaptationSet id=\"{}\" contentType=\"{}\" mimeType=\"{}\" segmentAlignment=\"true\" startWithSAP=\"1\"",
            track.track_id,
            if video { "video" } else { "audio" },
            if video { "video/mp4" } else { "audio/mp4" }
        );
        if let Some(l) = &track.language {
            let tag = marquee_media::lang::bcp47(l).unwrap_or_else(|| l.clone());
            let _ = write!(m, " lang=\"{}\"", xml(&tag));
        }
        m.push_str(">\n");
        for offer in offer.levels() {
            let _ = write!(
                m,
                "      <Representation id=\"{}\" bandwidth=\"{}\"",
                xml(&offer.dir().replace('/', "-")),
                offer.bandwidth(plan).0
            );
            if let Some(c) = offer.codec_string() {
                let _ = write!(m, " codecs=\"{}\"", xml(&c));
            }
            if video {
                if let Some((w, h)) = offer.resolution() {
                    let _ = write!(m, " width=\"{w}\" height=\"{h}\"");
                }
                if let Some(f) = frame_rate(track) {
                    let _ = write!(m, " frameRate=\"{}\"", (f * 1000.0).round() / 1000.0);
                }
            }
            m.push_str(">\n");
            if !video && offer.channels() > 0 {
                let _ = writeln!(
                m,
                "        <AudioChannelConfiguration schemeIdUri=\"urn:mpeg:dash:23003:3:audio_channel_configuration:2011\" value=\"{}\"/>",
                offer.channels()
            );
            }
            let dir = offer.dir();
            // Transcoded video keeps the plan's timescale; AAC its sample rate; remuxed tracks their own.
            let (timescale, start, first, durations): (u64, usize, i64, Vec<u64>) =
                match c.rendition {
                    Some(r) => {
                        let (out, first, durations) =
                            transcoded_timeline(plan, r, track.codec_config.sample_rate);
                        (out, 0, first, durations)
                    }
                    None => {
                        let range = segment_range(track, plan);
                        let first = range
                            .clone()
                            .next()
                            .map(|n| {
                                let s = plan.samples_for(track, n);
                                track.samples.get(s.start).map_or(0, |x| x.pts().max(0))
                            })
                            .unwrap_or(0);
                        let durations = range
                            .clone()
                            .map(|n| plan.track_duration(track, n))
                            .collect();
                        (u64::from(track.timescale), range.start, first, durations)
                    }
                };
            let _ = writeln!(
            m,
            "        <SegmentTemplate timescale=\"{timescale}\" initialization=\"{dir}/init.mp4\" media=\"{dir}/$Number$.m4s\" startNumber=\"{start}\">"
        );
            timeline(&mut m, first, durations.into_iter());
            m.push_str("        </SegmentTemplate>\n      </Representation>\n");
        }
        m.push_str("    </AdaptationSet>\n");
    }
    for (i, s) in subtitles.iter().enumerate() {
        let _ = write!(
            m,
            "    <AdaptationSet id=\"{}\" contentType=\"text\" mimeType=\"text/vtt\"",
            next_id + 1 + i as u64
        );
        if let Some(l) = &s.language {
            let tag = marquee_media::lang::bcp47(l).unwrap_or_else(|| l.clone());
            let _ = write!(m, " lang=\"{}\"", xml(&tag));
        }
        let _ = writeln!(
            m,
            ">\n      <Label>{}</Label>\n      <Representation id=\"s{}\" bandwidth=\"256\">\n        <BaseURL>{}/subtitles.vtt</BaseURL>\n      </Representation>\n    </AdaptationSet>",
            xml(&s.name),
            xml(&s.key),
            xml(&s.dir())
        );
    }
    m.push_str("  </Period>\n</MPD>\n");
    Some(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use marquee_media::{plan_segments, CodecConfig, Container, Sample};
    use std::time::Duration;

    fn track(id: u32, kind: TrackKind, codec: &str) -> TrackIndex {
        let video = kind == TrackKind::Video;
        TrackIndex {
            track_id: id,
            kind,
            codec: codec.into(),
            codec_string: Some(if video { "hvc1.1.6.L93.B0" } else { "ac-3" }.into()),
            language: Some("eng".into()),
            name: None,
            default: !video,
            timescale: 1000,
            codec_config: CodecConfig {
                sample_entry: if video { *b"hvc1" } else { *b"ac-3" },
                width: if video { 1920 } else { 0 },
                height: if video { 1080 } else { 0 },
                channels: if video { 0 } else { 6 },
                ..CodecConfig::default()
            },
            unsupported: None,
            samples: (0..250)
                .map(|i| Sample {
                    dts: i * 40,
                    duration: 40,
                    size: 100,
                    keyframe: i % 50 == 0,
                    ..Sample::default()
                })
                .collect(),
        }
    }

    #[test]
    fn master_offers_transcoded_renditions() {
        let index = SampleIndex {
            container: Container::Matroska,
            duration_ms: 10_000,
            tracks: vec![
                track(1, TrackKind::Video, "hevc"),
                track(2, TrackKind::Audio, "ac3"),
            ],
        };
        let plan = plan_segments(&index.tracks[0], Duration::from_secs(2));
        let choice = crate::decide::parse_choice("1.h264-720,2.aac").unwrap();
        let m = hls_master_for(&index, &plan, &choice, &[]).unwrap();
        assert!(m.contains("URI=\"t/2/aac/playlist.m3u8\""), "{m}");
        assert!(m.contains("CHANNELS=\"2\""), "{m}");
        assert!(m.contains("CODECS=\"avc1.640029,mp4a.40.2\""), "{m}");
        assert!(m.contains("RESOLUTION=1280x720"), "{m}");
        assert!(m.contains("FRAME-RATE=25.000"), "{m}");
        // Three levels on the one plan, highest first, each with its own estimated bandwidth.
        assert!(m.ends_with("t/1/h264-360/playlist.m3u8\n"), "{m}");
        assert!(m.contains("BANDWIDTH=3160000,AVERAGE-BANDWIDTH=2370000,CODECS=\"avc1.640029,mp4a.40.2\",RESOLUTION=1280x720"), "{m}");
        assert!(m.contains("BANDWIDTH=1660000,"), "{m}");
        assert!(m.contains("RESOLUTION=640x360"), "{m}");
        assert_eq!(m.matches("#EXT-X-STREAM-INF").count(), 3, "{m}");
        assert!(m.contains("\n# Transcoded levels: BANDWIDTH is"), "{m}");
        // Remuxed video beside transcoded audio.
        let choice = crate::decide::parse_choice("1,2.aac").unwrap();
        let m = hls_master_for(&index, &plan, &choice, &[]).unwrap();
        assert!(m.ends_with("v/1/playlist.m3u8\n"), "{m}");
        assert!(m.contains("hvc1.1.6.L93.B0,mp4a.40.2"), "{m}");
        // Unknown track, or a video rendition for an audio track: refused.
        assert!(hls_master_for(
            &index,
            &plan,
            &crate::decide::parse_choice("9").unwrap(),
            &[]
        )
        .is_none());
        assert!(hls_master_for(
            &index,
            &plan,
            &crate::decide::parse_choice("2.h264-360").unwrap(),
            &[]
        )
        .is_none());

        let choice = crate::decide::parse_choice("1.h264-720,2.aac").unwrap();
        let mpd = dash_mpd_for(&index, &plan, &choice, &[]).unwrap();
        assert!(mpd.contains("media=\"t/1/h264-720/$Number$.m4s\""), "{mpd}");
        assert!(mpd.contains("<S t=\"0\" d=\"2000\" r=\"4\"/>"), "{mpd}");
        assert!(mpd.contains("timescale=\"48000\""), "{mpd}");
        assert!(mpd.contains("<S t=\"0\" d=\"96000\" r=\"4\"/>"), "{mpd}");
        assert!(mpd.contains("width=\"1280\" height=\"720\""), "{mpd}");
        assert_eq!(mpd.matches("<Representation").count(), 4, "{mpd}");
        assert!(mpd.contains("media=\"t/1/h264-480/$Number$.m4s\""), "{mpd}");
        assert_eq!(mpd.matches("<AdaptationSet").count(), 2, "{mpd}");

        // An image subtitle burnt in: every level draws it; a text or unknown track is refused.
        let mut with_subs = index.clone();
        let mut pgs = track(3, TrackKind::Subtitle, "pgs");
        pgs.samples.clear();
        with_subs.tracks.push(pgs);
        let choice = crate::decide::parse_choice("1.h264-480+s3,2.aac").unwrap();
        let m = hls_master_for(&with_subs, &plan, &choice, &[]).unwrap();
        assert!(m.contains("\nt/1/h264-480+s3/playlist.m3u8\n"), "{m}");
        assert!(m.ends_with("\nt/1/h264-360+s3/playlist.m3u8\n"), "{m}");
        let choice = crate::decide::parse_choice("1.h264-480+s2,2.aac").unwrap();
        assert!(hls_master_for(&with_subs, &plan, &choice, &[]).is_none());

        let p = rendition_playlist(&plan);
        assert_eq!(p.matches("#EXTINF:2.000000,").count(), 5, "{p}");
        assert!(
            p.contains("#EXT-X-MAP:URI=\"init.mp4\"\n#EXTINF:2.000000,\n0.m4s\n"),
            "{p}"
        );
    }
}
