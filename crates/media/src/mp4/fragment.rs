//! Fragmented MP4: `mvex`/`trex` defaults and `moof`/`traf`/`trun` runs.
//!
//! In a fragmented file the `moov` sample tables are empty; the samples are
//! described by one `moof` per fragment.  Probing needs only totals per track
//! (duration, sample count, sync samples, bytes), which [`FragmentStats::add_moof`]
//! accumulates.  [`Trun`] decodes one run and can iterate its samples, which is
//! what the future sample index will build on.

use std::collections::HashMap;

use super::boxes::{Boxes, Cursor};
use crate::ProbeError;

/// `trex` defaults for one track.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Trex {
    pub default_duration: u32,
    pub default_size: u32,
    pub default_flags: u32,
}

pub(crate) fn parse_trex(p: &[u8]) -> Result<(u32, Trex), ProbeError> {
    let mut c = Cursor::new(p, "trex");
    c.version_flags()?;
    let track_id = c.u32()?;
    let _desc = c.u32()?;
    Ok((
        track_id,
        Trex {
            default_duration: c.u32()?,
            default_size: c.u32()?,
            default_flags: c.u32()?,
        },
    ))
}

/// Whether sample flags (ISO/IEC 14496-12 §8.8.3.1) mark a sync sample: not
/// `sample_is_non_sync_sample`, and not "depends on other samples".  The second
/// test matches ffmpeg, which some muxers rely on.
pub(crate) fn is_sync(flags: u32) -> bool {
    flags & 0x0001_0000 == 0 && (flags >> 24) & 0x3 != 1
}

/// Per-sample record layout of a `trun`, from its flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TrunLayout {
    pub duration: bool,
    pub size: bool,
    pub flags: bool,
    pub cts: bool,
}

impl TrunLayout {
    fn record_len(&self) -> usize {
        4 * (usize::from(self.duration)
            + usize::from(self.size)
            + usize::from(self.flags)
            + usize::from(self.cts))
    }
}

/// One decoded `trun` with the `tfhd`/`trex` defaults that apply to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Trun<'a> {
    pub sample_count: u32,
    pub data_offset: Option<i32>,
    pub first_sample_flags: Option<u32>,
    pub layout: TrunLayout,
    /// Raw per-sample records (`sample_count` × record length, validated).
    pub records: &'a [u8],
    pub default_duration: u32,
    pub default_size: u32,
    pub default_flags: u32,
}

/// One sample of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TrunSample {
    pub duration: u32,
    pub size: u32,
    pub flags: u32,
    pub cts_offset: i32,
}

impl<'a> Trun<'a> {
    pub(crate) fn parse(p: &'a [u8], d: &Trex) -> Result<Self, ProbeError> {
        let mut c = Cursor::new(p, "trun");
        let (_v, flags) = c.version_flags()?;
        let sample_count = c.u32()?;
        let data_offset = if flags & 0x1 != 0 {
            Some(c.u32()? as i32)
        } else {
            None
        };
        let first_sample_flags = if flags & 0x4 != 0 {
            Some(c.u32()?)
        } else {
            None
        };
        let layout = TrunLayout {
            duration: flags & 0x100 != 0,
            size: flags & 0x200 != 0,
            flags: flags & 0x400 != 0,
            cts: flags & 0x800 != 0,
        };
        let len = layout.record_len();
        let records = if len == 0 {
            &[][..]
        } else {
            let total = (sample_count as usize).checked_mul(len);
            match total {
                Some(t) if t <= c.remaining() => c.bytes(t)?,
                _ => {
                    return Err(ProbeError::Invalid(format!(
                        "'trun' box lists {sample_count} samples but holds only {} bytes of them",
                        c.remaining()
                    )))
                }
            }
        };
        Ok(Trun {
            sample_count,
            data_offset,
            first_sample_flags,
            layout,
            records,
            default_duration: d.default_duration,
            default_size: d.default_size,
            default_flags: d.default_flags,
        })
    }

