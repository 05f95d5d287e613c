//! An operator IVR's building blocks on a small flow of their own
//! (`ivr.toml`): barge-in as each step says, menus with their own keys.

use super::*;

fn ivr() -> Arc<Flow> {
    Arc::new(
        compile_source("ivr.toml", include_str!("ivr.toml")).expect("the IVR test flow compiles"),
    )
}

/// Each `Say` of a turn with whether the caller may interrupt it.
fn barge_ins(call: &mut Call, event: Event) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    call.machine.handle_at(call.elapsed, &event, &mut out);
    out.iter()
        .filter_map(|a| match a {
            Action::Say(s) => Some((s.prompt.id.to_string(), s.barge_in)),
            Action::Listen { .. }
            | Action::Transfer { .. }
            | Action::Hangup(_)
            | Action::Lookup { .. }
            | Action::Record { .. } => None,
        })
        .collect()
}

#[test]
fn a_step_without_barge_in_says_its_prompt_uninterruptible_and_the_others_stay_open() {
    let flow = ivr();
    let mut call = Call {
        machine: CallMachine::new(CallSetup {
            opening: flow.prompt_index("opening"),
            flow,
            locale: 0,
            day_part: DayPart::Afternoon,
            variables: Default::default(),
            caller: "".into(),
            callee: "".into(),
            after_hours: false,
        }),
        elapsed: std::time::Duration::ZERO,
    };
    assert_eq!(
        barge_ins(&mut call, Event::Start),
        [("notice".to_owned(), false), ("main".to_owned(), true)]
    );
    assert_eq!(barge_ins(&mut call, silence()), [("main".to_owned(), true)]);
}

// === menus ===

const MAIN: &str = "查询话费请按1,办理业务请按2,人工服务请按0,重听请按9。";
const BIZ: &str = "开通业务请按1,返回上级菜单请按星号键。";
const INVALID: &str = "您的输入有误。";
const BILL: &str = "您本月话费58.50元。";
const ANYTHING: &str = "您还需要别的帮助吗?";
const CONSENT_IVR: &str = "我为您转接人工客服,请问可以吗?";

/// A zh-CN call into the IVR, at its main menu.
fn at_main_menu() -> Call {
    let (call, opening) = Call::with(ivr(), &[]);
    opening.is(
        &["say:notice", "say:main", LISTEN],
        &["本次通话可能会被录音。", MAIN],
    );
    assert_eq!(call.at(), ("in_menu", Some("main_menu")));
    call
}

#[test]
fn a_menu_key_leads_to_its_step() {
    let mut call = at_main_menu();
    call.send(keys("1")).is(
        &["say:bill", "say:anything_else", LISTEN],
        &[BILL, ANYTHING],
    );
    assert_eq!(call.at(), ("closing", Some("close")));
}

#[test]
fn a_menu_key_the_flow_gives_an_intent_elsewhere_means_nothing_in_the_menu() {
    let mut call = at_main_menu();
    // 3 is the bill's key at other steps; this menu has no 3.
    call.send(keys("3"))
        .is(&["say:invalid_input", "say:main", LISTEN], &[INVALID, MAIN]);
    assert_eq!(call.at(), ("in_menu", Some("main_menu")));
}

#[test]
fn keys_at_an_ask_mean_what_the_flow_wide_intents_say_not_a_menus_keys() {
    let mut call = at_main_menu();
    call.send(keys("2")).is(&["say:biz", LISTEN], &[BIZ]);
    call.send(keys("1")).is(
        &["say:opening", LISTEN],
        &["您好,欢迎您的来电,请问有什么可以帮您?"],
    );
    assert_eq!(call.at(), ("listening", Some("ask_need")));
    // 3 is the bill's flow-wide key; at the menu 1 was the bill.
    call.send(keys("3")).is(
        &["say:bill", "say:anything_else", LISTEN],
        &[BILL, ANYTHING],
    );
}

