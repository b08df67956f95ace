//! The Terraform view of a generated libvirt XML schema: the resource schema derived
//! from it, and conversions between Terraform values and the neutral XML tree.
//!
//! Rule (DESIGN.md): XML attribute -> attribute; text-only element -> attribute;
//! other element -> nested block (a list, at most one unless repeatable); text of an
//! element with attributes -> attribute `value`.

use std::collections::BTreeMap;
use std::net::IpAddr;

use libvirt_schema::mapping::{self, Field, PathStep};
use libvirt_schema::{ElementSchema, ValueKind};
use tfplugin::{Attribute, AttributePath, Block, Diagnostics, NestedBlock, Number, Type, Value};

/// How one XML-derived attribute behaves, decided per resource from its path of
/// Terraform names (e.g. `["ip", "dhcp", "host", "mac"]`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Policy {
    /// Changing it requires a new object.
    pub force_new: bool,
    /// libvirt assigns it when unset, and users need to reference it (uuid, key).
    pub computed: bool,
}

pub type PolicyFn = fn(&[&str]) -> Policy;

/// A libvirt document type seen through Terraform.
pub struct XmlMapping {
    element: &'static ElementSchema,
    /// The Terraform block covering the XML (resource-specific extras are added by the caller).
    pub block: Block,
}

impl XmlMapping {
    pub fn new(element: &'static ElementSchema, policy: PolicyFn) -> Self {
        let block = tf_block(element, &mut Vec::new(), policy);
        Self { element, block }
    }

    pub fn root_element(&self) -> &'static str {
        &self.element.xml_name
    }

    /// Renders the XML-derived part of a (wholly known) resource value.
    pub fn to_xml(&self, v: &Value) -> Result<String, Diagnostics> {
        let tree = to_tree(self.element, v);
        mapping::to_xml(self.element, &tree)
            .map_err(|e| Diagnostics::error("Cannot build the libvirt XML", e.to_string()))
    }

    /// Parses libvirt's XML into a resource value (extras left null).
    pub fn from_xml(&self, xml: &str, extras: &Block) -> Result<Value, Diagnostics> {
        let tree = mapping::from_xml(self.element, xml).map_err(|e| {
            Diagnostics::error(
                format!("Cannot read libvirt's <{}> XML", self.element.xml_name),
                e.to_string(),
            )
        })?;
        let mut v = from_tree(self.element, &self.block, &tree);
        for a in &extras.attributes {
            v.set(&a.name, Value::Null);
        }
        Ok(v)
    }

    /// Renders one nested element (e.g. `ip.dhcp.host`) on its own, for live updates.
    pub fn element_xml(&self, tf_path: &[&str], v: &Value) -> Result<String, Diagnostics> {
        let mut el = self.element;
        for step in tf_path {
            el = &el
                .child(step)
                .ok_or_else(|| Diagnostics::error("Unknown element", tf_path.join(".")))?
                .element;
        }
        mapping::to_xml(el, &to_tree(el, v))
            .map_err(|e| Diagnostics::error("Cannot build the libvirt XML", e.to_string()))
    }

    /// Plan-time checks of the XML-derived values against libvirt's schema: enums,
    /// patterns, ranges, required fields. Unknown values are skipped.
    pub fn validate(&self, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        let known_only = config.is_wholly_known();
        let tree = to_tree(self.element, config);
        for e in mapping::validate(self.element, &tree) {
            // Required-field errors are only trustworthy when nothing is unknown.
            if !known_only && e.message.contains("required") {
                continue;
            }
            let path = tf_path(self.element, &e.path);
            let summary = if e.message.contains("missing") {
                format!("Missing {path}")
            } else {
                format!("Invalid value for {path}")
            };
            diags.push_error_at(path, summary, e.message);
        }
        diags
    }
}

// ---------------------------------------------------------------- schema

fn kind_type(kind: &ValueKind) -> Type {
    match kind {
        ValueKind::Integer { .. } | ValueKind::Number => Type::Number,
        _ => Type::String,
    }
}

