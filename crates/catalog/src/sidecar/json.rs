//! Marquee's JSON sidecar: the fields of [`Metadata`], every one optional.
//!
//! Read by hand from a `serde_json::Value` rather than derived, so that a sidecar
//! written by a person is accepted when its meaning is plain (`"year": "2017"`,
//! `"genres": "Documentary"`, `"tmdb": 12345`, `"role": "Executive Producer"`) and
//! refused with the field's path when it is not (`people[2].name: missing`).
//! Unknown fields are ignored.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::{
    check_size, clean, normalize_date, normalize_id_key, normalize_rating, parse_runtime,
    push_unique, split_list, year_of, ArtworkKind, ArtworkRef, ChapterMark, IntroMark, Metadata,
    PersonCredit, Review, Role, SidecarError,
};

type Obj = Map<String, Value>;

/// Reads a Marquee JSON sidecar (`marquee.json`, `<video>.json`, …).  The format
/// is described in `docs/sidecar.md`.
pub fn read_json(bytes: &[u8]) -> Result<Metadata, SidecarError> {
    check_size(bytes.len())?;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let value: Value = serde_json::from_slice(bytes).map_err(|e| {
        let full = e.to_string();
        let message = match full.rfind(" at line ") {
            Some(i) => full[..i].to_string(),
            None => full,
        };
        SidecarError::Json {
            file: None,
            message,
            line: e.line(),
            column: e.column(),
        }
    })?;
    let Value::Object(obj) = value else {
        return Err(invalid(
            "(top level)",
            format!("expected an object {{…}}, found {}", type_name(&value)),
        ));
    };
    metadata(&obj)
}

fn metadata(obj: &Obj) -> Result<Metadata, SidecarError> {
    let mut m = Metadata {
        title: string(obj, "title", "title")?,
        sort_title: string(obj, "sort_title", "sort_title")?,
        original_title: string(obj, "original_title", "original_title")?,
        synopsis: string(obj, "synopsis", "synopsis")?,
        tagline: string(obj, "tagline", "tagline")?,
        year: int(obj, "year", "year")?,
        air_date: date(obj, "air_date", "air_date")?,
        runtime_minutes: runtime(obj)?,
        content_rating: string(obj, "content_rating", "content_rating")?
            .and_then(|r| normalize_rating(&r)),
        genres: string_list(obj, "genres", "genres")?,
        tags: string_list(obj, "tags", "tags")?,
        studios: string_list(obj, "studios", "studios")?,
        season: int(obj, "season", "season")?,
        episode: int(obj, "episode", "episode")?,
        people: people(obj)?,
        artwork: artwork(obj)?,
        reviews: reviews(obj)?,
        external_ids: external_ids(obj)?,
        chapters: chapters(obj)?,
        intro: intro(obj)?,
        credits_start_ms: match get(obj, "credits") {
            Some(Value::Object(o)) => Some(required_time(o, "start", "credits.start")?),
            Some(_) => time(obj, "credits", "credits")?,
            None => None,
        },
    };
    if m.year.is_none() {
        m.year = m.air_date.as_deref().and_then(year_of);
    }
    Ok(m)
}

fn invalid(field: &str, message: impl Into<String>) -> SidecarError {
    SidecarError::Invalid {
        file: None,
        field: field.to_string(),
        message: message.into(),
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "true/false",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list [...]",
        Value::Object(_) => "an object {...}",
    }
}

/// The value at `key`, `None` when missing or null.
fn get<'a>(obj: &'a Obj, key: &str) -> Option<&'a Value> {
    obj.get(key).filter(|v| !v.is_null())
}

/// A string; numbers are accepted and written out.
fn string(obj: &Obj, key: &str, path: &str) -> Result<Option<String>, SidecarError> {
    match get(obj, key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(clean(s)),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(other) => Err(invalid(
            path,
            format!("expected a string, found {}", type_name(other)),
        )),
    }
}

