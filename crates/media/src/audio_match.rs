//! Audio fingerprints for finding what episodes share (the intro, the end credits).
//!
//! Input is mono PCM at [`SAMPLE_RATE`] (ffmpeg decodes it: `-ac 1 -ar 8000 -f s16le`). Every
//! [`HOP`] samples (0.1 s) a Hann-windowed frame of [`FRAME`] samples is turned into energies in
//! 32 log-spaced bands between 150 Hz and 3.8 kHz, and the frame's code is the set of bands louder
//! than the frame's mean band energy: a 32-bit spectral-peak pattern. That pattern survives
//! re-encoding and level changes, while different music (or noise, whose bands are all close to
//! the mean) gives different bits. Quiet frames get no code and never match, so shared silence is
//! not mistaken for a shared intro.
//!
//! [`longest_shared`] then looks at every alignment of two episodes (each diagonal of the frame
//! grid) for the longest run of matching frames, bridging short gaps. The cost is
//! O(frames_a × frames_b) popcounts: five minutes against five minutes is 9 million, a few ms.

/// Samples per second of the PCM this module expects.
pub const SAMPLE_RATE: u32 = 8000;
/// Samples between frames: 0.1 s.
pub const HOP: usize = 800;
/// Samples in one analysed frame (a power of two for the FFT): 0.256 s.
pub const FRAME: usize = 2048;
/// Milliseconds between frames.
pub const FRAME_MS: u64 = HOP as u64 * 1000 / SAMPLE_RATE as u64;

const BANDS: usize = 33;
const LOW_HZ: f32 = 150.0;
const HIGH_HZ: f32 = 3800.0;
/// Frames whose RMS is below this (of full scale 1.0) are silence: about -50 dBFS.
const SILENCE_RMS: f32 = 0.003;

/// One frame's code; `None` for silence.
pub type Code = Option<u32>;

/// Fingerprints mono PCM samples (16-bit signed, [`SAMPLE_RATE`] Hz).
pub fn fingerprint(samples: &[i16]) -> Vec<Code> {
    if samples.len() < FRAME {
        return Vec::new();
    }
    let window: Vec<f32> = (0..FRAME)
        .map(|i| {
            let x = std::f32::consts::TAU * i as f32 / (FRAME - 1) as f32;
            0.5 - 0.5 * x.cos()
        })
        .collect();
    let edges = band_edges();
    let twiddles = Twiddles::new(FRAME);
    let mut re = vec![0f32; FRAME];
    let mut im = vec![0f32; FRAME];
    let mut codes = Vec::with_capacity((samples.len() - FRAME) / HOP + 1);
    let mut start = 0;
    while start + FRAME <= samples.len() {
        let frame = &samples[start..start + FRAME];
        let mut power = 0f32;
        for (i, &s) in frame.iter().enumerate() {
            let v = f32::from(s) / 32768.0;
            power += v * v;
            re[i] = v * window[i];
            im[i] = 0.0;
        }
        start += HOP;
        if (power / FRAME as f32).sqrt() < SILENCE_RMS {
            codes.push(None);
            continue;
        }
        fft(&mut re, &mut im, &twiddles);
        let energies: Vec<f32> = edges
            .windows(2)
            .map(|w| {
                (w[0]..w[1].max(w[0] + 1))
                    .map(|k| re[k] * re[k] + im[k] * im[k])
                    .sum::<f32>()
                    / (w[1].saturating_sub(w[0]).max(1)) as f32
            })
            .collect();
        let mean = energies.iter().sum::<f32>() / energies.len() as f32;
        // Bits for the 32 bands above the lowest: a loud band sets its bit.
        let code = energies
            .iter()
            .skip(1)
            .enumerate()
            .filter(|(_, &e)| e > mean * 2.0)
            .fold(0u32, |acc, (i, _)| acc | (1 << i));
        codes.push(Some(code));
    }
    codes
}

/// FFT bin boundaries of the bands (log-spaced), `BANDS + 1` of them.
fn band_edges() -> Vec<usize> {
    let bin_hz = SAMPLE_RATE as f32 / FRAME as f32;
    let ratio = (HIGH_HZ / LOW_HZ).powf(1.0 / BANDS as f32);
    (0..=BANDS)
        .map(|i| ((LOW_HZ * ratio.powi(i as i32)) / bin_hz).round() as usize)
        .map(|k| k.min(FRAME / 2))
        .collect()
}

