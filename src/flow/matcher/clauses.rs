//! Clauses, and what a clause does to the requests in it: a yes/no word
//! answers only when it leads its clause; a request under negation (我不要
//! 改套餐, "I don't want an agent") is not that request; a yes/no word in a
//! question (是真人吗?) is no answer.
//!
//! A clause ends at punctuation, ASCII or full-width (，。！？；：、…).
//! Negation is scoped to its clause and to the few words before the
//! request it turns, so 我不是查话费,我要投诉 is the complaint alone.

use super::Hit;
use crate::flow::IntentIx;

/// Clause separators: punctuation, ASCII or CJK, and spaces between words.
pub(super) fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            ',' | '.'
                | '!'
                | '?'
                | ';'
                | ':'
                | '。'
                | '、'
                | '…'
                | '~'
                | '，'
                | '！'
                | '？'
                | '；'
                | '：'
                | '～'
                | '．'
                | '「'
                | '」'
        )
}

pub(crate) fn ends_clause(c: char) -> bool {
    is_separator(c) && !c.is_whitespace()
}

/// Where the clause holding byte `at` starts.
pub(super) fn clause_start(words: &str, at: usize) -> usize {
    words[..at]
        .char_indices()
        .rev()
        .find(|(_, c)| ends_clause(*c))
        .map_or(0, |(i, c)| i + c.len_utf8())
}

/// Where the clause holding byte `at` ends, and the punctuation ending it.
fn clause_end(words: &str, at: usize) -> (usize, Option<char>) {
    words[at..]
        .char_indices()
        .find(|(_, c)| ends_clause(*c))
        .map_or((words.len(), None), |(i, c)| (at + i, Some(c)))
}

/// Whether an answer word leads its clause: no other request was said
/// before it in the same clause.
pub(super) fn leads_clause(
    words: &str,
    answer: &Hit,
    all: &[Hit],
    is_answer: impl Fn(IntentIx) -> bool,
) -> bool {
    let clause_start = clause_start(words, answer.start);
    let request_before = all
        .iter()
        .any(|o| !is_answer(o.intent) && o.start >= clause_start && o.start < answer.start);
    !request_before && (!answer.one_char || opens_clause(words, clause_start, answer.start, all))
}

/// Sounds and words that may come before a one-character answer in its
/// clause: 嗯对, 那好, 哦行.
const ZH_OPENERS: &[char] = &[
    '嗯', '啊', '哦', '噢', '喔', '呃', '额', '那', '就', '也', '唉', '哎', '欸', '诶', '誒', '嘛',
    '呀', '哈',
];

/// Whether only openers, spaces or other phrases found stand between the
/// clause's start and a one-character answer: in the middle of a sentence
/// 对, 是 and 好 are a preposition, a copula, an adverb (我对你们很不满,
/// 你们根本是在坑人, 我想对账), not an answer.
fn opens_clause(words: &str, clause_start: usize, at: usize, all: &[Hit]) -> bool {
    words[clause_start..at].char_indices().all(|(i, c)| {
        let i = clause_start + i;
        c.is_whitespace()
            || ZH_OPENERS.contains(&c)
            || all.iter().any(|o| o.start <= i && i < o.end)
    })
}

/// Characters that ask in Chinese wherever they stand in the clause
/// (吗, 呢, and the 么 of 什么, 怎么, 为什么), Simplified and Traditional.
pub(super) const ZH_QUESTION_CHARS: &[char] = &[
    '吗', '嗎', '呢', '么', '麼', '啥', '几', '幾', '哪', '谁', '誰',
];

/// Pairs of characters that ask: how long, how much, whether.
pub(super) const ZH_QUESTION_PAIRS: &[[char; 2]] = &[
    ['多', '久'],
    ['多', '少'],
    ['多', '长'],
    ['多', '長'],
    ['是', '否'],
];

/// Words that open an English question.
pub(super) const EN_QUESTION_WORDS: &[&str] = &[
    "what", "when", "where", "who", "whom", "whose", "why", "how", "which", "is", "are", "am",
    "was", "were", "do", "does", "did", "can", "could", "will", "would", "should", "may",
];

/// Whether the clause holding byte `at` asks something: it ends in a
/// question mark, holds a Chinese question word, opens with an English
/// question word, or asks A-not-A (欠不欠, 是不是).
pub(super) fn is_question(words: &str, at: usize) -> bool {
    let start = clause_start(words, at);
    let (end, mark) = clause_end(words, at);
    if matches!(mark, Some('?' | '？')) {
        return true;
    }
    let clause = &words[start..end];
    if asks_in_chinese(clause) {
        return true;
    }
    clause
        .split(|c: char| !c.is_ascii_alphabetic() && c != '\'')
        .find(|w| !w.is_empty())
        .is_some_and(|first| {
            EN_QUESTION_WORDS
                .iter()
                .any(|q| first.eq_ignore_ascii_case(q))
        })
}

