//! The engine measured in-process, each figure next to a reference measured
//! in the same run on the same machine, with the ratio between them:
//!
//! 1. live-call memory: resident bytes per live streamed call waiting on its
//!    5 s no-input timer, against a task-per-call design;
//! 2. timer accuracy under load: how late the server-pushed silence prompts
//!    (N5) arrive with 100k calls cycling, against plain `sleep_until` tasks;
//! 3. flow reload: checking and hot-swapping a 1,000-step flow while calls
//!    run, against the shipped hotline.
//!
//! Nothing here asserts a time (machines differ); `require` checks only
//! correctness: every call live, none lost, none early, none moved to a new
//! flow version.
//!
//! `cargo bench --bench engine` for the full run (`-- memory`, `-- timers`
//! or `-- reload` for one part); `cargo test --bench engine` (and CI's
//! `cargo test --benches`) for the smoke run with small counts.

mod support;

// The server's allocator (src/main.rs), so memory and timings here are
// what the served engine gets.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::{
    collections::HashMap,
    fmt::Write as _,
    hash::Hash,
    io::Write as _,
    process::Command,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering},
    },
    time::Duration,
};

use callscript::{
    calendar::HolidayCalendar,
    call::{Action, EndReason, Event},
    engine::{
        CallError, CallRecord, Engine, EngineSettings, Entry, EntryKind, Reply, StartCall,
        Subscriber, Turn, TurnView,
        mailbox::{self, Receiver},
    },
    flow::{FlowRegistry, Severity, check_source, compile_source},
};
use support::{Mode, Table, ms, percentile, require, rss};
use tokio::{sync::mpsc, time::Instant};

const HOTLINE: &str = include_str!("../flows/hotline.toml");

/// A memory engine's answer, which is there as soon as the call returns.
trait Answer<T> {
    fn answer(self) -> Result<T, CallError>;
}

impl<T> Answer<T> for Reply<'_, T> {
    fn answer(self) -> Result<T, CallError> {
        self.now().expect("a memory engine answers at once")
    }
}
const HOLIDAYS: &str = include_str!("../flows/holidays.toml");
/// The hotline's listen period (N5: 5 s between silence prompts).
const FIVE_S: Duration = Duration::from_secs(5);
/// Prompts a silent caller hears before the hotline hangs up (N5).
const SILENCE_PROMPTS: u64 = 3;
/// A weekday afternoon: the plain opening, the same for every call.
const AT: &str = "2026-11-23T15:00:00+08:00";
/// The argument that makes this binary run one memory measurement as a
/// child process (see `live_call_memory`).
const CHILD: &str = "--memory-child";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == CHILD) {
        let what = args.get(at + 1).map_or("", String::as_str);
        let n = args.get(at + 2).and_then(|n| n.parse().ok()).unwrap_or(0);
        memory_child(what, n);
    }
    let mode = Mode::from_args();
    println!(
        "callscript {} engine benchmarks, {} cores, mode {mode:?}, load average {}",
        env!("CARGO_PKG_VERSION"),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        load_average()
    );
    // `cargo bench --bench engine -- timers` runs only the parts named.
    let named: Vec<&str> = args[1..]
        .iter()
        .map(String::as_str)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let wanted = |part: &str| named.is_empty() || named.contains(&part);
    if wanted("memory") {
        live_call_memory(mode);
    }
    if wanted("timers") {
        timer_accuracy(mode);
    }
    if wanted("reload") {
        flow_reload(mode);
    }
    println!("\nload average at the end: {}", load_average());
}

// ---------------------------------------------------------------------------
// Shared helpers.

fn hotline_registry() -> Arc<FlowRegistry> {
    let flow = compile_source("hotline.toml", HOTLINE).expect("the shipped hotline compiles");
    let holidays = HolidayCalendar::from_toml("holidays.toml", HOLIDAYS)
        .expect("the shipped holiday calendar parses");
    Arc::new(FlowRegistry::from_flows([flow], holidays))
}

fn start_req(call_id: String, flow: &str) -> StartCall {
    StartCall {
        call_id,
        flow: flow.into(),
        at: Some(AT.parse().expect("a valid time")),
        ..StartCall::default()
    }
}

/// The first turn of a silent call: the opening, then a 5 s listen.
fn says_opening(view: &TurnView) -> bool {
    matches!(
        view.turn.actions.as_slice(),
        [Action::Say(s), Action::Listen { timeout }] if &*s.prompt.id == "opening" && *timeout == FIVE_S
    )
}

fn listen_of(view: &TurnView) -> Option<Duration> {
    view.turn.actions.iter().find_map(|a| match a {
        Action::Listen { timeout } => Some(*timeout),
        _ => None,
    })
}

