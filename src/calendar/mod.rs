//! Local date and time of a call, and which opening it gets (N2, N4).
//!
//! The opening greeting depends on the call's *local* date and time in the flow's zone:
//! the morning gets 早上好!, the rest of the day 您好! (N2), and on a statutory holiday
//! a holiday opening replaces both (N4). Which days count as a holiday follows each
//! year's State Council notice (国务院办公厅关于某年部分节假日安排的通知), which is
//! published late in the year before, so the periods are data (`flows/holidays.toml`) that
//! operators extend without a rebuild. For a year the file does not list, the computed
//! holiday day itself is used, with the lunar dates taken from `icu_calendar`.
//!
//! # Layout
//!
//! - `day_part.rs`: [`DayParts`], the morning / afternoon / evening boundaries.
//! - `lunar.rs`: [`spring_festival`] and [`mid_autumn`] from the Chinese calendar.
//! - `notice.rs`: [`HolidayCalendar`], the holidays file, its checks, and
//!   [`HolidayCalendar::holiday_on`].
//! - `workdays.rs`: [`DayKind`]: official days off and make-up working days
//!   (调休上班) for opening hours, and the missing-next-notice advisory.
//! - `tests.rs`: unit tests, including that the shipped `flows/holidays.toml` parses.
//!
//! Nothing here reads a clock or a file: callers pass the instant and the file's text, so
//! every rule is testable with fixed inputs.

mod day_part;
mod lunar;
mod notice;
mod workdays;

#[cfg(test)]
mod tests;

use std::fmt;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;

pub use day_part::{DayPart, DayParts};
pub use lunar::{LUNAR_YEARS, mid_autumn, spring_festival};
pub use notice::{HolidayCalendar, HolidayMatch, HolidaySource};
pub use workdays::{DayKind, NoticeDays};

/// The five holidays that have their own opening (N4).
///
/// Other statutory holidays (Qingming, Dragon Boat) have no special greeting, so they are
/// deliberately absent: a file that names them is rejected rather than ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Holiday {
    /// 元旦, 1 January; greeted with 新年好!.
    NewYear,
    /// 春节, 1st day of the 1st lunar month; greeted with 新年好!.
    SpringFestival,
    /// 劳动节, 1 May; greeted with 劳动节快乐!.
    LabourDay,
    /// 中秋节, 15th day of the 8th lunar month; greeted with 中秋节快乐!.
    MidAutumn,
    /// 国庆节, 1 October; greeted with 国庆节快乐!.
    NationalDay,
}

impl Holiday {
    /// Every holiday, in calendar order.
    pub const ALL: [Holiday; 5] = [
        Holiday::NewYear,
        Holiday::SpringFestival,
        Holiday::LabourDay,
        Holiday::MidAutumn,
        Holiday::NationalDay,
    ];

    /// The key naming this holiday in the holidays file (and in serde).
    pub fn key(self) -> &'static str {
        match self {
            Holiday::NewYear => "new_year",
            Holiday::SpringFestival => "spring_festival",
            Holiday::LabourDay => "labour_day",
            Holiday::MidAutumn => "mid_autumn",
            Holiday::NationalDay => "national_day",
        }
    }

    /// The holiday named by a file key, if it is one of the five.
    pub fn from_key(key: &str) -> Option<Holiday> {
        Holiday::ALL.into_iter().find(|h| h.key() == key)
    }

    /// English name, for logs and explanations.
    pub fn name(self) -> &'static str {
        match self {
            Holiday::NewYear => "New Year's Day",
            Holiday::SpringFestival => "Spring Festival",
            Holiday::LabourDay => "Labour Day",
            Holiday::MidAutumn => "Mid-Autumn",
            Holiday::NationalDay => "National Day",
        }
    }

    /// The holiday's own day in `year`, as used when the file has no notice for `year`.
    ///
    /// `None` only for the lunar holidays outside [`LUNAR_YEARS`].
    pub fn computed_day(self, year: i32) -> Option<NaiveDate> {
        match self {
            Holiday::NewYear => NaiveDate::from_ymd_opt(year, 1, 1),
            Holiday::SpringFestival => spring_festival(year),
            Holiday::LabourDay => NaiveDate::from_ymd_opt(year, 5, 1),
            Holiday::MidAutumn => mid_autumn(year),
            Holiday::NationalDay => NaiveDate::from_ymd_opt(year, 10, 1),
        }
    }

    /// How [`Holiday::computed_day`] finds the day, for explanations.
    fn computed_rule(self) -> &'static str {
        match self {
            Holiday::NewYear => "1 Jan",
            Holiday::SpringFestival => "lunar 1/1",
            Holiday::LabourDay => "1 May",
            Holiday::MidAutumn => "lunar 8/15",
            Holiday::NationalDay => "1 Oct",
        }
    }
}

impl fmt::Display for Holiday {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Local time of a call in the flow's zone.
///
/// Both the day part and the holiday are decided on this, never on UTC: a call at
/// 2026-02-16T23:30Z is on Spring Festival morning in Asia/Shanghai.
pub fn local_time(at: DateTime<Utc>, zone: Tz) -> DateTime<Tz> {
    at.with_timezone(&zone)
}

/// A clock time as `HH:MM` (what `format("%H:%M")` gives), written
/// without chrono's format parser for the per-call paths.
pub fn hh_mm(t: NaiveTime) -> [u8; 5] {
    use chrono::Timelike;
    let digit = |n: u32| b'0' + (n % 10) as u8;
    let (h, m) = (t.hour(), t.minute());
    [digit(h / 10), digit(h), b':', digit(m / 10), digit(m)]
}

/// Where in a file a problem is: origin (the file name), 1-based line and column.
///
/// The column counts characters, not bytes, so it matches what an editor shows on lines
/// that contain Chinese text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Location {
    /// The file name given to [`HolidayCalendar::from_toml`].
    pub origin: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.origin, self.line, self.column)
    }
}

