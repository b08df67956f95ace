//! `cargo bench -p iso9660`: how long building a NoCloud seed image takes in memory, against
//! the usual way as a baseline measured in the same run: write the files to a directory and
//! run `genisoimage -V cidata -J -r` into a file (what cloud-localds does).

use std::process::Command;
use std::time::{Duration, Instant};

use iso9660::IsoImage;

const META_DATA: &str = "instance-id: bench-1\nlocal-hostname: bench\n";
const NETWORK_CONFIG: &str = "version: 2\nethernets:\n  eth0:\n    dhcp4: true\n";

fn user_data(size: usize) -> String {
    let mut s = String::from("#cloud-config\nwrite_files:\n  - path: /etc/bench\n    content: |\n");
    while s.len() < size {
        s.push_str("      the quick brown fox jumps over the lazy dog\n");
    }
    s
}

fn in_memory(user_data: &str) -> usize {
    let mut iso = IsoImage::new("cidata").expect("volume id");
    iso.add_file("user-data", user_data).expect("user-data");
    iso.add_file("meta-data", META_DATA).expect("meta-data");
    iso.add_file("network-config", NETWORK_CONFIG)
        .expect("network-config");
    iso.to_bytes().expect("image").len()
}

fn genisoimage(user_data: &str, dir: &std::path::Path) -> usize {
    let files = dir.join("files");
    std::fs::create_dir_all(&files).expect("dir");
    std::fs::write(files.join("user-data"), user_data).expect("write");
    std::fs::write(files.join("meta-data"), META_DATA).expect("write");
    std::fs::write(files.join("network-config"), NETWORK_CONFIG).expect("write");
    let out = dir.join("seed.iso");
    let status = Command::new("genisoimage")
        .args(["-quiet", "-V", "cidata", "-J", "-r", "-o"])
        .arg(&out)
        .arg(&files)
        .status()
        .expect("genisoimage must be installed (Debian package genisoimage)");
    assert!(status.success(), "genisoimage failed");
    std::fs::read(&out).expect("read image").len()
}

/// Median of `runs` timings of `f`.
fn median(runs: usize, mut f: impl FnMut() -> usize) -> (Duration, usize) {
    let mut times = Vec::with_capacity(runs);
    let mut size = 0;
    for _ in 0..runs {
        let t = Instant::now();
        size = std::hint::black_box(f());
        times.push(t.elapsed());
    }
    times.sort();
    (times[runs / 2], size)
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    println!("NoCloud seed image (user-data, meta-data, network-config), median of runs:");
    for size in [1 << 10, 64 << 10, 1 << 20] {
        let ud = user_data(size);
        let (ours, our_len) = median(200, || in_memory(&ud));
        let (base, base_len) = median(20, || genisoimage(&ud, dir.path()));
        println!(
            "  user-data {:>7} B: in memory {:>9.1?} ({our_len} B image) | genisoimage {:>9.1?} ({base_len} B) | {:.0}x faster",
            ud.len(),
            ours,
            base,
            base.as_secs_f64() / ours.as_secs_f64()
        );
    }
}
