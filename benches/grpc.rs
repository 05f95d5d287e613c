//! The service measured from outside, through its gRPC port.
//!
//! Starts the real `callscript` binary with the reference handler on
//! (`callscript.reference.v1.Reference/Hello`, a bare tonic hello-world) and
//! measures, in one run on one machine:
//!
//! 1. unary throughput and latency of `SendEvent` and `StartCall`, driven by
//!    h2load (an independent load generator), as a ratio to the bare handler
//!    on the same server;
//! 2. the server's resident memory per live call those StartCalls left;
//! 3. concurrent `Converse` streams: how many are held, turns/s through
//!    them, and how late the server-pushed silence prompts arrive;
//! 4. `SendEvent` with Prometheus metrics on (`metrics_listen`) against the
//!    same server build with them off, in alternating rounds.
//!
//! h2load counts a gRPC error as a success (HTTP 200 with a grpc-status in
//! the trailers), so every run is checked: the response bytes must be
//! exactly those of the expected replies (an error reply has no body), and
//! the call's own turn counter must have moved by exactly the number of
//! requests.
//!
//! `cargo bench --bench grpc` for the full run; `cargo test --bench grpc`
//! for the smoke run (needs h2load: `apt-get install nghttp2-client`).
//! `BENCH_AUTH=1` runs the same with `auth_tokens_file` on: every request
//! (h2load's too) carries a bearer token the server checks, so the
//! SendEvent ratio then includes authentication. `BENCH_ATTACKS=1` runs
//! only part 4: the server's memory under oversized requests and a
//! Converse client that never reads. `BENCH_INSTRUCTIONS=1` runs only the
//! instruction count of Hello and SendEvent under callgrind
//! (`grpc/instructions.rs`), the measure that does not move with the
//! machine's load. `BENCH_REDIS=1` runs only StartCall and SendEvent with
//! calls in Redis, over many calls at once, beside bare tonic and the
//! memory store (`grpc/redis.rs`).

#[path = "../tests/common/binary.rs"]
mod binary;
#[path = "grpc/instructions.rs"]
mod instructions;
#[path = "grpc/redis.rs"]
mod redis;
#[path = "../tests/common/redis.rs"]
mod redis_store;
mod support;
#[path = "../tests/common/turns.rs"]
mod turns;

use std::{
    net::SocketAddr,
    path::Path,
    process::{Command, Stdio},
    sync::{
        Arc,
        atomic::{AtomicU32, Ordering},
    },
    time::Duration,
};

use binary::ServerProcess;
use callscript::grpc::{
    pb::{self, calls_client::CallsClient},
    reference_pb,
};
use prost::Message;
use support::{Mode, Table, ms, percentile, require, rss_of};
use tokio::{
    sync::{Barrier, mpsc},
    time::Instant,
};
use tokio_stream::wrappers::UnboundedReceiverStream;
use tonic::{
    Request, Status,
    service::{Interceptor, interceptor::InterceptedService},
    transport::{Channel, Endpoint},
};
use turns::{hangup_reason, listen_ms, prompt_ids};

/// A weekday afternoon: the plain opening, the same for every call.
const AT: &str = "2026-11-23T15:00:00+08:00";
/// Asking for the agent's number: a real turn (matcher, machine,
/// transcript) that leaves the call where it was, so it can repeat.
/// `BENCH_SPEECH` puts other words in its place, to price another path
/// of the matcher (请问您的员工编号: no phrase, the examples decide); they
/// must still ask for the agent's number, or the call moves on.
fn agent_number() -> &'static str {
    static SPEECH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SPEECH.get_or_init(|| std::env::var("BENCH_SPEECH").unwrap_or_else(|_| "你的工号是多少".into()))
}
/// The bare tonic handler every ratio is taken against.
const HELLO: &str = "/callscript.reference.v1.Reference/Hello";
const START: &str = "/callscript.v1.Calls/StartCall";

/// The bench's token when BENCH_AUTH is set (an admin, so every RPC the
/// bench makes is allowed).
const BENCH_TOKEN: &str = "bench-admin-token-0123456789";

/// A Calls client that sends the bench token when auth is on.
type Client = CallsClient<InterceptedService<Channel, Bearer>>;

