#![allow(dead_code)]

//! What the tests with two replicas on one Redis share: the shipped flows
//! with a short silence wait, a client of one replica, and a Converse
//! stream opened with any first message.

use std::path::Path;

use callscript::grpc::pb::{self, calls_client::CallsClient};
use tokio::sync::mpsc;
use tokio_stream::wrappers::UnboundedReceiverStream;
use tonic::{Streaming, transport::Channel};

use crate::binary::ServerProcess;

/// The shipped flows, with the silence wait at 1.5 s.
pub fn quick_flows() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("flows");
    for entry in std::fs::read_dir(&shipped).expect("flows dir") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("a flow file");
        let text = text.replace("no_input_ms = 5000", "no_input_ms = 1500");
        std::fs::write(dir.path().join(path.file_name().expect("name")), text).expect("write");
    }
    dir
}

pub async fn channel(server: &ServerProcess) -> Channel {
    Channel::from_shared(format!("http://{}", server.addr))
        .expect("uri")
        .connect()
        .await
        .expect("connect")
}

pub async fn client(server: &ServerProcess) -> CallsClient<Channel> {
    CallsClient::new(channel(server).await)
}

/// Opens Converse with `first`; the sender keeps the stream open.
pub async fn converse(
    calls: &mut CallsClient<Channel>,
    first: pb::call_event::Kind,
) -> Result<(mpsc::UnboundedSender<pb::CallEvent>, Streaming<pb::Turn>), tonic::Status> {
    let (tx, rx) = mpsc::unbounded_channel();
    tx.send(pb::CallEvent {
        call_id: String::new(),
        seq: 0,
        kind: Some(first),
    })
    .expect("queued");
    let turns = calls
        .converse(UnboundedReceiverStream::new(rx))
        .await?
        .into_inner();
    Ok((tx, turns))
}