/// A whole number, from a number or a string of digits.
fn int<T: TryFrom<i64>>(obj: &Obj, key: &str, path: &str) -> Result<Option<T>, SidecarError> {
    let n: i64 = match get(obj, key) {
        None => return Ok(None),
        Some(Value::Number(n)) => match n.as_i64() {
            Some(i) => i,
            None => match n.as_f64() {
                Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => f as i64,
                _ => return Err(invalid(path, format!("expected a whole number, found {n}"))),
            },
        },
        Some(Value::String(s)) if s.trim().is_empty() => return Ok(None),
        Some(Value::String(s)) => s
            .trim()
            .parse()
            .map_err(|_| invalid(path, format!("expected a whole number, found \"{s}\"")))?,
        Some(other) => {
            return Err(invalid(
                path,
                format!("expected a whole number, found {}", type_name(other)),
            ))
        }
    };
    T::try_from(n)
        .map(Some)
        .map_err(|_| invalid(path, format!("{n} is out of range")))
}

fn date(obj: &Obj, key: &str, path: &str) -> Result<Option<String>, SidecarError> {
    match string(obj, key, path)? {
        None => Ok(None),
        Some(s) => normalize_date(&s).map(Some).ok_or_else(|| {
            invalid(
                path,
                format!("expected a date like 2017-07-09, found \"{s}\""),
            )
        }),
    }
}

/// `runtime_minutes`: a number, or a string such as "55", "55 min", "1h 5m".
fn runtime(obj: &Obj) -> Result<Option<u32>, SidecarError> {
    const KEY: &str = "runtime_minutes";
    match get(obj, KEY) {
        Some(Value::String(s)) if !s.trim().is_empty() => parse_runtime(s)
            .map(Some)
            .ok_or_else(|| invalid(KEY, format!("expected minutes, found \"{s}\""))),
        _ => int(obj, KEY, KEY),
    }
}

/// A list of strings; a single string is split on " / ", "|" and ";".
fn string_list(obj: &Obj, key: &str, path: &str) -> Result<Vec<String>, SidecarError> {
    let mut out = Vec::new();
    match get(obj, key) {
        None => {}
        Some(Value::String(s)) => {
            for part in split_list(s) {
                push_unique(&mut out, part);
            }
        }
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                match item {
                    Value::String(s) => push_unique(&mut out, s),
                    Value::Number(n) => push_unique(&mut out, &n.to_string()),
                    Value::Null => {}
                    other => {
                        return Err(invalid(
                            &format!("{path}[{i}]"),
                            format!("expected a string, found {}", type_name(other)),
                        ))
                    }
                }
            }
        }
        Some(other) => {
            return Err(invalid(
                path,
                format!("expected a list of strings, found {}", type_name(other)),
            ))
        }
    }
    Ok(out)
}

/// The objects of a list field, with their paths.
fn objects<'a>(obj: &'a Obj, key: &str) -> Result<Vec<(String, &'a Obj)>, SidecarError> {
    match get(obj, key) {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .filter(|(_, v)| !v.is_null())
            .map(|(i, v)| {
                let path = format!("{key}[{i}]");
                match v {
                    Value::Object(o) => Ok((path, o)),
                    other => Err(invalid(
                        &path,
                        format!("expected an object {{…}}, found {}", type_name(other)),
                    )),
                }
            })
            .collect(),
        Some(other) => Err(invalid(
            key,
            format!("expected a list [...], found {}", type_name(other)),
        )),
    }
}

fn required(o: &Obj, key: &str, path: &str) -> Result<String, SidecarError> {
    string(o, key, &format!("{path}.{key}"))?
        .ok_or_else(|| invalid(&format!("{path}.{key}"), "missing"))
}

