//! Logging. Callers' numbers and words are never logged above debug (N16).
//!
//! One line per event, on stderr: plain text for people (coloured only when
//! stderr is a terminal, so a redirected log holds no escape codes), or one
//! JSON object per line for log shippers (`log_format = "json"`).
//!
//! The log can never take a call down: lines go through [`Sink`], which
//! never reports a failed write to the logging layer (whose fallback,
//! `eprintln!`, panics inside whatever task logged when stderr fails, e.g.
//! a full disk). A line that cannot be written is dropped and counted
//! (`callscript_log_lines_dropped_total`), and once the sink takes lines
//! again a WARN says how many were lost. The sink also escapes characters
//! that could hide or disguise what a line says (see [`unprintable`]).

use std::{
    borrow::Cow,
    fmt::Write as _,
    io::{IsTerminal, Write},
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
};

use tracing_subscriber::{EnvFilter, fmt::MakeWriter};

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
    let ansi = format == LogFormat::Text && std::io::stderr().is_terminal();
    let sink = Sink::new(format, ansi, std::io::stderr);
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(sink)
        .log_internal_errors(false);
    // A second init (tests) keeps the first subscriber.
    let _ = match format {
        LogFormat::Text => builder.with_ansi(ansi).try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .try_init(),
    };
}

/// Control (Cc), format (Cf: zero width characters, joiners, direction
/// marks and overrides, the BOM, tags), line (Zl) and paragraph (Zp)
/// separators: what must not reach a log line or a dashboard raw, since it
/// can hide text or make a line read as something else. Names a client
/// sends (call ids, flows, locales, variables) are refused with them
/// (`grpc::limits`); the sink escapes whatever else carries them.
pub fn unprintable(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}')
        || (!c.is_ascii() && FORMAT.iter().any(|&(lo, hi)| (lo..=hi).contains(&c)))
}

/// Unicode's format characters (general category Cf, Unicode 15.1). A
/// short closed list, so no table crate is needed for it.
const FORMAT: &[(char, char)] = &[
    ('\u{00AD}', '\u{00AD}'),
    ('\u{0600}', '\u{0605}'),
    ('\u{061C}', '\u{061C}'),
    ('\u{06DD}', '\u{06DD}'),
    ('\u{070F}', '\u{070F}'),
    ('\u{0890}', '\u{0891}'),
    ('\u{08E2}', '\u{08E2}'),
    ('\u{180E}', '\u{180E}'),
    ('\u{200B}', '\u{200F}'),
    ('\u{202A}', '\u{202E}'),
    ('\u{2060}', '\u{2064}'),
    ('\u{2066}', '\u{206F}'),
    ('\u{FEFF}', '\u{FEFF}'),
    ('\u{FFF9}', '\u{FFFB}'),
    ('\u{110BD}', '\u{110BD}'),
    ('\u{110CD}', '\u{110CD}'),
    ('\u{13430}', '\u{1343F}'),
    ('\u{1BCA0}', '\u{1BCA3}'),
    ('\u{1D173}', '\u{1D17A}'),
    ('\u{E0001}', '\u{E0001}'),
    ('\u{E0020}', '\u{E007F}'),
];

/// Where log lines go: `open()` (stderr) for each line, never failing.
#[derive(Clone)]
pub struct Sink<F> {
    format: LogFormat,
    /// Colour codes are the formatter's own (a terminal): kept.
    ansi: bool,
    open: F,
    /// Lines dropped since the sink last took one.
    dropped: Arc<AtomicU64>,
}

impl<F, W> Sink<F>
where
    F: Fn() -> W,
    W: Write,
{
    pub fn new(format: LogFormat, ansi: bool, open: F) -> Self {
        Sink {
            format,
            ansi,
            open,
            dropped: Arc::default(),
        }
    }

    /// Writes one whole line (the logging layer hands over one event's
    /// line per write). A failure drops the line and counts it.
    fn emit(&self, line: &[u8]) {
        let line = escaped(line, self.format, self.ansi);
        let mut out = (self.open)();
        let dropped = self.dropped.load(Ordering::Relaxed);
        if dropped > 0 && out.write_all(&recovered(self.format, dropped)).is_ok() {
            self.dropped.fetch_sub(dropped, Ordering::Relaxed);
        }
        if out.write_all(&line).and_then(|()| out.flush()).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            crate::metrics::log_line_dropped();
        }
    }
}

impl<'a, F, W> MakeWriter<'a> for Sink<F>
where
    F: Fn() -> W + 'a,
    W: Write,
{
    type Writer = Line<'a, F>;

    fn make_writer(&'a self) -> Self::Writer {
        Line(self)
    }
}

/// One log line on its way to the [`Sink`].
pub struct Line<'a, F>(&'a Sink<F>);

