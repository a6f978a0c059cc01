//! What a client can decode: codec families, from the codec strings a browser reports
//! (`MediaSource.isTypeSupported`) or from a built-in profile.

use std::collections::BTreeSet;

/// A codec family as the decision sees it: the short names of
/// [`marquee_media::TrackInfo::codec`] (`h264`, `hevc`, `aac`, `ac3`, …).
pub type Family = &'static str;

/// Built-in client profiles, used when a client sends no list of its own.
pub const PROFILES: &[(&str, &[Family])] = &[
    // Debian's Chromium: no HEVC, no AC-3/E-AC-3 (proprietary codecs Google Chrome may have).
    (
        "chromium",
        &[
            "h264", "vp8", "vp9", "av1", "aac", "mp3", "opus", "flac", "vorbis",
        ],
    ),
    (
        "firefox",
        &[
            "h264", "vp8", "vp9", "av1", "aac", "mp3", "opus", "flac", "vorbis",
        ],
    ),
    // Safari's MSE: HEVC (hvc1) and Dolby audio, no Vorbis.
    (
        "safari",
        &[
            "h264", "hevc", "aac", "mp3", "ac3", "eac3", "flac", "alac", "opus",
        ],
    ),
    // Smart TVs (Tizen, webOS, Android TV): HEVC and Dolby audio, DTS not reliably.
    ("tv", &["h264", "hevc", "aac", "mp3", "ac3", "eac3"]),
];

/// The profile assumed when a client says nothing: the most limited common browser.
pub const DEFAULT_PROFILE: &str = "chromium";

/// The codec families a client decodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCaps {
    families: BTreeSet<Family>,
    /// Where the list came from (`profile chromium`, `the client's list`), for reasons.
    pub source: String,
}

/// Why a capability list was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CapsError {
    #[error("unknown client profile {0:?} (known: chromium, firefox, safari, tv)")]
    UnknownProfile(String),
    #[error("too many codecs in the list (at most 64)")]
    TooMany,
}

impl ClientCaps {
    /// A built-in profile by name.
    pub fn profile(name: &str) -> Result<ClientCaps, CapsError> {
        let lower = name.trim().to_ascii_lowercase();
        let (name, families) = PROFILES
            .iter()
            .find(|(n, _)| *n == lower)
            .ok_or_else(|| CapsError::UnknownProfile(name.to_string()))?;
        Ok(ClientCaps {
            families: families.iter().copied().collect(),
            source: format!("the {name} profile"),
        })
    }

    /// The default profile.
    pub fn default_profile() -> ClientCaps {
        ClientCaps::profile(DEFAULT_PROFILE).unwrap_or_else(|_| ClientCaps::from_families(&[]))
    }

    fn from_families(families: &[Family]) -> ClientCaps {
        ClientCaps {
            families: families.iter().copied().collect(),
            source: "the client's list".into(),
        }
    }

    /// A comma-separated list of codec strings (`avc1.640028,hvc1.1.6.L93.B0,mp4a.40.2,ac-3`)
    /// or short names (`h264,hevc,aac`), as a client found them playable. Entries that name no
    /// codec we know are ignored: a browser may well report more than we ever stream.
    pub fn parse_list(list: &str) -> Result<ClientCaps, CapsError> {
        let entries: Vec<&str> = list
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        if entries.len() > 64 {
            return Err(CapsError::TooMany);
        }
        let families: Vec<Family> = entries.iter().filter_map(|e| family_of(e)).collect();
        Ok(ClientCaps::from_families(&families))
    }

    /// Whether the client decodes `codec` (a short name as in the sample index).
    pub fn decodes(&self, codec: &str) -> bool {
        family_of(codec).is_some_and(|f| self.families.contains(f))
    }

    /// The families, sorted (for tests and messages).
    pub fn families(&self) -> Vec<&'static str> {
        self.families.iter().copied().collect()
    }
}

/// The family of an RFC 6381 codec string or a short codec name; `None` for what we do not know.
pub fn family_of(codec: &str) -> Option<Family> {
    let c = codec.trim().to_ascii_lowercase();
    let head = c.split('.').next().unwrap_or("");
    Some(match head {
        "avc1" | "avc3" | "h264" | "avc" => "h264",
        "hvc1" | "hev1" | "hevc" | "h265" | "dvh1" | "dvhe" => "hevc",
        "vp08" | "vp8" => "vp8",
        "vp09" | "vp9" => "vp9",
        "av01" | "av1" => "av1",
        "mp4a" => match c.as_str() {
            // MPEG-1/2 audio layer 3 in MP4.
            "mp4a.69" | "mp4a.6b" | "mp4a.40.34" => "mp3",
            _ => "aac",
        },
        "aac" => "aac",
        "mp3" => "mp3",
        "ac-3" | "ac3" => "ac3",
        "ec-3" | "eac3" | "e-ac-3" => "eac3",
        "opus" => "opus",
        "flac" => "flac",
        "vorbis" => "vorbis",
        "alac" => "alac",
        "dtsc" | "dtse" | "dtsh" | "dtsl" | "dtsx" | "dts" => "dts",
        "mlpa" | "truehd" => "truehd",
        "mpeg2video" => "mpeg2video",
        "mpeg4" => "mpeg4",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codec_strings_map_to_families() {
        assert_eq!(family_of("avc1.640028"), Some("h264"));
        assert_eq!(family_of("hvc1.1.6.L93.B0"), Some("hevc"));
        assert_eq!(family_of("mp4a.40.2"), Some("aac"));
        assert_eq!(family_of("mp4a.6B"), Some("mp3"));
        assert_eq!(family_of("ac-3"), Some("ac3"));
        assert_eq!(family_of("ec-3"), Some("eac3"));
        assert_eq!(family_of("dtsc"), Some("dts"));
        assert_eq!(family_of("xyz1.2"), None);
    }

    #[test]
    fn lists_and_profiles() {
        let caps = ClientCaps::parse_list("avc1.64001f, mp4a.40.2,,nonsense,opus").unwrap();
        assert_eq!(caps.families(), vec!["aac", "h264", "opus"]);
        assert!(caps.decodes("h264"));
        assert!(!caps.decodes("hevc"));
        let chromium = ClientCaps::default_profile();
        assert!(!chromium.decodes("hevc") && !chromium.decodes("ac3"));
        assert!(ClientCaps::profile("Safari").unwrap().decodes("hevc"));
        assert!(ClientCaps::profile("tv").unwrap().decodes("eac3"));
        assert_eq!(
            ClientCaps::profile("netscape").unwrap_err().to_string(),
            "unknown client profile \"netscape\" (known: chromium, firefox, safari, tv)"
        );
        let long = vec!["h264"; 65].join(",");
        assert_eq!(ClientCaps::parse_list(&long), Err(CapsError::TooMany));
    }
}