#[test]
fn repeat_says_the_menu_again_and_back_returns_to_the_menu_before() {
    let mut call = at_main_menu();
    call.send(keys("9")).is(&["say:main", LISTEN], &[MAIN]);
    call.send(keys("2")).is(&["say:biz", LISTEN], &[BIZ]);
    assert_eq!(call.at(), ("in_menu", Some("biz_menu")));
    call.send(keys("*")).is(&["say:main", LISTEN], &[MAIN]);
    assert_eq!(call.at(), ("in_menu", Some("main_menu")));
    // At the first menu there is nowhere further back: the menu again.
    call.send(keys("*")).is(&["say:main", LISTEN], &[MAIN]);
    assert_eq!(call.at(), ("in_menu", Some("main_menu")));
}

#[test]
fn invalid_answers_end_in_exhausted_after_the_attempts() {
    let mut call = at_main_menu();
    call.send(keys("7"))
        .is(&["say:invalid_input", "say:main", LISTEN], &[INVALID, MAIN]);
    call.send(words("天气怎么样"))
        .is(&["say:invalid_input", "say:main", LISTEN], &[INVALID, MAIN]);
    call.send(keys("8"))
        .is(&["say:consent", LISTEN], &[CONSENT_IVR]);
    assert_eq!(call.at(), ("confirming_transfer", Some("to_agent")));
}

#[test]
fn words_choose_by_the_menus_intents_and_anywhere_requests() {
    let mut call = at_main_menu();
    call.send(words("我想查话费")).is(
        &["say:bill", "say:anything_else", LISTEN],
        &[BILL, ANYTHING],
    );
    let mut call = at_main_menu();
    call.send(words("转人工"))
        .is(&["say:consent", LISTEN], &[CONSENT_IVR]);
}

#[test]
fn a_key_of_two_digits_waits_for_the_second_one_key_per_event() {
    let mut call = at_main_menu();
    call.send(keys("2")).is(&["say:biz", LISTEN], &[BIZ]);
    call.send(keys("2")).is(&[LISTEN], &[]);
    call.send(keys("1"))
        .is(&["say:anything_else", LISTEN], &[ANYTHING]);
    let mut call = at_main_menu();
    call.send(keys("2")).is(&["say:biz", LISTEN], &[BIZ]);
    call.send(keys("21"))
        .is(&["say:anything_else", LISTEN], &[ANYTHING]);
    // A key begun and left unfinished counts as invalid once the pause ends.
    let mut call = at_main_menu();
    call.send(keys("2")).is(&["say:biz", LISTEN], &[BIZ]);
    call.send(keys("2")).is(&[LISTEN], &[]);
    call.send(silence())
        .is(&["say:invalid_input", "say:biz", LISTEN], &[INVALID, BIZ]);
}

#[test]
fn silence_at_a_menu_follows_n5_with_the_menu_as_its_reprompt() {
    let mut call = at_main_menu();
    call.send(silence()).is(&["say:main", LISTEN], &[MAIN]);
    call.send(silence()).is(
        &["say:silence_goodbye", LISTEN],
        &["非常抱歉,您的电话没有声音,请您换一部电话再打来,再见!"],
    );
    call.send(silence()).is(&["hangup:silence"], &[]);
    call.assert_ended(EndReason::Silence);
}

#[test]
fn weak_audio_at_a_menu_asks_to_speak_up_and_stays_in_the_menu() {
    let mut call = at_main_menu();
    call.send(weak()).is(
        &["say:unclear", LISTEN],
        &["非常抱歉,我这边听不清楚,请您大声一点,好吗?"],
    );
    assert_eq!(call.at(), ("in_menu", Some("main_menu")));
    call.send(keys("1")).is(
        &["say:bill", "say:anything_else", LISTEN],
        &[BILL, ANYTHING],
    );
}

#[test]
fn a_declined_transfer_from_a_menu_says_the_menu_again_and_its_keys_still_count() {
    let mut call = at_main_menu();
    call.send(keys("0"))
        .is(&["say:consent", LISTEN], &[CONSENT_IVR]);
    call.send(words("不用")).is(
        &["say:declined", "say:main", LISTEN],
        &["好的,我继续为您服务。", MAIN],
    );
    assert_eq!(call.at(), ("in_menu", Some("main_menu")));
}

// === digit entry ===

const ASK_NUMBER: &str = "请输入您要查询的手机号码,以#号键结束。";
const NUMBER_WRONG: &str = "您输入的号码有误。";

