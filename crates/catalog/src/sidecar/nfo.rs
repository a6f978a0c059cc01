//! Kodi NFO files: `<tvshow>`, `<season>`, `<episodedetails>`, `<movie>`.
//!
//! The XML is read into a small tree and the known tags are picked out of it.
//! Entities are never expanded beyond the five XML predefined ones and numeric
//! character references: a DTD in the file is skipped, and an entity it declares
//! (`&lol9;`, `&xxe;`) stays in the text literally.  Nothing is ever fetched or
//! read from disk, so billion-laughs and external-entity documents are inert.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::OnceLock;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use regex::Regex;

use super::{
    check_size, clean, normalize_date, normalize_id_key, normalize_rating, parse_runtime,
    push_split, push_unique, year_of, ArtworkKind, ArtworkRef, Metadata, PersonCredit, Role,
    SidecarError,
};

/// Deeper nesting than this is not an NFO (and would make the tree expensive).
const MAX_DEPTH: usize = 64;
/// More elements than this is not an NFO either (real ones have a few hundred).
const MAX_ELEMENTS: usize = 100_000;
/// Root elements read as NFOs.
const ROOTS: [&str; 5] = ["movie", "tvshow", "season", "episodedetails", "musicvideo"];

/// Reads a Kodi NFO.  For a multi-episode file (several `<episodedetails>` one
/// after another) the first episode is returned; see [`read_nfo_all`] for all of
/// them.  An NFO that is only a URL (or text holding IMDb/TMDB/TVDB links, like a
/// release's info file) gives just the `external_ids`.
pub fn read_nfo(bytes: &[u8]) -> Result<Metadata, SidecarError> {
    let mut all = read_nfo_all(bytes)?;
    if all.len() > 1 {
        tracing::debug!(
            count = all.len(),
            "NFO describes {} episodes; using the first",
            all.len()
        );
    }
    // `read_nfo_all` never returns an empty list, but stay total anyway.
    Ok(if all.is_empty() {
        Metadata::default()
    } else {
        all.swap_remove(0)
    })
}

/// Reads every entry of an NFO: one for most files, several for a multi-episode
/// file.  Never empty on success.
pub fn read_nfo_all(bytes: &[u8]) -> Result<Vec<Metadata>, SidecarError> {
    check_size(bytes.len())?;
    let (text, offset) = decode(bytes);
    let Some(first) = text.find(|c: char| !c.is_whitespace()) else {
        return Err(not_xml("the file is empty", offset as u64));
    };
    if !text[first..].starts_with('<') {
        // Kodi allows an NFO that is just a URL to a scraper's page.
        let ids = ids_from_text(&text);
        if ids.is_empty() {
            return Err(not_xml(
                "expected an XML element such as <movie>, found text without a recognised IMDb, TMDB or TVDB link",
                (first + offset) as u64,
            ));
        }
        return Ok(vec![Metadata {
            external_ids: ids,
            ..Metadata::default()
        }]);
    }

    let parsed = parse_tree(&text).map_err(|e| match e {
        SidecarError::NotXml {
            file,
            message,
            position,
        } => SidecarError::NotXml {
            file,
            message,
            position: position + offset as u64,
        },
        other => other,
    })?;
    let roots: Vec<&Node> = parsed
        .roots
        .iter()
        .filter(|n| ROOTS.contains(&n.name.as_str()))
        .collect();
    if roots.is_empty() {
        let found = parsed
            .roots
            .first()
            .map(|n| format!("<{}>", n.name))
            .unwrap_or_else(|| "no element".to_string());
        return Err(not_xml(
            &format!(
                "expected <movie>, <tvshow>, <season> or <episodedetails> as the root element, found {found}"
            ),
            offset as u64,
        ));
    }
    let trailing_ids = ids_from_text(&parsed.stray_text);
    Ok(roots
        .into_iter()
        .map(|root| {
            let mut m = interpret(root);
            for (k, v) in &trailing_ids {
                m.external_ids.entry(k.clone()).or_insert_with(|| v.clone());
            }
            m
        })
        .collect())
}

fn not_xml(message: &str, position: u64) -> SidecarError {
    SidecarError::NotXml {
        file: None,
        message: message.to_string(),
        position,
    }
}

/// Text of the file and how many bytes of byte-order mark were dropped.  UTF-16
/// (with a BOM) is converted; anything else is read as UTF-8, invalid bytes
/// replaced.
fn decode(bytes: &[u8]) -> (Cow<'_, str>, usize) {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return (String::from_utf8_lossy(rest), 3);
    }
    let utf16 = |rest: &[u8], le: bool| -> String {
        let units = rest.chunks_exact(2).map(|c| {
            if le {
                u16::from_le_bytes([c[0], c[1]])
            } else {
                u16::from_be_bytes([c[0], c[1]])
            }
        });
        char::decode_utf16(units)
            .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect()
    };
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return (Cow::Owned(utf16(rest, true)), 2);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return (Cow::Owned(utf16(rest, false)), 2);
    }
    (String::from_utf8_lossy(bytes), 0)
}

// ---------------------------------------------------------------------------
// The tree.

#[derive(Debug, Default)]
struct Node {
    /// Local name, lower case.
    name: String,
    /// (lower-case local name, value)
    attrs: Vec<(String, String)>,
    text: String,
    children: Vec<Node>,
}

