//! The few validations of kube-apiserver a manifest most often trips: object names, and
//! workloads whose selector does not match their pod template.

use serde_json::Value;

use super::resources::ResourceType;
use super::status::{FieldProblem, StatusError};

const SUBDOMAIN_HELP: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_HELP: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

/// A 422 naming every invalid field, or Ok.
pub fn validate(rt: &ResourceType, name: &str, obj: &Value) -> Result<(), StatusError> {
    let mut problems = Vec::new();
    // Namespaces and Services become DNS labels; everything else here is a subdomain.
    let (valid, help) = match rt.kind {
        "Namespace" | "Service" => (is_label(name), LABEL_HELP),
        _ => (is_subdomain(name), SUBDOMAIN_HELP),
    };
    if !valid {
        problems.push(FieldProblem {
            field: "metadata.name".into(),
            reason: "FieldValueInvalid",
            message: format!("Invalid value: {name:?}: {help}"),
        });
    }
    match rt.kind {
        "Deployment" | "StatefulSet" | "DaemonSet" => workload(obj, &mut problems),
        "Pod" => require(
            obj,
            &["spec", "containers"],
            "spec.containers",
            &mut problems,
        ),
        _ => {}
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(StatusError::invalid(rt, name, &problems))
    }
}

fn workload(obj: &Value, problems: &mut Vec<FieldProblem>) {
    let spec = &obj["spec"];
    let selector = spec["selector"]["matchLabels"].as_object();
    let labels = spec["template"]["metadata"]["labels"].as_object();
    match selector {
        None if spec["selector"].is_null() => problems.push(required("spec.selector")),
        None => {}
        Some(wanted) => {
            let matches = wanted
                .iter()
                .all(|(k, v)| labels.and_then(|l| l.get(k)) == Some(v));
            if !matches {
                problems.push(FieldProblem {
                    field: "spec.template.metadata.labels".into(),
                    reason: "FieldValueInvalid",
                    message: format!(
                        "Invalid value: {}: `selector` does not match template `labels`",
                        spec["template"]["metadata"]["labels"]
                    ),
                });
            }
        }
    }
    require(
        obj,
        &["spec", "template", "spec", "containers"],
        "spec.template.spec.containers",
        problems,
    );
}

fn require(obj: &Value, path: &[&str], field: &str, problems: &mut Vec<FieldProblem>) {
    let value = path.iter().fold(obj, |v, k| &v[*k]);
    let present = match value {
        Value::Null => false,
        Value::Array(items) => !items.is_empty(),
        _ => true,
    };
    if !present {
        problems.push(required(field));
    }
}

fn required(field: &str) -> FieldProblem {
    FieldProblem {
        field: field.into(),
        reason: "FieldValueRequired",
        message: "Required value".into(),
    }
}

fn is_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

fn is_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(is_label)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::resources::by_kind;
    use serde_json::json;

    #[test]
    fn names_follow_rfc_1123() {
        assert!(is_subdomain("web.example-1"));
        assert!(!is_subdomain("Web"));
        assert!(!is_label("a.b"));
        assert!(!is_subdomain("a..b"));
    }

    #[test]
    fn workloads_need_a_matching_selector() {
        let rt = by_kind("apps/v1", "Deployment").unwrap();
        let obj = json!({"spec": {"selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "api"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}}});
        let err = validate(rt, "web", &obj).unwrap_err();
        assert_eq!(err.code, 422);
        assert!(
            err.message.starts_with(
                "Deployment.apps \"web\" is invalid: spec.template.metadata.labels: Invalid value"
            ),
            "{}",
            err.message
        );
    }
}
