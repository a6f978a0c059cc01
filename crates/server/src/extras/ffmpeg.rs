//! Running ffmpeg for the extras worker, politely: at low priority (`nice`), one decoding thread
//! and one filter thread, with a time limit, and killed if the worker stops waiting.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use marquee_media::audio_match::SAMPLE_RATE;
use marquee_store::extras::ThumbnailLayout;
use tokio::process::Command;

/// An ffmpeg that answered `-version`.
#[derive(Debug, Clone)]
pub struct Ffmpeg {
    program: PathBuf,
    /// Whether `nice` is there to lower its priority.
    nice: bool,
}

async fn answers(program: &Path, arg: &str) -> bool {
    Command::new(program)
        .arg(arg)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .status()
        .await
        .is_ok_and(|s| s.success())
}

impl Ffmpeg {
    /// The ffmpeg named by `MARQUEE_FFMPEG` (default `ffmpeg` on the PATH), if it runs.
    pub async fn detect() -> Option<Ffmpeg> {
        let program =
            PathBuf::from(std::env::var_os("MARQUEE_FFMPEG").unwrap_or_else(|| "ffmpeg".into()));
        if !answers(&program, "-version").await {
            return None;
        }
        let nice = answers(Path::new("nice"), "--version").await;
        Some(Ffmpeg { program, nice })
    }

    fn command(&self) -> Command {
        let mut cmd = if self.nice {
            let mut c = Command::new("nice");
            c.arg("-n").arg("15").arg(&self.program);
            c
        } else {
            Command::new(&self.program)
        };
        cmd.args(["-hide_banner", "-loglevel", "error", "-nostdin", "-y"])
            .args(["-filter_threads", "1"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        cmd
    }

    /// Runs ffmpeg with `args`; its standard output, or what it said on failure.
    async fn run(&self, args: &[String], limit: Duration) -> Result<Vec<u8>, String> {
        let child = self
            .command()
            .args(args)
            .spawn()
            .map_err(|e| format!("cannot start ffmpeg: {e}"))?;
        let out = tokio::time::timeout(limit, child.wait_with_output())
            .await
            .map_err(|_| format!("ffmpeg took longer than {} s", limit.as_secs()))?
            .map_err(|e| format!("ffmpeg failed: {e}"))?;
        if !out.status.success() {
            let said = String::from_utf8_lossy(&out.stderr);
            let said = said.lines().last().unwrap_or("no message").trim();
            return Err(format!("ffmpeg failed ({}): {said}", out.status));
        }
        Ok(out.stdout)
    }

    /// Mono 16-bit PCM at the fingerprint rate, from `start_ms` for `len_ms`.
    pub async fn audio(&self, file: &Path, start_ms: u64, len_ms: u64) -> Result<Vec<i16>, String> {
        let args = vec![
            "-threads".into(),
            "1".into(),
            "-ss".into(),
            secs(start_ms),
            "-t".into(),
            secs(len_ms),
            "-i".into(),
            file.display().to_string(),
            "-vn".into(),
            "-sn".into(),
            "-ac".into(),
            "1".into(),
            "-ar".into(),
            SAMPLE_RATE.to_string(),
            "-f".into(),
            "s16le".into(),
            "-".into(),
        ];
        let bytes = self.run(&args, Duration::from_secs(300)).await?;
        Ok(bytes
            .chunks_exact(2)
            .map(|b| i16::from_le_bytes([b[0], b[1]]))
            .collect())
    }

    /// The most representative frame (ffmpeg's `thumbnail` filter: the one closest to the
    /// average histogram) of the two seconds from `at_ms`, at most `max_width` wide, as a PNG.
    pub async fn frame(&self, file: &Path, at_ms: u64, max_width: u32) -> Result<Vec<u8>, String> {
        let args = vec![
            "-threads".into(),
            "1".into(),
            "-ss".into(),
            secs(at_ms),
            "-t".into(),
            "2".into(),
            "-i".into(),
            file.display().to_string(),
            "-an".into(),
            "-sn".into(),
            "-vf".into(),
            format!("thumbnail=48,scale='min({max_width},iw)':-2"),
            "-frames:v".into(),
            "1".into(),
            "-f".into(),
            "image2pipe".into(),
            "-c:v".into(),
            "png".into(),
            "-".into(),
        ];
        let png = self.run(&args, Duration::from_secs(120)).await?;
        if png.is_empty() {
            return Err(format!("no video frame at {} s", at_ms / 1000));
        }
        Ok(png)
    }

    /// Tiled sprite sheets for `layout` in `dir` (`sheet-0.jpg`, …). Only keyframes are decoded
    /// (`-skip_frame nokey`), so a film costs seconds, not a full decode; each tile is the latest
    /// keyframe at its time.
    pub async fn sprites(
        &self,
        file: &Path,
        layout: &ThumbnailLayout,
        dir: &Path,
    ) -> Result<(), String> {
        let (w, h) = (layout.width, layout.height);
        let filter = format!(
            "fps=1000/{interval}:eof_action=pass,scale={w}:{h}:force_original_aspect_ratio=decrease,\
             pad={w}:{h}:(ow-iw)/2:(oh-ih)/2,tile={c}x{r}",
            interval = layout.interval_ms,
            c = layout.columns,
            r = layout.rows,
        );
        let args = vec![
            "-threads".into(),
            "1".into(),
            "-skip_frame".into(),
            "nokey".into(),
            "-i".into(),
            file.display().to_string(),
            "-an".into(),
            "-sn".into(),
            "-vf".into(),
            filter,
            "-fps_mode".into(),
            "passthrough".into(),
            "-q:v".into(),
            "5".into(),
            "-start_number".into(),
            "0".into(),
            dir.join("sheet-%d.jpg").display().to_string(),
        ];
        self.run(&args, Duration::from_secs(1800)).await.map(|_| ())
    }
}

fn secs(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}
