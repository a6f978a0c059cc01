//! Scan progress on the terminal: a bar when stderr is a terminal, a log line every few seconds
//! otherwise (CI logs, systemd).

use std::sync::Arc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use marquee_library::ScanProgress;
use tokio::sync::oneshot;

pub struct Reporter {
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl Reporter {
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

pub fn report(progress: Arc<ScanProgress>, terminal: bool) -> Reporter {
    let (stop, mut stopped) = oneshot::channel();
    let task = tokio::spawn(async move {
        let bar = terminal.then(|| {
            let bar = ProgressBar::new(0);
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} {msg:10} [{bar:40}] {pos}/{len} files ({eta}) {prefix}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar
        });
        let period = if terminal {
            Duration::from_millis(100)
        } else {
            Duration::from_secs(5)
        };
        let mut tick = tokio::time::interval(period);
        loop {
            tokio::select! {
                _ = &mut stopped => break,
                _ = tick.tick() => {}
            }
            let s = progress.snapshot();
            match &bar {
                Some(bar) => {
                    bar.set_message(s.phase.clone());
                    bar.set_length(s.to_process.max(s.processed));
                    bar.set_position(s.processed);
                    bar.set_prefix(if s.failed > 0 {
                        format!("{} failed", s.failed)
                    } else {
                        String::new()
                    });
                }
                None if s.running => tracing::info!(
                    phase = %s.phase, found = s.found, processed = s.processed, of = s.to_process,
                    failed = s.failed, "scanning"
                ),
                None => {}
            }
        }
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
    });
    Reporter { stop, task }
}
