//! Field paths inside JSON objects, the unit of server-side apply ownership. Maps are walked
//! key by key; lists and scalars are atomic leaves (the stand-in does not model merge keys).

use std::collections::BTreeSet;

use serde_json::{Map, Value};

/// A path of map keys, e.g. `["spec", "replicas"]`.
pub type FieldPath = Vec<String>;

/// Fields that identify an object or that the server owns: never owned by a manager.
const IDENTITY: [&[&str]; 5] = [
    &["apiVersion"],
    &["kind"],
    &["metadata", "name"],
    &["metadata", "namespace"],
    &["status"],
];

const SERVER_METADATA: [&str; 7] = [
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "managedFields",
    "deletionTimestamp",
    "selfLink",
];

/// The leaves of `value` a manager would own: every non-map value, and empty maps.
pub fn leaves(value: &Value) -> BTreeSet<FieldPath> {
    let mut out = BTreeSet::new();
    collect(value, &mut Vec::new(), &mut out);
    out.retain(|p| !is_unowned(p));
    out
}

fn collect(value: &Value, path: &mut FieldPath, out: &mut BTreeSet<FieldPath>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                path.push(k.clone());
                collect(v, path, out);
                path.pop();
            }
        }
        Value::Null => {}
        _ => {
            out.insert(path.clone());
        }
    }
}

fn is_unowned(path: &[String]) -> bool {
    let starts = |prefix: &[&str]| {
        path.len() >= prefix.len() && prefix.iter().zip(path).all(|(a, b)| *a == b.as_str())
    };
    IDENTITY.iter().any(|p| starts(p))
        || (path.len() >= 2 && path[0] == "metadata" && SERVER_METADATA.contains(&path[1].as_str()))
}

/// True when one path is a prefix of the other (they name overlapping data).
pub fn overlaps(a: &[String], b: &[String]) -> bool {
    a.iter().zip(b).all(|(x, y)| x == y)
}

pub fn get<'a>(value: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(value, |v, k| v.get(k))
}

/// Whether the live value already holds everything applied there. Defaults the API added
/// inside list elements (a container's `imagePullPolicy`) are nobody's field, so they do not
/// make a value differ: this stands in for keyed-list merging, which the stand-in lacks.
pub fn covers(live: Option<&Value>, applied: Option<&Value>) -> bool {
    match (live, applied) {
        (_, None) => true,
        (Some(Value::Object(l)), Some(Value::Object(a))) => a
            .iter()
            .all(|(k, v)| v.is_null() || covers(l.get(k), Some(v))),
        (Some(Value::Array(l)), Some(Value::Array(a))) => {
            l.len() == a.len() && l.iter().zip(a).all(|(x, y)| covers(Some(x), Some(y)))
        }
        (live, applied) => live == applied,
    }
}

/// Removes the field at `path`, then any maps left empty by that removal.
pub fn remove(value: &mut Value, path: &[String]) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    if let Some(Value::Object(map)) = get_mut(value, parents) {
        map.remove(last);
    }
    for depth in (1..parents.len() + 1).rev() {
        let prefix = &path[..depth];
        let empty = matches!(get(value, prefix), Some(Value::Object(m)) if m.is_empty());
        if !empty {
            break;
        }
        if let Some(Value::Object(map)) = get_mut(value, &prefix[..depth - 1]) {
            map.remove(&prefix[depth - 1]);
        }
    }
}

fn get_mut<'a>(value: &'a mut Value, path: &[String]) -> Option<&'a mut Value> {
    path.iter().try_fold(value, |v, k| v.get_mut(k))
}

/// Deep-merges `patch` into `target`: maps recursively, everything else replaced. With
/// `nulls_delete` (JSON merge patch, RFC 7386) a null removes the field.
pub fn merge(target: &mut Value, patch: &Value, nulls_delete: bool) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                if v.is_null() && nulls_delete {
                    t.remove(k);
                } else if v.is_null() {
                    continue;
                } else {
                    merge(t.entry(k.clone()).or_insert(Value::Null), v, nulls_delete);
                }
            }
        }
        (t, p) => {
            *t = if p.is_object() {
                let mut fresh = Value::Object(Map::new());
                merge(&mut fresh, p, nulls_delete);
                fresh
            } else {
                p.clone()
            }
        }
    }
}

/// The managedFields `fieldsV1` form: `{"f:spec": {"f:replicas": {}}}`.
pub fn fields_v1(paths: &BTreeSet<FieldPath>) -> Value {
    let mut root = Map::new();
    for path in paths {
        let mut node = &mut root;
        for key in path {
            node = node
                .entry(format!("f:{key}"))
                .or_insert_with(|| Value::Object(Map::new()))
                .as_object_mut()
                .expect("fieldsV1 nodes are maps");
        }
    }
    Value::Object(root)
}

/// How the API prints a field path in conflict messages: `.spec.replicas`.
pub fn display(path: &[String]) -> String {
    path.iter().map(|k| format!(".{k}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn p(parts: &[&str]) -> FieldPath {
        parts.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn leaves_skip_identity_and_treat_lists_as_atomic() {
        let obj = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "labels": {"x": "1"}},
            "data": {"k": "v"}, "spec": {"ports": [{"port": 80}], "empty": {}}});
        let got: Vec<FieldPath> = leaves(&obj).into_iter().collect();
        assert_eq!(
            got,
            [
                p(&["data", "k"]),
                p(&["metadata", "labels", "x"]),
                p(&["spec", "empty"]),
                p(&["spec", "ports"])
            ]
        );
    }

    #[test]
    fn remove_prunes_empty_parents() {
        let mut obj = json!({"metadata": {"labels": {"x": "1"}, "name": "a"}});
        remove(&mut obj, &p(&["metadata", "labels", "x"]));
        assert_eq!(obj, json!({"metadata": {"name": "a"}}));
    }

    #[test]
    fn merge_patch_nulls_delete() {
        let mut obj = json!({"spec": {"a": 1, "b": 2}});
        merge(&mut obj, &json!({"spec": {"a": null, "c": {"d": 3}}}), true);
        assert_eq!(obj, json!({"spec": {"b": 2, "c": {"d": 3}}}));
    }
}