fn people(obj: &Obj) -> Result<Vec<PersonCredit>, SidecarError> {
    let mut out = Vec::new();
    for (path, o) in objects(obj, "people")? {
        let name = required(o, "name", &path)?;
        let role = match string(o, "role", &format!("{path}.role"))? {
            Some(r) => Role::parse(&r),
            None => Role::Cast,
        };
        out.push(PersonCredit {
            name,
            role,
            character: string(o, "character", &format!("{path}.character"))?,
            order: int(o, "order", &format!("{path}.order"))?,
            photo: string(o, "photo", &format!("{path}.photo"))?,
            biography: string(o, "biography", &format!("{path}.biography"))?,
            birth_date: date(o, "birth_date", &format!("{path}.birth_date"))?,
        });
    }
    Ok(out)
}

/// A list of `{"kind": "poster", "path": "poster.jpg"}`, or the short form
/// `{"poster": "poster.jpg", "backdrop": ["a.jpg", "b.jpg"]}`.
fn artwork(obj: &Obj) -> Result<Vec<ArtworkRef>, SidecarError> {
    const KEY: &str = "artwork";
    let kind_of = |s: &str, path: &str| {
        ArtworkKind::parse(s).ok_or_else(|| {
            invalid(
                path,
                format!("unknown artwork kind \"{s}\" (poster, backdrop, thumb, logo or banner)"),
            )
        })
    };
    let mut out = Vec::new();
    if let Some(Value::Object(map)) = get(obj, KEY) {
        for (k, v) in map {
            let path = format!("{KEY}.{k}");
            let kind = kind_of(k, &path)?;
            let paths = match v {
                Value::String(s) => vec![s.as_str()],
                Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                Value::Null => Vec::new(),
                other => {
                    return Err(invalid(
                        &path,
                        format!("expected a path, found {}", type_name(other)),
                    ))
                }
            };
            out.extend(
                paths
                    .into_iter()
                    .filter_map(clean)
                    .map(|path| ArtworkRef { kind, path }),
            );
        }
        return Ok(out);
    }
    for (path, o) in objects(obj, KEY)? {
        let kind_text = required(o, "kind", &path)?;
        let kind = kind_of(&kind_text, &format!("{path}.kind"))?;
        let file = required(o, "path", &path)?;
        out.push(ArtworkRef { kind, path: file });
    }
    Ok(out)
}

/// A time in the video: seconds as a number, or a string `[HH:]MM:SS[.fff]` or of seconds.
fn time(obj: &Obj, key: &str, path: &str) -> Result<Option<u64>, SidecarError> {
    let bad = |found: String| {
        invalid(
            path,
            format!("expected seconds or a time like \"00:01:30.5\", found {found}"),
        )
    };
    match get(obj, key) {
        None => Ok(None),
        Some(Value::Number(n)) => match n.as_f64() {
            Some(f) if (0.0..360_000.0).contains(&f) => Ok(Some((f * 1000.0).round() as u64)),
            _ => Err(bad(n.to_string())),
        },
        Some(Value::String(s)) => super::parse_timestamp(s)
            .map(Some)
            .ok_or_else(|| bad(format!("\"{s}\""))),
        Some(other) => Err(bad(type_name(other).to_string())),
    }
}

fn required_time(o: &Obj, key: &str, path: &str) -> Result<u64, SidecarError> {
    time(o, key, path)?.ok_or_else(|| invalid(path, "missing"))
}

/// `"chapters": [{"start": "00:01:30", "title": "Opening"}, …]`
fn chapters(obj: &Obj) -> Result<Vec<ChapterMark>, SidecarError> {
    objects(obj, "chapters")?
        .into_iter()
        .map(|(path, o)| {
            Ok(ChapterMark {
                start_ms: required_time(o, "start", &format!("{path}.start"))?,
                title: string(o, "title", &format!("{path}.title"))?,
            })
        })
        .collect()
}

