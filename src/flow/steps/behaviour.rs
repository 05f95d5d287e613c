//! What a kind of step does, in one trait its file implements: its
//! successors and norm checks (`check`), what the front-end collects at
//! it, how `graph` draws it and `simulate` shows it, and what a call does
//! on entering it and on each input there. The call machine sits above
//! `flow`, so a kind speaks to it through [`CallOps`], which the machine
//! implements: the kind decides, the machine executes (says, listens,
//! changes phase). Everything is static dispatch: [`StepKind`] forwards
//! with one match (`mod.rs`), and `CallOps` is a type parameter, so an
//! event costs no allocation and no virtual call.

use std::{ops::Range, sync::Arc, time::Duration};

use super::super::compile::Findings;
use super::super::{Flow, Heard, IntentIx, ListenFor, PromptIx, StepIx, Vars, matcher::Understood};
use super::{
    AskStep, CallState, CloseStep, Draw, DrawAt, Listening, Step, TransferCause, TransferStep,
};

/// One kind of step. The flow's side (successors, norms, drawing) has
/// defaults only where most kinds agree; the call's side is `enter` and
/// `on_input`.
pub trait StepBehaviour {
    /// The kind's key, as a flow file writes it (`ask`, `say`, …).
    fn key(&self) -> &'static str;

    /// The prompt a step says as the call passes through it without
    /// waiting (a `say`, a `hangup`): how a path is read back from what
    /// was said.
    fn passing_prompt(&self) -> Option<PromptIx> {
        None
    }

    /// The phase a call waiting at this step shows in turns and records.
    fn state(&self, progress: &Progress) -> CallState;

    /// The steps it leads to by itself: the one definition the checks,
    /// the diagrams and the machine share.
    fn successors(&self) -> Vec<StepIx>;

    /// Whether the step waits for the caller; those also lead wherever
    /// the flow's `anywhere` requests go, and where a bound must stop a
    /// loop (a ring of steps that never listen is an error of its own).
    fn listens(&self) -> bool;

    /// What the step does to the call's variable `name` (which values
    /// `check` knows it can take).
    fn gives(&self, name: &str) -> Gives<'_> {
        let _ = name;
        Gives::Nothing
    }

    /// Where intents lead from here, before the flow's `[anywhere]`;
    /// `None`: words lead nowhere at this step, not even anywhere.
    fn answers(&self) -> Option<&[(IntentIx, StepIx)]> {
        None
    }

    /// The second silence prompt (N5).
    fn reprompt(&self, flow: &Flow) -> PromptIx {
        flow.roles().silence_reprompt
    }

    /// What the front-end collects while the call listens here.
    fn listen_for(&self, at: &Listening<'_>) -> ListenFor {
        at.nothing()
    }

    /// What the kind owes the caller (N10-N12), on the compiled flow.
    fn check_norms(&self, at: &NormsAt<'_>, found: &mut Findings<'_>) {
        let _ = (at, found);
    }

    /// Its node and the edges it leads by (`callscript graph`).
    fn draw(&self, at: &DrawAt<'_>, g: &mut dyn Draw);

    /// What a simulated call at this step, in phase `state`, waits for;
    /// `None` where the simulator's own account of the phase applies.
    fn waits_for(&self, flow: &Flow, state: CallState) -> Option<WaitsFor> {
        let _ = (flow, state);
        None
    }

    /// What the caller's own goodbye (再见, 就这样吧, "that's all": issue
    /// 25) does while the call waits here, when it holds no request that
    /// leads on from here. Most kinds wait for keys, an entry or a result
    /// the caller no longer needs once they end the call, so the default is
    /// the close (`call/machine/at_step.rs`); a kind whose words answer
    /// something says so in its file.
    fn on_goodbye(&self, progress: &Progress) -> OnGoodbye {
        let _ = progress;
        OnGoodbye::Close
    }

    /// What the call does on reaching the step: go on at once (`Next`,
    /// within the same turn), or wait in a phase.
    fn enter<C: CallOps>(&self, call: &mut C) -> Entered<C::Phase>;

    /// One input while the call waits at the step in the generic phase
    /// (`CallOps::wait`). What the step does not take goes to the phase
    /// every step shares (hang-ups, audio trouble, the time limit).
    fn on_input<C: CallOps>(
        &self,
        progress: &mut Progress,
        input: StepInput<'_>,
        call: &mut C,
    ) -> C::Next {
        let _ = (progress, input);
        call.pass()
    }
}

/// What the caller's goodbye does at a step (`StepBehaviour::on_goodbye`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnGoodbye {
    /// The close: the flow's close step's goodbye without its "anything
    /// else?" (the caller just said no more), then the wait for their
    /// hang-up, where a real request reopens the call (N12).
    Close,
    /// This prompt first (the end of a wait: 不好意思让您久等了), then the
    /// close.
    CloseAfter(PromptIx),
    /// The kind's own rule, in its `on_input`.
    Own,
}

