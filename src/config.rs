//! Settings: defaults, then an optional config file, then `CALLSCRIPT_*`
//! environment variables, then command-line flags. Every setting is parsed
//! and every problem reported at once.

use std::{collections::HashMap, net::SocketAddr, path::PathBuf, time::Duration};

use config::{Config, Environment, File, FileFormat};
use serde::Deserialize;

use crate::{
    connections::ConnectionSettings, engine::EngineSettings, grpc::Limits,
    records::RecordsSettings, studio::StudioSettings, telemetry::LogFormat,
};

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
    /// Log lines as text or JSON.
    pub log_format: LogFormat,
    /// Where Prometheus scrapes `/metrics`; `None` (the default) serves no
    /// metrics and records none.
    pub metrics_listen: Option<SocketAddr>,
    /// The call detail records file (`records_file`, …).
    pub records: RecordsSettings,
    /// Size limits on requests.
    pub limits: Limits,
    pub connections: ConnectionSettings,
    /// Bearer tokens and roles (README "Authentication and TLS").
    pub auth_tokens_file: Option<PathBuf>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// Require client certificates signed by this CA (mTLS).
    pub tls_client_ca: Option<PathBuf>,
    /// After SIGTERM, how long live calls may go on.
    pub drain_timeout: Duration,
    /// Flow files larger than this are refused, not read.
    pub max_flow_bytes: usize,
    /// Where calls live: `None` in this process (`store = "memory"`, the
    /// default), or the Redis URL every replica shares.
    pub store: Option<String>,
    /// With a shared store, how long an ended call's record stays readable.
    pub store_ended_ttl: Duration,
    /// The studio (`studio_listen`); `None`: off.
    pub studio: Option<StudioSettings>,
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
    log_format: Option<String>,
    metrics_listen: Option<String>,
    records_file: Option<String>,
    records_max_bytes: Option<String>,
    records_keep: Option<String>,
    records_caller: Option<String>,
    records_transcript: Option<String>,
    max_live_calls: Option<String>,
    retain_ended_bytes: Option<String>,
    max_pushed_backlog: Option<String>,
    max_name_bytes: Option<String>,
    max_number_bytes: Option<String>,
    max_speech_bytes: Option<String>,
    max_dtmf_digits: Option<String>,
    max_detail_bytes: Option<String>,
    max_variable_bytes: Option<String>,
    max_message_bytes: Option<String>,
    max_connections: Option<String>,
    max_concurrent_streams: Option<String>,
    keepalive_interval_ms: Option<String>,
    keepalive_timeout_ms: Option<String>,
    handshake_timeout_ms: Option<String>,
    auth_tokens_file: Option<String>,
    tls_cert: Option<String>,
    tls_key: Option<String>,
    tls_client_ca: Option<String>,
    drain_timeout_ms: Option<String>,
    playback_guard_ms: Option<String>,
    max_flow_bytes: Option<String>,
    store: Option<String>,
    store_ended_ttl_ms: Option<String>,
    studio_listen: Option<String>,
    studio_public: Option<String>,
    scenarios_dir: Option<String>,
    studio_changes_file: Option<String>,
}