/// What is wrong with a holidays file or with day-part settings.
///
/// File errors carry their [`Location`] and display as `holidays.toml:12:9: message`, so
/// an operator can jump straight to the line; [`HolidayCalendar::from_toml`] returns
/// every one it finds, sorted by position.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// The text is not valid TOML.
    #[error("{at}: TOML syntax: {message}")]
    Syntax { at: Location, message: String },

    /// A key the file format does not have (typo, or a setting from another file).
    #[error("{at}: unknown key `{key}`, expected {expected}")]
    UnknownKey {
        at: Location,
        key: String,
        expected: &'static str,
    },

    /// A required key is absent from a table.
    #[error("{at}: missing `{key}` in {table}")]
    MissingKey {
        at: Location,
        key: &'static str,
        table: String,
    },

    /// A value of the wrong TOML type.
    #[error("{at}: `{key}` must be {expected}, found {found}")]
    WrongType {
        at: Location,
        key: String,
        expected: &'static str,
        found: &'static str,
    },

    /// A notice table whose name is not a year.
    #[error("{at}: `{key}` is not a year; a notice is filed under its year, e.g. [notice.2026]")]
    BadYear { at: Location, key: String },

    /// A holiday name that is not one of the five with their own greeting.
    #[error(
        "{at}: unknown holiday `{name}`, expected new_year, spring_festival, labour_day, mid_autumn, national_day, days_off, workdays or source"
    )]
    UnknownHoliday { at: Location, name: String },

    /// `first` / `last` given as something other than a plain local date.
    #[error("{at}: `{key}` must be a plain date such as 2026-10-01, without time or offset")]
    NotADate { at: Location, key: &'static str },

    /// A period whose last day is before its first.
    #[error("{at}: {holiday} period ends on {last}, before it starts on {first}")]
    EndBeforeStart {
        at: Location,
        holiday: &'static str,
        first: NaiveDate,
        last: NaiveDate,
    },

    /// A period filed under a year it does not belong to.
    #[error(
        "{at}: {holiday} period {first}..{last} is filed under {year} but must end in {year} and start no earlier than {prev_dec_1}",
        prev_dec_1 = NaiveDate::from_ymd_opt(year - 1, 12, 1).map_or_else(|| format!("December {}", year - 1), |d| d.to_string())
    )]
    OutsideYear {
        at: Location,
        holiday: &'static str,
        year: i32,
        first: NaiveDate,
        last: NaiveDate,
    },

    /// Two periods of the same holiday in one notice share days.
    #[error(
        "{at}: {holiday} period {first}..{last} overlaps its period {other_first}..{other_last} on line {other_line}"
    )]
    Overlap {
        at: Location,
        holiday: &'static str,
        first: NaiveDate,
        last: NaiveDate,
        other_first: NaiveDate,
        other_last: NaiveDate,
        other_line: usize,
    },

    /// Periods of two different holidays share days but neither lies strictly inside the
    /// other, so it is not clear whose greeting the shared days get.
    #[error(
        "{at}: {holiday} period {first}..{last} overlaps {other} period {other_first}..{other_last} on line {other_line}; periods of different holidays may only overlap when the shorter lies inside the longer (the shorter one's greeting wins)"
    )]
    AmbiguousOverlap {
        at: Location,
        holiday: &'static str,
        first: NaiveDate,
        last: NaiveDate,
        other: &'static str,
        other_first: NaiveDate,
        other_last: NaiveDate,
        other_line: usize,
    },

    /// A `days_off` or `workdays` date not in the notice's year.
    #[error("{at}: {date} in `{key}` is not in {year}, the year of the notice")]
    DayOutsideYear {
        at: Location,
        key: String,
        year: i32,
        date: NaiveDate,
    },

    /// A make-up working day that the same notice also gives off.
    #[error("{at}: {date} is both a make-up working day and a day off")]
    WorkdayOff { at: Location, date: NaiveDate },

    /// Day-part boundaries out of order (from settings, not from the holidays file).
    #[error(
        "day parts: morning must end before afternoon, got morning until {morning_until} and afternoon until {afternoon_until}"
    )]
    DayPartsOrder {
        morning_until: NaiveTime,
        afternoon_until: NaiveTime,
    },
}

impl CalendarError {
    /// Where in the file the problem is; `None` for errors not about a file.
    pub fn location(&self) -> Option<&Location> {
        match self {
            CalendarError::Syntax { at, .. }
            | CalendarError::UnknownKey { at, .. }
            | CalendarError::MissingKey { at, .. }
            | CalendarError::WrongType { at, .. }
            | CalendarError::BadYear { at, .. }
            | CalendarError::UnknownHoliday { at, .. }
            | CalendarError::NotADate { at, .. }
            | CalendarError::EndBeforeStart { at, .. }
            | CalendarError::OutsideYear { at, .. }
            | CalendarError::Overlap { at, .. }
            | CalendarError::AmbiguousOverlap { at, .. }
            | CalendarError::DayOutsideYear { at, .. }
            | CalendarError::WorkdayOff { at, .. } => Some(at),
            CalendarError::DayPartsOrder { .. } => None,
        }
    }
}
