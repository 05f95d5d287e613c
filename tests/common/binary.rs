//! The real `callscript` binary, started as a user starts it. Shared by the
//! end-to-end tests and `benches/grpc.rs` (which includes this file by path).

use std::{
    io::{BufRead, BufReader},
    net::SocketAddr,
    process::{Child, Command, Stdio},
};

/// A `callscript serve` process; killed when dropped, pass or fail.
pub struct ServerProcess {
    child: Child,
    pub addr: SocketAddr,
    /// Where `/metrics` is served, when `CALLSCRIPT_METRICS_LISTEN` is set.
    #[allow(dead_code)]
    pub metrics: Option<SocketAddr>,
}

impl ServerProcess {
    /// Serves the shipped flows on an ephemeral port, without the file
    /// watcher, with `envs` added; reads the address from the first line
    /// of stdout. The server's log goes to `stderr`.
    #[allow(dead_code)] // tests on other flows use `start_in`
    pub fn start(envs: &[(&str, &str)], stderr: Stdio) -> ServerProcess {
        Self::start_in(
            std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/flows")),
            envs,
            stderr,
        )
    }

    /// [`ServerProcess::start`], run by `prefix` (e.g. a profiler and its
    /// options); an empty prefix runs the binary itself.
    #[allow(dead_code)] // the benchmarks run the server under callgrind
    pub fn start_under(prefix: &[&str], envs: &[(&str, &str)], stderr: Stdio) -> ServerProcess {
        let flows = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/flows"));
        Self::spawn(prefix, flows, envs, stderr)
    }

    /// [`ServerProcess::start`] on another flows directory.
    pub fn start_in(
        flows: &std::path::Path,
        envs: &[(&str, &str)],
        stderr: Stdio,
    ) -> ServerProcess {
        Self::spawn(&[], flows, envs, stderr)
    }

    fn spawn(
        prefix: &[&str],
        flows: &std::path::Path,
        envs: &[(&str, &str)],
        stderr: Stdio,
    ) -> ServerProcess {
        let binary = env!("CARGO_BIN_EXE_callscript");
        let mut command = match prefix.split_first() {
            Some((program, args)) => {
                let mut c = Command::new(program);
                c.args(args).arg(binary);
                c
            }
            None => Command::new(binary),
        };
        let mut child = command
            .args(["serve", "--listen", "127.0.0.1:0", "--flows"])
            .arg(flows)
            .env("CALLSCRIPT_WATCH", "false")
            .envs(envs.iter().copied())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("the callscript binary starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut stdout = BufReader::new(stdout);
        let mut line = String::new();
        stdout
            .read_line(&mut line)
            .expect("the server prints its address");
        let Some(addr) = line
            .trim()
            .strip_prefix("callscript listening on ")
            .and_then(|a| a.parse().ok())
        else {
            // Nothing printed: the server refused to start (or died); its
            // exit status says which, and a test passing `Stdio::inherit()`
            // shows why.
            let status = if line.is_empty() {
                child.wait().map(|s| s.to_string())
            } else {
                let _ = child.kill();
                Ok("killed: it printed something else first".to_owned())
            };
            panic!("unexpected first line from the server: {line:?}; the server: {status:?}");
        };
        let metrics = envs
            .iter()
            .any(|(k, _)| *k == "CALLSCRIPT_METRICS_LISTEN")
            .then(|| {
                let mut line = String::new();
                stdout
                    .read_line(&mut line)
                    .expect("the server prints its metrics address");
                line.trim()
                    .strip_prefix("callscript metrics on http://")
                    .and_then(|a| a.strip_suffix("/metrics"))
                    .and_then(|a| a.parse().ok())
                    .unwrap_or_else(|| panic!("unexpected second line from the server: {line:?}"))
            });
        ServerProcess {
            child,
            addr,
            metrics,
        }
    }

    /// The server's stderr, when it was piped.
    #[allow(dead_code)]
    pub fn take_stderr(&mut self) -> Option<std::process::ChildStderr> {
        self.child.stderr.take()
    }

    /// Stops the server as an operator does (SIGTERM: it ends its live
    /// calls, writes their records and exits); returns its exit code.
    #[allow(dead_code)]
    pub fn terminate(&mut self) -> Option<i32> {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -TERM the server");
        self.child.wait().expect("the server exits").code()
    }

    #[allow(dead_code)] // the benchmarks read the server's memory by pid
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