/// The settings as text, every unknown key reported in `errors` rather
/// than stopping the load, so the values of the known ones are still
/// checked and reported with it (linkerd's `env.rs` habit).
fn known(
    builder: config::ConfigBuilder<config::builder::DefaultState>,
    errors: &mut Vec<String>,
) -> Result<Raw, SettingsError> {
    let fatal = |e: config::ConfigError| SettingsError(vec![e.to_string()]);
    let mut table: config::Map<String, config::Value> = builder
        .build()
        .and_then(|c| c.try_deserialize())
        .map_err(fatal)?;
    // Each try names one unknown key (serde stops at the first).
    for _ in 0..=table.len() {
        let value = config::Value::new(None, config::ValueKind::Table(table.clone()));
        let e = match value.try_deserialize::<Raw>() {
            Ok(raw) => return Ok(raw),
            Err(e) => e,
        };
        let message = e.to_string();
        let unknown = message
            .split_once("unknown field `")
            .and_then(|(_, rest)| rest.split_once('`'))
            .map(|(key, _)| key.to_owned());
        let Some(key) = unknown.filter(|k| table.contains_key(k)) else {
            errors.push(message);
            return Err(SettingsError(std::mem::take(errors)));
        };
        errors.push(format!(
            "{key}: not a setting (CALLSCRIPT_{} in the environment); see deploy/callscript.toml for every setting",
            key.to_uppercase()
        ));
        table.remove(&key);
    }
    Err(SettingsError(std::mem::take(errors)))
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
    let mut errors = Vec::new();
    let raw = known(builder, &mut errors)?;
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
    let log_format = match raw.log_format {
        None => LogFormat::default(),
        Some(t) => LogFormat::parse(&t).unwrap_or_else(|| {
            errors.push(format!("log_format: {t:?} must be \"text\" or \"json\""));
            LogFormat::default()
        }),
    };
    let metrics_listen = match raw.metrics_listen.filter(|t| !t.is_empty()) {
        None => None,
        Some(t) => t
            .parse::<SocketAddr>()
            .map_err(|_| {
                errors.push(format!(
                    "metrics_listen: {t:?} is not an address such as 127.0.0.1:9464"
                ))
            })
            .ok(),
    };
    let records = records_settings(
        RawRecords {
            file: raw.records_file,
            max_bytes: raw.records_max_bytes,
            keep: raw.records_keep,
            caller: raw.records_caller,
            transcript: raw.records_transcript,
        },
        &mut errors,
    );
    let mut n = |name: &str, raw: &Option<String>, default: usize, min: usize, max: usize| {
        whole(name, raw.as_deref(), default, min..=max, &mut errors)
    };
    let ms = |v: usize| Duration::from_millis(v as u64);
    let limit_defaults = Limits::default();
    let conn_defaults = ConnectionSettings::default();
    let max_live_calls = n(
        "max_live_calls",
        &raw.max_live_calls,
        defaults.max_live_calls,
        1,
        usize::MAX,
    );
    let retain_ended_bytes = n(
        "retain_ended_bytes",
        &raw.retain_ended_bytes,
        defaults.retain_ended_bytes,
        0,
        usize::MAX,
    );
    let max_pushed_backlog = n(
        "max_pushed_backlog",
        &raw.max_pushed_backlog,
        defaults.max_pushed_backlog,
        4,
        1 << 20,
    );
    let limits = Limits {
        max_name_bytes: n(
            "max_name_bytes",
            &raw.max_name_bytes,
            limit_defaults.max_name_bytes,
            16,
            1 << 20,
        ),
        max_number_bytes: n(
            "max_number_bytes",
            &raw.max_number_bytes,
            limit_defaults.max_number_bytes,
            8,
            1 << 20,
        ),
        max_speech_bytes: n(
            "max_speech_bytes",
            &raw.max_speech_bytes,
            limit_defaults.max_speech_bytes,
            16,
            16 << 20,
        ),
        max_dtmf_digits: n(
            "max_dtmf_digits",
            &raw.max_dtmf_digits,
            limit_defaults.max_dtmf_digits,
            1,
            1 << 20,
        ),
        max_detail_bytes: n(
            "max_detail_bytes",
            &raw.max_detail_bytes,
            limit_defaults.max_detail_bytes,
            0,
            16 << 20,
        ),
        max_variable_bytes: n(
            "max_variable_bytes",
            &raw.max_variable_bytes,
            limit_defaults.max_variable_bytes,
            8,
            1 << 20,
        ),
        max_message_bytes: n(
            "max_message_bytes",
            &raw.max_message_bytes,
            limit_defaults.max_message_bytes,
            1024,
            64 << 20,
        ),
    };
    let connections = ConnectionSettings {
        max_connections: n(
            "max_connections",
            &raw.max_connections,
            conn_defaults.max_connections,
            1,
            1 << 24,
        ),
        max_concurrent_streams: n(
            "max_concurrent_streams",
            &raw.max_concurrent_streams,
            conn_defaults.max_concurrent_streams as usize,
            1,
            u32::MAX as usize,
        ) as u32,
        keepalive_interval: ms(n(
            "keepalive_interval_ms",
            &raw.keepalive_interval_ms,
            conn_defaults.keepalive_interval.as_millis() as usize,
            1000,
            86_400_000,
        )),
        keepalive_timeout: ms(n(
            "keepalive_timeout_ms",
            &raw.keepalive_timeout_ms,
            conn_defaults.keepalive_timeout.as_millis() as usize,
            100,
            86_400_000,
        )),
        handshake_timeout: ms(n(
            "handshake_timeout_ms",
            &raw.handshake_timeout_ms,
            conn_defaults.handshake_timeout.as_millis() as usize,
            100,
            600_000,
        )),
    };
    let playback_guard = ms(n(
        "playback_guard_ms",
        &raw.playback_guard_ms,
        30_000,
        1_000,
        600_000,
    ));
    // 20 s: with the 0.7 s of last words and the records flushed, the whole
    // shutdown fits Kubernetes' default 30 s grace period (and a systemd
    // TimeoutStopSec of 30 s) with room to spare before SIGKILL.
    let drain_timeout = ms(n(
        "drain_timeout_ms",
        &raw.drain_timeout_ms,
        20_000,
        0,
        3_600_000,
    ));
    let max_flow_bytes = n(
        "max_flow_bytes",
        &raw.max_flow_bytes,
        4 << 20,
        1024,
        256 << 20,
    );
    let store_ended_ttl = ms(n(
        "store_ended_ttl_ms",
        &raw.store_ended_ttl_ms,
        86_400_000,
        1000,
        30 * 86_400_000,
    ));
    let store = match raw.store.as_deref().map(str::trim) {
        None | Some("") | Some("memory") => None,
        Some(url) if url.starts_with("redis://") => Some(url.to_owned()),
        Some(other) => {
            errors.push(format!(
                "store: {other:?} must be \"memory\" or a Redis URL such as redis://127.0.0.1:6379/0"
            ));
            None
        }
    };
    let studio = crate::studio::parse_settings(
        crate::studio::RawStudio {
            public: Some(flag(
                "studio_public",
                raw.studio_public.as_deref(),
                false,
                &mut errors,
            )),
            listen: raw.studio_listen,
            scenarios_dir: raw.scenarios_dir,
            changes_file: raw.studio_changes_file,
        },
        &mut errors,
    );
    let path = |v: Option<String>| v.filter(|p| !p.trim().is_empty()).map(PathBuf::from);
    let (tls_cert, tls_key, tls_client_ca) = (
        path(raw.tls_cert),
        path(raw.tls_key),
        path(raw.tls_client_ca),
    );
    match (&tls_cert, &tls_key) {
        (Some(_), None) => errors.push("tls_key: required with tls_cert".to_owned()),
        (None, Some(_)) => errors.push("tls_cert: required with tls_key".to_owned()),
        _ => {}
    }
    if tls_client_ca.is_some() && tls_cert.is_none() {
        errors
            .push("tls_client_ca: client certificates need TLS (tls_cert and tls_key)".to_owned());
    }
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
                records: None,
                max_live_calls,
                retain_ended_bytes,
                max_pushed_backlog,
                playback_guard,
            },
            reference_service,
            log_format,
            metrics_listen,
            records,
            limits,
            connections,
            auth_tokens_file: path(raw.auth_tokens_file),
            tls_cert,
            tls_key,
            tls_client_ca,
            drain_timeout,
            max_flow_bytes,
            store,
            store_ended_ttl,
            studio,
        }),
        _ => Err(SettingsError(errors)),
    }
}

