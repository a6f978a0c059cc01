//! ISO BMFF box reading over in-memory byte slices.
//!
//! The top-level walk (in `mod.rs`) reads only box headers from the file; the
//! boxes we need (`moov`, `moof`) are then loaded whole — they are small and
//! bounded — and parsed here from a slice.  Working on slices keeps every
//! access bounds-checked by construction: a child can never claim more bytes
//! than its parent holds.

use crate::ProbeError;

/// A four-character box type.
pub(crate) type FourCc = [u8; 4];

/// Renders a fourcc for messages and codec names ("moov", or escaped bytes).
pub(crate) fn fourcc_str(t: &FourCc) -> String {
    t.iter()
        .map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                (b as char).to_string()
            } else {
                format!("\\x{b:02x}")
            }
        })
        .collect()
}

/// A parsed box header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BoxHeader {
    pub typ: FourCc,
    /// Bytes taken by the header itself (8, or 16 with a 64-bit size).
    pub header_len: u64,
    /// Total box size including the header; `None` means "to the end of the
    /// enclosing container" (size field 0).
    pub size: Option<u64>,
}

/// Parses a box header from the start of `b` (which must hold ≥ 16 bytes, or
/// all remaining bytes of the container).  Returns `Ok(None)` when fewer than 8
/// bytes are there (trailing padding).
pub(crate) fn parse_header(b: &[u8], parent: &str) -> Result<Option<BoxHeader>, ProbeError> {
    let Some(head) = b.get(..8) else {
        return Ok(None);
    };
    let size32 = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
    let typ = [head[4], head[5], head[6], head[7]];
    let (header_len, size) = match size32 {
        0 => (8, None),
        1 => {
            let Some(large) = b.get(8..16) else {
                return Err(ProbeError::Invalid(format!(
                    "box '{}' in {parent} has a 64-bit size but its header is cut off",
                    fourcc_str(&typ)
                )));
            };
            let mut s = [0u8; 8];
            s.copy_from_slice(large);
            (16, Some(u64::from_be_bytes(s)))
        }
        n => (8, Some(u64::from(n))),
    };
    if let Some(size) = size {
        if size < header_len {
            return Err(ProbeError::Invalid(format!(
                "box '{}' in {parent} has an impossible size of {size} bytes",
                fourcc_str(&typ)
            )));
        }
    }
    Ok(Some(BoxHeader {
        typ,
        header_len,
        size,
    }))
}

/// Iterates the child boxes of a container payload, yielding `(type, payload)`.
/// Stops at the first malformed child, yielding its error once.
pub(crate) struct Boxes<'a> {
    data: &'a [u8],
    pos: usize,
    parent: &'a str,
    failed: bool,
}

impl<'a> Boxes<'a> {
    /// `parent` names the container in error messages (e.g. "'moov'").
    pub(crate) fn new(data: &'a [u8], parent: &'a str) -> Self {
        Boxes {
            data,
            pos: 0,
            parent,
            failed: false,
        }
    }

    /// Finds the first child of type `typ`.
    pub(crate) fn find(data: &'a [u8], parent: &'a str, typ: &FourCc) -> Option<&'a [u8]> {
        Boxes::new(data, parent)
            .filter_map(Result::ok)
            .find(|(t, _)| t == typ)
            .map(|(_, p)| p)
    }
}

impl<'a> Iterator for Boxes<'a> {
    type Item = Result<(FourCc, &'a [u8]), ProbeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let rest = self.data.get(self.pos..)?;
        let header = match parse_header(rest, self.parent) {
            Ok(Some(h)) => h,
            Ok(None) => return None,
            Err(e) => {
                self.failed = true;
                return Some(Err(e));
            }
        };
        let size = match header.size {
            None => rest.len() as u64,
            Some(s) => s,
        };
        if size > rest.len() as u64 {
            self.failed = true;
            return Some(Err(ProbeError::Invalid(format!(
                "box '{}' in {} claims {size} bytes but only {} remain in its parent",
                fourcc_str(&header.typ),
                self.parent,
                rest.len()
            ))));
        }
        // size ≥ header_len ≥ 8 (checked in parse_header), so we always advance.
        let size = size as usize;
        let payload = &rest[header.header_len as usize..size];
        self.pos += size;
        Some(Ok((header.typ, payload)))
    }
}

