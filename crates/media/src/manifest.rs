//! HLS playlists and a static DASH MPD over one [`SegmentPlan`].
//!
//! Both formats point at the same files, so a server produces each segment
//! once whichever protocol a client speaks:
//!
//! ```text
//! master.m3u8                HLS multivariant playlist
//! manifest.mpd               DASH MPD
//! v/<track_id>/playlist.m3u8 HLS media playlist (a/<track_id>/... for audio)
//! v/<track_id>/init.mp4      CMAF header
//! v/<track_id>/<n>.m4s       CMAF media segment n (0-based)
//! s/<key>/playlist.m3u8      HLS subtitle playlist: one WebVTT segment
//! s/<key>/subtitles.vtt      the whole subtitle track as WebVTT
//! ```
//!
//! Subtitles are one WebVTT file per track rather than segments cut on the
//! plan: a film's subtitles are ~100 KB, players fetch them once, and the
//! same file is the plain `.vtt` a `<track>` element or a download uses.
//!
//! Every URI is written as `prefix + path + suffix` ([`UrlOptions`]), so a
//! server can make them absolute or sign them (`?token=...`) without this
//! module knowing how.  With an empty prefix, media playlists refer to their
//! segments relative to themselves, so the layout also works as plain files.
//!
//! Durations are exact: `EXTINF` and the DASH `SegmentTimeline` carry what each
//! segment really holds, and bandwidths are computed from the real segment
//! sizes.

use std::fmt::Write as _;

use crate::cmaf::segment_len;
use crate::index::{SampleIndex, TrackIndex};
use crate::plan::SegmentPlan;
use crate::TrackKind;

/// How URIs are written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UrlOptions {
    /// Put in front of every root-relative path (e.g. `/api/v1/stream/42/`).
    pub prefix: String,
    /// Appended to every URI (e.g. `?token=...`).
    pub suffix: String,
}

impl UrlOptions {
    fn url(&self, path: &str) -> String {
        format!("{}{path}{}", self.prefix, self.suffix)
    }

    /// URI of `file` inside `track`'s folder, as written in its media playlist.
    fn in_track(&self, track: &TrackIndex, file: &str) -> String {
        if self.prefix.is_empty() {
            format!("{file}{}", self.suffix)
        } else {
            self.url(&format!("{}/{file}", track_dir(track)))
        }
    }
}

/// `v/<id>` for video, `a/<id>` for audio, `s/<id>` for subtitles.
pub fn track_dir(track: &TrackIndex) -> String {
    let k = match track.kind {
        TrackKind::Video => "v",
        TrackKind::Audio => "a",
        TrackKind::Subtitle => "s",
        TrackKind::Other => "o",
    };
    format!("{k}/{}", track.track_id)
}

/// Segment numbers `track` has content in: segments before its first sample
/// or after its last (a track that starts late or ends early) are left out.
pub fn segment_range(track: &TrackIndex, plan: &SegmentPlan) -> std::ops::Range<usize> {
    let nonempty = |n: &usize| !plan.samples_for(track, *n).is_empty();
    let first = (0..plan.len()).find(nonempty);
    let last = (0..plan.len()).rev().find(nonempty);
    match (first, last) {
        (Some(f), Some(l)) => f..l + 1,
        _ => 0..0,
    }
}

/// Peak and average bits per second of `track`'s segments.
pub fn bandwidth(track: &TrackIndex, plan: &SegmentPlan) -> (u64, u64) {
    let ts = f64::from(track.timescale.max(1));
    let (mut peak, mut bytes, mut secs) = (0f64, 0u64, 0f64);
    for n in segment_range(track, plan) {
        let len = segment_len(track, plan, n).unwrap_or(0);
        let d = plan.track_duration(track, n) as f64 / ts;
        bytes += len;
        secs += d;
        if d > 0.0 {
            peak = peak.max(len as f64 * 8.0 / d);
        }
    }
    let avg = if secs > 0.0 {
        bytes as f64 * 8.0 / secs
    } else {
        0.0
    };
    (peak.ceil() as u64, avg.ceil() as u64)
}

