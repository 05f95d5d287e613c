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

use std::sync::LazyLock;

use aho_corasick::{Anchored, MatchKind, automaton::Automaton, dfa::DFA};
use jieba_rs::Jieba;

use super::IntentIx;

/// The segmenter, shared by every flow: its dictionary is large (loaded
/// once per process, when the first flow with Chinese phrases compiles).
static JIEBA: LazyLock<Jieba> = LazyLock::new(Jieba::new);

/// Words that contain a yes/no word but answer nothing: politeness,
/// reassurance, and the A-not-A question forms (好不好 "is it OK?").
/// Simplified and Traditional forms; used for every Chinese locale.
const NEUTRAL_WORDS: &[&str] = &[
    "不好意思",
    "没关系",
    "沒關係",
    "不客气",
    "不客氣",
    "对不起",
    "對不起",
    "不要紧",
    "不要緊",
    "好不好",
    "是不是",
    "行不行",
    "可不可以",
    "对不对",
    "對不對",
    "要不要",
    "能不能",
    "有没有",
    "有沒有",
    "不一定",
    "不是吗",
    "不是嗎",
    "不用谢",
    "不用謝",
    "好不容易",
];

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
}

/// What one utterance said, in the order said.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Understood {
    intents: [IntentIx; MAX_HEARD],
    len: u8,
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

    /// Everything but `intent`.
    pub fn without(&self, intent: IntentIx) -> Self {
        let mut u = Understood::default();
        for &i in self.as_slice().iter().filter(|&&i| i != intent) {
            u.push(i);
        }
        u
    }
}

/// A phrase found in the words: byte range and the intent.
#[derive(Debug, Clone, Copy, Default)]
struct Hit {
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