impl Node {
    fn attr(&self, key: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Cleaned text of the first child with that name that has some.
    fn child_text(&self, name: &str) -> Option<String> {
        self.children
            .iter()
            .filter(|c| c.name == name)
            .find_map(|c| clean(&c.text))
    }

    fn value(&self) -> Option<String> {
        clean(&self.text)
    }
}

struct Parsed {
    roots: Vec<Node>,
    /// Text outside any element (Kodi allows a URL after the XML).
    stray_text: String,
}

fn parse_tree(text: &str) -> Result<Parsed, SidecarError> {
    let mut reader = Reader::from_str(text);
    {
        let config = reader.config_mut();
        config.check_end_names = true;
        config.expand_empty_elements = false;
        config.trim_text(false);
    }
    let mut stack: Vec<Node> = Vec::new();
    let mut roots: Vec<Node> = Vec::new();
    let mut stray_text = String::new();
    let mut elements = 0usize;

    loop {
        let event = match reader.read_event() {
            Ok(ev) => ev,
            Err(e) => return Err(not_xml(&describe(&e), reader.error_position())),
        };
        match event {
            Event::Start(start) => {
                elements += 1;
                if stack.len() >= MAX_DEPTH {
                    return Err(not_xml(
                        &format!("elements are nested more than {MAX_DEPTH} deep"),
                        reader.buffer_position(),
                    ));
                }
                if elements > MAX_ELEMENTS {
                    return Err(not_xml(
                        &format!("more than {MAX_ELEMENTS} elements"),
                        reader.buffer_position(),
                    ));
                }
                stack.push(node_from(&start));
            }
            Event::Empty(start) => {
                elements += 1;
                if elements > MAX_ELEMENTS {
                    return Err(not_xml(
                        &format!("more than {MAX_ELEMENTS} elements"),
                        reader.buffer_position(),
                    ));
                }
                let node = node_from(&start);
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None => roots.push(node),
                }
            }
            Event::End(_) => {
                // quick-xml has already checked that the end tag matches.
                if let Some(node) = stack.pop() {
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(node),
                        None => roots.push(node),
                    }
                }
            }
            Event::Text(t) => {
                let raw = String::from_utf8_lossy(&t);
                let text = unescape_lenient(&raw);
                match stack.last_mut() {
                    Some(node) => node.text.push_str(&text),
                    None => {
                        stray_text.push_str(&text);
                        stray_text.push('\n');
                    }
                }
            }
            Event::CData(c) => {
                let text = String::from_utf8_lossy(&c);
                match stack.last_mut() {
                    Some(node) => node.text.push_str(&text),
                    None => stray_text.push_str(&text),
                }
            }
            // A DTD is skipped whole: its entities are never declared, so never
            // expanded.  Comments, processing instructions and the declaration
            // say nothing we need.
            Event::DocType(_) | Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if let Some(open) = stack.last() {
        return Err(not_xml(
            &format!("the file ends inside <{}>", open.name),
            reader.buffer_position(),
        ));
    }
    Ok(Parsed { roots, stray_text })
}

fn describe(e: &quick_xml::Error) -> String {
    use quick_xml::errors::{IllFormedError, SyntaxError};
    match e {
        quick_xml::Error::Syntax(SyntaxError::UnclosedTag) => "a tag is not closed".into(),
        quick_xml::Error::Syntax(SyntaxError::UnclosedComment) => "a comment is not closed".into(),
        quick_xml::Error::Syntax(SyntaxError::UnclosedCData) => {
            "a CDATA section is not closed".into()
        }
        quick_xml::Error::Syntax(SyntaxError::UnclosedDoctype) => {
            "the DOCTYPE is not closed".into()
        }
        quick_xml::Error::IllFormed(IllFormedError::MismatchedEndTag { expected, found }) => {
            format!("</{found}> closes <{expected}>")
        }
        quick_xml::Error::IllFormed(IllFormedError::UnmatchedEndTag(name)) => {
            format!("</{name}> has no opening tag")
        }
        other => other.to_string(),
    }
}

fn node_from(start: &BytesStart<'_>) -> Node {
    let name = String::from_utf8_lossy(start.local_name().as_ref()).to_ascii_lowercase();
    let attrs = start
        .attributes()
        .with_checks(false)
        .filter_map(Result::ok)
        .map(|a| {
            let key = String::from_utf8_lossy(a.key.local_name().as_ref()).to_ascii_lowercase();
            let raw = String::from_utf8_lossy(&a.value);
            (key, unescape_lenient(&raw).into_owned())
        })
        .collect();
    Node {
        name,
        attrs,
        ..Node::default()
    }
}

/// Resolves the five predefined XML entities and numeric character references.
/// Any other `&name;` (declared in a DTD or not) is kept as written.
pub(super) fn unescape_lenient(raw: &str) -> Cow<'_, str> {
    if !raw.contains('&') {
        return Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let resolved = after
            .find(';')
            .filter(|&j| j <= 32)
            .and_then(|j| resolve_entity(&after[..j]).map(|c| (c, j)));
        match resolved {
            Some((c, j)) => {
                out.push(c);
                rest = &after[j + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

fn resolve_entity(name: &str) -> Option<char> {
    match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => {
            let num = name.strip_prefix('#')?;
            let code = match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => num.parse().ok()?,
            };
            char::from_u32(code).filter(|&c| c != '\0')
        }
    }
}

// ---------------------------------------------------------------------------
// Picking the fields out.

fn interpret(root: &Node) -> Metadata {
    let kind = root.name.as_str();
    let mut m = Metadata::default();
    let mut outline = None;
    let mut bare_ids: Vec<String> = Vec::new();
    let mut ids: BTreeMap<String, String> = BTreeMap::new();

    for child in &root.children {
        let value = child.value();
        match child.name.as_str() {
            "title" => set_once(&mut m.title, value),
            "originaltitle" => set_once(&mut m.original_title, value),
            "sorttitle" => set_once(&mut m.sort_title, value),
            "plot" => set_once(&mut m.synopsis, value),
            "outline" => set_once(&mut outline, value),
            "tagline" => set_once(&mut m.tagline, value),
            "year" => fill(&mut m.year, || value.as_deref().and_then(parse_year)),
            "premiered" | "aired" | "releasedate" | "release_date" | "firstaired" => {
                fill(&mut m.air_date, || {
                    value.as_deref().and_then(normalize_date)
                })
            }
            "runtime" => fill(&mut m.runtime_minutes, || {
                value.as_deref().and_then(parse_runtime)
            }),
            "mpaa" | "certification" | "contentrating" => fill(&mut m.content_rating, || {
                value.as_deref().and_then(normalize_rating)
            }),
            "genre" => push_split(&mut m.genres, &child.text),
            "tag" => push_unique(&mut m.tags, &child.text),
            "studio" | "network" => push_split(&mut m.studios, &child.text),
            "director" => add_people(&mut m.people, child, Role::Director),
            "credits" | "writer" => add_people(&mut m.people, child, Role::Writer),
            "producer" => add_people(&mut m.people, child, Role::Producer),
            "creator" => add_people(&mut m.people, child, Role::Creator),
            "composer" => add_people(&mut m.people, child, Role::Composer),
            "actor" => add_actor(&mut m.people, child),
            // Marquee's additions for a video's own NFO: chapters and skip markers.
            "chapter" => {
                let start = child
                    .child_text("start")
                    .or_else(|| child.attr("start").map(str::to_string));
                if let Some(start_ms) = start.as_deref().and_then(super::parse_timestamp) {
                    m.chapters.push(super::ChapterMark {
                        start_ms,
                        title: child
                            .child_text("title")
                            .or_else(|| child.children.is_empty().then(|| child.value()).flatten()),
                    });
                }
            }
            "intro" => {
                let at = |name| {
                    child
                        .child_text(name)
                        .as_deref()
                        .and_then(super::parse_timestamp)
                };
                if let (Some(start_ms), Some(end_ms)) = (at("start"), at("end")) {
                    if end_ms > start_ms {
                        m.intro = Some(super::IntroMark { start_ms, end_ms });
                    }
                }
            }
            "creditsstart" => fill(&mut m.credits_start_ms, || {
                value.as_deref().and_then(super::parse_timestamp)
            }),
            "thumb" => {
                // Season art listed in tvshow.nfo belongs to the seasons.
                if kind != "season" && child.attr("type") == Some("season") {
                    continue;
                }
                let default = if kind == "episodedetails" {
                    ArtworkKind::Thumb
                } else {
                    ArtworkKind::Poster
                };
                let art_kind = child
                    .attr("aspect")
                    .and_then(ArtworkKind::parse)
                    .unwrap_or(default);
                add_art(&mut m.artwork, art_kind, child);
            }
            "fanart" => {
                for thumb in child.children.iter().filter(|c| c.name == "thumb") {
                    add_art(&mut m.artwork, ArtworkKind::Backdrop, thumb);
                }
                if child.children.is_empty() {
                    add_art(&mut m.artwork, ArtworkKind::Backdrop, child);
                }
            }
            "uniqueid" => {
                let Some(v) = value else { continue };
                let key = child
                    .attr("type")
                    .and_then(normalize_id_key)
                    .filter(|k| k != "unknown")
                    .or_else(|| v.starts_with("tt").then(|| "imdb".to_string()));
                match key {
                    Some(k) => {
                        ids.entry(k).or_insert(v);
                    }
                    None => bare_ids.push(v),
                }
            }
            "imdbid" | "imdb_id" | "imdb" => {
                if let Some(v) = value {
                    ids.entry("imdb".into()).or_insert(v);
                }
            }
            "tmdbid" | "tmdb_id" | "tmdb" => {
                if let Some(v) = value {
                    ids.entry("tmdb".into()).or_insert(v);
                }
            }
            "tvdbid" | "tvdb_id" | "tvdb" => {
                if let Some(v) = value {
                    ids.entry("tvdb".into()).or_insert(v);
                }
            }
            "id" => bare_ids.extend(value),
            "season" | "seasonnumber" => {
                fill(&mut m.season, || value.as_deref().and_then(parse_u32))
            }
            "episode" => fill(&mut m.episode, || value.as_deref().and_then(parse_u32)),
            _ => {}
        }
    }

    if m.synopsis.is_none() {
        m.synopsis = outline;
    }
    if m.year.is_none() {
        m.year = m.air_date.as_deref().and_then(year_of);
    }
    // <id> is a tt… IMDb id, or the scraper's own number: TVDB for shows and
    // episodes in Kodi's defaults, TMDB for movies.
    for v in bare_ids {
        let key = if v.starts_with("tt") {
            "imdb"
        } else if !v.chars().all(|c| c.is_ascii_digit()) {
            continue;
        } else if kind == "movie" {
            "tmdb"
        } else {
            "tvdb"
        };
        ids.entry(key.to_string()).or_insert(v);
    }
    m.external_ids = ids;
    m
}

fn fill<T>(slot: &mut Option<T>, value: impl FnOnce() -> Option<T>) {
    if slot.is_none() {
        *slot = value();
    }
}

fn set_once(slot: &mut Option<String>, value: Option<String>) {
    if slot.is_none() {
        *slot = value;
    }
}

fn parse_year(s: &str) -> Option<i32> {
    let digits: String = s.trim().chars().take_while(char::is_ascii_digit).collect();
    let y: i32 = digits.parse().ok()?;
    (1800..=3000).contains(&y).then_some(y)
}

fn parse_u32(s: &str) -> Option<u32> {
    s.trim().parse().ok()
}

/// `<director>A / B</director>`, or `<producer><name>A</name></producer>`.
fn add_people(people: &mut Vec<PersonCredit>, node: &Node, role: Role) {
    if let Some(name) = node.child_text("name") {
        push_person(people, credit(name, role));
        return;
    }
    for name in super::split_list(&node.text) {
        push_person(people, credit(name.to_string(), role));
    }
}

fn credit(name: String, role: Role) -> PersonCredit {
    PersonCredit {
        name,
        role,
        character: None,
        order: None,
        photo: None,
        biography: None,
        birth_date: None,
    }
}

/// `<actor><name/><role/><order/><thumb/></actor>`; an Emby-style `<type>`
/// (GuestStar, Director, …) is honoured.
fn add_actor(people: &mut Vec<PersonCredit>, node: &Node) {
    let Some(name) = node.child_text("name") else {
        return;
    };
    let role = node
        .child_text("type")
        .map(|t| Role::parse(&t))
        .filter(|r| *r != Role::Other)
        .unwrap_or(Role::Cast);
    let order = node
        .child_text("order")
        .or_else(|| node.child_text("sortorder"))
        .and_then(|o| parse_u32(&o));
    push_person(
        people,
        PersonCredit {
            name,
            role,
            character: node.child_text("role"),
            order,
            photo: node.child_text("thumb"),
            biography: node.child_text("biography"),
            birth_date: node
                .child_text("birthdate")
                .or_else(|| node.child_text("birthday"))
                .and_then(|d| normalize_date(&d)),
        },
    );
}

fn push_person(people: &mut Vec<PersonCredit>, p: PersonCredit) {
    let dup = people
        .iter()
        .any(|q| q.role == p.role && q.name.eq_ignore_ascii_case(&p.name));
    if !dup {
        people.push(p);
    }
}

fn add_art(artwork: &mut Vec<ArtworkRef>, kind: ArtworkKind, node: &Node) {
    let path = node
        .value()
        .or_else(|| node.attr("preview").and_then(clean));
    if let Some(path) = path {
        if !artwork.iter().any(|a| a.kind == kind && a.path == path) {
            artwork.push(ArtworkRef { kind, path });
        }
    }
}

/// IMDb, TMDB and TVDB ids from links (or a bare `tt…` id) in free text.
pub(super) fn ids_from_text(text: &str) -> BTreeMap<String, String> {
    static PATTERNS: OnceLock<[Regex; 4]> = OnceLock::new();
    let [imdb, bare_imdb, tmdb, tvdb] = PATTERNS.get_or_init(|| {
        let re = |p: &str| Regex::new(p).expect("constant regex is valid");
        [
            re(r"(?i)imdb\.com/(?:[a-z]{2}/)?title/(tt\d{5,10})"),
            re(r"\b(tt\d{7,10})\b"),
            re(r"(?i)themoviedb\.org/(?:movie|tv)/(\d+)"),
            re(r"(?i)thetvdb\.com/(?:\S*?[?&](?:series)?id=(\d+)|(?:dereferrer/)?series/(\d+))"),
        ]
    });
    let mut ids = BTreeMap::new();
    let first = |re: &Regex| -> Option<String> {
        re.captures_iter(text).find_map(|c| {
            c.iter()
                .skip(1)
                .flatten()
                .next()
                .map(|g| g.as_str().to_string())
        })
    };
    if let Some(id) = first(imdb).or_else(|| first(bare_imdb)) {
        ids.insert("imdb".to_string(), id);
    }
    if let Some(id) = first(tmdb) {
        ids.insert("tmdb".to_string(), id);
    }
    if let Some(id) = first(tvdb) {
        ids.insert("tvdb".to_string(), id);
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    const TVSHOW: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>
<!-- created on 2023-01-02 - Kodi -->
<tvshow>
    <title>The Wire</title>
    <originaltitle>The Wire</originaltitle>
    <showtitle>The Wire</showtitle>
    <sorttitle>Wire</sorttitle>
    <ratings>
        <rating name="imdb" max="10" default="true"><value>9.3</value><votes>300000</votes></rating>
    </ratings>
    <userrating>0</userrating>
    <outline></outline>
    <plot>Baltimore drug scene, seen through the eyes of drug dealers and law enforcement.</plot>
    <tagline></tagline>
    <runtime>60</runtime>
    <thumb spoof="" cache="" aspect="banner" preview="">https://artworks.thetvdb.com/banners/graphical/79126-g.jpg</thumb>
    <thumb spoof="" cache="" aspect="poster" preview="">https://artworks.thetvdb.com/banners/posters/79126-1.jpg</thumb>
    <thumb spoof="" cache="" season="1" type="season" aspect="poster">https://artworks.thetvdb.com/banners/seasons/79126-1.jpg</thumb>
    <thumb aspect="clearlogo">https://assets.fanart.tv/fanart/tv/79126/hdtvlogo/the-wire.png</thumb>
    <thumb aspect="landscape">https://assets.fanart.tv/fanart/tv/79126/tvthumb/the-wire.jpg</thumb>
    <fanart>
        <thumb colors="" preview="https://artworks.thetvdb.com/banners/_cache/fanart/original/79126-1.jpg">https://artworks.thetvdb.com/banners/fanart/original/79126-1.jpg</thumb>
        <thumb preview="https://example.org/preview-2.jpg"></thumb>
    </fanart>
    <mpaa>TV-MA</mpaa>
    <playcount>0</playcount>
    <id>79126</id>
    <uniqueid type="imdb">tt0306414</uniqueid>
    <uniqueid type="tmdb">1438</uniqueid>
    <uniqueid type="tvdb" default="true">79126</uniqueid>
    <genre>Crime</genre>
    <genre>Drama / Thriller</genre>
    <premiered>2002-06-02</premiered>
    <year>2002</year>
    <status>Ended</status>
    <studio>HBO</studio>
    <tag>baltimore</tag>
    <actor>
        <name>Dominic West</name>
        <role>Jimmy McNulty</role>
        <order>0</order>
        <thumb>https://image.tmdb.org/t/p/original/west.jpg</thumb>
    </actor>
    <actor>
        <name>Idris Elba</name>
        <role>Stringer Bell</role>
        <order>1</order>
    </actor>
    <namedseason number="1">The Target</namedseason>
    <episodeguide>{"tvdb": "79126"}</episodeguide>
</tvshow>
"#;

    #[test]
    fn tvshow_nfo() {
        let m = read_nfo(TVSHOW.as_bytes()).expect("parses");
        assert_eq!(m.title.as_deref(), Some("The Wire"));
        assert_eq!(m.sort_title.as_deref(), Some("Wire"));
        assert_eq!(m.original_title.as_deref(), Some("The Wire"));
        assert!(m
            .synopsis
            .as_deref()
            .is_some_and(|s| s.starts_with("Baltimore")));
        assert_eq!(m.tagline, None, "empty tags are unset");
        assert_eq!(m.year, Some(2002));
        assert_eq!(m.air_date.as_deref(), Some("2002-06-02"));
        assert_eq!(m.runtime_minutes, Some(60));
        assert_eq!(m.content_rating.as_deref(), Some("TV-MA"));
        assert_eq!(m.genres, ["Crime", "Drama", "Thriller"]);
        assert_eq!(m.tags, ["baltimore"]);
        assert_eq!(m.studios, ["HBO"]);
        assert_eq!(
            m.external_ids.get("imdb").map(String::as_str),
            Some("tt0306414")
        );
        assert_eq!(m.external_ids.get("tmdb").map(String::as_str), Some("1438"));
        assert_eq!(
            m.external_ids.get("tvdb").map(String::as_str),
            Some("79126")
        );
        assert_eq!(m.people.len(), 2);
        let west = &m.people[0];
        assert_eq!(west.name, "Dominic West");
        assert_eq!(west.role, Role::Cast);
        assert_eq!(west.character.as_deref(), Some("Jimmy McNulty"));
        assert_eq!(west.order, Some(0));
        assert!(west
            .photo
            .as_deref()
            .is_some_and(|p| p.ends_with("west.jpg")));
        assert_eq!(m.people[1].photo, None);
        let kinds: Vec<ArtworkKind> = m.artwork.iter().map(|a| a.kind).collect();
        assert_eq!(
            kinds,
            [
                ArtworkKind::Banner,
                ArtworkKind::Poster,
                ArtworkKind::Logo,
                ArtworkKind::Thumb,
                ArtworkKind::Backdrop,
                ArtworkKind::Backdrop,
            ],
            "season art is skipped; a fanart thumb without text uses its preview"
        );
        assert_eq!(m.artwork[5].path, "https://example.org/preview-2.jpg");
        assert_eq!(m.season, None);
    }

    #[test]
    fn season_nfo() {
        let nfo = r#"<?xml version="1.0" encoding="UTF-8"?>
<season>
    <title>Season 2</title>
    <plot>The ports.</plot>
    <seasonnumber>2</seasonnumber>
    <premiered>2003-06-01</premiered>
    <thumb aspect="poster">season02-poster.jpg</thumb>
</season>"#;
        let m = read_nfo(nfo.as_bytes()).expect("parses");
        assert_eq!(m.title.as_deref(), Some("Season 2"));
        assert_eq!(m.season, Some(2));
        assert_eq!(m.year, Some(2003), "year from premiered");
        assert_eq!(m.synopsis.as_deref(), Some("The ports."));
        assert_eq!(m.artwork[0].kind, ArtworkKind::Poster);
    }

    #[test]
    fn episode_nfo() {
        let nfo = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>
<episodedetails>
    <title>The Target</title>
    <showtitle>The Wire</showtitle>
    <season>1</season>
    <episode>1</episode>
    <displayseason>-1</displayseason>
    <plot>Baltimore Det. Jimmy McNulty finds himself in hot water &amp; &lt;more&gt; &#8212; &#x2014;.</plot>
    <runtime>62 min</runtime>
    <thumb>https://artworks.thetvdb.com/banners/episodes/79126/4.jpg</thumb>
    <uniqueid type="tvdb" default="true">4</uniqueid>
    <id>tt0749451</id>
    <credits>David Simon / Ed Burns</credits>
    <director>Clark Johnson</director>
    <aired>2002-06-02</aired>
    <actor><name>Dominic West</name><role>McNulty</role><order>0</order></actor>
    <actor><name>Guest Person</name><role>Witness</role><type>GuestStar</type></actor>
    <fileinfo><streamdetails><video><codec>h264</codec></video></streamdetails></fileinfo>
</episodedetails>"#;
        let m = read_nfo(nfo.as_bytes()).expect("parses");
        assert_eq!(m.title.as_deref(), Some("The Target"));
        assert_eq!((m.season, m.episode), (Some(1), Some(1)));
        assert_eq!(
            m.synopsis.as_deref(),
            Some("Baltimore Det. Jimmy McNulty finds himself in hot water & <more> \u{2014} \u{2014}.")
        );
        assert_eq!(m.runtime_minutes, Some(62));
        assert_eq!(m.air_date.as_deref(), Some("2002-06-02"));
        assert_eq!(m.year, Some(2002));
        assert_eq!(m.artwork.len(), 1);
        assert_eq!(
            m.artwork[0].kind,
            ArtworkKind::Thumb,
            "an episode's thumb is a still"
        );
        assert_eq!(m.external_ids.get("tvdb").map(String::as_str), Some("4"));
        assert_eq!(
            m.external_ids.get("imdb").map(String::as_str),
            Some("tt0749451")
        );
        let roles: Vec<(&str, Role)> = m.people.iter().map(|p| (p.name.as_str(), p.role)).collect();
        assert_eq!(
            roles,
            [
                ("David Simon", Role::Writer),
                ("Ed Burns", Role::Writer),
                ("Clark Johnson", Role::Director),
                ("Dominic West", Role::Cast),
                ("Guest Person", Role::Cast),
            ]
        );
    }

    #[test]
    fn movie_nfo() {
        let nfo = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>
<movie>
    <title>Heat</title>
    <originaltitle>Heat</originaltitle>
    <sorttitle>Heat</sorttitle>
    <set><name>None</name></set>
    <year>1995</year>
    <outline>A group of professional bank robbers...</outline>
    <plot></plot>
    <tagline>A Los Angeles Crime Saga</tagline>
    <runtime>170</runtime>
    <mpaa>Rated R</mpaa>
    <certification>US:R / GB:15</certification>
    <id>tt0113277</id>
    <uniqueid type="tmdb" default="true">949</uniqueid>
    <tmdbid>949</tmdbid>
    <genre>Action</genre><genre>Crime</genre><genre>action</genre>
    <country>United States of America</country>
    <studio>Warner Bros. Pictures</studio><studio>Regency Enterprises</studio>
    <director>Michael Mann</director>
    <credits>Michael Mann</credits>
    <premiered>1995-12-15</premiered>
    <thumb aspect="poster" preview="https://image.tmdb.org/t/p/w500/p.jpg">https://image.tmdb.org/t/p/original/p.jpg</thumb>
    <thumb aspect="logo">logo.png</thumb>
    <fanart><thumb>https://image.tmdb.org/t/p/original/f.jpg</thumb></fanart>
    <actor><name>Al Pacino</name><role>Lt. Vincent Hanna</role><order>0</order></actor>
    <actor><name>Robert De Niro</name><role>Neil McCauley</role><order>1</order></actor>
    <producer><name>Art Linson</name></producer>
</movie>
https://www.imdb.com/title/tt0113277/
"#;
        let m = read_nfo(nfo.as_bytes()).expect("parses");
        assert_eq!(m.title.as_deref(), Some("Heat"));
        assert_eq!(
            m.synopsis.as_deref(),
            Some("A group of professional bank robbers..."),
            "outline when plot is empty"
        );
        assert_eq!(m.content_rating.as_deref(), Some("R"));
        assert_eq!(
            m.genres,
            ["Action", "Crime"],
            "duplicates dropped in any case"
        );
        assert_eq!(m.studios, ["Warner Bros. Pictures", "Regency Enterprises"]);
        assert_eq!(
            m.external_ids.get("imdb").map(String::as_str),
            Some("tt0113277")
        );
        assert_eq!(m.external_ids.get("tmdb").map(String::as_str), Some("949"));
        assert_eq!(m.external_ids.get("tvdb"), None);
        assert_eq!(m.people_with(Role::Director).count(), 1);
        assert_eq!(m.people_with(Role::Writer).count(), 1);
        assert_eq!(
            m.people_with(Role::Producer)
                .next()
                .map(|p| p.name.as_str()),
            Some("Art Linson")
        );
        assert_eq!(m.people_with(Role::Cast).count(), 2);
        assert_eq!(
            m.artwork[0],
            ArtworkRef {
                kind: ArtworkKind::Poster,
                path: "https://image.tmdb.org/t/p/original/p.jpg".into()
            }
        );
        assert_eq!(m.artwork[1].kind, ArtworkKind::Logo);
        assert_eq!(m.artwork[2].kind, ArtworkKind::Backdrop);
    }

    #[test]
    fn movie_id_without_prefix_is_tmdb_and_show_id_is_tvdb() {
        let m = read_nfo(b"<movie><id>949</id></movie>").expect("parses");
        assert_eq!(m.external_ids.get("tmdb").map(String::as_str), Some("949"));
        let m = read_nfo(b"<tvshow><id>79126</id></tvshow>").expect("parses");
        assert_eq!(
            m.external_ids.get("tvdb").map(String::as_str),
            Some("79126")
        );
    }

    #[test]
    fn multi_episode_nfo_takes_the_first() {
        let nfo = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>
<episodedetails><title>Pilot (1)</title><season>1</season><episode>1</episode></episodedetails>
<episodedetails><title>Pilot (2)</title><season>1</season><episode>2</episode></episodedetails>
";
        let m = read_nfo(nfo.as_bytes()).expect("parses");
        assert_eq!(m.title.as_deref(), Some("Pilot (1)"));
        assert_eq!(m.episode, Some(1));
        let all = read_nfo_all(nfo.as_bytes()).expect("parses");
        assert_eq!(all.len(), 2);
        assert_eq!(all[1].episode, Some(2));
    }

    #[test]
    fn url_only_nfo_gives_ids() {
        let m = read_nfo(b"https://www.imdb.com/title/tt0113277/\n").expect("parses");
        assert_eq!(
            m.external_ids.get("imdb").map(String::as_str),
            Some("tt0113277")
        );
        assert_eq!(m.title, None);
        let m = read_nfo(b"https://www.themoviedb.org/movie/949-heat").expect("parses");
        assert_eq!(m.external_ids.get("tmdb").map(String::as_str), Some("949"));
        let m = read_nfo(b"http://thetvdb.com/?tab=series&id=79126").expect("parses");
        assert_eq!(
            m.external_ids.get("tvdb").map(String::as_str),
            Some("79126")
        );
        // A release's ASCII-art info file with a link in it.
        let scene =
            "  ____  \n |  _ \\ RELEASE\n\n IMDb ....: http://www.imdb.com/title/tt0113277\n";
        let m = read_nfo(scene.as_bytes()).expect("parses");
        assert_eq!(
            m.external_ids.get("imdb").map(String::as_str),
            Some("tt0113277")
        );
    }

    #[test]
    fn text_that_is_not_xml_is_an_error_with_position() {
        let err = read_nfo(b"\n\n  just some notes about this film").unwrap_err();
        match &err {
            SidecarError::NotXml { position, .. } => assert_eq!(*position, 4),
            other => panic!("expected NotXml, got {other:?}"),
        }
        let msg = err.in_file("tvshow.nfo").to_string();
        assert!(msg.starts_with("tvshow.nfo is not XML: "), "{msg}");
        assert!(msg.ends_with("at byte 4"), "{msg}");
        assert!(matches!(read_nfo(b"   "), Err(SidecarError::NotXml { .. })));
    }

    #[test]
    fn malformed_xml_is_an_error_with_position() {
        let cases: [&[u8]; 5] = [
            b"<tvshow><title>The Wire</tvshow>",
            b"<tvshow><title>The Wire</title>",
            b"<movie><title>Heat</title></movie></extra>",
            b"<movie><title>Heat</title></movie",
            b"<movie><title>Heat</title><!-- never closed </movie>",
        ];
        for case in cases {
            match read_nfo(case) {
                Err(SidecarError::NotXml {
                    message, position, ..
                }) => {
                    assert!(!message.is_empty());
                    assert!(position <= case.len() as u64, "{message} at {position}");
                }
                other => panic!("{:?} gave {other:?}", String::from_utf8_lossy(case)),
            }
        }
        let err = read_nfo(b"<tvshow>\n  <title>The Wire</tvshow>").unwrap_err();
        let msg = err.in_file("tvshow.nfo").to_string();
        assert!(msg.contains("</tvshow> closes <title>"), "{msg}");
    }

    #[test]
    fn xml_with_a_foreign_root_is_refused() {
        let err = read_nfo(b"<html><body>404</body></html>").unwrap_err();
        assert!(err.to_string().contains("found <html>"), "{err}");
    }

    #[test]
    fn billion_laughs_is_not_expanded() {
        let doc = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ELEMENT lolz (#PCDATA)>
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<movie><title>&lol9;</title><plot>a &lol9; b</plot></movie>"#;
        let m = read_nfo(doc.as_bytes()).expect("read, with the entity left alone");
        assert_eq!(m.title.as_deref(), Some("&lol9;"));
        assert_eq!(m.synopsis.as_deref(), Some("a &lol9; b"));
    }

    #[test]
    fn external_entities_are_not_resolved() {
        let doc = r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE movie [
  <!ENTITY xxe SYSTEM "file:///etc/passwd">
  <!ENTITY remote SYSTEM "http://127.0.0.1:1/evil.dtd">
  <!ENTITY % pe SYSTEM "file:///etc/hostname">
]>
<movie><title>&xxe;</title><plot>&remote;</plot><tagline>%pe;</tagline></movie>"#;
        let m = read_nfo(doc.as_bytes()).expect("read, with the entity left alone");
        assert_eq!(m.title.as_deref(), Some("&xxe;"));
        assert_eq!(m.synopsis.as_deref(), Some("&remote;"));
        assert_eq!(m.tagline.as_deref(), Some("%pe;"));
        let all = format!("{m:?}");
        assert!(!all.contains("root:"), "file content leaked: {all}");
    }

    #[test]
    fn huge_input_is_refused_before_parsing() {
        let mut doc = b"<movie><plot>".to_vec();
        doc.resize(super::super::MAX_SIDECAR_BYTES + 1, b'a');
        match read_nfo(&doc) {
            Err(SidecarError::TooLarge { size, limit, .. }) => {
                assert_eq!(size, limit + 1);
            }
            other => panic!("expected TooLarge, got {other:?}"),
        }
    }

    #[test]
    fn deep_nesting_is_refused() {
        let doc = format!(
            "<movie>{}{}</movie>",
            "<a>".repeat(10_000),
            "</a>".repeat(10_000)
        );
        assert!(matches!(
            read_nfo(doc.as_bytes()),
            Err(SidecarError::NotXml { .. })
        ));
    }

    #[test]
    fn bom_utf16_and_cdata() {
        let mut doc = b"\xEF\xBB\xBF".to_vec();
        doc.extend_from_slice("<movie><title><![CDATA[Amélie & <Co>]]></title></movie>".as_bytes());
        assert_eq!(
            read_nfo(&doc).expect("parses").title.as_deref(),
            Some("Amélie & <Co>")
        );

        let mut utf16 = vec![0xFF, 0xFE];
        for unit in "<movie><title>Léon</title></movie>".encode_utf16() {
            utf16.extend_from_slice(&unit.to_le_bytes());
        }
        assert_eq!(
            read_nfo(&utf16).expect("parses").title.as_deref(),
            Some("Léon")
        );

        // Invalid UTF-8 is replaced, not fatal.
        let m = read_nfo(b"<movie><title>Caf\xE9</title></movie>").expect("parses");
        assert_eq!(m.title.as_deref(), Some("Caf\u{FFFD}"));
    }

    #[test]
    fn every_prefix_and_byte_flip_is_handled_without_panic() {
        let doc = TVSHOW.as_bytes();
        for end in 0..doc.len() {
            let _ = read_nfo(&doc[..end]);
        }
        for i in (0..doc.len()).step_by(7) {
            let mut flipped = doc.to_vec();
            flipped[i] ^= 0x5A;
            let _ = read_nfo(&flipped);
        }
    }

    #[test]
    fn lenient_unescape() {
        assert_eq!(unescape_lenient("a &amp; b"), "a & b");
        assert_eq!(unescape_lenient("&#65;&#x42;&quot;&apos;"), "AB\"'");
        assert_eq!(
            unescape_lenient("AT&T &unknown; &#0; & ;"),
            "AT&T &unknown; &#0; & ;"
        );
        assert_eq!(unescape_lenient("&#xFFFFFFFF;"), "&#xFFFFFFFF;");
    }

    #[test]
    fn ids_in_text() {
        let ids = ids_from_text("see https://www.imdb.com/de/title/tt1234567/ and https://www.thetvdb.com/dereferrer/series/81189");
        assert_eq!(ids.get("imdb").map(String::as_str), Some("tt1234567"));
        assert_eq!(ids.get("tvdb").map(String::as_str), Some("81189"));
        assert!(ids_from_text("nothing here, not even tt12").is_empty());
    }

    #[test]
    fn chapters_and_skip_markers() {
        let nfo = r#"<episodedetails><title>T</title>
            <chapter><start>00:00:00</start><title>Cold open</title></chapter>
            <chapter start="1:30.5">Opening</chapter>
            <chapter><start>never</start></chapter>
            <intro><start>90.5</start><end>120</end></intro>
            <creditsstart>00:41:10</creditsstart>
            <credits>A Writer</credits></episodedetails>"#;
        let m = read_nfo(nfo.as_bytes()).unwrap();
        assert_eq!(m.chapters.len(), 2);
        assert_eq!(m.chapters[1].start_ms, 90_500);
        assert_eq!(m.chapters[1].title.as_deref(), Some("Opening"));
        assert_eq!(
            m.intro.map(|i| (i.start_ms, i.end_ms)),
            Some((90_500, 120_000))
        );
        assert_eq!(m.credits_start_ms, Some(2_470_000));
        assert_eq!(m.people.len(), 1, "<credits> stays the writer");
    }
}
