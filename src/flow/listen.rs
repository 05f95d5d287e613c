//! What the front-end should collect while the call listens at a step:
//! keys or words, how many keys, which key ends an entry, the pause
//! between keys, and the phrases the step understands (hints for the
//! recogniser). A PBX adapter (Asterisk `Read()`, FreeSWITCH
//! `play_and_get_digits`) reads it from each `Listen` instead of keeping
//! its own table by step.

use std::sync::Arc;

use super::{Flow, IntentIx, LocaleIx, StepIx, StepKind};

/// What a listen collects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum InputMode {
    Dtmf,
    Speech,
    DtmfAndSpeech,
}

/// What the front-end collects at one step.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ListenFor {
    pub input: InputMode,
    /// Keys: the fewest and most (0: no bound).
    pub min_digits: u32,
    pub max_digits: u32,
    /// Keys that end an entry.
    pub terminators: Arc<str>,
    /// The pause between keys that ends an entry (0: none).
    pub inter_digit_ms: u32,
    /// The phrases understood here, in the call's locale.
    pub hints: Arc<[Arc<str>]>,
}

impl Flow {
    /// What to collect at `step` in `locale`, from the flow's table.
    pub fn listen_for(&self, step: StepIx, locale: LocaleIx) -> Arc<ListenFor> {
        let locales = self.locales.len().max(1);
        let table = self.listens.get_or_init(|| {
            StepIx::all(self.steps.len())
                .flat_map(|s| (0..locales).map(move |l| (s, l)))
                .map(|(s, l)| Arc::new(self.build_listen_for(s, l)))
                .collect()
        });
        let at = usize::from(step) * locales + usize::from(locale).min(locales - 1);
        match table.get(at) {
            Some(listen) => Arc::clone(listen),
            // A step of this flow is always in its table; built anyway.
            None => Arc::new(self.build_listen_for(step, usize::from(locale))),
        }
    }

    /// What to collect at `step` in `locale`: from the step's kind.
    fn build_listen_for(&self, step: StepIx, locale: usize) -> ListenFor {
        let phrases = |intents: &mut dyn Iterator<Item = IntentIx>| -> Arc<[Arc<str>]> {
            let mut out: Vec<Arc<str>> = Vec::new();
            for i in intents {
                for p in self
                    .intent(i)
                    .phrases
                    .per_locale
                    .get(locale)
                    .into_iter()
                    .flatten()
                {
                    let p: Arc<str> = p.as_str().into();
                    if !out.contains(&p) {
                        out.push(p);
                    }
                }
            }
            out.into()
        };
        let anywhere = || self.anywhere.iter().map(|(i, _)| *i);
        // Where the flow-wide keys apply: any of them, up to the longest.
        let flow_keys = |hints: Arc<[Arc<str>]>| {
            let longest = self
                .intents
                .iter()
                .flat_map(|i| i.phrases.dtmf.iter())
                .map(|k| k.len() as u32)
                .max();
            ListenFor {
                input: match longest {
                    Some(_) => InputMode::DtmfAndSpeech,
                    None => InputMode::Speech,
                },
                min_digits: u32::from(longest.is_some()),
                max_digits: longest.unwrap_or(0),
                terminators: "".into(),
                inter_digit_ms: 0,
                hints,
            }
        };
        let yes_no = || {
            let roles = self.roles();
            let mut intents = [roles.yes, roles.no]
                .into_iter()
                .flatten()
                .chain(anywhere());
            phrases(&mut intents)
        };
        match &self.step(step).kind {
            StepKind::Ask { answers, .. } => {
                let mut intents = answers.iter().map(|(i, _)| *i).chain(anywhere());
                flow_keys(phrases(&mut intents))
            }
            StepKind::Menu(menu) => {
                let mut intents = menu.answers.iter().map(|(i, _)| *i).chain(anywhere());
                ListenFor {
                    input: InputMode::DtmfAndSpeech,
                    min_digits: 1,
                    max_digits: menu.max_digits() as u32,
                    terminators: "".into(),
                    inter_digit_ms: 0,
                    hints: phrases(&mut intents),
                }
            }
            StepKind::Collect(collect) => match &collect.digits {
                Some(d) => ListenFor {
                    input: InputMode::Dtmf,
                    min_digits: u32::from(d.min),
                    max_digits: u32::from(d.max),
                    terminators: d.terminator.map(String::from).unwrap_or_default().into(),
                    inter_digit_ms: d.inter_digit.as_millis() as u32,
                    hints: Arc::new([]),
                },
                None => ListenFor {
                    input: InputMode::Speech,
                    min_digits: 0,
                    max_digits: 0,
                    terminators: "".into(),
                    inter_digit_ms: 0,
                    hints: phrases(&mut anywhere()),
                },
            },
            StepKind::Transfer(_)
            | StepKind::Hold(_)
            | StepKind::Close(_)
            | StepKind::Lookup(_) => flow_keys(yes_no()),
            // These never wait for the caller themselves: whatever listens
            // after them (a goodbye's wait) takes words. A recording is
            // the front-end's to make (its `Record` action); the listen
            // after it is only the bound of the wait for it.
            StepKind::Say { .. }
            | StepKind::Hangup { .. }
            | StepKind::Branch(_)
            | StepKind::Set(_)
            | StepKind::Record(_)
            | StepKind::Call(_)
            | StepKind::Return(_) => ListenFor {
                input: InputMode::Speech,
                min_digits: 0,
                max_digits: 0,
                terminators: "".into(),
                inter_digit_ms: 0,
                hints: Arc::new([]),
            },
        }
    }
}
