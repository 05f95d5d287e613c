//! The in-call behaviours of issue 4 over the real gRPC service: weak audio
//! ending in a hang-up (N7), and transfer consent yes, no and silence (N10).
//!
//! Unary SendEvent only: the front-end reports silence itself (`no_input`),
//! so no server timer takes a turn during a test and nothing sleeps.

mod common;

use callscript::grpc::pb::{self, call_event::Kind};
use common::{
    TestServer, event, hangup_reason, listen_ms, lookup_result, no_input, phase_name, prompt_ids,
    said, speech, start_server, transfer,
};

const OPENING: &str = "您好,XX欢迎您的来电,请问有什么可以帮您?";
const UNCLEAR: &str = "非常抱歉,我这边听不清楚,请您大声一点,好吗?";
const SWITCH_PHONE: &str = "对不起!您的电话声音太小,我这边听不清楚,请您换一部电话再打过来,好吗?";
const CONSENT: &str = "为了更好地解决您的问题,我为您转接到人工客服,请问可以吗?";
const DECLINED: &str = "好的,那我继续为您服务,请问还有什么可以帮您?";
/// N5's third prompt for a caller who has spoken (issue 25): no claim that
/// the phone has no sound.
const SILENCE_GOODBYE_SPOKEN: &str =
    "非常抱歉,一直没有听到您的回复,如您还需要帮助,欢迎再次来电,再见!";
const BILL: &str = "您本月话费58.50元。";
const ANYTHING_ELSE: &str = "您还需要别的帮助吗?";

/// A Monday afternoon in Shanghai: the plain opening.
const MONDAY_AFTERNOON: &str = "2026-11-23T15:00:00+08:00";

/// A live zh-CN hotline call with its opening checked, and a sequence
/// counter for its events.
struct Call {
    id: String,
    seq: u64,
}

impl Call {
    async fn start(server: &mut TestServer, id: &str) -> Call {
        let req = pb::StartCallRequest {
            flow: "hotline".into(),
            locale: "zh-CN".into(),
            ..common::start(id, MONDAY_AFTERNOON)
        };
        let turn = server
            .calls
            .start_call(req)
            .await
            .expect("StartCall")
            .into_inner();
        assert_eq!(said(&turn), [OPENING]);
        assert_eq!(listen_ms(&turn), Some(5000));
        assert_eq!(
            (turn.phase(), turn.step.as_str(), turn.ended),
            (pb::CallState::Listening, "welcome", false)
        );
        Call {
            id: id.into(),
            seq: 0,
        }
    }

    async fn send(&mut self, server: &mut TestServer, kind: Kind) -> pb::Turn {
        self.seq += 1;
        server
            .calls
            .send_event(event(&self.id, self.seq, kind))
            .await
            .expect("SendEvent")
            .into_inner()
    }
}

fn weak() -> Kind {
    Kind::Audio(pb::Audio {
        kind: pb::AudioKind::Weak as i32,
    })
}

fn transfer_result(connected: bool) -> Kind {
    Kind::TransferResult(pb::TransferResult {
        connected,
        detail: String::new(),
        ok: false,
        cause: 0,
    })
}

/// `(phase, step, ended)` of a turn.
fn at(turn: &pb::Turn) -> (pb::CallState, &str, bool) {
    (turn.phase(), turn.step.as_str(), turn.ended)
}

async fn ask_for_agent(server: &mut TestServer, call: &mut Call) {
    let turn = call.send(server, speech("我要转人工")).await;
    assert_eq!(said(&turn), [CONSENT]);
    assert_eq!(prompt_ids(&turn), ["transfer_consent"]);
    assert_eq!(listen_ms(&turn), Some(5000));
    assert_eq!(transfer(&turn), None);
    assert_eq!(
        at(&turn),
        (pb::CallState::ConfirmingTransfer, "to_agent", false)
    );
}

