//! The diagrams of the shipped flows, drawn and compared.

use super::*;
use crate::flow::compile_source;

fn hotline() -> Flow {
    compile_source("hotline.toml", include_str!("../../flows/hotline.toml"))
        .expect("shipped hotline compiles")
}

fn lines(text: &str) -> Vec<&str> {
    text.lines().map(str::trim).collect()
}

#[test]
fn mermaid_draws_steps_answers_and_otherwise() {
    let text = mermaid(&hotline());
    let lines = lines(&text);
    assert_eq!(lines[0], "flowchart TD");
    for want in [
        "welcome[\"welcome<br/>ask @opening (N2-N4)\"]",
        "bill[\"bill<br/>lookup bill\"]",
        "call_start --> welcome",
        "welcome -->|\"bill\"| bill",
        "welcome -->|\"change_plan\"| change_plan",
        "change_plan -->|\"no\"| record_request",
        "bill -->|\"answered\"| bill_answer",
        "bill_answer --> anything_else",
        "more_help -->|\"bill\"| bill",
    ] {
        assert!(lines.contains(&want), "missing {want:?} in\n{text}");
    }
}

#[test]
fn mermaid_draws_silence_and_anywhere() {
    let text = mermaid(&hotline());
    let lines = lines(&text);
    for want in [
        "hangup_silence([\"hang up (silence, N5)\"])",
        "welcome -.->|\"silence x3, 5 s apart: silence_reprompt, silence_goodbye / silence_goodbye_spoken\"| hangup_silence",
        "more_help -.->|\"silence x3, 5 s apart: silence_reprompt, silence_goodbye / silence_goodbye_spoken\"| hangup_silence",
        "anywhere{{\"any listening step\"}}",
        "anywhere -->|\"agent\"| to_agent",
    ] {
        assert!(lines.contains(&want), "missing {want:?} in\n{text}");
    }
}

/// A consent question meets silence as an ask step does (N5), with the
/// question itself as the reprompt (the machine's `consent`).
#[test]
fn mermaid_draws_silence_at_the_consent_questions() {
    let text = mermaid(&hotline());
    let lines = lines(&text);
    for want in [
        "to_agent -.->|\"silence x3, 5 s apart: transfer_consent, silence_goodbye / silence_goodbye_spoken\"| hangup_silence",
        "change_plan -.->|\"silence x3, 5 s apart: hold_ask, silence_goodbye / silence_goodbye_spoken\"| hangup_silence",
    ] {
        assert!(lines.contains(&want), "missing {want:?} in\n{text}");
    }
}

/// N7-N9 as the machine's `in_call`, `confirming_switch` and
/// `checking_handset` handle them.
#[test]
fn mermaid_draws_unclear_audio_speakerphone_and_language() {
    let text = mermaid(&hotline());
    let lines = lines(&text);
    for want in [
        // N7: speak up three times, then another phone; hang up on yes
        // or silence, never on the bad line alone.
        "anywhere -.->|\"unclear audio x3, unclear\"| anywhere",
        "audio_switch_phone{{\"hang up? switch_phone (N7)\"}}",
        "anywhere -.->|\"unclear audio once more\"| audio_switch_phone",
        "audio_switch_phone -.->|\"yes, polite_close, 5 s for the caller\"| hangup_poor_audio",
        "audio_switch_phone -.->|\"silence x3, 5 s apart: switch_phone, silence_goodbye / silence_goodbye_spoken\"| hangup_silence",
        "audio_switch_phone -->|\"no, the step again\"| anywhere",
        "audio_switch_phone -.->|\"unclear audio, switch_phone\"| audio_switch_phone",
        "hangup_poor_audio([\"hang up (poor_audio, N7)\"])",
        // N8: is the handset picked up?
        "audio_handset{{\"handset? pick_up_handset (N8)\"}}",
        "anywhere -.->|\"no audio\"| audio_handset",
        "audio_handset -->|\"yes, the step again\"| anywhere",
        "audio_handset -->|\"no, speak_into_handset\"| audio_handset",
        "audio_handset -.->|\"silence x3, 5 s apart: pick_up_handset, silence_goodbye / silence_goodbye_spoken\"| hangup_silence",
        // N9: ask for the language we speak; the step waits on.
        "anywhere -.->|\"unknown language x2, mandarin\"| anywhere",
        // The bounds.
        "anywhere -.->|\"not understood x3\"| cannot_go_on",
        "cannot_go_on -->|\"offer a person\"| to_agent",
    ] {
        assert!(lines.contains(&want), "missing {want:?} in\n{text}");
    }
}

