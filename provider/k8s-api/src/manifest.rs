//! Kubernetes YAML manifests: multi-document parsing, validation and object references.

use std::fmt;

use serde::Deserialize;
use serde_json::Value;

use crate::error::ManifestError;

/// Identifies one object. `namespace` is `None` as written when the manifest omits it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectRef {
    pub api_version: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
}

/// `apps/v1/Deployment default/web`, or `v1/Namespace web` without a namespace.
impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{} ", self.api_version, self.kind)?;
        if let Some(ns) = &self.namespace {
            write!(f, "{ns}/")?;
        }
        f.write_str(&self.name)
    }
}

impl ObjectRef {
    /// The reference of a JSON object, or the problem with it (`missing kind`, ...).
    pub fn of(object: &Value) -> Result<ObjectRef, String> {
        if !object.is_object() {
            return Err("not a mapping".to_string());
        }
        let field = |path: &[&str]| -> Result<Option<String>, String> {
            let mut v = object;
            for key in path {
                v = match v.get(key) {
                    Some(next) => next,
                    None => return Ok(None),
                };
            }
            match v {
                Value::Null => Ok(None),
                Value::String(s) if s.is_empty() => Err(format!("{} is empty", path.join("."))),
                Value::String(s) => Ok(Some(s.clone())),
                _ => Err(format!("{} must be a string", path.join("."))),
            }
        };
        let required = |path: &[&str]| -> Result<String, String> {
            field(path)?.ok_or_else(|| format!("missing {}", path.join(".")))
        };
        if object.get("metadata").is_some_and(|m| !m.is_object()) {
            return Err("metadata must be a mapping".to_string());
        }
        Ok(ObjectRef {
            api_version: required(&["apiVersion"])?,
            kind: required(&["kind"])?,
            name: required(&["metadata", "name"])?,
            namespace: field(&["metadata", "namespace"])?,
        })
    }
}

/// One object to apply and its reference.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    pub object: Value,
    pub reference: ObjectRef,
}

/// Parses a YAML stream of Kubernetes objects. Empty documents are skipped, `kind: List`
/// documents contribute their items, and the same object twice is an error.
pub fn parse_manifests(yaml: &str) -> Result<Vec<Manifest>, ManifestError> {
    let mut manifests: Vec<(usize, Manifest)> = Vec::new();
    for (index, document) in serde_norway::Deserializer::from_str(yaml).enumerate() {
        let number = index + 1;
        let err = |item: Option<usize>, problem: String| ManifestError {
            document: number,
            item,
            problem,
        };
        let value =
            Value::deserialize(document).map_err(|e| err(None, format!("not valid YAML: {e}")))?;
        if value.is_null() {
            continue;
        }
        let objects: Vec<(Option<usize>, Value)> = if is_list(&value) {
            match value.get("items") {
                Some(Value::Array(items)) => items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (Some(i + 1), v.clone()))
                    .collect(),
                None | Some(Value::Null) => Vec::new(),
                Some(_) => return Err(err(None, "items must be a list".to_string())),
            }
        } else {
            vec![(None, value)]
        };
        for (item, object) in objects {
            let reference = ObjectRef::of(&object).map_err(|p| err(item, p))?;
            if let Some((first, _)) = manifests.iter().find(|(_, m)| m.reference == reference) {
                return Err(err(
                    item,
                    format!("{reference} is already defined in document {first}"),
                ));
            }
            manifests.push((number, Manifest { object, reference }));
        }
    }
    Ok(manifests.into_iter().map(|(_, m)| m).collect())
}

fn is_list(value: &Value) -> bool {
    value["kind"] == "List" && value["apiVersion"] == "v1"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_display_like_kubectl_paths() {
        let r = ObjectRef {
            api_version: "apps/v1".into(),
            kind: "Deployment".into(),
            namespace: Some("default".into()),
            name: "web".into(),
        };
        assert_eq!(r.to_string(), "apps/v1/Deployment default/web");
        let ns = ObjectRef {
            namespace: None,
            kind: "Namespace".into(),
            api_version: "v1".into(),
            name: "ads".into(),
        };
        assert_eq!(ns.to_string(), "v1/Namespace ads");
    }

    #[test]
    fn lists_are_expanded_and_empty_documents_skipped() {
        let yaml = "---\n---\napiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: b}}\n---\n# only a comment\n";
        let names: Vec<String> = parse_manifests(yaml)
            .unwrap()
            .into_iter()
            .map(|m| m.reference.name)
            .collect();
        assert_eq!(names, ["a", "b"]);
    }

    #[test]
    fn list_items_are_named_in_errors() {
        let yaml = "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n- {apiVersion: v1, metadata: {name: b}}\n";
        let err = parse_manifests(yaml).unwrap_err();
        assert_eq!(err.to_string(), "document 1, item 2: missing kind");
    }
}
