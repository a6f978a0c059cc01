//! Plans and subscriptions: administrators define plans, mark titles free and grant plans (with an
//! optional expiry, or as a trial); a viewer reads their own entitlement; a payment provider keeps
//! subscriptions up to date through a signed webhook.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use marquee_store::{
    AuditEvent, BillingEvent, BillingOutcome, Entitlement, Locked, Plan, PlanFields,
    SubscriptionSource,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{AdminUser, AuthUser, ClientAddress};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::AppState;

/// The routes of this module, to merge into `/api/v1`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/me/subscription", get(my_subscription))
        .route("/billing/webhook", post(billing_webhook))
        .route("/admin/plans", get(list_plans).post(create_plan))
        .route(
            "/admin/plans/{id}",
            get(get_plan).put(update_plan).delete(delete_plan),
        )
        .route("/admin/items/{id}/free", put(set_free))
        .route(
            "/admin/users/{id}/subscription",
            get(user_subscription)
                .put(grant_subscription)
                .delete(end_subscription),
        )
}

/// The words of a 403 for a locked item: why, and which plans unlock it.
pub(crate) fn locked_message(id: i64, lock: &Locked) -> String {
    let plans = if lock.plans.is_empty() {
        "no plan unlocks it yet".to_string()
    } else {
        format!(
            "it is in {}",
            lock.plans
                .iter()
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    format!("item {id} is locked: {}; {plans}", lock.reason)
}

type IdPath = Result<Path<i64>, axum::extract::rejection::PathRejection>;

fn id(p: IdPath) -> ApiResult<i64> {
    p.map(|Path(id)| id)
        .map_err(|_| ApiError::bad_request("the id in the path must be a whole number"))
}

fn json<T>(
    body: Result<Json<T>, axum::extract::rejection::JsonRejection>,
    shape: &str,
) -> ApiResult<T> {
    body.map(|Json(t)| t)
        .map_err(|e| ApiError::bad_request(format!("expected JSON {shape}: {}", e.body_text())))
}

/// The signed-in user's plan, its standing (active, trialing, grace after a failed payment, or
/// free titles only and why), its limits and the subscription behind it.
#[utoipa::path(get, path = "/api/v1/me/subscription", tag = "plans", security(("bearer" = [])),
    responses((status = 200, body = Entitlement), (status = 401, body = ErrorBody)))]
pub async fn my_subscription(user: AuthUser) -> Json<Entitlement> {
    Json((*user.entitlement).clone())
}

/// Every plan.
#[utoipa::path(get, path = "/api/v1/admin/plans", tag = "plans", security(("bearer" = [])),
    responses((status = 200, body = [Plan]), (status = 403, body = ErrorBody)))]
pub async fn list_plans(
    State(state): State<AppState>,
    _admin: AdminUser,
) -> ApiResult<Json<Vec<Plan>>> {
    Ok(Json(state.store.plans().await?))
}

/// One plan.
#[utoipa::path(get, path = "/api/v1/admin/plans/{id}", tag = "plans", security(("bearer" = [])),
    params(("id" = i64, Path, description = "plan id")),
    responses((status = 200, body = Plan), (status = 404, body = ErrorBody)))]
pub async fn get_plan(
    State(state): State<AppState>,
    _admin: AdminUser,
    p: IdPath,
) -> ApiResult<Json<Plan>> {
    Ok(Json(state.store.plan(id(p)?).await?))
}

const PLAN_SHAPE: &str = "{\"name\", \"description\"?, \"all_titles\"?, \"libraries\"?: [id], \"collections\"?: [tag or studio], \"items\"?: [id], \"max_height\"?, \"max_streams\"?, \"downloads\"?}";

fn valid_plan(fields: PlanFields) -> ApiResult<PlanFields> {
    let name = fields.name.trim();
    if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
        return Err(ApiError::bad_request(
            "a plan name has 1 to 64 characters and no control characters",
        ));
    }
    if fields
        .max_height
        .is_some_and(|h| !(1..=100_000).contains(&h))
    {
        return Err(ApiError::bad_request(
            "max_height is a video height in pixels (for example 720 or 1080), or null for no cap",
        ));
    }
    if fields.max_streams.is_some_and(|n| !(1..=1000).contains(&n)) {
        return Err(ApiError::bad_request(
            "max_streams is a number of streams from 1 to 1000, or null for no limit",
        ));
    }
    if fields.collections.iter().any(|c| c.trim().is_empty()) {
        return Err(ApiError::bad_request(
            "a collection is the name of a tag or studio; it cannot be empty",
        ));
    }
    Ok(fields)
}

/// Records an administrator's change to plans and subscriptions.
async fn audit(
    state: &AppState,
    admin: &AdminUser,
    address: &Option<String>,
    action: &str,
    target: String,
    detail: serde_json::Value,
) -> ApiResult<()> {
    super::audit_by(
        state,
        &admin.0.user,
        address.as_deref(),
        action,
        Some(target),
        Some(detail),
    )
    .await
}

