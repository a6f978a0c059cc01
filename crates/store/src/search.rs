//! What the search index is built from, and which search hits a viewer may see.
//!
//! The search engine (`marquee-search`) keeps its own index; the store only hands it the
//! searchable text of the catalog and answers visibility for candidate hits with the same
//! [`push_access`](crate::profiles::push_access) rules as every listing, so that the rules live
//! in one place.

use std::collections::{HashMap, HashSet};

use sqlx::{QueryBuilder, Row, Sqlite};

use crate::catalog::{artwork_url, public_photo, AVAILABLE};
use crate::{Access, Result, Store};

/// A series, movie or episode as the search index sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchableItem {
    pub id: i64,
    /// "series", "movie" or "episode".
    pub kind: String,
    pub title: String,
    pub original_title: Option<String>,
    pub synopsis: Option<String>,
    pub year: Option<i32>,
    /// Episodes: their series.
    pub series_id: Option<i64>,
    pub series_title: Option<String>,
    pub season_number: Option<i64>,
    pub episode_number: Option<i64>,
    /// Poster (series, movie) or still (episode) URL.
    pub image: Option<String>,
    /// Names of the people credited (series and movies).
    pub people: Vec<String>,
}

/// A credited person.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchablePerson {
    pub id: i64,
    pub name: String,
    pub photo: Option<String>,
    pub credit_count: i64,
}

/// An editorial review and the item it is about.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchableReview {
    pub id: i64,
    pub item_id: i64,
    pub item_kind: String,
    pub item_title: String,
    /// The series of a reviewed season or episode.
    pub series_id: Option<i64>,
    pub author: String,
    pub publication: Option<String>,
    pub body_markdown: String,
}

/// Everything the search index holds.
#[derive(Debug, Clone, Default)]
pub struct SearchSource {
    pub items: Vec<SearchableItem>,
    pub people: Vec<SearchablePerson>,
    pub reviews: Vec<SearchableReview>,
}

impl Store {
    /// The searchable catalog: available series, movies and episodes, credited people and
    /// reviews. Read in three queries; the search index diffs it against what it holds.
    pub async fn search_source(&self) -> Result<SearchSource> {
        let mut people_of: HashMap<i64, Vec<String>> = HashMap::new();
        for r in sqlx::query(
            "SELECT c.item_id, p.name FROM credits c JOIN people p ON p.id = c.person_id
             JOIN items i ON i.id = c.item_id WHERE i.kind IN ('series', 'movie')
             ORDER BY c.item_id, c.ord, p.name",
        )
        .fetch_all(&self.reader)
        .await?
        {
            people_of
                .entry(r.try_get(0)?)
                .or_default()
                .push(r.try_get(1)?);
        }
        let sql = format!(
            "SELECT i.id, i.kind, i.title, i.original_title, i.synopsis, COALESCE(i.year, s.year),
                    i.series_id, s.title, i.season_number, i.episode_number,
                    EXISTS (SELECT 1 FROM artwork a WHERE a.item_id = i.id
                            AND a.kind = CASE i.kind WHEN 'episode' THEN 'thumb' ELSE 'poster' END)
             FROM items i LEFT JOIN items s ON s.id = i.series_id
             WHERE i.kind IN ('series', 'movie', 'episode') AND {AVAILABLE}"
        );
        let items = sqlx::query(&sql)
            .fetch_all(&self.reader)
            .await?
            .iter()
            .map(|r| {
                let id: i64 = r.try_get(0)?;
                let kind: String = r.try_get(1)?;
                let has_image: bool = r.try_get(10)?;
                let image = has_image
                    .then(|| artwork_url(id, if kind == "episode" { "thumb" } else { "poster" }));
                Ok(SearchableItem {
                    id,
                    title: r.try_get(2)?,
                    original_title: r.try_get(3)?,
                    synopsis: r.try_get(4)?,
                    year: r.try_get(5)?,
                    series_id: r.try_get(6)?,
                    series_title: r.try_get(7)?,
                    season_number: r.try_get(8)?,
                    episode_number: r.try_get(9)?,
                    image,
                    people: people_of.remove(&id).unwrap_or_default(),
                    kind,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let people = sqlx::query(
            "SELECT p.id, p.name, p.photo, COUNT(*) FROM people p JOIN credits c ON c.person_id = p.id
             GROUP BY p.id",
        )
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(|r| {
            Ok(SearchablePerson {
                id: r.try_get(0)?,
                name: r.try_get(1)?,
                photo: public_photo(r.try_get(0)?, r.try_get(2)?),
                credit_count: r.try_get(3)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        let reviews = sqlx::query(
            "SELECT r.id, r.item_id, i.kind, i.title, i.series_id, r.author, r.publication, r.body_markdown
             FROM reviews r JOIN items i ON i.id = r.item_id",
        )
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(|r| {
            Ok(SearchableReview {
                id: r.try_get(0)?,
                item_id: r.try_get(1)?,
                item_kind: r.try_get(2)?,
                item_title: r.try_get(3)?,
                series_id: r.try_get(4)?,
                author: r.try_get(5)?,
                publication: r.try_get(6)?,
                body_markdown: r.try_get(7)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        Ok(SearchSource {
            items,
            people,
            reviews,
        })
    }

    /// Which of the people `ids` have a credit on something `access` may see (a person known
    /// only from titles hidden from a kids profile is hidden too).
    pub async fn people_with_visible_credits(
        &self,
        ids: &[i64],
        access: &Access,
    ) -> Result<HashSet<i64>> {
        if ids.is_empty() {
            return Ok(HashSet::new());
        }
        let mut q = QueryBuilder::<Sqlite>::new(
            "SELECT DISTINCT c.person_id FROM credits c JOIN items i ON i.id = c.item_id WHERE c.person_id IN (",
        );
        let mut list = q.separated(", ");
        for id in ids {
            list.push_bind(*id);
        }
        q.push(")");
        crate::profiles::push_access(&mut q, "i", access);
        q.build()
            .fetch_all(&self.reader)
            .await?
            .iter()
            .map(|r| Ok(r.try_get(0)?))
            .collect()
    }
}
