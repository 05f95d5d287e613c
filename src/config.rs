//! Settings: defaults, then an optional config file, then `CALLSCRIPT_*`
//! environment variables, then command-line flags. Every setting is parsed
//! and every problem reported at once.

use std::{collections::HashMap, net::SocketAddr, path::PathBuf, time::Duration};

use config::{Config, Environment, File, FileFormat};
use serde::Deserialize;

use crate::engine::EngineSettings;

/// The service's settings, parsed.
#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: SocketAddr,
    pub flows_dir: PathBuf,
    /// Flow used when StartCall names none ("hotline" when unset).
    pub default_flow: Option<String>,
    /// Reload flows when files in `flows_dir` change.
    pub watch: bool,
    pub log: String,
    pub engine: EngineSettings,
    /// Serve the benchmarks' bare hello handler too (BENCHMARKS.md).
    pub reference_service: bool,
}

/// Every value as text, so each can be checked and reported on its own.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    listen: Option<String>,
    flows_dir: Option<String>,
    default_flow: Option<String>,
    watch: Option<String>,
    log: Option<String>,
    idle_timeout_ms: Option<String>,
    retain_ended: Option<String>,
    max_transcript_entries: Option<String>,
    reference_service: Option<String>,
}

/// Values given on the command line; they win over file and environment.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub listen: Option<String>,
    pub flows_dir: Option<String>,
}

#[derive(Debug, thiserror::Error)]
#[error("invalid settings:\n{}", .0.iter().map(|e| format!("  - {e}")).collect::<Vec<_>>().join("\n"))]
pub struct SettingsError(pub Vec<String>);

pub const DEFAULT_LISTEN: &str = "127.0.0.1:50051";

/// Loads settings. `env` is the process environment (injected, so tests
/// never touch globals).
pub fn load(
    file: Option<&std::path::Path>,
    env: HashMap<String, String>,
    overrides: &Overrides,
) -> Result<Settings, SettingsError> {
    let mut builder = Config::builder();
    if let Some(file) = file {
        builder = builder.add_source(File::from(file).format(FileFormat::Toml).required(true));
    }
    builder = builder.add_source(
        Environment::with_prefix("CALLSCRIPT")
            .try_parsing(false)
            .source(Some(env)),
    );
    let raw: Raw = builder
        .build()
        .and_then(|c| c.try_deserialize())
        .map_err(|e| SettingsError(vec![e.to_string()]))?;

    let mut errors = Vec::new();
    let listen_text = overrides
        .listen
        .clone()
        .or(raw.listen)
        .unwrap_or_else(|| DEFAULT_LISTEN.to_owned());
    let listen = listen_text
        .parse::<SocketAddr>()
        .map_err(|_| {
            errors.push(format!(
                "listen: {listen_text:?} is not an address such as 127.0.0.1:50051"
            ))
        })
        .ok();
    let flows_dir = PathBuf::from(
        overrides
            .flows_dir
            .clone()
            .or(raw.flows_dir)
            .unwrap_or_else(|| "flows".to_owned()),
    );
    let watch = flag("watch", raw.watch.as_deref(), true, &mut errors);
    let reference_service = flag(
        "reference_service",
        raw.reference_service.as_deref(),
        false,
        &mut errors,
    );
    let defaults = EngineSettings::default();
    let idle_timeout = match raw.idle_timeout_ms {
        None => defaults.idle_timeout,
        Some(t) => match t.parse::<u64>() {
            Ok(ms) if (1000..=86_400_000).contains(&ms) => Duration::from_millis(ms),
            _ => {
                errors.push(format!("idle_timeout_ms: {t:?} must be a whole number of milliseconds from 1000 to 86400000"));
                defaults.idle_timeout
            }
        },
    };
    let retain_ended = match raw.retain_ended {
        None => defaults.retain_ended,
        Some(t) => t.parse::<usize>().unwrap_or_else(|_| {
            errors.push(format!("retain_ended: {t:?} must be a whole number"));
            defaults.retain_ended
        }),
    };
    let max_transcript = match raw.max_transcript_entries {
        None => defaults.max_transcript,
        Some(t) => match t.parse::<usize>() {
            Ok(n) if n >= 16 => n,
            _ => {
                errors.push(format!(
                    "max_transcript_entries: {t:?} must be a whole number of at least 16"
                ));
                defaults.max_transcript
            }
        },
    };
    match listen {
        Some(listen) if errors.is_empty() => Ok(Settings {
            listen,
            flows_dir,
            default_flow: raw.default_flow.filter(|f| !f.is_empty()),
            watch,
            log: raw.log.unwrap_or_else(|| "info".to_owned()),
            engine: EngineSettings {
                idle_timeout,
                retain_ended,
                max_transcript,
            },
            reference_service,
        }),
        _ => Err(SettingsError(errors)),
    }
}

/// A true/false setting.
fn flag(name: &str, value: Option<&str>, default: bool, errors: &mut Vec<String>) -> bool {
    match value.map(str::to_ascii_lowercase).as_deref() {
        None => default,
        Some("true" | "1" | "yes") => true,
        Some("false" | "0" | "no") => false,
        Some(other) => {
            errors.push(format!("{name}: {other:?} is not true or false"));
            default
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_then_env_then_flags() {
        let s = load(None, env(&[]), &Overrides::default()).unwrap();
        assert_eq!(s.listen.to_string(), "127.0.0.1:50051");
        assert_eq!(s.flows_dir, PathBuf::from("flows"));

        let s = load(
            None,
            env(&[("CALLSCRIPT_LISTEN", "127.0.0.1:6000")]),
            &Overrides::default(),
        )
        .unwrap();
        assert_eq!(s.listen.to_string(), "127.0.0.1:6000");

        let flags = Overrides {
            listen: Some("127.0.0.1:7000".into()),
            flows_dir: None,
        };
        let s = load(
            None,
            env(&[("CALLSCRIPT_LISTEN", "127.0.0.1:6000")]),
            &flags,
        )
        .unwrap();
        assert_eq!(s.listen.to_string(), "127.0.0.1:7000");
    }

    #[test]
    fn every_bad_setting_is_reported_at_once() {
        let e = load(
            None,
            env(&[
                ("CALLSCRIPT_LISTEN", "nowhere"),
                ("CALLSCRIPT_IDLE_TIMEOUT_MS", "5"),
                ("CALLSCRIPT_WATCH", "maybe"),
            ]),
            &Overrides::default(),
        )
        .unwrap_err();
        assert_eq!(e.0.len(), 3, "{e}");
        assert!(e.0[0].starts_with("listen: \"nowhere\""), "{e}");
        assert!(e.0[1].starts_with("watch: \"maybe\""), "{e}");
        assert!(e.0[2].starts_with("idle_timeout_ms: \"5\""), "{e}");
    }
}
