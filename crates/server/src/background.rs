//! Work nobody is waiting for, kept out of the way of work somebody is.

/// Runs `work` on a thread of its own at the lowest CPU priority: background work (the extras
/// worker's images and fingerprints, writing an index cache) must not slow the segments and
/// playlists that viewers are waiting for. The extras worker's ffmpeg runs under `nice` for the
/// same reason.
pub async fn low_priority<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, String> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("extras".into())
        .spawn(move || {
            lower_this_threads_priority();
            let _ = tx.send(work());
        })
        .map_err(|e| format!("cannot start a thread: {e}"))?;
    rx.await
        .map_err(|_| "the background work stopped without an answer".to_string())
}

/// `nice 19` for the calling thread only (on Linux a thread is its own scheduling entity).
fn lower_this_threads_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: gettid has no preconditions; setpriority on our own thread id only changes its
    // scheduling weight, and a failure (e.g. forbidden by a seccomp policy) is harmless.
    unsafe {
        let tid = libc::gettid();
        libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, 19);
    }
}
