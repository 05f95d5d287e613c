//! The kinds of step, one file each: a kind's raw TOML table (strict:
//! `deny_unknown_fields`), its fields with what each is for, how it
//! compiles, and what it does ([`StepBehaviour`]: its successors, norms,
//! drawing, and what a call does there). This module only dispatches: it
//! picks a step's kind by the kind key the step has (`ask = "…"`, `say =
//! "…"`, …), lists the kinds and forwards to them.
//!
//! Adding a kind: a new file here with its `Raw…` struct (implementing
//! [`RawKind`]), its `SPEC` and its compiled struct (implementing
//! [`StepBehaviour`]), then `mod`, one line in [`STEP_KINDS`] and one in
//! `step_kinds!` (ARCHITECTURE.md, "How to add a step kind").

mod ask;
mod behaviour;
mod branch;
mod call;
mod close;
mod collect;
mod draw;
mod fill;
mod hangup;
mod hold;
mod lookup;
mod menu;
mod pause;
mod read;
mod record;
mod say;
mod set;
mod state;
#[cfg(test)]
mod tests;
mod transfer;

use std::{borrow::Cow, ops::Range, sync::Arc};

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

use super::compile::{Checked, Findings, Source, steps::StepContext, steps::StepFields};
use super::listen::Listening;
use super::raw::Sp;
use super::{Flow, IntentIx, ListenFor, PromptIx, StepIx};
pub use ask::AskStep;
pub use behaviour::{
    CallOps, Entered, Gives, NormsAt, OnGoodbye, Progress, StepBehaviour, StepInput, WaitsFor,
    YesNo,
};
pub use branch::BranchStep;
pub use call::{CallStep, MAX_DEPTH as MAX_SUBFLOW_DEPTH, RETURN_PREFIX, ReturnStep};
pub use close::CloseStep;
pub use collect::{CollectStep, DigitRule, Entry};
pub use draw::{Draw, DrawAt, NodeShape, seconds};
pub use fill::Template;
pub use hangup::HangupStep;
pub use hold::HoldStep;
pub use lookup::LookupStep;
pub use menu::{BACK, KeyPress, MenuKey, MenuStep, REPEAT};
use read::Entries;
#[cfg(test)]
pub(super) use read::all_keys;
pub use record::RecordStep;
pub use say::SayStep;
pub use set::SetStep;
pub use state::CallState;
pub use transfer::{TargetType, TransferCause, TransferStep};

