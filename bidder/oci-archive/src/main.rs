//! `oci-archive --reference docker.io/library/bidder:0.1.0 --entrypoint /usr/local/bin/bidder \
//!   --file target/release/bidder:/usr/local/bin/bidder:755 --out bidder.tar`

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Parser;
use oci_archive::{write_archive, FileEntry, ImageSpec};

#[derive(Parser)]
struct Cli {
    #[arg(long)]
    reference: String,
    /// Entrypoint argv, one flag per word.
    #[arg(long, required = true)]
    entrypoint: Vec<String>,
    #[arg(long)]
    env: Vec<String>,
    #[arg(long)]
    port: Vec<u16>,
    #[arg(long, default_value = "65534")]
    user: String,
    /// HOST_PATH:IMAGE_PATH[:OCTAL_MODE]
    #[arg(long, required = true)]
    file: Vec<String>,
    #[arg(long)]
    out: PathBuf,
}

fn parse_file(s: &str) -> anyhow::Result<FileEntry> {
    let parts: Vec<&str> = s.split(':').collect();
    let (source, target, mode) = match parts[..] {
        [s, t] => (s, t, 0o644),
        [s, t, m] => (
            s,
            t,
            u32::from_str_radix(m, 8)
                .with_context(|| format!("--file {s}: mode {m:?} is not octal"))?,
        ),
        _ => bail!("--file {s:?}: expected HOST_PATH:IMAGE_PATH[:MODE]"),
    };
    Ok(FileEntry {
        source: source.into(),
        target: target.into(),
        mode,
    })
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let spec = ImageSpec {
        reference: cli.reference,
        entrypoint: cli.entrypoint,
        env: cli.env,
        exposed_ports: cli.port,
        user: cli.user,
        files: cli
            .file
            .iter()
            .map(|f| parse_file(f))
            .collect::<anyhow::Result<_>>()?,
    };
    let out = std::fs::File::create(&cli.out)
        .with_context(|| format!("cannot create {}", cli.out.display()))?;
    let digest = write_archive(&spec, std::io::BufWriter::new(out))?;
    println!("{} {digest}", cli.out.display());
    Ok(())
}
