//! Calls in Redis (`BENCH_REDIS=1`): StartCall and SendEvent over many
//! calls at once, against bare tonic and the memory store in the same
//! round, and the Redis commands each RPC costs (`INFO commandstats`).
//!
//! One call's events take turns on a replica (its per-call gate), so one
//! call's serialised events measure the round trip, not the store: here
//! eight h2load clients run at once, each on a call of its own (SendEvent)
//! or starting calls with assigned ids (StartCall). Two replicas share the
//! one Redis, each taking half the clients; on a two-core machine they and
//! Redis share the same cores, so that row shows that replicas work one
//! store together, not scale-out.

use std::{
    collections::BTreeMap,
    path::Path,
    process::{Command, Stdio},
    time::Instant,
};

use super::{
    HELLO, START, Server, agent_number, agent_number_event, field_before, grpc_frame, redis_store,
    require, start_request, support::Mode, support::Table,
};
use callscript::grpc::reference_pb;

const SEND: &str = "/callscript.v1.Calls/SendEvent";

pub async fn redis(mode: Mode, dir: &Path) {
    let Some(redis) = redis_store::RedisServer::start() else {
        return;
    };
    let url = redis.url();
    let memory = Server::start_with(&[]);
    let one = Server::start_with(&[("CALLSCRIPT_STORE", &url)]);
    let two = Server::start_with(&[("CALLSCRIPT_STORE", &url)]);
    let clients = 8usize;
    let per = mode.pick(5_000, 40);
    let rounds = mode.pick(3, 1);

    // Each SendEvent client asks on a call of its own, started on the
    // replica its events go to.
    let mut calls = Vec::new();
    for (name, servers) in [
        ("m", vec![&memory]),
        ("r1", vec![&one]),
        ("r2", vec![&one, &two]),
    ] {
        let mut bodies = Vec::new();
        for k in 0..clients {
            let server = servers[k % servers.len()];
            let id = format!("bench-{name}-{k}");
            let mut client = server.client().await;
            client
                .start_call(start_request(&id))
                .await
                .unwrap_or_else(|e| panic!("call {id} does not start: {e}"));
            bodies.push(grpc_frame(&agent_number_event(&id)));
        }
        calls.push(bodies);
    }
    let hello = vec![
        grpc_frame(&reference_pb::HelloRequest {
            name: "bench".into(),
        });
        clients
    ];
    let start = vec![grpc_frame(&start_request("")); clients];

    let speech = agent_number();
    let table = Table::new(
        &format!(
            "Calls in Redis: {clients} h2load clients at once (-n {per} -c 2 -m 32 each), req/s and ratio to bare tonic in the same round, speech {speech:?}"
        ),
        &[
            "round",
            "Hello (bare)",
            "StartCall memory",
            "StartCall Redis 1",
            "StartCall Redis 2",
            "SendEvent memory",
            "SendEvent Redis 1",
            "SendEvent Redis 2",
        ],
    );
    let mut commands: BTreeMap<&str, BTreeMap<String, (u64, f64)>> = BTreeMap::new();
    // CPU time of the servers and of Redis over each kind of run, and the
    // RPCs they served: where an RPC's time goes, by process.
    let mut cpu: BTreeMap<&str, (u64, u64, u64)> = BTreeMap::new();
    let redis_pid = redis_pid(&redis);
    for round in 1..=rounds {
        let bare = parallel(&[&memory], HELLO, &hello, per, 15, dir);
        let mut row = vec![round.to_string(), format!("{bare:.0}")];
        let runs: [Run<'_>; 6] = [
            ("StartCall memory", vec![&memory], START, &start),
            ("StartCall Redis 1", vec![&one], START, &start),
            ("StartCall Redis 2", vec![&one, &two], START, &start),
            ("SendEvent memory", vec![&memory], SEND, &calls[0]),
            ("SendEvent Redis 1", vec![&one], SEND, &calls[1]),
            ("SendEvent Redis 2", vec![&one, &two], SEND, &calls[2]),
        ];
        for (what, servers, path, bodies) in runs {
            let before = commandstats(&redis);
            let cpu_before = cpu_ms(&servers, &redis_pid);
            let rate = parallel(&servers, path, bodies, per, 40, dir);
            let cpu_after = cpu_ms(&servers, &redis_pid);
            let after = commandstats(&redis);
            let spent = cpu.entry(what).or_insert((0, 0, 0));
            spent.0 += cpu_after.0 - cpu_before.0;
            spent.1 += cpu_after.1 - cpu_before.1;
            spent.2 += (clients * per as usize) as u64;
            if round == rounds && what.contains("Redis 1") {
                let done = (clients * per as usize) as u64;
                let per_rpc = after
                    .iter()
                    .filter_map(|(cmd, &(calls, usec))| {
                        let (calls0, usec0) = before.get(cmd).copied().unwrap_or((0, 0));
                        let n = calls - calls0;
                        // Redis's own time for the command, per RPC: what
                        // the server side of the round trip costs.
                        let us = (usec - usec0) as f64 / done as f64;
                        (n > 0).then(|| (cmd.clone(), (n * 1000 / done, us)))
                    })
                    .collect();
                commands.insert(what, per_rpc);
            }
            row.push(format!("{rate:.0} ({:.2})", rate / bare));
        }
        table.row(&row);
    }
    // Every event was applied once: each call's turn counter moved by
    // exactly the events sent to it.
    for (name, servers) in [
        ("m", vec![&memory]),
        ("r1", vec![&one]),
        ("r2", vec![&one, &two]),
    ] {
        for k in 0..clients {
            let id = format!("bench-{name}-{k}");
            let mut client = servers[k % servers.len()].client().await;
            let turn = client
                .send_event(agent_number_event(&id))
                .await
                .unwrap_or_else(|e| panic!("call {id} answers: {e}"))
                .into_inner();
            let expected = 1 + rounds as u64 * per + 1;
            require(turn.seq == expected, || {
                format!(
                    "call {id}: turn {} after the runs, expected {expected}",
                    turn.seq
                )
            });
        }
    }
    println!(
        "\nRedis commands per 1,000 RPCs with one replica (INFO commandstats; EVALSHA and the ZADD pipelined behind it are one round trip):"
    );
    println!(
        "\nCPU time per RPC by process (/proc/<pid>/stat utime+stime over every round's runs; the rest of the two cores went to h2load and other work):"
    );
    for (what, (servers, redis_ms, rpcs)) in &cpu {
        println!(
            "  {what}: callscript {:.0} µs, redis-server {:.0} µs",
            *servers as f64 * 1000.0 / *rpcs as f64,
            *redis_ms as f64 * 1000.0 / *rpcs as f64
        );
    }
    for (what, per_rpc) in &commands {
        let list: Vec<String> = per_rpc
            .iter()
            .map(|(c, (n, us))| format!("{c} {n} ({us:.1} µs of Redis time per RPC)"))
            .collect();
        println!("  {what}: {}", list.join(", "));
    }
}

