//! The machine's face: a call started from its setup, events handled at
//! the time given, and what the engine and the edge read of the call.

use std::{cell::Cell, sync::Arc, time::Duration};

use statig::prelude::*;

use super::{Script, State, ends_the_call};
use crate::calendar::DayPart;
use crate::call::{Action, CallState, EndReason, Event, Vars};
use crate::flow::{Flow, LocaleIx, PromptIx, StepBehaviour, matcher::Understood};

/// What a call is started with, besides its flow.
#[derive(Debug, Clone)]
pub struct CallSetup {
    pub flow: Arc<Flow>,
    pub locale: LocaleIx,
    /// The calendar's opening for this call, if the flow has one.
    pub opening: Option<PromptIx>,
    pub day_part: DayPart,
    /// This call's own variables (StartCall's `variables`): caller data.
    pub variables: Vars,
    /// The call's numbers, which a lookup may send as params.
    pub caller: Arc<str>,
    pub callee: Arc<str>,
    /// The centre is closed (the flow's opening hours): the call starts at
    /// the flow's `after_hours` step instead of its start.
    pub after_hours: bool,
}

/// A call's machine. `handle` appends the actions an event calls for.
///
/// Serde writes and reads all of it (the shared call store's snapshot);
/// reading needs the call's flow in scope (`snapshot::with_flow`).
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub struct CallMachine {
    sm: StateMachine<Script>,
    /// Time since the call started, as last given.
    elapsed: Duration,
    /// The intents understood from the last event (for turns).
    understood: Vec<Arc<str>>,
}

impl CallMachine {
    pub fn new(setup: CallSetup) -> Self {
        let steps = setup.flow.steps().len();
        let start = match (setup.after_hours, setup.flow.opening_hours()) {
            (true, Some(h)) => h.after_hours,
            _ => setup.flow.start(),
        };
        let script = Script {
            start,
            last_ask: start,
            after_hours: setup.after_hours,
            flow: setup.flow,
            locale: setup.locale,
            opening: setup.opening,
            day_part: setup.day_part,
            opened: false,
            unclear: 0,
            language: 0,
            not_understood: 0,
            nuisance: 0,
            visits: vec![0; steps].into_boxed_slice(),
            pending: Understood::default(),
            last_said: None,
            heard: Understood::default(),
            told: None,
            spoke: false,
            caller_spoke: false,
            ended: None,
            vars: setup.variables.into(),
            frames: Default::default(),
            caller: setup.caller,
            callee: setup.callee,
            now: Cell::new(Duration::ZERO),
            menus: Default::default(),
            changed: Default::default(),
        };
        CallMachine {
            sm: script.state_machine(),
            elapsed: Duration::ZERO,
            understood: Vec::new(),
        }
    }

    /// Feeds one event, at the time last given (see `handle_at`).
    pub fn handle(&mut self, event: &Event, out: &mut Vec<Action>) {
        self.handle_at(self.elapsed, event, out);
    }

    /// Feeds one event that came `elapsed` after the call started. Past the
    /// flow's `max_call_ms` the call closes with a goodbye; every listen is
    /// cut short so the timer fires by then.
    pub fn handle_at(&mut self, elapsed: Duration, event: &Event, out: &mut Vec<Action>) {
        self.elapsed = self.elapsed.max(elapsed);
        self.sm.inner().now.set(self.elapsed);
        let max = self.flow().timing().max_call;
        let first = out.len();
        if self.elapsed >= max && self.ended().is_none() && !ends_the_call(event) {
            self.sm.handle_with_context(&Event::TimeLimit, out);
        } else {
            self.sm.handle_with_context(event, out);
        }
        let left = max
            .saturating_sub(self.elapsed)
            .max(Duration::from_millis(1));
        for action in &mut out[first..] {
            if let Action::Listen { timeout } = action {
                *timeout = (*timeout).min(left);
            }
        }
        let flow = self.sm.inner().flow.clone();
        self.understood.clear();
        self.understood.extend(
            self.sm
                .inner()
                .heard
                .as_slice()
                .iter()
                .map(|&i| flow.intent(i).name.clone()),
        );
    }

    /// The names of the intents understood from the last event.
    pub fn understood(&self) -> &[Arc<str>] {
        &self.understood
    }

    /// The phase the call is in.
    pub fn state(&self) -> CallState {
        match self.sm.state() {
            State::Ringing {} => CallState::Ringing,
            // The kind says which phase its step shows.
            State::AtStep { step, progress } => self.flow().step(*step).kind.state(progress),
            State::AwaitingHangup { .. } => CallState::AwaitingHangup,
            State::ConfirmingSwitch { .. } => CallState::ConfirmingSwitch,
            State::CheckingHandset { .. } => CallState::CheckingHandset,
            State::Ended {} => CallState::Ended,
        }
    }

    /// The phase name shown in turns and records.
    pub fn state_name(&self) -> &'static str {
        self.state().as_str()
    }

    /// The id of the step the call is at.
    pub fn step(&self) -> Option<&Arc<str>> {
        let ix = self.step_ix()?;
        Some(&self.sm.inner().flow.step(ix).id)
    }

    /// What the front-end should collect while it listens at this step.
    pub fn listen_for(&self) -> Option<Arc<crate::flow::ListenFor>> {
        let ix = self.step_ix()?;
        Some(self.flow().listen_for(ix, self.locale()))
    }

    /// The variables the last event set or changed.
    pub fn changed(&self) -> &std::collections::BTreeMap<String, String> {
        &self.sm.inner().changed
    }

    fn step_ix(&self) -> Option<crate::flow::StepIx> {
        let ix = match self.sm.state() {
            State::AtStep { step, .. }
            | State::AwaitingHangup { step, .. }
            | State::ConfirmingSwitch { step, .. }
            | State::CheckingHandset { step, .. } => *step,
            State::Ringing {} | State::Ended {} => return None,
        };
        Some(ix)
    }

    pub fn ended(&self) -> Option<EndReason> {
        self.sm.inner().ended
    }

    pub fn flow(&self) -> &Arc<Flow> {
        &self.sm.inner().flow
    }

    pub fn locale(&self) -> LocaleIx {
        self.sm.inner().locale
    }

    /// This call's own variables (caller data: never log them above debug).
    pub fn variables(&self) -> &Vars {
        &self.sm.inner().vars
    }
}
