//! A real OpenSSH server (`/usr/sbin/sshd`) on loopback for SSH tests, with its own host key and
//! client key, and an `ssh-agent` holding that client key.
//!
//! ```no_run
//! let sshd = acceptance_tests::sshd::Sshd::start();
//! println!("ssh -p {} -i {} {}@{}", sshd.port(), sshd.client_key_path().display(), sshd.user(), sshd.host());
//! ```
//!
//! Everything lives in a temporary directory; the server runs in the foreground and is killed,
//! with its per-connection processes, on drop.

use std::fs;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

const SSHD: &str = "/usr/sbin/sshd";
const STARTUP_LIMIT: Duration = Duration::from_secs(15);

/// Type of the generated client key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeyType {
    #[default]
    Ed25519,
    Ecdsa,
    Rsa,
}

impl KeyType {
    fn keygen_args(self) -> &'static [&'static str] {
        match self {
            KeyType::Ed25519 => &["-t", "ed25519"],
            KeyType::Ecdsa => &["-t", "ecdsa", "-b", "256"],
            KeyType::Rsa => &["-t", "rsa", "-b", "3072"],
        }
    }
}

/// Where the server listens and which client key it trusts.
#[derive(Debug, Clone)]
pub struct SshdOptions {
    /// A loopback address; another one than 127.0.0.1 (e.g. 127.0.0.2) tells servers apart.
    pub listen_address: Ipv4Addr,
    pub client_key: KeyType,
    /// Directories that get an empty private tmpfs in a mount namespace of the server's own,
    /// so what sessions write there (e.g. a k3s install into `/etc/rancher`) never reaches
    /// the host. Empty: the server shares the host's filesystem.
    pub private_dirs: Vec<PathBuf>,
}

impl Default for SshdOptions {
    fn default() -> Self {
        Self {
            listen_address: Ipv4Addr::LOCALHOST,
            client_key: KeyType::Ed25519,
            private_dirs: Vec::new(),
        }
    }
}

/// A running `sshd -D -e` with generated keys; killed on drop.
pub struct Sshd {
    dir: TempDir,
    child: Child,
    address: SocketAddr,
    user: String,
}

impl Sshd {
    /// On 127.0.0.1 with an ed25519 client key.
    pub fn start() -> Sshd {
        Self::start_with(SshdOptions::default())
    }

    pub fn start_with(options: SshdOptions) -> Sshd {
        assert!(
            Path::new(SSHD).exists(),
            "openssh-server not installed: apt-get install openssh-server"
        );
        assert!(
            options.listen_address.is_loopback(),
            "sshd fixture listens on loopback only, not {}",
            options.listen_address
        );
        let dir = tempfile::Builder::new()
            .prefix("sshd-fixture")
            .tempdir()
            .expect("temporary directory for sshd");
        generate_key(dir.path(), "host_key", KeyType::Ed25519);
        generate_key(dir.path(), "client_key", options.client_key);
        fs::copy(
            dir.path().join("client_key.pub"),
            dir.path().join("authorized_keys"),
        )
        .expect("authorized_keys");
        // sshd refuses to start without its privilege separation directory.
        fs::create_dir_all("/run/sshd").expect("create /run/sshd");

        let address = SocketAddr::new(
            IpAddr::V4(options.listen_address),
            free_port(options.listen_address),
        );
        let config = dir.path().join("sshd_config");
        fs::write(&config, config_text(dir.path(), address)).expect("write sshd_config");
        let log = fs::File::create(dir.path().join("sshd.log")).expect("sshd.log");
        let mut command = isolated(&options.private_dirs);
        let child = command
            .arg(SSHD)
            .arg("-D")
            .arg("-e")
            .arg("-f")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("spawn sshd");
        let mut sshd = Sshd {
            dir,
            child,
            address,
            user: current_user(),
        };
        sshd.wait_until_listening();
        sshd
    }

