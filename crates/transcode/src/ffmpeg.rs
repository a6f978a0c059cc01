//! Finding ffmpeg, and running it so that it never outlives the server.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};

/// An ffmpeg that runs and has the encoders transcoding needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ffmpeg {
    pub path: PathBuf,
    /// First line of `ffmpeg -version`.
    pub version: String,
}

/// Why there is no usable ffmpeg.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LocateError {
    #[error("transcoding is turned off (MARQUEE_FFMPEG=none)")]
    Disabled,
    #[error("ffmpeg was not found on the PATH")]
    NotFound,
    #[error("{path} does not run: {reason}")]
    DoesNotRun { path: String, reason: String },
    #[error("{path} has no {encoder} encoder")]
    MissingEncoder { path: String, encoder: &'static str },
}

/// Encoders a just-in-time transcode uses.
pub const NEEDED_ENCODERS: &[&str] = &["libx264", "aac"];

/// Whether `ffmpeg -encoders` output lists `name`.
pub fn lists_encoder(encoders: &str, name: &str) -> bool {
    encoders
        .lines()
        .any(|l| l.split_whitespace().nth(1) == Some(name))
}

/// The hardware encoder `wanted` if this ffmpeg has it and a test encode works, else software,
/// with the reason for falling back.
pub fn choose_encoder(
    ffmpeg: &Ffmpeg,
    wanted: &crate::command::VideoEncoder,
) -> (crate::command::VideoEncoder, Option<String>) {
    use crate::command::VideoEncoder;
    if *wanted == VideoEncoder::Software {
        return (VideoEncoder::Software, None);
    }
    let fallback = |why: String| (VideoEncoder::Software, Some(why));
    let listed = Command::new(&ffmpeg.path)
        .args(["-hide_banner", "-encoders"])
        .stdin(Stdio::null())
        .output()
        .map(|o| lists_encoder(&String::from_utf8_lossy(&o.stdout), wanted.codec()))
        .unwrap_or(false);
    if !listed {
        return fallback(format!(
            "{} has no {} encoder",
            ffmpeg.path.display(),
            wanted.codec()
        ));
    }
    match Command::new(&ffmpeg.path)
        .args(wanted.test_args())
        .stdin(Stdio::null())
        .output()
    {
        Ok(o) if o.status.success() => (wanted.clone(), None),
        Ok(o) => fallback(format!(
            "a test encode with {} failed: {}",
            wanted.codec(),
            String::from_utf8_lossy(&o.stderr)
                .lines()
                .last()
                .unwrap_or("no message")
        )),
        Err(e) => fallback(format!("a test encode with {} failed: {e}", wanted.codec())),
    }
}

