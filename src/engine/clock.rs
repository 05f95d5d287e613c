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

/// A call's local start as RFC 3339, exactly as chrono's `to_rfc3339`
/// writes it. Whole seconds in a whole-minute zone (every call a
/// front-end starts without sub-second `at`, in every zone in use) are
/// written in place: chrono's formatter took about 540 instructions of
/// each StartCall (callgrind, BENCHMARKS.md section 1); the rest goes to
/// chrono.
pub(super) fn rfc3339<Tz: chrono::TimeZone>(at: &chrono::DateTime<Tz>) -> Box<str> {
    use chrono::{Datelike, Offset, Timelike};
    let offset = at.offset().fix().local_minus_utc();
    // Each of the DateTime's own field getters works out the local time
    // again; work it out once.
    let local = at.naive_local();
    let year = local.year();
    if local.nanosecond() != 0 || offset % 60 != 0 || !(0..=9999).contains(&year) {
        return at.to_rfc3339().into();
    }
    let minutes = offset.unsigned_abs() / 60;
    let sign = if offset < 0 { b'-' } else { b'+' };
    let fields = [
        (year as u32 / 100, b'0'),
        (year as u32 % 100, b'-'),
        (local.month(), b'-'),
        (local.day(), b'T'),
        (local.hour(), b':'),
        (local.minute(), b':'),
        (local.second(), sign),
        (minutes / 60, b':'),
        (minutes % 60, b'\0'),
    ];
    let mut text = [0u8; 25];
    let mut pos = 0;
    for (i, (value, after)) in fields.into_iter().enumerate() {
        text[pos] = b'0' + (value / 10 % 10) as u8;
        text[pos + 1] = b'0' + (value % 10) as u8;
        pos += 2;
        // The century and the year are one field: no separator between.
        if i > 0 && pos < text.len() {
            text[pos] = after;
            pos += 1;
        }
    }
    // Every byte written is an ASCII digit or separator.
    std::str::from_utf8(&text).map_or_else(|_| at.to_rfc3339().into(), Box::from)
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, FixedOffset, TimeZone};

    use super::rfc3339;

    #[test]
    fn rfc3339_writes_what_chrono_writes() {
        let zones = [
            chrono_tz::Asia::Shanghai,
            chrono_tz::America::New_York,
            chrono_tz::Asia::Kolkata,
            chrono_tz::UTC,
        ];
        let times = [
            "2026-11-23T15:00:00+08:00",
            "2026-01-01T00:00:00Z",
            "0999-12-31T23:59:59Z",
            "2026-06-30T09:05:07.250Z",
            "2026-03-08T07:30:00Z",
        ];
        for at in times {
            let at: DateTime<FixedOffset> = at.parse().expect("a valid time");
            for zone in zones {
                let local = at.with_timezone(&zone);
                assert_eq!(&*rfc3339(&local), local.to_rfc3339(), "{at} in {zone}");
            }
            assert_eq!(&*rfc3339(&at), at.to_rfc3339());
        }
        // A zone with seconds in its offset (a historical LMT) goes to chrono.
        let odd = FixedOffset::east_opt(8 * 3600 + 5 * 60 + 43).expect("an offset");
        let at = odd
            .with_ymd_and_hms(1900, 1, 1, 0, 0, 0)
            .single()
            .expect("a time");
        assert_eq!(&*rfc3339(&at), at.to_rfc3339());
    }
}
