//! Sample index of a Matroska / WebM file, from a walk over every block header.
//!
//! Matroska stores presentation timestamps only (Cluster timestamp + block
//! offset), in TimestampScale units, and no decode times.  fMP4 needs both, so:
//!
//! * each track gets a timescale in which the file's timestamps are exact
//!   (10⁹ / TimestampScale, i.e. 1000 for the usual 1 ms scale);
//! * decode times are the sorted presentation times assigned in decode (file)
//!   order — for B-frame video this is exactly "sort the PTS of each GOP" and it
//!   also copes with open GOPs — shifted down by the largest reorder delay so
//!   that no frame is decoded after it is presented;
//! * durations are the gaps between consecutive decode times; the last sample
//!   takes its BlockDuration, DefaultDuration or its predecessor's.
//!
//! Laced blocks (Xiph, EBML and fixed-size lacing, which mkvmerge uses for some
//! audio) are split into their frames, spread evenly over the block's time.
//! Tracks with ContentEncodings (header stripping, compression, encryption) are
//! marked unsupported: their block bytes are not what the codec wrote.

use std::collections::HashMap;
use std::io::{Read, Seek};

use super::ebml::vint;
use super::{read_segment, walk_blocks, TrackEntry};
use crate::index::{too_many_samples, track_from_info, Sample, TrackIndex, MAX_SAMPLES};
use crate::source::Source;
use crate::{codec, ProbeError, ProbeInfo, TrackKind};

/// How many bytes of a laced block's header we read.
const MAX_LACE_HEADER: usize = 8 * 1024;

/// Per-track state during the walk.
struct Building {
    index: TrackIndex,
    entry: TrackEntry,
    /// Presentation times (ticks) of the samples, in decode order.
    pts: Vec<i64>,
    /// Laced blocks without DefaultDuration: (first sample, frames) to spread later.
    lace_groups: Vec<(usize, usize)>,
    last_block_duration: Option<i64>,
    /// Subtitle tracks only: each block's BlockDuration (ticks), how long its cue shows.
    cue_durations: Vec<Option<i64>>,
}

