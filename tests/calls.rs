//! The Calls service over real gRPC: a server on an ephemeral port.

mod common;

use callscript::grpc::pb::{self, call_event::Kind};
use common::*;
use tokio_stream::StreamExt;
use tonic::Code;

const AFTERNOON: &str = "2026-11-23T15:00:00+08:00";

#[tokio::test]
async fn a_whole_unary_call_follows_the_hotline_script() {
    let mut s = start_server().await;
    let c = &mut s.calls;

    let t = c
        .start_call(start("u1", AFTERNOON))
        .await
        .expect("starts")
        .into_inner();
    assert_eq!(said(&t), ["您好,XX欢迎您的来电,请问有什么可以帮您?"]);
    assert_eq!(listen_ms(&t), Some(5000));
    assert_eq!(
        (t.seq, t.phase(), t.step.as_str(), t.flow.as_str()),
        (1, pb::CallState::Listening, "welcome", "hotline")
    );
    assert!(!t.flow_version.is_empty());

    // N6: the caller greets us back.
    let t = c
        .send_event(event("u1", 1, speech("客服您好")))
        .await
        .expect("ok")
        .into_inner();
    assert_eq!(said(&t), ["下午好,请问有什么可以帮您?"]);

    // A request, then the closing (N12).
    let t = c
        .send_event(event("u1", 2, speech("我想查一下话费账单")))
        .await
        .expect("ok")
        .into_inner();
    // The bill is looked up by the front-end; its answer is said.
    assert_eq!(said(&t), Vec::<String>::new());
    assert_eq!(t.phase(), pb::CallState::LookingUp);
    assert!(
        matches!(
            &t.actions[0].kind,
            Some(pb::action::Kind::Lookup(pb::Lookup { name, params })) if name == "bill" && params.contains_key("caller")
        ),
        "{:?}",
        t.actions
    );
    assert_eq!(listen_ms(&t), Some(2000));
    let t = c
        .send_event(event("u1", 3, lookup_result("bill", "amount", "58.50")))
        .await
        .expect("ok")
        .into_inner();
    assert_eq!(said(&t), ["您本月话费58.50元。", "您还需要别的帮助吗?"]);
    assert_eq!(t.phase(), pb::CallState::Closing);

    let t = c
        .send_event(event("u1", 4, speech("不用了,谢谢")))
        .await
        .expect("ok")
        .into_inner();
    assert_eq!(said(&t), ["谢谢您,祝您愉快!再见。"]);
    assert_eq!(t.phase(), pb::CallState::AwaitingHangup);
    assert_eq!(
        hangup_reason(&t),
        None,
        "we never hang up before the caller (N12)"
    );
    assert_eq!(listen_ms(&t), Some(10_000));

    let t = c
        .send_event(event("u1", 5, hangup()))
        .await
        .expect("ok")
        .into_inner();
    assert!(t.ended);
    assert!(
        t.actions.is_empty(),
        "the caller already hung up: nothing left to do"
    );

    let record = c
        .get_call(pb::GetCallRequest {
            call_id: "u1".into(),
        })
        .await
        .expect("record")
        .into_inner();
    assert_eq!(record.end_reason(), pb::EndReason::CallerHangup);
    assert_eq!(record.opening_rule, "normal opening (afternoon)");
    assert_eq!(record.local_start, "2026-11-23T15:00:00+08:00");
    // start, turn, then five events each with its turn.
    assert_eq!(record.transcript.len(), 12);
    s.stop().await;
}

