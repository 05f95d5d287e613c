//! callscript: call-centre phone scripts as per-call state machines, served
//! over gRPC.
//!
//! # Layout
//!
//! - [`flow`]: flow files (the scripts): parsing, checking against the
//!   norms, one file per kind of step, the registry of loaded flows.
//! - [`calendar`]: local time, day parts and holidays (N2-N4).
//! - [`call`]: one call as a pure state machine: events in, actions out.
//! - [`engine`]: live calls: the session table, timers, the store seam.
//! - [`transcript`]: what happened on a call (turns, events, the call's
//!   record) and its text; what the engine writes and the records file,
//!   the scorer, scenarios and the simulator read.
//! - [`grpc`]: the wire: tonic services and conversions, status codes.
//! - [`server`]: binds it together: `server::run(listener, …, shutdown)`;
//!   the SIGTERM drain and TLS.
//! - [`connections`]: accepting connections: `max_connections`, the
//!   handshake deadline.
//! - [`scenario`]: scenario files (events in, expected transcript out).
//! - [`simulate`]: play the caller of a call in the terminal, on simulated
//!   time.
//! - [`graph`]: a flow as a diagram (mermaid, dot).
//! - [`studio`]: the designers' and operators' page on `studio_listen` and
//!   its HTTP JSON API: check, draw, simulate, save as a test, publish,
//!   watch calls.
//! - [`quality`]: quality scoring (N18): any call's transcript, the
//!   service's own or a human agent's, scored against the norms with the
//!   moment and words of each violation (`flows/quality.toml`).
//! - [`metrics`]: Prometheus metrics (every name, every recording
//!   function) and the `/metrics` endpoint.
//! - [`records`]: call detail records, one JSON line per ended call.
//! - [`norms`]: the norms' wording rules (N13) and number masking (N16),
//!   shared by `check` and the scorer; a leaf that imports nothing else.
//! - [`config`], [`telemetry`], [`cli`]: settings, logging, the commands.
//!
//! ARCHITECTURE.md has the glossary (Call, Flow, Step, Prompt, Event,
//! Action, Turn) and the reasons behind the shape.

pub mod calendar;
pub mod call;
pub mod cli;
pub mod config;
pub mod connections;
pub mod engine;
pub mod flow;
pub mod graph;
pub mod grpc;
pub mod metrics;
pub mod norms;
pub mod quality;
pub mod records;
pub mod scenario;
pub mod server;
pub mod simulate;
pub mod studio;
pub mod telemetry;
pub mod transcript;
