//! Flow files end to end: hot reload through the real server, CheckFlow,
//! and the `callscript check` / `schema` commands.
//!
//! Each reload test works on a copy of `flows/` in a temporary directory,
//! so editing a file never touches the shipped flows.

mod common;

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
    sync::Arc,
    time::Duration,
};

use callscript::{engine::EngineSettings, flow::FlowRegistry, grpc::pb};
use common::{
    TestServer, event, said, shipped_flows, speech, start, start_server, start_server_with,
};

/// An ordinary Tuesday afternoon: the plain opening, no holiday.
const AT: &str = "2026-03-10T15:00:00+08:00";

const OLD_OPENING: &str = "您好,XX欢迎您的来电,请问有什么可以帮您?";
const NEW_OPENING: &str = "您好,XX欢迎您致电,请问有什么可以帮您?";
const OLD_BILL: &str = "我需要为您查询一下,请您稍候,可以吗?";
const NEW_BILL: &str = "我需要为您查一下,请您稍等,可以吗?";

/// A copy of the shipped flows directory.
fn copy_flows() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("create a temporary directory");
    for entry in std::fs::read_dir(shipped_flows()).expect("read flows/") {
        let path = entry.expect("flows/ entry").path();
        if path.is_file() {
            std::fs::copy(
                &path,
                tmp.path()
                    .join(path.file_name().expect("a file has a name")),
            )
            .expect("copy a flow file");
        }
    }
    tmp
}

/// Rewrites `file`, replacing `from` (which must occur exactly once) with `to`.
fn edit_file(file: &Path, from: &str, to: &str) -> String {
    let text = std::fs::read_to_string(file).expect("read the flow file");
    assert_eq!(
        text.matches(from).count(),
        1,
        "{from:?} occurs once in {}",
        file.display()
    );
    let text = text.replacen(from, to, 1);
    std::fs::write(file, &text).expect("write the flow file");
    text
}

/// The hotline's new text for the opening and the hold question (zh-CN).
fn edit_hotline(file: &Path) -> String {
    edit_file(
        file,
        "zh-CN = \"您好,{company}欢迎您的来电,请问有什么可以帮您?\"",
        "zh-CN = \"您好,{company}欢迎您致电,请问有什么可以帮您?\"",
    );
    edit_file(
        file,
        &format!("zh-CN = \"{OLD_BILL}\""),
        &format!("zh-CN = \"{NEW_BILL}\""),
    )
}

async fn hotline_version(server: &mut TestServer) -> String {
    let list = server
        .flows
        .list_flows(pb::ListFlowsRequest {})
        .await
        .expect("ListFlows")
        .into_inner();
    list.flows
        .iter()
        .find(|f| f.id == "hotline")
        .expect("hotline is listed")
        .version
        .clone()
}

async fn start_call(server: &mut TestServer, id: &str) -> pb::Turn {
    server
        .calls
        .start_call(start(id, AT))
        .await
        .expect("StartCall")
        .into_inner()
}

async fn server_on(dir: &Path) -> TestServer {
    let registry = FlowRegistry::load_dir(dir, None).expect("the copied flows load");
    start_server_with(Arc::new(registry), EngineSettings::default()).await
}

// === Hot reload ===

#[tokio::test]
async fn reload_new_calls_get_the_new_text_live_calls_keep_their_version() {
    let tmp = copy_flows();
    let hotline = tmp.path().join("hotline.toml");
    let mut server = server_on(tmp.path()).await;
    let v1 = hotline_version(&mut server).await;

    let live = start_call(&mut server, "live").await;
    assert_eq!(said(&live), [OLD_OPENING]);
    assert_eq!(live.flow_version, v1);

    edit_hotline(&hotline);
    let reloaded = server
        .flows
        .reload_flows(pb::ReloadFlowsRequest {})
        .await
        .expect("ReloadFlows")
        .into_inner();
    assert_eq!(reloaded.problems, vec![]);
    let v2 = reloaded
        .flows
        .iter()
        .find(|f| f.id == "hotline")
        .expect("hotline after reload")
        .version
        .clone();
    assert_ne!(v2, v1, "an edited file gets a new version");
    assert_eq!(hotline_version(&mut server).await, v2);

    let fresh = start_call(&mut server, "fresh").await;
    assert_eq!(said(&fresh), [NEW_OPENING]);
    assert_eq!(fresh.flow_version, v2);

    // The live call's next turn still speaks from the version it started with.
    let turn = server
        .calls
        .send_event(event("live", 1, speech("我想办理套餐")))
        .await
        .expect("SendEvent")
        .into_inner();
    assert_eq!(turn.flow_version, v1);
    assert_eq!(said(&turn), [OLD_BILL]);

    let turn = server
        .calls
        .send_event(event("fresh", 1, speech("我想办理套餐")))
        .await
        .expect("SendEvent")
        .into_inner();
    assert_eq!(said(&turn), [NEW_BILL]);
    server.stop().await;
}

