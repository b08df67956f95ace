//! Schema model: what a provider, resource or data source accepts, as Terraform sees it,
//! plus one thing Terraform does not see: which attributes force replacement.

use std::collections::BTreeMap;

use crate::value::{Type, Value};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttrMode {
    Required,
    Optional,
    Computed,
    OptionalComputed,
}

#[derive(Clone, Debug)]
pub struct Attribute {
    pub name: String,
    pub ty: Type,
    pub mode: AttrMode,
    pub description: String,
    pub sensitive: bool,
    pub deprecated: bool,
    /// A change to this attribute means the object must be replaced.
    pub force_new: bool,
}

impl Attribute {
    fn new(name: &str, ty: Type, mode: AttrMode) -> Self {
        Self {
            name: name.to_string(),
            ty,
            mode,
            description: String::new(),
            sensitive: false,
            deprecated: false,
            force_new: false,
        }
    }
    pub fn required(name: &str, ty: Type) -> Self {
        Self::new(name, ty, AttrMode::Required)
    }
    pub fn optional(name: &str, ty: Type) -> Self {
        Self::new(name, ty, AttrMode::Optional)
    }
    pub fn computed(name: &str, ty: Type) -> Self {
        Self::new(name, ty, AttrMode::Computed)
    }
    pub fn optional_computed(name: &str, ty: Type) -> Self {
        Self::new(name, ty, AttrMode::OptionalComputed)
    }
    pub fn describe(mut self, d: impl Into<String>) -> Self {
        self.description = d.into();
        self
    }
    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }
    pub fn force_new(mut self) -> Self {
        self.force_new = true;
        self
    }
    pub fn is_computed(&self) -> bool {
        matches!(self.mode, AttrMode::Computed | AttrMode::OptionalComputed)
    }
    pub fn is_settable(&self) -> bool {
        !matches!(self.mode, AttrMode::Computed)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nesting {
    Single,
    List,
    Set,
    Map,
    Group,
}

#[derive(Clone, Debug)]
pub struct NestedBlock {
    pub name: String,
    pub nesting: Nesting,
    pub min_items: i64,
    pub max_items: i64,
    pub block: Block,
}

impl NestedBlock {
    pub fn list(name: &str, block: Block) -> Self {
        Self {
            name: name.to_string(),
            nesting: Nesting::List,
            min_items: 0,
            max_items: 0,
            block,
        }
    }
    /// A block that appears at most once, as a list of at most one element.
    pub fn at_most_one(name: &str, block: Block) -> Self {
        Self {
            max_items: 1,
            ..Self::list(name, block)
        }
    }
    pub fn min(mut self, n: i64) -> Self {
        self.min_items = n;
        self
    }
    /// The value type of this block inside its parent object.
    pub fn value_type(&self) -> Type {
        let obj = self.block.object_type();
        match self.nesting {
            Nesting::Single | Nesting::Group => obj,
            Nesting::List => Type::list(obj),
            Nesting::Set => Type::set(obj),
            Nesting::Map => Type::map(obj),
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Block {
    pub attributes: Vec<Attribute>,
    pub blocks: Vec<NestedBlock>,
    pub description: String,
    pub deprecated: bool,
}

impl Block {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn attr(mut self, a: Attribute) -> Self {
        self.attributes.push(a);
        self
    }
    pub fn block(mut self, b: NestedBlock) -> Self {
        self.blocks.push(b);
        self
    }
    pub fn describe(mut self, d: impl Into<String>) -> Self {
        self.description = d.into();
        self
    }
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }
    pub fn nested(&self, name: &str) -> Option<&NestedBlock> {
        self.blocks.iter().find(|b| b.name == name)
    }
    /// The object type of values conforming to this block.
    pub fn object_type(&self) -> Type {
        let mut attrs: BTreeMap<String, Type> = self
            .attributes
            .iter()
            .map(|a| (a.name.clone(), a.ty.clone()))
            .collect();
        attrs.extend(self.blocks.iter().map(|b| (b.name.clone(), b.value_type())));
        Type::Object(attrs)
    }
    /// An object of this block with every attribute null and every block empty,
    /// the shape Terraform expects even for values the provider never set.
    pub fn empty_value(&self) -> Value {
        let mut m: BTreeMap<String, Value> = self
            .attributes
            .iter()
            .map(|a| (a.name.clone(), Value::Null))
            .collect();
        for b in &self.blocks {
            let empty = match b.nesting {
                Nesting::List | Nesting::Set => Value::List(vec![]),
                Nesting::Map => Value::Map(BTreeMap::new()),
                Nesting::Single | Nesting::Group => Value::Null,
            };
            m.insert(b.name.clone(), empty);
        }
        Value::Map(m)
    }

    /// `v` with every absent (null) nested block made empty, recursively: Terraform
    /// writes "no blocks" as an empty collection, never null. Stored state can lack a
    /// block's key when the block was added to the schema after the state was written.
    pub fn with_empty_blocks(&self, mut v: Value) -> Value {
        if !matches!(v, Value::Map(_)) {
            return v;
        }
        for b in &self.blocks {
            let nested = match (b.nesting, v.get(&b.name).clone()) {
                (Nesting::List | Nesting::Set, Value::Null) => Value::List(vec![]),
                (Nesting::Map, Value::Null) => Value::Map(BTreeMap::new()),
                (Nesting::List | Nesting::Set, Value::List(items)) => Value::List(
                    items
                        .into_iter()
                        .map(|i| b.block.with_empty_blocks(i))
                        .collect(),
                ),
                (Nesting::Map, Value::Map(items)) => Value::Map(
                    items
                        .into_iter()
                        .map(|(k, i)| (k, b.block.with_empty_blocks(i)))
                        .collect(),
                ),
                (Nesting::Single | Nesting::Group, single) => b.block.with_empty_blocks(single),
                (_, other) => other,
            };
            v.set(&b.name, nested);
        }
        v
    }
}

/// A versioned schema for a provider, resource or data source.
#[derive(Clone, Debug, Default)]
pub struct Schema {
    pub version: i64,
    pub block: Block,
}

impl Schema {
    pub fn new(block: Block) -> Self {
        Self { version: 0, block }
    }
    pub fn object_type(&self) -> Type {
        self.block.object_type()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_blocks_become_empty_at_every_level() {
        let block = Block::new()
            .attr(Attribute::optional("name", Type::String))
            .block(NestedBlock::list(
                "ip",
                Block::new().block(NestedBlock::list("dhcp", Block::new())),
            ))
            .block(NestedBlock::list("dns", Block::new()));
        let ip = Value::Map(BTreeMap::new());
        let stored = Value::Map(BTreeMap::from([
            ("name".to_string(), Value::Null),
            ("ip".to_string(), Value::List(vec![ip])),
        ]));
        let fixed = block.with_empty_blocks(stored);
        assert_eq!(fixed.get("dns"), &Value::List(vec![]));
        assert_eq!(fixed.get("name"), &Value::Null, "attributes stay null");
        let ip = &fixed.get("ip").as_list().expect("ip list")[0];
        assert_eq!(ip.get("dhcp"), &Value::List(vec![]));
    }
}
