//! Tree -> XML. Children are written in schema order; namespaces are declared on the root.

use super::raw_xml::canonical_xml;
use super::slots::{self, Slot};
use super::{Block, Field, MapError, Path};
use crate::model::{ChildSchema, ElementSchema, ValueKind};
use std::collections::BTreeMap;
use std::fmt::Write;

const INDENT: &str = "  ";

/// Writes `root` as an XML document of `schema`'s element. Unknown fields and fields of the
/// wrong shape are errors; values are not checked here (see [`validate`](super::validate)).
pub fn to_xml(schema: &ElementSchema, root: &Block) -> Result<String, MapError> {
    let mut namespaces = BTreeMap::new();
    collect_namespaces(schema, root, &mut namespaces);
    let mut writer = Writer { out: String::new() };
    writer.element(schema, root, &Path::default(), 0, &namespaces)?;
    writer.out.push('\n');
    Ok(writer.out)
}

/// prefix -> URI of every namespaced element or attribute the tree uses.
fn collect_namespaces(schema: &ElementSchema, block: &Block, out: &mut BTreeMap<String, String>) {
    if let (Some(prefix), Some(uri)) = (&schema.prefix, &schema.namespace) {
        out.insert(prefix.clone(), uri.clone());
    }
    for attr in &schema.attributes {
        if let (Some(prefix), Some(uri), true) = (
            &attr.prefix,
            &attr.namespace,
            block.fields.contains_key(&attr.tf_name),
        ) {
            out.insert(prefix.clone(), uri.clone());
        }
    }
    for child in &schema.children {
        match block.fields.get(&child.element.tf_name) {
            Some(Field::Block(b)) => collect_namespaces(&child.element, b, out),
            Some(Field::Blocks(bs)) => bs
                .iter()
                .for_each(|b| collect_namespaces(&child.element, b, out)),
            Some(Field::Text(_) | Field::TextList(_)) => {
                collect_namespaces(&child.element, &Block::default(), out)
            }
            None => {}
        }
    }
}

fn qualified(prefix: &Option<String>, name: &str) -> String {
    match prefix {
        Some(prefix) => format!("{prefix}:{name}"),
        None => name.to_string(),
    }
}

fn check_chars(path: &Path, value: &str) -> Result<(), MapError> {
    match value.chars().find(|c| !slots::is_xml_char(*c)) {
        Some(character) => Err(MapError::InvalidCharacter {
            path: path.clone(),
            character,
        }),
        None => Ok(()),
    }
}

/// Writes a text value: escaped, or in canonical form for raw XML content.
fn write_text(
    kind: Option<&ValueKind>,
    value: &str,
    path: &Path,
    out: &mut String,
) -> Result<(), MapError> {
    check_chars(path, value)?;
    if kind == Some(&ValueKind::Xml) {
        let canonical = canonical_xml(value).map_err(|message| MapError::InvalidXml {
            path: path.clone(),
            message,
        })?;
        out.push_str(&canonical);
    } else {
        escape_text(value, out);
    }
    Ok(())
}

pub(super) fn escape_text(value: &str, out: &mut String) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            // A raw CR would be normalised to LF by the parser.
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
}

pub(super) fn escape_attribute(value: &str, out: &mut String) {
    for c in value.chars() {
        match c {
            '"' => out.push_str("&quot;"),
            // Raw whitespace in attributes is normalised to spaces by the parser.
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c => escape_text(&c.to_string(), out),
        }
    }
}

struct Writer {
    out: String,
}

impl Writer {
    fn indent(&mut self, depth: usize) {
        self.out.push('\n');
        for _ in 0..depth {
            self.out.push_str(INDENT);
        }
    }

