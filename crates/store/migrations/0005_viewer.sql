-- What each viewer did with the catalog. A viewer is an account's profile, or the account itself
-- when no profile is chosen (profile_id 0: profiles start at 1). Rows of a deleted profile go with
-- it (trigger below); rows of a deleted user or item go by foreign key.

-- Playback progress: the last reported position, whether that report was past the watched point
-- ("completed", which makes the resume position 0), and whether the item was ever watched.
CREATE TABLE progress (
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    profile_id  INTEGER NOT NULL,
    item_id     INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    position_ms INTEGER NOT NULL DEFAULT 0,
    duration_ms INTEGER,
    completed   INTEGER NOT NULL DEFAULT 0,
    watched     INTEGER NOT NULL DEFAULT 0,
    play_count  INTEGER NOT NULL DEFAULT 0,
    played_at   INTEGER,                     -- unix ms of the last report; NULL: only marked by hand
    updated_at  INTEGER NOT NULL,            -- unix ms
    PRIMARY KEY (user_id, profile_id, item_id)
);
CREATE INDEX progress_recent ON progress(user_id, profile_id, played_at);

-- My List: titles a viewer saved for later.
CREATE TABLE my_list (
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    profile_id INTEGER NOT NULL,
    item_id    INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    added_at   INTEGER NOT NULL,             -- unix ms
    PRIMARY KEY (user_id, profile_id, item_id)
);

-- Thumbs up (1) or down (-1).
CREATE TABLE ratings (
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    profile_id INTEGER NOT NULL,
    item_id    INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    thumb      INTEGER NOT NULL CHECK (thumb IN (-1, 1)),
    rated_at   INTEGER NOT NULL,             -- unix ms
    PRIMARY KEY (user_id, profile_id, item_id)
);

CREATE TRIGGER profiles_viewer_data_gone AFTER DELETE ON profiles BEGIN
    DELETE FROM progress WHERE user_id = OLD.user_id AND profile_id = OLD.id;
    DELETE FROM my_list WHERE user_id = OLD.user_id AND profile_id = OLD.id;
    DELETE FROM ratings WHERE user_id = OLD.user_id AND profile_id = OLD.id;
END;

-- Editorial reviews edited by administrators. A sidecar review is known by `origin` (its folded
-- author and publication); when an administrator edits or deletes one, the row becomes
-- source 'admin' with the same origin (a delete leaves it `hidden`), and rescans skip the sidecar's
-- review of that origin, so the administrator's version wins until the administrator deletes it.
ALTER TABLE reviews ADD COLUMN origin TEXT;
ALTER TABLE reviews ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0;
ALTER TABLE reviews ADD COLUMN updated_at INTEGER;
ALTER TABLE reviews ADD COLUMN updated_by INTEGER REFERENCES users(id) ON DELETE SET NULL;
CREATE INDEX reviews_author ON reviews(author COLLATE NOCASE);
CREATE INDEX reviews_publication ON reviews(publication COLLATE NOCASE);
