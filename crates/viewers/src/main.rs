//! `marquee-viewers`: simulated viewers against a running `marquee serve`, in steps of growing
//! audiences, to find how many watch at once without a stall and what runs out first.
//!
//! A separate binary rather than a subcommand of `marquee`: it is a load generator, not part of
//! the service people install, and it keeps an HTTP client out of the server's binary.

mod hls;
mod system;
mod viewer;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::Parser;
use reqwest::Url;
use tokio::time::Instant;

use viewer::{Setup, ViewerReport};

#[derive(Parser)]
#[command(
    name = "marquee-viewers",
    about = "Simulated viewers: each asks for playback info, picks a variant from the master \
             playlist and pulls segments at real-time pace with seeks and pauses. Reports \
             stalls (a segment later than its play-out deadline) per audience size."
)]
struct Args {
    /// The server, e.g. http://127.0.0.1:8096
    #[arg(long)]
    server: Url,
    #[arg(long, default_value = "admin")]
    user: String,
    /// The user's password.
    #[arg(long, env = "MARQUEE_PASSWORD", hide_env_values = true)]
    password: String,
    /// Audience sizes to try in turn, e.g. 50,100,200.
    #[arg(long, value_delimiter = ',', default_value = "10")]
    viewers: Vec<usize>,
    /// Seconds each audience watches (after a ramp-up of at most 10 s).
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// Bandwidth of each viewer in kbit/s: the richest variant under it is chosen.
    #[arg(long, default_value_t = 5000)]
    kbps: u64,
    /// Seconds of media each player keeps ahead of its position.
    #[arg(long, default_value_t = 30.0)]
    buffer: f64,
    /// Mean seconds between a viewer's seeks.
    #[arg(long, default_value_t = 90.0)]
    seek_every: f64,
    /// Mean seconds between a viewer's pauses (each 2–10 s).
    #[arg(long, default_value_t = 120.0)]
    pause_every: f64,
    /// The server's process id: its CPU, memory and disk reads are reported.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Play these items (default: every movie).
    #[arg(long, value_delimiter = ',')]
    items: Vec<i64>,
    /// Go on with larger audiences after one stalled.
    #[arg(long)]
    keep_going: bool,
    /// Also write the results as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

/// Median and 99th percentile.
fn p50_p99(mut v: Vec<f64>) -> (f64, f64) {
    if v.is_empty() {
        return (0.0, 0.0);
    }
    v.sort_by(f64::total_cmp);
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.99))
}

#[derive(serde::Serialize)]
struct Step {
    viewers: usize,
    seconds: f64,
    mbit_s: f64,
    segments: u64,
    stalls: u32,
    stalled_viewers: usize,
    stall_seconds: f64,
    seeks: u32,
    pauses: u32,
    errors: u32,
    first_error: Option<String>,
    startup_p50_ms: f64,
    startup_p99_ms: f64,
    segment_p50_ms: f64,
    segment_p99_ms: f64,
    playback_info_p50_ms: f64,
    playback_info_p99_ms: f64,
    machine_busy_pct: f64,
    iowait_pct: f64,
    server_cpu_pct: f64,
    simulator_cpu_pct: f64,
    server_rss_peak_mb: f64,
    server_disk_read_mb_s: f64,
    mem_available_min_mb: f64,
    limit: Option<String>,
}

impl Step {
    fn ok(&self) -> bool {
        self.stalls == 0 && self.errors == 0
    }
}

async fn sign_in(args: &Args) -> Result<String> {
    let resp = reqwest::Client::new()
        .post(args.server.join("/api/v1/auth/login")?)
        .json(&serde_json::json!({"username": args.user, "password": args.password}))
        .send()
        .await
        .context("cannot reach the server")?;
    if !resp.status().is_success() {
        bail!(
            "sign-in as {} failed: {} {}",
            args.user,
            resp.status(),
            resp.text().await.unwrap_or_default()
        );
    }
    let body: serde_json::Value = resp.json().await?;
    Ok(body["token"]
        .as_str()
        .context("the sign-in answer has no token")?
        .to_string())
}

async fn movies(server: &Url, token: &str) -> Result<Vec<i64>> {
    let body: serde_json::Value = reqwest::Client::new()
        .get(server.join("/api/v1/movies?limit=500")?)
        .bearer_auth(token)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    Ok(body["items"]
        .as_array()
        .map(|items| items.iter().filter_map(|m| m["id"].as_i64()).collect())
        .unwrap_or_default())
}

