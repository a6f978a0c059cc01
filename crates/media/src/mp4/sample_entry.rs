//! `stsd` sample entries: which codec a track uses and how it is configured.
//!
//! Only the first sample entry is described; files with several (rare, e.g.
//! mid-stream resolution changes) are reported by their first.

use super::boxes::{fourcc_str, Boxes, Cursor, FourCc};
use crate::codec;
use crate::ProbeError;

/// What the first sample entry of a track says.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct SampleEntry {
    pub format: FourCc,
    pub codec: String,
    pub codec_string: Option<String>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub channels: Option<u32>,
    pub sample_rate: Option<u32>,
    /// Average bitrate from `esds` or `btrt`, when the file states one.
    pub bitrate: Option<u64>,
    /// The decoder configuration box (`avcC`, `hvcC`, `av1C`, `vpcC`, `esds`,
    /// `dOps`, `dfLa`, `dac3`, `dec3`): its type and payload, as stored, for
    /// packaging.
    pub config: Option<(FourCc, Vec<u8>)>,
}

/// Parses an `stsd` payload (FullBox header, entry count, entries).
pub(crate) fn parse_stsd(stsd: &[u8]) -> Result<Option<SampleEntry>, ProbeError> {
    let mut c = Cursor::new(stsd, "stsd");
    c.version_flags()?;
    let _count = c.u32()?;
    let Some(first) = Boxes::new(c.rest(), "'stsd'").next() else {
        return Ok(None);
    };
    let (format, body) = first?;
    Ok(Some(parse_entry(format, body)?))
}

fn parse_entry(format: FourCc, body: &[u8]) -> Result<SampleEntry, ProbeError> {
    let mut e = SampleEntry {
        format,
        codec: match codec_name(&format) {
            "" => fourcc_str(&format),
            known => known.to_string(),
        },
        ..SampleEntry::default()
    };
    let f = fourcc_str(&format);
    match &format {
        b"avc1" | b"avc3" | b"hvc1" | b"hev1" | b"dvh1" | b"dvhe" | b"av01" | b"vp09" | b"vp08"
        | b"mp4v" | b"jpeg" | b"mjpa" | b"apch" | b"apcn" | b"apcs" | b"apco" | b"ap4h"
        | b"encv" => parse_visual(&f, body, &mut e)?,
        b"mp4a" | b".mp3" | b"ac-3" | b"ec-3" | b"Opus" | b"fLaC" | b"alac" | b"ipcm" | b"lpcm"
        | b"sowt" | b"twos" | b"in24" | b"in32" | b"fl32" | b"fl64" | b"raw " | b"dtsc"
        | b"dtsh" | b"dtsl" | b"mlpa" | b"enca" => parse_audio(body, &mut e)?,
        _ => {}
    }
    if e.codec_string.is_none() {
        e.codec_string = match &format {
            b"ac-3" => Some("ac-3".into()),
            b"ec-3" => Some("ec-3".into()),
            b"Opus" => Some("opus".into()),
            b"fLaC" => Some("fLaC".into()),
            b".mp3" => Some("mp4a.6B".into()),
            b"wvtt" => Some("wvtt".into()),
            b"stpp" => Some("stpp".into()),
            b"vp08" => Some("vp8".into()),
            _ => None,
        };
    }
    Ok(e)
}

/// The ffmpeg-style short name for a sample entry type; unknown types keep
/// their fourcc.
fn codec_name(format: &FourCc) -> &'static str {
    match format {
        b"avc1" | b"avc3" => "h264",
        b"hvc1" | b"hev1" | b"dvh1" | b"dvhe" => "hevc",
        b"av01" => "av1",
        b"vp09" => "vp9",
        b"vp08" => "vp8",
        b"mp4v" => "mpeg4",
        b"jpeg" | b"mjpa" => "mjpeg",
        b"apch" | b"apcn" | b"apcs" | b"apco" | b"ap4h" => "prores",
        b"mp4a" => "aac",
        b".mp3" => "mp3",
        b"ac-3" => "ac3",
        b"ec-3" => "eac3",
        b"Opus" => "opus",
        b"fLaC" => "flac",
        b"alac" => "alac",
        b"ipcm" | b"lpcm" | b"sowt" | b"twos" | b"in24" | b"in32" | b"fl32" | b"fl64" | b"raw " => {
            "pcm"
        }
        b"dtsc" | b"dtsh" | b"dtsl" => "dts",
        b"mlpa" => "truehd",
        b"tx3g" | b"text" => "mov_text",
        b"wvtt" => "webvtt",
        b"stpp" => "ttml",
        b"c608" => "eia_608",
        b"c708" => "eia_708",
        b"mp4s" => "dvd_subtitle",
        b"tmcd" => "tmcd",
        _ => "",
    }
}

