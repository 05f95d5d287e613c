//! Recognising what a caller meant, from their words or keys.
//!
//! Visible to a script designer and still word-aware: an intent matches when
//! one of its phrases stands in the caller's words as whole words.
//!
//! - Chinese has no spaces, so words come from a segmenter (jieba, with
//!   its embedded dictionary), overlaid with the flow's own `[understanding]
//!   words` and a built-in list of polite and question words (不好意思,
//!   没关系, 是不是, 可不可以, …) that contain a yes/no word but are not an
//!   answer. A one-character phrase must be a word by itself (是 is not in
//!   但是); no phrase counts inside a neutral word (不好 is not in
//!   不好意思, 是 not in 是不是).
//! - Alphabetic scripts match on word boundaries, case-insensitively ("no"
//!   is not in "know").
//! - One automaton (aho-corasick) per locale holds every phrase of the
//!   flow, so an event costs one scan whatever the number of intents; the
//!   segmenter runs only around one-character phrases (the ones a longer
//!   word most often hides), on a few characters of context.
//! - Where phrases overlap, the one containing the other wins: 不可以 (no)
//!   over 可以 (yes).
//! - A caller may say several things at once. All intents come back in the
//!   order said. A yes/no word counts only as an answer when it leads its
//!   clause: in 工号是多少 the 是 belongs to the question about 工号.

mod clauses;
mod hearing;
mod marks;
mod pinyin;
mod words;

use std::sync::LazyLock;

use aho_corasick::{Anchored, MatchKind, automaton::Automaton, dfa::DFA};

pub(crate) use clauses::ends_clause;
pub use hearing::{Hearing, How, PHRASE_CONFIDENCE, PINYIN_CONFIDENCE};
pub(super) use pinyin::Slips;
pub use words::segment;

use super::{IntentIx, classifier::Classifier};
use clauses::{clause_start, is_negated, leads_clause};
use hearing::{MAX_BARE, Pass};
use marks::{Mark, Marks};
use words::{JIEBA, MAX_WORDS, NEUTRAL_WORDS, WordsFound, chinese_words};

/// Most phrases one utterance is checked for; more are ignored.
const MAX_HITS: usize = 24;

/// At most this many intents are kept from one utterance.
const MAX_HEARD: usize = 8;

/// One intent's phrases for one locale, plus its keys, as written.
#[derive(Debug, Clone, Default)]
pub struct Phrases {
    /// Lower-cased phrases, per locale index.
    pub per_locale: Vec<Vec<String>>,
    pub dtmf: Vec<String>,
}

/// A flow's compiled matcher.
#[derive(Debug, Default)]
pub struct Matcher {
    locales: Vec<LocaleMatcher>,
    keys: Vec<(String, IntentIx)>,
    /// The answer intents, which obey the clause rule.
    answers: [Option<IntentIx>; 2],
    /// The phrases as they sound, for ASR slips; `None` when the flow
    /// turns them off.
    slips: Option<Slips>,
    /// The intents' examples, asked when no phrase is found.
    classifier: Option<Classifier>,
    /// Below this an example's score means nothing.
    min_confidence: f32,
}

#[derive(Debug)]
struct LocaleMatcher {
    /// Every phrase of every intent in this locale, the flow's own words
    /// and the neutral words: one scan finds them all.
    phrases: Option<DFA>,
    /// What each pattern is.
    owners: Vec<Owner>,
}

#[derive(Debug, Clone, Copy)]
enum Owner {
    /// A phrase of an intent; `ascii` for alphabetic scripts.
    Phrase { intent: IntentIx, ascii: bool },
    /// One of the flow's `[understanding] words`.
    Word,
    /// A built-in neutral word.
    Neutral,
    /// Punctuation or a question word: where clauses end and ask.
    Mark(Mark),
}

/// What one utterance said, in the order said.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Understood {
    intents: [IntentIx; MAX_HEARD],
    len: u8,
    /// The caller asked something (是真人吗?): no yes or no came from it,
    /// and whatever else it holds is no consent either.
    #[serde(default)]
    question: bool,
}

