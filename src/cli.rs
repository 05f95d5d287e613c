//! The `callscript` commands: `serve`, `check`, `greeting`, `schema`,
//! `graph`, `simulate` and `score` (`cli/score.rs`): argument handling;
//! the work is in the library.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::Arc,
};

use chrono::{DateTime, Utc};
use clap::{ArgGroup, Parser, Subcommand, ValueEnum};

use crate::{
    calendar::HolidayCalendar,
    config::{self, Overrides},
    flow::{
        Diagnostic, Diagnostics, FlowRegistry, Severity, check_source, registry::HOLIDAYS_FILE,
    },
};

mod score;
pub mod understand;
pub use score::{ScoreArgs, score};
pub use understand::{UnderstandArgs, understand};

#[derive(Debug, Parser)]
#[command(
    name = "callscript",
    version,
    about = "Call-centre phone scripts as per-call state machines, over gRPC"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the gRPC API on the flows in the flows directory.
    Serve {
        /// Address to listen on [env: CALLSCRIPT_LISTEN] [default: 127.0.0.1:50051]
        #[arg(long)]
        listen: Option<String>,
        /// Directory of flow files [env: CALLSCRIPT_FLOWS_DIR] [default: flows]
        #[arg(long)]
        flows: Option<String>,
        /// Optional TOML config file.
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Check flow files (and the holiday calendar) against the format and the norms.
    Check {
        /// Files or directories [default: flows]
        paths: Vec<PathBuf>,
        /// Treat warnings as errors.
        #[arg(long)]
        strict: bool,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Show which opening a call at a given moment gets, and why.
    Greeting {
        /// Flow id, or a flow file (path/to/flow.toml) [default: the default flow]
        #[arg(long)]
        flow: Option<String>,
        /// RFC 3339 time, e.g. 2026-10-01T09:30:00+08:00 [default: now]
        #[arg(long)]
        at: Option<String>,
        /// Directory of flow files.
        #[arg(long, default_value = "flows")]
        flows: PathBuf,
    },
    /// Print the JSON Schema of the flow file format (shipped as flows/flow.schema.json).
    Schema,
    /// Draw a flow as a diagram: steps, answers, timeouts, transfers, hang-ups.
    Graph {
        /// Flow id, or a flow file (path/to/flow.toml) [default: the default flow]
        #[arg(long)]
        flow: Option<String>,
        #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
        format: GraphFormat,
        /// Directory of flow files.
        #[arg(long, default_value = "flows")]
        flows: PathBuf,
    },
    /// Run a call against an in-process engine on simulated time: a
    /// scenario file (its transcript is printed), or a session in which you
    /// play the caller (type what the caller says, /help for the commands).
    Simulate(SimulateArgs),
    /// Score call transcripts (JSON Lines) against the norms (N18): one row
    /// per call with its deductions, then a summary. Exits 0 however low the
    /// scores; 1 when a file cannot be read or has no readable line.
    Score(ScoreArgs),
    /// What a caller's line is understood as and why, or a labelled
    /// corpus's precision, recall and F1 per intent (--eval).
    Understand(UnderstandArgs),
}

/// `simulate`: either `--scenario FILE` or `--flow ID`, never both.
#[derive(Debug, clap::Args)]
#[command(group(
    ArgGroup::new("call")
        .required(true)
        .args(["scenario", "flow"])
))]
pub struct SimulateArgs {
    /// Run this scenario file (tests/scenarios/*.toml) and print the transcript.
    #[arg(long)]
    pub scenario: Option<PathBuf>,
    /// Play the caller of a call on this flow (an id, or a flow file
    /// path/to/flow.toml), line by line on stdin.
    #[arg(long)]
    pub flow: Option<String>,
    /// With --flow: when the call starts, RFC 3339, e.g.
    /// 2026-10-01T09:30:00+08:00; chooses the opening [default: now]
    #[arg(long, conflicts_with = "scenario")]
    pub at: Option<String>,
    /// With --flow: the call's locale, one the flow offers (zh-CN, zh-TW, en)
    /// [default: the flow's first]
    #[arg(long, conflicts_with = "scenario")]
    pub locale: Option<String>,
    /// With --flow: how long the caller takes before each thing they do
    /// (simulated time: 0s, 500ms, 2s)
    #[arg(long, default_value = "1s", value_parser = parse_reply_after, conflicts_with = "scenario")]
    pub reply_after: std::time::Duration,
    /// Directory of flow files.
    #[arg(long, default_value = "flows")]
    pub flows: PathBuf,
    /// With --flow: a variable of the call, as StartCall gives it
    /// (repeatable), e.g. --var customer=张三
    #[arg(long = "var", value_name = "NAME=VALUE", conflicts_with = "scenario")]
    pub variables: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    Mermaid,
    Dot,
}

