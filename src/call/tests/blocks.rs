//! The IVR building blocks on a small flow of their own (`blocks.toml`):
//! `set` and `branch` act in the turn that reaches them, saying nothing
//! themselves.

use std::time::Duration;

use super::*;

fn blocks() -> Arc<Flow> {
    Arc::new(
        compile_source("blocks.toml", include_str!("blocks.toml")).expect("blocks.toml compiles"),
    )
}

const NOTED: &str = "您的宽带业务已为您登记。";
const VIP: &str = "尊敬的贵宾,您的宽带业务由专属客服为您办理。";
const ANYTHING_ELSE_HERE: &str = "您还需要别的帮助吗?";

/// A call past the opening whose `set` ran and whose VIP lookup went out.
fn checking_vip() -> Call {
    let (mut call, _) = Call::with(blocks(), &[]);
    let mut out = Vec::new();
    call.machine
        .handle_at(Duration::from_secs(1), &words("我要办宽带"), &mut out);
    assert_eq!(
        out[0],
        Action::Lookup {
            name: "vip".into(),
            params: [("contact".to_owned(), "13800138000".to_owned())].into(),
        },
        "the set value filled from {{caller}} goes out with the lookup"
    );
    assert_eq!(call.at(), ("looking_up", Some("vip_check")));
    call
}

#[test]
fn a_case_of_the_branch_leads_to_its_step() {
    let mut call = checking_vip();
    call.answered("vip", "vip", "gold").is(
        &["say:vip_hello", "say:anything_else", LISTEN],
        &[VIP, ANYTHING_ELSE_HERE],
    );
    assert_eq!(call.at(), ("closing", Some("close")));
}

#[test]
fn a_value_no_case_has_takes_the_default() {
    let mut call = checking_vip();
    call.answered("vip", "vip", "false").is(
        &["say:normal_hello", "say:anything_else", LISTEN],
        &[NOTED, ANYTHING_ELSE_HERE],
    );
}

// === record ===

const INSTRUCTIONS: &str = "请在提示音后留言,按#号键结束。";
const RECORD: &str = "record:recording:60000:beep:#";

/// A call whose recording started 2 s in.
fn recording() -> Call {
    let (mut call, _) = Call::with(blocks(), &[]);
    call.send_at(Duration::from_secs(2), words("我要留言")).is(
        &["say:voicemail_instructions", RECORD, "listen:75000"],
        &[INSTRUCTIONS],
    );
    assert_eq!(call.at(), ("recording", Some("voicemail")));
    call
}

fn recorded(ok: bool, reference: &str) -> Event {
    Event::RecordingResult {
        ok,
        recording: reference.into(),
        duration: Duration::from_secs(12),
    }
}

#[test]
fn a_recording_is_kept_in_its_variable_and_the_call_goes_on() {
    let mut call = recording();
    call.send(recorded(true, "vm/0001.wav")).is(
        &["say:voicemail_saved", "say:anything_else", LISTEN],
        &["您的留言已保存,我们会尽快回复您。", ANYTHING_ELSE_HERE],
    );
    assert_eq!(
        call.machine
            .variables()
            .get("recording")
            .map(String::as_str),
        Some("vm/0001.wav")
    );
}

#[test]
fn a_failed_recording_takes_the_failed_step() {
    let mut call = recording();
    call.send(recorded(false, "")).is(
        &["say:voicemail_failed", "say:anything_else", LISTEN],
        &["非常抱歉,留言没有保存成功。", ANYTHING_ELSE_HERE],
    );
}

#[test]
fn words_and_silence_while_recording_are_the_recording_not_answers() {
    let mut call = recording();
    call.send(words("我要转人工")).is(&[], &[]);
    call.send(keys("1")).is(&[], &[]);
    assert_eq!(call.at(), ("recording", Some("voicemail")));
    // The bound: no result by max_ms and the margin counts as failed.
    call.send(silence()).is(
        &["say:voicemail_failed", "say:anything_else", LISTEN],
        &["非常抱歉,留言没有保存成功。", ANYTHING_ELSE_HERE],
    );
}

// === subflows ===

const CONFIRM: &str = "请问是用本机号码办理吗?";
const BILL_DONE: &str = "好的,话费详单已发送到您的手机。";

