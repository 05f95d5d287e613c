//! The transcript format: JSON Lines, UTF-8, one header line, then one line
//! per thing that happened on the call.
//!
//! ```text
//! {"call": "c-0001", "start": "2026-10-01T09:30:00+08:00", "agent_id": "1024", "locale": "zh-CN", "kind": "inbound"}
//! {"t": 0.4, "who": "agent", "say": "国庆节快乐!XX客服中心,请问有什么可以帮您!"}
//! {"t": 3.1, "who": "caller", "say": "我想查一下账单"}
//! {"t": 40.2, "who": "caller", "hangup": true}
//! ```
//!
//! A silence is simply the absence of caller lines. A bad line is reported
//! with its number and skipped; every other line still counts. The types
//! here generate the shipped JSON Schema (`docs/transcript.schema.json`).

use chrono::{DateTime, FixedOffset};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The first line of a transcript.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Header", title = "Transcript header (first line)")]
pub struct TranscriptHeader {
    /// The call's id, shown in reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call: Option<String>,
    /// When the call was answered: RFC 3339 with the caller's local offset,
    /// e.g. "2026-10-01T09:30:00+08:00". Decides the expected opening
    /// (morning, holiday: N2-N4).
    pub start: String,
    /// The agent's number; a number given when the caller asks is checked
    /// against it (N14).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
    /// "zh-CN", "zh-TW" or "en"; informational, every check listens in all three.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// Who placed the call; outbound calls open with the verification line
    /// (N3b) and get no time-of-day opening. Default inbound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<CallKind>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CallKind {
    Inbound,
    Outbound,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Who {
    /// The call centre's side: a human agent, or the service itself.
    Agent,
    Caller,
    /// A QA reviewer or the front-end, scoring an item that needs business
    /// context (items 3-7, 10-17): `item` and `note`, no words said.
    Qa,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum HoldEdge {
    Start,
    End,
}

/// Every line after the header: `t`, `who` and exactly one of `say`,
/// `hangup`, `hold`, `transfer`; or, from `qa`, an `item` with its `note`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    rename = "Event",
    title = "Transcript event (every later line)",
    extend("oneOf" = [
        {"required": ["say"]},
        {"required": ["hangup"]},
        {"required": ["hold"]},
        {"required": ["transfer"]},
        {"required": ["item", "note"]}
    ])
)]
struct RawEvent<'a> {
    /// Seconds since the call was answered.
    #[schemars(range(min = 0.0))]
    t: f64,
    who: Who,
    /// The words said, as the recogniser heard them. A caller's non-speech
    /// may be written in brackets, e.g. "[inaudible]".
    #[serde(default, borrow)]
    say: Option<std::borrow::Cow<'a, str>>,
    /// `true`: this side hung up.
    #[serde(default)]
    #[schemars(with = "Option<TrueOnly>")]
    hangup: Option<bool>,
    /// The call was put on hold ("start") or taken off it ("end").
    #[serde(default)]
    hold: Option<HoldEdge>,
    /// The call was transferred to this target (a queue, a number, a team).
    #[serde(default)]
    transfer: Option<String>,
    /// From `qa` only: the deduction table's item the reviewer found (e.g.
    /// 5, caller details recorded wrongly).
    #[serde(default)]
    #[schemars(range(min = 1, max = 99))]
    item: Option<u32>,
    /// From `qa` only: what the reviewer found, shown as the evidence.
    #[serde(default)]
    note: Option<String>,
}

/// `hangup` is only ever `true`.
#[derive(JsonSchema)]
#[schemars(extend("const" = true))]
#[allow(dead_code)]
struct TrueOnly(bool);

/// A call transcript is JSON Lines, UTF-8: the first line is a Header, every
/// later line an Event.
#[derive(JsonSchema)]
#[schemars(title = "callscript call transcript line (JSON Lines)")]
#[allow(dead_code)]
#[serde(untagged)]
enum TranscriptLine<'a> {
    Header(TranscriptHeader),
    Event(RawEvent<'a>),
}

