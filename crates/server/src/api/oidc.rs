//! Sign-in through an outside OpenID Connect provider: whether it is on, the redirect to the
//! provider, and the callback that turns the provider's answer into a cookie session.
//!
//! Who becomes whom: a provider account (issuer + subject) that is already linked signs in as
//! its user. A new one gets a new account — never an existing local one, even with the same
//! name or email: local accounts have no verified email to compare, and a provider whose users
//! choose their own names could otherwise take over `admin`. A signed-in user links a provider
//! account to their own account by starting the sign-in with `?link=true`.

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use marquee_store::{AuditEvent, User};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::{add_session_cookies, device_name, is_https, open_session};
use crate::auth::{self, AuthUser, ClientAddress};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::oidc::{Oidc, OidcError};
use crate::AppState;

/// The cookie binding a sign-in in progress to the browser that started it (holds the state).
const FLOW_COOKIE: &str = "marquee_oidc";
const FLOW_COOKIE_PATH: &str = "/api/v1/auth/oidc";
const CALLBACK_PATH: &str = "/api/v1/auth/oidc/callback";

#[derive(Debug, Serialize, ToSchema)]
pub struct OidcInfo {
    /// Whether "Sign in with …" is offered.
    pub enabled: bool,
    /// The provider's name for the button.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Where the button sends the browser.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_url: Option<String>,
}

/// Whether sign-in through an identity provider is configured, and the provider's name.
#[utoipa::path(get, path = "/api/v1/auth/oidc", tag = "auth",
    responses((status = 200, body = OidcInfo)))]
pub async fn info(State(state): State<AppState>) -> Json<OidcInfo> {
    Json(match &state.oidc {
        Some(o) => OidcInfo {
            enabled: true,
            name: Some(o.settings.name.clone()),
            start_url: Some(format!("{FLOW_COOKIE_PATH}/start")),
        },
        None => OidcInfo {
            enabled: false,
            name: None,
            start_url: None,
        },
    })
}

fn configured(state: &AppState) -> ApiResult<&Oidc> {
    state.oidc.as_deref().ok_or_else(|| {
        ApiError::not_found("sign-in through an identity provider is not configured here")
    })
}

fn oidc_error(e: OidcError) -> ApiError {
    let status = match e {
        OidcError::Config(_) => StatusCode::INTERNAL_SERVER_ERROR,
        OidcError::Discovery(_) | OidcError::UserInfo(_) => StatusCode::BAD_GATEWAY,
        OidcError::UnknownState => StatusCode::BAD_REQUEST,
        OidcError::Busy => StatusCode::SERVICE_UNAVAILABLE,
        OidcError::Exchange(_) | OidcError::IdToken(_) => StatusCode::UNAUTHORIZED,
    };
    ApiError::new(status, e.to_string())
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct StartQuery {
    /// A path of the web app to open after signing in.
    pub next: Option<String>,
    /// Link the provider account to the signed-in user instead of signing in.
    #[serde(default)]
    pub link: bool,
}

/// A path on this site (not `//host` or `/\host`, which browsers treat as another site).
fn local_path(next: Option<String>) -> Option<String> {
    next.filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.contains('\\'))
}

fn flow_cookie(value: &str, max_age: u64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    // SameSite=Lax: the provider's redirect back is a top-level GET, which carries it.
    HeaderValue::from_str(&format!(
        "{FLOW_COOKIE}={value}; Path={FLOW_COOKIE_PATH}; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}"
    ))
    .unwrap_or(HeaderValue::from_static(""))
}

/// Sends the browser to the provider's sign-in page (authorization code, PKCE S256, state and
/// nonce). With `link=true` a signed-in user links the provider account to their own.
#[utoipa::path(get, path = "/api/v1/auth/oidc/start", tag = "auth", params(StartQuery),
    responses((status = 303, description = "to the provider"), (status = 404, body = ErrorBody, description = "not configured"),
        (status = 502, body = ErrorBody, description = "the provider cannot be reached")))]
