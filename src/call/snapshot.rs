//! A call machine as data, for the shared call store (`store = "redis://…"`):
//! a call can go on in another process from exactly where it was.
//!
//! Everything the machine holds derives serde, so a field added to a phase
//! or to the call's shared storage travels with it (the compiler asks for
//! its serde). The flow is the exception: a snapshot names its version and
//! prompts by id, and [`with_flow`] supplies the compiled flow they refer
//! to when the snapshot is read back; a snapshot of another version is
//! refused rather than misread (step and prompt indices are the version's).

use std::{cell::RefCell, sync::Arc};

use serde::{Deserialize, Deserializer, Serialize, Serializer, de::Error as _};

use super::Say;
use crate::flow::{Flow, LocaleIx};

thread_local! {
    /// The flow snapshots being read on this thread refer to.
    static FLOW: RefCell<Option<Arc<Flow>>> = const { RefCell::new(None) };
}

/// Runs `read` (deserializing snapshots, transcript entries or turns)
/// with `flow` as the flow they refer to.
pub fn with_flow<T>(flow: &Arc<Flow>, read: impl FnOnce() -> T) -> T {
    struct Restore(Option<Arc<Flow>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            FLOW.with(|f| *f.borrow_mut() = self.0.take());
        }
    }
    let _restore = Restore(FLOW.with(|f| f.borrow_mut().replace(flow.clone())));
    read()
}

fn flow_in_scope<E: serde::de::Error>() -> Result<Arc<Flow>, E> {
    FLOW.with(|f| f.borrow().clone())
        .ok_or_else(|| E::custom("a call snapshot is read without its flow"))
}

/// The machine's flow, written as its version.
pub(super) fn serialize_flow<S: Serializer>(flow: &Arc<Flow>, s: S) -> Result<S::Ok, S::Error> {
    flow.version().serialize(s)
}

/// The flow in scope, if it is the version the snapshot was taken with.
pub(super) fn deserialize_flow<'de, D: Deserializer<'de>>(d: D) -> Result<Arc<Flow>, D::Error> {
    let version = <Box<str>>::deserialize(d)?;
    let flow = flow_in_scope::<D::Error>()?;
    if **flow.version() != *version {
        return Err(D::Error::custom(format!(
            "the snapshot is of flow {} version {version}, not {}",
            flow.id(),
            flow.version()
        )));
    }
    Ok(flow)
}

/// A prompt as it is written: by id, so the entry reads on.
#[derive(Serialize, Deserialize)]
struct SayData {
    prompt: Arc<str>,
    locale: LocaleIx,
    barge_in: bool,
    /// The text with the call's variables, when it differs from the
    /// prompt's own (caller data, like the rest of the snapshot).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rendered: Option<Arc<str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rendered_ssml: Option<Arc<str>>,
}

impl Serialize for Say {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        SayData {
            prompt: self.prompt.id.clone(),
            locale: self.locale,
            barge_in: self.barge_in,
            rendered: self.rendered.clone(),
            rendered_ssml: self.rendered_ssml.clone(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Say {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let data = SayData::deserialize(d)?;
        let flow = flow_in_scope::<D::Error>()?;
        let ix = flow.prompt_index(&data.prompt).ok_or_else(|| {
            D::Error::custom(format!(
                "prompt {:?} is not in flow {} version {}",
                data.prompt,
                flow.id(),
                flow.version()
            ))
        })?;
        Ok(Say {
            prompt: flow.prompt(ix).clone(),
            locale: data.locale,
            barge_in: data.barge_in,
            rendered: data.rendered,
            rendered_ssml: data.rendered_ssml,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::with_flow;
    use crate::{
        calendar::DayPart,
        call::{Action, CallMachine, CallSetup, CallState, Event},
        flow::{Flow, compile_source},
    };

    fn hotline() -> Arc<Flow> {
        Arc::new(compile_source("hotline.toml", include_str!("../../flows/hotline.toml")).unwrap())
    }

    fn said(actions: &[Action]) -> Vec<String> {
        actions
            .iter()
            .filter_map(|a| match a {
                Action::Say(s) => Some(s.text().to_string()),
                Action::Listen { .. }
                | Action::Transfer { .. }
                | Action::Hangup(_)
                | Action::Lookup { .. }
                | Action::Record { .. } => None,
            })
            .collect()
    }

    /// A call read back from its snapshot goes on exactly as the original:
    /// the silence count (second prompt said, the goodbye next) and the
    /// step survive, and the prompts are the flow's own.
    #[test]
    fn a_restored_machine_goes_on_where_the_original_was() {
        let flow = hotline();
        let mut machine = CallMachine::new(CallSetup {
            flow: flow.clone(),
            locale: 0,
            opening: None,
            day_part: DayPart::Afternoon,
            variables: Default::default(),
            caller: "13800000000".into(),
            callee: "10086".into(),
            after_hours: false,
        });
        let mut out = Vec::new();
        machine.handle(&Event::Start, &mut out);
        machine.handle(&Event::NoInput, &mut out);
        let json = serde_json::to_string(&machine).unwrap();

        let mut restored: CallMachine =
            with_flow(&flow, || serde_json::from_str(&json)).expect("the snapshot reads back");
        assert_eq!(restored.state(), CallState::Listening);
        assert_eq!(restored.step(), machine.step());
        let (mut a, mut b) = (Vec::new(), Vec::new());
        machine.handle(&Event::NoInput, &mut a);
        restored.handle(&Event::NoInput, &mut b);
        assert_eq!(a, b);
        assert_eq!(
            said(&b),
            ["非常抱歉,您的电话没有声音,请您换一部电话再打来,再见!"]
        );
        assert_eq!(restored.ended(), machine.ended());
    }

    #[test]
    fn a_snapshot_of_another_version_or_without_its_flow_is_refused() {
        let flow = hotline();
        let machine = CallMachine::new(CallSetup {
            flow: flow.clone(),
            locale: 0,
            opening: None,
            day_part: DayPart::Morning,
            variables: Default::default(),
            caller: "".into(),
            callee: "".into(),
            after_hours: false,
        });
        let json = serde_json::to_string(&machine).unwrap();
        let err = serde_json::from_str::<CallMachine>(&json).err().unwrap();
        assert!(err.to_string().contains("without its flow"), "{err}");
        let edited = include_str!("../../flows/hotline.toml").replace("1024", "2048");
        let other = Arc::new(compile_source("hotline.toml", &edited).unwrap());
        assert_ne!(other.version(), flow.version());
        let err = with_flow(&other, || serde_json::from_str::<CallMachine>(&json))
            .err()
            .unwrap();
        assert!(err.to_string().contains("not"), "{err}");
    }
}
