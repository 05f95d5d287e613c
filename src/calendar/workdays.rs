//! Working days: which local dates a centre treats as a day off or as a
//! working day, from the State Council notices (`days_off`, `workdays`
//! in a `[notice.YEAR]` table) on top of the greeting periods, and the
//! advisory that next year's notice is still missing.
//!
//! A notice lists the days off (放假) and the make-up working days
//! (调休上班), which fall on weekends. An official day off is closed even
//! on a weekday; a make-up working day is open with weekday hours even on
//! a weekend.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use toml::de::DeValue;

use super::notice::{Key, Parser};
use super::{CalendarError, HolidayCalendar};

/// The extra days of one notice: days off with no greeting of their own
/// (清明节, 端午节) and the make-up working days.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NoticeDays {
    pub days_off: Vec<NaiveDate>,
    pub workdays: Vec<NaiveDate>,
}

/// What kind of day a date is for opening hours, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DayKind {
    /// A day off by the notice (a greeting holiday's period or one of its
    /// `days_off`), or a holiday's own day in a year with no notice.
    DayOff { why: String },
    /// A weekend day the notice makes a working day (调休上班).
    MakeUpWorkday { year: i32 },
    /// Neither: the weekday's own hours apply.
    Ordinary,
}

impl fmt::Display for DayKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DayKind::DayOff { why } => write!(f, "official day off ({why})"),
            DayKind::MakeUpWorkday { year } => {
                write!(f, "make-up working day (调休上班) of the {year} notice")
            }
            DayKind::Ordinary => f.write_str("ordinary day"),
        }
    }
}

impl HolidayCalendar {
    /// What kind of day `date` is for opening hours.
    pub fn day_kind(&self, date: NaiveDate) -> DayKind {
        let year = date.year();
        if let Some(m) = self.holiday_on(date) {
            return DayKind::DayOff { why: m.to_string() };
        }
        if let Some(days) = self.days.get(&year) {
            if days.days_off.contains(&date) {
                return DayKind::DayOff {
                    why: format!("{year} notice, a day off without a greeting of its own"),
                };
            }
            if days.workdays.contains(&date) {
                return DayKind::MakeUpWorkday { year };
            }
        }
        DayKind::Ordinary
    }

    /// From 1 December on, a calendar with no notice for next year answers
    /// next year's dates from computed days only, with no make-up working
    /// days. `Some(message)` says so, with `today`.
    pub fn missing_next_notice(&self, today: NaiveDate) -> Option<String> {
        let next = today.year() + 1;
        if today.month() < 12 || self.notices.contains_key(&next) {
            return None;
        }
        Some(format!(
            "no notice for {next} yet (today is {today}): add [notice.{next}] when the State Council publishes it; until then {next} uses each holiday's own day and knows no make-up working days"
        ))
    }
}

impl Parser {
    /// Reads `days_off` or `workdays`: an array of plain dates in `year`.
    pub(super) fn dates(
        &mut self,
        year: i32,
        table: &str,
        key: &Key<'_>,
        value: &toml::Spanned<DeValue<'_>>,
    ) -> Vec<NaiveDate> {
        let name = format!("{table}.{}", key.get_ref());
        let DeValue::Array(items) = value.get_ref() else {
            self.wrong_type(&name, value, "an array of dates such as [2026-02-14]");
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items {
            match super::notice::local_date(item.get_ref()) {
                Some(d) if d.year() == year => out.push(d),
                Some(d) => self.errors.push(CalendarError::DayOutsideYear {
                    at: self.lines.at(item.span().start),
                    key: name.clone(),
                    year,
                    date: d,
                }),
                None => self.errors.push(CalendarError::NotADate {
                    at: self.lines.at(item.span().start),
                    key: if key.get_ref() == "workdays" {
                        "workdays"
                    } else {
                        "days_off"
                    },
                }),
            }
        }
        out
    }
}
