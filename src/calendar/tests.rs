use chrono::{NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;

use super::*;

/// The file shipped in `flows/`; this path is also right once the module sits in
/// callscript's `src/calendar/`.
const SHIPPED: &str = include_str!("../../flows/holidays.toml");

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("test dates are valid")
}

fn t(h: u32, m: u32, s: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, s).expect("test times are valid")
}

fn shipped() -> HolidayCalendar {
    match HolidayCalendar::from_toml("holidays.toml", SHIPPED) {
        Ok(cal) => cal,
        Err(errors) => panic!("shipped holidays.toml has errors:\n{}", render(&errors)),
    }
}

fn render(errors: &[CalendarError]) -> String {
    errors.iter().map(|e| format!("{e}\n")).collect()
}

fn notice(year: i32, first: NaiveDate, last: NaiveDate) -> HolidaySource {
    HolidaySource::Notice { year, first, last }
}

// === lunar dates ===

/// (month, day) in the Gregorian year.
type MonthDay = (u32, u32);

/// Published dates, 2020–2035: the Hong Kong Observatory's tables as reproduced in the
/// `holidays` Python library's Chinese calendar, cross-checked for Spring Festival against
/// other public lists and for 2025/2026 against the State Council notices.
const PUBLISHED: [(i32, MonthDay, MonthDay); 16] = [
    // year, Spring Festival (month, day), Mid-Autumn (month, day)
    (2020, (1, 25), (10, 1)),
    (2021, (2, 12), (9, 21)),
    (2022, (2, 1), (9, 10)),
    (2023, (1, 22), (9, 29)),
    (2024, (2, 10), (9, 17)),
    (2025, (1, 29), (10, 6)),
    (2026, (2, 17), (9, 25)),
    (2027, (2, 6), (9, 15)),
    (2028, (1, 26), (10, 3)),
    (2029, (2, 13), (9, 22)),
    (2030, (2, 3), (9, 12)),
    (2031, (1, 23), (10, 1)),
    (2032, (2, 11), (9, 19)),
    (2033, (1, 31), (9, 8)),
    (2034, (2, 19), (9, 27)),
    (2035, (2, 8), (9, 16)),
];

#[test]
fn lunar_holidays_match_published_dates() {
    for (year, (sm, sd), (mm, md)) in PUBLISHED {
        assert_eq!(
            spring_festival(year),
            Some(d(year, sm, sd)),
            "Spring Festival {year}"
        );
        assert_eq!(mid_autumn(year), Some(d(year, mm, md)), "Mid-Autumn {year}");
    }
}

#[test]
fn lunar_holidays_only_inside_data_range() {
    for year in [*LUNAR_YEARS.start(), *LUNAR_YEARS.end()] {
        assert!(spring_festival(year).is_some(), "{year}");
        assert!(mid_autumn(year).is_some(), "{year}");
    }
    for year in [
        LUNAR_YEARS.start() - 1,
        LUNAR_YEARS.end() + 1,
        i32::MIN,
        i32::MAX,
    ] {
        assert_eq!(spring_festival(year), None, "{year}");
        assert_eq!(mid_autumn(year), None, "{year}");
    }
}

#[test]
fn lunar_holidays_fall_in_their_season_every_year() {
    // A wrong year mapping (related ISO year off by one) would land outside these.
    for year in LUNAR_YEARS {
        let sf = spring_festival(year).expect("in range");
        assert!(
            d(year, 1, 21) <= sf && sf <= d(year, 2, 20),
            "Spring Festival {year}: {sf}"
        );
        let ma = mid_autumn(year).expect("in range");
        assert!(
            d(year, 9, 7) <= ma && ma <= d(year, 10, 8),
            "Mid-Autumn {year}: {ma}"
        );
    }
}

// === holiday_on ===

