//! Language tags as players want them.
//!
//! Containers store ISO 639-2 codes (`eng`, `fre`/`fra`), subtitle file names
//! use anything from `en` to `English`, and HLS `LANGUAGE` / DASH `lang` want
//! BCP 47, where a language with a two-letter code must use it.  [`bcp47`]
//! maps the common spellings to one tag and [`display_name`] gives the label a
//! menu shows.  Unknown but well-formed tags pass through unchanged.

/// (ISO 639-1, ISO 639-2/T, ISO 639-2/B, English name), the languages
/// streaming services commonly carry.
const LANGUAGES: &[(&str, &str, &str, &str)] = &[
    ("ar", "ara", "ara", "Arabic"),
    ("bg", "bul", "bul", "Bulgarian"),
    ("ca", "cat", "cat", "Catalan"),
    ("cs", "ces", "cze", "Czech"),
    ("da", "dan", "dan", "Danish"),
    ("de", "deu", "ger", "German"),
    ("el", "ell", "gre", "Greek"),
    ("en", "eng", "eng", "English"),
    ("es", "spa", "spa", "Spanish"),
    ("et", "est", "est", "Estonian"),
    ("eu", "eus", "baq", "Basque"),
    ("fa", "fas", "per", "Persian"),
    ("fi", "fin", "fin", "Finnish"),
    ("fr", "fra", "fre", "French"),
    ("ga", "gle", "gle", "Irish"),
    ("gl", "glg", "glg", "Galician"),
    ("he", "heb", "heb", "Hebrew"),
    ("hi", "hin", "hin", "Hindi"),
    ("hr", "hrv", "hrv", "Croatian"),
    ("hu", "hun", "hun", "Hungarian"),
    ("id", "ind", "ind", "Indonesian"),
    ("is", "isl", "ice", "Icelandic"),
    ("it", "ita", "ita", "Italian"),
    ("ja", "jpn", "jpn", "Japanese"),
    ("ko", "kor", "kor", "Korean"),
    ("lt", "lit", "lit", "Lithuanian"),
    ("lv", "lav", "lav", "Latvian"),
    ("ms", "msa", "may", "Malay"),
    ("nb", "nob", "nob", "Norwegian Bokmål"),
    ("nl", "nld", "dut", "Dutch"),
    ("no", "nor", "nor", "Norwegian"),
    ("pl", "pol", "pol", "Polish"),
    ("pt", "por", "por", "Portuguese"),
    ("ro", "ron", "rum", "Romanian"),
    ("ru", "rus", "rus", "Russian"),
    ("sk", "slk", "slo", "Slovak"),
    ("sl", "slv", "slv", "Slovenian"),
    ("sr", "srp", "srp", "Serbian"),
    ("sv", "swe", "swe", "Swedish"),
    ("ta", "tam", "tam", "Tamil"),
    ("th", "tha", "tha", "Thai"),
    ("tr", "tur", "tur", "Turkish"),
    ("uk", "ukr", "ukr", "Ukrainian"),
    ("vi", "vie", "vie", "Vietnamese"),
    ("zh", "zho", "chi", "Chinese"),
];

fn find(
    primary: &str,
) -> Option<&'static (&'static str, &'static str, &'static str, &'static str)> {
    let p = primary.to_ascii_lowercase();
    LANGUAGES
        .iter()
        .find(|(a, t, b, name)| *a == p || *t == p || *b == p || name.eq_ignore_ascii_case(&p))
}

/// The BCP 47 tag for a language as containers and file names spell it:
/// `eng` → `en`, `fre` → `fr`, `English` → `en`, `pt-br`/`pt_BR` → `pt-BR`.
/// `None` for "undetermined" (`und`, `mul`, `zxx`, empty) and for anything
/// that is not a plausible tag.
pub fn bcp47(tag: &str) -> Option<String> {
    let tag = tag.trim();
    let mut parts = tag.split(['-', '_']);
    let primary = parts.next()?;
    if matches!(
        primary.to_ascii_lowercase().as_str(),
        "" | "und" | "mul" | "zxx" | "mis"
    ) {
        return None;
    }
    let base = match find(primary) {
        Some((two, ..)) => two.to_string(),
        None if (2..=3).contains(&primary.len())
            && primary.bytes().all(|b| b.is_ascii_alphabetic()) =>
        {
            primary.to_ascii_lowercase()
        }
        None => return None,
    };
    let mut out = base;
    for sub in parts {
        if sub.is_empty() || sub.len() > 8 || !sub.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return None;
        }
        out.push('-');
        // Regions are upper case, scripts title case (BCP 47 conventions).
        match sub.len() {
            2 => out.push_str(&sub.to_ascii_uppercase()),
            4 => {
                let mut c = sub.chars();
                if let Some(f) = c.next() {
                    out.push(f.to_ascii_uppercase());
                    out.push_str(&c.as_str().to_ascii_lowercase());
                }
            }
            _ => out.push_str(&sub.to_ascii_lowercase()),
        }
    }
    Some(out)
}

/// English name of a language tag's primary language ("English" for `en`,
/// `eng` or `en-GB`).
pub fn display_name(tag: &str) -> Option<&'static str> {
    let primary = tag.split(['-', '_']).next()?;
    find(primary).map(|l| l.3)
}

/// Whether `word` (from a file name) names a language: a code we know or an
/// English language name.  Stricter than [`bcp47`], which also accepts codes
/// it does not know: a file name's `.hi.` is a language, its `.dts.` is not.
pub fn is_known_language(word: &str) -> bool {
    let primary = word.split(['-', '_']).next().unwrap_or("");
    find(primary).is_some() && bcp47(word).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn container_and_file_name_spellings() {
        for (input, want) in [
            ("eng", Some("en")),
            ("fre", Some("fr")),
            ("fra", Some("fr")),
            ("ger", Some("de")),
            ("English", Some("en")),
            ("pt-br", Some("pt-BR")),
            ("pt_BR", Some("pt-BR")),
            ("zh-hans", Some("zh-Hans")),
            ("haw", Some("haw")),
            ("und", None),
            ("", None),
            ("x y", None),
            ("toolongcode", None),
        ] {
            assert_eq!(bcp47(input).as_deref(), want, "{input}");
        }
        assert_eq!(display_name("en-GB"), Some("English"));
        assert_eq!(display_name("fre"), Some("French"));
        assert_eq!(display_name("haw"), None);
        assert!(is_known_language("de") && is_known_language("spanish"));
        assert!(!is_known_language("dts") && !is_known_language("sdh"));
    }
}