impl Understood {
    pub fn as_slice(&self) -> &[IntentIx] {
        &self.intents[..usize::from(self.len)]
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn contains(&self, intent: IntentIx) -> bool {
        self.as_slice().contains(&intent)
    }

    /// Adds an intent unless already there (or full).
    pub fn push(&mut self, intent: IntentIx) {
        if !self.contains(intent) && usize::from(self.len) < MAX_HEARD {
            self.intents[usize::from(self.len)] = intent;
            self.len += 1;
        }
    }

    pub fn from_slice(intents: &[IntentIx]) -> Self {
        let mut u = Understood::default();
        for &i in intents {
            u.push(i);
        }
        u
    }

    /// Whether the caller asked something.
    pub fn is_question(&self) -> bool {
        self.question
    }

    /// Everything but `intent`.
    pub fn without(&self, intent: IntentIx) -> Self {
        let mut u = Understood {
            question: self.question,
            ..Understood::default()
        };
        for &i in self.as_slice().iter().filter(|&&i| i != intent) {
            u.push(i);
        }
        u
    }
}

/// A phrase found in the words: byte range and the intent.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Hit {
    start: usize,
    end: usize,
    intent: IntentIx,
    /// A Chinese phrase, checked against the words around it.
    chinese: bool,
    /// A one-character Chinese phrase: a word only if it stands alone.
    one_char: bool,
}

impl Hit {
    /// Only the segmenter can tell whether it is a word here.
    fn needs_segmenter(&self, found: &WordsFound) -> bool {
        self.one_char && !found.in_neutral(self.start, self.end)
    }
}

impl Matcher {
    /// Builds the automata. `words` are the flow's own dictionary words per
    /// locale; `answers` the yes and no intents.
    pub fn new(
        intents: &[&Phrases],
        locales: usize,
        words: &[Vec<String>],
        answers: [Option<IntentIx>; 2],
    ) -> Matcher {
        let mut out = Matcher {
            answers,
            ..Matcher::default()
        };
        for (ix, p) in intents.iter().enumerate() {
            out.keys
                .extend(p.dtmf.iter().map(|k| (k.clone(), IntentIx::new(ix))));
        }
        for locale in 0..locales {
            let mut patterns = Vec::new();
            let mut owners = Vec::new();
            for (ix, p) in intents.iter().enumerate() {
                for phrase in p.per_locale.get(locale).into_iter().flatten() {
                    if phrase.is_empty() {
                        continue;
                    }
                    patterns.push(phrase.as_str());
                    owners.push(Owner::Phrase {
                        intent: IntentIx::new(ix),
                        ascii: phrase.is_ascii(),
                    });
                }
            }
            let chinese = owners
                .iter()
                .any(|o| matches!(o, Owner::Phrase { ascii: false, .. }));
            let marks = marks::patterns();
            if !owners.is_empty() {
                patterns.extend(marks.iter().map(|(p, _)| p.as_str()));
                owners.extend(marks.iter().map(|&(_, m)| Owner::Mark(m)));
            }
            if chinese {
                for w in words.get(locale).into_iter().flatten() {
                    if !w.is_empty() {
                        patterns.push(w.as_str());
                        owners.push(Owner::Word);
                    }
                }
                patterns.extend(NEUTRAL_WORDS);
                owners.extend(NEUTRAL_WORDS.iter().map(|_| Owner::Neutral));
                LazyLock::force(&JIEBA);
            }
            out.locales.push(LocaleMatcher {
                phrases: build(&patterns),
                owners,
            });
        }
        out
    }

    /// The intents in `words`, in the order said: the flow's phrases
    /// first; only when they find nothing, the same phrases heard through
    /// pinyin, then the intents' examples.
    pub fn understand(&self, locale: usize, words: &str) -> Understood {
        let pass = self.phrases(locale, words);
        let settled = if pass.found.is_empty() {
            self.slips.is_none() && self.classifier.is_none()
        } else {
            pass.n_bare == 0 || self.classifier.is_none()
        };
        if settled {
            return pass.found;
        }
        self.hear_after(locale, words, pass).found
    }

