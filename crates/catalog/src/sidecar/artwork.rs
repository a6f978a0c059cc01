//! Which sidecar files and local artwork belong to a video or a folder, decided
//! from a directory listing alone.  Names match in any case; the names returned
//! are as listed.

use std::sync::OnceLock;

use regex::Regex;

use super::{ArtworkKind, ArtworkRef, FolderKind, SidecarSet};

/// Image types looked for, in order of preference for the same base name.
const IMAGE_EXTS: [&str; 4] = ["jpg", "jpeg", "png", "webp"];
/// Video types, to tell whether a movie has its folder to itself.
const VIDEO_EXTS: [&str; 14] = [
    "mkv", "mp4", "m4v", "avi", "mov", "webm", "ts", "m2ts", "mts", "wmv", "mpg", "mpeg", "flv",
    "ogv",
];

/// Generic artwork base names for a folder (movie, series or season), by kind,
/// most common first.
const FOLDER_ART: [(ArtworkKind, &[&str]); 5] = [
    (
        ArtworkKind::Poster,
        &["poster", "folder", "cover", "default"],
    ),
    (
        ArtworkKind::Backdrop,
        &["fanart", "backdrop", "background", "art"],
    ),
    (ArtworkKind::Thumb, &["landscape", "thumb"]),
    (ArtworkKind::Logo, &["logo", "clearlogo"]),
    (ArtworkKind::Banner, &["banner"]),
];

/// A directory listing with lower-cased names for matching.
struct Listing<'a> {
    names: Vec<(String, &'a str)>,
}

impl<'a> Listing<'a> {
    fn new(names: &[&'a str]) -> Self {
        Listing {
            names: names.iter().map(|n| (n.to_lowercase(), *n)).collect(),
        }
    }

    fn find(&self, lower: &str) -> Option<&'a str> {
        self.names
            .iter()
            .find(|(l, _)| l == lower)
            .map(|(_, original)| *original)
    }

    /// `base.jpg`, `base.jpeg`, `base.png` or `base.webp`.
    fn image(&self, base_lower: &str) -> Option<&'a str> {
        IMAGE_EXTS
            .iter()
            .find_map(|ext| self.find(&format!("{base_lower}.{ext}")))
    }

    /// Images as (lower-case stem, original name).
    fn images(&self) -> impl Iterator<Item = (&str, &'a str)> + '_ {
        self.names.iter().filter_map(|(lower, original)| {
            let (stem, ext) = lower.rsplit_once('.')?;
            IMAGE_EXTS.contains(&ext).then_some((stem, *original))
        })
    }
}

/// Collects artwork without duplicates, most specific first.
#[derive(Default)]
struct Art(Vec<ArtworkRef>);

impl Art {
    fn add(&mut self, kind: ArtworkKind, name: Option<&str>) {
        if let Some(name) = name {
            if !self.0.iter().any(|a| a.path == name) {
                self.0.push(ArtworkRef {
                    kind,
                    path: name.to_string(),
                });
            }
        }
    }

    /// Ordered by kind (poster, backdrop, thumb, logo, banner), keeping the
    /// specificity order within a kind.
    fn finish(mut self) -> Vec<ArtworkRef> {
        self.0.sort_by_key(|a| kind_rank(a.kind));
        self.0
    }
}

fn kind_rank(kind: ArtworkKind) -> u8 {
    match kind {
        ArtworkKind::Poster => 0,
        ArtworkKind::Backdrop => 1,
        ArtworkKind::Thumb => 2,
        ArtworkKind::Logo => 3,
        ArtworkKind::Banner => 4,
    }
}

fn stem_of(name: &str) -> &str {
    match name.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem,
        _ => name,
    }
}

fn regexes() -> &'static [Regex; 4] {
    static RES: OnceLock<[Regex; 4]> = OnceLock::new();
    RES.get_or_init(|| {
        let re = |p: &str| Regex::new(p).expect("constant regex is valid");
        [
            // S01E02, s1e2, S01.E02, S01_E02
            re(r"(?i)(?:^|[^a-z0-9])s(\d{1,4})[ ._-]?e(\d{1,4})"),
            // 1x02
            re(r"(?i)(?:^|[^a-z0-9])(\d{1,2})x(\d{2,3})(?:[^a-z0-9]|$)"),
            // numbered backdrops: fanart1, fanart-2, backdrop3
            re(r"^(?:fanart|backdrop|background)-?(\d{1,3})$"),
            // Kodi season art in the show folder
            re(
                r"^season(?:[ _-]?(\d{1,4})|-(specials|all))(?:-(poster|fanart|backdrop|banner|landscape|thumb|logo|clearlogo))?$",
            ),
        ]
    })
}

