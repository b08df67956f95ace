//! cloud-init user-data: our plan as `write_files` + `runcmd`, merged with the user's own parts.
//!
//! Merge rules: every `#cloud-config` part (the user's, in order, then ours) is deep-merged
//! into one document: mappings recurse, lists append (so the user's `bootcmd`/`runcmd` entries
//! run before ours and can prepare the machine), equal scalars agree, different scalars are an
//! error naming the key. Any other part (`#!` scripts, `#include`, boothooks) makes the result a
//! MIME multipart archive: the merged cloud-config first, then those parts in their order.

use std::collections::HashMap;

use base64::Engine as _;
use serde_norway::{Mapping, Value};
use sha2::{Digest, Sha256};

use crate::spec::SCRIPT_PATH;
use crate::InstallPlan;

const CLOUD_CONFIG_HEADER: &str = "#cloud-config";
const OURS: &str = "the k3s bootstrap";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MergeError {
    #[error("user_parts[{part}]: the #cloud-config document is not valid YAML: {message}")]
    InvalidYaml { part: usize, message: String },
    #[error(
        "user_parts[{part}]: the #cloud-config document's top level is {found}, not a mapping"
    )]
    NotMapping { part: usize, found: &'static str },
    #[error("user_parts[{part}]: {reason}")]
    UnsupportedPart { part: usize, reason: String },
    #[error("cloud-config key `{key}` is set to different values by {first} and {second}")]
    Conflict {
        key: String,
        first: String,
        second: String,
    },
    #[error("write_files path {path} is written by both {first} and {second}")]
    DuplicateFile {
        path: String,
        first: String,
        second: String,
    },
}

/// A user part that is not cloud-config, with the MIME type cloud-init dispatches it by.
struct OtherPart<'a> {
    content_type: &'static str,
    content: &'a str,
}

/// `#`-headers cloud-init recognises besides `#cloud-config` (cloudinit/handlers INCLUSION_TYPES_MAP).
const OTHER_HEADERS: [(&str, &str); 5] = [
    ("#!", "text/x-shellscript"),
    ("#include-once", "text/x-include-once-url"),
    ("#include", "text/x-include-url"),
    ("#cloud-boothook", "text/cloud-boothook"),
    ("#part-handler", "text/part-handler"),
];

pub fn render_cloud_config(
    plan: &InstallPlan,
    user_parts: &[String],
) -> Result<String, MergeError> {
    let mut merged = Merged::default();
    let mut others = Vec::new();
    for (index, part) in user_parts.iter().enumerate() {
        let origin = format!("user_parts[{index}]");
        if part.starts_with(CLOUD_CONFIG_HEADER) {
            merged.merge(parse_cloud_config(index, part)?, &origin)?;
        } else {
            others.push(classify(index, part)?);
        }
    }
    merged.merge(our_cloud_config(plan), OURS)?;
    let document = format!(
        "{CLOUD_CONFIG_HEADER}\n{}",
        serde_norway::to_string(&Value::Mapping(merged.root)).expect("YAML values serialize")
    );
    if others.is_empty() {
        return Ok(document);
    }
    Ok(multipart(&document, &others))
}

fn parse_cloud_config(part: usize, text: &str) -> Result<Mapping, MergeError> {
    match serde_norway::from_str::<Value>(text) {
        Ok(Value::Mapping(map)) => Ok(map),
        Ok(Value::Null) => Ok(Mapping::new()),
        Ok(other) => Err(MergeError::NotMapping {
            part,
            found: kind(&other),
        }),
        Err(e) => Err(MergeError::InvalidYaml {
            part,
            message: e.to_string(),
        }),
    }
}

fn classify(part: usize, text: &str) -> Result<OtherPart<'_>, MergeError> {
    let first_line = text.lines().next().unwrap_or_default();
    if first_line.to_ascii_lowercase().starts_with("content-type:")
        || first_line.starts_with("MIME-Version:")
    {
        return Err(MergeError::UnsupportedPart {
            part,
            reason: "is already a MIME archive; pass its parts separately so they can be merged"
                .into(),
        });
    }
    OTHER_HEADERS
        .iter()
        .find(|(header, _)| first_line.starts_with(header))
        .map(|(_, content_type)| OtherPart { content_type, content: text })
        .ok_or_else(|| {
            let shown: String = first_line.chars().take(40).collect();
            MergeError::UnsupportedPart {
                part,
                reason: format!(
                    "starts with {shown:?}; user-data parts must start with #cloud-config, #! (a script), #include, #include-once, #cloud-boothook or #part-handler"
                ),
            }
        })
}

/// Our plan as cloud-config: every file (the script too) in `write_files`, one `runcmd` entry.
fn our_cloud_config(plan: &InstallPlan) -> Mapping {
    let file = |path: &str, content: &str, mode: u32| {
        let mut entry = Mapping::new();
        entry.insert("path".into(), path.into());
        entry.insert("content".into(), content.into());
        entry.insert("owner".into(), "root:root".into());
        entry.insert("permissions".into(), format!("{mode:04o}").into());
        Value::Mapping(entry)
    };
    let mut files: Vec<Value> = plan
        .files
        .iter()
        .map(|f| file(&f.path, &f.content, f.mode))
        .collect();
    files.push(file(SCRIPT_PATH, &plan.script, 0o700));
    let mut map = Mapping::new();
    map.insert("write_files".into(), Value::Sequence(files));
    map.insert(
        "runcmd".into(),
        Value::Sequence(vec![Value::Sequence(vec!["sh".into(), SCRIPT_PATH.into()])]),
    );
    map
}

