//! The holidays file: official holiday periods per year, and the holiday on a date.
//!
//! Parsing follows the crate's raw → compiled pattern: the TOML is read into spanned
//! values, every key and value is checked, and all problems are returned together with
//! their line and column, so an operator fixes a file in one pass.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;

use chrono::{Datelike, NaiveDate};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::{CalendarError, Holiday, Location, workdays::NoticeDays};

/// Official holiday periods per year, loaded from the holidays TOML file.
///
/// A year listed in the file is governed by its notice alone; a year not listed falls
/// back to each holiday's own computed day (see [`HolidayCalendar::holiday_on`]). The
/// default value lists no year, so it answers from the computed days only.
#[derive(Debug, Clone, Default)]
pub struct HolidayCalendar {
    /// Periods keyed by the year of the notice they were filed under.
    pub(super) notices: BTreeMap<i32, Vec<Period>>,
    /// Each notice's other days off and make-up working days.
    pub(super) days: BTreeMap<i32, NoticeDays>,
}

/// One period during which a holiday's greeting is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Period {
    holiday: Holiday,
    first: NaiveDate,
    last: NaiveDate,
}

impl Period {
    fn contains(&self, date: NaiveDate) -> bool {
        self.first <= date && date <= self.last
    }

    fn days(&self) -> i64 {
        (self.last - self.first).num_days() + 1
    }
}

/// Which holiday greeting applies on a date, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolidayMatch {
    /// The holiday whose opening replaces the normal one.
    pub holiday: Holiday,
    /// Where that answer came from, so logs can explain a greeting.
    pub source: HolidaySource,
}

/// Where a [`HolidayMatch`] came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HolidaySource {
    /// A period of the notice filed under `year` in the holidays file.
    Notice {
        year: i32,
        first: NaiveDate,
        last: NaiveDate,
    },
    /// The holiday's own day, computed because the file has no notice for the year.
    Computed,
}

impl fmt::Display for HolidayMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.source {
            HolidaySource::Notice { year, first, last } => {
                write!(f, "{}: {year} notice period {first}..{last}", self.holiday)
            }
            HolidaySource::Computed => write!(
                f,
                "{}: computed day ({}), no notice for this year",
                self.holiday,
                self.holiday.computed_rule()
            ),
        }
    }
}

impl HolidayCalendar {
    /// Parses the holidays file.
    ///
    /// `origin` is the file name used in error messages. Every problem is reported, each
    /// with its 1-based line and column, sorted by position: TOML syntax, unknown keys,
    /// unknown holiday names, values of the wrong type, a period that ends before it
    /// starts, a period not in the year it is filed under, overlapping periods of the same
    /// holiday, and periods of different holidays that overlap without nesting.
    pub fn from_toml(origin: &str, text: &str) -> Result<Self, Vec<CalendarError>> {
        let mut parser = Parser {
            lines: LineIndex::new(origin, text),
            errors: Vec::new(),
        };

        let (doc, syntax) = DeTable::parse_recoverable(text);
        if !syntax.is_empty() {
            // A recovered document may be missing whole tables; checking it would only
            // add confusing follow-on errors.
            let mut errors: Vec<_> = syntax
                .iter()
                .map(|e| CalendarError::Syntax {
                    at: parser.lines.at(e.span().map_or(0, |s| s.start)),
                    message: e.message().trim_end().to_owned(),
                })
                .collect();
            sort_by_location(&mut errors);
            return Err(errors);
        }

        let mut notices = BTreeMap::new();
        let mut days = BTreeMap::new();
        for (key, value) in doc.get_ref() {
            if key.get_ref() != "notice" {
                parser.unknown_key(key, "`notice`");
                continue;
            }
            let Some(years) = parser.table(key.get_ref(), value) else {
                continue;
            };
            for (year_key, year_value) in years {
                if let Some((year, periods, extra)) = parser.notice(year_key, year_value) {
                    notices.insert(year, periods);
                    days.insert(year, extra);
                }
            }
        }

        if parser.errors.is_empty() {
            Ok(Self { notices, days })
        } else {
            let mut errors = parser.errors;
            sort_by_location(&mut errors);
            Err(errors)
        }
    }

