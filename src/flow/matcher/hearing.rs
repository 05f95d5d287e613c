//! What one line is understood as, and why: the phrases, then the phrases
//! heard through pinyin, then the intents' examples, each asked only when
//! the one before found nothing (understanding stays one automaton scan
//! for the lines the phrases settle).

use super::{MAX_HEARD, Matcher, Understood};
use crate::flow::{
    IntentIx,
    classifier::{Classifier, Guess},
};

use super::pinyin::Slips;

/// Confidence of a phrase found as written.
pub const PHRASE_CONFIDENCE: f32 = 1.0;
/// Confidence of a phrase found only through its sound: a slip is likely
/// but not certain, so it ranks below anything written.
pub const PINYIN_CONFIDENCE: f32 = 0.9;

/// One pass of the phrases over a line.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Pass {
    pub(super) found: Understood,
    /// Byte range of the phrase of each intent found, in order.
    pub(super) spans: [(usize, usize); MAX_HEARD],
    /// Requests said under negation (我不要改套餐): not made.
    pub(super) negated: Understood,
    /// Some clause asks something: no yes or no came from it.
    pub(super) question: bool,
    /// Clauses in which no phrase stands (byte ranges), when some other
    /// clause holds one: the examples may say what they mean.
    /// With whether each asks.
    pub(super) bare: [(usize, usize, bool); MAX_BARE],
    pub(super) n_bare: usize,
    /// What the examples made of the bare clauses, where it counted.
    pub(super) clause_guesses: [Option<Guess>; MAX_BARE],
}

/// Most clauses without a phrase looked at in one line.
pub(super) const MAX_BARE: usize = 4;

impl Pass {
    pub(super) fn push(&mut self, intent: IntentIx, start: usize, end: usize) {
        let n = self.found.as_slice().len();
        self.found.push(intent);
        if self.found.as_slice().len() > n {
            self.spans[n] = (start, end);
        }
    }
}

/// How a line was understood.
#[derive(Debug, Clone, PartialEq)]
pub enum How {
    /// The flow's phrases, as written.
    Phrases,
    /// The flow's phrases, once slips were written as the phrases write
    /// them (`heard_as`).
    Pinyin { heard_as: String },
    /// The intent whose example is nearest.
    Example { guess: Guess },
    /// Nothing: no phrase, and the nearest example (if any) below the
    /// flow's `min_confidence`.
    Nothing { nearest: Option<Guess> },
}

/// What a line means, and why.
#[derive(Debug, Clone)]
pub struct Hearing {
    /// The intents, in the order said.
    pub found: Understood,
    /// The phrase said for each of `found` (for phrases and pinyin) that
    /// no example gave.
    pub phrases: Vec<String>,
    /// The examples nearest the clauses without a phrase, where they
    /// counted (with phrases elsewhere in the line).
    pub clauses: Vec<Guess>,
    /// Requests said under negation, which do not count.
    pub negated: Understood,
    /// The line asks something, so it holds no yes and no no.
    pub question: bool,
    pub how: How,
}

impl Hearing {
    /// How sure: 1 for a phrase, less for a slip, the example's score.
    pub fn confidence(&self) -> f32 {
        match &self.how {
            How::Phrases => PHRASE_CONFIDENCE,
            How::Pinyin { .. } => PINYIN_CONFIDENCE,
            How::Example { guess } => guess.score,
            How::Nothing { .. } => 0.0,
        }
    }
}

impl Matcher {
    /// Also hears slips (花费 for 话费).
    pub(crate) fn with_slips(mut self, slips: Slips) -> Matcher {
        self.slips = Some(slips);
        self
    }

    /// Also understands lines like the intents' examples, from
    /// `min_confidence` up.
    pub(crate) fn with_classifier(mut self, c: Classifier, min_confidence: f32) -> Matcher {
        self.classifier = (!c.is_empty()).then_some(c);
        self.min_confidence = min_confidence;
        self
    }

    /// The example `guess` was nearest to.
    pub fn example(&self, locale: usize, guess: &Guess) -> &str {
        self.classifier
            .as_ref()
            .map_or("", |c| c.example(locale, guess.example))
    }

    /// What `words` mean, and why.
    pub fn hear(&self, locale: usize, words: &str) -> Hearing {
        let pass = self.phrases(locale, words);
        self.hear_after(locale, words, pass)
    }

