//! A revoked token ends the streams it opened (issue 27): on the real
//! binary, a tokens file that no longer has a client's token, reloaded by
//! SIGHUP, ends that client's open Converse stream with UNAUTHENTICATED,
//! says so in the log and the metrics, and leaves other clients' streams
//! alone.

#[path = "common/binary.rs"]
mod binary;
#[allow(unused_imports)]
mod common;

use std::{
    io::{Read, Write},
    net::{SocketAddr, TcpStream},
    process::{Command, Stdio},
    time::Duration,
};

use binary::ServerProcess;
use callscript::grpc::pb::{self, calls_client::CallsClient};
use tokio_stream::wrappers::UnboundedReceiverStream;
use tonic::{Code, Request, Streaming, metadata::MetadataValue, transport::Channel};

const AT: &str = "2026-11-23T15:00:00+08:00";

fn tokens(clients: &[(&str, &str)]) -> String {
    clients
        .iter()
        .map(|(name, token)| {
            format!(
                "[[client]]\nname = \"{name}\"\ntoken = \"{token}\"\nroles = [\"frontend\"]\n\n"
            )
        })
        .collect()
}

/// A Converse call opened with `token`; the sender keeps it open.
async fn call(
    channel: Channel,
    token: &str,
    id: &str,
) -> (
    tokio::sync::mpsc::UnboundedSender<pb::CallEvent>,
    Streaming<pb::Turn>,
) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tx.send(pb::CallEvent {
        call_id: id.into(),
        seq: 0,
        kind: Some(pb::call_event::Kind::Start(Box::new(common::start(id, AT)))),
    })
    .expect("queued");
    let mut request = Request::new(UnboundedReceiverStream::new(rx));
    request.metadata_mut().insert(
        "authorization",
        MetadataValue::try_from(format!("Bearer {token}")).expect("ascii"),
    );
    let mut turns = CallsClient::new(channel)
        .converse(request)
        .await
        .expect("the stream opens")
        .into_inner();
    let opening = turns.message().await.expect("opening").expect("a turn");
    assert!(!opening.ended);
    (tx, turns)
}

fn scrape(addr: SocketAddr) -> String {
    let mut stream = TcpStream::connect(addr).expect("connect");
    write!(stream, "GET /metrics HTTP/1.0\r\nHost: {addr}\r\n\r\n").expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    response
}

#[tokio::test]
async fn a_token_removed_by_a_reload_ends_its_open_streams_with_unauthenticated() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("tokens.toml");
    std::fs::write(
        &file,
        tokens(&[
            ("pbx-1", "pbx-1-token-change-me"),
            ("pbx-2", "pbx-2-token-change-me"),
        ]),
    )
    .expect("write");
    std::fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .expect("chmod 600");
    let log = dir.path().join("log");
    let server = ServerProcess::start(
        &[
            ("CALLSCRIPT_AUTH_TOKENS_FILE", &file.display().to_string()),
            ("CALLSCRIPT_METRICS_LISTEN", "127.0.0.1:0"),
            ("CALLSCRIPT_LOG", "info"),
        ],
        Stdio::from(std::fs::File::create(&log).expect("log file")),
    );
    let channel = Channel::from_shared(format!("http://{}", server.addr))
        .expect("uri")
        .connect()
        .await
        .expect("connect");
    let (revoked_tx, mut revoked) = call(channel.clone(), "pbx-1-token-change-me", "r1").await;
    let (kept_tx, mut kept) = call(channel.clone(), "pbx-2-token-change-me", "k1").await;

    std::fs::write(&file, tokens(&[("pbx-2", "pbx-2-token-change-me")])).expect("rewrite");
    let hup = Command::new("kill")
        .args(["-HUP", &server.pid().to_string()])
        .status()
        .expect("kill runs");
    assert!(hup.success());

    // Within one reload (the signal is handled at once; 10 s is a bound
    // for a loaded machine, not a wait).
    let end = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match revoked.message().await {
                Ok(Some(turn)) => assert!(!turn.ended, "no turn ends it: {turn:?}"),
                other => return other,
            }
        }
    })
    .await
    .expect("the revoked stream ends");
    let status = end.expect_err("it ends with a status");
    assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
    assert_eq!(
        status.message(),
        "authorization: the token was revoked (the tokens file no longer has it); the stream ends"
    );
    // Events the revoked client still sends go nowhere.
    let _ = revoked_tx.send(common::event("r1", 1, common::hangup()));

    // The other client's call goes on.
    kept_tx
        .send(common::event("k1", 1, common::hangup()))
        .expect("queued");
    let last = kept
        .message()
        .await
        .expect("a turn")
        .expect("the hang-up's turn");
    assert!(last.ended, "{last:?}");

    let metrics = scrape(server.metrics.expect("metrics"));
    assert!(
        metrics
            .lines()
            .any(|l| l == "callscript_streams_revoked_total 1"),
        "{metrics}"
    );
    drop(server);
    let log = std::fs::read_to_string(&log).expect("log");
    let lines: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("token revoked: Converse stream ended"))
        .collect();
    assert_eq!(lines.len(), 1, "{log}");
    assert!(
        lines[0].contains("WARN") && lines[0].contains("r1"),
        "{}",
        lines[0]
    );
    assert!(
        !log.contains("pbx-1-token-change-me"),
        "no token in the log"
    );
}
