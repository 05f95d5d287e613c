//! `callscript score`: transcripts scored against the norms (N18), a
//! calibration corpus compared with the scorer, or the transcript schema.

use std::{path::PathBuf, sync::Arc};

use crate::{calendar::HolidayCalendar, flow::registry::HOLIDAYS_FILE};

/// `score`.
#[derive(Debug, clap::Args)]
pub struct ScoreArgs {
    /// Transcript files (.jsonl; see README "Transcripts"); `-` reads one from stdin.
    #[arg(required_unless_present_any = ["schema", "calibrate"])]
    pub files: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = crate::quality::Format::Text)]
    pub format: crate::quality::Format,
    /// Directory with quality.toml (the rules) and holidays.toml (the holiday
    /// openings); the shipped rules are used when it has no quality.toml.
    #[arg(long, default_value = "flows")]
    pub flows: PathBuf,
    /// Print the transcript format's JSON Schema (docs/transcript.schema.json) instead.
    #[arg(long, conflicts_with = "files")]
    pub schema: bool,
    /// Compare the scorer with a calibration corpus: DIR's transcripts and
    /// its verdicts.toml (a QA lead's scores); prints the exact agreement,
    /// in total and per item, and exits 1 below 95 %.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["files", "schema"])]
    pub calibrate: Option<PathBuf>,
}

/// Runs `score`; returns the exit code: 0 when every file was read (however
/// it scored), 1 when one could not be read or had no readable line, 2 for
/// bad rules or calendar.
pub fn score(args: &ScoreArgs, out: &mut dyn std::io::Write) -> std::io::Result<i32> {
    use crate::quality::{Scored, Scorer, Transcript, load_rules, write_report};
    if args.schema {
        out.write_all(crate::quality::json_schema().as_bytes())?;
        return Ok(0);
    }
    let rules = match load_rules(&args.flows) {
        Ok(r) => r,
        Err(errors) => {
            for e in errors {
                writeln!(out, "{e}")?;
            }
            return Ok(2);
        }
    };
    let holidays_path = args.flows.join(HOLIDAYS_FILE);
    let holidays = match std::fs::read_to_string(&holidays_path) {
        Ok(text) => match HolidayCalendar::from_toml(&holidays_path.display().to_string(), &text) {
            Ok(c) => c,
            Err(errors) => {
                for e in errors {
                    writeln!(out, "{e}")?;
                }
                return Ok(2);
            }
        },
        Err(_) => HolidayCalendar::default(),
    };
    let scorer = Scorer::new(Arc::new(rules), Arc::new(holidays));
    if let Some(dir) = &args.calibrate {
        return match crate::quality::calibrate(&scorer, dir) {
            Ok(cal) => {
                cal.write_text(out)?;
                Ok(if cal.passes() { 0 } else { 1 })
            }
            Err(e) => {
                eprintln!("callscript score: {e}");
                Ok(1)
            }
        };
    }
    let mut scored = Vec::with_capacity(args.files.len());
    let mut unreadable = Vec::new();
    for file in &args.files {
        let name = file.display().to_string();
        let bytes = if name == "-" {
            let mut buf = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf).map(|_| buf)
        } else {
            std::fs::read(file)
        };
        match bytes.map(String::from_utf8) {
            Ok(Ok(text)) => {
                let transcript = Transcript::parse(&text);
                // Nothing read is no call, not a perfect one: scoring it
                // would print 100 for a wrong file or a broken export.
                if transcript.header.is_none() && transcript.events.is_empty() {
                    let why = match transcript.problems.first() {
                        Some(p) => p.to_string(),
                        None => "the file is empty".to_owned(),
                    };
                    unreadable.push(format!(
                        "{name}: no readable transcript line, not scored ({why})"
                    ));
                    continue;
                }
                scored.push(Scored {
                    file: name,
                    quality: scorer.score(&transcript),
                });
            }
            Ok(Err(_)) => unreadable.push(format!("{name}: not UTF-8 text")),
            Err(e) => unreadable.push(format!("{name}: cannot read: {e}")),
        }
    }
    write_report(&scored, args.format, out)?;
    for u in &unreadable {
        eprintln!("callscript score: {u}");
    }
    Ok(if unreadable.is_empty() { 0 } else { 1 })
}