/// VisualSampleEntry: 78 bytes of fixed fields, then configuration boxes.
fn parse_visual(prefix: &str, body: &[u8], e: &mut SampleEntry) -> Result<(), ProbeError> {
    let mut c = Cursor::new(body, "visual sample entry");
    c.skip(8 + 16)?;
    let w = c.u16()?;
    let h = c.u16()?;
    c.skip(78 - 28)?;
    e.width = (w > 0).then_some(u32::from(w));
    e.height = (h > 0).then_some(u32::from(h));
    for child in Boxes::new(c.rest(), "video sample entry") {
        let Ok((typ, p)) = child else { break };
        if matches!(&typ, b"avcC" | b"hvcC" | b"av1C" | b"vpcC" | b"esds") && e.config.is_none() {
            e.config = Some((typ, p.to_vec()));
        }
        match &typ {
            b"avcC" => e.codec_string = codec::avc_codec_string(prefix, p),
            b"hvcC" => e.codec_string = codec::hevc_codec_string(prefix, p),
            b"av1C" => e.codec_string = codec::av1_codec_string(p),
            b"vpcC" => e.codec_string = p.get(4..).and_then(codec::vp9_codec_string_from_vpcc),
            b"esds" => {
                if let Some(es) = parse_esds(p) {
                    e.bitrate = e.bitrate.or(es.avg_bitrate);
                    e.codec_string = Some(format!("mp4v.{:02x}", es.object_type));
                    if es.object_type == 0x20 {
                        e.codec_string = Some(match es.dsi.as_slice() {
                            // visual_object_sequence_start_code then profile_and_level_indication
                            [0, 0, 1, 0xb0, pl, ..] => format!("mp4v.20.{pl}"),
                            _ => "mp4v.20".into(),
                        });
                    }
                }
            }
            b"btrt" => e.bitrate = e.bitrate.or_else(|| btrt_avg(p)),
            _ => {}
        }
    }
    Ok(())
}

/// AudioSampleEntry (with QuickTime's version 1 and 2 extensions), then
/// configuration boxes.
fn parse_audio(body: &[u8], e: &mut SampleEntry) -> Result<(), ProbeError> {
    let mut c = Cursor::new(body, "audio sample entry");
    c.skip(8)?;
    let version = c.u16()?;
    c.skip(6)?;
    let channels = c.u16()?;
    c.skip(6)?;
    let rate_fixed = c.u32()?;
    let mut channels = u32::from(channels);
    let mut rate = rate_fixed >> 16;
    match version {
        1 => c.skip(16)?,
        2 => {
            c.skip(4)?;
            let r = f64::from_bits(c.u64()?);
            channels = c.u32()?;
            c.skip(20)?;
            if r.is_finite() && r > 0.0 && r < 10_000_000.0 {
                rate = r.round() as u32;
            }
        }
        _ => {}
    }
    e.channels = (channels > 0).then_some(channels);
    e.sample_rate = (rate > 0).then_some(rate);
    audio_children(c.rest(), e, 0);
    Ok(())
}

