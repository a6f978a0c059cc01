//! Shared body of the `probe_mp4` and `probe_mkv` targets: everything the server does with the
//! bytes of a media file — probe, sample index, segment plan, init and media segments, manifests,
//! embedded subtitles, chapters, and the index cache round trip.

use std::io::Cursor;
use std::time::Duration;

use marquee_media::{
    build_index, chapters, dash_mpd, hls_master, init_segment, media_segment, plan_segments, probe,
    subtitle, ProbeOptions, SampleIndex, UrlOptions,
};

pub fn run(data: &[u8]) {
    let opts = ProbeOptions {
        count_keyframes: true,
    };
    // The chapter parsers also get the raw bytes, not only chapters inside valid containers.
    let _ = chapters::finish(chapters::parse_chpl(data), 0);
    let _ = chapters::parse_matroska_chapters(data);
    let _ = chapters::parse_chapter_sample(data);
    let Ok(info) = probe(Cursor::new(data), opts) else {
        return;
    };
    assert!(info.chapters.len() <= chapters::MAX_CHAPTERS);
    for pair in info.chapters.windows(2) {
        assert!(pair[0].start_ms < pair[1].start_ms);
    }
    for c in &info.chapters {
        assert!(c.end_ms.is_none_or(|e| e > c.start_ms), "{c:?}");
    }
    let Ok(index) = build_index(Cursor::new(data)) else {
        return;
    };
    let bytes = index.serialize();
    assert_eq!(SampleIndex::deserialize(&bytes).ok().as_ref(), Some(&index));
    for t in index.tracks.iter().filter(|t| t.is_text_subtitle()) {
        let _ = subtitle::read_embedded(Cursor::new(data), t);
    }
    let Some(reference) = index.reference_track() else {
        return;
    };
    let plan = plan_segments(reference, Duration::from_secs(2));
    let _ = hls_master(&index, &plan, &UrlOptions::default(), &[]);
    let _ = dash_mpd(&index, &plan, &UrlOptions::default(), &[]);
    for t in index.tracks.iter().filter(|t| t.is_packageable()) {
        let _ = init_segment(t);
        for n in 0..plan.len().min(3) {
            let _ = media_segment(t, &plan, n, n as u32 + 1);
        }
    }
}
