//! EBML (RFC 8794) reading: variable-length integers, element headers, values.
//!
//! Two readers share the same header decoding:
//! * [`read_header_at`] reads a header straight from the file, for walking the
//!   Segment and Clusters without loading them;
//! * [`Elements`] iterates children of an element already loaded into memory
//!   (Info, Tracks, Tags, SeekHead are small and read whole).

use std::io::{Read, Seek};

use crate::source::Source;
use crate::ProbeError;

pub(crate) const EBML: u32 = 0x1A45_DFA3;
pub(crate) const DOC_TYPE: u32 = 0x4282;
pub(crate) const SEGMENT: u32 = 0x1853_8067;
pub(crate) const SEEK_HEAD: u32 = 0x114D_9B74;
pub(crate) const SEEK: u32 = 0x4DBB;
pub(crate) const SEEK_ID: u32 = 0x53AB;
pub(crate) const SEEK_POSITION: u32 = 0x53AC;
pub(crate) const INFO: u32 = 0x1549_A966;
pub(crate) const TIMECODE_SCALE: u32 = 0x2A_D7B1;
pub(crate) const DURATION: u32 = 0x4489;
pub(crate) const TRACKS: u32 = 0x1654_AE6B;
pub(crate) const TRACK_ENTRY: u32 = 0xAE;
pub(crate) const TRACK_NUMBER: u32 = 0xD7;
pub(crate) const TRACK_UID: u32 = 0x73C5;
pub(crate) const TRACK_TYPE: u32 = 0x83;
pub(crate) const FLAG_DEFAULT: u32 = 0x88;
pub(crate) const DEFAULT_DURATION: u32 = 0x23_E383;
pub(crate) const NAME: u32 = 0x536E;
pub(crate) const LANGUAGE: u32 = 0x22_B59C;
pub(crate) const LANGUAGE_BCP47: u32 = 0x22_B59D;
pub(crate) const CODEC_ID: u32 = 0x86;
pub(crate) const CODEC_PRIVATE: u32 = 0x63A2;
pub(crate) const VIDEO: u32 = 0xE0;
pub(crate) const PIXEL_WIDTH: u32 = 0xB0;
pub(crate) const PIXEL_HEIGHT: u32 = 0xBA;
pub(crate) const AUDIO: u32 = 0xE1;
pub(crate) const SAMPLING_FREQUENCY: u32 = 0xB5;
pub(crate) const OUTPUT_SAMPLING_FREQUENCY: u32 = 0x78B5;
pub(crate) const CHANNELS: u32 = 0x9F;
pub(crate) const CLUSTER: u32 = 0x1F43_B675;
pub(crate) const SIMPLE_BLOCK: u32 = 0xA3;
pub(crate) const BLOCK_GROUP: u32 = 0xA0;
pub(crate) const BLOCK: u32 = 0xA1;
pub(crate) const REFERENCE_BLOCK: u32 = 0xFB;
pub(crate) const BLOCK_DURATION: u32 = 0x9B;
pub(crate) const CLUSTER_TIMESTAMP: u32 = 0xE7;
pub(crate) const CONTENT_ENCODINGS: u32 = 0x6D80;
pub(crate) const CUES: u32 = 0x1C53_BB6B;
pub(crate) const TAGS: u32 = 0x1254_C367;
pub(crate) const TAG: u32 = 0x7373;
pub(crate) const TARGETS: u32 = 0x63C0;
pub(crate) const TAG_TRACK_UID: u32 = 0x63C5;
pub(crate) const SIMPLE_TAG: u32 = 0x67C8;
pub(crate) const TAG_NAME: u32 = 0x45A3;
pub(crate) const TAG_STRING: u32 = 0x4487;
pub(crate) const CHAPTERS: u32 = 0x1043_A770;
pub(crate) const ATTACHMENTS: u32 = 0x1941_A469;

/// Top-level (Segment child) IDs: inside an unknown-size Cluster, meeting one
/// of these means the Cluster has ended.
pub(crate) const TOP_LEVEL: [u32; 8] = [
    SEEK_HEAD,
    INFO,
    TRACKS,
    CLUSTER,
    CUES,
    TAGS,
    CHAPTERS,
    ATTACHMENTS,
];

/// An element header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    /// The ID with its length marker bits kept (as IDs are conventionally written).
    pub id: u32,
    /// Payload size; `None` for "unknown size" (all data bits set).
    pub size: Option<u64>,
    /// Bytes taken by the ID and the size.
    pub header_len: u64,
}

/// Decodes a variable-length integer at the start of `b`: (value with the
/// marker bit removed, length, all-data-bits-set).  `None` when invalid or cut
/// off.  `max_len` is 4 for IDs and 8 for sizes.
pub(crate) fn vint(b: &[u8], max_len: usize) -> Option<(u64, usize, bool)> {
    let first = *b.first()?;
    let len = first.leading_zeros() as usize + 1;
    if len > max_len || len > 8 {
        return None;
    }
    let bytes = b.get(..len)?;
    let mask = if len == 8 { 0 } else { 0xffu8 >> len };
    let mut v = u64::from(first & mask);
    let mut all_ones = first & mask == mask;
    for &x in &bytes[1..] {
        v = (v << 8) | u64::from(x);
        all_ones &= x == 0xff;
    }
    Some((v, len, all_ones))
}

