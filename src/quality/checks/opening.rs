//! The opening (N2-N4) and the silent call (N5).

use super::{Call, Deduction, secs};
use crate::{
    calendar::{Holiday, HolidayCalendar},
    quality::{
        CallKind,
        rules::RuleId,
        transcript::{What, Who},
        words::{self, Words},
    },
};

pub(super) fn check(call: &Call, holidays: &HolidayCalendar, out: &mut Vec<Deduction>) {
    opening(call, holidays, out);
    silent_call(call, out);
}

fn opening(call: &Call, holidays: &HolidayCalendar, out: &mut Vec<Deduction>) {
    if call.transcript.truncated {
        return;
    }
    let within = call.rules.settings.opening_within_s;
    let Some((ix, w)) = call.says(Who::Agent).next() else {
        // Nothing said at all: only a call the agent said something on has an opening.
        if let Some(first) = call.events.first() {
            out.push(call.deduct_at(
                RuleId::OpeningMissing,
                first.t,
                String::new(),
                "the agent never spoke".into(),
            ));
        }
        return;
    };
    let t = call.events[ix].t;
    if t > within || !w.has(words::GREETING) {
        let why = if t > within {
            format!(
                "the agent's first words came at {}, later than {}",
                secs(t),
                secs(within)
            )
        } else {
            "the agent's first words are no greeting".into()
        };
        out.push(call.deduct(RuleId::OpeningMissing, ix, why));
        return;
    }
    let outbound = call
        .transcript
        .header
        .as_ref()
        .is_some_and(|h| h.kind == Some(CallKind::Outbound));
    let Some(start) = call.transcript.start else {
        return;
    };
    if outbound {
        return;
    }
    // The header's offset is the caller's local time: no zone needed.
    let local = start + chrono::Duration::milliseconds((t * 1000.0) as i64);
    let expected = match holidays.holiday_on(local.date_naive()) {
        // New Year's Day and Spring Festival share 新年好!.
        Some(m) if m.holiday == Holiday::SpringFestival => Expected::Holiday(Holiday::NewYear),
        Some(m) => Expected::Holiday(m.holiday),
        None if local.time() < call.rules.settings.morning_until => Expected::Morning,
        None => Expected::Plain,
    };
    let said = said(w);
    if said != expected {
        out.push(call.deduct(
            RuleId::OpeningWrongTime,
            ix,
            format!(
                "at {} local time the opening is {}; this one is {}",
                local.format("%Y-%m-%d %H:%M"),
                expected.describe(),
                said.describe()
            ),
        ));
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expected {
    Holiday(Holiday),
    Morning,
    Plain,
}

impl Expected {
    fn describe(self) -> String {
        match self {
            Expected::Holiday(Holiday::NewYear | Holiday::SpringFestival) => {
                "新年好! (Happy New Year)".into()
            }
            Expected::Holiday(Holiday::LabourDay) => "劳动节快乐! (Happy Labour Day)".into(),
            Expected::Holiday(Holiday::MidAutumn) => {
                "中秋节快乐! (Happy Mid-Autumn Festival)".into()
            }
            Expected::Holiday(Holiday::NationalDay) => "国庆节快乐! (Happy National Day)".into(),
            Expected::Morning => "早上好! (good morning)".into(),
            Expected::Plain => "您好! (hello)".into(),
        }
    }
}

/// Which opening a line is.
fn said(w: &Words) -> Expected {
    let holiday = [
        (words::NEW_YEAR, Holiday::NewYear),
        (words::LABOUR_DAY, Holiday::LabourDay),
        (words::MID_AUTUMN, Holiday::MidAutumn),
        (words::NATIONAL_DAY, Holiday::NationalDay),
    ]
    .into_iter()
    .find(|(markers, _)| w.has(*markers));
    match holiday {
        Some((_, h)) => Expected::Holiday(h),
        None if w.has(words::MORNING) => Expected::Morning,
        None => Expected::Plain,
    }
}

/// A caller who says nothing hears `silence_prompts` prompts about 5 s
/// apart before the agent hangs up 5 s after the last (N5, item 9).
fn silent_call(call: &Call, out: &mut Vec<Deduction>) {
    if call.caller_spoke() {
        return;
    }
    let Some(hangup) = call
        .events
        .iter()
        .position(|e| matches!(e.what, What::Hangup | What::Transfer(_)))
    else {
        return;
    };
    let e = &call.events[hangup];
    if e.who != Who::Agent || e.what != What::Hangup {
        return;
    }
    let s = &call.rules.settings;
    let prompts: Vec<usize> = call
        .says(Who::Agent)
        .map(|(i, _)| i)
        .filter(|i| *i < hangup)
        .collect();
    let mut times: Vec<f64> = prompts.iter().map(|i| call.events[*i].t).collect();
    times.push(e.t);
    let short_gap = times.windows(2).position(|w| w[1] - w[0] < s.silence_gap_s);
    let problem = if prompts.len() < s.silence_prompts {
        Some(format!(
            "the caller never spoke and the agent hung up after {} prompt{}; the norm needs {}, about 5 s apart",
            prompts.len(),
            if prompts.len() == 1 { "" } else { "s" },
            s.silence_prompts
        ))
    } else {
        short_gap.map(|g| {
            format!(
                "the caller never spoke; {} passed between {} and the next {}, less than {}",
                secs(times[g + 1] - times[g]),
                if g == 0 {
                    "the first prompt".to_owned()
                } else {
                    format!("prompt {}", g + 1)
                },
                if g + 1 == prompts.len() {
                    "the hang-up"
                } else {
                    "prompt"
                },
                secs(s.silence_gap_s)
            )
        })
    };
    if let Some(note) = problem {
        let evidence_ix = prompts.last().copied().unwrap_or(hangup);
        let evidence = super::evidence(&call.events[evidence_ix]);
        out.push(call.deduct_at(RuleId::SilentCall, e.t, evidence, note));
    }
}
