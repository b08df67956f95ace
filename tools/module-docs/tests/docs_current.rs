//! The checked-in docs/modules pages equal a fresh `module-docs` run over modules/, and
//! there is a page for every module (and none for a module that is gone).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repository root")
}

fn markdown_files(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| {
                    e.expect("directory entry")
                        .file_name()
                        .to_string_lossy()
                        .into_owned()
                })
                .filter(|name| name.ends_with(".md"))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn checked_in_module_docs_match_the_modules() {
    let root = repo_root();
    let fresh = tempfile::tempdir().expect("temp dir");
    let run = Command::new(env!("CARGO_BIN_EXE_module-docs"))
        .arg("--modules")
        .arg(root.join("modules"))
        .arg("--out")
        .arg(fresh.path())
        .output()
        .expect("running module-docs");
    assert!(
        run.status.success(),
        "module-docs failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let generated = markdown_files(fresh.path());
    assert!(
        generated.contains("libvirt-node.md"),
        "no page for modules/libvirt-node: {generated:?}"
    );
    let checked_in_dir = root.join("docs/modules");
    let mut stale: Vec<String> = generated
        .iter()
        .filter_map(|page| {
            let expected =
                std::fs::read_to_string(fresh.path().join(page)).expect("generated page");
            match std::fs::read_to_string(checked_in_dir.join(page)) {
                Ok(actual) if actual == expected => None,
                Ok(actual) => {
                    let line = expected
                        .lines()
                        .zip(actual.lines())
                        .position(|(e, a)| e != a)
                        .unwrap_or_else(|| expected.lines().count().min(actual.lines().count()));
                    Some(format!(
                        "docs/modules/{page} differs from line {}: generated {:?}",
                        line + 1,
                        expected.lines().nth(line).unwrap_or("<end of file>")
                    ))
                }
                Err(e) => Some(format!("docs/modules/{page} is missing ({e})")),
            }
        })
        .collect();
    stale.extend(
        markdown_files(&checked_in_dir)
            .difference(&generated)
            .map(|page| format!("docs/modules/{page} documents no module under modules/")),
    );
    assert!(
        stale.is_empty(),
        "the module docs are out of date; run `make docs` and commit docs/modules:\n  {}",
        stale.join("\n  ")
    );
}
