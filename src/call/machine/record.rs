//! A `record` step: the instructions, a `Record` action, and a wait for
//! the front-end's `recording_result`, bounded by the recording's length
//! and a margin. The caller's voice is the recording, not an answer, so
//! neither words nor silence move the call meanwhile (N5 does not count
//! a caller who is speaking to the recorder as silent).

use std::time::Duration;

use statig::prelude::*;

use super::{Outbox, Script, State};
use crate::{
    call::{Action, Event},
    flow::{RecordStep, StepIx},
};

/// How long after the longest recording the answer may take: the
/// instructions and the beep play first (the timer starts with the turn
/// on a front-end that does not report playback), and the front-end
/// stores the file before it answers.
const ANSWER_MARGIN: Duration = Duration::from_secs(15);

impl Script {
    /// Enters a `record` step: the instructions, the action, the bound.
    pub(super) fn start_recording(
        &mut self,
        step: StepIx,
        record: &RecordStep,
        out: &mut Outbox,
    ) -> State {
        self.say(record.instructions, out);
        out.push(Action::Record {
            max: record.max,
            beep: record.beep,
            terminators: record.terminators.clone(),
            into: record.into.clone(),
        });
        out.push(Action::Listen {
            timeout: record.max + ANSWER_MARGIN,
        });
        State::recording(step, record.clone())
    }

    /// An event while recording (`recording` in the machine): the result
    /// → `next` with the reference kept, or `failed`; no result by the
    /// bound → `failed`.
    pub(super) fn recording_event(
        &mut self,
        context: &mut Outbox,
        record: &RecordStep,
        event: &Event,
    ) -> Outcome<State> {
        match event {
            Event::RecordingResult { ok, recording, .. } if *ok && !recording.is_empty() => {
                self.vars.insert(record.into.to_string(), recording.clone());
                Transition(self.enter(record.next, context))
            }
            Event::RecordingResult { .. } | Event::NoInput => {
                Transition(self.enter(record.failed, context))
            }
            // The caller is talking to the recorder, or keying its end.
            Event::Speech { .. } | Event::Dtmf { .. } | Event::Audio(_) | Event::InputStarted => {
                Handled
            }
            Event::Start
            | Event::PromptPlayed
            | Event::TransferResult { .. }
            | Event::Data { .. }
            | Event::LookupResult { .. }
            | Event::HoldResult { .. }
            | Event::CallerHangup
            | Event::OperatorHangup
            | Event::FrontEndLost
            | Event::Shutdown
            | Event::TimeLimit => Super,
        }
    }
}