/// One thing that happened.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Seconds since the call was answered.
    pub t: f64,
    pub who: Who,
    pub what: What,
    /// 1-based line in the file.
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum What {
    Say(String),
    Hangup,
    Hold(HoldEdge),
    Transfer(String),
    /// A QA reviewer's finding under one of the table's items.
    Annotation {
        item: u32,
        note: String,
    },
}

impl Event {
    pub fn say(&self) -> Option<&str> {
        match &self.what {
            What::Say(s) => Some(s),
            What::Hangup | What::Hold(_) | What::Transfer(_) | What::Annotation { .. } => None,
        }
    }

    pub fn is_agent(&self) -> bool {
        self.who == Who::Agent
    }
}

/// A line that could not be read, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineProblem {
    /// 1-based.
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for LineProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// A parsed call.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Transcript {
    /// `None` when the first line is not a valid header.
    pub header: Option<TranscriptHeader>,
    /// The header's `start`, when it parses.
    pub start: Option<DateTime<FixedOffset>>,
    pub events: Vec<Event>,
    pub problems: Vec<LineProblem>,
    /// The beginning of the call is missing (a service record that reached
    /// its transcript cap), so the opening is not judged.
    pub truncated: bool,
}

impl Transcript {
    /// Reads JSON Lines text. Never fails: every line that cannot be read
    /// becomes a [`LineProblem`] and the rest is kept.
    pub fn parse(text: &str) -> Transcript {
        let mut out = Transcript::default();
        let mut seen_first = false;
        let mut last_t = 0.0_f64;
        for (ix, raw) in text.lines().enumerate() {
            let line = ix + 1;
            let raw = raw.trim();
            if raw.is_empty() {
                continue;
            }
            if !seen_first {
                seen_first = true;
                if out.read_header(raw, line) {
                    continue;
                }
            }
            match parse_event(raw, line) {
                Ok(event) => {
                    if event.t < last_t {
                        out.problems.push(LineProblem {
                            line,
                            message: format!(
                                "t = {} is earlier than the line before ({last_t}); lines must be in time order (kept in file order)",
                                event.t
                            ),
                        });
                    }
                    last_t = last_t.max(event.t);
                    out.events.push(event);
                }
                Err(message) => out.problems.push(LineProblem { line, message }),
            }
        }
        if !seen_first {
            out.problems.push(LineProblem {
                line: 1,
                message: "empty transcript: expected a header line with `start`".into(),
            });
        }
        out
    }

    /// Reads the first line as the header; `false` if it is not one (it is
    /// then read as an event, so a transcript without a header still scores).
    fn read_header(&mut self, raw: &str, line: usize) -> bool {
        let looks_like_event = serde_json::from_str::<serde_json::Value>(raw)
            .ok()
            .is_some_and(|v| v.get("t").is_some() || v.get("who").is_some());
        if looks_like_event {
            self.problems.push(LineProblem {
                line,
                message: "no header: the first line must be {\"start\": \"<RFC 3339>\", …}; the opening's time of day is not checked".into(),
            });
            return false;
        }
        match serde_json::from_str::<TranscriptHeader>(raw) {
            Ok(header) => {
                match DateTime::parse_from_rfc3339(&header.start) {
                    Ok(start) => self.start = Some(start),
                    Err(e) => self.problems.push(LineProblem {
                        line,
                        message: format!(
                            "header: start = {:?} is not RFC 3339 with an offset ({e}); the opening's time of day is not checked",
                            header.start
                        ),
                    }),
                }
                self.header = Some(header);
            }
            Err(e) => self.problems.push(LineProblem {
                line,
                message: format!("header: {}", json_error(e)),
            }),
        }
        true
    }
}

