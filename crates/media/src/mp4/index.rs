//! Sample index of an ISO BMFF file, from `stbl` tables and `moof` fragments.
//!
//! Each table is walked once into a preallocated sample vector (sizes and
//! offsets from `stsz`/`stsc`/`stco`, times from `stts`/`ctts`, sync flags from
//! `stss`), so a 2-hour film's ~800k samples take a few milliseconds.  The
//! sample count is bounded by the `stsz` table actually present in `moov`, and
//! fragment sample counts by the bytes of the file, before anything is
//! allocated.

use std::collections::HashMap;
use std::io::{Read, Seek};

use super::boxes::{parse_header, Boxes, Cursor};
use super::fragment::{is_sync, parse_tfhd_full, Trun};
use super::sample_entry::SampleEntry;
use super::{Movie, Trak, MAX_MOOF};
use crate::index::{
    normalize_cts, too_many_samples, track_from_info, CodecConfig, Sample, TrackIndex, MAX_SAMPLES,
};
use crate::source::Source;
use crate::{ProbeError, ProbeInfo, TrackKind};

/// Builds the per-track sample lists.
pub(crate) fn build<R: Read + Seek>(
    src: &mut Source<R>,
    info: &ProbeInfo,
    movie: Movie,
) -> Result<Vec<TrackIndex>, ProbeError> {
    let len = src.len();
    let mut pos = 0u64;
    let mut moofs: Vec<(u64, u64, u64)> = Vec::new(); // (box start, body start, body len)
    while pos < len {
        let mut head = [0u8; 16];
        let n = src.read_at(pos, &mut head)?;
        let Ok(Some(h)) = parse_header(&head[..n], "the file") else {
            break;
        };
        let available = len - pos;
        let size = h.size.unwrap_or(available).min(available);
        if size < h.header_len {
            break;
        }
        let body = pos + h.header_len;
        if &h.typ == b"moof" {
            moofs.push((pos, body, size - h.header_len));
        }
        pos = pos.saturating_add(size);
    }

    let mut out: Vec<TrackIndex> = Vec::with_capacity(movie.tracks.len());
    let mut edits = Vec::with_capacity(movie.tracks.len());
    // Tracks whose samples come from their tables: (index in `out`, its trak).
    let mut from_tables: Vec<(usize, &Trak)> = Vec::new();
    for trak in &movie.tracks {
        let Some(ti) = info.tracks.iter().find(|t| t.id == u64::from(trak.id)) else {
            continue;
        };
        let mut t = track_from_info(ti, trak.timescale);
        let entry = trak.entry.clone().unwrap_or_default();
        match codec_config(ti.kind, &entry) {
            Ok(c) => {
                t.codec_config = CodecConfig {
                    width: entry.width.unwrap_or(c.width),
                    height: entry.height.unwrap_or(c.height),
                    ..c
                };
                t.codec_config.channels = ti.channels.unwrap_or(0);
                t.codec_config.sample_rate = ti.sample_rate.unwrap_or(0);
            }
            Err(why) => t.unsupported = Some(why),
        }
        if trak.timescale == 0 {
            t.unsupported = Some("the track's timescale is 0".into());
        }
        if t.unsupported.is_none() || (t.is_image_subtitle() && trak.timescale > 0) {
            from_tables.push((out.len(), trak));
        }
        let negative_cts = trak.tables.ctts.iter().any(|&(_, off)| off < 0);
        edits.push((edit_offset(trak, movie.timescale), negative_cts));
        out.push(t);
    }
    for (i, samples) in samples_of_tracks(&from_tables, len) {
        out[i].samples = samples?;
    }

    if movie.fragmented && !moofs.is_empty() {
        let by_id: HashMap<u32, usize> = out
            .iter()
            .enumerate()
            .filter(|(_, t)| t.unsupported.is_none())
            .map(|(i, t)| (t.track_id, i))
            .collect();
        let mut next_dts: Vec<i64> = out
            .iter()
            .map(|t| {
                t.samples
                    .last()
                    .map_or(0, |s| s.dts.saturating_add(i64::from(s.duration)))
            })
            .collect();
        for (start, body, blen) in moofs {
            let data = src.read_vec(body, blen, MAX_MOOF, "'moof' box")?;
            add_moof(&data, start, len, &movie, &by_id, &mut out, &mut next_dts)?;
        }
    }

    for (t, (off, negative_cts)) in out.iter_mut().zip(edits) {
        // Only negative composition offsets need moving: skip the pass over every sample when
        // the tables have none (fragments may bring some).
        if negative_cts || movie.fragmented {
            normalize_cts(&mut t.samples);
        }
        if off != 0 {
            for s in &mut t.samples {
                s.dts = s.dts.saturating_add(off);
            }
        }
    }
    Ok(out)
}

