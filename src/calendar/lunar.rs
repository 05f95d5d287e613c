//! Gregorian dates of the two lunar holidays, from `icu_calendar`'s Chinese calendar.

use std::ops::RangeInclusive;

use chrono::NaiveDate;
use icu_calendar::Date;
use icu_calendar::cal::{ChineseTraditional, Iso};
use icu_calendar::types::Month;

/// Gregorian years for which the lunar holidays are computed.
///
/// `icu_calendar` ships precomputed Chinese-calendar data for these years (checked by
/// its authors against the Purple Mountain and Hong Kong observatories); outside them it
/// falls back to an approximation that can be a day off, and a wrong day is a wrong
/// greeting, so we answer `None` instead.
pub const LUNAR_YEARS: RangeInclusive<i32> = 1900..=2100;

/// Gregorian date of Spring Festival (春节, 1st day of the 1st lunar month) in `year`.
///
/// The lunar year that starts in Gregorian `year` always starts between 21 January and
/// 20 February, so there is exactly one such day per Gregorian year. `None` outside
/// [`LUNAR_YEARS`].
pub fn spring_festival(year: i32) -> Option<NaiveDate> {
    lunar_to_gregorian(year, 1, 1)
}

/// Gregorian date of the Mid-Autumn Festival (中秋节, 15th day of the 8th lunar month) in
/// `year`.
///
/// This is the regular 8th month, never a leap 8th month (闰八月), as custom requires.
/// `None` outside [`LUNAR_YEARS`].
pub fn mid_autumn(year: i32) -> Option<NaiveDate> {
    lunar_to_gregorian(year, 8, 15)
}

/// Converts a day of the regular (non-leap) lunar `month` of the Chinese year that begins
/// in Gregorian `year` to its Gregorian date.
///
/// `icu_calendar` numbers Chinese years by their "related ISO" year, the Gregorian year
/// in which the lunar year begins, so the extended year is `year` itself.
fn lunar_to_gregorian(year: i32, month: u8, day: u8) -> Option<NaiveDate> {
    if !LUNAR_YEARS.contains(&year) {
        return None;
    }
    let lunar = Date::try_new(
        year.into(),
        Month::new(month),
        day,
        ChineseTraditional::new(),
    )
    .ok()?;
    let iso = lunar.to_calendar(Iso);
    NaiveDate::from_ymd_opt(
        iso.year().extended_year(),
        u32::from(iso.month().ordinal),
        u32::from(iso.day_of_month().0),
    )
}