pub(crate) fn build<R: Read + Seek>(
    src: &mut Source<R>,
    info: &ProbeInfo,
) -> Result<Vec<TrackIndex>, ProbeError> {
    let seg = read_segment(src)?;
    let scale = seg
        .meta
        .info
        .as_ref()
        .map_or(1_000_000, |i| i.timecode_scale)
        .max(1);
    // Ticks per second, and how to convert TimestampScale units to ticks.
    let (timescale, num, den): (u32, u64, u64) = if 1_000_000_000 % scale == 0 {
        (
            u32::try_from(1_000_000_000 / scale).unwrap_or(1_000_000),
            1,
            1,
        )
    } else {
        (1_000_000, scale, 1000)
    };
    let to_ticks = |t: i64| -> i64 { (i128::from(t) * i128::from(num) / i128::from(den)) as i64 };
    let ns_to_ticks =
        |ns: u64| -> i64 { (u128::from(ns) * u128::from(timescale) / 1_000_000_000) as i64 };

    let entries = seg.meta.tracks.clone().unwrap_or_default();
    let mut tracks: Vec<Building> = Vec::new();
    let mut by_number: HashMap<u64, usize> = HashMap::new();
    for ti in &info.tracks {
        let Some(entry) = entries.iter().find(|e| e.number == ti.id) else {
            continue;
        };
        let mut index = track_from_info(ti, timescale);
        if u32::try_from(ti.id).is_err() {
            index.unsupported = Some("track number out of range".into());
        } else if entry.encoded {
            index.unsupported = Some(
                "the track uses Matroska ContentEncodings (compressed or encrypted frames)".into(),
            );
        } else if let Err(why) = codec_config(ti.kind, entry, &mut index) {
            index.unsupported = Some(why);
        }
        if index.unsupported.is_none() || index.is_image_subtitle() {
            by_number.insert(entry.number, tracks.len());
        }
        tracks.push(Building {
            index,
            entry: entry.clone(),
            pts: Vec::new(),
            lace_groups: Vec::new(),
            last_block_duration: None,
            cue_durations: Vec::new(),
        });
    }

    if let Some(first) = seg.meta.first_cluster {
        let file_len = src.len();
        // Lace headers are read after the walk (the walk holds the source).
        let mut laced: Vec<(usize, u64, u64, u8, i64)> = Vec::new();
        let mut overflow = None;
        walk_blocks(src, first, seg.seg_end, &mut |b| {
            let Some(&ti) = by_number.get(&b.header.track) else {
                return true;
            };
            let Some(t) = tracks.get_mut(ti) else {
                return true;
            };
            let ts = to_ticks(
                i64::try_from(b.cluster_time)
                    .unwrap_or(i64::MAX / 4)
                    .saturating_add(i64::from(b.header.timecode)),
            );
            if b.data_pos.saturating_add(b.data_len) > file_len {
                return true; // truncated file: the block's bytes are missing
            }
            let block_duration = b.duration.map(|d| to_ticks(i64::try_from(d).unwrap_or(0)));
            if block_duration.is_some() {
                t.last_block_duration = block_duration;
            }
            if b.header.flags & 0x06 != 0 {
                if laced.len() >= MAX_SAMPLES {
                    overflow = Some(t.index.track_id);
                    return false;
                }
                laced.push((ti, b.data_pos, b.data_len, b.header.flags, ts));
                // Placeholder; replaced below once the lace header is read.
                t.pts.push(ts);
                t.index.samples.push(Sample {
                    offset: u64::MAX,
                    keyframe: b.keyframe,
                    ..Sample::default()
                });
                return true;
            }
            let Ok(size) = u32::try_from(b.data_len) else {
                return true;
            };
            if t.pts.len() >= MAX_SAMPLES {
                overflow = Some(t.index.track_id);
                return false;
            }
            t.pts.push(ts);
            t.index.samples.push(Sample {
                offset: b.data_pos,
                size,
                keyframe: b.keyframe,
                ..Sample::default()
            });
            if t.index.kind == TrackKind::Subtitle {
                t.cue_durations.push(block_duration);
            }
            true
        })?;
        if let Some(id) = overflow {
            return Err(too_many_samples(id));
        }
        if !laced.is_empty() {
            expand_laces(src, &mut tracks, &laced, &ns_to_ticks)?;
        }
    }

    let mut out = Vec::with_capacity(tracks.len());
    for mut t in tracks {
        if t.index.kind == TrackKind::Subtitle
            && (t.index.unsupported.is_none() || t.index.is_image_subtitle())
        {
            finish_cues(&mut t);
        } else if t.index.unsupported.is_none() {
            finish(&mut t, &ns_to_ticks);
            if matches!(&t.index.codec_config.sample_entry, b"ac-3" | b"ec-3") {
                ac3_config(src, &mut t.index)?;
            }
        }
        out.push(t.index);
    }
    Ok(out)
}

/// Replaces each laced block's placeholder sample by its frames.
fn expand_laces<R: Read + Seek>(
    src: &mut Source<R>,
    tracks: &mut [Building],
    laced: &[(usize, u64, u64, u8, i64)],
    ns_to_ticks: &dyn Fn(u64) -> i64,
) -> Result<(), ProbeError> {
    // Rebuild each affected track's lists, consuming laced blocks in order.
    let mut per_track: HashMap<usize, Vec<(u64, u64, u8, i64)>> = HashMap::new();
    for &(ti, pos, len, flags, ts) in laced {
        per_track.entry(ti).or_default().push((pos, len, flags, ts));
    }
    let mut head = vec![0u8; MAX_LACE_HEADER];
    for (ti, blocks) in per_track {
        let Some(t) = tracks.get_mut(ti) else {
            continue;
        };
        let default = t.entry.default_duration_ns.map(ns_to_ticks);
        let old_samples = std::mem::take(&mut t.index.samples);
        let old_pts = std::mem::take(&mut t.pts);
        let mut blocks = blocks.into_iter();
        for (s, pts) in old_samples.into_iter().zip(old_pts) {
            if s.offset != u64::MAX {
                t.index.samples.push(s);
                t.pts.push(pts);
                continue;
            }
            let Some((pos, len, flags, ts)) = blocks.next() else {
                continue;
            };
            let want = usize::try_from(len).unwrap_or(usize::MAX).min(head.len());
            let n = src.read_at(pos, &mut head[..want])?;
            let (hdr_len, sizes) = lace_sizes(&head[..n], len, flags).ok_or_else(|| {
                ProbeError::Invalid(format!(
                    "a laced block of track {} has a damaged lace header",
                    t.index.track_id
                ))
            })?;
            let first = t.index.samples.len();
            let mut off = pos + hdr_len;
            for (j, &size) in sizes.iter().enumerate() {
                let at = match default {
                    Some(d) => ts.saturating_add(d.saturating_mul(j as i64)),
                    None => ts,
                };
                t.index.samples.push(Sample {
                    offset: off,
                    size,
                    keyframe: s.keyframe || t.index.kind == TrackKind::Audio,
                    ..Sample::default()
                });
                t.pts.push(at);
                off += u64::from(size);
            }
            if t.index.samples.len() > MAX_SAMPLES {
                return Err(too_many_samples(t.index.track_id));
            }
            if default.is_none() && sizes.len() > 1 {
                t.lace_groups.push((first, sizes.len()));
            }
        }
    }
    Ok(())
}

