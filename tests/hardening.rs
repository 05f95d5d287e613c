//! The service under hostile or careless clients, over real gRPC: bounds,
//! statuses for malformed requests, concurrent retries, bad events in the
//! middle of a Converse stream.

mod common;

use std::sync::Arc;

use callscript::{
    engine::EngineSettings,
    flow::FlowRegistry,
    grpc::{Limits, pb},
    server::ServerSettings,
};
use common::*;
use tonic::{Code, Request, Status, codegen::http::uri::PathAndQuery, transport::Channel};

async fn raw_unary(channel: Channel, path: &'static str, body: Vec<u8>) -> Result<Vec<u8>, Status> {
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.expect("ready");
    grpc.unary(
        Request::new(body),
        PathAndQuery::from_static(path),
        RawCodec,
    )
    .await
    .map(|r| r.into_inner())
}

async fn channel(server: &TestServer) -> Channel {
    Channel::from_shared(format!("http://{}", server.addr))
        .expect("uri")
        .connect()
        .await
        .expect("connect")
}

/// A length-delimited protobuf field.
fn field(number: u8, bytes: &[u8]) -> Vec<u8> {
    let mut out = vec![(number << 3) | 2, bytes.len() as u8];
    out.extend_from_slice(bytes);
    out
}

#[tokio::test]
async fn invalid_utf8_in_a_string_field_is_invalid_argument_naming_the_field() {
    let server = start_server().await;
    let ch = channel(&server).await;
    // StartCallRequest { caller (3): bytes that are not UTF-8 }
    let body = field(3, &[0xff, 0xfe, 0x31]);
    let e = raw_unary(ch.clone(), "/callscript.v1.Calls/StartCall", body)
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument, "{e:?}");
    assert!(
        e.message()
            .starts_with("StartCallRequest.caller: invalid string value"),
        "{}",
        e.message()
    );

    // CallEvent { call_id: "x", speech (12): { text (1): not UTF-8 } }
    let mut body = field(1, b"x");
    body.extend(field(12, &field(1, &[0xc3, 0x28])));
    let e = raw_unary(ch, "/callscript.v1.Calls/SendEvent", body)
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument, "{e:?}");
    assert!(e.message().contains("Speech.text"), "{}", e.message());
    server.stop().await;
}

#[tokio::test]
async fn invalid_utf8_mid_converse_reaches_the_client_as_invalid_argument() {
    let server = start_server().await;
    let ch = channel(&server).await;
    let start = pb::CallEvent {
        call_id: "raw-stream".into(),
        seq: 0,
        kind: Some(pb::call_event::Kind::Start(Box::new(start(
            "",
            "2026-11-23T15:00:00+08:00",
        )))),
    };
    let mut bad = field(1, b"raw-stream");
    bad.extend(field(12, &field(1, &[0xff])));
    let outbound = futures_util::stream::iter([prost::Message::encode_to_vec(&start), bad]);
    let mut grpc = tonic::client::Grpc::new(ch);
    grpc.ready().await.expect("ready");
    let mut inbound = grpc
        .streaming(
            Request::new(outbound),
            PathAndQuery::from_static("/callscript.v1.Calls/Converse"),
            RawCodec,
        )
        .await
        .expect("the stream opens")
        .into_inner();
    inbound
        .message()
        .await
        .expect("the opening")
        .expect("a turn");
    let e = loop {
        match inbound.message().await {
            Ok(Some(_)) => continue,
            Ok(None) => panic!("the stream ended without a status"),
            Err(e) => break e,
        }
    };
    assert_eq!(e.code(), Code::InvalidArgument, "{e:?}");
    assert!(e.message().contains("Speech.text"), "{}", e.message());
    server.stop().await;
}

