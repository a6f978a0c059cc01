//! Plans, subscriptions and what they unlock.
//!
//! A plan unlocks the whole catalog (`all_titles`) or a list of libraries, collections (a tag or
//! studio of the title, any case) and single titles (a series brings its seasons, episodes and
//! extras; a movie its extras). A user has at most one current subscription — an admin grant, a
//! trial, a payment provider's subscription or an identity provider's claim; a new one replaces
//! it — and whether it still gives access is decided at the moment of asking (no background job).
//! Titles, seasons and episodes may be free: every signed-in user may watch them. Without a plan a
//! user watches free titles only. Administrators see and play everything. Plans are opt-in: until
//! an administrator defines the first one, every signed-in user sees and plays everything (a home
//! server without plans keeps working as before).
//!
//! What a viewer may watch travels in [`Access::titles`] ([`Titles`]) and is applied inside the
//! same SQL as the rating ceiling (`profiles::push_access`), so every listing, `item_visible` and
//! the batch [`Store::visible_items`] honour it.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use sqlx::{QueryBuilder, Row, Sqlite};

use crate::{now, Access, Result, Store, StoreError};

/// Concurrent streams for a user without a plan (free titles only).
pub const FREE_MAX_STREAMS: u32 = 1;

/// Which titles a viewer may play.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Titles {
    /// Everything (administrators, plans with `all_titles`).
    All,
    /// Free titles and what this plan unlocks.
    Plan(i64),
    /// Free titles only, and why.
    FreeOnly(Lapse),
}

/// Why a user has no plan that applies now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Lapse {
    NoPlan,
    TrialEnded,
    Expired,
    Canceled,
    PaymentFailed,
}

impl Lapse {
    pub fn reason(self) -> &'static str {
        match self {
            Lapse::NoPlan => "you have no plan, so only free titles play",
            Lapse::TrialEnded => "your trial has ended, so only free titles play",
            Lapse::Expired => "your subscription has expired, so only free titles play",
            Lapse::Canceled => "your subscription was cancelled, so only free titles play",
            Lapse::PaymentFailed => {
                "your payment failed and the grace period is over, so only free titles play"
            }
        }
    }
}

impl Titles {
    /// Why a title this viewer may not play is locked.
    pub fn reason(self) -> &'static str {
        match self {
            Titles::All => "it is not locked",
            Titles::Plan(_) => "your plan does not include it",
            Titles::FreeOnly(lapse) => lapse.reason(),
        }
    }

    /// A short tag for cache keys.
    pub fn tag(self) -> String {
        match self {
            Titles::All => "all".into(),
            Titles::Plan(id) => format!("p{id}"),
            Titles::FreeOnly(lapse) => format!("free-{lapse:?}"),
        }
    }
}

/// A plan as administrators define it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Plan {
    pub id: i64,
    pub name: String,
    pub description: Option<String>,
    /// Unlocks the whole catalog.
    pub all_titles: bool,
    /// Library ids whose every title it unlocks.
    pub libraries: Vec<i64>,
    /// Collections it unlocks: titles carrying this tag or studio (any case).
    pub collections: Vec<String>,
    /// Single titles it unlocks (a series with its seasons, episodes and extras).
    pub items: Vec<i64>,
    /// The highest video height it may watch (720, 1080); none: no cap.
    pub max_height: Option<i64>,
    /// Concurrent streams; none: no limit.
    pub max_streams: Option<i64>,
    /// Whether downloads are allowed.
    pub downloads: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A plan to create, or the new values of one.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PlanFields {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub all_titles: bool,
    #[serde(default)]
    pub libraries: Vec<i64>,
    #[serde(default)]
    pub collections: Vec<String>,
    #[serde(default)]
    pub items: Vec<i64>,
    #[serde(default)]
    pub max_height: Option<i64>,
    #[serde(default)]
    pub max_streams: Option<i64>,
    #[serde(default)]
    pub downloads: bool,
}

/// A plan by id and name, as locked titles list the plans that unlock them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlanRef {
    pub id: i64,
    pub name: String,
}

/// Why a title does not play for this viewer, and what would unlock it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Locked {
    pub reason: String,
    /// The plans that unlock it.
    pub plans: Vec<PlanRef>,
    /// Part of it is free to watch anyway (an episode, a trailer).
    pub free_preview: bool,
}

/// How a subscription came about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SubscriptionSource {
    /// Granted by an administrator.
    Admin,
    /// A trial (an administrator's, with an expiry).
    Trial,
    /// A payment provider's subscription, kept up to date by its webhook.
    Billing,
    /// Mapped from an identity provider's claim at sign-in.
    Oidc,
}

impl SubscriptionSource {
    pub fn as_str(self) -> &'static str {
        match self {
            SubscriptionSource::Admin => "admin",
            SubscriptionSource::Trial => "trial",
            SubscriptionSource::Billing => "billing",
            SubscriptionSource::Oidc => "oidc",
        }
    }

    fn parse(s: &str) -> Result<SubscriptionSource> {
        Ok(match s {
            "admin" => SubscriptionSource::Admin,
            "trial" => SubscriptionSource::Trial,
            "billing" => SubscriptionSource::Billing,
            "oidc" => SubscriptionSource::Oidc,
            other => {
                return Err(StoreError::Corrupt(format!(
                    "subscription source {other:?}"
                )))
            }
        })
    }
}

/// A user's current subscription as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Subscription {
    pub id: i64,
    pub user_id: i64,
    pub plan: PlanRef,
    pub source: SubscriptionSource,
    /// `active`, `trialing`, `past_due` (a payment failed) or `canceled`.
    pub status: String,
    /// The payment provider's subscription id.
    pub external_id: Option<String>,
    pub started_at: i64,
    /// End of the paid period, trial or grant (Unix seconds); none: open-ended.
    pub expires_at: Option<i64>,
    /// After a failed payment: access continues until then.
    pub grace_until: Option<i64>,
    /// Cancelled, ending when the paid period does.
    pub cancel_at_period_end: bool,
    pub updated_at: i64,
}

