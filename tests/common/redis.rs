//! A real `redis-server` for the shared-store tests: on a free loopback
//! port, without persistence of its own (`--save '' --appendonly no`), its
//! files in a temporary directory. Killed when dropped.
//!
//! When `redis-server` is missing, [`RedisServer::start`] says so loudly and
//! returns `None` so a developer's run skips the test; in CI (`CI` set) a
//! missing binary fails it (`.ci/run` installs Debian's redis-server).
#![allow(dead_code)] // each test file uses part of it

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::{TcpListener, TcpStream},
    process::{Child, Command, Stdio},
};

pub struct RedisServer {
    child: Child,
    pub port: u16,
    dir: tempfile::TempDir,
}

impl RedisServer {
    pub fn start() -> Option<RedisServer> {
        if Command::new("redis-server")
            .arg("--version")
            .stdout(Stdio::null())
            .status()
            .is_err()
        {
            assert!(
                std::env::var_os("CI").is_none(),
                "redis-server is not installed, and CI needs it (.ci/run installs it)"
            );
            eprintln!(
                "\n*** SKIPPED: redis-server is not installed; the shared-store tests need it \
                 (apt-get install redis-server) ***\n"
            );
            return None;
        }
        let dir = tempfile::tempdir().expect("a temporary directory for redis");
        for _ in 0..5 {
            let port = TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("a free port")
                .port();
            if let Some(child) = spawn(port, dir.path()) {
                return Some(RedisServer { child, port, dir });
            }
        }
        panic!("redis-server did not start on any of five free ports");
    }

    /// The URL the service's `store` setting takes.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// Stops Redis as an operator restarting it does (`SHUTDOWN SAVE`: what
    /// it holds goes to its dump file), and waits until it is gone.
    pub fn stop(&mut self) {
        let reply = self.command(&["SHUTDOWN", "SAVE"]);
        // SHUTDOWN answers only when it fails.
        assert!(!reply.starts_with('-'), "SHUTDOWN SAVE: {reply}");
        self.child.wait().expect("redis-server exits");
    }

    /// Starts Redis again on the same port and files (it reads its dump).
    pub fn start_again(&mut self) {
        self.child = spawn(self.port, self.dir.path()).expect("redis-server starts again");
    }

    /// One command over RESP; the reply's first line.
    pub fn command(&self, args: &[&str]) -> String {
        let mut conn = TcpStream::connect(("127.0.0.1", self.port)).expect("connect to redis");
        let mut req = format!("*{}\r\n", args.len());
        for a in args {
            req.push_str(&format!("${}\r\n{a}\r\n", a.len()));
        }
        conn.write_all(req.as_bytes()).expect("send to redis");
        let mut reply = String::new();
        let mut byte = [0u8; 1];
        while conn.read(&mut byte).unwrap_or(0) == 1 && byte[0] != b'\n' {
            reply.push(byte[0] as char);
        }
        reply.trim_end().to_owned()
    }
}

/// Starts redis-server and reads its log until it accepts connections;
/// `None` if it exited first (the port was taken meanwhile).
fn spawn(port: u16, dir: &std::path::Path) -> Option<Child> {
    let mut child = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no"])
        .arg("--dir")
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("redis-server starts");
    let out = BufReader::new(child.stdout.take().expect("piped stdout"));
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    // The log is read to its end, so Redis never writes into a closed pipe.
    std::thread::spawn(move || {
        for line in out.lines() {
            let Ok(line) = line else { break };
            if line.contains("Ready to accept connections") {
                let _ = ready_tx.send(());
            }
        }
    });
    if ready_rx.recv().is_ok() {
        return Some(child);
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
