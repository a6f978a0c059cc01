//! `marquee package`: the server's HLS/DASH output written to a folder, byte for byte.

use std::fs;
use std::io::BufWriter;
use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use marquee_catalog::subtitles::{subtitle_sources, webvtt};
use marquee_media::manifest::{segment_range, track_dir};
use marquee_media::{
    build_index_path, dash_mpd, hls_master, hls_media_playlist, hls_subtitle_playlist,
    init_segment, media_segment, plan_segments, total_len, write_slices, UrlOptions,
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
    let mut src =
        fs::File::open(source).with_context(|| format!("cannot open {}", source.display()))?;
    let mut bytes = 0u64;
    let mut segments = 0usize;
    for track in index.tracks.iter().filter(|t| t.is_packageable()) {
        let dir = out.join(track_dir(track));
        fs::create_dir_all(&dir)?;
        fs::write(dir.join("init.mp4"), init_segment(track)?)?;
        fs::write(
            dir.join("playlist.m3u8"),
            hls_media_playlist(track, &plan, &urls),
        )?;
        for n in segment_range(track, &plan) {
            let slices = media_segment(track, &plan, n, n as u32 + 1)?;
            let file = fs::File::create(dir.join(format!("{n}.m4s")))?;
            let written = write_slices(&slices, &mut src, BufWriter::new(file))
                .with_context(|| format!("cannot write segment {n} of track {}", track.track_id))?;
            if written != total_len(&slices) {
                bail!(
                    "{} ended early: it changed while being packaged",
                    source.display()
                );
            }
            bytes += written;
            segments += 1;
        }
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
