-- Accounts: how a session was made and from where (for "your devices" and "sign out
-- everywhere"), and an audit log of sign-ins and administrative changes.
ALTER TABLE sessions ADD COLUMN kind TEXT NOT NULL DEFAULT 'bearer';   -- 'bearer' | 'cookie'
ALTER TABLE sessions ADD COLUMN address TEXT;                          -- client address at sign-in

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,
    actor_id    INTEGER REFERENCES users(id) ON DELETE SET NULL,
    actor_name  TEXT,                 -- kept when the user is deleted, and for failed sign-ins
    action      TEXT NOT NULL,        -- 'sign_in', 'sign_in_failed', 'user_disabled', ...
    target      TEXT,                 -- what the action was about ('user:12', 'session:40')
    address     TEXT,
    detail      TEXT                  -- JSON
);
CREATE INDEX audit_log_at ON audit_log(at);