fn describe_kind(kind: &ValueKind) -> String {
    match kind {
        ValueKind::Enum(values) => format!(
            " One of: {}.",
            values
                .iter()
                .map(|v| format!("`{v}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        ValueKind::Integer { min, max } => match (min, max) {
            (Some(a), Some(b)) => format!(" Integer from {a} to {b}."),
            (Some(a), None) => format!(" Integer, at least {a}."),
            _ => " Integer.".to_string(),
        },
        _ => String::new(),
    }
}

fn tf_block(el: &ElementSchema, path: &mut Vec<String>, policy: PolicyFn) -> Block {
    let mut block = Block::new().describe(format!("Maps to the XML element `<{}>`.", el.xml_name));
    let add =
        |block: &mut Block, name: &str, ty: Type, required: bool, doc: String, path: &[String]| {
            let mut p: Vec<&str> = path.iter().map(String::as_str).collect();
            p.push(name);
            let pol = policy(&p);
            let mut a = if pol.computed {
                Attribute::optional_computed(name, ty)
            } else if required {
                Attribute::required(name, ty)
            } else {
                Attribute::optional(name, ty)
            };
            a = a.describe(doc);
            if pol.force_new {
                a = a.force_new();
            }
            block.attributes.push(a);
        };
    for at in &el.attributes {
        let doc = format!(
            "XML attribute `{}` of `<{}>`.{}",
            at.xml_name,
            el.xml_name,
            describe_kind(&at.kind)
        );
        add(
            &mut block,
            &at.tf_name,
            kind_type(&at.kind),
            at.required,
            doc,
            path,
        );
    }
    if let Some(kind) = &el.text {
        if !el.is_text_only() {
            let doc = format!(
                "Text content of `<{}>`.{}",
                el.xml_name,
                describe_kind(kind)
            );
            add(
                &mut block,
                libvirt_schema::TEXT_FIELD,
                kind_type(kind),
                false,
                doc,
                path,
            );
        }
    }
    for c in &el.children {
        let ce = &c.element;
        if c.text_only {
            let kind = ce.text.clone().unwrap_or(ValueKind::String);
            let base = kind_type(&kind);
            let ty = if c.repeatable { Type::list(base) } else { base };
            let doc = format!(
                "Text of the XML element `<{}>`.{}",
                ce.xml_name,
                describe_kind(&kind)
            );
            add(
                &mut block,
                &ce.tf_name,
                ty,
                c.required && !c.repeatable,
                doc,
                path,
            );
        } else {
            path.push(ce.tf_name.clone());
            let inner = tf_block(ce, path, policy);
            path.pop();
            let nb = if c.repeatable {
                NestedBlock::list(&ce.tf_name, inner)
            } else {
                NestedBlock::at_most_one(&ce.tf_name, inner)
            };
            // libvirt's schema requires it: Terraform then says so in docs and at validate.
            let nb = if c.required { nb.min(1) } else { nb };
            block.blocks.push(nb);
        }
    }
    block
}

// ---------------------------------------------------------------- values <-> tree

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(if *b { "yes" } else { "no" }.to_string()),
        _ => None,
    }
}

/// The neutral tree of a value; null and unknown leaves are left out.
fn to_tree(el: &ElementSchema, v: &Value) -> mapping::Block {
    let mut out = mapping::Block::default();
    for at in &el.attributes {
        if let Some(s) = scalar_text(v.get(&at.tf_name)) {
            out.fields.insert(at.tf_name.clone(), Field::Text(s));
        }
    }
    if el.text.is_some() && !el.is_text_only() {
        if let Some(s) = scalar_text(v.get(libvirt_schema::TEXT_FIELD)) {
            out.fields
                .insert(libvirt_schema::TEXT_FIELD.to_string(), Field::Text(s));
        }
    }
    for c in &el.children {
        let name = &c.element.tf_name;
        let field = match (c.text_only, v.get(name)) {
            (true, Value::List(items)) => Some(Field::TextList(
                items.iter().filter_map(scalar_text).collect(),
            )),
            (true, scalar) => scalar_text(scalar).map(Field::Text),
            (false, Value::List(items)) if c.repeatable => Some(Field::Blocks(
                items.iter().map(|i| to_tree(&c.element, i)).collect(),
            )),
            (false, Value::List(items)) => {
                items.first().map(|i| Field::Block(to_tree(&c.element, i)))
            }
            _ => None,
        };
        if let Some(f) = field {
            out.fields.insert(name.clone(), f);
        }
    }
    out
}

