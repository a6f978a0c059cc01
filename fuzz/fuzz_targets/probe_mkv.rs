//! Feeds arbitrary bytes to `probe` as Matroska: the EBML magic is prepended
//! when missing, so the fuzzer spends its time inside the Matroska parser
//! rather than in container detection.  Seed with `target/test-media/*.mkv`
//! and `*.webm`.
#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use marquee_media::{probe, ProbeOptions};

const EBML_MAGIC: [u8; 4] = [0x1A, 0x45, 0xDF, 0xA3];

fuzz_target!(|data: &[u8]| {
    let opts = ProbeOptions {
        count_keyframes: true,
    };
    let input = if data.starts_with(&EBML_MAGIC) {
        data.to_vec()
    } else {
        [&EBML_MAGIC[..], data].concat()
    };
    let _ = probe(Cursor::new(input), opts);
});