#[tokio::test]
async fn weak_audio_then_switch_phone_and_hangup() {
    let mut server = start_server().await;
    let mut call = Call::start(&mut server, "weak-1").await;

    for _ in 0..3 {
        let turn = call.send(&mut server, weak()).await;
        assert_eq!(said(&turn), [UNCLEAR]);
        assert_eq!(listen_ms(&turn), Some(5000));
        assert_eq!(hangup_reason(&turn), None);
        assert_eq!(at(&turn), (pb::CallState::Listening, "welcome", false));
    }
    // Low-confidence speech is unclear too: this one is past the limit.
    let mumble = Kind::Speech(pb::Speech {
        text: "账单".into(),
        confidence: 0.2,
        intents: Vec::new(),
    });
    let turn = call.send(&mut server, mumble).await;
    assert_eq!(said(&turn), [SWITCH_PHONE]);
    assert_eq!(prompt_ids(&turn), ["switch_phone"]);
    assert_eq!(listen_ms(&turn), Some(5000));
    assert_eq!(hangup_reason(&turn), None);
    assert_eq!(
        at(&turn),
        (pb::CallState::ConfirmingSwitch, "welcome", false)
    );

    // Consent to hang up: a goodbye first (N7), then 5 s for the caller to
    // hang up first (seed 003: 稍停5秒), then the hang-up.
    let turn = call.send(&mut server, speech("好的")).await;
    assert_eq!(said(&turn), ["非常抱歉给您带来不便,感谢您的来电,再见!"]);
    assert_eq!(turn.understood, ["yes"]);
    assert_eq!(turn.phase, pb::CallState::AwaitingHangup as i32);
    assert_eq!(listen_ms(&turn), Some(5000));
    assert_eq!(hangup_reason(&turn), None);
    let turn = call.send(&mut server, no_input()).await;
    assert_eq!(turn.phase, pb::CallState::Ended as i32);
    assert_eq!(hangup_reason(&turn), Some(pb::EndReason::PoorAudio));
    assert_eq!(at(&turn), (pb::CallState::Ended, "", true));

    let record = server
        .calls
        .get_call(pb::GetCallRequest {
            call_id: "weak-1".into(),
        })
        .await
        .expect("GetCall")
        .into_inner();
    assert!(record.ended);
    assert_eq!(record.end_reason, pb::EndReason::PoorAudio as i32);
    server.stop().await;
}

#[tokio::test]
async fn weak_audio_then_silence_is_no_consent_and_follows_the_silence_path() {
    let mut server = start_server().await;
    let mut call = Call::start(&mut server, "weak-2").await;
    for _ in 0..3 {
        assert_eq!(said(&call.send(&mut server, weak()).await), [UNCLEAR]);
    }
    assert_eq!(said(&call.send(&mut server, weak()).await), [SWITCH_PHONE]);
    // N7: no hang-up without consent; the question once more, then N5.
    let turn = call.send(&mut server, no_input()).await;
    assert_eq!(said(&turn), [SWITCH_PHONE]);
    assert_eq!(hangup_reason(&turn), None);
    let turn = call.send(&mut server, no_input()).await;
    assert_eq!(
        said(&turn),
        ["非常抱歉,您的电话没有声音,请您换一部电话再打来,再见!"]
    );
    let turn = call.send(&mut server, no_input()).await;
    assert_eq!(hangup_reason(&turn), Some(pb::EndReason::Silence));
    assert!(turn.ended);
    server.stop().await;
}

#[tokio::test]
async fn transfer_consent_yes_transfers() {
    let mut server = start_server().await;
    let mut call = Call::start(&mut server, "xfer-yes").await;
    ask_for_agent(&mut server, &mut call).await;

    let turn = call.send(&mut server, speech("可以")).await;
    assert_eq!(
        transfer(&turn),
        Some(("agent_queue".into(), "caller asked for an agent".into()))
    );
    assert_eq!(said(&turn), Vec::<String>::new());
    assert_eq!(hangup_reason(&turn), None);
    assert_eq!(at(&turn), (pb::CallState::Transferring, "to_agent", false));

    let turn = call.send(&mut server, transfer_result(true)).await;
    assert_eq!(turn.actions, []);
    assert_eq!(at(&turn), (pb::CallState::Ended, "", true));

    let record = server
        .calls
        .get_call(pb::GetCallRequest {
            call_id: "xfer-yes".into(),
        })
        .await
        .expect("GetCall")
        .into_inner();
    assert_eq!(record.end_reason, pb::EndReason::Transferred as i32);
    server.stop().await;
}

/// `ok`, the word the lookup and hold results use, reports a transfer that
/// went through as `connected` does.
#[tokio::test]
async fn a_transfer_result_says_ok_like_the_other_results() {
    let mut server = start_server().await;
    let mut call = Call::start(&mut server, "xfer-ok").await;
    ask_for_agent(&mut server, &mut call).await;
    let turn = call.send(&mut server, speech("可以")).await;
    assert_eq!(at(&turn), (pb::CallState::Transferring, "to_agent", false));
    let ok = Kind::TransferResult(pb::TransferResult {
        connected: false,
        detail: String::new(),
        ok: true,
        cause: 0,
    });
    let turn = call.send(&mut server, ok).await;
    assert_eq!(turn.actions, []);
    assert_eq!(at(&turn), (pb::CallState::Ended, "", true));
    let record = server
        .calls
        .get_call(pb::GetCallRequest {
            call_id: "xfer-ok".into(),
        })
        .await
        .expect("GetCall")
        .into_inner();
    assert_eq!(record.end_reason, pb::EndReason::Transferred as i32);
    server.stop().await;
}

