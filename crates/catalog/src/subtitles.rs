//! Which subtitles a video offers: its embedded text tracks and the subtitle
//! files next to it, named the way Plex, Jellyfin and Kodi users name them.
//!
//! ```text
//! Movie (2020).srt                 no language given
//! Movie (2020).en.srt              English
//! Movie (2020).eng.forced.srt      English, forced (foreign parts only)
//! Movie (2020).English.SDH.srt     English, for the hard of hearing
//! Movie (2020).pt-BR.default.ass   Brazilian Portuguese, shown by default
//! Subs/Movie (2020).fr.vtt         a Subs or Subtitles folder beside the video
//! Subs/Movie (2020)/2_English.srt  scene releases: one folder per video
//! ```
//!
//! [`sidecar_subtitles`] is pure (names in, descriptions out);
//! [`subtitle_sources`] lists the folders and adds the embedded tracks, and
//! [`webvtt`] turns any source into a WebVTT file.

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use marquee_media::lang;
use marquee_media::subtitle::{self, SubtitleFormat, MAX_SUBTITLE_BYTES};
use marquee_media::{SampleIndex, SubtitleRendition};

/// A subtitle file found for a video, described by its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SidecarSubtitle {
    /// Relative to the video's folder, `/`-separated.
    pub relative_path: String,
    pub format: SubtitleFormat,
    /// BCP 47.
    pub language: Option<String>,
    pub forced: bool,
    pub hearing_impaired: bool,
    pub default: bool,
}

/// Folders beside a video that hold its subtitles.
const SUBTITLE_FOLDERS: [&str; 4] = ["subs", "subtitles", "sub", "subtitle"];

/// Most subtitle files considered per video: a folder of thousands of
/// `.srt` files is not one video's subtitles.
const MAX_SIDECARS: usize = 64;

/// The subtitle files among `candidates` (paths relative to the video's
/// folder: names in it, `Subs/<name>`, `Subs/<video stem>/<name>`) that belong
/// to `video_file_name`.
pub fn sidecar_subtitles(video_file_name: &str, candidates: &[&str]) -> Vec<SidecarSubtitle> {
    let stem = stem(video_file_name).to_lowercase();
    let mut out = Vec::new();
    for &rel in candidates {
        let mut parts: Vec<&str> = rel.split('/').collect();
        let Some(name) = parts.pop() else { continue };
        let Some((file_stem, ext)) = name.rsplit_once('.') else {
            continue;
        };
        let Some(format) = SubtitleFormat::from_extension(ext) else {
            continue;
        };
        let lower = file_stem.to_lowercase();
        let folder_ok = match parts.as_slice() {
            [] => true,
            [f] => SUBTITLE_FOLDERS.contains(&f.to_lowercase().as_str()),
            [f, per_video] => {
                SUBTITLE_FOLDERS.contains(&f.to_lowercase().as_str())
                    && per_video.to_lowercase() == stem
            }
            _ => false,
        };
        if !folder_ok {
            continue;
        }
        // In a per-video folder any name goes ("2_English"); elsewhere the
        // file must be the video's stem plus optional tags.
        let tags: &str = if parts.len() == 2 {
            &lower
        } else if lower == stem {
            ""
        } else if let Some(rest) = lower.strip_prefix(&stem).and_then(|r| r.strip_prefix('.')) {
            rest
        } else {
            continue;
        };
        let mut sub = SidecarSubtitle {
            relative_path: rel.to_string(),
            format,
            language: None,
            forced: false,
            hearing_impaired: false,
            default: false,
        };
        for word in tags.split(['.', '_', ' ', '[', ']', '(', ')']) {
            match word {
                "forced" | "foreign" => sub.forced = true,
                "sdh" | "cc" => sub.hearing_impaired = true,
                // ".hi." after a language means hearing impaired, alone it is Hindi.
                "hi" if sub.language.is_some() => sub.hearing_impaired = true,
                "default" => sub.default = true,
                w if sub.language.is_none() && lang::is_known_language(w) => {
                    sub.language = lang::bcp47(w);
                }
                _ => {}
            }
        }
        out.push(sub);
        if out.len() >= MAX_SIDECARS {
            break;
        }
    }
    out.sort_by(|a, b| a.relative_path.cmp(&b.relative_path));
    out
}

fn stem(file_name: &str) -> &str {
    file_name.rsplit_once('.').map_or(file_name, |(s, _)| s)
}

/// Where a subtitle rendition's cues come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubtitleOrigin {
    Embedded {
        track_id: u32,
    },
    Sidecar {
        path: PathBuf,
        format: SubtitleFormat,
    },
}

/// A text subtitle a player can be offered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubtitleSource {
    pub rendition: SubtitleRendition,
    pub origin: SubtitleOrigin,
}

