//! Authentication and TLS through the real grpcurl against the real
//! binary: the README's "Authentication and TLS" commands, character for
//! character, with certificates made at run time (`rcgen`). Needs grpcurl
//! on the PATH (`.ci/run` installs it).

use std::{
    io::{BufRead, BufReader},
    net::SocketAddr,
    path::Path,
    process::{Child, Command, Output, Stdio},
};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use serde_json::Value;

const README_ADDR: &str = "127.0.0.1:50051";

const NO_TOKEN: &str = "grpcurl -cacert certs/ca.pem -cert certs/client.pem -key certs/client.key \\
  127.0.0.1:50051 callscript.v1.Flows/ListFlows";
const FRONTEND_RELOAD: &str = "grpcurl -cacert certs/ca.pem -cert certs/client.pem -key certs/client.key \\
  -H 'authorization: Bearer pbx-1-token-change-me' \\
  127.0.0.1:50051 callscript.v1.Flows/ReloadFlows";
const FRONTEND_START: &str = r#"grpcurl -cacert certs/ca.pem -cert certs/client.pem -key certs/client.key \
  -H 'authorization: Bearer pbx-1-token-change-me' \
  -d '{"call_id":"t1","caller":"13800005678","at":"2026-11-23T15:00:00+08:00"}' \
  127.0.0.1:50051 callscript.v1.Calls/StartCall"#;
const OPERATOR_GET: &str = r#"grpcurl -cacert certs/ca.pem -cert certs/client.pem -key certs/client.key \
  -H 'authorization: Bearer supervisor-token-change-me' \
  -d '{"call_id":"t1"}' 127.0.0.1:50051 callscript.v1.Calls/GetCall"#;
const PII_GET: &str = r#"grpcurl -cacert certs/ca.pem -cert certs/client.pem -key certs/client.key \
  -H 'authorization: Bearer auditor-token-change-me' \
  -d '{"call_id":"t1"}' 127.0.0.1:50051 callscript.v1.Calls/GetCall"#;

/// In README order.
const COMMANDS: [&str; 5] = [
    NO_TOKEN,
    FRONTEND_RELOAD,
    FRONTEND_START,
    OPERATOR_GET,
    PII_GET,
];

/// The README's blocks in its "Authentication and TLS" section.
fn readme_blocks() -> (String, Vec<String>) {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let section = readme
        .split("## Authentication and TLS")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("README has an Authentication and TLS section");
    let mut blocks = section.split("```").skip(1).step_by(2);
    let tokens = blocks
        .next()
        .and_then(|b| b.strip_prefix("toml\n"))
        .expect("the tokens file example")
        .to_owned();
    let commands = blocks
        .nth(1)
        .and_then(|b| b.strip_prefix("sh\n"))
        .expect("the grpcurl block");
    let mut out = Vec::new();
    let mut current = String::new();
    for line in commands.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        if !current.is_empty() {
            current.push('\n');
        }
        current.push_str(line);
        if !line.ends_with('\\') {
            out.push(std::mem::take(&mut current));
        }
    }
    (tokens, out)
}

#[test]
fn the_readme_auth_commands_are_what_these_tests_run() {
    let (_, commands) = readme_blocks();
    assert_eq!(commands, COMMANDS.map(String::from));
}

/// A CA, a server certificate for 127.0.0.1 and localhost, and a client
/// certificate, as PEM files under `dir/certs`.
fn make_certs(dir: &Path) {
    let certs = dir.join("certs");
    std::fs::create_dir_all(&certs).expect("certs dir");
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca.distinguished_name
        .push(DnType::CommonName, "callscript test CA");
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().expect("key")).expect("CA");
    std::fs::write(certs.join("ca.pem"), ca.pem()).expect("write");
    for (name, sans) in [
        (
            "server",
            vec!["127.0.0.1".to_owned(), "localhost".to_owned()],
        ),
        ("client", vec!["pbx-1.example".to_owned()]),
    ] {
        let key = KeyPair::generate().expect("key");
        let mut params = CertificateParams::new(sans).expect("params");
        params.distinguished_name.push(DnType::CommonName, name);
        let cert = params.signed_by(&key, &ca).expect("signed");
        std::fs::write(certs.join(format!("{name}.pem")), cert.pem()).expect("write");
        std::fs::write(certs.join(format!("{name}.key")), key.serialize_pem()).expect("write");
    }
}

