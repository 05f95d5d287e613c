//! Logging. Callers' numbers and words are never logged above debug (N16).
//!
//! One line per event, on stderr: plain text for people (coloured only when
//! stderr is a terminal, so a redirected log holds no escape codes), or one
//! JSON object per line for log shippers (`log_format = "json"`).

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// How log lines are written (`log_format`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// `2026-12-01T02:00:00.000000Z  INFO callscript::engine: call started call_id=c1 …`
    #[default]
    Text,
    /// `{"timestamp":"…","level":"INFO","message":"call started","call_id":"c1",…}`
    Json,
}

impl LogFormat {
    /// Parses a `log_format` value.
    pub fn parse(text: &str) -> Option<LogFormat> {
        match text.to_ascii_lowercase().as_str() {
            "text" => Some(LogFormat::Text),
            "json" => Some(LogFormat::Json),
            _ => None,
        }
    }
}

/// Installs the global subscriber; `RUST_LOG` overrides the configured filter.
pub fn init(filter: &str, format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second init (tests) keeps the first subscriber.
    let _ = match format {
        LogFormat::Text => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .try_init(),
    };
}