/// A call inside the confirm subflow, asked its question.
fn confirming() -> Call {
    let (mut call, _) = Call::with(blocks(), &[]);
    call.send(words("查话费"))
        .is(&["say:confirm_ask", LISTEN], &[CONFIRM]);
    assert_eq!(call.at(), ("listening", Some("confirm.ask")));
    call
}

#[test]
fn a_subflow_returns_to_the_calling_steps_step_for_its_label() {
    let mut call = confirming();
    call.send(words("是的")).is(
        &["say:bill_done", "say:anything_else", LISTEN],
        &[BILL_DONE, ANYTHING_ELSE_HERE],
    );
    let mut call = confirming();
    call.send(words("不是")).is(
        &["say:silence_reprompt", LISTEN],
        &["您好!请问有什么可以帮您?"],
    );
    assert_eq!(call.at(), ("listening", Some("welcome")));
}

#[test]
fn silence_inside_a_subflow_follows_the_silence_rules() {
    let mut call = confirming();
    call.send(silence()).is(
        &["say:silence_reprompt", LISTEN],
        &["您好!请问有什么可以帮您?"],
    );
    // The caller has spoken (查话费): the built-in wording, no claim that
    // the phone has no sound (blocks.toml words none of its own).
    call.send(silence()).is(
        &["say:silence_goodbye_spoken", LISTEN],
        &["非常抱歉,一直没有听到您的回复,如您还需要帮助,欢迎再次来电,再见!"],
    );
    call.send(silence()).is(&["hangup:silence"], &[]);
    call.assert_ended(EndReason::Silence);
}

#[test]
fn anywhere_requests_work_inside_a_subflow() {
    let mut call = confirming();
    call.send(words("转人工")).is(
        &["say:consent", LISTEN],
        &["我为您转接人工客服,请问可以吗?"],
    );
    assert_eq!(call.at(), ("confirming_transfer", Some("to_agent")));
}

#[test]
fn a_snapshot_inside_a_subflow_keeps_its_call_stack() {
    let call = confirming();
    let json = serde_json::to_string(&call.machine).expect("a snapshot");
    let flow = call.machine.flow().clone();
    let restored = crate::call::snapshot::with_flow(&flow, || serde_json::from_str(&json))
        .expect("the snapshot reads back");
    let mut call = Call {
        machine: restored,
        elapsed: call.elapsed,
    };
    call.send(words("是的")).is(
        &["say:bill_done", "say:anything_else", LISTEN],
        &[BILL_DONE, ANYTHING_ELSE_HERE],
    );
}

// === transfers the PBX can carry out ===

/// A call that said yes to the transfer after its VIP lookup answered.
fn transferring(vip: &str) -> (Call, Action) {
    let mut call = checking_vip();
    call.answered("vip", "vip", vip);
    call.send(words("转人工"));
    let mut out = Vec::new();
    call.machine
        .handle_at(call.elapsed, &words("好的"), &mut out);
    assert_eq!(call.at(), ("transferring", Some("to_agent")));
    (call, out.remove(0))
}

#[test]
fn the_transfer_goes_out_filled_typed_timed_and_with_its_attachments() {
    let (_, transfer) = transferring("gold");
    assert_eq!(
        transfer,
        Action::Transfer {
            target: "sip:general@pbx.example".into(),
            reason: "caller asked for an agent".into(),
            target_type: Some(crate::flow::TargetType::Sip),
            timeout: Some(Duration::from_secs(30)),
            attached: [
                ("contact".to_owned(), "13800138000".to_owned()),
                ("vip".to_owned(), "gold".to_owned()),
            ]
            .into(),
        }
    );
}

#[test]
fn a_busy_target_hears_the_steps_busy_prompt_and_others_the_failure() {
    let (mut call, _) = transferring("false");
    call.send(Event::TransferResult {
        connected: false,
        cause: Some(crate::call::TransferCause::Busy),
    })
    .is(
        &["say:agents_busy", "say:anything_else", LISTEN],
        &["非常抱歉,人工客服正忙。", ANYTHING_ELSE_HERE],
    );
    let (mut call, _) = transferring("false");
    call.send(Event::TransferResult {
        connected: false,
        cause: Some(crate::call::TransferCause::NoAnswer),
    })
    .is(
        &["say:failed", "say:anything_else", LISTEN],
        &["非常抱歉,人工客服暂时无法接通。", ANYTHING_ELSE_HERE],
    );
}
