//! The little of HLS a player needs: variants and audio renditions of a master playlist, the
//! init segment and media segments of a media playlist.

/// A video variant (`EXT-X-STREAM-INF`).
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    pub bandwidth: u64,
    pub audio_group: Option<String>,
    pub uri: String,
}

/// An alternate rendition (`EXT-X-MEDIA`).
#[derive(Debug, Clone, PartialEq)]
pub struct Rendition {
    pub kind: String,
    pub group: String,
    pub default: bool,
    pub uri: Option<String>,
}

#[derive(Debug, Default, PartialEq)]
pub struct Master {
    pub variants: Vec<Variant>,
    pub renditions: Vec<Rendition>,
}

impl Master {
    /// The variant a player with `max_bps` of bandwidth picks: the richest that fits, else the
    /// leanest.
    pub fn pick(&self, max_bps: u64) -> Option<&Variant> {
        let fits = self
            .variants
            .iter()
            .filter(|v| v.bandwidth <= max_bps)
            .max_by_key(|v| v.bandwidth);
        fits.or_else(|| self.variants.iter().min_by_key(|v| v.bandwidth))
    }

    /// The audio rendition that goes with `variant`: its group's default, else the group's first.
    pub fn audio_for(&self, variant: &Variant) -> Option<&Rendition> {
        let group = variant.audio_group.as_deref()?;
        let in_group = || {
            self.renditions
                .iter()
                .filter(move |r| r.kind == "AUDIO" && r.group == group && r.uri.is_some())
        };
        in_group().find(|r| r.default).or_else(|| in_group().next())
    }
}

/// A media segment: where it starts in the presentation, how long it lasts, its URI.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub start: f64,
    pub duration: f64,
    pub uri: String,
}

#[derive(Debug, Default, PartialEq)]
pub struct MediaPlaylist {
    pub init: Option<String>,
    pub segments: Vec<Segment>,
}

impl MediaPlaylist {
    pub fn total_seconds(&self) -> f64 {
        self.segments.last().map_or(0.0, |s| s.start + s.duration)
    }

    /// The segment that holds presentation time `t` (the last one past the end).
    pub fn index_at(&self, t: f64) -> usize {
        let i = self.segments.partition_point(|s| s.start <= t);
        i.saturating_sub(1)
    }
}

/// `KEY=value,KEY="quoted, value"` pairs of a tag.
pub fn attributes(list: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = list.trim();
    while !rest.is_empty() {
        let Some((key, after)) = rest.split_once('=') else {
            break;
        };
        let (value, next) = if let Some(quoted) = after.strip_prefix('"') {
            match quoted.split_once('"') {
                Some((v, n)) => (v, n),
                None => (quoted, ""),
            }
        } else {
            after.split_once(',').map_or((after, ""), |(v, n)| (v, n))
        };
        out.push((key.trim().to_string(), value.to_string()));
        rest = next.trim_start_matches(',').trim_start();
    }
    out
}

fn attr<'a>(attrs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

pub fn parse_master(text: &str) -> Master {
    let mut master = Master::default();
    let mut pending: Option<Vec<(String, String)>> = None;
    for line in text.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("#EXT-X-STREAM-INF:") {
            pending = Some(attributes(rest));
        } else if let Some(rest) = line.strip_prefix("#EXT-X-MEDIA:") {
            let a = attributes(rest);
            master.renditions.push(Rendition {
                kind: attr(&a, "TYPE").unwrap_or_default().to_string(),
                group: attr(&a, "GROUP-ID").unwrap_or_default().to_string(),
                default: attr(&a, "DEFAULT") == Some("YES"),
                uri: attr(&a, "URI").map(str::to_string),
            });
        } else if !line.is_empty() && !line.starts_with('#') {
            if let Some(a) = pending.take() {
                master.variants.push(Variant {
                    bandwidth: attr(&a, "BANDWIDTH")
                        .and_then(|b| b.parse().ok())
                        .unwrap_or(0),
                    audio_group: attr(&a, "AUDIO").map(str::to_string),
                    uri: line.to_string(),
                });
            }
        }
    }
    master
}