/// Lets spawned tasks (the engine's timer task above all) run without
/// letting a paused clock move: `yield_now` never leaves the runtime idle.
async fn settle() {
    for _ in 0..8 {
        tokio::task::yield_now().await;
    }
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn ratio(ours: f64, reference: f64) -> String {
    if reference > 0.0 {
        format!("{:.2}", ours / reference)
    } else {
        "n/a".into()
    }
}

fn bytes(b: f64) -> String {
    if b >= 1024.0 * 1024.0 {
        format!("{:.1} MiB", b / (1024.0 * 1024.0))
    } else {
        format!("{b:.0} B")
    }
}

fn micros(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

fn median(sorted: &[Duration]) -> Duration {
    percentile(sorted, 50.0)
}

fn multi_thread_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
}

// ---------------------------------------------------------------------------
// 1. Live-call memory.
//
// Each measurement runs in a fresh child process (this binary re-executed
// with `--memory-child WHAT N`): freed memory does not reliably go back to
// the OS, so a second size measured in the same process would reuse the
// first one's pages and look cheaper than it is. A child starts clean, and
// its RSS before the calls is the same runtime + flows baseline each time.

fn live_call_memory(mode: Mode) {
    let sizes = mode.pick(vec![100_000, 500_000, 1_000_000], vec![2_000, 5_000]);
    let table = Table::new(
        "Live-call memory: RSS per live streamed call waiting on its 5 s timer (target < 2 KiB, flat in N)",
        &[
            "live calls",
            "callscript RSS growth",
            "callscript per call",
            "task-per-call RSS growth",
            "task-per-call per call",
            "callscript / task-per-call",
        ],
    );
    let mut first = None;
    for &n in &sizes {
        let ours = measure_in_child("streamed", n);
        first.get_or_insert(ours);
        let reference = measure_in_child("tasks", n);
        table.row(&[
            n.to_string(),
            bytes(ours * n as f64),
            bytes(ours),
            bytes(reference * n as f64),
            bytes(reference),
            ratio(ours, reference),
        ]);
    }

    // Where a streamed call's bytes go: the same call without its
    // subscriber (a unary call, same timer heap entry), and the channel
    // alone.
    let (n, streamed) = (sizes[0], first.expect("at least one size"));
    let table = Table::new(
        &format!("What a live streamed call's bytes go to ({n} calls)"),
        &["what", "per call", "share of a streamed call"],
    );
    let unary = measure_in_child("unary", n);
    let parts = [
        ("streamed call (as above)", streamed),
        (
            "unary call: no subscriber channel (its idle guard armed instead)",
            unary,
        ),
        ("the difference: the Converse mailbox", streamed - unary),
        (
            "a bare Converse mailbox, both ends kept, one turn through it, measured alone",
            measure_in_child("mailboxes", n),
        ),
        (
            "a bare unbounded channel of Arc<TurnView> (the mailbox it replaced), both ends kept",
            measure_in_child("channels", n),
        ),
    ];
    for (what, per_call) in parts {
        table.row(&[
            what.into(),
            bytes(per_call),
            format!("{:.0} %", 100.0 * per_call / streamed),
        ]);
    }
    println!(
        "\nsizes: transcript Entry {} B (a call starts with room for 2), Turn {} B, TurnView {} B, Action {} B",
        size_of::<Entry>(),
        size_of::<Turn>(),
        size_of::<TurnView>(),
        size_of::<Action>()
    );
}

/// Runs one memory measurement in a child process; bytes per call.
fn measure_in_child(what: &str, n: usize) -> f64 {
    let exe = std::env::current_exe().expect("the bench binary's path");
    let out = Command::new(exe)
        .args([CHILD, what, &n.to_string()])
        .output()
        .expect("the bench binary runs as a child");
    let stdout = String::from_utf8_lossy(&out.stdout);
    require(out.status.success(), || {
        format!(
            "memory child {what} {n} failed ({}):\n{stdout}{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let figures: Vec<u64> = stdout
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    require(figures.len() == 2, || {
        format!("memory child {what} {n} printed {stdout:?}, not `before after`")
    });
    figures[1].saturating_sub(figures[0]) as f64 / n as f64
}

/// The child's side: measure, print `<rss before> <rss after>`, exit.
fn memory_child(what: &str, n: usize) -> ! {
    // A paused clock: no timer fires while measuring, so every call stays
    // exactly where it started (waiting on its first 5 s listen).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        match what {
            "streamed" => engine_calls(n, true).await,
            "unary" => engine_calls(n, false).await,
            "tasks" => task_per_call(n).await,
            "channels" => bare_channels(n).await,
            "mailboxes" => bare_mailboxes(n).await,
            other => {
                require(false, || format!("unknown memory child {other:?}"));
                unreachable!()
            }
        }
    })
}

/// Prints the child's result and exits at once: tearing a million calls
/// down would only cost time.
fn child_done(before: u64, after: u64) -> ! {
    println!("{before} {after}");
    let _ = std::io::stdout().flush();
    std::process::exit(0)
}

/// What a Converse stream's mailbox carries (`grpc::calls::Pushed`).
type ConverseItem = Result<Arc<TurnView>, Box<tonic::Status>>;

/// `n` live calls on one engine, each streamed (its own bounded mailbox,
/// the one Converse uses, whose receiver is kept as a Converse stream would
/// keep it) or unary.
async fn engine_calls(n: usize, streamed: bool) -> ! {
    // The measurement may go past the default max_live_calls.
    let settings = EngineSettings {
        max_live_calls: usize::MAX,
        ..EngineSettings::default()
    };
    let engine = Engine::new(hotline_registry(), settings);
    // One call through start and end first, so parts built on first use
    // (the timer wheel, table shards, the holiday lookup) are in the
    // baseline rather than charged to the calls.
    let (tx, _rx) = mpsc::unbounded_channel();
    engine
        .start(start_req("warm-up".into(), ""), Some(Box::new(tx)))
        .answer()
        .expect("the warm-up call starts");
    engine
        .end(None, "warm-up")
        .answer()
        .expect("the warm-up call ends");
    let backlog = EngineSettings::default().max_pushed_backlog;
    let mut inboxes: Vec<Receiver<ConverseItem>> = Vec::with_capacity(if streamed { n } else { 0 });
    settle().await;
    let t0 = Instant::now();
    let before = rss();

    for i in 0..n {
        let subscriber = streamed.then(|| {
            let (tx, rx) = mailbox::mailbox::<ConverseItem>(backlog);
            inboxes.push(rx);
            Box::new(tx) as callscript::engine::Sink
        });
        let first = engine
            .start(start_req(format!("call-{i:07}"), ""), subscriber)
            .answer()
            .unwrap_or_else(|e| panic!("call {i} does not start: {e}"));
        require(says_opening(&first), || {
            format!("call {i}'s first turn is not the opening: {first:?}")
        });
        if let Some(inbox) = inboxes.last_mut().filter(|_| streamed) {
            // A Converse stream forwards the first turn at once; take it, so
            // what is counted is what the call keeps, not a queued message.
            let pushed = inbox.try_recv();
            require(
                pushed.is_some_and(|v| v.is_ok_and(|v| says_opening(&v))),
                || format!("call {i}'s pushed first turn is not the opening"),
            );
        }
        // Calls arrive over time: let the timer task take each batch's
        // deadlines into its heap rather than queue a million messages.
        if i % 1024 == 1023 {
            settle().await;
        }
    }
    settle().await;
    let after = rss();

    require(engine.live_calls() == n, || {
        format!("{} live calls, expected {n}", engine.live_calls())
    });
    require(Instant::now() == t0, || {
        "the paused clock moved while measuring; timers may have fired".into()
    });
    require(inboxes.iter_mut().all(|rx| rx.try_recv().is_none()), || {
        "a turn was pushed while measuring".into()
    });
    child_done(before, after)
}

/// What a task-per-call design keeps for a silent call waiting on its
/// timer: its id and where it is in the script, plus the inbox its events
/// arrive through. Nothing here reads `id` or `step`; they are held as
/// the design would hold them.
#[allow(dead_code)]
struct TaskCall {
    id: Arc<str>,
    step: u16,
    silent: u8,
    turn_seq: u64,
    /// A pointer-sized message, like the engine's subscriber channel
    /// (`Arc<TurnView>`), so the channels cost the same in both designs
    /// and the difference is the task and its timer.
    inbox: mpsc::UnboundedReceiver<Box<Event>>,
}

async fn run_task_call(mut call: TaskCall, polled: Arc<AtomicUsize>) {
    polled.fetch_add(1, Ordering::Relaxed);
    loop {
        tokio::select! {
            event = call.inbox.recv() => match event {
                Some(_) => {
                    call.silent = 0;
                    call.turn_seq += 1;
                }
                None => return,
            },
            () = tokio::time::sleep(FIVE_S) => {
                call.silent += 1;
                call.turn_seq += 1;
                if u64::from(call.silent) >= SILENCE_PROMPTS {
                    return;
                }
            }
        }
    }
}

/// The reference: `n` spawned tasks, each sleeping 5 s on its own timer
/// with its own inbox, found by call id through one map.
async fn task_per_call(n: usize) -> ! {
    let polled = Arc::new(AtomicUsize::new(0));
    let mut table: HashMap<Arc<str>, mpsc::UnboundedSender<Box<Event>>> = HashMap::new();
    // Warm up like the engine: one task through spawn and exit.
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(run_task_call(
        TaskCall {
            id: "warm-up".into(),
            step: 0,
            silent: 0,
            turn_seq: 1,
            inbox: rx,
        },
        polled.clone(),
    ));
    settle().await;
    drop(tx);
    settle().await;
    let t0 = Instant::now();
    let before = rss();

    for i in 0..n {
        let id: Arc<str> = format!("call-{i:07}").into();
        let (tx, rx) = mpsc::unbounded_channel();
        table.insert(id.clone(), tx);
        tokio::spawn(run_task_call(
            TaskCall {
                id,
                step: 0,
                silent: 0,
                turn_seq: 1,
                inbox: rx,
            },
            polled.clone(),
        ));
        // Each task must be polled once to arm its timer; the scheduler
        // polls a batch per yield.
        if i % 1024 == 1023 || i + 1 == n {
            while polled.load(Ordering::Relaxed) < i + 2 {
                tokio::task::yield_now().await;
            }
        }
    }
    settle().await;
    let after = rss();

    require(polled.load(Ordering::Relaxed) == n + 1, || {
        "not every task was polled".into()
    });
    require(Instant::now() == t0, || {
        "the paused clock moved while measuring; timers may have fired".into()
    });
    require(table.values().all(|tx| !tx.is_closed()), || {
        "a task ended while measuring".into()
    });
    child_done(before, after)
}

/// `n` unbounded channels of the engine's subscriber type, both ends kept:
/// what the subscriber channel of a streamed call costs on its own.
async fn bare_channels(n: usize) -> ! {
    let mut senders = Vec::with_capacity(n);
    let mut receivers = Vec::with_capacity(n);
    let before = rss();
    for _ in 0..n {
        let (tx, rx) = mpsc::unbounded_channel::<Arc<TurnView>>();
        senders.push(tx);
        receivers.push(rx);
    }
    let after = rss();
    require(senders.len() == n && receivers.len() == n, || {
        "channels went missing".into()
    });
    child_done(before, after)
}

/// `n` Converse mailboxes, both ends kept, each having carried one turn (so
/// its queue holds the slots it keeps between turns).
async fn bare_mailboxes(n: usize) -> ! {
    let engine = Engine::new(hotline_registry(), EngineSettings::default());
    let turn = engine
        .start(start_req("one-turn".into(), ""), None)
        .answer()
        .expect("a call starts");
    let backlog = EngineSettings::default().max_pushed_backlog;
    let mut senders = Vec::with_capacity(n);
    let mut receivers = Vec::with_capacity(n);
    let before = rss();
    for _ in 0..n {
        let (tx, mut rx) = mailbox::mailbox::<ConverseItem>(backlog);
        tx.push(Ok(turn.clone()), false).expect("room");
        require(rx.try_recv().is_some(), || "the turn went missing".into());
        senders.push(tx);
        receivers.push(rx);
    }
    let after = rss();
    require(senders.len() == n && receivers.len() == n, || {
        "mailboxes went missing".into()
    });
    child_done(before, after)
}

// ---------------------------------------------------------------------------
// 2. Timer accuracy under load.
//
// Silent streamed calls on the real clock: the server pushes the silence
// reprompt at 5 s, the goodbye at 10 s and hangs up at 15 s (N5). One
// collector task timestamps every pushed turn; a turn's lateness is its
// arrival minus (the previous turn's arrival + that turn's listen period).
// The reference runs the same number of plain `sleep_until` tasks through
// the same collector, so the collector's own delay is in both figures.

struct TimerPlan {
    /// Calls live at once.
    calls: u64,
    /// The first calls start evenly over this, so the load is steady.
    spread: Duration,
    /// A call that ends before this (from the run's start) is replaced by
    /// a new one.
    restart_until: Duration,
    /// Timer-driven turns each call waits for: all three (the call hangs up
    /// on silence by itself), or fewer (then it is ended by the operator).
    periods: u64,
}

impl TimerPlan {
    /// How many calls a run starts, as a sizing hint: the plans here
    /// replace each first call at most once (a replacement starts after
    /// 15 s, so it ends after `restart_until`).
    fn most_calls(&self) -> usize {
        let restarts = if self.restart_until > Duration::ZERO {
            2
        } else {
            1
        };
        self.calls as usize * restarts
    }

    /// Longer than any correct run can take: past it, calls were lost.
    fn limit(&self) -> Duration {
        self.spread + self.restart_until + FIVE_S * (self.periods as u32 + 1) * 2
    }
}

fn timer_accuracy(mode: Mode) {
    // Full: 100k calls, the first spread over 5 s; each replaced when it
    // ends at 15-20 s, so about 35 s with 100k calls live for most of it.
    // Smoke: 200 calls, one 5 s prompt wait each.
    let plan = mode.pick(
        TimerPlan {
            calls: 100_000,
            spread: FIVE_S,
            restart_until: Duration::from_secs(20),
            periods: SILENCE_PROMPTS,
        },
        TimerPlan {
            calls: 200,
            spread: Duration::from_millis(500),
            restart_until: Duration::ZERO,
            periods: 1,
        },
    );
    let runtime = multi_thread_runtime();
    let (ours, reference) = runtime.block_on(async {
        if mode == Mode::Full {
            // One after the other, so neither loads the other's run.
            (engine_timers(&plan).await, sleep_timers(&plan).await)
        } else {
            // The smoke run only checks the code; its figures mean nothing,
            // so run both at once to keep CI at one 5 s wait.
            tokio::join!(engine_timers(&plan), sleep_timers(&plan))
        }
    });
    drop(runtime);

    let table = Table::new(
        &format!(
            "Timer accuracy under load: lateness of server-pushed turns, {} calls live, real clock, 2 workers (target p99 < 10 ms)",
            plan.calls
        ),
        &[
            "timers",
            "calls run",
            "timer turns",
            "turns/s",
            "p50 late",
            "p99 late",
            "p99.9 late",
            "max late",
        ],
    );
    for (what, l) in [
        ("callscript (one timer task, heap)", &ours),
        ("reference (a task per timer, sleep_until)", &reference),
    ] {
        table.row(&[
            what.into(),
            l.calls.to_string(),
            l.late.len().to_string(),
            format!("{:.0}", l.turns_per_s()),
            ms(l.p(50.0)),
            ms(l.p(99.0)),
            ms(l.p(99.9)),
            ms(l.p(100.0)),
        ]);
    }
    let r = |p: f64| ratio(ours.p(p).as_secs_f64(), reference.p(p).as_secs_f64());
    table.row(&[
        "callscript / reference".into(),
        String::new(),
        String::new(),
        ratio(ours.turns_per_s(), reference.turns_per_s()),
        r(50.0),
        r(99.0),
        r(99.9),
        r(100.0),
    ]);
    for (what, l) in [("callscript", &ours), ("reference", &reference)] {
        if l.early > 0 {
            println!(
                "\n{what}: {} turns arrived before their due time (the turn before them had queued longer) and count as 0 late",
                l.early
            );
        }
    }
    let misses = GET_CALL_MISSES.load(Ordering::Relaxed);
    if misses > 0 {
        println!(
            "\nnote: GetCall did not find {misses} just-ended calls at first (between the live table and the retained records), for up to {} µs",
            GET_CALL_LONGEST_MISS_US.load(Ordering::Relaxed)
        );
    }
}

/// What the collector learnt.
#[derive(Default)]
struct Lateness {
    /// Sorted once collected.
    late: Vec<Duration>,
    /// Turns that arrived before their due time (the previous turn queued
    /// longer than this one); counted as 0 late. Early *firing* is caught
    /// by the transcript check instead.
    early: u64,
    turns: u64,
    calls: u64,
    first: Option<Instant>,
    last: Option<Instant>,
}

impl Lateness {
    fn p(&self, p: f64) -> Duration {
        percentile(&self.late, p)
    }

    fn turns_per_s(&self) -> f64 {
        match (self.first, self.last) {
            (Some(a), Some(b)) if b > a => self.turns as f64 / (b - a).as_secs_f64(),
            _ => 0.0,
        }
    }
}

/// A turn as the collector sees it, from either design.
trait Pushed: Send + 'static {
    type Key: Clone + Eq + Hash + Send + std::fmt::Debug + 'static;
    fn key(&self) -> Self::Key;
    fn seq(&self) -> u64;
    /// The listen period this turn starts: the next turn is due after it.
    fn listen(&self) -> Option<Duration>;
    /// Whether a timer produced this turn (so it has a lateness).
    fn by_timer(&self) -> bool;
}