#[tokio::test]
async fn a_broken_edit_is_reported_and_the_last_good_version_keeps_serving() {
    let tmp = copy_flows();
    let hotline = tmp.path().join("hotline.toml");
    let mut server = server_on(tmp.path()).await;

    edit_hotline(&hotline);
    server
        .flows
        .reload_flows(pb::ReloadFlowsRequest {})
        .await
        .expect("ReloadFlows");
    let good = hotline_version(&mut server).await;

    // N10: a transfer without its consent prompt.
    let broken = edit_file(&hotline, "consent = \"transfer_consent\"\n", "");
    let line = transfer_step_line(&broken);
    let reloaded = server
        .flows
        .reload_flows(pb::ReloadFlowsRequest {})
        .await
        .expect("ReloadFlows")
        .into_inner();
    let expected = pb::Diagnostic {
        severity: pb::Severity::Error as i32,
        file: hotline.display().to_string(),
        line: line as u32,
        column: 1,
        norm: "N10".into(),
        message: "transfer step \"to_agent\" needs `consent`: the caller is told why and asked before any transfer".into(),
    };
    assert_eq!(reloaded.problems, vec![expected.clone()]);

    let list = server
        .flows
        .list_flows(pb::ListFlowsRequest {})
        .await
        .expect("ListFlows")
        .into_inner();
    assert_eq!(
        list.problems,
        vec![expected],
        "ListFlows keeps reporting the problem"
    );
    let listed = list
        .flows
        .iter()
        .find(|f| f.id == "hotline")
        .expect("hotline still listed");
    assert_eq!(listed.version, good, "the last good version keeps serving");
    assert_eq!(listed.source_file, hotline.display().to_string());
    assert_eq!(listed.locales, ["zh-CN", "zh-TW", "en"]);
    assert!(
        chrono::DateTime::parse_from_rfc3339(&listed.loaded_at).is_ok(),
        "loaded_at is RFC 3339: {}",
        listed.loaded_at
    );

    let call = start_call(&mut server, "after-broken-edit").await;
    assert_eq!(call.flow_version, good);
    assert_eq!(said(&call), [NEW_OPENING]);
    server.stop().await;
}

