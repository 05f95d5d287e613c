//! Where clauses end and where they ask, noted during the one automaton
//! scan that finds the phrases: the punctuation, question words and 不 of
//! A-not-A are patterns of the same automaton. A line without any costs
//! nothing more than the scan; a pass of its own over every line's
//! clauses cost ~0.9k instructions per SendEvent (callgrind). A line with
//! more marks than are kept is asked again by `clauses`, the rules as
//! written, so the answer never depends on the bound.

use super::clauses::{self, EN_QUESTION_WORDS, ZH_QUESTION_CHARS, ZH_QUESTION_PAIRS, ends_clause};

/// What a pattern of the scan marks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mark {
    /// Punctuation ending a clause.
    Ends,
    /// A question mark: it ends a clause that asks.
    Asked,
    /// A Chinese question word or pair (吗, 多久), which asks wherever it
    /// stands in its clause.
    Asks,
    /// 不, 没 or 沒: the clause asks when the same character stands either
    /// side (去不去, 欠不欠).
    NotBetween,
    /// An English question word: the clause asks when it opens it.
    EnglishAsks,
}

/// Every pattern the scan looks for, with what it marks.
pub(super) fn patterns() -> Vec<(String, Mark)> {
    let mut out: Vec<(String, Mark)> = CLAUSE_ENDS
        .iter()
        .map(|&c| {
            let mark = if matches!(c, '?' | '？') {
                Mark::Asked
            } else {
                Mark::Ends
            };
            (c.to_string(), mark)
        })
        .collect();
    out.extend(
        ZH_QUESTION_CHARS
            .iter()
            .map(|c| (c.to_string(), Mark::Asks)),
    );
    out.extend(
        ZH_QUESTION_PAIRS
            .iter()
            .map(|p| (p.iter().collect(), Mark::Asks)),
    );
    out.extend(NEGATORS.iter().map(|c| (c.to_string(), Mark::NotBetween)));
    out.extend(
        EN_QUESTION_WORDS
            .iter()
            .map(|w| (w.to_string(), Mark::EnglishAsks)),
    );
    out
}

/// The characters [`ends_clause`] is true of (a test holds the two equal).
const CLAUSE_ENDS: &[char] = &[
    ',', '.', '!', '?', ';', ':', '。', '、', '…', '~', '，', '！', '？', '；', '：', '～', '．',
    '「', '」',
];

/// The negators A-not-A puts between the same character twice.
const NEGATORS: &[char] = &['不', '没', '沒'];

/// Most clause ends, and most asking places, kept for one line.
const MAX_MARKS: usize = 12;

/// What the scan saw of a line's clauses.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Marks {
    /// Byte offsets of the punctuation ending clauses, in order.
    ends: [usize; MAX_MARKS],
    n_ends: usize,
    /// Byte offsets at which a clause asks: a question word, the 不 of
    /// A-not-A, a question mark (at the end of the clause it asks in).
    asks: [usize; MAX_MARKS],
    n_asks: usize,
    /// More marks than kept: the rules are asked of the words instead.
    overflow: bool,
}

impl Marks {
    /// Notes a pattern found at `start..end` of `words`.
    pub(super) fn note(&mut self, mark: Mark, words: &str, start: usize, end: usize) {
        match mark {
            Mark::Ends => self.push_end(start),
            Mark::Asked => {
                self.push_end(start);
                self.push_ask(start);
            }
            Mark::Asks => self.push_ask(start),
            Mark::NotBetween => {
                let before = words[..start].chars().next_back();
                let after = words[end..].chars().next();
                if before.is_some_and(|c| after == Some(c) && !c.is_ascii() && !ends_clause(c)) {
                    self.push_ask(start);
                }
            }
            Mark::EnglishAsks => {
                let in_word = |c: char| c.is_ascii_alphabetic() || c == '\'';
                let word_ends = !words[end..].chars().next().is_some_and(in_word);
                // Ends before `start` are all noted: the word's own
                // letters end no clause.
                if word_ends && !self.overflow {
                    let opens = !words[self.clause_start(words, start)..start]
                        .chars()
                        .any(in_word);
                    if opens {
                        self.push_ask(start);
                    }
                }
            }
        }
    }

    fn push_end(&mut self, at: usize) {
        match self.ends.get_mut(self.n_ends) {
            Some(slot) => {
                *slot = at;
                self.n_ends += 1;
            }
            None => self.overflow = true,
        }
    }

    fn push_ask(&mut self, at: usize) {
        match self.asks.get_mut(self.n_asks) {
            Some(slot) => {
                *slot = at;
                self.n_asks += 1;
            }
            None => self.overflow = true,
        }
    }