/// What a step does to one of the call's variables.
#[derive(Debug, Clone, PartialEq)]
pub enum Gives<'s> {
    Nothing,
    /// Only these values, as written.
    Literals(Vec<&'s str>),
    /// Whatever the caller or the front-end brings.
    AnyValue,
}

impl Gives<'_> {
    /// `AnyValue` for a variable the step fills, `Nothing` otherwise.
    pub fn any_value_if(fills: bool) -> Self {
        if fills {
            Gives::AnyValue
        } else {
            Gives::Nothing
        }
    }
}

/// Where a step's norms are checked.
pub struct NormsAt<'f> {
    pub flow: &'f Flow,
    pub step: &'f Step,
    pub ix: StepIx,
    pub span: Range<usize>,
}

/// What `simulate` shows a call waiting at a step.
#[derive(Debug, Clone, PartialEq)]
pub enum WaitsFor {
    /// A result or a timer, not words: shown alone, with its commands.
    Result(String),
    /// The step's own entry, then the intents that lead on by words.
    Entry {
        what: String,
        intents: Vec<IntentIx>,
    },
}

/// What the call does on reaching a step.
#[derive(Debug)]
pub enum Entered<P> {
    /// Go on to this step in the same turn (`say`, `set`, `branch`…).
    Next(StepIx),
    /// Wait in this phase.
    Phase(P),
}

/// One event as a step sees it (the machine reads it from the event).
#[derive(Debug, Clone, Copy)]
pub enum StepInput<'e> {
    /// Words or keys clear enough to act on.
    Heard(Heard<'e>),
    /// Speech too quiet, empty or unsure to use (N7).
    Unclear,
    /// The caller began speaking or keying.
    Started,
    /// The listen ran out in silence (the front-end's or the server's
    /// timer).
    Silence,
    /// Audio trouble the front-end reported.
    Audio,
    /// The front-end's answer to a lookup.
    LookupResult {
        name: &'e str,
        ok: bool,
        variables: &'e Vars,
    },
    /// The front-end's answer to a recording.
    RecordingResult { ok: bool, recording: &'e str },
    /// How the work behind a hold ended.
    HoldResult { ok: bool, variables: &'e Vars },
    /// The outcome of a transfer, and why it failed when the PBX says.
    TransferResult {
        connected: bool,
        cause: Option<TransferCause>,
    },
    /// The call reached the flow's `max_call_ms`.
    TimeLimit,
    /// What is the call's rather than the step's: the start, playback
    /// reports, data, hang-ups.
    Call,
}

/// The answer to a yes/no question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YesNo {
    Yes,
    No,
    /// Neither: other words, which may still hold requests.
    Neither,
}

/// What a call keeps while it waits at a step: the kinds share one small
/// record rather than each adding a phase of its own, so a new kind adds
/// no state to the machine.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Progress {
    /// Silent listens in a row (N5); any sound from the caller resets it.
    pub silent: u8,
    /// Answers the step could not take (`attempts`).
    pub wrong: u8,
    /// Keys so far: an entry, or the start of a longer menu key.
    pub typed: String,
    /// When the current wait ends, in ms of call time (a lookup's).
    pub until: u64,
    /// The kind's one flag: a lookup told the caller to hold on, a hold
    /// offered a callback.
    pub told: bool,
    /// A consent question asked again after other words (N10, N11).
    #[serde(default)]
    pub asked: u8,
    /// The caller agreed (a transfer sent, a hold begun).
    #[serde(default)]
    pub agreed: bool,
}

/// What the call can do for a step: the machine implements it, so a
/// kind's file decides without importing the machine. `Next` is what an
/// input leads to, `Phase` where entering a step leaves the call.
pub trait CallOps {
    type Next;
    type Phase;

    /// The call's flow.
    fn flow(&self) -> &Flow;
    /// The step the call is at.
    fn here(&self) -> StepIx;

    // --- saying and listening ---

    /// One of the flow's own prompts (silence, audio, goodbyes): the
    /// caller may always interrupt those.
    fn say(&mut self, prompt: PromptIx);
    /// One of the step's prompts, interruptible where the step allows it.
    fn say_step(&mut self, prompt: PromptIx);
    /// A step's prompt that tells the caller something (a bill, a ticket
    /// number): what "say again" repeats before the question after it.
    fn tell(&mut self, prompt: PromptIx);
    /// Listen for the flow's no-input time.
    fn listen(&mut self);
    fn listen_for(&mut self, timeout: Duration);
    /// Listen for what is left of a wait ending at `until` (ms).
    fn listen_until(&mut self, until: u64);
    /// The call time (ms) `wait` from now.
    fn deadline_after(&self, wait: Duration) -> u64;

    // --- asking the front-end ---

