//! Pure decisions of the extras worker: skip markers from chapter names, intros and credits from
//! audio fingerprints shared across a season, the audio windows to fingerprint, and the layout
//! and WebVTT track of scrub thumbnails.

use marquee_media::audio_match::{longest_shared, Code, FRAME_MS};
use marquee_media::Chapter;
use marquee_store::extras::{Span, ThumbnailLayout};

/// Shortest shared opening that counts as an intro: 5 s (a studio sting is already worth skipping).
pub const MIN_INTRO_MS: u64 = 5_000;
/// Shortest shared ending that counts as end credits.
pub const MIN_CREDITS_MS: u64 = 3_000;
/// Unmatched frames a shared stretch may bridge (a dropped frame, a title card mixed in).
const MAX_GAP_FRAMES: usize = 10;
/// Episodes each one is compared with (its neighbours in episode order): bounds the work for
/// long seasons at O(n).
const PARTNERS: usize = 3;

/// How much of the opening is fingerprinted: 60 % of the file, at most 6 minutes.
pub fn head_window_ms(duration_ms: u64) -> u64 {
    (duration_ms * 3 / 5).min(360_000)
}

/// Where the fingerprinted ending starts and how long it is: the last 35 %, at most 4 minutes.
pub fn tail_window_ms(duration_ms: u64) -> (u64, u64) {
    let len = (duration_ms * 7 / 20).min(240_000);
    (duration_ms - len, len)
}

fn words(title: &str) -> Vec<String> {
    title
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// Whether a chapter title names an intro ("Intro", "Opening", "Opening Credits", "OP").
pub fn is_intro_title(title: &str) -> bool {
    let w = words(title);
    let has = |x: &str| w.iter().any(|y| y == x);
    has("intro") || has("opening") || w == ["op"] || w == ["theme"] || w == ["title", "sequence"]
}

/// Whether a chapter title names end credits ("Credits", "End Credits", "Ending", "ED").
pub fn is_credits_title(title: &str) -> bool {
    let w = words(title);
    let has = |x: &str| w.iter().any(|y| y == x);
    !is_intro_title(title)
        && (has("credits")
            || has("ending")
            || has("outro")
            || w == ["ed"]
            || w == ["end", "titles"])
}

/// Skip markers named by chapters: the first intro chapter, and the first credits chapter in the
/// second half of the file.
pub fn from_chapters(chapters: &[Chapter], duration_ms: u64) -> (Option<Span>, Option<u64>) {
    let title = |c: &Chapter| c.title.clone().unwrap_or_default();
    let intro = chapters
        .iter()
        .find(|c| is_intro_title(&title(c)))
        .map(|c| Span {
            start_ms: c.start_ms,
            end_ms: c.end_ms,
        });
    let credits = chapters
        .iter()
        .find(|c| is_credits_title(&title(c)) && c.start_ms * 2 >= duration_ms)
        .map(|c| c.start_ms);
    (intro, credits)
}

/// One episode's fingerprints, as matching sees them.
pub struct EpisodePrints<'a> {
    pub head: &'a [Code],
    pub tail: &'a [Code],
    pub tail_offset_ms: u64,
    pub duration_ms: u64,
}

/// The episodes compared with episode `i`: its nearest neighbours in episode order.
fn partners(i: usize, n: usize) -> impl Iterator<Item = usize> {
    [1isize, -1, 2, -2, 3, -3]
        .into_iter()
        .map(move |d| i as isize + d)
        .filter(move |&j| j >= 0 && (j as usize) < n)
        .map(|j| j as usize)
        .take(PARTNERS)
}