    /// Iterates the samples.  Only valid when the run has per-sample records
    /// (otherwise every sample is identical and callers use the totals).
    pub(crate) fn samples(&self) -> impl Iterator<Item = TrunSample> + '_ {
        let len = self.layout.record_len().max(1);
        self.records
            .chunks_exact(len)
            .enumerate()
            .map(move |(i, r)| {
                let mut words = r.chunks_exact(4).map(super::boxes::be32);
                let mut field = |present: bool, default: u32| {
                    if present {
                        words.next().unwrap_or(default)
                    } else {
                        default
                    }
                };
                let duration = field(self.layout.duration, self.default_duration);
                let size = field(self.layout.size, self.default_size);
                let default_flags = match (i, self.first_sample_flags) {
                    (0, Some(f)) => f,
                    _ => self.default_flags,
                };
                let flags = field(self.layout.flags, default_flags);
                let cts_offset = field(self.layout.cts, 0) as i32;
                TrunSample {
                    duration,
                    size,
                    flags,
                    cts_offset,
                }
            })
    }
}

/// Totals for one track over all fragments.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct FragmentStats {
    pub samples: u64,
    pub duration: u64,
    pub sync_samples: u64,
    pub bytes: u64,
    /// (duration, samples) histogram of sample durations, capped in size.
    deltas: Vec<(u32, u64)>,
}

impl FragmentStats {
    fn add_delta(&mut self, d: u32, n: u64) {
        if let Some(i) = self.deltas.iter().position(|(dd, _)| *dd == d) {
            self.deltas[i].1 = self.deltas[i].1.saturating_add(n);
        } else if self.deltas.len() < 64 {
            self.deltas.push((d, n));
        }
    }

    /// The sample duration that covers the most samples.
    pub(crate) fn dominant_delta(&self) -> Option<u32> {
        self.deltas
            .iter()
            .filter(|(d, _)| *d > 0)
            .max_by_key(|(_, c)| *c)
            .map(|(d, _)| *d)
    }