    /// Where the clause holding byte `at` starts, from the ends noted.
    fn clause_start(&self, words: &str, at: usize) -> usize {
        self.ends[..self.n_ends]
            .iter()
            .rev()
            .find(|&&e| e < at)
            .map_or(0, |&e| {
                e + words[e..].chars().next().map_or(1, char::len_utf8)
            })
    }

    /// Where the clause holding byte `at` ends: its punctuation, or the
    /// end of the line.
    fn clause_end(&self, words: &str, at: usize) -> usize {
        self.ends[..self.n_ends]
            .iter()
            .find(|&&e| e >= at)
            .map_or(words.len(), |&e| e)
    }

    /// Whether any clause of `words` asks.
    pub(super) fn any_asks(&self, words: &str) -> bool {
        if self.overflow {
            return clauses::asks(words);
        }
        self.n_asks > 0
    }

    /// Whether the clause holding byte `at` asks.
    pub(super) fn clause_asks(&self, words: &str, at: usize) -> bool {
        if self.overflow {
            return clauses::is_question(words, at);
        }
        if self.n_asks == 0 {
            return false;
        }
        let (start, end) = (self.clause_start(words, at), self.clause_end(words, at));
        self.asks[..self.n_asks]
            .iter()
            .any(|&a| start <= a && a <= end)
    }

    /// The clauses of `words` (byte ranges without their punctuation), in
    /// order, with whether each asks; `found` is called for each.
    pub(super) fn each_clause(&self, words: &str, mut found: impl FnMut(usize, usize, bool)) {
        if self.overflow {
            let mut start = 0;
            for (i, c) in words.char_indices() {
                if ends_clause(c) {
                    found(start, i, clauses::is_question(words, start));
                    start = i + c.len_utf8();
                }
            }
            found(start, words.len(), clauses::is_question(words, start));
            return;
        }
        let mut start = 0;
        for &e in &self.ends[..self.n_ends] {
            found(start, e, self.clause_asks(words, start));
            start = e + words[e..].chars().next().map_or(1, char::len_utf8);
        }
        found(start, words.len(), self.clause_asks(words, start));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The marks of `words` as the matcher's scan notes them.
    fn scanned(words: &str) -> Marks {
        let patterns = patterns();
        let strs: Vec<&str> = patterns.iter().map(|(p, _)| p.as_str()).collect();
        let dfa = super::super::build(&strs).expect("the marks build");
        let mut marks = Marks::default();
        super::super::each_phrase(&dfa, words, |p, start, end| {
            marks.note(patterns[p].1, words, start, end)
        });
        marks
    }

    const PIECES: &[&str] = &[
        "不", "没", "沒", "去", "欠", "是", "吗", "多", "久", "少", "话费", ",", "，", "?", "？",
        "。", "…", " ", "\u{3000}", "a", "What", "is", "what's", "'", "this", "Is", "do", "1", "X",
        "你", "呢", "否", "长", "ok",
    ];

    proptest! {
        /// The scan's marks say what the rules say of the words, clause by
        /// clause and for the whole line, with few marks or too many.
        #[test]
        fn the_marks_agree_with_the_rules(
            pieces in prop::collection::vec(prop::sample::select(PIECES), 0..40)
        ) {
            let words: String = pieces.concat();
            let marks = scanned(&words);
            prop_assert_eq!(marks.any_asks(&words), clauses::asks(&words), "{:?}", words);
            for at in words.char_indices().map(|(i, _)| i).chain([words.len()]) {
                prop_assert_eq!(
                    marks.clause_asks(&words, at),
                    clauses::is_question(&words, at),
                    "{:?} at {}", words, at
                );
            }
            let mut clauses = Vec::new();
            marks.each_clause(&words, |s, e, asks| clauses.push((s, e, asks)));
            let mut expected = Vec::new();
            let mut start = 0;
            for (i, c) in words.char_indices() {
                if ends_clause(c) {
                    expected.push((start, i, clauses::is_question(&words, start)));
                    start = i + c.len_utf8();
                }
            }
            expected.push((start, words.len(), clauses::is_question(&words, start)));
            prop_assert_eq!(clauses, expected, "{:?}", words);
        }
    }

    #[test]
    fn the_clause_ends_are_the_punctuation_that_ends_a_clause() {
        let ends: Vec<char> = ('\0'..=char::MAX).filter(|&c| ends_clause(c)).collect();
        let mut listed = CLAUSE_ENDS.to_vec();
        listed.sort_unstable();
        assert_eq!(ends, listed);
    }
}
