//! The documents of the index, made from the store's [`SearchSource`]: what each field holds,
//! what a hit shows, and a digest that tells whether a document changed since it was indexed.

use marquee_store::{SearchSource, SearchableItem, SearchablePerson, SearchableReview};
use serde::{Deserialize, Serialize};

/// What a hit is. The discriminant is stored in the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Series = 0,
    Movie = 1,
    Episode = 2,
    Person = 3,
    Review = 4,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::Series,
        Kind::Movie,
        Kind::Episode,
        Kind::Person,
        Kind::Review,
    ];

    pub fn code(self) -> u64 {
        self as u64
    }

    pub fn from_code(code: u64) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.code() == code)
    }
}

/// One search result, as the API returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Hit {
    pub kind: Kind,
    /// The item, person or review id.
    pub id: i64,
    /// The title, the person's name, or for a review the reviewed title.
    pub title: String,
    /// A second line: an episode's series and number, a review's author and publication, a
    /// title's original title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subtitle: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
    /// Poster, episode still or photo URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Episodes, and reviews of a season or episode: the series.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series_id: Option<i64>,
    /// Reviews: the reviewed item and its kind ("series", "season", "episode", "movie").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_kind: Option<String>,
    /// Reviews: the start of the text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excerpt: Option<String>,
    /// Relevance (higher is better); comparable within one answer only.
    #[serde(default)]
    pub score: f32,
}

/// One document of the index.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndexDoc {
    pub title: String,
    pub original_title: String,
    pub names: String,
    pub body: String,
    pub hit: Hit,
}

impl IndexDoc {
    /// The document's unique key in the index: kind and id in one number.
    pub fn uid(&self) -> u64 {
        uid(self.hit.kind, self.hit.id)
    }

    /// Changes whenever anything indexed or shown changes.
    pub fn digest(&self) -> u64 {
        let bytes = serde_json::to_vec(self).unwrap_or_default();
        xxhash_rust::xxh3::xxh3_64(&bytes)
    }
}

/// Kind and id in one number (ids stay far below 2^56).
pub fn uid(kind: Kind, id: i64) -> u64 {
    (kind.code() << 56) | (id as u64 & ((1 << 56) - 1))
}

/// All documents for a catalog.
pub fn documents(source: &SearchSource) -> Vec<IndexDoc> {
    let mut out =
        Vec::with_capacity(source.items.len() + source.people.len() + source.reviews.len());
    out.extend(source.items.iter().filter_map(item_doc));
    out.extend(source.people.iter().map(person_doc));
    out.extend(source.reviews.iter().map(review_doc));
    out
}

fn item_doc(i: &SearchableItem) -> Option<IndexDoc> {
    let kind = match i.kind.as_str() {
        "series" => Kind::Series,
        "movie" => Kind::Movie,
        "episode" => Kind::Episode,
        _ => return None,
    };
    let original = i
        .original_title
        .clone()
        .filter(|o| !o.trim().eq_ignore_ascii_case(i.title.trim()));
    let subtitle = match kind {
        Kind::Episode => Some(episode_line(i)),
        _ => original.clone(),
    };
    Some(IndexDoc {
        title: i.title.clone(),
        original_title: original.unwrap_or_default(),
        names: i.people.join("\n"),
        body: i.synopsis.clone().unwrap_or_default(),
        hit: Hit {
            kind,
            id: i.id,
            title: i.title.clone(),
            subtitle,
            year: i.year,
            image: i.image.clone(),
            series_id: i.series_id,
            item_id: None,
            item_kind: None,
            excerpt: None,
            score: 0.0,
        },
    })
}

/// "The Defiant Ones · S1E2".
fn episode_line(i: &SearchableItem) -> String {
    let number = match (i.season_number, i.episode_number) {
        (Some(s), Some(e)) => Some(format!("S{s}E{e}")),
        (None, Some(e)) => Some(format!("E{e}")),
        _ => None,
    };
    [i.series_title.clone(), number]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" · ")
}

fn person_doc(p: &SearchablePerson) -> IndexDoc {
    IndexDoc {
        title: p.name.clone(),
        original_title: String::new(),
        names: String::new(),
        body: String::new(),
        hit: Hit {
            kind: Kind::Person,
            id: p.id,
            title: p.name.clone(),
            subtitle: Some(format!(
                "{} credit{}",
                p.credit_count,
                if p.credit_count == 1 { "" } else { "s" }
            )),
            year: None,
            image: p.photo.clone(),
            series_id: None,
            item_id: None,
            item_kind: None,
            excerpt: None,
            score: 0.0,
        },
    }
}

