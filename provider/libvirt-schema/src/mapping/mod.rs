//! The generic mapping between libvirt XML and a neutral tree of fields, driven by an
//! [`ElementSchema`](crate::ElementSchema):
//!
//! - XML attribute -> `Field::Text` under the attribute's tf name;
//! - text-only child element -> `Field::Text` (`Field::TextList` when repeatable);
//! - other child element -> `Field::Block` (`Field::Blocks` when repeatable);
//! - text of an element with attributes or children -> `Field::Text` named `value`.
//!
//! All values are strings in the XML's lexical form; the kind in the schema says how to read them.

mod from_xml;
mod path;
mod raw_xml;
mod slots;
mod to_xml;
mod validate;

pub use from_xml::from_xml;
pub use path::{Path, PathStep};
pub use raw_xml::canonical_xml;
pub use to_xml::to_xml;
pub use validate::{validate, ValidationError};

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The fields of one element, keyed by tf name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    pub fields: BTreeMap<String, Field>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Field {
    Text(String),
    TextList(Vec<String>),
    Block(Block),
    Blocks(Vec<Block>),
}

impl Block {
    /// Adds a field, builder style.
    pub fn with(mut self, name: &str, field: Field) -> Self {
        self.fields.insert(name.to_string(), field);
        self
    }

    /// Adds a text field, builder style.
    pub fn text(self, name: &str, value: impl Into<String>) -> Self {
        self.with(name, Field::Text(value.into()))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MapError {
    #[error("{path}: unknown field {name:?} (allowed: {allowed})")]
    UnknownField {
        path: Path,
        name: String,
        allowed: String,
    },
    #[error("{path}: expected {expected}, found {found}")]
    WrongShape {
        path: Path,
        expected: &'static str,
        found: &'static str,
    },
    #[error("{path}: character {character:?} cannot appear in XML")]
    InvalidCharacter { path: Path, character: char },
    #[error("{path}: {message}")]
    InvalidXml { path: Path, message: String },
    #[error("root element is <{found}>, expected <{expected}>")]
    RootMismatch { expected: String, found: String },
    #[error("not well-formed XML: {0}")]
    Xml(#[from] roxmltree::Error),
}

impl Field {
    /// A short description of the field's shape, for error messages.
    pub fn shape(&self) -> &'static str {
        match self {
            Field::Text(_) => "a value",
            Field::TextList(_) => "a list of values",
            Field::Block(_) => "a block",
            Field::Blocks(_) => "a list of blocks",
        }
    }
}
