//! A real SMTP server for the tests: `tests/smtp_sink.py` (aiosmtpd) stores each message it
//! accepts as JSON, answers 4xx / 5xx for the `tempfail` / `reject` mailboxes.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A running SMTP sink.
pub struct Sink {
    _child: Child,
    pub port: u16,
    dir: tempfile::TempDir,
}

impl Sink {
    /// The sink, or `None` (after a loud skip line) when Python with aiosmtpd is missing and
    /// `HERALD_SKIP_SMTP` asks to skip.
    pub async fn start() -> Option<Sink> {
        let python = std::env::var("HERALD_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
        let dir = tempfile::tempdir().unwrap();
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/smtp_sink.py");
        let mut child = Command::new(python)
            .arg(script)
            .arg(dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
            .await
            .unwrap()
            .unwrap()
            .unwrap_or_default();
        let port = first.strip_prefix("READY ");
        let runs = herald_testkit::runs_with(
            port.is_some(),
            "HERALD_SKIP_SMTP",
            &format!("the SMTP test server (Python with aiosmtpd) did not start: {first}"),
        );
        let port = port.filter(|_| runs)?;
        Some(Sink {
            port: port.parse().unwrap(),
            _child: child,
            dir,
        })
    }

    /// Every message received so far, oldest first.
    pub fn messages(&self) -> Vec<serde_json::Value> {
        let mut names: Vec<_> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        names.sort();
        names
            .iter()
            .map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
            .collect()
    }

    /// Waits for `count` messages.
    pub async fn wait_for(&self, count: usize) -> Vec<serde_json::Value> {
        let what = format!("{count} emails arrive");
        herald_testkit::wait_for(&what, || {
            let got = self.messages();
            std::future::ready((got.len() >= count).then_some(got))
        })
        .await
    }
}