/// Where a user stands now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// An administrator: everything, whatever the subscription says.
    Admin,
    /// No plan is defined on this server: everything is open to everyone.
    Open,
    Active,
    Trialing,
    /// A payment failed; access continues until `grace_until`.
    Grace,
    /// No plan applies now (see `lapse`).
    FreeOnly,
}

impl Subscription {
    /// Whether it gives access at `now`, and until when (none: open-ended); or why not.
    pub fn standing_at(&self, now: i64) -> std::result::Result<(Standing, Option<i64>), Lapse> {
        let open = |until: Option<i64>| until.is_none_or(|t| now < t);
        match self.status.as_str() {
            "canceled" => Err(Lapse::Canceled),
            "past_due" => match self.grace_until {
                Some(g) if now < g => Ok((Standing::Grace, Some(g))),
                _ => Err(Lapse::PaymentFailed),
            },
            "trialing" if open(self.expires_at) => Ok((Standing::Trialing, self.expires_at)),
            "trialing" => Err(Lapse::TrialEnded),
            _ if open(self.expires_at) => Ok((Standing::Active, self.expires_at)),
            _ if self.cancel_at_period_end => Err(Lapse::Canceled),
            _ => Err(Lapse::Expired),
        }
    }
}

/// What a user may do now: the plan that applies, its limits, and until when this answer holds.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Entitlement {
    pub user_id: i64,
    pub standing: Standing,
    /// Why no plan applies, when none does.
    pub lapse: Option<Lapse>,
    /// The plan that applies now.
    pub plan: Option<Plan>,
    /// The current subscription, also when it no longer gives access.
    pub subscription: Option<Subscription>,
    /// Concurrent streams; none: no limit.
    pub max_streams: Option<u32>,
    /// Highest video height; none: no cap.
    pub max_height: Option<u32>,
    pub downloads: bool,
    /// When this answer changes by time alone (an expiry, the end of a grace period).
    pub valid_until: Option<i64>,
    #[serde(skip)]
    titles: Titles,
}

impl Entitlement {
    /// The entitlement of a user at `now`, from their subscription and its plan, and whether the
    /// server has any plan at all.
    pub fn evaluate(
        user_id: i64,
        admin: bool,
        plans_defined: bool,
        subscription: Option<Subscription>,
        plan: Option<Plan>,
        now: i64,
    ) -> Entitlement {
        let standing = match &subscription {
            Some(s) => s.standing_at(now),
            None => Err(Lapse::NoPlan),
        };
        let free = |lapse| Entitlement {
            user_id,
            standing: Standing::FreeOnly,
            lapse: Some(lapse),
            plan: None,
            subscription: subscription.clone(),
            max_streams: Some(FREE_MAX_STREAMS),
            max_height: None,
            downloads: false,
            valid_until: None,
            titles: Titles::FreeOnly(lapse),
        };
        if admin || !plans_defined {
            return Entitlement {
                standing: if admin {
                    Standing::Admin
                } else {
                    Standing::Open
                },
                lapse: None,
                plan: standing.is_ok().then_some(plan).flatten(),
                max_streams: None,
                downloads: true,
                titles: Titles::All,
                ..free(Lapse::NoPlan)
            };
        }
        match (standing, plan) {
            (Ok((standing, until)), Some(plan)) => Entitlement {
                standing,
                lapse: None,
                max_streams: plan.max_streams.map(|n| n.clamp(0, u32::MAX as i64) as u32),
                max_height: plan.max_height.map(|n| n.clamp(0, u32::MAX as i64) as u32),
                downloads: plan.downloads,
                valid_until: until,
                titles: if plan.all_titles {
                    Titles::All
                } else {
                    Titles::Plan(plan.id)
                },
                plan: Some(plan),
                ..free(Lapse::NoPlan)
            },
            (Err(lapse), _) => free(lapse),
            (Ok(_), None) => free(Lapse::NoPlan),
        }
    }

    /// Which titles this user may play.
    pub fn titles(&self) -> Titles {
        self.titles
    }

    /// The name of the plan that applies, if any.
    pub fn plan_name(&self) -> Option<&str> {
        self.plan.as_ref().map(|p| p.name.as_str())
    }
}

/// An event from the payment provider (see README, "Billing webhook").
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BillingEvent {
    /// Unique per event: a repeated id is acknowledged and not applied again.
    pub id: String,
    /// `subscription.created`, `subscription.renewed`, `subscription.changed`,
    /// `subscription.cancelled` or `subscription.payment_failed`; others are acknowledged and
    /// ignored.
    #[serde(rename = "type")]
    pub kind: String,
    pub data: BillingData,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BillingData {
    /// The provider's subscription id.
    pub subscription_id: String,
    /// The subscriber (created): a user id or a user name.
    #[serde(default)]
    pub user_id: Option<i64>,
    #[serde(default)]
    pub username: Option<String>,
    /// The plan's name (created, changed).
    #[serde(default)]
    pub plan: Option<String>,
    /// End of the paid period, Unix seconds (created, renewed, changed; cancelled at period end).
    #[serde(default)]
    pub current_period_end: Option<i64>,
    /// A trial: its end, Unix seconds (created).
    #[serde(default)]
    pub trial_end: Option<i64>,
    /// cancelled: `true` ends access with the paid period, `false` (default) at once.
    #[serde(default)]
    pub cancel_at_period_end: bool,
}

/// What a billing event did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BillingOutcome {
    /// The event had been processed before; nothing changed now.
    pub duplicate: bool,
    /// The user whose subscription changed.
    pub user_id: Option<i64>,
    /// What happened, in words.
    pub outcome: String,
}

const PLAN_COLUMNS: &str =
    "id, name, description, all_titles, max_height, max_streams, downloads, created_at, updated_at";

const SUBSCRIPTION_SELECT: &str =
    "SELECT s.id, s.user_id, s.plan_id, p.name, s.source, s.status, s.external_id,
        s.started_at, s.expires_at, s.grace_until, s.cancel_at_period_end, s.updated_at
     FROM subscriptions s JOIN plans p ON p.id = s.plan_id";

