//! Defaulting the real API server performs on write, for the fields a manifest usually omits:
//! these are the fields drift detection must not mistake for drift.

use serde_json::{json, Value};

/// Fills defaults in place; `sequence` makes allocated cluster IPs unique.
pub fn apply(kind: &str, obj: &mut Value, sequence: u64) {
    match kind {
        "Service" => service(obj, sequence),
        "Deployment" => {
            set_if_absent(obj, &["spec", "replicas"], json!(1));
            set_if_absent(obj, &["spec", "revisionHistoryLimit"], json!(10));
            set_if_absent(obj, &["spec", "progressDeadlineSeconds"], json!(600));
            set_if_absent(
                obj,
                &["spec", "strategy"],
                json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}),
            );
            pod_spec(obj, &["spec", "template", "spec"]);
        }
        "StatefulSet" | "DaemonSet" => {
            if kind == "StatefulSet" {
                set_if_absent(obj, &["spec", "replicas"], json!(1));
            }
            set_if_absent(
                obj,
                &["spec", "updateStrategy"],
                json!({"type": "RollingUpdate"}),
            );
            pod_spec(obj, &["spec", "template", "spec"]);
        }
        "Pod" => pod_spec(obj, &["spec"]),
        _ => {}
    }
}

fn service(obj: &mut Value, sequence: u64) {
    set_if_absent(obj, &["spec", "type"], json!("ClusterIP"));
    set_if_absent(obj, &["spec", "sessionAffinity"], json!("None"));
    let Some(Value::Object(spec)) = obj.get_mut("spec") else {
        return;
    };
    if spec.get("clusterIP").map_or(true, Value::is_null) {
        let ip = format!("10.43.{}.{}", (sequence / 250) % 250, sequence % 250 + 2);
        spec.insert("clusterIPs".into(), json!([ip]));
        spec.insert("clusterIP".into(), json!(ip));
    }
    if let Some(Value::Array(ports)) = spec.get_mut("ports") {
        for port in ports {
            set_if_absent(port, &["protocol"], json!("TCP"));
            let number = port["port"].clone();
            set_if_absent(port, &["targetPort"], number);
        }
    }
}

fn pod_spec(obj: &mut Value, path: &[&str]) {
    let Some(spec) = path.iter().try_fold(obj, |v, k| v.get_mut(*k)) else {
        return;
    };
    if !spec.is_object() {
        return;
    }
    set_if_absent(spec, &["restartPolicy"], json!("Always"));
    set_if_absent(spec, &["dnsPolicy"], json!("ClusterFirst"));
    set_if_absent(spec, &["terminationGracePeriodSeconds"], json!(30));
    if let Some(Value::Array(containers)) = spec.get_mut("containers") {
        for c in containers {
            let latest = c["image"]
                .as_str()
                .is_some_and(|i| !i.contains(':') || i.ends_with(":latest"));
            set_if_absent(
                c,
                &["imagePullPolicy"],
                json!(if latest { "Always" } else { "IfNotPresent" }),
            );
            set_if_absent(c, &["terminationMessagePolicy"], json!("File"));
        }
    }
}

fn set_if_absent(obj: &mut Value, path: &[&str], value: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let Some(Value::Object(map)) = parents.iter().try_fold(obj, |v, k| v.get_mut(*k)) else {
        return;
    };
    if map.get(*last).map_or(true, Value::is_null) {
        map.insert(last.to_string(), value);
    }
}
