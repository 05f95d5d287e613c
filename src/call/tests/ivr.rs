//! An operator IVR's building blocks on a small flow of their own
//! (`ivr.toml`): barge-in as each step says.

use super::*;

fn ivr() -> Arc<Flow> {
    Arc::new(
        compile_source("ivr.toml", include_str!("ivr.toml")).expect("the IVR test flow compiles"),
    )
}

/// Each `Say` of a turn with whether the caller may interrupt it.
fn barge_ins(call: &mut Call, event: Event) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    call.machine.handle_at(call.elapsed, &event, &mut out);
    out.iter()
        .filter_map(|a| match a {
            Action::Say(s) => Some((s.prompt.id.to_string(), s.barge_in)),
            Action::Listen { .. }
            | Action::Transfer { .. }
            | Action::Hangup(_)
            | Action::Lookup { .. } => None,
        })
        .collect()
}

#[test]
fn a_step_without_barge_in_says_its_prompt_uninterruptible_and_the_others_stay_open() {
    let flow = ivr();
    let mut call = Call {
        machine: CallMachine::new(CallSetup {
            opening: flow.prompt_index("opening"),
            flow,
            locale: 0,
            day_part: DayPart::Afternoon,
            variables: Default::default(),
            caller: "".into(),
            callee: "".into(),
            after_hours: false,
        }),
        elapsed: std::time::Duration::ZERO,
    };
    assert_eq!(
        barge_ins(&mut call, Event::Start),
        [("notice".to_owned(), false), ("opening".to_owned(), true)]
    );
    assert_eq!(
        barge_ins(&mut call, silence()),
        [("silence_reprompt".to_owned(), true)]
    );
}
