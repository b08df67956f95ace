//! Multi-document manifest parsing and its errors.

use k8s_api::parse_manifests;

fn error(yaml: &str) -> String {
    parse_manifests(yaml).unwrap_err().to_string()
}

#[test]
fn multi_document_streams_keep_order_and_references() {
    let yaml = "# leading comment\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: adx\n---\n\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: exchange\n  namespace: adx\nspec:\n  replicas: 2\n...\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\n";
    let refs: Vec<String> = parse_manifests(yaml)
        .unwrap()
        .iter()
        .map(|m| m.reference.to_string())
        .collect();
    assert_eq!(
        refs,
        [
            "v1/Namespace adx",
            "apps/v1/Deployment adx/exchange",
            "v1/ConfigMap cfg"
        ]
    );
    assert!(parse_manifests("").unwrap().is_empty());
    assert!(parse_manifests("---\n---\n").unwrap().is_empty());
}

#[test]
fn invalid_yaml_names_its_document() {
    let yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: [unclosed\n";
    let err = error(yaml);
    assert!(err.starts_with("document 2: not valid YAML: "), "{err}");
}

#[test]
fn missing_identity_fields_are_named() {
    assert_eq!(
        error("kind: ConfigMap\nmetadata: {name: a}\n"),
        "document 1: missing apiVersion"
    );
    assert_eq!(
        error("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nmetadata: {name: b}\n"),
        "document 2: missing kind"
    );
    assert_eq!(
        error("apiVersion: v1\nkind: ConfigMap\nmetadata: {labels: {a: b}}\n"),
        "document 1: missing metadata.name"
    );
    assert_eq!(
        error("apiVersion: v1\nkind: ConfigMap\n"),
        "document 1: missing metadata.name"
    );
    assert_eq!(
        error("apiVersion: 1\nkind: ConfigMap\nmetadata: {name: a}\n"),
        "document 1: apiVersion must be a string"
    );
    assert_eq!(error("- just\n- a list\n"), "document 1: not a mapping");
}

#[test]
fn the_same_object_twice_is_rejected() {
    let doc = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: x}\n";
    assert_eq!(
        error(&format!("{doc}---\n{doc}")),
        "document 2: v1/ConfigMap x/a is already defined in document 1"
    );
}
