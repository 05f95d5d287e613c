//! Scenario files: a call written down as the caller's events and the turns
//! the service must answer with, checked against a real [`Engine`].
//!
//! A script designer writes one TOML file per call, read top to bottom like
//! the call itself (vector's `tests/behavior/` is the model):
//!
//! ```toml
//! title = "N5: a silent caller hears three prompts, 5 s apart"
//! flow = "hotline"
//! locale = "zh-CN"
//! at = "2026-11-23T15:00:00+08:00"   # a Monday afternoon: the plain opening
//!
//! [[step]]
//! expect = ["您好,XX欢迎您的来电,请问有什么可以帮您?"]
//! listen_ms = 5000
//!
//! [[step]]
//! silence = true                     # let the no-input timer run out
//!
//! [[step]]
//! expect = ["silence_reprompt"]      # a prompt id works as well as its text
//! at_ms = 5000
//!
//! [end]
//! reason = "silence"
//! ```
//!
//! One file can run the same call in several locales: it lists
//! `locales = ["zh-CN", "zh-TW", "en"]`, expects prompts by id, and keeps
//! what the caller says apart from the steps, one line per locale:
//!
//! ```toml
//! locales = ["zh-CN", "en"]
//!
//! [words.agent]                      # the caller's input, per locale
//! zh-CN = "我要转人工"
//! en = "I want to speak to an agent"
//!
//! [[step]]
//! words = "agent"                    # says the line in the run's locale
//!
//! [[step]]
//! expect = ["transfer_consent"]
//! ```
//!
//! The exact wording of every prompt is then checked once per locale (the
//! wording files under `tests/wording/`), not in every scenario.
//!
//! A step is either something the caller does (`say`, `words`, `dtmf`,
//! `silence`, `audio`, `hangup`, `transfer`, optionally after `wait`) or an expectation
//! of the next turn the service produced (`expect` and friends). Every turn
//! that says or does something must be expected, in order: a turn nobody
//! expected fails the scenario at the next caller step.
//!
//! The runner drives the call in streamed mode, so the engine's own timers
//! produce the silence prompts. It never sleeps on its own: `silence` waits
//! for the engine's next timer, and `wait` is a `tokio::time::sleep`. Under a
//! paused clock (`#[tokio::test(start_paused = true)]`) both take no real
//! time; on a real clock they take as long as the call would.
//!
//! Knows nothing of gRPC.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

use chrono::{DateTime, Utc};
use serde::Deserialize;
use tokio::sync::mpsc;

mod caller;
mod data;
mod locales;

pub use data::{RecordingField, ResultField};

pub use locales::{Transcripts, Wording, check_wording, per_locale};

pub use crate::transcript::{Line, TranscriptText};
use crate::{
    call::{Action, EndReason},
    engine::{Engine, EngineSettings, StartCall},
    flow::FlowRegistry,
    transcript::{CallRecord, EntryKind, TurnView, transcript_lines},
};
use caller::{CallerAct, parse_step};

/// How long `silence` waits for a server timer before giving up. Only a call
/// with no timer armed gets anywhere near it.
pub(crate) const SILENCE_LIMIT: Duration = Duration::from_secs(3600);

/// One scenario file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// What the scenario shows, for people and failure messages.
    #[serde(default)]
    pub title: String,
    /// The flow id (as loaded from `flows/`).
    pub flow: String,
    /// RFC 3339; chooses the opening (N2-N4). Defaults to now.
    pub at: Option<String>,
    /// Defaults to the flow's first locale.
    pub locale: Option<String>,
    /// Run the scenario once in each of these locales (instead of `locale`).
    #[serde(default)]
    pub locales: Vec<String>,
    /// What the caller says, by name, with the text per locale.
    #[serde(default)]
    pub words: BTreeMap<String, BTreeMap<String, String>>,
    /// The call's own variables, as StartCall gives them.
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    /// The front-end reports `prompt_played` (then a `played` step does).
    #[serde(default)]
    pub reports_playback: bool,
    /// Texts that must never be said anywhere in the call (N13).
    #[serde(default)]
    pub never_say: Vec<String>,
    #[serde(default, rename = "step")]
    pub steps: Vec<ScenarioStep>,
    /// Checked once every step has run.
    pub end: Option<End>,
}

