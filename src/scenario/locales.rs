//! One scenario file in several locales, and the wording files that check
//! every prompt's exact words once per locale.

use std::{collections::BTreeMap, fmt};

use serde::Deserialize;

use super::{Scenario, TranscriptText};
use crate::flow::FlowRegistry;

/// The transcripts of one scenario file: one per locale it runs in.
#[derive(Debug, Clone, PartialEq)]
pub struct Transcripts(pub Vec<(Option<String>, TranscriptText)>);

impl fmt::Display for Transcripts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let several = self.0.len() > 1;
        for (locale, transcript) in &self.0 {
            if several {
                writeln!(f, "--- {} ---", locale.as_deref().unwrap_or("default"))?;
            }
            write!(f, "{transcript}")?;
        }
        Ok(())
    }
}

/// The scenario as one run per locale, each with its `words` spelled out.
pub fn per_locale(scenario: &Scenario) -> Result<Vec<Scenario>, String> {
    if scenario.locales.is_empty() {
        if scenario.steps.iter().any(|s| s.words.is_some()) {
            return Err("`words` steps need `locales = [...]`".into());
        }
        return Ok(vec![scenario.clone()]);
    }
    if scenario.locale.is_some() {
        return Err("give `locale` or `locales`, not both".into());
    }
    scenario
        .locales
        .iter()
        .map(|locale| {
            let mut one = scenario.clone();
            one.locale = Some(locale.clone());
            one.locales = Vec::new();
            for (i, step) in one.steps.iter_mut().enumerate() {
                if let Some(name) = step.words.take() {
                    let text = scenario
                        .words
                        .get(&name)
                        .ok_or_else(|| format!("step {}: no [words.{name}]", i + 1))?
                        .get(locale)
                        .ok_or_else(|| format!("step {}: [words.{name}] has no {locale}", i + 1))?;
                    if step.say.is_some() {
                        return Err(format!("step {}: `say` and `words` both given", i + 1));
                    }
                    step.say = Some(text.clone());
                }
            }
            Ok(one)
        })
        .collect()
}

/// A wording file: the exact text of every prompt of one flow in one
/// locale. Scenarios expect prompts by id; this is where the words are
/// checked, once.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Wording {
    pub flow: String,
    pub locale: String,
    pub prompts: BTreeMap<String, String>,
}

/// Every difference between a wording file and the loaded flow.
pub fn check_wording(flows: &FlowRegistry, wording: &Wording) -> Vec<String> {
    let Some(flow) = flows.get(&wording.flow) else {
        return vec![format!("no flow {:?}", wording.flow)];
    };
    let Some(locale) = flow.locale_index(&wording.locale) else {
        return vec![format!(
            "flow {:?} has no locale {:?}",
            wording.flow, wording.locale
        )];
    };
    let mut problems = Vec::new();
    for prompt in flow.prompts() {
        match wording.prompts.get(&*prompt.id) {
            None => problems.push(format!("prompt {:?} is not in the wording file", prompt.id)),
            Some(want) if **prompt.text(locale) != **want => problems.push(format!(
                "prompt {:?} says {:?}, the wording file {want:?}",
                prompt.id,
                prompt.text(locale)
            )),
            Some(_) => {}
        }
    }
    for id in wording.prompts.keys() {
        if flow.prompt_index(id).is_none() {
            problems.push(format!("the flow has no prompt {id:?}"));
        }
    }
    problems
}
