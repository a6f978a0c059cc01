//! Table of real-world names and what they must identify as. Every field is compared:
//! a row that does not mention a field expects it unset.

use std::path::Path;

use super::*;

fn base(path: &str, kind: Kind) -> Identity {
    Identity {
        kind,
        ..Identity::unknown(path)
    }
}

/// An episode: series (empty = none), season, episodes.
fn ep(path: &str, series: &str, season: u32, episodes: &[u32]) -> Identity {
    let mut id = base(path, Kind::Episode);
    id.series = opt(series);
    id.season = Some(season);
    id.episodes = episodes.to_vec();
    id
}

/// An episode with no season (absolute anime numbering).
fn abs(path: &str, series: &str, episodes: &[u32]) -> Identity {
    let mut id = base(path, Kind::Episode);
    id.series = opt(series);
    id.episodes = episodes.to_vec();
    id.absolute = true;
    id
}

/// An episode without season and episode numbers (air-date shows, unnumbered files).
fn episode(path: &str, series: &str) -> Identity {
    let mut id = base(path, Kind::Episode);
    id.series = opt(series);
    id
}

fn dated(path: &str, series: &str, date: &str) -> Identity {
    let mut id = episode(path, series);
    id.air_date = Some(date.to_string());
    id
}

fn movie(path: &str, title: &str) -> Identity {
    let mut id = base(path, Kind::Movie);
    id.title = opt(title);
    id
}

fn extra(path: &str, kind: &str, title: &str) -> Identity {
    let mut id = base(path, Kind::Extra);
    id.extra = Some(kind.to_string());
    id.title = opt(title);
    id
}

fn unknown(path: &str) -> Identity {
    base(path, Kind::Unknown)
}

