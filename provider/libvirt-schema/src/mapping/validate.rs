//! Checks a tree against the schema: known fields, shapes, required fields and values.

use super::slots::{self, Slot};
use super::{Block, Field, Path};
use crate::model::{ChildSchema, ElementSchema, ValueKind};
use crate::xsd_regex;
use regex::Regex;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ValidationError {
    pub path: Path,
    pub message: String,
}

/// Every problem in `root`, in field order; empty when the tree is valid.
pub fn validate(schema: &ElementSchema, root: &Block) -> Vec<ValidationError> {
    let mut errors = Vec::new();
    check_block(schema, root, &Path::default(), &mut errors);
    errors
}

fn error(errors: &mut Vec<ValidationError>, path: Path, message: String) {
    errors.push(ValidationError { path, message });
}

fn check_block(
    schema: &ElementSchema,
    block: &Block,
    path: &Path,
    errors: &mut Vec<ValidationError>,
) {
    for (name, field) in &block.fields {
        let field_path = path.field(name);
        match slots::slot(schema, name) {
            None => error(
                errors,
                field_path,
                format!(
                    "unknown field {name:?} in {}; allowed: {}",
                    schema.xml_name,
                    slots::allowed_names(schema)
                ),
            ),
            Some(Slot::Attribute(attr)) => check_value(&attr.kind, field, &field_path, errors),
            Some(Slot::Text(kind)) => check_value(kind, field, &field_path, errors),
            Some(Slot::Child(child)) => check_child(child, field, &field_path, errors),
        }
    }
    let required = schema
        .attributes
        .iter()
        .filter(|a| a.required)
        .map(|a| &a.tf_name)
        .chain(
            schema
                .children
                .iter()
                .filter(|c| c.required)
                .map(|c| &c.element.tf_name),
        );
    for name in required {
        let present = match block.fields.get(name) {
            Some(Field::Blocks(items)) => !items.is_empty(),
            Some(Field::TextList(items)) => !items.is_empty(),
            Some(_) => true,
            None => false,
        };
        if !present {
            error(
                errors,
                path.field(name),
                format!("required by <{}> but missing", schema.xml_name),
            );
        }
    }
}

fn check_child(child: &ChildSchema, field: &Field, path: &Path, errors: &mut Vec<ValidationError>) {
    let kind = child.element.text.as_ref();
    match (child.text_only, child.repeatable, field, kind) {
        (true, false, Field::Text(_), Some(kind)) => check_value(kind, field, path, errors),
        (true, true, Field::TextList(values), Some(kind)) => {
            for (i, value) in values.iter().enumerate() {
                check_value(kind, &Field::Text(value.clone()), &path.index(i), errors);
            }
        }
        (false, false, Field::Block(block), _) => check_block(&child.element, block, path, errors),
        (false, true, Field::Blocks(blocks), _) => {
            for (i, block) in blocks.iter().enumerate() {
                check_block(&child.element, block, &path.index(i), errors);
            }
        }
        _ => error(
            errors,
            path.clone(),
            format!(
                "must be {}, not {}",
                slots::child_shape(child),
                field.shape()
            ),
        ),
    }
}

fn check_value(kind: &ValueKind, field: &Field, path: &Path, errors: &mut Vec<ValidationError>) {
    let Field::Text(value) = field else {
        error(
            errors,
            path.clone(),
            format!("must be a value, not {}", field.shape()),
        );
        return;
    };
    if let Some(c) = value.chars().find(|c| !slots::is_xml_char(*c)) {
        error(
            errors,
            path.clone(),
            format!("character {c:?} cannot appear in XML"),
        );
        return;
    }
    if let Some(message) = value_problem(kind, value) {
        error(errors, path.clone(), message);
    }
}

/// Why `value` is not of `kind`, naming what is allowed.
pub(crate) fn value_problem(kind: &ValueKind, value: &str) -> Option<String> {
    match kind {
        ValueKind::String => None,
        ValueKind::Xml => super::canonical_xml(value).err(),
        ValueKind::Enum(allowed) => (!allowed.iter().any(|a| a == value)).then(|| {
            format!(
                "{value:?} is not one of the allowed values: {}",
                allowed.join(", ")
            )
        }),
        ValueKind::Integer { min, max } => {
            // Plain digits with an optional minus: libvirt's integer patterns refuse `+` and blanks.
            let digits = value.strip_prefix('-').unwrap_or(value);
            let plain = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
            let in_range = plain
                .then(|| value.parse::<i128>().ok())
                .flatten()
                .filter(|v| {
                    min.map_or(true, |m| *v >= i128::from(m))
                        && max.map_or(true, |m| *v <= i128::from(m))
                });
            in_range.is_none().then(|| {
                let bound = |b: &Option<i64>| b.map_or("unbounded".to_string(), |b| b.to_string());
                format!(
                    "{value:?} is not an integer between {} and {}",
                    bound(min),
                    bound(max)
                )
            })
        }
        ValueKind::Number => value
            .trim()
            .parse::<f64>()
            .map_or(true, |v| !v.is_finite())
            .then(|| format!("{value:?} is not a number")),
        ValueKind::Pattern(patterns) => {
            let mut matched = false;
            for pattern in patterns {
                match compiled(pattern) {
                    Ok(re) => matched |= re.is_match(value),
                    Err(e) => {
                        return Some(format!(
                            "schema pattern {pattern:?} is not a valid regex: {e}"
                        ))
                    }
                }
            }
            (!matched).then(|| {
                format!(
                    "{value:?} does not match any of the patterns {}",
                    patterns.join(" | ")
                )
            })
        }
    }
}

/// Patterns compile once per process (generation already checked that every one compiles).
fn compiled(pattern: &str) -> Result<Arc<Regex>, regex::Error> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<Regex>>>> = OnceLock::new();
    let mut cache = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(re) = cache.get(pattern) {
        return Ok(re.clone());
    }
    let re = Arc::new(Regex::new(&xsd_regex::anchored(pattern))?);
    cache.insert(pattern.to_string(), re.clone());
    Ok(re)
}
