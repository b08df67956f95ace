//! The rendered script: `sh -n` for every variant, and the air-gapped path actually run as root
//! in a throwaway root (own mount namespace + chroot) against a stand-in install.sh that records
//! its environment and arguments.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{agent, airgap, cluster_init_server, joining_server, online, require_tool};
use k3s_bootstrap::{install_plan, Install, InstallPlan, NodeSpec, SCRIPT_PATH};

fn syntax_check(name: &str, script: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sh");
    std::fs::write(&path, script).unwrap();
    for shell in ["sh", "bash"] {
        let out = Command::new(shell).arg("-n").arg(&path).output().unwrap();
        assert!(
            out.status.success(),
            "{name}: {shell} -n failed: {}\n{script}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn every_variant_is_valid_sh() {
    let mut labelled = airgap();
    if let Install::Airgap {
        mount_label,
        images_path,
        ..
    } = &mut labelled
    {
        *mount_label = Some("K3S_AIRGAP-1".into());
        *images_path = None;
    }
    let channel = Install::Online {
        version: None,
        channel: Some("v1.31".into()),
        script_url: "https://get.k3s.io/?x='y'".into(),
    };
    for (name, spec) in [
        ("server airgap", cluster_init_server(airgap())),
        ("server online", cluster_init_server(online())),
        ("joining online channel", joining_server(channel)),
        ("agent labelled disk", agent(labelled)),
    ] {
        let plan = install_plan(&spec).unwrap();
        syntax_check(name, &plan.script);
    }
    let broken = "if true; then\n";
    let out = Command::new("sh")
        .arg("-n")
        .arg("-c")
        .arg(broken)
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "sh -n must reject a broken script, or this test proves nothing"
    );
}

#[test]
fn online_script_passes_version_or_channel() {
    let plan = install_plan(&agent(online())).unwrap();
    assert!(
        plan.script
            .contains("INSTALL_K3S_VERSION='v1.31.4+k3s1' INSTALL_K3S_EXEC=agent"),
        "{}",
        plan.script
    );
    assert!(plan.script.contains(
        "curl -sfL --retry 5 --retry-delay 2 -o \"$installer.download\" 'https://get.k3s.io'"
    ));
    assert!(!plan.script.contains("INSTALL_K3S_SKIP_DOWNLOAD"));
    let channel = Install::Online {
        version: None,
        channel: Some("latest".into()),
        script_url: "https://get.k3s.io".into(),
    };
    let plan = install_plan(&agent(channel)).unwrap();
    assert!(
        plan.script
            .contains("INSTALL_K3S_CHANNEL='latest' INSTALL_K3S_EXEC=agent"),
        "{}",
        plan.script
    );
}

/// A root of its own: the host's /usr read-only, writable /usr/local/bin, /etc, /var, /srv.
struct TempRoot {
    _dir: tempfile::TempDir,
    root: PathBuf,
    local_bin: PathBuf,
}

const FAKE_INSTALLER: &str = r#"#!/bin/sh
set -eu
{
    echo "args=$*"
    env | grep '^INSTALL_K3S_' | sort
    if [ -x /usr/local/bin/k3s ]; then echo "binary=$(cat /usr/local/bin/k3s)"; fi
    grep ' /mnt/k3s-airgap ' /proc/mounts 2>/dev/null | sed 's/^/mount=/' || true
    echo ---
} >> /srv/airgap/record
"#;

impl TempRoot {
    fn new() -> Self {
        require_tool("unshare", "util-linux");
        require_tool("chroot", "coreutils");
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        let local_bin = dir.path().join("usr-local-bin");
        for sub in ["usr", "etc", "dev", "tmp", "var", "srv/airgap/images"] {
            std::fs::create_dir_all(root.join(sub)).unwrap();
        }
        std::fs::create_dir_all(&local_bin).unwrap();
        for link in ["bin", "lib", "lib64", "sbin"] {
            std::os::unix::fs::symlink(format!("usr/{link}"), root.join(link)).unwrap();
        }
        let _ = std::fs::copy("/etc/ld.so.cache", root.join("etc/ld.so.cache"));
        let me = Self {
            _dir: dir,
            root,
            local_bin,
        };
        me.write("/srv/airgap/k3s", "fake k3s v1\n", 0o644);
        me.write(
            "/srv/airgap/images/k3s-airgap-images-amd64.tar.zst",
            "images v1\n",
            0o644,
        );
        me.write("/srv/airgap/images/extra.tar", "extra\n", 0o644);
        me.write("/srv/airgap/install.sh", FAKE_INSTALLER, 0o755);
        me
    }

    fn path(&self, node_path: &str) -> PathBuf {
        match node_path.strip_prefix("/usr/local/bin/") {
            Some(name) => self.local_bin.join(name),
            None => self.root.join(node_path.trim_start_matches('/')),
        }
    }

    fn write(&self, node_path: &str, content: &str, mode: u32) {
        let path = self.path(node_path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, content).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    fn read(&self, node_path: &str) -> String {
        std::fs::read_to_string(self.path(node_path)).unwrap_or_else(|e| panic!("{node_path}: {e}"))
    }

    /// Places the plan's files and script as cloud-init or the SSH path would.
    fn place(&self, plan: &InstallPlan) {
        for file in &plan.files {
            self.write(&file.path, &file.content, file.mode);
        }
        self.write(SCRIPT_PATH, &plan.script, 0o700);
    }

    fn run_script(&self) -> Output {
        self.run_script_with("")
    }

    /// Runs the script as root inside a private mount namespace, chrooted into the temp root,
    /// after `extra_setup` (sh, with `$R` the root).
    fn run_script_with(&self, extra_setup: &str) -> Output {
        let setup = format!(
            "set -eu; R={root}; mount --rbind /usr $R/usr; mount -o remount,bind,ro $R/usr; \
             mount --bind {local_bin} $R/usr/local/bin; mount --bind /dev $R/dev; {extra_setup} \
             rc=0; chroot $R /bin/sh {SCRIPT_PATH} || rc=$?; exit $rc",
            root = self.root.display(),
            local_bin = self.local_bin.display()
        );
        Command::new("unshare")
            .args(["--mount", "--propagation", "private", "sh", "-c", &setup])
            .output()
            .unwrap()
    }

    fn run_ok(&self) -> String {
        self.check(self.run_script())
    }

    fn check(&self, out: Output) -> String {
        assert!(
            out.status.success(),
            "script failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        self.read("/srv/airgap/record")
    }
}

/// An ext4 image labelled `label` holding the air-gap files, as a user's second disk would.
fn labelled_disk(dir: &Path, label: &str) -> PathBuf {
    require_tool("mkfs.ext4", "e2fsprogs");
    require_tool("losetup", "mount");
    let content = dir.join("disk-content");
    std::fs::create_dir_all(content.join("images")).unwrap();
    std::fs::write(content.join("k3s"), "fake k3s from disk\n").unwrap();
    std::fs::write(content.join("images/airgap.tar"), "disk images\n").unwrap();
    std::fs::write(content.join("install.sh"), FAKE_INSTALLER).unwrap();
    let image = dir.join("airgap.img");
    let out = Command::new("mkfs.ext4")
        .args(["-q", "-L", label, "-d"])
        .arg(&content)
        .arg(&image)
        .arg("8M")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "mkfs.ext4: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    image
}

#[test]
fn airgap_from_a_labelled_disk_mounts_it_read_only_first() {
    let root = TempRoot::new();
    let disk_dir = tempfile::tempdir().unwrap();
    let image = labelled_disk(disk_dir.path(), "K3SAIRGAPT");
    let mut spec = agent(airgap());
    spec.install = Install::Airgap {
        binary_path: "/mnt/k3s-airgap/k3s".into(),
        images_path: Some("/mnt/k3s-airgap/images".into()),
        install_script_path: "/mnt/k3s-airgap/install.sh".into(),
        mount_label: Some("K3SAIRGAPT".into()),
    };
    root.place(&install_plan(&spec).unwrap());
    // Detaching a device that is still mounted only marks it to be freed with the mount.
    let setup = format!(
        "dev=$(losetup -f --show {image}); trap 'losetup -d \"$dev\"' EXIT; \
         mkdir -p $R/proc $R/sys; mount -t proc proc $R/proc; mount --rbind /sys $R/sys;",
        image = image.display()
    );
    let run = root.check(root.run_script_with(&setup));
    assert!(run.contains("binary=fake k3s from disk\n"), "{run}");
    assert!(run.contains("INSTALL_K3S_EXEC=agent\n"), "{run}");
    let mount_line = run
        .lines()
        .find(|l| l.starts_with("mount="))
        .unwrap_or_else(|| panic!("disk not mounted: {run}"));
    assert!(
        mount_line.contains(" ext4 ro,") || mount_line.contains(" ext4 ro "),
        "{mount_line}"
    );
    assert_eq!(
        root.read("/var/lib/rancher/k3s/agent/images/airgap.tar"),
        "disk images\n"
    );
}

fn last_run(record: &str) -> &str {
    record
        .trim_end()
        .trim_end_matches("---")
        .rsplit("---")
        .next()
        .unwrap()
}

fn server_spec() -> NodeSpec {
    cluster_init_server(airgap())
}

#[test]
fn airgap_script_installs_copies_and_upgrades_in_place() {
    let root = TempRoot::new();
    let spec = server_spec();
    root.place(&install_plan(&spec).unwrap());

    let first = root.run_ok();
    let run = last_run(&first);
    for line in [
        "args=\n",
        "INSTALL_K3S_EXEC=server\n",
        "INSTALL_K3S_SKIP_DOWNLOAD=true\n",
        "INSTALL_K3S_FORCE_RESTART=true\n",
        "binary=fake k3s v1\n",
    ] {
        assert!(run.contains(line), "first run lacks {line:?}:\n{run}");
    }
    let binary = root.path("/usr/local/bin/k3s");
    assert_eq!(
        std::fs::metadata(&binary).unwrap().permissions().mode() & 0o777,
        0o755
    );
    assert_eq!(
        root.read("/var/lib/rancher/k3s/agent/images/k3s-airgap-images-amd64.tar.zst"),
        "images v1\n"
    );
    assert_eq!(
        root.read("/var/lib/rancher/k3s/agent/images/extra.tar"),
        "extra\n"
    );

    // Same config again: nothing to restart.
    let second = root.run_ok();
    assert!(
        last_run(&second).contains("INSTALL_K3S_FORCE_RESTART=false\n"),
        "{second}"
    );

    // A new binary and a changed config: copied, and the restart is forced.
    let mut changed = spec.clone();
    changed.config.node_labels.insert("rev".into(), "2".into());
    root.place(&install_plan(&changed).unwrap());
    root.write("/srv/airgap/k3s", "fake k3s v2\n", 0o644);
    let third = root.run_ok();
    let run = last_run(&third);
    assert!(
        run.contains("INSTALL_K3S_FORCE_RESTART=true\n") && run.contains("binary=fake k3s v2\n"),
        "{run}"
    );
    assert_eq!(third.matches("---").count(), 3);
}

#[test]
fn agent_script_runs_the_agent_with_a_single_image_archive() {
    let root = TempRoot::new();
    let mut spec = agent(airgap());
    if let Install::Airgap { images_path, .. } = &mut spec.install {
        *images_path = Some("/srv/airgap/images/extra.tar".into());
    }
    root.place(&install_plan(&spec).unwrap());
    let run = root.run_ok();
    assert!(run.contains("INSTALL_K3S_EXEC=agent\n"), "{run}");
    assert_eq!(
        root.read("/var/lib/rancher/k3s/agent/images/extra.tar"),
        "extra\n"
    );
    assert!(!root
        .path("/var/lib/rancher/k3s/agent/images/k3s-airgap-images-amd64.tar.zst")
        .exists());
}

#[test]
fn missing_binary_fails_before_the_installer_runs() {
    let root = TempRoot::new();
    root.place(&install_plan(&server_spec()).unwrap());
    std::fs::remove_file(root.path("/srv/airgap/k3s")).unwrap();
    let out = root.run_script();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("k3s-bootstrap: k3s binary not found at /srv/airgap/k3s"),
        "{stderr}"
    );
    assert!(
        !root.path("/srv/airgap/record").exists(),
        "the installer must not run"
    );
    assert!(!Path::new(&root.path("/var/lib/rancher/k3s-bootstrap/config.sha256")).exists());
}
