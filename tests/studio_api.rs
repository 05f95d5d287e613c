//! The studio's HTTP JSON API (README "Studio"), driven route by route
//! against the real `callscript serve` binary with `studio_listen` on an
//! ephemeral port: what the page does, tested without a browser.

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::{SocketAddr, TcpStream},
    path::Path,
    process::{Child, Command, Stdio},
};

use serde_json::{Value, json};

/// A `callscript serve` with the studio on; killed when dropped.
struct Studio {
    child: Child,
    grpc: SocketAddr,
    web: SocketAddr,
    flows: tempfile::TempDir,
    scenarios: tempfile::TempDir,
    _tokens: Option<tempfile::TempDir>,
}

const DESIGNER: &str = "designer-token-0123456789";
const OPERATOR: &str = "operator-token-0123456789";
const FRONTEND: &str = "frontend-token-0123456789";

impl Studio {
    /// On a copy of the shipped flows (a publish writes there), without
    /// the watcher: a publish reloads the flows itself.
    fn start(auth: bool) -> Studio {
        let flows = tempfile::tempdir().expect("a flows directory");
        let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("flows");
        for entry in std::fs::read_dir(&shipped).expect("the shipped flows") {
            let path = entry.expect("an entry").path();
            if path.is_file() {
                std::fs::copy(&path, flows.path().join(path.file_name().expect("a name")))
                    .expect("copy a flow file");
            }
        }
        let scenarios = tempfile::tempdir().expect("a scenarios directory");
        let tokens = auth.then(tokens_file);
        let mut command = Command::new(env!("CARGO_BIN_EXE_callscript"));
        command
            .args(["serve", "--listen", "127.0.0.1:0", "--flows"])
            .arg(flows.path())
            .env("CALLSCRIPT_WATCH", "false")
            .env("CALLSCRIPT_STUDIO_LISTEN", "127.0.0.1:0")
            .env("CALLSCRIPT_SCENARIOS_DIR", scenarios.path())
            .env(
                "CALLSCRIPT_STUDIO_CHANGES_FILE",
                scenarios.path().join("changes.jsonl"),
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if let Some(dir) = &tokens {
            command.env(
                "CALLSCRIPT_AUTH_TOKENS_FILE",
                dir.path().join("tokens.toml"),
            );
        }
        let mut child = command.spawn().expect("the callscript binary starts");
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut line = || {
            let mut line = String::new();
            stdout.read_line(&mut line).expect("the server prints");
            line.trim().to_owned()
        };
        let first = line();
        let grpc = first
            .strip_prefix("callscript listening on ")
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line: {first:?}"));
        let second = line();
        let web = second
            .strip_prefix("callscript studio on http://")
            .and_then(|a| a.strip_suffix('/'))
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("unexpected second line: {second:?}"));
        Studio {
            child,
            grpc,
            web,
            flows,
            scenarios,
            _tokens: tokens,
        }
    }

    fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<&Value>) -> Reply {
        request(self.web, method, path, token, body)
    }

    /// A designer's request that must succeed; its JSON.
    fn ok(&self, method: &str, path: &str, body: Option<&Value>) -> Value {
        let reply = self.call(method, path, Some(DESIGNER), body);
        assert!(
            reply.status / 100 == 2,
            "{method} {path}: {} {}",
            reply.status,
            reply.body
        );
        reply.json()
    }
}

impl Drop for Studio {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn tokens_file() -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("a tokens directory");
    let path = dir.path().join("tokens.toml");
    std::fs::write(
        &path,
        format!(
            "[[client]]\nname = \"alice\"\ntoken = \"{DESIGNER}\"\nroles = [\"designer\"]\n\n\
             [[client]]\nname = \"ops\"\ntoken = \"{OPERATOR}\"\nroles = [\"operator\"]\n\n\
             [[client]]\nname = \"pbx\"\ntoken = \"{FRONTEND}\"\nroles = [\"frontend\"]\n"
        ),
    )
    .expect("write the tokens file");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
        .expect("the tokens file is the owner's");
    dir
}