/// Runs `graph`; returns the exit code.
pub fn graph(
    flow: &str,
    format: GraphFormat,
    flows_dir: &Path,
    out: &mut dyn std::io::Write,
) -> std::io::Result<i32> {
    let Some((registry, flow)) = resolve_flow(flow, flows_dir, out)? else {
        return Ok(1);
    };
    let Some(flow) = registry.get(&flow) else {
        return Ok(1);
    };
    let text = match format {
        GraphFormat::Mermaid => crate::graph::mermaid(&flow),
        GraphFormat::Dot => crate::graph::dot(&flow),
    };
    write!(out, "{text}")?;
    Ok(0)
}

/// The flows of `dir`, or `None` after telling the user why not.
fn load_flows(
    dir: &Path,
    out: &mut dyn std::io::Write,
) -> std::io::Result<Option<Arc<FlowRegistry>>> {
    match FlowRegistry::load_dir(dir, None) {
        Ok(r) => Ok(Some(Arc::new(r))),
        Err(e) => {
            writeln!(out, "{e}")?;
            if matches!(e, crate::flow::registry::LoadError::Dir { .. }) {
                writeln!(
                    out,
                    "hint: run callscript where its flows/ directory is (the repository), \
                     or give --flows DIR, or --flow path/to/flow.toml"
                )?;
            }
            Ok(None)
        }
    }
}

/// The flows a command works on and the id of its flow. `flow` is a flow
/// id in `flows_dir` ("" for the default flow), or a flow file
/// (`path/to/flow.toml`), whose own directory is loaded then (for its
/// holiday calendar). `None` after telling the user why not.
fn resolve_flow(
    flow: &str,
    flows_dir: &Path,
    out: &mut dyn std::io::Write,
) -> std::io::Result<Option<(Arc<FlowRegistry>, String)>> {
    if !flow.ends_with(".toml") {
        let Some(registry) = load_flows(flows_dir, out)? else {
            return Ok(None);
        };
        if registry.get(flow).is_none() {
            let ids: Vec<String> = registry
                .list()
                .iter()
                .map(|s| s.flow.id().to_string())
                .collect();
            writeln!(
                out,
                "--flow: no flow {flow:?} in {} (it has {}; a flow file is given as path/to/flow.toml)",
                flows_dir.display(),
                ids.join(", ")
            )?;
            return Ok(None);
        }
        return Ok(Some((registry, flow.to_owned())));
    }
    let file = Path::new(flow);
    if !file.is_file() {
        writeln!(out, "--flow: there is no flow file {flow}")?;
        return Ok(None);
    }
    let dir = file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let Some(registry) = load_flows(dir, out)? else {
        return Ok(None);
    };
    let name = file.file_name();
    let found = registry
        .list()
        .into_iter()
        .find(|s| Path::new(s.flow.source_file()).file_name() == name);
    match found {
        Some(s) => Ok(Some((registry, s.flow.id().to_string()))),
        None => {
            writeln!(out, "--flow: {flow} does not load:")?;
            for p in registry.problems() {
                if Path::new(&p.file).file_name() == name {
                    writeln!(out, "{p}")?;
                }
            }
            Ok(None)
        }
    }
}

/// `--reply-after`: a duration such as 1s or 500ms.
fn parse_reply_after(text: &str) -> Result<std::time::Duration, String> {
    crate::scenario::parse_duration(text)
        .map_err(|_| format!("{text:?}: expected a duration such as 0s, 500ms or 2s"))
}

/// Runs `simulate`: a scenario file, or a session reading the caller's
/// lines from `input` (`prompt`: show a prompt, for a terminal). Returns the
/// exit code.
pub fn simulate(
    args: &SimulateArgs,
    input: &mut dyn std::io::BufRead,
    prompt: bool,
    out: &mut dyn std::io::Write,
) -> std::io::Result<i32> {
    let SimulateArgs {
        scenario,
        flow,
        at,
        locale,
        reply_after,
        flows: flows_dir,
        variables,
    } = args;
    if let Some(scenario) = scenario {
        let Some(registry) = load_flows(flows_dir, out)? else {
            return Ok(1);
        };
        return simulate_scenario(registry, scenario, out);
    }
    // clap's ArgGroup requires one of the two.
    let flow = flow.as_deref().unwrap_or_default();
    let Some((registry, flow)) = resolve_flow(flow, flows_dir, out)? else {
        return Ok(1);
    };
    let at = match at {
        None => None,
        Some(text) => match parse_at(text, out)? {
            Some(t) => Some(t),
            None => return Ok(2),
        },
    };
    let rules = match crate::quality::load_rules(flows_dir) {
        Ok(r) => Arc::new(r),
        Err(errors) => {
            for e in errors {
                writeln!(out, "{e}")?;
            }
            return Ok(2);
        }
    };
    let setup = crate::simulate::Setup {
        rules,
        flow,
        at,
        locale: locale.clone(),
        prompt,
        reply_after: *reply_after,
        variables: match crate::simulate::parse_variables(variables.iter().map(String::as_str)) {
            Ok(v) => v,
            Err(e) => {
                writeln!(out, "--var: {e}")?;
                return Ok(2);
            }
        },
    };
    crate::simulate::run(registry, &setup, input, out)
}