/// One line of a scenario: a caller event or an expected turn.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioStep {
    // --- the caller ---
    /// Let this much time pass before the caller's event ("3s", "500ms").
    pub wait: Option<String>,
    /// The caller's words, as the recogniser heard them.
    pub say: Option<String>,
    /// The caller says the `[words]` line of this name, in the run's locale.
    pub words: Option<String>,
    /// Recogniser confidence for `say`; below the flow's threshold is unclear.
    pub confidence: Option<f32>,
    /// The front-end's own understanding of `say`/`words`: intent names
    /// with their confidence, e.g. `intents = { bill = 0.9 }`.
    #[serde(default)]
    pub intents: BTreeMap<String, f32>,
    pub dtmf: Option<String>,
    /// Say nothing and let the server's no-input (or hold) timer run out.
    #[serde(default)]
    pub silence: bool,
    /// "weak", "noisy", "no_audio" or "unknown_language".
    pub audio: Option<String>,
    #[serde(default)]
    pub hangup: Option<HangupField>,
    /// As a caller event: "connected" or "failed". As an expectation: the
    /// transfer target.
    pub transfer: Option<String>,
    /// Per-call variables set mid-call (a `data` event).
    pub data: Option<BTreeMap<String, String>>,
    /// The front-end's answer to a lookup.
    pub lookup_result: Option<ResultField>,
    /// The end of a hold, from the front-end or the back office.
    pub hold_result: Option<ResultField>,
    /// The front-end's recording: `{ ok = true, recording = "vm/1.wav" }`.
    pub recording_result: Option<RecordingField>,
    /// The front-end reports the last turn's prompts played.
    #[serde(default)]
    pub played: bool,
    /// The front-end reports the caller began speaking or keying: the
    /// no-input timer waits for the input to end.
    #[serde(default)]
    pub input_started: bool,

    // --- the service's next turn ---
    /// The lookup the turn asks the front-end for.
    pub lookup: Option<String>,
    /// The variable a recording the turn asks for goes into.
    pub record: Option<String>,
    /// Prompt ids or exact texts, in the order they are said.
    pub expect: Option<Vec<String>>,
    /// The call machine's state after the turn ("listening", "closing", …).
    pub state: Option<String>,
    /// The flow step after the turn.
    #[serde(rename = "in")]
    pub in_step: Option<String>,
    pub listen_ms: Option<u64>,
    /// Time of the turn since the call started.
    pub at_ms: Option<u64>,
    /// Whether the turn ends the call.
    pub ended: Option<bool>,
}

/// `hangup = true` (the caller hangs up) or `hangup = "silence"` (the turn
/// hangs up with this reason).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum HangupField {
    Caller(bool),
    Reason(String),
}

/// Checks after the last step.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct End {
    /// An `EndReason` ("caller_hangup", "silence", …) or "live".
    pub reason: String,
    /// Offsets (ms) of every turn of the call, in order.
    pub turns_at_ms: Option<Vec<u64>>,
}

/// Why a scenario failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}{}: {message}", file.display(), step.map(|s| format!(": step {s}")).unwrap_or_default())]
pub struct ScenarioFailure {
    pub file: PathBuf,
    /// 1-based; `None` for the file as a whole.
    pub step: Option<usize>,
    pub message: String,
}

/// Reads and parses a scenario file.
pub fn load(path: &Path) -> Result<Scenario, ScenarioFailure> {
    let fail = |message: String| ScenarioFailure {
        file: path.to_owned(),
        step: None,
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| fail(format!("cannot read: {e}")))?;
    toml::from_str(&text).map_err(|e| fail(e.to_string()))
}

