//! Terraform's value model (cty): types, values, null and unknown.
//!
//! Values do not carry their type; the schema supplies it when encoding or decoding.
//! The one exception is a value at a `dynamic` position, which travels with its type.

use std::collections::BTreeMap;
use std::fmt;

/// A cty type.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Type {
    String,
    Number,
    Bool,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Object(BTreeMap<String, Type>),
    Tuple(Vec<Type>),
    /// `any` in HCL: the concrete type travels with the value.
    Dynamic,
}

impl Type {
    pub fn list(of: Type) -> Type {
        Type::List(Box::new(of))
    }
    pub fn set(of: Type) -> Type {
        Type::Set(Box::new(of))
    }
    pub fn map(of: Type) -> Type {
        Type::Map(Box::new(of))
    }

    /// The JSON type constraint Terraform uses in schemas and dynamic values.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::json;
        match self {
            Type::String => json!("string"),
            Type::Number => json!("number"),
            Type::Bool => json!("bool"),
            Type::Dynamic => json!("dynamic"),
            Type::List(t) => json!(["list", t.to_json()]),
            Type::Set(t) => json!(["set", t.to_json()]),
            Type::Map(t) => json!(["map", t.to_json()]),
            Type::Object(attrs) => {
                let m: serde_json::Map<_, _> = attrs
                    .iter()
                    .map(|(k, t)| (k.clone(), t.to_json()))
                    .collect();
                json!(["object", m])
            }
            Type::Tuple(ts) => json!(["tuple", ts.iter().map(Type::to_json).collect::<Vec<_>>()]),
        }
    }

    pub fn from_json(v: &serde_json::Value) -> Result<Type, crate::codec::CodecError> {
        use crate::codec::CodecError;
        let bad = || CodecError::BadType(v.to_string());
        match v {
            serde_json::Value::String(s) => match s.as_str() {
                "string" => Ok(Type::String),
                "number" => Ok(Type::Number),
                "bool" => Ok(Type::Bool),
                "dynamic" => Ok(Type::Dynamic),
                _ => Err(bad()),
            },
            serde_json::Value::Array(parts) if parts.len() >= 2 => {
                let kind = parts[0].as_str().ok_or_else(bad)?;
                match kind {
                    "list" => Ok(Type::list(Type::from_json(&parts[1])?)),
                    "set" => Ok(Type::set(Type::from_json(&parts[1])?)),
                    "map" => Ok(Type::map(Type::from_json(&parts[1])?)),
                    "object" => {
                        let m = parts[1].as_object().ok_or_else(bad)?;
                        let attrs = m
                            .iter()
                            .map(|(k, t)| Ok((k.clone(), Type::from_json(t)?)))
                            .collect::<Result<_, CodecError>>()?;
                        Ok(Type::Object(attrs))
                    }
                    "tuple" => {
                        let ts = parts[1].as_array().ok_or_else(bad)?;
                        Ok(Type::Tuple(
                            ts.iter().map(Type::from_json).collect::<Result<_, _>>()?,
                        ))
                    }
                    _ => Err(bad()),
                }
            }
            _ => Err(bad()),
        }
    }
}

/// A number as Terraform sends it: integers stay exact, everything else is an f64.
/// Values beyond both travel as decimal strings (cty's big numbers).
#[derive(Clone, Debug)]
pub enum Number {
    Int(i128),
    Float(f64),
}

impl Number {
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Number::Int(i) => i64::try_from(i).ok(),
            Number::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(f as i64),
            Number::Float(_) => None,
        }
    }
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Number::Int(i) => u64::try_from(i).ok(),
            Number::Float(f) if f.fract() == 0.0 && (0.0..1.8e19).contains(&f) => Some(f as u64),
            Number::Float(_) => None,
        }
    }
    pub fn as_f64(&self) -> f64 {
        match *self {
            Number::Int(i) => i as f64,
            Number::Float(f) => f,
        }
    }
    /// Parses the decimal forms cty produces (integers, decimals, exponents).
    pub fn parse(s: &str) -> Option<Number> {
        if let Ok(i) = s.parse::<i128>() {
            return Some(Number::Int(i));
        }
        s.parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(Number::from_f64)
    }
    /// Floats that hold an integer are stored as integers, so 2048.0 == 2048.
    pub fn from_f64(f: f64) -> Number {
        if f.fract() == 0.0 && f.abs() < 1.0e18 {
            Number::Int(f as i128)
        } else {
            Number::Float(f)
        }
    }
}

