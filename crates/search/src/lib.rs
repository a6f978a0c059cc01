//! Catalog search: a tantivy index of series, movies, episodes, people and reviews.
//!
//! Words are folded (lower case, diacritics to ASCII) when indexed and when searched; each query
//! word must match somewhere, exactly, as the start of a word (the word being typed) or within a
//! few edits that grow with its length ([`plan`]). Results come grouped by kind, and only what
//! the viewer may see: candidates are filtered by the store with the same rules as listings.
//!
//! The index lives in `DATA/search/` and follows the store: whenever the store's generation has
//! moved (any catalog write), [`SearchIndex::sync`] reads the searchable catalog, compares each
//! document's digest with the one indexed, and rewrites only what was added, changed or
//! removed. A missing, unreadable or older-schema index is rebuilt from scratch.

pub mod docs;
pub mod plan;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use marquee_store::{Access, Store, StoreError};
use serde::Serialize;
use tantivy::collector::{FilterCollector, TopDocs};
use tantivy::query::{
    BooleanQuery, ConstScoreQuery, DisjunctionMaxQuery, FuzzyTermQuery, Occur, Query, TermQuery,
};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, FAST, INDEXED, STORED,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer,
};
use tantivy::{DocAddress, Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

pub use docs::{Hit, IndexDoc, Kind};
use plan::{Match, QueryWord};

/// Bump when the schema or the analyzer changes: an index of another version is rebuilt.
const SCHEMA_VERSION: u32 = 1;
const ANALYZER: &str = "marquee_folded";
/// The indexing arena of one writer thread (tantivy's minimum is 15 MB); used only while
/// writing, then freed.
const WRITER_MEMORY: usize = 20_000_000;
/// Hits per kind a search may return.
pub const MAX_LIMIT: usize = 50;

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("search index folder {path}: {source}")]
    Folder {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("search index: {0}")]
    Other(String),
}

pub type Result<T> = std::result::Result<T, SearchError>;

struct Fields {
    uid: Field,
    kind: Field,
    digest: Field,
    title: Field,
    original_title: Field,
    names: Field,
    body: Field,
    hit: Field,
}

impl Fields {
    fn of(&self, f: plan::Field) -> Field {
        match f {
            plan::Field::Title => self.title,
            plan::Field::OriginalTitle => self.original_title,
            plan::Field::Names => self.names,
            plan::Field::Body => self.body,
        }
    }
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(ANALYZER)
            .set_index_option(IndexRecordOption::WithFreqs),
    );
    let fields = Fields {
        uid: b.add_u64_field("uid", INDEXED | FAST),
        kind: b.add_u64_field("kind", FAST),
        digest: b.add_u64_field("digest", FAST),
        title: b.add_text_field("title", text.clone()),
        original_title: b.add_text_field("original_title", text.clone()),
        names: b.add_text_field("names", text.clone()),
        body: b.add_text_field("body", text),
        hit: b.add_text_field("hit", STORED),
    };
    (b.build(), fields)
}

/// Splits on anything but letters and digits, lower-cases and folds diacritics to ASCII
/// ("Brénnan" → "brennan", "Straße" → "strasse").
fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// What one update of the index did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UpdateStats {
    /// Documents written (new or changed).
    pub written: usize,
    pub removed: usize,
    pub unchanged: usize,
}

/// Search results grouped by kind, best first within each group.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SearchResults {
    pub series: Vec<Hit>,
    pub movies: Vec<Hit>,
    pub episodes: Vec<Hit>,
    pub people: Vec<Hit>,
    pub reviews: Vec<Hit>,
}

impl SearchResults {
    fn group_mut(&mut self, kind: Kind) -> &mut Vec<Hit> {
        match kind {
            Kind::Series => &mut self.series,
            Kind::Movie => &mut self.movies,
            Kind::Episode => &mut self.episodes,
            Kind::Person => &mut self.people,
            Kind::Review => &mut self.reviews,
        }
    }

    fn groups_mut(&mut self) -> [&mut Vec<Hit>; 5] {
        [
            &mut self.series,
            &mut self.movies,
            &mut self.episodes,
            &mut self.people,
            &mut self.reviews,
        ]
    }