/// Parses a lace header: (its length, frame sizes).  `None` when damaged.
pub(crate) fn lace_sizes(b: &[u8], data_len: u64, flags: u8) -> Option<(u64, Vec<u32>)> {
    let count = usize::from(*b.first()?) + 1;
    let mut pos = 1usize;
    let mut sizes: Vec<u64> = Vec::with_capacity(count);
    match (flags >> 1) & 3 {
        1 => {
            // Xiph: each size as a run of 255s plus a final byte.
            for _ in 0..count - 1 {
                let mut size = 0u64;
                loop {
                    let x = *b.get(pos)?;
                    pos += 1;
                    size += u64::from(x);
                    if x != 255 {
                        break;
                    }
                }
                sizes.push(size);
            }
        }
        3 => {
            // EBML: the first size as a vint, then signed differences.
            if count > 1 {
                let (first, n, _) = vint(b.get(pos..)?, 8)?;
                pos += n;
                sizes.push(first);
                let mut prev = i64::try_from(first).ok()?;
                for _ in 0..count - 2 {
                    let (raw, n, _) = vint(b.get(pos..)?, 8)?;
                    pos += n;
                    let bias = (1i64 << (7 * n - 1)) - 1;
                    let v = prev.checked_add(i64::try_from(raw).ok()? - bias)?;
                    if v < 0 {
                        return None;
                    }
                    sizes.push(v as u64);
                    prev = v;
                }
            }
        }
        2 => {
            // Fixed: equal sizes.
            let total = data_len.checked_sub(1)?;
            if total % count as u64 != 0 {
                return None;
            }
            let each = total / count as u64;
            let each = u32::try_from(each).ok()?;
            return Some((1, vec![each; count]));
        }
        _ => return None,
    }
    let used: u64 = sizes.iter().sum::<u64>().checked_add(pos as u64)?;
    let last = data_len.checked_sub(used)?;
    sizes.push(last);
    let sizes = sizes
        .into_iter()
        .map(u32::try_from)
        .collect::<Result<Vec<_>, _>>()
        .ok()?;
    Some((pos as u64, sizes))
}

/// Subtitle samples: presented when decoded, shown for their BlockDuration
/// (else until the next cue; 0 when neither is known), in time order.
fn finish_cues(t: &mut Building) {
    let n = t.index.samples.len().min(t.pts.len());
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&i| t.pts[i]);
    let mut samples = Vec::with_capacity(n);
    for (k, &i) in order.iter().enumerate() {
        let Some(mut s) = t.index.samples.get(i).copied() else {
            continue;
        };
        let start = t.pts[i];
        let next_start = order.get(k + 1).map(|&j| t.pts[j]);
        let dur = match t.cue_durations.get(i).copied().flatten() {
            Some(d) => d,
            None => next_start.map_or(0, |nx| nx.saturating_sub(start)),
        };
        s.dts = start;
        s.cts_offset = 0;
        s.duration = u32::try_from(dur.max(0)).unwrap_or(u32::MAX);
        samples.push(s);
    }
    t.index.samples = samples;
}

