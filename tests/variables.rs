//! Per-call variables over gRPC: StartCall's `variables` fill the prompts,
//! a required one missing or a value over the limit is INVALID_ARGUMENT
//! naming it, and a `data` event changes them mid-call.

mod common;

use callscript::grpc::pb;
use common::{event, said, start, start_server};
use tonic::Code;

const AFTERNOON: &str = "2026-11-23T15:00:00+08:00";

fn outbound(call_id: &str, variables: &[(&str, &str)]) -> pb::StartCallRequest {
    pb::StartCallRequest {
        flow: "outbound".into(),
        variables: variables
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..start(call_id, AFTERNOON)
    }
}

#[tokio::test]
async fn the_outbound_call_says_the_customers_name_from_start_call() {
    let mut server = start_server().await;
    let t = server
        .calls
        .start_call(outbound(
            "v1",
            &[("customer", "张三"), ("salutation", "先生")],
        ))
        .await
        .expect("StartCall")
        .into_inner();
    assert_eq!(
        said(&t),
        [
            "您好,请问是张三先生吗?我姓X,是XX客服中心打来的,感谢您对我公司的支持和信任,来电与您核对您的资料。"
        ]
    );
    server.stop().await;
}

#[tokio::test]
async fn a_missing_required_variable_is_invalid_argument_naming_it() {
    let mut server = start_server().await;
    for vars in [&[][..], &[("customer", "  ")][..], &[("name", "张三")][..]] {
        let status = server
            .calls
            .start_call(outbound("v2", vars))
            .await
            .expect_err("refused");
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(
            status.message(),
            "variables: flow \"outbound\" requires variable \"customer\" (its prompts say it and it has no default)"
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn a_value_over_the_limit_or_a_bad_name_is_invalid_argument() {
    let mut server = start_server().await;
    let long = "张".repeat(100);
    let status = server
        .calls
        .start_call(outbound("v3", &[("customer", &long)]))
        .await
        .expect_err("refused");
    assert_eq!(status.code(), Code::InvalidArgument);
    // The message names the variable and the limit, never the value.
    assert_eq!(
        status.message(),
        "variables: \"customer\": 300 bytes is more than max_variable_bytes (256)"
    );

    server
        .calls
        .start_call(outbound("v4", &[("customer", "张三")]))
        .await
        .expect("StartCall");
    let status = server
        .calls
        .send_event(event(
            "v4",
            1,
            pb::call_event::Kind::Data(pb::Data {
                variables: [("bad name".to_owned(), "x".to_owned())].into(),
            }),
        ))
        .await
        .expect_err("refused");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(
        status.message(),
        "data.variables: \"bad name\" is not a variable name (letters, digits and '_')"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_data_event_changes_what_the_next_prompts_say() {
    let mut server = start_server().await;
    server
        .calls
        .start_call(outbound("v5", &[("customer", "张三")]))
        .await
        .expect("StartCall");
    let quiet = server
        .calls
        .send_event(event(
            "v5",
            1,
            pb::call_event::Kind::Data(pb::Data {
                variables: [("customer".to_owned(), "李四".to_owned())].into(),
            }),
        ))
        .await
        .expect("data")
        .into_inner();
    assert!(quiet.actions.is_empty(), "data alone says nothing");
    let t = server
        .calls
        .send_event(event(
            "v5",
            2,
            pb::call_event::Kind::NoInput(pb::NoInput {}),
        ))
        .await
        .expect("no_input")
        .into_inner();
    assert_eq!(said(&t), ["您好!请问是李四吗?"]);
    server.stop().await;
}
