//! Wall time of one bootstrap step on loopback: connect, upload 100 KiB, run a command, close.
//! ssh-exec against the system `ssh` client doing the same over one connection (ControlMaster:
//! the upload and the command as two sessions of one authenticated connection), in the same run,
//! against the same real sshd.
//!
//! `cargo run --release -p ssh-exec --example ssh_bench -- [iterations]` (default 20).

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use acceptance_tests::sshd::Sshd;
use ssh_exec::{Auth, Endpoint, HostKeyCheck, Session, Target};

const PAYLOAD_BYTES: usize = 100 * 1024;
const COMMAND: &str = "sha256sum /etc/hostname >/dev/null && echo ok";

#[tokio::main]
async fn main() {
    let iterations: usize = std::env::args()
        .nth(1)
        .map(|n| n.parse().expect("iterations: a positive number"))
        .unwrap_or(20);
    let sshd = Sshd::start();
    let payload: Vec<u8> = (0..PAYLOAD_BYTES).map(|i| (i * 31 % 251) as u8).collect();
    let target = Target::new(
        Endpoint::new(sshd.host(), sshd.port(), sshd.user()),
        Auth {
            private_key: Some(sshd.client_private_key()),
            ..Auth::default()
        },
        HostKeyCheck::Fingerprints(vec![sshd.host_key_fingerprint()]),
    );
    let known_hosts = sshd.dir().join("known_hosts");
    std::fs::write(&known_hosts, sshd.known_hosts_line() + "\n").expect("known_hosts");
    let upload_path = sshd.dir().join("bench/payload.bin");
    let upload_path = upload_path.to_str().expect("UTF-8 temp path");

    // One untimed round each: page cache, sshd's first fork.
    ours(&target, upload_path, &payload).await;
    system_ssh(&sshd, &known_hosts, upload_path, &payload);

    let mut phases = Vec::new();
    let mut theirs = Vec::new();
    for _ in 0..iterations {
        phases.push(ours(&target, upload_path, &payload).await);
        theirs.push(system_ssh(&sshd, &known_hosts, upload_path, &payload));
    }
    let column = |pick: fn(&Phases) -> Duration| median(phases.iter().map(pick).collect());
    let ours_total = column(|p| p.total);
    let theirs_total = median(theirs);
    println!(
        "ssh_bench: {iterations} iterations on loopback, {PAYLOAD_BYTES} bytes uploaded, medians"
    );
    println!(
        "  ssh-exec   connect+auth {:>8.2} ms",
        ms(column(|p| p.connect))
    );
    println!(
        "  ssh-exec   upload       {:>8.2} ms",
        ms(column(|p| p.upload))
    );
    println!(
        "  ssh-exec   run          {:>8.2} ms",
        ms(column(|p| p.run))
    );
    println!("  ssh-exec   total        {:>8.2} ms", ms(ours_total));
    println!("  system ssh total        {:>8.2} ms", ms(theirs_total));
    println!(
        "  ratio ssh-exec / system ssh: {:.2}",
        ours_total.as_secs_f64() / theirs_total.as_secs_f64()
    );
}

struct Phases {
    connect: Duration,
    upload: Duration,
    run: Duration,
    total: Duration,
}

async fn ours(target: &Target, path: &str, payload: &[u8]) -> Phases {
    let started = Instant::now();
    let session = Session::connect(target).await.expect("connect");
    let connected = Instant::now();
    session.upload(path, payload, 0o600).await.expect("upload");
    let uploaded = Instant::now();
    let out = session.run(COMMAND).await.expect("run");
    assert_eq!(out.check("bench command").expect("status").stdout, "ok\n");
    let ran = Instant::now();
    session.close().await;
    Phases {
        connect: connected - started,
        upload: uploaded - connected,
        run: ran - uploaded,
        total: started.elapsed(),
    }
}

/// The same steps with OpenSSH's client: a master connection runs the upload, a second `ssh`
/// reuses it for the command, `ssh -O exit` closes it.
fn system_ssh(sshd: &Sshd, known_hosts: &Path, path: &str, payload: &[u8]) -> Duration {
    let control = sshd.dir().join("control.sock");
    let base = |extra: &[&str]| {
        let mut command = Command::new("ssh");
        command
            .args([
                "-F",
                "/dev/null",
                "-o",
                "BatchMode=yes",
                "-o",
                "IdentitiesOnly=yes",
            ])
            .args(["-o", "StrictHostKeyChecking=yes", "-o", "LogLevel=ERROR"])
            .arg("-o")
            .arg(format!("UserKnownHostsFile={}", known_hosts.display()))
            .arg("-o")
            .arg(format!("ControlPath={}", control.display()))
            .arg("-i")
            .arg(sshd.client_key_path())
            .args(["-p", &sshd.port().to_string()])
            .args(extra)
            .arg(format!("{}@{}", sshd.user(), sshd.host()));
        command
    };
    // The script ssh-exec's upload runs, so both sides do the same remote work.
    let upload = format!(
        "set -e; target='{path}'; dir=$(dirname -- \"$target\"); mkdir -p -- \"$dir\"; \
         tmp=$(mktemp \"$dir/.bench.XXXXXX\"); cat > \"$tmp\"; \
         [ \"$(wc -c < \"$tmp\")\" -eq {} ]; chmod 600 \"$tmp\"; mv -f -- \"$tmp\" \"$target\"",
        payload.len()
    );

    let started = Instant::now();
    let mut master = base(&["-o", "ControlMaster=yes", "-o", "ControlPersist=yes"])
        .arg(upload)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("ssh (package openssh-client)");
    master
        .stdin
        .take()
        .expect("stdin")
        .write_all(payload)
        .expect("write to ssh");
    assert!(
        master.wait().expect("ssh upload").success(),
        "system ssh upload failed"
    );
    let out = base(&[]).arg(COMMAND).output().expect("ssh run");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "ok\n",
        "system ssh run failed"
    );
    let exit = base(&["-O", "exit"])
        .stderr(Stdio::null())
        .status()
        .expect("ssh -O exit");
    assert!(exit.success(), "ssh -O exit failed");
    started.elapsed()
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