/// Whether two frames sound the same: their loud bands agree, allowing one band in four to
/// differ (and none when only a band or two are loud, as with a pure tone).
pub fn frames_match(a: Code, b: Code) -> bool {
    match (a, b) {
        (Some(a), Some(b)) if a | b != 0 => (a ^ b).count_ones() <= (a | b).count_ones() / 4,
        _ => false,
    }
}

/// A stretch that two fingerprints share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shared {
    /// First frame of the stretch in `a` and in `b`.
    pub start_a: usize,
    pub start_b: usize,
    /// Length in frames.
    pub frames: usize,
}

/// A frame stands for the hop around its centre: the first frame that hears a sound begins up
/// to a window before it, so times are frame centres less half a hop (start) or plus half a hop
/// (end).
const CENTRE_MS: u64 = (FRAME as u64 * 1000 / SAMPLE_RATE as u64) / 2;

impl Shared {
    pub fn start_ms_a(&self) -> u64 {
        (self.start_a as u64 * FRAME_MS + CENTRE_MS).saturating_sub(FRAME_MS / 2)
    }
    pub fn end_ms_a(&self) -> u64 {
        (self.start_a + self.frames - 1) as u64 * FRAME_MS + CENTRE_MS + FRAME_MS / 2
    }
    pub fn start_ms_b(&self) -> u64 {
        (self.start_b as u64 * FRAME_MS + CENTRE_MS).saturating_sub(FRAME_MS / 2)
    }
    pub fn end_ms_b(&self) -> u64 {
        (self.start_b + self.frames - 1) as u64 * FRAME_MS + CENTRE_MS + FRAME_MS / 2
    }
}

/// The longest stretch of at least `min_frames` frames that `a` and `b` share at any alignment,
/// bridging gaps of up to `max_gap` unmatched frames (a dropped frame, a different logo). Runs
/// start and end on matching frames, and at least half their frames match, so scattered chance
/// matches in noise or speech never add up to a run.
pub fn longest_shared(a: &[Code], b: &[Code], min_frames: usize, max_gap: usize) -> Option<Shared> {
    let mut best: Option<Shared> = None;
    let (na, nb) = (a.len() as isize, b.len() as isize);
    // delta = j - i over every diagonal.
    for delta in -(na - 1)..nb {
        let i0 = (-delta).max(0) as usize;
        let i1 = (nb - delta).min(na) as usize;
        // (first frame, last matching frame, matching frames) of the run being followed.
        let mut run: Option<(usize, usize, usize)> = None;
        let close = |(start, last, matched): (usize, usize, usize), best: &mut Option<Shared>| {
            let frames = last + 1 - start;
            if frames >= min_frames
                && matched * 2 >= frames
                && best.map_or(true, |s| frames > s.frames)
            {
                *best = Some(Shared {
                    start_a: start,
                    start_b: (start as isize + delta) as usize,
                    frames,
                });
            }
        };
        for i in i0..i1 {
            let j = (i as isize + delta) as usize;
            if frames_match(a[i], b[j]) {
                run = Some(match run {
                    Some((start, _, matched)) => (start, i, matched + 1),
                    None => (i, i, 1),
                });
            } else if let Some(r) = run {
                if i - r.1 > max_gap {
                    close(r, &mut best);
                    run = None;
                }
            }
        }
        if let Some(r) = run {
            close(r, &mut best);
        }
    }
    best
}

/// Precomputed roots of unity for a radix-2 FFT of one size.
struct Twiddles {
    cos: Vec<f32>,
    sin: Vec<f32>,
}

impl Twiddles {
    fn new(n: usize) -> Self {
        let (cos, sin) = (0..n / 2)
            .map(|k| {
                let a = -std::f32::consts::TAU * k as f32 / n as f32;
                (a.cos(), a.sin())
            })
            .unzip();
        Twiddles { cos, sin }
    }
}

