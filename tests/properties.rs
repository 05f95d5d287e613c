//! Property test: random callers on the shipped flows.
//!
//! Random event sequences (speech from a vocabulary of every intent phrase
//! plus near misses, keys and whole number entries, silence, audio
//! trouble, transfer and recording results, hang-ups) drive the call
//! machine on simulated time, and every call must
//! keep the norms' promises:
//!
//! - it ends within the flow's `max_call_ms` of simulated time;
//! - we never hang up without a goodbye (only the caller may);
//! - no transfer without a yes to the consent question just asked (N10);
//! - no silence hang-up before three silence prompts 5 s apart (N5);
//! - a ticket number is said whenever a ticket is promised (N17);
//! - every menu and collect step leads on within its `attempts` invalid
//!   answers;
//! - keys of one step never act at another: at a menu, a key it does not
//!   have keeps the call there (or leads to `exhausted`).
//!
//! Besides the shipped flows, the machine tests' operator IVR
//! (`src/call/tests/ivr.toml`) brings menus and digit entry.

use std::{sync::Arc, time::Duration};

use callscript::{
    calendar::DayPart,
    call::{Action, AudioKind, CallMachine, CallSetup, CallState, EndReason, Event},
    flow::{Flow, KeyPress, MenuKey, StepKind, compile_source},
};
use proptest::prelude::*;

/// Words near the intents' phrases that must not be mistaken for them.
const NEAR_MISSES: &[&str] = &[
    "不好意思",
    "没关系",
    "不客气",
    "好不好",
    "是不是",
    "行不行",
    "可不可以",
    "但是",
    "只好",
    "你好吗",
    "工号是多少",
    "巴拉巴拉",
    "我的宽带坏了",
    "know",
    "yesterday",
    "nothing",
    "blah blah",
    "",
];

fn flows() -> Vec<Arc<Flow>> {
    let root = env!("CARGO_MANIFEST_DIR");
    ["hotline", "outbound", "menu"]
        .iter()
        .map(|name| {
            let path = format!("{root}/flows/{name}.toml");
            let text = std::fs::read_to_string(&path).expect("shipped flow");
            Arc::new(compile_source(&path, &text).expect("shipped flow compiles"))
        })
        .chain([Arc::new(
            compile_source("ivr.toml", include_str!("../src/call/tests/ivr.toml"))
                .expect("the IVR test flow compiles"),
        )])
        .collect()
}

/// The step a call is at, as its index.
fn step_at(flow: &Flow, machine: &CallMachine) -> Option<usize> {
    let id = machine.step()?;
    flow.steps().iter().position(|s| &s.id == id)
}

/// The IVR invariants for one event at `before` (the step the call was
/// at): a menu or collect step says its `invalid` prompt fewer than
/// `attempts` times in a row, and a key a menu lacks never leads to a
/// step other than the menu itself or its `exhausted`.
fn check_ivr(
    flow: &Flow,
    before: Option<usize>,
    after: Option<usize>,
    event: &Event,
    actions: &[Action],
    invalid_in_a_row: &mut u8,
) -> Result<(), String> {
    let Some(at) = before else { return Ok(()) };
    // Only menus and entries count invalid answers.
    let kind = &flow.steps()[at].kind;
    let (invalid, attempts) = if let StepKind::Menu(m) = kind {
        (m.invalid, m.attempts)
    } else if let StepKind::Collect(c) = kind {
        (c.invalid, c.attempts)
    } else {
        *invalid_in_a_row = 0;
        return Ok(());
    };
    if before != after {
        *invalid_in_a_row = 0;
    }
    let invalid_id = &flow.prompt(invalid).id;
    let said_invalid = actions
        .iter()
        .any(|a| matches!(a, Action::Say(s) if &s.prompt.id == invalid_id));
    if said_invalid && before == after {
        *invalid_in_a_row += 1;
        if *invalid_in_a_row >= attempts {
            return Err(format!(
                "step {:?} said {invalid_id:?} {invalid_in_a_row} times in a row with attempts = {attempts}",
                flow.steps()[at].id
            ));
        }
    }
    if let (StepKind::Menu(m), Event::Dtmf { digits }) = (&flow.steps()[at].kind, event)
        && m.key(digits) == KeyPress::Invalid
        && let Some(to) = after
        && to != at
        && to != usize::from(m.exhausted)
        && !m
            .keys
            .iter()
            .any(|(_, k)| matches!(k, MenuKey::Step(s) if usize::from(*s) == to))
    {
        return Err(format!(
            "key {digits:?}, which menu {:?} lacks, led to {:?}",
            flow.steps()[at].id,
            flow.steps()[to].id
        ));
    }
    Ok(())
}

