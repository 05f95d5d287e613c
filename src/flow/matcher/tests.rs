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

/// 我不是A,我要B: the request under negation is not made, and the 不是
/// that turned it is no answer; what follows is.
#[test]
fn a_request_under_negation_is_not_that_request() {
    assert_eq!(zh("我不是查话费,我要转人工"), [AGENT]);
    assert_eq!(zh("我不要查话费，我要转人工"), [AGENT]);
    assert_eq!(zh("我不想查账单"), NONE);
    assert_eq!(zh("别转人工"), NONE);
    assert_eq!(en("I don't want my bill, an agent please"), [AGENT]);
    assert_eq!(en("not the bill"), NONE);
    assert_eq!(en("no agent"), [NO]);
    let m = matcher();
    assert_eq!(m.hear(0, "我不想查账单").negated.as_slice(), [BILL]);
}

/// Words that hold 不 or 没 but negate nothing leave the request alone.
#[test]
fn words_that_negate_nothing_leave_the_request() {
    assert_eq!(zh("我不知道话费多少"), [BILL]);
    assert_eq!(zh("帮我看看欠不欠费,话费"), [BILL]);
    assert_eq!(zh("不好意思,转人工"), [AGENT]);
    assert_eq!(zh("我查不到话费"), [BILL]);
    assert_eq!(zh("看不懂账单"), [BILL]);
    assert_eq!(en("I can't read my bill"), [BILL]);
}

/// A question is never a yes or a no.
#[test]
fn a_question_holds_no_answer() {
    assert_eq!(zh("是真人吗?"), NONE);
    assert_eq!(zh("可以吗"), NONE);
    assert_eq!(zh("好的,要等多久?"), [YES]);
    assert_eq!(en("is that ok?"), NONE);
    assert_eq!(en("ok?"), NONE);
    assert_eq!(en("ok"), [YES]);
    let m = matcher();
    assert!(m.hear(0, "是真人吗?").question);
    assert!(m.understand(0, "是真人吗?").is_question());
    assert!(m.understand(0, "转人工吗?").is_question());
    assert!(!m.hear(0, "好的").question);
    assert!(!m.understand(0, "好的").is_question());
}

/// The full-width comma ends a clause: 是 leads the second one.
#[test]
fn full_width_punctuation_separates_clauses() {
    assert_eq!(zh("工号是多少，好"), [NUMBER, YES]);
    assert_eq!(zh("话费是多少，是"), [BILL, YES]);
}

#[test]
fn slips_are_heard_by_their_sound_when_nothing_is_written() {
    let plain = matcher();
    assert_eq!(plain.understand(0, "我要查花费"), Understood::default());
    let phrases: Vec<Vec<String>> = vec![
        vec![
            "话费".into(),
            "账单".into(),
            "工号".into(),
            "转人工".into(),
            "人工服务".into(),
        ],
        Vec::new(),
    ];
    let m = matcher().with_slips(Slips::new(
        phrases.iter().map(|l| l.iter().map(String::as_str)),
    ));
    assert_eq!(m.understand(0, "我要查花费").as_slice(), [BILL]);
    assert_eq!(m.understand(0, "你的公号多少").as_slice(), [NUMBER]);
    let h = m.hear(0, "我要查花费");
    assert_eq!(
        h.how,
        How::Pinyin {
            heard_as: "我要查话费".into()
        }
    );
    assert_eq!(h.phrases, ["话费"]);
    assert!(h.confidence() < PHRASE_CONFIDENCE);
    // As written it is found as written.
    assert_eq!(m.hear(0, "查话费").how, How::Phrases);
}

#[test]
fn examples_count_from_the_minimum_confidence_only_when_no_phrase_is_found() {
    use crate::flow::classifier::Classifier;
    let ex = |v: &[&str]| vec![v.iter().map(|s| s.to_string()).collect(), Vec::new()];
    let none = || vec![Vec::new(), Vec::new()];
    let c = Classifier::train(
        &[
            ex(&["要得", "中", "得嘞"]),
            none(),
            ex(&["我想知道这个月用了多少钱", "帮我看看欠不欠费"]),
            none(),
            ex(&["找个活人跟我说"]),
        ],
        2,
    );
    let m = matcher().with_classifier(c, 0.5);
    assert_eq!(m.understand(0, "这个月用了多少钱").as_slice(), [BILL]);
    assert_eq!(m.understand(0, "得嘞").as_slice(), [YES]);
    assert_eq!(m.understand(0, "今天天气不错"), Understood::default());
    // A phrase wins over any example.
    assert_eq!(m.understand(0, "找个活人跟我说,话费").as_slice(), [BILL]);
    let h = m.hear(0, "找个活人跟我说说");
    assert!(matches!(h.how, How::Example { .. }), "{h:?}");
    assert_eq!(h.found.as_slice(), [AGENT]);
}

/// In the middle of a sentence a one-character answer word is a
/// preposition, a copula or an adverb, not an answer; after sounds like
/// 嗯 it still answers.
#[test]
fn a_one_character_answer_counts_only_where_it_opens_its_clause() {
    assert_eq!(zh("我对这个账单有疑问"), [BILL]);
    assert_eq!(zh("他们根本是乱来"), NONE);
    assert_eq!(zh("嗯对"), [YES]);
    assert_eq!(zh("对,我要查话费"), [YES, BILL]);
}