#[test]
fn notice_periods_win_over_computed_days() {
    use Holiday::*;
    let cal = shipped();
    let cases: [(NaiveDate, Option<(Holiday, HolidaySource)>); 18] = [
        // 2026: New Year is three days by notice, not just 1 Jan.
        (
            d(2026, 1, 1),
            Some((NewYear, notice(2026, d(2026, 1, 1), d(2026, 1, 3)))),
        ),
        (
            d(2026, 1, 3),
            Some((NewYear, notice(2026, d(2026, 1, 1), d(2026, 1, 3)))),
        ),
        (d(2026, 1, 4), None),
        // Spring Festival break starts two days before lunar 1/1.
        (d(2026, 2, 14), None),
        (
            d(2026, 2, 15),
            Some((SpringFestival, notice(2026, d(2026, 2, 15), d(2026, 2, 23)))),
        ),
        (
            d(2026, 2, 17),
            Some((SpringFestival, notice(2026, d(2026, 2, 15), d(2026, 2, 23)))),
        ),
        (
            d(2026, 2, 23),
            Some((SpringFestival, notice(2026, d(2026, 2, 15), d(2026, 2, 23)))),
        ),
        (
            d(2026, 5, 5),
            Some((LabourDay, notice(2026, d(2026, 5, 1), d(2026, 5, 5)))),
        ),
        (
            d(2026, 9, 27),
            Some((MidAutumn, notice(2026, d(2026, 9, 25), d(2026, 9, 27)))),
        ),
        (
            d(2026, 10, 7),
            Some((NationalDay, notice(2026, d(2026, 10, 1), d(2026, 10, 7)))),
        ),
        // A notice year: only its periods count.
        (d(2026, 10, 8), None),
        (d(2026, 6, 19), None), // Dragon Boat: a statutory holiday without a greeting.
        // 2025: one combined break; Mid-Autumn's own day wins inside it.
        (
            d(2025, 10, 1),
            Some((NationalDay, notice(2025, d(2025, 10, 1), d(2025, 10, 8)))),
        ),
        (
            d(2025, 10, 5),
            Some((NationalDay, notice(2025, d(2025, 10, 1), d(2025, 10, 8)))),
        ),
        (
            d(2025, 10, 6),
            Some((MidAutumn, notice(2025, d(2025, 10, 6), d(2025, 10, 6)))),
        ),
        (
            d(2025, 10, 8),
            Some((NationalDay, notice(2025, d(2025, 10, 1), d(2025, 10, 8)))),
        ),
        (
            d(2025, 1, 28),
            Some((SpringFestival, notice(2025, d(2025, 1, 28), d(2025, 2, 4)))),
        ),
        (d(2025, 1, 2), None),
    ];
    for (date, want) in cases {
        let got = cal.holiday_on(date).map(|m| (m.holiday, m.source));
        assert_eq!(got, want, "{date}");
    }
}

#[test]
fn years_without_notice_use_the_computed_day() {
    use Holiday::*;
    let cal = shipped();
    let cases: [(NaiveDate, Option<Holiday>); 12] = [
        (d(2031, 1, 1), Some(NewYear)),
        (d(2031, 1, 2), None),
        (d(2031, 1, 23), Some(SpringFestival)),
        (d(2031, 1, 24), None),
        (d(2031, 5, 1), Some(LabourDay)),
        (d(2031, 5, 2), None),
        // Mid-Autumn on 1 October: Mid-Autumn wins.
        (d(2031, 10, 1), Some(MidAutumn)),
        (d(2031, 10, 2), None),
        (d(2020, 10, 1), Some(MidAutumn)),
        (d(2027, 9, 15), Some(MidAutumn)),
        (d(2027, 10, 1), Some(NationalDay)),
        (d(2027, 2, 6), Some(SpringFestival)),
    ];
    for (date, want) in cases {
        let got = cal.holiday_on(date);
        assert_eq!(got.as_ref().map(|m| m.holiday), want, "{date}");
        if let Some(m) = got {
            assert_eq!(m.source, HolidaySource::Computed, "{date}");
        }
    }
}

#[test]
fn empty_calendar_uses_computed_days_for_every_year() {
    let cal = HolidayCalendar::default();
    assert!(cal.years_with_notice().is_empty());
    assert_eq!(cal.holiday_on(d(2026, 1, 3)), None);
    assert_eq!(
        cal.holiday_on(d(2026, 2, 17)),
        Some(HolidayMatch {
            holiday: Holiday::SpringFestival,
            source: HolidaySource::Computed
        })
    );
    // Beyond the lunar data only the fixed-date holidays are known.
    assert_eq!(
        cal.holiday_on(d(2101, 1, 1)).map(|m| m.holiday),
        Some(Holiday::NewYear)
    );
    assert_eq!(
        HolidayCalendar::from_toml("empty.toml", "").map(|c| c.years_with_notice()),
        Ok(vec![])
    );
}

