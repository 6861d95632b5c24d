//! A virtual X display (Xvfb) for a browser with no screen: started on a display number
//! that no other X server holds, stopped with its whole process group when dropped.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::support::process_group::{ProcessGroup, drain};

/// Longest Xvfb may take to take a display and say which.
const START_LIMIT: Duration = Duration::from_secs(20);

/// Longest Xvfb may take to exit once told to.
const STOP_LIMIT: Duration = Duration::from_secs(2);

/// A running Xvfb; killed (and reaped) when dropped.
pub struct Xvfb {
    /// `:N`, the value for `DISPLAY`.
    display: String,
    group: ProcessGroup,
    child: Child,
}

impl Xvfb {
    /// Starts `binary` on the first free display number (`-displayfd`: Xvfb takes the number
    /// by its lock file and prints it once it accepts clients), listening on no TCP port.
    pub fn start(binary: &Path) -> Xvfb {
        let mut child = Command::new(binary)
            .args([
                "-displayfd",
                "1",
                "-nolisten",
                "tcp",
                "-screen",
                "0",
                "1280x1024x24",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let group = ProcessGroup::of(&child);
        let stderr = drain(child.stderr.take());
        let stdout = child.stdout.take();
        let (number, receive) = mpsc::channel();
        thread::spawn(move || {
            let mut line = String::new();
            if let Some(stdout) = stdout {
                let _ = BufReader::new(stdout).read_line(&mut line);
            }
            let _ = number.send(line);
        });
        let xvfb = |display: String| Xvfb {
            display,
            group,
            child,
        };
        match receive.recv_timeout(START_LIMIT) {
            Ok(line) if line.trim().parse::<u32>().is_ok() => xvfb(format!(":{}", line.trim())),
            outcome => {
                drop(xvfb(String::new()));
                let stderr = stderr.join().unwrap_or_default();
                panic!(
                    "Xvfb gave no display number within {START_LIMIT:?} ({outcome:?}): stopped\n\
                     --- stderr ---\n{stderr}"
                );
            }
        }
    }

    /// The value for `DISPLAY`.
    pub fn display(&self) -> &str {
        &self.display
    }
}

impl Drop for Xvfb {
    /// SIGTERM first, on which Xvfb removes its lock file and socket; SIGKILL to the group
    /// after [`STOP_LIMIT`] at the latest.
    fn drop(&mut self) {
        self.group.signal("-TERM");
        let deadline = Instant::now() + STOP_LIMIT;
        while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(10));
        }
        self.group.kill();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