/// Derives decode times, composition offsets and durations from the PTS.
fn finish(t: &mut Building, ns_to_ticks: &dyn Fn(u64) -> i64) {
    let n = t.pts.len();
    if n == 0 {
        return;
    }
    // Spread laced frames over their block's time span.
    for &(first, count) in &t.lace_groups {
        let Some(&start) = t.pts.get(first) else {
            continue;
        };
        let next = t.pts.get(first + count).copied();
        let span = match next {
            Some(nx) if nx > start => nx.saturating_sub(start),
            _ => continue,
        };
        for j in 0..count {
            if let Some(p) = t.pts.get_mut(first + j) {
                *p = start.saturating_add((i128::from(span) * j as i128 / count as i128) as i64);
            }
        }
    }
    let mut dts = t.pts.clone();
    if dts.windows(2).any(|w| w[0] > w[1]) {
        dts.sort_unstable();
    }
    // No frame may be decoded after it is presented.
    let shift = dts
        .iter()
        .zip(&t.pts)
        .map(|(d, p)| d.saturating_sub(*p))
        .max()
        .unwrap_or(0)
        .max(0);
    let default = t.entry.default_duration_ns.map(ns_to_ticks);
    let mut prev_dur = default.unwrap_or(0);
    for i in 0..n {
        let d = dts[i].saturating_sub(shift);
        let dur = match dts.get(i + 1) {
            Some(&next) => next.saturating_sub(dts[i]),
            None => t.last_block_duration.or(default).unwrap_or(prev_dur),
        };
        prev_dur = dur;
        if let Some(s) = t.index.samples.get_mut(i) {
            s.dts = d;
            s.duration = u32::try_from(dur.max(0)).unwrap_or(u32::MAX);
            s.cts_offset = i32::try_from(t.pts[i].saturating_sub(d)).unwrap_or(i32::MAX);
        }
    }
}

/// Builds the init-segment configuration from CodecID and CodecPrivate.
fn codec_config(kind: TrackKind, e: &TrackEntry, t: &mut TrackIndex) -> Result<(), String> {
    let cp = e.codec_private.as_slice();
    let need_cp = |what: &str| -> Result<(), String> {
        if cp.is_empty() {
            Err(format!(
                "{what} track without CodecPrivate cannot be packaged"
            ))
        } else {
            Ok(())
        }
    };
    let c = &mut t.codec_config;
    match e.codec_id.as_str() {
        "V_MPEG4/ISO/AVC" => {
            need_cp("H.264")?;
            (c.sample_entry, c.config_box, c.config) = (*b"avc1", *b"avcC", cp.to_vec());
        }
        "V_MPEGH/ISO/HEVC" => {
            need_cp("HEVC")?;
            (c.sample_entry, c.config_box, c.config) = (*b"hvc1", *b"hvcC", cp.to_vec());
        }
        "V_AV1" => {
            need_cp("AV1")?;
            (c.sample_entry, c.config_box, c.config) = (*b"av01", *b"av1C", cp.to_vec());
        }
        "V_VP9" => {
            // vpcC version 1 from the codec string (profile, level, bit depth),
            // which the probe derived from CodecPrivate or the first frame.
            let cs = t.codec_string.as_deref().unwrap_or("vp09.00.10.08");
            let mut parts = cs.split('.').skip(1).map(|p| p.parse::<u8>().ok());
            let profile = parts.next().flatten().unwrap_or(0);
            let level = parts.next().flatten().unwrap_or(10);
            let depth = parts.next().flatten().unwrap_or(8);
            let chroma = if profile == 1 || profile == 3 { 2 } else { 1 };
            let mut v = vec![1, 0, 0, 0, profile, level, (depth << 4) | (chroma << 1)];
            v.extend_from_slice(&[2, 2, 2, 0, 0]);
            (c.sample_entry, c.config_box, c.config) = (*b"vp09", *b"vpcC", v);
        }
        id if id.starts_with("A_AAC") => {
            need_cp("AAC")?;
            (c.sample_entry, c.config_box, c.config) = (*b"mp4a", *b"esds", esds_for_asc(cp));
        }
        "A_OPUS" => {
            let dops = dops_from_opus_head(cp).ok_or("Opus track with a damaged OpusHead")?;
            (c.sample_entry, c.config_box, c.config) = (*b"Opus", *b"dOps", dops);
            c.sample_rate = 48000;
        }
        "A_FLAC" => {
            let blocks = cp.strip_prefix(b"fLaC").unwrap_or(cp);
            // STREAMINFO alone, flagged as the last metadata block.
            let si = blocks.get(4..38).ok_or("FLAC track without STREAMINFO")?;
            if blocks.first().map(|b| b & 0x7f) != Some(0) {
                return Err("FLAC CodecPrivate does not start with STREAMINFO".into());
            }
            let mut v = vec![0, 0, 0, 0, 0x80, 0, 0, 34];
            v.extend_from_slice(si);
            (c.sample_entry, c.config_box, c.config) = (*b"fLaC", *b"dfLa", v);
        }
        "A_AC3" => {
            // dac3 comes from the first frame's header, read after the walk.
            (c.sample_entry, c.config_box) = (*b"ac-3", *b"dac3");
        }
        "A_EAC3" => {
            // So does dec3.
            (c.sample_entry, c.config_box) = (*b"ec-3", *b"dec3");
        }
        // Text subtitles are converted to WebVTT from their blocks.
        // (ffmpeg writes WebVTT as the older D_WEBVTT/* ids.)
        "S_TEXT/UTF8"
        | "S_TEXT/ASS"
        | "S_TEXT/SSA"
        | "S_ASS"
        | "S_SSA"
        | "S_TEXT/WEBVTT"
        | "D_WEBVTT/SUBTITLES"
        | "D_WEBVTT/CAPTIONS"
        | "D_WEBVTT/DESCRIPTIONS"
            if kind == TrackKind::Subtitle => {}
        _ => {
            return Err(match kind {
                TrackKind::Subtitle => crate::subtitle::not_text_reason(&t.codec),
                _ => format!("codec '{}' cannot be packaged", e.codec_id),
            })
        }
    }
    Ok(())
}