/// Season and episode numbers from a name ("Show - S01E02 - Title"), if any.
fn episode_code(stem: &str) -> Option<(u32, u32)> {
    let [sxe, nxn, ..] = regexes();
    let caps = sxe.captures(stem).or_else(|| nxn.captures(stem))?;
    let season = caps.get(1)?.as_str().parse().ok()?;
    let episode = caps.get(2)?.as_str().parse().ok()?;
    Some((season, episode))
}

/// Strips a multi-part suffix ("-cd1", " part2", ".disc1") so the parts of one
/// movie count as one video.
fn base_title(stem_lower: &str) -> &str {
    for marker in ["cd", "disc", "disk", "part", "pt", "dvd"] {
        for sep in [" - ", "-", " ", ".", "_"] {
            let pat = format!("{sep}{marker}");
            if let Some(i) = stem_lower.rfind(&pat) {
                let rest = &stem_lower[i + pat.len()..];
                let rest = rest.trim_start_matches([' ', '.', '_']);
                if !rest.is_empty() && rest.len() <= 2 && rest.chars().all(|c| c.is_ascii_digit()) {
                    return &stem_lower[..i];
                }
            }
        }
    }
    stem_lower
}

/// True for trailers, samples and other extras that do not make a folder shared.
fn is_extra(stem_lower: &str) -> bool {
    [
        "-trailer",
        "-sample",
        ".sample",
        "-featurette",
        "-behindthescenes",
        "-deleted",
        "-interview",
        "-scene",
        "-short",
        "-extra",
    ]
    .iter()
    .any(|s| stem_lower.ends_with(s))
        || stem_lower == "sample"
        || stem_lower == "trailer"
}

/// Sidecars and artwork that belong to one video file.
///
/// For every video: `<stem>.nfo`, `<stem>.marquee.json` (preferred) or
/// `<stem>.json`, and `<stem>-thumb`/`<stem>-landscape` images.
///
/// An episode (its name holds `S01E02` or `1x02`) also takes `<stem>.jpg` and
/// `S01E02-thumb.jpg`/`S01E02.jpg` as its still.
///
/// A movie also takes `<stem>-poster`/`<stem>.jpg`, `<stem>-fanart`,
/// `<stem>-backdrop`, `<stem>-logo`, `<stem>-clearlogo`, `<stem>-banner`, and, when
/// the folder holds no other movie, the folder's `movie.nfo`, `marquee.json`,
/// `movie.json`, `poster`/`folder`/`cover`, `fanart`/`backdrop`/`background`
/// (and numbered `fanart1`…), `landscape`/`thumb`, `logo`/`clearlogo`, `banner`.
pub fn sidecars_for_video(video_file_name: &str, sibling_names: &[&str]) -> SidecarSet {
    let listing = Listing::new(sibling_names);
    let stem = stem_of(video_file_name).to_lowercase();
    let episode = episode_code(&stem);
    let mut set = SidecarSet {
        nfo: listing.find(&format!("{stem}.nfo")).map(str::to_string),
        json: listing
            .find(&format!("{stem}.marquee.json"))
            .or_else(|| listing.find(&format!("{stem}.json")))
            .map(str::to_string),
        artwork: Vec::new(),
    };
    let mut art = Art::default();
    art.add(ArtworkKind::Thumb, listing.image(&format!("{stem}-thumb")));

    if let Some((season, ep)) = episode {
        art.add(ArtworkKind::Thumb, listing.image(&stem));
        art.add(
            ArtworkKind::Thumb,
            listing.image(&format!("{stem}-landscape")),
        );
        // "S01E02-thumb.jpg", "s1e2.png": matched by number, not spelling.
        let mut by_code: Vec<(bool, &str)> = listing
            .images()
            .filter_map(|(img_stem, original)| {
                let (code, thumb) = match img_stem.strip_suffix("-thumb") {
                    Some(c) => (c, true),
                    None => (img_stem, false),
                };
                let caps = regexes()[0].captures(code)?;
                let whole = caps.get(0)?.as_str();
                let is_bare_code = whole.len() == code.len();
                let s: u32 = caps.get(1)?.as_str().parse().ok()?;
                let e: u32 = caps.get(2)?.as_str().parse().ok()?;
                (is_bare_code && s == season && e == ep).then_some((!thumb, original))
            })
            .collect();
        by_code.sort();
        for (_, name) in by_code {
            art.add(ArtworkKind::Thumb, Some(name));
        }
    } else {
        art.add(
            ArtworkKind::Poster,
            listing.image(&format!("{stem}-poster")),
        );
        art.add(ArtworkKind::Poster, listing.image(&stem));
        for (kind, suffix) in [
            (ArtworkKind::Backdrop, "fanart"),
            (ArtworkKind::Backdrop, "backdrop"),
            (ArtworkKind::Thumb, "landscape"),
            (ArtworkKind::Logo, "logo"),
            (ArtworkKind::Logo, "clearlogo"),
            (ArtworkKind::Banner, "banner"),
        ] {
            art.add(kind, listing.image(&format!("{stem}-{suffix}")));
        }
        if has_folder_to_itself(&stem, &listing) {
            if set.nfo.is_none() {
                set.nfo = listing.find("movie.nfo").map(str::to_string);
            }
            if set.json.is_none() {
                set.json = listing
                    .find("marquee.json")
                    .or_else(|| listing.find("movie.json"))
                    .map(str::to_string);
            }
            add_folder_art(&mut art, &listing);
        }
    }
    set.artwork = art.finish();
    set
}

