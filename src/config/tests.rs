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
fn log_metrics_and_records_settings() {
    let s = load(None, env(&[]), &Overrides::default()).unwrap();
    assert_eq!(s.log_format, LogFormat::Text);
    assert_eq!(s.metrics_listen, None, "metrics are off by default");
    assert_eq!(s.records.file, None, "records are off by default");
    let s = load(
        None,
        env(&[
            ("CALLSCRIPT_LOG_FORMAT", "json"),
            ("CALLSCRIPT_METRICS_LISTEN", "127.0.0.1:9464"),
            ("CALLSCRIPT_RECORDS_FILE", "/var/log/callscript/calls.jsonl"),
            ("CALLSCRIPT_RECORDS_CALLER", "full"),
            ("CALLSCRIPT_RECORDS_TRANSCRIPT", "true"),
        ]),
        &Overrides::default(),
    )
    .unwrap();
    assert_eq!(s.log_format, LogFormat::Json);
    assert_eq!(s.metrics_listen.map(|a| a.port()), Some(9464));
    assert_eq!(
        s.records.file.as_deref(),
        Some(std::path::Path::new("/var/log/callscript/calls.jsonl"))
    );
    assert!(s.records.full_caller && s.records.transcript);
    let e = load(
        None,
        env(&[
            ("CALLSCRIPT_LOG_FORMAT", "xml"),
            ("CALLSCRIPT_METRICS_LISTEN", "9464"),
            ("CALLSCRIPT_RECORDS_MAX_BYTES", "10"),
            ("CALLSCRIPT_RECORDS_CALLER", "partly"),
        ]),
        &Overrides::default(),
    )
    .unwrap_err();
    assert_eq!(
        e.0,
        [
            "log_format: \"xml\" must be \"text\" or \"json\"",
            "metrics_listen: \"9464\" is not an address such as 127.0.0.1:9464",
            "records_max_bytes: \"10\" must be a whole number of bytes, at least 4096",
            "records_caller: \"partly\" must be \"masked\" or \"full\"",
        ]
    );
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

#[test]
fn the_store_is_memory_unless_a_redis_url_is_given() {
    let s = load(None, env(&[]), &Overrides::default()).unwrap();
    assert_eq!(s.store, None);
    assert_eq!(s.store_ended_ttl, Duration::from_secs(86_400));
    let s = load(
        None,
        env(&[("CALLSCRIPT_STORE", "memory")]),
        &Overrides::default(),
    )
    .unwrap();
    assert_eq!(s.store, None);
    let s = load(
        None,
        env(&[
            ("CALLSCRIPT_STORE", "redis://10.0.0.5:6379/2"),
            ("CALLSCRIPT_STORE_ENDED_TTL_MS", "60000"),
        ]),
        &Overrides::default(),
    )
    .unwrap();
    assert_eq!(s.store.as_deref(), Some("redis://10.0.0.5:6379/2"));
    assert_eq!(s.store_ended_ttl, Duration::from_secs(60));
    let e = load(
        None,
        env(&[("CALLSCRIPT_STORE", "mysql://db")]),
        &Overrides::default(),
    )
    .unwrap_err();
    assert_eq!(
        e.0,
        [
            "store: \"mysql://db\" must be \"memory\" or a Redis URL such as redis://127.0.0.1:6379/0"
        ]
    );
}

#[test]
fn limits_connections_and_security_settings_have_defaults_and_are_checked() {
    let s = load(None, env(&[]), &Overrides::default()).unwrap();
    assert_eq!(s.limits.max_message_bytes, 64 << 10);
    assert_eq!(s.drain_timeout, Duration::from_secs(20));
    assert_eq!(s.max_flow_bytes, 4 << 20);
    assert!(s.auth_tokens_file.is_none() && s.tls_cert.is_none());

    let s = load(
        None,
        env(&[
            ("CALLSCRIPT_MAX_LIVE_CALLS", "10"),
            ("CALLSCRIPT_MAX_CONNECTIONS", "5"),
            ("CALLSCRIPT_DRAIN_TIMEOUT_MS", "1500"),
            ("CALLSCRIPT_AUTH_TOKENS_FILE", "tokens.toml"),
        ]),
        &Overrides::default(),
    )
    .unwrap();
    assert_eq!(s.engine.max_live_calls, 10);
    assert_eq!(s.connections.max_connections, 5);
    assert_eq!(s.drain_timeout, Duration::from_millis(1500));
    assert_eq!(s.auth_tokens_file, Some(PathBuf::from("tokens.toml")));

    let e = load(
        None,
        env(&[
            ("CALLSCRIPT_MAX_MESSAGE_BYTES", "lots"),
            ("CALLSCRIPT_TLS_CERT", "cert.pem"),
        ]),
        &Overrides::default(),
    )
    .unwrap_err();
    assert_eq!(e.0.len(), 2, "{e}");
    assert!(
        e.0[0].starts_with("max_message_bytes: \"lots\" must be a whole number"),
        "{e}"
    );
    assert_eq!(e.0[1], "tls_key: required with tls_cert");
}

#[test]
fn an_unknown_key_is_reported_with_every_bad_value_not_instead_of_them() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("callscript.toml");
    std::fs::write(
        &file,
        "colour = \"red\"\nlisten = \"nowhere\"\nidle_timeout_ms = \"5\"\n",
    )
    .expect("write");
    let e = load(
        Some(&file),
        env(&[
            ("CALLSCRIPT_MAX_LIVE_CALLZ", "10"),
            ("CALLSCRIPT_STORE", "mysql://db"),
        ]),
        &Overrides::default(),
    )
    .unwrap_err();
    let all = e.0.join("\n");
    assert_eq!(e.0.len(), 5, "{all}");
    for part in [
        "colour: not a setting (CALLSCRIPT_COLOUR in the environment)",
        "max_live_callz: not a setting",
        "listen: \"nowhere\"",
        "idle_timeout_ms: \"5\"",
        "store: \"mysql://db\"",
    ] {
        assert!(e.0.iter().any(|l| l.starts_with(part)), "{part} in\n{all}");
    }
}

