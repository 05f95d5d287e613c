//! Parts of the local day, for the time-of-day opening (N2).

use chrono::NaiveTime;

use super::CalendarError;

/// Part of the local day a call falls in.
///
/// N2 only distinguishes the morning (早上好!) from the rest of the day (您好!), but
/// replies to a caller's greeting may use 早上好/下午好/晚上好 (N6), which needs all three.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum DayPart {
    /// From midnight up to [`DayParts::morning_until`].
    Morning,
    /// From [`DayParts::morning_until`] up to [`DayParts::afternoon_until`].
    Afternoon,
    /// From [`DayParts::afternoon_until`] to midnight.
    Evening,
}

/// Boundaries between the parts of the day.
///
/// Each boundary is the first instant of the *next* part, so the defaults make 11:59:59
/// morning and 12:00:00 afternoon, as N2's "00:00–12:00" reads. They are configurable
/// because a centre may want 下午好 to stop earlier than 18:00.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayParts {
    /// First instant that is no longer morning (default 12:00).
    pub morning_until: NaiveTime,
    /// First instant of the evening (default 18:00).
    pub afternoon_until: NaiveTime,
}

impl Default for DayParts {
    fn default() -> Self {
        Self {
            morning_until: NaiveTime::from_hms_opt(12, 0, 0).expect("12:00:00 is a valid time"),
            afternoon_until: NaiveTime::from_hms_opt(18, 0, 0).expect("18:00:00 is a valid time"),
        }
    }
}

impl DayParts {
    /// Boundaries from configuration.
    ///
    /// Rejects `morning_until >= afternoon_until`, which would leave the afternoon empty
    /// or make the parts overlap, so that a typo in a config file cannot silently make
    /// every call an "evening" call.
    pub fn new(
        morning_until: NaiveTime,
        afternoon_until: NaiveTime,
    ) -> Result<Self, CalendarError> {
        if morning_until >= afternoon_until {
            return Err(CalendarError::DayPartsOrder {
                morning_until,
                afternoon_until,
            });
        }
        Ok(Self {
            morning_until,
            afternoon_until,
        })
    }

    /// The part of the day that local time `t` falls in.
    pub fn part_of(&self, t: NaiveTime) -> DayPart {
        if t < self.morning_until {
            DayPart::Morning
        } else if t < self.afternoon_until {
            DayPart::Afternoon
        } else {
            DayPart::Evening
        }
    }
}
