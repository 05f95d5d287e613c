//! Recognising what a caller meant, from their words or keys.
//!
//! Visible to a script designer and still word-aware: an intent matches when
//! one of its phrases stands in the caller's words as whole words.
//!
//! - Chinese has no spaces, so the words come from a segmenter (jieba, with
//!   its embedded dictionary), overlaid with the flow's own `[understanding]
//!   words` and a built-in list of polite and question words (不好意思,
//!   没关系, 是不是, 可不可以, …) that contain a yes/no word but are not an
//!   answer. A phrase counts only when it starts and ends on word
//!   boundaries: 不好 is not in 不好意思, 是 is not in 是不是.
//! - Alphabetic scripts match on word boundaries, case-insensitively ("no"
//!   is not in "know").
//! - One automaton (aho-corasick) per locale holds every phrase of the
//!   flow, so an event costs one scan whatever the number of intents; the
//!   segmenter runs only when a Chinese phrase was found at all.
//! - Where phrases overlap, the one containing the other wins: 不可以 (no)
//!   over 可以 (yes).
//! - A caller may say several things at once. All intents come back in the
//!   order said. A yes/no word counts only as an answer when it leads its
//!   clause: in 工号是多少 the 是 belongs to the question about 工号.

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
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
    /// Every phrase of every intent in this locale.
    phrases: Option<AhoCorasick>,
    /// Per pattern: the intent and whether the phrase is alphabetic.
    owners: Vec<(IntentIx, bool)>,
    /// The flow's own words, then the built-in neutral words.
    words: Option<AhoCorasick>,
    /// Patterns of `words` from this index on are neutral words.
    neutral_from: usize,
}

/// What one utterance said, in the order said.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
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
#[derive(Debug, Clone, Copy)]
struct Hit {
    start: usize,
    end: usize,
    intent: IntentIx,
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
                .extend(p.dtmf.iter().map(|k| (k.clone(), ix as IntentIx)));
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
                    owners.push((ix as IntentIx, phrase.is_ascii()));
                }
            }
            let chinese = owners.iter().any(|(_, ascii)| !ascii);
            let mut dict: Vec<&str> = words
                .get(locale)
                .into_iter()
                .flatten()
                .map(String::as_str)
                .filter(|w| !w.is_empty())
                .collect();
            let neutral_from = dict.len();
            if chinese {
                dict.extend(NEUTRAL_WORDS);
                LazyLock::force(&JIEBA);
            }
            out.locales.push(LocaleMatcher {
                phrases: build(&patterns, MatchKind::Standard),
                owners,
                words: build(&dict, MatchKind::LeftmostLongest),
                neutral_from,
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
        let Some(ac) = &lm.phrases else {
            return found;
        };
        let mut hits: Vec<Hit> = Vec::new();
        let mut segmented: Option<Segmented> = None;
        for m in ac.find_overlapping_iter(words) {
            let (intent, ascii) = lm.owners[m.pattern().as_usize()];
            let ok = if ascii {
                ascii_word_at(words, m.start(), m.end())
            } else {
                segmented
                    .get_or_insert_with(|| lm.segment(words))
                    .stands_alone(words, m.start(), m.end())
            };
            if ok {
                hits.push(Hit {
                    start: m.start(),
                    end: m.end(),
                    intent,
                });
            }
        }
        // A phrase inside a longer one found at the same place is part of it.
        let inside = |h: &Hit| {
            hits.iter().any(|o| {
                o.start <= h.start && h.end <= o.end && (o.end - o.start) > (h.end - h.start)
            })
        };
        let mut kept: Vec<Hit> = hits.iter().filter(|h| !inside(h)).copied().collect();
        kept.sort_by_key(|h| (h.start, std::cmp::Reverse(h.end)));
        for h in &kept {
            if self.is_answer(h.intent) && !leads_clause(words, h, &kept, |i| self.is_answer(i)) {
                continue;
            }
            found.push(h.intent);
        }
        found
    }

    /// The intent whose keys are exactly `digits`.
    pub fn keys(&self, digits: &str) -> Option<IntentIx> {
        self.keys.iter().find(|(k, _)| k == digits).map(|(_, i)| *i)
    }

    fn is_answer(&self, intent: IntentIx) -> bool {
        self.answers.contains(&Some(intent))
    }
}

/// Chinese words, segmented.
struct Segmented {
    /// Word boundaries, as byte offsets.
    boundaries: Vec<bool>,
    /// Byte ranges of neutral words (不好意思, 是不是…).
    neutral: Vec<(usize, usize)>,
}

impl Segmented {
    /// Whether a phrase found at `start..end` is a word of the sentence. A
    /// one-character phrase must be a word by itself (是 is not in 但是,
    /// 好 not in 只好); a longer one may sit at the edge of a longer word
    /// (话费 in 查话费) but never inside a neutral word (不好 in 不好意思).
    fn stands_alone(&self, words: &str, start: usize, end: usize) -> bool {
        let b = &self.boundaries;
        if self.neutral.iter().any(|&(s, e)| s <= start && end <= e) {
            return false;
        }
        if words[start..end].chars().nth(1).is_none() {
            b[start] && b[end]
        } else {
            b[start] || b[end]
        }
    }
}

impl LocaleMatcher {
    /// Word boundaries of `words`: the segmenter's, plus the ends of the
    /// flow's own words and of the neutral words, with none inside a
    /// neutral word.
    fn segment(&self, words: &str) -> Segmented {
        let mut b = vec![false; words.len() + 1];
        b[0] = true;
        b[words.len()] = true;
        for token in JIEBA.cut(words, false) {
            b[token.byte_start] = true;
            b[token.byte_end] = true;
        }
        let mut neutral = Vec::new();
        if let Some(ac) = &self.words {
            for m in ac.find_iter(words) {
                b[m.start()] = true;
                b[m.end()] = true;
                if m.pattern().as_usize() >= self.neutral_from {
                    for inner in &mut b[m.start() + 1..m.end()] {
                        *inner = false;
                    }
                    neutral.push((m.start(), m.end()));
                }
            }
        }
        Segmented {
            boundaries: b,
            neutral,
        }
    }
}

fn build(patterns: &[&str], kind: MatchKind) -> Option<AhoCorasick> {
    if patterns.is_empty() {
        return None;
    }
    AhoCorasickBuilder::new()
        .match_kind(kind)
        .ascii_case_insensitive(true)
        .build(patterns)
        .ok()
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
    c.is_whitespace() || ",.!?;:,。!?;:、…~".contains(c)
}

/// Whether an answer word leads its clause: no other request was said
/// before it in the same clause.
fn leads_clause(
    words: &str,
    answer: &Hit,
    all: &[Hit],
    is_answer: impl Fn(IntentIx) -> bool,
) -> bool {
    let clause_start = words[..answer.start]
        .char_indices()
        .rev()
        .find(|(_, c)| is_separator(*c) && !c.is_whitespace())
        .map_or(0, |(i, c)| i + c.len_utf8());
    !all.iter()
        .any(|o| !is_answer(o.intent) && o.start >= clause_start && o.start < answer.start)
}

#[cfg(test)]
mod tests {
    use super::*;

    const YES: IntentIx = 0;
    const NO: IntentIx = 1;
    const BILL: IntentIx = 2;
    const NUMBER: IntentIx = 3;
    const AGENT: IntentIx = 4;
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
        for i in [3, 1, 3, 2] {
            u.push(i);
        }
        assert_eq!(u.as_slice(), [3, 1, 2]);
        assert_eq!(u.without(1).as_slice(), [3, 2]);
        assert!(Understood::default().is_empty());
    }
}