/// The presentation offset (media ticks) of the first edit: empty edits delay
/// the track, a media_time skips into it.
pub(super) fn edit_offset(t: &Trak, movie_ts: u32) -> i64 {
    let Some((empty, media_time)) = t.first_edit else {
        return 0;
    };
    let delay = if movie_ts > 0 {
        (u128::from(empty) * u128::from(t.timescale) / u128::from(movie_ts)) as i64
    } else {
        0
    };
    delay.saturating_sub(media_time.max(0))
}

/// Maps a sample entry to what the init segment writer needs.
fn codec_config(kind: TrackKind, e: &SampleEntry) -> Result<CodecConfig, String> {
    let (entry, want): ([u8; 4], &[u8; 4]) = match &e.format {
        b"avc1" | b"avc3" => (e.format, b"avcC"),
        b"hvc1" | b"hev1" => (*b"hvc1", b"hvcC"),
        b"av01" => (*b"av01", b"av1C"),
        b"vp09" => (*b"vp09", b"vpcC"),
        b"mp4a" => (*b"mp4a", b"esds"),
        b"Opus" => (*b"Opus", b"dOps"),
        b"fLaC" => (*b"fLaC", b"dfLa"),
        b"ac-3" => (*b"ac-3", b"dac3"),
        b"ec-3" => (*b"ec-3", b"dec3"),
        // Text subtitles are converted to WebVTT from their samples.
        b"tx3g" | b"text" | b"wvtt" if kind == TrackKind::Subtitle => {
            return Ok(CodecConfig {
                sample_entry: e.format,
                ..CodecConfig::default()
            })
        }
        _ => {
            return Err(match kind {
                TrackKind::Subtitle => crate::subtitle::not_text_reason(&e.codec),
                _ => format!("codec '{}' cannot be packaged", e.codec),
            })
        }
    };
    match &e.config {
        Some((typ, payload)) if typ == want => Ok(CodecConfig {
            sample_entry: entry,
            config_box: *want,
            config: payload.clone(),
            width: e.width.unwrap_or(0),
            height: e.height.unwrap_or(0),
            channels: e.channels.unwrap_or(0),
            sample_rate: e.sample_rate.unwrap_or(0),
        }),
        _ => Err(format!(
            "the '{}' sample entry has no '{}' configuration",
            String::from_utf8_lossy(&e.format),
            String::from_utf8_lossy(want)
        )),
    }
}

fn invalid(msg: &str) -> ProbeError {
    ProbeError::Invalid(msg.to_string())
}

/// A track with more samples than this gets a thread of its own (a film's
/// audio has ~340,000 samples, its video ~180,000): filling in half a million
/// samples is most of the time to a film's first playlist.
const OWN_THREAD_SAMPLES: u32 = 50_000;