    /// The intents in `words`, in the order said.
    pub fn understand(&self, locale: usize, words: &str) -> Understood {
        let mut found = Understood::default();
        let Some(lm) = self.locales.get(locale) else {
            return found;
        };
        let Some(dfa) = &lm.phrases else {
            return found;
        };
        // Phrases found, on the stack: an utterance holds a handful.
        let mut hits = [Hit::default(); MAX_HITS];
        let mut n = 0;
        let mut dictionary = WordsFound {
            found: [(0, 0, false); MAX_WORDS],
            n: 0,
        };
        each_phrase(dfa, words, |pattern, start, end| {
            let (intent, ascii) = match lm.owners[pattern] {
                Owner::Phrase { intent, ascii } => (intent, ascii),
                owner => {
                    dictionary.push(start, end, matches!(owner, Owner::Neutral));
                    return;
                }
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
        let hits = &*hits;
        for h in hits {
            if self.is_answer(h.intent) && !leads_clause(words, h, hits, |i| self.is_answer(i)) {
                continue;
            }
            found.push(h.intent);
        }
        found
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

/// Keeps the hits that stand as words: none inside a neutral word, and a
/// one-character phrase only as a word by itself, which is the one case
/// that needs the segmenter (on a few characters around it).
fn chinese_words<'h>(found: &WordsFound, words: &str, hits: &'h mut [Hit]) -> &'h mut [Hit] {
    let mut span: Option<(usize, usize)> = None;
    for h in hits.iter().filter(|h| h.needs_segmenter(found)) {
        let (s, e) = span.unwrap_or((h.start, h.end));
        span = Some((s.min(h.start), e.max(h.end)));
    }
    let segmented = span.map(|span| found.segment(words, span));
    let mut kept = 0;
    for i in 0..hits.len() {
        let h = hits[i];
        let ok = !h.chinese
            || (!found.in_neutral(h.start, h.end)
                && (!h.one_char
                    || segmented
                        .as_ref()
                        .is_some_and(|s| s.one_word(h.start, h.end))));
        if ok {
            hits[kept] = h;
            kept += 1;
        }
    }
    &mut hits[..kept]
}

/// Most phrases one utterance is checked for; more are ignored.
const MAX_HITS: usize = 24;
/// Most dictionary words of one utterance taken into account.
const MAX_WORDS: usize = 16;
/// Characters of context segmented on each side of a one-character phrase.
const CONTEXT: usize = 2;

/// The flow's words and the neutral words found in an utterance.
struct WordsFound {
    /// Byte ranges, and whether the word is neutral.
    found: [(usize, usize, bool); MAX_WORDS],
    n: usize,
}

impl WordsFound {
    fn push(&mut self, start: usize, end: usize, neutral: bool) {
        if self.n < MAX_WORDS {
            self.found[self.n] = (start, end, neutral);
            self.n += 1;
        }
    }

    fn all(&self) -> &[(usize, usize, bool)] {
        &self.found[..self.n]
    }

    /// Whether `start..end` lies inside a neutral word (不好 in 不好意思).
    fn in_neutral(&self, start: usize, end: usize) -> bool {
        self.all()
            .iter()
            .any(|&(s, e, neutral)| neutral && s <= start && end <= e)
    }

    /// Segments `span` of `words`, with a few characters of context, into
    /// word boundaries: the segmenter's, plus the ends of the words found,
    /// with none inside a neutral word.
    fn segment(&self, words: &str, span: (usize, usize)) -> Segmented {
        let from = words[..span.0]
            .char_indices()
            .rev()
            .nth(CONTEXT - 1)
            .map_or(0, |(i, _)| i);
        let to = words[span.1..]
            .char_indices()
            .nth(CONTEXT)
            .map_or(words.len(), |(i, _)| span.1 + i);
        let mut b = Bits::new(to - from + 1);
        b.set(0, true);
        b.set(to - from, true);
        for token in JIEBA.cut(&words[from..to], false) {
            b.set(token.byte_start, true);
            b.set(token.byte_end, true);
        }
        for &(s, e, neutral) in self.all() {
            let (s, e) = (s.max(from), e.min(to));
            if s >= e {
                continue;
            }
            b.set(s - from, true);
            b.set(e - from, true);
            if neutral {
                for i in s - from + 1..e - from {
                    b.set(i, false);
                }
            }
        }
        Segmented { from, bits: b }
    }
}

/// Word boundaries of part of an utterance, as byte offsets from `from`.
struct Segmented {
    from: usize,
    bits: Bits,
}

impl Segmented {
    /// Whether `start..end` is a word by itself (是 is not in 但是, 好 not
    /// in 只好).
    fn one_word(&self, start: usize, end: usize) -> bool {
        self.bits.get(start - self.from) && self.bits.get(end - self.from)
    }
}

/// A small bit set, on the stack for the usual few words.
enum Bits {
    Inline(u128),
    Heap(Vec<bool>),
}

impl Bits {
    fn new(len: usize) -> Bits {
        if len <= 128 {
            Bits::Inline(0)
        } else {
            Bits::Heap(vec![false; len])
        }
    }

    fn set(&mut self, i: usize, on: bool) {
        match self {
            Bits::Inline(bits) if on => *bits |= 1 << i,
            Bits::Inline(bits) => *bits &= !(1 << i),
            Bits::Heap(v) => v[i] = on,
        }
    }

    fn get(&self, i: usize) -> bool {
        match self {
            Bits::Inline(bits) => *bits & (1 << i) != 0,
            Bits::Heap(v) => v[i],
        }
    }
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

/// Clause separators: punctuation, and spaces between words.
fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            ',' | '.' | '!' | '?' | ';' | ':' | '。' | '、' | '…' | '~'
        )
}

/// Where the clause holding byte `at` starts.
fn clause_start(words: &str, at: usize) -> usize {
    words[..at]
        .char_indices()
        .rev()
        .find(|(_, c)| is_separator(*c) && !c.is_whitespace())
        .map_or(0, |(i, c)| i + c.len_utf8())
}

/// Whether an answer word leads its clause: no other request was said
/// before it in the same clause.
fn leads_clause(
    words: &str,
    answer: &Hit,
    all: &[Hit],
    is_answer: impl Fn(IntentIx) -> bool,
) -> bool {
    let clause_start = clause_start(words, answer.start);
    !all.iter()
        .any(|o| !is_answer(o.intent) && o.start >= clause_start && o.start < answer.start)
}

#[cfg(test)]
mod tests {
    use super::*;

    const YES: IntentIx = IntentIx::new(0);
    const NO: IntentIx = IntentIx::new(1);
    const BILL: IntentIx = IntentIx::new(2);
    const NUMBER: IntentIx = IntentIx::new(3);
    const AGENT: IntentIx = IntentIx::new(4);
    const NONE: [IntentIx; 0] = [];

    fn matcher() -> Matcher {
        let zh = |v: &[&str]| Phrases {
            per_locale: vec![v.iter().map(|s| s.to_string()).collect(), Vec::new()],
            dtmf: Vec::new(),
        };
        let en = |v: &[&str], keys: &[&str]| Phrases {
            per_locale: vec![Vec::new(), v.iter().map(|s| s.to_string()).collect()],
            dtmf: keys.iter().map(|s| s.to_string()).collect(),
        };
        let mut yes = zh(&["好的", "好", "可以", "行", "是", "是的", "对"]);
        yes.per_locale[1] = en(&["yes", "ok", "all right"], &[]).per_locale[1].clone();
        yes.dtmf = vec!["1".into()];
        let mut no = zh(&["不可以", "不好", "不行", "不是", "不用"]);
        no.per_locale[1] = vec!["no".into(), "no thanks".into()];
        let mut bill = zh(&["话费", "账单"]);
        bill.per_locale[1] = vec!["bill".into()];
        let number = zh(&["工号"]);
        let mut agent = zh(&["转人工", "人工服务"]);
        agent.per_locale[1] = vec!["agent".into()];
        agent.dtmf = vec!["0".into()];
        Matcher::new(
            &[&yes, &no, &bill, &number, &agent],
            2,
            &[vec!["查话费".into()], Vec::new()],
            [Some(YES), Some(NO)],
        )
    }

    fn zh(words: &str) -> Vec<IntentIx> {
        matcher().understand(0, words).as_slice().to_vec()
    }

    fn en(words: &str) -> Vec<IntentIx> {
        matcher().understand(1, words).as_slice().to_vec()
    }

    #[test]
    fn the_containing_phrase_wins() {
        assert_eq!(zh("不可以"), [NO]);
        assert_eq!(zh("可以"), [YES]);
        assert_eq!(zh("好的"), [YES]);
        assert_eq!(zh("不行"), [NO]);
    }

    #[test]
    fn polite_words_and_questions_are_not_answers() {
        assert_eq!(zh("不好意思,我还想问一下话费"), [BILL]);
        assert_eq!(zh("是不是还能查话费"), [BILL]);
        assert_eq!(zh("没关系"), NONE);
        assert_eq!(zh("不客气"), NONE);
        assert_eq!(zh("好不好"), NONE);
        assert_eq!(zh("行不行"), NONE);
        assert_eq!(zh("可不可以"), NONE);
        assert_eq!(zh("对不起"), NONE);
    }

    /// 是 after a request in its clause is no answer, and is settled
    /// before the segmenter is asked; where it leads a clause, or another
    /// one-character word needs the segmenter, the words are as before.
    #[test]
    fn an_answer_word_inside_a_request_is_no_answer() {
        assert_eq!(zh("你的工号是多少"), [NUMBER]);
        assert_eq!(zh("是,你的工号是多少"), [YES, NUMBER]);
        assert_eq!(zh("工号是多少,好"), [NUMBER, YES]);
        assert_eq!(zh("话费是多少,是"), [BILL, YES]);
    }

    #[test]
    fn an_answer_and_a_request_both_count_in_order() {
        assert_eq!(zh("好的,我要查话费"), [YES, BILL]);
        assert_eq!(zh("可以,不过我先查一下账单"), [YES, BILL]);
        assert_eq!(zh("不用了,我要转人工"), [NO, AGENT]);
    }

    #[test]
    fn an_answer_word_inside_a_question_is_not_an_answer() {
        assert_eq!(zh("工号是多少"), [NUMBER]);
        assert_eq!(zh("是的"), [YES]);
    }

    #[test]
    fn a_one_character_answer_must_be_a_word_by_itself() {
        assert_eq!(zh("但是我要查话费"), [BILL]);
        assert_eq!(zh("只好这样"), NONE);
        assert_eq!(zh("是"), [YES]);
    }

    #[test]
    fn english_matches_whole_words_case_insensitively() {
        assert_eq!(en("I don't know"), NONE);
        assert_eq!(en("No"), [NO]);
        assert_eq!(en("No thanks"), [NO]);
        assert_eq!(en("OK, and my BILL please"), [YES, BILL]);
        assert_eq!(en("yesterday"), NONE);
        assert_eq!(en("an agent, please"), [AGENT]);
    }

    #[test]
    fn keys_match_exactly() {
        let m = matcher();
        assert_eq!(m.keys("1"), Some(YES));
        assert_eq!(m.keys("0"), Some(AGENT));
        assert_eq!(m.keys("10"), None);
    }

    #[test]
    fn understood_keeps_order_and_drops_repeats() {
        let mut u = Understood::default();
        let ix = IntentIx::new;
        for i in [3, 1, 3, 2] {
            u.push(ix(i));
        }
        assert_eq!(u.as_slice(), [ix(3), ix(1), ix(2)]);
        assert_eq!(u.without(ix(1)).as_slice(), [ix(3), ix(2)]);
        assert!(Understood::default().is_empty());
    }
}
