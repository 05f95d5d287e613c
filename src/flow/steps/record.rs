//! `record`: say the instructions, have the front-end record the caller
//! (voicemail, a complaint in their own words) and keep the recording's
//! reference in a variable; `failed` when no recording comes. The
//! caller's voice is the recording, not an answer, so neither words nor
//! silence move the call meanwhile (N5 does not count a caller who is
//! speaking to the recorder as silent).

use std::{sync::Arc, time::Duration};

use schemars::JsonSchema;

use super::super::compile::{Checked, Findings, steps::StepContext, steps::StepFields};
use super::super::{Flow, ListenFor, PromptIx, StepIx, StepKind, raw::Sp};
use super::{
    CallOps, CallState, Draw, DrawAt, Entered, Entries, Field, Gives,
    Holds::{Flag, Millis, StepRef, Text},
    Listening, OnGoodbye, Progress, RawKind, StepBehaviour, StepInput, StepKindSpec, WaitsFor,
    Written, optional, required, schema_of, seconds,
};
use crate::flow::compile::valid_variable_name;

/// The longest recording when the step gives none: a voicemail's minute.
const DEFAULT_MAX: Duration = Duration::from_secs(60);
/// How long after the longest recording the answer may take: the
/// instructions and the beep play first (the timer starts with the turn
/// on a front-end that does not report playback), and the front-end
/// stores the file before it answers.
const ANSWER_MARGIN: Duration = Duration::from_secs(15);
/// The bounds `max_ms` must stay in: a second, and an hour.
const MAX_MS: std::ops::RangeInclusive<i64> = 1000..=3_600_000;

/// Record the caller.
#[derive(Debug, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[schemars(rename = "RecordStep")]
pub struct RawRecord {
    /// The instructions said before recording ("please leave a message
    /// after the tone, press # when done").
    #[schemars(with = "String")]
    pub record: Sp<String>,
    /// The variable the recording's reference goes into.
    #[schemars(with = "Option<String>")]
    pub into: Option<Sp<String>>,
    /// The longest recording, 1000 to 3600000 ms: 60000.
    #[schemars(with = "Option<i64>", range(min = 1000, max = 3_600_000))]
    pub max_ms: Option<Sp<i64>>,
    /// A beep before recording; default true.
    pub beep: Option<bool>,
    /// Keys that end the recording, e.g. "#"; default none.
    #[schemars(with = "Option<String>", regex(pattern = r"^[0-9*#]*$"))]
    pub terminator: Option<Sp<String>>,
    /// The step after a recording.
    #[schemars(with = "Option<String>")]
    pub next: Option<Sp<String>>,
    /// The step when no recording came (the front-end failed, or nothing
    /// came back in time).
    #[schemars(with = "Option<String>")]
    pub failed: Option<Sp<String>>,
    /// May caller speech interrupt the instructions; default true.
    pub barge_in: Option<bool>,
    /// `into`, as the variables the step gives.
    #[schemars(skip)]
    gives: Vec<Sp<String>>,
}

/// A compiled `record` step: the phase that waits for the recording
/// carries it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RecordStep {
    pub instructions: PromptIx,
    pub into: Arc<str>,
    pub max: Duration,
    pub beep: bool,
    pub terminators: Arc<str>,
    pub next: StepIx,
    pub failed: StepIx,
}

pub(super) const SPEC: StepKindSpec = StepKindSpec {
    key: "record",
    fields: FIELDS,
    take: |value, entries| Box::new(RawRecord::take(value, entries)),
    schema: schema_of::<RawRecord>,
};

const FIELDS: &[Field] = &[
    required(
        "into",
        Text,
        None,
        "the variable the recording's reference is kept in",
    ),
    optional("max_ms", Millis),
    optional("beep", Flag),
    optional("terminator", Text),
    required("next", StepRef, None, "the step after the recording"),
    required(
        "failed",
        StepRef,
        None,
        "the step when no recording comes, so the caller is not left waiting",
    ),
];

impl RawRecord {
    /// Its own keys from a step's (`super::Entries`).
    fn take(value: Sp<String>, entries: &mut Entries) -> Self {
        let into = entries.text("into");
        RawRecord {
            record: value,
            gives: into.iter().cloned().collect(),
            into,
            max_ms: entries.millis("max_ms"),
            beep: entries.flag("beep"),
            terminator: entries.text("terminator"),
            next: entries.text("next"),
            failed: entries.text("failed"),
            barge_in: entries.flag("barge_in"),
        }
    }
}

impl RawKind for RawRecord {
    fn value(&self) -> &Sp<String> {
        &self.record
    }

