//! Compiling how callers are understood: the flow's own words for the
//! segmenter, the front-end's confidence threshold, the intents' examples
//! and how near a line must be to one.

use std::{collections::HashMap, sync::Arc};

use super::{
    IntentIx,
    classifier::{Classifier, Collision},
    compile::{Checked, Findings, Source},
    raw::RawFlow,
};

/// Front-end intents at or above this confidence win over the words.
const NLU_CONFIDENCE: f32 = 0.8;

/// A line this near (cosine) an intent's example counts as that intent.
/// Measured on tests/understanding with the shipped examples and the
/// classifier's features (flow/classifier.rs): 0.4 gives the best first
/// corpus for both flows (hotline 97.4 %, outbound 98.5 %); 0.45 loses
/// 0.6 and 0 points there (2.4 and 1.3 held out), 0.36 loses 0.9 and 0
/// (0.6 and 0 held out).
pub const MIN_CONFIDENCE: f32 = 0.4;

/// How a flow understands words beyond its phrases.
#[derive(Debug, Clone)]
pub(super) struct Settings {
    /// The segmenter's extra words per locale.
    pub words: Vec<Vec<String>>,
    pub nlu_confidence: f32,
    pub min_confidence: f32,
    /// Phrases are also found by their sound.
    pub pinyin: bool,
}

/// The segmenter's extra words per locale, and the thresholds.
pub(super) fn check_understanding(
    source: &Source<'_>,
    raw: &RawFlow,
    locales: &[Arc<str>],
) -> Checked<Settings> {
    let mut found = Findings::new(source);
    let u = &raw.understanding;
    let mut words = vec![Vec::new(); locales.len()];
    for (locale, list) in &u.words {
        match locales.iter().position(|l| **l == **locale.get_ref()) {
            Some(ix) => {
                for w in list.get_ref() {
                    if w.trim().is_empty() {
                        found.error(
                            list.span(),
                            None,
                            "understanding.words holds an empty word".into(),
                        );
                    }
                    words[ix].push(w.trim().to_lowercase());
                }
            }
            None => found.error(
                locale.span(),
                None,
                format!(
                    "understanding.words: {:?} is not a declared locale ({})",
                    locale.get_ref(),
                    locales.iter().map(|l| &**l).collect::<Vec<_>>().join(", ")
                ),
            ),
        }
    }
    let nlu = match &u.nlu_confidence {
        None => NLU_CONFIDENCE,
        Some(v) if (0.0..=1.0).contains(v.get_ref()) => *v.get_ref() as f32,
        Some(v) => {
            found.error(
                v.span(),
                None,
                format!("nlu_confidence = {} must be between 0 and 1", v.get_ref()),
            );
            NLU_CONFIDENCE
        }
    };
    let min_confidence = match &u.min_confidence {
        None => MIN_CONFIDENCE,
        Some(v) if (0.0..=1.0).contains(v.get_ref()) => *v.get_ref() as f32,
        Some(v) => {
            found.error(
                v.span(),
                None,
                format!("min_confidence = {} must be between 0 and 1", v.get_ref()),
            );
            MIN_CONFIDENCE
        }
    };
    found.done(Settings {
        words,
        nlu_confidence: nlu,
        min_confidence,
        pinyin: u.pinyin.unwrap_or(true),
    })
}

/// Learns the intents' examples (`[examples.<intent>]`, sentences per
/// locale) and warns where two intents' examples collide, as Dialogflow
/// warns of conflicting training phrases: the caller would get whichever
/// the model happens to prefer.
pub(super) fn learn_examples(
    source: &Source<'_>,
    raw: &RawFlow,
    locales: &[Arc<str>],
    intents: &HashMap<String, IntentIx>,
    min_confidence: f32,
) -> Checked<Classifier> {
    let mut found = Findings::new(source);
    let mut examples = vec![vec![Vec::new(); locales.len()]; intents.len()];
    let mut spans = vec![None; intents.len()];
    for (name, per_locale) in raw.examples.iter().flat_map(|t| t.get_ref()) {
        let Some(&ix) = intents.get(name.get_ref()) else {
            found.error(
                name.span(),
                None,
                format!("examples for {:?}, which is not an intent", name.get_ref()),
            );
            continue;
        };
        spans[usize::from(ix)] = Some(name.span());
        for (locale, list) in per_locale.get_ref() {
            let Some(l) = locales.iter().position(|l| **l == **locale.get_ref()) else {
                found.error(
                    locale.span(),
                    None,
                    format!(
                        "examples.{}: {:?} is not a declared locale",
                        name.get_ref(),
                        locale.get_ref()
                    ),
                );
                continue;
            };
            for sentence in list.get_ref() {
                if sentence.get_ref().trim().is_empty() {
                    found.error(
                        sentence.span(),
                        None,
                        format!("examples.{} holds an empty sentence", name.get_ref()),
                    );
                }
                examples[usize::from(ix)][l].push(sentence.get_ref().trim().to_owned());
            }
        }
    }
    let classifier = Classifier::train(&examples, locales.len());
    let name_of = |ix: IntentIx| {
        intents
            .iter()
            .find(|(_, i)| **i == ix)
            .map_or("?", |(n, _)| n.as_str())
    };
    for c in classifier.collisions(min_confidence) {
        let (of, message) = match &c {
            Collision::Same {
                locale,
                sentence,
                intents: (a, b),
            } => (
                *b,
                format!(
                    "{sentence:?} is an example of both {:?} and {:?} ({}): callers saying it get either",
                    name_of(*a),
                    name_of(*b),
                    locales[*locale]
                ),
            ),
            Collision::Confused {
                locale,
                of,
                for_,
                count,
                total,
            } => (
                *of,
                format!(
                    "{count} of {total} examples of {:?} ({}) are nearer an example of {:?}: tell the two apart with more or plainer examples",
                    name_of(*of),
                    locales[*locale],
                    name_of(*for_)
                ),
            ),
        };
        let span = spans[usize::from(of)].clone().unwrap_or(0..0);
        found.warn(span, None, message);
    }
    found.done(classifier)
}