impl<F, W> Write for Line<'_, F>
where
    F: Fn() -> W,
    W: Write,
{
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.emit(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The WARN that says lines were lost, in the log's own format.
fn recovered(format: LogFormat, dropped: u64) -> Vec<u8> {
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let message = "the log sink failed and has recovered; lines were dropped";
    match format {
        LogFormat::Text => {
            format!("{now}  WARN callscript::telemetry: {message} dropped={dropped}\n")
        }
        LogFormat::Json => format!(
            "{{\"timestamp\":\"{now}\",\"level\":\"WARN\",\"message\":\"{message}\",\"dropped\":{dropped},\"target\":\"callscript::telemetry\"}}\n"
        ),
    }
    .into_bytes()
}

/// `line` with every [`unprintable`] character but its line end (and,
/// on a terminal, the formatter's colour codes) escaped: `\u{202e}` in
/// text, `\u202e` in JSON (the same character to a JSON reader, but inert
/// in the file).
fn escaped(line: &[u8], format: LogFormat, ansi: bool) -> Cow<'_, [u8]> {
    let kept = |c: char| c == '\n' || c == '\t' || (ansi && c == '\u{1b}');
    let clean = |c: char| !unprintable(c) || kept(c);
    // Most lines are plain ASCII without controls: one pass, no copy.
    if line.iter().all(|&b| b.is_ascii() && clean(char::from(b))) {
        return Cow::Borrowed(line);
    }
    let text = String::from_utf8_lossy(line);
    if text.chars().all(clean) {
        return Cow::Borrowed(line);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if clean(c) {
            out.push(c);
            continue;
        }
        match format {
            LogFormat::Text => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            LogFormat::Json => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    Cow::Owned(out.into_bytes())
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// A sink whose output can be made to fail, like a full disk.
    #[derive(Clone, Default)]
    struct Disk {
        full: Arc<std::sync::atomic::AtomicBool>,
        written: Arc<Mutex<Vec<u8>>>,
    }

    impl Write for Disk {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if self.full.load(Ordering::Relaxed) {
                return Err(std::io::Error::from_raw_os_error(28));
            }
            self.written.lock().expect("lock").extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_failing_sink_drops_lines_without_an_error_and_says_so_once_it_recovers() {
        let disk = Disk::default();
        let open = {
            let disk = disk.clone();
            move || disk.clone()
        };
        let sink = Sink::new(LogFormat::Text, false, open);
        let mut line = sink.make_writer();
        line.write_all(b"first\n").expect("written");
        disk.full.store(true, Ordering::Relaxed);
        for _ in 0..3 {
            line.write_all(b"lost\n")
                .expect("a failed write is not the logging layer's error");
        }
        disk.full.store(false, Ordering::Relaxed);
        line.write_all(b"after\n").expect("written");
        line.write_all(b"later\n").expect("written");
        let written = String::from_utf8(disk.written.lock().expect("lock").clone()).expect("utf-8");
        let lines: Vec<&str> = written.lines().collect();
        assert_eq!(lines.len(), 4, "{written}");
        assert_eq!(lines[0], "first");
        assert!(
            lines[1].ends_with(
                "  WARN callscript::telemetry: the log sink failed and has recovered; lines were dropped dropped=3"
            ),
            "{written}"
        );
        assert_eq!(&lines[2..], ["after", "later"], "the WARN comes once");
    }

    #[test]
    fn lines_are_written_with_hidden_and_direction_characters_escaped() {
        let text = "call ended call_id=a\u{202E}b\u{200B}c\u{7}d\u{2028}e 来电\tok\n";
        assert_eq!(
            escaped(text.as_bytes(), LogFormat::Text, false).as_ref(),
            "call ended call_id=a\\u{202e}b\\u{200b}c\\u{7}d\\u{2028}e 来电\tok\n".as_bytes()
        );
        let json = "{\"call_id\":\"a\u{202E}b\u{E0041}\"}\n";
        let out = escaped(json.as_bytes(), LogFormat::Json, false);
        assert_eq!(
            out.as_ref(),
            "{\"call_id\":\"a\\u202eb\\udb40\\udc41\"}\n".as_bytes()
        );
        let back: serde_json::Value = serde_json::from_slice(&out).expect("still one JSON object");
        assert_eq!(back["call_id"], "a\u{202E}b\u{E0041}");
        let plain = b"2026-12-01T02:00:00Z  INFO callscript: listening\n";
        assert!(matches!(
            escaped(plain, LogFormat::Text, false),
            Cow::Borrowed(_)
        ));
        let coloured = "\u{1b}[32mINFO\u{1b}[0m x\n";
        assert_eq!(
            escaped(coloured.as_bytes(), LogFormat::Text, true).as_ref(),
            coloured.as_bytes()
        );
    }
}