impl Pushed for Arc<TurnView> {
    type Key = Arc<str>;
    fn key(&self) -> Arc<str> {
        self.call_id.clone()
    }
    fn seq(&self) -> u64 {
        self.turn.seq
    }
    fn listen(&self) -> Option<Duration> {
        listen_of(self)
    }
    fn by_timer(&self) -> bool {
        // Every turn after the opening, except the operator's hang-up that
        // ends a smoke-run call.
        self.turn.seq > 1 && self.turn.ended != Some(EndReason::Operator)
    }
}

/// The reference's turn: which timer, and its count.
struct Tick {
    timer: u64,
    seq: u64,
    listen: Option<Duration>,
}

impl Pushed for Tick {
    type Key = u64;
    fn key(&self) -> u64 {
        self.timer
    }
    fn seq(&self) -> u64 {
        self.seq
    }
    fn listen(&self) -> Option<Duration> {
        self.listen
    }
    fn by_timer(&self) -> bool {
        self.seq > 1
    }
}

/// The one collector: timestamps each arrival, and tells the driver when a
/// call has had its `last_seq` turn. Its tables are sized for `calls` up
/// front, so that growing them (a rehash takes milliseconds at this size)
/// does not show up as lateness.
async fn collect<M: Pushed>(
    mut turns: mpsc::UnboundedReceiver<M>,
    last_seq: u64,
    calls: usize,
    done: mpsc::UnboundedSender<M::Key>,
) -> Lateness {
    let mut l = Lateness {
        late: Vec::with_capacity(calls * last_seq as usize),
        ..Lateness::default()
    };
    // Per waiting call: the seq of its last turn and when the next is due.
    let mut waiting: HashMap<M::Key, (u64, Instant)> = HashMap::with_capacity(calls);
    while let Some(turn) = turns.recv().await {
        let now = Instant::now();
        l.turns += 1;
        l.first.get_or_insert(now);
        l.last = Some(now);
        let key = turn.key();
        if turn.by_timer() {
            let Some(&(prev_seq, due)) = waiting.get(&key) else {
                require(false, || {
                    format!("timer turn for {key:?}, which was not waiting")
                });
                unreachable!()
            };
            require(turn.seq() == prev_seq + 1, || {
                format!("{key:?}: turn {} after turn {prev_seq}", turn.seq())
            });
            match now.checked_duration_since(due) {
                Some(late) => l.late.push(late),
                None => {
                    l.early += 1;
                    l.late.push(Duration::ZERO);
                }
            }
        }
        match turn.listen() {
            // Overwrites in place while the call lives.
            Some(listen) => {
                waiting.insert(key.clone(), (turn.seq(), now + listen));
            }
            None => {
                waiting.remove(&key);
            }
        }
        if turn.seq() == last_seq {
            let _ = done.send(key);
        }
    }
    require(waiting.is_empty(), || {
        format!("{} calls were still waiting for a turn", waiting.len())
    });
    l.late.sort_unstable();
    l
}