#[derive(Clone)]
struct Bearer(Option<&'static str>);

impl Interceptor for Bearer {
    fn call(&mut self, mut req: Request<()>) -> Result<Request<()>, Status> {
        if let Some(token) = self.0 {
            let value = format!("Bearer {token}").parse().expect("an ASCII token");
            req.metadata_mut().insert("authorization", value);
        }
        Ok(req)
    }
}

fn auth_on() -> bool {
    std::env::var_os("BENCH_AUTH").is_some()
}

/// The server under test, for the panic hook.
static SERVER_PID: AtomicU32 = AtomicU32::new(0);

fn main() {
    // A failed check anywhere (a client task included) must end the run at
    // once and take the server with it, not leave others waiting on it.
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        report(info);
        let pid = SERVER_PID.load(Ordering::Relaxed);
        if pid != 0 {
            let _ = Command::new("kill").arg(pid.to_string()).status();
        }
        std::process::exit(101);
    }));
    let mode = Mode::from_args();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime for the bench client");
    runtime.block_on(run(mode));
}

async fn run(mode: Mode) {
    require(h2load_present(), || {
        "h2load is not installed: apt-get install nghttp2-client (see BENCHMARKS.md)".into()
    });
    if std::env::var_os("BENCH_INSTRUCTIONS").is_some() {
        // BENCH_INSTRUCTIONS_KEEP=dir keeps the callgrind dumps there, for
        // callgrind_annotate to say where the instructions go.
        match std::env::var_os("BENCH_INSTRUCTIONS_KEEP") {
            Some(keep) => {
                let keep = std::path::PathBuf::from(keep);
                std::fs::create_dir_all(&keep).expect("the directory to keep the dumps in");
                instructions::instructions(mode, &keep).await;
            }
            None => {
                let work = tempfile::tempdir().expect("a scratch directory");
                instructions::instructions(mode, work.path()).await;
            }
        }
        return;
    }
    if std::env::var_os("BENCH_REDIS").is_some() {
        let work = tempfile::tempdir().expect("a scratch directory");
        redis::redis(mode, work.path()).await;
        return;
    }
    let server = Server::start();
    println!(
        "callscript {} on {}, {} cores, mode {mode:?}",
        env!("CARGO_PKG_VERSION"),
        server.addr(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let work = tempfile::tempdir().expect("a scratch directory");
    if std::env::var_os("BENCH_ATTACKS").is_some() {
        attacks(&server, mode).await;
        return;
    }
    // BENCH_STREAMS_ONLY=1: only the Converse part, when studying it.
    if std::env::var_os("BENCH_STREAMS_ONLY").is_none() {
        unary(&server, mode, work.path()).await;
        // BENCH_UNARY_ONLY=1: only the unary table, when studying it.
        if std::env::var_os("BENCH_UNARY_ONLY").is_some() {
            return;
        }
        metrics_overhead(&server, mode, work.path()).await;
    }
    streams(&server, mode).await;
    attacks(&server, mode).await;
}

// ---------------------------------------------------------------------------
// 4. Attacks: the server's memory stays bounded.

async fn attacks(server: &Server, mode: Mode) {
    let table = Table::new(
        "Memory under hostile clients (server RSS growth; the limits refuse or end them)",
        &["attack", "requests", "outcome", "server RSS growth"],
    );
    let mut client = server.client().await;

    // 1. StartCall with a 4 MiB caller, over and over.
    let n = mode.pick(1_200, 20);
    let huge = "1".repeat(4 << 20);
    let before = rss_of(&server.pid());
    for i in 0..n {
        let mut req = start_request(&format!("huge-{i}"));
        req.caller = huge.clone();
        let e = client.start_call(req).await.expect_err("refused");
        require(e.code() == tonic::Code::InvalidArgument, || {
            format!("a 4 MiB caller got {e:?}, expected INVALID_ARGUMENT")
        });
    }
    let after = rss_of(&server.pid());
    table.row(&[
        "StartCall with a 4 MiB caller".into(),
        n.to_string(),
        "INVALID_ARGUMENT (max_message_bytes)".into(),
        mib(after.saturating_sub(before)),
    ]);

    // 2. 4 MiB speech events on one live call.
    let n = mode.pick(100, 10);
    client
        .start_call(start_request("huge-speech"))
        .await
        .expect("the call starts");
    let before = rss_of(&server.pid());
    for seq in 1..=n {
        let e = client
            .send_event(pb::CallEvent {
                call_id: "huge-speech".into(),
                seq,
                kind: Some(pb::call_event::Kind::Speech(pb::Speech {
                    text: huge.clone(),
                    confidence: 0.9,
                    intents: Vec::new(),
                })),
            })
            .await
            .expect_err("refused");
        require(e.code() == tonic::Code::InvalidArgument, || {
            format!("a 4 MiB speech got {e:?}")
        });
    }
    let after = rss_of(&server.pid());
    table.row(&[
        "SendEvent with 4 MiB of speech, one call".into(),
        n.to_string(),
        "INVALID_ARGUMENT (max_message_bytes)".into(),
        mib(after.saturating_sub(before)),
    ]);

    // 3. Converse clients that send events as fast as they can and never
    // read a turn.
    let streams = mode.pick(20, 2);
    let lasting = mode.pick(Duration::from_secs(10), Duration::from_secs(1));
    let before = rss_of(&server.pid());
    let mut tasks = Vec::new();
    for i in 0..streams {
        let mut client = server.client().await;
        tasks.push(tokio::spawn(async move {
            let id = format!("never-reads-{i}");
            let (tx, rx) = mpsc::channel::<pb::CallEvent>(1024);
            tx.send(pb::CallEvent {
                call_id: id.clone(),
                seq: 0,
                kind: Some(pb::call_event::Kind::Start(Box::new(start_request("")))),
            })
            .await
            .expect("queued");
            // Held, never read.
            let _turns = client
                .converse(tokio_stream::wrappers::ReceiverStream::new(rx))
                .await
                .expect("the stream opens");
            let until = Instant::now() + lasting;
            let mut sent = 0u64;
            for seq in 1.. {
                let ev = pb::CallEvent {
                    call_id: id.clone(),
                    seq,
                    kind: Some(pb::call_event::Kind::Speech(pb::Speech {
                        text: agent_number().into(),
                        confidence: 0.9,
                        intents: Vec::new(),
                    })),
                };
                match tokio::time::timeout_at(until, tx.send(ev)).await {
                    Ok(Ok(())) => sent += 1,
                    // The deadline, or the server ended the stream.
                    _ => break,
                }
            }
            let record = client
                .get_call(pb::GetCallRequest { call_id: id })
                .await
                .expect("the record")
                .into_inner();
            (sent, record.end_reason)
        }));
    }
    let mut sent = 0;
    for t in tasks {
        let (n, reason) = t.await.expect("the client task");
        sent += n;
        require(reason == pb::EndReason::FrontEndLost as i32, || {
            format!("a client that never reads: end reason {reason}, expected FRONT_END_LOST")
        });
    }
    let after = rss_of(&server.pid());
    table.row(&[
        format!("{streams} Converse clients that never read, {lasting:?}"),
        format!("{sent} events"),
        "each call ends FRONT_END_LOST (max_pushed_backlog)".into(),
        mib(after.saturating_sub(before)),
    ]);
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1 << 20) as f64)
}