/// Decodes an element header at the start of `b`.
pub(crate) fn parse_header(b: &[u8]) -> Option<Header> {
    let (_, id_len, _) = vint(b, 4)?;
    let id = b
        .get(..id_len)?
        .iter()
        .fold(0u32, |acc, &x| (acc << 8) | u32::from(x));
    let (size, size_len, unknown) = vint(b.get(id_len..)?, 8)?;
    Some(Header {
        id,
        size: (!unknown).then_some(size),
        header_len: (id_len + size_len) as u64,
    })
}

/// Reads an element header from the file at `pos`.  `Ok(None)` at end of file
/// or when the bytes there are not a valid header.
pub(crate) fn read_header_at<R: Read + Seek>(
    src: &mut Source<R>,
    pos: u64,
) -> Result<Option<Header>, ProbeError> {
    let mut b = [0u8; 12];
    let n = src.read_at(pos, &mut b)?;
    Ok(parse_header(&b[..n]))
}

/// Iterates the children of an in-memory master element as `(id, payload)`.
/// An unknown-size child extends to the end of its parent; a child that claims
/// more than its parent holds is clipped to what is there (Matroska muxers
/// tolerate this and so do players); a broken header ends the iteration.
pub(crate) struct Elements<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Elements<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Elements { data, pos: 0 }
    }
}

impl<'a> Iterator for Elements<'a> {
    type Item = (u32, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let rest = self.data.get(self.pos..)?;
        let h = parse_header(rest)?;
        let start = h.header_len as usize;
        let avail = rest.len() - start;
        let size = h.size.map_or(avail, |s| {
            usize::try_from(s).unwrap_or(usize::MAX).min(avail)
        });
        // header_len ≥ 2, so the position always advances.
        self.pos += start + size;
        Some((h.id, &rest[start..start + size]))
    }
}

/// Unsigned integer element value (0–8 bytes, big-endian).
pub(crate) fn uint(b: &[u8]) -> Option<u64> {
    if b.len() > 8 {
        return None;
    }
    Some(b.iter().fold(0u64, |acc, &x| (acc << 8) | u64::from(x)))
}

/// Float element value (0, 4 or 8 bytes).
pub(crate) fn float(b: &[u8]) -> Option<f64> {
    match b.len() {
        0 => Some(0.0),
        4 => Some(f64::from(f32::from_be_bytes(b.try_into().ok()?))),
        8 => Some(f64::from_be_bytes(b.try_into().ok()?)),
        _ => None,
    }
    .filter(|f| f.is_finite())
}

/// String element value: UTF-8 (lossy), NUL padding removed.
pub(crate) fn string(b: &[u8]) -> String {
    let end = b.iter().position(|&x| x == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vints() {
        assert_eq!(vint(&[0x81], 8), Some((1, 1, false)));
        assert_eq!(vint(&[0x40, 0x02], 8), Some((2, 2, false)));
        assert_eq!(vint(&[0xff], 8), Some((0x7f, 1, true)));
        assert_eq!(
            vint(&[0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 8),
            Some(((1 << 56) - 1, 8, true))
        );
        assert_eq!(vint(&[0x01, 0, 0, 0, 0, 0, 0, 5], 8), Some((5, 8, false)));
        assert_eq!(vint(&[0x00, 1, 2], 8), None); // no marker in the first byte
        assert_eq!(vint(&[0x10, 1, 2, 3], 3), None); // too long for an ID
        assert_eq!(vint(&[0x20, 1], 8), None); // cut off
        assert_eq!(vint(&[], 8), None);
    }

    #[test]
    fn headers() {
        let h = parse_header(&[0x1A, 0x45, 0xDF, 0xA3, 0x84, 0, 0, 0, 0]).expect("header");
        assert_eq!(
            h,
            Header {
                id: EBML,
                size: Some(4),
                header_len: 5
            }
        );
        let h = parse_header(&[
            0x1F, 0x43, 0xB6, 0x75, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        ])
        .expect("header");
        assert_eq!(h.id, CLUSTER);
        assert_eq!(h.size, None);
        assert_eq!(h.header_len, 12);
        assert_eq!(parse_header(&[0xA3]), None);
    }

    #[test]
    fn children_and_values() {
        // TrackNumber=1, CodecID="V_VP9", unknown-size Video to the end.
        let data = [
            0xD7, 0x81, 0x01, 0x86, 0x85, b'V', b'_', b'V', b'P', b'9', 0xE0, 0xFF, 0xB0, 0x82,
            0x01, 0x40,
        ];
        let kids: Vec<_> = Elements::new(&data).collect();
        assert_eq!(kids.len(), 3);
        assert_eq!(kids[0], (TRACK_NUMBER, &[1u8][..]));
        assert_eq!(string(kids[1].1), "V_VP9");
        assert_eq!(kids[2].0, VIDEO);
        let video: Vec<_> = Elements::new(kids[2].1).collect();
        assert_eq!(uint(video[0].1), Some(320));
        // A child claiming more than its parent is clipped, not trusted.
        let data = [0xD7, 0x88, 1, 2];
        let kids: Vec<_> = Elements::new(&data).collect();
        assert_eq!(kids, vec![(TRACK_NUMBER, &[1u8, 2][..])]);
        assert_eq!(uint(&[1; 9]), None);
        assert_eq!(float(&0.5f32.to_be_bytes()), Some(0.5));
        assert_eq!(float(&25.0f64.to_be_bytes()), Some(25.0));
        assert_eq!(float(&[1, 2, 3]), None);
        assert_eq!(float(&f64::NAN.to_be_bytes()), None);
        assert_eq!(string(b"eng\0\0"), "eng");
    }
}