/// Starts `plan.calls` calls spread over `plan.spread`, then, each time the
/// collector reports a call done, `finish`es it and starts a replacement
/// until `plan.restart_until`. Returns how many calls ran.
async fn drive<K>(
    plan: &TimerPlan,
    mut done: mpsc::UnboundedReceiver<K>,
    mut start: impl FnMut(u64),
    mut finish: impl AsyncFnMut(K),
) -> u64 {
    let t0 = Instant::now();
    for n in 0..plan.calls {
        let at = t0 + plan.spread.mul_f64(n as f64 / plan.calls as f64);
        if Instant::now() < at {
            tokio::time::sleep_until(at).await;
        }
        start(n);
    }
    let (mut started, mut finished) = (plan.calls, 0);
    while finished < started {
        let key = done.recv().await.expect("the collector outlives the calls");
        finish(key).await;
        finished += 1;
        if t0.elapsed() < plan.restart_until {
            start(started);
            started += 1;
        }
    }
    started
}

/// Runs `run` unless it takes past the plan's limit: then calls were lost.
async fn within<T>(plan: &TimerPlan, what: &str, run: impl Future<Output = T>) -> T {
    match tokio::time::timeout(plan.limit(), run).await {
        Ok(t) => t,
        Err(_) => {
            require(false, || {
                format!("{what}: calls did not finish within {:?}", plan.limit())
            });
            unreachable!()
        }
    }
}