// ---------------------------------------------------------------------------
// Unary, through h2load.

/// What one h2load run did, checked.
struct Run {
    req_per_s: f64,
    p50: Duration,
    p99: Duration,
}

async fn unary(server: &Server, mode: Mode, dir: &Path) {
    let n = mode.pick(150_000, 2_000);
    let rounds = mode.pick(5, 1);
    let mut client = server.client().await;

    let hello_body = grpc_frame(&reference_pb::HelloRequest {
        name: "bench".into(),
    });
    let hello_reply = 5 + reference_pb::HelloReply {
        message: "Hello, bench".into(),
    }
    .encoded_len() as u64;

    // One call, fed the same event again and again (seq 0: never treated
    // as a retry, so every request is a real step of the machine).
    let call_id = "bench-send-event";
    client
        .start_call(start_request(call_id))
        .await
        .expect("the SendEvent call starts");
    let event = agent_number_event(call_id);

    // StartCall with no id: the service assigns fixed-width ids, so every
    // reply has the size of this one.
    let start_body = grpc_frame(&start_request(""));
    let sample = client
        .start_call(start_request(""))
        .await
        .expect("a StartCall with an assigned id")
        .into_inner();
    let start_reply = 5 + sample.encoded_len() as u64;

    let mut results: [Vec<Run>; 3] = [Vec::new(), Vec::new(), Vec::new()];
    let mut start_rss = Vec::new();
    // Warm up both paths before measuring anything.
    h2load(server, HELLO, &hello_body, n / 10, dir);
    for round in 0..rounds {
        let run = h2load(server, HELLO, &hello_body, n, dir);
        require(run.data_bytes == n * hello_reply, || {
            format!(
                "Hello: {} response bytes, expected {}",
                run.data_bytes,
                n * hello_reply
            )
        });
        results[0].push(run.result);

        // Every reply must be the call's next turn (`send_events`).
        results[1].push(send_events(server, &mut client, &event, n, dir).await);

        let rss_before = rss_of(&server.pid());
        let run = h2load(server, START, &start_body, n, dir);
        require(run.data_bytes == n * start_reply, || {
            format!(
                "StartCall: {} response bytes, expected {}",
                run.data_bytes,
                n * start_reply
            )
        });
        start_rss.push((rss_of(&server.pid()).saturating_sub(rss_before)) / n);
        results[2].push(run.result);
        eprintln!("round {} of {rounds} done", round + 1);
    }

    let table = Table::new(
        &format!("Unary throughput: h2load -n {n} -c 16 -m 32 -t 1, median of {rounds} rounds"),
        &["RPC", "req/s", "p50", "p99", "ratio to bare (each round)"],
    );
    // Each round's ratio is taken against that round's own bare run, so
    // drift in the machine over the run cancels out.
    let hello_rates: Vec<f64> = results[0].iter().map(|r| r.req_per_s).collect();
    let names = [
        "Reference/Hello (bare tonic)",
        "Calls/SendEvent",
        "Calls/StartCall",
    ];
    for (name, runs) in names.into_iter().zip(results.iter_mut()) {
        let mut ratios: Vec<f64> = runs
            .iter()
            .zip(&hello_rates)
            .map(|(r, hello)| r.req_per_s / hello)
            .collect();
        ratios.sort_by(f64::total_cmp);
        let each = ratios.iter().map(|r| format!("{r:.2}")).collect::<Vec<_>>();
        let m = median_by_rate(runs);
        table.row(&[
            name.into(),
            format!("{:.0}", m.req_per_s),
            ms(m.p50),
            ms(m.p99),
            format!("**{:.2}** ({})", ratios[ratios.len() / 2], each.join(", ")),
        ]);
    }
    start_rss.sort_unstable();
    println!(
        "\nServer memory per live unary call (RSS growth over each StartCall run / {n}): median {} bytes",
        start_rss[start_rss.len() / 2]
    );
}

