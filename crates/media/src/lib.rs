//! Media container probing without ffprobe.
//!
//! [`probe`] reads the container headers of an MP4 / MOV / M4V (ISO base media
//! file format) or Matroska / WebM file and reports its tracks, codecs
//! (including RFC 6381 codec strings for HLS/DASH), durations and keyframe
//! counts.
//!
//! Design rules, because the input is untrusted and may be huge:
//!
//! * **No panics, bounded memory.**  Every length read from the file is checked
//!   against the file's real length and a per-structure cap before anything is
//!   allocated; malformed data becomes a [`ProbeError`], never a panic.
//! * **Headers only.**  Media payloads (`mdat`, Matroska `Cluster`s) are seeked
//!   over, so probing a multi-gigabyte file reads kilobytes.  The one exception
//!   is the optional Matroska keyframe walk ([`ProbeOptions::count_keyframes`]),
//!   which visits every block *header* but still skips the frame data.
//! * **Every loop makes progress.**  Each iteration over boxes/elements advances
//!   by at least the header size, and sample counts from the file are never used
//!   as loop bounds unless the bytes describing those samples are present.
//!
//! On top of probing sits the pure core of on-the-fly HLS/DASH packaging:
//! [`index`] (per-sample index from the same tables), [`plan`] (segment cuts
//! shared by all renditions), [`cmaf`] (fMP4 init and media segments as byte
//! slices of the source), [`manifest`] (HLS playlists, DASH MPD) and
//! [`progressive`] (one plain "moov first" MP4 of the whole file, also as
//! slices).  None of it does I/O beyond `Read + Seek` or knows about HTTP.
//! [`subtitle`] turns text subtitles, sidecar or embedded, into WebVTT.

use std::io::{Read, Seek};
use std::path::Path;

use serde::Serialize;

pub mod audio_match;
pub mod chapters;
pub mod cmaf;
mod codec;
pub mod index;
pub mod lang;
pub mod manifest;
mod mkv;
mod mp4;
pub mod plan;
pub mod progressive;
mod source;
pub mod subtitle;

pub use chapters::Chapter;
pub use cmaf::{init_segment, media_segment, total_len, write_slices, PackageError, Slice};
pub use index::{build_index, build_index_path, CodecConfig, Sample, SampleIndex, TrackIndex};
pub use manifest::{
    dash_mpd, hls_master, hls_media_playlist, hls_subtitle_playlist, SubtitleRendition, UrlOptions,
};
pub use plan::{plan_segments, plan_segments_quick_start, PlannedSegment, SegmentPlan};
pub use progressive::{progressive_mp4, progressive_tracks, ProgressiveCursor, ProgressiveMp4};

use source::Source;

/// Container format, as recognised from the file's own signature (not its name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Container {
    Mp4,
    Mov,
    Matroska,
    Webm,
}

/// What a track carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TrackKind {
    Video,
    Audio,
    Subtitle,
    Other,
}

/// One track (stream) of the file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrackInfo {
    /// `track_ID` (MP4) or `TrackNumber` (Matroska).
    pub id: u64,
    pub kind: TrackKind,
    /// Short codec name (ffmpeg-style: h264, hevc, aac, subrip, ...); for codecs
    /// we do not know, the raw fourcc or Matroska CodecID.
    pub codec: String,
    /// RFC 6381 codec string (e.g. `avc1.64001f`, `mp4a.40.2`) when derivable.
    pub codec_string: Option<String>,
    /// Language as stored (ISO 639-2 such as "eng", or BCP 47); `None` for "und".
    pub language: Option<String>,
    /// Track title, when the file carries a meaningful one.
    pub name: Option<String>,
    pub default: bool,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub frame_rate: Option<f64>,
    pub channels: Option<u32>,
    pub sample_rate: Option<u32>,
    /// Bits per second.
    pub bitrate: Option<u64>,
    pub duration_ms: Option<u64>,
    /// Number of sync samples (video only); `None` when not counted.
    pub keyframes: Option<u64>,
}

/// Result of [`probe`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProbeInfo {
    pub container: Container,
    pub duration_ms: u64,
    /// Overall bits per second (file size over duration).
    pub bitrate: Option<u64>,
    pub tracks: Vec<TrackInfo>,
    /// Chapters stored in the container (MP4 `chpl`, Matroska `Chapters`), sorted, with ends.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub chapters: Vec<Chapter>,
}

/// Knobs for [`probe`].
#[derive(Debug, Clone, Copy, Default)]
pub struct ProbeOptions {
    /// Count video keyframes in Matroska files by walking every block header.
    /// MP4 keyframe counts come from `stss` / `trun` and are always filled; for
    /// Matroska the walk touches the whole file (headers only), so it is opt-in.
    pub count_keyframes: bool,
}