/// Configuration boxes of an audio entry.  QuickTime nests `esds` inside a
/// `wave` box, so recurse (bounded) into that.
fn audio_children(data: &[u8], e: &mut SampleEntry, depth: u32) {
    for child in Boxes::new(data, "audio sample entry") {
        let Ok((typ, p)) = child else { break };
        if matches!(&typ, b"esds" | b"dOps" | b"dfLa" | b"dac3" | b"dec3") && e.config.is_none() {
            e.config = Some((typ, p.to_vec()));
        }
        match &typ {
            b"esds" => {
                let Some(es) = parse_esds(p) else { continue };
                e.bitrate = e.bitrate.or(es.avg_bitrate);
                match es.object_type {
                    0x40 | 0x66 | 0x67 | 0x68 => {
                        e.codec = "aac".into();
                        let asc = codec::parse_audio_specific_config(&es.dsi);
                        if let Some(a) = &asc {
                            e.channels = a.channels.or(e.channels);
                            e.sample_rate = a.sample_rate.or(e.sample_rate);
                        }
                        e.codec_string = Some(if es.object_type == 0x40 {
                            codec::aac_codec_string(asc.as_ref())
                        } else {
                            format!("mp4a.{:02X}", es.object_type)
                        });
                    }
                    0x69 | 0x6b => {
                        e.codec = "mp3".into();
                        e.codec_string = Some(format!("mp4a.{:02X}", es.object_type));
                    }
                    0xa5 => {
                        e.codec = "ac3".into();
                        e.codec_string = Some("ac-3".into());
                    }
                    0xa6 => {
                        e.codec = "eac3".into();
                        e.codec_string = Some("ec-3".into());
                    }
                    0xa9 | 0xac => e.codec = "dts".into(),
                    0xad => {
                        e.codec = "opus".into();
                        e.codec_string = Some("opus".into());
                    }
                    0xdd => e.codec = "vorbis".into(),
                    0xf1 => e.codec = "flac".into(),
                    other => e.codec_string = Some(format!("mp4a.{other:02X}")),
                }
            }
            b"dac3" => {
                // fscod(2) bsid(5) bsmod(3) acmod(3) lfeon(1)
                let mut br = codec::BitReader::new(p);
                if let (Some(_), Some(acmod), Some(lfe)) = (br.bits(10), br.bits(3), br.bits(1)) {
                    e.channels = Some(codec::ac3_channels(acmod as u8, lfe == 1));
                }
            }
            b"dec3" => {
                // data_rate(13) num_ind_sub(3), then fscod(2) bsid(5) reserved(1)
                // asvc(1) bsmod(3) acmod(3) lfeon(1) for the first substream.
                let mut br = codec::BitReader::new(p);
                if let (Some(_), Some(acmod), Some(lfe)) =
                    (br.bits(16 + 12), br.bits(3), br.bits(1))
                {
                    e.channels = Some(codec::ac3_channels(acmod as u8, lfe == 1));
                }
            }
            b"dOps" => {
                if let [_, count, ..] = p {
                    e.channels = Some(u32::from(*count));
                }
                // Opus always decodes at 48 kHz whatever the input rate was.
                e.sample_rate = Some(48000);
            }
            b"dfLa" => {
                if let Some((rate, ch)) = p.get(4..).and_then(codec::flac_streaminfo) {
                    e.sample_rate = Some(rate);
                    e.channels = Some(ch);
                }
            }
            b"btrt" => e.bitrate = e.bitrate.or_else(|| btrt_avg(p)),
            b"wave" if depth < 2 => audio_children(p, e, depth + 1),
            _ => {}
        }
    }
}

/// `btrt`: bufferSizeDB, maxBitrate, avgBitrate.
fn btrt_avg(p: &[u8]) -> Option<u64> {
    let avg = u32::from_be_bytes(p.get(8..12)?.try_into().ok()?);
    (avg > 0).then_some(u64::from(avg))
}

/// The parts of an `esds` (MPEG-4 ES_Descriptor, ISO/IEC 14496-1 §7.2.6.5) we use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Esds {
    pub object_type: u8,
    pub avg_bitrate: Option<u64>,
    /// DecoderSpecificInfo (the AudioSpecificConfig for AAC).
    pub dsi: Vec<u8>,
}