/// The `records_*` settings as text.
struct RawRecords {
    file: Option<String>,
    max_bytes: Option<String>,
    keep: Option<String>,
    caller: Option<String>,
    transcript: Option<String>,
}

fn records_settings(raw: RawRecords, errors: &mut Vec<String>) -> RecordsSettings {
    let defaults = RecordsSettings::default();
    let max_bytes = match raw.max_bytes {
        None => defaults.max_bytes,
        Some(t) => match t.parse::<u64>() {
            Ok(n) if n >= 4096 => n,
            _ => {
                errors.push(format!(
                    "records_max_bytes: {t:?} must be a whole number of bytes, at least 4096"
                ));
                defaults.max_bytes
            }
        },
    };
    let keep = match raw.keep {
        None => defaults.keep,
        Some(t) => match t.parse::<usize>() {
            Ok(n) if (1..=1000).contains(&n) => n,
            _ => {
                errors.push(format!(
                    "records_keep: {t:?} must be a whole number from 1 to 1000"
                ));
                defaults.keep
            }
        },
    };
    let full_caller = match raw
        .caller
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("masked") => false,
        Some("full") => true,
        Some(other) => {
            errors.push(format!(
                "records_caller: {other:?} must be \"masked\" or \"full\""
            ));
            false
        }
    };
    RecordsSettings {
        file: raw.file.filter(|f| !f.is_empty()).map(PathBuf::from),
        max_bytes,
        keep,
        full_caller,
        transcript: flag(
            "records_transcript",
            raw.transcript.as_deref(),
            false,
            errors,
        ),
    }
}

/// A whole-number setting within `range`.
fn whole(
    name: &str,
    value: Option<&str>,
    default: usize,
    range: std::ops::RangeInclusive<usize>,
    errors: &mut Vec<String>,
) -> usize {
    match value {
        None => default,
        Some(t) => match t.trim().parse::<usize>() {
            Ok(v) if range.contains(&v) => v,
            _ => {
                errors.push(format!(
                    "{name}: {t:?} must be a whole number from {} to {}",
                    range.start(),
                    range.end()
                ));
                default
            }
        },
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
mod tests;