struct Reply {
    status: u16,
    content_type: String,
    body: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// One HTTP/1.1 request on its own connection.
fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> Reply {
    let mut stream = TcpStream::connect(addr).expect("connect to the studio");
    let body = body.map(Value::to_string).unwrap_or_default();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if !body.is_empty() {
        head.push_str("Content-Type: application/json\r\n");
    }
    if let Some(token) = token {
        head.push_str(&format!("Authorization: Bearer {token}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).expect("send the request");
    stream.write_all(body.as_bytes()).expect("send the body");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read the reply");
    let text = String::from_utf8(raw).expect("a UTF-8 reply");
    let (head, body) = text.split_once("\r\n\r\n").expect("a reply head");
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status code");
    let header = |name: &str| {
        head.lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
            })
            .unwrap_or_default()
    };
    let body = if header("transfer-encoding") == "chunked" {
        dechunk(body)
    } else {
        body.to_owned()
    };
    Reply {
        status,
        content_type: header("content-type"),
        body,
    }
}

fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, tail)) = rest.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).expect("a chunk size");
        if n == 0 {
            break;
        }
        out.push_str(&tail[..n]);
        rest = &tail[n + 2..];
    }
    out
}

/// Runs the binary with `args`; its exit code and output.
fn callscript(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_callscript"))
        .args(args)
        .output()
        .expect("the callscript binary runs");
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// A Monday afternoon: the hotline is open, the plain opening.
const AT: &str = "2026-11-23T15:00:00+08:00";

fn prompt_ids(turn: &Value) -> Vec<String> {
    turn["prompts"]
        .as_array()
        .expect("prompts")
        .iter()
        .map(|p| p["id"].as_str().expect("an id").to_owned())
        .collect()
}

#[test]
fn a_typo_in_a_key_is_reported_where_it_is_as_check_says() {
    let studio = Studio::start(false);
    let flow = studio.ok("GET", "/api/flows/hotline", None);
    let text = flow["text"].as_str().expect("the text");
    assert_eq!(
        flow["hash"].as_str().map(str::len),
        Some(12),
        "the content version: {flow}"
    );
    // The first `next = ` of a step, misspelt.
    let at = text.find("\nnext = ").expect("a step with next") + 1;
    let typo = format!("{}nxet{}", &text[..at], &text[at + 4..]);
    let line = text[..at].lines().count() + 1;

    let checked = studio.ok(
        "POST",
        "/api/check",
        Some(&json!({ "name": "hotline", "text": typo })),
    );
    assert_eq!(checked["ok"], false, "{checked}");
    assert!(checked["graph"].is_null(), "no diagram of a broken text");
    let diags = checked["diagnostics"].as_array().expect("diagnostics");
    let d = diags
        .iter()
        .find(|d| d["message"].as_str().is_some_and(|m| m.contains("nxet")))
        .unwrap_or_else(|| panic!("no diagnostic for the typo: {checked}"));
    assert_eq!(d["line"], line, "{d}");
    assert_eq!(d["column"], 1, "{d}");
    assert_eq!(d["severity"], "error");
    assert_eq!(d["fix"], "next", "{d}");

    // Exactly what `callscript check` prints for that file.
    let dir = tempfile::tempdir().expect("a directory");
    let file = dir.path().join("hotline.toml");
    std::fs::write(&file, &typo).expect("write the text");
    let (code, printed) = callscript(&["check", file.to_str().expect("a UTF-8 path")]);
    assert_eq!(code, 1, "{printed}");
    let shown = d["text"].as_str().expect("the line check prints");
    let expected = shown.replacen("hotline.toml", &file.display().to_string(), 1);
    assert!(
        printed.lines().any(|l| l == expected),
        "check printed:\n{printed}\nthe studio: {shown}"
    );

    // The clean text compiles, and its diagram comes with it.
    let clean = studio.ok(
        "POST",
        "/api/check",
        Some(&json!({ "name": "hotline", "text": text })),
    );
    assert_eq!(clean["ok"], true, "{clean}");
    let nodes = clean["graph"]["nodes"].as_array().expect("nodes");
    let welcome = nodes
        .iter()
        .find(|n| n["step"] == "welcome")
        .expect("the welcome step");
    let welcome_line = text
        .lines()
        .position(|l| l.trim() == "[steps.welcome]")
        .expect("its table")
        + 1;
    assert_eq!(welcome["line"], welcome_line, "{welcome}");
    assert_eq!(welcome["step_kind"], "ask");
    let graph = studio.ok(
        "POST",
        "/api/graph",
        Some(&json!({ "name": "hotline", "text": text })),
    );
    assert!(
        graph["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .any(|e| e["from"] == "welcome" && e["to"] == "bill" && e["kind"] == "caller"),
        "{graph}"
    );
    assert!(
        graph["mermaid"]
            .as_str()
            .is_some_and(|m| m.starts_with("flowchart"))
    );
    let refused = studio.call(
        "POST",
        "/api/graph",
        None,
        Some(&json!({ "name": "hotline", "text": typo })),
    );
    assert_eq!(refused.status, 422, "{}", refused.body);

    let listed = studio.ok("GET", "/api/flows", None);
    assert!(
        listed
            .as_array()
            .expect("flows")
            .iter()
            .any(|f| f["name"] == "hotline" && f["file"] == "hotline.toml"),
        "{listed}"
    );
    assert_eq!(
        studio.call("GET", "/api/flows/nope", None, None).status,
        404
    );
    assert_eq!(
        studio.call("GET", "/api/flows/holidays", None, None).status,
        404,
        "the calendar is no flow"
    );
}

#[test]
fn a_silent_call_hears_three_prompts_five_seconds_apart_then_is_hung_up_and_saves_as_a_test() {
    let studio = Studio::start(false);
    let sim = studio.ok(
        "POST",
        "/api/sim",
        Some(&json!({ "name": "hotline", "at": AT, "locale": "zh-CN" })),
    );
    let id = sim["id"].as_str().expect("an id").to_owned();
    let turns = sim["turns"].as_array().expect("turns");
    assert_eq!(turns.len(), 1, "{sim}");
    assert_eq!(prompt_ids(&turns[0]), ["opening"]);
    assert_eq!(turns[0]["at_ms"], 0);
    assert_eq!(sim["clock_ms"], 0);

    let event = format!("/api/sim/{id}/event");
    let mut heard = Vec::new();
    for _ in 0..3 {
        let now = studio.ok("POST", &event, Some(&json!({ "advance_ms": 5000 })));
        for turn in now["turns"].as_array().expect("turns") {
            heard.push((turn["at_ms"].as_u64().expect("a time"), prompt_ids(turn)));
        }
    }
    assert_eq!(
        heard,
        [
            (5000, vec!["silence_reprompt".to_owned()]),
            (10000, vec!["silence_goodbye".to_owned()]),
            (15000, vec![]),
        ],
        "three prompts 5 s apart on the virtual clock, then the hang-up"
    );
    let end = studio.ok("GET", &format!("/api/sim/{id}"), None);
    assert_eq!(end["ended"], true, "{end}");
    assert_eq!(end["end_reason"], "silence");
    assert_eq!(end["clock_ms"], 15000);
    let last = end["turns"]
        .as_array()
        .and_then(|t| t.last())
        .expect("turns");
    assert!(
        last["actions"]
            .as_array()
            .expect("actions")
            .iter()
            .any(|a| a["kind"] == "hangup" && a["reason"] == "silence"),
        "{last}"
    );
    assert!(
        end["score"]["score"].is_u64(),
        "an ended call is scored: {end}"
    );
    let after = studio.call(
        "POST",
        &event,
        Some(DESIGNER),
        Some(&json!({ "speech": "喂" })),
    );
    assert_eq!(
        after.status, 409,
        "an ended call takes no event: {}",
        after.body
    );

    // Written down as a scenario, it passes as a test.
    let scenario = studio.call(
        "GET",
        &format!("/api/sim/{id}/scenario"),
        Some(DESIGNER),
        None,
    );
    assert_eq!(scenario.status, 200, "{}", scenario.body);
    assert!(scenario.content_type.starts_with("application/toml"));
    let saved = studio.ok(
        "POST",
        "/api/flows/hotline/scenarios",
        Some(&json!({ "file_name": "studio-silent-call.toml", "scenario": scenario.body })),
    );
    let path = studio.scenarios.path().join("studio-silent-call.toml");
    assert_eq!(saved["path"], path.display().to_string(), "{saved}");
    let (code, printed) = callscript(&[
        "simulate",
        "--scenario",
        path.to_str().expect("a UTF-8 path"),
        "--flows",
        studio.flows.path().to_str().expect("a UTF-8 path"),
    ]);
    assert_eq!(
        code, 0,
        "the saved scenario passes:\n{printed}\n{}",
        scenario.body
    );
    let again = studio.call(
        "POST",
        "/api/flows/hotline/scenarios",
        Some(DESIGNER),
        Some(&json!({ "file_name": "studio-silent-call.toml", "scenario": scenario.body })),
    );
    assert_eq!(again.status, 409, "{}", again.body);
    let coverage = studio.ok("GET", "/api/flows/hotline/coverage", None);
    assert_eq!(
        coverage["scenarios"],
        json!(["studio-silent-call.toml"]),
        "{coverage}"
    );
    assert!(
        coverage["transitions"].as_u64().is_some_and(|n| n > 5),
        "{coverage}"
    );
    assert_eq!(
        coverage["covered"], 0,
        "a silent call goes nowhere: {coverage}"
    );

    let gone = studio.call("DELETE", &format!("/api/sim/{id}"), Some(DESIGNER), None);
    assert_eq!(gone.status, 204);
    assert_eq!(
        studio
            .call("GET", &format!("/api/sim/{id}"), None, None)
            .status,
        404
    );
}

#[test]
fn keys_3_then_the_bill_lookup_give_the_amount_and_the_path() {
    let studio = Studio::start(false);
    let sim = studio.ok(
        "POST",
        "/api/sim",
        Some(&json!({ "name": "hotline", "at": AT, "locale": "zh-CN", "variables": { "caller": "13800138000" } })),
    );
    let id = sim["id"].as_str().expect("an id").to_owned();
    let event = format!("/api/sim/{id}/event");
    let keyed = studio.ok("POST", &event, Some(&json!({ "keys": "3" })));
    let turn = &keyed["turns"][0];
    assert_eq!(
        turn["at_ms"], 1000,
        "the caller answers a second later: {keyed}"
    );
    assert_eq!(turn["understood"]["intents"], json!(["bill"]), "{turn}");
    assert_eq!(turn["state"], "looking_up");
    assert!(
        turn["actions"]
            .as_array()
            .expect("actions")
            .iter()
            .any(|a| a["kind"] == "lookup" && a["name"] == "bill"),
        "{turn}"
    );
    assert_eq!(
        keyed["waits_for"].as_str().map(|w| w.contains("bill")),
        Some(true),
        "{keyed}"
    );

    let answered = studio.ok(
        "POST",
        &event,
        Some(&json!({ "lookup_result": { "name": "bill", "ok": true, "variables": { "amount": "58.50" } } })),
    );
    let turn = &answered["turns"][0];
    assert_eq!(
        prompt_ids(turn),
        ["bill_answer", "anything_else"],
        "{answered}"
    );
    assert!(
        turn["prompts"][0]["text"]
            .as_str()
            .is_some_and(|t| t.contains("58.50")),
        "the amount is said: {turn}"
    );
    assert_eq!(turn["variables"]["amount"], "58.50");
    assert_eq!(
        answered["path"],
        json!(["welcome", "bill", "bill_answer", "anything_else"]),
        "{answered}"
    );

    let scenario = studio.call(
        "GET",
        &format!("/api/sim/{id}/scenario"),
        Some(DESIGNER),
        None,
    );
    studio.ok(
        "POST",
        "/api/flows/hotline/scenarios",
        Some(&json!({ "file_name": "studio-bill-by-keys.toml", "scenario": scenario.body })),
    );
    let coverage = studio.ok("GET", "/api/flows/hotline/coverage", None);
    let uncovered = coverage["uncovered"].as_array().expect("uncovered");
    assert!(
        coverage["covered"].as_u64().is_some_and(|n| n >= 2),
        "{coverage}"
    );
    assert!(
        !uncovered
            .iter()
            .any(|u| u["from"] == "welcome" && u["to"] == "bill"),
        "welcome → bill is covered: {coverage}"
    );

    // A call may start at any step, with chosen variables.
    let started = studio.ok(
        "POST",
        "/api/sim",
        Some(&json!({ "name": "hotline", "at": AT, "locale": "en", "start_step": "bill", "variables": { "caller": "13800138000" } })),
    );
    assert_eq!(started["step"], "bill", "{started}");
    let refused = studio.call(
        "GET",
        &format!(
            "/api/sim/{}/scenario",
            started["id"].as_str().expect("an id")
        ),
        Some(DESIGNER),
        None,
    );
    assert_eq!(
        refused.status, 409,
        "no scenario replays another start: {}",
        refused.body
    );
}

#[test]
fn a_stale_publish_gets_the_conflict_with_a_diff_and_a_clean_one_is_logged() {
    let studio = Studio::start(false);
    let flow = studio.ok("GET", "/api/flows/hotline", None);
    let text = flow["text"].as_str().expect("the text").to_owned();
    let base = flow["hash"].as_str().expect("a hash").to_owned();
    let edited = text.replacen(
        "title = \"Standard inbound hotline\"",
        "title = \"Hotline, edited\"",
        1,
    );
    assert_ne!(edited, text);

    // Someone else saves first.
    let theirs = text.replacen(
        "title = \"Standard inbound hotline\"",
        "title = \"Hotline, theirs\"",
        1,
    );
    let published = studio.ok(
        "PUT",
        "/api/flows/hotline",
        Some(&json!({ "text": theirs, "base_hash": base })),
    );
    let new_hash = published["hash"].as_str().expect("the new hash").to_owned();
    assert_ne!(new_hash, base);
    assert!(published["warnings"].is_array());
    assert_eq!(
        std::fs::read_to_string(studio.flows.path().join("hotline.toml")).expect("the file"),
        theirs
    );

    let stale = studio.call(
        "PUT",
        "/api/flows/hotline",
        Some(DESIGNER),
        Some(&json!({ "text": edited, "base_hash": base })),
    );
    assert_eq!(stale.status, 409, "{}", stale.body);
    let conflict = stale.json();
    assert_eq!(conflict["current_hash"], new_hash.as_str());
    let diff = conflict["diff"].as_str().expect("a diff");
    assert!(diff.contains("-title = \"Hotline, theirs\""), "{diff}");
    assert!(diff.contains("+title = \"Hotline, edited\""), "{diff}");
    assert!(diff.starts_with("--- hotline.toml (now)"), "{diff}");

    // Errors are refused, and nothing is written.
    let broken = edited.replacen("start = \"welcome\"", "start = \"welcom\"", 1);
    let refused = studio.call(
        "PUT",
        "/api/flows/hotline",
        Some(DESIGNER),
        Some(&json!({ "text": broken, "base_hash": new_hash })),
    );
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused.json()["diagnostics"]
            .as_array()
            .is_some_and(|d| !d.is_empty())
    );

    // The designer merges and saves again: the served flow is the new one.
    studio.ok(
        "PUT",
        "/api/flows/hotline",
        Some(&json!({ "text": edited, "base_hash": new_hash })),
    );
    let now = studio.ok("GET", "/api/flows/hotline", None);
    assert_eq!(now["text"], edited.as_str());
    let changes = studio.ok("GET", "/api/changes?flow=hotline", None);
    let changes = changes.as_array().expect("changes");
    assert_eq!(changes.len(), 2, "{changes:?}");
    assert_eq!(changes[0]["to_hash"], now["hash"], "newest first");
    assert!(
        changes[0]["diff"]
            .as_str()
            .is_some_and(|d| d.contains("+title = \"Hotline, edited\""))
    );
    assert!(changes[0]["who"].is_null(), "an open studio knows no names");
    let sim = studio.ok(
        "POST",
        "/api/sim",
        Some(&json!({ "name": "hotline", "at": AT })),
    );
    assert_eq!(
        sim["version"], now["hash"],
        "new calls get the published version"
    );
}

#[test]
fn tokens_and_roles_decide_who_does_what() {
    let studio = Studio::start(true);
    let get = |path: &str, token: Option<&str>| studio.call("GET", path, token, None).status;
    assert_eq!(get("/api/flows", None), 401);
    assert_eq!(get("/api/flows", Some("not-a-token-at-all-0000")), 401);
    assert_eq!(get("/api/flows", Some(OPERATOR)), 403);
    assert_eq!(get("/api/flows", Some(FRONTEND)), 403);
    assert_eq!(get("/api/flows", Some(DESIGNER)), 200);
    assert_eq!(get("/api/calls/live", Some(DESIGNER)), 403);
    assert_eq!(get("/api/calls/live", Some(OPERATOR)), 200);
    let refused = studio.call("GET", "/api/calls/live", Some(FRONTEND), None);
    assert_eq!(refused.status, 403);
    assert!(
        refused.json()["error"]
            .as_str()
            .is_some_and(|e| e.contains("operator"))
    );
    let me = studio
        .call("GET", "/api/whoami", Some(OPERATOR), None)
        .json();
    assert_eq!(
        me,
        json!({ "client": "ops", "roles": ["operator"], "open": false })
    );
    // The page itself needs no token; it asks for one.
    let page = studio.call("GET", "/", None, None);
    assert_ne!(page.status, 401, "{}", page.body);

    // A publish is logged under the token's client name.
    let flow = studio.ok("GET", "/api/flows/outbound", None);
    let text = flow["text"].as_str().expect("the text");
    studio.ok(
        "PUT",
        "/api/flows/outbound",
        Some(&json!({ "text": format!("{text}\n# edited\n"), "base_hash": flow["hash"] })),
    );
    let changes = studio.ok("GET", "/api/changes", None);
    assert_eq!(changes[0]["who"], "alice", "{changes}");
}

#[tokio::test]
async fn operators_see_live_calls_with_numbers_masked() {
    use callscript::grpc::pb::{EndCallRequest, StartCallRequest, calls_client::CallsClient};
    let studio = Studio::start(true);
    let mut calls = CallsClient::connect(format!("http://{}", studio.grpc))
        .await
        .expect("connect to the gRPC service");
    let mut start = tonic::Request::new(StartCallRequest {
        call_id: "live-1".into(),
        flow: "hotline".into(),
        caller: "13800138000".into(),
        callee: "4008001234".into(),
        at: AT.into(),
        locale: "zh-CN".into(),
        ..StartCallRequest::default()
    });
    start.metadata_mut().insert(
        "authorization",
        format!("Bearer {FRONTEND}")
            .parse()
            .expect("a header value"),
    );
    calls.start_call(start).await.expect("the call starts");

    let web = studio.web;
    let live = tokio::task::spawn_blocking(move || {
        request(web, "GET", "/api/calls/live", Some(OPERATOR), None)
    })
    .await
    .expect("the request runs");
    assert_eq!(live.status, 200, "{}", live.body);
    let listed = live.json();
    let call = listed
        .as_array()
        .and_then(|c| c.iter().find(|c| c["call_id"] == "live-1"))
        .unwrap_or_else(|| panic!("the live call is listed: {listed}"));
    assert_eq!(call["flow"], "hotline");
    assert_eq!(call["step"], "welcome");
    assert_eq!(call["state"], "listening");
    assert_eq!(call["locale"], "zh-CN");
    assert!(call["seconds_in_step"].is_u64(), "{call}");
    let caller = call["caller"].as_str().expect("the caller");
    assert!(
        !caller.contains("13800138000"),
        "masked without pii: {caller}"
    );
    assert!(caller.ends_with("8000"), "{caller}");

    // Ended, it is among the recent calls, with its transcript and score.
    let mut end = tonic::Request::new(EndCallRequest {
        call_id: "live-1".into(),
    });
    end.metadata_mut().insert(
        "authorization",
        format!("Bearer {FRONTEND}")
            .parse()
            .expect("a header value"),
    );
    calls.end_call(end).await.expect("the call ends");
    let recent = tokio::task::spawn_blocking(move || {
        request(web, "GET", "/api/calls/recent", Some(OPERATOR), None)
    })
    .await
    .expect("the request runs");
    assert_eq!(recent.status, 200, "{}", recent.body);
    let listed = recent.json();
    let call = listed
        .as_array()
        .and_then(|c| c.iter().find(|c| c["call_id"] == "live-1"))
        .unwrap_or_else(|| panic!("the ended call is listed: {listed}"));
    assert_eq!(call["end_reason"], "operator", "{call}");
    assert!(call["score"]["score"].is_u64(), "{call}");
    let transcript = call["transcript"].as_str().expect("a transcript");
    assert!(transcript.contains("opening"), "{transcript}");
    assert!(
        !recent.body.contains("13800138000"),
        "masked: {}",
        recent.body
    );
    let web = studio.web;
    let live = tokio::task::spawn_blocking(move || {
        request(web, "GET", "/api/calls/live", Some(OPERATOR), None)
    })
    .await
    .expect("the request runs");
    assert!(
        live.json()
            .as_array()
            .is_some_and(|c| c.iter().all(|c| c["call_id"] != "live-1")),
        "no longer live: {}",
        live.body
    );
}

#[test]
fn bad_requests_answer_json_errors() {
    let studio = Studio::start(false);
    let bad = studio.call("POST", "/api/check", None, Some(&json!({ "text": 1 })));
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(bad.json()["error"].is_string());
    let two = studio.call(
        "POST",
        "/api/sim",
        None,
        Some(&json!({ "name": "hotline", "at": AT })),
    );
    let id = two.json()["id"].as_str().expect("an id").to_owned();
    let both = studio.call(
        "POST",
        &format!("/api/sim/{id}/event"),
        None,
        Some(&json!({ "speech": "你好", "keys": "1" })),
    );
    assert_eq!(both.status, 400, "{}", both.body);
    let keys = studio.call(
        "POST",
        &format!("/api/sim/{id}/event"),
        None,
        Some(&json!({ "keys": "12a" })),
    );
    assert_eq!(keys.status, 400, "{}", keys.body);
    assert_eq!(studio.call("GET", "/api/nothing", None, None).status, 404);
    let silence = studio.ok(
        "POST",
        &format!("/api/sim/{id}/event"),
        Some(&json!({ "silence": true })),
    );
    assert_eq!(
        silence["clock_ms"], 5000,
        "silence runs to the next timer: {silence}"
    );
}
