//! Segment plan: where a presentation is cut into HLS/DASH segments.
//!
//! One plan serves every rendition of a file, so that video, every audio
//! language and (later) subtitles switch at the same instants and a player can
//! change audio track mid-stream without gaps.  The plan is driven by one
//! *reference* track — the video, or for audio-only files the first audio
//! track — because only video constrains where a segment may start: it must
//! begin with a keyframe.
//!
//! Cuts are made at the first keyframe at or after each multiple of the target
//! duration, so a long or irregular GOP simply yields a longer segment (never
//! an empty one, never one that starts mid-GOP).  Other tracks are split at
//! the same presentation times: a sample whose presentation starts at or after
//! a cut belongs to the next segment.

use std::ops::Range;
use std::time::Duration;

use crate::index::TrackIndex;
use crate::TrackKind;

/// One planned segment, in the plan's timescale (presentation time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlannedSegment {
    /// Presentation time at which the segment starts.
    pub start: i64,
    /// Exact duration: up to the next segment's start (or the track's end).
    pub duration: u64,
    /// The reference track's samples in this segment (decode order).
    pub first_sample: usize,
    pub end_sample: usize,
}

/// The cuts shared by all renditions of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentPlan {
    /// The reference track the plan was made from.
    pub track_id: u32,
    /// Its timescale: the unit of `start` and `duration`.
    pub timescale: u32,
    /// Number of samples of the reference track (to recognise it).
    pub reference_samples: usize,
    pub segments: Vec<PlannedSegment>,
}

impl SegmentPlan {
    /// Number of segments.
    pub fn len(&self) -> usize {
        self.segments.len()
    }

    pub fn is_empty(&self) -> bool {
        self.segments.is_empty()
    }

    /// Total presented duration in plan ticks.
    pub fn total_duration(&self) -> u64 {
        self.segments.iter().map(|s| s.duration).sum()
    }

    /// Total duration in seconds.
    pub fn total_seconds(&self) -> f64 {
        ticks_to_secs(self.total_duration(), self.timescale)
    }

    /// Segment `n`'s duration in seconds.
    pub fn seconds(&self, n: usize) -> f64 {
        self.segments
            .get(n)
            .map_or(0.0, |s| ticks_to_secs(s.duration, self.timescale))
    }

    /// `EXT-X-TARGETDURATION`: the longest segment, rounded up to whole seconds.
    pub fn target_duration(&self) -> u64 {
        let ts = u64::from(self.timescale.max(1));
        self.segments
            .iter()
            .map(|s| s.duration.div_ceil(ts))
            .max()
            .unwrap_or(0)
            .max(1)
    }

    /// Which samples (decode-order indices) of `track` belong to segment `n`.
    ///
    /// For the reference track these are the planned ranges.  For any other
    /// track a sample belongs to the segment whose cut precedes its
    /// presentation start; samples before the first cut go to segment 0 and
    /// after the last to the last segment.
    pub fn samples_for(&self, track: &TrackIndex, n: usize) -> Range<usize> {
        if n >= self.segments.len() {
            return 0..0;
        }
        if self.is_reference(track) {
            let s = &self.segments[n];
            return s.first_sample..s.end_sample.min(track.samples.len());
        }
        let first = if n == 0 {
            0
        } else {
            self.first_at_or_after(track, self.segments[n].start)
        };
        let end = match self.segments.get(n + 1) {
            Some(next) => self.first_at_or_after(track, next.start),
            None => track.samples.len(),
        };
        first..end.max(first)
    }

    /// Whether `track` is the one the plan was made from.
    pub fn is_reference(&self, track: &TrackIndex) -> bool {
        track.track_id == self.track_id && track.samples.len() == self.reference_samples
    }

    /// First sample of `track` presented at or after `cut` (plan ticks).
    fn first_at_or_after(&self, track: &TrackIndex, cut: i64) -> usize {
        let lhs_scale = i128::from(self.timescale);
        let rhs = i128::from(cut) * i128::from(track.timescale);
        track
            .samples
            .partition_point(|s| i128::from(s.pts()) * lhs_scale < rhs)
    }

    /// Duration in `track`'s ticks of what segment `n` holds for it: the plan's
    /// duration for the reference track, the sum of its samples' durations
    /// otherwise.
    pub fn track_duration(&self, track: &TrackIndex, n: usize) -> u64 {
        if self.is_reference(track) {
            return self.segments.get(n).map_or(0, |s| s.duration);
        }
        let r = self.samples_for(track, n);
        track.samples[r].iter().map(|s| u64::from(s.duration)).sum()
    }
}

fn ticks_to_secs(t: u64, ts: u32) -> f64 {
    if ts == 0 {
        0.0
    } else {
        t as f64 / f64::from(ts)
    }
}

/// Plans the segments of `reference` (a video track, or an audio track for
/// audio-only files) for segments of about `target`.
///
/// Video is cut only at keyframes; other tracks at any sample.  An empty track
/// yields an empty plan.
pub fn plan_segments(reference: &TrackIndex, target: Duration) -> SegmentPlan {
    plan_segments_quick_start(reference, target, target)
}

