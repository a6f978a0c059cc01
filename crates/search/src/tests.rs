//! The engine against small hand-made catalogs.

use super::*;
use marquee_store::{SearchSource, SearchableItem, SearchablePerson, SearchableReview};

fn item(id: i64, kind: &str, title: &str, synopsis: &str) -> SearchableItem {
    SearchableItem {
        id,
        kind: kind.into(),
        title: title.into(),
        original_title: None,
        synopsis: Some(synopsis.into()),
        year: Some(2020),
        series_id: None,
        series_title: None,
        season_number: None,
        episode_number: None,
        image: None,
        people: vec![],
    }
}

fn person(id: i64, name: &str) -> SearchablePerson {
    SearchablePerson {
        id,
        name: name.into(),
        photo: None,
        credit_count: 1,
    }
}

fn catalog() -> SearchSource {
    let mut tide = item(
        4,
        "movie",
        "The Long Tide",
        "A lighthouse keeper and the sea.",
    );
    tide.people = vec!["Odile Brennan-Sato".into()];
    let mut episode = item(
        11,
        "episode",
        "Part Two",
        "Iovine moves to the producer's chair.",
    );
    episode.series_id = Some(10);
    SearchSource {
        items: vec![
            item(1, "movie", "Harbor Lights", "A night-shift cab driver."),
            item(2, "movie", "Harbour", "Boats in a small port."),
            item(3, "movie", "Harborside Stories", "Tales told on the docks."),
            item(
                5,
                "movie",
                "Quiet Water",
                "A story about harbor lights at night.",
            ),
            tide,
            item(10, "series", "The Defiant Ones", "Dre and Iovine."),
            episode,
            item(12, "movie", "Café Élan", "Crème brûlée."),
        ],
        people: vec![
            person(20, "Jimmy Iovine"),
            person(21, "Dr. Dre"),
            person(22, "Odile Brennan-Sato"),
        ],
        reviews: vec![SearchableReview {
            id: 30,
            item_id: 10,
            item_kind: "series".into(),
            item_title: "The Defiant Ones".into(),
            series_id: None,
            author: "Mara Quill".into(),
            publication: Some("The Evening Ledger".into()),
            body_markdown: "A *gripping* portrait of two producers.".into(),
        }],
    }
}

fn index() -> SearchIndex {
    let index = SearchIndex::in_memory().unwrap();
    index.update(&docs::documents(&catalog())).unwrap();
    index
}

fn ids(hits: &[Hit]) -> Vec<i64> {
    hits.iter().map(|h| h.id).collect()
}

#[test]
fn exact_beats_prefix_beats_typo() {
    let index = index();
    // "harbor" is exact for Harbor Lights, a prefix of Harborside, one edit from Harbour.
    let r = index.search("harbor", 10).unwrap();
    assert_eq!(ids(&r.movies)[..3], [1, 3, 2], "{:?}", r.movies);
    // Harbor Lights' title ranks above Quiet Water, whose synopsis has both words.
    let r = index.search("harbor lights", 10).unwrap();
    assert_eq!(ids(&r.movies), [1, 5]);
}

#[test]
fn titles_rank_above_synopses_and_people_credited() {
    let index = index();
    // Only The Long Tide's synopsis says "lighthouse".
    let r = index.search("lighthouse", 10).unwrap();
    assert_eq!(ids(&r.movies), [4]);
    let r = index.search("brennan", 10).unwrap();
    assert_eq!(ids(&r.people), [22]);
    assert_eq!(ids(&r.movies), [4], "a title found by who made it");
    assert!(r.people[0].score > r.movies[0].score);
}

#[test]
fn typos_are_forgiven_in_proportion_to_word_length() {
    let index = index();
    let r = index.search("jimy iovinne", 10).unwrap();
    assert_eq!(ids(&r.people), [20]);
    let r = index.search("prat tow", 10).unwrap();
    assert_eq!(ids(&r.episodes), [11], "transpositions count as one edit");
    // Two letters are matched exactly: "dx" is not a typo of "dr".
    assert!(index.search("dx", 10).unwrap().people.is_empty());
    assert_eq!(ids(&index.search("dr dre", 10).unwrap().people), [21]);
    // Three edits are too many.
    assert!(index.search("jmmiy", 10).unwrap().people.is_empty());
}

