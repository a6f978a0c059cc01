//! HTTP range requests (RFC 9110 §14) for bodies whose length and validator are known before any
//! byte is read: direct play of the original file now, generated segments later.

use axum::http::{header, HeaderMap, Method};

/// What to send for a request against a representation of `len` bytes with strong `etag`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// 304: the client's copy is current (`If-None-Match`).
    NotModified,
    /// 200 with the whole body.
    Full,
    /// 206 with bytes `start..end` (end exclusive).
    Partial { start: u64, end: u64 },
    /// 416: no byte of the requested range exists.
    Unsatisfiable,
}

/// Decides how to answer, from the request's conditional and range headers.
pub fn decide(method: &Method, headers: &HeaderMap, len: u64, etag: &str) -> Decision {
    if let Some(inm) = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    {
        // Weak comparison, as If-None-Match asks for.
        let matches = inm
            .split(',')
            .map(str::trim)
            .any(|t| t == "*" || t.trim_start_matches("W/") == etag);
        if matches && (method == Method::GET || method == Method::HEAD) {
            return Decision::NotModified;
        }
    }
    let Some(range) = headers.get(header::RANGE).and_then(|v| v.to_str().ok()) else {
        return Decision::Full;
    };
    // If-Range: the range applies only if the client's validator is still current (strong
    // comparison; we give out no Last-Modified, so a date never matches).
    if let Some(if_range) = headers.get(header::IF_RANGE).and_then(|v| v.to_str().ok()) {
        if if_range.trim() != etag {
            return Decision::Full;
        }
    }
    match parse_range(range, len) {
        RangeParse::Ignore => Decision::Full,
        RangeParse::Unsatisfiable => Decision::Unsatisfiable,
        RangeParse::Range(start, end) => Decision::Partial { start, end },
    }
}

#[derive(Debug, PartialEq, Eq)]
enum RangeParse {
    /// Not a single byte range we serve (malformed, another unit, several ranges): send it all,
    /// which RFC 9110 allows.
    Ignore,
    Unsatisfiable,
    Range(u64, u64),
}

fn parse_range(value: &str, len: u64) -> RangeParse {
    let Some(spec) = value.trim().strip_prefix("bytes=") else {
        return RangeParse::Ignore;
    };
    if spec.contains(',') {
        return RangeParse::Ignore;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeParse::Ignore;
    };
    let (first, last) = (first.trim(), last.trim());
    let number = |s: &str| {
        s.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| s.parse::<u64>().ok())
            .flatten()
    };
    match (first.is_empty(), last.is_empty()) {
        // bytes=-N: the last N bytes.
        (true, false) => match number(last) {
            Some(0) => RangeParse::Unsatisfiable,
            Some(_) if len == 0 => RangeParse::Unsatisfiable,
            Some(n) => RangeParse::Range(len.saturating_sub(n), len),
            None => RangeParse::Ignore,
        },
        // bytes=A-: from A to the end.
        (false, true) => match number(first) {
            Some(a) if a < len => RangeParse::Range(a, len),
            Some(_) => RangeParse::Unsatisfiable,
            None => RangeParse::Ignore,
        },
        // bytes=A-B, B inclusive and clamped to the end.
        (false, false) => match (number(first), number(last)) {
            (Some(a), Some(b)) if a > b => RangeParse::Ignore,
            (Some(a), Some(_)) if a >= len => RangeParse::Unsatisfiable,
            (Some(a), Some(b)) => RangeParse::Range(a, b.saturating_add(1).min(len)),
            _ => RangeParse::Ignore,
        },
        (true, true) => RangeParse::Ignore,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(k.clone(), HeaderValue::from_str(v).unwrap());
        }
        h
    }

    const TAG: &str = "\"abc\"";

    #[test]
    fn byte_ranges() {
        let d = |r: &str| decide(&Method::GET, &with(&[(header::RANGE, r)]), 1000, TAG);
        assert_eq!(d("bytes=0-99"), Decision::Partial { start: 0, end: 100 });
        assert_eq!(
            d("bytes=900-"),
            Decision::Partial {
                start: 900,
                end: 1000
            }
        );
        assert_eq!(
            d("bytes=-100"),
            Decision::Partial {
                start: 900,
                end: 1000
            }
        );
        assert_eq!(
            d("bytes=-5000"),
            Decision::Partial {
                start: 0,
                end: 1000
            }
        );
        assert_eq!(
            d("bytes=990-5000"),
            Decision::Partial {
                start: 990,
                end: 1000
            }
        );
        assert_eq!(d("bytes=1000-"), Decision::Unsatisfiable);
        assert_eq!(d("bytes=1000-1001"), Decision::Unsatisfiable);
        assert_eq!(d("bytes=-0"), Decision::Unsatisfiable);
        // Malformed or unsupported: the whole body.
        for r in [
            "bytes=5-1",
            "items=0-1",
            "bytes=0-1,5-6",
            "bytes=-",
            "bytes=a-b",
            "bytes=+1-2",
            "bytes=99999999999999999999999-",
        ] {
            assert_eq!(d(r), Decision::Full, "{r}");
        }
        assert_eq!(
            decide(&Method::GET, &with(&[(header::RANGE, "bytes=-1")]), 0, TAG),
            Decision::Unsatisfiable
        );
    }

    #[test]
    fn conditionals() {
        let get = |h: &[(header::HeaderName, &str)]| decide(&Method::GET, &with(h), 1000, TAG);
        assert_eq!(get(&[(header::IF_NONE_MATCH, TAG)]), Decision::NotModified);
        assert_eq!(
            get(&[(header::IF_NONE_MATCH, "\"x\", W/\"abc\"")]),
            Decision::NotModified
        );
        assert_eq!(get(&[(header::IF_NONE_MATCH, "\"x\"")]), Decision::Full);
        assert_eq!(
            get(&[(header::RANGE, "bytes=0-9"), (header::IF_RANGE, TAG)]),
            Decision::Partial { start: 0, end: 10 }
        );
        assert_eq!(
            get(&[(header::RANGE, "bytes=0-9"), (header::IF_RANGE, "\"old\"")]),
            Decision::Full
        );
        assert_eq!(
            get(&[
                (header::RANGE, "bytes=0-9"),
                (header::IF_RANGE, "Sat, 21 Nov 2026 10:00:00 GMT")
            ]),
            Decision::Full
        );
    }
}