    /// Runs `sh -c command` in the server's mount namespace (what its sessions see) and
    /// returns stdout; panics when it fails.
    pub fn exec(&self, command: &str) -> String {
        let out = Command::new("nsenter")
            .arg("-t")
            .arg(self.child.id().to_string())
            .args(["-m", "sh", "-c", command])
            .output()
            .expect("nsenter (util-linux)");
        assert!(
            out.status.success(),
            "{command} failed in the sshd's namespace: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The listen address, e.g. `127.0.0.1`.
    pub fn host(&self) -> String {
        self.address.ip().to_string()
    }

    pub fn port(&self) -> u16 {
        self.address.port()
    }

    /// The user whose key is authorized: the one running the tests (root here).
    pub fn user(&self) -> &str {
        &self.user
    }

    /// `SHA256:<base64>` of the host key, as `ssh-keygen -l` prints it.
    pub fn host_key_fingerprint(&self) -> String {
        let out = run_ok(
            Command::new("ssh-keygen")
                .args(["-l", "-E", "sha256", "-f"])
                .arg(self.dir.path().join("host_key.pub")),
        );
        out.split_whitespace()
            .nth(1)
            .unwrap_or_else(|| panic!("unexpected ssh-keygen -l output: {out}"))
            .to_string()
    }

    /// The host public key line, `ssh-ed25519 AAAA... comment`.
    pub fn host_public_key(&self) -> String {
        read(&self.dir.path().join("host_key.pub"))
            .trim()
            .to_string()
    }

    /// `[host]:port ssh-ed25519 AAAA...`, for a known_hosts file.
    pub fn known_hosts_line(&self) -> String {
        let mut parts = self
            .host_public_key()
            .split_whitespace()
            .map(str::to_string)
            .collect::<Vec<_>>();
        parts.truncate(2);
        format!("[{}]:{} {}", self.host(), self.port(), parts.join(" "))
    }

    /// The client private key in OpenSSH format (unencrypted).
    pub fn client_private_key(&self) -> String {
        read(&self.client_key_path())
    }

    pub fn client_key_path(&self) -> PathBuf {
        self.dir.path().join("client_key")
    }

    pub fn client_public_key(&self) -> String {
        read(&self.dir.path().join("client_key.pub"))
            .trim()
            .to_string()
    }

    /// Everything sshd logged so far (LogLevel VERBOSE: connections and authentication).
    pub fn log(&self) -> String {
        read(&self.dir.path().join("sshd.log"))
    }

    /// The fixture's temporary directory, for files a test wants to keep beside it.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    fn wait_until_listening(&mut self) {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("poll sshd") {
                panic!(
                    "sshd exited with {status} before listening:\n{}",
                    self.log()
                );
            }
            if TcpStream::connect_timeout(&self.address, Duration::from_millis(200)).is_ok() {
                return;
            }
            assert!(
                started.elapsed() < STARTUP_LIMIT,
                "sshd did not listen on {} within {STARTUP_LIMIT:?}:\n{}",
                self.address,
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        kill_tree(&mut self.child);
    }
}

/// `ssh-agent -D -a <socket>` holding one private key; killed on drop.
pub struct SshAgent {
    _dir: TempDir,
    socket: PathBuf,
    child: Child,
}

impl SshAgent {
    /// Starts an agent and adds the private key at `key_path` with `ssh-add`.
    pub fn start(key_path: &Path) -> SshAgent {
        let dir = tempfile::Builder::new()
            .prefix("ssh-agent-fixture")
            .tempdir()
            .expect("temporary directory for ssh-agent");
        let socket = dir.path().join("agent.sock");
        let child = Command::new("ssh-agent")
            .arg("-D")
            .arg("-a")
            .arg(&socket)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn ssh-agent (package openssh-client)");
        let mut agent = SshAgent {
            _dir: dir,
            socket,
            child,
        };
        let started = Instant::now();
        while !agent.socket.exists() {
            if let Some(status) = agent.child.try_wait().expect("poll ssh-agent") {
                panic!("ssh-agent exited with {status}");
            }
            assert!(
                started.elapsed() < STARTUP_LIMIT,
                "ssh-agent socket never appeared"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        run_ok(
            Command::new("ssh-add")
                .arg("-q")
                .arg(key_path)
                .env("SSH_AUTH_SOCK", &agent.socket),
        );
        agent
    }

    /// The value for `SSH_AUTH_SOCK`.
    pub fn socket_path(&self) -> &Path {
        &self.socket
    }
}

impl Drop for SshAgent {
    fn drop(&mut self) {
        kill_tree(&mut self.child);
    }
}

/// A command prefix that runs the program appended to it with a private tmpfs on each of
/// `dirs`: `unshare` and `sh` exec into it, so its pid is the child's pid.
fn isolated(dirs: &[PathBuf]) -> Command {
    if dirs.is_empty() {
        return Command::new("env");
    }
    let mut command = Command::new("unshare");
    command.args([
        "--mount",
        "--propagation",
        "private",
        "sh",
        "-c",
        r#"while [ "$1" != -- ]; do mkdir -p "$1" && mount -t tmpfs -o mode=0755 tmpfs "$1" || exit 1; shift; done; shift; exec "$@""#,
        "sh",
    ]);
    command.args(dirs).arg("--");
    command
}

/// Generates an unencrypted key pair `<dir>/<name>` and `<name>.pub`.
pub fn generate_key(dir: &Path, name: &str, key_type: KeyType) -> PathBuf {
    let path = dir.join(name);
    run_ok(
        Command::new("ssh-keygen")
            .args(key_type.keygen_args())
            .args(["-q", "-N", "", "-C", name, "-f"])
            .arg(&path),
    );
    path
}

fn config_text(dir: &Path, address: SocketAddr) -> String {
    let dir = dir.display();
    format!(
        "ListenAddress {address}
HostKey {dir}/host_key
AuthorizedKeysFile {dir}/authorized_keys
PidFile none
StrictModes no
PermitRootLogin yes
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
AllowTcpForwarding yes
LogLevel VERBOSE
"
    )
}

/// A port free right now on `ip` (the kernel's pick; sshd binds it a moment later).
fn free_port(ip: Ipv4Addr) -> u16 {
    TcpListener::bind((ip, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port on {ip}: {e}"))
}

fn current_user() -> String {
    run_ok(Command::new("id").arg("-un")).trim().to_string()
}

/// Kills `child` and every process below it, then reaps it. sshd puts each connection in a
/// session of its own (setsid), so a process group would miss them; /proc's parent links do not.
fn kill_tree(child: &mut Child) {
    let mut pids = vec![child.id()];
    let mut next = 0;
    while next < pids.len() {
        pids.extend(child_pids(pids[next]));
        next += 1;
    }
    let _ = Command::new("kill")
        .arg("-KILL")
        .args(pids.iter().map(u32::to_string))
        .stderr(Stdio::null())
        .status();
    let _ = child.wait();
}

/// Processes whose parent is `parent`, from /proc/<pid>/stat.
fn child_pids(parent: u32) -> Vec<u32> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
            fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|stat| {
                    let after_comm = &stat[stat.rfind(')')? + 1..];
                    after_comm.split_whitespace().nth(1)?.parse::<u32>().ok()
                })
                == Some(parent)
        })
        .collect()
}

fn run_ok(command: &mut Command) -> String {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{command:?} could not start: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}
