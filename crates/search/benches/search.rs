//! Search latency on a synthetic catalog of 50,000 items in a real SQLite store.
//!
//! `cargo bench -p marquee-search --bench search [-- ITEMS QUERIES]` builds the catalog
//! through the store's scan writes (1,000 series of 40 episodes and 9,000 movies by default,
//! with 12,000 credited people and 3,000 reviews), builds the index from it (full build, a
//! no-op sync and a small incremental one, each timed), then runs a query mix — whole titles,
//! words being typed, one- and two-letter typos, people, synopsis words, accents and capitals —
//! through `search_visible` as an adult and as a kids profile, printing p50, p99 and max.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use marquee_catalog::sidecar::{Metadata, PersonCredit, Review, Role};
use marquee_search::SearchIndex;
use marquee_store::{
    rating_level, Access, FileStat, Placement, ScannedFile, SeriesPlacement, Store,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const WORDS: &[&str] = &[
    "harbor",
    "lights",
    "midnight",
    "river",
    "garden",
    "silent",
    "empire",
    "shadow",
    "winter",
    "summer",
    "golden",
    "broken",
    "crimson",
    "distant",
    "echo",
    "falcon",
    "glass",
    "hollow",
    "iron",
    "jasmine",
    "kingdom",
    "lantern",
    "meadow",
    "northern",
    "ocean",
    "paper",
    "quiet",
    "raven",
    "saffron",
    "thunder",
    "umbrella",
    "velvet",
    "willow",
    "yellow",
    "zephyr",
    "amber",
    "bridge",
    "canyon",
    "desert",
    "ember",
    "forest",
    "granite",
    "horizon",
    "island",
    "journey",
    "kettle",
    "lagoon",
    "mirror",
    "nectar",
    "orchard",
    "prairie",
    "quartz",
    "rocket",
    "signal",
    "tunnel",
    "valley",
    "whisper",
    "anchor",
    "beacon",
    "compass",
    "dynasty",
    "eclipse",
    "frontier",
    "galaxy",
    "harvest",
    "inferno",
    "jungle",
    "legend",
    "machine",
    "nomad",
    "oracle",
    "phantom",
    "rebel",
    "sapphire",
    "tempest",
    "utopia",
    "voyage",
    "wander",
    "circus",
    "detective",
    "orbit",
    "station",
    "letters",
    "tide",
    "city",
    "night",
    "heart",
    "stone",
    "fire",
    "water",
    "king",
    "queen",
    "secret",
    "story",
    "house",
    "road",
    "dream",
    "storm",
    "star",
    "moon",
    "sun",
];
const FIRST: &[&str] = &[
    "Ada", "Bruno", "Céline", "Dmitri", "Elena", "Farid", "Greta", "Hiro", "Ingrid", "Jamal",
    "Kofi", "Lucía", "Marcus", "Nadia", "Oskar", "Priya", "Quentin", "Rosa", "Søren", "Tomás",
    "Uma", "Viktor", "Wen", "Ximena", "Yusuf", "Zoë", "Amélie", "Björn", "Chiara", "Darius",
];
const LAST: &[&str] = &[
    "Abernathy",
    "Brennan",
    "Castellanos",
    "Dubois",
    "Eriksen",
    "Fontaine",
    "Gallagher",
    "Hernández",
    "Iwasaki",
    "Jovanović",
    "Kowalski",
    "Lindqvist",
    "Moreau",
    "Nakamura",
    "Okafor",
    "Petrov",
    "Quintero",
    "Rossi",
    "Schäfer",
    "Tanaka",
    "Underwood",
    "Valdés",
    "Whitaker",
    "Xu",
    "Yilmaz",
    "Zielinski",
    "Achterberg",
    "Bellamy",
    "Carvalho",
    "Delacroix",
    "Esposito",
    "Fairweather",
    "Gonçalves",
    "Halvorsen",
    "Ivanova",
    "Jablonski",
    "Kristiansen",
    "Lefebvre",
    "Montgomery",
    "Novak",
];
const RATINGS: &[&str] = &["G", "PG", "PG-13", "R", "TV-Y", "TV-PG", "TV-14", "TV-MA"];

fn pick<'a>(rng: &mut StdRng, list: &[&'a str]) -> &'a str {
    list[rng.gen_range(0..list.len())]
}