static GET_CALL_MISSES: AtomicU64 = AtomicU64::new(0);
static GET_CALL_LONGEST_MISS_US: AtomicU64 = AtomicU64::new(0);

async fn engine_timers(plan: &TimerPlan) -> Lateness {
    let engine = Engine::new(hotline_registry(), EngineSettings::default());
    let (turns_tx, turns_rx) = mpsc::unbounded_channel();
    let (done_tx, done_rx) = mpsc::unbounded_channel();
    let collector = tokio::spawn(collect(
        turns_rx,
        1 + plan.periods,
        plan.most_calls(),
        done_tx,
    ));
    let natural = plan.periods == SILENCE_PROMPTS;
    let run = drive(
        plan,
        done_rx,
        |n| start_timed_call(&engine, n, &turns_tx),
        async |id: Arc<str>| {
            let record = if natural {
                ended_record(&engine, &id).await
            } else {
                engine.end(None, &id).answer().expect("a live call ends")
            };
            check_silent_call(&record, plan.periods);
        },
    );
    let calls = within(plan, "callscript", run).await;
    drop(turns_tx);
    let mut lateness = within(plan, "callscript collector", collector)
        .await
        .expect("the collector finishes");
    lateness.calls = calls;
    require(lateness.late.len() as u64 == calls * plan.periods, || {
        format!(
            "{} timer turns for {calls} calls of {} each",
            lateness.late.len(),
            plan.periods
        )
    });
    require(engine.live_calls() == 0, || {
        format!("{} calls still live", engine.live_calls())
    });
    lateness
}

