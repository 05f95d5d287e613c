//! The IVR building blocks on a small flow of their own (`ivr.toml`):
//! `set` and `branch` act in the turn that reaches them, saying nothing
//! themselves.

use std::time::Duration;

use super::*;

fn ivr() -> Arc<Flow> {
    Arc::new(compile_source("ivr.toml", include_str!("ivr.toml")).expect("ivr.toml compiles"))
}

const NOTED: &str = "您的宽带业务已为您登记。";
const VIP: &str = "尊敬的贵宾,您的宽带业务由专属客服为您办理。";
const ANYTHING_ELSE_HERE: &str = "您还需要别的帮助吗?";

/// A call past the opening whose `set` ran and whose VIP lookup went out.
fn checking_vip() -> Call {
    let (mut call, _) = Call::with(ivr(), &[]);
    let mut out = Vec::new();
    call.machine
        .handle_at(Duration::from_secs(1), &words("我要办宽带"), &mut out);
    assert_eq!(
        out[0],
        Action::Lookup {
            name: "vip".into(),
            params: [("contact".to_owned(), "13800138000".to_owned())].into(),
        },
        "the set value filled from {{caller}} goes out with the lookup"
    );
    assert_eq!(call.at(), ("looking_up", Some("vip_check")));
    call
}

#[test]
fn a_case_of_the_branch_leads_to_its_step() {
    let mut call = checking_vip();
    call.answered("vip", "vip", "gold").is(
        &["say:vip_hello", "say:anything_else", LISTEN],
        &[VIP, ANYTHING_ELSE_HERE],
    );
    assert_eq!(call.at(), ("closing", Some("close")));
}

#[test]
fn a_value_no_case_has_takes_the_default() {
    let mut call = checking_vip();
    call.answered("vip", "vip", "false").is(
        &["say:normal_hello", "say:anything_else", LISTEN],
        &[NOTED, ANYTHING_ELSE_HERE],
    );
}