fn typed(text: &str, ty: &Type) -> Value {
    match ty {
        Type::Number => match Number::parse(text) {
            Some(n) => Value::Number(n),
            None => {
                tracing::debug!("libvirt wrote {text:?} where a number was expected; left null");
                Value::Null
            }
        },
        _ => Value::String(text.to_string()),
    }
}

/// The Terraform value of a neutral tree, with every attribute of `block` present.
fn from_tree(el: &ElementSchema, block: &Block, tree: &mapping::Block) -> Value {
    let mut v = block.empty_value();
    for a in &block.attributes {
        let val = match (tree.fields.get(&a.name), &a.ty) {
            (Some(Field::Text(s)), ty) => typed(s, ty),
            (Some(Field::TextList(items)), Type::List(et)) => {
                Value::List(items.iter().map(|s| typed(s, et)).collect())
            }
            _ => Value::Null,
        };
        v.set(&a.name, val);
    }
    for nb in &block.blocks {
        let Some(child) = el.child(&nb.name) else {
            continue;
        };
        let items = match tree.fields.get(&nb.name) {
            Some(Field::Block(b)) => vec![from_tree(&child.element, &nb.block, b)],
            Some(Field::Blocks(bs)) => bs
                .iter()
                .map(|b| from_tree(&child.element, &nb.block, b))
                .collect(),
            _ => vec![],
        };
        v.set(&nb.name, Value::List(items));
    }
    v
}

/// Maps a path in the neutral tree to a Terraform attribute path: single child blocks
/// are lists of one in Terraform, so they gain an index 0.
fn tf_path(root: &ElementSchema, path: &mapping::Path) -> AttributePath {
    let mut out = AttributePath::root();
    let mut el = Some(root);
    let mut steps = path.0.iter().peekable();
    while let Some(step) = steps.next() {
        match step {
            PathStep::Field(name) => {
                out = out.push_attr(name);
                let child = el.and_then(|e| e.child(name));
                el = child.map(|c| &c.element);
                // A single block is a list of one in Terraform: index it when the path goes
                // inside it (a missing block itself is named without an index).
                if let Some(c) = child {
                    let inside = matches!(steps.peek(), Some(PathStep::Field(_)));
                    if !c.repeatable && !c.text_only && inside {
                        out = out.push_index(0);
                    }
                }
            }
            PathStep::Index(i) => out = out.push_index(*i),
        }
    }
    out
}

// ---------------------------------------------------------------- read reconciliation

/// Shapes what libvirt reports like what the user wrote: attributes the user never set
/// stay null (libvirt's defaults cause no diff), blocks libvirt added are dropped, and
/// values equal in meaning (units, letter case of MACs/UUIDs, 0x-numbers) keep the
/// user's spelling. Anything else that differs is real drift and is kept.
pub fn reconcile(block: &Block, read: &Value, prior: &Value) -> Value {
    let mut out = read.clone();
    let scaled = scaled_equal(read, prior);
    for a in &block.attributes {
        let (r, p) = (read.get(&a.name), prior.get(&a.name));
        let scaled_part = scaled && (a.name == "unit" || a.name == libvirt_schema::TEXT_FIELD);
        let keep = if p.is_null() && !a.is_computed() {
            Value::Null
        } else if scaled_part || same_meaning(r, p) {
            p.clone()
        } else {
            r.clone()
        };
        out.set(&a.name, keep);
    }
    for nb in &block.blocks {
        let (r, p) = (read.get(&nb.name), prior.get(&nb.name));
        let (Some(rs), Some(ps)) = (r.as_list(), p.as_list()) else {
            continue;
        };
        let items = if ps.is_empty() {
            vec![]
        } else if rs.is_empty() && says_nothing(&nb.block, ps) {
            // libvirt drops an element written with nothing in it: that is no drift.
            ps.to_vec()
        } else {
            rs.iter()
                .enumerate()
                .map(|(i, ri)| reconcile(&nb.block, ri, ps.get(i).unwrap_or(ri)))
                .collect()
        };
        out.set(&nb.name, Value::List(items));
    }
    out
}