#[test]
fn the_studio_is_off_until_studio_listen_and_loopback_unless_public() {
    let s = load(None, env(&[]), &Overrides::default()).unwrap();
    assert_eq!(s.studio, None);
    let s = load(
        None,
        env(&[
            ("CALLSCRIPT_STUDIO_LISTEN", "127.0.0.1:8080"),
            ("CALLSCRIPT_SCENARIOS_DIR", "/srv/scenarios"),
            ("CALLSCRIPT_STUDIO_CHANGES_FILE", "/var/log/changes.jsonl"),
        ]),
        &Overrides::default(),
    )
    .unwrap();
    let studio = s.studio.expect("the studio is on");
    assert_eq!(studio.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(studio.scenarios_dir, PathBuf::from("/srv/scenarios"));
    assert_eq!(
        studio.changes_file,
        Some(PathBuf::from("/var/log/changes.jsonl"))
    );
    let e = load(
        None,
        env(&[
            ("CALLSCRIPT_STUDIO_LISTEN", "0.0.0.0:8080"),
            ("CALLSCRIPT_STUDIO_PUBLIC", "maybe"),
        ]),
        &Overrides::default(),
    )
    .unwrap_err();
    assert!(e.0.iter().any(|m| m.starts_with("studio_public:")), "{e}");
    assert!(e.0.iter().any(|m| m.starts_with("studio_listen:")), "{e}");
    let s = load(
        None,
        env(&[
            ("CALLSCRIPT_STUDIO_LISTEN", "0.0.0.0:8080"),
            ("CALLSCRIPT_STUDIO_PUBLIC", "true"),
        ]),
        &Overrides::default(),
    )
    .unwrap();
    assert!(s.studio.is_some());
}