/// In-place iterative radix-2 FFT; `re.len()` must be a power of two matching `tw`.
fn fft(re: &mut [f32], im: &mut [f32], tw: &Twiddles) {
    let n = re.len();
    let bits = n.trailing_zeros();
    for i in 0..n {
        let j = i.reverse_bits() >> (usize::BITS - bits);
        if j > i {
            re.swap(i, j);
            im.swap(i, j);
        }
    }
    let mut len = 2;
    while len <= n {
        let step = n / len;
        for start in (0..n).step_by(len) {
            for k in 0..len / 2 {
                let (wr, wi) = (tw.cos[k * step], tw.sin[k * step]);
                let (a, b) = (start + k, start + k + len / 2);
                let xr = re[b] * wr - im[b] * wi;
                let xi = re[b] * wi + im[b] * wr;
                re[b] = re[a] - xr;
                im[b] = im[a] - xi;
                re[a] += xr;
                im[a] += xi;
            }
        }
        len *= 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic pseudo-random generator (xorshift), so tests need no crate.
    struct Noise(u32);
    impl Noise {
        fn next(&mut self) -> i16 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 17;
            self.0 ^= self.0 << 5;
            (self.0 >> 16) as i16 / 4
        }
    }

    fn noise(seed: u32, secs: f32) -> Vec<i16> {
        let mut n = Noise(seed.max(1));
        (0..(secs * SAMPLE_RATE as f32) as usize)
            .map(|_| n.next())
            .collect()
    }

    /// A melody: a new note every 0.4 s, from a fixed pattern.
    fn melody(notes: &[f32], secs: f32) -> Vec<i16> {
        let rate = SAMPLE_RATE as f32;
        (0..(secs * rate) as usize)
            .map(|i| {
                let t = i as f32 / rate;
                let f = notes[(t / 0.4) as usize % notes.len()];
                ((std::f32::consts::TAU * f * t).sin() * 12000.0) as i16
            })
            .collect()
    }

    const THEME: [f32; 7] = [440.0, 660.0, 550.0, 880.0, 330.0, 990.0, 495.0];
    fn episode(pre_secs: f32, seed: u32) -> Vec<i16> {
        let mut v = noise(seed, pre_secs);
        v.extend(melody(&THEME, 12.0));
        v.extend(noise(seed + 7, 10.0));
        v
    }

    #[test]
    fn fft_finds_a_tone() {
        let mut re: Vec<f32> = (0..256)
            .map(|i| (std::f32::consts::TAU * 16.0 * i as f32 / 256.0).cos())
            .collect();
        let mut im = vec![0.0; 256];
        fft(&mut re, &mut im, &Twiddles::new(256));
        let peak = (0..128)
            .max_by(|&a, &b| {
                let (pa, pb) = (re[a].hypot(im[a]), re[b].hypot(im[b]));
                pa.total_cmp(&pb)
            })
            .unwrap();
        assert_eq!(peak, 16);
    }

    #[test]
    fn silence_and_noise_do_not_match() {
        let silence = vec![0i16; SAMPLE_RATE as usize * 3];
        let fp = fingerprint(&silence);
        assert!(fp.iter().all(Option::is_none));
        assert!(longest_shared(&fp, &fp, 5, 3).is_none());
        let a = fingerprint(&noise(1, 10.0));
        let b = fingerprint(&noise(2, 10.0));
        assert!(longest_shared(&a, &b, 10, 3).is_none());
    }

    #[test]
    fn finds_a_shared_theme_at_different_offsets() {
        let a = fingerprint(&episode(2.0, 11));
        let b = fingerprint(&episode(7.5, 23));
        let s = longest_shared(&a, &b, 50, 5).expect("the theme is shared");
        // The theme runs 12 s from 2.0 s in a and 7.5 s in b (a frame spans 0.256 s, so its
        // edges blur by about a frame).
        assert!(
            s.start_ms_a().abs_diff(2000) <= 250,
            "{s:?} {}",
            s.start_ms_a()
        );
        assert!(
            s.start_ms_b().abs_diff(7500) <= 250,
            "{s:?} {}",
            s.start_ms_b()
        );
        assert!(
            s.end_ms_a().abs_diff(14_000) <= 250,
            "{s:?} {}",
            s.end_ms_a()
        );
        assert!(
            s.end_ms_b().abs_diff(19_500) <= 250,
            "{s:?} {}",
            s.end_ms_b()
        );
    }

    #[test]
    fn level_changes_keep_codes() {
        let loud = melody(&THEME, 4.0);
        let quiet: Vec<i16> = loud.iter().map(|&s| s / 3).collect();
        let (a, b) = (fingerprint(&loud), fingerprint(&quiet));
        let matching = a
            .iter()
            .zip(&b)
            .filter(|(x, y)| frames_match(**x, **y))
            .count();
        assert!(matching * 10 >= a.len() * 9, "{matching} of {}", a.len());
    }
}
