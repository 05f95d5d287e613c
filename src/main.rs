//! The `callscript` binary: parse the command line, then hand over to the
//! library (`server::run` for `serve`).

use std::{io::IsTerminal, process::ExitCode, sync::Arc};

use callscript::{
    cli::{self, Cli, Command},
    flow::FlowRegistry,
    grpc::auth::Auth,
    server, telemetry,
};
use clap::Parser;
use tokio::net::TcpListener;

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
        let registry = match FlowRegistry::load_dir_with(
            &settings.flows_dir,
            settings.default_flow.clone(),
            settings.max_flow_bytes,
        ) {
            Ok(r) => Arc::new(r),
            Err(e) => {
                eprintln!("callscript: {e}");
                return ExitCode::FAILURE;
            }
        };
        for problem in registry.problems() {
            tracing::warn!(%problem, "flow problem at start-up");
        }
        // Keep the watcher alive for the life of the server.
        let _watcher = if settings.watch {
            match registry.watch() {
                Ok(w) => w,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot watch the flows directory; use ReloadFlows to reload");
                    None
                }
            }
        } else {
            None
        };
        let listener = match TcpListener::bind(settings.listen).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("callscript: cannot listen on {}: {e}", settings.listen);
                return ExitCode::FAILURE;
            }
        };
        let metrics_listener = match settings.metrics_listen {
            None => None,
            Some(addr) => match TcpListener::bind(addr).await {
                Ok(l) => Some(l),
                Err(e) => {
                    eprintln!("callscript: cannot listen on {addr} (metrics_listen): {e}");
                    return ExitCode::FAILURE;
                }
            },
        };
        if let Ok(addr) = listener.local_addr() {
            // On stdout, plainly, so scripts and tests can find a port-0 server.
            println!("callscript listening on {addr}");
        }
        if let Some(addr) = metrics_listener.as_ref().and_then(|l| l.local_addr().ok()) {
            // A reader that only wanted the first line may have gone.
            use std::io::Write;
            let _ = writeln!(std::io::stdout(), "callscript metrics on http://{addr}/metrics");
        }
        let auth = match &settings.auth_tokens_file {
            None => None,
            Some(path) => match Auth::load(path) {
                Ok(auth) => Some(auth),
                Err(e) => {
                    eprintln!("callscript: auth_tokens_file: {e}");
                    return ExitCode::FAILURE;
                }
            },
        };
        // The tokens file reloads like the flows.
        let _auth_watcher = match (&auth, settings.watch) {
            (Some(auth), true) => auth
                .watch()
                .map_err(|e| tracing::warn!(error = %e, "cannot watch the tokens file; restart to change tokens"))
                .ok(),
            _ => None,
        };
        let tls = match (&settings.tls_cert, &settings.tls_key) {
            (Some(cert), Some(key)) => Some(server::TlsFiles {
                cert: cert.clone(),
                key: key.clone(),
                client_ca: settings.tls_client_ca.clone(),
            }),
            _ => None,
        };
        let server_settings = server::ServerSettings {
            engine: settings.engine.clone(),
            reference_service: settings.reference_service,
            limits: settings.limits.clone(),
            connections: settings.connections.clone(),
            auth,
            tls,
            drain_timeout: settings.drain_timeout,
            max_flow_bytes: settings.max_flow_bytes,
            quality_file: Some(settings.flows_dir.join(callscript::quality::QUALITY_FILE)),
            records: settings.records.clone(),
            store: None,
        };
        let mut server_settings = server_settings;
        if let Some(url) = &settings.store {
            match callscript::engine::store::redis::RedisStore::open(url) {
                Ok(store) => {
                    tracing::info!(store = callscript::engine::store::CallStore::describe(&store), "calls live in the shared store");
                    let store: Arc<dyn callscript::engine::store::CallStore> = Arc::new(store);
                    server_settings.store = Some((store, settings.store_ended_ttl));
                }
                Err(e) => {
                    eprintln!("callscript: {e}");
                    return ExitCode::FAILURE;
                }
            }
        }
        match server::run_observed(
            listener,
            metrics_listener,
            registry,
            server_settings,
            shutdown_signal(),
        )
        .await
        {
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

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
