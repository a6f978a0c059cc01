-- What the background extras worker derives from each media file (marquee-server::extras):
-- chapters, intro and credits markers, the audio fingerprints they come from, a still, scrub
-- thumbnails. Keyed by file, so a moved file keeps them; `fingerprint` is the file version they
-- were made from (a changed file is done again). Images live under DATA/extras/<file_id>/.
CREATE TABLE file_extras (
    file_id          INTEGER PRIMARY KEY REFERENCES media_files(id) ON DELETE CASCADE,
    fingerprint      TEXT NOT NULL,
    chapters         TEXT NOT NULL DEFAULT '[]',   -- JSON [{start_ms, end_ms, title}]
    chapters_source  TEXT,                         -- container | sidecar
    intro_start_ms   INTEGER,
    intro_end_ms     INTEGER,
    intro_source     TEXT,                         -- chapter | sidecar | audio
    credits_start_ms INTEGER,
    credits_source   TEXT,                         -- chapter | sidecar | audio
    head_codes       BLOB,                         -- audio fingerprint of the opening (u32 LE per 0.1 s)
    tail_codes       BLOB,                         -- ... and of the ending
    tail_offset_ms   INTEGER,                      -- where the ending's fingerprint starts
    still_blurhash   TEXT,                         -- a generated still exists when set
    still_width      INTEGER,
    still_height     INTEGER,
    thumbnails       TEXT,                         -- JSON sprite layout, when generated
    thumbnails_bytes INTEGER NOT NULL DEFAULT 0,
    error            TEXT,                         -- why something could not be made
    updated_at       INTEGER NOT NULL
);

-- Seasons whose episodes' intros were matched, and against which set of episodes.
CREATE TABLE season_markers (
    season_id INTEGER PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
    stamp     TEXT NOT NULL,                       -- the episodes' file ids and fingerprints
    matched_at INTEGER NOT NULL
);

-- Blurhash placeholders of sidecar artwork, keyed by the image's size and mtime.
CREATE TABLE artwork_placeholders (
    item_id  INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    kind     TEXT NOT NULL,
    stamp    TEXT NOT NULL,
    blurhash TEXT NOT NULL,
    width    INTEGER NOT NULL,
    height   INTEGER NOT NULL,
    PRIMARY KEY (item_id, kind)
);