impl PartialEq for Number {
    fn eq(&self, other: &Number) -> bool {
        match (self, other) {
            (Number::Int(a), Number::Int(b)) => a == b,
            _ => self.as_f64() == other.as_f64(),
        }
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Number::Int(i) => write!(f, "{i}"),
            Number::Float(x) => write!(f, "{x}"),
        }
    }
}

impl From<i64> for Number {
    fn from(i: i64) -> Number {
        Number::Int(i.into())
    }
}
impl From<u64> for Number {
    fn from(i: u64) -> Number {
        Number::Int(i.into())
    }
}

/// Refinements Terraform attaches to an unknown value (e.g. "will not be null"),
/// kept as the raw msgpack payload so they round-trip unchanged.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Refinements(pub Vec<u8>);

impl Refinements {
    /// Key 1 of the refinement map: the value is known not to be null.
    pub fn not_null(&self) -> bool {
        let mut rd = self.0.as_slice();
        let Ok(len) = rmp::decode::read_map_len(&mut rd) else {
            return false;
        };
        for _ in 0..len {
            let Ok(key) = rmp::decode::read_int::<i64, _>(&mut rd) else {
                return false;
            };
            if key == 1 {
                return rmp::decode::read_bool(&mut rd).unwrap_or(false);
            }
            if crate::codec::skip_msgpack(&mut rd).is_err() {
                return false;
            }
        }
        false
    }
}

/// A Terraform value.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Value {
    #[default]
    Null,
    Unknown(Refinements),
    String(String),
    Number(Number),
    Bool(bool),
    /// List, set or tuple elements (the type tells which).
    List(Vec<Value>),
    /// Map entries or object attributes (the type tells which).
    Map(BTreeMap<String, Value>),
    /// A value at a `dynamic` position, with its concrete type.
    Dynamic(Type, Box<Value>),
}

impl Value {
    pub fn unknown() -> Value {
        Value::Unknown(Refinements::default())
    }
    pub fn string(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }
    pub fn number(n: impl Into<Number>) -> Value {
        Value::Number(n.into())
    }
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown(_))
    }
    /// True when neither this value nor anything inside it is unknown.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown(_) => false,
            Value::List(items) => items.iter().all(Value::is_wholly_known),
            Value::Map(m) => m.values().all(Value::is_wholly_known),
            Value::Dynamic(_, v) => v.is_wholly_known(),
            _ => true,
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }
    pub fn as_number(&self) -> Option<&Number> {
        match self {
            Value::Number(n) => Some(n),
            _ => None,
        }
    }
    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(v) => Some(v),
            _ => None,
        }
    }
    pub fn as_map(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }
    /// Attribute `name` of an object (Null when absent or when self is not an object).
    pub fn get(&self, name: &str) -> &Value {
        static NULL: Value = Value::Null;
        match self {
            Value::Map(m) => m.get(name).unwrap_or(&NULL),
            _ => &NULL,
        }
    }
    /// Mutable attribute of an object value; None when self is not an object.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut Value> {
        match self {
            Value::Map(m) => m.get_mut(name),
            _ => None,
        }
    }
    /// Sets attribute `name` of an object value (no-op on non-objects).
    pub fn set(&mut self, name: &str, v: Value) {
        if let Value::Map(m) = self {
            m.insert(name.to_string(), v);
        }
    }
    /// Replaces every unknown inside this value by null.
    pub fn unknowns_to_null(self) -> Value {
        match self {
            Value::Unknown(_) => Value::Null,
            Value::List(items) => {
                Value::List(items.into_iter().map(Value::unknowns_to_null).collect())
            }
            Value::Map(m) => Value::Map(
                m.into_iter()
                    .map(|(k, v)| (k, v.unknowns_to_null()))
                    .collect(),
            ),
            Value::Dynamic(t, v) => Value::Dynamic(t, Box::new(v.unknowns_to_null())),
            v => v,
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_string())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}
impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Number(i.into())
    }
}
impl From<u64> for Value {
    fn from(i: u64) -> Value {
        Value::Number(i.into())
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(o: Option<T>) -> Value {
        o.map_or(Value::Null, Into::into)
    }
}
