//! The generator: RelaxNG files in, checked-in JSON files out (deterministic bytes).

use crate::coverage::{self, Coverage};
use crate::flatten::{self, FlattenError};
use crate::model::{ElementSchema, ValueKind};
use crate::naming::{NameException, EXCEPTIONS};
use crate::rng::{self, RngError};
use crate::xsd_regex;
use serde::Serialize;
use std::path::Path;

/// One libvirt document type: its RelaxNG entry file and the JSON file its schema goes to.
pub struct Document {
    pub rng: &'static str,
    pub output: &'static str,
}

pub const DOCUMENTS: &[Document] = &[
    Document {
        rng: "network.rng",
        output: "network.json",
    },
    Document {
        rng: "storagepool.rng",
        output: "storagepool.json",
    },
    Document {
        rng: "storagevol.rng",
        output: "storagevol.json",
    },
    Document {
        rng: "domain.rng",
        output: "domain.json",
    },
];

pub const COVERAGE_FILE: &str = "coverage.json";

#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("{rng}: {source}")]
    Rng { rng: String, source: RngError },
    #[error("{rng}: {source}")]
    Flatten { rng: String, source: FlattenError },
    #[error("{rng}: pattern {pattern:?} at {path} does not compile as a Rust regex: {message}")]
    Pattern {
        rng: String,
        path: String,
        pattern: String,
        message: String,
    },
    #[error("{rng}: {path} has tf name {name:?}; Terraform accepts only [a-z0-9_]+")]
    TfName {
        rng: String,
        path: String,
        name: String,
    },
    #[error("cannot serialise {file}: {source}")]
    Json {
        file: String,
        source: serde_json::Error,
    },
}

/// Everything the generator writes.
pub struct Output {
    /// (file name, contents) in [`DOCUMENTS`] order, then the coverage report.
    pub files: Vec<(String, String)>,
    pub coverage: Vec<Coverage>,
}

#[derive(Serialize)]
struct CoverageFile<'a> {
    name_exceptions: &'static [NameException],
    documents: &'a [Coverage],
}

fn to_json<T: Serialize>(file: &str, value: &T) -> Result<String, GenerateError> {
    let mut text = serde_json::to_string_pretty(value).map_err(|source| GenerateError::Json {
        file: file.to_string(),
        source,
    })?;
    text.push('\n');
    Ok(text)
}

/// Reads the schemas in `schemas_dir` and produces the output files.
pub fn generate(schemas_dir: &Path) -> Result<Output, GenerateError> {
    let mut files = Vec::new();
    let mut coverage = Vec::new();
    for doc in DOCUMENTS {
        let grammar =
            rng::load(&schemas_dir.join(doc.rng)).map_err(|source| GenerateError::Rng {
                rng: doc.rng.to_string(),
                source,
            })?;
        let flattened = flatten::flatten(&grammar).map_err(|source| GenerateError::Flatten {
            rng: doc.rng.to_string(),
            source,
        })?;
        check_tree(doc.rng, &flattened.root, &mut vec![])?;
        coverage.push(coverage::measure(
            doc.rng,
            &flattened.root.xml_name,
            &grammar,
            &flattened.report,
        ));
        files.push((
            doc.output.to_string(),
            to_json(doc.output, &flattened.root)?,
        ));
    }
    files.push((
        COVERAGE_FILE.to_string(),
        to_json(
            COVERAGE_FILE,
            &CoverageFile {
                name_exceptions: EXCEPTIONS,
                documents: &coverage,
            },
        )?,
    ));
    Ok(Output { files, coverage })
}

fn is_terraform_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Every name must be one Terraform accepts, and every pattern must compile so validation
/// never meets a broken regex.
fn check_tree(
    rng: &str,
    element: &ElementSchema,
    path: &mut Vec<String>,
) -> Result<(), GenerateError> {
    path.push(element.xml_name.clone());
    let names =
        std::iter::once(&element.tf_name).chain(element.attributes.iter().map(|a| &a.tf_name));
    for name in names {
        if !is_terraform_name(name) {
            return Err(GenerateError::TfName {
                rng: rng.to_string(),
                path: path.join("/"),
                name: name.clone(),
            });
        }
    }
    let kinds = element
        .attributes
        .iter()
        .map(|a| (a.xml_name.as_str(), &a.kind))
        .chain(element.text.iter().map(|k| ("(text)", k)));
    for (name, kind) in kinds {
        if let ValueKind::Pattern(patterns) = kind {
            for pattern in patterns {
                if let Err(e) = regex::Regex::new(&xsd_regex::anchored(pattern)) {
                    return Err(GenerateError::Pattern {
                        rng: rng.to_string(),
                        path: format!("{}/{name}", path.join("/")),
                        pattern: pattern.clone(),
                        message: e.to_string(),
                    });
                }
            }
        }
    }
    for child in &element.children {
        check_tree(rng, &child.element, path)?;
    }
    path.pop();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terraform_names() {
        assert!(is_terraform_name("backing_store"));
        assert!(is_terraform_name("port2"));
        assert!(!is_terraform_name("backingStore"));
        assert!(!is_terraform_name("a-b"));
        assert!(!is_terraform_name(""));
    }
}