/// An `esds` payload (FullBox header included) around an AudioSpecificConfig.
pub(crate) fn esds_for_asc(asc: &[u8]) -> Vec<u8> {
    let asc = &asc[..asc.len().min(100)];
    let dsi_len = asc.len() as u8;
    let dcd_len = 13 + 2 + dsi_len;
    let es_len = 3 + 2 + dcd_len + 3;
    let mut v = vec![0, 0, 0, 0];
    v.extend_from_slice(&[0x03, es_len, 0, 1, 0]); // ES_Descriptor, ES_ID 1, no flags
    v.extend_from_slice(&[0x04, dcd_len, 0x40, 0x15]); // DecoderConfig: AAC, audio stream
    v.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // buffer size, max/avg bitrate
    v.extend_from_slice(&[0x05, dsi_len]);
    v.extend_from_slice(asc);
    v.extend_from_slice(&[0x06, 0x01, 0x02]); // SLConfig: predefined MP4
    v
}

/// `dOps` payload from a Matroska/Ogg `OpusHead` (little-endian → big-endian).
pub(crate) fn dops_from_opus_head(h: &[u8]) -> Option<Vec<u8>> {
    let h = h.strip_prefix(b"OpusHead")?;
    let [_version, channels, p0, p1, r0, r1, r2, r3, g0, g1, family, rest @ ..] = h else {
        return None;
    };
    let mut v = vec![
        0, *channels, *p1, *p0, *r3, *r2, *r1, *r0, *g1, *g0, *family,
    ];
    if *family != 0 {
        let n = 2 + usize::from(*channels);
        v.extend_from_slice(rest.get(..n)?);
    }
    Some(v)
}