/// [`table_samples`] of each track; large tracks side by side on their own threads.
fn samples_of_tracks(
    tracks: &[(usize, &Trak)],
    file_len: u64,
) -> Vec<(usize, Result<Vec<Sample>, ProbeError>)> {
    let large = tracks
        .iter()
        .filter(|(_, t)| t.tables.sample_count > OWN_THREAD_SAMPLES)
        .count();
    if large < 2 {
        return tracks
            .iter()
            .map(|&(i, t)| (i, table_samples(t, file_len)))
            .collect();
    }
    std::thread::scope(|scope| {
        let running: Vec<_> = tracks
            .iter()
            .map(|&(i, t)| {
                let work = move || table_samples(t, file_len);
                if t.tables.sample_count > OWN_THREAD_SAMPLES {
                    (i, Err(scope.spawn(work)))
                } else {
                    (i, Ok(work()))
                }
            })
            .collect();
        running
            .into_iter()
            .map(|(i, r)| {
                let samples = r.unwrap_or_else(|handle| {
                    handle
                        .join()
                        .unwrap_or_else(|_| Err(invalid("reading a track's sample tables failed")))
                });
                (i, samples)
            })
            .collect()
    })
}

/// Samples of a non-fragmented track from its tables.
pub(super) fn table_samples(trak: &Trak, file_len: u64) -> Result<Vec<Sample>, ProbeError> {
    let t = &trak.tables;
    let n64 = if t.sample_count > 0 {
        u64::from(t.sample_count)
    } else {
        0
    };
    if n64 == 0 {
        return Ok(Vec::new());
    }
    // Per-sample sizes were validated against the stsz bytes; a constant size
    // must still fit the file before we allocate per sample.
    if t.constant_size != 0 && n64.saturating_mul(u64::from(t.constant_size)) > file_len {
        return Err(invalid(
            "'stsz' describes more sample data than the file holds",
        ));
    }
    let n = usize::try_from(n64).map_err(|_| invalid("too many samples"))?;
    if n > MAX_SAMPLES {
        return Err(too_many_samples(trak.id));
    }
    let mut samples = crate::index::sample_vec(n);

    // Sizes and offsets: chunks from stco/co64, samples per chunk from stsc. The same pass
    // marks every sample a keyframe when there is no stss, and finds where a truncated file's
    // bytes end: a film has half a million samples, and each pass over them costs.
    let all_sync = t.stss.is_none();
    let mut cut: Option<usize> = None;
    let mut s = 0usize;
    let mut stsc_i = 0usize;
    for (ci, &chunk_off) in t.chunk_offsets.iter().enumerate() {
        let chunk_no = u32::try_from(ci + 1).unwrap_or(u32::MAX);
        while stsc_i + 1 < t.stsc.len() && t.stsc[stsc_i + 1].0 <= chunk_no {
            stsc_i += 1;
        }
        let per = t.stsc.get(stsc_i).map_or(0, |e| e.1);
        let mut off = chunk_off;
        for _ in 0..per {
            let Some(sample) = samples.get_mut(s) else {
                break;
            };
            let size = if t.constant_size != 0 {
                t.constant_size
            } else {
                t.sizes.get(s).copied().unwrap_or(0)
            };
            sample.offset = off;
            sample.size = size;
            sample.keyframe = all_sync;
            off = off.saturating_add(u64::from(size));
            if off > file_len && cut.is_none() {
                cut = Some(s);
            }
            s += 1;
        }
        if s >= n {
            break;
        }
    }
    if s < n {
        return Err(invalid(
            "the sample tables place fewer samples in chunks than 'stsz' lists",
        ));
    }

    // Decode times.
    let mut dts = 0i64;
    let mut it = samples.iter_mut();
    let mut last_delta = 0u32;
    'stts: for &(count, delta) in &t.stts {
        last_delta = delta;
        for _ in 0..count {
            let Some(sample) = it.next() else {
                break 'stts;
            };
            sample.dts = dts;
            sample.duration = delta;
            dts = dts.saturating_add(i64::from(delta));
        }
    }
    for sample in it {
        sample.dts = dts;
        sample.duration = last_delta;
        dts = dts.saturating_add(i64::from(last_delta));
    }

    // Composition offsets.
    let mut it = samples.iter_mut();
    'ctts: for &(count, off) in &t.ctts {
        for _ in 0..count {
            let Some(sample) = it.next() else {
                break 'ctts;
            };
            sample.cts_offset = off;
        }
    }

    // Sync samples (all of them when there is no stss: see above).
    for &k in t.stss.iter().flatten() {
        if let Some(s) = (k as usize).checked_sub(1).and_then(|i| samples.get_mut(i)) {
            s.keyframe = true;
        }
    }

    // A truncated file: keep the samples whose bytes are there.
    if let Some(cut) = cut {
        samples.truncate(cut);
    }
    Ok(samples)
}

