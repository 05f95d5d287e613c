//! A turn on its way out, encoded straight from the engine's view.
//!
//! Every reply of StartCall, SendEvent and Converse is a `callscript.v1.Turn`.
//! Copying the engine's shared strings into a `pb::Turn` first costs a
//! dozen allocations and frees a turn, for bytes that are then copied again
//! into the reply. The Calls server is generated with this type in place of
//! `pb::Turn` (`build.rs`), and encodes the view's strings where they are.
//! The bytes are those `pb::Turn` gives (`tests` below checks every kind of
//! action); clients keep decoding into `pb::Turn`.

use std::sync::Arc;

use prost::{
    DecodeError, EncodeError, Message,
    bytes::{Buf, BufMut},
    encoding::{DecodeContext, WireType, encode_varint, encoded_len_varint, key_len},
};

use super::{
    convert::{end_reason, input_mode, millis, phase},
    pb,
};
use crate::{
    call::Action,
    engine::TurnView,
    flow::{Flow, ListenFor},
};

/// A `callscript.v1.Turn` as the Calls server sends it.
#[derive(Debug, Clone)]
pub enum Turn {
    /// A turn of a call, encoded from the engine's view.
    View(Arc<TurnView>),
    /// A turn as a message (what decoding one gives).
    Message(pb::Turn),
}

impl Default for Turn {
    fn default() -> Self {
        Turn::Message(pb::Turn::default())
    }
}

impl From<Arc<TurnView>> for Turn {
    fn from(view: Arc<TurnView>) -> Self {
        Turn::View(view)
    }
}

impl Message for Turn {
    // prost's `encode` measures the whole message and then `encode_raw`
    // measures each action again for its length prefix; a view's actions
    // are measured once here and the lengths reused.
    fn encode(&self, buf: &mut impl BufMut) -> Result<(), EncodeError> {
        let v = match self {
            Turn::View(v) => v,
            Turn::Message(m) => return m.encode(buf),
        };
        let lens = ActionLens::of(v);
        if view_len_with(v, &lens) > buf.remaining_mut() {
            // The same bytes as a message, whose encoding reports the
            // shortfall (prost keeps its error's constructor to itself).
            return pb::Turn::from(&**v).encode(buf);
        }
        encode_view_with(v, &lens, buf);
        Ok(())
    }

    fn encode_raw(&self, buf: &mut impl BufMut) {
        match self {
            Turn::View(v) => encode_view_with(v, &ActionLens::of(v), buf),
            Turn::Message(m) => m.encode_raw(buf),
        }
    }

    fn merge_field(
        &mut self,
        tag: u32,
        wire_type: WireType,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), DecodeError> {
        // Decoding into a view's turn makes it a message first, so what is
        // merged lands on the same fields a `pb::Turn` has.
        let message = match self {
            Turn::Message(m) => m,
            Turn::View(v) => {
                *self = Turn::Message(pb::Turn::from(&**v));
                match self {
                    Turn::Message(m) => m,
                    Turn::View(_) => return Ok(()),
                }
            }
        };
        message.merge_field(tag, wire_type, buf, ctx)
    }

    fn encoded_len(&self) -> usize {
        match self {
            Turn::View(v) => view_len(v),
            Turn::Message(m) => m.encoded_len(),
        }
    }

    fn clear(&mut self) {
        *self = Turn::default();
    }
}

// Field numbers and rules of `callscript.v1.Turn` and its actions
// (proto/callscript/v1/calls.proto). Proto3: a scalar at its default is
// left out; a set oneof case and every repeated element are written.

/// The body length of each of a turn's actions (inside its oneof case),
/// for the usual few; the rare longer turn measures the rest as it goes.
struct ActionLens {
    lens: [usize; ActionLens::KEPT],
}

impl ActionLens {
    const KEPT: usize = 8;

    fn of(v: &TurnView) -> ActionLens {
        let mut lens = [0; ActionLens::KEPT];
        for (l, a) in lens.iter_mut().zip(&v.turn.actions) {
            *l = case_len(a, &v.flow, v.turn.listen_for.as_deref());
        }
        ActionLens { lens }
    }

    fn get(&self, i: usize, a: &Action, v: &TurnView) -> usize {
        self.lens
            .get(i)
            .copied()
            .unwrap_or_else(|| case_len(a, &v.flow, v.turn.listen_for.as_deref()))
    }
}