/// Counts, times and reprompts come from the flow, not from the norms'
/// defaults.
#[test]
fn labels_follow_the_flows_timing_and_reprompts() {
    let source = include_str!("../../flows/hotline.toml")
        .replace("silence_prompts = 3", "silence_prompts = 4")
        .replace("unclear_attempts = 3", "unclear_attempts = 2")
        .replace("consent_wait_ms = 5000", "consent_wait_ms = 7500")
        .replace(
            "ask = \"more_help\"",
            "ask = \"more_help\"\nreprompt = \"not_understood\"",
        );
    let flow = compile_source("hotline.toml", &source).expect("the variant compiles");
    let text = mermaid(&flow);
    let lines = lines(&text);
    for want in [
        "welcome -.->|\"silence x4, 5 s apart: silence_reprompt, silence_reprompt, silence_goodbye / silence_goodbye_spoken\"| hangup_silence",
        "more_help -.->|\"silence x4, 5 s apart: not_understood, not_understood, silence_goodbye / silence_goodbye_spoken\"| hangup_silence",
        "anywhere -.->|\"unclear audio x2, unclear\"| anywhere",
        "audio_switch_phone -.->|\"yes, polite_close, 5 s for the caller\"| hangup_poor_audio",
    ] {
        assert!(lines.contains(&want), "missing {want:?} in\n{text}");
    }
}

#[test]
fn mermaid_draws_consent_for_transfer_and_hold_and_the_closing() {
    let text = mermaid(&hotline());
    let lines = lines(&text);
    for want in [
        "to_agent[\"to_agent<br/>transfer? transfer_consent\"]",
        "to_agent -->|\"yes\"| to_agent_transferred",
        "to_agent_transferred([\"transfer to agent_queue\"])",
        "to_agent -->|\"no, transfer_declined\"| asked_again",
        "to_agent_transferred -->|\"failed, transfer_failed\"| anything_else",
        "change_plan -->|\"yes, hold_thanks\"| change_plan_on_hold",
        "change_plan_on_hold{{\"on hold 60 s\"}}",
        "change_plan_on_hold -->|\"done, hold_resume\"| plan_done",
        "change_plan_on_hold -->|\"failed, hold_resume\"| plan_failed",
        "change_plan -->|\"no\"| record_request",
        "anything_else -->|\"yes or a request\"| more_help",
        "anything_else -->|\"no or 5 s silence\"| anything_else_goodbye",
        "anything_else_goodbye --> caller_hangup",
        "anything_else_goodbye -->|\"caller speaks again\"| more_help",
        "anything_else_goodbye -.->|\"10 s, line left open\"| hangup_line_left_open",
    ] {
        assert!(lines.contains(&want), "missing {want:?} in\n{text}");
    }
}

#[test]
fn every_step_is_drawn_once() {
    let flow = hotline();
    let text = mermaid(&flow);
    for step in flow.steps() {
        let decl = format!("{}[\"{}<br/>", step.id, step.id);
        assert_eq!(text.matches(&decl).count(), 1, "{decl}");
    }
}

#[test]
fn dot_draws_the_same_graph() {
    let text = dot(&hotline());
    let lines = lines(&text);
    assert_eq!(lines[0], "digraph \"hotline\" {");
    assert_eq!(lines.last(), Some(&"}"));
    for want in [
        "welcome [label=\"welcome\\nask @opening (N2-N4)\", shape=box];",
        "welcome -> bill [label=\"bill\"];",
        "change_plan -> record_request [label=\"no\"];",
        "welcome -> hangup_silence [label=\"silence x3, 5 s apart: silence_reprompt, silence_goodbye / silence_goodbye_spoken\", style=dashed];",
        "anywhere -> anywhere [label=\"unknown language x2, mandarin\", style=dashed];",
        "cannot_go_on -> to_agent [label=\"offer a person\"];",
        "to_agent -> to_agent_transferred [label=\"yes\"];",
        "anything_else_goodbye -> caller_hangup;",
        "hangup_silence [label=\"hang up (silence, N5)\", shape=oval];",
    ] {
        assert!(lines.contains(&want), "missing {want:?} in\n{text}");
    }
}