#[derive(Default)]
struct Merged {
    root: Mapping,
    /// Who set each key path first, to name both sides of a conflict.
    origins: HashMap<String, String>,
    /// write_files paths → who writes them.
    files: HashMap<String, String>,
}

impl Merged {
    fn merge(&mut self, part: Mapping, origin: &str) -> Result<(), MergeError> {
        self.claim_files(&part, origin)?;
        let mut root = std::mem::take(&mut self.root);
        let result = self.merge_mapping(&mut root, part, "", origin);
        self.root = root;
        result
    }

    fn claim_files(&mut self, part: &Mapping, origin: &str) -> Result<(), MergeError> {
        let Some(Value::Sequence(entries)) = part.get("write_files") else {
            return Ok(());
        };
        for path in entries
            .iter()
            .filter_map(|e| e.get("path"))
            .filter_map(Value::as_str)
        {
            if let Some(first) = self.files.insert(path.to_string(), origin.to_string()) {
                return Err(MergeError::DuplicateFile {
                    path: path.to_string(),
                    first,
                    second: origin.to_string(),
                });
            }
        }
        Ok(())
    }

    fn merge_mapping(
        &mut self,
        into: &mut Mapping,
        from: Mapping,
        prefix: &str,
        origin: &str,
    ) -> Result<(), MergeError> {
        for (key, value) in from {
            let path = format!("{prefix}{}", key_text(&key));
            match into.get_mut(&key) {
                None => {
                    self.origins.insert(path, origin.to_string());
                    into.insert(key, value);
                }
                Some(existing) => self.merge_value(existing, value, &path, origin)?,
            }
        }
        Ok(())
    }

    fn merge_value(
        &mut self,
        existing: &mut Value,
        value: Value,
        path: &str,
        origin: &str,
    ) -> Result<(), MergeError> {
        match (existing, value) {
            (Value::Mapping(into), Value::Mapping(from)) => {
                self.merge_mapping(into, from, &format!("{path}."), origin)
            }
            (Value::Sequence(into), Value::Sequence(from)) => {
                into.extend(from);
                Ok(())
            }
            (existing, value) if *existing == value => Ok(()),
            _ => Err(MergeError::Conflict {
                key: path.to_string(),
                first: self.origin_of(path),
                second: origin.to_string(),
            }),
        }
    }

    /// The origin recorded for `path` or, for keys inside a subtree added whole, its nearest ancestor.
    fn origin_of(&self, path: &str) -> String {
        let mut candidate = path;
        loop {
            if let Some(origin) = self.origins.get(candidate) {
                return origin.clone();
            }
            match candidate.rsplit_once('.') {
                Some((parent, _)) => candidate = parent,
                None => return "an earlier part".into(),
            }
        }
    }
}

fn key_text(key: &Value) -> String {
    match key {
        Value::String(s) => s.clone(),
        other => serde_norway::to_string(other)
            .map(|s| s.trim_end().to_string())
            .unwrap_or_default(),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "empty",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
    }
}

/// A `multipart/mixed` archive as cloud-init's `make-mime` builds it. The boundary is derived
/// from the content, so the same input renders the same bytes (no spurious Terraform diffs).
fn multipart(cloud_config: &str, others: &[OtherPart<'_>]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(cloud_config);
    for part in others {
        hasher.update(part.content);
    }
    let digest = hasher.finalize();
    let mut boundary = format!(
        "==k3s-bootstrap-{}==",
        digest[..12]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    while cloud_config.contains(&boundary) || others.iter().any(|p| p.content.contains(&boundary)) {
        boundary.insert(2, '=');
    }
    let mut out =
        format!("Content-Type: multipart/mixed; boundary=\"{boundary}\"\nMIME-Version: 1.0\n\n");
    push_part(
        &mut out,
        &boundary,
        "text/cloud-config",
        "cloud-config.yaml",
        cloud_config,
    );
    for (index, part) in others.iter().enumerate() {
        let name = format!(
            "user-part-{index}{}",
            if part.content_type == "text/x-shellscript" {
                ".sh"
            } else {
                ""
            }
        );
        push_part(&mut out, &boundary, part.content_type, &name, part.content);
    }
    out.push_str(&format!("--{boundary}--\n"));
    out
}

/// ASCII content stays readable (7bit); anything else is base64, which cloud-init decodes
/// to the exact bytes (an 8bit str payload would not survive Python's email module).
fn push_part(out: &mut String, boundary: &str, content_type: &str, filename: &str, content: &str) {
    out.push_str(&format!(
        "--{boundary}\nContent-Type: {content_type}; charset=\"utf-8\"\nMIME-Version: 1.0\nContent-Disposition: attachment; filename=\"{filename}\"\n"
    ));
    if content.is_ascii() {
        out.push_str("Content-Transfer-Encoding: 7bit\n\n");
        out.push_str(content);
        if !content.ends_with('\n') {
            out.push('\n');
        }
    } else {
        out.push_str("Content-Transfer-Encoding: base64\n\n");
        let encoded = base64::engine::general_purpose::STANDARD.encode(content);
        for line in encoded.as_bytes().chunks(76) {
            out.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
            out.push('\n');
        }
    }
}