    /// Adds the runs of one `moof` payload to the per-track totals.
    pub(crate) fn add_moof(
        moof: &[u8],
        trex: &HashMap<u32, Trex>,
        stats: &mut HashMap<u32, FragmentStats>,
    ) -> Result<(), ProbeError> {
        for child in Boxes::new(moof, "'moof'") {
            let (typ, traf) = child?;
            if &typ != b"traf" {
                continue;
            }
            let mut defaults = Trex::default();
            let mut track = None;
            for child in Boxes::new(traf, "'traf'") {
                let (typ, p) = child?;
                match &typ {
                    b"tfhd" => {
                        let (id, d) = parse_tfhd(p, trex)?;
                        track = Some(id);
                        defaults = d;
                    }
                    b"trun" => {
                        // A trun before its tfhd has no track to belong to.
                        let Some(id) = track else { continue };
                        let run = Trun::parse(p, &defaults)?;
                        stats.entry(id).or_default().add_run(&run);
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    }

    fn add_run(&mut self, run: &Trun<'_>) {
        let n = u64::from(run.sample_count);
        self.samples = self.samples.saturating_add(n);
        if run.records.is_empty() {
            // No per-sample records: every sample uses the defaults, so sum in
            // O(1) rather than looping over a sample count taken from the file.
            let d = u64::from(run.default_duration);
            self.duration = self.duration.saturating_add(n.saturating_mul(d));
            self.bytes = self
                .bytes
                .saturating_add(n.saturating_mul(u64::from(run.default_size)));
            self.add_delta(run.default_duration, n);
            if n > 0 {
                let first = run.first_sample_flags.unwrap_or(run.default_flags);
                let rest = if is_sync(run.default_flags) { n - 1 } else { 0 };
                self.sync_samples = self
                    .sync_samples
                    .saturating_add(u64::from(is_sync(first)) + rest);
            }
            return;
        }
        for s in run.samples() {
            self.duration = self.duration.saturating_add(u64::from(s.duration));
            self.bytes = self.bytes.saturating_add(u64::from(s.size));
            self.add_delta(s.duration, 1);
            self.sync_samples = self
                .sync_samples
                .saturating_add(u64::from(is_sync(s.flags)));
        }
    }
}

/// Everything a `tfhd` says, for the sample index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tfhd {
    pub track_id: u32,
    pub flags: u32,
    pub base_data_offset: Option<u64>,
    pub defaults: Trex,
}

impl Tfhd {
    /// `default-base-is-moof`.
    pub(crate) fn base_is_moof(&self) -> bool {
        self.flags & 0x0002_0000 != 0
    }
}

/// Parses a `tfhd` fully (track, flags, explicit base offset, defaults).
pub(crate) fn parse_tfhd_full(p: &[u8], trex: &HashMap<u32, Trex>) -> Result<Tfhd, ProbeError> {
    let mut c = Cursor::new(p, "tfhd");
    let (_v, flags) = c.version_flags()?;
    let track_id = c.u32()?;
    let base_data_offset = if flags & 0x1 != 0 {
        Some(c.u64()?)
    } else {
        None
    };
    let (_, defaults) = parse_tfhd(p, trex)?;
    Ok(Tfhd {
        track_id,
        flags,
        base_data_offset,
        defaults,
    })
}

/// `tfhd`: the track and its defaults (overriding `trex`).
fn parse_tfhd(p: &[u8], trex: &HashMap<u32, Trex>) -> Result<(u32, Trex), ProbeError> {
    let mut c = Cursor::new(p, "tfhd");
    let (_v, flags) = c.version_flags()?;
    let id = c.u32()?;
    let mut d = trex.get(&id).copied().unwrap_or_default();
    if flags & 0x1 != 0 {
        c.u64()?; // base_data_offset
    }
    if flags & 0x2 != 0 {
        c.u32()?; // sample_description_index
    }
    if flags & 0x8 != 0 {
        d.default_duration = c.u32()?;
    }
    if flags & 0x10 != 0 {
        d.default_size = c.u32()?;
    }
    if flags & 0x20 != 0 {
        d.default_flags = c.u32()?;
    }
    Ok((id, d))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bx(typ: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut v = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        v.extend_from_slice(typ);
        v.extend_from_slice(body);
        v
    }

    fn words(w: &[u32]) -> Vec<u8> {
        w.iter().flat_map(|x| x.to_be_bytes()).collect()
    }

    const NON_SYNC: u32 = 0x0101_0000;
    const SYNC: u32 = 0x0200_0000;

    #[test]
    fn sums_runs() {
        let mut trex = HashMap::new();
        trex.insert(
            1,
            Trex {
                default_duration: 512,
                default_size: 0,
                default_flags: NON_SYNC,
            },
        );
        // tfhd (flags 0x20: default_sample_flags) then a trun with first_sample_flags
        // and per-sample sizes.
        let tfhd = bx(b"tfhd", &words(&[0x20, 1, NON_SYNC]));
        let trun = bx(b"trun", &words(&[0x205, 3, 100, SYNC, 10, 20, 30]));
        // A second run without per-sample records: 1000 samples, O(1).
        let trun2 = bx(b"trun", &words(&[0x0, 1000]));
        let traf = bx(b"traf", &[tfhd, trun, trun2].concat());
        let mut stats = HashMap::new();
        FragmentStats::add_moof(&traf, &trex, &mut stats).expect("valid");
        let s = &stats[&1];
        assert_eq!(s.samples, 1003);
        assert_eq!(s.duration, 1003 * 512);
        assert_eq!(s.sync_samples, 1);
        assert_eq!(s.bytes, 60);
        assert_eq!(s.dominant_delta(), Some(512));
    }

    #[test]
    fn huge_counts_without_records_are_cheap_and_bounded() {
        let tfhd = bx(b"tfhd", &words(&[0x28, 7, 1, SYNC]));
        let trun = bx(b"trun", &words(&[0, u32::MAX]));
        let traf = bx(b"traf", &[tfhd, trun].concat());
        let mut stats = HashMap::new();
        FragmentStats::add_moof(&traf, &HashMap::new(), &mut stats).expect("valid");
        assert_eq!(stats[&7].samples, u64::from(u32::MAX));
        assert_eq!(stats[&7].sync_samples, u64::from(u32::MAX));
        // Per-sample records promised but missing.
        let tfhd = bx(b"tfhd", &words(&[0, 7]));
        let trun = bx(b"trun", &words(&[0x100, 5, 1]));
        let traf = bx(b"traf", &[tfhd, trun].concat());
        assert!(FragmentStats::add_moof(&traf, &HashMap::new(), &mut stats).is_err());
    }

    #[test]
    fn sync_flags() {
        assert!(is_sync(0));
        assert!(is_sync(SYNC));
        assert!(!is_sync(NON_SYNC));
        assert!(!is_sync(0x0100_0000));
    }
}