/// `dac3` from the first AC-3 frame: fscod, bsid, bsmod, acmod, lfeon, bit rate.
fn ac3_config<R: Read + Seek>(src: &mut Source<R>, t: &mut TrackIndex) -> Result<(), ProbeError> {
    let Some(first) = t.samples.first() else {
        return Ok(());
    };
    let mut b = [0u8; 16];
    let n = src.read_at(first.offset, &mut b)?;
    let frame = &b[..n.min(first.size as usize)];
    let eac3 = t.codec_config.sample_entry == *b"ec-3";
    let config = if eac3 {
        dec3_from_frame(frame).map(|(c, ch)| (c.to_vec(), ch))
    } else {
        dac3_from_frame(frame).map(|(c, ch)| (c.to_vec(), ch))
    };
    match config {
        Some((config, channels)) => {
            t.codec_config.config = config;
            t.codec_config.channels = channels;
        }
        None => {
            let name = if eac3 { "E-AC-3" } else { "AC-3" };
            t.unsupported = Some(format!("the first {name} frame has no valid sync header"));
            t.codec_config.sample_entry = [0; 4];
        }
    }
    Ok(())
}

/// `dac3` payload and channel count from an AC-3 syncframe header (A/52 §5.3).
pub(crate) fn dac3_from_frame(f: &[u8]) -> Option<([u8; 3], u32)> {
    if f.get(..2)? != [0x0b, 0x77] {
        return None;
    }
    let mut br = codec::BitReader::new(f.get(4..)?);
    let fscod = br.bits(2)?;
    let frmsizecod = br.bits(6)?;
    let bsid = br.bits(5)?;
    let bsmod = br.bits(3)?;
    let acmod = br.bits(3)?;
    if acmod & 1 != 0 && acmod != 1 {
        br.bits(2)?; // cmixlev
    }
    if acmod & 4 != 0 {
        br.bits(2)?; // surmixlev
    }
    if acmod == 2 {
        br.bits(2)?; // dsurmod
    }
    let lfeon = br.bits(1)?;
    let v: u32 = (fscod << 22)
        | (bsid << 17)
        | (bsmod << 14)
        | (acmod << 11)
        | (lfeon << 10)
        | ((frmsizecod >> 1) << 5);
    let b = v.to_be_bytes();
    Some((
        [b[1], b[2], b[3]],
        codec::ac3_channels(acmod as u8, lfeon == 1),
    ))
}

