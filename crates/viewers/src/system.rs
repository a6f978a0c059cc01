//! What the machine and the server spent during a step, from `/proc`: the way to tell whether CPU,
//! memory or the disk ran out.

use std::time::Duration;

use tokio::time::Instant;

/// One reading.
#[derive(Debug, Clone, Copy, Default)]
struct Reading {
    /// Machine-wide jiffies: all, idle (idle + iowait), iowait.
    total: u64,
    idle: u64,
    iowait: u64,
    /// Jiffies (user + system) of the server and of this process.
    server_cpu: u64,
    own_cpu: u64,
    server_rss_kb: u64,
    /// Bytes the server made the storage layer fetch (`/proc/PID/io` read_bytes).
    server_disk_read: u64,
    mem_available_kb: u64,
}

/// Usage over a step.
#[derive(Debug, Clone, Copy, Default)]
pub struct Usage {
    /// Share of all cores busy, 0–100.
    pub machine_busy: f64,
    pub iowait: f64,
    /// CPU of the server and of this simulator, in % of one core.
    pub server_cpu: f64,
    pub own_cpu: f64,
    pub server_rss_peak_mb: f64,
    pub server_disk_read_mb_s: f64,
    pub mem_available_min_mb: f64,
    pub mem_total_mb: f64,
}

fn first_line_numbers(text: &str) -> Vec<u64> {
    text.lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect()
}

/// utime + stime of a process, in jiffies.
fn process_cpu(pid: &str) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces) — utime is the 14th field.
    let after = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<u64> = after
        .split_whitespace()
        .map(|v| v.parse().unwrap_or(0))
        .collect();
    f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0)
}

fn status_kb(path: &str, key: &str) -> u64 {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn read(server: Option<u32>) -> Reading {
    let cpu = first_line_numbers(&std::fs::read_to_string("/proc/stat").unwrap_or_default());
    let at = |i: usize| cpu.get(i).copied().unwrap_or(0);
    let mut r = Reading {
        total: cpu.iter().take(8).sum(),
        idle: at(3) + at(4),
        iowait: at(4),
        own_cpu: process_cpu("self"),
        mem_available_kb: status_kb("/proc/meminfo", "MemAvailable:"),
        ..Reading::default()
    };
    if let Some(pid) = server {
        let pid = pid.to_string();
        r.server_cpu = process_cpu(&pid);
        r.server_rss_kb = status_kb(&format!("/proc/{pid}/status"), "VmRSS:");
        r.server_disk_read = std::fs::read_to_string(format!("/proc/{pid}/io"))
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix("read_bytes:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
    }
    r
}

/// Samples every half second until `until`, then answers the usage over the whole time.
pub async fn sample(server: Option<u32>, until: Instant) -> Usage {
    let hz = 100.0; // USER_HZ: 100 on every Linux architecture that matters here
    let start = read(server);
    let started = Instant::now();
    let mut peak_rss = start.server_rss_kb;
    let mut min_avail = start.mem_available_kb;
    let mut last = start;
    while Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(500).min(until - Instant::now())).await;
        last = read(server);
        peak_rss = peak_rss.max(last.server_rss_kb);
        min_avail = min_avail.min(last.mem_available_kb);
    }
    let secs = started.elapsed().as_secs_f64().max(0.001);
    let total = last.total.saturating_sub(start.total).max(1) as f64;
    Usage {
        machine_busy: 100.0 * (1.0 - last.idle.saturating_sub(start.idle) as f64 / total),
        iowait: 100.0 * last.iowait.saturating_sub(start.iowait) as f64 / total,
        server_cpu: 100.0 * last.server_cpu.saturating_sub(start.server_cpu) as f64 / hz / secs,
        own_cpu: 100.0 * last.own_cpu.saturating_sub(start.own_cpu) as f64 / hz / secs,
        server_rss_peak_mb: peak_rss as f64 / 1024.0,
        server_disk_read_mb_s: last.server_disk_read.saturating_sub(start.server_disk_read) as f64
            / 1e6
            / secs,
        mem_available_min_mb: min_avail as f64 / 1024.0,
        mem_total_mb: status_kb("/proc/meminfo", "MemTotal:") as f64 / 1024.0,
    }
}

impl Usage {
    /// What most likely ran out when viewers stalled.
    pub fn limit(&self) -> String {
        if self.machine_busy >= 90.0 {
            format!(
                "CPU: the cores were {:.0} % busy (server {:.0} %, this simulator {:.0} % of one core)",
                self.machine_busy, self.server_cpu, self.own_cpu
            )
        } else if self.mem_available_min_mb < self.mem_total_mb * 0.05 {
            format!("memory: {:.0} MB left available", self.mem_available_min_mb)
        } else if self.iowait >= 20.0 {
            format!(
                "disk: {:.0} % of CPU time waiting for I/O, the server read {:.0} MB/s from storage",
                self.iowait, self.server_disk_read_mb_s
            )
        } else {
            format!(
                "not CPU, memory or disk (cores {:.0} % busy, {:.0} % iowait): latency of the server or network",
                self.machine_busy, self.iowait
            )
        }
    }
}