/// `SendEvent` on a second server with metrics on, against `off` (the
/// main server, metrics off), in alternating rounds so drift cancels out.
/// The metrics-on server must have counted every event it was sent.
async fn metrics_overhead(off: &Server, mode: Mode, dir: &Path) {
    let n = mode.pick(150_000, 2_000);
    let rounds = mode.pick(5, 1);
    let on = Server::start_with(&[("CALLSCRIPT_METRICS_LISTEN", "127.0.0.1:0")]);
    let call_id = "bench-metrics";
    let event = agent_number_event(call_id);
    let mut clients = Vec::new();
    for server in [off, &on] {
        let mut client = server.client().await;
        client
            .start_call(start_request(call_id))
            .await
            .expect("the metrics bench call starts");
        clients.push(client);
    }
    let mut runs: [Vec<Run>; 2] = [Vec::new(), Vec::new()];
    // Warm-up.
    for (server, client) in [off, &on].into_iter().zip(&mut clients) {
        send_events(server, client, &event, n / 10, dir).await;
    }
    for _ in 0..rounds {
        for (i, (server, client)) in [off, &on].into_iter().zip(&mut clients).enumerate() {
            runs[i].push(send_events(server, client, &event, n, dir).await);
        }
    }
    let metrics = on.0.metrics.expect("the metrics address");
    let counted = scrape_sample(metrics, "callscript_events_total{kind=\"speech\"}");
    let sent = (n / 10 + n * rounds as u64 + 2 * (rounds as u64 + 1)) as f64;
    require(counted == Some(sent), || {
        format!("metrics on: counted {counted:?} speech events, sent {sent}")
    });

    let mut ratios: Vec<f64> = runs[1]
        .iter()
        .zip(&runs[0])
        .map(|(on, off)| on.req_per_s / off.req_per_s)
        .collect();
    ratios.sort_by(f64::total_cmp);
    let table = Table::new(
        &format!("SendEvent with metrics on and off: h2load -n {n}, median of {rounds} rounds"),
        &["server", "req/s", "p50", "p99", "on / off (each round)"],
    );
    let each = ratios.iter().map(|r| format!("{r:.3}")).collect::<Vec<_>>();
    for (name, runs) in ["metrics off", "metrics on"]
        .into_iter()
        .zip(runs.iter_mut())
    {
        let m = median_by_rate(runs);
        let ratio = if name == "metrics on" {
            format!("**{:.3}** ({})", ratios[ratios.len() / 2], each.join(", "))
        } else {
            String::new()
        };
        table.row(&[
            name.into(),
            format!("{:.0}", m.req_per_s),
            ms(m.p50),
            ms(m.p99),
            ratio,
        ]);
    }
}

