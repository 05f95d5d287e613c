//! The calendar of a flow: day parts, openings by date (N2-N4), the
//! company's special days.

use std::ops::Range;

use chrono::{NaiveDate, NaiveTime};

use super::super::{
    FlowKind, GreetingSettings, OpeningHours, Openings, SpecialDay,
    raw::{RawFlow, RawGreeting, Sp},
};
use super::{Checked, Findings, Names, Source, check_reference};
use crate::calendar::{DayParts, Holiday};

/// `[greeting]` and the openings: day parts, special days, and the opening
/// and closed-hours prompts the calendar picks from (N2-N4).
pub(super) fn check_greeting(
    source: &Source<'_>,
    raw: &RawFlow,
    names: &Names,
    kind: FlowKind,
    id_span: &Range<usize>,
) -> Checked<GreetingSettings> {
    let mut found = Findings::new(source);
    let g = &raw.greeting;
    let day_parts = found.take(check_day_parts(source, g));
    let special_days = found.take(check_special_days(source, g, names));
    let holidays = g.holidays.unwrap_or(true);
    let (openings, after_hours) =
        found.take(check_openings(source, names, kind, holidays, id_span));
    found.done(GreetingSettings {
        day_parts,
        holidays,
        special_days,
        openings,
        after_hours,
    })
}

/// When morning and afternoon end, for 早上好 and the greeting replies (N2).
fn check_day_parts(source: &Source<'_>, g: &RawGreeting) -> Checked<DayParts> {
    let mut found = Findings::new(source);
    let defaults = DayParts::default();
    let mut time = |v: &Option<Sp<String>>, default: NaiveTime| match v {
        None => default,
        Some(s) => NaiveTime::parse_from_str(s.get_ref(), "%H:%M").unwrap_or_else(|_| {
            found.error(
                s.span(),
                None,
                format!("{:?} is not a time of day (use \"HH:MM\")", s.get_ref()),
            );
            default
        }),
    };
    let morning = time(&g.morning_until, defaults.morning_until);
    let afternoon = time(&g.afternoon_until, defaults.afternoon_until);
    let day_parts = DayParts::new(morning, afternoon).unwrap_or_else(|_| {
        let span = g
            .morning_until
            .as_ref()
            .or(g.afternoon_until.as_ref())
            .map_or(0..0, |s| s.span());
        found.error(
            span,
            None,
            "morning_until must come before afternoon_until".into(),
        );
        defaults
    });
    found.done(day_parts)
}

/// The company's own days (an anniversary, a closure notice), each with
/// its opening.
fn check_special_days(
    source: &Source<'_>,
    g: &RawGreeting,
    names: &Names,
) -> Checked<Vec<SpecialDay>> {
    let mut found = Findings::new(source);
    let mut special_days = Vec::new();
    for day in &g.special_days {
        let d = day.get_ref();
        let mut date = |s: &Sp<String>| {
            NaiveDate::parse_from_str(s.get_ref(), "%Y-%m-%d")
                .map_err(|_| {
                    found.error(
                        s.span(),
                        None,
                        format!("{:?} is not a date (use \"YYYY-MM-DD\")", s.get_ref()),
                    )
                })
                .ok()
        };
        let first = date(&d.from);
        let last = d.to.as_ref().map_or(first, &mut date);
        let prompt = found.take(check_reference(source, &d.prompt, &names.prompts, "prompt"));
        if let (Some(first), Some(last), Some(prompt)) = (first, last, prompt) {
            if last < first {
                found.error(day.span(), None, "special day ends before it starts".into());
            }
            special_days.push(SpecialDay {
                name: d.name.clone().unwrap_or_else(|| d.prompt.get_ref().clone()),
                first,
                last,
                prompt,
            });
        }
    }
    found.done(special_days)
}

/// The openings the calendar picks from by name (`opening`,
/// `opening_morning`, `opening_<holiday>`), and the same for a closed
/// centre (`after_hours…`). An inbound flow needs the standard opening
/// (N3); the morning and holiday ones are advised (N2, N4).
fn check_openings(
    source: &Source<'_>,
    names: &Names,
    kind: FlowKind,
    holidays: bool,
    id_span: &Range<usize>,
) -> Checked<(Openings, Openings)> {
    let mut found = Findings::new(source);
    let lookup = |id: &str| names.prompts.get(id).copied();
    let openings = Openings {
        plain: lookup("opening"),
        morning: lookup("opening_morning"),
        holiday: Holiday::ALL.map(|h| lookup(&format!("opening_{}", h.key()))),
    };
    // What a call hears first when the centre is closed, by the same
    // calendar rules (N2-N4): `after_hours`, `after_hours_morning`,
    // `after_hours_<holiday>`.
    let after_hours = Openings {
        plain: lookup("after_hours"),
        morning: lookup("after_hours_morning"),
        holiday: Holiday::ALL.map(|h| lookup(&format!("after_hours_{}", h.key()))),
    };
    if kind == FlowKind::Inbound {
        if openings.plain.is_none() {
            found.error(
                id_span.clone(),
                Some("N3"),
                "an inbound flow needs prompt \"opening\", the standard opening line".into(),
            );
        }
        if openings.morning.is_none() {
            found.warn(
                id_span.clone(),
                Some("N2"),
                "no prompt \"opening_morning\": morning callers will not hear 早上好".into(),
            );
        }
        if holidays {
            for (h, p) in Holiday::ALL.iter().zip(&openings.holiday) {
                if p.is_none() {
                    found.warn(
                        id_span.clone(),
                        Some("N4"),
                        format!(
                            "no prompt \"opening_{}\": that holiday gets the normal opening (set greeting.holidays = false to mean it)",
                            h.key()
                        ),
                    );
                }
            }
        }
    }
    found.done((openings, after_hours))
}

