//! `marquee transcode`: queue, list, cancel and watch ahead-of-time ladder jobs in the database a
//! server (`marquee serve`) works from. The server's worker picks up queued jobs within seconds
//! and notices a cancel within one; progress is the worker's, written to each job's row.

use std::io::IsTerminal;
use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Result};
use clap::Subcommand;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use marquee_store::{LadderTarget, Store, TranscodeJob};

#[derive(Subcommand)]
pub enum TranscodeCommand {
    /// Queue a ladder for a title (a series or season: its episodes) or a library.
    Queue {
        #[arg(long, conflicts_with = "library", required_unless_present = "library")]
        item: Option<i64>,
        #[arg(long)]
        library: Option<i64>,
        /// Video heights (those above the source are skipped).
        #[arg(long, value_delimiter = ',', default_values_t = [1080u32, 720, 480, 360])]
        heights: Vec<u32>,
    },
    /// List jobs, queued and running first.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Cancel a queued or running job.
    Cancel { id: i64 },
    /// Show progress until no job is queued or running.
    Watch,
}

fn line(j: &TranscodeJob) -> String {
    format!(
        "{:>5}  {:<9}  {:>5.1} %  {:<9}  {}{}",
        j.id,
        j.status,
        j.percent,
        j.current_rung.as_deref().unwrap_or("-"),
        j.title,
        j.error
            .as_deref()
            .map(|e| format!("  ({e})"))
            .unwrap_or_default()
    )
}

pub async fn run(store: &Store, command: TranscodeCommand) -> Result<()> {
    match command {
        TranscodeCommand::Queue {
            item,
            library,
            heights,
        } => {
            if heights
                .iter()
                .any(|h| h % 2 != 0 || !(96..=2160).contains(h))
            {
                bail!("heights must be even numbers of lines from 96 to 2160");
            }
            let target = match (item, library) {
                (Some(id), _) => LadderTarget::Item(id),
                (None, Some(id)) => LadderTarget::Library(id),
                (None, None) => bail!("give --item ID or --library ID"),
            };
            let items = store.ladder_items(target).await?;
            if items.is_empty() {
                bail!("nothing to transcode: no movie or episode with a readable file");
            }
            for j in store.queue_ladders(&items, &heights, None).await? {
                println!("{}", line(&j));
            }
        }
        TranscodeCommand::List { json } => {
            let jobs = store.transcode_jobs(1000).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&jobs)?);
            } else {
                for j in &jobs {
                    println!("{}", line(j));
                }
            }
        }
        TranscodeCommand::Cancel { id } => {
            println!("{}", line(&store.cancel_transcode_job(id).await?))
        }
        TranscodeCommand::Watch => watch(store).await?,
    }
    Ok(())
}

/// A bar per active job on a terminal; otherwise a line per job every 5 s.
async fn watch(store: &Store) -> Result<()> {
    let terminal = std::io::stderr().is_terminal();
    let bars = MultiProgress::new();
    let style = ProgressStyle::with_template("{prefix:>5} [{bar:40}] {pos:>3} % {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    let mut shown: std::collections::HashMap<i64, ProgressBar> = Default::default();
    loop {
        let jobs = store.transcode_jobs(1000).await?;
        let active: Vec<&TranscodeJob> = jobs
            .iter()
            .filter(|j| j.status == "queued" || j.status == "running")
            .collect();
        for j in &jobs {
            if terminal {
                let Some(bar) = shown.get(&j.id).cloned().or_else(|| {
                    let active = j.status == "queued" || j.status == "running";
                    active.then(|| {
                        let b = bars.add(ProgressBar::new(100).with_style(style.clone()));
                        b.set_prefix(j.id.to_string());
                        shown.insert(j.id, b.clone());
                        b
                    })
                }) else {
                    continue;
                };
                bar.set_position(j.percent.round() as u64);
                bar.set_message(format!(
                    "{} {} {}",
                    j.status,
                    j.current_rung.as_deref().unwrap_or(""),
                    j.title
                ));
                if !(j.status == "queued" || j.status == "running") {
                    bar.finish();
                }
            } else if active.iter().any(|a| a.id == j.id) {
                eprintln!("{}", line(j));
            }
        }
        if active.is_empty() {
            return Ok(());
        }
        tokio::time::sleep(if terminal {
            Duration::from_millis(500)
        } else {
            Duration::from_secs(5)
        })
        .await;
    }
}

/// The database of `data`, which must exist (a server made it).
pub async fn open(data: &Path) -> Result<Store> {
    if !data.join("marquee.db").is_file() {
        bail!(
            "no database in {}: start `marquee serve` (or `marquee scan`) with this --data first",
            data.display()
        );
    }
    crate::open_store(data).await
}
