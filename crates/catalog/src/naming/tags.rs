//! Release tags: resolution, source, codec and group, and where tags start in a name
//! (titles end where the first tag begins).

use std::sync::LazyLock;

use regex::Regex;

use super::text::re;
use super::ReleaseTags;

/// Case-insensitive tags. Names have `_` replaced by spaces first, so `\b` sees word edges.
static TAGS: LazyLock<Regex> = LazyLock::new(|| {
    let alternatives = [
        r"(?P<res>(?:2160|1440|1080|720|576|540|480|360|240)[pi]|4k|uhd)",
        r"(?P<remux>(?:bd)?remux)",
        r"(?P<bluray>blu[ .\-]?ray|bd[ .\-]?rip|br[ .\-]?rip|bd25|bd50)",
        r"(?P<webdl>web[ .\-]?dl)",
        r"(?P<webrip>web[ .\-]?rip)",
        r"(?P<hdtv>hdtv(?:rip)?|pdtv)",
        r"(?P<sdtv>sdtv|tvrip|dsrip)",
        r"(?P<dvd>dvd[ .\-]?rip|dvdscr|dvd[r59]?)",
        r"(?P<hdrip>hdrip)",
        r"(?P<h264>[xh][ .]?264|avc)",
        r"(?P<hevc>[xh][ .]?265|hevc)",
        r"(?P<av1>av1)",
        r"(?P<xvid>xvid)",
        r"(?P<divx>divx)",
        r"(?P<vp9>vp9)",
        concat!(
            r"(?P<other>1[02][ .\-]?bit|8[ .\-]?bit|hdr10(?:plus)?|dolby[ .]?vision|",
            r"dts(?:[ .\-]?(?:hd|x|es|ma))*|true[ .\-]?hd|atmos|e?ac3|ddp?[ .]?[257][ .]?[01]|",
            r"aac(?:[ .]?[257][ .]?[01])?|proper|repack|rerip)"
        ),
    ];
    re(&format!(r"(?i)\b(?:{})\b", alternatives.join("|")))
});

/// Tags that are ordinary words in lower or title case ("Web", "Complete"), so they
/// count only in capitals, as scene releases write them.
static TAGS_UPPER: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r"\b(?:(?P<web>WEB)|(?P<bd>BD)|(?P<uhd>UHD)|",
        r"(?P<other>HDR|HDR10|DV|NF|AMZN|DSNP|HMAX|ATVP|HULU|PCOK|MULTi|MULTI|DUBBED|SUBBED|",
        r"iNTERNAL|INTERNAL|EXTENDED|UNRATED|REMASTERED|IMAX|HYBRID|FLAC|OPUS|LIMITED|COMPLETE|",
        r"DDP|DD|AAC|DTS))\b"
    ))
});

/// Lower-case `web` counts as a source only inside the tag area (`720p.web.h264-grp`).
static WEB: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)\bweb\b"));

/// Site tags after the group: `-GRP[rarbg]`.
static TRAILING_BRACKETS: LazyLock<Regex> = LazyLock::new(|| re(r"(?:\s*\[[^\[\]]*\])+\s*$"));

pub(super) struct TagScan {
    /// Byte ranges of every tag in the scanned text, sorted.
    pub spans: Vec<(usize, usize)>,
    pub release: ReleaseTags,
}

const SOURCE_GROUPS: [(&str, &str); 9] = [
    ("bluray", "bluray"),
    ("webdl", "web-dl"),
    ("webrip", "webrip"),
    ("hdtv", "hdtv"),
    ("sdtv", "sdtv"),
    ("dvd", "dvd"),
    ("hdrip", "hdrip"),
    ("bd", "bluray"),
    ("web", "web-dl"),
];

const CODEC_GROUPS: [(&str, &str); 6] = [
    ("h264", "h264"),
    ("hevc", "hevc"),
    ("av1", "av1"),
    ("xvid", "xvid"),
    ("divx", "divx"),
    ("vp9", "vp9"),
];

pub(super) fn scan(text: &str) -> TagScan {
    let mut spans = Vec::new();
    let mut resolution: Option<String> = None;
    let mut uhd = false;
    let mut remux = false;
    let mut sources: Vec<(usize, &'static str)> = Vec::new();
    let mut codecs: Vec<(usize, &'static str)> = Vec::new();
    for re in [&*TAGS, &*TAGS_UPPER] {
        for c in re.captures_iter(text) {
            let Some(m) = c.get(0) else { continue };
            spans.push((m.start(), m.end()));
            if let Some(r) = c.name("res") {
                let r = r.as_str().to_ascii_lowercase();
                if r == "4k" || r == "uhd" {
                    uhd = true;
                } else if resolution.is_none() {
                    // Matches come left to right: the first resolution named wins.
                    resolution = Some(format!("{}p", r.trim_end_matches(['p', 'i'])));
                }
            }
            uhd |= c.name("uhd").is_some();
            remux |= c.name("remux").is_some();
            for (group, value) in SOURCE_GROUPS {
                if c.name(group).is_some() {
                    sources.push((m.start(), value));
                }
            }
            for (group, value) in CODEC_GROUPS {
                if c.name(group).is_some() {
                    codecs.push((m.start(), value));
                }
            }
        }
    }
    spans.sort_unstable();
    if sources.is_empty() {
        if let Some(&(first, _)) = spans.first() {
            if let Some(m) = WEB.find_at(text, first) {
                sources.push((m.start(), "web-dl"));
            }
        }
    }
    sources.sort_unstable();
    codecs.sort_unstable();
    let release = ReleaseTags {
        resolution: resolution.or_else(|| uhd.then(|| "2160p".to_string())),
        // A remux is named for what it is; its disc source goes without saying.
        source: if remux {
            Some("remux".to_string())
        } else {
            sources.first().map(|(_, s)| s.to_string())
        },
        codec: codecs.first().map(|(_, c)| c.to_string()),
        group: scene_group(text, &spans),
    };
    TagScan { spans, release }
}

/// The release group after the last `-` (`…x264-GROUP`), only in a name that has tags and
/// only after where they start, so `Spider-Man` or `9-1-1` never yield a group.
fn scene_group(text: &str, spans: &[(usize, usize)]) -> Option<String> {
    let first = spans.first()?.0;
    let end = TRAILING_BRACKETS
        .find(text)
        .map_or(text.len(), |m| m.start());
    let s = &text[..end];
    let dash = s.rfind('-')?;
    let cand = &s[dash + 1..];
    let inside_tag = spans.iter().any(|&(a, b)| a <= dash + 1 && dash + 1 < b);
    let valid = dash >= first
        && !inside_tag
        && (2..=24).contains(&cand.len())
        && cand.chars().all(|c| c.is_ascii_alphanumeric() || c == '@')
        && !cand.chars().all(|c| c.is_ascii_digit());
    valid.then(|| cand.to_string())
}