    /// Which holiday greeting (if any) applies on this local date, and why.
    ///
    /// - If the file has a notice for the date's year, only notice periods count: a day
    ///   outside every period is no holiday, even 1 October. A New Year period of the next
    ///   year's notice that starts in late December (as 2022-12-31..2023-01-02 did) also
    ///   counts.
    /// - When periods of different holidays both cover the date (2025's combined National
    ///   Day and Mid-Autumn break), the shorter one wins, so the file can mark Mid-Autumn
    ///   as its own day inside the longer break.
    /// - With no notice for the year, only each holiday's own day counts: 1 Jan, lunar
    ///   1/1, 1 May, lunar 8/15, 1 Oct. When Mid-Autumn falls on 1 October (2020, 2031)
    ///   Mid-Autumn wins, as the rarer and more specific greeting, matching what the
    ///   shorter-wins rule gives for notice years.
    pub fn holiday_on(&self, date: NaiveDate) -> Option<HolidayMatch> {
        let year = date.year();
        let from_notice = [year, year.saturating_add(1)]
            .into_iter()
            .filter_map(|y| self.notices.get(&y).map(|periods| (y, periods)))
            .flat_map(|(y, periods)| periods.iter().map(move |p| (y, p)))
            .filter(|(_, p)| p.contains(date))
            .min_by_key(|(_, p)| p.days());
        if let Some((year, period)) = from_notice {
            return Some(HolidayMatch {
                holiday: period.holiday,
                source: HolidaySource::Notice {
                    year,
                    first: period.first,
                    last: period.last,
                },
            });
        }
        if self.notices.contains_key(&year) {
            return None;
        }
        // Mid-Autumn first: it must win when it falls on 1 October.
        const COMPUTED_ORDER: [Holiday; 5] = [
            Holiday::MidAutumn,
            Holiday::NewYear,
            Holiday::SpringFestival,
            Holiday::LabourDay,
            Holiday::NationalDay,
        ];
        COMPUTED_ORDER
            .into_iter()
            .find(|h| h.computed_day(year) == Some(date))
            .map(|holiday| HolidayMatch {
                holiday,
                source: HolidaySource::Computed,
            })
    }

    /// Years the file has a notice for, ascending.
    pub fn years_with_notice(&self) -> Vec<i32> {
        self.notices.keys().copied().collect()
    }
}

fn sort_by_location(errors: &mut [CalendarError]) {
    errors.sort_by(|a, b| a.location().cmp(&b.location()));
}

// === impl Parser ===

/// Keys allowed in a `[notice.YEAR]` table besides the holiday names.
const SOURCE_KEY: &str = "source";

/// A period as read, with where it was, for the cross-period checks.
struct ReadPeriod {
    period: Period,
    at: Location,
}

/// Collects errors while walking the spanned document.
pub(super) struct Parser {
    pub(super) lines: LineIndex,
    pub(super) errors: Vec<CalendarError>,
}

pub(super) type Key<'i> = Spanned<std::borrow::Cow<'i, str>>;

impl Parser {
    fn unknown_key(&mut self, key: &Key<'_>, expected: &'static str) {
        self.errors.push(CalendarError::UnknownKey {
            at: self.lines.at(key.span().start),
            key: key.get_ref().to_string(),
            expected,
        });
    }

    pub(super) fn wrong_type(
        &mut self,
        key: &str,
        value: &Spanned<DeValue<'_>>,
        expected: &'static str,
    ) {
        self.errors.push(CalendarError::WrongType {
            at: self.lines.at(value.span().start),
            key: key.to_owned(),
            expected,
            found: value.get_ref().type_str(),
        });
    }

    fn table<'a, 'i>(
        &mut self,
        key: &str,
        value: &'a Spanned<DeValue<'i>>,
    ) -> Option<&'a DeTable<'i>> {
        match value.get_ref() {
            DeValue::Table(t) => Some(t),
            _ => {
                self.wrong_type(key, value, "a table");
                None
            }
        }
    }

