//! Accepting connections with limits, so that clients who connect and never finish a request
//! (slowloris) or simply too many clients cannot exhaust memory or file descriptors:
//!
//! - a connection must send its request headers within [`HEADER_READ_TIMEOUT`] (the same bounds
//!   how long a kept-alive connection may sit idle); `MARQUEE_HEADER_TIMEOUT` (seconds) changes it;
//! - at most [`Limits::max_connections`] are open at once: beyond that, new connections wait in
//!   the kernel's accept queue until one closes, and the server keeps descriptors for its files;
//! - the soft limit on open files is raised to the hard limit at start-up.
//!
//! `axum::serve` offers none of these, so this is its accept loop with them added.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// Time a client has to send a request's headers, counted from the connection (or from the end
/// of the previous response on a kept-alive connection). Players ask for a segment every few
/// seconds while they play.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_connections: usize,
    pub header_read_timeout: Duration,
}

impl Limits {
    /// Connections allowed given the descriptors this process may open: a quarter of them stay
    /// for media files, the database and the scanner.
    pub fn from_fd_limit(fds: u64) -> Limits {
        let usable = fds.saturating_sub(fds / 4).saturating_sub(64);
        Limits {
            max_connections: usable.clamp(16, 100_000) as usize,
            header_read_timeout: HEADER_READ_TIMEOUT,
        }
    }

    /// The header timeout from `MARQUEE_HEADER_TIMEOUT` (seconds, 1–3600), if set and valid.
    pub fn with_env(mut self) -> Limits {
        if let Some(secs) = std::env::var("MARQUEE_HEADER_TIMEOUT")
            .ok()
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|s| (1.0..=3600.0).contains(s))
        {
            self.header_read_timeout = Duration::from_secs_f64(secs);
        }
        self
    }
}

/// Raises the soft limit on open files to the hard limit; answers the limit now in force.
pub fn raise_fd_limit() -> u64 {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read and write the struct passed to them.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return 1024;
        }
        if lim.rlim_cur < lim.rlim_max {
            let want = libc::rlimit {
                rlim_cur: lim.rlim_max,
                rlim_max: lim.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &want) == 0 {
                lim.rlim_cur = lim.rlim_max;
            }
        }
    }
    lim.rlim_cur
}

/// Serves `router` on `listener` until `shutdown` resolves, then waits for open requests to end.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        // Body chunks are queued and written with writev, never copied into a buffer: the
        // memory-mapped bodies of `body.rs` rely on it.
        .writev(true)
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Duration::from_secs(30))
        .enable_connect_protocol();
    let builder = Arc::new(builder);
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        // A free slot first, then a connection: past the limit, clients wait in the backlog.
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            _ = &mut shutdown => break,
        };
        let (stream, addr) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    accept_error(e).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        // Responses are written in large pieces; small ones (headers, playlists) go out at once.
        let _ = stream.set_nodelay(true);
        let service = tower::ServiceExt::map_request(
            router.clone(),
            move |mut req: axum::extract::Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(ConnectInfo(addr));
                req
            },
        );
        let conn = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), TowerToHyperService::new(service))
            .into_owned();
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            // Errors here are the client's (reset, timed out): nothing to do about them.
            let _ = conn.await;
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// Out of descriptors or memory: wait a little rather than spin; a client that went away is no
/// error.
async fn accept_error(e: std::io::Error) {
    use std::io::ErrorKind::*;
    if matches!(
        e.kind(),
        ConnectionRefused | ConnectionAborted | ConnectionReset
    ) {
        return;
    }
    tracing::error!("cannot accept a connection: {e}");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_limit_leaves_descriptors_for_files() {
        assert_eq!(Limits::from_fd_limit(1024).max_connections, 704);
        assert_eq!(Limits::from_fd_limit(65536).max_connections, 49088);
        assert_eq!(Limits::from_fd_limit(10).max_connections, 16);
        assert_eq!(Limits::from_fd_limit(u64::MAX).max_connections, 100_000);
    }
}