#[tokio::test]
async fn the_opening_follows_the_calls_local_date_and_time() {
    let mut s = start_server().await;
    let cases = [
        (
            "2026-10-01T09:30:00+08:00",
            "zh-CN",
            "国庆节快乐!XX客服中心,请问有什么可以帮您!",
        ),
        // 23:30 UTC on the eve is already 07:30 on Spring Festival in
        // Shanghai: before the holiday hours (09:00): closed, with the holiday's
        // after-hours opening (N4).
        (
            "2026-02-16T23:30:00Z",
            "zh-CN",
            "新年好!XX客服中心。现在是非服务时间,我们的服务时间是周一至周五8:00至21:00,周六、周日及节假日9:00至18:00,请您在服务时间内来电。请问还有什么可以帮您?",
        ),
        (
            "2026-02-17T01:30:00Z",
            "zh-CN",
            "新年好!XX客服中心,请问有什么可以帮您!",
        ),
        (
            "2026-09-25T17:00:00+08:00",
            "zh-TW",
            "中秋節快樂!XX客服中心,請問有什麼可以幫您!",
        ),
        (
            "2026-05-03T10:00:00+08:00",
            "en",
            "Happy Labour Day! This is the XX service centre. How may I help you?",
        ),
        (
            "2026-11-23T11:59:59+08:00",
            "zh-CN",
            "早上好!XX欢迎您的来电,请问有什么可以帮您?",
        ),
        (
            "2026-11-23T12:00:00+08:00",
            "zh-CN",
            "您好,XX欢迎您的来电,请问有什么可以帮您?",
        ),
    ];
    for (i, (at, locale, text)) in cases.iter().enumerate() {
        let mut req = start(&format!("greet{i}"), at);
        req.locale = (*locale).into();
        let t = s.calls.start_call(req).await.expect("starts").into_inner();
        assert_eq!(said(&t), [*text], "call at {at} in {locale}");
    }
    s.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_silent_call_through_converse_is_driven_by_server_timers() {
    let mut s = start_server().await;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tx.send(pb::CallEvent {
        call_id: String::new(),
        seq: 0,
        kind: Some(Kind::Start(Box::new(start("stream1", AFTERNOON)))),
    })
    .expect("queue start");
    let mut turns = s
        .calls
        .converse(tokio_stream::wrappers::UnboundedReceiverStream::new(rx))
        .await
        .expect("stream opens")
        .into_inner();

    let mut got = Vec::new();
    while let Some(t) = turns.next().await {
        got.push(t.expect("turn"));
    }
    let texts: Vec<Vec<String>> = got.iter().map(said).collect();
    assert_eq!(
        texts,
        [
            vec!["您好,XX欢迎您的来电,请问有什么可以帮您?".to_owned()],
            vec!["您好!请问有什么可以帮您?".to_owned()],
            vec!["非常抱歉,您的电话没有声音,请您换一部电话再打来,再见!".to_owned()],
            vec![],
        ]
    );
    let last = got.last().expect("four turns");
    assert_eq!(hangup_reason(last), Some(pb::EndReason::Silence));
    assert!(last.ended);
    drop(tx);

    let record = s
        .calls
        .get_call(pb::GetCallRequest {
            call_id: "stream1".into(),
        })
        .await
        .expect("record")
        .into_inner();
    let offsets: Vec<u64> = record
        .transcript
        .iter()
        .filter(|e| matches!(e.entry, Some(pb::transcript_entry::Entry::Turn(_))))
        .map(|e| e.offset_ms)
        .collect();
    assert_eq!(offsets, [0, 5000, 10000, 15000]);
    s.stop().await;
}

#[tokio::test(start_paused = true)]
async fn converse_answers_events_and_ends_when_the_caller_hangs_up() {
    let mut s = start_server().await;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let mut start_req = start("stream2", AFTERNOON);
    start_req.locale = "en".into();
    tx.send(pb::CallEvent {
        call_id: String::new(),
        seq: 0,
        kind: Some(Kind::Start(Box::new(start_req))),
    })
    .expect("queue");
    let mut turns = s
        .calls
        .converse(tokio_stream::wrappers::UnboundedReceiverStream::new(rx))
        .await
        .expect("opens")
        .into_inner();
    let t = turns.next().await.expect("opening").expect("ok");
    assert_eq!(said(&t), ["Hello, welcome to XX. How may I help you?"]);

    tx.send(event("stream2", 1, speech("what is my agent number?")))
        .expect("queue");
    let t = turns.next().await.expect("reply").expect("ok");
    assert_eq!(said(&t), ["My agent number is 1024. I'm glad to help you."]);

    tx.send(event("stream2", 2, hangup())).expect("queue");
    let t = turns.next().await.expect("last turn").expect("ok");
    assert!(t.ended);
    assert!(
        turns.next().await.is_none(),
        "the stream closes when the call ends"
    );
    s.stop().await;
}

#[tokio::test]
async fn bad_requests_get_a_clear_status_naming_the_field() {
    let mut s = start_server().await;
    let c = &mut s.calls;

    let e = c.start_call(start(" ", AFTERNOON)).await.unwrap_err();
    assert_eq!(
        (e.code(), e.message()),
        (
            Code::InvalidArgument,
            "call_id: required and must not be empty"
        )
    );
    // An empty id (rather than a blank one) asks the service for one.
    let assigned = c
        .start_call(start("", AFTERNOON))
        .await
        .expect("the service assigns an id")
        .into_inner();
    assert!(assigned.call_id.starts_with("cs-"), "{assigned:?}");

    let e = c.start_call(start("bad-at", "tomorrow")).await.unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    assert!(
        e.message()
            .starts_with("at: \"tomorrow\" is not an RFC 3339 timestamp"),
        "{}",
        e.message()
    );

    let mut req = start("no-flow", AFTERNOON);
    req.flow = "missing".into();
    let e = c.start_call(req).await.unwrap_err();
    assert_eq!(
        (e.code(), e.message()),
        (Code::NotFound, "flow: flow \"missing\" is not loaded")
    );

    let mut req = start("fr", AFTERNOON);
    req.locale = "fr".into();
    let e = c.start_call(req).await.unwrap_err();
    assert_eq!(
        (e.code(), e.message()),
        (
            Code::InvalidArgument,
            "locale: locale \"fr\" is not offered by flow \"hotline\" (it offers zh-CN, zh-TW, en)"
        )
    );

    c.start_call(start("live", AFTERNOON))
        .await
        .expect("starts");
    let e = c.start_call(start("live", AFTERNOON)).await.unwrap_err();
    assert_eq!(
        (e.code(), e.message()),
        (Code::AlreadyExists, "call_id: call \"live\" already exists")
    );

    let e = c
        .send_event(event("ghost", 1, no_input()))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::NotFound);
    assert!(
        e.message()
            .starts_with("call_id: call \"ghost\" is not known"),
        "{}",
        e.message()
    );

    let e = c
        .send_event(pb::CallEvent {
            call_id: "live".into(),
            seq: 1,
            kind: None,
        })
        .await
        .unwrap_err();
    assert_eq!(
        (e.code(), e.message()),
        (
            Code::InvalidArgument,
            "kind: required and must not be empty"
        )
    );

    let e = c
        .send_event(event("live", 1, Kind::Audio(pb::Audio { kind: 0 })))
        .await
        .unwrap_err();
    assert_eq!(
        (e.code(), e.message()),
        (
            Code::InvalidArgument,
            "audio.kind: must be set (AUDIO_KIND_UNSPECIFIED is not a kind)"
        )
    );

    let e = c
        .send_event(event(
            "live",
            1,
            Kind::Speech(pb::Speech {
                text: "hi".into(),
                confidence: 7.0,
                intents: Vec::new(),
            }),
        ))
        .await
        .unwrap_err();
    assert_eq!(
        (e.code(), e.message()),
        (
            Code::InvalidArgument,
            "speech.confidence: 7 is not between 0 and 1"
        )
    );

    // The front-end's own intents are checked the same way.
    let e = c
        .send_event(event(
            "live",
            1,
            Kind::Speech(pb::Speech {
                text: "hi".into(),
                confidence: 0.9,
                intents: vec![pb::Intent {
                    name: "bill".into(),
                    confidence: 1.5,
                }],
            }),
        ))
        .await
        .unwrap_err();
    assert_eq!(
        (e.code(), e.message()),
        (
            Code::InvalidArgument,
            "speech.intents.confidence: intent 0: 1.5 is not between 0 and 1"
        )
    );

    let e = c
        .send_event(event(
            "live",
            1,
            Kind::Dtmf(pb::Dtmf {
                digits: "1x".into(),
            }),
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    assert!(e.message().starts_with("dtmf.digits:"), "{}", e.message());

    // None of that touched the live call.
    let t = c
        .send_event(event("live", 1, no_input()))
        .await
        .expect("still fine")
        .into_inner();
    assert_eq!(said(&t), ["您好!请问有什么可以帮您?"]);

    // A retry gets the same turn back; the call does not advance.
    let again = c
        .send_event(event("live", 1, no_input()))
        .await
        .expect("retry")
        .into_inner();
    assert_eq!(again, t);

    c.send_event(event("live", 2, hangup()))
        .await
        .expect("hangup");
    let e = c
        .send_event(event("live", 3, no_input()))
        .await
        .unwrap_err();
    assert_eq!(
        (e.code(), e.message()),
        (
            Code::FailedPrecondition,
            "call \"live\" has ended (caller_hangup)"
        )
    );

    let e = c
        .get_call(pb::GetCallRequest {
            call_id: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        (e.code(), e.message()),
        (
            Code::InvalidArgument,
            "call_id: required and must not be empty"
        )
    );
    s.stop().await;
}

#[tokio::test]
async fn converse_must_start_with_start() {
    let mut s = start_server().await;
    let first = event("x", 1, no_input());
    let e = s
        .calls
        .converse(tokio_stream::iter([first]))
        .await
        .unwrap_err();
    assert_eq!(
        (e.code(), e.message()),
        (
            Code::InvalidArgument,
            "start: the first message of Converse must carry `start`"
        )
    );
    s.stop().await;
}

#[tokio::test]
async fn end_call_hangs_up_and_returns_the_record() {
    let mut s = start_server().await;
    s.calls
        .start_call(start("op", AFTERNOON))
        .await
        .expect("starts");
    let record = s
        .calls
        .end_call(pb::EndCallRequest {
            call_id: "op".into(),
        })
        .await
        .expect("ends")
        .into_inner();
    assert!(record.ended);
    assert_eq!(record.end_reason(), pb::EndReason::Operator);
    let last = match &record.transcript.last().expect("entries").entry {
        Some(pb::transcript_entry::Entry::Turn(t)) => t.clone(),
        other => panic!("last entry should be a turn, got {other:?}"),
    };
    assert_eq!(hangup_reason(&last), Some(pb::EndReason::Operator));
    s.stop().await;
}

#[tokio::test]
async fn health_reports_serving() {
    let s = start_server().await;
    let channel = tonic::transport::Channel::from_shared(format!("http://{}", s.addr))
        .expect("uri")
        .connect()
        .await
        .expect("connect");
    let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
    let resp = health
        .check(tonic_health::pb::HealthCheckRequest {
            service: "callscript.v1.Calls".into(),
        })
        .await
        .expect("health answers")
        .into_inner();
    assert_eq!(
        resp.status(),
        tonic_health::pb::health_check_response::ServingStatus::Serving
    );
    s.stop().await;
}