    fn field(&self, key: &str) -> Option<Written<'_>> {
        match key {
            "into" => self.into.as_ref().map(|_| Written::Value),
            "terminator" => self.terminator.as_ref().map(|_| Written::Value),
            "max_ms" => self.max_ms.as_ref().map(|_| Written::Value),
            "beep" => self.beep.map(|_| Written::Value),
            "next" => self.next.as_ref().map(Written::Name),
            "failed" => self.failed.as_ref().map(Written::Name),
            _ => None,
        }
    }

    fn barge_in(&self) -> Option<bool> {
        self.barge_in
    }

    fn gives(&self) -> &[Sp<String>] {
        &self.gives
    }

    /// The recording is bounded (`max_ms`), and only keys end it.
    fn build(&self, cx: &StepContext<'_>, f: &StepFields<'_>) -> Checked<StepKind> {
        let mut found = Findings::new(cx.source());
        let instructions = found.take(cx.prompt(f.value()));
        if let Some(into) = &self.into
            && !valid_variable_name(into.get_ref())
        {
            found.error(
                into.span(),
                None,
                format!(
                    "{:?} is not a variable name (letters, digits and '_')",
                    into.get_ref()
                ),
            );
        }
        let max = match &self.max_ms {
            Some(ms) if !MAX_MS.contains(ms.get_ref()) => {
                found.error(
                    ms.span(),
                    None,
                    format!(
                        "max_ms = {} is no usable recording length: it must be from 1000 to 3600000 ms",
                        ms.get_ref()
                    ),
                );
                DEFAULT_MAX
            }
            Some(ms) => Duration::from_millis(u64::try_from(*ms.get_ref()).unwrap_or(0)),
            None => DEFAULT_MAX,
        };
        if let Some(t) = &self.terminator
            && !t
                .get_ref()
                .chars()
                .all(|c| matches!(c, '0'..='9' | '*' | '#'))
        {
            found.error(
                t.span(),
                None,
                format!(
                    "terminator {:?} is no phone key: use 0-9, * or #",
                    t.get_ref()
                ),
            );
        }
        found.done(StepKind::Record(RecordStep {
            instructions,
            into: self
                .into
                .as_ref()
                .map_or_else(|| "".into(), |i| i.get_ref().as_str().into()),
            max,
            beep: self.beep.unwrap_or(true),
            terminators: self
                .terminator
                .as_ref()
                .map_or_else(|| "".into(), |t| t.get_ref().as_str().into()),
            next: f.step("next"),
            failed: f.step("failed"),
        }))
    }
}

impl StepBehaviour for RecordStep {
    /// The caller is talking to the recorder: a message ends with 再见 as
    /// naturally as a call does, so the words stay the recording's and the
    /// recorder's result leads on (a close cut short would drop it).
    fn on_goodbye(&self, _progress: &Progress) -> OnGoodbye {
        OnGoodbye::Own
    }

    fn key(&self) -> &'static str {
        SPEC.key
    }

    fn state(&self, _progress: &Progress) -> CallState {
        CallState::Recording
    }

    fn gives(&self, name: &str) -> Gives<'_> {
        Gives::any_value_if(*self.into == *name)
    }

    fn successors(&self) -> Vec<StepIx> {
        vec![self.next, self.failed]
    }

    fn listens(&self) -> bool {
        true
    }

    /// A recording is the front-end's to make (its `Record` action); the
    /// listen after it is only the bound of the wait for it.
    fn listen_for(&self, at: &Listening<'_>) -> ListenFor {
        at.nothing()
    }

    fn draw(&self, at: &DrawAt<'_>, g: &mut dyn Draw) {
        let what = format!("record {} into {}", at.prompt(self.instructions), self.into);
        at.node(g, what);
        at.edge_to(g, self.next, Some("recorded"));
        let label = format!("failed or none in {}", seconds(self.max));
        at.edge_to(g, self.failed, Some(&label));
    }

    /// What a simulated call waits for while recording, and the commands
    /// that give it (`callscript simulate`).
    fn waits_for(&self, _flow: &Flow, state: CallState) -> Option<WaitsFor> {
        if state != CallState::Recording {
            return None;
        }
        Some(WaitsFor::Result(
            "recording the caller: /record ok [reference] or /record failed; /silence lets the time run out".into(),
        ))
    }

    /// The instructions, the `Record` action, and the bound of the wait.
    fn enter<C: CallOps>(&self, call: &mut C) -> Entered<C::Phase> {
        call.say(self.instructions);
        call.record(self.max, self.beep, &self.terminators, &self.into);
        call.listen_for(self.max + ANSWER_MARGIN);
        Entered::Phase(call.wait(Progress::default()))
    }

    /// The result → `next` with the reference kept in `into`, or
    /// `failed`; no result by the bound → `failed`.
    fn on_input<C: CallOps>(
        &self,
        progress: &mut Progress,
        input: StepInput<'_>,
        call: &mut C,
    ) -> C::Next {
        let _ = progress;
        match input {
            StepInput::RecordingResult { ok, recording } if ok && !recording.is_empty() => {
                call.keep_variable(&self.into, recording.to_owned());
                call.go(self.next)
            }
            StepInput::RecordingResult { .. } | StepInput::Silence => call.go(self.failed),
            // The caller is talking to the recorder, or keying its end.
            StepInput::Heard(_) | StepInput::Unclear | StepInput::Audio | StepInput::Started => {
                call.stay()
            }
            StepInput::LookupResult { .. }
            | StepInput::HoldResult { .. }
            | StepInput::TransferResult { .. }
            | StepInput::TimeLimit
            | StepInput::Call => call.pass(),
        }
    }
}
