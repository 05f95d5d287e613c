//! Quality scores over gRPC (N18): GetCall and EndCall score the service's
//! own calls, `callscript.v1.Quality/ScoreTranscript` scores any transcript,
//! and reflection lists the service.

mod common;

use callscript::grpc::pb::{self, quality_client::QualityClient};
use common::{event, hangup, lookup_result, said, speech, start, start_server};
use tonic::Code;

const AFTERNOON: &str = "2026-11-23T15:00:00+08:00";

fn rules(q: &pb::QualityResult) -> Vec<(&str, f64)> {
    q.deductions
        .iter()
        .map(|d| (d.rule.as_str(), d.t))
        .collect()
}

#[tokio::test]
async fn a_hotline_call_by_the_norms_scores_100_and_keeps_it_when_ended() {
    let mut server = start_server().await;
    let c = &mut server.calls;
    c.start_call(start("q1", AFTERNOON))
        .await
        .expect("StartCall");
    c.send_event(event("q1", 1, speech("我想查一下账单")))
        .await
        .expect("bill");
    c.send_event(event("q1", 2, lookup_result("bill", "amount", "58.50")))
        .await
        .expect("the bill's amount");
    let goodbye = c
        .send_event(event("q1", 3, speech("没有了,谢谢")))
        .await
        .expect("goodbye")
        .into_inner();
    assert_eq!(said(&goodbye), ["谢谢您,祝您愉快!再见。"]);
    let live = c
        .get_call(pb::GetCallRequest {
            call_id: "q1".into(),
        })
        .await
        .expect("GetCall")
        .into_inner();
    let q = live.quality.expect("a live call is scored so far");
    assert_eq!((q.score, rules(&q)), (100, vec![]));
    assert_eq!(q.call, "q1");

    c.send_event(event("q1", 4, hangup()))
        .await
        .expect("caller hangs up");
    let ended = c
        .get_call(pb::GetCallRequest {
            call_id: "q1".into(),
        })
        .await
        .expect("GetCall")
        .into_inner();
    assert!(ended.ended);
    let q = ended.quality.expect("an ended call keeps its score");
    assert_eq!((q.score, rules(&q), q.partial), (100, vec![], false));
    server.stop().await;
}

/// An operator cutting a caller off mid-consultation is the service hanging
/// up first without a goodbye: the record says so.
#[tokio::test]
async fn an_operator_ending_a_call_mid_consultation_loses_points() {
    let mut server = start_server().await;
    let c = &mut server.calls;
    c.start_call(start("q2", AFTERNOON))
        .await
        .expect("StartCall");
    c.send_event(event("q2", 1, speech("我想查一下账单")))
        .await
        .expect("bill");
    c.send_event(event("q2", 2, lookup_result("bill", "amount", "58.50")))
        .await
        .expect("the bill's amount");
    let ended = c
        .end_call(pb::EndCallRequest {
            call_id: "q2".into(),
        })
        .await
        .expect("EndCall")
        .into_inner();
    let q = ended.quality.expect("EndCall's record is scored");
    // The missing goodbye is a centre extra, off by default.
    assert_eq!(q.score, 94, "{q:#?}");
    let d: Vec<(&str, &str, u32, u32, &str)> = q
        .deductions
        .iter()
        .map(|d| {
            (
                d.rule.as_str(),
                d.norm.as_str(),
                d.item,
                d.points,
                d.evidence.as_str(),
            )
        })
        .collect();
    assert_eq!(
        d,
        [("agent_hung_up_first", "N12", 8, 6, "您还需要别的帮助吗?"),]
    );
    let again = c
        .get_call(pb::GetCallRequest {
            call_id: "q2".into(),
        })
        .await
        .expect("GetCall")
        .into_inner();
    assert_eq!(again.quality, Some(q));
    server.stop().await;
}

#[tokio::test]
async fn score_transcript_gives_what_callscript_score_gives() {
    let server = start_server().await;
    let channel = tonic::transport::Channel::from_shared(format!("http://{}", server.addr))
        .expect("uri")
        .connect()
        .await
        .expect("connect");
    let mut quality = QualityClient::new(channel);
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/quality/refused-then-hung-up.zh-CN.jsonl"),
    )
    .expect("transcript");
    let q = quality
        .score_transcript(pb::ScoreTranscriptRequest { transcript: text })
        .await
        .expect("ScoreTranscript")
        .into_inner();
    assert_eq!(q.score, 84);
    assert_eq!(q.call, "refused-then-hung-up");
    assert_eq!(
        rules(&q),
        [
            ("agent_number_refused", 15.2),
            ("agent_hung_up_first", 23.0)
        ]
    );
    assert_eq!(
        q.deductions[0].evidence,
        "这个不方便透露,您还是说您的问题吧。"
    );
    assert_eq!((q.deductions[0].item, q.deductions[0].points), (2, 10));

    let partial = quality
        .score_transcript(pb::ScoreTranscriptRequest {
            transcript: "{\"start\": \"2026-11-23T15:00:00+08:00\"}\nnot json\n{\"t\": 0.5, \"who\": \"agent\", \"say\": \"您好,请问有什么可以帮您!\"}\n".into(),
        })
        .await
        .expect("ScoreTranscript")
        .into_inner();
    assert_eq!((partial.score, partial.partial), (100, true));
    assert_eq!(partial.problems[0].line, 2);

    let err = quality
        .score_transcript(pb::ScoreTranscriptRequest {
            transcript: " \n".into(),
        })
        .await
        .expect_err("empty");
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(
        err.message(),
        "transcript: required: a JSON Lines transcript, header line first"
    );
    server.stop().await;
}