/// Runs `simulate --scenario`. Time is simulated: the runtime's clock is
/// paused and jumps to each timer, so a silent call takes no real 15 s.
fn simulate_scenario(
    registry: Arc<FlowRegistry>,
    scenario: &Path,
    out: &mut dyn std::io::Write,
) -> std::io::Result<i32> {
    let runtime = crate::simulate::simulated_runtime()?;
    match runtime.block_on(crate::scenario::run_scenario(registry, scenario)) {
        Ok(transcript) => {
            write!(out, "{transcript}")?;
            Ok(0)
        }
        Err(failure) => {
            writeln!(out, "{failure}")?;
            Ok(1)
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// The settings `serve` runs with.
pub fn serve_settings(
    listen: Option<String>,
    flows: Option<String>,
    config: Option<&Path>,
) -> Result<config::Settings, config::SettingsError> {
    let env: HashMap<String, String> = std::env::vars().collect();
    config::load(
        config,
        env,
        &Overrides {
            listen,
            flows_dir: flows,
        },
    )
}

/// Runs `check`; returns the process exit code.
pub fn check(
    paths: &[PathBuf],
    strict: bool,
    format: Format,
    out: &mut dyn std::io::Write,
) -> std::io::Result<i32> {
    // The holiday notices are Chinese calendar data: today is Beijing's.
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive();
    check_on(paths, strict, format, today, out)
}

/// [`check`] as if today were `today`: the calendar advisory (next year's
/// holiday notice still missing from 1 December) depends on the date.
/// Advisories are printed, never counted as warnings: a government that
/// has not published yet must not fail a designer's `--strict` CI.
pub fn check_on(
    paths: &[PathBuf],
    strict: bool,
    format: Format,
    today: chrono::NaiveDate,
    out: &mut dyn std::io::Write,
) -> std::io::Result<i32> {
    let paths = if paths.is_empty() {
        vec![PathBuf::from("flows")]
    } else {
        paths.to_vec()
    };
    let mut files = Vec::new();
    let mut all = Vec::new();
    for path in &paths {
        if path.is_dir() {
            all.extend(crate::flow::registry::missing_holidays(path));
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "toml"))
                .collect();
            found.sort();
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    let mut advisories = Vec::new();
    for file in &files {
        all.extend(check_file(file).0);
        if file.file_name().is_some_and(|n| n == HOLIDAYS_FILE)
            && let Ok(text) = std::fs::read_to_string(file)
            && let Ok(calendar) = HolidayCalendar::from_toml(&file.display().to_string(), &text)
            && let Some(note) = calendar.missing_next_notice(today)
        {
            advisories.push(format!("{}: advisory: {note}", file.display()));
        }
    }
    // Errors first, then by file (each file's own are in line order).
    all.sort_by(|a, b| (a.severity, &a.file).cmp(&(b.severity, &b.file)));
    let diags = Diagnostics(all);
    let errors = diags
        .0
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = diags.0.len() - errors;
    match format {
        Format::Text => {
            for d in &diags.0 {
                writeln!(out, "{d}")?;
                if let Some(see) = norm_link(d) {
                    writeln!(out, "  = see {see}")?;
                }
            }
            for a in &advisories {
                writeln!(out, "{a}")?;
            }
            writeln!(
                out,
                "checked {} file{}: {errors} error{}, {warnings} warning{}{}",
                files.len(),
                if files.len() == 1 { "" } else { "s" },
                if errors == 1 { "" } else { "s" },
                if warnings == 1 { "" } else { "s" },
                if strict && warnings > 0 {
                    " (--strict: warnings fail)"
                } else {
                    ""
                },
            )?;
        }
        Format::Json => {
            let report = serde_json::json!({
                "files": files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>(),
                "errors": errors,
                "warnings": warnings,
                "ok": !diags.fails(strict),
                "advisories": advisories,
                "diagnostics": diags.0.iter().map(|d| {
                    let mut v = serde_json::to_value(d).unwrap_or_default();
                    if let (Some(see), Some(map)) = (norm_link(d), v.as_object_mut()) {
                        map.insert("see".into(), see.into());
                    }
                    v
                }).collect::<Vec<_>>(),
            });
            writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&report).unwrap_or_default()
            )?;
        }
    }
    Ok(if diags.fails(strict) { 1 } else { 0 })
}

/// Where the norm a diagnostic cites is explained: `docs/norms.md#n10`.
pub fn norm_link(d: &Diagnostic) -> Option<String> {
    d.norm
        .map(|n| format!("{NORMS_DOC}#{}", n.to_ascii_lowercase()))
}

/// The norms, in the repository (each has an anchor `#n1` … `#n18`).
pub const NORMS_DOC: &str = "docs/norms.md";

/// Checks one file: the holiday calendar and the quality rules by their own
/// rules, anything else as a flow.
pub fn check_file(file: &Path) -> Diagnostics {
    let name = file.display().to_string();
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) => {
            return Diagnostics(vec![Diagnostic::file_error(
                name,
                format!("cannot read: {e}"),
            )]);
        }
    };
    if file.file_name().is_some_and(|n| n == HOLIDAYS_FILE) {
        return match HolidayCalendar::from_toml(&name, &text) {
            Ok(_) => Diagnostics::default(),
            Err(errors) => Diagnostics(
                errors
                    .iter()
                    .map(|e| crate::flow::registry::calendar_diagnostic(&name, e))
                    .collect(),
            ),
        };
    }
    if file
        .file_name()
        .is_some_and(|n| n == crate::quality::QUALITY_FILE)
    {
        return Diagnostics(crate::quality::check_rules_file(&name, &text));
    }
    check_source(&name, &text).1
}

