//! `pause`: tell the caller why the line goes quiet, wait `pause_ms` in
//! silence, then go on to `next` (Amazon Connect's Wait, Twilio's
//! `<Pause>`): time to fetch a card or a bill before the next question.
//! The wait is the call's own listen, so the engine's timer ends it; the
//! caller's words or keys end it early (they are ready), and the next
//! step asks as it always does.

use std::{sync::Arc, time::Duration};

use schemars::JsonSchema;

use super::super::compile::{
    Checked, Findings, settings::check_millis, steps::StepContext, steps::StepFields,
};
use super::super::{InputMode, ListenFor, PromptIx, StepIx, StepKind, raw::Sp};
use super::{
    CallOps, CallState, Draw, DrawAt, Entered, Entries, Field,
    Holds::{Millis, StepRef},
    Listening, NormsAt, Progress, RawKind, StepBehaviour, StepInput, StepKindSpec, WaitsFor,
    Written, required, schema_of, seconds,
};

/// The bounds of a pause: long enough to be one, short enough that the
/// caller does not think the line dropped (a longer wait is a `hold`,
/// with the caller's consent, N11).
const PAUSE_MS: std::ops::Range<i64> = 500..30_001;

/// Tell the caller why, wait in silence, go on.
#[derive(Debug, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[schemars(rename = "PauseStep")]
pub struct RawPause {
    /// Say this prompt (why the line goes quiet: "take your time to find
    /// your card"), then wait in silence.
    #[schemars(with = "String")]
    pub pause: Sp<String>,
    /// How long to wait, 500 to 30000 ms; the caller's words or keys end
    /// it early.
    #[schemars(with = "Option<i64>", range(min = 500, max = 30_000))]
    pub pause_ms: Option<Sp<i64>>,
    /// The step after the pause.
    #[schemars(with = "Option<String>")]
    pub next: Option<Sp<String>>,
    /// May caller speech interrupt this step's prompt; default true.
    pub barge_in: Option<bool>,
}

/// A compiled `pause` step.
#[derive(Debug, Clone, PartialEq)]
pub struct PauseStep {
    pub prompt: PromptIx,
    pub duration: Duration,
    pub next: StepIx,
}

pub(super) const SPEC: StepKindSpec = StepKindSpec {
    key: "pause",
    fields: FIELDS,
    take: |value, entries| Box::new(RawPause::take(value, entries)),
    schema: schema_of::<RawPause>,
};

const FIELDS: &[Field] = &[
    required(
        "pause_ms",
        Millis,
        None,
        "how long the caller waits in silence",
    ),
    required("next", StepRef, None, "the step after the pause"),
];

impl RawPause {
    /// Its own keys from a step's (`super::Entries`).
    fn take(value: Sp<String>, entries: &mut Entries) -> Self {
        RawPause {
            pause: value,
            pause_ms: entries.millis("pause_ms"),
            next: entries.text("next"),
            barge_in: entries.flag("barge_in"),
        }
    }
}

impl RawKind for RawPause {
    fn value(&self) -> &Sp<String> {
        &self.pause
    }

    fn field(&self, key: &str) -> Option<Written<'_>> {
        match key {
            "pause_ms" => self.pause_ms.as_ref().map(|_| Written::Value),
            "next" => self.next.as_ref().map(Written::Name),
            _ => None,
        }
    }

    fn barge_in(&self) -> Option<bool> {
        self.barge_in
    }

    fn build(&self, cx: &StepContext<'_>, f: &StepFields<'_>) -> Checked<StepKind> {
        let mut found = Findings::new(cx.source());
        let prompt = found.take(cx.prompt(f.value()));
        let duration = found.take(check_millis(
            cx.source(),
            &self.pause_ms,
            "pause_ms",
            PAUSE_MS,
            Duration::ZERO,
        ));
        found.done(StepKind::Pause(PauseStep {
            prompt,
            duration,
            next: f.step("next"),
        }))
    }
}