/// Loads `path` and runs it against `flows` (see [`run`]), once per locale
/// it lists.
pub async fn run_scenario(
    flows: Arc<FlowRegistry>,
    path: &Path,
) -> Result<Transcripts, ScenarioFailure> {
    let scenario = load(path)?;
    let mut out = Vec::new();
    for one in per_locale(&scenario).map_err(|message| ScenarioFailure {
        file: path.to_owned(),
        step: None,
        message,
    })? {
        let label = match &one.locale {
            Some(l) if !scenario.locales.is_empty() => path.with_extension(format!("toml [{l}]")),
            _ => path.to_owned(),
        };
        out.push((one.locale.clone(), run(flows.clone(), &one, &label).await?));
    }
    Ok(Transcripts(out))
}

/// Runs one scenario on a fresh engine; `file` names it in failures.
pub async fn run(
    flows: Arc<FlowRegistry>,
    scenario: &Scenario,
    file: &Path,
) -> Result<TranscriptText, ScenarioFailure> {
    run_recorded(flows, scenario, file)
        .await
        .map(|(transcript, _)| transcript)
}

/// [`run`], with the call's record too: the studio reads the steps each
/// scenario goes through for its coverage.
pub async fn run_recorded(
    flows: Arc<FlowRegistry>,
    scenario: &Scenario,
    file: &Path,
) -> Result<(TranscriptText, CallRecord), ScenarioFailure> {
    let fail = |step: Option<usize>, message: String| ScenarioFailure {
        file: file.to_owned(),
        step,
        message,
    };
    let at = match &scenario.at {
        None => None,
        Some(s) => Some(
            DateTime::parse_from_rfc3339(s)
                .map_err(|e| fail(None, format!("at = {s:?} is not RFC 3339: {e}")))?
                .with_timezone(&Utc),
        ),
    };
    // Check every step before the call starts: a typo fails at once.
    let mut plan = Vec::with_capacity(scenario.steps.len());
    for (i, step) in scenario.steps.iter().enumerate() {
        plan.push(parse_step(step).map_err(|m| fail(Some(i + 1), m))?);
    }

    let engine = Engine::new(flows, EngineSettings::default());
    let call_id = "scenario";
    let (tx, mut rx) = mpsc::unbounded_channel();
    engine
        .start(
            StartCall {
                call_id: call_id.into(),
                flow: scenario.flow.clone(),
                at,
                locale: scenario.locale.clone(),
                variables: data::vars(&scenario.variables),
                reports_playback: scenario.reports_playback,
                ..StartCall::default()
            },
            Some(Box::new(tx)),
        )
        .await
        .map_err(|e| fail(None, format!("call did not start: {e}")))?;

    let mut heard: std::collections::VecDeque<Arc<TurnView>> = Default::default();
    let mut seq = 0;
    for (i, (step, act)) in scenario.steps.iter().zip(&plan).enumerate() {
        let n = Some(i + 1);
        drain(&mut rx, &mut heard);
        match act {
            Some(act) => {
                if let Some(wait) = &step.wait {
                    tokio::time::sleep(parse_duration(wait).unwrap_or_default()).await;
                    drain(&mut rx, &mut heard);
                }
                if let Some(turn) = heard.front() {
                    return Err(fail(
                        n,
                        format!(
                            "the service said more than the scenario expects before this step:\n  heard {}",
                            show(turn)
                        ),
                    ));
                }
                match act {
                    CallerAct::Event(event) => {
                        seq += 1;
                        engine
                            .send(None, call_id, seq, event.clone())
                            .await
                            .map_err(|e| fail(n, format!("event refused: {e}")))?;
                    }
                    CallerAct::Silence => {
                        match tokio::time::timeout(SILENCE_LIMIT, rx.recv()).await {
                            Ok(Some(turn)) => heard.push_back(turn),
                            Ok(None) => {
                                return Err(fail(n, "silence: the call has already ended".into()));
                            }
                            Err(_) => {
                                return Err(fail(
                                    n,
                                    "silence: no timer fired within an hour of silence".into(),
                                ));
                            }
                        }
                    }
                }
            }
            None => {
                let Some(turn) = heard.pop_front() else {
                    return Err(fail(
                        n,
                        format!(
                            "expected {}\n  heard nothing (the call is waiting for the caller)",
                            describe(step)
                        ),
                    ));
                };
                let at = turn_offset(&engine, call_id, turn.turn.seq);
                if let Err(why) = check_turn(step, &turn, at) {
                    return Err(fail(
                        n,
                        format!(
                            "{why}\n  expected {}\n  heard    {}",
                            describe(step),
                            show(&turn)
                        ),
                    ));
                }
            }
        }
    }
    drain(&mut rx, &mut heard);
    if let Some(turn) = heard.front() {
        return Err(fail(
            None,
            format!("after the last step the service still said: {}", show(turn)),
        ));
    }

    let record = engine
        .record(None, call_id)
        .await
        .map_err(|e| fail(None, format!("call record lost: {e}")))?;
    let transcript = transcript(&record);
    for line in transcript.lines.iter().filter(|l| l.who == "service") {
        for bad in &scenario.never_say {
            if line.text.contains(bad.as_str()) {
                return Err(fail(
                    None,
                    format!("said forbidden wording {bad:?} in: {}", line.text),
                ));
            }
        }
    }
    if let Some(end) = &scenario.end {
        let got = transcript.ended.map_or("live", EndReason::as_str);
        if got != end.reason {
            return Err(fail(
                None,
                format!(
                    "expected the call to end as {:?}, it is {got:?}",
                    end.reason
                ),
            ));
        }
        if let Some(want) = &end.turns_at_ms {
            let got: Vec<u64> = record
                .transcript
                .iter()
                .filter(|e| matches!(e.kind, EntryKind::Turn(_)))
                .map(|e| e.offset.as_millis() as u64)
                .collect();
            if &got != want {
                return Err(fail(
                    None,
                    format!("expected turns at {want:?} ms, they came at {got:?} ms"),
                ));
            }
        }
    }
    Ok((transcript, record))
}