#[test]
fn the_word_being_typed_is_a_prefix() {
    let index = index();
    assert_eq!(ids(&index.search("defi", 10).unwrap().series), [10]);
    assert_eq!(
        ids(&index.search("the defiant o", 10).unwrap().series),
        [10]
    );
    // Once finished ("defi "), it must be a word of its own (or within an edit of one).
    assert!(index.search("defi ", 10).unwrap().series.is_empty());
    // One typed letter starts titles and names, never synopses.
    assert_eq!(ids(&index.search("q", 10).unwrap().movies), [5]);
}

#[test]
fn case_and_diacritics_do_not_matter() {
    let index = index();
    assert_eq!(ids(&index.search("CAFE ELAN", 10).unwrap().movies), [12]);
    assert_eq!(ids(&index.search("brénnan-sató", 10).unwrap().people), [22]);
    assert_eq!(ids(&index.search("creme brulee", 10).unwrap().movies), [12]);
    assert_eq!(index.fold("Straße Ærø"), ["strasse", "aero"]);
}

#[test]
fn reviews_are_found_by_text_author_and_publication() {
    let index = index();
    for q in ["gripping portrait", "mara quil", "evening ledger"] {
        let r = index.search(q, 10).unwrap();
        assert_eq!(ids(&r.reviews), [30], "{q}");
        assert_eq!(r.reviews[0].item_id, Some(10));
        assert_eq!(r.reviews[0].title, "The Defiant Ones");
    }
}

#[test]
fn groups_are_filled_per_kind() {
    let index = index();
    let r = index.search("iovine", 1).unwrap();
    assert_eq!(ids(&r.people), [20]);
    assert_eq!(ids(&r.series), [10]);
    assert_eq!(ids(&r.episodes), [11]);
    assert!(index.search("", 10).unwrap().is_empty());
    assert!(index.search("  ,. ", 10).unwrap().is_empty());
}

#[test]
fn updates_write_only_what_changed() {
    let index = SearchIndex::in_memory().unwrap();
    let mut source = catalog();
    let stats = index.update(&docs::documents(&source)).unwrap();
    assert_eq!((stats.written, stats.removed, stats.unchanged), (12, 0, 0));
    source.items[0].title = "Night Fare".into();
    source.people.pop();
    let stats = index.update(&docs::documents(&source)).unwrap();
    assert_eq!((stats.written, stats.removed, stats.unchanged), (1, 1, 10));
    assert_eq!(index.len(), 11);
    assert_eq!(ids(&index.search("fare", 10).unwrap().movies), [1]);
    assert!(index.search("odile", 10).unwrap().people.is_empty());
    assert_eq!(
        ids(&index.search("harbor lights", 10).unwrap().movies),
        [5],
        "the old title is gone"
    );
}

#[test]
fn an_index_on_disk_survives_a_restart_and_is_rebuilt_when_damaged() {
    let dir = tempfile::tempdir().unwrap();
    let docs = docs::documents(&catalog());
    {
        let index = SearchIndex::open(dir.path()).unwrap();
        assert_eq!(index.update(&docs).unwrap().written, 12);
    }
    let index = SearchIndex::open(dir.path()).unwrap();
    assert_eq!(index.len(), 12);
    assert_eq!(
        index.update(&docs).unwrap().written,
        0,
        "nothing to rewrite"
    );
    assert_eq!(
        ids(&index.search("harbor lights", 10).unwrap().movies),
        [1, 5]
    );
    drop(index);

    // A damaged index opens empty (and the next sync rebuilds it).
    let meta = dir.path().join(format!("v{SCHEMA_VERSION}/meta.json"));
    std::fs::write(&meta, b"{ not json").unwrap();
    let index = SearchIndex::open(dir.path()).unwrap();
    assert!(index.is_empty());
    assert_eq!(index.update(&docs).unwrap().written, 12);
    // An index of an older schema version is removed.
    std::fs::create_dir_all(dir.path().join("v0")).unwrap();
    drop(index);
    SearchIndex::open(dir.path()).unwrap();
    assert!(!dir.path().join("v0").exists());
}
