-- Profiles under an account: a kids profile has a content-rating ceiling; any profile may have a
-- PIN (argon2id). A session remembers the profile chosen on that device.
CREATE TABLE profiles (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    kids          INTEGER NOT NULL DEFAULT 0,
    max_rating    TEXT,                 -- 'TV-PG', 'PG-13', ...; NULL: no ceiling
    allow_unrated INTEGER NOT NULL DEFAULT 1,
    pin_hash      TEXT,
    created_at    INTEGER NOT NULL,
    UNIQUE (user_id, name)
);
ALTER TABLE sessions ADD COLUMN profile_id INTEGER REFERENCES profiles(id) ON DELETE SET NULL;