#[test]
fn steps_are_drawn_in_script_order() {
    let text = mermaid(&hotline());
    let steps: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("<br/>"))
        .filter_map(|l| l.trim().split('[').next())
        .collect();
    assert_eq!(
        steps,
        [
            "welcome",
            "bill",
            "change_plan",
            "bill_answer",
            "bill_unavailable",
            "plan_done",
            "record_request",
            "plan_failed",
            "plan_callback",
            "anything_else",
            "request_recorded",
            "request_not_recorded",
            "more_help",
            "to_agent",
            "record_complaint",
            "complaint_recorded",
            "after_hours"
        ]
    );
}

/// The README shows the diagram this module draws today: regenerate it
/// with `callscript graph --flow hotline` after changing either.
#[test]
fn the_readme_shows_the_current_hotline_diagram() {
    let readme = include_str!("../../README.md");
    let block = format!("```mermaid\n{}```\n", mermaid(&hotline()));
    assert!(
        readme.contains(&block),
        "README.md's hotline diagram is out of date; replace its mermaid block with:\n{block}"
    );
}

#[test]
fn reserved_and_odd_step_ids_are_escaped() {
    assert_eq!(node_id("end"), "step_end");
    assert_eq!(node_id("ask-again"), "ask_again");
    assert_eq!(node_id("welcome"), "welcome");
}

/// Every label is quoted, so parentheses and brackets are text; a quote
/// inside is Mermaid's entity.
#[test]
fn mermaid_quotes_labels_and_escapes_quotes() {
    let text = mermaid(&hotline());
    let lines = lines(&text);
    assert!(
        lines.contains(&"bill -->|\"failed or no answer (after lookup_wait)\"| bill_unavailable"),
        "{text}"
    );
    assert_eq!(mermaid_text("say \"hi\" (x)"), "say #quot;hi#quot; (x)");
    for line in &lines[1..] {
        if let Some((_, rest)) = line.split_once('|') {
            assert!(rest.starts_with('"'), "unquoted label: {line}");
        }
    }
}

/// The IVR building blocks draw their ways on: a branch's cases and
/// default, a record step's next and failed, a call's entry and returns.
#[test]
fn mermaid_draws_branches_recordings_and_subflow_calls() {
    let flow = compile_source("blocks.toml", include_str!("../call/tests/blocks.toml"))
        .expect("the building blocks' test flow compiles");
    let text = mermaid(&flow);
    let lines = lines(&text);
    for want in [
        "route[\"route<br/>branch on vip\"]",
        "route -->|\"= true\"| vip",
        "route -->|\"= gold\"| vip",
        "route -->|\"default\"| normal",
        "remember_product -->",
        "voicemail -->|\"recorded\"| voicemail_saved",
        "voicemail -->|\"failed or none in 60 s\"| voicemail_failed",
        "bill_confirm -->|\"returned ok\"| bill_done",
        "bill_confirm -->|\"returned retry\"| welcome",
        "bill_confirm -->|\"enter\"| confirm",
    ] {
        assert!(
            lines.iter().any(|l| l.starts_with(want)),
            "missing {want:?} in\n{text}"
        );
    }
}

/// The operator IVR of the machine tests: a menu draws each key on its
/// edge, a collect step its variable, digits and ways on.
#[test]
fn mermaid_draws_menu_keys_and_digit_entry() {
    let ivr = compile_source("ivr.toml", include_str!("../call/tests/ivr.toml"))
        .expect("the IVR test flow compiles");
    let text = mermaid(&ivr);
    let lines = lines(&text);
    for want in [
        "main_menu -->|\"key 1\"| bill_say",
        "main_menu -->|\"key 4\"| bill_number",
        "main_menu -.->|\"key 9, again\"| main_menu",
        "main_menu -.->|\"key *, back\"| main_menu_back",
        "main_menu -->|\"bill\"| bill_say",
        "biz_menu -->|\"key 21\"| close",
        "bill_number -->|\"valid\"| bill_confirm",
        "bill_number -->|\"3 x number_wrong\"| to_agent",
    ] {
        assert!(lines.contains(&want), "missing {want:?} in\n{text}");
    }
    assert!(
        text.contains("collect {phone} (11-11 digits) ask_number"),
        "{text}"
    );
}