/// A bad event in the middle of a Converse stream ends it with
/// INVALID_ARGUMENT naming the field, every time (the turns and the error
/// share one queue, so the error cannot be lost behind a closed turn
/// channel).
#[tokio::test]
async fn a_bad_converse_event_is_reported_as_invalid_argument_every_time() {
    let server = start_server().await;
    for i in 0..20 {
        let id = format!("bad-mid-stream-{i}");
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        tx.send(pb::CallEvent {
            call_id: id.clone(),
            seq: 0,
            kind: Some(pb::call_event::Kind::Start(Box::new(start(
                "",
                "2026-11-23T15:00:00+08:00",
            )))),
        })
        .expect("queued");
        tx.send(event(
            &id,
            1,
            pb::call_event::Kind::Dtmf(pb::Dtmf {
                digits: "xyz".into(),
            }),
        ))
        .expect("queued");
        let mut calls = server.calls.clone();
        let mut turns = calls
            .converse(tokio_stream::wrappers::UnboundedReceiverStream::new(rx))
            .await
            .expect("the stream opens")
            .into_inner();
        let status = loop {
            match turns.message().await {
                Ok(Some(_)) => continue,
                Ok(None) => panic!("run {i}: the stream ended without the error"),
                Err(e) => break e,
            }
        };
        assert_eq!(status.code(), Code::InvalidArgument, "run {i}: {status:?}");
        assert!(
            status.message().starts_with("dtmf.digits:"),
            "{}",
            status.message()
        );
        drop(tx);
    }
    server.stop().await;
}

/// Twenty connections retrying the same seqs at once: each seq is applied
/// exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_retries_apply_each_seq_once() {
    const SEQS: u64 = 30;
    let server = start_server().await;
    let mut calls = server.calls.clone();
    calls
        .start_call(start("retried", "2026-11-23T15:00:00+08:00"))
        .await
        .expect("starts");
    let mut tasks = Vec::new();
    for _ in 0..20 {
        // Each on its own connection, as separate front-end processes.
        let mut client = pb::calls_client::CallsClient::new(channel(&server).await);
        tasks.push(tokio::spawn(async move {
            for seq in 1..=SEQS {
                let turn = client
                    .send_event(event("retried", seq, speech("你的工号是多少")))
                    .await
                    .expect("accepted")
                    .into_inner();
                assert_eq!(turn.seq, seq + 1, "seq {seq} got another's turn");
            }
        }));
    }
    for t in tasks {
        t.await.expect("no panics");
    }
    let record = calls
        .get_call(pb::GetCallRequest {
            call_id: "retried".into(),
        })
        .await
        .expect("record")
        .into_inner();
    let turns = record
        .transcript
        .iter()
        .filter(|e| matches!(e.entry, Some(pb::transcript_entry::Entry::Turn(_))))
        .count();
    assert_eq!(turns as u64, SEQS + 1, "the opening and one turn per seq");
    server.stop().await;
}

#[tokio::test]
async fn every_bound_is_refused_with_a_status_naming_it() {
    let registry = Arc::new(FlowRegistry::load_dir(shipped_flows(), None).expect("flows"));
    let settings = ServerSettings {
        engine: EngineSettings {
            max_live_calls: 2,
            ..EngineSettings::default()
        },
        limits: Limits::default(),
        drain_timeout: std::time::Duration::ZERO,
        ..ServerSettings::default()
    };
    let server = start_server_settings(registry, settings).await;
    let mut calls = server.calls.clone();
    let at = "2026-11-23T15:00:00+08:00";

    let mut big = start("big-caller", at);
    big.caller = "1".repeat(65);
    let e = calls.start_call(big).await.unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    assert_eq!(
        e.message(),
        "caller: 65 bytes is more than max_number_bytes (64)"
    );

    // 4 MiB in one field: refused before it is decoded, by the message limit.
    let mut huge = start("huge-caller", at);
    huge.caller = "1".repeat(4 << 20);
    let e = calls.start_call(huge).await.unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument, "{e:?}");
    assert!(
        e.message()
            .ends_with("bytes is more than max_message_bytes (65536)"),
        "{}",
        e.message()
    );

    calls.start_call(start("live-1", at)).await.expect("starts");
    let e = calls
        .send_event(event("live-1", 1, speech(&"话".repeat(1400))))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    assert_eq!(
        e.message(),
        "speech.text: 4200 bytes is more than max_speech_bytes (4096)"
    );
    let e = calls
        .send_event(event(
            "live-1",
            1,
            pb::call_event::Kind::TransferResult(pb::TransferResult {
                connected: false,
                detail: "d".repeat(1025),
                ok: false,
                cause: 0,
            }),
        ))
        .await
        .unwrap_err();
    assert_eq!(
        e.message(),
        "transfer_result.detail: 1025 bytes is more than max_detail_bytes (1024)"
    );

    calls.start_call(start("live-2", at)).await.expect("starts");
    let e = calls.start_call(start("live-3", at)).await.unwrap_err();
    assert_eq!(e.code(), Code::ResourceExhausted);
    assert_eq!(
        e.message(),
        "2 calls are live, the most this service takes (max_live_calls)"
    );
    server.stop().await;
}