    /// What `words` mean once the phrases made `pass` of them.
    pub(super) fn hear_after(&self, locale: usize, words: &str, pass: Pass) -> Hearing {
        if !pass.found.is_empty() {
            let pass = self.bare_clauses(locale, words, pass);
            return self.heard(words, pass, How::Phrases);
        }
        if let Some(heard_as) = self.slips.as_ref().and_then(|s| s.rewrite(locale, words)) {
            let slipped = self.slipped(locale, words, &heard_as);
            if !slipped.found.is_empty() {
                let hearing = self.heard(&heard_as, slipped, How::Phrases);
                return Hearing {
                    how: How::Pinyin { heard_as },
                    ..hearing
                };
            }
        }
        let nearest = self.classifier.as_ref().and_then(|c| {
            c.guess(locale, words, |i| {
                self.may_count(&pass.negated, i, pass.question)
            })
        });
        match nearest {
            Some(guess) if guess.score >= self.min_confidence => {
                let mut found = pass;
                found.found.push(guess.intent);
                self.heard(words, found, How::Example { guess })
            }
            _ => self.heard(words, pass, How::Nothing { nearest }),
        }
    }

    /// The intents of the clauses in which no phrase stands, from the
    /// examples: 我不要机器,我要人 is no machine, and a person. A clause's
    /// guess counts as a whole line's would: from `min_confidence` up, not
    /// for a request said under negation, and no yes or no from a clause
    /// that asks.
    fn bare_clauses(&self, locale: usize, words: &str, mut pass: Pass) -> Pass {
        let Some(classifier) = &self.classifier else {
            return pass;
        };
        let bare = pass.bare;
        for &(start, end, asks) in &bare[..pass.n_bare] {
            let Some(guess) = classifier.guess(locale, &words[start..end], |i| {
                self.may_count(&pass.negated, i, asks)
            }) else {
                continue;
            };
            if guess.score >= self.min_confidence {
                let n = pass.found.as_slice().len();
                pass.push(guess.intent, start, end);
                if pass.found.as_slice().len() > n
                    && let Some(free) = pass.clause_guesses.iter_mut().find(|g| g.is_none())
                {
                    *free = Some(guess);
                }
            }
        }
        pass
    }

    /// Whether the examples may give `intent`: not a request said under
    /// negation, and no yes or no from words that ask. Only such intents
    /// are guessed, so the nearest that may count is taken rather than
    /// nothing.
    fn may_count(&self, negated: &Understood, intent: IntentIx, asks: bool) -> bool {
        !(negated.contains(intent) || asks && self.is_answer(intent))
    }

    /// The phrases found in `heard_as` that were not in `words` as said,
    /// of two characters or more (a single character is too often a
    /// homophone to trust).
    fn slipped(&self, locale: usize, words: &str, heard_as: &str) -> Pass {
        let all = self.phrases(locale, heard_as);
        let mut kept = Pass {
            negated: all.negated,
            question: all.question,
            ..Pass::default()
        };
        kept.found.question = all.question;
        for (&intent, &(s, e)) in all.found.as_slice().iter().zip(&all.spans) {
            let slip = words.get(s..e) != heard_as.get(s..e);
            let long = heard_as
                .get(s..e)
                .is_some_and(|p| p.chars().nth(1).is_some());
            if slip && long {
                kept.push(intent, s, e);
            }
        }
        kept
    }

    fn heard(&self, words: &str, pass: Pass, how: How) -> Hearing {
        let clauses: Vec<Guess> = pass.clause_guesses.iter().flatten().copied().collect();
        let by_example = |i: &IntentIx| clauses.iter().any(|g| g.intent == *i);
        let phrases = match how {
            How::Phrases | How::Pinyin { .. } => pass
                .found
                .as_slice()
                .iter()
                .zip(&pass.spans)
                .filter(|(i, _)| !by_example(i))
                .map(|(_, &(s, e))| words.get(s..e).unwrap_or_default().to_owned())
                .collect(),
            How::Example { .. } | How::Nothing { .. } => Vec::new(),
        };
        Hearing {
            found: pass.found,
            phrases,
            clauses,
            negated: pass.negated,
            question: pass.question,
            how,
        }
    }
}
