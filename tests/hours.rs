//! Business hours: the calendar's official days off and make-up working
//! days (调休上班), a flow's opening hours, `callscript greeting --at`
//! saying open or closed and why, and `check`'s advisory when next year's
//! holiday notice is missing, on both sides of 1 December.

use std::path::Path;

use callscript::{
    calendar::{DayKind, HolidayCalendar},
    cli::{self, Format},
    flow::FlowRegistry,
};
use chrono::{DateTime, NaiveDate, Utc};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn shipped_calendar() -> HolidayCalendar {
    let text = std::fs::read_to_string(root().join("flows/holidays.toml")).expect("holidays.toml");
    HolidayCalendar::from_toml("holidays.toml", &text).expect("the shipped calendar parses")
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("a date")
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("RFC 3339")
        .with_timezone(&Utc)
}

#[test]
fn the_2026_notice_gives_days_off_and_make_up_working_days() {
    let cal = shipped_calendar();
    // The make-up working days of the 2026 notice, weekends all.
    for d in [
        "2026-01-04",
        "2026-02-14",
        "2026-02-28",
        "2026-05-09",
        "2026-09-20",
        "2026-10-10",
    ] {
        assert_eq!(
            cal.day_kind(date(d)),
            DayKind::MakeUpWorkday { year: 2026 },
            "{d}"
        );
    }
    // Days off: a greeting holiday's period, and 清明节 / 端午节.
    for d in ["2026-10-01", "2026-02-23", "2026-04-06", "2026-06-19"] {
        assert!(
            matches!(cal.day_kind(date(d)), DayKind::DayOff { .. }),
            "{d}"
        );
    }
    assert_eq!(cal.day_kind(date("2026-11-23")), DayKind::Ordinary);
}

#[test]
fn a_make_up_day_that_is_also_off_is_an_error_with_its_position() {
    let text = "[notice.2026]\nnational_day = { first = 2026-10-01, last = 2026-10-07 }\nworkdays = [2026-10-03]\ndays_off = [2025-04-05]\n";
    let errors: Vec<String> = HolidayCalendar::from_toml("h.toml", text)
        .expect_err("refused")
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        errors,
        [
            "h.toml:1:1: 2026-10-03 is both a make-up working day and a day off",
            "h.toml:4:13: 2025-04-05 in `notice.2026.days_off` is not in 2026, the year of the notice",
        ]
    );
}

#[test]
fn the_hotline_is_open_or_closed_by_the_rule_that_decides() {
    let flows = FlowRegistry::load_dir(root().join("flows"), None).expect("shipped flows");
    let hotline = flows.get("hotline").expect("hotline");
    let holidays = flows.holidays();
    let cases = [
        // A weekday, inside and outside its hours.
        (
            "2026-11-23T20:30:00+08:00",
            true,
            "Mon hours 08:00-21:00 at 20:30",
        ),
        (
            "2026-11-23T21:30:00+08:00",
            false,
            "Mon hours 08:00-21:00 at 21:30",
        ),
        // A weekend.
        (
            "2026-11-28T08:30:00+08:00",
            false,
            "Sat hours 09:00-18:00 at 08:30",
        ),
        // An official day off on a weekday (National Day, a Thursday).
        (
            "2026-10-01T08:30:00+08:00",
            false,
            "2026-10-01 is an official day off (National Day: 2026 notice period 2026-10-01..2026-10-07): days_off hours 09:00-18:00",
        ),
        // A make-up working day on a Saturday: weekday hours.
        (
            "2026-02-14T08:30:00+08:00",
            true,
            "2026-02-14 (Sat) is a make-up working day (调休上班) of the 2026 notice: weekday hours 08:00-21:00 (Mon's)",
        ),
    ];
    for (when, open, rule) in cases {
        let h = hotline
            .hours_at(at(when), &holidays)
            .expect("the hotline has hours");
        assert_eq!((h.open, h.rule.as_str()), (open, rule), "{when}");
    }
    // The outbound flow has no [hours]: always open.
    let outbound = flows.get("outbound").expect("outbound");
    assert_eq!(
        outbound.hours_at(at("2026-11-23T03:00:00+08:00"), &holidays),
        None
    );
}

#[test]
fn greeting_at_says_open_or_closed_and_the_rule() {
    let mut out = Vec::new();
    let code = cli::greeting(
        "hotline",
        Some("2026-02-14T08:30:00+08:00"),
        &root().join("flows"),
        &mut out,
    )
    .expect("no I/O error");
    let out = String::from_utf8(out).expect("utf-8");
    assert_eq!(code, 0);
    assert!(
        out.contains("hours:  open: 2026-02-14 (Sat) is a make-up working day (调休上班) of the 2026 notice: weekday hours 08:00-21:00 (Mon's)\n"),
        "{out}"
    );
    let mut out = Vec::new();
    cli::greeting(
        "hotline",
        Some("2026-11-23T03:00:00+08:00"),
        &root().join("flows"),
        &mut out,
    )
    .expect("no I/O error");
    let out = String::from_utf8(out).expect("utf-8");
    assert!(
        out.contains("hours:  closed: Mon hours 08:00-21:00 at 03:00\n"),
        "{out}"
    );
}

/// `check --strict flows` as if today were `today`.
fn check_on(today: &str) -> (i32, String) {
    let mut out = Vec::new();
    let code = cli::check_on(
        &[root().join("flows")],
        true,
        Format::Text,
        date(today),
        &mut out,
    )
    .expect("no I/O error");
    (code, String::from_utf8(out).expect("utf-8"))
}

#[test]
fn a_missing_next_year_notice_is_an_advisory_from_1_december_that_strict_does_not_fail() {
    // 30 November: nothing to say yet.
    let (code, out) = check_on("2026-11-30");
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("advisory"), "{out}");
    // 1 December: the advisory, with the date; --strict still passes.
    let (code, out) = check_on("2026-12-01");
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("holidays.toml: advisory: no notice for 2027 yet (today is 2026-12-01): add [notice.2027] when the State Council publishes it"),
        "{out}"
    );
    assert!(out.ends_with("0 errors, 0 warnings\n"), "{out}");
    // A year whose next notice is in the file has nothing to say.
    let (_, out) = check_on("2025-12-01");
    assert!(!out.contains("advisory"), "{out}");
}

#[test]
fn bad_opening_hours_are_errors_with_their_position() {
    let hotline = std::fs::read_to_string(root().join("flows/hotline.toml")).expect("hotline");
    let text = hotline.replacen(
        "mon-fri = \"08:00-21:00\"\nsat-sun = \"09:00-18:00\"",
        "mon-fry = \"08:00-21:00\"\nsat-sun = \"18:00-09:00\"",
        1,
    );
    assert_ne!(text, hotline, "the edit applies");
    let (flow, diags) = callscript::flow::check_source("t.toml", &text);
    assert!(flow.is_none());
    let line = |needle: &str| {
        text.lines()
            .position(|l| l.starts_with(needle))
            .expect("the edited line")
            + 1
    };
    let got: Vec<String> = diags.0.iter().map(ToString::to_string).collect();
    assert_eq!(
        got,
        [
            format!(
                "t.toml:{}:1: error: \"mon-fry\" is not a day or a range of days (mon, tue, wed, thu, fri, sat, sun, e.g. \"mon-fri\"), nor `days_off` or `after_hours`",
                line("mon-fry")
            ),
            format!(
                "t.toml:{}:11: error: \"18:00-09:00\" is not opening hours: write \"HH:MM-HH:MM\" (opening before closing) or \"closed\"",
                line("sat-sun")
            ),
        ]
    );
}