    /// Exactly the phrases in `words`: what they mean, what was said under
    /// negation, and whether the words ask something.
    pub(super) fn phrases(&self, locale: usize, words: &str) -> Pass {
        let mut pass = Pass::default();
        let Some(lm) = self.locales.get(locale) else {
            return pass;
        };
        let Some(dfa) = &lm.phrases else {
            return pass;
        };
        // Phrases found, on the stack: an utterance holds a handful.
        let mut hits = [Hit::default(); MAX_HITS];
        let mut n = 0;
        let mut dictionary = WordsFound {
            found: [(0, 0, false); MAX_WORDS],
            n: 0,
        };
        let mut marks = Marks::default();
        each_phrase(dfa, words, |pattern, start, end| {
            let (intent, ascii) = match lm.owners[pattern] {
                Owner::Phrase { intent, ascii } => (intent, ascii),
                Owner::Word => return dictionary.push(start, end, false),
                Owner::Neutral => return dictionary.push(start, end, true),
                Owner::Mark(mark) => return marks.note(mark, words, start, end),
            };
            if n < MAX_HITS && (!ascii || ascii_word_at(words, start, end)) {
                hits[n] = Hit {
                    start,
                    end,
                    intent,
                    chinese: !ascii,
                    one_char: !ascii && words[start..end].chars().nth(1).is_none(),
                };
                n += 1;
            }
        });
        // A phrase inside a longer one found there too is part of it.
        let mut inside = [false; MAX_HITS];
        for (flag, h) in inside.iter_mut().zip(&hits[..n]) {
            *flag = hits[..n].iter().any(|o| {
                o.start <= h.start && h.end <= o.end && (o.end - o.start) > (h.end - h.start)
            });
        }
        let mut kept = 0;
        for i in 0..n {
            if !inside[i] {
                hits[kept] = hits[i];
                kept += 1;
            }
        }
        let mut hits = &mut hits[..kept];
        if hits.iter().any(|h| h.chinese) {
            let settled = self.settle_without_segmenter(&dictionary, words, hits);
            hits = chinese_words(&dictionary, words, &mut hits[..settled]);
        }
        hits.sort_unstable_by_key(|h| h.start);
        self.settle_clauses(words, hits, &marks, &mut pass);
        pass
    }

    /// What the clauses make of the phrases found, in order: a request
    /// under negation is not made (and the 不是 before it is no answer,
    /// while "no" before "agent" still is); a
    /// yes/no word answers only when it leads its clause and the clause
    /// asks nothing.
    fn settle_clauses(&self, words: &str, hits: &[Hit], marks: &Marks, pass: &mut Pass) {
        let is_no = |i: IntentIx| self.answers[1] == Some(i);
        let mut negated = [false; MAX_HITS];
        for (flag, h) in negated.iter_mut().zip(hits) {
            *flag = !self.is_answer(h.intent)
                && is_negated(words, h, |at| {
                    hits.iter()
                        .any(|o| !is_no(o.intent) && o.start <= at && at < o.end)
                });
        }
        for (i, h) in hits.iter().enumerate() {
            if negated[i] {
                pass.negated.push(h.intent);
                continue;
            }
            if self.is_answer(h.intent) {
                let turns_a_request = is_no(h.intent)
                    && h.chinese
                    && hits.iter().zip(&negated).any(|(o, &neg)| {
                        neg && o.start >= h.end && clause_start(words, o.start) <= h.start
                    });
                if turns_a_request
                    || !leads_clause(words, h, hits, |i| self.is_answer(i))
                    || marks.clause_asks(words, h.start)
                {
                    continue;
                }
            }
            pass.push(h.intent, h.start, h.end);
        }
        pass.question = marks.any_asks(words);
        pass.found.question = pass.question;
        if !hits.is_empty() {
            bare_clauses(words, hits, marks, pass);
        }
    }