/// `dec3` payload and channel count from an E-AC-3 syncframe header (A/52
/// Annex E, ETSI TS 102 366 Annex F): one independent substream, described
/// by the first frame; dependent substreams (7.1 extensions) are not listed.
pub(crate) fn dec3_from_frame(f: &[u8]) -> Option<([u8; 5], u32)> {
    if f.get(..2)? != [0x0b, 0x77] {
        return None;
    }
    let mut br = codec::BitReader::new(f.get(2..)?);
    let strmtyp = br.bits(2)?;
    let _substreamid = br.bits(3)?;
    let frmsiz = br.bits(11)?;
    let fscod = br.bits(2)?;
    let (sample_rate, blocks) = if fscod == 3 {
        let fscod2 = br.bits(2)?;
        (
            [24000u32, 22050, 16000].get(fscod2 as usize).copied()?,
            6u32,
        )
    } else {
        let numblkscod = br.bits(2)?;
        (
            [48000u32, 44100, 32000][fscod as usize],
            [1u32, 2, 3, 6][numblkscod as usize],
        )
    };
    let acmod = br.bits(3)?;
    let lfeon = br.bits(1)?;
    let bsid = br.bits(5)?;
    // An independent substream first, and bsid 11..=16 says E-AC-3 (10 and below is AC-3).
    if strmtyp == 1 || !(11..=16).contains(&bsid) {
        return None;
    }
    let frame_bytes = (frmsiz + 1) * 2;
    let data_rate =
        u64::from(frame_bytes) * 8 * u64::from(sample_rate) / (256 * u64::from(blocks)) / 1000;
    let data_rate = u32::try_from(data_rate.min(0x1fff)).ok()?;
    // data_rate(13) num_ind_sub(3)=0 | fscod(2) bsid(5) reserved(1) asvc(1) bsmod(3) acmod(3)
    // lfeon(1) reserved(3) num_dep_sub(4)=0 reserved(1)
    let head: u16 = (data_rate << 3) as u16;
    let body: u32 = ((fscod & 3) << 22) | (bsid << 17) | (acmod << 9) | (lfeon << 8);
    let h = head.to_be_bytes();
    let b = body.to_be_bytes();
    Some((
        [h[0], h[1], b[1], b[2], b[3]],
        codec::ac3_channels(acmod as u8, lfeon == 1),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dec3_from_an_eac3_header() {
        // strmtyp 0, substream 0, frmsiz 767 (1536-byte frames), fscod 0 (48 kHz),
        // numblkscod 3 (6 blocks), acmod 7 (3/2), lfeon 1, bsid 16.
        let mut bits: u64 = 0;
        for (v, n) in [
            (0u64, 2),
            (0, 3),
            (767, 11),
            (0, 2),
            (3, 2),
            (7, 3),
            (1, 1),
            (16, 5),
        ] {
            bits = (bits << n) | v;
        }
        let total = 2 + 3 + 11 + 2 + 2 + 3 + 1 + 5;
        let bits = bits << (40 - total);
        let mut frame = vec![0x0b, 0x77];
        frame.extend_from_slice(&bits.to_be_bytes()[3..]);
        let (dec3, channels) = dec3_from_frame(&frame).expect("valid header");
        assert_eq!(channels, 6);
        // 1536 bytes per 1536 samples at 48 kHz = 384 kbit/s.
        assert_eq!(u16::from_be_bytes([dec3[0], dec3[1]]) >> 3, 384);
        assert_eq!(dec3[2] >> 6, 0, "fscod");
        assert_eq!((dec3[2] >> 1) & 0x1f, 16, "bsid");
        assert_eq!(dec3[3] >> 1 & 7, 7, "acmod");
        assert_eq!(dec3[3] & 1, 1, "lfeon");
        // AC-3 (bsid 8) and dependent substreams are refused.
        assert!(dec3_from_frame(&[0x0b, 0x77, 0x40, 0, 0, 0, 0]).is_none());
    }

    #[test]
    fn laces() {
        // Xiph: 3 frames, sizes 300 (255+45) and 10, last = rest.
        let b = [2u8, 255, 45, 10];
        assert_eq!(
            lace_sizes(&b, 4 + 300 + 10 + 7, 0x02),
            Some((4, vec![300, 10, 7]))
        );
        // Fixed: 4 frames of 5 bytes.
        assert_eq!(lace_sizes(&[3], 21, 0x04), Some((1, vec![5; 4])));
        assert_eq!(lace_sizes(&[3], 22, 0x04), None);
        // EBML: 3 frames: 500 (0x41f4), then +(-100) as a 2-byte signed vint, last = rest.
        let bias = (1i64 << 13) - 1;
        let d = (bias - 100) as u16 | 0x4000;
        let b = [2u8, 0x41, 0xf4, (d >> 8) as u8, d as u8];
        assert_eq!(
            lace_sizes(&b, 5 + 500 + 400 + 50, 0x06),
            Some((5, vec![500, 400, 50]))
        );
        // Damaged: sizes beyond the block.
        assert_eq!(lace_sizes(&[2u8, 255, 45, 10], 100, 0x02), None);
        assert_eq!(lace_sizes(&[], 100, 0x02), None);
    }

    #[test]
    fn opus_head() {
        let mut h = b"OpusHead".to_vec();
        h.extend_from_slice(&[1, 2, 0x38, 0x01, 0x80, 0xbb, 0, 0, 0, 0, 0]);
        assert_eq!(
            dops_from_opus_head(&h),
            Some(vec![0, 2, 0x01, 0x38, 0, 0, 0xbb, 0x80, 0, 0, 0])
        );
        assert_eq!(dops_from_opus_head(b"OpusHead\x01"), None);
    }

    #[test]
    fn ac3_header() {
        // 48 kHz, frmsizecod 14 (128 kbps), bsid 8, bsmod 0, acmod 2 (stereo), dsurmod, lfe 0.
        let f = [0x0b, 0x77, 0, 0, 0x0e, 0x40, 0x43, 0x00];
        let (dac3, ch) = dac3_from_frame(&f).expect("valid");
        assert_eq!(ch, 2);
        // fscod 0, bsid 8, bsmod 0, acmod 2, lfe 0, bitrate code 7.
        let v = (8u32 << 17) | (2 << 11) | (7 << 5);
        assert_eq!(dac3, [(v >> 16) as u8, (v >> 8) as u8, v as u8]);
        assert_eq!(dac3_from_frame(&[0, 0, 0]), None);
    }
}
