//! Reading a wire `Turn`: what it says, how long it listens, how it ends.
//! Shared by the gRPC tests and `benches/grpc.rs` (which includes this file
//! by path).

#![allow(dead_code)]

use callscript::grpc::pb;

/// The texts a turn says, in order.
pub fn said(turn: &pb::Turn) -> Vec<String> {
    turn.actions
        .iter()
        .filter_map(|a| match &a.kind {
            Some(pb::action::Kind::Say(s)) => Some(s.text.clone()),
            _ => None,
        })
        .collect()
}

/// The prompt ids a turn says, in order.
pub fn prompt_ids(turn: &pb::Turn) -> Vec<String> {
    turn.actions
        .iter()
        .filter_map(|a| match &a.kind {
            Some(pb::action::Kind::Say(s)) => Some(s.prompt_id.clone()),
            _ => None,
        })
        .collect()
}

/// The listen timeout a turn asks for, if any.
pub fn listen_ms(turn: &pb::Turn) -> Option<u32> {
    turn.actions.iter().find_map(|a| match &a.kind {
        Some(pb::action::Kind::Listen(l)) => Some(l.no_input_timeout_ms),
        _ => None,
    })
}

/// The hang-up reason of a turn, if it hangs up.
pub fn hangup_reason(turn: &pb::Turn) -> Option<pb::EndReason> {
    turn.actions.iter().find_map(|a| match &a.kind {
        Some(pb::action::Kind::Hangup(h)) => pb::EndReason::try_from(h.reason).ok(),
        _ => None,
    })
}

/// The transfer a turn asks for, if any: (target, reason).
pub fn transfer(turn: &pb::Turn) -> Option<(String, String)> {
    turn.actions.iter().find_map(|a| match &a.kind {
        Some(pb::action::Kind::Transfer(t)) => Some((t.target.clone(), t.reason.clone())),
        _ => None,
    })
}

/// A turn's phase as the service names it in transcripts and logs
/// (`CALL_STATE_LOOKING_UP` is `looking_up`).
pub fn phase_name(turn: &pb::Turn) -> String {
    let name = turn.phase().as_str_name();
    name.strip_prefix("CALL_STATE_")
        .unwrap_or(name)
        .to_ascii_lowercase()
}