/// True when none of `items` sets anything, for an element that could carry something
/// (a pure presence element such as `<acpi/>` means something by existing).
fn says_nothing(block: &Block, items: &[Value]) -> bool {
    let presence_only = block.attributes.is_empty() && block.blocks.is_empty();
    let empty = |v: &Value| {
        block.attributes.iter().all(|a| v.get(&a.name).is_null())
            && block
                .blocks
                .iter()
                .all(|nb| v.get(&nb.name).as_list().is_none_or(<[Value]>::is_empty))
    };
    !presence_only && items.iter().all(empty)
}

fn same_meaning(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => {
            x == y
                || (x.eq_ignore_ascii_case(y)
                    && x.chars()
                        .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '-'))
                || matches!((parse_int(x), parse_int(y)), (Some(m), Some(n)) if m == n)
                || matches!((uuid_hex(x), uuid_hex(y)), (Some(m), Some(n)) if m == n)
                || matches!((x.parse::<IpAddr>(), y.parse::<IpAddr>()), (Ok(m), Ok(n)) if m == n)
                || matches!((clean_path(x), clean_path(y)), (Some(m), Some(n)) if m == n)
        }
        (Value::List(xs), Value::List(ys)) => {
            xs.len() == ys.len() && xs.iter().zip(ys).all(|(x, y)| same_meaning(x, y))
        }
        _ => a == b,
    }
}

/// A UUID's 32 hex digits in lower case; libvirt writes UUIDs given without dashes
/// with them.
fn uuid_hex(s: &str) -> Option<String> {
    let hex: String = s.chars().filter(|c| *c != '-').collect();
    (hex.len() == 32 && hex.chars().all(|c| c.is_ascii_hexdigit()))
        .then(|| hex.to_ascii_lowercase())
}

/// An absolute path without repeated or trailing slashes, as libvirt stores paths.
fn clean_path(s: &str) -> Option<String> {
    if !s.starts_with('/') {
        return None;
    }
    let parts: Vec<&str> = s.split('/').filter(|p| !p.is_empty()).collect();
    Some(format!("/{}", parts.join("/")))
}

fn parse_int(s: &str) -> Option<i128> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => i128::from_str_radix(hex, 16).ok(),
        None => s.parse().ok(),
    }
}

/// libvirt's scaled-integer units, in bytes, spelled as libvirt reads them (case does
/// not matter): `b`, `byte`, `bytes`; or a power letter `k m g t p e` alone or followed
/// by `iB` (powers of 1024), or followed by `B` (powers of 1000).
pub fn unit_bytes(unit: &str) -> Option<u128> {
    let unit = unit.to_ascii_lowercase();
    if matches!(unit.as_str(), "b" | "byte" | "bytes") {
        return Some(1);
    }
    let (letter, suffix) = unit.split_at_checked(1)?;
    let power = match letter {
        "k" => 1,
        "m" => 2,
        "g" => 3,
        "t" => 4,
        "p" => 5,
        "e" => 6,
        _ => return None,
    };
    let base: u128 = match suffix {
        "" | "ib" => 1024,
        "b" => 1000,
        _ => return None,
    };
    Some(base.pow(power))
}

/// True when both values are `{value, unit}` blocks naming the same quantity. A unit the
/// user left out is libvirt's default for that element, which is the unit it reports.
fn scaled_equal(read: &Value, prior: &Value) -> bool {
    let field = libvirt_schema::TEXT_FIELD;
    let (Some(rv), Some(pv)) = (read.get(field).as_number(), prior.get(field).as_number()) else {
        return false;
    };
    let r_unit = read.get("unit").as_str().unwrap_or("");
    let p_unit = prior.get("unit").as_str().unwrap_or(r_unit);
    let bytes = |n: &Number, u: &str| -> Option<u128> {
        let scale = if u.is_empty() { 1 } else { unit_bytes(u)? };
        Some(u128::from(n.as_u64()?) * scale)
    };
    matches!((bytes(rv, r_unit), bytes(pv, p_unit)), (Some(a), Some(b)) if a == b)
}

