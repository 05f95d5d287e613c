//! Per-call variables: prompts say the call's own values, over the flow's
//! defaults, as given at the start and changed mid-call.

use super::*;

fn outbound() -> Arc<Flow> {
    Arc::new(
        compile_source(
            "outbound.toml",
            include_str!("../../../flows/outbound.toml"),
        )
        .expect("the shipped outbound flow compiles"),
    )
}

#[test]
fn the_outbound_opening_says_the_customers_name() {
    let (_, opening) = Call::with(outbound(), &[("customer", "张三"), ("salutation", "女士")]);
    opening.is(
        &["say:verify_identity", LISTEN],
        &["您好,请问是张三女士吗?我姓X,是XX客服中心打来的,感谢您对我公司的支持和信任,来电与您核对您的资料。"],
    );
    // Without the title the customer's data would give, the name alone:
    // never the written 先生/小姐, which text-to-speech reads slash and all.
    let (_, opening) = Call::with(outbound(), &[("customer", "张三")]);
    opening.is(
        &["say:verify_identity", LISTEN],
        &["您好,请问是张三吗?我姓X,是XX客服中心打来的,感谢您对我公司的支持和信任,来电与您核对您的资料。"],
    );
}

#[test]
fn a_call_value_wins_over_the_flow_default_and_data_changes_it() {
    let (mut call, opening) = Call::with(hotline(), &[("company", "畅联通信")]);
    opening.is(
        &["say:opening", LISTEN],
        &["您好,畅联通信欢迎您的来电,请问有什么可以帮您?"],
    );
    call.send(Event::Data {
        variables: [("agent_id".to_owned(), "2048".to_owned())].into(),
    })
    .is(&[], &[]);
    call.send(words("你的工号是多少")).is(
        &["say:agent_number", LISTEN],
        &["我的工号是2048,很高兴为您服务。"],
    );
}

#[test]
fn a_call_without_values_says_the_flow_defaults() {
    let (_, opening) = Call::with(hotline(), &[]);
    opening.is(&["say:opening", LISTEN], &[OPENING]);
}
