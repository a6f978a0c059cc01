//! Query planning and ranking rules, free of the index: which words of a query may be how far
//! off, where they may match, and what each kind of match is worth.
//!
//! A query is a list of folded words; every word must match somewhere in a document (AND), and
//! each word scores its best match only (a word that matches exactly also matches as a prefix
//! and fuzzily; it counts once). A match is worth the weight of its field times the weight of
//! its kind, so that an exact word beats a prefix, which beats a typo, and a title beats a
//! synopsis whatever the kind of match.

/// Where a word can match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// A title, or a person's name.
    Title,
    /// An original (often foreign-language) title.
    OriginalTitle,
    /// People credited on a title; a review's author and publication.
    Names,
    /// A synopsis or a review's text.
    Body,
}

impl Field {
    pub const ALL: [Field; 4] = [
        Field::Title,
        Field::OriginalTitle,
        Field::Names,
        Field::Body,
    ];

    pub fn weight(self) -> f32 {
        match self {
            Field::Title => 1.0,
            Field::OriginalTitle => 0.8,
            Field::Names => 0.6,
            Field::Body => 0.25,
        }
    }
}

/// How a query word matched an indexed word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Match {
    Exact,
    /// The indexed word starts with the query word (the word being typed).
    Prefix,
    /// Within this many edits (insertions, deletions, substitutions, transpositions).
    Fuzzy(u8),
    /// Starts with something within this many edits of the query word.
    FuzzyPrefix(u8),
}

impl Match {
    pub fn weight(self) -> f32 {
        match self {
            Match::Exact => 1.0,
            Match::Prefix => 0.7,
            Match::Fuzzy(1) => 0.5,
            Match::Fuzzy(_) => 0.35,
            Match::FuzzyPrefix(1) => 0.4,
            Match::FuzzyPrefix(_) => 0.3,
        }
    }
}

/// Edits a whole query word may be off by: none up to two letters (every two-letter word is
/// within two edits of every other), one up to five, two from six.
pub fn max_edits(len: usize) -> u8 {
    match len {
        0..=2 => 0,
        3..=5 => 1,
        _ => 2,
    }
}