/// The video's text subtitles: embedded text tracks first (file order), then
/// sidecar files (by name).  Names are unique, keys stable across calls:
/// `t<track id>` for a track, `x<hash of the relative path>` for a file.
pub fn subtitle_sources(video: &Path, index: &SampleIndex) -> Vec<SubtitleSource> {
    let mut out = Vec::new();
    for t in index.tracks.iter().filter(|t| t.is_text_subtitle()) {
        let language = t.language.as_deref().and_then(lang::bcp47);
        let name = t
            .name
            .clone()
            .or_else(|| language.as_deref().map(label_for))
            .unwrap_or_else(|| format!("Subtitles {}", t.track_id));
        out.push(SubtitleSource {
            rendition: SubtitleRendition {
                key: format!("t{}", t.track_id),
                name,
                language,
                default: false,
                forced: false,
                hearing_impaired: false,
            },
            origin: SubtitleOrigin::Embedded {
                track_id: t.track_id,
            },
        });
    }
    if let (Some(dir), Some(name)) = (video.parent(), video.file_name().and_then(|n| n.to_str())) {
        let candidates = list_candidates(dir, stem(name));
        let refs: Vec<&str> = candidates.iter().map(String::as_str).collect();
        for s in sidecar_subtitles(name, &refs) {
            let mut label = s
                .language
                .as_deref()
                .map(label_for)
                .unwrap_or_else(|| "Subtitles".into());
            if s.forced {
                label.push_str(" (Forced)");
            }
            if s.hearing_impaired {
                label.push_str(" (SDH)");
            }
            out.push(SubtitleSource {
                rendition: SubtitleRendition {
                    key: format!("x{:08x}", fnv1a(s.relative_path.as_bytes()) as u32),
                    name: label,
                    language: s.language,
                    default: s.default || s.forced,
                    forced: s.forced,
                    hearing_impaired: s.hearing_impaired,
                },
                origin: SubtitleOrigin::Sidecar {
                    path: dir.join(&s.relative_path),
                    format: s.format,
                },
            });
        }
    }
    let mut seen = HashSet::new();
    for s in &mut out {
        let base = s.rendition.name.clone();
        let mut n = 2;
        while !seen.insert(s.rendition.name.clone()) {
            s.rendition.name = format!("{base} {n}");
            n += 1;
        }
    }
    out
}

fn label_for(language: &str) -> String {
    lang::display_name(language).map_or_else(|| language.to_string(), str::to_string)
}

