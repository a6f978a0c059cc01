//! Positioned, bounds-checked reads over any `Read + Seek`.
//!
//! Both container parsers address the file by absolute offset (box and element
//! headers say "the next thing starts N bytes further on"), so the natural
//! primitive is "read these bytes at this offset", not a cursor.  [`Source`]
//! provides that, with two properties the parsers rely on:
//!
//! * every read is checked against the file length measured once up front, so a
//!   size field in the file can never make us allocate or read past the end;
//! * small reads are served from a single 16 KiB window, so walking many nearby
//!   headers (Matroska block headers, top-level MP4 boxes) costs one real read per
//!   window rather than one seek + read per header, whatever the caller's `R` is.

use std::io::{self, Read, Seek, SeekFrom};

use crate::ProbeError;

/// Size of the read-ahead window used for small header reads.
const WINDOW: usize = 16 * 1024;

/// A `Read + Seek` with a known length and offset-addressed reads.
pub(crate) struct Source<R> {
    inner: R,
    len: u64,
    /// Cached bytes and the file offset of `buf[0]`.
    buf: Vec<u8>,
    buf_start: u64,
    /// Where `inner` is positioned, when known, to avoid redundant seeks.
    inner_pos: Option<u64>,
    /// Total bytes read from `inner`: lets tests check that probing stays cheap.
    bytes_read: u64,
}

impl<R: Read + Seek> Source<R> {
    /// Measures the length of `inner` (by seeking to its end).
    pub(crate) fn new(mut inner: R) -> io::Result<Self> {
        let len = inner.seek(SeekFrom::End(0))?;
        Ok(Source {
            inner,
            len,
            buf: Vec::new(),
            buf_start: 0,
            inner_pos: Some(len),
            bytes_read: 0,
        })
    }

    /// Length of the whole file in bytes.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// Bytes actually pulled from the underlying reader so far.
    #[allow(dead_code)]
    pub(crate) fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    /// Reads from `inner` at `pos` until `out` is full or the file ends; returns the count.
    fn raw_read(&mut self, pos: u64, out: &mut [u8]) -> io::Result<usize> {
        if self.inner_pos != Some(pos) {
            self.inner.seek(SeekFrom::Start(pos))?;
        }
        let mut done = 0;
        while done < out.len() {
            match self.inner.read(&mut out[done..]) {
                Ok(0) => break,
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.inner_pos = None;
                    return Err(e);
                }
            }
        }
        self.inner_pos = Some(pos + done as u64);
        self.bytes_read += done as u64;
        Ok(done)
    }

    /// Copies up to `out.len()` bytes at `pos` into `out`; returns how many were
    /// available (fewer only at end of file).
    pub(crate) fn read_at(&mut self, pos: u64, out: &mut [u8]) -> io::Result<usize> {
        if pos >= self.len || out.is_empty() {
            return Ok(0);
        }
        let want = out
            .len()
            .min(usize::try_from(self.len - pos).unwrap_or(usize::MAX));
        let out = &mut out[..want];
        // Large reads bypass the window: they are payloads we keep, not headers.
        if want > WINDOW / 2 {
            return self.raw_read(pos, out);
        }
        let buf_end = self.buf_start + self.buf.len() as u64;
        if pos < self.buf_start || pos + want as u64 > buf_end {
            let fill = WINDOW.min(usize::try_from(self.len - pos).unwrap_or(WINDOW));
            self.buf.resize(fill, 0);
            let mut buf = std::mem::take(&mut self.buf);
            let got = self.raw_read(pos, &mut buf);
            self.buf = buf;
            match got {
                Ok(n) => {
                    self.buf.truncate(n);
                    self.buf_start = pos;
                }
                Err(e) => {
                    self.buf.clear();
                    return Err(e);
                }
            }
        }
        // `pos >= buf_start` holds here, and the window covers what is available.
        let off = usize::try_from(pos - self.buf_start).unwrap_or(usize::MAX);
        let avail = self.buf.get(off..).unwrap_or(&[]);
        let n = avail.len().min(want);
        out[..n].copy_from_slice(&avail[..n]);
        Ok(n)
    }

    /// Reads exactly `out.len()` bytes at `pos`, or reports what was cut short.
    pub(crate) fn read_exact_at(
        &mut self,
        pos: u64,
        out: &mut [u8],
        what: &str,
    ) -> Result<(), ProbeError> {
        let n = self.read_at(pos, out)?;
        if n < out.len() {
            return Err(ProbeError::Truncated {
                what: what.to_string(),
                claimed: out.len() as u64,
                available: n as u64,
            });
        }
        Ok(())
    }

    /// Reads `len` bytes at `pos` into a new buffer.  `len` comes from the file, so
    /// it is checked against what the file holds (→ `Truncated`) and against `cap`
    /// (→ `Invalid`) before anything is allocated.
    pub(crate) fn read_vec(
        &mut self,
        pos: u64,
        len: u64,
        cap: u64,
        what: &str,
    ) -> Result<Vec<u8>, ProbeError> {
        let available = self.len.saturating_sub(pos);
        if len > available {
            return Err(ProbeError::Truncated {
                what: what.to_string(),
                claimed: len,
                available,
            });
        }
        if len > cap {
            return Err(ProbeError::Invalid(format!(
                "{what} is {len} bytes, more than the {cap} bytes this reader accepts"
            )));
        }
        let n = usize::try_from(len)
            .map_err(|_| ProbeError::Invalid(format!("{what} is too large ({len} bytes)")))?;
        let mut v = vec![0u8; n];
        self.read_exact_at(pos, &mut v, what)?;
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn reads_are_bounded_by_file_length() {
        let data: Vec<u8> = (0..100u8).collect();
        let mut s = Source::new(Cursor::new(data)).expect("cursor");
        assert_eq!(s.len(), 100);
        let mut b = [0u8; 10];
        assert_eq!(s.read_at(95, &mut b).expect("read"), 5);
        assert_eq!(&b[..5], &[95, 96, 97, 98, 99]);
        assert_eq!(s.read_at(100, &mut b).expect("read"), 0);
        assert_eq!(s.read_at(u64::MAX, &mut b).expect("read"), 0);
        assert!(matches!(
            s.read_vec(50, 51, 1000, "x"),
            Err(ProbeError::Truncated {
                claimed: 51,
                available: 50,
                ..
            })
        ));
        assert!(matches!(
            s.read_vec(0, 60, 50, "x"),
            Err(ProbeError::Invalid(_))
        ));
        assert_eq!(s.read_vec(10, 3, 10, "x").expect("vec"), vec![10, 11, 12]);
    }

    #[test]
    fn window_serves_nearby_reads() {
        let data = vec![7u8; 100_000];
        let mut s = Source::new(Cursor::new(data)).expect("cursor");
        let mut b = [0u8; 8];
        for p in (0..8000).step_by(100) {
            s.read_exact_at(p, &mut b, "hdr").expect("read");
        }
        assert_eq!(s.bytes_read(), WINDOW as u64);
    }
}
