//! Choosing a call's opening from its local start time (N2-N4).

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use super::{Flow, PromptIx};
use crate::calendar::{self, DayPart, Holiday, HolidayCalendar, HolidayMatch};

/// The opening a call gets, and why.
#[derive(Debug, Clone)]
pub struct Opening {
    /// `None` only for a flow without openings (an outbound script).
    pub prompt: Option<PromptIx>,
    pub rule: OpeningRule,
    pub day_part: DayPart,
    pub local: DateTime<Tz>,
}

/// Which rule chose an opening; shown to designers and kept in call records.
#[derive(Debug, Clone, PartialEq)]
pub enum OpeningRule {
    SpecialDay {
        name: String,
        first: NaiveDate,
        last: NaiveDate,
    },
    Holiday(HolidayMatch),
    Morning {
        until: chrono::NaiveTime,
    },
    Normal {
        part: DayPart,
    },
    /// A holiday the flow has no opening for (or switched off).
    HolidayWithoutOpening(Holiday),
}

impl fmt::Display for OpeningRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpeningRule::SpecialDay { name, first, last } if first == last => {
                write!(f, "special day {name:?} ({first})")
            }
            OpeningRule::SpecialDay { name, first, last } => {
                write!(f, "special day {name:?} ({first}..{last})")
            }
            OpeningRule::Holiday(m) => write!(f, "holiday: {m}"),
            OpeningRule::Morning { until } => {
                write!(f, "morning (before {})", until.format("%H:%M"))
            }
            OpeningRule::Normal { part } => write!(f, "normal opening ({})", part_name(*part)),
            OpeningRule::HolidayWithoutOpening(h) => write!(
                f,
                "normal opening: {} has no holiday opening in this flow",
                h.key()
            ),
        }
    }
}

impl OpeningRule {
    /// The rule as [`fmt::Display`] words it, for a call's record. The two
    /// rules nearly every call gets are put together without the
    /// formatter, which with chrono's clock format cost about 1.2k
    /// instructions per StartCall (BENCHMARKS.md section 1).
    pub fn text(&self) -> String {
        match self {
            OpeningRule::Normal { part } => ["normal opening (", part_name(*part), ")"].concat(),
            OpeningRule::Morning { until } => {
                let hh_mm = calendar::hh_mm(*until);
                let clock = std::str::from_utf8(&hh_mm).unwrap_or_default();
                ["morning (before ", clock, ")"].concat()
            }
            OpeningRule::SpecialDay { .. }
            | OpeningRule::Holiday(_)
            | OpeningRule::HolidayWithoutOpening(_) => self.to_string(),
        }
    }
}

pub fn part_name(part: DayPart) -> &'static str {
    match part {
        DayPart::Morning => "morning",
        DayPart::Afternoon => "afternoon",
        DayPart::Evening => "evening",
    }
}

impl Flow {
    /// The opening for a call that starts at `at`, in this flow's zone.
    pub fn choose_opening(&self, at: DateTime<Utc>, holidays: &HolidayCalendar) -> Opening {
        self.choose_from(&self.greeting.openings, at, holidays)
    }

    /// The first words for a call that starts at `at` while the centre is
    /// closed: the flow's `after_hours` prompts, chosen by the same rules;
    /// `None` prompt when the flow has none (its after-hours step speaks).
    pub fn choose_after_hours(&self, at: DateTime<Utc>, holidays: &HolidayCalendar) -> Opening {
        self.choose_from(&self.greeting.after_hours, at, holidays)
    }

    fn choose_from(
        &self,
        openings: &super::Openings,
        at: DateTime<Utc>,
        holidays: &HolidayCalendar,
    ) -> Opening {
        let local = calendar::local_time(at, self.zone);
        let g = &self.greeting;
        let day_part = g.day_parts.part_of(local.time());
        let date = local.date_naive();
        let normal = || {
            let morning = day_part == DayPart::Morning;
            match (morning, openings.morning) {
                (true, Some(p)) => (
                    Some(p),
                    OpeningRule::Morning {
                        until: g.day_parts.morning_until,
                    },
                ),
                _ => (openings.plain, OpeningRule::Normal { part: day_part }),
            }
        };
        // A special day's opening welcomes callers the centre answers.
        let after_hours = std::ptr::eq(openings, &g.after_hours);
        let special = g
            .special_days
            .iter()
            .filter(|_| !after_hours)
            .find(|d| d.first <= date && date <= d.last);
        let (prompt, rule) = if let Some(d) = special {
            (
                Some(d.prompt),
                OpeningRule::SpecialDay {
                    name: d.name.clone(),
                    first: d.first,
                    last: d.last,
                },
            )
        } else if let Some(m) = g.holidays.then(|| holidays.holiday_on(date)).flatten() {
            let ix = Holiday::ALL
                .iter()
                .position(|h| *h == m.holiday)
                .unwrap_or(0);
            match openings.holiday[ix] {
                Some(p) => (Some(p), OpeningRule::Holiday(m)),
                None => (normal().0, OpeningRule::HolidayWithoutOpening(m.holiday)),
            }
        } else {
            normal()
        };
        Opening {
            prompt,
            rule,
            day_part,
            local,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{DayPart, OpeningRule};

    #[test]
    fn a_rules_text_is_its_display() {
        let rules = [
            OpeningRule::Normal {
                part: DayPart::Afternoon,
            },
            OpeningRule::Normal {
                part: DayPart::Evening,
            },
            OpeningRule::Morning {
                until: chrono::NaiveTime::from_hms_opt(11, 30, 0).expect("a time"),
            },
            OpeningRule::HolidayWithoutOpening(crate::calendar::Holiday::MidAutumn),
        ];
        for rule in rules {
            assert_eq!(rule.text(), rule.to_string());
        }
    }
}
