//! Canonical form of raw XML fragments (wildcard content such as `<metadata>`), so the form a
//! user wrote and the form libvirt prints back compare equal when they mean the same.
//!
//! Canonical: no whitespace-only text between elements, namespace declarations then
//! attributes each sorted by name, double quotes, empty elements self-closed.

use super::to_xml::{escape_attribute, escape_text};
use roxmltree::{Document, Node};

/// The canonical form of `fragment`, or why it is not a well-formed fragment (namespace
/// prefixes must be declared inside it).
pub fn canonical_xml(fragment: &str) -> Result<String, String> {
    let wrapped = format!("<fragment>{fragment}</fragment>");
    let doc =
        Document::parse(&wrapped).map_err(|e| format!("not a well-formed XML fragment: {e}"))?;
    Ok(canonical_content(doc.root_element()))
}

/// The canonical form of everything inside `node`, self-contained: each top-level element
/// declares the namespaces its subtree uses, even when the document declared them higher up.
pub fn canonical_content(node: Node) -> String {
    let mut out = String::new();
    write_children(node, &mut out, true);
    out
}

fn write_children(node: Node, out: &mut String, top_level: bool) {
    let has_elements = node.children().any(|c| c.is_element());
    for child in node.children() {
        if child.is_element() {
            write_element(child, out, top_level);
        } else if let Some(text) = child.text().filter(|_| child.is_text()) {
            if !(has_elements && text.trim().is_empty()) {
                escape_text(text, out);
            }
        }
    }
}

fn qualified(node: Node, namespace: Option<&str>, local: &str) -> String {
    match namespace.and_then(|uri| node.lookup_prefix(uri)) {
        Some(prefix) if !prefix.is_empty() => format!("{prefix}:{local}"),
        _ => local.to_string(),
    }
}

/// Namespace URIs the elements and attributes of `node`'s subtree are in.
fn used_namespaces<'a>(node: Node<'a, '_>) -> Vec<&'a str> {
    node.descendants()
        .filter(Node::is_element)
        .flat_map(|n| {
            std::iter::once(n.tag_name().namespace())
                .chain(n.attributes().map(|a| a.namespace()))
                .collect::<Vec<_>>()
        })
        .flatten()
        .collect()
}

fn write_element(node: Node, out: &mut String, top_level: bool) {
    let tag = qualified(node, node.tag_name().namespace(), node.tag_name().name());
    out.push('<');
    out.push_str(&tag);

    let inherited: Vec<(Option<&str>, &str)> = node
        .parent_element()
        .map(|p| p.namespaces().map(|ns| (ns.name(), ns.uri())).collect())
        .unwrap_or_default();
    let used = if top_level {
        used_namespaces(node)
    } else {
        vec![]
    };
    let mut declared: Vec<(String, &str)> = node
        .namespaces()
        .filter(|ns| ns.name() != Some("xml"))
        .filter(|ns| !inherited.contains(&(ns.name(), ns.uri())) || used.contains(&ns.uri()))
        .map(|ns| {
            let name = ns
                .name()
                .map_or("xmlns".to_string(), |p| format!("xmlns:{p}"));
            (name, ns.uri())
        })
        .collect();
    declared.sort();
    let mut attributes: Vec<(String, &str)> = node
        .attributes()
        .map(|a| (qualified(node, a.namespace(), a.name()), a.value()))
        .collect();
    attributes.sort();
    for (name, value) in declared.into_iter().chain(attributes) {
        out.push(' ');
        out.push_str(&name);
        out.push_str("=\"");
        escape_attribute(value, out);
        out.push('"');
    }

    if node.has_children() {
        out.push('>');
        write_children(node, out, false);
        out.push_str("</");
        out.push_str(&tag);
        out.push('>');
    } else {
        out.push_str("/>");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libvirt_formatting_and_user_formatting_agree() {
        let user = r#"<lo:libosinfo xmlns:lo="http://libosinfo.org/xmlns/libvirt/domain/1.0"><lo:os id='http://debian.org/debian/12'></lo:os></lo:libosinfo>"#;
        let libvirt = "<lo:libosinfo xmlns:lo=\"http://libosinfo.org/xmlns/libvirt/domain/1.0\">\n      <lo:os id=\"http://debian.org/debian/12\"/>\n    </lo:libosinfo>\n";
        let canonical = canonical_xml(user).expect("well-formed");
        assert_eq!(
            canonical,
            canonical_xml(libvirt.trim()).expect("well-formed")
        );
        assert_eq!(
            canonical,
            r#"<lo:libosinfo xmlns:lo="http://libosinfo.org/xmlns/libvirt/domain/1.0"><lo:os id="http://debian.org/debian/12"/></lo:libosinfo>"#
        );
    }

    #[test]
    fn attributes_sort_and_text_is_kept() {
        assert_eq!(
            canonical_xml(r#"<a z="1" b="2&amp;">x &lt; y</a> <b/>"#).expect("well-formed"),
            r#"<a b="2&amp;" z="1">x &lt; y</a><b/>"#
        );
    }

    #[test]
    fn namespaces_declared_higher_up_are_declared_on_the_fragment() {
        let doc = Document::parse(
            r#"<domain xmlns:a="urn:a" xmlns:unused="urn:u"><metadata>
                 <a:x><a:y/></a:x>
               </metadata></domain>"#,
        )
        .expect("parses");
        let metadata = doc.root_element().first_element_child().expect("metadata");
        assert_eq!(
            canonical_content(metadata),
            r#"<a:x xmlns:a="urn:a"><a:y/></a:x>"#
        );
    }

    #[test]
    fn undeclared_prefixes_are_rejected() {
        assert!(canonical_xml("<x:a/>").is_err());
        assert!(canonical_xml("<a>").is_err());
    }
}
