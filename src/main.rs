//! The `callscript` binary: parse the command line, then hand over to the
//! library (`server::App` for `serve`).

use std::{io::IsTerminal, process::ExitCode};

use callscript::{
    cli::{self, Cli, Command},
    server::{App, signals},
    telemetry,
};
use clap::Parser;

// Every event allocates a little (the turn, its wire form, the transcript
// line); glibc's allocator made that a tenth of a SendEvent's instructions
// under load (callgrind, BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut stdout = std::io::stdout();
    let code = match cli.command {
        Command::Serve {
            listen,
            flows,
            config,
        } => return serve(listen, flows, config),
        Command::Check {
            paths,
            strict,
            format,
        } => cli::check(&paths, strict, format, &mut stdout),
        Command::Greeting { flow, at, flows } => cli::greeting(
            flow.as_deref().unwrap_or_default(),
            at.as_deref(),
            &flows,
            &mut stdout,
        ),
        Command::Schema => cli::schema(&mut stdout),
        Command::Graph {
            flow,
            format,
            flows,
        } => cli::graph(
            flow.as_deref().unwrap_or_default(),
            format,
            &flows,
            &mut stdout,
        ),
        Command::Simulate(args) => {
            let stdin = std::io::stdin();
            let prompt = stdin.is_terminal();
            cli::simulate(&args, &mut stdin.lock(), prompt, &mut stdout)
        }
        Command::Score(args) => cli::score(&args, &mut stdout),
        Command::Understand(args) => cli::understand(&args, &mut stdout),
    };
    match code {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            eprintln!("callscript: {e}");
            ExitCode::from(2)
        }
    }
}

fn serve(
    listen: Option<String>,
    flows: Option<String>,
    config: Option<std::path::PathBuf>,
) -> ExitCode {
    let settings = match cli::serve_settings(listen, flows, config.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("callscript: {e}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(&settings.log, settings.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("callscript: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let code = runtime.block_on(async move {
        let app = match App::build(settings).await {
            Ok(app) => app,
            // A file or setting to fix, as for a bad setting: exit 2,
            // before anything listens.
            Err(e) => {
                eprintln!("callscript: {e}");
                return ExitCode::from(2);
            }
        };
        // Installed before "listening", so a SIGHUP from then on reloads
        // instead of killing the process.
        #[cfg(unix)]
        match signals::reload_on_hangup(app.reloader()) {
            Ok(reloads) => {
                tokio::spawn(reloads);
            }
            Err(e) => tracing::warn!(error = %e, "cannot handle SIGHUP; restart to reload files"),
        }
        announce(&app);
        match app.run(signals::shutdown()).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("callscript: {e}");
                ExitCode::FAILURE
            }
        }
    });
    // A reload stuck in a blocking read must not hold the exit: the drain
    // deadline is the promise.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    code
}

/// On stdout, plainly, so scripts and tests can find a port-0 server.
fn announce(app: &App) {
    use std::io::Write;
    let mut out = std::io::stdout();
    // A reader that only wanted the first line may have gone.
    if let Ok(addr) = app.local_addr() {
        let _ = writeln!(out, "callscript listening on {addr}");
    }
    if let Some(addr) = app.metrics_addr() {
        let _ = writeln!(out, "callscript metrics on http://{addr}/metrics");
    }
    if let Some(addr) = app.studio_addr() {
        let _ = writeln!(out, "callscript studio on http://{addr}/");
    }
}
