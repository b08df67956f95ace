//! Drift: fields we applied whose live value is different now. Only fields present in what we
//! applied are compared, so everything the API adds (status, defaults, managedFields, uid...)
//! is ignored.

use serde_json::Value;

/// Paths such as `spec.replicas`, `spec.template.spec.containers[0].image` or
/// `metadata.labels["app.kubernetes.io/name"]`, in document order.
pub fn drifted_fields(applied: &Value, live: &Value) -> Vec<String> {
    let mut drifted = Vec::new();
    compare(applied, Some(live), &mut Vec::new(), &mut drifted);
    drifted
}

#[derive(Clone)]
enum Segment<'a> {
    Key(&'a str),
    Index(usize),
}

fn compare<'a>(
    applied: &'a Value,
    live: Option<&Value>,
    path: &mut Vec<Segment<'a>>,
    drifted: &mut Vec<String>,
) {
    match (applied, live) {
        // An explicit null asks the API to leave the field unset: nothing to compare.
        (Value::Null, _) => {}
        (Value::Object(ours), Some(Value::Object(theirs))) => {
            for (key, value) in ours {
                path.push(Segment::Key(key));
                compare(value, theirs.get(key), path, drifted);
                path.pop();
            }
        }
        (Value::Array(ours), Some(Value::Array(theirs))) if ours.len() == theirs.len() => {
            for (i, (a, l)) in ours.iter().zip(theirs).enumerate() {
                path.push(Segment::Index(i));
                compare(a, Some(l), path, drifted);
                path.pop();
            }
        }
        (ours, Some(theirs)) if same_scalar(ours, theirs, path) => {}
        _ => drifted.push(render(path)),
    }
}

/// Equal values, or the same number written as JSON number vs string, or (for resource
/// quantities only) the same quantity in another notation: the API normalizes `0.5` to `500m`.
fn same_scalar(ours: &Value, theirs: &Value, path: &[Segment]) -> bool {
    if ours == theirs {
        return true;
    }
    let number = |v: &Value| match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) if is_quantity_field(path) => parse_quantity(s),
        _ => None,
    };
    match (number(ours), number(theirs)) {
        (Some(a), Some(b)) => (a - b).abs() <= f64::EPSILON * a.abs().max(b.abs()).max(1.0),
        _ => false,
    }
}

/// Fields holding `resource.Quantity` values.
fn is_quantity_field(path: &[Segment]) -> bool {
    let key_at = |from_end: usize| match path.len().checked_sub(from_end).map(|i| &path[i]) {
        Some(Segment::Key(k)) => Some(*k),
        _ => None,
    };
    matches!(key_at(1), Some("sizeLimit" | "storage"))
        || matches!(
            key_at(2),
            Some(
                "limits"
                    | "requests"
                    | "hard"
                    | "capacity"
                    | "overhead"
                    | "default"
                    | "defaultRequest"
                    | "max"
                    | "min"
            )
        )
}

/// `500m`, `1.5Gi`, `2e3`, `128974848` as a number.
fn parse_quantity(text: &str) -> Option<f64> {
    const SUFFIXES: [(&str, f64); 13] = [
        ("Ki", 1024.0),
        ("Mi", 1048576.0),
        ("Gi", 1073741824.0),
        ("Ti", 1099511627776.0),
        ("Pi", 1125899906842624.0),
        ("Ei", 1152921504606846976.0),
        ("n", 1e-9),
        ("u", 1e-6),
        ("m", 1e-3),
        ("k", 1e3),
        ("M", 1e6),
        ("G", 1e9),
        ("T", 1e12),
    ];
    let text = text.trim();
    for (suffix, factor) in SUFFIXES {
        if let Some(number) = text.strip_suffix(suffix) {
            return number.parse::<f64>().ok().map(|n| n * factor);
        }
    }
    text.parse::<f64>().ok()
}

fn render(path: &[Segment]) -> String {
    let mut out = String::new();
    for segment in path {
        match segment {
            Segment::Index(i) => out.push_str(&format!("[{i}]")),
            Segment::Key(k) if is_plain(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Segment::Key(k) => out.push_str(&format!("[{k:?}]")),
        }
    }
    out
}

fn is_plain(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_added_by_the_api_are_not_drift() {
        let applied = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "data": {"k": "v"}});
        let live = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "a", "namespace": "default", "uid": "1", "resourceVersion": "9", "managedFields": []},
            "data": {"k": "v"}});
        assert!(drifted_fields(&applied, &live).is_empty());
    }

    #[test]
    fn changed_and_removed_fields_are_named() {
        let applied = json!({"metadata": {"labels": {"app.kubernetes.io/name": "web", "tier": "front"}},
            "spec": {"replicas": 3, "template": {"spec": {"containers": [{"name": "web", "image": "nginx:1"}]}}}});
        let live = json!({"metadata": {"labels": {"app.kubernetes.io/name": "other"}},
            "spec": {"replicas": 3, "template": {"spec": {"containers": [{"name": "web", "image": "nginx:2", "imagePullPolicy": "IfNotPresent"}]}}}});
        assert_eq!(
            drifted_fields(&applied, &live),
            [
                r#"metadata.labels["app.kubernetes.io/name"]"#,
                "metadata.labels.tier",
                "spec.template.spec.containers[0].image"
            ]
        );
    }

    #[test]
    fn lists_of_another_length_drift_as_a_whole() {
        let applied = json!({"spec": {"ports": [{"port": 80}]}});
        let live = json!({"spec": {"ports": [{"port": 80}, {"port": 443}]}});
        assert_eq!(drifted_fields(&applied, &live), ["spec.ports"]);
    }

    #[test]
    fn quantities_in_other_notations_are_equal() {
        let applied = json!({"resources": {"limits": {"cpu": 0.5, "memory": "1Gi"}, "requests": {"cpu": "250m"}}, "version": "1.0"});
        let live = json!({"resources": {"limits": {"cpu": "500m", "memory": "1073741824"}, "requests": {"cpu": "0.25"}}, "version": "1"});
        assert_eq!(drifted_fields(&applied, &live), ["version"]);
    }
}
