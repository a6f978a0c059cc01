//! Sample tables (`stbl` children) of a non-fragmented track.
//!
//! The tables are decoded into plain vectors, once, so that the same structure
//! serves probing today (counts, durations, sizes) and the per-sample index for
//! HLS/DASH packaging later (offsets, sizes, DTS, CTS offsets, sync flags).
//! Every entry count is validated against the bytes present before anything is
//! allocated, so allocations are bounded by the size of `moov` itself.

use super::boxes::{be32, be64, Boxes, Cursor};
use crate::ProbeError;

/// The decoded sample tables of one track.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct SampleTables {
    /// `stts`: (sample_count, sample_delta) runs.
    pub stts: Vec<(u32, u32)>,
    /// `ctts`: (sample_count, composition offset) runs; offsets may be negative
    /// in version 1, and in practice also in version 0, so they are read signed.
    pub ctts: Vec<(u32, i32)>,
    /// `stss`: 1-based sync sample numbers; `None` when absent (every sample is a
    /// sync sample).
    pub stss: Option<Vec<u32>>,
    /// `stsz`/`stz2`: the constant sample size, or 0 when `sizes` applies.
    pub constant_size: u32,
    /// `stsz`/`stz2`: the sample count.
    pub sample_count: u32,
    /// Per-sample sizes (empty when `constant_size` is non-zero).
    pub sizes: Vec<u32>,
    /// `stsc`: (first_chunk, samples_per_chunk, sample_description_index).
    pub stsc: Vec<(u32, u32, u32)>,
    /// `stco`/`co64`: chunk offsets.
    pub chunk_offsets: Vec<u64>,
}

impl SampleTables {
    /// Decodes the tables from an `stbl` payload.  `stsd` is handled separately.
    pub(crate) fn parse(stbl: &[u8]) -> Result<Self, ProbeError> {
        let mut t = SampleTables::default();
        for child in Boxes::new(stbl, "'stbl'") {
            let (typ, payload) = child?;
            match &typ {
                b"stts" => t.stts = parse_stts(payload)?,
                b"ctts" => t.ctts = parse_ctts(payload)?,
                b"stss" => t.stss = Some(parse_stss(payload)?),
                b"stsz" => parse_stsz(payload, &mut t)?,
                b"stz2" => parse_stz2(payload, &mut t)?,
                b"stsc" => t.stsc = parse_stsc(payload)?,
                b"stco" => t.chunk_offsets = parse_stco(payload, false)?,
                b"co64" => t.chunk_offsets = parse_stco(payload, true)?,
                _ => {}
            }
        }
        Ok(t)
    }

    /// Number of samples: from `stsz`, or from `stts` when `stsz` is missing.
    pub(crate) fn samples(&self) -> u64 {
        if self.sample_count > 0 {
            u64::from(self.sample_count)
        } else {
            self.stts.iter().map(|&(n, _)| u64::from(n)).sum()
        }
    }

    /// Sum of all sample durations, in media timescale units.
    pub(crate) fn total_duration(&self) -> u64 {
        self.stts.iter().fold(0u64, |acc, &(n, d)| {
            acc.saturating_add(u64::from(n).saturating_mul(u64::from(d)))
        })
    }

    /// The sample delta covering the most samples (the nominal frame duration;
    /// the first and last samples often differ).
    pub(crate) fn dominant_delta(&self) -> Option<u32> {
        // Runs with the same delta may be split; sum them up (few distinct deltas in practice).
        let mut by_delta: Vec<(u32, u64)> = Vec::new();
        for &(n, d) in &self.stts {
            if d == 0 {
                continue;
            }
            if let Some(i) = by_delta.iter().position(|(dd, _)| *dd == d) {
                by_delta[i].1 = by_delta[i].1.saturating_add(u64::from(n));
            } else if by_delta.len() < 256 {
                by_delta.push((d, u64::from(n)));
            }
        }
        by_delta.iter().max_by_key(|(_, c)| *c).map(|(d, _)| *d)
    }

    /// Total bytes of sample data.
    pub(crate) fn total_bytes(&self) -> u64 {
        if self.constant_size != 0 {
            u64::from(self.constant_size).saturating_mul(u64::from(self.sample_count))
        } else {
            self.sizes.iter().map(|&s| u64::from(s)).sum()
        }
    }

    /// Number of sync samples (all samples when there is no `stss`).
    pub(crate) fn sync_samples(&self) -> u64 {
        match &self.stss {
            Some(v) => v.len() as u64,
            None => self.samples(),
        }
    }
}

fn parse_stts(p: &[u8]) -> Result<Vec<(u32, u32)>, ProbeError> {
    let mut c = Cursor::new(p, "stts");
    c.version_flags()?;
    let n = c.u32()?;
    Ok(c.table(n, 8)?.map(|r| (be32(r), be32(&r[4..]))).collect())
}

fn parse_ctts(p: &[u8]) -> Result<Vec<(u32, i32)>, ProbeError> {
    let mut c = Cursor::new(p, "ctts");
    c.version_flags()?;
    let n = c.u32()?;
    Ok(c.table(n, 8)?
        .map(|r| (be32(r), be32(&r[4..]) as i32))
        .collect())
}

fn parse_stss(p: &[u8]) -> Result<Vec<u32>, ProbeError> {
    let mut c = Cursor::new(p, "stss");
    c.version_flags()?;
    let n = c.u32()?;
    Ok(c.table(n, 4)?.map(be32).collect())
}