    pub fn len(&self) -> usize {
        self.series.len()
            + self.movies.len()
            + self.episodes.len()
            + self.people.len()
            + self.reviews.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The search index. Searches run concurrently; updates are serialised.
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    analyzer: TextAnalyzer,
    /// Digest of every indexed document by uid; the lock also serialises writers.
    digests: Mutex<HashMap<u64, u64>>,
    /// The store generation the index reflects, plus one (0: never synced).
    synced: AtomicU64,
}

impl SearchIndex {
    /// Opens the index under `dir` (`DATA/search`), or builds an empty one when it is missing,
    /// unreadable or of an older schema; [`sync`](Self::sync) then fills it.
    pub fn open(dir: &Path) -> Result<SearchIndex> {
        let path = dir.join(format!("v{SCHEMA_VERSION}"));
        let folder = |source| SearchError::Folder {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(&path).map_err(folder)?;
        remove_other_versions(dir, &path);
        match Self::open_existing(&path) {
            Ok(Some(index)) => return Ok(index),
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(error = %e, path = %path.display(), "the search index is unreadable; rebuilding it");
                std::fs::remove_dir_all(&path).map_err(folder)?;
                std::fs::create_dir_all(&path).map_err(folder)?;
            }
        }
        let (schema, _) = schema();
        SearchIndex::with_index(Index::create_in_dir(&path, schema)?)
    }

    fn open_existing(path: &Path) -> Result<Option<SearchIndex>> {
        if !path.join("meta.json").exists() {
            return Ok(None);
        }
        let index = Index::open_in_dir(path)?;
        let (expected, _) = schema();
        let same =
            serde_json::to_string(&index.schema()).ok() == serde_json::to_string(&expected).ok();
        if !same {
            return Err(SearchError::Other("the schema differs".into()));
        }
        SearchIndex::with_index(index).map(Some)
    }

    /// An index held in memory (tests, benchmarks).
    pub fn in_memory() -> Result<SearchIndex> {
        let (schema, _) = schema();
        SearchIndex::with_index(Index::create_in_ram(schema))
    }

    fn with_index(index: Index) -> Result<SearchIndex> {
        let (_, fields) = schema();
        index.tokenizers().register(ANALYZER, analyzer());
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let me = SearchIndex {
            index,
            reader,
            fields,
            analyzer: analyzer(),
            digests: Mutex::default(),
            synced: AtomicU64::new(0),
        };
        let digests = me.load_digests()?;
        *me.lock_digests() = digests;
        Ok(me)
    }

    fn lock_digests(&self) -> std::sync::MutexGuard<'_, HashMap<u64, u64>> {
        self.digests.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The digests of the documents on disk, so that a restart rewrites only what changed.
    fn load_digests(&self) -> Result<HashMap<u64, u64>> {
        let searcher = self.reader.searcher();
        let mut out = HashMap::new();
        for segment in searcher.segment_readers() {
            let uids = segment.fast_fields().u64("uid")?;
            let digests = segment.fast_fields().u64("digest")?;
            for doc in segment.doc_ids_alive() {
                if let (Some(uid), Some(digest)) = (uids.first(doc), digests.first(doc)) {
                    out.insert(uid, digest);
                }
            }
        }
        Ok(out)
    }

