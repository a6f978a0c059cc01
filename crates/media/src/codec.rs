//! Codec configuration records shared by MP4 and Matroska, and the RFC 6381
//! codec strings built from them.
//!
//! Both containers carry the same decoder configuration records (MP4 in
//! `avcC`/`hvcC`/`av1C`/`vpcC`/`esds` boxes, Matroska in `CodecPrivate`), so the
//! parsing lives here once.  Every function takes an untrusted byte slice and
//! returns `None` when it is too short or malformed; nothing here panics.

/// `avc1.PPCCLL` from an AVCDecoderConfigurationRecord (ISO/IEC 14496-15 §5.3.3).
/// `prefix` is the sample entry type ("avc1" or "avc3").
pub(crate) fn avc_codec_string(prefix: &str, avcc: &[u8]) -> Option<String> {
    // configurationVersion, AVCProfileIndication, profile_compatibility, AVCLevelIndication
    match avcc {
        [1, profile, compat, level, ..] => {
            Some(format!("{prefix}.{profile:02x}{compat:02x}{level:02x}"))
        }
        _ => None,
    }
}

/// `hvc1.<space><profile>.<compat>.<tier><level>.<constraints>` from an
/// HEVCDecoderConfigurationRecord, per ISO/IEC 14496-15 Annex E:
/// the compatibility flags are written bit-reversed in hex without leading
/// zeros, and trailing zero constraint bytes are omitted.
pub(crate) fn hevc_codec_string(prefix: &str, hvcc: &[u8]) -> Option<String> {
    if hvcc.len() < 13 || hvcc[0] != 1 {
        return None;
    }
    let space = hvcc[1] >> 6;
    let tier_high = hvcc[1] & 0x20 != 0;
    let profile_idc = hvcc[1] & 0x1f;
    let compat = u32::from_be_bytes([hvcc[2], hvcc[3], hvcc[4], hvcc[5]]).reverse_bits();
    let constraints = &hvcc[6..12];
    let level = hvcc[12];
    let space_letter = match space {
        1 => "A",
        2 => "B",
        3 => "C",
        _ => "",
    };
    let mut s = format!(
        "{prefix}.{space_letter}{profile_idc}.{compat:X}.{}{level}",
        if tier_high { 'H' } else { 'L' }
    );
    let keep = constraints
        .iter()
        .rposition(|&b| b != 0)
        .map_or(0, |i| i + 1);
    for b in &constraints[..keep] {
        s.push_str(&format!(".{b:02X}"));
    }
    Some(s)
}

/// `av01.P.LLT.DD` from an AV1CodecConfigurationRecord (AV1-ISOBMFF §2.3).
pub(crate) fn av1_codec_string(av1c: &[u8]) -> Option<String> {
    let [marker, b1, b2, ..] = *av1c else {
        return None;
    };
    if marker & 0x80 == 0 {
        return None;
    }
    let profile = b1 >> 5;
    let level = b1 & 0x1f;
    let tier = if b2 & 0x80 != 0 { 'H' } else { 'M' };
    let high_bitdepth = b2 & 0x40 != 0;
    let twelve_bit = b2 & 0x20 != 0;
    let depth = match (high_bitdepth, twelve_bit && profile == 2) {
        (false, _) => 8,
        (true, false) => 10,
        (true, true) => 12,
    };
    Some(format!("av01.{profile}.{level:02}{tier}.{depth:02}"))
}

/// `vp09.PP.LL.DD` from the payload of a VPCodecConfigurationBox (`vpcC`, after
/// its FullBox version/flags).
pub(crate) fn vp9_codec_string_from_vpcc(payload: &[u8]) -> Option<String> {
    match payload {
        [profile, level, depth_etc, ..] => Some(format!(
            "vp09.{profile:02}.{level:02}.{:02}",
            depth_etc >> 4
        )),
        _ => None,
    }
}

/// `vp09.PP.LL.DD` from a WebM VP9 `CodecPrivate`: a list of (id, length, value)
/// features, 1 = profile, 2 = level, 3 = bit depth.
pub(crate) fn vp9_codec_string_from_features(cp: &[u8]) -> Option<String> {
    let (mut profile, mut level, mut depth) = (None, None, None);
    let mut rest = cp;
    while let [id, len, tail @ ..] = rest {
        let len = usize::from(*len);
        let value = tail.get(..len)?;
        if let [v] = value {
            match id {
                1 => profile = Some(*v),
                2 => level = Some(*v),
                3 => depth = Some(*v),
                _ => {}
            }
        }
        rest = &tail[len..];
    }
    Some(format!(
        "vp09.{:02}.{:02}.{:02}",
        profile?,
        level.unwrap_or(10),
        depth.unwrap_or(8)
    ))
}

