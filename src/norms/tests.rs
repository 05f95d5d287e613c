use super::*;

#[test]
fn words_are_compared_without_case_spaces_or_punctuation() {
    assert_eq!(compact("喂，说话 呀!"), "喂说话呀");
    assert_eq!(compact("I don't know."), "idontknow");
    let w = Wording::built_in();
    for line in ["喂，说话呀", "喂 说话 呀", "喂,说话呀!"] {
        let phrase = w.forbidden_in(&compact(line)).map(|p| p.written.as_str());
        assert_eq!(phrase, Some("喂,说话呀"), "{line}");
    }
    let p = w.forbidden_in("idontknowreally").expect("I don't know");
    assert_eq!((p.written.as_str(), p.norm), ("I don't know", "N13"));
    assert!(
        p.instead.is_some(),
        "a built-in phrase says what to say instead"
    );
}

#[test]
fn every_built_in_phrase_has_words_a_norm_and_a_suggestion_without_it() {
    let w = Wording::built_in();
    assert_eq!(w.phrases().len(), FORBIDDEN.len());
    for f in FORBIDDEN {
        assert_eq!(f.norm, "N13");
        assert!(!compact(f.phrase).is_empty(), "{f:?}");
        assert_eq!(
            w.judge(&compact(f.instead)),
            None,
            "the suggestion for {:?} breaks the norms itself",
            f.phrase
        );
    }
}

#[test]
fn answers_must_not_end_on_a_bu_word_but_question_tags_may() {
    assert_eq!(
        negative_ending(&compact("这个我也不清楚。")),
        Some("不清楚")
    );
    assert_eq!(negative_ending(&compact("这个办不了")), Some("不了"));
    assert_eq!(negative_ending(&compact("真的没办法")), Some("没办法"));
    for tag in [
        "我继续为您服务,好不好?",
        "转接人工,可不可以?",
        "这样行不行?",
    ] {
        assert_eq!(negative_ending(&compact(tag)), None, "{tag}");
    }
    assert_eq!(negative_ending(&compact("不好意思让您久等了")), None);
}

#[test]
fn a_phrase_wins_over_an_ending_and_is_placed_in_the_text() {
    let w = Wording::built_in();
    let text = "好的,喂，说话呀!我不知道";
    let (at, found) = w.judge_text(text).expect("a forbidden phrase");
    assert_eq!(&text[at], "喂，说话呀");
    assert!(matches!(found, Finding::Forbidden(p) if p.written == "喂,说话呀"));
    let text = "人工客服现在接不通,这个办不了。";
    let (at, found) = w.judge_text(text).expect("an ending");
    assert_eq!(
        (at, found),
        (0..text.len(), Finding::NegativeEnding("不了"))
    );
    assert_eq!(w.judge_text("您好,请问有什么可以帮您?"), None);
}

#[test]
fn added_phrases_come_after_the_built_in_ones_and_cannot_be_empty() {
    let w = Wording::with_added(["我很忙".to_owned(), "I DON'T KNOW".to_owned()]).expect("words");
    assert_eq!(
        w.phrases().len(),
        FORBIDDEN.len() + 1,
        "a built-in one is not added twice"
    );
    let p = w.forbidden_in(&compact("我很忙,等会儿")).expect("added");
    assert_eq!((p.written.as_str(), p.instead), ("我很忙", None));
    assert_eq!(
        Wording::with_added(["!?".to_owned()]).map(|_| ()),
        Err(vec![WordingError::NoWords("!?".into())])
    );
}

#[test]
fn numbers_show_only_their_last_four_and_short_ones_nothing() {
    assert_eq!(mask_number("13800005678"), "*******5678");
    assert_eq!(mask_number("+8613812345678"), "**********5678");
    assert_eq!(mask_number("12345678"), "****5678");
    assert_eq!(mask_number("1234567"), "*******");
    assert_eq!(mask_number("1234"), "****");
    assert_eq!(mask_number(""), "");
}

#[test]
fn both_titles_with_a_slash_are_found_with_their_norm() {
    use super::both_titles;
    let text = "您好,请问是{customer}先生/小姐吗?";
    let (at, norm) = both_titles(text).expect("found");
    assert_eq!((&text[at], norm), ("先生/小姐", "N3b"));
    let text = "先生／小姐您好,很高兴为您服务";
    let (at, norm) = both_titles(text).expect("found");
    assert_eq!((&text[at], norm), ("先生／小姐", "N6"));
    let text = "Hello, am I speaking with Mr/Ms {customer}?";
    assert_eq!(both_titles(text).map(|(at, _)| &text[at]), Some("Mr/Ms"));
    assert_eq!(both_titles("{salutation}您好,很高兴为您服务"), None);
    assert_eq!(both_titles("请问是张三先生吗?"), None);
}

#[test]
fn digit_runs_of_six_or_more_in_text_are_masked_as_numbers() {
    use super::mask_digit_runs;
    assert_eq!(
        mask_digit_runs("我的身份证号是110101199003071234，谢谢"),
        "我的身份证号是**************1234，谢谢"
    );
    assert_eq!(mask_digit_runs("验证码 123456"), "验证码 ******");
    assert_eq!(
        mask_digit_runs("分机 8021, 58.50 元"),
        "分机 8021, 58.50 元"
    );
}