/// One checked h2load run of `SendEvent` (`event`, repeated `n` times) on
/// `server`: every reply must be the call's next turn.
async fn send_events(
    server: &Server,
    client: &mut Client,
    event: &pb::CallEvent,
    n: u64,
    dir: &Path,
) -> Run {
    send_events_as(server, client, event, Load::busy(n), dir).await
}

/// [`send_events`] at a given load.
async fn send_events_as(
    server: &Server,
    client: &mut Client,
    event: &pb::CallEvent,
    load: Load,
    dir: &Path,
) -> Run {
    let n = load.n;
    let before = send(client, event).await;
    let run = h2load_as(
        server,
        "/callscript.v1.Calls/SendEvent",
        &grpc_frame(event),
        load,
        dir,
    );
    let expected: u64 = (before.seq + 1..=before.seq + n)
        .map(|seq| {
            5 + pb::Turn {
                seq,
                ..before.clone()
            }
            .encoded_len() as u64
        })
        .sum();
    require(run.data_bytes == expected, || {
        format!(
            "SendEvent: {} response bytes, expected {expected}",
            run.data_bytes
        )
    });
    let after = send(client, event).await;
    require(after.seq == before.seq + n + 1, || {
        format!(
            "SendEvent: the call took {} turns for {n} requests",
            after.seq - before.seq - 1
        )
    });
    run.result
}

/// One sample's value from the server's `/metrics`.
fn scrape_sample(addr: SocketAddr, series: &str) -> Option<f64> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).ok()?;
    write!(stream, "GET /metrics HTTP/1.0\r\nHost: {addr}\r\n\r\n").ok()?;
    let mut text = String::new();
    stream.read_to_string(&mut text).ok()?;
    text.lines().find_map(|l| {
        l.strip_prefix(series)?
            .strip_prefix(' ')?
            .trim()
            .parse()
            .ok()
    })
}

/// The run with the median rate (its latencies go with it).
fn median_by_rate(runs: &mut [Run]) -> &Run {
    runs.sort_by(|a, b| a.req_per_s.total_cmp(&b.req_per_s));
    &runs[runs.len() / 2]
}

struct Checked {
    result: Run,
    /// Response body bytes (h2load's "data"): the check that replies were real.
    data_bytes: u64,
}

/// How h2load drives a run.
#[derive(Clone, Copy)]
struct Load {
    n: u64,
    connections: u32,
    /// Concurrent streams per connection.
    streams: u32,
}

impl Load {
    /// The throughput runs: 16 connections of 32 streams each.
    fn busy(n: u64) -> Load {
        Load {
            n,
            connections: 16,
            streams: 32,
        }
    }

    /// One request at a time: each is read, handled and written on its
    /// own, so the work per request does not depend on how the server's
    /// speed batches them (the instruction count).
    fn one_at_a_time(n: u64) -> Load {
        Load {
            n,
            connections: 1,
            streams: 1,
        }
    }
}

fn h2load(server: &Server, path: &str, body: &[u8], n: u64, dir: &Path) -> Checked {
    h2load_as(server, path, body, Load::busy(n), dir)
}