/// True when no other main video (not a part of the same movie, not an extra)
/// shares the folder.
fn has_folder_to_itself(stem_lower: &str, listing: &Listing<'_>) -> bool {
    let mine = base_title(stem_lower);
    !listing.names.iter().any(|(lower, _)| {
        let Some((other, ext)) = lower.rsplit_once('.') else {
            return false;
        };
        VIDEO_EXTS.contains(&ext) && !is_extra(other) && base_title(other) != mine
    })
}

fn add_folder_art(art: &mut Art, listing: &Listing<'_>) {
    for (kind, bases) in FOLDER_ART {
        for base in bases {
            art.add(kind, listing.image(base));
        }
    }
    let mut numbered: Vec<(u32, &str)> = listing
        .images()
        .filter_map(|(stem, original)| {
            let n = regexes()[2].captures(stem)?.get(1)?.as_str().parse().ok()?;
            Some((n, original))
        })
        .collect();
    numbered.sort();
    for (_, name) in numbered {
        art.add(ArtworkKind::Backdrop, Some(name));
    }
}

/// Sidecars and artwork of a folder, from its listing.
///
/// - [`FolderKind::Series`]: `tvshow.nfo`; `marquee.json`, `series.json` or
///   `tvshow.json`.
/// - [`FolderKind::Season`]: `season.nfo`; `marquee.json` or `season.json`; Kodi's
///   `seasonNN-poster.jpg` style names are honoured here too (first).  Season art
///   kept in the *show* folder is found with [`season_artwork_from_show_folder`].
/// - [`FolderKind::Movie`]: `movie.nfo`; `marquee.json` or `movie.json`.
///
/// Artwork for all three: `poster`/`folder`/`cover`, `fanart`/`backdrop`/
/// `background` (and `fanart1`…), `landscape`/`thumb`, `logo`/`clearlogo`, `banner`
/// as `.jpg`, `.jpeg`, `.png` or `.webp`.
pub fn sidecars_for_folder(kind: FolderKind, names: &[&str]) -> SidecarSet {
    let listing = Listing::new(names);
    let first = |candidates: &[&str]| {
        candidates
            .iter()
            .find_map(|c| listing.find(c))
            .map(str::to_string)
    };
    let mut art = Art::default();
    let (nfo, json) = match kind {
        FolderKind::Series => (
            first(&["tvshow.nfo"]),
            first(&["marquee.json", "series.json", "tvshow.json"]),
        ),
        FolderKind::Season(n) => {
            for a in season_art(n, &listing) {
                art.add(a.kind, Some(&a.path));
            }
            (
                first(&["season.nfo"]),
                first(&["marquee.json", "season.json"]),
            )
        }
        FolderKind::Movie => (
            first(&["movie.nfo"]),
            first(&["marquee.json", "movie.json"]),
        ),
    };
    add_folder_art(&mut art, &listing);
    SidecarSet {
        nfo,
        json,
        artwork: art.finish(),
    }
}