fn subscription_from(r: &sqlx::sqlite::SqliteRow) -> Result<Subscription> {
    Ok(Subscription {
        id: r.try_get(0)?,
        user_id: r.try_get(1)?,
        plan: PlanRef {
            id: r.try_get(2)?,
            name: r.try_get(3)?,
        },
        source: SubscriptionSource::parse(r.try_get(4)?)?,
        status: r.try_get(5)?,
        external_id: r.try_get(6)?,
        started_at: r.try_get(7)?,
        expires_at: r.try_get(8)?,
        grace_until: r.try_get(9)?,
        cancel_at_period_end: r.try_get(10)?,
        updated_at: r.try_get(11)?,
    })
}

/// SQL: item alias `a` is free (itself, its season or series, or the title an extra belongs to).
fn free_sql(a: &str) -> String {
    format!(
        "(COALESCE({a}.free_override, {a}.free_sidecar) = 1 OR EXISTS (SELECT 1 FROM items fp \
         WHERE fp.id IN ({a}.series_id, {a}.parent_id) AND COALESCE(fp.free_override, fp.free_sidecar) = 1))"
    )
}

/// SQL: plan `plan` (an SQL expression) unlocks item alias `a`.
fn plan_unlocks_sql(a: &str, plan: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM plan_titles c WHERE c.plan_id = {plan} AND (c.library_id = {a}.library_id \
         OR c.item_id IN ({a}.id, {a}.series_id, {a}.parent_id) \
         OR (c.collection IS NOT NULL AND EXISTS (SELECT 1 FROM item_facets f \
             WHERE f.item_id IN ({a}.id, {a}.series_id, {a}.parent_id) AND f.facet IN ('tag', 'studio') \
             AND f.value = c.collection COLLATE NOCASE))))"
    )
}

/// SQL: `titles` may play item alias `a`; `None` when it may play everything.
fn unlocked_sql(a: &str, titles: Titles) -> Option<String> {
    match titles {
        Titles::All => None,
        // The plan id comes from the database, never from a request.
        Titles::Plan(id) => Some(format!(
            "({} OR {})",
            free_sql(a),
            plan_unlocks_sql(a, &id.to_string())
        )),
        Titles::FreeOnly(_) => Some(free_sql(a)),
    }
}

/// SQL: something inside item alias `a` (an episode, a season, an extra) may be played.
fn inside_unlocked_sql(a: &str, titles: Titles) -> String {
    let ch = unlocked_sql("ch", titles).unwrap_or_else(|| "1".into());
    let ex = unlocked_sql("ex", titles).unwrap_or_else(|| "1".into());
    format!(
        "(EXISTS (SELECT 1 FROM items ch WHERE ch.series_id = {a}.id AND {ch}) \
         OR EXISTS (SELECT 1 FROM items ex WHERE ex.parent_id = {a}.id AND {ex}))"
    )
}

/// Appends ` AND <titles allow item alias a to be listed>` for viewers whose locked titles are
/// hidden: a title shows when it, or something in it, may be played.
pub(crate) fn push_titles(b: &mut QueryBuilder<'_, Sqlite>, alias: &str, access: &Access) {
    if !access.hide_locked {
        return;
    }
    if let Some(open) = unlocked_sql(alias, access.titles) {
        b.push(format!(
            " AND ({open} OR {})",
            inside_unlocked_sql(alias, access.titles)
        ));
    }
}

fn ids_in(b: &mut QueryBuilder<'_, Sqlite>, ids: &[i64]) {
    b.push("(");
    let mut sep = b.separated(", ");
    for id in ids {
        sep.push_bind(*id);
    }
    b.push(")");
}

impl Store {
    /// Every plan, by name.
    pub async fn plans(&self) -> Result<Vec<Plan>> {
        let rows = sqlx::query(&format!("SELECT {PLAN_COLUMNS} FROM plans ORDER BY name"))
            .fetch_all(&self.reader)
            .await?;
        let mut plans = Vec::with_capacity(rows.len());
        for r in rows {
            plans.push(self.plan_from(&r).await?);
        }
        Ok(plans)
    }

    async fn plan_from(&self, r: &sqlx::sqlite::SqliteRow) -> Result<Plan> {
        let id: i64 = r.try_get(0)?;
        let mut plan = Plan {
            id,
            name: r.try_get(1)?,
            description: r.try_get(2)?,
            all_titles: r.try_get(3)?,
            libraries: Vec::new(),
            collections: Vec::new(),
            items: Vec::new(),
            max_height: r.try_get(4)?,
            max_streams: r.try_get(5)?,
            downloads: r.try_get(6)?,
            created_at: r.try_get(7)?,
            updated_at: r.try_get(8)?,
        };
        for t in sqlx::query(
            "SELECT library_id, item_id, collection FROM plan_titles WHERE plan_id = ? ORDER BY rowid",
        )
        .bind(id)
        .fetch_all(&self.reader)
        .await?
        {
            if let Some(l) = t.try_get::<Option<i64>, _>(0)? {
                plan.libraries.push(l);
            }
            if let Some(i) = t.try_get::<Option<i64>, _>(1)? {
                plan.items.push(i);
            }
            if let Some(c) = t.try_get::<Option<String>, _>(2)? {
                plan.collections.push(c);
            }
        }
        Ok(plan)
    }

