//! Shared helpers for the integration tests: generated media, a real `marquee` process, HTTP.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn marquee() -> Command {
    Command::new(env!("CARGO_BIN_EXE_marquee"))
}

static FIXTURES: Mutex<bool> = Mutex::new(false);

/// The generated test media (`scripts/gen-test-media.sh`), made once per run. Fails loudly when
/// ffmpeg is missing: these tests must not pass without real media.
pub fn fixtures() -> PathBuf {
    let dir = workspace_root().join("target/test-media");
    let mut done = FIXTURES.lock().unwrap_or_else(|e| e.into_inner());
    if !*done {
        let status = Command::new("bash")
            .arg(workspace_root().join("scripts/gen-test-media.sh"))
            .arg(&dir)
            .stdout(Stdio::null())
            .status()
            .expect("cannot run scripts/gen-test-media.sh");
        assert!(
            status.success(),
            "scripts/gen-test-media.sh failed: is ffmpeg installed? (scripts/test installs it)"
        );
        *done = true;
    }
    dir
}

/// A fixture by file name.
pub fn fixture(name: &str) -> PathBuf {
    let p = fixtures().join(name);
    assert!(
        p.is_file(),
        "fixture {name} missing from {}",
        p.parent().unwrap().display()
    );
    p
}

/// Copies a fixture into a library at `rel`, creating folders.
pub fn place(root: &Path, rel: &str, fixture_name: &str) -> PathBuf {
    let dest = root.join(rel);
    std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
    std::fs::copy(fixture(fixture_name), &dest).unwrap();
    dest
}

/// A running `marquee serve`, killed when dropped.
pub struct Server {
    pub child: Child,
    pub base: String,
    pub admin_password: Option<String>,
    pub data: PathBuf,
}

impl Server {
    /// Starts `marquee serve --listen 127.0.0.1:0 --data DATA ARGS...` and waits until it listens.
    pub fn start(data: &Path, args: &[&str]) -> Server {
        Server::start_with_env(data, args, &[])
    }

    /// As [`Server::start`], with more environment variables (secrets go there, not in flags).
    pub fn start_with_env(data: &Path, args: &[&str], env: &[(&str, &str)]) -> Server {
        let mut command = marquee();
        command
            .args(["serve", "--listen", "127.0.0.1:0", "--data"])
            .arg(data)
            .args(args)
            .envs(env.iter().copied());
        Server::spawn(command, data)
    }