/// The fields of an MPEG-4 AudioSpecificConfig (ISO/IEC 14496-3 §1.6.2.1) we use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AudioSpecificConfig {
    pub object_type: u8,
    pub sample_rate: Option<u32>,
    /// `None` when channelConfiguration is 0 (layout given elsewhere).
    pub channels: Option<u32>,
}

const AAC_RATES: [u32; 13] = [
    96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
];

pub(crate) fn parse_audio_specific_config(asc: &[u8]) -> Option<AudioSpecificConfig> {
    let mut br = BitReader::new(asc);
    let mut object_type = br.bits(5)?;
    if object_type == 31 {
        object_type = 32 + br.bits(6)?;
    }
    let freq_index = br.bits(4)?;
    let sample_rate = if freq_index == 0xf {
        Some(br.bits(24)?)
    } else {
        AAC_RATES.get(freq_index as usize).copied()
    };
    let channel_config = br.bits(4)?;
    let channels = match channel_config {
        0 => None,
        1..=6 => Some(channel_config),
        7 => Some(8),
        11 => Some(7),
        12 | 14 => Some(8),
        13 => Some(24),
        _ => None,
    };
    Some(AudioSpecificConfig {
        object_type: u8::try_from(object_type).ok()?,
        sample_rate,
        channels,
    })
}

/// `mp4a.40.<audio object type>` for AAC (object type indication 0x40).
pub(crate) fn aac_codec_string(asc: Option<&AudioSpecificConfig>) -> String {
    match asc {
        Some(a) => format!("mp4a.40.{}", a.object_type),
        None => "mp4a.40.2".to_string(),
    }
}

/// Channel count from an AC-3 `acmod` + `lfeon` pair (ATSC A/52 table 5.8).
pub(crate) fn ac3_channels(acmod: u8, lfe: bool) -> u32 {
    const BY_ACMOD: [u32; 8] = [2, 1, 2, 3, 3, 4, 4, 5];
    BY_ACMOD[usize::from(acmod & 7)] + u32::from(lfe)
}

/// Sample rate and channel count from FLAC metadata blocks (as in the `dfLa`
/// box after its FullBox header, or a Matroska `CodecPrivate` after "fLaC").
/// STREAMINFO is always the first block.
pub(crate) fn flac_streaminfo(blocks: &[u8]) -> Option<(u32, u32)> {
    let blocks = blocks.strip_prefix(b"fLaC").unwrap_or(blocks);
    let [header, _, _, _, body @ ..] = blocks else {
        return None;
    };
    if header & 0x7f != 0 {
        return None;
    }
    // min/max block size (2+2), min/max frame size (3+3), then 20 bits of rate,
    // 3 bits of channels-1.
    let mut br = BitReader::new(body.get(10..14)?);
    let rate = br.bits(20)?;
    let channels = br.bits(3)? + 1;
    Some((rate, channels))
}

/// Profile and bit depth from a VP9 key frame's uncompressed header (VP9
/// bitstream spec §6.2).  `None` for non-key frames or garbage.
pub(crate) fn vp9_frame_profile(frame: &[u8]) -> Option<(u32, u32)> {
    let mut br = BitReader::new(frame);
    if br.bits(2)? != 2 {
        return None; // frame_marker
    }
    let low = br.bits(1)?;
    let high = br.bits(1)?;
    let profile = (high << 1) | low;
    if profile == 3 {
        br.bits(1)?; // reserved_zero
    }
    if br.bits(1)? == 1 {
        return None; // show_existing_frame
    }
    if br.bits(1)? != 0 {
        return None; // not a key frame: no colour config
    }
    br.bits(2)?; // show_frame, error_resilient_mode
    if br.bits(24)? != 0x49_8342 {
        return None; // frame_sync_code
    }
    let depth = if profile >= 2 {
        if br.bits(1)? == 1 {
            12
        } else {
            10
        }
    } else {
        8
    };
    Some((profile, depth))
}