/// FNV-1a: a stable, dependency-free key for a file name.
fn fnv1a(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Names in `dir`, `dir/Subs` and `dir/Subs/<stem>` (any spelling of the
/// subtitle folders), as relative paths.  Unreadable folders are skipped.
fn list_candidates(dir: &Path, video_stem: &str) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten().take(10_000) {
        let Ok(name) = e.file_name().into_string() else {
            continue;
        };
        let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
        if !is_dir {
            if has_subtitle_extension(&name) {
                out.push(name);
            }
            continue;
        }
        if !SUBTITLE_FOLDERS.contains(&name.to_lowercase().as_str()) {
            continue;
        }
        let Ok(sub_entries) = std::fs::read_dir(e.path()) else {
            continue;
        };
        for se in sub_entries.flatten().take(10_000) {
            let Ok(sub_name) = se.file_name().into_string() else {
                continue;
            };
            if se.file_type().is_ok_and(|t| t.is_dir()) {
                if sub_name.eq_ignore_ascii_case(video_stem) {
                    let Ok(inner) = std::fs::read_dir(se.path()) else {
                        continue;
                    };
                    for ie in inner.flatten().take(10_000) {
                        if let Ok(n) = ie.file_name().into_string() {
                            if has_subtitle_extension(&n) {
                                out.push(format!("{name}/{sub_name}/{n}"));
                            }
                        }
                    }
                }
            } else if has_subtitle_extension(&sub_name) {
                out.push(format!("{name}/{sub_name}"));
            }
        }
    }
    out
}

fn has_subtitle_extension(name: &str) -> bool {
    name.rsplit_once('.')
        .is_some_and(|(_, ext)| SubtitleFormat::from_extension(ext).is_some())
}

/// Why a subtitle could not be converted.
#[derive(Debug, thiserror::Error)]
pub enum SubtitleError {
    #[error("cannot read the subtitles: {0}")]
    Io(#[from] std::io::Error),
    #[error("the subtitle file is larger than {} MB", MAX_SUBTITLE_BYTES / (1024 * 1024))]
    TooLarge,
    #[error("cannot read the subtitle track: {0}")]
    Media(#[from] marquee_media::ProbeError),
    #[error("track {0} is not a text subtitle track of this file")]
    NoSuchTrack(u32),
}

/// The WebVTT file of one subtitle source of `video` (whose index is `index`).
pub fn webvtt(
    video: &Path,
    index: &SampleIndex,
    source: &SubtitleSource,
) -> Result<String, SubtitleError> {
    let cues = match &source.origin {
        SubtitleOrigin::Embedded { track_id } => {
            let track = index
                .track(*track_id)
                .filter(|t| t.is_text_subtitle())
                .ok_or(SubtitleError::NoSuchTrack(*track_id))?;
            subtitle::read_embedded(BufReader::new(File::open(video)?), track)?
        }
        SubtitleOrigin::Sidecar { path, format } => {
            let mut bytes = Vec::new();
            File::open(path)?
                .take(MAX_SUBTITLE_BYTES as u64 + 1)
                .read_to_end(&mut bytes)?;
            if bytes.len() > MAX_SUBTITLE_BYTES {
                return Err(SubtitleError::TooLarge);
            }
            subtitle::parse(*format, &bytes)
        }
    };
    Ok(subtitle::to_webvtt(&cues))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(video: &str, names: &[&str]) -> Vec<(String, Option<String>, bool, bool, bool)> {
        sidecar_subtitles(video, names)
            .into_iter()
            .map(|s| {
                (
                    s.relative_path,
                    s.language,
                    s.forced,
                    s.hearing_impaired,
                    s.default,
                )
            })
            .collect()
    }

    #[test]
    fn names_people_use() {
        let names = [
            "Heat (1995).srt",
            "Heat (1995).en.srt",
            "Heat (1995).eng.forced.srt",
            "Heat (1995).English.SDH.srt",
            "Heat (1995).en.hi.srt",
            "Heat (1995).hi.srt",
            "Heat (1995).pt-BR.default.ass",
            "Heat (1995).nfo",
            "Heat (1995)-poster.jpg",
            "Other Film.en.srt",
            "Heat (1995) extended.en.srt",
            "Subs/Heat (1995).fr.vtt",
            "Subs/Heat (1995)/2_English.srt",
            "Subs/Other/3_French.srt",
            "Extras/Heat (1995).de.srt",
        ];
        let got = found("Heat (1995).mkv", &names);
        let s = |p: &str, l: Option<&str>, f, h, d| (p.to_string(), l.map(str::to_string), f, h, d);
        assert_eq!(
            got,
            vec![
                s(
                    "Heat (1995).English.SDH.srt",
                    Some("en"),
                    false,
                    true,
                    false
                ),
                s("Heat (1995).en.hi.srt", Some("en"), false, true, false),
                s("Heat (1995).en.srt", Some("en"), false, false, false),
                s("Heat (1995).eng.forced.srt", Some("en"), true, false, false),
                s("Heat (1995).hi.srt", Some("hi"), false, false, false),
                s(
                    "Heat (1995).pt-BR.default.ass",
                    Some("pt-BR"),
                    false,
                    false,
                    true
                ),
                s("Heat (1995).srt", None, false, false, false),
                s("Subs/Heat (1995).fr.vtt", Some("fr"), false, false, false),
                s(
                    "Subs/Heat (1995)/2_English.srt",
                    Some("en"),
                    false,
                    false,
                    false
                ),
            ]
        );
    }

    #[test]
    fn sources_from_a_folder() {
        let dir = tempfile::tempdir().expect("tempdir");
        let video = dir.path().join("Film.mp4");
        std::fs::write(&video, b"not read here").expect("write");
        std::fs::write(
            dir.path().join("Film.en.srt"),
            "1\n00:00:01,000 --> 00:00:02,000\nHi & bye\n",
        )
        .expect("write");
        std::fs::write(dir.path().join("Film.en.forced.srt"), "").expect("write");
        std::fs::create_dir(dir.path().join("Subs")).expect("mkdir");
        std::fs::write(
            dir.path().join("Subs/Film.fr.vtt"),
            "WEBVTT\n\n00:01.000 --> 00:02.000\nSalut\n",
        )
        .expect("write");
        let index = SampleIndex {
            container: marquee_media::Container::Mp4,
            duration_ms: 0,
            tracks: Vec::new(),
        };
        let sources = subtitle_sources(&video, &index);
        let names: Vec<&str> = sources.iter().map(|s| s.rendition.name.as_str()).collect();
        assert_eq!(names, ["English (Forced)", "English", "French"]);
        assert!(sources[0].rendition.forced && sources[0].rendition.default);
        assert!(sources.iter().all(|s| s.rendition.key.starts_with('x')));
        let vtt = webvtt(&video, &index, &sources[1]).expect("vtt");
        assert_eq!(
            vtt,
            "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nHi &amp; bye\n"
        );
        let vtt = webvtt(&video, &index, &sources[2]).expect("vtt");
        assert!(vtt.contains("Salut"), "{vtt}");
    }
}
