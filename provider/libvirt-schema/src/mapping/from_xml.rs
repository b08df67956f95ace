//! XML -> tree. Elements and attributes the schema does not know are skipped (logged at
//! debug level), so XML from a newer libvirt still reads.

use super::{raw_xml, slots};
use super::{Block, Field, MapError};
use crate::model::{ElementSchema, ValueKind, TEXT_FIELD};
use roxmltree::{Document, Node};
use std::collections::btree_map::Entry;

/// Reads a document of `schema`'s element into a tree.
pub fn from_xml(schema: &ElementSchema, xml: &str) -> Result<Block, MapError> {
    let doc = Document::parse(xml)?;
    let root = doc.root_element();
    if !matches_name(schema, root) {
        return Err(MapError::RootMismatch {
            expected: schema.xml_name.clone(),
            found: root.tag_name().name().to_string(),
        });
    }
    Ok(read_element(schema, root))
}

fn matches_name(schema: &ElementSchema, node: Node) -> bool {
    node.tag_name().name() == schema.xml_name
        && node.tag_name().namespace() == schema.namespace.as_deref()
}

/// The element's own text: its direct text (and CDATA) children, concatenated; for raw XML
/// content, the canonical form of everything inside the element.
fn own_text(node: Node, kind: Option<&ValueKind>) -> String {
    if kind == Some(&ValueKind::Xml) {
        return raw_xml::canonical_content(node);
    }
    node.children()
        .filter(Node::is_text)
        .filter_map(|n| n.text())
        .collect()
}

fn read_element(schema: &ElementSchema, node: Node) -> Block {
    let mut block = Block::default();
    for attr in node.attributes() {
        let known = schema
            .attributes
            .iter()
            .find(|a| a.xml_name == attr.name() && a.namespace.as_deref() == attr.namespace());
        match known {
            Some(a) => {
                block
                    .fields
                    .insert(a.tf_name.clone(), Field::Text(attr.value().to_string()));
            }
            None => tracing::debug!(
                element = schema.xml_name,
                attribute = attr.name(),
                "ignoring attribute the schema does not know"
            ),
        }
    }

    for child_node in node.children().filter(Node::is_element) {
        let Some(child) = schema
            .children
            .iter()
            .find(|c| matches_name(&c.element, child_node))
        else {
            tracing::debug!(
                element = schema.xml_name,
                child = child_node.tag_name().name(),
                "ignoring element the schema does not know"
            );
            continue;
        };
        let name = child.element.tf_name.clone();
        let entry = block.fields.entry(name);
        match (child.text_only, child.repeatable, entry) {
            (true, false, Entry::Vacant(slot)) => {
                slot.insert(Field::Text(own_text(
                    child_node,
                    child.element.text.as_ref(),
                )));
            }
            (false, false, Entry::Vacant(slot)) => {
                slot.insert(Field::Block(read_element(&child.element, child_node)));
            }
            (true, true, entry) => {
                if let Field::TextList(values) = entry.or_insert(Field::TextList(vec![])) {
                    values.push(own_text(child_node, child.element.text.as_ref()));
                }
            }
            (false, true, entry) => {
                if let Field::Blocks(blocks) = entry.or_insert(Field::Blocks(vec![])) {
                    blocks.push(read_element(&child.element, child_node));
                }
            }
            (_, false, Entry::Occupied(_)) => tracing::debug!(
                element = schema.xml_name,
                child = child_node.tag_name().name(),
                "ignoring a repeat of an element that occurs at most once"
            ),
        }
    }

    if let Some(kind) = slots::text_field(schema) {
        let text = own_text(node, Some(kind));
        let has_children = node.children().any(|n| n.is_element());
        // Indentation between child elements is not the element's text.
        let blank = text.is_empty() || (has_children && text.trim().is_empty());
        if !blank {
            block
                .fields
                .insert(TEXT_FIELD.to_string(), Field::Text(text));
        }
    }
    block
}