fn view_len(v: &TurnView) -> usize {
    view_len_with(v, &ActionLens::of(v))
}

fn view_len_with(v: &TurnView, lens: &ActionLens) -> usize {
    let t = &*v.turn;
    str_len(1, &v.call_id)
        + u64_len(2, t.seq)
        + str_len(4, t.step.as_deref().unwrap_or_default())
        + t.actions
            .iter()
            .enumerate()
            .map(|(i, a)| nested_len(5, nested_len(case_tag(a), lens.get(i, a, v))))
            .sum::<usize>()
        + str_len(6, v.flow.id())
        + str_len(7, v.flow.version())
        + bool_len(8, t.ended.is_some())
        + t.understood
            .iter()
            .map(|u| key_len(20) + delimited_len(u.len()))
            .sum::<usize>()
        + u64_len(21, phase(t.state) as i32 as u64)
        + t.variables
            .iter()
            .map(|(k, val)| nested_len(22, str_len(1, k) + str_len(2, val)))
            .sum::<usize>()
}

fn encode_view_with(v: &TurnView, lens: &ActionLens, buf: &mut impl BufMut) {
    let t = &*v.turn;
    put_str(1, &v.call_id, buf);
    put_u64(2, t.seq, buf);
    put_str(4, t.step.as_deref().unwrap_or_default(), buf);
    for (i, a) in t.actions.iter().enumerate() {
        let len = lens.get(i, a, v);
        put_nested(5, nested_len(case_tag(a), len), buf);
        put_action(a, len, &v.flow, t.listen_for.as_deref(), buf);
    }
    put_str(6, v.flow.id(), buf);
    put_str(7, v.flow.version(), buf);
    put_bool(8, t.ended.is_some(), buf);
    for u in t.understood.iter() {
        put_key(20, WireType::LengthDelimited, buf);
        put_varint(u.len() as u64, buf);
        buf.put_slice(u.as_bytes());
    }
    put_u64(21, phase(t.state) as i32 as u64, buf);
    for (k, val) in &t.variables {
        put_nested(22, str_len(1, k) + str_len(2, val), buf);
        put_str(1, k, buf);
        put_str(2, val, buf);
    }
}

/// The strings of a `Say`, as `convert::action` gives them.
struct SayFields<'a> {
    prompt_id: &'a str,
    text: &'a str,
    locale: &'a str,
    audio: &'a str,
    ssml: Option<Arc<str>>,
    barge_in: bool,
}

fn say_fields<'a>(say: &'a crate::call::Say, flow: &'a Flow) -> SayFields<'a> {
    let locale = usize::from(say.locale);
    SayFields {
        prompt_id: &say.prompt.id,
        text: say.text(),
        locale: flow.locales().get(locale).map_or("", |l| &**l),
        audio: say
            .prompt
            .audio
            .as_ref()
            .and_then(|v| v.get(locale))
            .map_or("", |a| &**a),
        ssml: say.ssml(),
        barge_in: say.barge_in,
    }
}

fn say_len(s: &SayFields<'_>) -> usize {
    str_len(1, s.prompt_id)
        + str_len(2, s.text)
        + str_len(3, s.locale)
        + str_len(4, s.audio)
        + str_len(5, s.ssml.as_deref().unwrap_or_default())
        + bool_len(6, s.barge_in)
}

/// The field number of an `Action`'s set case.
fn case_tag(a: &Action) -> u32 {
    match a {
        Action::Say(_) => 1,
        Action::Listen { .. } => 2,
        Action::Transfer { .. } => 3,
        Action::Hangup(_) => 4,
        Action::Lookup { .. } => 5,
        Action::Record { .. } => 6,
    }
}