    fn element(
        &mut self,
        schema: &ElementSchema,
        block: &Block,
        path: &Path,
        depth: usize,
        namespaces: &BTreeMap<String, String>,
    ) -> Result<(), MapError> {
        let mut text = None;
        for (name, field) in &block.fields {
            match slots::slot(schema, name) {
                None => {
                    return Err(MapError::UnknownField {
                        path: path.clone(),
                        name: name.clone(),
                        allowed: slots::allowed_names(schema),
                    })
                }
                Some(slot @ (Slot::Text(_) | Slot::Attribute(_))) => {
                    let Field::Text(value) = field else {
                        return Err(wrong_shape(path.field(name), "a value", field));
                    };
                    check_chars(&path.field(name), value)?;
                    if matches!(slot, Slot::Text(_)) {
                        text = Some(value);
                    }
                }
                Some(Slot::Child(_)) => {}
            }
        }

        let tag = qualified(&schema.prefix, &schema.xml_name);
        self.out.push('<');
        self.out.push_str(&tag);
        for (prefix, uri) in namespaces {
            let _ = write!(self.out, " xmlns:{prefix}=\"");
            escape_attribute(uri, &mut self.out);
            self.out.push('"');
        }
        for attr in &schema.attributes {
            if let Some(Field::Text(value)) = block.fields.get(&attr.tf_name) {
                let _ = write!(self.out, " {}=\"", qualified(&attr.prefix, &attr.xml_name));
                escape_attribute(value, &mut self.out);
                self.out.push('"');
            }
        }

        let present: Vec<(&ChildSchema, &Field)> = schema
            .children
            .iter()
            .filter_map(|c| block.fields.get(&c.element.tf_name).map(|f| (c, f)))
            .collect();
        if text.is_none() && present.is_empty() {
            self.out.push_str("/>");
            return Ok(());
        }
        self.out.push('>');
        if let Some(text) = text {
            write_text(
                slots::text_field(schema),
                text,
                &path.field(crate::model::TEXT_FIELD),
                &mut self.out,
            )?;
        }
        // Indentation would become part of the text of an element that carries text.
        let pretty = schema.text.is_none();
        for (child, field) in present {
            self.child(
                child,
                field,
                &path.field(&child.element.tf_name),
                depth + 1,
                pretty,
            )?;
        }
        if pretty {
            self.indent(depth);
        }
        let _ = write!(self.out, "</{tag}>");
        Ok(())
    }

    fn child(
        &mut self,
        child: &ChildSchema,
        field: &Field,
        path: &Path,
        depth: usize,
        pretty: bool,
    ) -> Result<(), MapError> {
        let no_namespaces = BTreeMap::new();
        let each = |writer: &mut Self, path: &Path, item: Item| -> Result<(), MapError> {
            if pretty {
                writer.indent(depth);
            }
            match item {
                Item::Text(value) => {
                    let tag = qualified(&child.element.prefix, &child.element.xml_name);
                    let _ = write!(writer.out, "<{tag}>");
                    write_text(child.element.text.as_ref(), value, path, &mut writer.out)?;
                    let _ = write!(writer.out, "</{tag}>");
                    Ok(())
                }
                Item::Block(block) => {
                    writer.element(&child.element, block, path, depth, &no_namespaces)
                }
            }
        };
        match (child.text_only, child.repeatable, field) {
            (true, false, Field::Text(value)) => each(self, path, Item::Text(value)),
            (true, true, Field::TextList(values)) => values
                .iter()
                .enumerate()
                .try_for_each(|(i, v)| each(self, &path.index(i), Item::Text(v))),
            (false, false, Field::Block(block)) => each(self, path, Item::Block(block)),
            (false, true, Field::Blocks(blocks)) => blocks
                .iter()
                .enumerate()
                .try_for_each(|(i, b)| each(self, &path.index(i), Item::Block(b))),
            _ => Err(wrong_shape(path.clone(), slots::child_shape(child), field)),
        }
    }
}

enum Item<'a> {
    Text(&'a str),
    Block(&'a Block),
}

fn wrong_shape(path: Path, expected: &'static str, field: &Field) -> MapError {
    MapError::WrongShape {
        path,
        expected,
        found: field.shape(),
    }
}
