//! Sign-in through a real OpenID Connect provider — the npm package `oidc-provider`, started
//! by the test on 127.0.0.1 (`e2e/oidc/provider.mjs`) — against a real `marquee serve`: the
//! whole authorization-code flow with PKCE through the provider's own login form, driven by an
//! HTTP client that keeps cookies as a browser does.

mod common;
use common::*;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};

use serde_json::json;

/// A running `node e2e/oidc/provider.mjs`, killed when dropped.
struct Provider {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: std::io::Lines<BufReader<std::process::ChildStdout>>,
    issuer: String,
}

impl Provider {
    fn start() -> Provider {
        let e2e = workspace_root().join("e2e");
        assert!(
            e2e.join("node_modules/oidc-provider").is_dir(),
            "the npm package oidc-provider is missing: run scripts/e2e-setup.sh (scripts/test does)"
        );
        let mut child = Command::new("node")
            .arg("oidc/provider.mjs")
            .current_dir(&e2e)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("cannot run node (Node.js 20 or newer is needed)");
        let stdin = child.stdin.take();
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let issuer = loop {
            let line = lines
                .next()
                .expect("the provider exited before listening")
                .expect("read provider output");
            if let Some(url) = line.strip_prefix("issuer ") {
                break url.trim().to_string();
            }
        };
        Provider {
            child,
            stdin,
            lines,
            issuer,
        }
    }