fn h2load_as(server: &Server, path: &str, body: &[u8], load: Load, dir: &Path) -> Checked {
    let Load {
        n,
        connections,
        streams,
    } = load;
    let data = dir.join("body.bin");
    let log = dir.join("h2load.log");
    std::fs::write(&data, body).expect("write the request body");
    let out = Command::new("h2load")
        .args(["-n", &n.to_string(), "-t", "1"])
        .args(["-c", &connections.to_string(), "-m", &streams.to_string()])
        .arg("-d")
        .arg(&data)
        .args(["-H", "content-type: application/grpc", "-H", "te: trailers"])
        .args(
            auth_on()
                .then(|| {
                    [
                        "-H".to_owned(),
                        format!("authorization: Bearer {BENCH_TOKEN}"),
                    ]
                })
                .into_iter()
                .flatten(),
        )
        .arg("--log-file")
        .arg(&log)
        .arg(format!("http://{}{path}", server.addr()))
        .output()
        .expect("h2load runs");
    let text = String::from_utf8_lossy(&out.stdout);
    require(out.status.success(), || format!("h2load failed:\n{text}"));
    let succeeded = field_before(&text, "requests:", " succeeded");
    require(succeeded == Some(n), || {
        format!("{path}: h2load did not complete every request:\n{text}")
    });
    let req_per_s = text
        .lines()
        .find_map(|l| l.strip_prefix("finished in "))
        .and_then(|l| l.split(", ").nth(1))
        .and_then(|r| r.trim_end_matches(" req/s").parse::<f64>().ok())
        .unwrap_or(0.0);
    let data_bytes = text
        .lines()
        .find(|l| l.starts_with("traffic:"))
        .and_then(|l| l.rsplit(", ").next())
        .and_then(|d| d.split_once('(')?.1.split_once(')'))
        .and_then(|(bytes, _)| bytes.parse::<u64>().ok())
        .unwrap_or(0);
    let mut latencies: Vec<Duration> = std::fs::read_to_string(&log)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split('\t').nth(2)?.parse::<u64>().ok())
        .map(Duration::from_micros)
        .collect();
    latencies.sort_unstable();
    Checked {
        result: Run {
            req_per_s,
            p50: percentile(&latencies, 50.0),
            p99: percentile(&latencies, 99.0),
        },
        data_bytes,
    }
}

/// The number just before `suffix` on the line starting with `prefix`.
fn field_before(text: &str, prefix: &str, suffix: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with(prefix))?;
    let before = &line[..line.find(suffix)?];
    before.rsplit([' ', ',']).next()?.parse().ok()
}