/// VP9 level (as 10, 11, 20 ... 62) from picture size and frame rate, using
/// the limits of the VP9 levels table (max picture size, max luma sample rate).
/// The bitstream does not carry the level, so this is the smallest level the
/// stream fits in.
pub(crate) fn vp9_level(width: u32, height: u32, fps: f64) -> u32 {
    const LEVELS: [(u32, u64, u64); 14] = [
        (10, 36_864, 829_440),
        (11, 73_728, 2_764_800),
        (20, 122_880, 4_608_000),
        (21, 245_760, 9_216_000),
        (30, 552_960, 20_736_000),
        (31, 983_040, 36_864_000),
        (40, 2_228_224, 83_558_400),
        (41, 2_228_224, 160_432_128),
        (50, 8_912_896, 311_951_360),
        (51, 8_912_896, 588_251_136),
        (52, 8_912_896, 1_176_502_272),
        (60, 35_651_584, 1_176_502_272),
        (61, 35_651_584, 2_353_004_544),
        (62, 35_651_584, 4_706_009_088),
    ];
    let size = u64::from(width) * u64::from(height);
    let fps = if fps.is_finite() && fps > 0.0 {
        fps
    } else {
        30.0
    };
    let rate = (size as f64 * fps) as u64;
    LEVELS
        .iter()
        .find(|(_, max_size, max_rate)| size <= *max_size && rate <= *max_rate)
        .map_or(62, |(l, _, _)| *l)
}

/// MSB-first bit reader over a byte slice; every read is bounds-checked.
pub(crate) struct BitReader<'a> {
    data: &'a [u8],
    bit: usize,
}

