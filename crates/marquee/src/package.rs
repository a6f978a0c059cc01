//! `marquee package`: the server's HLS/DASH output written to a folder, byte for byte.

use std::fs;
use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use marquee_catalog::subtitles::{subtitle_sources, webvtt};
use marquee_media::manifest::{segment_range, track_dir};
use marquee_media::{
    build_index_path, dash_mpd, hls_master, hls_media_playlist, hls_subtitle_playlist,
    init_segment, media_segment, plan_segments, total_len, Slice, UrlOptions,
};

pub fn package(source: &Path, out: &Path, segment_secs: f64) -> Result<()> {
    if !(segment_secs.is_finite() && (0.5..=60.0).contains(&segment_secs)) {
        bail!("--segment-duration must be between 0.5 and 60 seconds");
    }
    let index =
        build_index_path(source).with_context(|| format!("cannot read {}", source.display()))?;
    let reference = index.reference_track().with_context(|| {
        format!(
            "{} has no video or audio track that can be streamed",
            source.display()
        )
    })?;
    let plan = plan_segments(reference, Duration::from_secs_f64(segment_secs));
    fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let urls = UrlOptions::default();
    // Text subtitles, embedded or beside the file, as the server offers them. One that cannot be
    // read is left out of the manifests with a note, as the server would answer 422 for it.
    let mut renditions = Vec::new();
    for sub in subtitle_sources(source, &index) {
        match webvtt(source, &index, &sub) {
            Ok(vtt) => {
                let dir = out.join(sub.rendition.dir());
                fs::create_dir_all(&dir)?;
                fs::write(dir.join("subtitles.vtt"), vtt)?;
                fs::write(
                    dir.join("playlist.m3u8"),
                    hls_subtitle_playlist(&plan, &urls, &sub.rendition),
                )?;
                renditions.push(sub.rendition);
            }
            Err(e) => eprintln!("note: subtitles '{}' left out: {e}", sub.rendition.name),
        }
    }
    fs::write(
        out.join("master.m3u8"),
        hls_master(&index, &plan, &urls, &renditions),
    )?;
    fs::write(
        out.join("manifest.mpd"),
        dash_mpd(&index, &plan, &urls, &renditions),
    )?;
    let src =
        fs::File::open(source).with_context(|| format!("cannot open {}", source.display()))?;
    let mut bytes = 0u64;
    let mut segments = 0usize;
    let tracks: Vec<_> = index.tracks.iter().filter(|t| t.is_packageable()).collect();
    for track in &tracks {
        let dir = out.join(track_dir(track));
        fs::create_dir_all(&dir)?;
        fs::write(dir.join("init.mp4"), init_segment(track)?)?;
        fs::write(
            dir.join("playlist.m3u8"),
            hls_media_playlist(track, &plan, &urls),
        )?;
    }
    // Segment by segment, every track at once: their samples lie side by side in the source.
    for n in 0..plan.len() {
        let mut jobs = Vec::new();
        for track in &tracks {
            if segment_range(track, &plan).contains(&n) {
                let slices = media_segment(track, &plan, n, n as u32 + 1)?;
                let path = out.join(track_dir(track)).join(format!("{n}.m4s"));
                jobs.push((path, slices));
            }
        }
        let written = write_segments(&src, &jobs).with_context(|| {
            format!(
                "cannot write segment {n} ({} ended early or changed while being packaged?)",
                source.display()
            )
        })?;
        bytes += written;
        segments += jobs.len();
    }
    for track in index
        .tracks
        .iter()
        .filter(|t| !t.is_packageable() && !t.is_text_subtitle())
    {
        eprintln!(
            "note: track {} ({}) left out: {}",
            track.track_id,
            track.codec,
            track.unsupported.as_deref().unwrap_or("not streamable")
        );
    }
    println!(
        "packaged {} into {}: {} segments of ~{segment_secs} s over {:.1} s, {:.1} MB, {} subtitle tracks",
        source.display(),
        out.display(),
        segments,
        plan.total_seconds(),
        bytes as f64 / 1e6,
        renditions.len()
    );
    Ok(())
}

/// Source bytes between two needed ranges that are read through rather than skipped: one larger
/// read beats many small ones (audio frames sit between video frames in most files).
const READ_THROUGH_GAP: u64 = 1 << 20;
/// The largest single read.
const MAX_SPAN: u64 = 64 << 20;

/// Writes the segment files of `jobs` (each a path and its slices), reading the source once: the
/// file ranges of all of them are sorted and merged into a few spans, each read with one
/// positional read, and each segment is assembled in memory and written with one write. Answers
/// the bytes written.
fn write_segments(src: &fs::File, jobs: &[(std::path::PathBuf, Vec<Slice>)]) -> Result<u64> {
    use std::os::unix::fs::FileExt;
    let mut ranges: Vec<(u64, u64)> = jobs
        .iter()
        .flat_map(|(_, slices)| slices.iter())
        .filter_map(|s| match s {
            Slice::File { offset, len } => Some((*offset, offset + len)),
            Slice::Bytes(_) => None,
        })
        .collect();
    ranges.sort_unstable();
    let mut spans: Vec<(u64, u64)> = Vec::new();
    for (a, b) in ranges {
        match spans.last_mut() {
            Some(last) if a <= last.1 + READ_THROUGH_GAP && b.max(last.1) - last.0 <= MAX_SPAN => {
                last.1 = last.1.max(b);
            }
            _ => spans.push((a, b)),
        }
    }
    let mut data: Vec<Vec<u8>> = Vec::with_capacity(spans.len());
    for &(a, b) in &spans {
        let mut buf = vec![0u8; usize::try_from(b - a)?];
        src.read_exact_at(&mut buf, a)?;
        data.push(buf);
    }
    let mut written = 0u64;
    for (path, slices) in jobs {
        let mut out = Vec::with_capacity(usize::try_from(total_len(slices))?);
        for s in slices {
            match s {
                Slice::Bytes(b) => out.extend_from_slice(b),
                Slice::File { offset, len } => {
                    // The span that starts at or before `offset` holds the whole range.
                    let i = spans
                        .partition_point(|sp| sp.0 <= *offset)
                        .saturating_sub(1);
                    let bytes = spans.get(i).zip(data.get(i)).and_then(|(&(start, _), d)| {
                        let from = usize::try_from(offset.checked_sub(start)?).ok()?;
                        d.get(from..from.checked_add(usize::try_from(*len).ok()?)?)
                    });
                    let bytes = bytes.context("a range fell outside what was read")?;
                    out.extend_from_slice(bytes);
                }
            }
        }
        fs::write(path, &out)?;
        written += out.len() as u64;
    }
    Ok(written)
}
