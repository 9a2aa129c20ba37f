//! The real `apig serve` on a loopback port, as a first start prints it.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

/// `apig serve --listen 127.0.0.1:0` on a fresh data directory, killed when dropped.
pub struct DemoServer {
    child: Child,
    /// `host:port` it listens on.
    pub authority: String,
    /// The demo project, instance and token its first start prints.
    pub project: String,
    pub instance: String,
    pub token: String,
    _dir: tempfile::TempDir,
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl DemoServer {
    /// Start it with `env` on top of a clean environment (no secrets or connection cap
    /// inherited from the caller) and read what its first start prints: the demo project,
    /// instance and token, and the curl line with the address.
    pub fn start(env: &[(&str, &str)]) -> DemoServer {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut command = Command::new(env!("CARGO_BIN_EXE_apig"));
        command
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env("APIG_DATA_DIR", dir.path())
            .env("APIG_LOG", "warn")
            .env_remove("APIG_TOKEN_SECRET")
            .env_remove("APIG_SIGNING_SECRET")
            .env_remove("APIG_MAX_CONNECTIONS")
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("start apig serve");
        let mut printed = Vec::new();
        let stdout = child.stdout.take().expect("stdout");
        for line in BufReader::new(stdout).lines() {
            let line = line.expect("line");
            let done = line.trim_start().starts_with("curl ");
            printed.push(line);
            if done {
                break;
            }
        }
        let value_of = |prefix: &str| {
            printed
                .iter()
                .find_map(|l| l.strip_prefix(prefix))
                .map(|v| v.trim().to_string())
                .unwrap_or_else(|| panic!("no {prefix} in {printed:?}"))
        };
        let url = printed
            .last()
            .and_then(|curl| curl.split_whitespace().last())
            .unwrap_or_else(|| panic!("no curl line in {printed:?}"))
            .to_string();
        DemoServer {
            authority: url
                .trim_start_matches("http://")
                .split('/')
                .next()
                .unwrap_or_default()
                .to_string(),
            project: value_of("demo project:"),
            instance: value_of("demo instance:"),
            token: value_of("token (12h):"),
            child,
            _dir: dir,
        }
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Its data directory.
    pub fn data_dir(&self) -> &std::path::Path {
        self._dir.path()
    }

    /// The socket address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.authority
            .parse()
            .unwrap_or_else(|e| panic!("address {:?}: {e}", self.authority))
    }
}