/// A call at the number entry.
fn at_number_entry() -> Call {
    let mut call = at_main_menu();
    call.send(keys("4"))
        .is(&["say:ask_number", LISTEN], &[ASK_NUMBER]);
    assert_eq!(call.at(), ("collecting", Some("bill_number")));
    call
}

#[test]
fn a_number_in_one_event_is_kept_and_said_back() {
    let mut call = at_number_entry();
    call.send(keys("13800138000#")).is(
        &["say:number_is", "say:anything_else", LISTEN],
        &["您要查询的号码是1 3 8 0 0 1 3 8 0 0 0。", ANYTHING],
    );
    assert_eq!(call.at(), ("closing", Some("close")));
}

#[test]
fn a_number_one_key_per_event_waits_the_inter_digit_pause_between_keys() {
    let mut call = at_number_entry();
    for key in "1380013800".chars() {
        call.send(keys(&key.to_string())).is(&["listen:3000"], &[]);
    }
    // The eleventh key is `max`: no terminator needed.
    call.send(keys("0")).is(
        &["say:number_is", "say:anything_else", LISTEN],
        &["您要查询的号码是1 3 8 0 0 1 3 8 0 0 0。", ANYTHING],
    );
}

#[test]
fn the_pause_after_the_last_key_ends_the_entry() {
    let mut call = at_number_entry();
    for key in "138".chars() {
        call.send(keys(&key.to_string())).is(&["listen:3000"], &[]);
    }
    call.send(silence()).is(
        &["say:number_wrong", "say:ask_number", LISTEN],
        &[NUMBER_WRONG, ASK_NUMBER],
    );
    assert_eq!(call.at(), ("collecting", Some("bill_number")));
}

#[test]
fn three_wrong_numbers_lead_to_exhausted() {
    let mut call = at_number_entry();
    // Too short; the pattern's leading 1 missing; the terminator alone.
    for entry in ["138#", "23800138000", "#"] {
        let turn = call.send(keys(entry));
        if call.at() == ("collecting", Some("bill_number")) {
            turn.is(
                &["say:number_wrong", "say:ask_number", LISTEN],
                &[NUMBER_WRONG, ASK_NUMBER],
            );
        } else {
            turn.is(&["say:consent", LISTEN], &[CONSENT_IVR]);
        }
    }
    assert_eq!(call.at(), ("confirming_transfer", Some("to_agent")));
}

#[test]
fn a_number_said_in_words_is_collected_and_a_person_asked_for_is_offered() {
    let mut call = at_number_entry();
    call.send(words("13800138000")).is(
        &["say:number_is", "say:anything_else", LISTEN],
        &["您要查询的号码是1 3 8 0 0 1 3 8 0 0 0。", ANYTHING],
    );
    let mut call = at_number_entry();
    call.send(words("转人工"))
        .is(&["say:consent", LISTEN], &[CONSENT_IVR]);
}

#[test]
fn silence_while_collecting_follows_n5_with_the_prompt_again() {
    let mut call = at_number_entry();
    call.send(silence())
        .is(&["say:ask_number", LISTEN], &[ASK_NUMBER]);
    call.send(silence()).is(
        &["say:silence_goodbye", LISTEN],
        &["非常抱歉,您的电话没有声音,请您换一部电话再打来,再见!"],
    );
    call.send(silence()).is(&["hangup:silence"], &[]);
}

#[test]
fn a_number_is_said_digit_by_digit_and_marked_say_as_in_ssml() {
    let mut call = at_number_entry();
    let mut out = Vec::new();
    call.machine
        .handle_at(call.elapsed, &keys("13800138000#"), &mut out);
    let Some(Action::Say(said)) = out.first() else {
        panic!("the number is said back: {out:?}");
    };
    assert_eq!(&**said.text(), "您要查询的号码是1 3 8 0 0 1 3 8 0 0 0。");
    assert_eq!(
        said.ssml().as_deref(),
        Some(
            "<speak xml:lang=\"zh-CN\">您要查询的号码是<say-as interpret-as=\"digits\">13800138000</say-as>。</speak>"
        )
    );
}