#[test]
fn a_notice_governs_its_year_alone_and_may_start_in_december() {
    // The 2023 notice: 元旦 2022-12-31 to 2023-01-02; 中秋节、国庆节 9-29 to 10-6.
    let text = "\
[notice.2022]
national_day = { first = 2022-10-01, last = 2022-10-07 }

[notice.2023]
new_year = { first = 2022-12-31, last = 2023-01-02 }
national_day = { first = 2023-09-29, last = 2023-10-06 }
mid_autumn = { first = 2023-09-29, last = 2023-09-29 }
";
    let cal = HolidayCalendar::from_toml("t.toml", text)
        .map_err(|e| render(&e))
        .expect("valid");
    assert_eq!(cal.years_with_notice(), vec![2022, 2023]);
    let new_year = Some(HolidayMatch {
        holiday: Holiday::NewYear,
        source: notice(2023, d(2022, 12, 31), d(2023, 1, 2)),
    });
    // A listed year is governed by its notice alone: the 2022 entry above names only
    // National Day, so Labour Day and Mid-Autumn (2022-09-10) are not greeted.
    assert_eq!(cal.holiday_on(d(2022, 5, 1)), None);
    assert_eq!(cal.holiday_on(d(2022, 9, 10)), None);
    assert_eq!(
        cal.holiday_on(d(2022, 10, 1)).map(|m| m.holiday),
        Some(Holiday::NationalDay)
    );
    assert_eq!(cal.holiday_on(d(2022, 12, 30)), None);
    assert_eq!(cal.holiday_on(d(2022, 12, 31)), new_year);
    assert_eq!(cal.holiday_on(d(2023, 1, 2)), new_year);
    assert_eq!(
        cal.holiday_on(d(2023, 9, 29)).map(|m| m.holiday),
        Some(Holiday::MidAutumn)
    );
    assert_eq!(
        cal.holiday_on(d(2023, 9, 30)).map(|m| m.holiday),
        Some(Holiday::NationalDay)
    );
}

#[test]
fn holiday_match_explains_itself() {
    let cal = shipped();
    let cases = [
        (
            d(2026, 10, 3),
            "National Day: 2026 notice period 2026-10-01..2026-10-07",
        ),
        (
            d(2025, 10, 6),
            "Mid-Autumn: 2025 notice period 2025-10-06..2025-10-06",
        ),
        (
            d(2031, 10, 1),
            "Mid-Autumn: computed day (lunar 8/15), no notice for this year",
        ),
        (
            d(2031, 1, 23),
            "Spring Festival: computed day (lunar 1/1), no notice for this year",
        ),
        (
            d(2031, 1, 1),
            "New Year's Day: computed day (1 Jan), no notice for this year",
        ),
    ];
    for (date, want) in cases {
        let got = cal.holiday_on(date).map(|m| m.to_string());
        assert_eq!(got.as_deref(), Some(want), "{date}");
    }
}

// === local time and day parts ===

#[test]
fn holiday_and_day_part_follow_the_local_date() {
    let cal = shipped();
    let parts = DayParts::default();
    let cases = [
        // (UTC instant, local date, holiday there, day part there)
        (
            (2026, 2, 16, 23, 30, 0),
            d(2026, 2, 17),
            Some(Holiday::SpringFestival),
            DayPart::Morning,
        ),
        (
            (2026, 9, 30, 16, 0, 0),
            d(2026, 10, 1),
            Some(Holiday::NationalDay),
            DayPart::Morning,
        ),
        (
            (2026, 9, 30, 15, 59, 59),
            d(2026, 9, 30),
            None,
            DayPart::Evening,
        ),
        (
            (2026, 1, 3, 4, 0, 0),
            d(2026, 1, 3),
            Some(Holiday::NewYear),
            DayPart::Afternoon,
        ),
        (
            (2026, 1, 3, 16, 0, 0),
            d(2026, 1, 4),
            None,
            DayPart::Morning,
        ),
    ];
    for ((y, mo, da, h, mi, s), date, holiday, part) in cases {
        let at = Utc
            .with_ymd_and_hms(y, mo, da, h, mi, s)
            .single()
            .expect("valid instant");
        let local = local_time(at, Shanghai);
        assert_eq!(local.date_naive(), date, "{at}");
        assert_eq!(
            cal.holiday_on(local.date_naive()).map(|m| m.holiday),
            holiday,
            "{at}"
        );
        assert_eq!(parts.part_of(local.time()), part, "{at}");
    }
}

