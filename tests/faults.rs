//! Hostile and careless clients, over real gRPC (issue 27): sequence
//! numbers at the edge of the range and reused, ids carrying invisible or
//! direction-changing characters.

mod common;

use callscript::grpc::pb;
use common::*;
use tonic::Code;

const AT: &str = "2026-11-23T15:00:00+08:00";

#[tokio::test]
async fn a_seq_above_2_to_the_53_is_refused_naming_seq_and_the_call_goes_on() {
    let server = start_server().await;
    let mut calls = server.calls.clone();
    calls
        .start_call(start("big-seq", AT))
        .await
        .expect("starts");
    for seq in [u64::MAX, (1 << 53) + 1] {
        let e = calls
            .send_event(event("big-seq", seq, no_input()))
            .await
            .unwrap_err();
        assert_eq!(e.code(), Code::InvalidArgument, "{e:?}");
        assert_eq!(
            e.message(),
            format!("seq: {seq} is more than 9007199254740992 (2^53)")
        );
    }
    // Refused, not taken: the next ordinary seq still works.
    let turn = calls
        .send_event(event("big-seq", 1, no_input()))
        .await
        .expect("seq 1 is taken")
        .into_inner();
    assert_eq!(prompt_ids(&turn), ["silence_reprompt"]);
    let top = calls
        .send_event(event("big-seq", 1 << 53, speech("我想查一下话费")))
        .await;
    assert!(top.is_ok(), "2^53 itself is taken: {top:?}");
    server.stop().await;
}

#[tokio::test]
async fn a_reused_seq_with_another_event_is_failed_precondition_naming_both_kinds() {
    let server = start_server().await;
    let mut calls = server.calls.clone();
    calls.start_call(start("reuse", AT)).await.expect("starts");
    let first = calls
        .send_event(event("reuse", 1, no_input()))
        .await
        .expect("seq 1")
        .into_inner();
    // The hang-up under seq 1 is not swallowed as a retry.
    let e = calls
        .send_event(event("reuse", 1, hangup()))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition, "{e:?}");
    assert_eq!(
        e.message(),
        "seq: seq 1 was already used by a no_input event; this caller_hangup event needs a new seq"
    );
    // A true retry still gets its turn back.
    let again = calls
        .send_event(event("reuse", 1, no_input()))
        .await
        .expect("a retry")
        .into_inner();
    assert_eq!(again, first);
    let ended = calls
        .send_event(event("reuse", 2, hangup()))
        .await
        .expect("a new seq")
        .into_inner();
    assert!(ended.ended, "{ended:?}");
    server.stop().await;
}

/// Right-to-left override, zero width space and joiner, line separator,
/// byte order mark, a C1 control.
const HIDDEN: [char; 6] = [
    '\u{202E}', '\u{200B}', '\u{200D}', '\u{2028}', '\u{FEFF}', '\u{85}',
];

fn unprintable(field: &str, id: &str, c: char) -> String {
    let at = id.find(c).expect("the character is in the id");
    format!(
        "{field}: must be printable text: U+{:04X} at byte {at} is a control, format or separator character",
        c as u32
    )
}

#[tokio::test]
async fn ids_and_names_with_invisible_or_direction_characters_are_refused_naming_the_field() {
    let server = start_server().await;
    let mut calls = server.calls.clone();
    for c in HIDDEN {
        let id = format!("call{c}1");
        let e = calls.start_call(start(&id, AT)).await.unwrap_err();
        assert_eq!(e.code(), Code::InvalidArgument, "{c:?}: {e:?}");
        assert_eq!(e.message(), unprintable("call_id", &id, c));

        let e = calls
            .send_event(event(&id, 1, no_input()))
            .await
            .unwrap_err();
        assert_eq!(e.message(), unprintable("call_id", &id, c));

        let flow = format!("hot{c}line");
        let e = calls
            .start_call(pb::StartCallRequest {
                flow: flow.clone(),
                ..start("named", AT)
            })
            .await
            .unwrap_err();
        assert_eq!(e.message(), unprintable("flow", &flow, c));

        let locale = format!("zh{c}-CN");
        let e = calls
            .start_call(pb::StartCallRequest {
                locale: locale.clone(),
                ..start("named", AT)
            })
            .await
            .unwrap_err();
        assert_eq!(e.message(), unprintable("locale", &locale, c));
    }
    calls.start_call(start("plain", AT)).await.expect("starts");
    let name = "bill\u{202E}";
    let e = calls
        .send_event(event("plain", 1, lookup_result(name, "amount", "5")))
        .await
        .unwrap_err();
    assert_eq!(
        e.message(),
        unprintable("lookup_result.name", name, '\u{202E}')
    );
    let var = "amount\u{200B}";
    let e = calls
        .send_event(event("plain", 1, lookup_result("bill", var, "5")))
        .await
        .unwrap_err();
    assert_eq!(
        e.message(),
        unprintable("lookup_result.variables", var, '\u{200B}')
    );
    // Printable text from any script stays welcome.
    calls
        .start_call(start("来电-①-é", AT))
        .await
        .expect("printable non-ASCII ids are fine");
    server.stop().await;
}

/// A header block far over the limit is refused on its own stream as
/// RESOURCE_EXHAUSTED naming the metadata size; the connection, and a
/// Converse call on it, go on.
#[tokio::test]
async fn oversized_metadata_is_refused_on_its_stream_and_the_connection_lives() {
    let server = start_server().await;
    let channel = tonic::transport::Channel::from_shared(format!("http://{}", server.addr))
        .expect("uri")
        .connect()
        .await
        .expect("connect");
    let mut calls = pb::calls_client::CallsClient::new(channel);
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tx.send(pb::CallEvent {
        call_id: "neighbour".into(),
        seq: 0,
        kind: Some(pb::call_event::Kind::Start(Box::new(start(
            "neighbour",
            AT,
        )))),
    })
    .expect("queued");
    let mut turns = calls
        .converse(tokio_stream::wrappers::UnboundedReceiverStream::new(rx))
        .await
        .expect("Converse")
        .into_inner();
    turns.message().await.expect("open").expect("the opening");

    for size in [17 << 10, 70 << 10, 200 << 10] {
        let mut request = tonic::Request::new(pb::GetCallRequest {
            call_id: "neighbour".into(),
        });
        request.metadata_mut().insert(
            "x-padding",
            "p".repeat(size).parse().expect("ascii metadata"),
        );
        let e = calls.get_call(request).await.unwrap_err();
        assert_eq!(e.code(), Code::ResourceExhausted, "{size}: {e:?}");
        assert!(
            e.message().starts_with("metadata: ")
                && e.message()
                    .ends_with("is more than max_metadata_bytes (16384)"),
            "{}",
            e.message()
        );
    }
    // The same connection still serves the call next to them.
    tx.send(event("neighbour", 1, hangup())).expect("queued");
    let last = turns
        .message()
        .await
        .expect("a turn")
        .expect("the hang-up's turn");
    assert!(last.ended, "{last:?}");
    let fine = calls
        .get_call(pb::GetCallRequest {
            call_id: "neighbour".into(),
        })
        .await;
    assert!(fine.is_ok(), "{fine:?}");
    server.stop().await;
}