/// The watcher reacts to the file system on the real clock, so this test
/// polls ListFlows with a bounded loop (50 ms steps, at most 5 s) instead of
/// pausing time; every other reload test calls ReloadFlows explicitly.
#[tokio::test]
async fn the_watcher_swaps_in_an_edited_file() {
    let tmp = copy_flows();
    let hotline = tmp.path().join("hotline.toml");
    let registry =
        Arc::new(FlowRegistry::load_dir(tmp.path(), None).expect("the copied flows load"));
    let _watcher =
        callscript::server::watch::FileWatcher::start(callscript::server::watch::Reloads {
            flows: Some(registry.clone()),
            tokens: None,
        })
        .expect("watch the flows directory")
        .expect("a directory registry has a watcher");
    let mut server = start_server_with(registry, EngineSettings::default()).await;
    let v1 = hotline_version(&mut server).await;

    edit_hotline(&hotline);
    let mut version = v1.clone();
    for _ in 0..100 {
        version = hotline_version(&mut server).await;
        if version != v1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_ne!(version, v1, "the edit was picked up within 5 s");
    let call = start_call(&mut server, "watched").await;
    assert_eq!(said(&call), [NEW_OPENING]);
    assert_eq!(call.flow_version, version);
    server.stop().await;
}

// === CheckFlow ===

#[tokio::test]
async fn check_flow_reports_diagnostics_without_installing_anything() {
    let mut server = start_server().await;
    let hotline =
        std::fs::read_to_string(shipped_flows().join("hotline.toml")).expect("hotline.toml");

    let ok = server
        .flows
        .check_flow(pb::CheckFlowRequest {
            source: hotline.clone(),
            file_name: "hotline.toml".into(),
            strict: true,
        })
        .await
        .expect("CheckFlow")
        .into_inner();
    assert_eq!(
        ok,
        pb::CheckFlowResponse {
            ok: true,
            diagnostics: vec![]
        }
    );

    let bad = hotline
        .replacen("reason = \"caller asked for an agent\"\n", "", 1)
        .replacen("id = \"hotline\"", "id = \"hotline_draft\"", 1);
    assert_ne!(bad, hotline);
    let line = transfer_step_line(&bad);
    let checked = server
        .flows
        .check_flow(pb::CheckFlowRequest {
            source: bad,
            file_name: String::new(),
            strict: false,
        })
        .await
        .expect("CheckFlow")
        .into_inner();
    assert_eq!(
        checked,
        pb::CheckFlowResponse {
            ok: false,
            diagnostics: vec![pb::Diagnostic {
                severity: pb::Severity::Error as i32,
                file: "request.toml".into(),
                line: line as u32,
                column: 1,
                norm: "N10".into(),
                message: "transfer step \"to_agent\" needs `reason`: the reason for the transfer"
                    .into(),
            }],
        }
    );
    let list = server
        .flows
        .list_flows(pb::ListFlowsRequest {})
        .await
        .expect("ListFlows")
        .into_inner();
    assert!(
        list.flows.iter().all(|f| f.id != "hotline_draft"),
        "a checked flow is not installed"
    );
    server.stop().await;
}

// === The command line ===

fn callscript(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_callscript"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run the callscript binary")
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("stdout is UTF-8")
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `check` on a directory without holidays.toml (N4).
const NO_HOLIDAYS: &str = "flows/holidays.toml:1:1: warning[N4]: no holidays.toml in flows: holiday openings fall back to the computed days (1 Jan, lunar 1/1, 1 May, lunar 8/15, 1 Oct), not the official notice periods\n  = see docs/norms.md#n4\n";

/// The calendar advisory `check` prints for the shipped holidays file as
/// `path` today (from 1 December while next year's notice is missing);
/// tests/hours.rs tests both sides of that date.
fn advisory(path: &str) -> String {
    let text = std::fs::read_to_string(shipped_flows().join("holidays.toml")).expect("read");
    let calendar = callscript::calendar::HolidayCalendar::from_toml(path, &text).expect("parses");
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive();
    calendar
        .missing_next_notice(today)
        .map(|note| format!("{path}: advisory: {note}\n"))
        .unwrap_or_default()
}

#[test]
fn check_strict_passes_on_the_shipped_flows() {
    let out = callscript(&repo(), &["check", "--strict", "flows/"]);
    assert_eq!(
        stdout(&out),
        format!(
            "{}checked 5 files: 0 errors, 0 warnings\n",
            advisory("flows/holidays.toml")
        )
    );
    assert_eq!(out.status.code(), Some(0));
}

/// A directory `flows/` holding one hotline copy with a broken transfer
/// step and one with a missing holiday opening (a warning only).
fn broken_dir() -> (tempfile::TempDir, usize) {
    let tmp = tempfile::tempdir().expect("create a temporary directory");
    std::fs::create_dir(tmp.path().join("flows")).expect("create flows/");
    let hotline =
        std::fs::read_to_string(shipped_flows().join("hotline.toml")).expect("hotline.toml");
    let broken = hotline
        .replacen("consent = \"transfer_consent\"\n", "", 1)
        .replacen("reason = \"caller asked for an agent\"\n", "", 1);
    let line = transfer_step_line(&broken);
    std::fs::write(tmp.path().join("flows/a_broken.toml"), broken).expect("write a_broken.toml");
    (tmp, line)
}

fn warning_only(dir: &Path) -> usize {
    let hotline =
        std::fs::read_to_string(shipped_flows().join("hotline.toml")).expect("hotline.toml");
    let start = hotline
        .find("[prompts.opening_national_day]")
        .expect("the National Day opening");
    let end = start
        + hotline[start..]
            .find("\n\n")
            .expect("a blank line after the prompt")
        + 2;
    let text = format!("{}{}", &hotline[..start], &hotline[end..]).replacen(
        "id = \"hotline\"",
        "id = \"hotline2\"",
        1,
    );
    std::fs::write(dir.join("flows/b_warning.toml"), &text).expect("write b_warning.toml");
    text.lines()
        .position(|l| l.starts_with("id = "))
        .expect("the id line")
        + 1
}

#[test]
fn check_reports_errors_with_file_line_and_column_and_exits_1() {
    let (tmp, line) = broken_dir();
    let out = callscript(tmp.path(), &["check", "flows"]);
    assert_eq!(
        stdout(&out),
        format!(
            "flows/a_broken.toml:{line}:1: error[N10]: transfer step \"to_agent\" needs `consent`: the caller is told why and asked before any transfer\n\
             \x20 = see docs/norms.md#n10\n\
             flows/a_broken.toml:{line}:1: error[N10]: transfer step \"to_agent\" needs `reason`: the reason for the transfer\n\
             \x20 = see docs/norms.md#n10\n\
             {NO_HOLIDAYS}\
             checked 1 file: 2 errors, 1 warning\n"
        )
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn check_strict_fails_on_warnings_only() {
    let tmp = tempfile::tempdir().expect("create a temporary directory");
    std::fs::create_dir(tmp.path().join("flows")).expect("create flows/");
    let line = warning_only(tmp.path());
    std::fs::copy(
        shipped_flows().join("holidays.toml"),
        tmp.path().join("flows/holidays.toml"),
    )
    .expect("copy holidays.toml");
    let warning = format!(
        "flows/b_warning.toml:{line}:6: warning[N4]: no prompt \"opening_national_day\": that holiday gets the normal opening (set greeting.holidays = false to mean it)\n\
         \x20 = see docs/norms.md#n4\n"
    );

    let advisory = advisory("flows/holidays.toml");
    let out = callscript(tmp.path(), &["check", "flows"]);
    assert_eq!(
        stdout(&out),
        format!("{warning}{advisory}checked 2 files: 0 errors, 1 warning\n")
    );
    assert_eq!(out.status.code(), Some(0));

    let out = callscript(tmp.path(), &["check", "--strict", "flows"]);
    assert_eq!(
        stdout(&out),
        format!(
            "{warning}{advisory}checked 2 files: 0 errors, 1 warning (--strict: warnings fail)\n"
        )
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn check_json_lists_every_diagnostic() {
    let (tmp, line) = broken_dir();
    let warning_line = warning_only(tmp.path());
    let out = callscript(tmp.path(), &["check", "--format", "json", "flows"]);
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value =
        serde_json::from_str(&stdout(&out)).expect("--format json prints JSON");
    assert_eq!(
        report,
        serde_json::json!({
            "files": ["flows/a_broken.toml", "flows/b_warning.toml"],
            "errors": 2,
            "warnings": 2,
            "ok": false,
            "advisories": [],
            "diagnostics": [
                {
                    "severity": "error", "file": "flows/a_broken.toml", "line": line, "column": 1, "norm": "N10",
                    "message": "transfer step \"to_agent\" needs `consent`: the caller is told why and asked before any transfer",
                    "see": "docs/norms.md#n10",
                },
                {
                    "severity": "error", "file": "flows/a_broken.toml", "line": line, "column": 1, "norm": "N10",
                    "message": "transfer step \"to_agent\" needs `reason`: the reason for the transfer",
                    "see": "docs/norms.md#n10",
                },
                {
                    "severity": "warning", "file": "flows/b_warning.toml", "line": warning_line, "column": 6, "norm": "N4",
                    "message": "no prompt \"opening_national_day\": that holiday gets the normal opening (set greeting.holidays = false to mean it)",
                    "see": "docs/norms.md#n4",
                },
                {
                    "severity": "warning", "file": "flows/holidays.toml", "line": 1, "column": 1, "norm": "N4",
                    "message": "no holidays.toml in flows: holiday openings fall back to the computed days (1 Jan, lunar 1/1, 1 May, lunar 8/15, 1 Oct), not the official notice periods",
                    "see": "docs/norms.md#n4",
                },
            ],
        })
    );
}

#[test]
fn schema_prints_the_shipped_schema() {
    let out = callscript(&repo(), &["schema"]);
    assert_eq!(out.status.code(), Some(0));
    let shipped = std::fs::read_to_string(repo().join("flows/flow.schema.json"))
        .expect("flows/flow.schema.json");
    assert!(
        stdout(&out) == shipped,
        "`callscript schema` prints flows/flow.schema.json"
    );
}

/// The 1-based line of the hotline's transfer step header, where the
/// compiler reports a transfer step's missing keys.
fn transfer_step_line(flow_text: &str) -> usize {
    flow_text
        .lines()
        .position(|l| l == "[steps.to_agent]")
        .expect("the transfer step")
        + 1
}
