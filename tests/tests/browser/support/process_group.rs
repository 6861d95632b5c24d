//! A tool run as the leader of a process group of its own, so that every process it starts
//! (a browser's renderers, a driver's browser) is signalled with it and none outlives a test.

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::thread::{self, JoinHandle};

/// The process group led by a child spawned with `process_group(0)`: killed when dropped, so
/// that nothing in it outlives the run, whether it ended normally, by timeout or by a panic.
pub struct ProcessGroup(u32);

impl ProcessGroup {
    /// The group that `child` leads (it was spawned with `process_group(0)`).
    pub fn of(child: &Child) -> ProcessGroup {
        ProcessGroup(child.id())
    }

    /// Sends `signal` (as `kill` names it: `-TERM`, `-KILL`) to every process of the group.
    /// The standard library signals one process only; `kill` fails harmlessly (no such
    /// process) when the group has already exited.
    pub fn signal(&self, signal: &str) {
        let group = format!("-{}", self.0);
        for kill in ["kill", "/usr/bin/kill", "/bin/kill"] {
            let sent = Command::new(kill)
                .args([signal, "--", &group])
                .stderr(Stdio::null())
                .status();
            if sent.is_ok() {
                return;
            }
        }
    }

    pub fn kill(&self) {
        self.signal("-KILL");
    }
}

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Reads `pipe` to its end on a thread of its own, so that a child never blocks on a full
/// pipe; the text (invalid UTF-8 replaced) once the pipe closes.
pub fn drain(pipe: Option<impl Read + Send + 'static>) -> JoinHandle<String> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}
