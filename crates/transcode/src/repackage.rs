//! One file of ffmpeg's segment muxer → one CMAF media segment placed on the source's timeline.
//!
//! Each file ffmpeg writes is a small fragmented MP4 whose times start at zero. Its samples are
//! read with the same index builder the remuxer uses, moved to where the segment belongs in the
//! title (`base`: for video exactly the plan's cut, in the plan's timescale) and written with the
//! same CMAF writer, so transcoded and remuxed renditions carry the same segment numbers, cut
//! times and `tfdt`s and a player can switch between them.

use std::io::Cursor;
use std::path::Path;

use marquee_media::plan::PlannedSegment;
use marquee_media::{
    build_index_path, init_segment, media_segment, write_slices, Sample, SegmentPlan, TrackIndex,
    TrackKind,
};

/// A repackaged segment and the init segment that describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repackaged {
    pub init: Vec<u8>,
    pub segment: Vec<u8>,
}

/// What went wrong turning ffmpeg's output into a segment.
#[derive(Debug, thiserror::Error)]
pub enum RepackageError {
    #[error("ffmpeg's segment cannot be read: {0}")]
    Read(#[from] marquee_media::ProbeError),
    #[error("ffmpeg's segment has no {0} samples")]
    Empty(&'static str),
    #[error("ffmpeg's segment {0} does not start with a keyframe: it would not line up with the original")]
    NoKeyframe(usize),
    #[error("ffmpeg's segment {n} lasts {got:.3} s where the plan has {want:.3} s")]
    Duration { n: usize, got: f64, want: f64 },
    #[error("writing the segment failed: {0}")]
    Write(String),
}

/// Where a segment goes and what it must be.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placement {
    /// Track id written in the init and media segments (the source track's).
    pub track_id: u32,
    pub kind: TrackKind,
    /// Timescale of the output (`None`: keep ffmpeg's).
    pub timescale: Option<u32>,
    /// Where the file's time zero goes.
    pub base: Base,
    /// The plan's number of the segment (the `mfhd` sequence is `n + 1`).
    pub n: usize,
    /// For video: the planned duration in the output timescale, which the segment must match to
    /// within two frames.
    pub planned_duration: Option<u64>,
}

/// Where a segment starts on the title's timeline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Base {
    /// Exactly this decode time, in the output timescale (video: the plan's cut).
    Ticks(i64),
    /// This many seconds into the title (audio: where ffmpeg's segment muxer cut).
    Seconds(f64),
}

fn rescale(v: i64, from: u32, to: u32) -> i64 {
    if from == to || from == 0 {
        return v;
    }
    let num = i128::from(v) * i128::from(to);
    let den = i128::from(from);
    // Round half away from zero.
    let q = (num + if num >= 0 { den / 2 } else { -den / 2 }) / den;
    i64::try_from(q).unwrap_or(if q > 0 { i64::MAX } else { i64::MIN })
}

/// Reads ffmpeg's segment `file` and writes it as CMAF placed by `at`.
pub fn repackage(file: &Path, at: Placement) -> Result<Repackaged, RepackageError> {
    let index = build_index_path(file)?;
    let what = if at.kind == TrackKind::Video {
        "video"
    } else {
        "audio"
    };
    let t = index
        .tracks
        .into_iter()
        .find(|t| t.kind == at.kind && !t.samples.is_empty())
        .ok_or(RepackageError::Empty(what))?;
    let ts_out = at.timescale.unwrap_or(t.timescale).max(1);
    let base = match at.base {
        Base::Ticks(t) => t,
        Base::Seconds(s) => (s * f64::from(ts_out)).round() as i64,
    }
    .max(0);
    // Output time 0 of the file is `base`; samples before it (AAC priming after a seek) go.
    let mut dts: Vec<i64> = Vec::with_capacity(t.samples.len());
    let mut kept: Vec<&Sample> = Vec::with_capacity(t.samples.len());
    for s in &t.samples {
        if s.pts() < 0 {
            continue;
        }
        dts.push(base + rescale(s.dts, t.timescale, ts_out));
        kept.push(s);
    }
    if kept.is_empty() {
        return Err(RepackageError::Empty(what));
    }
    let samples: Vec<Sample> = kept
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let duration = match dts.get(i + 1) {
                Some(next) => next - dts[i],
                None => rescale(i64::from(s.duration), t.timescale, ts_out),
            };
            Sample {
                offset: s.offset,
                size: s.size,
                dts: dts[i].max(0),
                duration: u32::try_from(duration.max(0)).unwrap_or(u32::MAX),
                cts_offset: i32::try_from(rescale(i64::from(s.cts_offset), t.timescale, ts_out))
                    .unwrap_or(0),
                keyframe: s.keyframe,
            }
        })
        .collect();
    if at.kind == TrackKind::Video {
        if !samples[0].keyframe {
            return Err(RepackageError::NoKeyframe(at.n));
        }
        if let Some(want) = at.planned_duration {
            let got: u64 = samples.iter().map(|s| u64::from(s.duration)).sum();
            let frame = u64::from(samples[0].duration.max(1));
            if got.abs_diff(want) > 2 * frame {
                return Err(RepackageError::Duration {
                    n: at.n,
                    got: got as f64 / f64::from(ts_out),
                    want: want as f64 / f64::from(ts_out),
                });
            }
        }
    }
    let total: u64 = samples.iter().map(|s| u64::from(s.duration)).sum();
    let track = TrackIndex {
        track_id: at.track_id,
        kind: at.kind,
        codec: t.codec,
        codec_string: t.codec_string,
        language: None,
        name: None,
        default: false,
        timescale: ts_out,
        codec_config: t.codec_config,
        unsupported: None,
        samples,
    };
    let plan = SegmentPlan {
        track_id: at.track_id,
        timescale: ts_out,
        reference_samples: track.samples.len(),
        segments: vec![PlannedSegment {
            start: track.samples[0].pts(),
            duration: total,
            first_sample: 0,
            end_sample: track.samples.len(),
        }],
    };
    let write_err = |e: &dyn std::fmt::Display| RepackageError::Write(e.to_string());
    let init = init_segment(&track).map_err(|e| write_err(&e))?;
    let sequence = u32::try_from(at.n + 1).unwrap_or(u32::MAX);
    let slices = media_segment(&track, &plan, 0, sequence).map_err(|e| write_err(&e))?;
    let bytes = std::fs::read(file).map_err(|e| write_err(&e))?;
    let mut segment = Vec::with_capacity(bytes.len() + 256);
    write_slices(&slices, &mut Cursor::new(bytes), &mut segment).map_err(|e| write_err(&e))?;
    Ok(Repackaged { init, segment })
}

#[cfg(test)]
mod tests {
    use super::rescale;

    #[test]
    fn rescaling_rounds() {
        assert_eq!(rescale(512, 12800, 1000), 40);
        assert_eq!(rescale(1024, 48000, 48000), 1024);
        assert_eq!(rescale(1, 3, 2), 1);
        assert_eq!(rescale(-1, 3, 2), -1);
        assert_eq!(rescale(7, 0, 5), 7);
    }
}