    /// Reads one `[notice.YEAR]` table; `None` if its key is not a year or it is not a table.
    fn notice(
        &mut self,
        key: &Key<'_>,
        value: &Spanned<DeValue<'_>>,
    ) -> Option<(i32, Vec<Period>, NoticeDays)> {
        let name = format!("notice.{}", key.get_ref());
        let year = parse_year(key.get_ref());
        if year.is_none() {
            self.errors.push(CalendarError::BadYear {
                at: self.lines.at(key.span().start),
                key: key.get_ref().to_string(),
            });
        }
        let table = self.table(&name, value)?;
        let year = year?;

        let mut read = Vec::new();
        let mut extra = NoticeDays::default();
        for (k, v) in table {
            match k.get_ref().as_ref() {
                "workdays" => {
                    extra.workdays = self.dates(year, &name, k, v);
                    continue;
                }
                "days_off" => {
                    extra.days_off = self.dates(year, &name, k, v);
                    continue;
                }
                _ => {}
            }
            if k.get_ref() == SOURCE_KEY {
                if !matches!(v.get_ref(), DeValue::String(_)) {
                    self.wrong_type(&format!("{name}.{SOURCE_KEY}"), v, "a string");
                }
                continue;
            }
            let Some(holiday) = Holiday::from_key(k.get_ref()) else {
                self.errors.push(CalendarError::UnknownHoliday {
                    at: self.lines.at(k.span().start),
                    name: k.get_ref().to_string(),
                });
                continue;
            };
            let key = format!("{name}.{}", holiday.key());
            match v.get_ref() {
                DeValue::Table(t) => read.extend(self.period(year, holiday, &key, v.span(), t)),
                DeValue::Array(items) => {
                    for item in items {
                        match item.get_ref() {
                            DeValue::Table(t) => {
                                read.extend(self.period(year, holiday, &key, item.span(), t))
                            }
                            _ => self.wrong_type(&key, item, "a table { first = ..., last = ... }"),
                        }
                    }
                }
                _ => self.wrong_type(
                    &key,
                    v,
                    "a table { first = ..., last = ... } or an array of them",
                ),
            }
        }

        let errors_before = self.errors.len();
        self.check_overlaps(&mut read);
        if self.errors.len() > errors_before {
            return None;
        }
        let periods: Vec<Period> = read.into_iter().map(|r| r.period).collect();
        // A make-up working day is a day of work: never inside a day off.
        if let Some(d) = extra
            .workdays
            .iter()
            .find(|d| extra.days_off.contains(d) || periods.iter().any(|p| p.contains(**d)))
        {
            self.errors.push(CalendarError::WorkdayOff {
                at: self.lines.at(value.span().start),
                date: *d,
            });
            return None;
        }
        Some((year, periods, extra))
    }

    /// Reads one `{ first = DATE, last = DATE }` period and checks it on its own.
    fn period(
        &mut self,
        year: i32,
        holiday: Holiday,
        key: &str,
        span: Range<usize>,
        table: &DeTable<'_>,
    ) -> Option<ReadPeriod> {
        let mut first = None;
        let mut last = None;
        let mut ok = true;
        for (k, v) in table {
            let slot = match k.get_ref().as_ref() {
                "first" => &mut first,
                "last" => &mut last,
                _ => {
                    self.unknown_key(k, "`first` or `last`");
                    ok = false;
                    continue;
                }
            };
            match local_date(v.get_ref()) {
                Some(d) => *slot = Some(Spanned::new(v.span(), d)),
                None => {
                    self.errors.push(CalendarError::NotADate {
                        at: self.lines.at(v.span().start),
                        key: if k.get_ref() == "first" {
                            "first"
                        } else {
                            "last"
                        },
                    });
                    ok = false;
                }
            }
        }
        for (name, slot) in [("first", &first), ("last", &last)] {
            if slot.is_none() && !table.iter().any(|(k, _)| k.get_ref() == name) {
                self.errors.push(CalendarError::MissingKey {
                    at: self.lines.at(span.start),
                    key: name,
                    table: key.to_owned(),
                });
            }
        }
        let (Some(first), Some(last)) = (first, last) else {
            return None;
        };
        if !ok {
            return None;
        }
        let (first_at, last_at) = (first.span().start, last.span().start);
        let (first, last) = (first.into_inner(), last.into_inner());
        if last < first {
            self.errors.push(CalendarError::EndBeforeStart {
                at: self.lines.at(last_at),
                holiday: holiday.key(),
                first,
                last,
            });
            return None;
        }
        // A New Year break can start in the previous December (2022-12-31..2023-01-02
        // was in the 2023 notice); anything further out is a typo or a misfiled period.
        let earliest = NaiveDate::from_ymd_opt(year - 1, 12, 1);
        if last.year() != year || earliest.is_none_or(|e| first < e) {
            let at = if last.year() != year {
                last_at
            } else {
                first_at
            };
            self.errors.push(CalendarError::OutsideYear {
                at: self.lines.at(at),
                holiday: holiday.key(),
                year,
                first,
                last,
            });
            return None;
        }
        Some(ReadPeriod {
            period: Period {
                holiday,
                first,
                last,
            },
            at: self.lines.at(span.start),
        })
    }