    /// An answer word that follows a request in its clause is dropped by
    /// [`leads_clause`] whatever the segmenter says of it. Dropping such
    /// one-character answers first spares the segmenter when they were the
    /// only words that needed it: 是 in the middle of a sentence, as in
    /// most Chinese sentences. Returns how many of `hits` to keep: all of
    /// them (unchanged) when segmenting is needed anyway, so the words it
    /// sees, and its boundaries, are exactly what they would have been.
    fn settle_without_segmenter(&self, found: &WordsFound, words: &str, hits: &mut [Hit]) -> usize {
        let needs_segmenter = |h: &Hit| h.needs_segmenter(found);
        if !hits.iter().any(needs_segmenter) {
            return hits.len();
        }
        // Requests that stand whatever the segmenter says.
        let stands = |o: &Hit| !(o.one_char || o.chinese && found.in_neutral(o.start, o.end));
        let dropped = |h: &Hit| {
            needs_segmenter(h) && self.is_answer(h.intent) && {
                let clause_start = clause_start(words, h.start);
                hits.iter().any(|o| {
                    !self.is_answer(o.intent)
                        && stands(o)
                        && o.start >= clause_start
                        && o.start < h.start
                })
            }
        };
        let mut keep = [true; MAX_HITS];
        for (k, h) in keep.iter_mut().zip(hits.iter()) {
            *k = !dropped(h);
        }
        let still_needed = hits
            .iter()
            .zip(&keep)
            .any(|(h, &k)| k && needs_segmenter(h));
        if still_needed {
            return hits.len();
        }
        let mut kept = 0;
        for i in 0..hits.len() {
            if keep[i] {
                hits[kept] = hits[i];
                kept += 1;
            }
        }
        kept
    }

    /// The intent whose keys are exactly `digits`.
    pub fn keys(&self, digits: &str) -> Option<IntentIx> {
        self.keys.iter().find(|(k, _)| k == digits).map(|(_, i)| *i)
    }

    fn is_answer(&self, intent: IntentIx) -> bool {
        self.answers.contains(&Some(intent))
    }
}

/// The clauses of `words` in which none of `hits` stands, after the
/// first that holds one: what follows a request or an answer says more
/// (我不要机器,我要人), while what comes before it is mostly an opener
/// (不好意思, "sorry") the examples would take for a request.
fn bare_clauses(words: &str, hits: &[Hit], marks: &Marks, pass: &mut Pass) {
    let first = hits.iter().map(|h| h.start).min().unwrap_or(words.len());
    marks.each_clause(words, |start, end, asks| {
        if end > start
            && start > first
            && pass.n_bare < MAX_BARE
            && !hits.iter().any(|h| start <= h.start && h.start < end)
        {
            pass.bare[pass.n_bare] = (start, end, asks);
            pass.n_bare += 1;
        }
    });
}

fn build(patterns: &[&str]) -> Option<DFA> {
    if patterns.is_empty() {
        return None;
    }
    DFA::builder()
        .match_kind(MatchKind::Standard)
        .ascii_case_insensitive(true)
        // An utterance is a few dozen bytes, most of them lead bytes of
        // Chinese characters that start some phrase: nothing to skip.
        .prefilter(false)
        .build(patterns)
        .ok()
}

/// Calls `found(pattern, start, end)` for every phrase in `words`,
/// overlapping ones too, in the order their ends come. The automaton is
/// walked byte by byte here: its own iterator costs several times more per
/// byte on an utterance this short (BENCHMARKS.md section 1).
fn each_phrase(dfa: &DFA, words: &str, mut found: impl FnMut(usize, usize, usize)) {
    let Ok(mut sid) = dfa.start_state(Anchored::No) else {
        return;
    };
    for (i, byte) in words.bytes().enumerate() {
        sid = dfa.next_state(Anchored::No, sid, byte);
        if !dfa.is_special(sid) {
            continue;
        }
        if dfa.is_dead(sid) {
            return;
        }
        if dfa.is_match(sid) {
            for k in 0..dfa.match_len(sid) {
                let pid = dfa.match_pattern(sid, k);
                found(pid.as_usize(), i + 1 - dfa.pattern_len(pid), i + 1);
            }
        }
    }
}

/// An alphabetic phrase stands alone: no letter or digit right before or
/// after ("no" is not in "know"; 我要agent still finds "agent").
fn ascii_word_at(words: &str, start: usize, end: usize) -> bool {
    let before = words[..start].chars().next_back();
    let after = words[end..].chars().next();
    !before.is_some_and(|c| c.is_ascii_alphanumeric())
        && !after.is_some_and(|c| c.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests;
