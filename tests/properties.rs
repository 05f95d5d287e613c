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

/// The shipped flows, compiled once for every case.
fn shipped() -> Vec<Arc<Flow>> {
    static FLOWS: std::sync::OnceLock<Vec<Arc<Flow>>> = std::sync::OnceLock::new();
    FLOWS.get_or_init(flows).clone()
}

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
    "silence_goodbye_spoken",
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

// === issue 25: questions, closings, callers who have spoken ===

/// Starts `flow` in `locale` (zh-CN, zh-TW, en by index).
fn start(flow: &Arc<Flow>, locale: u8) -> (CallMachine, Vec<Action>) {
    let mut machine = CallMachine::new(CallSetup {
        flow: flow.clone(),
        locale: locale % flow.locales().len() as u8,
        opening: flow.prompt_index("opening"),
        day_part: DayPart::Afternoon,
        variables: Default::default(),
        caller: "".into(),
        callee: "".into(),
        after_hours: false,
    });
    let mut out = Vec::new();
    machine.handle_at(Duration::ZERO, &Event::Start, &mut out);
    (machine, out)
}

fn speech(text: &str) -> Event {
    Event::Speech {
        text: text.into(),
        confidence: Some(0.9),
        intents: Vec::new(),
    }
}

fn said(actions: &[Action]) -> Vec<&str> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Say(s) => Some(&*s.prompt.id),
            Action::Listen { .. }
            | Action::Transfer { .. }
            | Action::Hangup(_)
            | Action::Lookup { .. }
            | Action::Record { .. } => None,
        })
        .collect()
}

/// The phrases of `intent` in `locale`.
fn phrases<'f>(flow: &'f Flow, intent: &str, locale: u8) -> Vec<&'f str> {
    let ix = flow.intent_index(intent).expect("the flow has the intent");
    flow.intents()[usize::from(ix)].phrases.per_locale[usize::from(locale)]
        .iter()
        .map(String::as_str)
        .collect()
}