fn h2load_present() -> bool {
    Command::new("h2load")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A gRPC message as it goes on the wire: uncompressed flag, length, bytes.
fn grpc_frame(msg: &impl Message) -> Vec<u8> {
    let bytes = msg.encode_to_vec();
    let mut frame = Vec::with_capacity(5 + bytes.len());
    frame.push(0);
    frame.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    frame.extend_from_slice(&bytes);
    frame
}

/// The SendEvent every run repeats: the caller asks for the agent's number.
fn agent_number_event(call_id: &str) -> pb::CallEvent {
    pb::CallEvent {
        call_id: call_id.into(),
        seq: 0,
        kind: Some(pb::call_event::Kind::Speech(pb::Speech {
            text: agent_number().into(),
            confidence: 0.9,
            intents: Vec::new(),
        })),
    }
}

fn start_request(call_id: &str) -> pb::StartCallRequest {
    pb::StartCallRequest {
        call_id: call_id.into(),
        at: AT.into(),
        ..Default::default()
    }
}

async fn send(client: &mut Client, event: &pb::CallEvent) -> pb::Turn {
    let turn = client
        .send_event(event.clone())
        .await
        .expect("SendEvent answers")
        .into_inner();
    require(prompt_ids(&turn) == ["agent_number"], || {
        format!(
            "SendEvent said {:?}, expected the agent number",
            prompt_ids(&turn)
        )
    });
    turn
}

// ---------------------------------------------------------------------------
// Converse streams.

async fn streams(server: &Server, mode: Mode) {
    // Not CALLSCRIPT_*: the server would take that for one of its settings.
    let streams = std::env::var("BENCH_STREAMS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(mode.pick(10_000usize, 200));
    let events = mode.pick(20u64, 5);
    let connections = mode.pick(16, 2);
    let mut clients = Vec::new();
    for _ in 0..connections {
        clients.push(server.client().await);
    }
    let table = Table::new(
        &format!("Converse: {streams} concurrent streams over {connections} connections"),
        &["measure", "value"],
    );

    // Hold every stream open at once, then let every caller talk.
    let rss_before = rss_of(&server.pid());
    let opened = Arc::new(Barrier::new(streams + 1));
    let talk = Arc::new(Barrier::new(streams + 1));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(streams);
    for i in 0..streams {
        let client = clients[i % connections].clone();
        let (opened, talk) = (opened.clone(), talk.clone());
        tasks.push(tokio::spawn(async move {
            talking_stream(client, events, &opened, &talk).await
        }));
    }
    opened.wait().await;
    let open_time = started.elapsed();
    let held_rss = rss_of(&server.pid()).saturating_sub(rss_before);
    talk.wait().await;
    let talk_start = Instant::now();
    let mut hung_up = 0;
    for task in tasks {
        hung_up += usize::from(task.await.expect("stream task"));
    }
    let talk_time = talk_start.elapsed();
    require(hung_up == streams, || {
        format!(
            "{} of {streams} talking calls did not end with the caller's hang-up",
            streams - hung_up
        )
    });
    table.row(&["streams held at once".into(), streams.to_string()]);
    table.row(&["time to open them all".into(), ms(open_time)]);
    table.row(&[
        "server memory per open stream (call included)".into(),
        format!("{} bytes", held_rss / streams as u64),
    ]);
    table.row(&[
        format!("turns/s: every stream asks {events} times, one answer at a time"),
        format!(
            "{:.0}",
            (streams as u64 * events) as f64 / talk_time.as_secs_f64()
        ),
    ]);

    // Silent calls, started spread over one listen period so their timers
    // fire steadily, as on a live system, rather than all in one instant.
    let mut tasks = Vec::with_capacity(streams);
    for i in 0..streams {
        let client = clients[i % connections].clone();
        let delay = Duration::from_secs(5) * i as u32 / streams as u32;
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            silent_stream(client).await
        }));
    }
    let mut lateness = Vec::new();
    for task in tasks {
        lateness.extend(task.await.expect("stream task"));
    }
    require(lateness.len() == 3 * streams, || {
        format!(
            "{} pushed turns, expected 3 per call ({streams} calls)",
            lateness.len()
        )
    });
    lateness.sort_unstable();
    table.row(&[
        "silent calls: pushed turns (2 prompts + hang-up each), lateness p50 / p99 / max".into(),
        format!(
            "{} / {} / {}",
            ms(percentile(&lateness, 50.0)),
            ms(percentile(&lateness, 99.0)),
            ms(lateness.last().copied().unwrap_or_default())
        ),
    ]);
}

/// Opens a Converse stream for a new call (id assigned by the service) and
/// returns the sender of its events, its turns and the opening.
async fn open_stream(
    client: &mut Client,
    reports_playback: bool,
) -> (
    mpsc::UnboundedSender<pb::CallEvent>,
    tonic::Streaming<pb::Turn>,
) {
    let (tx, rx) = mpsc::unbounded_channel();
    let _ = tx.send(pb::CallEvent {
        kind: Some(pb::call_event::Kind::Start(Box::new(
            pb::StartCallRequest {
                reports_playback,
                ..start_request("")
            },
        ))),
        ..Default::default()
    });
    let mut turns = client
        .converse(UnboundedReceiverStream::new(rx))
        .await
        .expect("Converse opens")
        .into_inner();
    let opening = turns.message().await.ok().flatten();
    require(
        opening
            .as_ref()
            .is_some_and(|t| prompt_ids(t) == ["opening"]),
        || format!("the first turn was not the opening: {opening:?}"),
    );
    (tx, turns)
}

/// One call that asks for the agent number `events` times, each answer
/// before the next question, then hangs up. True if the call ended with
/// the caller's hang-up.
async fn talking_stream(mut client: Client, events: u64, opened: &Barrier, talk: &Barrier) -> bool {
    // As a PBX that reports playback: no prompt_played, so no silence clock
    // runs, however long opening every other stream takes.
    let (tx, mut turns) = open_stream(&mut client, true).await;
    opened.wait().await;
    talk.wait().await;
    let agent_number = pb::CallEvent {
        kind: Some(pb::call_event::Kind::Speech(pb::Speech {
            text: agent_number().into(),
            confidence: 0.9,
            intents: Vec::new(),
        })),
        ..Default::default()
    };
    for _ in 0..events {
        let _ = tx.send(agent_number.clone());
        let turn = turns.message().await.ok().flatten();
        require(
            turn.as_ref()
                .is_some_and(|t| prompt_ids(t) == ["agent_number"]),
            || format!("expected the agent number, got {turn:?}"),
        );
    }
    let _ = tx.send(pb::CallEvent {
        kind: Some(pb::call_event::Kind::Hangup(pb::CallerHangup {})),
        ..Default::default()
    });
    let last = turns.message().await.ok().flatten();
    // The caller is already gone: the call ends with nothing left to do.
    last.is_some_and(|t| t.ended && t.actions.is_empty())
}