/// A question word, a question pair, or A-not-A (去不去, 欠不欠, 是不是:
/// the same character either side of 不 or 没), in one pass over the
/// clause without allocating: it runs on every line a caller says.
fn asks_in_chinese(clause: &str) -> bool {
    let (mut before, mut last) = (None::<char>, None::<char>);
    for c in clause.chars() {
        if ZH_QUESTION_CHARS.contains(&c) {
            return true;
        }
        if let Some(l) = last {
            if ZH_QUESTION_PAIRS.contains(&[l, c]) {
                return true;
            }
            if matches!(l, '不' | '没' | '沒') && before == Some(c) && !c.is_ascii() {
                return true;
            }
        }
        (before, last) = (last, Some(c));
    }
    false
}

/// Characters that negate what follows them in Chinese.
const ZH_NEGATORS: &[char] = &['不', '没', '沒', '别', '別', '甭', '未'];

/// Words holding a negator that negate nothing after them: "but", "don't
/// know", "other", "no problem"…
const ZH_NOT_NEGATION: &[&str] = &[
    "不过",
    "不過",
    "不知道",
    "不清楚",
    "不明白",
    "不懂",
    "不然",
    "不少",
    "不错",
    "不錯",
    "不管",
    "不但",
    "不仅",
    "不僅",
    "不如",
    "不久",
    "没错",
    "沒錯",
    "差不多",
    "别的",
    "別的",
    "别人",
    "別人",
    "特别",
    "特別",
    "区别",
    "區別",
    "分别",
    "分別",
    "告别",
    "告別",
    "没问题",
    "沒問題",
    "未来",
    "未來",
    "不好意思",
    "没关系",
    "沒關係",
    "不一定",
    "没多久",
    "沒多久",
    // A verb's complement says the caller could not, not that they do not
    // want: 查不到话费, 看不懂账单, 打不通人工 are about the bill and the agent.
    "不到",
    "不了",
    "不出",
    "不见",
    "不見",
    "不上",
    "不通",
    "不清",
];

/// Most characters between a Chinese negator and the request it turns
/// (我不[想再]找人工): further away, it is about something else.
const ZH_NEGATION_REACH: usize = 3;

/// English words that negate the request after them in their clause
/// ("can't" is not one: "I can't read my bill" is about the bill).
const EN_NEGATORS: &[&str] = &[
    "not", "don't", "dont", "doesn't", "didn't", "never", "won't",
];

/// Most words between an English negator and the request it turns
/// ("I don't really want an agent").
const EN_NEGATION_REACH: usize = 4;

/// Whether a request found at `hit` is under negation in its clause:
/// a negator before it, near enough, that is not itself part of a phrase
/// found (`covered`: 不满意 is a complaint, not a negated 满意) or of a
/// word that negates nothing.
pub(super) fn is_negated(words: &str, hit: &Hit, covered: impl Fn(usize) -> bool) -> bool {
    let start = clause_start(words, hit.start);
    let before = &words[start..hit.start];
    if hit.chinese {
        return before
            .char_indices()
            .rev()
            .take(ZH_NEGATION_REACH + 1)
            .any(|(i, c)| {
                let at = start + i;
                ZH_NEGATORS.contains(&c) && !covered(at) && !not_negation(words, at)
            });
    }
    let tokens: Vec<&str> = before
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '\'')
        .filter(|w| !w.is_empty())
        .collect();
    let near = &tokens[tokens.len().saturating_sub(EN_NEGATION_REACH + 1)..];
    near.iter()
        .any(|w| EN_NEGATORS.iter().any(|n| w.eq_ignore_ascii_case(n)))
        // "no" negates only what it stands right before ("no agent").
        || near.last().is_some_and(|w| w.eq_ignore_ascii_case("no"))
}

/// Whether the negator at byte `at` belongs to a word that negates
/// nothing, or asks (A-not-A: 欠不欠费).
fn not_negation(words: &str, at: usize) -> bool {
    let c = words[at..].chars().next();
    let prev = words[..at].chars().next_back();
    let next = c.and_then(|c| words[at + c.len_utf8()..].chars().next());
    if prev.is_some() && prev == next {
        return true;
    }
    ZH_NOT_NEGATION.iter().any(|w| {
        let lo = at.saturating_sub(w.len());
        words
            .match_indices(w)
            .any(|(s, m)| s >= lo && s <= at && at < s + m.len())
    })
}

/// Whether any clause of `words` asks something.
pub(super) fn asks(words: &str) -> bool {
    let mut at = 0;
    loop {
        if is_question(words, at) {
            return true;
        }
        let (end, mark) = clause_end(words, at);
        match mark {
            Some(c) if end + c.len_utf8() < words.len() => at = end + c.len_utf8(),
            _ => return false,
        }
    }
}