/// Parses "5s", "1.5s", "1500ms", "2m".
pub(crate) fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let bad = || format!("wait = {s:?}: expected a duration such as \"5s\" or \"500ms\"");
    let (num, unit) = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .map(|i| s.split_at(i))
        .ok_or_else(bad)?;
    let n: f64 = num.parse().map_err(|_| bad())?;
    let secs = match unit.trim() {
        "ms" => n / 1000.0,
        "s" => n,
        "m" | "min" => n * 60.0,
        _ => return Err(bad()),
    };
    // try_: a duration too long for `Duration` is a typo, not a panic.
    Duration::try_from_secs_f64(secs).map_err(|_| bad())
}

fn drain(
    rx: &mut mpsc::UnboundedReceiver<Arc<TurnView>>,
    heard: &mut std::collections::VecDeque<Arc<TurnView>>,
) {
    while let Ok(turn) = rx.try_recv() {
        // A turn that only records the end (the caller hung up) says nothing
        // to expect; `[end]` checks the reason.
        if !turn.turn.actions.is_empty() {
            heard.push_back(turn);
        }
    }
}

fn turn_offset(engine: &Engine, call_id: &str, seq: u64) -> Option<Duration> {
    // A memory engine answers at once.
    let record = engine.record(None, call_id).now()?.ok()?;
    record.transcript.iter().find_map(|e| match &e.kind {
        EntryKind::Turn(t) if t.seq == seq => Some(e.offset),
        _ => None,
    })
}