pub async fn start(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: Result<AuthUser, ApiError>,
    q: Result<Query<StartQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Response> {
    let oidc = configured(&state)?;
    let Query(q) =
        q.map_err(|e| ApiError::bad_request(format!("bad query string: {}", e.body_text())))?;
    let link_user = if q.link { Some(user?.user.id) } else { None };
    let https = is_https(&headers);
    let from_request = match headers.get(header::HOST).and_then(|h| h.to_str().ok()) {
        Some(host) => format!(
            "{}://{host}{CALLBACK_PATH}",
            if https { "https" } else { "http" }
        ),
        None => String::new(),
    };
    let redirect = oidc.redirect_url(&from_request).map_err(|_| {
        ApiError::bad_request("the request has no Host header to build the callback URL from")
    })?;
    let started = oidc
        .start(redirect, link_user, local_path(q.next))
        .await
        .map_err(oidc_error)?;
    let mut res = (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, started.url.as_str())],
    )
        .into_response();
    res.headers_mut()
        .append(header::SET_COOKIE, flow_cookie(&started.state, 600, https));
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct CallbackQuery {
    pub state: Option<String>,
    pub code: Option<String>,
    /// The provider's issuer (RFC 9207); when sent it must be ours.
    pub iss: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

async fn audit_failure(
    state: &AppState,
    address: Option<&str>,
    action: &str,
    detail: serde_json::Value,
) {
    let _ = state
        .store
        .audit(AuditEvent {
            action,
            address,
            detail: Some(detail),
            ..Default::default()
        })
        .await;
}

/// The provider's answer: checks the state against this browser's cookie, exchanges the code,
/// verifies the ID token, finds or creates the user (or links the account), applies the plan
/// mapped from the configured claim, opens a cookie session as a password sign-in does and
/// sends the browser to the web app.
#[utoipa::path(get, path = "/api/v1/auth/oidc/callback", tag = "auth", params(CallbackQuery),
    responses((status = 303, description = "signed in: to the web app, with the session cookies"),
        (status = 400, body = ErrorBody, description = "missing, forged or expired state"),
        (status = 401, body = ErrorBody, description = "the provider did not sign the user in, or its answer is not valid"),
        (status = 403, body = ErrorBody, description = "the account is disabled")))]
pub async fn callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientAddress(address): ClientAddress,
    q: Result<Query<CallbackQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Response> {
    let oidc = configured(&state)?;
    let Query(q) =
        q.map_err(|e| ApiError::bad_request(format!("bad query string: {}", e.body_text())))?;
    let address = address.as_deref();
    let flow_state = q
        .state
        .as_deref()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            ApiError::bad_request(
                "the provider's answer has no state; start again at /api/v1/auth/oidc/start",
            )
        })?;
    // The state must be the one this browser was given: a code pushed into someone else's
    // browser (login CSRF) is refused.
    if auth::cookie(&headers, FLOW_COOKIE).as_deref() != Some(flow_state) {
        audit_failure(
            &state,
            address,
            "sign_in_failed",
            serde_json::json!({"method": "oidc", "reason": "state does not match this browser"}),
        )
        .await;
        return Err(ApiError::bad_request(
            "this sign-in was not started in this browser (the state does not match); start again",
        ));
    }
    if let Some(iss) = &q.iss {
        if iss.trim_end_matches('/') != oidc.settings.issuer.trim_end_matches('/') {
            oidc.abandon(flow_state);
            return Err(ApiError::bad_request(format!(
                "the answer comes from another identity provider ({iss})"
            )));
        }
    }
    if let Some(error) = &q.error {
        oidc.abandon(flow_state);
        let description = q.error_description.as_deref().unwrap_or("");
        audit_failure(
            &state,
            address,
            "sign_in_failed",
            serde_json::json!({"method": "oidc", "reason": error, "description": description}),
        )
        .await;
        return Err(ApiError::unauthorized(format!(
            "the identity provider did not sign you in: {error} {description}"
        )));
    }
    let code = q
        .code
        .as_deref()
        .ok_or_else(|| ApiError::bad_request("the provider's answer has no code"))?;
    let account = match oidc.finish(flow_state, code).await {
        Ok(a) => a,
        Err(e) => {
            audit_failure(
                &state,
                address,
                "sign_in_failed",
                serde_json::json!({"method": "oidc", "reason": e.to_string()}),
            )
            .await;
            return Err(oidc_error(e));
        }
    };
    let user = user_for(&state, &account, address).await?;
    if user.disabled {
        let _ = state
            .store
            .audit(AuditEvent {
                actor_id: Some(user.id),
                actor_name: Some(&user.username),
                action: "sign_in_refused_disabled",
                address,
                detail: Some(serde_json::json!({"method": "oidc"})),
                ..Default::default()
            })
            .await;
        return Err(ApiError::forbidden(
            "this account is disabled; ask an administrator",
        ));
    }
    apply_plan(&state, oidc, &user, &account, address).await?;
    let device = device_name(None, &headers);
    let (token, _session) =
        open_session(&state, &user, true, device.as_deref(), address, "oidc").await?;
    // The web app's sign-in page sees the new session and carries on as after a password
    // sign-in (who is watching, then `next`).
    let target = match (&account.link_user, &account.next) {
        (Some(_), None) => "/account".to_string(),
        (_, Some(next)) => format!(
            "/login?next={}",
            openidconnect::url::form_urlencoded::byte_serialize(next.as_bytes())
                .collect::<String>()
        ),
        (None, None) => "/login".to_string(),
    };
    let mut res = (StatusCode::SEE_OTHER, [(header::LOCATION, target)]).into_response();
    add_session_cookies(&mut res, &token, &headers);
    res.headers_mut()
        .append(header::SET_COOKIE, flow_cookie("", 0, is_https(&headers)));
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

