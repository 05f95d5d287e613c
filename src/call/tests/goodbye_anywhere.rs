//! The caller's goodbye in every phase (issue 25): at a menu, a digit
//! entry, while a lookup runs and while on hold, 再见 / 没事了 / 就这样吧 /
//! "that's all" lead to the close (our goodbye, then the wait for the
//! caller to hang up, N12), never to a re-prompt or a not-understood. A
//! goodbye with a request is the request; at a recording the words are the
//! message's.

use std::time::Duration;

use super::*;

/// The shipped menu flow (keys first), in zh-CN.
fn menu() -> Arc<Flow> {
    Arc::new(
        compile_source("menu.toml", include_str!("../../../flows/menu.toml"))
            .expect("the shipped menu flow compiles"),
    )
}

const MAIN_MENU: &str =
    "您好,XX通信欢迎您的来电。查询话费请按1,办理业务请按2,投诉建议请按3,人工服务请按0,重听请按9。";
const ASK_NUMBER: &str = "请输入您要查询的手机号码,以#号键结束。";
const COMPLAINT_INSTRUCTIONS: &str = "请在提示音后说出您的投诉或建议,说完请按#号键。";
const COMPLAINT_SAVED: &str = "您的投诉建议已经录音保存,我们会在三天内给您答复。";
const LOOKUP_WAIT: &str = "正在为您查询,请您稍候,谢谢。";
/// After our goodbye: the wait for the caller to hang up (N12).
const HANGUP_WAIT: &str = "listen:10000";

/// A zh-CN call into the menu flow, at its main menu.
fn at_main_menu() -> Call {
    let (call, opening) = Call::with(menu(), &[]);
    opening.is(&["say:main_menu", LISTEN], &[MAIN_MENU]);
    assert_eq!(call.at(), ("in_menu", Some("main_menu")));
    call
}

/// Our goodbye, then the wait; the caller's silence then is the line left
/// open (N15), not N5.
fn closes(call: &mut Call, turn: Turn, before: &[(&str, &str)]) {
    let mut actions: Vec<String> = before.iter().map(|(id, _)| format!("say:{id}")).collect();
    actions.extend(["say:goodbye".to_owned(), HANGUP_WAIT.to_owned()]);
    let actions: Vec<&str> = actions.iter().map(String::as_str).collect();
    let mut said: Vec<&str> = before.iter().map(|(_, text)| *text).collect();
    said.push(GOODBYE);
    turn.is(&actions, &said);
    assert_eq!(call.machine.state_name(), "awaiting_hangup");
    call.send(silence()).is(&["hangup:line_left_open"], &[]);
    call.assert_ended(EndReason::LineLeftOpen);
}

#[test]
fn a_goodbye_at_a_menu_closes_instead_of_the_invalid_choice() {
    let mut call = at_main_menu();
    let turn = call.send(words("没事了,再见"));
    closes(&mut call, turn, &[]);
}

#[test]
fn a_goodbye_at_a_menu_with_a_request_is_the_request() {
    let mut call = at_main_menu();
    call.send(words("我要查话费,然后就这样吧"))
        .is(&["say:ask_number", LISTEN], &[ASK_NUMBER]);
    assert_eq!(call.at(), ("collecting", Some("bill_number")));
}

#[test]
fn a_goodbye_at_a_digit_entry_closes_instead_of_a_wrong_number() {
    let mut call = at_main_menu();
    call.send(keys("1"))
        .is(&["say:ask_number", LISTEN], &[ASK_NUMBER]);
    let turn = call.send(words("算了,就这样吧"));
    closes(&mut call, turn, &[]);
}

/// The caller ends the call while the bill is looked up: the answer no
/// longer matters, and a late one changes nothing.
#[test]
fn a_goodbye_while_a_lookup_runs_closes_and_its_late_answer_is_ignored() {
    let mut call = Call::zh_cn();
    call.send_at(Duration::from_secs(5), words("查话费"))
        .is(&["lookup:bill", "listen:2000"], &[]);
    let turn = call.send_at(Duration::from_secs(6), words("不用了谢谢,拜拜"));
    turn.is(&["say:goodbye", HANGUP_WAIT], &[GOODBYE]);
    assert_eq!(call.machine.state_name(), "awaiting_hangup");
    call.answered("bill", "amount", "58.50").is(&[], &[]);
    call.send(Event::CallerHangup).is(&[], &[]);
    call.assert_ended(EndReason::CallerHangup);
}

