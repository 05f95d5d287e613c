//! Every call the shipped flows make in the scenario tests scores 100 (N18):
//! the service must follow the norms the scorer holds human agents to. A
//! call that does not is either a flow or a scorer bug, except for the
//! deductions listed in `KNOWN`, each with the reason it cannot be mended in
//! the flows yet.
//!
//! The scenarios run through the public runner (`callscript::scenario`),
//! whose transcript lines are read back into the service-call form
//! (`quality::IvrLine`) that `GetCall` scores.

use std::{path::Path, sync::Arc, time::Duration};

use callscript::{
    call::AudioKind,
    flow::{FlowKind, FlowRegistry},
    quality::{self, IvrLine, IvrWhat, Rules, Scorer, TranscriptHeader},
    scenario::{self, Line},
};

/// Deductions the shipped flows still earn, with why: none is the scorer's
/// mistake, and none can be mended in the flows alone. Each must still
/// occur somewhere, so an entry goes when its reason does.
const KNOWN: &[(&str, &str)] = &[];

#[tokio::test(start_paused = true)]
async fn every_scenario_call_scores_100() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let flows =
        Arc::new(FlowRegistry::load_dir(root.join("flows"), None).expect("shipped flows load"));
    let rules = quality::load_rules(&root.join("flows")).expect("shipped rules");
    let scorer = Scorer::new(Arc::new(rules), flows.holidays());
    let mut files: Vec<_> = std::fs::read_dir(root.join("tests/scenarios"))
        .expect("tests/scenarios")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(!files.is_empty());

    let mut failures = Vec::new();
    let mut calls = 0;
    let mut seen_known = std::collections::BTreeSet::new();
    for file in &files {
        let scenario = scenario::load(file).expect("scenario loads");
        // A scenario that does not run is tests/scenarios.rs's failure too;
        // here it must not pass unscored. A file runs once per locale.
        let runs = match scenario::run_scenario(flows.clone(), file).await {
            Ok(t) => t,
            Err(e) => {
                failures.push(format!("{e}\n(not scored: the scenario itself fails)"));
                continue;
            }
        };
        let flow = flows.get(&scenario.flow).expect("the scenario's flow");
        let start = match &scenario.at {
            Some(at) => chrono::DateTime::parse_from_rfc3339(at)
                .expect("RFC 3339")
                .with_timezone(&flow.zone())
                .to_rfc3339(),
            None => chrono::Utc::now().with_timezone(&flow.zone()).to_rfc3339(),
        };
        for (locale, transcript) in &runs.0 {
            calls += 1;
            let header = TranscriptHeader {
                call: Some(file.display().to_string()),
                start: start.clone(),
                agent_id: None,
                locale: locale.clone(),
                kind: Some(match flow.kind() {
                    FlowKind::Outbound => quality::CallKind::Outbound,
                    FlowKind::Inbound => quality::CallKind::Inbound,
                }),
            };
            let lines: Vec<IvrLine> = transcript.lines.iter().filter_map(ivr_line).collect();
            let mut q = scorer.score(&quality::from_ivr(header, &lines));
            q.deductions.retain(|d| {
                let known = KNOWN.iter().any(|(rule, _)| *rule == d.rule);
                if known {
                    seen_known.insert(d.rule);
                }
                !known
            });
            if !q.deductions.is_empty() {
                failures.push(format!(
                    "{} [{}]: loses points\n{}\n{transcript}",
                    file.display(),
                    locale.as_deref().unwrap_or("default"),
                    q.deductions
                        .iter()
                        .map(|d| format!(
                            "  -{} {} at {} s: {:?} ({})",
                            d.points, d.rule, d.t, d.evidence, d.note
                        ))
                        .collect::<Vec<_>>()
                        .join("\n")
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} scenario calls lose points:\n\n{}",
        failures.len(),
        calls,
        failures.join("\n\n")
    );
    for (rule, why) in KNOWN {
        assert!(
            seen_known.contains(rule),
            "{rule} is listed as a known deduction ({why}) but no scenario call earns it any more: remove it from KNOWN"
        );
    }
}

/// The scorer must be able to fail on a service call too: the hotline's
/// silent call cut after its second prompt loses the N5 points.
#[test]
fn a_service_call_cut_short_loses_points() {
    let header = TranscriptHeader {
        call: None,
        start: "2026-11-23T15:00:00+08:00".into(),
        agent_id: None,
        locale: Some("zh-CN".into()),
        kind: None,
    };
    let say = |s, prompt: &str, text: &str| IvrLine {
        at: Duration::from_secs(s),
        what: IvrWhat::Say {
            prompt: prompt.into(),
            text: text.into(),
        },
    };
    let lines = [
        say(0, "opening", "您好,XX欢迎您的来电,请问有什么可以帮您?"),
        say(5, "silence_reprompt", "您好!请问有什么可以帮您?"),
        IvrLine {
            at: Duration::from_secs(6),
            what: IvrWhat::Hangup {
                reason: "silence".into(),
            },
        },
    ];
    let q = Scorer::new(Arc::new(Rules::default()), Arc::default())
        .score(&quality::from_ivr(header, &lines));
    assert_eq!((q.score, q.deductions[0].rule), (90, "silent_call"));
}

/// A scenario transcript line (`scenario::Line`'s display text) as a
/// service-call line; `None` for what the scorer does not judge (listens,
/// lookups and recordings asked of the front-end, timers, transfer
/// results).
fn ivr_line(l: &Line) -> Option<IvrLine> {
    let text = l.text.as_str();
    let what = match l.who {
        "service" => {
            if let Some(rest) = text.strip_prefix("say ") {
                let (prompt, quoted) = rest.split_once(' ').expect("say <prompt> \"text\"");
                IvrWhat::Say {
                    prompt: prompt.into(),
                    text: unquote(quoted),
                }
            } else if let Some(rest) = text.strip_prefix("transfer to ") {
                IvrWhat::Transfer {
                    target: rest.split(' ').next().unwrap_or_default().into(),
                }
            } else if let Some(rest) = text.strip_prefix("hang up (") {
                IvrWhat::Hangup {
                    reason: rest.trim_end_matches(')').into(),
                }
            } else if text.starts_with("listen ")
                || text.starts_with("look up ")
                || text.starts_with("record into ")
            {
                return None;
            } else {
                panic!("unknown service line {text:?}: teach ivr_line the new form");
            }
        }
        "caller" => {
            if let Some(rest) = text.strip_prefix("says ") {
                IvrWhat::Caller(unquote(rest))
            } else if let Some(keys) = text.strip_prefix("presses ") {
                IvrWhat::Caller(format!("[keys {keys}]"))
            } else if let Some(kind) = audio_kind(text) {
                IvrWhat::Caller(quality::audio_words(kind).into())
            } else if text == "hangs up" {
                IvrWhat::CallerHangup
            } else if text.starts_with("transfer ") {
                return None;
            } else {
                panic!("unknown caller line {text:?}: teach ivr_line the new form");
            }
        }
        _ => return None,
    };
    Some(IvrLine { at: l.at, what })
}

/// The audio report a scenario line names in words.
fn audio_kind(text: &str) -> Option<AudioKind> {
    Some(match text {
        "audio too weak to understand" => AudioKind::Weak,
        "audio too noisy to understand" => AudioKind::Noisy,
        "no voice at all (speakerphone?)" => AudioKind::NoAudio,
        "a language we do not understand" => AudioKind::UnknownLanguage,
        _ => return None,
    })
}

/// The first Rust-debug-quoted string in `s`, unescaped.
fn unquote(s: &str) -> String {
    let mut chars = s.chars().skip_while(|c| *c != '"').skip(1);
    let mut out = String::new();
    while let Some(c) = chars.next() {
        match c {
            '"' => break,
            '\\' => match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('r') => out.push('\r'),
                Some('u') => {
                    let hex: String = chars.by_ref().skip(1).take_while(|c| *c != '}').collect();
                    out.extend(u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32));
                }
                Some(other) => out.push(other),
                None => {}
            },
            c => out.push(c),
        }
    }
    out
}
