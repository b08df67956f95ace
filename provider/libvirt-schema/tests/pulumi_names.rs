//! Simulates how Pulumi's Terraform bridge names our schema and fails on a clash.
//!
//! The bridge names a nested block's type `Parent + TitleCase(camelCase(name))` (list block
//! names singularised), and the Go SDK adds variants of every type (`Args`, `Input`, `Output`,
//! `Ptr`, `Array`, `Map`, ...). Two different blocks must never end up with the same type name.
//! Singularisation here is the simple English rule, close enough for XML element names.

use libvirt_schema::ElementSchema;
use std::collections::BTreeMap;

const GO_VARIANTS: &[&str] = &[
    "",
    "Args",
    "Input",
    "Output",
    "Ptr",
    "PtrInput",
    "PtrOutput",
    "Array",
    "ArrayInput",
    "ArrayOutput",
    "Map",
    "MapInput",
    "MapOutput",
];

fn title_camel(name: &str) -> String {
    name.split('_')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|first| first.to_uppercase().chain(chars).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

fn singular(name: &str) -> String {
    if let Some(stem) = name.strip_suffix("ies") {
        format!("{stem}y")
    } else if name.ends_with('s') && !name.ends_with("ss") {
        name[..name.len() - 1].to_string()
    } else {
        name.to_string()
    }
}

/// Every Go type name the SDK would generate, mapped to the block path that produced it;
/// returns the clashes found.
fn clashes(root: &ElementSchema) -> Vec<String> {
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    let mut found = Vec::new();
    let mut add = |type_name: &str, path: &str, found: &mut Vec<String>| {
        for variant in GO_VARIANTS {
            let name = format!("{type_name}{variant}");
            if let Some(other) = names.insert(name.clone(), path.to_string()) {
                if other != path {
                    found.push(format!("{name}: {other} vs {path}"));
                }
            }
        }
    };
    fn walk(
        element: &ElementSchema,
        type_name: &str,
        path: &str,
        add: &mut dyn FnMut(&str, &str, &mut Vec<String>),
        found: &mut Vec<String>,
    ) {
        add(type_name, path, found);
        for child in element.children.iter().filter(|c| !c.text_only) {
            let name = if child.repeatable {
                singular(&child.element.tf_name)
            } else {
                child.element.tf_name.clone()
            };
            let child_type = format!("{type_name}{}", title_camel(&name));
            let child_path = format!("{path}.{}", child.element.tf_name);
            walk(&child.element, &child_type, &child_path, add, found);
        }
    }
    walk(
        root,
        &title_camel(&root.tf_name),
        &root.tf_name,
        &mut add,
        &mut found,
    );
    found
}

/// Names Pulumi reserves on every object, and `id` at the top level.
fn reserved_names(root: &ElementSchema) -> Vec<String> {
    fn walk(element: &ElementSchema, path: &str, top: bool, out: &mut Vec<String>) {
        let names = element
            .attributes
            .iter()
            .map(|a| &a.tf_name)
            .chain(element.children.iter().map(|c| &c.element.tf_name));
        for name in names {
            if name == "urn" || name == "pulumi" || (top && name == "id") {
                out.push(format!("{path}.{name}"));
            }
        }
        for child in &element.children {
            walk(
                &child.element,
                &format!("{path}.{}", child.element.tf_name),
                false,
                out,
            );
        }
    }
    let mut out = Vec::new();
    walk(root, &root.tf_name, true, &mut out);
    out
}

#[test]
fn generated_schemas_have_no_pulumi_name_clashes() {
    for schema in [
        libvirt_schema::network(),
        libvirt_schema::storage_pool(),
        libvirt_schema::storage_volume(),
        libvirt_schema::domain(),
    ] {
        assert_eq!(clashes(schema), Vec::<String>::new(), "{}", schema.xml_name);
        assert_eq!(
            reserved_names(schema),
            Vec::<String>::new(),
            "{}",
            schema.xml_name
        );
    }
}

#[test]
fn the_simulation_catches_a_block_named_like_a_go_variant() {
    let schema: ElementSchema = serde_json::from_str(
        r#"{"xml_name": "domain", "tf_name": "domain", "children": [
             {"element": {"xml_name": "devices", "tf_name": "devices", "children": [
               {"element": {"xml_name": "input", "tf_name": "input",
                            "attributes": [{"xml_name": "type", "tf_name": "type", "kind": "string"}]},
                "repeatable": true}]}}]}"#,
    )
    .expect("test schema parses");
    let found = clashes(&schema);
    assert!(
        found.iter().any(|c| c.starts_with("DomainDevicesInput:")),
        "{found:?}"
    );
}
