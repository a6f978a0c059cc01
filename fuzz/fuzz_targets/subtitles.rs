//! Sidecar subtitle files (SRT, ASS, WebVTT) and embedded subtitle samples to WebVTT: the first
//! byte picks the parser, the rest is the file or sample.
#![no_main]

use libfuzzer_sys::fuzz_target;
use marquee_media::subtitle::{parse, sample_text, to_webvtt, SubtitleFormat};

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    match which % 8 {
        0 => drop(to_webvtt(&parse(SubtitleFormat::Srt, rest))),
        1 => drop(to_webvtt(&parse(SubtitleFormat::Ass, rest))),
        2 => drop(to_webvtt(&parse(SubtitleFormat::WebVtt, rest))),
        3 => drop(sample_text("mov_text", rest)),
        4 => drop(sample_text("subrip", rest)),
        5 => drop(sample_text("ass", rest)),
        _ => drop(sample_text("webvtt", rest)),
    }
});