fn parse_stsz(p: &[u8], t: &mut SampleTables) -> Result<(), ProbeError> {
    let mut c = Cursor::new(p, "stsz");
    c.version_flags()?;
    t.constant_size = c.u32()?;
    t.sample_count = c.u32()?;
    if t.constant_size == 0 {
        t.sizes = c.table(t.sample_count, 4)?.map(be32).collect();
    }
    Ok(())
}

/// Compact sample sizes: 4, 8 or 16 bits per entry.
fn parse_stz2(p: &[u8], t: &mut SampleTables) -> Result<(), ProbeError> {
    let mut c = Cursor::new(p, "stz2");
    c.version_flags()?;
    c.skip(3)?;
    let field = c.u8()?;
    let n = c.u32()?;
    t.constant_size = 0;
    t.sample_count = n;
    t.sizes = match field {
        4 => {
            let bytes = c.table(n.div_ceil(2), 1)?;
            bytes
                .flat_map(|b| [u32::from(b[0] >> 4), u32::from(b[0] & 0xf)])
                .take(n as usize)
                .collect()
        }
        8 => c.table(n, 1)?.map(|b| u32::from(b[0])).collect(),
        16 => c
            .table(n, 2)?
            .map(|b| u32::from(u16::from_be_bytes([b[0], b[1]])))
            .collect(),
        other => {
            return Err(ProbeError::Invalid(format!(
                "'stz2' box has an unsupported field size of {other} bits"
            )))
        }
    };
    Ok(())
}

fn parse_stsc(p: &[u8]) -> Result<Vec<(u32, u32, u32)>, ProbeError> {
    let mut c = Cursor::new(p, "stsc");
    c.version_flags()?;
    let n = c.u32()?;
    Ok(c.table(n, 12)?
        .map(|r| (be32(r), be32(&r[4..]), be32(&r[8..])))
        .collect())
}

fn parse_stco(p: &[u8], wide: bool) -> Result<Vec<u64>, ProbeError> {
    let mut c = Cursor::new(p, if wide { "co64" } else { "stco" });
    c.version_flags()?;
    let n = c.u32()?;
    Ok(if wide {
        c.table(n, 8)?.map(be64).collect()
    } else {
        c.table(n, 4)?.map(|r| u64::from(be32(r))).collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full_box(typ: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut v = ((body.len() + 12) as u32).to_be_bytes().to_vec();
        v.extend_from_slice(typ);
        v.extend_from_slice(&[0, 0, 0, 0]);
        v.extend_from_slice(body);
        v
    }

    fn words(w: &[u32]) -> Vec<u8> {
        w.iter().flat_map(|x| x.to_be_bytes()).collect()
    }

    #[test]
    fn parses_tables() {
        let mut stbl = full_box(b"stts", &words(&[2, 99, 1000, 1, 500]));
        stbl.extend(full_box(b"stss", &words(&[2, 1, 60])));
        stbl.extend(full_box(b"stsz", &words(&[0, 3, 10, 20, 30])));
        stbl.extend(full_box(b"stsc", &words(&[1, 1, 3, 1])));
        stbl.extend(full_box(
            b"co64",
            &[&words(&[1])[..], &5u64.to_be_bytes()].concat(),
        ));
        stbl.extend(full_box(b"ctts", &words(&[1, 1, 0xffff_fffe])));
        let t = SampleTables::parse(&stbl).expect("valid");
        assert_eq!(t.stts, vec![(99, 1000), (1, 500)]);
        assert_eq!(t.samples(), 3);
        assert_eq!(t.total_duration(), 99_500);
        assert_eq!(t.dominant_delta(), Some(1000));
        assert_eq!(t.stss, Some(vec![1, 60]));
        assert_eq!(t.sync_samples(), 2);
        assert_eq!(t.total_bytes(), 60);
        assert_eq!(t.stsc, vec![(1, 3, 1)]);
        assert_eq!(t.chunk_offsets, vec![5]);
        assert_eq!(t.ctts, vec![(1, -2)]);
    }

    #[test]
    fn constant_size_and_no_stss() {
        let stbl = full_box(b"stsz", &words(&[4, u32::MAX]));
        let t = SampleTables::parse(&stbl).expect("valid");
        assert_eq!(t.samples(), u64::from(u32::MAX));
        assert_eq!(t.sync_samples(), u64::from(u32::MAX));
        assert_eq!(t.total_bytes(), 4 * u64::from(u32::MAX));
    }

    #[test]
    fn compact_sizes() {
        let mut body = vec![0, 0, 0, 4];
        body.extend_from_slice(&3u32.to_be_bytes());
        body.extend_from_slice(&[0x12, 0x30]);
        let t = SampleTables::parse(&full_box(b"stz2", &body)).expect("valid");
        assert_eq!(t.sizes, vec![1, 2, 3]);
    }

    #[test]
    fn counts_beyond_the_data_are_rejected() {
        // A billion stss entries in a 16-byte box: an error, not a huge allocation.
        let stbl = full_box(b"stss", &words(&[1_000_000_000, 1]));
        let e = SampleTables::parse(&stbl).unwrap_err();
        assert!(
            e.to_string()
                .contains("'stss' box lists 1000000000 entries"),
            "{e}"
        );
        let stbl = full_box(b"stsz", &words(&[0, u32::MAX]));
        assert!(SampleTables::parse(&stbl).is_err());
        assert!(SampleTables::parse(&full_box(b"stts", &[0, 0])).is_err());
    }
}