/// The day names `[hours]` knows, Monday first.
const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// `[hours]`: each key a day or a range of days ("mon-fri"), each value
/// "HH:MM-HH:MM" or "closed"; `after_hours` names the step for calls
/// when closed.
pub(super) fn check_hours(
    source: &Source<'_>,
    raw: &RawFlow,
    names: &Names,
) -> Checked<Option<OpeningHours>> {
    let mut found = Findings::new(source);
    let Some(table) = raw.hours.as_ref() else {
        return found.done(None);
    };
    // Monday to Sunday, then official days off.
    let mut week: [Opening; 8] = [None; 8];
    let mut given = [false; 8];
    let mut after_hours = None;
    for (key, value) in table.get_ref() {
        if key.get_ref() == "after_hours" {
            after_hours = found.take(check_reference(source, value, &names.steps, "step"));
            continue;
        }
        let Some((days, opening)) = found.take(check_opening_line(source, key, value)) else {
            continue;
        };
        for d in days {
            if std::mem::replace(&mut given[d], true) {
                found.error(
                    key.span(),
                    None,
                    format!(
                        "{} is given opening hours twice",
                        DAYS.get(d).unwrap_or(&"days_off")
                    ),
                );
            }
            week[d] = opening;
        }
    }
    let hours = match after_hours {
        Some(after_hours) => Some(OpeningHours {
            week: [
                week[0], week[1], week[2], week[3], week[4], week[5], week[6],
            ],
            days_off: week[7],
            after_hours,
        }),
        None => {
            if !table.get_ref().keys().any(|k| k.get_ref() == "after_hours") {
                found.error(
                    table.span(),
                    None,
                    "[hours] needs `after_hours`: the step a call starts at when the centre is closed"
                        .into(),
                );
            }
            None
        }
    };
    found.done(hours)
}

/// Hours from "HH:MM" to "HH:MM", or `None` when closed.
type Opening = Option<(NaiveTime, NaiveTime)>;

/// One line of `[hours]` other than `after_hours`: the days it is about
/// (Monday 0, official days off 7) and their hours; `None` when the line
/// cannot be read, which is an error.
fn check_opening_line(
    source: &Source<'_>,
    key: &Sp<String>,
    value: &Sp<String>,
) -> Checked<Option<(Vec<usize>, Opening)>> {
    let mut found = Findings::new(source);
    let days_off = key.get_ref() == "days_off";
    let Some(days) = day_range(key.get_ref()).or(days_off.then(|| vec![7])) else {
        found.error(
            key.span(),
            None,
            format!(
                "{:?} is not a day or a range of days (mon, tue, wed, thu, fri, sat, sun, e.g. \"mon-fri\"), nor `days_off` or `after_hours`",
                key.get_ref()
            ),
        );
        return found.done(None);
    };
    let opening = match value.get_ref().trim() {
        "closed" => None,
        v => match time_span(v) {
            Some(s) => Some(s),
            None => {
                found.error(
                    value.span(),
                    None,
                    format!(
                        "{v:?} is not opening hours: write \"HH:MM-HH:MM\" (opening before closing) or \"closed\""
                    ),
                );
                return found.done(None);
            }
        },
    };
    found.done(Some((days, opening)))
}

/// "mon" or "mon-fri" as day indexes (Monday 0).
fn day_range(key: &str) -> Option<Vec<usize>> {
    let ix = |d: &str| DAYS.iter().position(|n| *n == d.trim());
    match key.split_once('-') {
        None => ix(key).map(|d| vec![d]),
        Some((a, b)) => {
            let (a, b) = (ix(a)?, ix(b)?);
            (a <= b).then(|| (a..=b).collect())
        }
    }
}

/// "08:00-20:00"; "24:00" closes at midnight.
fn time_span(v: &str) -> Option<(NaiveTime, NaiveTime)> {
    let (a, b) = v.split_once('-')?;
    let t = |s: &str| match s.trim() {
        "24:00" => NaiveTime::from_hms_nano_opt(23, 59, 59, 999_999_999),
        s => NaiveTime::parse_from_str(s, "%H:%M").ok(),
    };
    let (a, b) = (t(a)?, t(b)?);
    (a < b).then_some((a, b))
}