/// One row's run: its name, the servers its clients go to, the RPC and
/// each client's body.
type Run<'a> = (&'a str, Vec<&'a Server>, &'a str, &'a [Vec<u8>]);

/// `bodies.len()` h2load clients at once, client `k` on server `k % n`
/// with body `k`, each `per` requests; every request must succeed with a
/// reply of at least `min_reply` bytes (an error reply has no body).
/// Returns requests per second over the wall time of them all.
fn parallel(
    servers: &[&Server],
    path: &str,
    bodies: &[Vec<u8>],
    per: u64,
    min_reply: u64,
    dir: &Path,
) -> f64 {
    let t0 = Instant::now();
    let children: Vec<_> = bodies
        .iter()
        .enumerate()
        .map(|(k, body)| {
            let data = dir.join(format!("redis-body-{k}.bin"));
            std::fs::write(&data, body).expect("write the request body");
            let server = servers[k % servers.len()];
            Command::new("h2load")
                .args(["-n", &per.to_string(), "-c", "2", "-m", "32", "-t", "1"])
                .arg("-d")
                .arg(&data)
                .args(["-H", "content-type: application/grpc", "-H", "te: trailers"])
                .arg(format!("http://{}{path}", server.addr()))
                .stdout(Stdio::piped())
                .spawn()
                .expect("h2load runs")
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().expect("h2load finishes");
        let text = String::from_utf8_lossy(&out.stdout);
        require(
            field_before(&text, "requests:", " succeeded") == Some(per),
            || format!("{path}: h2load did not complete every request:\n{text}"),
        );
        let data = text
            .lines()
            .find(|l| l.starts_with("traffic:"))
            .and_then(|l| l.rsplit(", ").next())
            .and_then(|d| d.split_once('(')?.1.split_once(')'))
            .and_then(|(bytes, _)| bytes.parse::<u64>().ok())
            .unwrap_or(0);
        require(data >= per * min_reply, || {
            format!("{path}: {data} bytes of replies for {per} requests: some were errors")
        });
    }
    (bodies.len() as u64 * per) as f64 / t0.elapsed().as_secs_f64()
}

/// Calls so far of each Redis command and the microseconds Redis spent
/// in them (`INFO commandstats`).
fn commandstats(redis: &redis_store::RedisServer) -> BTreeMap<String, (u64, u64)> {
    let out = Command::new("redis-cli")
        .args(["-p", &redis.port.to_string(), "info", "commandstats"])
        .output()
        .expect("redis-cli runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let (cmd, rest) = l.strip_prefix("cmdstat_")?.split_once(':')?;
            let field = |name: &str| {
                rest.split(',')
                    .find_map(|f| f.strip_prefix(name)?.parse::<u64>().ok())
            };
            Some((cmd.to_owned(), (field("calls=")?, field("usec=")?)))
        })
        .collect()
}

/// Redis's process id, from `INFO server`.
fn redis_pid(redis: &redis_store::RedisServer) -> String {
    let out = Command::new("redis-cli")
        .args(["-p", &redis.port.to_string(), "info", "server"])
        .output()
        .expect("redis-cli runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| Some(l.strip_prefix("process_id:")?.trim().to_owned()))
        .expect("INFO server gives redis-server's process_id")
}

/// CPU milliseconds (user + system) the servers have used so far, and
/// Redis's.
fn cpu_ms(servers: &[&Server], redis_pid: &str) -> (u64, u64) {
    let ours = servers.iter().map(|s| process_cpu_ms(&s.pid())).sum();
    (ours, process_cpu_ms(redis_pid))
}

/// utime + stime of a process (fields 14 and 15 of `/proc/<pid>/stat`,
/// in clock ticks of 10 ms).
fn process_cpu_ms(pid: &str) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The command name (field 2) may hold spaces; count from after it.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or(Vec::new(), |(_, rest)| rest.split_whitespace().collect());
    let tick = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    (tick(11) + tick(12)) * 10
}