/// Creates a plan: what it unlocks (`all_titles`, or `libraries`, `collections` — titles with
/// that tag or studio — and single `items`), its quality cap, streams and downloads.
#[utoipa::path(post, path = "/api/v1/admin/plans", tag = "plans", security(("bearer" = [])), request_body = PlanFields,
    responses((status = 201, body = Plan), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "a plan of that name exists")))]
pub async fn create_plan(
    State(state): State<AppState>,
    admin: AdminUser,
    ClientAddress(address): ClientAddress,
    body: Result<Json<PlanFields>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<(StatusCode, Json<Plan>)> {
    let fields = valid_plan(json(body, PLAN_SHAPE)?)?;
    let plan = state.store.create_plan(&fields).await?;
    // The first plan ends the open catalog (see `Standing::Open`).
    state.plans.forget(None);
    audit(
        &state,
        &admin,
        &address,
        "plan_created",
        format!("plan:{}", plan.id),
        serde_json::json!({ "name": plan.name }),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(plan)))
}

/// Replaces a plan's settings and contents; its subscribers get the new ones at once.
#[utoipa::path(put, path = "/api/v1/admin/plans/{id}", tag = "plans", security(("bearer" = [])), request_body = PlanFields,
    params(("id" = i64, Path, description = "plan id")),
    responses((status = 200, body = Plan), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn update_plan(
    State(state): State<AppState>,
    admin: AdminUser,
    ClientAddress(address): ClientAddress,
    p: IdPath,
    body: Result<Json<PlanFields>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<Json<Plan>> {
    let id = id(p)?;
    let fields = valid_plan(json(body, PLAN_SHAPE)?)?;
    let plan = state.store.update_plan(id, &fields).await?;
    state.plans.forget(None);
    audit(
        &state,
        &admin,
        &address,
        "plan_updated",
        format!("plan:{id}"),
        serde_json::json!({ "name": plan.name }),
    )
    .await?;
    Ok(Json(plan))
}

/// Deletes a plan nobody is subscribed to (409 otherwise).
#[utoipa::path(delete, path = "/api/v1/admin/plans/{id}", tag = "plans", security(("bearer" = [])),
    params(("id" = i64, Path, description = "plan id")),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_plan(
    State(state): State<AppState>,
    admin: AdminUser,
    ClientAddress(address): ClientAddress,
    p: IdPath,
) -> ApiResult<StatusCode> {
    let id = id(p)?;
    state.store.delete_plan(id).await?;
    state.plans.forget(None);
    audit(
        &state,
        &admin,
        &address,
        "plan_deleted",
        format!("plan:{id}"),
        serde_json::json!({}),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct FreeMark {
    /// `true`: every signed-in user may watch it (a series or season: all of it); `false`: not
    /// free, whatever its sidecar says; `null`: as its sidecar says (`"free": true` in JSON).
    pub free: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FreeState {
    pub item_id: i64,
    /// Whether it is free now.
    pub free: bool,
}

/// Marks a title, season or episode free (a first episode, a trailer), or not.
#[utoipa::path(put, path = "/api/v1/admin/items/{id}/free", tag = "plans", security(("bearer" = [])), request_body = FreeMark,
    params(("id" = i64, Path, description = "item id")),
    responses((status = 200, body = FreeState), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn set_free(
    State(state): State<AppState>,
    admin: AdminUser,
    ClientAddress(address): ClientAddress,
    p: IdPath,
    body: Result<Json<FreeMark>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<Json<FreeState>> {
    let item_id = id(p)?;
    let mark = json(body, "{\"free\": true | false | null}")?;
    let free = state.store.set_item_free(item_id, mark.free).await?;
    audit(
        &state,
        &admin,
        &address,
        "item_free_set",
        format!("item:{item_id}"),
        serde_json::json!({ "free": mark.free }),
    )
    .await?;
    Ok(Json(FreeState { item_id, free }))
}

/// A user's entitlement: their plan, its standing and limits, and the subscription behind it.
#[utoipa::path(get, path = "/api/v1/admin/users/{id}/subscription", tag = "plans", security(("bearer" = [])),
    params(("id" = i64, Path, description = "user id")),
    responses((status = 200, body = Entitlement), (status = 404, body = ErrorBody)))]
pub async fn user_subscription(
    State(state): State<AppState>,
    _admin: AdminUser,
    p: IdPath,
) -> ApiResult<Json<Entitlement>> {
    Ok(Json(state.store.entitlement(id(p)?).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Grant {
    /// The plan, by name …
    pub plan: Option<String>,
    /// … or by id.
    pub plan_id: Option<i64>,
    /// Unix seconds when it ends; absent: until taken back. Required for a trial.
    pub expires_at: Option<i64>,
    /// A trial rather than a grant.
    #[serde(default)]
    pub trial: bool,
}

/// Gives a user a plan, replacing their current subscription: an administrator's grant (with an
/// optional expiry) or a trial (with one).
#[utoipa::path(put, path = "/api/v1/admin/users/{id}/subscription", tag = "plans", security(("bearer" = [])), request_body = Grant,
    params(("id" = i64, Path, description = "user id")),
    responses((status = 200, body = Entitlement), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn grant_subscription(
    State(state): State<AppState>,
    admin: AdminUser,
    ClientAddress(address): ClientAddress,
    p: IdPath,
    body: Result<Json<Grant>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<Json<Entitlement>> {
    let user_id = id(p)?;
    let grant = json(
        body,
        "{\"plan\" or \"plan_id\", \"expires_at\"?, \"trial\"?}",
    )?;
    let plan = match (&grant.plan, grant.plan_id) {
        (Some(name), None) => state
            .store
            .plan_by_name(name)
            .await?
            .ok_or_else(|| ApiError::not_found(format!("there is no plan named {name:?}")))?,
        (None, Some(id)) => state.store.plan(id).await?,
        _ => {
            return Err(ApiError::bad_request(
                "name the plan with either \"plan\" (its name) or \"plan_id\"",
            ))
        }
    };
    if grant.trial && grant.expires_at.is_none() {
        return Err(ApiError::bad_request(
            "a trial needs \"expires_at\" (Unix seconds)",
        ));
    }
    state.store.user_by_id(user_id).await?;
    let source = if grant.trial {
        SubscriptionSource::Trial
    } else {
        SubscriptionSource::Admin
    };
    let sub = state
        .store
        .grant_plan(user_id, plan.id, source, grant.expires_at)
        .await?;
    state.plans.forget(Some(user_id));
    let detail =
        serde_json::json!({ "plan": plan.name, "source": source, "expires_at": sub.expires_at });
    audit(
        &state,
        &admin,
        &address,
        "subscription_granted",
        format!("user:{user_id}"),
        detail,
    )
    .await?;
    Ok(Json(state.store.entitlement(user_id).await?))
}

/// Takes a user's subscription away: they keep free titles only.
#[utoipa::path(delete, path = "/api/v1/admin/users/{id}/subscription", tag = "plans", security(("bearer" = [])),
    params(("id" = i64, Path, description = "user id")),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn end_subscription(
    State(state): State<AppState>,
    admin: AdminUser,
    ClientAddress(address): ClientAddress,
    p: IdPath,
) -> ApiResult<StatusCode> {
    let user_id = id(p)?;
    if !state.store.end_subscription(user_id).await? {
        return Err(ApiError::not_found(format!(
            "user {user_id} has no subscription"
        )));
    }
    state.plans.forget(Some(user_id));
    audit(
        &state,
        &admin,
        &address,
        "subscription_ended",
        format!("user:{user_id}"),
        serde_json::json!({}),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The payment provider's events (public, but signed). The body is a [`BillingEvent`]; the
/// `Marquee-Signature: t=<unix seconds>,v1=<hex>` header carries HMAC-SHA256 of `"{t}.{body}"`
/// under the webhook secret, as Stripe signs. Refused: a missing, malformed or wrong signature, or
/// a timestamp more than 5 minutes off (400). An event id seen before is acknowledged
/// (`"duplicate": true`) and not applied again. 503 when no secret is configured.
#[utoipa::path(post, path = "/api/v1/billing/webhook", tag = "plans", request_body = BillingEvent,
    params(("Marquee-Signature" = String, Header, description = "t=<unix seconds>,v1=<hex HMAC-SHA256 of \"{t}.{body}\">")),
    responses((status = 200, body = BillingOutcome), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "the event names an unknown user or plan"),
        (status = 503, body = ErrorBody, description = "no webhook secret is configured")))]
pub async fn billing_webhook(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<BillingOutcome>> {
    let Some(secret) = &state.plans.webhook_secret else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the billing webhook is not configured: start the server with --billing-webhook-secret (or MARQUEE_BILLING_WEBHOOK_SECRET, or billing_webhook_secret in the configuration file)",
        ));
    };
    let now = crate::unix_now();
    let signature = headers
        .get("marquee-signature")
        .and_then(|v| v.to_str().ok());
    crate::plans::verify_webhook(secret, signature, &body, now)
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let event: BillingEvent = serde_json::from_slice(&body).map_err(|e| {
        ApiError::bad_request(format!(
            "the event is not {{\"id\", \"type\", \"data\": {{\"subscription_id\", …}}}}: {e}"
        ))
    })?;
    if event.id.trim().is_empty() {
        return Err(ApiError::bad_request("the event has an empty id"));
    }
    let outcome = state
        .store
        .apply_billing_event(&event, state.plans.grace_secs, now)
        .await?;
    if let Some(user_id) = outcome.user_id {
        state.plans.forget(Some(user_id));
    }
    if !outcome.duplicate {
        state
            .store
            .audit(AuditEvent {
                actor_id: None,
                actor_name: Some("billing"),
                action: "billing_event",
                target: outcome.user_id.map(|id| format!("user:{id}")),
                address: address.as_deref(),
                detail: Some(serde_json::json!({
                    "event": event.id, "type": event.kind, "outcome": outcome.outcome,
                })),
            })
            .await?;
    }
    Ok(Json(outcome))
}