    /// Documents indexed.
    pub fn len(&self) -> usize {
        self.lock_digests().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Makes the index hold exactly `docs`: writes the new and changed ones, removes the ones
    /// that are gone, and leaves the rest alone. Blocking (call it off the async threads).
    pub fn update(&self, docs: &[IndexDoc]) -> Result<UpdateStats> {
        let mut indexed = self.lock_digests();
        let wanted: HashMap<u64, (u64, &IndexDoc)> =
            docs.iter().map(|d| (d.uid(), (d.digest(), d))).collect();
        let removed: Vec<u64> = indexed
            .keys()
            .filter(|uid| !wanted.contains_key(uid))
            .copied()
            .collect();
        let changed: Vec<(u64, u64, &IndexDoc)> = wanted
            .iter()
            .filter(|(uid, (digest, _))| indexed.get(uid) != Some(digest))
            .map(|(uid, (digest, doc))| (*uid, *digest, *doc))
            .collect();
        let stats = UpdateStats {
            written: changed.len(),
            removed: removed.len(),
            unchanged: wanted.len() - changed.len(),
        };
        if removed.is_empty() && changed.is_empty() {
            return Ok(stats);
        }
        let mut writer: IndexWriter<TantivyDocument> =
            self.index.writer_with_num_threads(1, WRITER_MEMORY)?;
        let f = &self.fields;
        for uid in &removed {
            writer.delete_term(Term::from_field_u64(f.uid, *uid));
        }
        for (uid, digest, doc) in &changed {
            if indexed.contains_key(uid) {
                writer.delete_term(Term::from_field_u64(f.uid, *uid));
            }
            let hit = serde_json::to_string(&doc.hit)
                .map_err(|e| SearchError::Other(format!("cannot encode a hit: {e}")))?;
            let mut d = TantivyDocument::default();
            d.add_u64(f.uid, *uid);
            d.add_u64(f.kind, doc.hit.kind.code());
            d.add_u64(f.digest, *digest);
            d.add_text(f.title, &doc.title);
            d.add_text(f.original_title, &doc.original_title);
            d.add_text(f.names, &doc.names);
            d.add_text(f.body, &doc.body);
            d.add_text(f.hit, hit);
            writer.add_document(d)?;
        }
        writer.commit()?;
        writer.wait_merging_threads()?;
        self.reader.reload()?;
        for uid in &removed {
            indexed.remove(uid);
        }
        for (uid, digest, _) in changed {
            indexed.insert(uid, digest);
        }
        Ok(stats)
    }

    /// Brings the index up to date with the store if the catalog changed since the last sync.
    /// Returns what it did, or `None` when nothing had changed.
    pub async fn sync(self: &Arc<Self>, store: &Store) -> Result<Option<UpdateStats>> {
        let generation = store.generation();
        if self.synced.load(Ordering::Acquire) == generation + 1 {
            return Ok(None);
        }
        let source = store.search_source().await?;
        let me = self.clone();
        let stats = tokio::task::spawn_blocking(move || me.update(&docs::documents(&source)))
            .await
            .map_err(|e| SearchError::Other(format!("the update task failed: {e}")))??;
        // Writes made while the source was read moved the generation on: the next sync sees them.
        self.synced.store(generation + 1, Ordering::Release);
        Ok(Some(stats))
    }

    /// Folded words of `text`, as the index holds them.
    pub fn fold(&self, text: &str) -> Vec<String> {
        let mut analyzer = self.analyzer.clone();
        let mut stream = analyzer.token_stream(text);
        let mut out = Vec::new();
        while let Some(token) = stream.next() {
            out.push(token.text.clone());
        }
        out
    }

    /// The query for `words`: every word must match, each scoring its best match.
    fn query(&self, words: &[QueryWord]) -> BooleanQuery {
        let clauses = words
            .iter()
            .map(|word| {
                let mut alternatives: Vec<Box<dyn Query>> = Vec::new();
                for field in plan::Field::ALL {
                    let term = Term::from_field_text(self.fields.of(field), &word.text);
                    for (m, score) in plan::variants(word, field) {
                        let q: Box<dyn Query> = match m {
                            Match::Exact => {
                                Box::new(TermQuery::new(term.clone(), IndexRecordOption::Basic))
                            }
                            Match::Prefix => {
                                Box::new(FuzzyTermQuery::new_prefix(term.clone(), 0, true))
                            }
                            Match::Fuzzy(d) => Box::new(FuzzyTermQuery::new(term.clone(), d, true)),
                            Match::FuzzyPrefix(d) => {
                                Box::new(FuzzyTermQuery::new_prefix(term.clone(), d, true))
                            }
                        };
                        alternatives.push(Box::new(ConstScoreQuery::new(q, score)));
                    }
                }
                let best: Box<dyn Query> = Box::new(DisjunctionMaxQuery::new(alternatives));
                (Occur::Must, best)
            })
            .collect();
        BooleanQuery::new(clauses)
    }

    /// The best `per_kind` hits of each kind for `query`, before visibility. Blocking, but
    /// quick (a few milliseconds on a large catalog).
    pub fn search(&self, query: &str, per_kind: usize) -> Result<SearchResults> {
        let words = plan::words(self.fold(query), query);
        let mut results = SearchResults::default();
        if words.is_empty() || per_kind == 0 {
            return Ok(results);
        }
        let q = self.query(&words);
        let searcher = self.reader.searcher();
        let top = |kind: Kind| {
            let code = kind.code();
            FilterCollector::new(
                "kind".to_string(),
                move |k: u64| k == code,
                TopDocs::with_limit(per_kind),
            )
        };
        let ((series, movies), (episodes, people, reviews)) = searcher.search(
            &q,
            &(
                (top(Kind::Series), top(Kind::Movie)),
                (top(Kind::Episode), top(Kind::Person), top(Kind::Review)),
            ),
        )?;
        for (score, address) in [series, movies, episodes, people, reviews]
            .into_iter()
            .flatten()
        {
            let mut hit = self.hit(&searcher, address)?;
            hit.score = plan::rerank(score, &self.fold(&hit.title), &words);
            results.group_mut(hit.kind).push(hit);
        }
        for group in results.groups_mut() {
            group.sort_by(|a, b| b.score.total_cmp(&a.score));
        }
        Ok(results)
    }

    fn hit(&self, searcher: &tantivy::Searcher, address: DocAddress) -> Result<Hit> {
        let doc: TantivyDocument = searcher.doc(address)?;
        let json = doc
            .get_first(self.fields.hit)
            .and_then(|v| v.as_str())
            .ok_or_else(|| SearchError::Other("a document has no stored hit".into()))?;
        serde_json::from_str(json)
            .map_err(|e| SearchError::Other(format!("a stored hit is unreadable: {e}")))
    }

    /// What `access` may see of the best hits for `query`: up to `limit` of each kind.
    /// Candidates are over-fetched, then filtered by the store's visibility rules.
    pub async fn search_visible(
        self: &Arc<Self>,
        store: &Store,
        query: &str,
        limit: usize,
        access: &Access,
    ) -> Result<SearchResults> {
        let limit = limit.clamp(1, MAX_LIMIT);
        let me = self.clone();
        let q = query.to_string();
        let mut results = tokio::task::spawn_blocking(move || me.search(&q, limit * 2 + 10))
            .await
            .map_err(|e| SearchError::Other(format!("the search task failed: {e}")))??;
        let items: Vec<i64> = [&results.series, &results.movies, &results.episodes]
            .into_iter()
            .flatten()
            .map(|h| h.id)
            .chain(results.reviews.iter().filter_map(|h| h.item_id))
            .collect();
        let people: Vec<i64> = results.people.iter().map(|h| h.id).collect();
        let (items, people) = tokio::try_join!(
            store.visible_items(&items, access),
            store.people_with_visible_credits(&people, access)
        )?;
        for group in results.groups_mut() {
            group.retain(|h| match h.kind {
                Kind::Person => people.contains(&h.id),
                Kind::Review => h.item_id.is_some_and(|i| items.contains(&i)),
                _ => items.contains(&h.id),
            });
            group.truncate(limit);
        }
        Ok(results)
    }
}

/// Removes indexes of other schema versions left in `dir`.
fn remove_other_versions(dir: &Path, keep: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let old = path != keep
            && entry
                .file_name()
                .to_str()
                .is_some_and(|n| n.starts_with('v') && n[1..].parse::<u32>().is_ok());
        if old && std::fs::remove_dir_all(&path).is_ok() {
            tracing::info!(path = %path.display(), "removed an old search index");
        }
    }
}

/// Keeps `index` in step with `store` in the background: checks twice a second whether the
/// catalog changed, and syncs when it did (less often while syncs are slow, as during a large
/// first scan). The first sync builds or checks the whole index.
pub fn keep_in_sync(index: Arc<SearchIndex>, store: Store) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut last_error = String::new();
        loop {
            let started = Instant::now();
            let pause = match index.sync(&store).await {
                Ok(Some(stats)) => {
                    let took = started.elapsed();
                    tracing::info!(
                        written = stats.written,
                        removed = stats.removed,
                        unchanged = stats.unchanged,
                        ms = took.as_millis() as u64,
                        "search index updated"
                    );
                    last_error.clear();
                    (took * 2).max(Duration::from_millis(500))
                }
                Ok(None) => Duration::from_millis(500),
                Err(e) => {
                    let message = e.to_string();
                    if message != last_error {
                        tracing::warn!(error = %message, "cannot update the search index");
                        last_error = message;
                    }
                    Duration::from_secs(5)
                }
            };
            tokio::time::sleep(pause).await;
        }
    })
}

#[cfg(test)]
mod tests;