/// The length of the message in an `Action`'s one set case.
fn case_len(a: &Action, flow: &Flow, listen_for: Option<&ListenFor>) -> usize {
    match a {
        Action::Say(say) => say_len(&say_fields(say, flow)),
        Action::Listen { timeout } => {
            u64_len(1, u64::from(millis(*timeout)))
                + listen_for.map_or(0, |l| {
                    u64_len(2, input_mode(l.input) as i32 as u64)
                        + u64_len(3, u64::from(l.min_digits))
                        + u64_len(4, u64::from(l.max_digits))
                        + str_len(5, &l.terminators)
                        + u64_len(6, u64::from(l.inter_digit_ms))
                        + l.hints
                            .iter()
                            .map(|h| key_len(7) + delimited_len(h.len()))
                            .sum::<usize>()
                })
        }
        Action::Transfer {
            target,
            reason,
            target_type,
            timeout,
            attached,
        } => {
            str_len(1, target)
                + str_len(2, reason)
                + u64_len(3, target_type_tag(*target_type))
                + u64_len(4, u64::from(timeout.map_or(0, millis)))
                + attached
                    .iter()
                    .map(|(k, v)| nested_len(5, str_len(1, k) + str_len(2, v)))
                    .sum::<usize>()
        }
        Action::Hangup(r) => u64_len(1, end_reason(*r) as i32 as u64),
        Action::Lookup { name, params } => {
            str_len(1, name)
                + params
                    .iter()
                    .map(|(k, v)| nested_len(2, str_len(1, k) + str_len(2, v)))
                    .sum::<usize>()
        }
        Action::Record {
            max,
            beep,
            terminators,
            into,
        } => {
            u64_len(1, u64::from(millis(*max)))
                + bool_len(2, *beep)
                + str_len(3, terminators)
                + str_len(4, into)
        }
    }
}

/// An `Action`'s body: its set case, `len` ([`case_len`]) bytes long.
fn put_action(
    a: &Action,
    len: usize,
    flow: &Flow,
    listen_for: Option<&ListenFor>,
    buf: &mut impl BufMut,
) {
    put_nested(case_tag(a), len, buf);
    match a {
        Action::Say(say) => {
            let s = say_fields(say, flow);
            put_str(1, s.prompt_id, buf);
            put_str(2, s.text, buf);
            put_str(3, s.locale, buf);
            put_str(4, s.audio, buf);
            put_str(5, s.ssml.as_deref().unwrap_or_default(), buf);
            put_bool(6, s.barge_in, buf);
        }
        Action::Listen { timeout } => {
            put_u64(1, u64::from(millis(*timeout)), buf);
            if let Some(l) = listen_for {
                put_u64(2, input_mode(l.input) as i32 as u64, buf);
                put_u64(3, u64::from(l.min_digits), buf);
                put_u64(4, u64::from(l.max_digits), buf);
                put_str(5, &l.terminators, buf);
                put_u64(6, u64::from(l.inter_digit_ms), buf);
                // Repeated strings are written even when empty.
                for h in l.hints.iter() {
                    put_key(7, WireType::LengthDelimited, buf);
                    put_varint(h.len() as u64, buf);
                    buf.put_slice(h.as_bytes());
                }
            }
        }
        Action::Transfer {
            target,
            reason,
            target_type,
            timeout,
            attached,
        } => {
            put_str(1, target, buf);
            put_str(2, reason, buf);
            put_u64(3, target_type_tag(*target_type), buf);
            put_u64(4, u64::from(timeout.map_or(0, millis)), buf);
            for (k, v) in attached {
                put_nested(5, str_len(1, k) + str_len(2, v), buf);
                put_str(1, k, buf);
                put_str(2, v, buf);
            }
        }
        Action::Hangup(r) => put_u64(1, end_reason(*r) as i32 as u64, buf),
        Action::Lookup { name, params } => {
            put_str(1, name, buf);
            for (k, v) in params {
                put_nested(2, str_len(1, k) + str_len(2, v), buf);
                put_str(1, k, buf);
                put_str(2, v, buf);
            }
        }
        Action::Record {
            max,
            beep,
            terminators,
            into,
        } => {
            put_u64(1, u64::from(millis(*max)), buf);
            put_bool(2, *beep, buf);
            put_str(3, terminators, buf);
            put_str(4, into, buf);
        }
    }
}

/// A transfer's target type as its wire number (0: none given).
fn target_type_tag(t: Option<crate::flow::TargetType>) -> u64 {
    t.map_or(0, |t| super::convert::target_type(t) as i32 as u64)
}

fn delimited_len(len: usize) -> usize {
    encoded_len_varint(len as u64) + len
}

/// A message field holding `len` bytes: key, length, the bytes.
fn nested_len(tag: u32, len: usize) -> usize {
    key_len(tag) + delimited_len(len)
}

