//! The call store failing under live calls (issue 27), against a real
//! redis-server: a stall across a silence deadline (SIGSTOP), a store that
//! lost its data (FLUSHALL, as a Redis restarted empty), and both under
//! load on two replicas. Real processes on the real clock, with the listen
//! shortened to 1.5 s in a copy of the shipped flows.

use std::{
    collections::HashSet,
    process::{Command, Stdio},
    time::Duration,
};

use callscript::grpc::pb;
use tokio_stream::StreamExt;
use tonic::{Code, Streaming};

#[path = "common/binary.rs"]
mod binary;
#[path = "common/redis.rs"]
mod redis;
#[path = "common/replicas.rs"]
mod replicas;
#[path = "common/turns.rs"]
mod turns;

use binary::ServerProcess;
use redis::RedisServer;
use replicas::{client, converse, quick_flows};
use turns::said;

const REPROMPT: &str = "您好!请问有什么可以帮您?";
const SILENCE_GOODBYE: &str = "非常抱歉,您的电话没有声音,请您换一部电话再打来,再见!";

fn start(id: &str) -> pb::call_event::Kind {
    pb::call_event::Kind::Start(Box::new(pb::StartCallRequest {
        call_id: id.into(),
        at: "2026-11-23T15:00:00+08:00".into(),
        ..Default::default()
    }))
}

/// The pid of the redis-server listening on the test's port.
fn redis_pid(redis: &RedisServer) -> String {
    let out = Command::new("lsof")
        .args(["-t", &format!("-iTCP:{}", redis.port), "-sTCP:LISTEN"])
        .output()
        .expect("lsof runs");
    let pid = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert!(!pid.is_empty(), "redis-server's pid");
    pid
}

/// Sends `signal` (STOP: the store stalls; CONT) to redis-server.
fn signal(pid: &str, signal: &str) {
    let status = Command::new("kill")
        .args([&format!("-{signal}"), pid])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill -{signal} redis-server");
}