/// Kodi's season artwork kept in the show folder, for one season:
/// `season01-poster.jpg`, `season1-fanart.jpg`, `season01-banner.jpg`,
/// `season01-landscape.jpg`, `season01.jpg` (a poster); season 0 is
/// `season-specials-poster.jpg` or `season00-poster.jpg`; `season-all-poster.jpg`
/// applies to every season and comes last.  Paths are relative to the show
/// folder.
pub fn season_artwork_from_show_folder(season: u32, show_folder_names: &[&str]) -> Vec<ArtworkRef> {
    season_art(season, &Listing::new(show_folder_names))
}

fn season_art(season: u32, listing: &Listing<'_>) -> Vec<ArtworkRef> {
    // (0 = this season, 1 = "all"; kind; original name)
    let mut found: Vec<(u8, u8, &str)> = Vec::new();
    for (stem, original) in listing.images() {
        let Some(caps) = regexes()[3].captures(stem) else {
            continue;
        };
        let scope = match (caps.get(1), caps.get(2).map(|m| m.as_str())) {
            (Some(n), _) => match n.as_str().parse::<u32>() {
                Ok(n) if n == season => 0,
                _ => continue,
            },
            (None, Some("specials")) if season == 0 => 0,
            (None, Some("all")) => 1,
            _ => continue,
        };
        let kind = match caps.get(3).map(|m| m.as_str()) {
            None | Some("poster") => ArtworkKind::Poster,
            Some("fanart") | Some("backdrop") => ArtworkKind::Backdrop,
            Some("banner") => ArtworkKind::Banner,
            Some("landscape") | Some("thumb") => ArtworkKind::Thumb,
            Some(_) => ArtworkKind::Logo,
        };
        found.push((scope, kind_rank(kind), original));
    }
    found.sort();
    let mut art = Art::default();
    for (_, rank, name) in found {
        let kind = match rank {
            0 => ArtworkKind::Poster,
            1 => ArtworkKind::Backdrop,
            2 => ArtworkKind::Thumb,
            3 => ArtworkKind::Logo,
            _ => ArtworkKind::Banner,
        };
        art.add(kind, Some(name));
    }
    art.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(set: &SidecarSet, kind: ArtworkKind) -> Vec<&str> {
        set.artwork
            .iter()
            .filter(|a| a.kind == kind)
            .map(|a| a.path.as_str())
            .collect()
    }

    #[test]
    fn episode_sidecars() {
        let names = [
            "Show - S01E01.mkv",
            "Show - S01E01.nfo",
            "Show - S01E01.json",
            "Show - S01E01-thumb.jpg",
            "Show - S01E01.jpg",
            "S01E01-thumb.png",
            "s01e01.webp",
            "Show - S01E02.mkv",
            "Show - S01E02.NFO",
            "Show - S01E02.marquee.json",
            "Show - S01E02.json",
            "S01E02-thumb.jpg",
            "S01E12-thumb.jpg",
            "Other S01E02 - thumb.jpg",
            "season.nfo",
            "poster.jpg",
            "movie.nfo",
        ];
        let e1 = sidecars_for_video("Show - S01E01.mkv", &names);
        assert_eq!(e1.nfo.as_deref(), Some("Show - S01E01.nfo"));
        assert_eq!(e1.json.as_deref(), Some("Show - S01E01.json"));
        assert_eq!(
            paths(&e1, ArtworkKind::Thumb),
            [
                "Show - S01E01-thumb.jpg",
                "Show - S01E01.jpg",
                "S01E01-thumb.png",
                "s01e01.webp"
            ]
        );
        assert!(
            paths(&e1, ArtworkKind::Poster).is_empty(),
            "folder art is not an episode's"
        );

        let e2 = sidecars_for_video("Show - S01E02.mkv", &names);
        assert_eq!(
            e2.nfo.as_deref(),
            Some("Show - S01E02.NFO"),
            "any case, listed spelling"
        );
        assert_eq!(
            e2.json.as_deref(),
            Some("Show - S01E02.marquee.json"),
            ".marquee.json first"
        );
        assert_eq!(paths(&e2, ArtworkKind::Thumb), ["S01E02-thumb.jpg"]);

        let e3 = sidecars_for_video("Show - S01E03.mkv", &names);
        assert_eq!(e3.nfo, None, "an episode never takes movie.nfo");
        assert!(e3.is_empty());
    }

    #[test]
    fn episode_code_spellings() {
        assert_eq!(episode_code("show.s02e10.720p"), Some((2, 10)));
        assert_eq!(episode_code("Show - S1E2 - Title"), Some((1, 2)));
        assert_eq!(episode_code("Show 3x04"), Some((3, 4)));
        assert_eq!(episode_code("Show.S01.E05"), Some((1, 5)));
        assert_eq!(episode_code("Heat (1995)"), None);
        assert_eq!(episode_code("1920x1080 sample"), None);
        assert_eq!(episode_code("Pulses01e02"), None);
    }

    #[test]
    fn movie_in_own_folder() {
        let names = [
            "Heat (1995).mkv",
            "Heat (1995)-trailer.mp4",
            "movie.nfo",
            "Heat (1995).en.srt",
            "poster.jpg",
            "folder.jpg",
            "Heat (1995)-poster.png",
            "fanart.jpg",
            "fanart1.jpg",
            "fanart10.jpg",
            "fanart2.jpg",
            "backdrop.jpg",
            "landscape.jpg",
            "logo.png",
            "clearlogo.png",
            "banner.jpg",
            "marquee.json",
            "disc.png",
        ];
        let set = sidecars_for_video("Heat (1995).mkv", &names);
        assert_eq!(set.nfo.as_deref(), Some("movie.nfo"));
        assert_eq!(set.json.as_deref(), Some("marquee.json"));
        assert_eq!(
            paths(&set, ArtworkKind::Poster),
            ["Heat (1995)-poster.png", "poster.jpg", "folder.jpg"]
        );
        assert_eq!(
            paths(&set, ArtworkKind::Backdrop),
            [
                "fanart.jpg",
                "backdrop.jpg",
                "fanart1.jpg",
                "fanart2.jpg",
                "fanart10.jpg"
            ]
        );
        assert_eq!(paths(&set, ArtworkKind::Thumb), ["landscape.jpg"]);
        assert_eq!(
            paths(&set, ArtworkKind::Logo),
            ["logo.png", "clearlogo.png"]
        );
        assert_eq!(paths(&set, ArtworkKind::Banner), ["banner.jpg"]);
        assert_eq!(
            set.first(ArtworkKind::Poster).map(|a| a.path.as_str()),
            Some("Heat (1995)-poster.png")
        );
        // Kind order: posters, backdrops, thumbs, logos, banners.
        let ranks: Vec<u8> = set.artwork.iter().map(|a| kind_rank(a.kind)).collect();
        assert!(ranks.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn movie_with_named_sidecars_and_parts() {
        let names = [
            "Heat (1995) - cd1.avi",
            "Heat (1995) - cd2.avi",
            "Heat (1995) - cd1.nfo",
            "Heat (1995) - cd1.jpg",
            "Heat (1995) - cd1-fanart.jpg",
            "poster.jpg",
        ];
        let set = sidecars_for_video("Heat (1995) - cd1.avi", &names);
        assert_eq!(set.nfo.as_deref(), Some("Heat (1995) - cd1.nfo"));
        assert_eq!(
            paths(&set, ArtworkKind::Poster),
            ["Heat (1995) - cd1.jpg", "poster.jpg"]
        );
        assert_eq!(
            paths(&set, ArtworkKind::Backdrop),
            ["Heat (1995) - cd1-fanart.jpg"]
        );
    }

    #[test]
    fn movies_sharing_a_folder_do_not_take_folder_files() {
        let names = [
            "Heat (1995).mkv",
            "Ronin (1998).mkv",
            "Heat (1995)-poster.jpg",
            "Ronin (1998).nfo",
            "poster.jpg",
            "movie.nfo",
        ];
        let heat = sidecars_for_video("Heat (1995).mkv", &names);
        assert_eq!(heat.nfo, None);
        assert_eq!(
            paths(&heat, ArtworkKind::Poster),
            ["Heat (1995)-poster.jpg"]
        );
        let ronin = sidecars_for_video("Ronin (1998).mkv", &names);
        assert_eq!(ronin.nfo.as_deref(), Some("Ronin (1998).nfo"));
        assert!(ronin.artwork.is_empty());
    }

    #[test]
    fn video_without_extension_or_siblings() {
        assert!(sidecars_for_video("README", &[]).is_empty());
        assert!(sidecars_for_video(".mkv", &[".nfo"]).nfo.is_none());
    }

    #[test]
    fn series_folder() {
        let names = [
            "Season 01",
            "tvshow.nfo",
            "series.json",
            "Marquee.JSON",
            "folder.jpg",
            "poster.jpg",
            "fanart.jpg",
            "banner.jpg",
            "clearlogo.png",
            "season01-poster.jpg",
            "season-specials-poster.jpg",
            "season-all-poster.jpg",
        ];
        let set = sidecars_for_folder(FolderKind::Series, &names);
        assert_eq!(set.nfo.as_deref(), Some("tvshow.nfo"));
        assert_eq!(
            set.json.as_deref(),
            Some("Marquee.JSON"),
            "marquee.json before series.json"
        );
        assert_eq!(
            paths(&set, ArtworkKind::Poster),
            ["poster.jpg", "folder.jpg"]
        );
        assert_eq!(paths(&set, ArtworkKind::Backdrop), ["fanart.jpg"]);
        assert_eq!(paths(&set, ArtworkKind::Banner), ["banner.jpg"]);
        assert_eq!(paths(&set, ArtworkKind::Logo), ["clearlogo.png"]);
        assert!(!set.artwork.iter().any(|a| a.path.starts_with("season")));

        let s1 = season_artwork_from_show_folder(1, &names);
        assert_eq!(
            s1.iter().map(|a| a.path.as_str()).collect::<Vec<_>>(),
            ["season01-poster.jpg", "season-all-poster.jpg"]
        );
        let specials = season_artwork_from_show_folder(0, &names);
        assert_eq!(specials[0].path, "season-specials-poster.jpg");
        let s2 = season_artwork_from_show_folder(2, &names);
        assert_eq!(
            s2.iter().map(|a| a.path.as_str()).collect::<Vec<_>>(),
            ["season-all-poster.jpg"]
        );
    }

    #[test]
    fn season_art_spellings() {
        let names = [
            "Season01.jpg",
            "season1-fanart.jpg",
            "season01-banner.png",
            "season01-landscape.jpg",
            "season 1-poster.jpg",
            "season10-poster.jpg",
            "season00-poster.jpg",
            "season01-poster.txt",
        ];
        let art = season_artwork_from_show_folder(1, &names);
        let got: Vec<(ArtworkKind, &str)> = art.iter().map(|a| (a.kind, a.path.as_str())).collect();
        assert_eq!(
            got,
            [
                (ArtworkKind::Poster, "Season01.jpg"),
                (ArtworkKind::Poster, "season 1-poster.jpg"),
                (ArtworkKind::Backdrop, "season1-fanart.jpg"),
                (ArtworkKind::Thumb, "season01-landscape.jpg"),
                (ArtworkKind::Banner, "season01-banner.png"),
            ]
        );
        assert_eq!(
            season_artwork_from_show_folder(0, &names)[0].path,
            "season00-poster.jpg"
        );
    }

    #[test]
    fn season_folder() {
        let names = [
            "Show - S01E01.mkv",
            "season.nfo",
            "season.json",
            "poster.jpg",
            "season01-poster.jpg",
            "season02-poster.jpg",
        ];
        let set = sidecars_for_folder(FolderKind::Season(1), &names);
        assert_eq!(set.nfo.as_deref(), Some("season.nfo"));
        assert_eq!(set.json.as_deref(), Some("season.json"));
        assert_eq!(
            paths(&set, ArtworkKind::Poster),
            ["season01-poster.jpg", "poster.jpg"]
        );
    }

    #[test]
    fn movie_folder() {
        let names = ["movie.nfo", "movie.json", "cover.jpeg", "background.jpg"];
        let set = sidecars_for_folder(FolderKind::Movie, &names);
        assert_eq!(set.nfo.as_deref(), Some("movie.nfo"));
        assert_eq!(set.json.as_deref(), Some("movie.json"));
        assert_eq!(paths(&set, ArtworkKind::Poster), ["cover.jpeg"]);
        assert_eq!(paths(&set, ArtworkKind::Backdrop), ["background.jpg"]);
        assert!(sidecars_for_folder(FolderKind::Movie, &[]).is_empty());
    }
}