/// Runs grpcurl off the runtime's threads (the server runs on them).
async fn grpcurl(args: Vec<String>) -> std::process::Output {
    tokio::task::spawn_blocking(move || {
        std::process::Command::new("grpcurl")
            .args(&args)
            .output()
            .expect("grpcurl on the PATH (.ci/run installs it)")
    })
    .await
    .expect("grpcurl ran")
}

/// What a tester with grpcurl sees: the service is listed and callable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpcurl_lists_and_calls_the_quality_service() {
    let server = start_server().await;
    let addr = server.addr.to_string();
    let list = grpcurl(vec!["-plaintext".into(), addr.clone(), "list".into()]).await;
    let list = String::from_utf8_lossy(&list.stdout).into_owned();
    assert!(list.lines().any(|l| l == "callscript.v1.Quality"), "{list}");
    let body = serde_json::json!({
        "transcript": "{\"start\": \"2026-11-23T09:00:00+08:00\"}\n{\"t\": 0.5, \"who\": \"agent\", \"say\": \"您好,XX欢迎您的来电\"}\n{\"t\": 6, \"who\": \"agent\", \"say\": \"喂,说话呀\"}\n"
    })
    .to_string();
    let out = grpcurl(vec![
        "-plaintext".into(),
        "-d".into(),
        body,
        addr,
        "callscript.v1.Quality/ScoreTranscript".into(),
    ])
    .await;
    let reply: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON reply");
    // The plain opening in the morning is a centre extra, off by default;
    // the commanding words are the table's item 1.
    assert_eq!(reply["score"], 90, "{reply}");
    assert_eq!(reply["deductions"][0]["rule"], "forbidden_wording");
    assert_eq!(reply["deductions"][0]["label"], "item 1");
    server.stop().await;
}

/// An edit to quality.toml counts at the next score, like a flow edit; a
/// broken edit leaves the last good rules scoring.
#[tokio::test]
async fn an_edited_rules_file_counts_at_the_next_score_and_a_broken_one_changes_nothing() {
    use std::sync::Arc;

    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("quality.toml");
    let shipped =
        std::fs::read_to_string(common::shipped_flows().join("quality.toml")).expect("rules");
    std::fs::write(&file, &shipped).expect("write");

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let registry = Arc::new(
        callscript::flow::FlowRegistry::load_dir(common::shipped_flows(), None).expect("flows"),
    );
    let settings = callscript::server::ServerSettings {
        quality_file: Some(file.clone()),
        ..Default::default()
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(callscript::server::run_with(
        listener,
        registry,
        settings,
        async {
            let _ = stopped.await;
        },
    ));
    let channel = tonic::transport::Channel::from_shared(format!("http://{addr}"))
        .expect("uri")
        .connect()
        .await
        .expect("connect");
    let mut quality = QualityClient::new(channel);
    let transcript = "{\"start\": \"2026-11-23T15:00:00+08:00\"}\n\
        {\"t\": 0.5, \"who\": \"agent\", \"say\": \"您好,XX欢迎您的来电,请问有什么可以帮您?\"}\n\
        {\"t\": 6.0, \"who\": \"agent\", \"say\": \"喂,说话呀\"}\n";
    let mut score = async || {
        quality
            .score_transcript(pb::ScoreTranscriptRequest {
                transcript: transcript.into(),
            })
            .await
            .expect("ScoreTranscript")
            .into_inner()
            .score
    };
    assert_eq!(score().await, 90);

    let milder = shipped.replace(
        "[rules.forbidden_wording]\nnorm = \"N13\"\nitem = 1\npoints = 10",
        "[rules.forbidden_wording]\nnorm = \"N13\"\nitem = 1\npoints = 4",
    );
    assert_ne!(milder, shipped);
    std::fs::write(&file, &milder).expect("edit");
    assert_eq!(score().await, 96, "the edit counts at once");

    std::fs::write(&file, format!("{milder}\n[rules.be_nice]\n")).expect("break");
    assert_eq!(score().await, 96, "the last good rules keep scoring");

    let _ = stop.send(());
    server.await.expect("server task").expect("server ran");
}