/// Big-endian cursor over a box payload.  Running off the end is an error
/// naming the box, never a panic.
pub(crate) struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
    what: &'static str,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(data: &'a [u8], what: &'static str) -> Self {
        Cursor { data, pos: 0, what }
    }

    fn short(&self) -> ProbeError {
        ProbeError::Invalid(format!("'{}' box is too short", self.what))
    }

    pub(crate) fn remaining(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }

    pub(crate) fn rest(&self) -> &'a [u8] {
        self.data.get(self.pos..).unwrap_or(&[])
    }

    pub(crate) fn bytes(&mut self, n: usize) -> Result<&'a [u8], ProbeError> {
        let end = self.pos.checked_add(n).ok_or_else(|| self.short())?;
        let s = self.data.get(self.pos..end).ok_or_else(|| self.short())?;
        self.pos = end;
        Ok(s)
    }

    pub(crate) fn skip(&mut self, n: usize) -> Result<(), ProbeError> {
        self.bytes(n).map(|_| ())
    }

    pub(crate) fn u8(&mut self) -> Result<u8, ProbeError> {
        Ok(self.bytes(1)?[0])
    }

    pub(crate) fn u16(&mut self) -> Result<u16, ProbeError> {
        let b = self.bytes(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    pub(crate) fn u24(&mut self) -> Result<u32, ProbeError> {
        let b = self.bytes(3)?;
        Ok(u32::from_be_bytes([0, b[0], b[1], b[2]]))
    }

    pub(crate) fn u32(&mut self) -> Result<u32, ProbeError> {
        let b = self.bytes(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub(crate) fn u64(&mut self) -> Result<u64, ProbeError> {
        let b = self.bytes(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_be_bytes(a))
    }

    /// FullBox version and flags.
    pub(crate) fn version_flags(&mut self) -> Result<(u8, u32), ProbeError> {
        Ok((self.u8()?, self.u24()?))
    }

    /// Reads `count` records of `record_len` bytes, checking first that the bytes
    /// are there: a count from the file is never trusted as an allocation size.
    pub(crate) fn table(
        &mut self,
        count: u32,
        record_len: usize,
    ) -> Result<std::slice::ChunksExact<'a, u8>, ProbeError> {
        let total = (count as usize)
            .checked_mul(record_len)
            .ok_or_else(|| self.short())?;
        if total > self.remaining() {
            return Err(ProbeError::Invalid(format!(
                "'{}' box lists {count} entries but holds only {} bytes of them",
                self.what,
                self.remaining()
            )));
        }
        Ok(self.bytes(total)?.chunks_exact(record_len.max(1)))
    }
}

/// Big-endian u32 from a 4-byte record slice (callers pass exact chunks).
pub(crate) fn be32(b: &[u8]) -> u32 {
    match b {
        [a, b, c, d, ..] => u32::from_be_bytes([*a, *b, *c, *d]),
        _ => 0,
    }
}

/// Big-endian u64 from an 8-byte record slice.
pub(crate) fn be64(b: &[u8]) -> u64 {
    match b {
        [a, b, c, d, e, f, g, h, ..] => u64::from_be_bytes([*a, *b, *c, *d, *e, *f, *g, *h]),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mkbox(typ: &[u8; 4], payload: &[u8]) -> Vec<u8> {
        let mut v = ((payload.len() + 8) as u32).to_be_bytes().to_vec();
        v.extend_from_slice(typ);
        v.extend_from_slice(payload);
        v
    }

    #[test]
    fn iterates_children() {
        let mut data = mkbox(b"abcd", &[1, 2, 3]);
        data.extend(mkbox(b"efgh", &[]));
        // 64-bit size box
        data.extend_from_slice(&1u32.to_be_bytes());
        data.extend_from_slice(b"larg");
        data.extend_from_slice(&18u64.to_be_bytes());
        data.extend_from_slice(&[9, 9]);
        // size 0: to the end
        data.extend_from_slice(&0u32.to_be_bytes());
        data.extend_from_slice(b"last");
        data.extend_from_slice(&[7; 5]);
        let kids: Vec<_> = Boxes::new(&data, "'test'")
            .collect::<Result<_, _>>()
            .expect("valid");
        assert_eq!(
            kids,
            vec![
                (*b"abcd", &[1u8, 2, 3][..]),
                (*b"efgh", &[][..]),
                (*b"larg", &[9u8, 9][..]),
                (*b"last", &[7u8; 5][..]),
            ]
        );
        assert_eq!(Boxes::find(&data, "t", b"larg"), Some(&[9u8, 9][..]));
        assert_eq!(Boxes::find(&data, "t", b"nope"), None);
    }

    #[test]
    fn rejects_bad_sizes() {
        // Claims 100 bytes, has 10.
        let mut data = 100u32.to_be_bytes().to_vec();
        data.extend_from_slice(b"big!xx");
        let mut it = Boxes::new(&data, "'moov'");
        let e = it.next().expect("item").unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid file: box 'big!' in 'moov' claims 100 bytes but only 10 remain in its parent"
        );
        assert!(it.next().is_none());
        // Size smaller than its header.
        let mut data = 4u32.to_be_bytes().to_vec();
        data.extend_from_slice(b"tiny");
        assert!(Boxes::new(&data, "p").next().expect("item").is_err());
        // 64-bit size whose header is cut off.
        let mut data = 1u32.to_be_bytes().to_vec();
        data.extend_from_slice(b"cut!\0\0");
        assert!(Boxes::new(&data, "p").next().expect("item").is_err());
        // Trailing bytes shorter than a header are ignored.
        assert!(Boxes::new(&[0, 0, 0], "p").next().is_none());
    }

    #[test]
    fn cursor_is_bounds_checked() {
        let mut c = Cursor::new(&[0, 0, 0, 2, 1, 2, 3, 4], "stss");
        assert_eq!(c.u32().expect("u32"), 2);
        let t: Vec<_> = c.table(2, 2).expect("table").collect();
        assert_eq!(t, vec![&[1u8, 2][..], &[3, 4][..]]);
        assert!(c.u8().is_err());
        let mut c = Cursor::new(&[0, 0, 0, 9], "stss");
        let n = c.u32().expect("u32");
        assert!(c.table(n, 4).is_err());
        let mut c = Cursor::new(&[], "x");
        assert!(c.table(u32::MAX, usize::MAX).is_err());
        assert_eq!(fourcc_str(b"a\x01cd"), "a\\x01cd");
    }
}
