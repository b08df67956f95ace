//! The derived schema: one tree of elements per libvirt document type, already shaped for
//! Terraform (blocks, attributes, repeatability), serialised as the checked-in JSON.

use serde::{Deserialize, Serialize};

/// The name of the field holding the text of an element that also has attributes or children.
pub const TEXT_FIELD: &str = "value";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ElementSchema {
    pub xml_name: String,
    /// Namespace URI, `None` for libvirt's own (unqualified) elements.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Prefix used when writing a namespaced element (`qemu` for `qemu:commandline`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    pub tf_name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<AttributeSchema>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<ChildSchema>,
    /// The element carries text. When it also has attributes or children the text is the
    /// field [`TEXT_FIELD`]; when it carries only text the parent's [`ChildSchema`] is `text_only`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<ValueKind>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChildSchema {
    pub element: ElementSchema,
    #[serde(default, skip_serializing_if = "is_false")]
    pub repeatable: bool,
    /// The element can only carry text: it is an attribute of the parent named after the
    /// element (a list of values when repeatable).
    #[serde(default, skip_serializing_if = "is_false")]
    pub text_only: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub required: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttributeSchema {
    pub xml_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    pub tf_name: String,
    pub kind: ValueKind,
    #[serde(default, skip_serializing_if = "is_false")]
    pub required: bool,
}

/// The values a text or attribute accepts. Patterns use Rust `regex` syntax and must match
/// the whole value (translated from the XSD regexes of the RelaxNG files).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueKind {
    String,
    /// A whole number (Terraform number), with bounds from the datatype and its facets.
    Integer {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<i64>,
    },
    /// A decimal number (Terraform number).
    Number,
    /// One of these literal values.
    Enum(Vec<String>),
    /// A string matching at least one of these regexes.
    Pattern(Vec<String>),
    /// A well-formed XML fragment: content the schema leaves open (`anyName` elements, e.g.
    /// `<metadata>`). Written and read back in canonical form (`mapping::canonical_xml`).
    Xml,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl ElementSchema {
    pub fn child(&self, tf_name: &str) -> Option<&ChildSchema> {
        self.children.iter().find(|c| c.element.tf_name == tf_name)
    }

    pub fn attribute(&self, tf_name: &str) -> Option<&AttributeSchema> {
        self.attributes.iter().find(|a| a.tf_name == tf_name)
    }

    /// True when the element has only text (no attributes, no children).
    pub fn is_text_only(&self) -> bool {
        self.text.is_some() && self.attributes.is_empty() && self.children.is_empty()
    }
}