impl<'a> BitReader<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        BitReader { data, bit: 0 }
    }

    /// Reads `n` (≤ 32) bits, or `None` past the end.
    pub(crate) fn bits(&mut self, n: u32) -> Option<u32> {
        if n > 32 {
            return None;
        }
        let mut v: u32 = 0;
        for _ in 0..n {
            let byte = *self.data.get(self.bit / 8)?;
            let b = (byte >> (7 - (self.bit % 8))) & 1;
            v = (v << 1) | u32::from(b);
            self.bit += 1;
        }
        Some(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn avc() {
        assert_eq!(
            avc_codec_string("avc1", &[1, 0x64, 0x00, 0x1f, 0xff]).as_deref(),
            Some("avc1.64001f")
        );
        assert_eq!(
            avc_codec_string("avc3", &[1, 0x42, 0xc0, 0x1e]).as_deref(),
            Some("avc3.42c01e")
        );
        assert_eq!(avc_codec_string("avc1", &[1, 0x64]), None);
        assert_eq!(avc_codec_string("avc1", &[]), None);
    }

    #[test]
    fn hevc() {
        // Main profile, compat flag 1 and 2 set (0x60000000), level 93, progressive+frame-only constraint.
        let mut h = vec![1, 0x01, 0x60, 0, 0, 0, 0xB0, 0, 0, 0, 0, 0, 93];
        h.extend_from_slice(&[0xf0, 0, 0xfc]);
        assert_eq!(
            hevc_codec_string("hvc1", &h).as_deref(),
            Some("hvc1.1.6.L93.B0")
        );
        // Main 10, high tier, level 153, two constraint bytes.
        let h = [1, 0x22, 0x20, 0, 0, 0, 0x90, 0x01, 0, 0, 0, 0, 153];
        assert_eq!(
            hevc_codec_string("hev1", &h).as_deref(),
            Some("hev1.2.4.H153.90.01")
        );
        // Profile space 1 ("A"), no constraint bytes at all.
        let h = [1, 0x41, 0x40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 120];
        assert_eq!(
            hevc_codec_string("hvc1", &h).as_deref(),
            Some("hvc1.A1.2.L120")
        );
        assert_eq!(hevc_codec_string("hvc1", &[1, 2, 3]), None);
    }

    #[test]
    fn av1() {
        // Main profile, level 4 (seq_level_idx 4), main tier, 8-bit.
        assert_eq!(
            av1_codec_string(&[0x81, 0x04, 0x0c, 0]).as_deref(),
            Some("av01.0.04M.08")
        );
        // Main profile, level 13, high tier, 10-bit.
        assert_eq!(
            av1_codec_string(&[0x81, 0x0d, 0xc0]).as_deref(),
            Some("av01.0.13H.10")
        );
        // Professional profile, 12-bit.
        assert_eq!(
            av1_codec_string(&[0x81, 0x48, 0x60]).as_deref(),
            Some("av01.2.08M.12")
        );
        assert_eq!(av1_codec_string(&[0x01, 0, 0]), None);
        assert_eq!(av1_codec_string(&[0x81]), None);
    }

    #[test]
    fn vp9() {
        assert_eq!(
            vp9_codec_string_from_vpcc(&[0, 10, 0x82, 0]).as_deref(),
            Some("vp09.00.10.08")
        );
        assert_eq!(
            vp9_codec_string_from_vpcc(&[2, 41, 0xa2]).as_deref(),
            Some("vp09.02.41.10")
        );
        assert_eq!(
            vp9_codec_string_from_features(&[1, 1, 0, 2, 1, 31, 3, 1, 8, 4, 1, 1]).as_deref(),
            Some("vp09.00.31.08")
        );
        assert_eq!(vp9_codec_string_from_features(&[2, 1, 31]), None);
        assert_eq!(vp9_codec_string_from_features(&[1, 5, 0]), None);
    }

    #[test]
    fn aac() {
        // AAC-LC, 48 kHz, stereo: 00010 0011 0010 000
        let asc = parse_audio_specific_config(&[0x11, 0x90]).expect("asc");
        assert_eq!(
            asc,
            AudioSpecificConfig {
                object_type: 2,
                sample_rate: Some(48000),
                channels: Some(2)
            }
        );
        assert_eq!(aac_codec_string(Some(&asc)), "mp4a.40.2");
        // HE-AAC (5), 44.1 kHz, mono.
        let asc = parse_audio_specific_config(&[0x2a, 0x08]).expect("asc");
        assert_eq!(asc.object_type, 5);
        assert_eq!(asc.sample_rate, Some(44100));
        assert_eq!(asc.channels, Some(1));
        // Escaped object type 31 + 6 bits (= 34, "mp3 on 4"), explicit 24-bit rate.
        let mut br_bytes = [0u8; 6];
        // 11111 000010 1111 <24 bits of 22050> 0010
        let bits: u64 =
            (0b11111u64 << 43) | (0b000010 << 37) | (0b1111 << 33) | (22050 << 9) | (0b0010 << 5);
        br_bytes.copy_from_slice(&bits.to_be_bytes()[2..]);
        let asc = parse_audio_specific_config(&br_bytes).expect("asc");
        assert_eq!(asc.object_type, 34);
        assert_eq!(asc.sample_rate, Some(22050));
        assert_eq!(asc.channels, Some(2));
        assert_eq!(parse_audio_specific_config(&[0x11]), None);
        assert_eq!(aac_codec_string(None), "mp4a.40.2");
    }

    #[test]
    fn flac() {
        // STREAMINFO: 44100 Hz (0x0AC44), 2 channels, 16 bits.
        let mut b = b"fLaC".to_vec();
        b.extend_from_slice(&[0x80, 0, 0, 34]);
        b.extend_from_slice(&[0x10, 0, 0x10, 0, 0, 0, 0, 0, 0, 0]);
        b.extend_from_slice(&[0x0a, 0xc4, 0x42, 0xf0]);
        assert_eq!(flac_streaminfo(&b), Some((44100, 2)));
        assert_eq!(flac_streaminfo(&b[4..]), Some((44100, 2)));
        assert_eq!(flac_streaminfo(&b[..12]), None);
    }

    #[test]
    fn vp9_frames() {
        // Profile 0 key frame: 10 0 0 0 0 1 0 + sync code.
        assert_eq!(
            vp9_frame_profile(&[0x82, 0x49, 0x83, 0x42, 0x00]),
            Some((0, 8))
        );
        // Profile 2 (low 0, high 1), 10-bit: 10 0 1 0 0 0 0 | sync | 0
        assert_eq!(vp9_frame_profile(&[0x90, 0x92, 0x4c, 0x1a, 0x10]), None);
        assert_eq!(
            vp9_frame_profile(&[0x92, 0x49, 0x83, 0x42, 0x00]),
            Some((2, 10))
        );
        // Inter frame.
        assert_eq!(vp9_frame_profile(&[0x86, 0, 0, 0]), None);
        assert_eq!(vp9_frame_profile(&[]), None);
        assert_eq!(vp9_level(320, 180, 25.0), 11);
        assert_eq!(vp9_level(1920, 1080, 30.0), 40);
        assert_eq!(vp9_level(3840, 2160, 60.0), 51);
        assert_eq!(vp9_level(100_000, 100_000, 60.0), 62);
    }

    #[test]
    fn ac3() {
        assert_eq!(ac3_channels(7, true), 6);
        assert_eq!(ac3_channels(1, false), 1);
        assert_eq!(ac3_channels(0xff, false), 5);
    }
}
