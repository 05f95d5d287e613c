//! Greeting selection as a script designer and an operator meet it: flow
//! settings, the `greeting` command, and holiday notices reloaded without a
//! rebuild (N2-N4).

mod common;

use std::{process::Command, sync::Arc};

use callscript::{engine::EngineSettings, flow::FlowRegistry};
use common::*;

const HOTLINE: &str = include_str!("../flows/hotline.toml");
const HOLIDAYS: &str = include_str!("../flows/holidays.toml");

/// The hotline with its `[greeting]` table changed and an extra prompt.
fn hotline_with(greeting_extra: &str, holidays_on: bool) -> String {
    let text = HOTLINE.replacen(
        "holidays = true",
        &format!("holidays = {holidays_on}\n{greeting_extra}"),
        1,
    );
    assert_ne!(
        text,
        HOTLINE.replacen("holidays = true", "", 1),
        "hotline.toml has a `holidays = true` line"
    );
    text + "\n[prompts.opening_anniversary]\n\
            zh-CN = \"周年庆快乐!{centre},请问有什么可以帮您?\"\n\
            zh-TW = \"週年慶快樂!{centre},請問有什麼可以幫您?\"\n\
            en = \"Happy anniversary! This is {centre}. How may I help you?\"\n"
}

async fn opening_text(dir: &std::path::Path, call_id: &str, at: &str) -> String {
    let registry = Arc::new(FlowRegistry::load_dir(dir, None).expect("flows load"));
    let mut s = start_server_with(registry, EngineSettings::default()).await;
    let t = s
        .calls
        .start_call(start(call_id, at))
        .await
        .expect("starts")
        .into_inner();
    s.stop().await;
    said(&t).join("")
}

fn flows_dir(hotline: &str, holidays: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("hotline.toml"), hotline).expect("write flow");
    std::fs::write(dir.path().join("holidays.toml"), holidays).expect("write holidays");
    dir
}

#[tokio::test]
async fn a_flow_can_switch_holiday_openings_off() {
    let on = flows_dir(&hotline_with("", true), HOLIDAYS);
    let off = flows_dir(&hotline_with("", false), HOLIDAYS);
    let at = "2026-10-01T09:30:00+08:00";
    assert_eq!(
        opening_text(on.path(), "on", at).await,
        "国庆节快乐!XX客服中心,请问有什么可以帮您!"
    );
    assert_eq!(
        opening_text(off.path(), "off", at).await,
        "早上好!XX欢迎您的来电,请问有什么可以帮您?"
    );
}

#[tokio::test]
async fn a_flows_special_day_wins_over_holidays_and_day_parts() {
    let special = "[[greeting.special_days]]\nname = \"company anniversary\"\nfrom = \"2026-10-01\"\nto = \"2026-10-02\"\nprompt = \"opening_anniversary\"\n";
    let dir = flows_dir(&hotline_with(special, true), HOLIDAYS);
    assert_eq!(
        opening_text(dir.path(), "a1", "2026-10-02T17:00:00+08:00").await,
        "周年庆快乐!XX客服中心,请问有什么可以帮您?"
    );
    // The day after, National Day's notice period applies again.
    assert_eq!(
        opening_text(dir.path(), "a2", "2026-10-03T17:00:00+08:00").await,
        "国庆节快乐!XX客服中心,请问有什么可以帮您!"
    );
}

#[tokio::test]
async fn operators_add_a_years_notice_without_a_rebuild() {
    let dir = flows_dir(HOTLINE, HOLIDAYS);
    let registry = Arc::new(FlowRegistry::load_dir(dir.path(), None).expect("flows load"));
    let mut s = start_server_with(registry.clone(), EngineSettings::default()).await;
    let at = "2027-10-05T15:00:00+08:00";

    // No notice for 2027 yet: only 1 October itself is National Day.
    let t = s
        .calls
        .start_call(start("before", at))
        .await
        .expect("starts")
        .into_inner();
    assert_eq!(said(&t), ["您好,XX欢迎您的来电,请问有什么可以帮您?"]);

    let notice = "\n[notice.2027]\nnew_year = { first = 2027-01-01, last = 2027-01-01 }\n\
                  spring_festival = { first = 2027-02-05, last = 2027-02-12 }\n\
                  labour_day = { first = 2027-05-01, last = 2027-05-05 }\n\
                  mid_autumn = { first = 2027-09-15, last = 2027-09-15 }\n\
                  national_day = { first = 2027-10-01, last = 2027-10-07 }\n";
    std::fs::write(
        dir.path().join("holidays.toml"),
        format!("{HOLIDAYS}{notice}"),
    )
    .expect("edit holidays");
    s.flows
        .reload_flows(callscript::grpc::pb::ReloadFlowsRequest {})
        .await
        .expect("reload");
    let t = s
        .calls
        .start_call(start("after", at))
        .await
        .expect("starts")
        .into_inner();
    assert_eq!(said(&t), ["国庆节快乐!XX客服中心,请问有什么可以帮您!"]);

    // A broken edit is reported with its position and the last good
    // calendar keeps serving.
    std::fs::write(dir.path().join("holidays.toml"), format!("{HOLIDAYS}{notice}\n[notice.2028]\nnational_day = {{ first = 2028-10-07, last = 2028-10-01 }}\n")).expect("edit");
    let listing = s
        .flows
        .reload_flows(callscript::grpc::pb::ReloadFlowsRequest {})
        .await
        .expect("reload")
        .into_inner();
    let problem = listing
        .problems
        .first()
        .expect("the broken calendar is reported");
    assert!(problem.file.ends_with("holidays.toml"), "{problem:?}");
    assert!(problem.line > 1 && problem.column > 0, "{problem:?}");
    let t = s
        .calls
        .start_call(start("still", at))
        .await
        .expect("starts")
        .into_inner();
    assert_eq!(said(&t), ["国庆节快乐!XX客服中心,请问有什么可以帮您!"]);
    s.stop().await;
}

#[test]
fn the_greeting_command_says_which_rule_matched() {
    let run = |at: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_callscript"))
            .args(["greeting", "--flow", "hotline", "--at", at, "--flows"])
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/flows"))
            .output()
            .expect("callscript runs");
        assert!(out.status.success());
        String::from_utf8(out.stdout).expect("utf-8 output")
    };
    let out = run("2026-10-01T09:30:00+08:00");
    assert!(
        out.contains("rule:   holiday: National Day: 2026 notice period 2026-10-01..2026-10-07\n"),
        "{out}"
    );
    assert!(out.contains("prompt: opening_national_day\n"), "{out}");
    assert!(
        out.contains("  zh-CN: 国庆节快乐!XX客服中心,请问有什么可以帮您!\n"),
        "{out}"
    );

    // Years without a notice fall back to the computed day; in 2031 lunar
    // 8/15 falls on 1 October and Mid-Autumn wins.
    let out = run("2032-10-01T15:00:00+08:00");
    assert!(
        out.contains("rule:   holiday: National Day: computed day"),
        "{out}"
    );
    let out = run("2031-10-01T15:00:00+08:00");
    assert!(
        out.contains("rule:   holiday: Mid-Autumn: computed day (lunar 8/15)"),
        "{out}"
    );

    let out = run("2026-11-23T11:59:59+08:00");
    assert!(out.contains("rule:   morning (before 12:00)\n"), "{out}");
    let out = run("2026-11-23T12:00:00+08:00");
    assert!(
        out.contains("rule:   normal opening (afternoon)\n"),
        "{out}"
    );
}