/// Edits the word being typed may be off by. A fuzzy prefix matches far more words than a
/// fuzzy word, so it needs a longer start.
pub fn max_prefix_edits(len: usize) -> u8 {
    match len {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

/// One word of a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryWord {
    /// Folded (lower case, ASCII).
    pub text: String,
    /// The last word, still being typed: it may be the start of a longer word.
    pub prefix: bool,
}

/// Words of a query that count; the rest are ignored (each word costs a few term lookups).
pub const MAX_WORDS: usize = 8;

/// The words of a query, already folded by the index's analyzer. The last one is a prefix
/// unless the query ends with a space or punctuation (the user finished the word).
pub fn words(folded: Vec<String>, raw_query: &str) -> Vec<QueryWord> {
    let finished = !raw_query.ends_with(char::is_alphanumeric);
    let n = folded.len();
    folded
        .into_iter()
        .enumerate()
        .take(MAX_WORDS)
        .map(|(i, text)| QueryWord {
            prefix: i + 1 == n && !finished,
            text,
        })
        .collect()
}

/// Ways a word may match in `field`, each with the score it earns there.
pub fn variants(word: &QueryWord, field: Field) -> Vec<(Match, f32)> {
    let len = word.text.chars().count();
    let mut out = vec![Match::Exact];
    if word.prefix && len >= 1 {
        // One typed letter only starts titles and names: in synopses it would match nearly all.
        if len >= 2 || field != Field::Body {
            out.push(Match::Prefix);
        }
        let d = max_prefix_edits(len);
        if d > 0 {
            out.push(Match::FuzzyPrefix(d));
        }
    }
    let d = max_edits(len);
    if d > 0 {
        out.push(Match::Fuzzy(d));
    }
    out.into_iter()
        .map(|m| (m, m.weight() * field.weight()))
        .collect()
}

/// The final score of a hit: the engine's score plus a small preference for titles that are
/// the query itself, then for titles that start with it, then for shorter titles (ties).
pub fn rerank(score: f32, title_words: &[String], query: &[QueryWord]) -> f32 {
    let q: Vec<&str> = query.iter().map(|w| w.text.as_str()).collect();
    let t: Vec<&str> = title_words.iter().map(String::as_str).collect();
    let whole = t == q;
    let starts = !q.is_empty()
        && t.len() >= q.len()
        && t[..q.len() - 1] == q[..q.len() - 1]
        && t[q.len() - 1].starts_with(q[q.len() - 1]);
    let extra_words = t.len().saturating_sub(q.len()) as f32;
    score
        + if whole { 0.3 } else { 0.0 }
        + if starts { 0.1 } else { 0.0 }
        + 0.01 / (1.0 + extra_words)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str, prefix: bool) -> QueryWord {
        QueryWord {
            text: s.into(),
            prefix,
        }
    }

    #[test]
    fn edits_grow_with_word_length() {
        assert_eq!(max_edits(2), 0);
        assert_eq!(max_edits(3), 1);
        assert_eq!(max_edits(5), 1);
        assert_eq!(max_edits(6), 2);
        assert_eq!(max_edits(14), 2);
        assert_eq!(max_prefix_edits(3), 0);
        assert_eq!(max_prefix_edits(4), 1);
        assert_eq!(max_prefix_edits(8), 2);
    }

    #[test]
    fn the_last_word_is_a_prefix_until_it_is_finished() {
        let fold = || vec!["harbor".to_string(), "lig".to_string()];
        assert_eq!(
            words(fold(), "Harbor Lig"),
            vec![w("harbor", false), w("lig", true)]
        );
        assert_eq!(
            words(fold(), "Harbor Lig "),
            vec![w("harbor", false), w("lig", false)]
        );
        assert_eq!(words(vec!["dre".into()], "Dre."), vec![w("dre", false)]);
        assert!(words(vec![], "").is_empty());
        let many: Vec<String> = (0..20).map(|i| format!("w{i}")).collect();
        let kept = words(many, "w0 … w19");
        assert_eq!(kept.len(), MAX_WORDS);
        assert!(kept.iter().all(|w| !w.prefix));
    }

    #[test]
    fn short_words_match_exactly_and_long_words_forgive_two_typos() {
        let kinds = |word: QueryWord, f| {
            variants(&word, f)
                .into_iter()
                .map(|(m, _)| m)
                .collect::<Vec<_>>()
        };
        assert_eq!(kinds(w("of", false), Field::Title), vec![Match::Exact]);
        assert_eq!(
            kinds(w("tow", false), Field::Title),
            vec![Match::Exact, Match::Fuzzy(1)]
        );
        assert_eq!(
            kinds(w("iovinne", false), Field::Title),
            vec![Match::Exact, Match::Fuzzy(2)]
        );
        assert_eq!(
            kinds(w("h", true), Field::Title),
            vec![Match::Exact, Match::Prefix]
        );
        assert_eq!(kinds(w("h", true), Field::Body), vec![Match::Exact]);
        assert_eq!(
            kinds(w("harbo", true), Field::Body),
            vec![
                Match::Exact,
                Match::Prefix,
                Match::FuzzyPrefix(1),
                Match::Fuzzy(1)
            ]
        );
    }

    #[test]
    fn exact_beats_prefix_beats_typo_and_any_title_match_beats_a_synopsis() {
        let title = |m: Match| m.weight() * Field::Title.weight();
        assert!(title(Match::Exact) > title(Match::Prefix));
        assert!(title(Match::Prefix) > title(Match::Fuzzy(1)));
        assert!(title(Match::Fuzzy(1)) > title(Match::Fuzzy(2)));
        assert!(title(Match::Prefix) > title(Match::FuzzyPrefix(1)));
        let weakest_title = [
            Match::Fuzzy(2),
            Match::FuzzyPrefix(2),
            Match::FuzzyPrefix(1),
        ]
        .map(title)
        .into_iter()
        .fold(f32::MAX, f32::min);
        assert!(weakest_title > Match::Exact.weight() * Field::Body.weight());
        assert!(Field::Title.weight() > Field::OriginalTitle.weight());
        assert!(Field::OriginalTitle.weight() > Field::Names.weight());
        assert!(Field::Names.weight() > Field::Body.weight());
    }

    #[test]
    fn rerank_prefers_the_whole_title_then_its_start_then_shorter_titles() {
        let t = |s: &str| s.split(' ').map(String::from).collect::<Vec<_>>();
        let q = [w("harbor", false), w("lights", false)];
        let whole = rerank(1.0, &t("harbor lights"), &q);
        let starts = rerank(1.0, &t("harbor lights returns"), &q);
        let inside = rerank(1.0, &t("the harbor lights"), &q);
        let longer = rerank(1.0, &t("the harbor lights of old"), &q);
        assert!(whole > starts && starts > inside && inside > longer);
        // The bonuses never lift a weaker match kind over a stronger one.
        assert!(rerank(2.0 * 0.7, &t("harbor lights"), &q) < rerank(2.0, &t("a b c d e f"), &q));
        let typing = [w("harbor", false), w("li", true)];
        assert!(
            rerank(1.0, &t("harbor lights"), &typing)
                > rerank(1.0, &t("big harbor lights"), &typing)
        );
    }
}