#[test]
fn day_part_boundaries() {
    let parts = DayParts::default();
    let cases = [
        (t(0, 0, 0), DayPart::Morning),
        (t(11, 59, 59), DayPart::Morning),
        (t(12, 0, 0), DayPart::Afternoon),
        (t(17, 59, 59), DayPart::Afternoon),
        (t(18, 0, 0), DayPart::Evening),
        (t(23, 59, 59), DayPart::Evening),
    ];
    for (time, want) in cases {
        assert_eq!(parts.part_of(time), want, "{time}");
    }
}

#[test]
fn day_parts_must_be_in_order() {
    let custom = DayParts::new(t(11, 0, 0), t(17, 0, 0)).expect("ordered");
    assert_eq!(custom.part_of(t(11, 0, 0)), DayPart::Afternoon);
    assert_eq!(custom.part_of(t(17, 0, 0)), DayPart::Evening);
    for (morning, afternoon) in [(t(12, 0, 0), t(12, 0, 0)), (t(18, 0, 0), t(12, 0, 0))] {
        let err = DayParts::new(morning, afternoon).expect_err("out of order");
        assert_eq!(err.location(), None);
        assert_eq!(
            err.to_string(),
            format!(
                "day parts: morning must end before afternoon, got morning until {morning} and afternoon until {afternoon}"
            )
        );
    }
}

// === the holidays file ===

#[test]
fn shipped_file_parses() {
    assert_eq!(shipped().years_with_notice(), vec![2025, 2026]);
}

#[test]
fn holiday_keys_round_trip() {
    #[derive(serde::Deserialize)]
    struct Wrapper {
        h: Vec<Holiday>,
    }
    let keys: Vec<String> = Holiday::ALL
        .iter()
        .map(|h| format!("{:?}", h.key()))
        .collect();
    let parsed: Wrapper =
        toml::from_str(&format!("h = [{}]", keys.join(", "))).expect("serde names = keys");
    assert_eq!(parsed.h, Holiday::ALL);
    for h in Holiday::ALL {
        assert_eq!(Holiday::from_key(h.key()), Some(h));
    }
    assert_eq!(Holiday::from_key("qingming"), None);
}

#[test]
fn broken_file_reports_every_problem_with_its_position() {
    let text = "\
# broken on purpose
[notice.2026]
new_year = { first = 2026-01-01, last = 2026-01-03 }
qingming = { first = 2026-04-04, last = 2026-04-06 }
labour_day = { first = 2026-05-05, last = 2026-05-01 }
mid_autumn = { first = 2026-09-25, lats = 2026-09-27 }
national_day = [{ first = 2026-10-01, last = 2026-10-07 }, { first = 2026-10-07, last = 2026-10-08 }]
spring_festival = { first = 2027-02-15, last = 2027-02-23 }

[notice.2025]
source = 2025
national_day = { first = 2025-10-01, last = 2025-10-08 }
mid_autumn = { first = 2025-10-06, last = 2025-10-09 }
new_year = { first = 2025-01-01T00:00:00, last = 2025-01-01 }
labour_day = \"2025-05-01..2025-05-05\"

[notice.26]

[notices.2027]
";
    let errors = HolidayCalendar::from_toml("holidays.toml", text).expect_err("broken");
    let want = [
        "holidays.toml:4:1: unknown holiday `qingming`, expected new_year, spring_festival, labour_day, mid_autumn, national_day, days_off, workdays or source",
        "holidays.toml:5:43: labour_day period ends on 2026-05-01, before it starts on 2026-05-05",
        "holidays.toml:6:14: missing `last` in notice.2026.mid_autumn",
        "holidays.toml:6:36: unknown key `lats`, expected `first` or `last`",
        "holidays.toml:7:60: national_day period 2026-10-07..2026-10-08 overlaps its period 2026-10-01..2026-10-07 on line 7",
        "holidays.toml:8:48: spring_festival period 2027-02-15..2027-02-23 is filed under 2026 but must end in 2026 and start no earlier than 2025-12-01",
        "holidays.toml:11:10: `notice.2025.source` must be a string, found integer",
        "holidays.toml:13:14: mid_autumn period 2025-10-06..2025-10-09 overlaps national_day period 2025-10-01..2025-10-08 on line 12; periods of different holidays may only overlap when the shorter lies inside the longer (the shorter one's greeting wins)",
        "holidays.toml:14:22: `first` must be a plain date such as 2026-10-01, without time or offset",
        "holidays.toml:15:14: `notice.2025.labour_day` must be a table { first = ..., last = ... } or an array of them, found string",
        "holidays.toml:17:9: `26` is not a year; a notice is filed under its year, e.g. [notice.2026]",
        "holidays.toml:19:2: unknown key `notices`, expected `notice`",
    ];
    let got: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(got, want, "\n{}", render(&errors));
}

