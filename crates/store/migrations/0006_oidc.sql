-- Sign-in through an outside OpenID Connect provider: which account at which provider (the
-- issuer and the provider's stable subject id) is which local user. A user may have several.
CREATE TABLE identities (
    issuer      TEXT NOT NULL,
    subject     TEXT NOT NULL,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    email       TEXT,                 -- as the provider last said; informational only
    created_at  INTEGER NOT NULL,
    last_used   INTEGER NOT NULL,
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX identities_user ON identities(user_id);