fn str_len(tag: u32, s: &str) -> usize {
    if s.is_empty() {
        0
    } else {
        key_len(tag) + delimited_len(s.len())
    }
}

fn u64_len(tag: u32, v: u64) -> usize {
    if v == 0 {
        0
    } else {
        key_len(tag) + encoded_len_varint(v)
    }
}

fn bool_len(tag: u32, b: bool) -> usize {
    if b { key_len(tag) + 1 } else { 0 }
}

/// A varint, one byte inline when it fits: prost's `encode_varint` is an
/// out-of-line loop, about 22 instructions a call and 33 calls a turn
/// (callgrind), and nearly every key and length of a turn fits one byte.
#[inline]
fn put_varint(v: u64, buf: &mut impl BufMut) {
    match u8::try_from(v) {
        Ok(byte) if byte < 0x80 => buf.put_u8(byte),
        Ok(_) | Err(_) => encode_varint(v, buf),
    }
}

/// A field's key, as prost's `encode_key` writes it.
#[inline]
fn put_key(tag: u32, wire_type: WireType, buf: &mut impl BufMut) {
    put_varint(u64::from(tag << 3 | wire_type as u32), buf);
}

fn put_nested(tag: u32, len: usize, buf: &mut impl BufMut) {
    put_key(tag, WireType::LengthDelimited, buf);
    put_varint(len as u64, buf);
}

fn put_str(tag: u32, s: &str, buf: &mut impl BufMut) {
    if !s.is_empty() {
        put_nested(tag, s.len(), buf);
        buf.put_slice(s.as_bytes());
    }
}

fn put_u64(tag: u32, v: u64, buf: &mut impl BufMut) {
    if v != 0 {
        put_key(tag, WireType::Varint, buf);
        put_varint(v, buf);
    }
}

fn put_bool(tag: u32, b: bool, buf: &mut impl BufMut) {
    if b {
        put_key(tag, WireType::Varint, buf);
        put_varint(1, buf);
    }
}

#[cfg(test)]
mod tests {
    use std::{collections::BTreeMap, time::Duration};

    use super::*;
    use crate::{
        call::{CallState, EndReason, Say},
        engine::Turn as EngineTurn,
        flow::compile_source,
    };

    /// The hotline, with audio and SSML on its opening so those fields are
    /// written too.
    fn flow() -> Arc<Flow> {
        let text = include_str!("../../flows/hotline.toml").replacen(
            "[prompts.opening]\n",
            "[prompts.opening]\naudio = \"opening-{locale}.wav\"\nssml = \"<speak>{text}</speak>\"\n",
            1,
        );
        Arc::new(compile_source("hotline.toml", &text).expect("the hotline compiles"))
    }

    fn actions(flow: &Flow) -> Vec<Action> {
        let mut out = Vec::new();
        for prompt in flow.prompts() {
            for locale in 0..flow.locales().len() as u8 {
                for rendered in [None, Some(Arc::from("您本月话费12.5元"))] {
                    out.push(Action::Say(Say {
                        prompt: prompt.clone(),
                        locale,
                        barge_in: locale % 2 == 0,
                        rendered,
                        rendered_ssml: None,
                    }));
                }
            }
        }
        for ms in [0, 1, 5_000, 4_000_000_000_000] {
            out.push(Action::Listen {
                timeout: Duration::from_millis(ms),
            });
        }
        out.push(Action::Transfer {
            target: "agents".into(),
            reason: "为了更好地解决您的问题".into(),
            target_type: None,
            timeout: None,
            attached: Default::default(),
        });
        out.push(Action::Transfer {
            target: "sip:vip@pbx.example".into(),
            reason: "".into(),
            target_type: Some(crate::flow::TargetType::Sip),
            timeout: Some(Duration::from_secs(30)),
            attached: [
                ("phone".to_owned(), "13800138000".to_owned()),
                ("vip".to_owned(), "gold".to_owned()),
            ]
            .into(),
        });
        out.push(Action::Transfer {
            target: "".into(),
            reason: "".into(),
            target_type: None,
            timeout: None,
            attached: Default::default(),
        });
        use EndReason::*;
        for r in [
            CallerHangup,
            Silence,
            PoorAudio,
            Transferred,
            Operator,
            LineLeftOpen,
            FrontEndLost,
            FlowEnd,
            Shutdown,
            TimeLimit,
        ] {
            out.push(Action::Hangup(r));
        }
        let params: BTreeMap<String, String> =
            [("caller", "13800138000"), ("", "x"), ("empty", "")]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
        out.push(Action::Lookup {
            name: "bill".into(),
            params,
        });
        out.push(Action::Lookup {
            name: "ticket".into(),
            params: BTreeMap::new(),
        });
        out
    }

