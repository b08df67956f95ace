//! A private libvirtd (own network + mount namespace) for one test, torn down on drop.

use std::ffi::OsStr;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::command::{self, CommandOutput};
use crate::{paths, prerequisites, Result};

const DEFAULT_STATE_ROOT: &str = "/run/kvmcloud-sandbox";
/// Lines of libvirtd's log shown when a test panics while its sandbox is up.
const LOG_TAIL_LINES: usize = 40;

/// A sandbox name no other test can be using: nextest runs each test in its own process and
/// `cargo test` runs them on threads, so the name carries the pid and a per-process counter.
pub fn unique_name(label: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("{label}-{}-{n}", std::process::id())
}

/// A running private libvirtd; `qemu:///system` inside it reaches only this daemon.
#[derive(Debug)]
pub struct Sandbox {
    name: String,
    script: PathBuf,
    stopped: bool,
}

impl Sandbox {
    /// Starts the sandbox and waits until libvirtd answers (QEMU capabilities already probed).
    ///
    /// Panics naming what is missing when the machine cannot run sandboxes (not root, no
    /// libvirtd, virsh, QEMU, ...). Sandboxes left by test processes that were killed are
    /// stopped first.
    pub fn start(name: &str) -> Result<Sandbox> {
        let script = paths::sandbox_script();
        prerequisites::require_sandbox_tools(&script);
        reap_orphans(&script);
        let mut start = Command::new(&script);
        start
            .args(["start", name])
            .env("KVMCLOUD_SANDBOX_OWNER", std::process::id().to_string());
        let output = command::run(start)?.into_success()?;
        eprint!("{}", output.stdout);
        Ok(Sandbox {
            name: name.to_string(),
            script,
            stopped: false,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// A command that runs `program` inside the sandbox (cwd and environment kept,
    /// `LIBVIRT_DEFAULT_URI=qemu:///system`); add arguments and environment, then run it.
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut command = Command::new(&self.script);
        command.args(["exec", &self.name, "--"]).arg(program);
        command
    }

    /// Runs `program args...` inside the sandbox; any exit code is returned, not turned into an error.
    pub fn exec<I, S>(&self, program: &str, args: I) -> Result<CommandOutput>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut command = self.command(program);
        command.args(args);
        command::run(command)
    }

    /// `virsh ARGS` against the sandbox's libvirtd.
    pub fn virsh(&self, args: &[&str]) -> Result<CommandOutput> {
        self.exec("virsh", args)
    }

    /// Pid of the sandbox's libvirtd, as the script recorded it.
    pub fn libvirtd_pid(&self) -> Option<u32> {
        let pid_file = self.state_dir().join("libvirtd.pid");
        std::fs::read_to_string(pid_file).ok()?.trim().parse().ok()
    }

    /// Where the script keeps this sandbox's pids, configuration and daemon logs.
    pub fn state_dir(&self) -> PathBuf {
        let root = std::env::var_os("KVMCLOUD_SANDBOX_STATE_ROOT")
            .filter(|root| !root.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(DEFAULT_STATE_ROOT));
        root.join(&self.name)
    }

    /// Stops the sandbox now and reports failure (drop does the same but can only log).
    pub fn stop(mut self) -> Result<CommandOutput> {
        self.stopped = true;
        self.run_stop()
    }

    fn run_stop(&self) -> Result<CommandOutput> {
        let mut stop = Command::new(&self.script);
        stop.args(["stop", &self.name]);
        let output = command::run(stop)?.into_success()?;
        eprint!("{}", output.stdout);
        Ok(output)
    }

    fn libvirtd_log_tail(&self) -> String {
        let log =
            std::fs::read_to_string(self.state_dir().join("libvirtd.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(LOG_TAIL_LINES)..].join("\n")
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if self.stopped {
            return;
        }
        if std::thread::panicking() {
            eprintln!(
                "libvirtd log of sandbox {} (tail):\n{}",
                self.name,
                self.libvirtd_log_tail()
            );
        }
        if let Err(err) = self.run_stop() {
            eprintln!("stopping sandbox {} failed: {err}", self.name);
        }
    }
}

/// Stops sandboxes whose owning test process died without dropping them (e.g. killed by a timeout).
fn reap_orphans(script: &std::path::Path) {
    let mut reap = Command::new(script);
    reap.arg("reap");
    match command::run(reap).and_then(CommandOutput::into_success) {
        Ok(output) => eprint!("{}", output.stdout),
        Err(err) => eprintln!("reaping orphaned sandboxes failed: {err}"),
    }
}