/// A subtitle track offered next to the video, whatever its source (an
/// embedded text track or a sidecar file): served as WebVTT under `s/<key>/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubtitleRendition {
    /// Path-safe identifier, unique within the title (`t3`, `x1a2b3c4d`).
    pub key: String,
    /// What a menu shows ("English", "French (Forced)").
    pub name: String,
    /// BCP 47.
    pub language: Option<String>,
    pub default: bool,
    /// Only shows foreign-language parts: players select it automatically
    /// with the matching audio.
    pub forced: bool,
    /// For the deaf and hard of hearing (SDH / closed captions).
    pub hearing_impaired: bool,
}

impl SubtitleRendition {
    /// `s/<key>`.
    pub fn dir(&self) -> String {
        format!("s/{}", self.key)
    }
}

/// The HLS media playlist of a subtitle rendition: the whole WebVTT file as
/// one segment spanning the presentation.
pub fn hls_subtitle_playlist(
    plan: &SegmentPlan,
    urls: &UrlOptions,
    rendition: &SubtitleRendition,
) -> String {
    let total = plan.total_seconds().max(0.001);
    let uri = if urls.prefix.is_empty() {
        format!("subtitles.vtt{}", urls.suffix)
    } else {
        urls.url(&format!("{}/subtitles.vtt", rendition.dir()))
    };
    format!(
        "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:{}\n#EXT-X-MEDIA-SEQUENCE:0\n\
         #EXT-X-PLAYLIST-TYPE:VOD\n#EXTINF:{total:.6},\n{uri}\n#EXT-X-ENDLIST\n",
        total.ceil() as u64
    )
}

/// BCP 47 for manifests: `eng` → `en`.
fn language_tag(l: &str) -> String {
    crate::lang::bcp47(l).unwrap_or_else(|| l.to_string())
}

fn quoted(s: &str) -> String {
    s.replace(['"', '\n', '\r'], "'")
}

fn frame_rate(track: &TrackIndex) -> Option<f64> {
    let d = track.duration();
    (d > 0 && !track.samples.is_empty())
        .then(|| track.samples.len() as f64 * f64::from(track.timescale) / d as f64)
}

/// The HLS multivariant ("master") playlist.
pub fn hls_master(
    index: &SampleIndex,
    plan: &SegmentPlan,
    urls: &UrlOptions,
    subtitles: &[SubtitleRendition],
) -> String {
    let mut m = String::from("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n");
    let audio: Vec<&TrackIndex> = index.audio().collect();
    let default_audio = audio.iter().find(|t| t.default).or(audio.first()).copied();
    let video = index.video();
    if video.is_some() && !audio.is_empty() {
        let mut names: Vec<String> = Vec::new();
        for a in &audio {
            let mut name = a
                .name
                .clone()
                .or_else(|| {
                    let l = a.language.as_deref()?;
                    Some(crate::lang::display_name(l).map_or_else(|| l.to_string(), str::to_string))
                })
                .unwrap_or_else(|| format!("Audio {}", a.track_id));
            if names.contains(&name) {
                name = format!("{name} ({})", a.track_id);
            }
            names.push(name.clone());
            let is_default = default_audio.is_some_and(|d| d.track_id == a.track_id);
            let _ = write!(
                m,
                "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"audio\",NAME=\"{}\"",
                quoted(&name)
            );
            if let Some(l) = &a.language {
                let _ = write!(m, ",LANGUAGE=\"{}\"", quoted(&language_tag(l)));
            }
            let _ = write!(
                m,
                ",DEFAULT={},AUTOSELECT=YES",
                if is_default { "YES" } else { "NO" }
            );
            if a.codec_config.channels > 0 {
                let _ = write!(m, ",CHANNELS=\"{}\"", a.codec_config.channels);
            }
            let _ = writeln!(
                m,
                ",URI=\"{}\"",
                urls.url(&format!("{}/playlist.m3u8", track_dir(a)))
            );
        }
    }
    for s in subtitles {
        let _ = write!(
            m,
            "#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID=\"subs\",NAME=\"{}\"",
            quoted(&s.name)
        );
        if let Some(l) = &s.language {
            let _ = write!(m, ",LANGUAGE=\"{}\"", quoted(&language_tag(l)));
        }
        let _ = write!(
            m,
            ",DEFAULT={},AUTOSELECT={},FORCED={}",
            if s.default { "YES" } else { "NO" },
            if s.default || s.forced { "YES" } else { "NO" },
            if s.forced { "YES" } else { "NO" }
        );
        if s.hearing_impaired {
            m.push_str(",CHARACTERISTICS=\"public.accessibility.transcribes-spoken-dialog,public.accessibility.describes-music-and-sound\"");
        }
        let _ = writeln!(
            m,
            ",URI=\"{}\"",
            urls.url(&format!("{}/playlist.m3u8", s.dir()))
        );
    }
    let main = video.or(default_audio);
    if let Some(main) = main {
        let (mut peak, mut avg) = bandwidth(main, plan);
        let mut codecs: Vec<String> = main.codec_string.iter().cloned().collect();
        if let (Some(_), Some(a)) = (video, default_audio) {
            let (p, v) = bandwidth(a, plan);
            peak += p;
            avg += v;
            codecs.extend(a.codec_string.iter().cloned());
        }
        let _ = write!(
            m,
            "#EXT-X-STREAM-INF:BANDWIDTH={peak},AVERAGE-BANDWIDTH={avg}"
        );
        if !codecs.is_empty() {
            let _ = write!(m, ",CODECS=\"{}\"", quoted(&codecs.join(",")));
        }
        if let Some(v) = video {
            let c = &v.codec_config;
            if c.width > 0 && c.height > 0 {
                let _ = write!(m, ",RESOLUTION={}x{}", c.width, c.height);
            }
            if let Some(f) = frame_rate(v) {
                let _ = write!(m, ",FRAME-RATE={f:.3}");
            }
            if default_audio.is_some() {
                m.push_str(",AUDIO=\"audio\"");
            }
        }
        if !subtitles.is_empty() {
            m.push_str(",SUBTITLES=\"subs\"");
        }
        m.push('\n');
        let _ = writeln!(
            m,
            "{}",
            urls.url(&format!("{}/playlist.m3u8", track_dir(main)))
        );
    }
    m
}