#[test]
fn periods_must_belong_to_their_year() {
    let text = "\
[notice.2026]
new_year = { first = 2025-11-30, last = 2026-01-01 }
national_day = { first = 2026-10-01, last = 2027-01-01 }
";
    let got: Vec<String> = HolidayCalendar::from_toml("h.toml", text)
        .expect_err("misfiled")
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        got,
        [
            "h.toml:2:22: new_year period 2025-11-30..2026-01-01 is filed under 2026 but must end in 2026 and start no earlier than 2025-12-01",
            "h.toml:3:45: national_day period 2026-10-01..2027-01-01 is filed under 2026 but must end in 2026 and start no earlier than 2025-12-01",
        ]
    );
}

#[test]
fn equal_periods_of_different_holidays_are_ambiguous() {
    let text = "\
[notice.2025]
national_day = { first = 2025-10-01, last = 2025-10-08 }
mid_autumn = { first = 2025-10-01, last = 2025-10-08 }
";
    let errors = HolidayCalendar::from_toml("h.toml", text).expect_err("ambiguous");
    assert_eq!(errors.len(), 1, "{}", render(&errors));
    assert!(matches!(
        &errors[0],
        CalendarError::AmbiguousOverlap { at, holiday: "mid_autumn", other: "national_day", .. }
            if at.line == 3 && at.column == 14
    ));
}

#[test]
fn syntax_errors_carry_line_and_column() {
    let text = "\
[notice.2026]
source = \"国务院办公厅\"
new_year = { first = 2026-01-01, last = 2026-13-03 }
";
    let errors = HolidayCalendar::from_toml("holidays.toml", text).expect_err("bad date");
    assert_eq!(errors.len(), 1, "{}", render(&errors));
    let CalendarError::Syntax { at, message } = &errors[0] else {
        panic!("expected a syntax error, got {}", errors[0]);
    };
    assert_eq!((at.line, at.column), (3, 41), "{}", errors[0]);
    assert!(!message.is_empty());
    assert!(
        errors[0]
            .to_string()
            .starts_with("holidays.toml:3:41: TOML syntax: "),
        "{}",
        errors[0]
    );
}

#[test]
fn columns_count_characters_not_bytes() {
    // Multi-byte text before the error on the same line: counting bytes would give
    // columns 35 and 21 instead of 27 and 15.
    let text = "[notice.2026]\nnew_year = { \"说明\" = \"元旦\", frist = 2026-01-01, last = 2026-01-01 }\n";
    let errors = HolidayCalendar::from_toml("h.toml", text).expect_err("unknown keys");
    assert_eq!(
        errors.iter().map(ToString::to_string).collect::<Vec<_>>(),
        [
            "h.toml:2:12: missing `first` in notice.2026.new_year",
            "h.toml:2:14: unknown key `说明`, expected `first` or `last`",
            "h.toml:2:27: unknown key `frist`, expected `first` or `last`",
        ]
    );
    let text = "[notice.2026]\nsource = \"国务院\"; x = 1\n";
    let errors = HolidayCalendar::from_toml("h.toml", text).expect_err("syntax");
    let at = errors[0].location().expect("file error");
    assert_eq!((at.line, at.column), (2, 15), "{}", errors[0]);
}

#[test]
fn hh_mm_is_chronos_hour_and_minute() {
    for (h, m) in [(0, 0), (7, 5), (11, 59), (12, 0), (23, 59)] {
        let t = NaiveTime::from_hms_opt(h, m, 30).expect("a valid time");
        let text = super::hh_mm(t);
        assert_eq!(
            std::str::from_utf8(&text),
            Ok(&*t.format("%H:%M").to_string())
        );
    }
}
