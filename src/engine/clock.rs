//! Wall-clock time for what outlives this process: a stored call's times
//! are unix milliseconds, which every replica shares; in the process they
//! are tokio's clock, as in memory mode (so tests run on a paused clock).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

pub(super) fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// A process instant as wall-clock unix ms.
pub(super) fn to_unix(at: Instant) -> u64 {
    let now = Instant::now();
    let unix = unix_ms();
    if at >= now {
        unix + (at - now).as_millis() as u64
    } else {
        unix.saturating_sub((now - at).as_millis() as u64)
    }
}

/// Wall-clock unix ms as a process instant.
pub(super) fn from_unix(ms: u64) -> Instant {
    let now = Instant::now();
    let unix = unix_ms();
    if ms >= unix {
        now + Duration::from_millis(ms - unix)
    } else {
        now.checked_sub(Duration::from_millis(unix - ms))
            .unwrap_or(now)
    }
}
