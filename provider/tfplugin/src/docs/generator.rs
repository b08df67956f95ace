//! The command-line docs generator every provider's `<name>-docs` binary runs:
//! `--out DIR [--examples DIR]` writes `index.md`, `resources/<name>.md` and
//! `data-sources/<name>.md` from the provider's schemas and the hand-written examples
//! in `<examples>/resources/<type>/{resource.tf,import.sh}` and
//! `<examples>/data-sources/<type>/data-source.tf`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::{render_provider_index, render_resource, DocKind, PageRef};
use crate::Provider;

/// What a provider adds to its generated index page.
pub struct IndexText<'a> {
    /// The provider's name, e.g. `libvirt`.
    pub name: &'a str,
    /// HCL shown as the provider's example usage.
    pub example_hcl: &'a str,
    /// Provider-specific Markdown sections (`## ...`) at the end of the index.
    pub guide_md: &'a str,
}

/// Runs the generator with the process arguments; the exit code says whether it worked.
pub fn main(provider: &dyn Provider, index: &IndexText) -> ExitCode {
    match Args::parse(std::env::args().skip(1)).and_then(|args| generate(provider, index, &args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{}-docs: {e}", index.name);
            ExitCode::FAILURE
        }
    }
}

const USAGE: &str = "usage: <provider>-docs --out DIR [--examples DIR]";

#[derive(Debug, thiserror::Error)]
pub enum DocsError {
    #[error("{0}\n{USAGE}")]
    Usage(String),
    #[error("missing example for {type_name}: write {path}")]
    MissingExample { type_name: String, path: PathBuf },
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

struct Args {
    out: PathBuf,
    examples: PathBuf,
}

impl Args {
    fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, DocsError> {
        let (mut out, mut examples) = (None, PathBuf::from("examples"));
        while let Some(flag) = args.next() {
            let mut value = || {
                args.next()
                    .map(PathBuf::from)
                    .ok_or_else(|| DocsError::Usage(format!("{flag} needs a directory")))
            };
            match flag.as_str() {
                "--out" => out = Some(value()?),
                "--examples" => examples = value()?,
                other => return Err(DocsError::Usage(format!("unknown argument {other:?}"))),
            }
        }
        let out = out.ok_or_else(|| DocsError::Usage("--out is required".into()))?;
        Ok(Args { out, examples })
    }
}

fn generate(provider: &dyn Provider, index: &IndexText, args: &Args) -> Result<(), DocsError> {
    for (path, text) in render_all(provider, index, &args.examples)? {
        write(&args.out.join(path), &text)?;
    }
    Ok(())
}

/// Every page of the provider's documentation, keyed by path relative to the docs root.
pub fn render_all(
    provider: &dyn Provider,
    index: &IndexText,
    examples: &Path,
) -> Result<BTreeMap<PathBuf, String>, DocsError> {
    let mut rendered = BTreeMap::new();
    let resources = provider.resources();
    let data_sources = provider.data_sources();
    let pages: Vec<PageRef> = resources
        .iter()
        .map(|r| PageRef {
            type_name: r.type_name(),
            kind: DocKind::Resource,
            schema: r.schema(),
        })
        .chain(data_sources.iter().map(|d| PageRef {
            type_name: d.type_name(),
            kind: DocKind::DataSource,
            schema: d.schema(),
        }))
        .collect();
    for page in &pages {
        let dir = examples.join(page.kind.directory()).join(page.type_name);
        let example = read_example(&dir.join(page.kind.example_file()), page.type_name)?;
        // Only resources can be imported.
        let import = match page.kind {
            DocKind::Resource => read_optional(&dir.join("import.sh"))?,
            DocKind::DataSource => None,
        };
        let doc = render_resource(
            page.type_name,
            page.kind,
            page.schema,
            &example,
            import.as_deref(),
        );
        rendered.insert(PathBuf::from(page.file_path()), doc);
    }
    let text = render_provider_index(
        index.name,
        &provider.schema(),
        &pages,
        index.example_hcl,
        index.guide_md,
    );
    rendered.insert(PathBuf::from("index.md"), text);
    Ok(rendered)
}

/// The pages under `docs` that differ from a fresh render (missing ones included), each
/// with its first differing line: what a docs-are-current test reports.
pub fn stale_pages(
    provider: &dyn Provider,
    index: &IndexText,
    examples: &Path,
    docs: &Path,
) -> Result<Vec<String>, DocsError> {
    let mut stale = Vec::new();
    for (path, expected) in render_all(provider, index, examples)? {
        let shown = docs.join(&path);
        match std::fs::read_to_string(&shown) {
            Ok(actual) if actual == expected => {}
            Ok(actual) => stale.push(format!(
                "{} differs ({})",
                shown.display(),
                first_difference(&expected, &actual)
            )),
            Err(e) => stale.push(format!("{} is missing ({e})", shown.display())),
        }
    }
    Ok(stale)
}

fn first_difference(expected: &str, actual: &str) -> String {
    let line = expected
        .lines()
        .zip(actual.lines())
        .position(|(e, a)| e != a)
        .unwrap_or_else(|| expected.lines().count().min(actual.lines().count()));
    format!(
        "line {}: generated {:?}, checked in {:?}",
        line + 1,
        expected.lines().nth(line).unwrap_or("<end of file>"),
        actual.lines().nth(line).unwrap_or("<end of file>"),
    )
}

fn read_example(path: &Path, type_name: &str) -> Result<String, DocsError> {
    read_optional(path)?.ok_or_else(|| DocsError::MissingExample {
        type_name: type_name.to_string(),
        path: path.to_path_buf(),
    })
}

/// The file's text, or None when it does not exist.
fn read_optional(path: &Path) -> Result<Option<String>, DocsError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(DocsError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

fn write(path: &Path, text: &str) -> Result<(), DocsError> {
    let err = |source| DocsError::Write {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(err)?;
    }
    std::fs::write(path, text).map_err(err)?;
    println!("wrote {}", path.display());
    Ok(())
}