#[tokio::test]
async fn transfer_consent_no_returns_to_the_step_that_asked() {
    let mut server = start_server().await;
    let mut call = Call::start(&mut server, "xfer-no").await;
    ask_for_agent(&mut server, &mut call).await;

    let turn = call.send(&mut server, speech("不可以")).await;
    assert_eq!(said(&turn), [DECLINED]);
    assert_eq!(listen_ms(&turn), Some(5000));
    assert_eq!(transfer(&turn), None);
    assert_eq!(at(&turn), (pb::CallState::Listening, "welcome", false));

    let turn = call.send(&mut server, speech("那帮我查一下账单")).await;
    assert_eq!(at(&turn), (pb::CallState::LookingUp, "bill", false));
    let turn = call
        .send(&mut server, lookup_result("bill", "amount", "58.50"))
        .await;
    assert_eq!(said(&turn), [BILL, ANYTHING_ELSE]);
    assert_eq!(at(&turn), (pb::CallState::Closing, "anything_else", false));
    server.stop().await;
}

#[tokio::test]
async fn transfer_consent_silence_reprompts_then_hangs_up() {
    let mut server = start_server().await;
    let mut call = Call::start(&mut server, "xfer-silent").await;
    ask_for_agent(&mut server, &mut call).await;

    let turn = call.send(&mut server, no_input()).await;
    assert_eq!(said(&turn), [CONSENT]);
    assert_eq!(listen_ms(&turn), Some(5000));
    let turn = call.send(&mut server, no_input()).await;
    assert_eq!(said(&turn), [SILENCE_GOODBYE_SPOKEN]);
    assert_eq!(hangup_reason(&turn), None);
    assert_eq!(
        at(&turn),
        (pb::CallState::ConfirmingTransfer, "to_agent", false)
    );
    let turn = call.send(&mut server, no_input()).await;
    assert_eq!(said(&turn), Vec::<String>::new());
    assert_eq!(transfer(&turn), None);
    assert_eq!(hangup_reason(&turn), Some(pb::EndReason::Silence));
    assert!(turn.ended);
    server.stop().await;
}

#[tokio::test]
async fn get_call_shows_the_transcript() {
    let mut server = start_server().await;
    let mut call = Call::start(&mut server, "xfer-record").await;
    ask_for_agent(&mut server, &mut call).await;
    call.send(&mut server, speech("好的")).await;
    call.send(&mut server, transfer_result(false)).await;

    let record = server
        .calls
        .get_call(pb::GetCallRequest {
            call_id: "xfer-record".into(),
        })
        .await
        .expect("GetCall")
        .into_inner();
    assert_eq!(
        (record.state.as_str(), record.step.as_str(), record.ended),
        ("closing", "anything_else", false)
    );
    assert_eq!(record.locale, "zh-CN");

    // Every event and every turn, oldest first, as one readable line each.
    let lines: Vec<String> = record
        .transcript
        .iter()
        .map(
            |e| match e.entry.as_ref().expect("a transcript entry has a kind") {
                pb::transcript_entry::Entry::Event(ev) => match &ev.kind {
                    Some(Kind::Speech(s)) => format!("heard {}", s.text),
                    Some(Kind::TransferResult(t)) => format!("transfer connected={}", t.connected),
                    // The call's start, labelled as such.
                    Some(Kind::Start(s)) => format!("start at {}", s.at),
                    other => format!("event {other:?}"),
                },
                pb::transcript_entry::Entry::Turn(t) => {
                    let mut parts = said(t);
                    if let Some((target, _)) = transfer(t) {
                        parts.push(format!("transfer {target}"));
                    }
                    format!("{}: {}", phase_name(t), parts.join(" | "))
                }
                pb::transcript_entry::Entry::Fault(f) => format!("front-end fault: {}", f.detail),
            },
        )
        .collect();
    assert_eq!(
        lines,
        [
            format!("start at {MONDAY_AFTERNOON}"),
            format!("listening: {OPENING}"),
            "heard 我要转人工".into(),
            format!("confirming_transfer: {CONSENT}"),
            "heard 好的".into(),
            "transferring: transfer agent_queue".into(),
            "transfer connected=false".into(),
            format!("closing: 非常抱歉,人工客服暂时无法接通,我继续为您服务。 | {ANYTHING_ELSE}"),
        ]
    );
    server.stop().await;
}