fn start_timed_call(engine: &Engine, n: u64, turns: &Subscriber) {
    let first = engine
        .start(
            start_req(format!("timed-{n:07}"), ""),
            Some(Box::new(turns.clone())),
        )
        .answer()
        .unwrap_or_else(|e| panic!("call {n} does not start: {e}"));
    require(says_opening(&first), || {
        format!("call {n}'s first turn is not the opening")
    });
}

/// The record of a call that just pushed its last turn. For a moment after
/// that it is neither live nor retained (`Engine::retire` removes it from
/// the live table, then files it), so look again until it is found; how
/// often and how long that took is reported.
async fn ended_record(engine: &Engine, id: &str) -> CallRecord {
    let asked = Instant::now();
    let mut missed = false;
    while asked.elapsed() < FIVE_S {
        match engine.record(None, id).answer() {
            Ok(r) if r.ended.is_some() => {
                if missed {
                    GET_CALL_MISSES.fetch_add(1, Ordering::Relaxed);
                    let waited = asked.elapsed().as_micros() as u64;
                    GET_CALL_LONGEST_MISS_US.fetch_max(waited, Ordering::Relaxed);
                }
                return r;
            }
            Ok(_) => require(false, || {
                format!("{id} pushed its last turn but has not ended")
            }),
            Err(CallError::UnknownCall(_)) => {
                missed = true;
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            Err(e) => require(false, || format!("{id}: {e}")),
        }
    }
    require(false, || {
        format!("{id} is not found for 5 s after it ended")
    });
    unreachable!()
}

/// A silent call's transcript: its opening, then one turn per silent
/// period, each at least 5 s after the one before (a timer never fires
/// early); then its own hang-up on silence at 15 s (after Start and three
/// NoInput, nothing else), or the operator's.
fn check_silent_call(record: &CallRecord, periods: u64) {
    let id = &record.call_id;
    let natural = periods == SILENCE_PROMPTS;
    let turns: Vec<Duration> = record
        .transcript
        .iter()
        .filter(|e| matches!(e.kind, EntryKind::Turn(_)))
        .map(|e| e.offset)
        .collect();
    let events: Vec<&Event> = record
        .transcript
        .iter()
        .filter_map(|e| match &e.kind {
            EntryKind::Event { event, .. } => Some(&**event),
            _ => None,
        })
        .collect();
    let mut expected = vec![&Event::Start];
    expected.extend(std::iter::repeat_n(&Event::NoInput, periods as usize));
    if !natural {
        expected.push(&Event::OperatorHangup);
    }
    require(events == expected, || {
        format!("{id}: events {events:?}, expected {expected:?}")
    });
    require(turns.len() == expected.len(), || {
        format!("{id}: {} turns for {} events", turns.len(), expected.len())
    });
    require(
        turns[..=periods as usize]
            .windows(2)
            .all(|w| w[1] >= w[0] + FIVE_S),
        || format!("{id}: a silence turn came early: {turns:?}"),
    );
    let reason = if natural {
        EndReason::Silence
    } else {
        EndReason::Operator
    };
    require(record.ended == Some(reason), || {
        format!("{id}: ended {:?}, expected {reason:?}", record.ended)
    });
    require(!natural || turns[3] >= FIVE_S * 3, || {
        format!("{id}: hung up before 15 s: {turns:?}")
    });
}

/// The reference: one task per timer, each `sleep_until` its deadline,
/// the deadline set like the engine's (when the previous turn went out,
/// plus 5 s).
async fn sleep_timers(plan: &TimerPlan) -> Lateness {
    let (ticks_tx, ticks_rx) = mpsc::unbounded_channel();
    let (done_tx, done_rx) = mpsc::unbounded_channel();
    let collector = tokio::spawn(collect(
        ticks_rx,
        1 + plan.periods,
        plan.most_calls(),
        done_tx,
    ));
    let periods = plan.periods;
    let run = drive(
        plan,
        done_rx,
        |n| {
            tokio::spawn(timer_task(n, periods, ticks_tx.clone()));
        },
        // The collector already checked the ticks' order.
        async |_: u64| {},
    );
    let calls = within(plan, "reference", run).await;
    drop(ticks_tx);
    let mut lateness = within(plan, "reference collector", collector)
        .await
        .expect("the collector finishes");
    lateness.calls = calls;
    require(lateness.late.len() as u64 == calls * plan.periods, || {
        format!("{} ticks for {calls} timers", lateness.late.len())
    });
    lateness
}

async fn timer_task(timer: u64, periods: u64, ticks: mpsc::UnboundedSender<Tick>) {
    let _ = ticks.send(Tick {
        timer,
        seq: 1,
        listen: Some(FIVE_S),
    });
    for p in 1..=periods {
        tokio::time::sleep_until(Instant::now() + FIVE_S).await;
        let _ = ticks.send(Tick {
            timer,
            seq: p + 1,
            listen: (p < periods).then_some(FIVE_S),
        });
    }
}

// ---------------------------------------------------------------------------
// 3. Flow reload.
//
// A 1,000-step flow (the hotline plus a chain of questions) and the shipped
// hotline, each in its own flows directory served to live calls: how long
// `check_source` takes, and how long `FlowRegistry::reload` (read, check,
// swap) takes after a prompt text changes, while the calls keep getting
// events. Then no call may have been dropped or moved to the new version.

/// The prompt text each reload changes.
const GOODBYE_EN: &str = r#"en = "Thank you, have a nice day! Goodbye.""#;

struct ReloadRun {
    steps: usize,
    file_bytes: usize,
    check: Vec<Duration>,
    reload: Vec<Duration>,
    calls: usize,
    events: u64,
    live: usize,
    silenced: usize,
}

fn flow_reload(mode: Mode) {
    let calls = mode.pick(10_000, 100);
    let reps = 5;
    let big = big_flow(1_000);
    let runtime = multi_thread_runtime();
    let hotline = runtime.block_on(reload_under_calls("hotline", HOTLINE.into(), calls, reps));
    let big = runtime.block_on(reload_under_calls("big", big, calls, reps));
    drop(runtime);

    let table = Table::new(
        &format!(
            "Flow reload with {calls} live calls getting events: check_source, and reload (read + check + swap) after a prompt edit, {reps} times each"
        ),
        &[
            "flow",
            "steps",
            "file",
            "check median",
            "check max",
            "reload median",
            "reload max",
            "reload / hotline",
        ],
    );
    for (name, r) in [
        ("hotline (shipped)", &hotline),
        ("big (hotline + 1,000 ask steps)", &big),
    ] {
        table.row(&[
            name.into(),
            r.steps.to_string(),
            bytes(r.file_bytes as f64),
            ms(median(&r.check)),
            ms(percentile(&r.check, 100.0)),
            ms(median(&r.reload)),
            ms(percentile(&r.reload, 100.0)),
            ratio(
                median(&r.reload).as_secs_f64(),
                median(&hotline.reload).as_secs_f64(),
            ),
        ]);
    }
    let added = (big.steps - hotline.steps) as u32;
    let per_step =
        |b: &[Duration], h: &[Duration]| micros(median(b).saturating_sub(median(h)) / added);
    table.row(&[
        "per added step".into(),
        String::new(),
        bytes((big.file_bytes - hotline.file_bytes) as f64 / f64::from(added)),
        per_step(&big.check, &hotline.check),
        String::new(),
        per_step(&big.reload, &hotline.reload),
        String::new(),
        String::new(),
    ]);

    let table = Table::new(
        "The calls during those reloads",
        &[
            "flow",
            "calls",
            "events handled meanwhile",
            "still live",
            "ended by silence",
            "dropped",
            "on their old version",
        ],
    );
    for (name, r) in [("hotline", &hotline), ("big", &big)] {
        table.row(&[
            name.into(),
            r.calls.to_string(),
            r.events.to_string(),
            r.live.to_string(),
            r.silenced.to_string(),
            (r.calls - r.live - r.silenced).to_string(),
            format!("all {} (new calls: the new version)", r.live + r.silenced),
        ]);
    }
}

/// The hotline with `steps` more `ask` steps: the caller says "survey"
/// (or presses 9) at the welcome, then each question leads on to the next
/// with yes (1), back to `anything_else` with no (2).
fn big_flow(steps: usize) -> String {
    let mut text = HOTLINE
        .replacen(r#"id = "hotline""#, r#"id = "big""#, 1)
        .replacen(
            "[steps.welcome]\n",
            "[steps.welcome]\non.survey = \"q0001\"\n",
            1,
        );
    text.push_str(
        "\n[intents.survey]\nzh-CN = [\"问卷\", \"调查\"]\nzh-TW = [\"問卷\", \"調查\"]\nen = [\"survey\"]\ndtmf = [\"9\"]\n",
    );
    for i in 1..=steps {
        let next = if i < steps {
            format!("q{:04}", i + 1)
        } else {
            "anything_else".into()
        };
        let _ = write!(
            text,
            "\n[prompts.q{i:04}]\n\
             zh-CN = \"第{i}题:您对这项服务满意吗?满意请按1,不满意请按2。\"\n\
             zh-TW = \"第{i}題:您對這項服務滿意嗎?滿意請按1,不滿意請按2。\"\n\
             en = \"Question {i}: are you satisfied with this service? Press 1 for yes, 2 for no.\"\n\
             \n[steps.q{i:04}]\nask = \"q{i:04}\"\non.yes = \"{next}\"\non.no = \"anything_else\"\notherwise = \"record_request\"\n"
        );
    }
    let (flow, diags) = check_source("big.toml", &text);
    require(flow.is_some() && !diags.has_errors(), || {
        format!("the generated flow does not check:\n{diags}")
    });
    require(flow.is_some_and(|f| f.steps().len() >= steps), || {
        "the generated flow lost steps".into()
    });
    text
}

async fn reload_under_calls(id: &str, text: String, calls: usize, reps: usize) -> ReloadRun {
    require(text.contains(GOODBYE_EN), || {
        format!("{id}: no {GOODBYE_EN:?} to edit")
    });
    let dir = tempfile::tempdir().expect("a flows directory");
    let file = dir.path().join(format!("{id}.toml"));
    std::fs::write(&file, &text).expect("the flow is written");
    std::fs::write(dir.path().join("holidays.toml"), HOLIDAYS).expect("the calendar is written");
    let registry = Arc::new(FlowRegistry::load_dir(dir.path(), None).expect("the flows load"));
    require(
        registry
            .problems()
            .iter()
            .all(|d| d.severity != Severity::Error),
        || format!("{id}: problems on load: {:?}", registry.problems()),
    );
    let old = registry.get(id).expect("the flow is loaded");
    let engine = Engine::new(registry.clone(), EngineSettings::default());

    // The live calls, streamed, their pushed turns drained by one task that
    // checks each is still on the old version.
    let (turns_tx, mut turns_rx) = mpsc::unbounded_channel::<Arc<TurnView>>();
    let off_version = Arc::new(AtomicU64::new(0));
    let drain = tokio::spawn({
        let (old, off_version) = (old.version().clone(), off_version.clone());
        async move {
            while let Some(view) = turns_rx.recv().await {
                if *view.flow.version() != old {
                    off_version.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    });
    let ids: Arc<[String]> = (0..calls).map(|i| format!("{id}-{i:05}")).collect();
    for call_id in ids.iter() {
        let first = engine
            .start(
                start_req(call_id.clone(), id),
                Some(Box::new(turns_tx.clone())),
            )
            .answer()
            .unwrap_or_else(|e| panic!("{call_id} does not start: {e}"));
        require(says_opening(&first), || {
            format!("{call_id}'s first turn is not the opening")
        });
    }
    let stop = Arc::new(AtomicBool::new(false));
    let traffic = tokio::spawn(greet_calls(
        engine.clone(),
        ids.clone(),
        stop.clone(),
        old.version().clone(),
    ));

    // (a) The check alone, on the blocking pool as a reload runs.
    let mut check = Vec::with_capacity(reps);
    for _ in 0..reps {
        let text = text.clone();
        let (took, ok) = blocking(move || {
            let t = std::time::Instant::now();
            let (flow, diags) = check_source("flow.toml", &text);
            (t.elapsed(), flow.is_some() && !diags.has_errors())
        })
        .await;
        require(ok, || format!("{id}: the flow no longer checks"));
        check.push(took);
    }

    // (b) Edit a prompt, then reload: the check-and-swap.
    let mut reload = Vec::with_capacity(reps);
    let mut version = old.version().clone();
    for r in 1..=reps {
        let edited = text.replace(
            GOODBYE_EN,
            &format!(r#"en = "Thank you, have a nice day! Goodbye. ({r})""#),
        );
        std::fs::write(&file, edited).expect("the flow is rewritten");
        let reg = registry.clone();
        let (took, report) = blocking(move || {
            let t = std::time::Instant::now();
            let report = reg.reload();
            (t.elapsed(), report)
        })
        .await;
        require(report.loaded.len() == 1 && &*report.loaded[0] == id, || {
            format!("{id}: reload {r} loaded {:?}", report.loaded)
        });
        require(
            report
                .problems
                .iter()
                .all(|d| d.severity != Severity::Error),
            || format!("{id}: reload {r}: {:?}", report.problems),
        );
        let now = registry.get(id).expect("the flow is still loaded");
        require(*now.version() != version, || {
            format!("{id}: reload {r} kept the version")
        });
        version = now.version().clone();
        reload.push(took);
    }
    stop.store(true, Ordering::Relaxed);
    let (events, off_turns) = traffic.await.expect("the traffic task finishes");

    // No call dropped, none moved: each is live or ended by silence, on the
    // version it started with; a new call gets the newest version.
    let (mut live, mut silenced) = (0, 0);
    for call_id in ids.iter() {
        let record = engine
            .record(None, call_id)
            .answer()
            .unwrap_or_else(|e| panic!("{call_id} is gone: {e}"));
        match record.ended {
            None => live += 1,
            Some(EndReason::Silence) => silenced += 1,
            Some(other) => require(false, || format!("{call_id} ended: {other:?}")),
        }
        require(record.flow.version() == old.version(), || {
            format!("{call_id} moved to version {}", record.flow.version())
        });
    }
    require(engine.live_calls() == live, || {
        format!("{} live calls, {live} found", engine.live_calls())
    });
    let (tx, _rx) = mpsc::unbounded_channel();
    let fresh = engine
        .start(
            start_req(format!("{id}-after-reload"), id),
            Some(Box::new(tx)),
        )
        .answer()
        .expect("a new call starts");
    require(
        *fresh.flow.version() == version && version != *old.version(),
        || format!("{id}: a new call got version {}", fresh.flow.version()),
    );
    drain.abort();
    require(
        off_turns == 0 && off_version.load(Ordering::Relaxed) == 0,
        || format!("{id}: turns of live calls came from a new version"),
    );
    require(events > 0, || format!("{id}: no events while reloading"));

    check.sort_unstable();
    reload.sort_unstable();
    ReloadRun {
        steps: old.steps().len(),
        file_bytes: text.len(),
        check,
        reload,
        calls,
        events,
        live,
        silenced,
    }
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f)
        .await
        .expect("the blocking task finishes")
}

/// Keeps the calls busy until `stop`: each in turn hears "您好" (a
/// greeting, N6: answered in place, so the call stays at its step and its
/// silence clock restarts). Returns the events handled and how many of
/// their turns were not on the `old` version.
async fn greet_calls(
    engine: Engine,
    ids: Arc<[String]>,
    stop: Arc<AtomicBool>,
    old: Arc<str>,
) -> (u64, u64) {
    let mut seq = vec![0u64; ids.len()];
    let (mut events, mut off_version) = (0, 0);
    while !stop.load(Ordering::Relaxed) {
        for (i, call_id) in ids.iter().enumerate() {
            seq[i] += 1;
            let greeting = Event::Speech {
                text: "您好".into(),
                confidence: Some(0.9),
                intents: Vec::new(),
            };
            match engine.send(None, call_id, seq[i], greeting).answer() {
                Ok(view) => {
                    events += 1;
                    off_version += u64::from(*view.flow.version() != old);
                }
                // Ended by silence between two rounds: checked afterwards.
                Err(CallError::Ended { .. }) => {}
                Err(e) => require(false, || format!("{call_id}: {e}")),
            }
            if i % 64 == 63 {
                tokio::task::yield_now().await;
                if stop.load(Ordering::Relaxed) {
                    break;
                }
            }
        }
    }
    (events, off_version)
}