/// One silent call: the server pushes a prompt at 5 s, the goodbye at
/// 10 s and hangs up at 15 s (N5). Returns how late each pushed turn came
/// after its deadline (the previous turn's arrival plus its listen period).
async fn silent_stream(mut client: Client) -> Vec<Duration> {
    let (_tx, mut turns) = open_stream(&mut client, false).await;
    let mut deadline = Instant::now() + Duration::from_secs(5);
    let mut lateness = Vec::with_capacity(3);
    while let Ok(Some(turn)) = turns.message().await {
        let now = Instant::now();
        lateness.push(now.saturating_duration_since(deadline));
        // A turn that does not listen (the hang-up) is the last one.
        deadline = now + Duration::from_millis(u64::from(listen_ms(&turn).unwrap_or_default()));
        if turn.ended {
            require(hangup_reason(&turn) == Some(pb::EndReason::Silence), || {
                format!("a silent call ended otherwise: {turn:?}")
            });
        }
    }
    lateness
}

// ---------------------------------------------------------------------------
// The server under test.

/// The release `callscript` binary, serving the shipped flows plus the
/// reference handler on an ephemeral port.
/// The server, and the tokens file it reads while it runs (BENCH_AUTH).
struct Server(ServerProcess, #[allow(dead_code)] Option<tempfile::TempDir>);

impl Server {
    fn start() -> Server {
        let server = Server::start_with(&[]);
        SERVER_PID.store(server.0.pid(), Ordering::Relaxed);
        server
    }

    /// A server with `envs` added to the reference service and a quiet log
    /// (and with BENCH_AUTH, a tokens file).
    /// The server run by `prefix` (a profiler and its options).
    fn start_under(prefix: &[&str]) -> Server {
        // Under a profiler on a busy machine, 5,000 bare Hellos one at a
        // time can take longer than the first-request deadline (10 s), and
        // the bare handler bypasses the gate that marks a connection as
        // having started a request: the watchdog then closed h2load's
        // connection mid-run.
        let relaxed = [("CALLSCRIPT_HANDSHAKE_TIMEOUT_MS", "600000")];
        let server = Server::start_with_prefix(prefix, &relaxed);
        SERVER_PID.store(server.0.pid(), Ordering::Relaxed);
        server
    }

    fn start_with(extra: &[(&str, &str)]) -> Server {
        Server::start_with_prefix(&[], extra)
    }

    fn start_with_prefix(prefix: &[&str], extra: &[(&str, &str)]) -> Server {
        let tokens = auth_on().then(|| {
            let dir = tempfile::tempdir().expect("a directory for the tokens file");
            std::fs::write(
                dir.path().join("tokens.toml"),
                format!(
                    "[[client]]\nname = \"bench\"\ntoken = \"{BENCH_TOKEN}\"\nroles = [\"admin\"]\n"
                ),
            )
            .expect("write the tokens file");
            dir
        });
        let tokens_file = tokens
            .as_ref()
            .map(|d| d.path().join("tokens.toml").display().to_string());
        let mut envs = vec![
            ("CALLSCRIPT_REFERENCE_SERVICE", "true"),
            // Per-call info lines are not what is being measured.
            ("CALLSCRIPT_LOG", "warn"),
        ];
        if let Some(file) = &tokens_file {
            envs.push(("CALLSCRIPT_AUTH_TOKENS_FILE", file));
        }
        envs.extend_from_slice(extra);
        Server(
            ServerProcess::start_under(prefix, &envs, Stdio::inherit()),
            tokens,
        )
    }

    fn addr(&self) -> SocketAddr {
        self.0.addr
    }

    fn pid(&self) -> String {
        self.0.pid().to_string()
    }

    async fn client(&self) -> Client {
        let channel = Endpoint::from_shared(format!("http://{}", self.addr()))
            .expect("a valid address")
            .connect()
            .await
            .expect("connect to the server");
        CallsClient::with_interceptor(channel, Bearer(auth_on().then_some(BENCH_TOKEN)))
    }
}