/// Parses an `esds` payload (after the box header, including its FullBox
/// version/flags).  Returns `None` when malformed.
pub(crate) fn parse_esds(p: &[u8]) -> Option<Esds> {
    let mut c = Cursor::new(p.get(4..)?, "esds");
    let (tag, len) = descriptor_header(&mut c)?;
    if tag != 0x03 {
        return None;
    }
    let mut es = Cursor::new(c.bytes(len.min(c.remaining())).ok()?, "esds");
    es.skip(2).ok()?;
    let flags = es.u8().ok()?;
    if flags & 0x80 != 0 {
        es.skip(2).ok()?;
    }
    if flags & 0x40 != 0 {
        let n = es.u8().ok()?;
        es.skip(usize::from(n)).ok()?;
    }
    if flags & 0x20 != 0 {
        es.skip(2).ok()?;
    }
    // Descriptors inside the ES_Descriptor; we want DecoderConfigDescriptor (4).
    while es.remaining() > 0 {
        let (tag, len) = descriptor_header(&mut es)?;
        let body = es.bytes(len.min(es.remaining())).ok()?;
        if tag != 0x04 {
            continue;
        }
        let mut dc = Cursor::new(body, "esds");
        let object_type = dc.u8().ok()?;
        dc.skip(1 + 3 + 4).ok()?;
        let avg = dc.u32().ok()?;
        let mut dsi = Vec::new();
        while dc.remaining() > 0 {
            let Some((t, l)) = descriptor_header(&mut dc) else {
                break;
            };
            let Ok(b) = dc.bytes(l.min(dc.remaining())) else {
                break;
            };
            if t == 0x05 {
                dsi = b.to_vec();
                break;
            }
        }
        return Some(Esds {
            object_type,
            avg_bitrate: (avg > 0).then_some(u64::from(avg)),
            dsi,
        });
    }
    None
}

/// Descriptor tag and length (1–4 bytes of 7 bits each, high bit = "more").
fn descriptor_header(c: &mut Cursor<'_>) -> Option<(u8, usize)> {
    let tag = c.u8().ok()?;
    let mut len = 0usize;
    for _ in 0..4 {
        let b = c.u8().ok()?;
        len = (len << 7) | usize::from(b & 0x7f);
        if b & 0x80 == 0 {
            return Some((tag, len));
        }
    }
    Some((tag, len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn esds_aac() {
        // FullBox, ES_Descriptor(3) { ES_ID, flags, DecoderConfig(4) { 0x40, ..., DSI(5) {11 90} } }
        let p = [
            0, 0, 0, 0, 0x03, 0x80, 0x80, 0x80, 0x19, 0, 1, 0, 0x04, 0x11, 0x40, 0x15, 0, 0, 0, 0,
            0, 0xfa, 0, 0, 0, 0xfa, 0, 0x05, 0x02, 0x11, 0x90, 0x06, 0x01, 0x02,
        ];
        let es = parse_esds(&p).expect("esds");
        assert_eq!(es.object_type, 0x40);
        assert_eq!(es.avg_bitrate, Some(0xfa00));
        assert_eq!(es.dsi, vec![0x11, 0x90]);
        assert_eq!(parse_esds(&p[..10]), None);
        assert_eq!(parse_esds(&[]), None);
    }

    #[test]
    fn audio_entry_with_esds() {
        let mut body = vec![0; 8];
        body.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0]); // version, revision, vendor
        body.extend_from_slice(&[0, 2, 0, 16, 0, 0, 0, 0]); // channels, size, compression, packet
        body.extend_from_slice(&(48000u32 << 16).to_be_bytes());
        let esds = [
            0u8, 0, 0, 0, 0x03, 0x16, 0, 1, 0, 0x04, 0x11, 0x40, 0x15, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            0, 0, 0x05, 0x02, 0x12, 0x08,
        ];
        body.extend_from_slice(&((esds.len() + 8) as u32).to_be_bytes());
        body.extend_from_slice(b"esds");
        body.extend_from_slice(&esds);
        let e = parse_entry(*b"mp4a", &body).expect("entry");
        assert_eq!(e.codec, "aac");
        assert_eq!(e.codec_string.as_deref(), Some("mp4a.40.2"));
        // The AudioSpecificConfig (44.1 kHz mono) wins over the entry fields.
        assert_eq!(e.sample_rate, Some(44100));
        assert_eq!(e.channels, Some(1));
        // Truncated entries are errors, not panics.
        assert!(parse_entry(*b"mp4a", &body[..10]).is_err());
        assert!(parse_entry(*b"avc1", &[0; 20]).is_err());
    }
}