/// Why a file could not be probed.  Messages are meant for people: they say
/// what is wrong with the file in plain words.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    #[error("file is empty (0 bytes)")]
    Empty,
    #[error("not an MP4 or Matroska file (starts with {magic})")]
    Unrecognised {
        /// The first bytes of the file, as hex.
        magic: String,
    },
    #[error("truncated: {what} claims {claimed} bytes but only {available} remain")]
    Truncated {
        what: String,
        claimed: u64,
        available: u64,
    },
    #[error("no 'moov' box: the file is incomplete or not a playable MP4")]
    NoMoov,
    #[error("no Matroska Segment or Tracks element: the file is incomplete or not a playable Matroska file")]
    NoSegment,
    #[error("invalid file: {0}")]
    Invalid(String),
    #[error("the file has no tracks")]
    NoTracks,
}

/// Probes a file from any `Read + Seek` (a `File`, a `Cursor<Vec<u8>>`, ...).
///
/// The container is recognised from the first bytes, not a file name.
pub fn probe<R: Read + Seek>(reader: R, opts: ProbeOptions) -> Result<ProbeInfo, ProbeError> {
    let mut src = Source::new(reader)?;
    probe_source(&mut src, opts).map(|(info, _)| info)
}

/// [`probe`] from an open source; for ISO BMFF also the parsed `moov`, which the
/// sample index is built from.
pub(crate) fn probe_source<R: Read + Seek>(
    src: &mut Source<R>,
    opts: ProbeOptions,
) -> Result<(ProbeInfo, Option<mp4::Movie>), ProbeError> {
    if src.len() == 0 {
        return Err(ProbeError::Empty);
    }
    let mut head = [0u8; 16];
    let n = src.read_at(0, &mut head)?;
    let head = &head[..n];
    let (mut info, movie) = if mkv::looks_like(head) {
        (mkv::probe(src, opts)?, None)
    } else if mp4::looks_like(head) {
        let (info, movie) = mp4::probe_movie(src, opts)?;
        (info, Some(movie))
    } else {
        let magic = head
            .iter()
            .take(4)
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(" ");
        return Err(ProbeError::Unrecognised { magic });
    };
    if info.tracks.is_empty() {
        return Err(ProbeError::NoTracks);
    }
    if info.bitrate.is_none() && info.duration_ms > 0 {
        info.bitrate = Some(src.len().saturating_mul(8000) / info.duration_ms);
    }
    Ok((info, movie))
}

/// Opens `path` (buffered) and [`probe`]s it.
pub fn probe_path(path: &Path, opts: ProbeOptions) -> Result<ProbeInfo, ProbeError> {
    let file = std::fs::File::open(path)?;
    probe(std::io::BufReader::new(file), opts)
}

/// Probes and also reports how many bytes were read: lets tests prove that
/// probing skips media payloads.
#[doc(hidden)]
pub fn probe_counting_reads<R: Read + Seek>(
    reader: R,
    opts: ProbeOptions,
) -> Result<(ProbeInfo, u64), ProbeError> {
    let mut counter = CountingReader {
        inner: reader,
        read: 0,
    };
    let info = probe(&mut counter, opts)?;
    Ok((info, counter.read))
}

struct CountingReader<R> {
    inner: R,
    read: u64,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

impl<R: Seek> Seek for CountingReader<R> {
    fn seek(&mut self, pos: std::io::SeekFrom) -> std::io::Result<u64> {
        self.inner.seek(pos)
    }
}

/// Converts a duration in `units` per second to milliseconds, without overflow.
pub(crate) fn to_ms(value: u64, units_per_sec: u64) -> Option<u64> {
    if units_per_sec == 0 {
        return None;
    }
    let ms = (value as u128) * 1000 / (units_per_sec as u128);
    u64::try_from(ms).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn empty_and_unrecognised() {
        let e = probe(Cursor::new(Vec::new()), ProbeOptions::default()).unwrap_err();
        assert!(matches!(e, ProbeError::Empty), "{e}");
        assert_eq!(e.to_string(), "file is empty (0 bytes)");
        let e = probe(Cursor::new(b"<html>".to_vec()), ProbeOptions::default()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "not an MP4 or Matroska file (starts with 3c 68 74 6d)"
        );
    }

    #[test]
    fn to_ms_is_safe() {
        assert_eq!(to_ms(90_000, 90_000), Some(1000));
        assert_eq!(to_ms(1, 0), None);
        assert_eq!(to_ms(u64::MAX, 1), None);
    }
}
