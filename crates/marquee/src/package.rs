//! `marquee package`: the server's HLS/DASH output written to a folder, byte for byte.

use std::fs;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use marquee_catalog::subtitles::{subtitle_sources, webvtt};
use marquee_media::manifest::{segment_range, track_dir};
use marquee_media::{
    build_index_path, dash_mpd, hls_master, hls_media_playlist, hls_subtitle_playlist,
    init_segment, media_segment, plan_segments_quick_start, Slice, UrlOptions,
};

pub fn package(source: &Path, out: &Path, segment_secs: f64, first_secs: f64) -> Result<()> {
    if !(segment_secs.is_finite() && (0.5..=60.0).contains(&segment_secs)) {
        bail!("--segment-duration must be between 0.5 and 60 seconds");
    }
    if !(first_secs.is_finite() && (0.5..=60.0).contains(&first_secs)) {
        bail!("--first-segment-duration must be between 0.5 and 60 seconds");
    }
    let index =
        build_index_path(source).with_context(|| format!("cannot read {}", source.display()))?;
    let reference = index.reference_track().with_context(|| {
        format!(
            "{} has no video or audio track that can be streamed",
            source.display()
        )
    })?;
    let plan = plan_segments_quick_start(
        reference,
        Duration::from_secs_f64(segment_secs),
        Duration::from_secs_f64(first_secs),
    );
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
    // The segments are independent files: one worker per core takes the next segment number
    // (all its tracks: their samples lie side by side in the source).
    let next = AtomicUsize::new(0);
    let copier = Copier::new(&src);
    let write_all = || -> Result<(u64, usize)> {
        let (mut bytes, mut segments) = (0u64, 0usize);
        let mut scratch = Vec::new();
        loop {
            let n = next.fetch_add(1, Ordering::Relaxed);
            if n >= plan.len() {
                return Ok((bytes, segments));
            }
            for track in &tracks {
                if !segment_range(track, &plan).contains(&n) {
                    continue;
                }
                let slices = media_segment(track, &plan, n, n as u32 + 1)?;
                let path = out.join(track_dir(track)).join(format!("{n}.m4s"));
                bytes += copier
                    .write_file(&path, &slices, &mut scratch)
                    .with_context(|| {
                        format!(
                            "cannot write {} ({} ended early or changed while being packaged?)",
                            path.display(),
                            source.display()
                        )
                    })?;
                segments += 1;
            }
        }
    };
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
    let results: Vec<Result<(u64, usize)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers).map(|_| scope.spawn(write_all)).collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| bail!("a packaging worker panicked"))
            })
            .collect()
    });
    let (mut bytes, mut segments) = (0u64, 0usize);
    for r in results {
        let (b, s) = r?;
        bytes += b;
        segments += s;
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

/// Writes segment files from the source: each is assembled in a buffer that its worker reuses
/// (no fresh pages to fault in and zero per segment) with positional reads of its file ranges, and
/// written with one write. Measured against `copy_file_range` per range and against writing from
/// a memory map: see BENCHMARKS.md.
struct Copier<'a> {
    src: &'a fs::File,
}

impl<'a> Copier<'a> {
    fn new(src: &'a fs::File) -> Copier<'a> {
        Copier { src }
    }

    /// Writes one segment file; answers its length. The buffer only ever grows, so its bytes are
    /// zeroed once, not before every read (memset was 4 % of a 2-hour run's CPU).
    fn write_file(&self, path: &Path, slices: &[Slice], scratch: &mut Vec<u8>) -> Result<u64> {
        use std::os::unix::fs::FileExt;
        let total = usize::try_from(marquee_media::total_len(slices))?;
        if scratch.len() < total {
            scratch.resize(total, 0);
        }
        let mut at = 0usize;
        for s in slices {
            let n = usize::try_from(s.len())?;
            let to = &mut scratch[at..at + n];
            match s {
                Slice::Bytes(b) => to.copy_from_slice(b),
                Slice::File { offset, .. } => self.src.read_exact_at(to, *offset)?,
            }
            at += n;
        }
        fs::write(path, &scratch[..at])?;
        Ok(at as u64)
    }
}
