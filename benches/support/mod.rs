//! What the benchmarks share: full or smoke mode, resident memory,
//! percentiles and the report table.
//!
//! `cargo bench` passes `--bench` and gets the full counts; `cargo test
//! --benches` (CI) runs the same code with small counts, so the benchmarks
//! cannot rot without a red build.

#![allow(dead_code)]

use std::time::Duration;

/// Full counts under `cargo bench`, small ones under `cargo test --benches`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Full,
    Smoke,
}

impl Mode {
    pub fn from_args() -> Mode {
        if std::env::args().any(|a| a == "--bench") {
            Mode::Full
        } else {
            Mode::Smoke
        }
    }

    /// `full` under `cargo bench`, else `smoke`.
    pub fn pick<T>(self, full: T, smoke: T) -> T {
        match self {
            Mode::Full => full,
            Mode::Smoke => smoke,
        }
    }
}

/// Resident memory of a process (`/proc/<pid>/status` VmRSS), in bytes.
pub fn rss_of(pid: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// This process's resident memory, in bytes.
pub fn rss() -> u64 {
    rss_of("self")
}

/// Percentiles of a sample (sorted in place); `p` in 0..=100.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

pub fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// A markdown table printed as the benchmark goes, so a long run shows
/// its progress and the output pastes straight into BENCHMARKS.md.
pub struct Table;

impl Table {
    pub fn new(title: &str, columns: &[&str]) -> Table {
        println!("\n### {title}\n");
        println!("| {} |", columns.join(" | "));
        println!("|{}", "---|".repeat(columns.len()));
        Table
    }

    pub fn row(&self, cells: &[String]) {
        println!("| {} |", cells.join(" | "));
    }
}

/// Fails the benchmark (and CI's smoke run) with a clear message. A panic
/// rather than an exit, so whatever the benchmark started is dropped
/// (and a server it spawned is stopped) on the way out.
pub fn require(ok: bool, what: impl FnOnce() -> String) {
    if !ok {
        panic!("benchmark check failed: {}", what());
    }
}