/// `callscript serve` in `dir`, killed when dropped.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Server {
    fn start(dir: &Path, envs: &[(&str, &str)]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_callscript"))
            .args(["serve", "--listen", "127.0.0.1:0", "--flows"])
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/flows"))
            .current_dir(dir)
            .env("CALLSCRIPT_WATCH", "false")
            .envs(envs.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the callscript binary starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("the server prints its address");
        let addr = line
            .trim()
            .strip_prefix("callscript listening on ")
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"));
        Server { child, addr }
    }

    fn sh(&self, dir: &Path, command: &str) -> Output {
        Command::new("sh")
            .arg("-c")
            .arg(command.replace(README_ADDR, &self.addr.to_string()))
            .current_dir(dir)
            .stdin(Stdio::null())
            .output()
            .expect("sh runs")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The status code grpcurl printed, from its exit code (64 + code).
fn grpc_code(out: &Output) -> Option<i32> {
    out.status.code().map(|c| c - 64)
}

fn json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "grpcurl failed ({}): {}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("grpcurl prints JSON")
}

#[test]
fn over_mtls_roles_decide_and_numbers_are_masked_without_pii() {
    let dir = tempfile::tempdir().expect("temp dir");
    make_certs(dir.path());
    let (tokens, _) = readme_blocks();
    std::fs::write(dir.path().join("tokens.toml"), tokens).expect("write tokens");
    std::fs::set_permissions(
        dir.path().join("tokens.toml"),
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .expect("chmod 600");
    let server = Server::start(
        dir.path(),
        &[
            ("CALLSCRIPT_AUTH_TOKENS_FILE", "tokens.toml"),
            ("CALLSCRIPT_TLS_CERT", "certs/server.pem"),
            ("CALLSCRIPT_TLS_KEY", "certs/server.key"),
            ("CALLSCRIPT_TLS_CLIENT_CA", "certs/ca.pem"),
        ],
    );
    let d = dir.path();

    let out = server.sh(d, NO_TOKEN);
    assert_eq!(grpc_code(&out), Some(16), "UNAUTHENTICATED: {out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Unauthenticated"),
        "{out:?}"
    );

    let out = server.sh(d, FRONTEND_RELOAD);
    assert_eq!(grpc_code(&out), Some(7), "PERMISSION_DENIED: {out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("may not call ReloadFlows"),
        "{out:?}"
    );

    let turn = json(&server.sh(d, FRONTEND_START));
    assert_eq!(turn["callId"], "t1");

    let masked = json(&server.sh(d, OPERATOR_GET));
    assert_eq!(masked["caller"], "*******5678");
    let full = json(&server.sh(d, PII_GET));
    assert_eq!(full["caller"], "13800005678");

    // Health stays open (no token), and plaintext is refused on a TLS port.
    let health = server.sh(
        d,
        "grpcurl -cacert certs/ca.pem -cert certs/client.pem -key certs/client.key \
         127.0.0.1:50051 grpc.health.v1.Health/Check",
    );
    assert_eq!(json(&health)["status"], "SERVING");
    let plain = server.sh(
        d,
        "grpcurl -connect-timeout 3 -plaintext 127.0.0.1:50051 grpc.health.v1.Health/Check",
    );
    assert!(!plain.status.success(), "plaintext must fail on TLS");
    // Without a client certificate the TLS handshake itself fails (mTLS).
    let no_cert = server.sh(
        d,
        "grpcurl -connect-timeout 3 -cacert certs/ca.pem 127.0.0.1:50051 grpc.health.v1.Health/Check",
    );
    assert!(
        !no_cert.status.success(),
        "mTLS must require a client certificate"
    );
}

/// An open service on a non-loopback address says so at start; with a
/// tokens file it does not.
#[test]
fn an_open_service_beyond_loopback_warns_at_start() {
    let warned = |envs: &[(&str, &str)]| {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut child = Command::new(env!("CARGO_BIN_EXE_callscript"))
            .args(["serve", "--listen", "0.0.0.0:0", "--flows"])
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/flows"))
            .current_dir(dir.path())
            .env("CALLSCRIPT_WATCH", "false")
            .env("NO_COLOR", "1")
            .envs(envs.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let stderr = BufReader::new(child.stderr.take().expect("stderr"));
        let mut warned = false;
        for line in stderr.lines() {
            let line = line.expect("a log line");
            warned |= line.contains("WARN") && line.contains("without auth_tokens_file");
            if line.contains("callscript serving") {
                break;
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        (warned, dir)
    };
    assert!(warned(&[]).0, "no WARN for an open service on 0.0.0.0");
    let dir = tempfile::tempdir().expect("temp dir");
    let tokens = dir.path().join("tokens.toml");
    std::fs::write(&tokens, readme_blocks().0).expect("write tokens");
    std::fs::set_permissions(&tokens, std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .expect("chmod 600");
    let tokens = tokens.display().to_string();
    assert!(!warned(&[("CALLSCRIPT_AUTH_TOKENS_FILE", &tokens)]).0);
}