/// Runs `schema`: prints the flow format's JSON Schema; returns the exit code.
pub fn schema(out: &mut dyn std::io::Write) -> std::io::Result<i32> {
    out.write_all(crate::flow::json_schema().as_bytes())?;
    Ok(0)
}

/// Runs `greeting`; returns the exit code.
pub fn greeting(
    flow: &str,
    at: Option<&str>,
    flows_dir: &Path,
    out: &mut dyn std::io::Write,
) -> std::io::Result<i32> {
    let Some((registry, flow)) = resolve_flow(flow, flows_dir, out)? else {
        return Ok(1);
    };
    let at: DateTime<Utc> = match at {
        None => Utc::now(),
        Some(text) => match parse_at(text, out)? {
            Some(t) => t,
            None => return Ok(2),
        },
    };
    let Some(flow) = registry.get(&flow) else {
        return Ok(1);
    };
    let start = flow.start_at(at, &registry.holidays());
    let opening = start.opening;
    // A directory without its holiday notices greets differently (N4).
    for p in registry.problems() {
        if p.file.ends_with(HOLIDAYS_FILE) {
            writeln!(out, "{p}")?;
        }
    }
    writeln!(out, "flow:   {} ({})", flow.id(), flow.version())?;
    writeln!(
        out,
        "local:  {} ({})",
        opening.local.format("%Y-%m-%d %H:%M:%S %a"),
        flow.zone()
    )?;
    writeln!(out, "rule:   {}", opening.rule)?;
    match start.hours {
        Some(h) => writeln!(out, "hours:  {h}")?,
        None => writeln!(out, "hours:  always open (the flow has no [hours])")?,
    }
    match opening.prompt {
        Some(p) => {
            let prompt = flow.prompt(p);
            writeln!(out, "prompt: {}", prompt.id)?;
            for (i, locale) in flow.locales().iter().enumerate() {
                writeln!(out, "  {locale}: {}", prompt.text(i as u8))?;
            }
        }
        None => writeln!(out, "prompt: (this flow has no opening)")?,
    }
    Ok(0)
}

/// `--at` as a moment, or `None` after telling the user what is wrong.
fn parse_at(text: &str, out: &mut dyn std::io::Write) -> std::io::Result<Option<DateTime<Utc>>> {
    match DateTime::parse_from_rfc3339(text) {
        Ok(t) => Ok(Some(t.with_timezone(&Utc))),
        Err(e) => {
            writeln!(
                out,
                "--at: {text:?} is not an RFC 3339 time ({e}), e.g. 2026-10-01T09:30:00+08:00"
            )?;
            Ok(None)
        }
    }
}