fn review_doc(r: &SearchableReview) -> IndexDoc {
    let byline = [Some(r.author.clone()), r.publication.clone()]
        .into_iter()
        .flatten()
        .filter(|s| !s.trim().is_empty())
        .collect::<Vec<_>>();
    IndexDoc {
        // A review is found by its text, author and publication, not by the reviewed title
        // (the title itself is found under its own kind).
        title: String::new(),
        original_title: String::new(),
        names: byline.join("\n"),
        body: r.body_markdown.clone(),
        hit: Hit {
            kind: Kind::Review,
            id: r.id,
            title: r.item_title.clone(),
            subtitle: Some(byline.join(", ")),
            year: None,
            image: None,
            series_id: r.series_id,
            item_id: Some(r.item_id),
            item_kind: Some(r.item_kind.clone()),
            excerpt: Some(excerpt(&r.body_markdown, 160)),
            score: 0.0,
        },
    }
}

/// The first `max` characters of Markdown as plain text, cut at a word.
pub fn excerpt(markdown: &str, max: usize) -> String {
    let plain: String = markdown
        .chars()
        .filter(|c| !matches!(c, '*' | '_' | '#' | '>' | '`' | '[' | ']'))
        .collect();
    let words: Vec<&str> = plain.split_whitespace().collect();
    let mut out = String::new();
    for w in words {
        if out.chars().count() + w.chars().count() + 1 > max {
            out.push('…');
            return out;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn episode() -> SearchableItem {
        SearchableItem {
            id: 7,
            kind: "episode".into(),
            title: "Part Two".into(),
            original_title: None,
            synopsis: Some("Iovine moves to the producer's chair.".into()),
            year: Some(2017),
            series_id: Some(3),
            series_title: Some("The Defiant Ones".into()),
            season_number: Some(1),
            episode_number: Some(2),
            image: None,
            people: vec![],
        }
    }

    #[test]
    fn documents_carry_what_is_searched_and_what_is_shown() {
        let source = SearchSource {
            items: vec![episode()],
            people: vec![SearchablePerson {
                id: 9,
                name: "Jimmy Iovine".into(),
                photo: None,
                credit_count: 1,
            }],
            reviews: vec![SearchableReview {
                id: 4,
                item_id: 3,
                item_kind: "series".into(),
                item_title: "The Defiant Ones".into(),
                series_id: None,
                author: "A. Critic".into(),
                publication: Some("The Daily".into()),
                body_markdown: "**Gripping** from the first [minute](https://x.example).".into(),
            }],
        };
        let docs = documents(&source);
        assert_eq!(docs.len(), 3);
        assert_eq!(
            docs[0].hit.subtitle.as_deref(),
            Some("The Defiant Ones · S1E2")
        );
        assert_eq!(docs[0].body, "Iovine moves to the producer's chair.");
        assert_eq!(docs[1].hit.kind, Kind::Person);
        assert_eq!(docs[1].title, "Jimmy Iovine");
        assert_eq!(docs[2].names, "A. Critic\nThe Daily");
        assert_eq!(
            docs[2].hit.excerpt.as_deref(),
            Some("Gripping from the first minute(https://x.example).")
        );
        // Keys are unique across kinds; digests follow the content.
        assert_ne!(uid(Kind::Series, 3), uid(Kind::Review, 3));
        let mut changed = episode();
        changed.synopsis = Some("Something else.".into());
        assert_ne!(
            item_doc(&changed).unwrap().digest(),
            item_doc(&episode()).unwrap().digest()
        );
        assert_eq!(
            item_doc(&episode()).unwrap().digest(),
            item_doc(&episode()).unwrap().digest()
        );
    }

    #[test]
    fn excerpts_stop_at_a_word() {
        assert_eq!(excerpt("one two three", 9), "one two…");
        assert_eq!(excerpt("one two", 50), "one two");
        assert_eq!(Kind::from_code(Kind::Review.code()), Some(Kind::Review));
        assert_eq!(Kind::from_code(99), None);
    }
}