/// Every phrase of every intent in every locale, then the near misses.
fn vocabulary(flow: &Flow) -> Vec<String> {
    let mut words: Vec<String> = flow
        .intents()
        .iter()
        .flat_map(|i| i.phrases.per_locale.iter().flatten().cloned())
        .collect();
    // Phrases said together, as callers do.
    let pairs: Vec<String> = words
        .iter()
        .zip(words.iter().rev())
        .take(20)
        .map(|(a, b)| format!("{a},{b}"))
        .collect();
    words.extend(pairs);
    words.extend(NEAR_MISSES.iter().map(|s| s.to_string()));
    words
}

/// One thing the caller (or the line) does, after `delay_ms`.
#[derive(Debug, Clone)]
enum Move {
    Say(usize, bool),
    Keys(&'static str),
    Silence,
    Audio(AudioKind),
    Transfer(bool),
    /// The front-end's answer to a recording, made or not.
    Recording(bool),
    HangUp,
}

fn a_move() -> impl Strategy<Value = (Move, u64)> {
    let m = prop_oneof![
        6 => (any::<usize>(), prop::bool::weighted(0.9)).prop_map(|(i, clear)| Move::Say(i, clear)),
        2 => prop::sample::select(vec![
            "0", "1", "2", "3", "4", "9", "#", "*", "21", "13800138000#", "23800138000", "138#"
        ])
        .prop_map(Move::Keys),
        4 => Just(Move::Silence),
        2 => prop::sample::select(vec![
            AudioKind::Weak,
            AudioKind::Noisy,
            AudioKind::NoAudio,
            AudioKind::UnknownLanguage
        ])
        .prop_map(Move::Audio),
        1 => any::<bool>().prop_map(Move::Transfer),
        1 => any::<bool>().prop_map(Move::Recording),
        1 => Just(Move::HangUp),
    ];
    (m, 0u64..20_000)
}

/// What the checks need to know of the call so far.
#[derive(Default)]
struct Seen {
    /// The last prompt said, by id.
    last_said: Option<Arc<str>>,
    /// Arrival times of the events, and whether each was silence.
    events: Vec<(Duration, bool)>,
}

/// The prompts after which we may hang up.
const GOODBYES: &[&str] = &[
    "silence_goodbye",
    "polite_close",
    "nuisance_goodbye",
    "goodbye",
];

fn promises_ticket(text: &str) -> bool {
    text.contains("服务单号")
        || text.contains("服務單號")
        || text.to_ascii_lowercase().contains("ticket number")
}

/// Checks one turn against the invariants; `Err` says which broke.
fn check_turn(
    flow: &Flow,
    machine: &CallMachine,
    seen: &mut Seen,
    event: &Event,
    actions: &[Action],
) -> Result<(), String> {
    let asked = seen.last_said.clone();
    for action in actions {
        match action {
            Action::Say(say) => {
                let text = say.text();
                if promises_ticket(text) && !text.chars().any(|c| c.is_ascii_digit()) {
                    return Err(format!("a ticket promised without a number: {text}"));
                }
                seen.last_said = Some(say.prompt.id.clone());
            }
            Action::Transfer { .. } => {
                let consent = asked.as_deref().is_some_and(|p| p.contains("consent"));
                let yes = machine
                    .understood()
                    .iter()
                    .any(|i| &**i == "yes" || &**i == "agent");
                if !consent || !yes {
                    return Err(format!(
                        "transfer after {asked:?} on {event:?} (understood {:?})",
                        machine.understood()
                    ));
                }
            }
            Action::Hangup(reason) => {
                let last = seen.last_said.as_deref().unwrap_or("");
                if !GOODBYES.contains(&last) {
                    return Err(format!("hung up ({reason:?}) after {last:?}, no goodbye"));
                }
                if *reason == EndReason::Silence {
                    let n = usize::from(flow.timing().silence_prompts);
                    let tail = &seen.events[seen.events.len().saturating_sub(n)..];
                    let five_s_apart = seen.events.len() > n
                        && tail.iter().all(|(_, silent)| *silent)
                        && seen.events[seen.events.len() - n - 1..]
                            .windows(2)
                            .all(|w| w[1].0 - w[0].0 >= flow.timing().no_input);
                    if !five_s_apart {
                        return Err(format!(
                            "silence hang-up without {n} silence prompts 5 s apart"
                        ));
                    }
                }
            }
            Action::Listen { .. } | Action::Lookup { .. } | Action::Record { .. } => {}
        }
    }
    Ok(())
}

/// Runs one random call to its end; `Err` names the broken promise.
fn run(flow: Arc<Flow>, locale: u8, moves: &[(Move, u64)]) -> Result<(), String> {
    let locale = locale % flow.locales().len() as u8;
    let mut invalid_in_a_row = 0;
    let vocab = vocabulary(&flow);
    let max = flow.timing().max_call;
    let opening = flow.prompt_index("opening");
    let mut machine = CallMachine::new(CallSetup {
        flow: flow.clone(),
        locale,
        opening,
        day_part: DayPart::Afternoon,
        variables: Default::default(),
        caller: "".into(),
        callee: "".into(),
        after_hours: false,
    });
    let mut seen = Seen::default();
    let mut now = Duration::ZERO;
    let mut out = Vec::new();
    machine.handle_at(now, &Event::Start, &mut out);
    seen.events.push((now, false));
    check_turn(&flow, &machine, &mut seen, &Event::Start, &out)?;
    let mut listen = listen_of(&out);
    // After the random moves, the caller says nothing more: every call must
    // still end.
    let rest = std::iter::repeat((Move::Silence, 0));
    for (m, delay) in moves.iter().cloned().chain(rest).take(moves.len() + 2000) {
        if machine.ended().is_some() {
            break;
        }
        let transferring = machine.state() == CallState::Transferring;
        let (event, at) = match (m, listen) {
            _ if transferring => (Event::transferred(delay % 2 == 0), now),
            (Move::Silence, Some(t)) => (Event::NoInput, now + t),
            (_, Some(t)) if Duration::from_millis(delay) >= t => (Event::NoInput, now + t),
            (Move::Silence, None) => (Event::NoInput, now + Duration::from_millis(delay)),
            (Move::Say(i, clear), _) => (
                Event::Speech {
                    text: vocab[i % vocab.len()].clone(),
                    confidence: Some(if clear { 0.9 } else { 0.2 }),
                    intents: Vec::new(),
                },
                now + Duration::from_millis(delay),
            ),
            (Move::Keys(k), _) => (
                Event::Dtmf { digits: k.into() },
                now + Duration::from_millis(delay),
            ),
            (Move::Audio(kind), _) => (Event::Audio(kind), now + Duration::from_millis(delay)),
            (Move::Transfer(c), _) => (Event::transferred(c), now + Duration::from_millis(delay)),
            (Move::Recording(ok), _) => (
                Event::RecordingResult {
                    ok,
                    recording: if ok {
                        "rec/1.wav".into()
                    } else {
                        String::new()
                    },
                    duration: Duration::from_millis(delay),
                },
                now + Duration::from_millis(delay),
            ),
            (Move::HangUp, _) => (Event::CallerHangup, now + Duration::from_millis(delay)),
        };
        now = at;
        out.clear();
        let before = step_at(&flow, &machine);
        machine.handle_at(now, &event, &mut out);
        check_ivr(
            &flow,
            before,
            step_at(&flow, &machine),
            &event,
            &out,
            &mut invalid_in_a_row,
        )?;
        // An event the call ignored (a stray transfer result) changed
        // nothing; the silence rule is about the events it answered.
        if !out.is_empty() {
            seen.events.push((now, event == Event::NoInput));
        }
        check_turn(&flow, &machine, &mut seen, &event, &out)?;
        if let Some(t) = listen_of(&out) {
            listen = Some(t);
        } else if out.iter().any(|a| matches!(a, Action::Transfer { .. })) {
            listen = None;
        }
    }
    let Some(reason) = machine.ended() else {
        return Err(format!("the call never ended ({})", machine.state_name()));
    };
    if reason != EndReason::Transferred && now > max {
        return Err(format!(
            "ended ({reason:?}) at {now:?}, past max_call_ms {max:?}"
        ));
    }
    Ok(())
}

fn listen_of(actions: &[Action]) -> Option<Duration> {
    actions.iter().find_map(|a| match a {
        Action::Listen { timeout } => Some(*timeout),
        _ => None,
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn random_callers_get_the_norms(
        flow in 0usize..4,
        locale in 0u8..3,
        moves in prop::collection::vec(a_move(), 0..400),
    ) {
        let flows = flows();
        let result = run(flows[flow].clone(), locale, &moves);
        prop_assert!(result.is_ok(), "{}", result.unwrap_err());
    }
}

/// The property test can fail: a call that hangs up on silence at once
/// breaks N5, and the check says so.
#[test]
fn the_checks_catch_a_silence_hang_up_without_prompts() {
    let flow = flows().remove(0);
    let machine = CallMachine::new(CallSetup {
        flow: flow.clone(),
        locale: 0,
        opening: None,
        day_part: DayPart::Afternoon,
        variables: Default::default(),
        caller: "".into(),
        callee: "".into(),
        after_hours: false,
    });
    let mut seen = Seen {
        last_said: Some("silence_goodbye".into()),
        events: vec![(Duration::ZERO, false), (Duration::from_secs(5), true)],
    };
    let err = check_turn(
        &flow,
        &machine,
        &mut seen,
        &Event::NoInput,
        &[Action::Hangup(EndReason::Silence)],
    )
    .expect_err("one silence is not three");
    assert!(err.contains("3 silence prompts"), "{err}");
    let mut seen = Seen::default();
    let err = check_turn(
        &flow,
        &machine,
        &mut seen,
        &Event::NoInput,
        &[Action::Hangup(EndReason::LineLeftOpen)],
    )
    .expect_err("no goodbye said");
    assert!(err.contains("no goodbye"), "{err}");
}