    /// Same-holiday periods must not share a day; different holidays may share days only
    /// when one period lies strictly inside the other, which makes "shorter wins" mean
    /// "the inner one wins" and leaves no day ambiguous.
    fn check_overlaps(&mut self, read: &mut [ReadPeriod]) {
        read.sort_by_key(|r| (r.at.line, r.at.column));
        for (i, later) in read.iter().enumerate() {
            for earlier in &read[..i] {
                let (a, b) = (&later.period, &earlier.period);
                if a.last < b.first || b.last < a.first {
                    continue;
                }
                if a.holiday == b.holiday {
                    self.errors.push(CalendarError::Overlap {
                        at: later.at.clone(),
                        holiday: a.holiday.key(),
                        first: a.first,
                        last: a.last,
                        other_first: b.first,
                        other_last: b.last,
                        other_line: earlier.at.line,
                    });
                    continue;
                }
                let nested = |inner: &Period, outer: &Period| {
                    outer.first <= inner.first
                        && inner.last <= outer.last
                        && inner.days() < outer.days()
                };
                if !nested(a, b) && !nested(b, a) {
                    self.errors.push(CalendarError::AmbiguousOverlap {
                        at: later.at.clone(),
                        holiday: a.holiday.key(),
                        first: a.first,
                        last: a.last,
                        other: b.holiday.key(),
                        other_first: b.first,
                        other_last: b.last,
                        other_line: earlier.at.line,
                    });
                }
            }
        }
    }
}

/// A notice key such as `2026`: four digits, so `[notice.26]` is caught as a typo.
fn parse_year(key: &str) -> Option<i32> {
    if key.len() == 4 && key.bytes().all(|b| b.is_ascii_digit()) {
        key.parse().ok()
    } else {
        None
    }
}

/// A TOML local date (`2026-10-01`), rejecting date-times and times.
pub(super) fn local_date(value: &DeValue<'_>) -> Option<NaiveDate> {
    let DeValue::Datetime(dt) = value else {
        return None;
    };
    match (dt.date, dt.time, dt.offset) {
        (Some(d), None, None) => {
            NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))
        }
        _ => None,
    }
}

// === impl LineIndex ===

/// Turns byte offsets from TOML spans into 1-based line and character column.
pub(super) struct LineIndex {
    origin: String,
    text: String,
    /// Byte offset at which each line starts.
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(origin: &str, text: &str) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Self {
            origin: origin.to_owned(),
            text: text.to_owned(),
            starts,
        }
    }

    pub(super) fn at(&self, offset: usize) -> Location {
        let offset = offset.min(self.text.len());
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts[line - 1];
        // Spans from the TOML parser fall on character boundaries; `get` keeps a stray
        // one from panicking and just counts the whole line prefix it can read.
        let column = self
            .text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count())
            + 1;
        Location {
            origin: self.origin.clone(),
            line,
            column,
        }
    }
}