/// Why `turn` does not meet `step`'s expectation.
fn check_turn(step: &ScenarioStep, view: &TurnView, at: Option<Duration>) -> Result<(), String> {
    let turn = &view.turn;
    let said: Vec<(&str, &str)> = turn
        .actions
        .iter()
        .filter_map(|a| match a {
            Action::Say(s) => Some((&*s.prompt.id, &**s.text())),
            _ => None,
        })
        .collect();
    let want = step.expect.as_deref().unwrap_or_default();
    let same = want.len() == said.len()
        && want
            .iter()
            .zip(&said)
            .all(|(w, (id, text))| w == id || w == text);
    if !same {
        return Err("a different thing was said".into());
    }
    if let Some(state) = &step.state
        && state != turn.state.as_str()
    {
        return Err(format!("state is {:?}, not {state:?}", turn.state));
    }
    if let Some(in_step) = &step.in_step
        && Some(in_step.as_str()) != turn.step.as_deref()
    {
        return Err(format!(
            "the call is in step {:?}, not {in_step:?}",
            turn.step
        ));
    }
    let listen = turn.listen().map(|t| t.as_millis() as u64);
    if let Some(ms) = step.listen_ms
        && listen != Some(ms)
    {
        return Err(format!("listen is {listen:?} ms, not {ms} ms"));
    }
    let transfer = turn.actions.iter().find_map(|a| match a {
        Action::Transfer { target, .. } => Some(&**target),
        _ => None,
    });
    if transfer != step.transfer.as_deref() {
        return Err(format!("transfer is {transfer:?}, not {:?}", step.transfer));
    }
    let hangup = turn.actions.iter().find_map(|a| match a {
        Action::Hangup(r) => Some(r.as_str()),
        _ => None,
    });
    let want_hangup = match &step.hangup {
        Some(HangupField::Reason(r)) => Some(r.as_str()),
        _ => None,
    };
    if hangup != want_hangup {
        return Err(format!("hangup is {hangup:?}, not {want_hangup:?}"));
    }
    data::check_lookup(step.lookup.as_deref(), &turn.actions)?;
    data::check_record(step.record.as_deref(), &turn.actions)?;
    if let Some(ended) = step.ended
        && ended != turn.ended.is_some()
    {
        return Err(format!("ended is {:?}", turn.ended.map(EndReason::as_str)));
    }
    if let Some(ms) = step.at_ms
        && at != Some(Duration::from_millis(ms))
    {
        return Err(format!(
            "the turn came at {:?} ms, not {ms} ms",
            at.map(|d| d.as_millis())
        ));
    }
    Ok(())
}

/// An expectation as one line.
fn describe(step: &ScenarioStep) -> String {
    let mut parts = vec![format!(
        "say {:?}",
        step.expect.as_deref().unwrap_or_default()
    )];
    if let Some(s) = &step.state {
        parts.push(format!("state {s}"));
    }
    if let Some(s) = &step.in_step {
        parts.push(format!("in {s}"));
    }
    if let Some(ms) = step.listen_ms {
        parts.push(format!("listen {ms} ms"));
    }
    if let Some(t) = &step.transfer {
        parts.push(format!("transfer to {t}"));
    }
    if let Some(HangupField::Reason(r)) = &step.hangup {
        parts.push(format!("hang up ({r})"));
    }
    if let Some(ms) = step.at_ms {
        parts.push(format!("at {ms} ms"));
    }
    parts.join(", ")
}

/// A turn as one line: what was said (id and text), then the other actions.
fn show(view: &TurnView) -> String {
    let turn = &view.turn;
    let mut parts: Vec<String> = turn.actions.iter().map(ToString::to_string).collect();
    parts.push(format!(
        "state {}{}",
        turn.state,
        turn.step
            .as_deref()
            .map(|s| format!(" in {s}"))
            .unwrap_or_default()
    ));
    parts.join(", ")
}

fn transcript(record: &CallRecord) -> TranscriptText {
    TranscriptText {
        lines: transcript_lines(&record.transcript),
        ended: record.ended,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("5 parsecs").is_err());
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert!(parse_duration("1e30s").is_err());
        assert!(
            parse_duration("99999999999999999999999s").is_err(),
            "too long for a Duration: an error, not a panic"
        );
    }

    #[test]
    fn a_step_is_one_event_or_one_expectation() {
        let both: ScenarioStep = toml::from_str("say = \"好的\"\nexpect = []").expect("parses");
        assert!(parse_step(&both).is_err());
        let none: ScenarioStep = toml::from_str("").expect("parses");
        assert!(parse_step(&none).is_err());
        let unknown = toml::from_str::<ScenarioStep>("sey = \"好的\"");
        assert!(unknown.is_err(), "unknown fields are refused");
    }
}
