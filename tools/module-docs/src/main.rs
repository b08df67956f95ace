//! `module-docs [--modules DIR] [--out DIR]`: writes DIR/<module>.md for every Terraform
//! module under `--modules` (default `modules`) into `--out` (default `docs/modules`).
//! Run by `make docs`; the test `docs_current` fails when the checked-in pages are stale.

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: module-docs [--modules DIR] [--out DIR]";

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<(PathBuf, PathBuf), String> {
    let (mut modules, mut out) = (PathBuf::from("modules"), PathBuf::from("docs/modules"));
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .map(PathBuf::from)
            .ok_or_else(|| format!("{flag} needs a directory"));
        match flag.as_str() {
            "--modules" => modules = value?,
            "--out" => out = value?,
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok((modules, out))
}

fn main() -> ExitCode {
    let (modules, out) = match parse_args(std::env::args().skip(1)) {
        Ok(dirs) => dirs,
        Err(e) => {
            eprintln!("module-docs: {e}\n{USAGE}");
            return ExitCode::FAILURE;
        }
    };
    match module_docs::write_docs(&modules, &out) {
        Ok(written) => {
            for path in written {
                println!("wrote {}", path.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("module-docs: {e}");
            ExitCode::FAILURE
        }
    }
}
