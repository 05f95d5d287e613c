//! The calendar of a flow: day parts, openings by date (N2-N4), the
//! company's special days.

use super::*;

impl Compiler<'_> {
    pub(super) fn greeting(
        &mut self,
        raw: &RawFlow,
        names: &Names,
        kind: FlowKind,
        id_span: &Range<usize>,
    ) -> GreetingSettings {
        let g = &raw.greeting;
        let defaults = DayParts::default();
        let mut time = |v: &Option<Sp<String>>, default: NaiveTime| match v {
            None => default,
            Some(s) => NaiveTime::parse_from_str(s.get_ref(), "%H:%M").unwrap_or_else(|_| {
                self.error(
                    s.span(),
                    None,
                    format!("{:?} is not a time of day (use \"HH:MM\")", s.get_ref()),
                );
                default
            }),
        };
        let morning = time(&g.morning_until, defaults.morning_until);
        let afternoon = time(&g.afternoon_until, defaults.afternoon_until);
        let day_parts = DayParts::new(morning, afternoon).unwrap_or_else(|_| {
            let span = g
                .morning_until
                .as_ref()
                .or(g.afternoon_until.as_ref())
                .map_or(0..0, |s| s.span());
            self.error(
                span,
                None,
                "morning_until must come before afternoon_until".into(),
            );
            defaults
        });
        let mut special_days = Vec::new();
        for day in &g.special_days {
            let d = day.get_ref();
            let mut date = |s: &Sp<String>| {
                NaiveDate::parse_from_str(s.get_ref(), "%Y-%m-%d")
                    .map_err(|_| {
                        self.error(
                            s.span(),
                            None,
                            format!("{:?} is not a date (use \"YYYY-MM-DD\")", s.get_ref()),
                        )
                    })
                    .ok()
            };
            let first = date(&d.from);
            let last = d.to.as_ref().map_or(first, &mut date);
            let prompt = self.reference(&d.prompt, &names.prompts, "prompt");
            if let (Some(first), Some(last), Some(prompt)) = (first, last, prompt) {
                if last < first {
                    self.error(day.span(), None, "special day ends before it starts".into());
                }
                special_days.push(SpecialDay {
                    name: d.name.clone().unwrap_or_else(|| d.prompt.get_ref().clone()),
                    first,
                    last,
                    prompt,
                });
            }
        }
        let holidays = g.holidays.unwrap_or(true);
        let lookup = |id: &str| names.prompts.get(id).copied();
        let openings = Openings {
            plain: lookup("opening"),
            morning: lookup("opening_morning"),
            holiday: Holiday::ALL.map(|h| lookup(&format!("opening_{}", h.key()))),
        };
        if kind == FlowKind::Inbound {
            if openings.plain.is_none() {
                self.error(
                    id_span.clone(),
                    Some("N3"),
                    "an inbound flow needs prompt \"opening\", the standard opening line".into(),
                );
            }
            if openings.morning.is_none() {
                self.warn(
                    id_span.clone(),
                    Some("N2"),
                    "no prompt \"opening_morning\": morning callers will not hear 早上好".into(),
                );
            }
            if holidays {
                for (h, p) in Holiday::ALL.iter().zip(&openings.holiday) {
                    if p.is_none() {
                        self.warn(id_span.clone(), Some("N4"), format!("no prompt \"opening_{}\": that holiday gets the normal opening (set greeting.holidays = false to mean it)", h.key()));
                    }
                }
            }
        }
        GreetingSettings {
            day_parts,
            holidays,
            special_days,
            openings,
        }
    }
}