/// For each episode of a season, the intro (the longest opening stretch it shares with a
/// neighbour) and the start of the end credits (a shared stretch that runs to the end).
pub fn match_season(eps: &[EpisodePrints<'_>]) -> Vec<(Option<Span>, Option<u64>)> {
    let min_intro = (MIN_INTRO_MS / FRAME_MS) as usize;
    let min_credits = (MIN_CREDITS_MS / FRAME_MS) as usize;
    (0..eps.len())
        .map(|i| {
            let me = &eps[i];
            let intro = partners(i, eps.len())
                .filter_map(|j| longest_shared(me.head, eps[j].head, min_intro, MAX_GAP_FRAMES))
                .max_by_key(|s| s.frames)
                .map(|s| Span {
                    start_ms: s.start_ms_a(),
                    end_ms: Some(s.end_ms_a()),
                });
            let tail_len = me.tail.len() as u64 * FRAME_MS;
            let slack = (tail_len / 5).max(15_000);
            let credits = partners(i, eps.len())
                .filter_map(|j| longest_shared(me.tail, eps[j].tail, min_credits, MAX_GAP_FRAMES))
                .filter(|s| me.tail_offset_ms + s.end_ms_a() + slack >= me.duration_ms)
                .max_by_key(|s| s.frames)
                .map(|s| me.tail_offset_ms + s.start_ms_a());
            (intro, credits)
        })
        .collect()
}

/// Tiles per sheet side.
pub const SHEET_SIDE: u32 = 10;
/// Width of one scrub thumbnail.
pub const TILE_WIDTH: u32 = 160;

/// One tile every 2–10 s (about 300 tiles up to a 50-minute video, then one every 10 s),
/// 160 px wide with the video's aspect ratio, 10×10 to a sheet.
pub fn thumbnail_layout(duration_ms: u64, width: u32, height: u32) -> ThumbnailLayout {
    let interval_ms = (duration_ms / 300).clamp(2_000, 10_000) / 1000 * 1000;
    let height = if width > 0 && height > 0 {
        ((u64::from(TILE_WIDTH) * u64::from(height) / u64::from(width)) as u32 / 2 * 2)
            .clamp(2, 480)
    } else {
        90
    };
    ThumbnailLayout {
        interval_ms,
        width: TILE_WIDTH,
        height,
        columns: SHEET_SIDE,
        rows: SHEET_SIDE,
        // A tile for every interval that starts a second or more before the end (ffmpeg has no
        // frame to show for one starting later).
        count: (duration_ms.saturating_sub(1000) / interval_ms + 1) as u32,
    }
}

fn vtt_time(ms: u64) -> String {
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

/// The WebVTT thumbnail track: one cue per tile, pointing into its sheet with `#xywh=`. Sheets
/// are named relative to the track (`thumbnails/sheet-<n>.jpg`).
pub fn thumbnails_vtt(layout: &ThumbnailLayout, duration_ms: u64) -> String {
    let per_sheet = layout.columns * layout.rows;
    let mut out = String::from("WEBVTT\n");
    for i in 0..layout.count {
        let start = u64::from(i) * layout.interval_ms;
        // The last tile stands for the rest of the video.
        let end = if i + 1 == layout.count {
            duration_ms.max(start + 1)
        } else {
            start + layout.interval_ms
        };
        let (sheet, cell) = (i / per_sheet, i % per_sheet);
        let (x, y) = (
            cell % layout.columns * layout.width,
            cell / layout.columns * layout.height,
        );
        out.push_str(&format!(
            "\n{} --> {}\nthumbnails/sheet-{sheet}.jpg#xywh={x},{y},{},{}\n",
            vtt_time(start),
            vtt_time(end),
            layout.width,
            layout.height
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chapter_titles() {
        for t in [
            "Intro",
            "Opening Credits",
            "OP",
            "opening",
            "Title Sequence",
        ] {
            assert!(is_intro_title(t), "{t}");
            assert!(!is_credits_title(t), "{t}");
        }
        for t in ["Credits", "End Credits", "Ending", "ED", "Outro"] {
            assert!(is_credits_title(t), "{t}");
        }
        for t in [
            "Chapter 1",
            "The Opening of the Vault Door",
            "Introduction to X",
        ] {
            assert!(!is_credits_title(t), "{t}");
        }
        let ch = |s, e, t: &str| Chapter {
            start_ms: s,
            end_ms: Some(e),
            title: Some(t.into()),
        };
        let chapters = [
            ch(0, 5_000, "Cold open"),
            ch(5_000, 35_000, "Opening"),
            ch(35_000, 1_000_000, "Part 1"),
            ch(1_000_000, 1_200_000, "Credits"),
        ];
        let (intro, credits) = from_chapters(&chapters, 1_200_000);
        assert_eq!(
            intro,
            Some(Span {
                start_ms: 5_000,
                end_ms: Some(35_000)
            })
        );
        assert_eq!(credits, Some(1_000_000));
        // "Credits" in the first half is not the end credits.
        assert_eq!(from_chapters(&chapters[..], 3_000_000).1, None);
    }

    #[test]
    fn windows() {
        assert_eq!(head_window_ms(24_000), 14_400);
        assert_eq!(head_window_ms(3_000_000), 360_000);
        assert_eq!(tail_window_ms(24_000), (15_600, 8_400));
        assert_eq!(tail_window_ms(3_000_000), (2_760_000, 240_000));
    }

    #[test]
    fn vtt_cues_cover_the_duration() {
        let layout = thumbnail_layout(1_234_567, 1920, 1080);
        assert_eq!(layout.interval_ms, 4_000);
        assert_eq!((layout.width, layout.height), (160, 90));
        let vtt = thumbnails_vtt(&layout, 1_234_567);
        let cues: Vec<&str> = vtt.lines().filter(|l| l.contains("-->")).collect();
        assert_eq!(cues.len() as u32, layout.count);
        assert!(cues[0].starts_with("00:00:00.000 --> 00:00:04.000"));
        assert!(cues.last().unwrap().ends_with("--> 00:20:34.567"));
        assert!(vtt.contains("thumbnails/sheet-1.jpg#xywh=0,0,160,90"));
        assert!(vtt.contains("thumbnails/sheet-0.jpg#xywh=1440,810,160,90"));
        assert_eq!(thumbnail_layout(500, 0, 0).count, 1);
    }

    #[test]
    fn season_matching_needs_a_partner() {
        let theme: Vec<Code> = (0..80).map(|i| Some(1u32 << (i % 7))).collect();
        let mut a: Vec<Code> = vec![Some(0xF0F0_0000); 20];
        a.extend(&theme);
        let mut b: Vec<Code> = vec![Some(0x0000_0F0F); 45];
        b.extend(&theme);
        let ep = |head: &'static [Code]| EpisodePrints {
            head,
            tail: &[],
            tail_offset_ms: 0,
            duration_ms: 60_000,
        };
        let (a, b): (&'static [Code], &'static [Code]) = (Vec::leak(a), Vec::leak(b));
        let got = match_season(&[ep(a), ep(b)]);
        let near = |got: Option<u64>, want: u64| got.is_some_and(|g| g.abs_diff(want) <= 100);
        assert!(near(got[0].0.map(|s| s.start_ms), 2_000), "{got:?}");
        assert!(near(got[1].0.map(|s| s.start_ms), 4_500), "{got:?}");
        assert!(near(got[1].0.and_then(|s| s.end_ms), 12_500), "{got:?}");
        assert_eq!(match_season(&[ep(a)]), vec![(None, None)]);
    }
}