/// One step of a flow file, as written: its kind's own table, and the
/// keys it has that belong to other kinds (which `compile` reports).
#[derive(Debug)]
pub struct RawStep {
    kind: Result<(&'static StepKindSpec, Box<dyn RawKind>), NoKind>,
    /// Keys of other kinds' tables, with where `compile` points at each.
    pub(super) foreign: Vec<(&'static str, Range<usize>)>,
    /// The labels of the `"@return:LABEL"` names it leads to: inside a
    /// subflow, the returns the subflow has.
    pub(super) returns: Vec<String>,
}

/// A step whose kind cannot be told.
#[derive(Debug, Clone)]
pub(super) enum NoKind {
    /// None of the kind keys.
    Kindless,
    /// More than one: the second, and where its value is.
    Mixed(&'static str, Range<usize>),
}

// === Compiled steps ===

/// One step of the script.
#[derive(Debug, Clone)]
pub struct Step {
    pub id: Arc<str>,
    pub kind: StepKind,
    /// May caller speech interrupt this step's prompt.
    pub barge_in: bool,
}

/// What the first prompt of an `ask` step is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AskPrompt {
    /// The calendar's opening for this call (N2-N4).
    Opening,
    Prompt(PromptIx),
}

/// Declares [`StepKind`], one variant per kind holding the kind's own
/// compiled struct, and `each_kind!`, the one match over kinds: every
/// question asked of a step is forwarded through it to the kind's
/// [`StepBehaviour`], statically.
macro_rules! step_kinds {
    ($($(#[$doc:meta])* $kind:ident($ty:ty),)*) => {
        /// What a step does.
        #[derive(Debug, Clone)]
        pub enum StepKind {
            $($(#[$doc])* $kind($ty),)*
        }

        /// `each_kind!(kind, k => …)` with `k` the kind's own struct.
        macro_rules! each_kind {
            ($on:expr, $k:ident => $body:expr) => {
                match $on {
                    $(StepKind::$kind($k) => $body,)*
                }
            };
        }
    };
}

// A new kind: one line here (its compiled struct), `mod` and its `SPEC`
// in `STEP_KINDS` above and below.
step_kinds! {
    /// Say a question and listen; answers lead to steps.
    Ask(AskStep),
    /// Say something and go on.
    Say(SayStep),
    /// Say why and ask consent; transfer only on yes (N10).
    Transfer(TransferStep),
    /// Ask before holding, thank, and apologise on resuming (N11).
    Hold(HoldStep),
    /// Ask the front-end for data; go on when it answers.
    Lookup(LookupStep),
    /// Say the choices; the menu's own keys (or words) lead on.
    Menu(MenuStep),
    /// Take what the caller keys (or says) into a variable.
    Collect(CollectStep),
    /// Ask whether anything else is needed, then goodbye; the caller hangs
    /// up first (N12).
    Close(CloseStep),
    /// Say a last prompt and hang up without waiting for the caller.
    Hangup(HangupStep),
    /// Go on by a variable's value, saying nothing.
    Branch(BranchStep),
    /// Give variables values and go on, saying nothing.
    Set(SetStep),
    /// Say the instructions and have the front-end record the caller.
    Record(RecordStep),
    /// Enter a subflow; its return goes on by the label.
    Call(CallStep),
    /// Leave the subflow for the calling step's `returns.LABEL` (a
    /// subflow's `"@return:LABEL"`; no file writes one as a step).
    Return(ReturnStep),
    Pause(pause::PauseStep),
}

impl StepBehaviour for StepKind {
    fn key(&self) -> &'static str {
        each_kind!(self, k => StepBehaviour::key(k))
    }

    fn passing_prompt(&self) -> Option<PromptIx> {
        each_kind!(self, k => StepBehaviour::passing_prompt(k))
    }

    #[inline]
    fn state(&self, progress: &Progress) -> CallState {
        each_kind!(self, k => StepBehaviour::state(k, progress))
    }

    fn successors(&self) -> Vec<StepIx> {
        each_kind!(self, k => StepBehaviour::successors(k))
    }

    fn listens(&self) -> bool {
        each_kind!(self, k => StepBehaviour::listens(k))
    }

    fn gives(&self, name: &str) -> Gives<'_> {
        each_kind!(self, k => StepBehaviour::gives(k, name))
    }

    #[inline]
    fn answers(&self) -> Option<&[(IntentIx, StepIx)]> {
        each_kind!(self, k => StepBehaviour::answers(k))
    }

    fn reprompt(&self, flow: &Flow) -> PromptIx {
        each_kind!(self, k => StepBehaviour::reprompt(k, flow))
    }

    fn listen_for(&self, at: &Listening<'_>) -> ListenFor {
        each_kind!(self, k => StepBehaviour::listen_for(k, at))
    }

    fn check_norms(&self, at: &NormsAt<'_>, found: &mut Findings<'_>) {
        each_kind!(self, k => StepBehaviour::check_norms(k, at, found))
    }

    fn draw(&self, at: &DrawAt<'_>, g: &mut dyn Draw) {
        each_kind!(self, k => StepBehaviour::draw(k, at, g))
    }

    fn waits_for(&self, flow: &Flow, state: CallState) -> Option<WaitsFor> {
        each_kind!(self, k => StepBehaviour::waits_for(k, flow, state))
    }

    fn on_goodbye(&self, progress: &Progress) -> OnGoodbye {
        each_kind!(self, k => StepBehaviour::on_goodbye(k, progress))
    }

    #[inline]
    fn enter<C: CallOps>(&self, call: &mut C) -> Entered<C::Phase> {
        each_kind!(self, k => StepBehaviour::enter(k, call))
    }

    #[inline]
    fn on_input<C: CallOps>(
        &self,
        progress: &mut Progress,
        input: StepInput<'_>,
        call: &mut C,
    ) -> C::Next {
        each_kind!(self, k => StepBehaviour::on_input(k, progress, input, call))
    }
}

// === Raw steps ===

/// Every kind of step: the one list the compiler and the parser walk.
pub(super) const STEP_KINDS: &[StepKindSpec] = &[
    ask::SPEC,
    say::SPEC,
    transfer::SPEC,
    hold::SPEC,
    close::SPEC,
    hangup::SPEC,
    lookup::SPEC,
    menu::SPEC,
    collect::SPEC,
    branch::SPEC,
    set::SPEC,
    record::SPEC,
    call::SPEC,
    pause::SPEC,
];

impl RawStep {
    /// The step's kind and its raw table.
    pub(super) fn kind(&self) -> Result<(&'static StepKindSpec, &dyn RawKind), NoKind> {
        match &self.kind {
            Ok((spec, raw)) => Ok((spec, raw.as_ref())),
            Err(no) => Err(no.clone()),
        }
    }

    /// The variables the step's answer brings, which later prompts may say.
    pub(super) fn gives(&self) -> &[Sp<String>] {
        self.kind.as_ref().map_or(&[], |(_, raw)| raw.gives())
    }

    /// The labels of the `"@return:LABEL"` names it leads to.
    pub(in crate::flow) fn return_labels(&self) -> &[String] {
        &self.returns
    }
}

// === The table of kinds ===

/// What a step field holds: prompt and step names are resolved by the
/// generic pass; the rest each kind reads itself.
#[derive(Debug, Clone, Copy)]
pub(super) enum Holds {
    PromptRef,
    StepRef,
    Text,
    Millis,
    /// A table of names to steps: `on.<intent> = "<step>"`, a branch's
    /// `cases`.
    Answers,
    /// `true` or `false`.
    Flag,
    /// A list of variable names.
    Variables,
    /// A small whole number (`attempts`).
    Count,
    /// `digits = { min, max, terminator, inter_digit_ms }`.
    Digits,
}

/// Whether a step must have a field: the norm it serves and what the
/// caller would miss without it (`why`, shown in the error).
#[derive(Debug, Clone, Copy)]
pub(super) enum Need {
    Optional,
    Required {
        norm: Option<&'static str>,
        why: Option<&'static str>,
    },
}

/// One field of a kind of step.
#[derive(Debug)]
pub(super) struct Field {
    pub(super) key: &'static str,
    pub(super) holds: Holds,
    pub(super) need: Need,
}

pub(super) const fn optional(key: &'static str, holds: Holds) -> Field {
    Field {
        key,
        holds,
        need: Need::Optional,
    }
}

pub(super) const fn required(
    key: &'static str,
    holds: Holds,
    norm: Option<&'static str>,
    why: &'static str,
) -> Field {
    Field {
        key,
        holds,
        need: Need::Required {
            norm,
            why: Some(why),
        },
    }
}

/// A kind of step: the key that names it, its fields (missing ones are
/// reported in this order) and how its table is taken from a step's keys.
#[derive(Debug)]
pub(super) struct StepKindSpec {
    pub(super) key: &'static str,
    pub(super) fields: &'static [Field],
    /// The kind's table from the kind key's value and the step's keys;
    /// it takes its own and leaves the rest.
    pub(super) take: fn(Sp<String>, &mut Entries) -> Box<dyn RawKind>,
    /// The kind's table in the JSON Schema: a reference, and inline.
    pub(super) schema: fn(&mut SchemaGenerator, bool) -> Schema,
}

/// A kind's table in the JSON Schema: `inline` for reading its keys, else
/// a reference to its definition.
pub(super) fn schema_of<T: JsonSchema>(g: &mut SchemaGenerator, inline: bool) -> Schema {
    if inline {
        T::json_schema(g)
    } else {
        g.subschema_for::<T>()
    }
}

/// A field as the generic pass sees it: a prompt or step name it
/// resolves, or a value the kind reads itself.
pub(super) enum Written<'r> {
    Name(&'r Sp<String>),
    Value,
}

/// A kind's raw table, read by the generic pass: each kind file says
/// where its fields are, next to the struct that holds them (a unit test
/// checks every field of the table is found).
pub(super) trait RawKind: std::fmt::Debug {
    /// The kind key's own value (`say = "…"`).
    fn value(&self) -> &Sp<String>;
    /// A field of the kind's table, if written.
    fn field(&self, key: &str) -> Option<Written<'_>>;
    fn barge_in(&self) -> Option<bool>;
    /// The variables its answer brings, which later prompts may say.
    fn gives(&self) -> &[Sp<String>] {
        &[]
    }
    /// The compiled step, from the fields the generic pass resolved.
    fn build(&self, cx: &StepContext<'_>, f: &StepFields<'_>) -> Checked<StepKind>;
}

/// Where a list field is written: its first item (an empty list is as
/// good as none).
pub(super) fn first_of(list: &[Sp<String>]) -> Option<Written<'_>> {
    list.first().map(|_| Written::Value)
}

impl JsonSchema for RawStep {
    fn schema_name() -> Cow<'static, str> {
        "Step".into()
    }

    /// Every key any kind has (so an editor completes them all, and a
    /// key no kind has is refused), and exactly one kind's table.
    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        let kinds: Vec<Schema> = STEP_KINDS.iter().map(|k| (k.schema)(g, false)).collect();
        let tables: Vec<Schema> = STEP_KINDS.iter().map(|k| (k.schema)(g, true)).collect();
        let mut keys = serde_json::Map::new();
        for table in &tables {
            if let Some(serde_json::Value::Object(properties)) = table.get("properties") {
                for (key, about) in properties {
                    keys.entry(key.clone()).or_insert_with(|| about.clone());
                }
            }
        }
        let names: Vec<String> = STEP_KINDS.iter().map(|k| format!("`{}`", k.key)).collect();
        let description = format!(
            "One step: exactly one of the kind keys ({}) says what it does, and only that kind's keys go with it.",
            names.join(", ")
        );
        json_schema!({
            "description": description,
            "type": "object",
            "properties": keys,
            "additionalProperties": false,
            "oneOf": kinds,
        })
    }
}

/// Names as the compiled step keeps them.
pub(super) fn names_of(list: &[Sp<String>]) -> Arc<[Arc<str>]> {
    list.iter()
        .map(|n| Arc::from(n.get_ref().as_str()))
        .collect()
}

// === Norms ===

/// What each kind of step owes the caller (N10-N12), checked on the
/// compiled flow.
pub(super) fn check_step_norms(
    source: &Source<'_>,
    flow: &Flow,
    step_span: &dyn Fn(StepIx) -> Range<usize>,
) -> Checked<()> {
    let mut found = Findings::new(source);
    for (ix, step) in flow.steps.iter().enumerate() {
        let ix = StepIx::new(ix);
        let at = NormsAt {
            flow,
            step,
            ix,
            span: step_span(ix),
        };
        step.kind.check_norms(&at, &mut found);
    }
    found.done(())
}

/// A step that asks a yes/no question needs the intents that answer it.
pub(super) fn yes_no_question(at: &NormsAt<'_>, norm: &'static str, found: &mut Findings<'_>) {
    if at.flow.roles.yes.is_none() || at.flow.roles.no.is_none() {
        found.error(
            at.span.clone(),
            Some(norm),
            format!(
                "step {:?} asks a yes/no question, so the flow needs intents \"yes\" and \"no\"",
                at.step.id
            ),
        );
    }
}