    /// Starts `command`, which must run `marquee serve` on DATA (through a wrapper such as
    /// `sh -c 'ulimit …; exec …'` if need be), and waits until it listens.
    pub fn spawn(mut command: Command, data: &Path) -> Server {
        if !command.get_envs().any(|(k, _)| k == "MARQUEE_LOG") {
            command.env("MARQUEE_LOG", "warn");
        }
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("cannot start marquee serve");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let mut admin_password = None;
        let base = loop {
            let line = lines
                .next()
                .expect("marquee serve exited before listening")
                .expect("read stdout");
            if let Some(rest) = line.split("one-time password: ").nth(1) {
                admin_password = Some(rest.trim().to_string());
            }
            if let Some(url) = line.split("listening on ").nth(1) {
                break url.trim().to_string();
            }
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Server {
            child,
            base,
            admin_password,
            data: data.to_path_buf(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Signs in as the generated admin and returns a client that sends the token.
    pub async fn admin(&self) -> Api {
        let password = self
            .admin_password
            .clone()
            .expect("no admin password printed");
        self.login("admin", &password).await
    }

    pub async fn login(&self, user: &str, password: &str) -> Api {
        let client = reqwest::Client::new();
        let resp = client
            .post(self.url("/api/v1/auth/login"))
            .json(&serde_json::json!({"username": user, "password": password}))
            .send()
            .await
            .expect("login request");
        assert_eq!(
            resp.status(),
            200,
            "login failed: {}",
            resp.text().await.unwrap_or_default()
        );
        let body: serde_json::Value = resp.json().await.expect("login json");
        Api {
            client,
            base: self.base.clone(),
            token: body["token"].as_str().expect("token").to_string(),
        }
    }

    /// Polls the admin scan status until no scan runs and at least one has finished.
    pub async fn wait_for_scan(&self, api: &Api) {
        for _ in 0..600 {
            let s = api.get("/api/v1/admin/scan").await;
            if s["progress"]["running"] == false
                && s["recent"].as_array().is_some_and(|r| !r.is_empty())
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the scan did not finish within 60 s");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An authenticated API client.
pub struct Api {
    pub client: reqwest::Client,
    pub base: String,
    pub token: String,
}

impl Api {
    pub async fn get_raw(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{}", self.base, path))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("request")
    }

    /// GET a path and parse JSON, asserting 200.
    pub async fn get(&self, path: &str) -> serde_json::Value {
        let resp = self.get_raw(path).await;
        let status = resp.status();
        let text = resp.text().await.expect("body");
        assert_eq!(status, 200, "GET {path}: {text}");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("GET {path}: not JSON ({e}): {text}"))
    }

    pub async fn delete(&self, path: &str) -> reqwest::Response {
        self.send(reqwest::Method::DELETE, path, None).await
    }

    pub async fn post(&self, path: &str, body: serde_json::Value) -> reqwest::Response {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    /// Any method, with a JSON body or none, as this user.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> reqwest::Response {
        let mut req = self
            .client
            .request(method, format!("{}{}", self.base, path))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send().await.expect("request")
    }
}

/// The id of the title called `title` in a `{"items": [...]}` listing.
pub fn id_of(list: &serde_json::Value, title: &str) -> i64 {
    list["items"]
        .as_array()
        .expect("a listing")
        .iter()
        .find(|m| m["title"] == title)
        .unwrap_or_else(|| panic!("no '{title}' in {list}"))["id"]
        .as_i64()
        .expect("an id")
}

/// `marquee serve --media MEDIA --no-watch` on DATA, signed in as the administrator, once its
/// start-up scan has finished.
pub async fn serve_media(data: &Path, media: &Path) -> (Server, Api) {
    serve_media_with_env(data, media, &[]).await
}

/// [`serve_media`] with extra environment variables for the server.
pub async fn serve_media_with_env(
    data: &Path,
    media: &Path,
    env: &[(&str, &str)],
) -> (Server, Api) {
    let media = media.to_str().expect("a UTF-8 temp path");
    let server = Server::start_with_env(data, &["--media", media, "--no-watch"], env);
    let api = server.admin().await;
    server.wait_for_scan(&api).await;
    (server, api)
}

/// Runs `marquee scan --json` and returns the summary.
pub fn scan(data: &Path, media: &[&Path]) -> serde_json::Value {
    let mut cmd = marquee();
    cmd.args(["scan", "--json", "--data"]).arg(data);
    for m in media {
        cmd.arg("--media").arg(m);
    }
    let out = cmd.output().expect("run marquee scan");
    assert!(
        out.status.success(),
        "marquee scan failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "scan output is not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// `ffmpeg -xerror` decodes every stream of `url` without an error.
pub fn ffmpeg_decodes(url: &str) {
    let out = Command::new("ffmpeg")
        .args([
            "-nostdin", "-v", "error", "-xerror", "-i", url, "-map", "0", "-f", "null", "-",
        ])
        .output()
        .expect("ffmpeg (scripts/test installs it)");
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "ffmpeg failed on {url}:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Whether `bytes` is a non-empty sequence of whole ISO-BMFF boxes (a complete segment).
pub fn whole_boxes(bytes: &[u8]) -> bool {
    let mut at = 0usize;
    while at + 8 <= bytes.len() {
        let size = u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
        if size < 8 {
            return false;
        }
        at += size as usize;
    }
    at == bytes.len() && !bytes.is_empty()
}

/// Every file under `dir`, sorted (none when it does not exist).
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// A tmpfs mounted at a folder (made if need be) for the length of a test, unmounted when
/// dropped. Mounting needs root: the error says why it could not.
pub struct Tmpfs(PathBuf);

impl Tmpfs {
    pub fn mount(at: &Path, size: &str) -> Result<Tmpfs, String> {
        std::fs::create_dir_all(at).map_err(|e| format!("cannot make {}: {e}", at.display()))?;
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if out.status.success() {
            Ok(Tmpfs(at.to_path_buf()))
        } else {
            Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
        }
    }

    /// Grows or shrinks the mounted file system.
    pub fn resize(&self, size: &str) {
        let status = Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(&self.0)
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}