fn title(rng: &mut StdRng, words: usize) -> String {
    (0..words)
        .map(|_| {
            let w = pick(rng, WORDS);
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn sentence(rng: &mut StdRng, words: usize) -> String {
    (0..words)
        .map(|_| pick(rng, WORDS))
        .collect::<Vec<_>>()
        .join(" ")
}

fn person_name(i: usize) -> String {
    // 30 × 40 × 10 distinct names.
    format!(
        "{} {} {}",
        FIRST[i % FIRST.len()],
        LAST[(i / FIRST.len()) % LAST.len()],
        ["", "Jr.", "II", "Sr.", "III", "IV", "V", "VI", "VII", "VIII"]
            [(i / (FIRST.len() * LAST.len())) % 10]
    )
    .trim()
    .to_string()
}

struct Catalog {
    titles: Vec<String>,
    episode_titles: Vec<String>,
    people: Vec<String>,
}

async fn build_store(store: &Store, root: &std::path::Path, items: usize) -> Catalog {
    let mut rng = StdRng::seed_from_u64(7);
    let library = store.ensure_library(root, "bench").await.unwrap();
    let episodes_per_series = 40;
    let series_count = items / 50; // 2% series of 40 episodes: 80% episodes, 18% movies
    let movie_count = items - series_count * (episodes_per_series + 1);
    let people_count = 12_000;
    let mut catalog = Catalog {
        titles: vec![],
        episode_titles: vec![],
        people: (0..people_count).map(person_name).collect(),
    };
    let credits = |rng: &mut StdRng| {
        (0..5)
            .map(|k| PersonCredit {
                name: person_name(rng.gen_range(0..people_count)),
                role: if k == 0 { Role::Director } else { Role::Cast },
                character: None,
                order: Some(k),
                photo: None,
                biography: None,
                birth_date: None,
            })
            .collect::<Vec<_>>()
    };
    let mut files = Vec::new();
    let mut n = 0u64;
    let file = |placement: Placement, n: &mut u64| {
        *n += 1;
        ScannedFile {
            existing_id: None,
            path: root.join(format!("f{n}.mp4")),
            stat: FileStat {
                size: *n,
                mtime_ns: 1,
                inode: *n,
            },
            fingerprint: format!("fp{n}"),
            sidecar_stamp: String::new(),
            probe: None,
            identity_json: "{}".into(),
            placement: Some(placement),
        }
    };
    for s in 0..series_count {
        let name = format!("{} {s}", title(&mut rng, 2));
        catalog.titles.push(name.clone());
        let series = SeriesPlacement {
            title: name.clone(),
            year: Some(1990 + (s % 35) as i32),
            meta: Metadata {
                synopsis: Some(sentence(&mut rng, 30)),
                content_rating: Some(pick(&mut rng, RATINGS).into()),
                people: credits(&mut rng),
                ..Metadata::default()
            },
            artwork: vec![],
        };
        for e in 0..episodes_per_series {
            let ep_title = title(&mut rng, 3);
            catalog.episode_titles.push(ep_title.clone());
            files.push(file(
                Placement::Episode {
                    series: series.clone(),
                    season: 1 + (e / 10) as u32,
                    season_meta: Metadata::default(),
                    season_artwork: vec![],
                    episodes: vec![1 + (e % 10) as u32],
                    meta: Metadata {
                        title: Some(ep_title),
                        synopsis: Some(sentence(&mut rng, 25)),
                        ..Metadata::default()
                    },
                    artwork: vec![],
                },
                &mut n,
            ));
        }
    }
    for m in 0..movie_count {
        let name = title(&mut rng, 1 + m % 3);
        catalog.titles.push(name.clone());
        let reviews = if m % 3 == 0 {
            vec![Review {
                author: person_name(rng.gen_range(0..people_count)),
                publication: Some(format!("The {} Review", title(&mut rng, 1))),
                date: None,
                score: Some(80.0),
                score_text: None,
                body_markdown: sentence(&mut rng, 60),
                url: None,
            }]
        } else {
            vec![]
        };
        files.push(file(
            Placement::Movie {
                key_title: format!("{name} {m}"),
                key_year: Some(1970 + (m % 55) as i32),
                meta: Metadata {
                    title: Some(name),
                    synopsis: Some(sentence(&mut rng, 40)),
                    content_rating: Some(pick(&mut rng, RATINGS).into()),
                    people: credits(&mut rng),
                    reviews,
                    ..Metadata::default()
                },
                artwork: vec![],
            },
            &mut n,
        ));
    }
    for batch in files.chunks(256) {
        store.apply_scanned(library, batch).await.unwrap();
    }
    catalog
}

/// A word with `edits` letters changed (a typo), when it is long enough to be forgiven.
fn typo(rng: &mut StdRng, word: &str, edits: usize) -> String {
    let mut chars: Vec<char> = word.to_lowercase().chars().collect();
    for _ in 0..edits {
        if chars.len() < 3 {
            break;
        }
        let i = rng.gen_range(1..chars.len());
        match rng.gen_range(0..3) {
            0 => chars.swap(i - 1, i),
            1 => {
                chars.remove(i);
            }
            _ => chars[i] = 'x',
        }
    }
    chars.into_iter().collect()
}

fn queries(rng: &mut StdRng, c: &Catalog, count: usize) -> Vec<String> {
    let pick_s = |rng: &mut StdRng, v: &[String]| v[rng.gen_range(0..v.len())].clone();
    (0..count)
        .map(|i| match i % 10 {
            // whole titles
            0 => pick_s(rng, &c.titles),
            1 => pick_s(rng, &c.episode_titles),
            // typing: a title cut in a word
            2 | 3 => {
                let t = pick_s(rng, &c.titles);
                let cut = rng.gen_range(1..=t.chars().count().min(12));
                t.chars().take(cut).collect()
            }
            // typos in titles and names
            4 => {
                let t = pick_s(rng, &c.titles);
                t.split(' ')
                    .map(|w| typo(rng, w, if w.len() >= 6 { 2 } else { 1 }))
                    .collect::<Vec<_>>()
                    .join(" ")
            }
            5 | 6 => {
                let p = pick_s(rng, &c.people);
                p.split(' ')
                    .map(|w| typo(rng, w, 1))
                    .collect::<Vec<_>>()
                    .join(" ")
            }
            // people being typed, capitals and no accents
            7 => {
                let p = pick_s(rng, &c.people).to_uppercase();
                let cut = rng.gen_range(3..=p.chars().count());
                p.chars().take(cut).collect()
            }
            // synopsis words
            8 => format!("{} {}", pick(rng, WORDS), pick(rng, WORDS)),
            _ => {
                let word = pick(rng, WORDS);
                typo(rng, word, 1)
            }
        })
        .collect()
}

fn percentiles(label: &str, mut times: Vec<Duration>) {
    times.sort();
    let at = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{label:<28} n={:<6} p50 {:>7.2} ms   p90 {:>7.2} ms   p99 {:>7.2} ms   max {:>7.2} ms",
        times.len(),
        ms(at(0.50)),
        ms(at(0.90)),
        ms(at(0.99)),
        ms(*times.last().unwrap())
    );
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let items: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(50_000);
    let query_count: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(5_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let dir = tempfile::tempdir().unwrap();
        let root: PathBuf = dir.path().join("media");
        let store = Store::open(&dir.path().join("marquee.db")).await.unwrap();
        let t = Instant::now();
        let catalog = build_store(&store, &root, items).await;
        println!(
            "catalog: {items} items, {} people in SQLite in {:.1} s",
            catalog.people.len(),
            t.elapsed().as_secs_f64()
        );

        let index = Arc::new(SearchIndex::open(&dir.path().join("search")).unwrap());
        let t = Instant::now();
        let stats = index.sync(&store).await.unwrap().unwrap();
        println!(
            "index: full build of {} documents in {:.2} s",
            stats.written,
            t.elapsed().as_secs_f64()
        );
        let t = Instant::now();
        let again = index.sync(&store).await.unwrap();
        println!(
            "index: sync with no catalog change: {:?} in {:.2} ms",
            again.map(|s| s.written),
            t.elapsed().as_secs_f64() * 1000.0
        );
        // A small change (one more batch) is found by digest and written alone.
        let library = store.ensure_library(&root, "bench").await.unwrap();
        let extra = ScannedFile {
            existing_id: None,
            path: root.join("extra.mp4"),
            stat: FileStat {
                size: 1,
                mtime_ns: 1,
                inode: u64::MAX,
            },
            fingerprint: "extra".into(),
            sidecar_stamp: String::new(),
            probe: None,
            identity_json: "{}".into(),
            placement: Some(Placement::Movie {
                key_title: "Zanzibar Nocturne".into(),
                key_year: Some(2024),
                meta: Metadata::default(),
                artwork: vec![],
            }),
        };
        store.apply_scanned(library, &[extra]).await.unwrap();
        let t = Instant::now();
        let stats = index.sync(&store).await.unwrap().unwrap();
        println!(
            "index: incremental sync after one new film: {} written, {} unchanged in {:.0} ms",
            stats.written,
            stats.unchanged,
            t.elapsed().as_secs_f64() * 1000.0
        );

        let mut rng = StdRng::seed_from_u64(11);
        let mix = queries(&mut rng, &catalog, query_count);
        let kids = Access {
            max_level: rating_level("TV-PG"),
            allow_unrated: false,
            ..Access::EVERYTHING
        };
        // Warm up (page cache, reader pool).
        for q in mix.iter().take(200) {
            index
                .search_visible(&store, q, 10, &Access::EVERYTHING)
                .await
                .unwrap();
        }
        let mut found = 0usize;
        for (label, access) in [
            ("search, adult", Access::EVERYTHING),
            ("search, kids profile", kids),
        ] {
            let mut times = Vec::with_capacity(mix.len());
            for q in &mix {
                let t = Instant::now();
                let r = index.search_visible(&store, q, 10, &access).await.unwrap();
                times.push(t.elapsed());
                found += usize::from(!r.is_empty());
            }
            percentiles(label, times);
        }
        let mut engine = Vec::with_capacity(mix.len());
        for q in &mix {
            let t = Instant::now();
            index.search(q, 30).unwrap();
            engine.push(t.elapsed());
        }
        percentiles("engine only (no SQL)", engine);
        println!("{} of {} queries found something", found, mix.len() * 2);
        store.close().await;
    });
}
