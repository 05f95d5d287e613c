//! Instructions per request, counted by callgrind (`BENCH_INSTRUCTIONS=1`).
//!
//! On a shared two-core machine the wall-clock ratio of part 1 moves by
//! ±0.1 from round to round, and by as much from run to run of the same
//! build, which hides any change smaller than that. Instruction counts do
//! not move: the same build counts the same to within a fraction of a
//! percent. They leave out the kernel's share and cache misses, so they
//! complement the wall-clock ratio rather than replace it.
//!
//! The server runs under `valgrind --tool=callgrind`; after a warm-up the
//! counters are zeroed, Hello runs, a dump takes its count, then SendEvent
//! runs (the same checked run as part 1) and a second dump takes its count,
//! then StartCall with an assigned id (a new call per request, as in the
//! first part) and a third.
//! One request at a time: with many in flight, how many a read or a poll
//! carries depends on how fast the server runs under valgrind, and counts
//! per request moved by a third from run to run.

use std::{path::Path, process::Command};

use super::{
    HELLO, Load, Mode, START, Server, agent_number, agent_number_event, grpc_frame, h2load_as,
    require, send_events_as, start_request,
};
use callscript::grpc::reference_pb;

pub async fn instructions(mode: Mode, dir: &Path) {
    require(present("valgrind") && present("callgrind_control"), || {
        "valgrind is not installed: apt-get install valgrind (see BENCHMARKS.md)".into()
    });
    let out = dir.join("callgrind.out");
    let server = Server::start_under(&[
        "valgrind",
        "--tool=callgrind",
        "--dump-instr=no",
        &format!("--callgrind-out-file={}", out.display()),
    ]);
    let n = mode.pick(5_000, 200);
    let load = Load::one_at_a_time(n);
    let mut client = server.client().await;
    let call_id = "bench-instructions";
    client
        .start_call(start_request(call_id))
        .await
        .expect("the SendEvent call starts");
    let event = agent_number_event(call_id);
    let hello_body = grpc_frame(&reference_pb::HelloRequest {
        name: "bench".into(),
    });

    // Warm both paths (allocator pages, lazily built tables) first.
    let warm = Load::one_at_a_time(n / 10);
    let start_body = grpc_frame(&start_request(""));
    h2load_as(&server, HELLO, &hello_body, warm, dir);
    send_events_as(&server, &mut client, &event, warm, dir).await;
    h2load_as(&server, START, &start_body, warm, dir);
    control(&server, "-z");
    h2load_as(&server, HELLO, &hello_body, load, dir);
    control(&server, "-d");
    send_events_as(&server, &mut client, &event, load, dir).await;
    control(&server, "-d");
    h2load_as(&server, START, &start_body, load, dir);
    control(&server, "-d");

    // Dumps are numbered in order: .1 is Hello, .2 SendEvent, .3 StartCall.
    let count = |part: u32| -> f64 {
        let file = format!("{}.{part}", out.display());
        let text = std::fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("callgrind wrote no dump {file}: {e}"));
        text.lines()
            .find_map(|l| l.strip_prefix("summary:"))
            .and_then(|v| v.trim().parse::<f64>().ok())
            .unwrap_or_else(|| panic!("no summary line in {file}"))
    };
    let hello = count(1) / n as f64;
    // Part 1's checked run sends two more events through a client of its own.
    let event = count(2) / (n + 2) as f64;
    let start = count(3) / n as f64;
    let speech = agent_number();
    println!(
        "\nInstructions per request (callgrind, h2load -n {n} -c 1 -m 1, speech {speech:?}):\n\
         Reference/Hello (bare tonic): {hello:.0}\n\
         Calls/SendEvent: {event:.0}\n\
         Calls/StartCall (assigned id): {start:.0}\n\
         SendEvent as a ratio to bare (bare / SendEvent): {:.3}\n\
         StartCall as a ratio to bare (bare / StartCall): {:.3}",
        hello / event,
        hello / start
    );
}

fn control(server: &Server, what: &str) {
    let ok = Command::new("callgrind_control")
        .args([what, &server.pid()])
        .output()
        .is_ok_and(|o| o.status.success());
    require(ok, || format!("callgrind_control {what} failed"));
}

fn present(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}
