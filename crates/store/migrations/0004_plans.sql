-- Plans and entitlements: what a plan unlocks (the whole catalog, libraries, collections — a tag
-- or studio — or single titles), its quality cap, concurrent streams and downloads; each user's
-- one current subscription (an admin grant, a trial, a payment provider's subscription or an
-- identity provider's claim); the billing events already processed (webhooks are idempotent);
-- and titles or episodes marked free.
CREATE TABLE plans (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE COLLATE NOCASE,
    description TEXT,
    all_titles  INTEGER NOT NULL DEFAULT 0,   -- unlocks the whole catalog
    max_height  INTEGER,                      -- highest video height (720, 1080); NULL: no cap
    max_streams INTEGER,                      -- concurrent streams; NULL: no limit
    downloads   INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- What a plan unlocks besides `all_titles`: exactly one of library, item (a series unlocks its
-- seasons, episodes and extras; a movie its extras) or collection (a tag or studio, any case).
CREATE TABLE plan_titles (
    plan_id    INTEGER NOT NULL REFERENCES plans(id) ON DELETE CASCADE,
    library_id INTEGER REFERENCES libraries(id) ON DELETE CASCADE,
    item_id    INTEGER REFERENCES items(id) ON DELETE CASCADE,
    collection TEXT,
    CHECK ((library_id IS NOT NULL) + (item_id IS NOT NULL) + (collection IS NOT NULL) = 1)
);
CREATE INDEX plan_titles_plan ON plan_titles(plan_id);

CREATE TABLE subscriptions (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL UNIQUE REFERENCES users(id) ON DELETE CASCADE,
    plan_id     INTEGER NOT NULL REFERENCES plans(id),   -- a plan with subscribers cannot be deleted
    source      TEXT NOT NULL CHECK (source IN ('admin', 'trial', 'billing', 'oidc')),
    status      TEXT NOT NULL CHECK (status IN ('active', 'trialing', 'past_due', 'canceled')),
    external_id TEXT UNIQUE,                  -- the payment provider's subscription id
    started_at  INTEGER NOT NULL,
    expires_at  INTEGER,                      -- end of the paid period, trial or grant; NULL: open-ended
    grace_until INTEGER,                      -- past_due: access until then
    cancel_at_period_end INTEGER NOT NULL DEFAULT 0,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE billing_events (
    id          TEXT PRIMARY KEY,             -- the provider's event id
    type        TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    outcome     TEXT NOT NULL
);

-- Free titles: the sidecar's `"free": true` (rewritten by every scan) and an administrator's
-- decision, which wins when set.
ALTER TABLE items ADD COLUMN free_sidecar INTEGER NOT NULL DEFAULT 0;
ALTER TABLE items ADD COLUMN free_override INTEGER;