/// `"intro": {"start": 12, "end": 58.5}`
fn intro(obj: &Obj) -> Result<Option<IntroMark>, SidecarError> {
    match get(obj, "intro") {
        None => Ok(None),
        Some(Value::Object(o)) => {
            let start_ms = required_time(o, "start", "intro.start")?;
            let end_ms = required_time(o, "end", "intro.end")?;
            if end_ms <= start_ms {
                return Err(invalid("intro.end", "must come after intro.start"));
            }
            Ok(Some(IntroMark { start_ms, end_ms }))
        }
        Some(other) => Err(invalid(
            "intro",
            format!(
                "expected an object {{\"start\", \"end\"}}, found {}",
                type_name(other)
            ),
        )),
    }
}

fn reviews(obj: &Obj) -> Result<Vec<Review>, SidecarError> {
    let mut out = Vec::new();
    for (path, o) in objects(obj, "reviews")? {
        let score_path = format!("{path}.score");
        let score = match get(o, "score") {
            None => None,
            Some(Value::Number(n)) => n.as_f64(),
            Some(Value::String(s)) if s.trim().is_empty() => None,
            Some(Value::String(s)) => Some(s.trim().parse::<f64>().map_err(|_| {
                invalid(
                    &score_path,
                    format!("expected a number 0–100, found \"{s}\""),
                )
            })?),
            Some(other) => {
                return Err(invalid(
                    &score_path,
                    format!("expected a number 0–100, found {}", type_name(other)),
                ))
            }
        };
        if let Some(s) = score {
            if !(0.0..=100.0).contains(&s) {
                return Err(invalid(
                    &score_path,
                    format!(
                        "{s} is outside 0–100 (write \"4/5\" as score 80 and score_text \"4/5\")"
                    ),
                ));
            }
        }
        out.push(Review {
            author: required(o, "author", &path)?,
            publication: string(o, "publication", &format!("{path}.publication"))?,
            date: date(o, "date", &format!("{path}.date"))?,
            score: score.map(|s| s as f32),
            score_text: string(o, "score_text", &format!("{path}.score_text"))?,
            body_markdown: match get(o, "body_markdown") {
                Some(Value::String(s)) => s.trim().to_string(),
                None => String::new(),
                Some(other) => {
                    return Err(invalid(
                        &format!("{path}.body_markdown"),
                        format!("expected a string, found {}", type_name(other)),
                    ))
                }
            },
            url: string(o, "url", &format!("{path}.url"))?,
        });
    }
    Ok(out)
}