    /// Registers Marquee's callback URL as the client's redirect URI.
    fn register(&mut self, redirect_uri: &str) {
        let stdin = self.stdin.as_mut().expect("stdin");
        writeln!(stdin, "{redirect_uri}").unwrap();
        stdin.flush().unwrap();
        for line in self.lines.by_ref() {
            if line.expect("read provider output").trim() == "ready" {
                return;
            }
        }
        panic!("the provider exited before it was ready");
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A provider and a Marquee that trusts it (`extra` are more `serve` flags).
fn start_pair(data: &std::path::Path, extra: &[&str]) -> (Provider, Server) {
    let mut provider = Provider::start();
    let mut args = vec![
        "--no-watch",
        "--oidc-issuer",
        &provider.issuer,
        "--oidc-client-id",
        "marquee",
        "--oidc-name",
        "Acme",
        "--oidc-scopes",
        "openid email profile groups",
    ];
    args.extend_from_slice(extra);
    let server = Server::start_with_env(
        data,
        &args,
        &[("MARQUEE_OIDC_CLIENT_SECRET", "marquee-test-secret")],
    );
    provider.register(&server.url("/api/v1/auth/oidc/callback"));
    (provider, server)
}

/// A browser-like client: keeps cookies, follows no redirect by itself.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get("location")
        .unwrap_or_else(|| panic!("no Location in a {} answer", res.status()))
        .to_str()
        .unwrap()
        .to_string()
}

/// Follows redirects from `url`, filling in the provider's login form as `login`, until the
/// provider sends the browser back to Marquee's callback. Answers the callback URL.
async fn through_provider(client: &reqwest::Client, url: &str, login: &str) -> String {
    let mut url = url.to_string();
    for _ in 0..10 {
        if url.contains("/api/v1/auth/oidc/callback") {
            return url;
        }
        let res = client.get(&url).send().await.unwrap();
        let base = res.url().clone();
        if res.status().is_redirection() {
            url = base.join(&location(&res)).unwrap().to_string();
            continue;
        }
        assert_eq!(res.status(), 200, "GET {url}");
        let page = res.text().await.unwrap();
        let action = page
            .split_once("<form")
            .and_then(|(_, form)| form.split_once("action=\""))
            .and_then(|(_, rest)| rest.split_once('"'))
            .unwrap_or_else(|| panic!("no form on {url}: {page}"))
            .0
            .replace("&amp;", "&");
        let res = client
            .post(base.join(&action).unwrap())
            .form(&[("prompt", "login"), ("login", login), ("password", "any")])
            .send()
            .await
            .unwrap();
        assert!(
            res.status().is_redirection(),
            "login form: {}",
            res.status()
        );
        url = base.join(&location(&res)).unwrap().to_string();
    }
    panic!("the provider never sent the browser back");
}

/// A whole sign-in as `login` in `client`; answers the callback's response.
async fn sign_in(server: &Server, client: &reqwest::Client, login: &str) -> reqwest::Response {
    let res = client
        .get(server.url("/api/v1/auth/oidc/start"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "start");
    let callback = through_provider(client, &location(&res), login).await;
    client.get(&callback).send().await.unwrap()
}

async fn me(server: &Server, client: &reqwest::Client) -> serde_json::Value {
    let res = client.get(server.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(res.status(), 200, "GET /api/v1/me");
    res.json().await.unwrap()
}

#[tokio::test]
async fn sign_in_through_a_real_provider() {
    let data = tempfile::tempdir().unwrap();
    let db = data.path().join("marquee.db");
    // The plan the provider's `premium` group maps to.
    let store = marquee_store::Store::open(&db).await.unwrap();
    store
        .create_plan(&marquee_store::PlanFields {
            name: "Premium".into(),
            all_titles: true,
            max_streams: Some(4),
            ..Default::default()
        })
        .await
        .unwrap();
    store.close().await;
    let (_provider, server) = start_pair(
        data.path(),
        &[
            "--oidc-plan-claim",
            "groups",
            "--oidc-plan",
            "gold=Nonexistent",
            "--oidc-plan",
            "premium=Premium",
        ],
    );
    let admin = server.admin().await;
    // A local user named bob exists before the provider's bob ever signs in.
    let res = admin
        .post(
            "/api/v1/admin/users",
            json!({"username": "bob", "password": "local-bob-password"}),
        )
        .await;
    assert_eq!(res.status(), 201);

    let info: serde_json::Value = reqwest::get(server.url("/api/v1/auth/oidc"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["enabled"], true);
    assert_eq!(info["name"], "Acme");

    // First sign-in: an account is made, and the browser holds a cookie session.
    let alice = browser();
    let done = sign_in(&server, &alice, "alice").await;
    assert_eq!(done.status(), 303, "{}", done.text().await.unwrap());
    assert_eq!(location(&done), "/login");
    let cookies: Vec<String> = done
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|c| c.to_str().unwrap().to_string())
        .collect();
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("marquee_session=") && c.contains("HttpOnly")),
        "{cookies:?}"
    );
    let csrf = cookies
        .iter()
        .find_map(|c| c.strip_prefix("marquee_csrf="))
        .and_then(|c| c.split(';').next())
        .unwrap()
        .to_string();
    let first = me(&server, &alice).await;
    assert_eq!(first["user"]["username"], "alice");
    assert_eq!(first["session"]["kind"], "cookie");
    assert_eq!(first["user"]["is_admin"], false);
    // It is a cookie session like any other: changes need the CSRF token.
    let res = alice
        .post(server.url("/api/v1/auth/logout"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    // The account cannot sign in with a password (it has none).
    let res = reqwest::Client::new()
        .post(server.url("/api/v1/auth/login"))
        .json(&json!({"username": "alice", "password": "!external"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);

    // A second sign-in, from another browser, is the same account.
    let again = browser();
    assert_eq!(sign_in(&server, &again, "alice").await.status(), 303);
    let second = me(&server, &again).await;
    assert_eq!(second["user"]["id"], first["user"]["id"]);
    assert_ne!(second["session"]["id"], first["session"]["id"]);

    // The provider's bob does not become the local bob.
    let bob = browser();
    assert_eq!(sign_in(&server, &bob, "bob").await.status(), 303);
    let bob_id = me(&server, &bob).await["user"]["id"].as_i64().unwrap();
    assert_eq!(me(&server, &bob).await["user"]["username"], "bob-2");

    // alice's `premium` group gave her the Premium plan; bob's group maps to nothing.
    let store = marquee_store::Store::open(&db).await.unwrap();
    let alice_id = first["user"]["id"].as_i64().unwrap();
    let subscription = store.subscription_of(alice_id).await.unwrap().unwrap();
    assert_eq!(subscription.plan.name, "Premium");
    assert_eq!(subscription.source, marquee_store::SubscriptionSource::Oidc);
    assert_eq!(
        store.entitlement(alice_id).await.unwrap().max_streams,
        Some(4)
    );
    assert!(store.subscription_of(bob_id).await.unwrap().is_none());
    store.close().await;

    // Signing out works with the CSRF token, as for a password session.
    let res = alice
        .post(server.url("/api/v1/auth/logout"))
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let res = alice.get(server.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(res.status(), 401);

    // The audit log shows who was made and how they signed in.
    let log = admin.get("/api/v1/admin/audit?limit=100").await;
    let entries = log.as_array().unwrap();
    assert!(
        entries
            .iter()
            .any(|e| e["action"] == "plan_granted" && e["detail"]["plan"] == "Premium"),
        "{log}"
    );
    let created: Vec<&serde_json::Value> = entries
        .iter()
        .filter(|e| e["action"] == "user_created" && e["detail"]["via"] == "oidc")
        .collect();
    assert_eq!(created.len(), 2, "{log}");
    let oidc_sign_ins = entries
        .iter()
        .filter(|e| e["action"] == "sign_in" && e["detail"]["method"] == "oidc")
        .count();
    assert_eq!(oidc_sign_ins, 3, "{log}");

    // A disabled account is refused at the callback.
    let res = admin
        .client
        .patch(server.url(&format!("/api/v1/admin/users/{alice_id}")))
        .bearer_auth(&admin.token)
        .json(&json!({"disabled": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let refused = sign_in(&server, &browser(), "alice").await;
    assert_eq!(refused.status(), 403);
    let log = admin.get("/api/v1/admin/audit?limit=5").await;
    assert!(
        log.as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "sign_in_refused_disabled"),
        "{log}"
    );
}

#[tokio::test]
async fn forged_missing_and_replayed_states_are_refused() {
    let data = tempfile::tempdir().unwrap();
    let (_provider, server) = start_pair(data.path(), &[]);
    let victim = browser();
    let attacker = browser();

    // The attacker gets a genuine code for their own sign-in...
    let res = attacker
        .get(server.url("/api/v1/auth/oidc/start"))
        .send()
        .await
        .unwrap();
    let callback = through_provider(&attacker, &location(&res), "bob").await;
    // ...and pushes it into the victim's browser, which never started a sign-in: refused.
    let res = victim.get(&callback).send().await.unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.headers().get("set-cookie").is_none());
    // The victim's own sign-in in progress does not make the attacker's state acceptable.
    victim
        .get(server.url("/api/v1/auth/oidc/start"))
        .send()
        .await
        .unwrap();
    assert_eq!(victim.get(&callback).send().await.unwrap().status(), 400);

    // A missing or made-up state, in the browser that started the flow.
    let code = url_param(&callback, "code");
    for query in [
        format!("?code={code}"),
        format!("?code={code}&state=forged"),
        String::from("?state="),
    ] {
        let res = attacker
            .get(server.url(&format!("/api/v1/auth/oidc/callback{query}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{query}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert!(body["error"].as_str().unwrap().contains("start"), "{body}");
    }

    // The genuine answer in the right browser works once; a replay is refused.
    let res = attacker.get(&callback).send().await.unwrap();
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let replay = browser();
    replay
        .get(server.url("/api/v1/auth/oidc/start"))
        .send()
        .await
        .unwrap();
    let res = attacker.get(&callback).send().await.unwrap();
    assert_eq!(res.status(), 400);

    // The provider saying no is a refusal, not a sign-in.
    let res = attacker
        .get(server.url("/api/v1/auth/oidc/start"))
        .send()
        .await
        .unwrap();
    let state = url_param(&location(&res), "state");
    let res = attacker
        .get(server.url(&format!(
            "/api/v1/auth/oidc/callback?state={state}&error=access_denied"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn without_a_provider_the_routes_say_so() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), &["--no-watch"]);
    let info: serde_json::Value = reqwest::get(server.url("/api/v1/auth/oidc"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info, json!({"enabled": false}));
    let res = browser()
        .get(server.url("/api/v1/auth/oidc/start"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}

fn url_param(url: &str, name: &str) -> String {
    reqwest::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .unwrap_or_else(|| panic!("no {name} in {url}"))
        .1
        .into_owned()
}