/// Like [`plan_segments`], with the first segment cut at the first keyframe
/// after `first` instead of `target`: a player starts after its first segment,
/// and a just-in-time transcode of a short first segment is ready sooner.
/// Later boundaries stay `target` apart, from `first` on.
pub fn plan_segments_quick_start(
    reference: &TrackIndex,
    target: Duration,
    first: Duration,
) -> SegmentPlan {
    let samples = &reference.samples;
    let ts = u64::from(reference.timescale.max(1));
    let ticks = |d: Duration| {
        i64::try_from((d.as_nanos() * u128::from(ts) / 1_000_000_000).max(1)).unwrap_or(i64::MAX)
    };
    let target_ticks = ticks(target);
    let first_ticks = ticks(first.min(target));
    let mut plan = SegmentPlan {
        track_id: reference.track_id,
        timescale: reference.timescale.max(1),
        reference_samples: samples.len(),
        segments: Vec::new(),
    };
    let Some(first) = samples.first() else {
        return plan;
    };
    let video = reference.kind == TrackKind::Video;
    // Segment 0 starts at the earliest presentation of its first GOP (with
    // B-frames the keyframe is not always the first presented frame).
    let mut starts: Vec<(usize, i64)> = vec![(0, first.pts())];
    let mut boundary = first.pts().saturating_add(first_ticks);
    for (i, s) in samples.iter().enumerate().skip(1) {
        if video && !s.keyframe {
            continue;
        }
        let pts = s.pts();
        let last_start = starts.last().map_or(i64::MIN, |l| l.1);
        if pts >= boundary && pts > last_start {
            starts.push((i, pts));
            // Skip the boundaries a long GOP has run past, in one step: a damaged file's
            // timestamps can jump by years, which is billions of boundaries.
            let passed = pts.saturating_sub(boundary) / target_ticks + 1;
            boundary = boundary.saturating_add(passed.saturating_mul(target_ticks));
        }
    }
    // Segment 0's start: the earliest presentation among its samples.
    let seg0_end = starts.get(1).map_or(samples.len(), |s| s.0);
    if let Some(min) = samples[..seg0_end].iter().map(|s| s.pts()).min() {
        starts[0].1 = min;
    }
    let end = reference.end();
    for (k, &(i, start)) in starts.iter().enumerate() {
        let (end_sample, next) = match starts.get(k + 1) {
            Some(&(j, t)) => (j, t),
            None => (samples.len(), end.max(start.saturating_add(1))),
        };
        plan.segments.push(PlannedSegment {
            start,
            duration: u64::try_from(next.saturating_sub(start))
                .unwrap_or(1)
                .max(1),
            first_sample: i,
            end_sample,
        });
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::{CodecConfig, Sample};

    fn track(kind: TrackKind, ts: u32, frames: &[(u32, bool)], cts: &[i32]) -> TrackIndex {
        let mut dts = 0i64;
        let samples = frames
            .iter()
            .enumerate()
            .map(|(i, &(d, k))| {
                let s = Sample {
                    offset: i as u64 * 10,
                    dts,
                    size: 10,
                    duration: d,
                    cts_offset: cts.get(i).copied().unwrap_or(0),
                    keyframe: k,
                };
                dts += i64::from(d);
                s
            })
            .collect();
        TrackIndex {
            track_id: 1,
            kind,
            codec: "h264".into(),
            codec_string: None,
            language: None,
            name: None,
            default: true,
            timescale: ts,
            codec_config: CodecConfig::default(),
            unsupported: None,
            samples,
        }
    }

    fn check_invariants(t: &TrackIndex, p: &SegmentPlan) {
        assert!(!p.is_empty());
        let mut next = 0;
        for (n, s) in p.segments.iter().enumerate() {
            assert!(s.end_sample > s.first_sample, "segment {n} is empty");
            assert_eq!(s.first_sample, next, "segments must tile the samples");
            next = s.end_sample;
            if t.kind == TrackKind::Video {
                assert!(
                    t.samples[s.first_sample].keyframe,
                    "segment {n} starts mid-GOP"
                );
            }
            assert!(s.duration > 0);
        }
        assert_eq!(next, t.samples.len());
        assert_eq!(p.total_duration(), t.duration(), "durations must add up");
        let longest = p.segments.iter().map(|s| s.duration).max().unwrap_or(0);
        let ts = u64::from(t.timescale);
        assert_eq!(p.target_duration(), longest.div_ceil(ts));
    }

    #[test]
    fn regular_gops() {
        // 25 fps in 1/25 s ticks, keyframe every 50 frames, 10 s.
        let frames: Vec<_> = (0..250).map(|i| (1, i % 50 == 0)).collect();
        let t = track(TrackKind::Video, 25, &frames, &[]);
        let p = plan_segments(&t, Duration::from_secs(4));
        check_invariants(&t, &p);
        // Keyframes at 0,2,4,6,8 s: cuts at 4 and 8.
        let starts: Vec<_> = p.segments.iter().map(|s| s.start).collect();
        assert_eq!(starts, vec![0, 100, 200]);
        assert_eq!(p.target_duration(), 4);
    }

    #[test]
    fn a_quick_first_segment_keeps_the_grid_after_it() {
        // 25 fps, a keyframe every second, 20 s; first cut after 2 s, then every 6 s.
        let frames: Vec<_> = (0..500).map(|i| (1, i % 25 == 0)).collect();
        let t = track(TrackKind::Video, 25, &frames, &[]);
        let p = plan_segments_quick_start(&t, Duration::from_secs(6), Duration::from_secs(2));
        check_invariants(&t, &p);
        let starts: Vec<_> = p.segments.iter().map(|s| s.start / 25).collect();
        assert_eq!(starts, vec![0, 2, 8, 14]);
        // A first target longer than the rest is the plain plan.
        let same = plan_segments_quick_start(&t, Duration::from_secs(6), Duration::from_secs(9));
        assert_eq!(same, plan_segments(&t, Duration::from_secs(6)));
        // A long first GOP: the first cut waits for the next keyframe.
        let frames: Vec<_> = (0..500)
            .map(|i| (1, i == 0 || i >= 125 && i % 25 == 0))
            .collect();
        let t = track(TrackKind::Video, 25, &frames, &[]);
        let p = plan_segments_quick_start(&t, Duration::from_secs(6), Duration::from_secs(2));
        check_invariants(&t, &p);
        let starts: Vec<_> = p.segments.iter().map(|s| s.start / 25).collect();
        assert_eq!(starts, vec![0, 5, 8, 14]);
    }

    #[test]
    fn irregular_and_long_gops() {
        // Keyframes at 0, 0.7 s, 3.1 s, 3.3 s, 8.9 s (25 fps), 12 s long.
        let kf = [0, 17, 77, 82, 222];
        let frames: Vec<_> = (0..300).map(|i| (1, kf.contains(&i))).collect();
        let t = track(TrackKind::Video, 25, &frames, &[]);
        let p = plan_segments(&t, Duration::from_secs(2));
        check_invariants(&t, &p);
        let starts: Vec<_> = p.segments.iter().map(|s| s.first_sample).collect();
        assert_eq!(starts, vec![0, 77, 222]);
        assert_eq!(p.target_duration(), 6); // 222-77 = 145 frames = 5.8 s
                                            // A single keyframe: one segment covering everything.
        let frames: Vec<_> = (0..300).map(|i| (1, i == 0)).collect();
        let t = track(TrackKind::Video, 25, &frames, &[]);
        let p = plan_segments(&t, Duration::from_secs(2));
        check_invariants(&t, &p);
        assert_eq!(p.len(), 1);
    }

    #[test]
    fn bframes_use_presentation_time() {
        // I P B B | I P B B ... decode order, pts delayed by 1 frame (edit applied).
        let frames: Vec<_> = (0..40).map(|i| (1, i % 8 == 0)).collect();
        let cts: Vec<i32> = (0..40)
            .map(|i| match i % 4 {
                0 => 0,
                1 => 2,
                _ => -1,
            })
            .collect();
        let t = track(TrackKind::Video, 4, &frames, &cts);
        let p = plan_segments(&t, Duration::from_secs(2));
        check_invariants(&t, &p);
        assert_eq!(p.segments[1].start, t.samples[8].pts());
    }

    #[test]
    fn audio_only_and_shared_cuts() {
        // AAC: 1024-sample frames at 48 kHz, ~10 s.
        let frames: Vec<_> = (0..469).map(|_| (1024, true)).collect();
        let a = track(TrackKind::Audio, 48000, &frames, &[]);
        let p = plan_segments(&a, Duration::from_secs(4));
        check_invariants(&a, &p);
        assert_eq!(p.len(), 3);
        // An audio track cut by a video plan: every sample exactly once, and
        // each after its segment's cut.
        let vframes: Vec<_> = (0..250).map(|i| (1, i % 25 == 0)).collect();
        let v = track(TrackKind::Video, 25, &vframes, &[]);
        let mut a2 = a.clone();
        a2.track_id = 2;
        let p = plan_segments(&v, Duration::from_secs(3));
        let mut next = 0;
        for n in 0..p.len() {
            let r = p.samples_for(&a2, n);
            assert_eq!(r.start, next);
            next = r.end;
            if n > 0 {
                let pts = a2.samples[r.start].pts() as f64 / 48000.0;
                assert!(pts >= p.segments[n].start as f64 / 25.0);
            }
        }
        assert_eq!(next, a2.samples.len());
        let total: u64 = (0..p.len()).map(|n| p.track_duration(&a2, n)).sum();
        assert_eq!(total, a2.duration());
    }

    #[test]
    fn empty_track() {
        let t = track(TrackKind::Video, 25, &[], &[]);
        let p = plan_segments(&t, Duration::from_secs(4));
        assert!(p.is_empty());
        assert_eq!(p.samples_for(&t, 0), 0..0);
    }
}
