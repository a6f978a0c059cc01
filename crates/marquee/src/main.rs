//! `marquee`: the command line. Each subcommand is a stable contract that scripts rely on.

mod config;
mod demo;
mod package;
mod progress;
mod transcode;

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use marquee_library::{ScanProgress, ScanSummary, Scanner};
use marquee_store::Store;

#[derive(Parser)]
#[command(
    name = "marquee",
    version,
    about = "A streaming service you run yourself."
)]
struct Cli {
    /// A TOML configuration file (keys: data, media, listen, stream_timeout, max_streams, [oidc]). Flags and MARQUEE_* variables win over it.
    #[arg(long, global = true, env = "MARQUEE_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

// Parsed once at start-up, so the size of the `serve` variant costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Print what each path's name says (one JSON object per line). Reads no file.
    Identify {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Scan media folders once into the database and print a summary.
    Scan {
        /// Where the database lives.
        #[arg(long, env = "MARQUEE_DATA")]
        data: Option<PathBuf>,
        /// A media folder (repeatable).
        #[arg(long = "media", env = "MARQUEE_MEDIA", value_delimiter = ',')]
        media: Vec<PathBuf>,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Scan in the background and serve the API.
    Serve {
        #[arg(long, env = "MARQUEE_DATA")]
        data: Option<PathBuf>,
        #[arg(long = "media", env = "MARQUEE_MEDIA", value_delimiter = ',')]
        media: Vec<PathBuf>,
        /// Address to listen on.
        #[arg(long, env = "MARQUEE_LISTEN")]
        listen: Option<String>,
        /// Also serve the built-in demo library (written into the data folder).
        #[arg(long)]
        demo: bool,
        /// Do not watch media folders for changes.
        #[arg(long)]
        no_watch: bool,
        #[command(flatten)]
        accounts: config::AccountArgs,
        #[command(flatten)]
        plans: config::PlansArgs,
        /// Percentage of a title's duration past which it counts as watched (1–100).
        #[arg(long, env = "MARQUEE_WATCHED_THRESHOLD", default_value_t = 90.0,
              value_parser = parse_percentage)]
        watched_threshold: f64,
        /// Ahead-of-time transcoding (ladder) jobs run at once.
        #[arg(long, env = "MARQUEE_TRANSCODE_JOBS", default_value_t = 1,
              value_parser = clap::value_parser!(u16).range(1..=64))]
        transcode_jobs: u16,
    },
    /// Ahead-of-time transcoding ladders: queue, list, cancel, watch progress.
    Transcode {
        #[arg(long, env = "MARQUEE_DATA", global = true)]
        data: Option<PathBuf>,
        #[command(subcommand)]
        command: transcode::TranscodeCommand,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Print what the native probe finds in a media file (JSON).
    Probe { file: PathBuf },
    /// Write exactly what the server would serve for a file: HLS playlists, DASH manifest,
    /// init and media segments, with relative URLs.
    Package {
        file: PathBuf,
        #[arg(long)]
        out: PathBuf,
        /// Target segment duration in seconds (cuts land on the next keyframe).
        #[arg(long, default_value_t = marquee_server::DEFAULT_SEGMENT_SECS as f64)]
        segment_duration: f64,
        /// Target duration of the first segment, shorter so that players start sooner
        /// (never longer than --segment-duration).
        #[arg(long, default_value_t = marquee_server::DEFAULT_FIRST_SEGMENT_SECS as f64)]
        first_segment_duration: f64,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user, reading the password from standard input.
    Add {
        name: String,
        #[arg(long)]
        admin: bool,
        /// Read the password from the first line of standard input (required: passwords never go on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
        #[arg(long, env = "MARQUEE_DATA")]
        data: Option<PathBuf>,
    },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_env("MARQUEE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    match run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("marquee: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

fn run(cli: Cli) -> Result<()> {
    let file = config::FileConfig::load(cli.config.as_deref())?;
    match cli.command {
        Command::Identify { paths } => identify(&paths),
        Command::Probe { file: path } => probe(&path),
        Command::Package {
            file: path,
            out,
            segment_duration,
            first_segment_duration,
        } => package::package(&path, &out, segment_duration, first_segment_duration),
        Command::Scan { data, media, json } => {
            let data = file.data_dir(data)?;
            let media = file.media_dirs(media);
            if media.is_empty() {
                bail!("no media folder given: pass --media DIR (repeatable) or set MARQUEE_MEDIA");
            }
            runtime()?.block_on(scan(&data, media, json))
        }
        Command::Serve {
            data,
            media,
            listen,
            demo,
            no_watch,
            accounts,
            plans,
            watched_threshold,
            transcode_jobs,
        } => {
            let data = file.data_dir(data)?;
            let media = file.media_dirs(media);
            let listen = listen
                .or(file.listen.clone())
                .unwrap_or_else(|| "127.0.0.1:8096".into());
            let oidc = file.oidc(&accounts)?;
            let streams = file.streams(&accounts);
            let plans = file.plans(plans)?;
            let options = ServeOptions {
                demo,
                watch: !no_watch,
                watched_threshold: watched_threshold / 100.0,
                transcode_jobs: usize::from(transcode_jobs),
            };
            runtime()?.block_on(serve(
                &data,
                media,
                &listen,
                options,
                Extras { oidc, streams },
                plans,
            ))
        }
        Command::Transcode { data, command } => {
            let data = file.data_dir(data)?;
            runtime()?.block_on(async {
                let store = transcode::open(&data).await?;
                let result = transcode::run(&store, command).await;
                store.close().await;
                result
            })
        }
        Command::User {
            command:
                UserCommand::Add {
                    name,
                    admin,
                    password_stdin: _,
                    data,
                },
        } => {
            let data = file.data_dir(data)?;
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("cannot read the password from standard input")?;
            let password = line.trim_end_matches(['\r', '\n']).to_string();
            if password.chars().count() < 8 {
                bail!("the password needs at least 8 characters");
            }
            runtime()?.block_on(user_add(&data, &name, &password, admin))
        }
    }
}

fn identify(paths: &[PathBuf]) -> Result<()> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for path in paths {
        let identity = marquee_catalog::naming::identify(path);
        serde_json::to_writer(&mut out, &identity)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}

fn probe(path: &Path) -> Result<()> {
    let info = marquee_media::probe_path(
        path,
        marquee_media::ProbeOptions {
            count_keyframes: true,
        },
    )
    .with_context(|| format!("cannot read {}", path.display()))?;
    println!("{}", serde_json::to_string_pretty(&info)?);
    Ok(())
}

async fn open_store(data: &Path) -> Result<Store> {
    std::fs::create_dir_all(data)
        .with_context(|| format!("cannot create the data folder {}", data.display()))?;
    let db = data.join("marquee.db");
    Store::open(&db)
        .await
        .with_context(|| format!("cannot open the database {}", db.display()))
}

fn check_media_dirs(media: &[PathBuf]) -> Result<Vec<PathBuf>> {
    media
        .iter()
        .map(|m| {
            let abs = std::path::absolute(m)
                .with_context(|| format!("bad media folder {}", m.display()))?;
            if !abs.is_dir() {
                bail!(
                    "media folder {} does not exist or is not a folder",
                    m.display()
                );
            }
            Ok(abs)
        })
        .collect()
}

async fn scan(data: &Path, media: Vec<PathBuf>, json: bool) -> Result<()> {
    let media = check_media_dirs(&media)?;
    let store = open_store(data).await?;
    let progress = Arc::new(ScanProgress::default());
    let scanner = Scanner::new(store.clone(), media, progress.clone());
    let reporter = progress::report(progress.clone(), std::io::stderr().is_terminal());
    let result = scanner.scan_all().await;
    reporter.stop().await;
    store.close().await;
    let summary = result?;
    if json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        print_summary(&summary);
    }
    Ok(())
}

fn print_summary(s: &ScanSummary) {
    println!(
        "scan finished in {:.1} s: {} added, {} updated, {} moved, {} removed, {} unchanged, {} failed",
        s.elapsed_ms as f64 / 1000.0,
        s.added,
        s.updated,
        s.moved,
        s.removed,
        s.unchanged,
        s.failed.len()
    );
    for f in &s.failed {
        println!("  failed: {}: {}", f.path, f.reason);
    }
    for f in &s.folder_errors {
        println!("  folder not read: {}: {}", f.path, f.reason);
    }
    for w in &s.warnings {
        println!("  warning: {}: {}", w.path, w.reason);
    }
}

async fn user_add(data: &Path, name: &str, password: &str, admin: bool) -> Result<()> {
    let store = open_store(data).await?;
    let name = marquee_server::api::admin::validate_username(name)
        .map_err(|e| anyhow::anyhow!(e.message))?;
    let hash = marquee_server::auth::hash_password(password).map_err(anyhow::Error::msg)?;
    let user = store.create_user(name, &hash, admin).await?;
    store.close().await;
    println!(
        "created {} {:?} (id {})",
        if user.is_admin {
            "administrator"
        } else {
            "user"
        },
        user.username,
        user.id
    );
    Ok(())
}

/// A percentage from 1 to 100.
fn parse_percentage(s: &str) -> std::result::Result<f64, String> {
    match s.trim().trim_end_matches('%').parse::<f64>() {
        Ok(p) if (1.0..=100.0).contains(&p) => Ok(p),
        _ => Err(format!("expected a percentage from 1 to 100, found {s:?}")),
    }
}

struct ServeOptions {
    demo: bool,
    watch: bool,
    /// Share (0–1] of a title past which it counts as watched.
    watched_threshold: f64,
    /// Ladder jobs run at once.
    transcode_jobs: usize,
}

/// Optional features of `marquee serve`: OpenID Connect sign-in and stream limits (timeout in
/// seconds, default limit).
struct Extras {
    oidc: Option<marquee_server::oidc::OidcSettings>,
    streams: (u64, Option<u32>),
}

async fn serve(
    data: &Path,
    mut media: Vec<PathBuf>,
    listen: &str,
    ServeOptions {
        demo,
        watch,
        watched_threshold,
        transcode_jobs,
    }: ServeOptions,
    extras: Extras,
    plans: marquee_server::plans::Plans,
) -> Result<()> {
    if demo {
        let dir = demo::install(data).context("cannot write the demo library")?;
        media.push(dir);
    }
    if media.is_empty() {
        tracing::warn!("no media folder given (--media DIR or --demo): the catalog will be empty");
    }
    let media = check_media_dirs(&media)?;
    let store = open_store(data).await?;

    if store.count_users().await? == 0 {
        let password = marquee_server::auth::new_password();
        let hash = marquee_server::auth::hash_password(&password).map_err(anyhow::Error::msg)?;
        let user = store.create_user("admin", &hash, true).await?;
        store.require_password_change(user.id).await?;
        println!("First start: created administrator \"admin\" with one-time password: {password}");
        println!("Sign in and change it (POST /api/v1/auth/password).");
    }

    let progress = Arc::new(ScanProgress::default());
    let scanner = Scanner::new(store.clone(), media, progress);
    let mut state = marquee_server::AppState::new(store.clone(), scanner.clone(), data)
        .context("cannot prepare the data folder")?
        .with_watched_threshold(watched_threshold);
    let (timeout, default_limit) = extras.streams;
    state.streams = Arc::new(marquee_server::streams::StreamTracker::new(
        timeout,
        default_limit,
    ));
    if let Some(settings) = extras.oidc {
        let name = settings.name.clone();
        let oidc = marquee_server::oidc::Oidc::new(settings)
            .context("the OpenID Connect settings are not usable")?;
        state.oidc = Some(Arc::new(oidc));
        tracing::info!(provider = %name, "sign-in through OpenID Connect is on");
    }
    state.plans = Arc::new(plans);
    state.ladders = Arc::new(marquee_server::ladder::Ladders::new(data, transcode_jobs));

    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    println!("Marquee is listening on http://{addr}");
    std::io::stdout().flush().ok();

    let _search_sync = marquee_search::keep_in_sync(state.search.clone(), store.clone());
    let background = scanner.clone();
    tokio::spawn(async move {
        match background.scan_all().await {
            Ok(s) => tracing::info!(
                added = s.added,
                updated = s.updated,
                moved = s.moved,
                removed = s.removed,
                unchanged = s.unchanged,
                failed = s.failed.len(),
                ms = s.elapsed_ms,
                "scan finished"
            ),
            Err(e) => tracing::error!(error = %format!("{e:#}"), "scan failed"),
        }
    });
    let _watcher = if watch {
        match marquee_library::watch::watch(scanner) {
            Ok(w) => Some(w),
            Err(e) => {
                tracing::warn!(error = %e, "cannot watch media folders; run a scan after changes");
                None
            }
        }
    } else {
        None
    };

    marquee_server::serve(listener, state, shutdown_signal()).await?;
    store.close().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}
