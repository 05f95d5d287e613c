//! SIGTERM against the real binary, on the real clock with a short
//! `drain_timeout_ms`: health turns NOT_SERVING at once, new calls are
//! UNAVAILABLE, a live call ends with END_REASON_SHUTDOWN at the deadline,
//! and the process exits within the deadline + 1 s whatever its peers do
//! (an idle HTTP/2 connection, a truncated preface). Connections with no
//! live call are closed at once, the others when their last call ends.

#[allow(dead_code)]
#[path = "common/h2.rs"]
mod h2;

use std::{
    io::{BufRead, BufReader, Write},
    net::TcpStream,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use callscript::grpc::pb::{self, calls_client::CallsClient};
use prost::Message;
use tokio::io::AsyncWriteExt;
use tonic::{Code, transport::Channel};
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};

const DRAIN_MS: u64 = 1500;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_then_exits_within_the_deadline_whatever_the_peers_do() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_callscript"))
        .args(["serve", "--listen", "127.0.0.1:0", "--flows"])
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/flows"))
        .env("CALLSCRIPT_WATCH", "false")
        .env("CALLSCRIPT_DRAIN_TIMEOUT_MS", DRAIN_MS.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("address line");
    let addr: std::net::SocketAddr = line
        .trim()
        .strip_prefix("callscript listening on ")
        .and_then(|a| a.parse().ok())
        .expect("an address");

    let channel = Channel::from_shared(format!("http://{addr}"))
        .expect("uri")
        .connect()
        .await
        .expect("connect");
    let mut calls = CallsClient::new(channel.clone());
    let mut health = HealthClient::new(channel);
    // A peer that connected and went quiet, and one that stopped halfway
    // through the preface.
    let _idle = Channel::from_shared(format!("http://{addr}"))
        .expect("uri")
        .connect()
        .await
        .expect("connect");
    let mut truncated = TcpStream::connect(addr).expect("tcp");
    truncated.write_all(b"PRI * HTTP").expect("10 bytes");
    // An HTTP/2 peer that finished its preface and then said nothing: it
    // has no call, so the drain closes it at once. A thread reads until the
    // server closes it and reports when.
    let mut quiet = TcpStream::connect(addr).expect("tcp");
    quiet
        .write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00")
        .expect("preface and an empty SETTINGS frame");
    let (closed_tx, closed_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 256];
        while matches!(std::io::Read::read(&mut quiet, &mut buf), Ok(n) if n > 0) {}
        let _ = closed_tx.send(Instant::now());
    });

    // Unary front-ends, each on a connection of its own: one whose call has
    // already ended, one whose call is still live. Each reports when the
    // server closes its connection.
    let start_call = |id: &str| pb::StartCallRequest {
        call_id: id.into(),
        at: "2026-11-23T15:00:00+08:00".into(),
        ..Default::default()
    };
    let hang_up = |id: &str| pb::CallEvent {
        call_id: id.into(),
        seq: 1,
        kind: Some(pb::call_event::Kind::Hangup(pb::CallerHangup {})),
    };
    let done = h2_client(
        addr,
        &[
            ("StartCall", start_call("ended-before").encode_to_vec()),
            ("SendEvent", hang_up("ended-before").encode_to_vec()),
        ],
    )
    .await;
    let kept = h2_client(
        addr,
        &[("StartCall", start_call("live-unary").encode_to_vec())],
    )
    .await;
    let when_closed = |mut conn: tokio::net::TcpStream| {
        tokio::spawn(async move {
            h2::closed(&mut conn).await;
            Instant::now()
        })
    };
    let done_closed = when_closed(done);
    let kept_closed = when_closed(kept);

    // A live streamed call.
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tx.send(pb::CallEvent {
        call_id: "draining".into(),
        seq: 0,
        kind: Some(pb::call_event::Kind::Start(Box::new(pb::StartCallRequest {
            at: "2026-11-23T15:00:00+08:00".into(),
            ..Default::default()
        }))),
    })
    .expect("queued");
    let mut turns = calls
        .converse(tokio_stream::wrappers::UnboundedReceiverStream::new(rx))
        .await
        .expect("stream opens")
        .into_inner();
    turns.message().await.expect("opening").expect("a turn");

    let signalled = Instant::now();
    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(kill.success());

    // At once: not serving, and no new calls. (Retried briefly: the signal
    // is handled asynchronously.)
    let status = loop {
        let s = health
            .check(HealthCheckRequest {
                service: "callscript.v1.Calls".into(),
            })
            .await
            .expect("health answers while draining")
            .into_inner()
            .status;
        if s != ServingStatus::Serving as i32 || signalled.elapsed() > Duration::from_secs(1) {
            break s;
        }
        tokio::task::yield_now().await;
    };
    assert_eq!(status, ServingStatus::NotServing as i32);
    let refused = calls
        .start_call(pb::StartCallRequest {
            call_id: "too-late".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::Unavailable, "{refused:?}");

    // The connection whose call had ended is closed at once; the one with
    // a live call stays until that call ends (the caller hangs up).
    let done_closed = done_closed
        .await
        .expect("the ended call's connection closes");
    assert!(
        done_closed.duration_since(signalled) < Duration::from_millis(DRAIN_MS / 2),
        "a connection whose calls had ended was closed {:?} after SIGTERM, not at once",
        done_closed.duration_since(signalled)
    );
    let hung_up = Instant::now();
    calls
        .send_event(hang_up("live-unary"))
        .await
        .expect("events for live calls are taken while draining");
    let kept_closed = kept_closed
        .await
        .expect("the live call's connection closes");
    assert!(
        kept_closed >= hung_up,
        "the connection of a live call was closed before the call ended"
    );
    assert!(
        kept_closed.duration_since(signalled) < Duration::from_millis(DRAIN_MS - 300),
        "the connection was closed {:?} after SIGTERM: not when its last call ended",
        kept_closed.duration_since(signalled)
    );

    // The live call goes on until the deadline, then hears the end. The
    // 5 s silence timer is longer than the drain, so the first turn after
    // the opening is the shutdown.
    let last = loop {
        match turns.message().await {
            Ok(Some(t)) if t.ended => break t,
            Ok(Some(_)) => continue,
            other => panic!("the stream ended without a final turn: {other:?}"),
        }
    };
    let ended_after = signalled.elapsed();
    let quiet_closed = closed_rx
        .recv_timeout(Duration::from_secs(5))
        .expect("the quiet peer was closed");
    assert!(
        quiet_closed.duration_since(signalled) < Duration::from_millis(DRAIN_MS / 2),
        "a peer without calls was closed {:?} after SIGTERM, not at once",
        quiet_closed.duration_since(signalled)
    );
    assert!(last.ended);
    assert!(
        ended_after >= Duration::from_millis(DRAIN_MS - 100),
        "the live call was ended after {ended_after:?}, before the drain deadline"
    );

    // The process exits within the deadline + 1 s although two peers never
    // leave. `wait` on a thread, so a hang fails the test instead of
    // blocking it.
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let status = child.wait();
        let _ = done_tx.send((status, child));
    });
    let limit = Duration::from_millis(DRAIN_MS + 1000);
    let waited = limit.saturating_sub(signalled.elapsed()) + Duration::from_millis(500);
    match done_rx.recv_timeout(waited) {
        Ok((status, _)) => {
            let exited_after = signalled.elapsed();
            assert!(status.expect("wait").success());
            assert!(
                exited_after <= limit,
                "exited after {exited_after:?}, over {limit:?}"
            );
        }
        Err(_) => panic!("still running {:?} after SIGTERM", signalled.elapsed()),
    }
    drop(truncated);
}

/// A connection of its own that sends the Calls `requests` in turn, each
/// answered before the next.
async fn h2_client(
    addr: std::net::SocketAddr,
    requests: &[(&str, Vec<u8>)],
) -> tokio::net::TcpStream {
    let mut conn = tokio::net::TcpStream::connect(addr).await.expect("tcp");
    conn.write_all(h2::PREFACE).await.expect("preface");
    for (i, (method, message)) in requests.iter().enumerate() {
        let stream = 1 + 2 * i as u32;
        let path = format!("/callscript.v1.Calls/{method}");
        conn.write_all(&h2::grpc_request(stream, &path, message))
            .await
            .expect("a request");
        assert!(
            h2::stream_ends(&mut conn, stream).await,
            "{method} answered"
        );
    }
    conn
}