fn opt(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

trait Expect {
    fn year(self, y: i32) -> Self;
    fn title(self, t: &str) -> Self;
    fn series(self, s: &str) -> Self;
    fn season(self, s: u32) -> Self;
    fn eps(self, e: &[u32]) -> Self;
    /// Release tags: resolution, source, codec, group ("" = none).
    fn tags(self, res: &str, source: &str, codec: &str, group: &str) -> Self;
}

impl Expect for Identity {
    fn year(mut self, y: i32) -> Self {
        self.year = Some(y);
        self
    }
    fn title(mut self, t: &str) -> Self {
        self.title = opt(t);
        self
    }
    fn series(mut self, s: &str) -> Self {
        self.series = opt(s);
        self
    }
    fn season(mut self, s: u32) -> Self {
        self.season = Some(s);
        self
    }
    fn eps(mut self, e: &[u32]) -> Self {
        self.episodes = e.to_vec();
        self
    }
    fn tags(mut self, res: &str, source: &str, codec: &str, group: &str) -> Self {
        self.release = ReleaseTags {
            resolution: opt(res),
            source: opt(source),
            codec: opt(codec),
            group: opt(group),
        };
        self
    }
}

#[rustfmt::skip]
fn cases() -> Vec<Identity> {
    vec![
        // --- SxxEyy and friends -----------------------------------------------------------
        ep("Shows/The Defiant Ones (2017)/Season 01/The Defiant Ones - S01E02 - Part Two.mp4", "The Defiant Ones", 1, &[2]).year(2017).title("Part Two"),
        ep("Show.Name.S01E01E02.1080p.WEB-DL.x264-GRP.mkv", "Show Name", 1, &[1, 2]).tags("1080p", "web-dl", "h264", "GRP"),
        ep("/definitely/not/here/Show - S02E03.mkv", "Show", 2, &[3]),
        ep("Show - s1e2.mkv", "Show", 1, &[2]),
        ep("Show 1x02.mkv", "Show", 1, &[2]),
        ep("Show.S01.E02.mkv", "Show", 1, &[2]),
        ep("Show S01 E02.mkv", "Show", 1, &[2]),
        ep("Show S01-E02.mkv", "Show", 1, &[2]),
        ep("Show.S01E01-E02.mkv", "Show", 1, &[1, 2]),
        ep("Show.S01E01-02.mkv", "Show", 1, &[1, 2]),
        ep("Show 1x01-1x02.mkv", "Show", 1, &[1, 2]),
        ep("Show.S01E01-E03.mkv", "Show", 1, &[1, 2, 3]),
        ep("Show.S01E01E02E03.mkv", "Show", 1, &[1, 2, 3]),
        ep("Show.S01E01.S01E02.mkv", "Show", 1, &[1, 2]),
        ep("Show - S01E01 - S01E02 - Title.mkv", "Show", 1, &[1, 2]).title("Title"),
        ep("Show - S01E100.mkv", "Show", 1, &[100]),
        ep("Show 1x105.mkv", "Show", 1, &[105]),
        ep("Show Name 2x05-2x06.mkv", "Show Name", 2, &[5, 6]),
        ep("Show Name 2x05x06.mkv", "Show Name", 2, &[5, 6]),
        ep("Show.Name.2x05.Title.mkv", "Show Name", 2, &[5]).title("Title"),
        ep("Show.S2019E05.mkv", "Show", 2019, &[5]),
        ep("Show.S01E01-1080p.mkv", "Show", 1, &[1]).tags("1080p", "", "", ""),
        ep("show.s10e22.hdtv.xvid-grp.avi", "show", 10, &[22]).tags("", "hdtv", "xvid", "grp"),
        ep("Show - S01E01 - Mr. Robot.mkv", "Show", 1, &[1]).title("Mr. Robot"),
        ep("Mr. Robot - S01E01 - eps1.0_hellofriend.mov", "Mr. Robot", 1, &[1]).title("eps1.0 hellofriend"),
        // --- Season folders --------------------------------------------------------------
        ep("Show/Season 01/S01E02.mkv", "Show", 1, &[2]),
        ep("Show (2017)/Season 1/E02.mkv", "Show", 1, &[2]).year(2017),
        ep("Show/Season 2/Episode 3.mkv", "Show", 2, &[3]),
        ep("Show/Season 2/03 - The Title.mkv", "Show", 2, &[3]).title("The Title"),
        ep("Show/S03/04.mkv", "Show", 3, &[4]),
        ep("Show/s3/E04 - Title.mkv", "Show", 3, &[4]).title("Title"),
        ep("Show/Series 2/Show - 05.mkv", "Show", 2, &[5]),
        ep("Show/Staffel 2/Show - S02E01.mkv", "Show", 2, &[1]),
        ep("Show/Season 1 (2019)/E01.mkv", "Show", 1, &[1]),
        ep("Show/Specials/Show - S00E01 - Pilot Extended.mkv", "Show", 0, &[1]).title("Pilot Extended"),
        ep("Show/Season 00/Show - S00E02.mkv", "Show", 0, &[2]),
        ep("Show/Specials/E01.mkv", "Show", 0, &[1]),
        episode("Show/Specials/Christmas Special.mkv", "Show").season(0).title("Christmas Special"),
        episode("Show/Specials/Show - Christmas Special.mkv", "Show").season(0).title("Christmas Special"),
        ep("Show/Season 2000/Show - S2000E01.mkv", "Show", 2000, &[1]),
        ep("Show/Season 2000/E01.mkv", "Show", 2000, &[1]),
        ep("TV/Show Name/Season 3/Show Name - 3x07 - Title.avi", "Show Name", 3, &[7]).title("Title"),
        ep("TV/Season 1/E01.mkv", "", 1, &[1]),
        ep("Season 1/S01E02.mkv", "", 1, &[2]),
        ep("Shows/Breaking Bad/S01E01.mkv", "Breaking Bad", 1, &[1]),
        ep("/mnt/media/tv/Show (2010)/Season 05/Show (2010) - S05E03 - Title (1080p).mkv", "Show", 5, &[3]).year(2010).title("Title").tags("1080p", "", "", ""),
        ep("Show (2017)/Season 01/Show.2017.S01E01.mkv", "Show", 1, &[1]).year(2017),
        ep("Show/Season 1/Other Show - S01E01.mkv", "Other Show", 1, &[1]),
        ep("Show/Season 2/Show - S03E01.mkv", "Show", 3, &[1]),
        episode("Show/Season 1/Pilot.mkv", "Show").season(1).title("Pilot"),
        episode("Show/Season 1/Show - Pilot.mkv", "Show").season(1).title("Pilot"),
        ep("Show/Season 1/Show - 01x02.mkv", "Show", 1, &[2]),
        ep("Show/Season 01/1x03 - Title.mkv", "Show", 1, &[3]).title("Title"),
        ep("Show/Season 1/s01e01.mkv", "Show", 1, &[1]),
        ep("Show/Season 1/05v2 - Title.mkv", "Show", 1, &[5]).title("Title"),
        ep("Show/Season 1/05-06 - Double.mkv", "Show", 1, &[5, 6]).title("Double"),
        ep("The Simpsons/Season 35/The Simpsons - S35E01 - Homer's Crossing.mkv", "The Simpsons", 35, &[1]).title("Homer's Crossing"),
        ep("Grey's Anatomy/Season 20/Greys.Anatomy.S20E01.mkv", "Grey's Anatomy", 20, &[1]),
        ep("Shows/Marvel's Agents of S.H.I.E.L.D. (2013)/Season 01/Marvels.Agents.of.S.H.I.E.L.D.S01E01.mkv", "Marvel's Agents of S.H.I.E.L.D.", 1, &[1]).year(2013),
        ep("../Show/Season 1/E01.mkv", "Show", 1, &[1]),
        ep("C:\\TV\\Show\\Season 2\\Show - S02E04.mkv", "Show", 2, &[4]),
        // --- Scene names ----------------------------------------------------------------
        ep("Show.Name.S03E07.Episode.Title.1080p.WEB-DL.DDP5.1.H.264-GROUP.mkv", "Show Name", 3, &[7]).title("Episode Title").tags("1080p", "web-dl", "h264", "GROUP"),
        ep("show.name.s02e05.720p.hdtv.x264-lol.mkv", "show name", 2, &[5]).tags("720p", "hdtv", "h264", "lol"),
        ep("Show.Name.S01E01.REPACK.720p.WEB.h264-GRP.mkv", "Show Name", 1, &[1]).tags("720p", "web-dl", "h264", "GRP"),
        ep("show.s01e01.720p.web.h264-grp.mkv", "show", 1, &[1]).tags("720p", "web-dl", "h264", "grp"),
        ep("Show.Name.S05E10.Title.Part.2.2160p.NF.WEB-DL.DDP5.1.HDR.HEVC-GRP.mkv", "Show Name", 5, &[10]).title("Title Part 2").tags("2160p", "web-dl", "hevc", "GRP"),
        ep("Show.Name.S01E01.WEBRip.x265-GRP.mkv", "Show Name", 1, &[1]).tags("", "webrip", "hevc", "GRP"),
        ep("The.Office.US.S02E01.The.Dundies.DVDRip.XviD-GRP.avi", "The Office US", 2, &[1]).title("The Dundies").tags("", "dvd", "xvid", "GRP"),
        ep("Show.Name.S01E01.1080p.BluRay.x264-GRP.mkv", "Show Name", 1, &[1]).tags("1080p", "bluray", "h264", "GRP"),
        ep("Show.Name.S01E01.1080p.AMZN.WEB-DL.DDP5.1.H.265-GRP[rarbg].mkv", "Show Name", 1, &[1]).tags("1080p", "web-dl", "hevc", "GRP"),
        ep("Show.Name.S01.1080p.WEB-DL-GRP/Show.Name.S01E02.1080p.WEB-DL-GRP.mkv", "Show Name", 1, &[2]).tags("1080p", "web-dl", "", "GRP"),
        ep("Show_Name_S01E03_Title_Here.mkv", "Show Name", 1, &[3]).title("Title Here"),
        ep("Show (2017)/Season 1/Show (2017) - s01e01 - Title [WEBDL-1080p].mkv", "Show", 1, &[1]).year(2017).title("Title").tags("1080p", "web-dl", "", ""),
        ep("Show Title - S01E01 - Episode Title Bluray-1080p Proper.mkv", "Show Title", 1, &[1]).title("Episode Title").tags("1080p", "bluray", "", ""),
        ep("House of the Dragon (2022)/Season 1/House.of.the.Dragon.S01E01.The.Heirs.of.the.Dragon.2160p.HMAX.WEB-DL.DDP5.1.Atmos.DV.HEVC-CMRG.mkv", "House of the Dragon", 1, &[1]).year(2022).title("The Heirs of the Dragon").tags("2160p", "web-dl", "hevc", "CMRG"),
        ep("The.Flash.2014.S01E01.720p.HDTV.X264-DIMENSION.mkv", "The Flash", 1, &[1]).year(2014).tags("720p", "hdtv", "h264", "DIMENSION"),
        ep("Show/Season 1/Show S01E01 [1080p x265 10bit].mkv", "Show", 1, &[1]).tags("1080p", "", "hevc", ""),
        ep("[Judas] Show - S01E05.mkv", "Show", 1, &[5]).tags("", "", "", "Judas"),
        ep("Show - S01E01 - E.T. Phone Home.mkv", "Show", 1, &[1]).title("E.T. Phone Home"),
        ep("Lost/Season 1/Lost - S01E01-E02 - Pilot.mkv", "Lost", 1, &[1, 2]).title("Pilot"),
        ep("Top Gear/Series 22/Top Gear - 22x01.mkv", "Top Gear", 22, &[1]),
        ep("The.X-Files.S01E01.mkv", "The X-Files", 1, &[1]),
        ep("Show.Name.S01E01.The.Web.480p.mkv", "Show Name", 1, &[1]).title("The Web").tags("480p", "", "", ""),
        // --- Series names with numbers, years, countries ---------------------------------
        ep("24/Season 1/24 - S01E01.mkv", "24", 1, &[1]),
        ep("24.S01E01.mkv", "24", 1, &[1]),
        ep("9-1-1.S02E03.mkv", "9-1-1", 2, &[3]),
        ep("9-1-1.S02E03.720p.HDTV.x264-KILLERS.mkv", "9-1-1", 2, &[3]).tags("720p", "hdtv", "h264", "KILLERS"),
        ep("The 100 - S01E01.mkv", "The 100", 1, &[1]),
        ep("The.100.S01E01.mkv", "The 100", 1, &[1]),
        ep("1883.S01E01.mkv", "1883", 1, &[1]),
        ep("1883/Season 1/1883 - S01E02 - Behind Us, a Cliff.mkv", "1883", 1, &[2]).title("Behind Us, a Cliff"),
        ep("Doctor Who (2005) - S01E01.mkv", "Doctor Who", 1, &[1]).year(2005),
        ep("Doctor.Who.2005.S01E01.Rose.mkv", "Doctor Who", 1, &[1]).year(2005).title("Rose"),
        ep("Show.Name.US.S01E01.mkv", "Show Name US", 1, &[1]),
        ep("Show Name (US) - S01E01.mkv", "Show Name (US)", 1, &[1]),
        ep("Marvels.Agents.of.S.H.I.E.L.D.S01E01.mkv", "Marvels Agents of S.H.I.E.L.D.", 1, &[1]),
        ep("S.W.A.T.2017.S01E01.mkv", "S.W.A.T.", 1, &[1]).year(2017),
        ep("2 Broke Girls - S01E01.mkv", "2 Broke Girls", 1, &[1]),
        ep("Pokémon - S01E01 - Pokémon, I Choose You!.mkv", "Pokémon", 1, &[1]).title("Pokémon, I Choose You!"),
        // --- Air dates -------------------------------------------------------------------
        dated("The Daily Show 2023-05-04 Guest.mkv", "The Daily Show", "2023-05-04").title("Guest"),
        dated("Show.2023.05.04.720p.HDTV.x264-GRP.mkv", "Show", "2023-05-04").tags("720p", "hdtv", "h264", "GRP"),
        dated("The.Daily.Show.2023.05.04.Guest.Name.720p.WEB.h264-GRP.mkv", "The Daily Show", "2023-05-04").title("Guest Name").tags("720p", "web-dl", "h264", "GRP"),
        dated("Show_2023_05_04.mkv", "Show", "2023-05-04"),
        dated("Show 2023 05 04.mkv", "Show", "2023-05-04"),
        dated("Show - 04.05.2023.mkv", "Show", "2023-05-04"),
        dated("Show - 25.12.2022.mkv", "Show", "2022-12-25"),
        dated("Show - 12.25.2022.mkv", "Show", "2022-12-25"),
        dated("Show 2024-02-29.mkv", "Show", "2024-02-29"),
        movie("Show 2023-02-30.mkv", "Show").year(2023),
        dated("Show/Season 2023/Show 2023-05-04.mkv", "Show", "2023-05-04").season(2023),
        dated("Late Night (2014)/Late Night 2020.01.15 Guest Name.mkv", "Late Night", "2020-01-15").year(2014).title("Guest Name"),
        dated("Jeopardy!/Season 40/Jeopardy! 2024-01-15.mkv", "Jeopardy!", "2024-01-15").season(40),
        dated("Show/2021-11-30 - Title.mkv", "Show", "2021-11-30").title("Title"),
        // --- Anime ------------------------------------------------------------------------
        abs("[Group] Show - 12 [1080p].mkv", "Show", &[12]).tags("1080p", "", "", "Group"),
        abs("[Group] Show - 123 (BD 1080p) [ABCD1234].mkv", "Show", &[123]).tags("1080p", "bluray", "", "Group"),
        abs("Show - 12v2.mkv", "Show", &[12]),
        ep("[Group] Show Name S2 - 03 [720p].mkv", "Show Name", 2, &[3]).tags("720p", "", "", "Group"),
        abs("Show - 1001.mkv", "Show", &[1001]),
        abs("[SubsPlease] One Piece - 1071 (1080p) [F2A4B3C1].mkv", "One Piece", &[1071]).tags("1080p", "", "", "SubsPlease"),
        ep("[Group] Show Name 2nd Season - 05 [1080p].mkv", "Show Name", 2, &[5]).tags("1080p", "", "", "Group"),
        ep("[Group] Show Name Season 3 - 01.mkv", "Show Name", 3, &[1]).tags("", "", "", "Group"),
        abs("[Group] Show - 01-02 [1080p].mkv", "Show", &[1, 2]).tags("1080p", "", "", "Group"),
        abs("[Group] Show - 05 - The Title [720p].mkv", "Show", &[5]).title("The Title").tags("720p", "", "", "Group"),
        abs("[Group] Show 07 [1080p].mkv", "Show", &[7]).tags("1080p", "", "", "Group"),
        abs("Anime/Show Name/[Group] Show Name - 12 [1080p].mkv", "Show Name", &[12]).tags("1080p", "", "", "Group"),
        ep("Anime/Show Name/Season 2/[Group] Show Name - 05 [1080p].mkv", "Show Name", 2, &[5]).tags("1080p", "", "", "Group"),
        abs("[Group] Show (2019) - 05 [1080p].mkv", "Show", &[5]).year(2019).tags("1080p", "", "", "Group"),
        abs("[Group] Show - 2019 [1080p].mkv", "Show", &[2019]).tags("1080p", "", "", "Group"),
        abs("[Group] Show - 12 [1080p][HEVC].mkv", "Show", &[12]).tags("1080p", "", "hevc", "Group"),
        abs("[Group] Show - 12 (1080p HEVC AAC) [DEADBEEF].mkv", "Show", &[12]).tags("1080p", "", "hevc", "Group"),
        abs("[Group]_Show_Name_-_08_[720p].mkv", "Show Name", &[8]).tags("720p", "", "", "Group"),
        abs("Show Name - 08 [1080p].mkv", "Show Name", &[8]).tags("1080p", "", "", ""),
        // --- E-only, episode words ---------------------------------------------------------
        episode("Show.Name.S01.1080p.WEB-DL-GRP/E02.mkv", "Show Name").eps(&[2]),
        episode("Show Name/Show Name - Episode 5.mkv", "Show Name").eps(&[5]),
        episode("Show Name - Ep 05 - Title.mkv", "Show Name").eps(&[5]).title("Title"),
        episode("Show Name E07.mkv", "Show Name").eps(&[7]),
        // --- Movies -----------------------------------------------------------------------
        movie("Movie (1999).mkv", "Movie").year(1999),
        movie("Movie.1999.1080p.BluRay.x264-GRP.mkv", "Movie").year(1999).tags("1080p", "bluray", "h264", "GRP"),
        movie("Movies/Movie (1999)/Movie (1999).mkv", "Movie").year(1999),
        movie("Movies/Movie (1999)/movie.mkv", "Movie").year(1999),
        movie("Movies/Heat (1995)/heat-1080p.mkv", "Heat").year(1995).tags("1080p", "", "", ""),
        movie("Movies/Heat (1995)/Heat - Directors Cut.mkv", "Heat").year(1995),
        movie("Blade Runner 2049 (2017).mkv", "Blade Runner 2049").year(2017),
        movie("Movies/Blade Runner 2049 (2017)/Blade Runner 2049 (2017).mkv", "Blade Runner 2049").year(2017),
        movie("Blade Runner 2049.mkv", "Blade Runner 2049"),
        movie("2001 A Space Odyssey (1968).mkv", "2001 A Space Odyssey").year(1968),
        movie("2001.A.Space.Odyssey.1968.1080p.BluRay.x264-GRP.mkv", "2001 A Space Odyssey").year(1968).tags("1080p", "bluray", "h264", "GRP"),
        movie("1917 (2019).mkv", "1917").year(2019),
        movie("1917.2019.2160p.UHD.BluRay.x265-GRP.mkv", "1917").year(2019).tags("2160p", "bluray", "hevc", "GRP"),
        movie("1917.mkv", "1917"),
        movie("Movies/2012 (2009)/2012 (2009).mkv", "2012").year(2009),
        movie("Movie (1999) - 1080p.mkv", "Movie").year(1999).tags("1080p", "", "", ""),
        movie("Movie (1999) {edition-Director's Cut}.mkv", "Movie").year(1999),
        movie("Movie (1999) {tmdb-12345}.mkv", "Movie").year(1999),
        movie("Movie (1999) [imdbid-tt0123456].mkv", "Movie").year(1999),
        movie("Movies/Movie (1999) {imdb-tt0123456}/Movie (1999) {edition-Extended}.mkv", "Movie").year(1999),
        movie("Movie Title [tmdbid-603] (1999).mkv", "Movie Title").year(1999),
        movie("Movie (1999) - part1.mkv", "Movie").year(1999),
        movie("Movie (1999)/Movie (1999) - cd2.mkv", "Movie").year(1999),
        movie("Movie - cd1.avi", "Movie"),
        movie("Movie.cd2.avi", "Movie"),
        movie("Movie Title - pt2.mkv", "Movie Title"),
        movie("Harry Potter and the Deathly Hallows Part 1 (2010).mkv", "Harry Potter and the Deathly Hallows Part 1").year(2010),
        movie("Movie.Title.2019.2160p.UHD.BluRay.x265.10bit.HDR.DTS-HD.MA.7.1-GROUP.mkv", "Movie Title").year(2019).tags("2160p", "bluray", "hevc", "GROUP"),
        movie("Movie.Title.2019.1080p.BluRay.REMUX.AVC.DTS-HD.MA.5.1-GRP.mkv", "Movie Title").year(2019).tags("1080p", "remux", "h264", "GRP"),
        movie("Movie Title (2020) [1080p] [BluRay] [5.1] [YTS.MX].mp4", "Movie Title").year(2020).tags("1080p", "bluray", "", ""),
        movie("E.T. the Extra-Terrestrial (1982).mkv", "E.T. the Extra-Terrestrial").year(1982),
        movie("Spider-Man.No.Way.Home.2021.1080p.WEB-DL.DDP5.1.H.264-GRP.mkv", "Spider-Man No Way Home").year(2021).tags("1080p", "web-dl", "h264", "GRP"),
        movie("Spider-Man (2002).mkv", "Spider-Man").year(2002),
        movie("Mission.Impossible.2.2000.1080p.BluRay.x264-GRP.mkv", "Mission Impossible 2").year(2000).tags("1080p", "bluray", "h264", "GRP"),
        movie("The.Movie.1999.Remastered.1080p.BluRay.x264-GRP.mkv", "The Movie").year(1999).tags("1080p", "bluray", "h264", "GRP"),
        movie("Movies/The Matrix/The Matrix.mkv", "The Matrix"),
        movie("Movies/Some Movie.mkv", "Some Movie"),
        movie("Movie.Title.1080p.BluRay.x264-GRP.mkv", "Movie Title").tags("1080p", "bluray", "h264", "GRP"),
        movie("Movies/Movie.Title.2019.1080p.BluRay.x264-GRP/grp-movie-1080p.mkv", "Movie Title").year(2019).tags("1080p", "", "", ""),
        movie("Movie [2019].mkv", "Movie").year(2019),
        movie("Movie Title 1999.mkv", "Movie Title").year(1999),
        movie("Movie Title - 1999.mkv", "Movie Title").year(1999),
        movie("Star Wars Episode IV - A New Hope (1977).mkv", "Star Wars Episode IV - A New Hope").year(1977),
        movie("Apollo 13 (1995).mkv", "Apollo 13").year(1995),
        movie("Star Wars Episode 1 - The Phantom Menace (1999).mkv", "Star Wars Episode 1 - The Phantom Menace").year(1999),
        movie("Rocky - 2 (1979).mkv", "Rocky - 2").year(1979),
        movie("Dr. Strangelove (1964).mkv", "Dr. Strangelove").year(1964),
        movie("Kill Bill Vol. 1 (2003).mkv", "Kill Bill Vol. 1").year(2003),
        movie("Movies/Movie Title (2019)/Movie Title (2019) Remux-2160p.mkv", "Movie Title").year(2019).tags("2160p", "remux", "", ""),
        movie("Movie Title (2019) Bluray-1080p.mkv", "Movie Title").year(2019).tags("1080p", "bluray", "", ""),
        movie("Ocean's Eleven (2001).mkv", "Ocean's Eleven").year(2001),
        movie("Se7en (1995).mkv", "Se7en").year(1995),
        movie("Alien³ (1992).mkv", "Alien³").year(1992),
        movie("Amélie (2001).mkv", "Amélie").year(2001),
        movie("千と千尋の神隠し (2001).mkv", "千と千尋の神隠し").year(2001),
        movie("Movie.Title.2019.1080p.WEB-DL.DD5.1.H264-GRP[rarbg].mkv", "Movie Title").year(2019).tags("1080p", "web-dl", "h264", "GRP"),
        movie("Movie.Title.2019.DVDRip.XviD-GRP.avi", "Movie Title").year(2019).tags("", "dvd", "xvid", "GRP"),
        movie("Movie.Title.2019.HDTV.720p.mkv", "Movie Title").year(2019).tags("720p", "hdtv", "", ""),
        movie("Movie.Title.2019.1080p.AV1.mkv", "Movie Title").year(2019).tags("1080p", "", "av1", ""),
        movie("Movie.Title.2019.BDRip.mkv", "Movie Title").year(2019).tags("", "bluray", "", ""),
        movie("Movie.Title.2019.BRRip.mkv", "Movie Title").year(2019).tags("", "bluray", "", ""),
        movie("Movie.Title.2019.WEBDL.mkv", "Movie Title").year(2019).tags("", "web-dl", "", ""),
        movie("Movie.Title.2019.4K.mkv", "Movie Title").year(2019).tags("2160p", "", "", ""),
        movie("The.Interview.2014.1080p.mkv", "The Interview").year(2014).tags("1080p", "", "", ""),
        movie("The Other.mkv", "The Other"),
        movie("Movie.Title.1999.1080p.BluRay.x264-OTHER.mkv", "Movie Title").year(1999).tags("1080p", "bluray", "h264", "OTHER"),
        movie("Movie (1999).MKV", "Movie").year(1999),
        movie("clip.M2TS", "clip"),
        movie("./Movie (1999).mkv", "Movie").year(1999),
        movie("C:\\Media\\Movies\\Heat (1995)\\Heat (1995).mkv", "Heat").year(1995),
        movie("Show/Pilot.mkv", "Pilot"),
        movie("Home Videos/birthday_party.mp4", "birthday party"),
        // --- Extras -----------------------------------------------------------------------
        extra("Movies/Heat (1995)/trailers/Teaser.mkv", "trailer", "Teaser").year(1995),
        extra("Movies/Heat (1995)/Featurettes/Making Of.mkv", "featurette", "Making Of").year(1995),
        extra("Movies/Heat (1995)/Behind The Scenes/On Set.mkv", "behind_the_scenes", "On Set").year(1995),
        extra("Movies/Heat (1995)/Deleted Scenes/Bank.mkv", "deleted_scene", "Bank").year(1995),
        extra("Movies/Heat (1995)/Interviews/Michael Mann.mkv", "interview", "Michael Mann").year(1995),
        extra("Movies/Heat (1995)/Scenes/Shootout.mkv", "scene", "Shootout").year(1995),
        extra("Movies/Heat (1995)/Shorts/Short Film.mkv", "short", "Short Film").year(1995),
        extra("Movies/Heat (1995)/Extras/Bloopers.mkv", "other", "Bloopers").year(1995),
        extra("Movies/Heat (1995)/Other/Gallery.mkv", "other", "Gallery").year(1995),
        extra("Movies/Heat (1995)/SAMPLES/heat.sample.mkv", "sample", "heat").year(1995),
        extra("Movies/Heat (1995)/Heat (1995)-trailer.mkv", "trailer", "Heat").year(1995),
        extra("Movies/Heat (1995)/Heat-featurette.mkv", "featurette", "Heat").year(1995),
        extra("Movies/Heat (1995)/Making Of-behindthescenes.mkv", "behind_the_scenes", "Making Of").year(1995),
        extra("Movies/Heat (1995)/Bank-deleted.mkv", "deleted_scene", "Bank").year(1995),
        extra("Movies/Heat (1995)/Mann-interview.mkv", "interview", "Mann").year(1995),
        extra("Movies/Heat (1995)/Shootout-scene.mkv", "scene", "Shootout").year(1995),
        extra("Movies/Heat (1995)/Short-short.mkv", "short", "Short").year(1995),
        extra("Movies/Heat (1995)/Gallery-other.mkv", "other", "Gallery").year(1995),
        extra("Movies/Heat (1995)/sample.mkv", "sample", "Heat").year(1995),
        extra("Movies/Heat (1995)/trailer.mkv", "trailer", "Heat").year(1995),
        extra("Movies/Heat (1995)/Heat - Trailer.mkv", "trailer", "Heat").year(1995),
        extra("Movies/Heat (1995)/heat_trailer.mkv", "trailer", "heat").year(1995),
        extra("Movie.2019.1080p.BluRay.x264-GRP/Sample/grp-movie-sample.mkv", "sample", "grp-movie").year(2019),
        extra("Movie.2019.1080p.BluRay.x264-GRP.sample.mkv", "sample", "Movie").year(2019).tags("1080p", "bluray", "h264", "GRP"),
        extra("Show/Season 1/Extras/Bloopers.mkv", "other", "Bloopers").series("Show").season(1),
        extra("Show (2017)/Season 1/Trailers/Season Trailer.mkv", "trailer", "Season Trailer").series("Show").season(1).year(2017),
        extra("Show (2017)/Extras/Cast Interview.mkv", "other", "Cast Interview").year(2017),
        extra("Show/Extras/Show.S01E01.Making.Of.mkv", "other", "Show S01E01 Making Of"),
        extra("trailers/Teaser.mkv", "trailer", "Teaser"),
        extra("Movie (1999)/extras/Movie (1999)-trailer.mkv", "trailer", "Movie").year(1999),
        extra("Movie (1999)/Featurettes/Movie-featurette.mkv", "featurette", "Movie").year(1999),
        extra("Show.Name.S01E01.720p.HDTV.x264-GRP.sample.mkv", "sample", "Show Name S01E01").tags("720p", "hdtv", "h264", "GRP"),
        extra("Movies/Heat (1995)/Trailers/Heat (1995) - 1080p.mkv", "trailer", "Heat").year(1995).tags("1080p", "", "", ""),
        // --- Not video, nothing to go on -----------------------------------------------------
        unknown("notes.txt"),
        unknown("Movie (1999).srt"),
        unknown("Movie (1999).nfo"),
        unknown("Show/Season 1/folder.jpg"),
        unknown("Show/Season 1/Show - S01E01.en.srt"),
        unknown("Movie"),
        unknown(".mkv"),
        unknown(""),
        unknown("/"),
        unknown(".."),
        unknown("[1080p].mkv"),
        unknown("Movies/Heat (1995)/poster.jpg"),
    ]
}

#[test]
fn naming_table() {
    let cases = cases();
    assert!(cases.len() >= 150, "only {} cases", cases.len());
    let mut failures = Vec::new();
    for want in &cases {
        let got = identify(Path::new(&want.path));
        if &got != want {
            failures.push(format!(
                "{}\n   want {:?}\n    got {:?}",
                want.path, want, got
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn naming_json_leaves_unknown_fields_out() {
    let v = serde_json::to_value(identify(Path::new("notes.txt"))).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"path": "notes.txt", "kind": "unknown"})
    );
    let v = serde_json::to_value(identify(Path::new("[Grp] Show - 12 [1080p].mkv"))).unwrap();
    assert_eq!(
        v,
        serde_json::json!({
            "path": "[Grp] Show - 12 [1080p].mkv",
            "kind": "episode",
            "series": "Show",
            "episodes": [12],
            "absolute": true,
            "release": {"resolution": "1080p", "group": "Grp"}
        })
    );
    let v = serde_json::to_value(identify(Path::new("Show - S01E02.mkv"))).unwrap();
    assert!(v.get("absolute").is_none());
    assert!(v.get("release").is_none());
}

#[test]
fn naming_video_extensions() {
    for p in [
        "a.mkv",
        "a.MP4",
        "a.m4v",
        "a.mov",
        "a.avi",
        "a.webm",
        "a.ts",
        "a.m2ts",
        "a.wmv",
        "a.mpg",
        "a.mpeg",
        "a.flv",
        "a.ogv",
        "a.3gp",
        "dir/b.Mkv",
    ] {
        assert!(is_video_path(Path::new(p)), "{p}");
    }
    for p in [
        "a.srt",
        "a.nfo",
        "a.jpg",
        "mkv",
        ".mkv",
        "a.mkv.part",
        "a",
        "",
        "/",
    ] {
        assert!(!is_video_path(Path::new(p)), "{p}");
    }
}

#[test]
fn naming_never_panics_on_odd_input() {
    let long = "a".repeat(10_000);
    let long_dots = "Show.".repeat(2_000) + "S01E01.mkv";
    let long_digits = "9".repeat(5_000) + ".mkv";
    let mut odd: Vec<String> = [
        "",
        "/",
        "//",
        "..",
        "../..",
        ".",
        "\\",
        ".mkv",
        "..mkv",
        "-.mkv",
        " .mkv",
        "[].mkv",
        "[.mkv",
        "].mkv",
        "(((.mkv",
        "{}.mkv",
        "{edition-.mkv",
        "S99999999999E9999999999.mkv",
        "Show S99999999999E9999999999.mkv",
        "Show s9999e9999-e99999.mkv",
        "Show.S01E4294967295.mkv",
        "Show.S4294967296E01.mkv",
        "Show 99x99999.mkv",
        "Show - 99999999999999999999.mkv",
        "Season 99999999999999/E99999999999999.mkv",
        "Season 4294967296/E01.mkv",
        "Show 9999-99-99.mkv",
        "Show 2023-13-45.mkv",
        "Show - 99.99.9999.mkv",
        "Show.S01E01-E99999999.mkv",
        "Show.S01E01-9999.mkv",
        "Show.S01E9998-E9999.mkv",
        "Movie (99999).mkv",
        "Movie (0000).mkv",
        "Ünïcödé/Sëason 1/Épisode 1.mkv",
        "🎬/🎥 - S01E01 - 🍿.mkv",
        "Ｓ０１Ｅ０２.mkv",
        "١٢٣ - ٤٥٦.mkv",
        "ß.S01E01.ǅ.mkv",
        "İstanbul - S01E01 - İ.mkv",
        "\u{0}\u{1}.mkv",
        "a\u{200b}b - S01E01.mkv",
        "trailers/.mkv",
        "Season 1/.mkv",
        "Season 1/-.mkv",
        "-trailer.mkv",
        ".sample..mkv",
        "[Group].mkv",
        "[Group] - 01.mkv",
        "[Group] [ABCDEF12].mkv",
        " - 01.mkv",
        "x264-GRP.mkv",
        "-GRP.mkv",
        "- - - -.mkv",
        "S.mkv",
        "S01E.mkv",
        "E.mkv",
        "1x.mkv",
        "x1.mkv",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    odd.push(long.clone());
    odd.push(format!("{long}.mkv"));
    odd.push(long_dots);
    odd.push(long_digits);
    odd.push(format!("{}/{long}.mkv", "d/".repeat(500)));
    // A cheap deterministic fuzz: names assembled from the tokens the rules care about.
    let tokens = [
        "S01",
        "E02",
        "x",
        "1x02",
        "-",
        " - ",
        ".",
        "_",
        " ",
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        "2019",
        "1080p",
        "WEB-DL",
        "x264",
        "GRP",
        "Season",
        "Specials",
        "trailer",
        "sample",
        "99999",
        "v2",
        "é",
        "🎬",
        "/",
        "\\",
        "E",
        "Episode",
        "2023-05-04",
        "04.05.2023",
        "~",
        "S2",
        "2nd Season",
        "4294967296",
        "S.H.I.E.L.D.",
    ];
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..3_000 {
        let mut name = String::new();
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let len = (seed % 12) as usize;
        for i in 0..len {
            let pick = (seed.rotate_left(5 * i as u32) % tokens.len() as u64) as usize;
            name.push_str(tokens[pick]);
        }
        name.push_str(if seed % 3 == 1 { ".txt" } else { ".mkv" });
        odd.push(name);
    }
    for p in &odd {
        let id = identify(Path::new(p));
        assert_eq!(id.path, Path::new(p).to_string_lossy());
        serde_json::to_string(&id).unwrap();
        let _ = is_video_path(Path::new(p));
    }
}

#[cfg(unix)]
#[test]
fn naming_non_utf8_is_read_lossily() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let p = Path::new(OsStr::from_bytes(
        b"Show/Season 1/Show - S01E02 - \xff\xfe.mkv",
    ));
    let id = identify(p);
    assert_eq!(id.kind, Kind::Episode);
    assert_eq!(id.season, Some(1));
    assert_eq!(id.episodes, vec![2]);
    assert_eq!(id.title.as_deref(), Some("\u{fffd}\u{fffd}"));
}