async fn run_step(setup: &Arc<Setup>, args: &Args, viewers: usize, seed: u64) -> Step {
    let ramp = Duration::from_secs_f64((args.seconds as f64 / 4.0).min(10.0));
    let start = Instant::now();
    let until = start + ramp + Duration::from_secs(args.seconds);
    let sampler = tokio::spawn(system::sample(args.server_pid, until));
    let mut tasks = Vec::with_capacity(viewers);
    for v in 0..viewers {
        let setup = setup.clone();
        // Arrivals spread over the ramp, as an audience does.
        let at = start + ramp.mul_f64(v as f64 / viewers.max(1) as f64);
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep_until(at).await;
            viewer::watch(&setup, seed.wrapping_mul(1_000_003) + v as u64, until).await
        }));
    }
    let mut reports: Vec<ViewerReport> = Vec::with_capacity(viewers);
    for t in tasks {
        reports.push(t.await.unwrap_or_else(|e| ViewerReport {
            errors: 1,
            first_error: Some(format!("viewer task failed: {e}")),
            ..ViewerReport::default()
        }));
    }
    let usage = sampler.await.unwrap_or_default();
    let secs = start.elapsed().as_secs_f64();
    let (startup_p50, startup_p99) =
        p50_p99(reports.iter().flat_map(|r| r.startups.clone()).collect());
    let (seg_p50, seg_p99) = p50_p99(
        reports
            .iter()
            .flat_map(|r| r.segment_times.clone())
            .collect(),
    );
    let (info_p50, info_p99) = p50_p99(reports.iter().flat_map(|r| r.info_times.clone()).collect());
    let mut step = Step {
        viewers,
        seconds: secs,
        mbit_s: reports.iter().map(|r| r.bytes).sum::<u64>() as f64 * 8.0 / 1e6 / secs,
        segments: reports.iter().map(|r| r.segments).sum(),
        stalls: reports.iter().map(|r| r.stalls).sum(),
        stalled_viewers: reports.iter().filter(|r| r.stalls > 0).count(),
        stall_seconds: reports.iter().map(|r| r.stall_seconds).sum(),
        seeks: reports.iter().map(|r| r.seeks).sum(),
        pauses: reports.iter().map(|r| r.pauses).sum(),
        errors: reports.iter().map(|r| r.errors).sum(),
        first_error: reports.iter().find_map(|r| r.first_error.clone()),
        startup_p50_ms: startup_p50 * 1e3,
        startup_p99_ms: startup_p99 * 1e3,
        segment_p50_ms: seg_p50 * 1e3,
        segment_p99_ms: seg_p99 * 1e3,
        playback_info_p50_ms: info_p50 * 1e3,
        playback_info_p99_ms: info_p99 * 1e3,
        machine_busy_pct: usage.machine_busy,
        iowait_pct: usage.iowait,
        server_cpu_pct: usage.server_cpu,
        simulator_cpu_pct: usage.own_cpu,
        server_rss_peak_mb: usage.server_rss_peak_mb,
        server_disk_read_mb_s: usage.server_disk_read_mb_s,
        mem_available_min_mb: usage.mem_available_min_mb,
        limit: None,
    };
    if !step.ok() {
        step.limit = Some(usage.limit());
    }
    step
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run(Args::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("marquee-viewers: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<()> {
    if args.viewers.is_empty() || args.viewers.contains(&0) {
        bail!("--viewers needs audience sizes of at least 1");
    }
    let token = sign_in(&args).await?;
    let items = if args.items.is_empty() {
        movies(&args.server, &token).await?
    } else {
        args.items.clone()
    };
    if items.is_empty() {
        bail!("the server lists no movie to watch (pass --items)");
    }
    let setup = Arc::new(Setup {
        server: args.server.clone(),
        token,
        items,
        max_bps: args.kbps * 1000,
        buffer_ahead: args.buffer,
        seek_every: args.seek_every,
        pause_every: args.pause_every,
    });
    println!(
        "| viewers | delivered | segments | stalls (viewers) | start-up p50 / p99 | segment p50 / p99 | playback info p50 / p99 | cores busy | server CPU | simulator CPU | server RSS peak | disk reads |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    let mut steps = Vec::new();
    for (i, &n) in args.viewers.iter().enumerate() {
        let step = run_step(&setup, &args, n, args.seed + i as u64).await;
        println!(
            "| {} | {:.0} Mbit/s | {} | {} ({}) | {:.0} / {:.0} ms | {:.0} / {:.0} ms | {:.1} / {:.1} ms | {:.0} % | {:.0} % | {:.0} % | {:.0} MB | {:.1} MB/s |",
            step.viewers,
            step.mbit_s,
            step.segments,
            step.stalls,
            step.stalled_viewers,
            step.startup_p50_ms,
            step.startup_p99_ms,
            step.segment_p50_ms,
            step.segment_p99_ms,
            step.playback_info_p50_ms,
            step.playback_info_p99_ms,
            step.machine_busy_pct,
            step.server_cpu_pct,
            step.simulator_cpu_pct,
            step.server_rss_peak_mb,
            step.server_disk_read_mb_s,
        );
        if step.errors > 0 {
            eprintln!(
                "{} viewers: {} errors, the first: {}",
                n,
                step.errors,
                step.first_error.as_deref().unwrap_or("?")
            );
        }
        let stop = !step.ok() && !args.keep_going;
        steps.push(step);
        if stop {
            break;
        }
    }
    let sustained = steps
        .iter()
        .take_while(|s| s.ok())
        .map(|s| s.viewers)
        .last();
    let verdict = match (sustained, steps.iter().find(|s| !s.ok())) {
        (Some(n), Some(bad)) => format!(
            "{n} viewers at {} kbit/s played without a stall; {} did not. Limit: {}.",
            args.kbps,
            bad.viewers,
            bad.limit.as_deref().unwrap_or("?")
        ),
        (None, Some(bad)) => format!(
            "even {} viewers stalled. Limit: {}.",
            bad.viewers,
            bad.limit.as_deref().unwrap_or("?")
        ),
        (Some(n), None) => format!(
            "{n} viewers at {} kbit/s played without a stall; no limit reached.",
            args.kbps
        ),
        (None, None) => "no step ran.".to_string(),
    };
    println!("\n{verdict}");
    if let Some(path) = &args.json {
        let doc = serde_json::json!({"kbps": args.kbps, "seconds": args.seconds,
            "sustained": sustained, "verdict": verdict, "steps": steps});
        std::fs::write(path, serde_json::to_vec_pretty(&doc)?)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}