/// Finds ffmpeg: `configured` (a path, or `none` to turn transcoding off), else `ffmpeg` on
/// the PATH. Checks that it runs and has [`NEEDED_ENCODERS`].
pub fn locate(configured: Option<&str>) -> Result<Ffmpeg, LocateError> {
    let path = match configured.map(str::trim) {
        Some("none") | Some("off") | Some("") => return Err(LocateError::Disabled),
        Some(p) => PathBuf::from(p),
        None => on_path("ffmpeg").ok_or(LocateError::NotFound)?,
    };
    let run = |args: &[&str]| -> Result<String, LocateError> {
        let out = Command::new(&path)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| LocateError::DoesNotRun {
                path: path.display().to_string(),
                reason: e.to_string(),
            })?;
        if !out.status.success() {
            return Err(LocateError::DoesNotRun {
                path: path.display().to_string(),
                reason: format!("`{}` exited with {}", args.join(" "), out.status),
            });
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let version = run(&["-hide_banner", "-version"])?
        .lines()
        .next()
        .unwrap_or("ffmpeg")
        .to_string();
    let encoders = run(&["-hide_banner", "-encoders"])?;
    for e in NEEDED_ENCODERS {
        if !lists_encoder(&encoders, e) {
            return Err(LocateError::MissingEncoder {
                path: path.display().to_string(),
                encoder: e,
            });
        }
    }
    Ok(Ffmpeg { path, version })
}

fn on_path(name: &str) -> Option<PathBuf> {
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .map(|d| d.join(name))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    p.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// A running ffmpeg. A dedicated thread spawns and reaps it: the child asks the kernel to kill
/// it when that thread ends (`PR_SET_PDEATHSIG`), and the thread lives exactly as long as the
/// child, so an ffmpeg never outlives a server that dies, even by SIGKILL. Dropping the handle
/// kills the process.
#[derive(Debug)]
pub struct Process {
    pid: i32,
    exit: Arc<Mutex<Option<ExitStatus>>>,
}

impl Process {
    /// Starts `command`; its stderr goes to `stderr_to`.
    pub fn spawn(mut command: Command, stderr_to: &Path) -> std::io::Result<Process> {
        let stderr = std::fs::File::create(stderr_to)?;
        command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr);
        #[cfg(target_os = "linux")]
        {
            use std::os::unix::process::CommandExt;
            // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
            unsafe {
                command.pre_exec(|| {
                    if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
        }
        let exit = Arc::new(Mutex::new(None));
        let (tx, rx) = std::sync::mpsc::channel();
        let exit2 = exit.clone();
        std::thread::Builder::new()
            .name("ffmpeg".into())
            .spawn(move || {
                let mut child = match command.spawn() {
                    Ok(c) => c,
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        return;
                    }
                };
                let _ = tx.send(Ok(child.id()));
                let status = child.wait();
                if let (Ok(status), Ok(mut slot)) = (status, exit2.lock()) {
                    *slot = Some(status);
                }
            })?;
        let pid = rx
            .recv()
            .map_err(|_| std::io::Error::other("the ffmpeg thread ended early"))??;
        Ok(Process {
            pid: i32::try_from(pid).unwrap_or(0),
            exit,
        })
    }

    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// The exit status once it has ended.
    pub fn exited(&self) -> Option<ExitStatus> {
        self.exit.lock().ok().and_then(|s| *s)
    }

    /// Sends `signal` unless it has already ended (then the pid may not be ours any more).
    pub fn signal(&self, signal: i32) {
        if let Ok(slot) = self.exit.lock() {
            if slot.is_none() && self.pid > 0 {
                // SAFETY: plain syscall on our own child's pid.
                unsafe {
                    libc::kill(self.pid, signal);
                }
            }
        }
    }

    /// Kills it and waits (up to `limit`) until it has been reaped, so that whoever reports it
    /// stopped tells the truth.
    pub fn kill_and_wait(self, limit: std::time::Duration) {
        self.signal(libc::SIGKILL);
        let deadline = std::time::Instant::now() + limit;
        while self.exited().is_none() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }

    /// Pauses it (SIGSTOP) or lets it go on (SIGCONT).
    pub fn pause(&self, paused: bool) {
        self.signal(if paused { libc::SIGSTOP } else { libc::SIGCONT });
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.signal(libc::SIGKILL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoder_listing() {
        let listing = " V....D libx264              libx264 H.264 / AVC\n A....D aac                  AAC (Advanced Audio Coding)\n";
        assert!(lists_encoder(listing, "libx264"));
        assert!(lists_encoder(listing, "aac"));
        assert!(!lists_encoder(listing, "libx265"));
        assert_eq!(locate(Some("none")), Err(LocateError::Disabled));
        assert!(matches!(
            locate(Some("/nonexistent/ffmpeg")),
            Err(LocateError::DoesNotRun { .. })
        ));
    }

    #[test]
    fn a_missing_hardware_encoder_falls_back_to_software() {
        use crate::command::VideoEncoder;
        let Ok(ffmpeg) = locate(None) else {
            // Without ffmpeg there is nothing to probe; the command lines are tested in `command`.
            return;
        };
        // A render node that does not exist: the test encode fails, software takes over.
        let wanted = VideoEncoder::parse("vaapi:/dev/dri/renderD999").unwrap();
        let (chosen, why) = choose_encoder(&ffmpeg, &wanted);
        assert_eq!(chosen, VideoEncoder::Software);
        assert!(why.unwrap().contains("h264_vaapi"));
        assert_eq!(
            choose_encoder(&ffmpeg, &VideoEncoder::Software),
            (VideoEncoder::Software, None)
        );
    }

    #[test]
    fn a_process_is_killed_when_dropped() {
        let p = Process::spawn(
            {
                let mut c = Command::new("sleep");
                c.arg("30");
                c
            },
            &std::env::temp_dir().join(format!("marquee-sleep-{}.log", std::process::id())),
        )
        .unwrap();
        let pid = p.pid();
        let exit = p.exit.clone();
        drop(p);
        for _ in 0..100 {
            if exit.lock().unwrap().is_some() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        assert!(exit.lock().unwrap().is_some(), "sleep {pid} still runs");
    }
}