    /// Ask for data (`name`, with these variables' values).
    fn lookup(&mut self, name: &Arc<str>, params: &[Arc<str>]);
    /// Record the caller; the reference goes into `into`.
    fn record(&mut self, max: Duration, beep: bool, terminators: &Arc<str>, into: &Arc<str>);

    // --- the call's variables ---

    /// A variable's value: the call's own, its numbers, the flow's default.
    fn value_of(&self, name: &str) -> Option<String>;
    /// Keeps a value; the turn shows it as changed.
    fn set_variable(&mut self, name: &str, value: String);
    /// Keeps a value without showing it in the turn.
    fn keep_variable(&mut self, name: &str, value: String);
    /// Takes on an answer's values (shown as changed).
    fn merge(&mut self, variables: &Vars);
    /// Whether the call has every one of these variables.
    fn has_all(&self, names: &[Arc<str>]) -> bool;

    // --- what the caller means ---

    /// What clear input means (kept for the turn).
    fn understand(&mut self, heard: Heard<'_>) -> Understood;
    /// What the caller said, answered at this listening step: routed by
    /// its answers and anywhere, or the everyday replies (N6, N14, N15,
    /// N17), or not understood.
    fn respond(&mut self, understood: Understood) -> Self::Next;
    /// Where `intent` leads from this step (its answers, then anywhere).
    fn route(&self, intent: IntentIx) -> Option<StepIx>;
    /// The first of `intents` that leads somewhere, with the ones after
    /// it that do kept for the next step that listens.
    fn follow(&mut self, intents: &[IntentIx]) -> Option<StepIx>;
    /// Understood words as the answer to a yes/no question (asking for
    /// a person is no yes here), and the requests said with it.
    fn yes_or_no(&self, understood: Understood) -> (YesNo, Understood);
    /// The requests said alongside the last answer, taken.
    fn take_pending(&mut self) -> Understood;
    /// This step is the one a declined transfer returns to (N10).
    fn asks_here(&mut self);
    /// The menus the caller went through, for `@back` (bounded by the
    /// menu).
    fn trail(&mut self) -> &mut Vec<StepIx>;

    // --- subflows ---

    /// Enters a subflow at `entry` from this step; `None` when the stack
    /// is full.
    fn enter_subflow(&mut self, entry: StepIx) -> Option<StepIx>;
    /// Leaves the innermost subflow with `label`: where the calling step
    /// goes on.
    fn return_from_subflow(&mut self, label: &str) -> Option<StepIx>;

    // --- what an input leads to ---

    /// Nothing changes phase.
    fn stay(&mut self) -> Self::Next;
    /// The phase every step shares decides.
    fn pass(&mut self) -> Self::Next;
    /// On to a step.
    fn go(&mut self, to: StepIx) -> Self::Next;
    /// N5: `again`, then the goodbye, then hang up.
    fn silence(&mut self, silent: &mut u8, again: PromptIx) -> Self::Next;
    /// The answer to a consent question (N10, N11) by the rules every
    /// such question shares: silence follows N5 with the question as
    /// reprompt; other words hear the question again (after the answer to
    /// a question back: the agent number, `estimate` for how long), and
    /// after `consent_attempts` of them it counts as no. `Ok` is a yes or
    /// a no; `Err` is what the input leads to instead.
    fn consent(
        &mut self,
        question: PromptIx,
        agent_is_yes: bool,
        estimate: Option<PromptIx>,
        progress: &mut Progress,
    ) -> Result<YesNo, Self::Next>;
    /// Sends the transfer (the caller agreed, N10).
    fn send_transfer(&mut self, transfer: &TransferStep);
    /// Back to the step that last asked, after a declined transfer (N10).
    fn back_to_ask(&mut self) -> Self::Next;
    /// The call left us: the transfer connected.
    fn transferred(&mut self) -> Self::Next;
    /// Words at a close's "anything else?" (N12): the caller's own
    /// closings, say-again, a yes, a request, as the machine words them.
    fn closing_words(&mut self, close: &CloseStep, heard: Heard<'_>) -> Self::Next;
    /// The close's goodbye; then the caller hangs up first (N12).
    fn goodbye(&mut self, close: &CloseStep) -> Self::Next;

    // --- where entering a step leaves the call ---

    /// Wait at this step in the generic phase.
    fn wait(&mut self, progress: Progress) -> Self::Phase;
    /// The call cannot go on here: a person (N10) or a polite close (N12).
    fn cannot_go_on(&mut self) -> Self::Phase;

    /// At a listening step: requests said before it that it routes are
    /// answered at once; else its prompt (the calendar's opening, the
    /// first time) and a listen, in the generic phase.
    fn ask(&mut self, ask: &AskStep) -> Self::Phase;

    // The phase that is still the machine's own statig state (its
    // closing, with `awaiting_hangup` after it, is worded there).

    fn close(&mut self, close: &CloseStep) -> Self::Phase;
    /// Say `prompt` and hang up (the flow's end).
    fn hang_up(&mut self, prompt: PromptIx) -> Self::Phase;
}
