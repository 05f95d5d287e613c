//! Records survive a full disk (issue 27), on the real binary: the records
//! file on a 64 KiB tmpfs filled almost to the brim holds only whole JSON
//! lines while the disk is full, and once space is freed every record
//! kept meanwhile is written, in order, each once.
//!
//! Mounting a tmpfs needs root (CI runs the tests as root); elsewhere the
//! test says so and skips.

#[path = "common/binary.rs"]
mod binary;
#[allow(unused_imports)]
mod common;

use std::{
    io::{Read, Write},
    net::{SocketAddr, TcpStream},
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::Duration,
};

use binary::ServerProcess;
use callscript::grpc::pb::calls_client::CallsClient;
use common::{event, hangup, start};
use tonic::transport::Channel;

const AT: &str = "2026-11-23T15:00:00+08:00";

/// A tmpfs of `size` mounted on a fresh directory; unmounted when dropped.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().expect("temp dir");
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        mounted.then_some(Tmpfs { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

fn scrape(addr: SocketAddr) -> String {
    let mut stream = TcpStream::connect(addr).expect("connect");
    write!(stream, "GET /metrics HTTP/1.0\r\nHost: {addr}\r\n\r\n").expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    response
}

fn sample(exposition: &str, name: &str) -> Option<f64> {
    exposition
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

/// The call ids of the file's records; every line must be whole JSON.
fn recorded(file: &PathBuf) -> Vec<String> {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    assert!(
        text.is_empty() || text.ends_with('\n'),
        "the file ends with a whole line:\n{text}"
    );
    text.lines()
        .map(|l| {
            let record: serde_json::Value = serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("a whole JSON line, not {l:?}: {e}"));
            record["call_id"].as_str().expect("a call id").to_owned()
        })
        .collect()
}

#[tokio::test]
async fn a_full_disk_keeps_the_records_and_writes_them_once_space_is_freed() {
    let Some(disk) = Tmpfs::mount("64k") else {
        eprintln!(
            "SKIPPED: mounting a tmpfs is not permitted here (the test needs root, as in CI)"
        );
        return;
    };
    // Everything but one page taken.
    let filler = disk.path().join("filler");
    let mut fill = std::fs::File::create(&filler).expect("filler");
    let _ = fill.write_all(&vec![b'x'; 60 << 10]);
    drop(fill);
    let file = disk.path().join("calls.jsonl");
    let server = ServerProcess::start(
        &[
            ("CALLSCRIPT_RECORDS_FILE", &file.display().to_string()),
            ("CALLSCRIPT_METRICS_LISTEN", "127.0.0.1:0"),
        ],
        Stdio::null(),
    );
    let metrics = server.metrics.expect("metrics");
    let channel = Channel::from_shared(format!("http://{}", server.addr))
        .expect("uri")
        .connect()
        .await
        .expect("connect");
    let mut calls = CallsClient::new(channel);
    let ids: Vec<String> = (0..30).map(|n| format!("disk-{n:02}")).collect();
    for id in &ids {
        calls.start_call(start(id, AT)).await.expect("starts");
        let turn = calls
            .send_event(event(id, 1, hangup()))
            .await
            .expect("hang-up")
            .into_inner();
        assert!(turn.ended);
    }
    // The writer thread has them all once the kept gauge is up.
    let full = (0..200)
        .map(|_| {
            std::thread::sleep(Duration::from_millis(25));
            scrape(metrics)
        })
        .find(|t| {
            let kept = sample(t, "callscript_records_kept").unwrap_or_default();
            kept > 0.0 && kept + recorded(&file).len() as f64 == 30.0
        })
        .expect("records are kept while the disk is full");
    assert!(
        sample(&full, "callscript_records_write_errors_total").is_some_and(|n| n >= 1.0),
        "{full}"
    );
    let before = recorded(&file);
    assert!(
        before.len() < 30,
        "the disk took only some: {}",
        before.len()
    );
    assert_eq!(before, ids[..before.len()], "in order, whole lines only");

    std::fs::remove_file(&filler).expect("free the space");
    let written = (0..200).find_map(|_| {
        std::thread::sleep(Duration::from_millis(50));
        let now = recorded(&file);
        (now.len() >= 30).then_some(now)
    });
    assert_eq!(
        written.as_deref(),
        Some(&ids[..]),
        "every kept record written, once, in order"
    );
    let text = scrape(metrics);
    assert_eq!(
        sample(&text, "callscript_records_kept"),
        Some(0.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "callscript_records_lost_total"),
        Some(0.0),
        "{text}"
    );
    drop(server);
}