/// Questions a caller asks back at a consent question: every yes and
/// person phrase asked ("可以吗?", "agent?"), how long, are you a person.
/// The second value is the answer the question must hear first, if any.
fn questions(flow: &Flow, locale: u8) -> Vec<(String, Option<&'static str>)> {
    let ask = if locale == 2 { "?" } else { "吗?" };
    let mut lines: Vec<(String, Option<&'static str>)> = ["yes", "agent"]
        .iter()
        .flat_map(|i| phrases(flow, i, locale))
        .map(|p| (format!("{p}{ask}"), None))
        .collect();
    let (how_long, human): (&[&str], &[&str]) = match locale {
        0 => (
            &["排队要多久?", "要等多久", "多长时间?"],
            &["是真人吗?", "你是机器吗?", "你是不是机器人"],
        ),
        1 => (
            &["排隊要多久?", "要等多久", "多長時間?"],
            &["是真人嗎?", "你是機器嗎?", "你是不是機器人"],
        ),
        _ => (
            &["how long?", "how long is the wait?"],
            &["are you a robot?", "am I talking to a person?"],
        ),
    };
    lines.extend(how_long.iter().map(|l| (l.to_string(), Some("wait"))));
    lines.extend(
        human
            .iter()
            .map(|l| (l.to_string(), Some("assistant_reply"))),
    );
    lines
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// At the transfer's and the hold's consent questions (N10, N11), a
    /// question is never a yes: no transfer, no hold, and a question about
    /// the wait or about a person hears its answer before the question.
    #[test]
    fn a_question_never_counts_as_consent(
        locale in 0u8..3,
        hold in any::<bool>(),
        picks in prop::collection::vec(any::<usize>(), 1..12),
    ) {
        let flow = shipped().remove(0);
        let lines = questions(&flow, locale);
        let (mut machine, _) = start(&flow, locale);
        let mut out = Vec::new();
        machine.handle_at(Duration::ZERO, &Event::Dtmf { digits: if hold { "4" } else { "0" }.into() }, &mut out);
        let question = if hold { "hold_ask" } else { "transfer_consent" };
        prop_assert_eq!(said(&out), vec![question]);
        for (k, pick) in picks.iter().enumerate() {
            let (line, answer) = &lines[pick % lines.len()];
            out.clear();
            machine.handle_at(Duration::from_secs(k as u64 + 1), &speech(line), &mut out);
            let words = said(&out);
            prop_assert!(
                !out.iter().any(|a| matches!(a, Action::Transfer { .. })) && !words.contains(&"hold_thanks"),
                "{line:?} counted as consent: {words:?}"
            );
            if k + 1 >= usize::from(flow.timing().consent_attempts) {
                // The bound: the question counted as no.
                break;
            }
            prop_assert_eq!(words.last(), Some(&question), "{:?}", line);
            if let Some(answer) = answer {
                let wanted = match (*answer, hold) {
                    ("wait", true) => "hold_wait",
                    ("wait", false) => "transfer_wait",
                    (a, _) => a,
                };
                prop_assert_eq!(words.first(), Some(&wanted), "{:?}", line);
            }
        }
    }

    /// After our goodbye (N12), the caller's goodbyes, thanks, yes, no,
    /// greetings and silence get nothing: no question, no prompt at all,
    /// and in the end the line left open, never the no-sound goodbye.
    #[test]
    fn a_goodbye_after_our_goodbye_never_gets_a_new_question(
        locale in 0u8..3,
        way in 0u8..3,
        picks in prop::collection::vec(any::<usize>(), 1..12),
    ) {
        let flow = shipped().remove(0);
        let fillers: Vec<&str> = ["goodbye", "thanks", "yes", "no", "greeting"]
            .iter()
            .flat_map(|i| phrases(&flow, i, locale))
            .collect();
        let bye = phrases(&flow, "goodbye", locale)[0];
        let (mut machine, _) = start(&flow, locale);
        let mut out = Vec::new();
        let mut now = Duration::ZERO;
        let mut send = |machine: &mut CallMachine, event: Event, out: &mut Vec<Action>| {
            now += Duration::from_secs(1);
            out.clear();
            machine.handle_at(now, &event, out);
        };
        if way == 0 {
            // A goodbye at the opening.
            send(&mut machine, speech(bye), &mut out);
        } else {
            send(&mut machine, Event::Dtmf { digits: "3".into() }, &mut out);
            send(&mut machine, Event::LookupResult {
                name: "bill".into(),
                ok: true,
                variables: [("amount".to_owned(), "58.50".to_owned())].into(),
            }, &mut out);
            let last = if way == 1 { speech(bye) } else { Event::NoInput };
            send(&mut machine, last, &mut out);
        }
        prop_assert_eq!(said(&out), vec!["goodbye"]);
        for pick in &picks {
            let line = fillers[pick % fillers.len()];
            send(&mut machine, speech(line), &mut out);
            // Nothing said; only the wait for the hang-up starts again.
            prop_assert_eq!(
                &out,
                &vec![Action::Listen { timeout: flow.timing().caller_hangup_wait }],
                "{:?} after our goodbye", line
            );
            prop_assert_eq!(machine.state(), CallState::AwaitingHangup);
        }
        send(&mut machine, Event::NoInput, &mut out);
        prop_assert_eq!(machine.ended(), Some(EndReason::LineLeftOpen));
    }

    /// A caller who has spoken is never hung up on for silence before the
    /// three silence prompts, and never after our goodbye: their silence
    /// there only waits for them to hang up (N5 is for calls with no
    /// sound, N12 for the close). Nor are they told their phone has no
    /// sound (`silence_goodbye`): their third prompt is
    /// `silence_goodbye_spoken`.
    #[test]
    fn a_caller_who_has_spoken_is_never_hung_up_on_for_silence_early(
        flow in 0usize..3,
        locale in 0u8..3,
        moves in prop::collection::vec((0usize..1000, any::<bool>()), 1..60),
    ) {
        let flow = shipped().remove(flow);
        let locale = locale % flow.locales().len() as u8;
        let mut lines: Vec<String> = ["goodbye", "thanks", "yes", "no", "greeting", "repeat"]
            .iter()
            .filter(|i| flow.intent_index(i).is_some())
            .flat_map(|i| phrases(&flow, i, locale))
            .map(str::to_owned)
            .collect();
        lines.extend(vocabulary(&flow));
        let (mut machine, _) = start(&flow, locale);
        let mut out = Vec::new();
        let mut now = Duration::ZERO;
        let mut silent_prompts = 0usize;
        // Our goodbye said, and no real request from the caller since.
        let mut closed = false;
        let mut spoke = false;
        let moves = moves.into_iter().chain(std::iter::repeat_n((0, true), 50));
        for (pick, quiet) in moves {
            if machine.ended().is_some() {
                break;
            }
            let event = if quiet { Event::NoInput } else { speech(&lines[pick % lines.len()]) };
            now += Duration::from_secs(6);
            out.clear();
            machine.handle_at(now, &event, &mut out);
            let real = machine
                .understood()
                .iter()
                .any(|i| !["goodbye", "thanks", "yes", "no", "greeting", "repeat"].contains(&&**i));
            if !quiet && real {
                closed = false;
            }
            let words = said(&out);
            spoke |= !quiet;
            prop_assert!(
                !(spoke && words.contains(&"silence_goodbye")),
                "a caller who has spoken heard {:?}", words
            );
            if quiet {
                prop_assert!(
                    !(closed && words.iter().any(|w| w.starts_with("silence_"))),
                    "after our goodbye, silence heard {:?} ({:?})", words, machine.state_name()
                );
                if !words.is_empty() {
                    silent_prompts += 1;
                }
            } else {
                silent_prompts = 0;
            }
            if out.iter().any(|a| matches!(a, Action::Hangup(EndReason::Silence))) {
                prop_assert!(!closed, "hung up for silence after our goodbye");
                prop_assert!(
                    silent_prompts >= usize::from(flow.timing().silence_prompts) - 1,
                    "hung up for silence after {} silence prompts", silent_prompts
                );
            }
            if words.contains(&"goodbye") {
                closed = true;
            }
        }
    }
}
