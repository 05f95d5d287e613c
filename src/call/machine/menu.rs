//! A `menu` step: the choices said, then the menu's own keys (or words)
//! lead on. The intents' flow-wide keys do not apply here, so keys of
//! one step never act at another; `[anywhere]` requests still work by
//! speech. Silence and audio trouble are as at an `ask` (N5, N7-N9).

use std::{mem, sync::Arc};

use statig::prelude::*;

use super::{Outbox, Script, State, caller_sound};
use crate::{
    call::{Event, understanding::Input},
    flow::{Heard, KeyPress, MenuKey, MenuStep, StepIx},
};

/// Menus remembered for `@back`: deeper trees than this are rare, and the
/// bound keeps a call's state small however the caller wanders.
const BACK_STACK: usize = 8;

/// Where a menu call is: what was keyed so far (the start of a longer
/// key), silent listens (N5) and invalid answers (`attempts`).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MenuProgress {
    pub typed: String,
    pub silent: u8,
    pub wrong: u8,
}

impl Script {
    /// Says the menu and waits in it; the menu becomes the one `@back`
    /// returns to from the menus after it.
    pub(super) fn enter_menu(&mut self, step: StepIx, menu: &MenuStep, out: &mut Outbox) -> State {
        self.last_ask = step;
        match self.menus.iter().position(|s| *s == step) {
            Some(at) => self.menus.truncate(at + 1),
            None => {
                if self.menus.len() == BACK_STACK {
                    self.menus.remove(0);
                }
                self.menus.push(step);
            }
        }
        if self.routable(step, self.pending) {
            let pending = mem::take(&mut self.pending);
            if let Some(state) = self.menu_words(step, pending.as_slice(), out) {
                return state;
            }
        }
        self.pending = Default::default();
        self.say_at(step, menu.prompt, out);
        self.listen(out);
        // Shared, not copied: the state stays small whatever the menu holds.
        State::in_menu(step, Arc::new(menu.clone()), MenuProgress::default())
    }

    /// One event at a menu.
    pub(super) fn menu_event(
        &mut self,
        out: &mut Outbox,
        step: StepIx,
        menu: &MenuStep,
        progress: &mut MenuProgress,
        event: &Event,
    ) -> Outcome<State> {
        if caller_sound(event) {
            progress.silent = 0;
        }
        match (self.input(event), event) {
            (Input::Clear(Heard::Keys(digits)), _) => {
                progress.typed.push_str(digits);
                match menu.key(&progress.typed) {
                    KeyPress::Key(key) => {
                        progress.typed.clear();
                        self.menu_key(step, menu, key, out)
                    }
                    KeyPress::Partial => {
                        self.listen(out);
                        Handled
                    }
                    KeyPress::Invalid => {
                        progress.typed.clear();
                        self.menu_invalid(step, menu, progress, out)
                    }
                }
            }
            (Input::Clear(heard @ Heard::Words(_)), _) => {
                progress.typed.clear();
                let understood = self.understand(event, heard);
                match self.menu_words(step, understood.as_slice(), out) {
                    Some(next) => Transition(next),
                    None => self.menu_invalid(step, menu, progress, out),
                }
            }
            // The caller stopped keying before a whole key.
            (Input::NotInput, Event::NoInput) if !progress.typed.is_empty() => {
                progress.typed.clear();
                self.menu_invalid(step, menu, progress, out)
            }
            (Input::NotInput, Event::NoInput) => {
                let again = self.reprompt(step);
                self.silence(&mut progress.silent, again, out)
            }
            (
                _,
                Event::Start
                | Event::PromptPlayed
                | Event::InputStarted
                | Event::Speech { .. }
                | Event::Dtmf { .. }
                | Event::NoInput
                | Event::Audio(_)
                | Event::TransferResult { .. }
                | Event::Data { .. }
                | Event::LookupResult { .. }
                | Event::HoldResult { .. }
                | Event::RecordingResult { .. }
                | Event::CallerHangup
                | Event::OperatorHangup
                | Event::FrontEndLost
                | Event::Shutdown
                | Event::TimeLimit,
            ) => Super,
        }
    }

    fn menu_key(
        &mut self,
        step: StepIx,
        menu: &MenuStep,
        key: MenuKey,
        out: &mut Outbox,
    ) -> Outcome<State> {
        match key {
            MenuKey::Step(to) => Transition(self.enter(to, out)),
            MenuKey::Repeat => {
                self.say_at(step, menu.prompt, out);
                self.listen(out);
                Handled
            }
            MenuKey::Back => {
                // The top is this menu; the one below is where the caller
                // came from. At the first menu, `@back` says it again.
                let came_from = match self.menus.as_slice() {
                    [.., from, top] if *top == step => Some(*from),
                    _ => None,
                };
                match came_from {
                    Some(from) => {
                        self.menus.pop();
                        Transition(self.enter(from, out))
                    }
                    None => self.menu_key(step, menu, MenuKey::Repeat, out),
                }
            }
        }
    }

    /// Words at a menu: the first intent the menu (or `[anywhere]`) routes,
    /// with the routable ones after it kept for the next step.
    fn menu_words(
        &mut self,
        step: StepIx,
        intents: &[crate::flow::IntentIx],
        out: &mut Outbox,
    ) -> Option<State> {
        let (k, to) = intents
            .iter()
            .enumerate()
            .find_map(|(k, &i)| self.route(step, i).map(|to| (k, to)))?;
        let mut rest = crate::flow::matcher::Understood::default();
        for &i in &intents[k + 1..] {
            if self.route(step, i).is_some() {
                rest.push(i);
            }
        }
        self.not_understood = 0;
        self.pending = rest;
        Some(self.enter(to, out))
    }

    /// A key or words the menu does not have: `invalid` and the menu
    /// again, and after `attempts` of them, `exhausted`.
    fn menu_invalid(
        &mut self,
        step: StepIx,
        menu: &MenuStep,
        progress: &mut MenuProgress,
        out: &mut Outbox,
    ) -> Outcome<State> {
        progress.wrong = progress.wrong.saturating_add(1);
        if progress.wrong >= menu.attempts {
            return Transition(self.enter(menu.exhausted, out));
        }
        self.say_at(step, menu.invalid, out);
        self.say_at(step, menu.prompt, out);
        self.listen(out);
        Handled
    }
}