fn registry() -> Arc<FlowRegistry> {
    Arc::new(FlowRegistry::load_dir(shipped_flows(), None).expect("flows"))
}

async fn server_with_names_up_to(max_name_bytes: usize) -> TestServer {
    let settings = ServerSettings {
        limits: Limits {
            max_name_bytes,
            ..Limits::default()
        },
        drain_timeout: std::time::Duration::ZERO,
        ..ServerSettings::default()
    };
    start_server_settings(registry(), settings).await
}

/// A call id's bound is `max_name_bytes` as configured: longer than 128
/// bytes is fine under a larger setting, and over a smaller one is refused
/// naming the field, in the message and in a `google.rpc.BadRequest`.
#[tokio::test]
async fn the_call_id_bound_is_the_configured_max_name_bytes() {
    use tonic_types::StatusExt;
    let at = "2026-11-23T15:00:00+08:00";

    let server = server_with_names_up_to(300).await;
    let mut calls = server.calls.clone();
    let long = "c".repeat(200);
    let turn = calls
        .start_call(start(&long, at))
        .await
        .expect("a 200-byte call id under max_name_bytes = 300")
        .into_inner();
    assert_eq!(turn.call_id, long);
    let record = calls
        .get_call(pb::GetCallRequest {
            call_id: long.clone(),
        })
        .await
        .expect("the call is found by its long id")
        .into_inner();
    assert_eq!(record.call_id, long);
    server.stop().await;

    let server = server_with_names_up_to(64).await;
    let mut calls = server.calls.clone();
    let e = calls
        .start_call(start(&"c".repeat(65), at))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    assert_eq!(
        e.message(),
        "call_id: 65 bytes is more than max_name_bytes (64)"
    );
    let bad_request = e.get_details_bad_request().expect("a BadRequest detail");
    let [violation] = bad_request.field_violations.as_slice() else {
        panic!("one violation: {bad_request:?}");
    };
    assert_eq!(violation.field, "call_id");
    assert_eq!(
        violation.description,
        "65 bytes is more than max_name_bytes (64)"
    );
    server.stop().await;
}