    pub async fn plan(&self, id: i64) -> Result<Plan> {
        let r = sqlx::query(&format!("SELECT {PLAN_COLUMNS} FROM plans WHERE id = ?"))
            .bind(id)
            .fetch_optional(&self.reader)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("plan {id}")))?;
        self.plan_from(&r).await
    }

    /// A plan by name (any case).
    pub async fn plan_by_name(&self, name: &str) -> Result<Option<Plan>> {
        let r = sqlx::query(&format!(
            "SELECT {PLAN_COLUMNS} FROM plans WHERE name = ? COLLATE NOCASE"
        ))
        .bind(name.trim())
        .fetch_optional(&self.reader)
        .await?;
        match r {
            Some(r) => Ok(Some(self.plan_from(&r).await?)),
            None => Ok(None),
        }
    }

    pub async fn create_plan(&self, fields: &PlanFields) -> Result<Plan> {
        let mut tx = self.writer.begin().await?;
        let t = now();
        let id = sqlx::query(
            "INSERT INTO plans (name, description, all_titles, max_height, max_streams, downloads, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(fields.name.trim())
        .bind(&fields.description)
        .bind(fields.all_titles)
        .bind(fields.max_height)
        .bind(fields.max_streams)
        .bind(fields.downloads)
        .bind(t)
        .bind(t)
        .execute(&mut *tx)
        .await
        .map_err(|e| plan_conflict(e, &fields.name))?
        .last_insert_rowid();
        write_plan_titles(&mut tx, id, fields).await?;
        tx.commit().await?;
        self.bump_generation();
        self.plan(id).await
    }

    pub async fn update_plan(&self, id: i64, fields: &PlanFields) -> Result<Plan> {
        let mut tx = self.writer.begin().await?;
        let done = sqlx::query(
            "UPDATE plans SET name = ?, description = ?, all_titles = ?, max_height = ?, max_streams = ?,
                downloads = ?, updated_at = ? WHERE id = ?",
        )
        .bind(fields.name.trim())
        .bind(&fields.description)
        .bind(fields.all_titles)
        .bind(fields.max_height)
        .bind(fields.max_streams)
        .bind(fields.downloads)
        .bind(now())
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(|e| plan_conflict(e, &fields.name))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("plan {id}")));
        }
        sqlx::query("DELETE FROM plan_titles WHERE plan_id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        write_plan_titles(&mut tx, id, fields).await?;
        tx.commit().await?;
        self.bump_generation();
        self.plan(id).await
    }

    /// Deletes a plan nobody is subscribed to.
    pub async fn delete_plan(&self, id: i64) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        let subscribers: i64 = sqlx::query("SELECT COUNT(*) FROM subscriptions WHERE plan_id = ?")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        if subscribers > 0 {
            return Err(StoreError::Conflict(format!(
                "plan {id} has {subscribers} subscriber(s); move them to another plan first"
            )));
        }
        let done = sqlx::query("DELETE FROM plans WHERE id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("plan {id}")));
        }
        tx.commit().await?;
        self.bump_generation();
        Ok(())
    }

    /// The user's current subscription (also one that no longer gives access).
    pub async fn subscription_of(&self, user_id: i64) -> Result<Option<Subscription>> {
        sqlx::query(&format!("{SUBSCRIPTION_SELECT} WHERE s.user_id = ?"))
            .bind(user_id)
            .fetch_optional(&self.writer)
            .await?
            .as_ref()
            .map(subscription_from)
            .transpose()
    }

    /// Gives a user a plan, replacing their current subscription: `Trial` starts a trial,
    /// others an active subscription; `expires_at` none: until taken back.
    pub async fn grant_plan(
        &self,
        user_id: i64,
        plan_id: i64,
        source: SubscriptionSource,
        expires_at: Option<i64>,
    ) -> Result<Subscription> {
        let status = if source == SubscriptionSource::Trial {
            "trialing"
        } else {
            "active"
        };
        let t = now();
        sqlx::query(
            "INSERT INTO subscriptions (user_id, plan_id, source, status, external_id, started_at, expires_at, updated_at)
             VALUES (?, ?, ?, ?, NULL, ?, ?, ?)
             ON CONFLICT(user_id) DO UPDATE SET plan_id = excluded.plan_id, source = excluded.source,
                status = excluded.status, external_id = NULL, started_at = excluded.started_at,
                expires_at = excluded.expires_at, grace_until = NULL, cancel_at_period_end = 0,
                updated_at = excluded.updated_at",
        )
        .bind(user_id)
        .bind(plan_id)
        .bind(source.as_str())
        .bind(status)
        .bind(t)
        .bind(expires_at)
        .bind(t)
        .execute(&self.writer)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(d) if d.message().contains("FOREIGN KEY") => {
                StoreError::NotFound(format!("user {user_id} or plan {plan_id}"))
            }
            _ => e.into(),
        })?;
        self.subscription_of(user_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("subscription of user {user_id}")))
    }

    /// Takes a user's subscription away; false when they had none.
    pub async fn end_subscription(&self, user_id: i64) -> Result<bool> {
        let done = sqlx::query("DELETE FROM subscriptions WHERE user_id = ?")
            .bind(user_id)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// What a user may do now.
    pub async fn entitlement(&self, user_id: i64) -> Result<Entitlement> {
        self.entitlement_at(user_id, now()).await
    }

    /// What a user may do at `now`.
    pub async fn entitlement_at(&self, user_id: i64, now: i64) -> Result<Entitlement> {
        let admin: bool = sqlx::query("SELECT is_admin FROM users WHERE id = ?")
            .bind(user_id)
            .fetch_optional(&self.writer)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("user {user_id}")))?
            .try_get(0)?;
        let plans_defined: bool = sqlx::query("SELECT EXISTS (SELECT 1 FROM plans)")
            .fetch_one(&self.writer)
            .await?
            .try_get(0)?;
        let subscription = self.subscription_of(user_id).await?;
        let plan = match &subscription {
            Some(s) => Some(self.plan(s.plan.id).await?),
            None => None,
        };
        Ok(Entitlement::evaluate(
            user_id,
            admin,
            plans_defined,
            subscription,
            plan,
            now,
        ))
    }

    /// Whether `titles` may play item `id` (false for a missing item).
    pub async fn item_unlocked(&self, id: i64, titles: Titles) -> Result<bool> {
        let cond = unlocked_sql("i", titles).unwrap_or_else(|| "1".into());
        let n: i64 = sqlx::query(&format!(
            "SELECT COUNT(*) FROM items i WHERE i.id = ? AND {cond}"
        ))
        .bind(id)
        .fetch_one(&self.reader)
        .await?
        .try_get(0)?;
        Ok(n > 0)
    }

    /// Of `ids`, those `access` may see (its rating ceiling, and in hide mode its plan): the
    /// batch form of [`Store::item_visible`], for search and other lists of ids.
    pub async fn visible_items(&self, ids: &[i64], access: &Access) -> Result<HashSet<i64>> {
        if ids.is_empty() {
            return Ok(HashSet::new());
        }
        let mut q = QueryBuilder::<Sqlite>::new("SELECT i.id FROM items i WHERE i.id IN ");
        ids_in(&mut q, ids);
        crate::profiles::push_access(&mut q, "i", access);
        q.build()
            .fetch_all(&self.reader)
            .await?
            .iter()
            .map(|r| Ok(r.try_get(0)?))
            .collect()
    }

    /// Of `ids`, the items `access` may not play, each with the reason and the plans that unlock
    /// it. Items not listed play (or do not exist).
    pub async fn locks(&self, ids: &[i64], access: &Access) -> Result<HashMap<i64, Locked>> {
        let mut out = HashMap::new();
        let Some(open) = unlocked_sql("i", access.titles) else {
            return Ok(out);
        };
        if ids.is_empty() {
            return Ok(out);
        }
        let mut q = QueryBuilder::<Sqlite>::new(format!(
            "SELECT i.id, {} FROM items i WHERE NOT {open} AND i.id IN ",
            inside_unlocked_sql("i", access.titles)
        ));
        ids_in(&mut q, ids);
        for r in q.build().fetch_all(&self.reader).await? {
            out.insert(
                r.try_get::<i64, _>(0)?,
                Locked {
                    reason: access.titles.reason().to_string(),
                    plans: Vec::new(),
                    free_preview: r.try_get(1)?,
                },
            );
        }
        if out.is_empty() {
            return Ok(out);
        }
        let locked: Vec<i64> = out.keys().copied().collect();
        let mut q = QueryBuilder::<Sqlite>::new(format!(
            "SELECT i.id, p.id, p.name FROM items i JOIN plans p ON (p.all_titles = 1 OR {})
             WHERE i.id IN ",
            plan_unlocks_sql("i", "p.id")
        ));
        ids_in(&mut q, &locked);
        q.push(" ORDER BY p.name");
        for r in q.build().fetch_all(&self.reader).await? {
            if let Some(lock) = out.get_mut(&r.try_get::<i64, _>(0)?) {
                lock.plans.push(PlanRef {
                    id: r.try_get(1)?,
                    name: r.try_get(2)?,
                });
            }
        }
        Ok(out)
    }

    /// Why item `id` does not play for `access`, or `None` when it plays.
    pub async fn item_lock(&self, id: i64, access: &Access) -> Result<Option<Locked>> {
        Ok(self.locks(&[id], access).await?.remove(&id))
    }

    /// Marks an item free (`Some(true)`), not free (`Some(false)`) whatever its sidecar says, or
    /// back to what its sidecar says (`None`). Answers whether it is free now.
    pub async fn set_item_free(&self, id: i64, free: Option<bool>) -> Result<bool> {
        let row = sqlx::query(
            "UPDATE items SET free_override = ? WHERE id = ?
             RETURNING COALESCE(free_override, free_sidecar)",
        )
        .bind(free)
        .bind(id)
        .fetch_optional(&self.writer)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("item {id}")))?;
        self.bump_generation();
        Ok(row.try_get(0)?)
    }

    /// Applies a payment provider's event once: a repeated event id changes nothing.
    pub async fn apply_billing_event(
        &self,
        event: &BillingEvent,
        grace_secs: i64,
        now: i64,
    ) -> Result<BillingOutcome> {
        let mut tx = self.writer.begin().await?;
        let seen = sqlx::query("SELECT outcome FROM billing_events WHERE id = ?")
            .bind(&event.id)
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(r) = seen {
            return Ok(BillingOutcome {
                duplicate: true,
                user_id: None,
                outcome: r.try_get(0)?,
            });
        }
        let d = &event.data;
        let current: Option<(i64, i64, Option<i64>)> =
            sqlx::query("SELECT id, user_id, expires_at FROM subscriptions WHERE external_id = ?")
                .bind(&d.subscription_id)
                .fetch_optional(&mut *tx)
                .await?
                .map(|r| Ok::<_, StoreError>((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
                .transpose()?;
        // The plan the event names, if it names one (looked up on the writer's transaction).
        let named_plan: Option<i64> = match &d.plan {
            Some(name) => sqlx::query("SELECT id FROM plans WHERE name = ? COLLATE NOCASE")
                .bind(name.trim())
                .fetch_optional(&mut *tx)
                .await?
                .map(|r| r.try_get(0))
                .transpose()?,
            None => None,
        };
        let plan_id = |what: &str| match (&d.plan, named_plan) {
            (_, Some(id)) => Ok(id),
            (Some(name), None) => Err(StoreError::NotFound(format!("plan {name:?}"))),
            (None, None) => Err(StoreError::Conflict(format!(
                "{what} names no plan: send data.plan"
            ))),
        };
        let (user_id, outcome) = match (event.kind.as_str(), current) {
            ("subscription.created", _) => {
                let user_id = match (d.user_id, &d.username) {
                    (Some(id), _) => id,
                    (None, Some(name)) => sqlx::query("SELECT id FROM users WHERE username = ?")
                        .bind(name)
                        .fetch_optional(&mut *tx)
                        .await?
                        .ok_or_else(|| StoreError::NotFound(format!("user {name:?}")))?
                        .try_get(0)?,
                    (None, None) => return Err(StoreError::Conflict(
                        "subscription.created names no user: send data.user_id or data.username"
                            .into(),
                    )),
                };
                let plan = plan_id("subscription.created")?;
                let (status, expires) = match d.trial_end {
                    Some(end) => ("trialing", Some(end)),
                    None => ("active", d.current_period_end),
                };
                sqlx::query(
                    "INSERT INTO subscriptions (user_id, plan_id, source, status, external_id, started_at, expires_at, updated_at)
                     VALUES (?, ?, 'billing', ?, ?, ?, ?, ?)
                     ON CONFLICT(user_id) DO UPDATE SET plan_id = excluded.plan_id, source = 'billing',
                        status = excluded.status, external_id = excluded.external_id,
                        started_at = excluded.started_at, expires_at = excluded.expires_at,
                        grace_until = NULL, cancel_at_period_end = 0, updated_at = excluded.updated_at",
                )
                .bind(user_id)
                .bind(plan)
                .bind(status)
                .bind(&d.subscription_id)
                .bind(now)
                .bind(expires)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(|e| match &e {
                    sqlx::Error::Database(db) if db.message().contains("FOREIGN KEY") => {
                        StoreError::NotFound(format!("user {user_id}"))
                    }
                    sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(
                        format!("subscription {} belongs to another user", d.subscription_id),
                    ),
                    _ => e.into(),
                })?;
                (
                    Some(user_id),
                    format!("subscription {} {status}", d.subscription_id),
                )
            }
            (
                "subscription.renewed"
                | "subscription.changed"
                | "subscription.cancelled"
                | "subscription.payment_failed",
                None,
            ) => (
                None,
                format!(
                    "ignored: subscription {} is no user's current subscription",
                    d.subscription_id
                ),
            ),
            ("subscription.renewed", Some((id, user, _))) => {
                sqlx::query(
                    "UPDATE subscriptions SET status = 'active', expires_at = COALESCE(?, expires_at),
                        grace_until = NULL, updated_at = ? WHERE id = ?",
                )
                .bind(d.current_period_end)
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                (
                    Some(user),
                    format!("subscription {} renewed", d.subscription_id),
                )
            }
            ("subscription.changed", Some((id, user, _))) => {
                let plan = plan_id("subscription.changed")?;
                sqlx::query(
                    "UPDATE subscriptions SET plan_id = ?, expires_at = COALESCE(?, expires_at),
                        updated_at = ? WHERE id = ?",
                )
                .bind(plan)
                .bind(d.current_period_end)
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                (
                    Some(user),
                    format!(
                        "subscription {} moved to plan {}",
                        d.subscription_id,
                        d.plan.as_deref().unwrap_or_default()
                    ),
                )
            }
            ("subscription.cancelled", Some((id, user, expires))) => {
                if d.cancel_at_period_end {
                    let end = d.current_period_end.or(expires);
                    sqlx::query(
                        "UPDATE subscriptions SET cancel_at_period_end = 1, expires_at = ?, updated_at = ?
                         WHERE id = ?",
                    )
                    .bind(end)
                    .bind(now)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                    (
                        Some(user),
                        format!(
                            "subscription {} ends with its paid period",
                            d.subscription_id
                        ),
                    )
                } else {
                    sqlx::query(
                        "UPDATE subscriptions SET status = 'canceled', expires_at = ?, updated_at = ?
                         WHERE id = ?",
                    )
                    .bind(now)
                    .bind(now)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                    (
                        Some(user),
                        format!("subscription {} cancelled now", d.subscription_id),
                    )
                }
            }
            ("subscription.payment_failed", Some((id, user, _))) => {
                // A second failure does not extend the grace period the first one started.
                sqlx::query(
                    "UPDATE subscriptions SET status = 'past_due',
                        grace_until = CASE WHEN status = 'past_due' THEN grace_until ELSE ? END,
                        updated_at = ? WHERE id = ?",
                )
                .bind(now + grace_secs)
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                (
                    Some(user),
                    format!("subscription {} past due", d.subscription_id),
                )
            }
            (other, _) => (None, format!("ignored: event type {other:?}")),
        };
        sqlx::query(
            "INSERT INTO billing_events (id, type, received_at, outcome) VALUES (?, ?, ?, ?)",
        )
        .bind(&event.id)
        .bind(&event.kind)
        .bind(now)
        .bind(&outcome)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(BillingOutcome {
            duplicate: false,
            user_id,
            outcome,
        })
    }
}

/// Adds `id` (a row of `table`) to the plan's titles under `column`; `NotFound` naming it as
/// `what` when there is no such row. The names are this module's own literals, never input.
async fn unlock_existing(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    plan_id: i64,
    table: &str,
    column: &str,
    what: &str,
    id: i64,
) -> Result<()> {
    let exists = sqlx::query(&format!("SELECT 1 FROM {table} WHERE id = ?"))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    if exists.is_none() {
        return Err(StoreError::NotFound(format!("{what} {id}")));
    }
    sqlx::query(&format!(
        "INSERT INTO plan_titles (plan_id, {column}) VALUES (?, ?)"
    ))
    .bind(plan_id)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn write_plan_titles(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    plan_id: i64,
    fields: &PlanFields,
) -> Result<()> {
    for &library in &fields.libraries {
        unlock_existing(tx, plan_id, "libraries", "library_id", "library", library).await?;
    }
    for &item in &fields.items {
        unlock_existing(tx, plan_id, "items", "item_id", "item", item).await?;
    }
    for collection in &fields.collections {
        sqlx::query("INSERT INTO plan_titles (plan_id, collection) VALUES (?, ?)")
            .bind(plan_id)
            .bind(collection.trim())
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

fn plan_conflict(e: sqlx::Error, name: &str) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            StoreError::Conflict(format!("there is already a plan named '{}'", name.trim()))
        }
        _ => e.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(status: &str, expires_at: Option<i64>) -> Subscription {
        Subscription {
            id: 1,
            user_id: 2,
            plan: PlanRef {
                id: 3,
                name: "Basic".into(),
            },
            source: SubscriptionSource::Billing,
            status: status.into(),
            external_id: None,
            started_at: 0,
            expires_at,
            grace_until: None,
            cancel_at_period_end: false,
            updated_at: 0,
        }
    }

    fn plan(all_titles: bool) -> Plan {
        Plan {
            id: 3,
            name: "Basic".into(),
            description: None,
            all_titles,
            libraries: vec![],
            collections: vec![],
            items: vec![],
            max_height: Some(720),
            max_streams: Some(2),
            downloads: false,
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn expiry_and_grace_are_decided_at_the_moment_of_asking() {
        let active = sub("active", Some(100));
        assert_eq!(active.standing_at(99), Ok((Standing::Active, Some(100))));
        assert_eq!(active.standing_at(100), Err(Lapse::Expired));
        assert_eq!(
            sub("active", None).standing_at(i64::MAX - 1),
            Ok((Standing::Active, None))
        );
        let trial = sub("trialing", Some(50));
        assert_eq!(trial.standing_at(49), Ok((Standing::Trialing, Some(50))));
        assert_eq!(trial.standing_at(51), Err(Lapse::TrialEnded));
        let ending = Subscription {
            cancel_at_period_end: true,
            ..sub("active", Some(100))
        };
        assert!(ending.standing_at(10).is_ok());
        assert_eq!(ending.standing_at(100), Err(Lapse::Canceled));
        assert_eq!(sub("canceled", None).standing_at(0), Err(Lapse::Canceled));
        let past_due = Subscription {
            grace_until: Some(30),
            ..sub("past_due", Some(10))
        };
        assert_eq!(past_due.standing_at(20), Ok((Standing::Grace, Some(30))));
        assert_eq!(past_due.standing_at(30), Err(Lapse::PaymentFailed));
    }

    #[test]
    fn entitlements_follow_the_plan_and_lapse_to_free_titles() {
        let e = Entitlement::evaluate(
            2,
            false,
            true,
            Some(sub("active", Some(100))),
            Some(plan(false)),
            5,
        );
        assert_eq!(e.titles(), Titles::Plan(3));
        assert_eq!(
            (e.max_height, e.max_streams, e.downloads),
            (Some(720), Some(2), false)
        );
        assert_eq!(e.valid_until, Some(100));
        let all = Entitlement::evaluate(
            2,
            false,
            true,
            Some(sub("active", None)),
            Some(plan(true)),
            5,
        );
        assert_eq!(all.titles(), Titles::All);
        let lapsed = Entitlement::evaluate(
            2,
            false,
            true,
            Some(sub("active", Some(100))),
            Some(plan(false)),
            100,
        );
        assert_eq!(lapsed.titles(), Titles::FreeOnly(Lapse::Expired));
        assert_eq!(lapsed.plan, None);
        assert_eq!(lapsed.max_streams, Some(FREE_MAX_STREAMS));
        assert!(lapsed.subscription.is_some());
        let none = Entitlement::evaluate(2, false, true, None, None, 5);
        assert_eq!(none.titles(), Titles::FreeOnly(Lapse::NoPlan));
        assert_eq!(none.standing, Standing::FreeOnly);
        let admin = Entitlement::evaluate(1, true, true, None, None, 5);
        let open = Entitlement::evaluate(2, false, false, None, None, 5);
        assert_eq!(
            (open.standing, open.titles()),
            (Standing::Open, Titles::All)
        );
        assert_eq!(admin.titles(), Titles::All);
        assert_eq!(
            (admin.max_height, admin.max_streams, admin.downloads),
            (None, None, true)
        );
        assert_ne!(Titles::Plan(3).tag(), Titles::Plan(4).tag());
        assert_ne!(
            Titles::FreeOnly(Lapse::NoPlan).tag(),
            Titles::FreeOnly(Lapse::Expired).tag()
        );
    }

    /// A library with a series (two episodes, the first free), a tagged movie and an untagged one.
    async fn catalog() -> (tempfile::TempDir, Store, [i64; 5]) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db.sqlite")).await.unwrap();
        let w = &store.writer;
        sqlx::query("INSERT INTO libraries (id, name, root, root_display, created_at) VALUES (1, 'm', x'2f6d', '/m', 0)")
            .execute(w).await.unwrap();
        let item = |id: i64, kind: &str, parent: Option<i64>, series: Option<i64>| {
            sqlx::query("INSERT INTO items (id, kind, key, library_id, parent_id, series_id, title, sort_title, added_at, updated_at)
                VALUES (?, ?, ?, 1, ?, ?, ?, ?, 0, 0)")
                .bind(id).bind(kind.to_string()).bind(format!("k{id}")).bind(parent).bind(series)
                .bind(format!("t{id}")).bind(format!("t{id}"))
        };
        item(1, "series", None, None).execute(w).await.unwrap();
        item(2, "season", Some(1), Some(1))
            .execute(w)
            .await
            .unwrap();
        item(3, "episode", Some(2), Some(1))
            .execute(w)
            .await
            .unwrap();
        item(4, "episode", Some(2), Some(1))
            .execute(w)
            .await
            .unwrap();
        item(5, "movie", None, None).execute(w).await.unwrap();
        item(6, "movie", None, None).execute(w).await.unwrap();
        sqlx::query("INSERT INTO item_facets (item_id, facet, value) VALUES (5, 'studio', 'HBO')")
            .execute(w)
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO users (id, username, password_hash, created_at) VALUES (7, 'u', 'x', 0)",
        )
        .execute(w)
        .await
        .unwrap();
        assert!(store.set_item_free(3, Some(true)).await.unwrap());
        (dir, store, [1, 3, 4, 5, 6])
    }

    fn access(titles: Titles, hide_locked: bool) -> Access {
        Access::EVERYTHING.with_titles(titles, hide_locked)
    }

    #[tokio::test]
    async fn plans_unlock_collections_and_free_episodes_play_for_everyone() {
        let (_dir, store, [series, free_ep, ep2, hbo, other]) = catalog().await;
        let hbo_plan = store
            .create_plan(&PlanFields {
                name: "HBO".into(),
                collections: vec!["hbo".into()],
                max_height: Some(720),
                ..Default::default()
            })
            .await
            .unwrap();
        let everything = store
            .create_plan(&PlanFields {
                name: "Everything".into(),
                all_titles: true,
                ..Default::default()
            })
            .await
            .unwrap();
        assert!(store
            .create_plan(&PlanFields {
                name: "hbo".into(),
                ..Default::default()
            })
            .await
            .is_err());
        assert!(store
            .create_plan(&PlanFields {
                name: "X".into(),
                items: vec![99],
                ..Default::default()
            })
            .await
            .is_err());

        let nobody = access(Titles::FreeOnly(Lapse::NoPlan), false);
        let all = [series, free_ep, ep2, hbo, other];
        let locks = store.locks(&all, &nobody).await.unwrap();
        assert!(!locks.contains_key(&free_ep), "{locks:?}");
        assert!(locks[&series].free_preview);
        assert!(!locks[&hbo].free_preview);
        let names = |id: i64| {
            locks[&id]
                .plans
                .iter()
                .map(|p| p.name.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(hbo), ["Everything", "HBO"]);
        assert_eq!(names(other), ["Everything"]);
        assert_eq!(locks[&other].reason, Lapse::NoPlan.reason());

        // Hidden: only what plays, or holds something that plays, is listed.
        let hidden = access(Titles::FreeOnly(Lapse::NoPlan), true);
        let seen = store.visible_items(&all, &hidden).await.unwrap();
        assert_eq!(seen, HashSet::from([series, free_ep]));
        assert!(!store.item_visible(hbo, &hidden).await.unwrap());
        assert_eq!(store.visible_items(&all, &nobody).await.unwrap().len(), 5);

        let with_hbo = access(Titles::Plan(hbo_plan.id), true);
        assert_eq!(
            store.visible_items(&all, &with_hbo).await.unwrap(),
            HashSet::from([series, free_ep, hbo])
        );
        assert!(store.item_unlocked(hbo, with_hbo.titles).await.unwrap());
        assert!(!store.item_unlocked(ep2, with_hbo.titles).await.unwrap());
        assert!(store.item_unlocked(ep2, Titles::All).await.unwrap());

        // Granting, then the entitlement that follows; a plan with subscribers stays.
        store
            .grant_plan(7, hbo_plan.id, SubscriptionSource::Trial, Some(now() + 60))
            .await
            .unwrap();
        let e = store.entitlement(7).await.unwrap();
        assert_eq!(
            (e.standing, e.titles(), e.max_height),
            (Standing::Trialing, Titles::Plan(hbo_plan.id), Some(720))
        );
        assert!(store.delete_plan(hbo_plan.id).await.is_err());
        store
            .grant_plan(7, everything.id, SubscriptionSource::Admin, Some(now() - 1))
            .await
            .unwrap();
        let e = store.entitlement(7).await.unwrap();
        assert_eq!(e.titles(), Titles::FreeOnly(Lapse::Expired));
        assert!(store.end_subscription(7).await.unwrap());
        store.delete_plan(hbo_plan.id).await.unwrap();
    }

    #[tokio::test]
    async fn billing_events_apply_once_and_follow_the_lifecycle() {
        let (_dir, store, _) = catalog().await;
        for name in ["Basic", "Premium"] {
            store
                .create_plan(&PlanFields {
                    name: name.into(),
                    ..Default::default()
                })
                .await
                .unwrap();
        }
        let event = |id: &str, kind: &str, data: BillingData| BillingEvent {
            id: id.into(),
            kind: kind.into(),
            data: BillingData {
                subscription_id: "sub_1".into(),
                ..data
            },
        };
        let t = 1_000;
        let created = event(
            "e1",
            "subscription.created",
            BillingData {
                username: Some("u".into()),
                plan: Some("basic".into()),
                current_period_end: Some(t + 100),
                ..Default::default()
            },
        );
        let first = store.apply_billing_event(&created, 10, t).await.unwrap();
        assert_eq!((first.duplicate, first.user_id), (false, Some(7)));
        let again = store.apply_billing_event(&created, 10, t).await.unwrap();
        assert!(again.duplicate);
        assert_eq!(again.outcome, first.outcome);
        let e = store.entitlement_at(7, t + 1).await.unwrap();
        assert_eq!(
            (e.standing, e.plan_name()),
            (Standing::Active, Some("Basic"))
        );

        let changed = event(
            "e2",
            "subscription.changed",
            BillingData {
                plan: Some("Premium".into()),
                ..Default::default()
            },
        );
        store.apply_billing_event(&changed, 10, t).await.unwrap();
        assert_eq!(
            store.entitlement_at(7, t + 1).await.unwrap().plan_name(),
            Some("Premium")
        );
        let unknown_plan = event(
            "e2b",
            "subscription.changed",
            BillingData {
                plan: Some("Gold".into()),
                ..Default::default()
            },
        );
        assert!(matches!(
            store.apply_billing_event(&unknown_plan, 10, t).await,
            Err(StoreError::NotFound(_))
        ));

        let failed = event("e3", "subscription.payment_failed", BillingData::default());
        store
            .apply_billing_event(&failed, 10, t + 100)
            .await
            .unwrap();
        assert_eq!(
            store.entitlement_at(7, t + 105).await.unwrap().standing,
            Standing::Grace
        );
        let lapsed = store.entitlement_at(7, t + 110).await.unwrap();
        assert_eq!(lapsed.titles(), Titles::FreeOnly(Lapse::PaymentFailed));
        let renewed = event(
            "e4",
            "subscription.renewed",
            BillingData {
                current_period_end: Some(t + 500),
                ..Default::default()
            },
        );
        store
            .apply_billing_event(&renewed, 10, t + 111)
            .await
            .unwrap();
        assert_eq!(
            store.entitlement_at(7, t + 400).await.unwrap().standing,
            Standing::Active
        );

        let at_end = event(
            "e5",
            "subscription.cancelled",
            BillingData {
                cancel_at_period_end: true,
                ..Default::default()
            },
        );
        store
            .apply_billing_event(&at_end, 10, t + 120)
            .await
            .unwrap();
        assert_eq!(
            store.entitlement_at(7, t + 499).await.unwrap().standing,
            Standing::Active
        );
        assert_eq!(
            store.entitlement_at(7, t + 500).await.unwrap().titles(),
            Titles::FreeOnly(Lapse::Canceled)
        );
        let now_ = event("e6", "subscription.cancelled", BillingData::default());
        store.apply_billing_event(&now_, 10, t + 130).await.unwrap();
        assert_eq!(
            store.entitlement_at(7, t + 131).await.unwrap().titles(),
            Titles::FreeOnly(Lapse::Canceled)
        );

        let stranger = BillingEvent {
            data: BillingData {
                subscription_id: "sub_9".into(),
                ..Default::default()
            },
            ..event("e7", "subscription.renewed", BillingData::default())
        };
        let ignored = store.apply_billing_event(&stranger, 10, t).await.unwrap();
        assert!(ignored.outcome.starts_with("ignored"), "{ignored:?}");
        let other_type = event("e8", "invoice.paid", BillingData::default());
        assert!(store
            .apply_billing_event(&other_type, 10, t)
            .await
            .unwrap()
            .outcome
            .starts_with("ignored"));
    }
}