/// The HLS media playlist of one track.
pub fn hls_media_playlist(track: &TrackIndex, plan: &SegmentPlan, urls: &UrlOptions) -> String {
    let range = segment_range(track, plan);
    let ts = f64::from(track.timescale.max(1));
    let target = range
        .clone()
        .map(|n| {
            plan.track_duration(track, n)
                .div_ceil(u64::from(track.timescale.max(1)))
        })
        .max()
        .unwrap_or(1)
        .max(plan.target_duration());
    let mut m = String::from("#EXTM3U\n#EXT-X-VERSION:7\n");
    let _ = writeln!(m, "#EXT-X-TARGETDURATION:{target}");
    let _ = writeln!(m, "#EXT-X-MEDIA-SEQUENCE:{}", range.start);
    m.push_str("#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-INDEPENDENT-SEGMENTS\n");
    let _ = writeln!(m, "#EXT-X-MAP:URI=\"{}\"", urls.in_track(track, "init.mp4"));
    for n in range {
        let d = plan.track_duration(track, n) as f64 / ts;
        let _ = writeln!(
            m,
            "#EXTINF:{d:.6},\n{}",
            urls.in_track(track, &format!("{n}.m4s"))
        );
    }
    m.push_str("#EXT-X-ENDLIST\n");
    m
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// ISO 8601 duration with millisecond precision.
fn iso_duration(secs: f64) -> String {
    format!("PT{:.3}S", secs.max(0.0))
}

/// A static DASH MPD: one AdaptationSet for the video, one per audio track,
/// one per subtitle rendition (a whole WebVTT file).
pub fn dash_mpd(
    index: &SampleIndex,
    plan: &SegmentPlan,
    urls: &UrlOptions,
    subtitles: &[SubtitleRendition],
) -> String {
    let mut m = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        m,
        "<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\" profiles=\"urn:mpeg:dash:profile:isoff-live:2011\" \
         type=\"static\" mediaPresentationDuration=\"{}\" minBufferTime=\"PT{}S\">",
        iso_duration(plan.total_seconds()),
        plan.target_duration()
    );
    m.push_str("  <Period id=\"0\" start=\"PT0S\">\n");
    let tracks = index.video().into_iter().chain(index.audio());
    for t in tracks {
        let video = t.kind == TrackKind::Video;
        let (peak, _) = bandwidth(t, plan);
        let _ = write!(
            m,
            "    <AdaptationSet id=\"{}\" contentType=\"{}\" mimeType=\"{}\" segmentAlignment=\"true\" startWithSAP=\"1\"",
            t.track_id,
            if video { "video" } else { "audio" },
            if video { "video/mp4" } else { "audio/mp4" }
        );
        if let Some(l) = &t.language {
            let _ = write!(m, " lang=\"{}\"", xml(&language_tag(l)));
        }
        m.push_str(">\n");
        if !video && t.default {
            m.push_str("      <Role schemeIdUri=\"urn:mpeg:dash:role:2011\" value=\"main\"/>\n");
        }
        let _ = write!(
            m,
            "      <Representation id=\"{}{}\" bandwidth=\"{peak}\"",
            if video { "v" } else { "a" },
            t.track_id
        );
        if let Some(c) = &t.codec_string {
            let _ = write!(m, " codecs=\"{}\"", xml(c));
        }
        let c = &t.codec_config;
        if video {
            let _ = write!(m, " width=\"{}\" height=\"{}\"", c.width, c.height);
            if let Some(f) = frame_rate(t) {
                let _ = write!(m, " frameRate=\"{}\"", (f * 1000.0).round() / 1000.0);
            }
        } else if c.sample_rate > 0 {
            let _ = write!(m, " audioSamplingRate=\"{}\"", c.sample_rate);
        }
        m.push_str(">\n");
        if !video && c.channels > 0 {
            let _ = writeln!(
                m,
                "        <AudioChannelConfiguration schemeIdUri=\"urn:mpeg:dash:23003:3:audio_channel_configuration:2011\" value=\"{}\"/>",
                c.channels
            );
        }
        let range = segment_range(t, plan);
        let dir = track_dir(t);
        let _ = writeln!(
            m,
            "        <SegmentTemplate timescale=\"{}\" initialization=\"{}\" media=\"{}\" startNumber=\"{}\">",
            t.timescale,
            xml(&urls.url(&format!("{dir}/init.mp4"))),
            xml(&urls.url(&format!("{dir}/$Number$.m4s"))),
            range.start
        );
        m.push_str("          <SegmentTimeline>\n");
        // Run-length encode equal durations; the first S carries the start time.
        let mut runs: Vec<(u64, u64)> = Vec::new();
        for n in range.clone() {
            let d = plan.track_duration(t, n);
            match runs.last_mut() {
                Some((rd, r)) if *rd == d => *r += 1,
                _ => runs.push((d, 0)),
            }
        }
        let first_t = range
            .clone()
            .next()
            .map(|n| {
                let s = plan.samples_for(t, n);
                t.samples.get(s.start).map_or(0, |x| x.pts().max(0))
            })
            .unwrap_or(0);
        for (i, (d, r)) in runs.iter().enumerate() {
            m.push_str("            <S");
            if i == 0 {
                let _ = write!(m, " t=\"{first_t}\"");
            }
            let _ = write!(m, " d=\"{d}\"");
            if *r > 0 {
                let _ = write!(m, " r=\"{r}\"");
            }
            m.push_str("/>\n");
        }
        m.push_str("          </SegmentTimeline>\n        </SegmentTemplate>\n      </Representation>\n    </AdaptationSet>\n");
    }
    // Adaptation set ids follow the track ids (a damaged file may use u32::MAX).
    let first_subtitle_id = index
        .tracks
        .iter()
        .map(|t| u64::from(t.track_id))
        .max()
        .unwrap_or(0)
        + 1;
    for (i, s) in subtitles.iter().enumerate() {
        let _ = write!(
            m,
            "    <AdaptationSet id=\"{}\" contentType=\"text\" mimeType=\"text/vtt\"",
            first_subtitle_id + i as u64
        );
        if let Some(l) = &s.language {
            let _ = write!(m, " lang=\"{}\"", xml(&language_tag(l)));
        }
        m.push_str(">\n");
        let role = if s.forced {
            "forced-subtitle"
        } else if s.hearing_impaired {
            "caption"
        } else {
            "subtitle"
        };
        let _ = writeln!(
            m,
            "      <Role schemeIdUri=\"urn:mpeg:dash:role:2011\" value=\"{role}\"/>"
        );
        let _ = writeln!(m, "      <Label>{}</Label>", xml(&s.name));
        let _ = writeln!(
            m,
            "      <Representation id=\"s{}\" bandwidth=\"256\">\n        <BaseURL>{}</BaseURL>\n      </Representation>\n    </AdaptationSet>",
            xml(&s.key),
            xml(&urls.url(&format!("{}/subtitles.vtt", s.dir())))
        );
    }
    m.push_str("  </Period>\n</MPD>\n");
    m
}