/// Every message of a stream until it ends: the turns, then how it ended
/// (`None`: closed without a status).
async fn drain(
    turns: &mut Streaming<pb::Turn>,
    within: Duration,
) -> (Vec<pb::Turn>, Option<tonic::Status>) {
    let mut got = Vec::new();
    let end = tokio::time::timeout(within, async {
        loop {
            match turns.next().await {
                Some(Ok(turn)) => got.push(turn),
                Some(Err(status)) => return Some(status),
                None => return None,
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("the stream ends within {within:?}; it gave {got:?}"));
    (got, end)
}

/// The turn seqs a call's stored transcript lists, and its notes.
async fn stored(server: &ServerProcess, id: &str) -> (Vec<u64>, Vec<String>) {
    let record = client(server)
        .await
        .get_call(pb::GetCallRequest { call_id: id.into() })
        .await
        .expect("the record")
        .into_inner();
    let mut seqs = Vec::new();
    let mut notes = Vec::new();
    for entry in record.transcript {
        match entry.entry {
            Some(pb::transcript_entry::Entry::Turn(t)) => seqs.push(t.seq),
            Some(pb::transcript_entry::Entry::Fault(f)) => notes.push(f.detail),
            Some(pb::transcript_entry::Entry::Event(_)) | None => {}
        }
    }
    (seqs, notes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_stall_across_a_deadline_delays_the_prompt_and_never_drops_it() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let flows = quick_flows();
    let url = redis.url();
    let server = ServerProcess::start_in(
        flows.path(),
        &[("CALLSCRIPT_STORE", url.as_str())],
        Stdio::null(),
    );
    let (_tx, mut turns) = converse(&mut client(&server).await, start("stalled"))
        .await
        .expect("Converse");
    let opening = turns.next().await.expect("open").expect("the opening");
    assert_eq!(opening.seq, 1);
    // Redis stops before the reprompt is due (1.5 s) and for 3 s.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let pid = redis_pid(&redis);
    signal(&pid, "STOP");
    tokio::time::sleep(Duration::from_secs(3)).await;
    signal(&pid, "CONT");

    let (got, end) = drain(&mut turns, Duration::from_secs(20)).await;
    assert!(end.is_none(), "the call ends normally: {end:?}");
    let seqs: Vec<u64> = got.iter().map(|t| t.seq).collect();
    assert_eq!(seqs, [2, 3, 4], "every turn once, in order: {got:?}");
    assert_eq!(said(&got[0]), [REPROMPT]);
    assert_eq!(said(&got[1]), [SILENCE_GOODBYE]);
    assert!(got[2].ended);

    let (stored_seqs, notes) = stored(&server, "stalled").await;
    assert_eq!(
        stored_seqs,
        [1, 2, 3, 4],
        "the transcript lists what was sent"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.contains("call store") && n.contains(" ms ")),
        "the transcript says how late: {notes:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_that_lost_its_data_ends_converse_calls_clearly_and_drops_their_deadlines() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let log = dir.path().join("log");
    let url = redis.url();
    let flows = quick_flows();
    let server = ServerProcess::start_in(
        flows.path(),
        &[
            ("CALLSCRIPT_STORE", url.as_str()),
            ("CALLSCRIPT_IDLE_TIMEOUT_MS", "1000"),
        ],
        Stdio::from(std::fs::File::create(&log).expect("log")),
    );
    let (_tx, mut turns) = converse(&mut client(&server).await, start("wiped"))
        .await
        .expect("Converse");
    turns.next().await.expect("open").expect("the opening");
    // A front-end that sent all it had (half-closed): still told.
    let (half_tx, mut half) = converse(&mut client(&server).await, start("half-closed"))
        .await
        .expect("Converse");
    half.next().await.expect("open").expect("the opening");
    drop(half_tx);
    client(&server)
        .await
        .start_call(pb::StartCallRequest {
            call_id: "unary-wiped".into(),
            at: "2026-11-23T15:00:00+08:00".into(),
            ..Default::default()
        })
        .await
        .expect("a unary call");
    assert_eq!(redis.command(&["FLUSHALL"]), "+OK");

    // Within a lease renewal (1 s), not the 167 s of dead air.
    let (got, end) = drain(&mut turns, Duration::from_secs(5)).await;
    let last = got.last().expect("a last turn before the status");
    assert!(last.ended, "{last:?}");
    let status = end.expect("a status");
    assert_eq!(status.code(), Code::DataLoss, "{status:?}");
    assert!(
        status.message().contains("lost this call"),
        "{}",
        status.message()
    );
    let (_, end) = drain(&mut half, Duration::from_secs(5)).await;
    assert_eq!(end.map(|s| s.code()), Some(Code::DataLoss));

    // A due entry for a call the store lost (a refused write's pipelined
    // ZADD puts one back after a wipe): once the call's own deadline
    // (listen 1.5 s + idle 1 s) has passed, it is dropped after one
    // warning, not claimed again every 30 s for ever.
    assert_eq!(redis.command(&["ZADD", "cs:due", "0", "unary-wiped"]), ":1");
    let dropped = (0..100).any(|_| {
        std::thread::sleep(Duration::from_millis(100));
        redis.command(&["ZSCORE", "cs:due", "unary-wiped"]) == "$-1"
    });
    assert!(dropped, "the deadline of a call the store lost is dropped");
    tokio::time::sleep(Duration::from_secs(1)).await;
    drop(server);
    let log = std::fs::read_to_string(&log).expect("log");
    let dropped = log
        .lines()
        .filter(|l| l.contains("its deadline is dropped"))
        .count();
    assert_eq!(dropped, 1, "{log}");
}

/// 100 Converse calls on two replicas; Redis stops for 3 s across their
/// first silence deadline, and later loses everything. Every caller
/// hears every prompt in order or gets a clear end; no stored transcript
/// lists a turn its caller was not sent; the replicas' logs stay short.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_a_stall_then_a_wipe_under_100_calls_on_two_replicas() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let flows = quick_flows();
    let dir = tempfile::tempdir().expect("temp dir");
    let url = redis.url();
    let env = [("CALLSCRIPT_STORE", url.as_str())];
    let logs = [dir.path().join("a.log"), dir.path().join("b.log")];
    let replicas: Vec<ServerProcess> = logs
        .iter()
        .map(|l| {
            ServerProcess::start_in(
                flows.path(),
                &env,
                Stdio::from(std::fs::File::create(l).expect("log")),
            )
        })
        .collect();
    let mut calls = Vec::new();
    for n in 0..100 {
        let server = &replicas[n % 2];
        let id = format!("chaos-{n:03}");
        let (tx, mut turns) = converse(&mut client(server).await, start(&id))
            .await
            .expect("Converse");
        let opening = turns.next().await.expect("open").expect("the opening");
        assert_eq!(opening.seq, 1);
        calls.push((id, n % 2, tx, turns));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let pid = redis_pid(&redis);
    signal(&pid, "STOP");
    tokio::time::sleep(Duration::from_secs(3)).await;
    signal(&pid, "CONT");
    // The calls take their second silence prompt (each 1.5 s after the
    // late first one), then Redis loses everything.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let mut heard: Vec<Vec<pb::Turn>> = Vec::new();
    // What each stream has received so far, and what the store says.
    for (id, replica, _, turns) in &mut calls {
        let mut got = Vec::new();
        while let Ok(Some(Ok(turn))) =
            tokio::time::timeout(Duration::from_millis(5), turns.next()).await
        {
            got.push(turn);
        }
        let (stored_seqs, _) = stored(&replicas[*replica], id).await;
        let sent: HashSet<u64> = std::iter::once(1)
            .chain(got.iter().map(|t| t.seq))
            .collect();
        for seq in &stored_seqs {
            assert!(
                sent.contains(seq) || *seq == stored_seqs.len() as u64,
                "{id}: turn {seq} is stored but was never sent (sent {sent:?}, stored {stored_seqs:?})"
            );
        }
        heard.push(got);
    }
    assert_eq!(redis.command(&["FLUSHALL"]), "+OK");
    for ((id, _, _, turns), before) in calls.iter_mut().zip(&heard) {
        let (got, end) = drain(turns, Duration::from_secs(15)).await;
        let all: Vec<&pb::Turn> = before.iter().chain(&got).collect();
        let seqs: Vec<u64> = std::iter::once(1)
            .chain(all.iter().map(|t| t.seq))
            .collect();
        let expected: Vec<u64> = (1..=seqs.len() as u64).collect();
        assert_eq!(seqs, expected, "{id}: every turn once, in order");
        let clear_end = match &end {
            None => all.last().is_some_and(|t| t.ended),
            Some(status) => status.code() == Code::DataLoss,
        };
        assert!(
            clear_end,
            "{id}: a hang-up or a clear status, not dead air: {got:?} {end:?}"
        );
    }
    drop(replicas);
    for log in &logs {
        let lines = std::fs::read_to_string(log).expect("log").lines().count();
        assert!(lines < 600, "{}: {lines} lines", log.display());
    }
}
