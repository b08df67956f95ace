//! What a tf name in a block stands for, according to the element's schema.

use crate::model::{AttributeSchema, ChildSchema, ElementSchema, ValueKind, TEXT_FIELD};

pub enum Slot<'s> {
    Attribute(&'s AttributeSchema),
    Child(&'s ChildSchema),
    /// The element's own text (field `value`).
    Text(&'s ValueKind),
}

/// The element's text when it is a field of its block (it has attributes or children too).
pub fn text_field(schema: &ElementSchema) -> Option<&ValueKind> {
    schema.text.as_ref().filter(|_| !schema.is_text_only())
}

pub fn slot<'s>(schema: &'s ElementSchema, name: &str) -> Option<Slot<'s>> {
    if let Some(attr) = schema.attribute(name) {
        return Some(Slot::Attribute(attr));
    }
    if let Some(child) = schema.child(name) {
        return Some(Slot::Child(child));
    }
    match text_field(schema) {
        Some(kind) if name == TEXT_FIELD => Some(Slot::Text(kind)),
        _ => None,
    }
}

/// The field names a block of this element accepts, for error messages.
pub fn allowed_names(schema: &ElementSchema) -> String {
    let mut names: Vec<&str> = schema
        .attributes
        .iter()
        .map(|a| a.tf_name.as_str())
        .chain(schema.children.iter().map(|c| c.element.tf_name.as_str()))
        .collect();
    if text_field(schema).is_some() {
        names.push(TEXT_FIELD);
    }
    names.join(", ")
}

/// The shape a child's field must have.
pub fn child_shape(child: &ChildSchema) -> &'static str {
    match (child.text_only, child.repeatable) {
        (true, false) => "a value",
        (true, true) => "a list of values",
        (false, false) => "a block",
        (false, true) => "a list of blocks",
    }
}

/// XML 1.0 allows these characters only.
pub fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}
