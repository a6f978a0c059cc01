-- Marquee schema, version 1.
-- One `items` table holds every browsable thing (series, season, episode, movie, extra) so that
-- credits, genres, artwork, reviews and (later) progress attach to a single kind of id.

CREATE TABLE libraries (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    root        BLOB NOT NULL UNIQUE,          -- exact path bytes
    root_display TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE media_files (
    id            INTEGER PRIMARY KEY,
    library_id    INTEGER NOT NULL REFERENCES libraries(id) ON DELETE CASCADE,
    path          BLOB NOT NULL UNIQUE,        -- exact bytes: names need not be UTF-8
    display_path  TEXT NOT NULL,               -- lossy UTF-8 for people
    size          INTEGER NOT NULL,
    mtime_ns      INTEGER NOT NULL,
    inode         INTEGER NOT NULL,
    fingerprint   TEXT NOT NULL,               -- size + xxh3 of first and last 64 KiB: finds moved files
    sidecar_stamp TEXT NOT NULL DEFAULT '',    -- sizes+mtimes of sidecars: metadata edits without a video change
    status        TEXT NOT NULL CHECK (status IN ('ok', 'failed', 'missing')),
    error         TEXT,                        -- why probing failed
    probe         TEXT,                        -- JSON ProbeInfo
    duration_ms   INTEGER,
    identity      TEXT,                        -- JSON naming::Identity
    missing_since INTEGER,
    added_at      INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX media_files_library ON media_files(library_id, status);
CREATE INDEX media_files_fingerprint ON media_files(fingerprint);

CREATE TABLE items (
    id             INTEGER PRIMARY KEY,
    kind           TEXT NOT NULL CHECK (kind IN ('series', 'season', 'episode', 'movie', 'extra')),
    key            TEXT NOT NULL UNIQUE,       -- stable identity, e.g. "episode:12:1:3"
    library_id     INTEGER NOT NULL REFERENCES libraries(id) ON DELETE CASCADE,
    parent_id      INTEGER REFERENCES items(id) ON DELETE CASCADE,
    series_id      INTEGER REFERENCES items(id) ON DELETE CASCADE,
    title          TEXT NOT NULL,
    sort_title     TEXT NOT NULL,
    original_title TEXT,
    synopsis       TEXT,
    tagline        TEXT,
    year           INTEGER,
    air_date       TEXT,
    runtime_minutes INTEGER,
    content_rating TEXT,
    season_number  INTEGER,
    episode_number INTEGER,
    episode_number_end INTEGER,
    extra_kind     TEXT,
    file_id        INTEGER REFERENCES media_files(id) ON DELETE SET NULL,
    external_ids   TEXT,                       -- JSON object
    added_at       INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE INDEX items_kind_sort ON items(kind, sort_title);
CREATE INDEX items_parent ON items(parent_id, season_number, episode_number);
CREATE INDEX items_file ON items(file_id);

-- Genres, tags and studios/networks: one table, told apart by `facet`.
CREATE TABLE item_facets (
    item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    facet   TEXT NOT NULL CHECK (facet IN ('genre', 'tag', 'studio')),
    value   TEXT NOT NULL,
    PRIMARY KEY (item_id, facet, value)
);
CREATE INDEX item_facets_value ON item_facets(facet, value);

CREATE TABLE people (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    name_key   TEXT NOT NULL UNIQUE,           -- case-folded name: one person per name
    photo      TEXT,
    biography  TEXT,
    birth_date TEXT
);

CREATE TABLE credits (
    item_id   INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    role      TEXT NOT NULL,
    character TEXT,
    ord       INTEGER,
    PRIMARY KEY (item_id, person_id, role)
);
CREATE INDEX credits_person ON credits(person_id);

CREATE TABLE reviews (
    id            INTEGER PRIMARY KEY,
    item_id       INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    source        TEXT NOT NULL CHECK (source IN ('sidecar', 'admin')),
    author        TEXT NOT NULL,
    publication   TEXT,
    date          TEXT,
    score         REAL,
    score_text    TEXT,
    body_markdown TEXT NOT NULL,
    url           TEXT
);
CREATE INDEX reviews_item ON reviews(item_id);

CREATE TABLE artwork (
    item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    kind    TEXT NOT NULL,
    path    BLOB NOT NULL,                     -- absolute file path inside a media root
    PRIMARY KEY (item_id, kind)
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT NOT NULL,
    is_admin      INTEGER NOT NULL DEFAULT 0,
    disabled      INTEGER NOT NULL DEFAULT 0,
    must_change_password INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);

CREATE TABLE sessions (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash  TEXT NOT NULL UNIQUE,          -- sha256 of the bearer token; the token itself is never stored
    device      TEXT,
    created_at  INTEGER NOT NULL,
    last_seen   INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE scans (
    id          INTEGER PRIMARY KEY,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER,
    summary     TEXT                           -- JSON ScanSummary
);

CREATE INDEX items_series ON items(series_id, kind);
