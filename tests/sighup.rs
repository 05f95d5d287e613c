//! SIGHUP against the real binary serving TLS with a tokens file and a
//! live call: the process reloads instead of dying, says so in one log
//! line, the call goes on, and the changed tokens file and the renewed
//! certificate (signed by a new CA, so only it verifies) take effect.
//! Certificates are made at run time (`rcgen`), as in tests/secure_e2e.rs.

use std::{
    io::{BufRead, BufReader},
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use callscript::grpc::pb::{self, calls_client::CallsClient, flows_client::FlowsClient};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use tonic::{
    Code, Request,
    metadata::MetadataValue,
    transport::{Certificate, Channel, ClientTlsConfig},
};

/// A new CA and a server certificate for 127.0.0.1 signed by it, written
/// over `dir/{ca,server}.pem` and `server.key`.
fn make_certs(dir: &Path, name: &str) {
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca.distinguished_name.push(DnType::CommonName, name);
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().expect("key")).expect("CA");
    let key = KeyPair::generate().expect("key");
    let mut params = CertificateParams::new(vec!["127.0.0.1".to_owned()]).expect("params");
    params.distinguished_name.push(DnType::CommonName, "server");
    let cert = params.signed_by(&key, &ca).expect("signed");
    std::fs::write(dir.join("ca.pem"), ca.pem()).expect("write");
    std::fs::write(dir.join("server.pem"), cert.pem()).expect("write");
    std::fs::write(dir.join("server.key"), key.serialize_pem()).expect("write");
}

/// pbx-1's token is the one rotated; pbx-2 holds the live call, and its
/// token stays (a revoked token ends its streams: tests/faults_revoke.rs).
fn tokens_file(token: &str) -> String {
    format!(
        "[[client]]\nname = \"pbx-1\"\ntoken = \"{token}\"\nroles = [\"frontend\", \"designer\"]\n\n[[client]]\nname = \"pbx-2\"\ntoken = \"{CALL_TOKEN}\"\nroles = [\"frontend\"]\n"
    )
}

const CALL_TOKEN: &str = "pbx-2-token-change-me";

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn channel(
    addr: std::net::SocketAddr,
    ca: &[u8],
) -> Result<Channel, tonic::transport::Error> {
    Channel::from_shared(format!("https://{addr}"))
        .expect("uri")
        .tls_config(ClientTlsConfig::new().ca_certificate(Certificate::from_pem(ca)))?
        .connect()
        .await
}