/// Object values of `block` keyed by attribute, for building values in resources.
pub fn object(pairs: impl IntoIterator<Item = (&'static str, Value)>) -> Value {
    Value::Map(
        pairs
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect::<BTreeMap<_, _>>(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_policy(_: &[&str]) -> Policy {
        Policy::default()
    }

    #[test]
    fn network_schema_follows_the_mechanical_rule() {
        let m = XmlMapping::new(libvirt_schema::network(), no_policy);
        assert!(
            m.block.attribute("name").is_some(),
            "text-only <name> is an attribute"
        );
        let ip = m.block.nested("ip").expect("<ip> is a block");
        assert_eq!(ip.max_items, 0, "<ip> repeats");
        let forward = m.block.nested("forward").expect("<forward> is a block");
        assert_eq!(forward.max_items, 1, "<forward> appears once");
        assert!(forward.block.attribute("mode").is_some());
    }

    #[test]
    fn value_round_trips_through_xml() {
        let m = XmlMapping::new(libvirt_schema::network(), no_policy);
        let mut v = m.block.empty_value();
        v.set("name", "net1".into());
        let mut fwd = m.block.nested("forward").unwrap().block.empty_value();
        fwd.set("mode", "nat".into());
        v.set("forward", Value::List(vec![fwd]));
        let mut ip = m.block.nested("ip").unwrap().block.empty_value();
        ip.set("address", "10.0.0.1".into());
        ip.set("prefix", Value::number(24i64));
        v.set("ip", Value::List(vec![ip]));
        let xml = m.to_xml(&v).unwrap();
        assert!(
            xml.contains("<forward mode=\"nat\"") || xml.contains("<forward mode='nat'"),
            "{xml}"
        );
        let back = m.from_xml(&xml, &Block::new()).unwrap();
        assert_eq!(back, v);
    }

    #[test]
    fn reconcile_keeps_user_units_and_drops_libvirt_defaults() {
        let m = XmlMapping::new(libvirt_schema::storage_volume(), no_policy);
        let cap = |value: u64, unit: Option<&str>| {
            tfmap_obj(&[("value", Value::number(value)), ("unit", unit.into())])
        };
        let mut prior = m.block.empty_value();
        prior.set("name", "v".into());
        prior.set("capacity", Value::List(vec![cap(1, Some("GiB"))]));
        let mut read = prior.clone();
        read.set("capacity", Value::List(vec![cap(1 << 30, Some("bytes"))]));
        read.set("key", "/pool/v".into());
        let r = reconcile(&m.block, &read, &prior);
        assert_eq!(r.get("capacity"), prior.get("capacity"));
        assert!(
            r.get("key").is_null(),
            "unset, non-computed attributes stay null"
        );

        read.set("capacity", Value::List(vec![cap(2 << 30, Some("bytes"))]));
        let r = reconcile(&m.block, &read, &prior);
        assert_ne!(
            r.get("capacity"),
            prior.get("capacity"),
            "a real size change is drift"
        );
    }

    fn tfmap_obj(pairs: &[(&str, Value)]) -> Value {
        Value::Map(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn validation_points_at_the_attribute() {
        let m = XmlMapping::new(libvirt_schema::network(), no_policy);
        let mut v = m.block.empty_value();
        v.set("name", "n".into());
        let mut fwd = m.block.nested("forward").unwrap().block.empty_value();
        fwd.set("mode", "bogus".into());
        v.set("forward", Value::List(vec![fwd]));
        let d = m.validate(&v);
        assert!(d.has_errors());
        assert_eq!(d.0[0].path.as_ref().unwrap().to_string(), "forward[0].mode");
    }
}
