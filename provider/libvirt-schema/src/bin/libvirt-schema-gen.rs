//! `libvirt-schema-gen --schemas /usr/share/libvirt/schemas --out provider/libvirt-schema/generated`
//!
//! Derives the schemas from libvirt's RelaxNG files, writes them and the coverage report,
//! and prints the coverage figures and every exception.

use anyhow::{bail, Context};
use libvirt_schema::generate;
use std::path::PathBuf;

struct Args {
    schemas: PathBuf,
    out: PathBuf,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut schemas = None;
    let mut out = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--schemas" => schemas = Some(args.next().context("--schemas needs a directory")?),
            "--out" => out = Some(args.next().context("--out needs a directory")?),
            other => bail!(
                "unknown argument {other:?}; usage: libvirt-schema-gen --schemas DIR --out DIR"
            ),
        }
    }
    Ok(Args {
        schemas: schemas.context("--schemas DIR is required")?.into(),
        out: out.context("--out DIR is required")?.into(),
    })
}

fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    let output = generate::generate(&args.schemas)?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    for (name, contents) in &output.files {
        let path = args.out.join(name);
        std::fs::write(&path, contents).with_context(|| format!("writing {}", path.display()))?;
    }
    for cov in &output.coverage {
        println!(
            "{:<16} elements {:>5.1}% ({}/{}; {:.1}% excluding {} documented exceptions, {} unexplained)  \
             attributes {:>5.1}% ({}/{}; {:.1}% excluding {} documented exceptions, {} unexplained)",
            cov.rng,
            cov.elements.percent,
            cov.elements.represented,
            cov.elements.reachable,
            cov.elements.percent_excluding_exceptions,
            cov.elements.documented_exceptions,
            cov.elements.unexplained,
            cov.attributes.percent,
            cov.attributes.represented,
            cov.attributes.reachable,
            cov.attributes.percent_excluding_exceptions,
            cov.attributes.documented_exceptions,
            cov.attributes.unexplained,
        );
        for left in &cov.left_out {
            println!(
                "    left out {} {} at {}: {}",
                left.kind, left.name, left.site, left.reason
            );
        }
        for cut in &cov.recursion_cuts {
            println!("    recursion cut at {}", cut.path);
        }
        for path in &cov.order_conflicts {
            println!("    contradicting child orders in {path}");
        }
        for rename in &cov.renames {
            println!(
                "    renamed {}/{} -> {}: {}",
                rename.path, rename.xml_name, rename.tf_name, rename.reason
            );
        }
    }
    Ok(())
}
