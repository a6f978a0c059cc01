-- Ahead-of-time transcoding: one job per item makes its adaptive ladder (H.264 rungs plus AAC
-- stereo audio) under DATA/transcode/ladder/<fingerprint>/. Outputs on disk are the truth about
-- what is finished (a job that was running when the server stopped is queued again and resumes
-- at the first segment missing); this row is what the admin API shows.
CREATE TABLE transcode_jobs (
    id           INTEGER PRIMARY KEY,
    item_id      INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    status       TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled')),
    heights      TEXT NOT NULL,                -- the video rungs asked for, e.g. "1080,720,480,360"
    percent      REAL NOT NULL DEFAULT 0,
    current_rung TEXT,                         -- e.g. "h264-720" while running
    attempts     INTEGER NOT NULL DEFAULT 0,   -- ffmpeg runs that died and were retried
    error        TEXT,
    requested_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at   INTEGER NOT NULL,
    started_at   INTEGER,
    finished_at  INTEGER
);
CREATE INDEX transcode_jobs_status ON transcode_jobs(status, id);
CREATE INDEX transcode_jobs_item ON transcode_jobs(item_id);