/// Appends the samples of one `moof` (at file offset `moof_start`).
fn add_moof(
    moof: &[u8],
    moof_start: u64,
    file_len: u64,
    movie: &Movie,
    by_id: &HashMap<u32, usize>,
    out: &mut [TrackIndex],
    next_dts: &mut [i64],
) -> Result<(), ProbeError> {
    let mut prev_end = moof_start;
    for child in Boxes::new(moof, "'moof'") {
        let (typ, traf) = child?;
        if &typ != b"traf" {
            continue;
        }
        let mut tfhd = None;
        let mut base_time = None;
        for child in Boxes::new(traf, "'traf'") {
            let (typ, p) = child?;
            match &typ {
                b"tfhd" => tfhd = Some(parse_tfhd_full(p, &movie.trex)?),
                b"tfdt" => {
                    let mut c = Cursor::new(p, "tfdt");
                    let (v, _) = c.version_flags()?;
                    base_time = Some(if v == 1 {
                        c.u64()?
                    } else {
                        u64::from(c.u32()?)
                    });
                }
                _ => {}
            }
        }
        let Some(tfhd) = tfhd else { continue };
        let base = match tfhd.base_data_offset {
            Some(b) => b,
            None if tfhd.base_is_moof() => moof_start,
            None => prev_end,
        };
        let Some(&ti) = by_id.get(&tfhd.track_id) else {
            continue;
        };
        let (Some(track), Some(dts_slot)) = (out.get_mut(ti), next_dts.get_mut(ti)) else {
            continue;
        };
        let mut dts = match base_time {
            Some(t) => i64::try_from(t).map_err(|_| invalid("'tfdt' time out of range"))?,
            None => *dts_slot,
        };
        let mut data_pos = base;
        for child in Boxes::new(traf, "'traf'") {
            let (typ, p) = child?;
            if &typ != b"trun" {
                continue;
            }
            let run = Trun::parse(p, &tfhd.defaults)?;
            if let Some(o) = run.data_offset {
                data_pos = base.saturating_add_signed(i64::from(o));
            }
            let mut push = |duration: u32, size: u32, flags: u32, cts: i32| {
                // A truncated file: samples whose bytes are missing are left out.
                if data_pos.saturating_add(u64::from(size)) <= file_len {
                    track.samples.push(Sample {
                        offset: data_pos,
                        dts,
                        size,
                        duration,
                        cts_offset: cts,
                        keyframe: is_sync(flags),
                    });
                }
                data_pos = data_pos.saturating_add(u64::from(size));
                dts = dts.saturating_add(i64::from(duration));
            };
            if run.records.is_empty() {
                // Every sample uses the defaults; the count comes from the
                // file, so it must be backed by that many bytes of data.
                let n = u64::from(run.sample_count);
                let size = u64::from(run.default_size);
                if size == 0 || n.saturating_mul(size) > file_len {
                    return Err(invalid(
                        "a 'trun' box lists more sample data than the file holds",
                    ));
                }
                for i in 0..run.sample_count {
                    let flags = match (i, run.first_sample_flags) {
                        (0, Some(f)) => f,
                        _ => run.default_flags,
                    };
                    push(run.default_duration, run.default_size, flags, 0);
                }
            } else {
                for s in run.samples() {
                    push(s.duration, s.size, s.flags, s.cts_offset);
                }
            }
        }
        prev_end = data_pos;
        *dts_slot = dts;
        if track.samples.len() > MAX_SAMPLES {
            return Err(too_many_samples(track.track_id));
        }
    }
    Ok(())
}
