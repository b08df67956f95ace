//! Auto-deploy manifests: YAML documents that must each name an apiVersion and a kind.

use serde::Deserialize;
use serde_norway::Value;

/// Ok when every non-empty document is a mapping with string `apiVersion` and `kind`.
pub(crate) fn check_documents(content: &str) -> Result<(), String> {
    let mut documents = 0;
    for (i, document) in serde_norway::Deserializer::from_str(content).enumerate() {
        let value = Value::deserialize(document)
            .map_err(|e| format!("document {} is not valid YAML: {e}", i + 1))?;
        match value {
            Value::Null => continue,
            Value::Mapping(map) => {
                for key in ["apiVersion", "kind"] {
                    if !map.get(key).is_some_and(Value::is_string) {
                        return Err(format!("document {} has no {key}", i + 1));
                    }
                }
                documents += 1;
            }
            _ => {
                return Err(format!(
                    "document {} is not a mapping (a Kubernetes object)",
                    i + 1
                ))
            }
        }
    }
    if documents == 0 {
        return Err("contains no Kubernetes object".into());
    }
    Ok(())
}