/// Applies the plan the configured claim maps to. The provider governs only what it granted: a
/// subscription from an administrator, a trial or billing stays as it is; one the provider
/// granted follows the claim (another plan, or taken back when no value maps any more).
async fn apply_plan(
    state: &AppState,
    oidc: &Oidc,
    user: &User,
    account: &crate::oidc::ProviderAccount,
    address: Option<&str>,
) -> ApiResult<()> {
    use marquee_store::SubscriptionSource;
    if oidc.settings.plan_claim.is_none() {
        return Ok(());
    }
    let current = state.store.subscription_of(user.id).await?;
    if current
        .as_ref()
        .is_some_and(|s| s.source != SubscriptionSource::Oidc)
    {
        return Ok(());
    }
    let wanted = match oidc.plan_for(&account.plan_values) {
        Some(name) => match state.store.plan_by_name(name).await? {
            Some(plan) => Some(plan),
            None => {
                tracing::warn!(
                    plan = name,
                    "the identity provider's claim maps to a plan that does not exist"
                );
                None
            }
        },
        None => None,
    };
    match (wanted, current) {
        (Some(plan), Some(sub)) if sub.plan.id == plan.id => Ok(()),
        (Some(plan), _) => {
            state
                .store
                .grant_plan(user.id, plan.id, SubscriptionSource::Oidc, None)
                .await?;
            super::audit_by(
                state,
                user,
                address,
                "plan_granted",
                Some(format!("user:{}", user.id)),
                Some(serde_json::json!({"plan": plan.name, "via": "oidc"})),
            )
            .await
        }
        (None, Some(sub)) => {
            state.store.end_subscription(user.id).await?;
            super::audit_by(
                state,
                user,
                address,
                "plan_ended",
                Some(format!("user:{}", user.id)),
                Some(serde_json::json!({"plan": sub.plan.name, "via": "oidc"})),
            )
            .await
        }
        (None, None) => Ok(()),
    }
}

/// The user a provider account signs in as: linked before, linked now at the user's request,
/// or new.
async fn user_for(
    state: &AppState,
    account: &crate::oidc::ProviderAccount,
    address: Option<&str>,
) -> ApiResult<User> {
    let email = account
        .email_verified
        .then_some(account.email.as_deref())
        .flatten();
    let known = state
        .store
        .user_by_identity(&account.issuer, &account.subject, email)
        .await?;
    if let Some(link_to) = account.link_user {
        return match known {
            Some(u) if u.id == link_to => Ok(u),
            Some(_) => Err(ApiError::new(
                StatusCode::CONFLICT,
                "this provider account is already linked to another user",
            )),
            None => {
                state
                    .store
                    .link_identity(link_to, &account.issuer, &account.subject, email)
                    .await?;
                let user = state.store.user_by_id(link_to).await?;
                super::audit_by(
                    state,
                    &user,
                    address,
                    "identity_linked",
                    Some(format!("user:{}", user.id)),
                    Some(serde_json::json!({"issuer": account.issuer, "subject": account.subject})),
                )
                .await?;
                Ok(user)
            }
        };
    }
    if let Some(u) = known {
        return Ok(u);
    }
    let wanted = super::admin::validate_username(&account.username)
        .unwrap_or("user")
        .to_string();
    let user = match state
        .store
        .create_user_for_identity(&wanted, &account.issuer, &account.subject, email)
        .await
    {
        Ok(u) => u,
        // The same account signing in twice at once: the other request created it.
        Err(marquee_store::StoreError::Conflict(_)) => state
            .store
            .user_by_identity(&account.issuer, &account.subject, email)
            .await?
            .ok_or_else(|| ApiError::internal("the new account vanished; try again"))?,
        Err(e) => return Err(e.into()),
    };
    super::audit_by(
        state,
        &user,
        address,
        "user_created",
        Some(format!("user:{}", user.id)),
        Some(serde_json::json!({
            "via": "oidc",
            "issuer": account.issuer,
            "subject": account.subject,
        })),
    )
    .await?;
    Ok(user)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(
            local_path(Some("/title/3".into())).as_deref(),
            Some("/title/3")
        );
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "title",
        ] {
            assert_eq!(local_path(Some(bad.into())), None, "{bad}");
        }
    }
}