fn with_token<T>(message: T, token: &str) -> Request<T> {
    let mut request = Request::new(message);
    request.metadata_mut().insert(
        "authorization",
        MetadataValue::try_from(format!("Bearer {token}")).expect("ascii"),
    );
    request
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_tokens_and_certificate_and_the_live_call_goes_on() {
    let dir = tempfile::tempdir().expect("temp dir");
    make_certs(dir.path(), "first CA");
    std::fs::write(
        dir.path().join("tokens.toml"),
        tokens_file("old-token-change-me"),
    )
    .expect("write");
    std::fs::set_permissions(
        dir.path().join("tokens.toml"),
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .expect("chmod 600");
    let log = std::fs::File::create(dir.path().join("log")).expect("log file");
    let mut child = Command::new(env!("CARGO_BIN_EXE_callscript"))
        .args(["serve", "--listen", "127.0.0.1:0", "--flows"])
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/flows"))
        .current_dir(dir.path())
        // Only the signal reloads: the watcher must not do it for it.
        .env("CALLSCRIPT_WATCH", "false")
        .env("CALLSCRIPT_TLS_CERT", "server.pem")
        .env("CALLSCRIPT_TLS_KEY", "server.key")
        .env("CALLSCRIPT_AUTH_TOKENS_FILE", "tokens.toml")
        .env("CALLSCRIPT_LOG", "info")
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .expect("the binary starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("address line");
    let mut child = Killed(child);
    let addr: std::net::SocketAddr = line
        .trim()
        .strip_prefix("callscript listening on ")
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("an address, not {line:?}"));
    let first_ca = std::fs::read(dir.path().join("ca.pem")).expect("CA");

    // A live streamed call, admitted with a token the reload keeps.
    let old = channel(addr, &first_ca)
        .await
        .expect("TLS with the first CA");
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tx.send(pb::CallEvent {
        call_id: "across-sighup".into(),
        seq: 0,
        kind: Some(pb::call_event::Kind::Start(Box::new(
            pb::StartCallRequest {
                at: "2026-11-23T15:00:00+08:00".into(),
                ..Default::default()
            },
        ))),
    })
    .expect("queued");
    let mut turns = CallsClient::new(old)
        .converse(with_token(
            tokio_stream::wrappers::UnboundedReceiverStream::new(rx),
            CALL_TOKEN,
        ))
        .await
        .expect("the stream opens")
        .into_inner();
    let opening = turns.message().await.expect("opening").expect("a turn");
    assert!(!opening.ended);

    // The operator renews the certificate (a new CA, so the test can tell
    // which one is served) and replaces the token, then sends SIGHUP.
    make_certs(dir.path(), "second CA");
    std::fs::write(
        dir.path().join("tokens.toml"),
        tokens_file("new-token-change-me"),
    )
    .expect("write");
    let second_ca = std::fs::read(dir.path().join("ca.pem")).expect("CA");
    let hup = Command::new("kill")
        .args(["-HUP", &child.0.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(hup.success());

    // The signal is handled asynchronously: retried until the new
    // certificate is served, within a generous bound for a loaded machine.
    let signalled = Instant::now();
    let renewed = loop {
        match channel(addr, &second_ca).await {
            Ok(c) => break c,
            Err(e) if signalled.elapsed() > Duration::from_secs(10) => {
                panic!("the renewed certificate was not served after SIGHUP: {e:?}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    };
    let mut flows = FlowsClient::new(renewed);
    flows
        .list_flows(with_token(
            pb::ListFlowsRequest::default(),
            "new-token-change-me",
        ))
        .await
        .expect("the new token is accepted");
    let refused = flows
        .list_flows(with_token(
            pb::ListFlowsRequest::default(),
            "old-token-change-me",
        ))
        .await
        .expect_err("the old token is refused");
    assert_eq!(refused.code(), Code::Unauthenticated, "{refused:?}");
    assert!(
        channel(addr, &first_ca).await.is_err(),
        "the old certificate is no longer served to new connections"
    );

    // The call goes on: the caller hangs up and hears the end of it, not a
    // shutdown.
    tx.send(pb::CallEvent {
        call_id: "across-sighup".into(),
        seq: 1,
        kind: Some(pb::call_event::Kind::Hangup(pb::CallerHangup {})),
    })
    .expect("queued");
    let last = loop {
        match turns.message().await {
            Ok(Some(t)) if t.ended => break t,
            Ok(Some(_)) => continue,
            other => panic!("the stream ended without a final turn: {other:?}"),
        }
    };
    let reasons: Vec<i32> = last
        .actions
        .iter()
        .filter_map(|a| {
            if let Some(pb::action::Kind::Hangup(h)) = &a.kind {
                Some(h.reason)
            } else {
                None
            }
        })
        .collect();
    assert!(
        !reasons.contains(&(pb::EndReason::Shutdown as i32)),
        "the call was not ended by the reload: {last:?}"
    );
    assert!(
        child.0.try_wait().expect("try_wait").is_none(),
        "SIGHUP must not end the process"
    );

    let log = std::fs::read_to_string(dir.path().join("log")).expect("log");
    let reloaded: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("SIGHUP: files reloaded"))
        .collect();
    assert_eq!(reloaded.len(), 1, "one reload line in\n{log}");
    for part in ["tokens=\"reloaded\"", "tls=\"reloaded\"", "quality_rules="] {
        assert!(reloaded[0].contains(part), "{part} in {}", reloaded[0]);
    }
    // Tokens are never logged, though a refusal is, once.
    assert!(!log.contains("new-token-change-me") && !log.contains("old-token-change-me"));
    let refusals: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("request refused"))
        .collect();
    assert_eq!(refusals.len(), 1, "one refusal line in\n{log}");
    assert!(
        refusals[0].contains("WARN") && refusals[0].contains("UNAUTHENTICATED"),
        "{}",
        refusals[0]
    );
    // The call's end says which flow, how long and why.
    let ended = log
        .lines()
        .find(|l| l.contains("call ended") && l.contains("across-sighup"))
        .unwrap_or_else(|| panic!("the call's ended line in\n{log}"));
    for part in ["flow=hotline", "duration_ms=", "reason=\"caller_hangup\""] {
        assert!(ended.contains(part), "{part} in {ended}");
    }
}
