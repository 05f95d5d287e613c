//! Opening hours: whether the centre is open when a call starts, and the
//! rule that decided (a weekday's hours, an official day off, a make-up
//! working day).

use std::fmt;

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Utc, Weekday};

use super::{Flow, StepIx};
use crate::calendar::{self, DayKind, HolidayCalendar};

/// A flow's opening hours.
#[derive(Debug, Clone, PartialEq)]
pub struct OpeningHours {
    /// Monday first; `None` is closed all day.
    pub week: [Option<(NaiveTime, NaiveTime)>; 7],
    /// Hours on an official day off (`days_off`); closed when not given.
    pub days_off: Option<(NaiveTime, NaiveTime)>,
    /// Where a call starts when the centre is closed.
    pub after_hours: StepIx,
}

/// Whether the centre is open at a moment, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Hours {
    pub open: bool,
    pub rule: String,
}

/// How a call placed at a given moment starts ([`Flow::start_at`]).
#[derive(Debug, Clone)]
pub struct CallStart {
    /// `None` when the flow has no opening hours (always open).
    pub hours: Option<HoursAt>,
    /// The centre is closed: the call starts at the flow's `after_hours`.
    pub after_hours: bool,
    pub opening: super::Opening,
}

/// Whether the centre is open at a moment, with what decided it kept as
/// parts: a call that starts needs only `open`, and writing the rule out
/// (three clock times through chrono's formatter) took about 5.6k
/// instructions per StartCall (BENCHMARKS.md section 1). Displays as
/// [`Hours`] does.
#[derive(Debug, Clone, PartialEq)]
pub struct HoursAt {
    pub open: bool,
    kind: DayKind,
    date: NaiveDate,
    time: NaiveTime,
    /// The hours that applied that day.
    span: Option<(NaiveTime, NaiveTime)>,
}

impl HoursAt {
    /// The rule that decided, as `Hours::rule` words it.
    fn rule(&self) -> String {
        let (date, kind, span) = (self.date, &self.kind, span(self.span));
        let weekday = date.weekday();
        match kind {
            DayKind::DayOff { .. } => format!("{date} is an {kind}: days_off hours {span}"),
            DayKind::MakeUpWorkday { .. } => {
                format!("{date} ({weekday}) is a {kind}: weekday hours {span} (Mon's)")
            }
            DayKind::Ordinary => {
                format!("{weekday} hours {span} at {}", self.time.format("%H:%M"))
            }
        }
    }
}

impl From<HoursAt> for Hours {
    fn from(at: HoursAt) -> Hours {
        Hours {
            open: at.open,
            rule: at.rule(),
        }
    }
}

impl fmt::Display for HoursAt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = if self.open { "open" } else { "closed" };
        write!(f, "{state}: {}", self.rule())
    }
}

impl fmt::Display for Hours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = if self.open { "open" } else { "closed" };
        write!(f, "{state}: {}", self.rule)
    }
}

fn span(s: Option<(NaiveTime, NaiveTime)>) -> String {
    s.map_or_else(
        || "closed all day".to_owned(),
        |(a, b)| format!("{}-{}", a.format("%H:%M"), b.format("%H:%M")),
    )
}

impl Flow {
    pub fn opening_hours(&self) -> Option<&OpeningHours> {
        self.hours.as_ref()
    }

    /// How a call placed at `at` starts: the hours then, whether the centre
    /// is closed, and the opening it hears (the after-hours one when
    /// closed). The engine starts calls by it and `callscript greeting`
    /// shows it, so the tool cannot show another opening than a call gets.
    pub fn start_at(&self, at: DateTime<Utc>, holidays: &HolidayCalendar) -> CallStart {
        let hours = self.hours_then(at, holidays);
        let after_hours = hours.as_ref().is_some_and(|h| !h.open);
        let opening = if after_hours {
            self.choose_after_hours(at, holidays)
        } else {
            self.choose_opening(at, holidays)
        };
        CallStart {
            hours,
            after_hours,
            opening,
        }
    }

    /// Whether the centre is open at `at` (local time in the flow's zone);
    /// `None` when the flow has no opening hours (always open).
    pub fn hours_at(&self, at: DateTime<Utc>, holidays: &HolidayCalendar) -> Option<Hours> {
        self.hours_then(at, holidays).map(Hours::from)
    }

    /// [`Flow::hours_at`] with the rule not yet written out.
    pub fn hours_then(&self, at: DateTime<Utc>, holidays: &HolidayCalendar) -> Option<HoursAt> {
        let h = self.hours.as_ref()?;
        let local = calendar::local_time(at, self.zone);
        let (date, time) = (local.date_naive(), local.time());
        let kind = holidays.day_kind(date);
        let span = match &kind {
            DayKind::DayOff { .. } => h.days_off,
            DayKind::MakeUpWorkday { .. } => h.week[Weekday::Mon.num_days_from_monday() as usize],
            DayKind::Ordinary => h.week[date.weekday().num_days_from_monday() as usize],
        };
        Some(HoursAt {
            open: span.is_some_and(|(a, b)| a <= time && time < b),
            kind,
            date,
            time,
            span,
        })
    }
}