fn external_ids(obj: &Obj) -> Result<BTreeMap<String, String>, SidecarError> {
    const KEY: &str = "external_ids";
    let mut out = BTreeMap::new();
    match get(obj, KEY) {
        None => {}
        Some(Value::Object(map)) => {
            for (k, v) in map {
                let Some(key) = normalize_id_key(k) else {
                    continue;
                };
                let value = match v {
                    Value::String(s) => clean(s),
                    Value::Number(n) => Some(n.to_string()),
                    Value::Null => None,
                    other => {
                        return Err(invalid(
                            &format!("{KEY}.{k}"),
                            format!("expected a string or number, found {}", type_name(other)),
                        ))
                    }
                };
                if let Some(value) = value {
                    out.insert(key, value);
                }
            }
        }
        Some(other) => {
            return Err(invalid(
                KEY,
                format!(
                    "expected an object like {{\"imdb\": \"tt…\"}}, found {}",
                    type_name(other)
                ),
            ))
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documentary_sidecar_with_roles() {
        let doc = r#"{
          "title": "The Defiant Ones",
          "year": 2017,
          "content_rating": "TV-MA",
          "genres": ["Documentary", "Music"],
          "studios": ["HBO"],
          "people": [
            {"name": "Allen Hughes", "role": "director"},
            {"name": "Dr. Dre", "role": "subject", "birth_date": "1965-02-18"},
            {"name": "Verna Griffin", "role": "interviewee", "order": 2},
            {"name": "Someone", "role": "Executive Producer"},
            {"name": "Someone Else", "role": "gaffer"},
            {"name": "An Actor", "character": "Herself"}
          ],
          "some_future_field": {"ignored": true}
        }"#;
        let m = read_json(doc.as_bytes()).expect("parses");
        assert_eq!(m.title.as_deref(), Some("The Defiant Ones"));
        assert_eq!(m.year, Some(2017));
        assert_eq!(m.genres, ["Documentary", "Music"]);
        let roles: Vec<Role> = m.people.iter().map(|p| p.role).collect();
        assert_eq!(
            roles,
            [
                Role::Director,
                Role::Subject,
                Role::Interviewee,
                Role::Producer,
                Role::Other,
                Role::Cast
            ]
        );
        assert_eq!(m.people[1].birth_date.as_deref(), Some("1965-02-18"));
        assert_eq!(m.people[2].order, Some(2));
    }

    #[test]
    fn every_field() {
        let doc = r##"{
          "title": "Part One", "sort_title": "Part 1", "original_title": "Part One",
          "synopsis": "  Two childhoods.  ", "tagline": "Begin.",
          "air_date": "2017-07-09", "runtime_minutes": "1h 5m",
          "content_rating": "Rated R", "genres": "Documentary / Music", "tags": ["a", "A", "b"],
          "studios": ["HBO"], "season": "1", "episode": 2,
          "artwork": [{"kind": "thumb", "path": "x-thumb.jpg"}, {"kind": "fanart", "path": "https://example.org/f.jpg"}],
          "reviews": [{"author": "Marquee Editors", "publication": "Marquee", "date": "2025-01-15",
                       "score": 88, "score_text": "88/100", "body_markdown": "*Good.*", "url": null}],
          "external_ids": {"IMDB": "tt0000001", "tmdb": 42, "custom": "x"}
        }"##;
        let m = read_json(doc.as_bytes()).expect("parses");
        assert_eq!(m.synopsis.as_deref(), Some("Two childhoods."));
        assert_eq!(m.year, Some(2017), "year from air_date");
        assert_eq!(m.runtime_minutes, Some(65));
        assert_eq!(m.content_rating.as_deref(), Some("R"));
        assert_eq!(m.genres, ["Documentary", "Music"]);
        assert_eq!(m.tags, ["a", "b"]);
        assert_eq!((m.season, m.episode), (Some(1), Some(2)));
        assert_eq!(m.artwork[1].kind, ArtworkKind::Backdrop);
        let r = &m.reviews[0];
        assert_eq!(r.score, Some(88.0));
        assert_eq!(r.body_markdown, "*Good.*");
        assert_eq!(r.url, None);
        assert_eq!(
            m.external_ids.get("imdb").map(String::as_str),
            Some("tt0000001")
        );
        assert_eq!(m.external_ids.get("tmdb").map(String::as_str), Some("42"));
        assert_eq!(m.external_ids.get("custom").map(String::as_str), Some("x"));
    }

    #[test]
    fn artwork_short_form() {
        let m =
            read_json(br#"{"artwork": {"poster": "poster.jpg", "backdrop": ["a.jpg", "b.jpg"]}}"#)
                .expect("parses");
        assert_eq!(m.artwork.len(), 3);
        assert!(
            m.artwork
                .iter()
                .filter(|a| a.kind == ArtworkKind::Backdrop)
                .count()
                == 2
        );
    }

    #[test]
    fn empty_object_and_nulls() {
        assert_eq!(read_json(b"{}").expect("parses"), Metadata::default());
        let m = read_json(br#"{"title": null, "genres": null, "year": ""}"#).expect("parses");
        assert!(m.is_empty());
    }

    #[test]
    fn round_trips_what_serde_writes() {
        let mut m = read_json(
            br#"{"title": "X", "people": [{"name": "A", "role": "cinematographer"}],
            "artwork": [{"kind": "logo", "path": "logo.png"}],
            "reviews": [{"author": "R", "score": 50.5, "body_markdown": "ok"}],
            "external_ids": {"tvdb": "1"}}"#,
        )
        .expect("parses");
        m.year = Some(1999);
        let written = serde_json::to_vec(&m).expect("serializes");
        assert_eq!(read_json(&written).expect("parses again"), m);
        let derived: Metadata = serde_json::from_slice(&written).expect("derive reads it too");
        assert_eq!(derived, m);
    }

    #[test]
    fn syntax_errors_have_line_and_column() {
        let err = read_json(b"{\n  \"title\": \"X\",\n  \"year\": 20 17\n}").unwrap_err();
        match &err {
            SidecarError::Json { line, column, .. } => {
                assert_eq!(*line, 3);
                assert!(*column > 0);
            }
            other => panic!("expected Json, got {other:?}"),
        }
        let msg = err.in_file("marquee.json").to_string();
        assert!(msg.starts_with("marquee.json is not valid JSON: "), "{msg}");
        assert!(msg.contains("line 3, column"), "{msg}");
    }

    #[test]
    fn wrong_types_name_the_field() {
        let cases: [(&str, &str); 8] = [
            (r#"[1, 2]"#, "(top level)"),
            (r#"{"title": ["a"]}"#, "title"),
            (r#"{"year": "twenty"}"#, "year"),
            (r#"{"season": -1}"#, "season"),
            (r#"{"people": [{"role": "director"}]}"#, "people[0].name"),
            (r#"{"people": ["Allen Hughes"]}"#, "people[0]"),
            (
                r#"{"reviews": [{"author": "A", "score": 120}]}"#,
                "reviews[0].score",
            ),
            (
                r#"{"artwork": [{"kind": "hologram", "path": "x"}]}"#,
                "artwork[0].kind",
            ),
        ];
        for (doc, want) in cases {
            match read_json(doc.as_bytes()) {
                Err(SidecarError::Invalid { field, .. }) => assert_eq!(field, want, "{doc}"),
                other => panic!("{doc} gave {other:?}"),
            }
        }
        let err = read_json(br#"{"air_date": "last tuesday"}"#)
            .unwrap_err()
            .in_file("x.json");
        assert_eq!(
            err.to_string(),
            "x.json has a bad value for `air_date`: expected a date like 2017-07-09, found \"last tuesday\""
        );
    }

    #[test]
    fn huge_and_deep_input() {
        let big = vec![b' '; crate::sidecar::MAX_SIDECAR_BYTES + 1];
        assert!(matches!(
            read_json(&big),
            Err(SidecarError::TooLarge { .. })
        ));
        let deep = format!("{{\"x\": {}{}}}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(matches!(
            read_json(deep.as_bytes()),
            Err(SidecarError::Json { .. })
        ));
    }

    #[test]
    fn bom_is_skipped() {
        let m = read_json(b"\xEF\xBB\xBF{\"title\": \"X\"}").expect("parses");
        assert_eq!(m.title.as_deref(), Some("X"));
    }

    #[test]
    fn chapters_and_skip_markers() {
        let m = read_json(
            br#"{"chapters": [{"start": 0, "title": "Cold open"}, {"start": "00:01:30.5"}],
                 "intro": {"start": "0:12", "end": 58.5}, "credits": "41:10"}"#,
        )
        .unwrap();
        assert_eq!(m.chapters.len(), 2);
        assert_eq!(m.chapters[1].start_ms, 90_500);
        assert_eq!(m.chapters[0].title.as_deref(), Some("Cold open"));
        assert_eq!(
            m.intro,
            Some(IntroMark {
                start_ms: 12_000,
                end_ms: 58_500
            })
        );
        assert_eq!(m.credits_start_ms, Some(2_470_000));
        let m = read_json(br#"{"credits": {"start": 100}}"#).unwrap();
        assert_eq!(m.credits_start_ms, Some(100_000));
        let e = read_json(br#"{"intro": {"start": 50, "end": 10}}"#).unwrap_err();
        assert!(e.to_string().contains("intro.end"), "{e}");
        let e = read_json(br#"{"chapters": [{"start": "soon"}]}"#).unwrap_err();
        assert!(e.to_string().contains("chapters[0].start"), "{e}");
    }
}