fn parse_event(raw: &str, line: usize) -> Result<Event, String> {
    let ev: RawEvent = serde_json::from_str(raw).map_err(json_error)?;
    if !ev.t.is_finite() || ev.t < 0.0 {
        return Err(format!(
            "t = {}: must be seconds since the start, 0 or more",
            ev.t
        ));
    }
    match (ev.who, ev.item, ev.note) {
        (Who::Qa, Some(item), Some(note)) => {
            if ev.say.is_some() || ev.hangup.is_some() || ev.hold.is_some() || ev.transfer.is_some()
            {
                return Err("a qa line gives only item and note".into());
            }
            if !(1..=99).contains(&item) {
                return Err(format!(
                    "item = {item}: the deduction table's item number, 1-99"
                ));
            }
            if note.trim().is_empty() {
                return Err("note is empty: say what the reviewer found".into());
            }
            return Ok(Event {
                t: ev.t,
                who: Who::Qa,
                what: What::Annotation { item, note },
                line,
            });
        }
        (Who::Qa, _, _) => return Err("a qa line needs item and note".into()),
        (Who::Agent | Who::Caller, None, None) => {}
        (Who::Agent | Who::Caller, _, _) => {
            return Err("item and note are for qa lines only".into());
        }
    }
    let mut whats = Vec::with_capacity(1);
    if let Some(s) = ev.say {
        if s.trim().is_empty() {
            return Err("say is empty".into());
        }
        whats.push(What::Say(s.into_owned()));
    }
    match ev.hangup {
        Some(true) => whats.push(What::Hangup),
        Some(false) => return Err("hangup must be true (leave it out when nobody hung up)".into()),
        None => {}
    }
    if let Some(h) = ev.hold {
        whats.push(What::Hold(h));
    }
    if let Some(target) = ev.transfer {
        whats.push(What::Transfer(target));
    }
    if whats.len() != 1 {
        return Err(format!(
            "expected exactly one of say, hangup, hold, transfer; found {}",
            whats.len()
        ));
    }
    Ok(Event {
        t: ev.t,
        who: ev.who,
        what: whats.pop().expect("exactly one"),
        line,
    })
}

/// serde_json's message with the column, but without its "line 1": the
/// line number that matters is the file's.
fn json_error(e: serde_json::Error) -> String {
    let text = e.to_string();
    let message = text
        .rfind(" at line ")
        .map_or(text.as_str(), |i| &text[..i]);
    format!("{message} (column {})", e.column())
}

impl Transcript {
    /// As JSON Lines text, header first (the inverse of [`Transcript::parse`]
    /// for a transcript without problems).
    pub fn to_jsonl(&self) -> String {
        let mut out = String::new();
        if let Some(h) = &self.header {
            out.push_str(&serde_json::to_string(h).unwrap_or_default());
            out.push('\n');
        }
        for e in &self.events {
            let mut obj = serde_json::Map::new();
            obj.insert("t".into(), serde_json::json!(e.t));
            obj.insert("who".into(), serde_json::json!(e.who));
            let (k, v) = match &e.what {
                What::Say(s) => ("say", serde_json::json!(s)),
                What::Hangup => ("hangup", serde_json::json!(true)),
                What::Hold(h) => ("hold", serde_json::json!(h)),
                What::Transfer(t) => ("transfer", serde_json::json!(t)),
                What::Annotation { item, note } => {
                    obj.insert("item".into(), serde_json::json!(item));
                    ("note", serde_json::json!(note))
                }
            };
            obj.insert(k.into(), v);
            out.push_str(&serde_json::Value::Object(obj).to_string());
            out.push('\n');
        }
        out
    }
}

/// The JSON Schema of one transcript line (header or event), shipped as
/// `docs/transcript.schema.json`.
pub fn json_schema() -> String {
    let settings = schemars::generate::SchemaSettings::draft07();
    let schema = settings
        .into_generator()
        .into_root_schema_for::<TranscriptLine>();
    let mut text = serde_json::to_string_pretty(&schema).expect("a generated schema is plain JSON");
    text.push('\n');
    text
}