/// Told to hold on for the lookup, the caller hears the end of the wait
/// apologised for before the goodbye.
#[test]
fn a_goodbye_after_the_lookups_hold_on_apologises_for_the_wait_then_closes() {
    let mut call = Call::zh_cn();
    call.send_at(Duration::from_secs(5), words("查话费"))
        .is(&["lookup:bill", "listen:2000"], &[]);
    call.send_at(Duration::from_secs(7), silence())
        .is(&["say:lookup_wait", "listen:8000"], &[LOOKUP_WAIT]);
    let turn = call.send_at(Duration::from_secs(9), words("没事了"));
    closes(&mut call, turn, &[("hold_resume", HOLD_RESUME)]);
}

/// On hold, a goodbye ends the hold: the resume apology, then the close.
#[test]
fn a_goodbye_on_hold_ends_the_hold_with_the_apology_then_closes() {
    let mut call = Call::zh_cn();
    call.send_at(Duration::from_secs(5), words("我想办理套餐"))
        .is(&["say:hold_ask", LISTEN], &[HOLD_ASK]);
    call.send_at(Duration::from_secs(10), words("可以"))
        .is(&["say:hold_thanks", "listen:60000"], &[HOLD_THANKS]);
    let turn = call.send_at(Duration::from_secs(20), words("算了,不办了,再见"));
    closes(&mut call, turn, &[("hold_resume", HOLD_RESUME)]);
    // The work's late result finds the call over.
}

/// At the hold's question a goodbye is a no (N11), as before.
#[test]
fn a_goodbye_at_the_holds_question_is_a_no() {
    let mut call = Call::zh_cn();
    call.send(words("我想办理套餐"))
        .is(&["say:hold_ask", LISTEN], &[HOLD_ASK]);
    let turn = call.send(words("不用了谢谢"));
    assert!(
        !turn
            .actions
            .iter()
            .any(|a| a.starts_with("say:hold_thanks")),
        "{turn:?}"
    );
}

/// A message ends with 再见 as naturally as a call: the words stay the
/// recording's, and its result leads on.
#[test]
fn a_goodbye_into_a_recording_is_part_of_the_message() {
    let mut call = at_main_menu();
    call.send(keys("3")).is(
        &[
            "say:complaint_instructions",
            "record:complaint_recording:120000:beep:#",
            "listen:135000",
        ],
        &[COMPLAINT_INSTRUCTIONS],
    );
    call.send(words("信号太差了,就这样,再见")).is(&[], &[]);
    call.send(Event::RecordingResult {
        ok: true,
        recording: "rec-1.wav".into(),
        duration: Duration::from_secs(4),
    })
    .is(
        &["say:complaint_saved", "say:anything_else", LISTEN],
        &[COMPLAINT_SAVED, ANYTHING_ELSE],
    );
}

/// The same in English: "that's all" while the bill is looked up.
#[test]
fn thats_all_while_a_lookup_runs_closes_in_english() {
    let (mut call, _) = Call::start("en", DayPart::Afternoon);
    call.send_at(Duration::from_secs(5), words("check my bill"))
        .is(&["lookup:bill", "listen:2000"], &[]);
    call.send_at(Duration::from_secs(6), words("never mind, that's all"))
        .is(
            &["say:goodbye", HANGUP_WAIT],
            &["Thank you, have a nice day! Goodbye."],
        );
    assert_eq!(call.machine.state_name(), "awaiting_hangup");
}

/// A flow that waits in silence while the caller fetches their card.
const PAUSE_FLOW: &str = include_str!("../../flow/steps/pause.test.toml");

/// During a pause the caller's "never mind, bye" ends the wait with the
/// close's goodbye, not the next step's question.
#[test]
fn a_goodbye_during_a_pause_closes_instead_of_the_next_question() {
    let flow = Arc::new(compile_source("pause.toml", PAUSE_FLOW).expect("the flow compiles"));
    let (mut call, opening) = Call::with(flow, &[]);
    opening.is(
        &["say:get_card", "listen:4000"],
        &["Please have your card ready; I will wait."],
    );
    call.send(words("never mind, bye"))
        .is(&["say:bye", HANGUP_WAIT], &["Thank you, goodbye."]);
    assert_eq!(call.machine.state_name(), "awaiting_hangup");
}