    fn views(flow: &Arc<Flow>) -> Vec<Arc<TurnView>> {
        let all = actions(flow);
        let mut out = Vec::new();
        let states = [
            CallState::Ringing,
            CallState::Listening,
            CallState::OnHold,
            CallState::LookingUp,
            CallState::Ended,
        ];
        for (i, state) in states.into_iter().enumerate() {
            let turn = EngineTurn {
                seq: [0, 1, 300, u64::MAX, 7][i],
                state,
                step: (i % 2 == 1).then(|| Arc::from("bill")),
                // Each action alone, then all of them in one turn.
                actions: if i == 0 { all.clone() } else { Vec::new() },
                ended: (state == CallState::Ended).then_some(EndReason::CallerHangup),
                understood: if i % 2 == 0 {
                    [Arc::from("yes"), Arc::from("bill"), Arc::from("")].into()
                } else {
                    Box::new([])
                },
                listen_for: (i % 2 == 0).then(|| flow.listen_for(flow.start(), 0)),
                variables: match i {
                    1 => [("phone".to_owned(), "13800138000".to_owned())].into(),
                    2 => [
                        ("a".to_owned(), "".to_owned()),
                        ("b".to_owned(), "2".to_owned()),
                    ]
                    .into(),
                    _ => BTreeMap::new(),
                },
            };
            out.push(turn);
        }
        for a in all {
            out.push(EngineTurn {
                seq: 2,
                state: CallState::Listening,
                step: Some("start".into()),
                actions: vec![a],
                ended: None,
                understood: Box::new([]),
                listen_for: Some(Arc::new(ListenFor {
                    input: crate::flow::InputMode::Dtmf,
                    min_digits: 11,
                    max_digits: 11,
                    terminators: "#".into(),
                    inter_digit_ms: 3000,
                    hints: [Arc::from(""), Arc::from("话费")].into(),
                })),
                variables: BTreeMap::new(),
            });
        }
        out.into_iter()
            .map(|turn| {
                Arc::new(TurnView {
                    call_id: "cs-7f3a".into(),
                    flow: flow.clone(),
                    turn: Arc::new(turn),
                })
            })
            .collect()
    }

    #[test]
    fn a_turn_encoded_from_the_view_decodes_to_the_message_the_edge_would_build() {
        let flow = flow();
        let views = views(&flow);
        assert!(views.len() > 100, "every prompt, locale and action kind");
        for view in views {
            let expected = pb::Turn::from(&*view);
            let wire = Turn::View(view.clone());
            let bytes = wire.encode_to_vec();
            assert_eq!(wire.encoded_len(), bytes.len(), "{expected:?}");
            let decoded = pb::Turn::decode(&bytes[..]).expect("the bytes decode");
            assert_eq!(decoded, expected);
            assert_eq!(decoded.phase(), phase(view.turn.state), "the phase is said");
            // With no map in it, the bytes are the message's own, byte for
            // byte (prost writes a map in its hash order).
            let has_map = view.turn.actions.iter().any(|a| match a {
                Action::Lookup { params, .. } => params.len() > 1,
                Action::Transfer { attached, .. } => attached.len() > 1,
                Action::Say(_)
                | Action::Listen { .. }
                | Action::Hangup(_)
                | Action::Record { .. } => false,
            }) || view.turn.variables.len() > 1;
            if !has_map {
                assert_eq!(bytes, expected.encode_to_vec(), "{expected:?}");
            }
        }
    }

    #[test]
    fn decoding_into_a_wire_turn_gives_the_message() {
        let flow = flow();
        let view = views(&flow).swap_remove(0);
        let bytes = Turn::View(view.clone()).encode_to_vec();
        let Turn::Message(decoded) = Turn::decode(&bytes[..]).expect("the bytes decode") else {
            panic!("decoding gives a message");
        };
        assert_eq!(decoded, pb::Turn::from(&*view));
        assert!(decoded.actions.len() > 50);
    }
}