/// Every refused field reaches a program as a `google.rpc.BadRequest`
/// violation as well as in the message.
#[tokio::test]
async fn a_refused_request_carries_a_bad_request_detail_naming_the_field() {
    use tonic_types::StatusExt;
    let server = start_server().await;
    let mut calls = server.calls.clone();
    calls
        .start_call(start("bad-request-detail", "2026-11-23T15:00:00+08:00"))
        .await
        .expect("starts");
    let e = calls
        .send_event(event(
            "bad-request-detail",
            1,
            pb::call_event::Kind::Dtmf(pb::Dtmf {
                digits: "12x".into(),
            }),
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    assert_eq!(
        e.message(),
        "dtmf.digits: \"12x\" must be one or more of 0-9, *, #, A-D"
    );
    let bad_request = e.get_details_bad_request().expect("a BadRequest detail");
    let [violation] = bad_request.field_violations.as_slice() else {
        panic!("one violation: {bad_request:?}");
    };
    assert_eq!(violation.field, "dtmf.digits");
    assert_eq!(
        violation.description,
        "\"12x\" must be one or more of 0-9, *, #, A-D"
    );

    let e = calls
        .send_event(pb::CallEvent {
            call_id: String::new(),
            seq: 2,
            kind: Some(no_input()),
        })
        .await
        .unwrap_err();
    let bad_request = e.get_details_bad_request().expect("a BadRequest detail");
    assert_eq!(bad_request.field_violations[0].field, "call_id");
    assert_eq!(
        bad_request.field_violations[0].description,
        "required and must not be empty"
    );
    server.stop().await;
}

/// Connections past `max_connections` are closed at once; one that never
/// sends the HTTP/2 preface is closed at `handshake_timeout_ms`.
#[tokio::test(start_paused = true)]
async fn connections_are_limited_and_silent_ones_closed_at_the_handshake_deadline() {
    use callscript::connections::ConnectionSettings;
    use tokio::{io::AsyncReadExt, net::TcpStream};
    let settings = ServerSettings {
        connections: ConnectionSettings {
            max_connections: 2,
            handshake_timeout: std::time::Duration::from_secs(10),
            ..ConnectionSettings::default()
        },
        drain_timeout: std::time::Duration::ZERO,
        ..ServerSettings::default()
    };
    // The test client's own channel is one of the two; it starts a request
    // at once, as a front-end does.
    let server = start_server_settings(registry(), settings).await;
    let started = tokio::time::Instant::now();
    let mut calls = server.calls.clone();
    calls
        .start_call(start("spoke-at-once", "2026-11-23T15:00:00+08:00"))
        .await
        .expect("served");
    let mut silent = TcpStream::connect(server.addr)
        .await
        .expect("second connection");
    let mut refused = TcpStream::connect(server.addr).await.expect("TCP accepts");
    let mut buf = [0u8; 64];
    assert_eq!(
        refused.read(&mut buf).await.unwrap_or(0),
        0,
        "the third connection is closed at once"
    );
    // The silent one hears the server's SETTINGS, then is closed at the
    // deadline, not before.
    loop {
        match silent.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(_) => continue,
        }
    }
    assert!(started.elapsed() >= std::time::Duration::from_secs(10));
    // The client that spoke HTTP/2 is still served, on its connection.
    calls
        .start_call(start("still-served", "2026-11-23T15:00:00+08:00"))
        .await
        .expect("the established client is unaffected");
    server.stop().await;
}

/// A connection that finished its preface but never starts a request is
/// closed at `handshake_timeout_ms` too; one that started a request is
/// not (it may stay quiet as long as its keepalive pings are answered).
#[tokio::test(start_paused = true)]
async fn a_connection_that_never_starts_a_request_is_closed_at_the_handshake_deadline() {
    use common::h2;
    use tokio::{io::AsyncWriteExt, net::TcpStream};
    let settings = ServerSettings {
        drain_timeout: std::time::Duration::ZERO,
        ..ServerSettings::default()
    };
    let server = start_server_settings(registry(), settings).await;
    let started = tokio::time::Instant::now();
    let health_check = "/grpc.health.v1.Health/Check";
    let mut mute = TcpStream::connect(server.addr).await.expect("tcp");
    mute.write_all(h2::PREFACE).await.expect("preface");
    let mut spoke = TcpStream::connect(server.addr).await.expect("tcp");
    spoke.write_all(h2::PREFACE).await.expect("preface");
    spoke
        .write_all(&h2::grpc_request(1, health_check, &[]))
        .await
        .expect("a request");
    assert!(
        h2::stream_ends(&mut spoke, 1).await,
        "the health check is answered"
    );

    h2::closed(&mut mute).await;
    let waited = started.elapsed();
    assert!(
        waited >= std::time::Duration::from_secs(10) && waited < std::time::Duration::from_secs(11),
        "the mute connection was closed after {waited:?}, not at the 10 s deadline"
    );
    spoke
        .write_all(&h2::grpc_request(3, health_check, &[]))
        .await
        .expect("a second request");
    assert!(
        h2::stream_ends(&mut spoke, 3).await,
        "the connection that started a request is still served after the deadline"
    );
    server.stop().await;
}

/// With tokens: a front-end reaches only the calls it started; a designer
/// reads flows but starts no calls; health stays open.
#[tokio::test]
async fn roles_over_grpc_scope_frontends_to_their_own_calls() {
    use callscript::grpc::auth::{Auth, Tokens};
    use tonic::{metadata::MetadataValue, service::Interceptor};
    let tokens = Tokens::parse(
        "tokens.toml",
        r#"
[[client]]
name = "pbx-1"
token = "pbx-1-token-0123456789"
roles = ["frontend"]

[[client]]
name = "pbx-2"
token = "pbx-2-token-0123456789"
roles = ["frontend"]

[[client]]
name = "designer"
token = "designer-token-0123456789"
roles = ["designer"]
"#,
    )
    .expect("tokens parse");
    let settings = ServerSettings {
        auth: Some(Auth::from_tokens(tokens)),
        drain_timeout: std::time::Duration::ZERO,
        ..ServerSettings::default()
    };
    let server = start_server_settings(registry(), settings).await;
    let ch = channel(&server).await;
    #[derive(Clone)]
    struct Bearer(&'static str);
    impl Interceptor for Bearer {
        fn call(&mut self, mut req: Request<()>) -> Result<Request<()>, Status> {
            let v: MetadataValue<_> = format!("Bearer {}", self.0).parse().expect("ascii");
            req.metadata_mut().insert("authorization", v);
            Ok(req)
        }
    }
    let calls = |token| pb::calls_client::CallsClient::with_interceptor(ch.clone(), Bearer(token));
    let mut pbx1 = calls("pbx-1-token-0123456789");
    let mut pbx2 = calls("pbx-2-token-0123456789");
    let at = "2026-11-23T15:00:00+08:00";
    pbx1.start_call(start("pbx1-call", at))
        .await
        .expect("starts");
    pbx1.get_call(pb::GetCallRequest {
        call_id: "pbx1-call".into(),
    })
    .await
    .expect("its own call");
    for e in [
        pbx2.get_call(pb::GetCallRequest {
            call_id: "pbx1-call".into(),
        })
        .await
        .unwrap_err(),
        pbx2.end_call(pb::EndCallRequest {
            call_id: "pbx1-call".into(),
        })
        .await
        .unwrap_err(),
        pbx2.send_event(event("pbx1-call", 1, hangup()))
            .await
            .unwrap_err(),
    ] {
        // The same answer as for an id never started: nothing tells pbx-2
        // that pbx-1 has a call by that id.
        assert_eq!(e.code(), Code::NotFound, "{e:?}");
        assert_eq!(
            e.message(),
            "call_id: call \"pbx1-call\" is not known (never started, or its record has expired)"
        );
    }
    let unknown = pbx2
        .get_call(pb::GetCallRequest {
            call_id: "never-started".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);
    assert_eq!(
        unknown.message(),
        "call_id: call \"never-started\" is not known (never started, or its record has expired)"
    );

    let mut designer_calls = calls("designer-token-0123456789");
    let e = designer_calls.start_call(start("d", at)).await.unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
    let mut designer_flows = pb::flows_client::FlowsClient::with_interceptor(
        ch.clone(),
        Bearer("designer-token-0123456789"),
    );
    designer_flows
        .list_flows(pb::ListFlowsRequest {})
        .await
        .expect("a designer lists flows");
    let e = designer_flows
        .reload_flows(pb::ReloadFlowsRequest {})
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);

    let mut anonymous = server.calls.clone();
    let e = anonymous.start_call(start("anon", at)).await.unwrap_err();
    assert_eq!(e.code(), Code::Unauthenticated);
    let mut health = tonic_health::pb::health_client::HealthClient::new(ch);
    health
        .check(tonic_health::pb::HealthCheckRequest::default())
        .await
        .expect("health needs no token");
    server.stop().await;
}

/// A unary request whose body never finishes is answered
/// DEADLINE_EXCEEDED at handshake_timeout_ms instead of holding its stream
/// for ever.
#[tokio::test(start_paused = true)]
async fn a_unary_request_that_never_arrives_whole_is_refused_at_the_deadline() {
    let server = start_server().await;
    let ch = channel(&server).await;
    let mut grpc = tonic::client::Grpc::new(ch);
    grpc.ready().await.expect("ready");
    let started = tokio::time::Instant::now();
    let e = grpc
        .client_streaming(
            Request::new(futures_util::stream::pending::<Vec<u8>>()),
            PathAndQuery::from_static("/callscript.v1.Calls/SendEvent"),
            RawCodec,
        )
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::DeadlineExceeded, "{e:?}");
    assert!(
        e.message().contains("handshake_timeout_ms"),
        "{}",
        e.message()
    );
    assert!(started.elapsed() >= std::time::Duration::from_secs(10));
    server.stop().await;
}