impl StepBehaviour for PauseStep {
    fn key(&self) -> &'static str {
        SPEC.key
    }

    /// The front-end listens through the pause, and its timer ends it.
    fn state(&self, _progress: &Progress) -> CallState {
        CallState::Listening
    }

    fn successors(&self) -> Vec<StepIx> {
        vec![self.next]
    }

    /// It takes no requests: words only end it.
    fn listens(&self) -> bool {
        false
    }

    /// Keys or words, any of them, end the pause.
    fn listen_for(&self, at: &Listening<'_>) -> ListenFor {
        let _ = at;
        ListenFor {
            input: InputMode::DtmfAndSpeech,
            min_digits: 0,
            max_digits: 0,
            terminators: "".into(),
            inter_digit_ms: 0,
            hints: Arc::new([]),
        }
    }

    /// Silence longer than the no-input time is more than a question
    /// would leave the caller in: a hold asks first (N11).
    fn check_norms(&self, at: &NormsAt<'_>, found: &mut Findings<'_>) {
        let no_input = at.flow.timing().no_input;
        if self.duration > no_input {
            found.warn(
                at.span.clone(),
                Some("N11"),
                format!(
                    "step {:?} leaves the caller in {} of silence, longer than the {} a silent caller waits for a prompt; for a longer wait use a hold, which asks first",
                    at.step.id,
                    seconds(self.duration),
                    seconds(no_input)
                ),
            );
        }
    }

    fn draw(&self, at: &DrawAt<'_>, g: &mut dyn Draw) {
        let what = format!(
            "pause {} ({})",
            seconds(self.duration),
            at.prompt(self.prompt)
        );
        at.node(g, what);
        at.edge_to(g, self.next, Some("time passed or the caller speaks"));
    }

    fn waits_for(&self, _flow: &super::super::Flow, state: CallState) -> Option<WaitsFor> {
        if state != CallState::Listening {
            return None;
        }
        Some(WaitsFor::Result(format!(
            "a pause of {}: /silence ends it; words or keys end it early",
            seconds(self.duration)
        )))
    }

    fn enter<C: CallOps>(&self, call: &mut C) -> Entered<C::Phase> {
        call.say_step(self.prompt);
        call.listen_for(self.duration);
        Entered::Phase(call.wait(Progress::default()))
    }

    fn on_input<C: CallOps>(
        &self,
        progress: &mut Progress,
        input: StepInput<'_>,
        call: &mut C,
    ) -> C::Next {
        let _ = progress;
        match input {
            StepInput::Silence | StepInput::Heard(_) | StepInput::Unclear => call.go(self.next),
            // Audio trouble is for the next step's question to meet.
            StepInput::Audio => call.stay(),
            StepInput::Started
            | StepInput::LookupResult { .. }
            | StepInput::RecordingResult { .. }
            | StepInput::HoldResult { .. }
            | StepInput::TransferResult { .. }
            | StepInput::TimeLimit
            | StepInput::Call => call.pass(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::calendar::DayPart;
    use crate::call::{Action, AudioKind, CallMachine, CallSetup, CallState, Event};
    use crate::flow::{Flow, StepBehaviour, compile_source};

    /// Shared with the goodbye tests of the call machine, which go on to
    /// its close step.
    const FLOW: &str = include_str!("pause.test.toml");

    fn flow(text: &str) -> Arc<Flow> {
        Arc::new(compile_source("pause.toml", text).expect("the pause flow compiles"))
    }

    fn call() -> CallMachine {
        CallMachine::new(CallSetup {
            flow: flow(FLOW),
            locale: 0,
            opening: None,
            day_part: DayPart::Afternoon,
            variables: Default::default(),
            caller: "".into(),
            callee: "".into(),
            after_hours: false,
        })
    }

    /// A turn as `say:<prompt>` and `listen:<ms>`.
    fn turn(machine: &mut CallMachine, event: Event) -> Vec<String> {
        let mut out = Vec::new();
        machine.handle(&event, &mut out);
        out.iter()
            .map(|a| match a {
                Action::Say(s) => format!("say:{}", s.prompt.id),
                Action::Listen { timeout } => format!("listen:{}", timeout.as_millis()),
                Action::Transfer { .. }
                | Action::Hangup(_)
                | Action::Lookup { .. }
                | Action::Record { .. } => format!("{a:?}"),
            })
            .collect()
    }

    fn at(machine: &CallMachine) -> (CallState, Option<&str>) {
        (machine.state(), machine.step().map(|s| &**s))
    }

    #[test]
    fn a_pause_says_why_waits_its_time_in_silence_then_goes_on() {
        let mut call = call();
        assert_eq!(
            turn(&mut call, Event::Start),
            ["say:get_card", "listen:4000"]
        );
        assert_eq!(at(&call), (CallState::Listening, Some("card")));
        // Audio trouble during the pause changes nothing: the wait goes on.
        assert!(turn(&mut call, Event::Audio(AudioKind::Noisy)).is_empty());
        assert_eq!(
            turn(&mut call, Event::NoInput),
            ["say:ask_card", "listen:5000"]
        );
        assert_eq!(at(&call), (CallState::Listening, Some("number")));
    }

    #[test]
    fn the_callers_words_or_keys_end_a_pause_early() {
        let mut call = call();
        turn(&mut call, Event::Start);
        assert_eq!(
            turn(&mut call, Event::speech("ok, I have it")),
            ["say:ask_card", "listen:5000"]
        );
        let mut call = self::call();
        turn(&mut call, Event::Start);
        assert_eq!(
            turn(&mut call, Event::Dtmf { digits: "1".into() }),
            ["say:ask_card", "listen:5000"]
        );
    }

    #[test]
    fn a_hang_up_during_a_pause_ends_the_call() {
        let mut call = call();
        turn(&mut call, Event::Start);
        assert!(turn(&mut call, Event::CallerHangup).is_empty());
        assert_eq!(call.state(), CallState::Ended);
    }

    #[test]
    fn a_pause_leads_to_next_and_shows_what_it_waits_for() {
        let flow = flow(FLOW);
        let card = &flow.steps()[usize::from(flow.start())];
        let next: Vec<&str> = card
            .kind
            .successors()
            .into_iter()
            .map(|ix| &*flow.step(ix).id)
            .collect();
        assert_eq!(next, ["number"]);
        assert!(!card.kind.listens());
        let waits = card
            .kind
            .waits_for(&flow, CallState::Listening)
            .expect("a pause says what it waits for");
        assert_eq!(
            waits,
            super::WaitsFor::Result(
                "a pause of 4 s: /silence ends it; words or keys end it early".into()
            )
        );
        assert_eq!(
            card.kind.state(&crate::flow::Progress::default()),
            CallState::Listening
        );
        let diagram = crate::graph::mermaid(&flow);
        assert!(
            diagram.contains("pause 4 s (get_card)")
                && diagram.contains("time passed or the caller speaks"),
            "{diagram}"
        );
    }

    #[test]
    fn check_refuses_a_pause_out_of_bounds_and_warns_of_a_long_one() {
        let short = FLOW.replace("pause_ms = 4000", "pause_ms = 100");
        let errors = compile_source("pause.toml", &short).expect_err("too short a pause");
        assert!(
            errors
                .to_string()
                .contains("pause_ms = 100 is not a usable timer"),
            "{errors}"
        );
        let missing = FLOW.replace("pause_ms = 4000\n", "");
        let errors = compile_source("pause.toml", &missing).expect_err("no pause_ms");
        assert!(errors.to_string().contains("pause_ms"), "{errors}");
        let long = flow(&FLOW.replace("pause_ms = 4000", "pause_ms = 20000"));
        let warnings: Vec<String> = long.warnings().iter().map(ToString::to_string).collect();
        assert!(
            warnings
                .iter()
                .any(|w| w.contains("N11") && w.contains("20 s of silence")),
            "{warnings:?}"
        );
    }
}