pub fn parse_media(text: &str) -> MediaPlaylist {
    let mut playlist = MediaPlaylist::default();
    let mut duration: Option<f64> = None;
    let mut start = 0.0;
    for line in text.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("#EXT-X-MAP:") {
            playlist.init = attr(&attributes(rest), "URI").map(str::to_string);
        } else if let Some(rest) = line.strip_prefix("#EXTINF:") {
            duration = rest.split(',').next().and_then(|d| d.trim().parse().ok());
        } else if !line.is_empty() && !line.starts_with('#') {
            if let Some(d) = duration.take() {
                playlist.segments.push(Segment {
                    start,
                    duration: d,
                    uri: line.to_string(),
                });
                start += d;
            }
        }
    }
    playlist
}

#[cfg(test)]
mod tests {
    use super::*;

    const MASTER: &str = "#EXTM3U\n#EXT-X-VERSION:7\n\
        #EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"aud\",NAME=\"English\",LANGUAGE=\"en\",DEFAULT=NO,URI=\"a/2/playlist.m3u8\"\n\
        #EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"aud\",NAME=\"Deutsch\",DEFAULT=YES,URI=\"a/3/playlist.m3u8\"\n\
        #EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID=\"subs\",NAME=\"English\",URI=\"s/en/playlist.m3u8\"\n\
        #EXT-X-STREAM-INF:BANDWIDTH=3300000,CODECS=\"avc1.64001f,mp4a.40.2\",AUDIO=\"aud\"\nv/1/playlist.m3u8\n\
        #EXT-X-STREAM-INF:BANDWIDTH=9000000,CODECS=\"avc1.640028,mp4a.40.2\",AUDIO=\"aud\"\nv/4/playlist.m3u8\n";

    #[test]
    fn picks_the_richest_variant_that_fits_and_its_default_audio() {
        let m = parse_master(MASTER);
        assert_eq!(m.variants.len(), 2);
        assert_eq!(m.renditions.len(), 3);
        let v = m.pick(5_000_000).unwrap();
        assert_eq!(v.uri, "v/1/playlist.m3u8");
        assert_eq!(m.pick(20_000_000).unwrap().uri, "v/4/playlist.m3u8");
        // Nothing fits: the leanest.
        assert_eq!(m.pick(1_000).unwrap().uri, "v/1/playlist.m3u8");
        assert_eq!(
            m.audio_for(v).unwrap().uri.as_deref(),
            Some("a/3/playlist.m3u8")
        );
    }

    #[test]
    fn media_playlists_give_segment_times() {
        let p = parse_media(
            "#EXTM3U\n#EXT-X-TARGETDURATION:7\n#EXT-X-MAP:URI=\"init.mp4\"\n\
             #EXTINF:6.000,\n0.m4s\n#EXTINF:6.5,\n1.m4s\n#EXTINF:2.25,\n2.m4s\n#EXT-X-ENDLIST\n",
        );
        assert_eq!(p.init.as_deref(), Some("init.mp4"));
        assert_eq!(p.segments.len(), 3);
        assert_eq!(p.segments[2].start, 12.5);
        assert_eq!(p.total_seconds(), 14.75);
        assert_eq!(p.index_at(0.0), 0);
        assert_eq!(p.index_at(6.0), 1);
        assert_eq!(p.index_at(12.4), 1);
        assert_eq!(p.index_at(100.0), 2);
    }

    #[test]
    fn quoted_attributes_keep_their_commas() {
        let a = attributes("A=1,CODECS=\"x,y\",B=two");
        assert_eq!(
            a,
            vec![
                ("A".into(), "1".into()),
                ("CODECS".into(), "x,y".into()),
                ("B".into(), "two".into())
            ]
        );
    }
}
