//! DynamicValue codecs: cty's msgpack encoding (every RPC) and its JSON encoding
//! (stored state in UpgradeResourceState, and the JSON field of DynamicValue).

use std::collections::BTreeMap;

use rmp::Marker;

use crate::value::{Number, Refinements, Type, Value};

/// msgpack extension code cty uses for a plain unknown value.
const EXT_UNKNOWN: i8 = 0;
/// msgpack extension code for an unknown value carrying refinements.
const EXT_REFINED_UNKNOWN: i8 = 12;

#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    #[error("malformed msgpack: {0}")]
    Msgpack(String),
    #[error("malformed JSON value: {0}")]
    Json(String),
    #[error("unexpected {found} where the schema expects {expected}")]
    Mismatch { expected: String, found: String },
    #[error("attribute {0:?} is not in the schema")]
    UnknownAttribute(String),
    #[error("invalid type constraint {0}")]
    BadType(String),
    #[error("unknown values cannot be encoded as JSON")]
    UnknownInJson,
}

fn mismatch(expected: &Type, found: impl Into<String>) -> CodecError {
    CodecError::Mismatch {
        expected: format!("{}", expected.to_json()),
        found: found.into(),
    }
}

fn mp_err(e: impl std::fmt::Debug) -> CodecError {
    CodecError::Msgpack(format!("{e:?}"))
}

// ---------------------------------------------------------------- msgpack decode

pub fn decode_msgpack(ty: &Type, bytes: &[u8]) -> Result<Value, CodecError> {
    let mut rd = bytes;
    let v = read_value(ty, &mut rd)?;
    if !rd.is_empty() {
        return Err(CodecError::Msgpack(format!("{} trailing bytes", rd.len())));
    }
    Ok(v)
}

fn peek(rd: &[u8]) -> Result<Marker, CodecError> {
    rd.first()
        .map(|b| Marker::from_u8(*b))
        .ok_or_else(|| CodecError::Msgpack("unexpected end of input".into()))
}

fn take<'a>(rd: &mut &'a [u8], n: usize) -> Result<&'a [u8], CodecError> {
    if rd.len() < n {
        return Err(CodecError::Msgpack("unexpected end of input".into()));
    }
    let (head, tail) = rd.split_at(n);
    *rd = tail;
    Ok(head)
}

fn read_string(rd: &mut &[u8]) -> Result<String, CodecError> {
    let len = rmp::decode::read_str_len(rd).map_err(mp_err)? as usize;
    let raw = take(rd, len)?;
    String::from_utf8(raw.to_vec()).map_err(mp_err)
}

fn read_bytes_or_string(rd: &mut &[u8]) -> Result<Vec<u8>, CodecError> {
    match peek(rd)? {
        Marker::Bin8 | Marker::Bin16 | Marker::Bin32 => {
            let len = rmp::decode::read_bin_len(rd).map_err(mp_err)? as usize;
            Ok(take(rd, len)?.to_vec())
        }
        _ => Ok(read_string(rd)?.into_bytes()),
    }
}

fn read_number(rd: &mut &[u8]) -> Result<Number, CodecError> {
    match peek(rd)? {
        Marker::F32 => Ok(Number::from_f64(
            rmp::decode::read_f32(rd).map_err(mp_err)? as f64
        )),
        Marker::F64 => Ok(Number::from_f64(rmp::decode::read_f64(rd).map_err(mp_err)?)),
        Marker::U64 => Ok(Number::Int(
            rmp::decode::read_u64(rd).map_err(mp_err)?.into(),
        )),
        Marker::FixStr(_) | Marker::Str8 | Marker::Str16 | Marker::Str32 => {
            let s = read_string(rd)?;
            Number::parse(&s).ok_or_else(|| CodecError::Msgpack(format!("bad number {s:?}")))
        }
        _ => Ok(Number::Int(
            rmp::decode::read_int::<i64, _>(rd).map_err(mp_err)?.into(),
        )),
    }
}

fn read_value(ty: &Type, rd: &mut &[u8]) -> Result<Value, CodecError> {
    let marker = peek(rd)?;
    match marker {
        Marker::Null => {
            take(rd, 1)?;
            return Ok(Value::Null);
        }
        Marker::FixExt1
        | Marker::FixExt2
        | Marker::FixExt4
        | Marker::FixExt8
        | Marker::FixExt16
        | Marker::Ext8
        | Marker::Ext16
        | Marker::Ext32 => {
            let meta = rmp::decode::read_ext_meta(rd).map_err(mp_err)?;
            let payload = take(rd, meta.size as usize)?;
            return match meta.typeid {
                EXT_UNKNOWN => Ok(Value::unknown()),
                EXT_REFINED_UNKNOWN => Ok(Value::Unknown(Refinements(payload.to_vec()))),
                other => Err(CodecError::Msgpack(format!(
                    "unexpected extension type {other}"
                ))),
            };
        }
        _ => {}
    }
    match ty {
        Type::String => match marker {
            Marker::FixStr(_) | Marker::Str8 | Marker::Str16 | Marker::Str32 => {
                Ok(Value::String(read_string(rd)?))
            }
            m => Err(mismatch(ty, format!("{m:?}"))),
        },
        Type::Number => Ok(Value::Number(read_number(rd)?)),
        Type::Bool => Ok(Value::Bool(rmp::decode::read_bool(rd).map_err(mp_err)?)),
        Type::List(elem) | Type::Set(elem) => {
            let len = rmp::decode::read_array_len(rd).map_err(mp_err)?;
            let items = (0..len)
                .map(|_| read_value(elem, rd))
                .collect::<Result<_, _>>()?;
            Ok(Value::List(items))
        }
        Type::Tuple(elems) => {
            let len = rmp::decode::read_array_len(rd).map_err(mp_err)? as usize;
            if len != elems.len() {
                return Err(mismatch(ty, format!("tuple of {len} elements")));
            }
            let items = elems
                .iter()
                .map(|t| read_value(t, rd))
                .collect::<Result<_, _>>()?;
            Ok(Value::List(items))
        }
        Type::Map(elem) => {
            let len = rmp::decode::read_map_len(rd).map_err(mp_err)?;
            let mut m = BTreeMap::new();
            for _ in 0..len {
                let k = read_string(rd)?;
                m.insert(k, read_value(elem, rd)?);
            }
            Ok(Value::Map(m))
        }
        Type::Object(attrs) => {
            let len = rmp::decode::read_map_len(rd).map_err(mp_err)?;
            let mut m: BTreeMap<String, Value> =
                attrs.keys().map(|k| (k.clone(), Value::Null)).collect();
            for _ in 0..len {
                let k = read_string(rd)?;
                let at = attrs
                    .get(&k)
                    .ok_or_else(|| CodecError::UnknownAttribute(k.clone()))?;
                let v = read_value(at, rd)?;
                m.insert(k, v);
            }
            Ok(Value::Map(m))
        }
        Type::Dynamic => {
            let len = rmp::decode::read_array_len(rd).map_err(mp_err)?;
            if len != 2 {
                return Err(CodecError::Msgpack(
                    "dynamic value must be [type, value]".into(),
                ));
            }
            let type_json = read_bytes_or_string(rd)?;
            let json: serde_json::Value = serde_json::from_slice(&type_json)
                .map_err(|e| CodecError::BadType(e.to_string()))?;
            let t = Type::from_json(&json)?;
            let v = read_value(&t, rd)?;
            Ok(Value::Dynamic(t, Box::new(v)))
        }
    }
}

/// Skips one msgpack value of any kind (used to walk refinement maps).
pub(crate) fn skip_msgpack(rd: &mut &[u8]) -> Result<(), CodecError> {
    let marker = peek(rd)?;
    match marker {
        Marker::Null | Marker::True | Marker::False | Marker::FixPos(_) | Marker::FixNeg(_) => {
            take(rd, 1)?;
        }
        Marker::U8 | Marker::I8 => drop(take(rd, 2)?),
        Marker::U16 | Marker::I16 => drop(take(rd, 3)?),
        Marker::U32 | Marker::I32 | Marker::F32 => drop(take(rd, 5)?),
        Marker::U64 | Marker::I64 | Marker::F64 => drop(take(rd, 9)?),
        Marker::FixStr(_) | Marker::Str8 | Marker::Str16 | Marker::Str32 => {
            read_string(rd)?;
        }
        Marker::Bin8 | Marker::Bin16 | Marker::Bin32 => {
            read_bytes_or_string(rd)?;
        }
        Marker::FixArray(_) | Marker::Array16 | Marker::Array32 => {
            for _ in 0..rmp::decode::read_array_len(rd).map_err(mp_err)? {
                skip_msgpack(rd)?;
            }
        }
        Marker::FixMap(_) | Marker::Map16 | Marker::Map32 => {
            for _ in 0..rmp::decode::read_map_len(rd).map_err(mp_err)? * 2 {
                skip_msgpack(rd)?;
            }
        }
        _ => {
            let meta = rmp::decode::read_ext_meta(rd).map_err(mp_err)?;
            take(rd, meta.size as usize)?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- msgpack encode

pub fn encode_msgpack(ty: &Type, v: &Value) -> Result<Vec<u8>, CodecError> {
    let mut out = Vec::with_capacity(256);
    write_value(ty, v, &mut out)?;
    Ok(out)
}

fn write_value(ty: &Type, v: &Value, out: &mut Vec<u8>) -> Result<(), CodecError> {
    use rmp::encode as enc;
    let io = |e: std::io::Error| CodecError::Msgpack(e.to_string());
    let vw = |e: rmp::encode::ValueWriteError| CodecError::Msgpack(e.to_string());
    match (ty, v) {
        (_, Value::Null) => enc::write_nil(out).map_err(io)?,
        (_, Value::Unknown(r)) if r.0.is_empty() => {
            enc::write_ext_meta(out, 1, EXT_UNKNOWN).map_err(vw)?;
            out.push(0);
        }
        (_, Value::Unknown(r)) => {
            enc::write_ext_meta(out, r.0.len() as u32, EXT_REFINED_UNKNOWN).map_err(vw)?;
            out.extend_from_slice(&r.0);
        }
        (Type::String, Value::String(s)) => enc::write_str(out, s).map_err(vw)?,
        (Type::Number, Value::Number(n)) => match *n {
            Number::Int(i) if i64::try_from(i).is_ok() => {
                enc::write_sint(out, i as i64).map_err(vw)?;
            }
            Number::Int(i) if u64::try_from(i).is_ok() => {
                enc::write_uint(out, i as u64).map_err(vw)?;
            }
            Number::Int(i) => enc::write_str(out, &i.to_string()).map_err(vw)?,
            Number::Float(f) => enc::write_f64(out, f).map_err(vw)?,
        },
        (Type::Bool, Value::Bool(b)) => enc::write_bool(out, *b).map_err(io)?,
        (Type::List(elem) | Type::Set(elem), Value::List(items)) => {
            enc::write_array_len(out, items.len() as u32).map_err(vw)?;
            for item in items {
                write_value(elem, item, out)?;
            }
        }
        (Type::Tuple(elems), Value::List(items)) if elems.len() == items.len() => {
            enc::write_array_len(out, items.len() as u32).map_err(vw)?;
            for (t, item) in elems.iter().zip(items) {
                write_value(t, item, out)?;
            }
        }
        (Type::Map(elem), Value::Map(m)) => {
            enc::write_map_len(out, m.len() as u32).map_err(vw)?;
            for (k, item) in m {
                enc::write_str(out, k).map_err(vw)?;
                write_value(elem, item, out)?;
            }
        }
        (Type::Object(attrs), Value::Map(m)) => {
            if let Some(extra) = m.keys().find(|k| !attrs.contains_key(*k)) {
                return Err(CodecError::UnknownAttribute(extra.clone()));
            }
            enc::write_map_len(out, attrs.len() as u32).map_err(vw)?;
            for (k, at) in attrs {
                enc::write_str(out, k).map_err(vw)?;
                write_value(at, m.get(k).unwrap_or(&Value::Null), out)?;
            }
        }
        (Type::Dynamic, Value::Dynamic(t, inner)) => {
            enc::write_array_len(out, 2).map_err(vw)?;
            let tj = t.to_json().to_string();
            enc::write_bin(out, tj.as_bytes()).map_err(vw)?;
            write_value(t, inner, out)?;
        }
        (Type::Dynamic, primitive) => {
            let t = primitive_type(primitive).ok_or_else(|| mismatch(ty, describe(primitive)))?;
            write_value(
                &Type::Dynamic,
                &Value::Dynamic(t, Box::new(primitive.clone())),
                out,
            )?;
        }
        (t, Value::Dynamic(_, inner)) => write_value(t, inner, out)?,
        (t, other) => return Err(mismatch(t, describe(other))),
    }
    Ok(())
}

/// The type of a primitive value, for values placed at a dynamic position without one.
fn primitive_type(v: &Value) -> Option<Type> {
    match v {
        Value::String(_) => Some(Type::String),
        Value::Number(_) => Some(Type::Number),
        Value::Bool(_) => Some(Type::Bool),
        _ => None,
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Unknown(_) => "unknown".into(),
        Value::String(_) => "a string".into(),
        Value::Number(_) => "a number".into(),
        Value::Bool(_) => "a bool".into(),
        Value::List(_) => "a list".into(),
        Value::Map(_) => "a map/object".into(),
        Value::Dynamic(t, _) => format!("a dynamic {}", t.to_json()),
    }
}

// ---------------------------------------------------------------- JSON

pub fn decode_json(ty: &Type, bytes: &[u8]) -> Result<Value, CodecError> {
    let json: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| CodecError::Json(e.to_string()))?;
    from_json(ty, &json)
}

pub fn from_json(ty: &Type, j: &serde_json::Value) -> Result<Value, CodecError> {
    use serde_json::Value as J;
    let found = |j: &J| mismatch(ty, j.to_string());
    match (ty, j) {
        (_, J::Null) => Ok(Value::Null),
        (Type::String, J::String(s)) => Ok(Value::String(s.clone())),
        // Terraform's JSON state writes numbers as JSON numbers; strings appear for
        // values converted by older providers, so both are accepted.
        (Type::Number, J::Number(n)) => Number::parse(&n.to_string())
            .map(Value::Number)
            .ok_or_else(|| found(j)),
        (Type::Number, J::String(s)) => Number::parse(s).map(Value::Number).ok_or_else(|| found(j)),
        (Type::Bool, J::Bool(b)) => Ok(Value::Bool(*b)),
        (Type::Bool, J::String(s)) if s == "true" || s == "false" => Ok(Value::Bool(s == "true")),
        (Type::String, J::Number(n)) => Ok(Value::String(n.to_string())),
        (Type::String, J::Bool(b)) => Ok(Value::String(b.to_string())),
        (Type::List(elem) | Type::Set(elem), J::Array(items)) => Ok(Value::List(
            items
                .iter()
                .map(|i| from_json(elem, i))
                .collect::<Result<_, _>>()?,
        )),
        (Type::Tuple(elems), J::Array(items)) if elems.len() == items.len() => Ok(Value::List(
            elems
                .iter()
                .zip(items)
                .map(|(t, i)| from_json(t, i))
                .collect::<Result<_, _>>()?,
        )),
        (Type::Map(elem), J::Object(m)) => Ok(Value::Map(
            m.iter()
                .map(|(k, v)| Ok((k.clone(), from_json(elem, v)?)))
                .collect::<Result<_, CodecError>>()?,
        )),
        (Type::Object(attrs), J::Object(m)) => {
            let mut out = BTreeMap::new();
            for (k, at) in attrs {
                out.insert(
                    k.clone(),
                    m.get(k).map_or(Ok(Value::Null), |v| from_json(at, v))?,
                );
            }
            // Attributes removed from the schema are dropped, as Terraform does when
            // upgrading state of the same schema version.
            Ok(Value::Map(out))
        }
        (Type::Dynamic, J::Object(m)) if m.contains_key("type") && m.contains_key("value") => {
            let t = Type::from_json(&m["type"])?;
            Ok(Value::Dynamic(
                t.clone(),
                Box::new(from_json(&t, &m["value"])?),
            ))
        }
        (t, j) => Err(mismatch(t, j.to_string())),
    }
}

pub fn to_json(ty: &Type, v: &Value) -> Result<serde_json::Value, CodecError> {
    use serde_json::{json, Value as J};
    Ok(match (ty, v) {
        (_, Value::Null) => J::Null,
        (_, Value::Unknown(_)) => return Err(CodecError::UnknownInJson),
        (_, Value::String(s)) => J::String(s.clone()),
        (_, Value::Bool(b)) => J::Bool(*b),
        (_, Value::Number(n)) => match n {
            Number::Int(i) => {
                serde_json::from_str(&i.to_string()).map_err(|e| CodecError::Json(e.to_string()))?
            }
            Number::Float(f) => json!(f),
        },
        (Type::List(elem) | Type::Set(elem), Value::List(items)) => J::Array(
            items
                .iter()
                .map(|i| to_json(elem, i))
                .collect::<Result<_, _>>()?,
        ),
        (Type::Tuple(elems), Value::List(items)) => J::Array(
            elems
                .iter()
                .zip(items)
                .map(|(t, i)| to_json(t, i))
                .collect::<Result<_, _>>()?,
        ),
        (Type::Map(elem), Value::Map(m)) => J::Object(
            m.iter()
                .map(|(k, i)| Ok((k.clone(), to_json(elem, i)?)))
                .collect::<Result<_, CodecError>>()?,
        ),
        (Type::Object(attrs), Value::Map(m)) => J::Object(
            attrs
                .iter()
                .map(|(k, t)| Ok((k.clone(), to_json(t, m.get(k).unwrap_or(&Value::Null))?)))
                .collect::<Result<_, CodecError>>()?,
        ),
        (Type::Dynamic, Value::Dynamic(t, inner)) => {
            json!({"type": t.to_json(), "value": to_json(t, inner)?})
        }
        (t, Value::Dynamic(_, inner)) => to_json(t, inner)?,
        (t, other) => return Err(mismatch(t, describe(other))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn obj_type() -> Type {
        Type::Object(BTreeMap::from([
            ("name".to_string(), Type::String),
            ("size".to_string(), Type::Number),
            ("on".to_string(), Type::Bool),
            ("tags".to_string(), Type::map(Type::String)),
            (
                "items".to_string(),
                Type::list(Type::Object(BTreeMap::from([(
                    "v".to_string(),
                    Type::Number,
                )]))),
            ),
            ("any".to_string(), Type::Dynamic),
        ]))
    }

    fn arb_number() -> impl Strategy<Value = Number> {
        prop_oneof![
            any::<i64>().prop_map(|i| Number::Int(i.into())),
            any::<u64>().prop_map(|i| Number::Int(i.into())),
            (-1.0e12f64..1.0e12).prop_map(Number::from_f64),
        ]
    }

    fn leaf<T: Strategy<Value = Value>>(s: T) -> impl Strategy<Value = Value> {
        prop_oneof![1 => Just(Value::Null), 1 => Just(Value::unknown()), 6 => s]
    }

    fn arb_obj() -> impl Strategy<Value = Value> {
        (
            leaf(".*".prop_map(Value::String)),
            leaf(arb_number().prop_map(Value::Number)),
            leaf(any::<bool>().prop_map(Value::Bool)),
            leaf(
                proptest::collection::btree_map("[a-z]{1,5}", ".*".prop_map(Value::String), 0..4)
                    .prop_map(Value::Map),
            ),
            leaf(
                proptest::collection::vec(
                    arb_number().prop_map(|n| {
                        Value::Map(BTreeMap::from([("v".to_string(), Value::Number(n))]))
                    }),
                    0..4,
                )
                .prop_map(Value::List),
            ),
            leaf(".*".prop_map(|s| Value::Dynamic(Type::String, Box::new(Value::String(s))))),
        )
            .prop_map(|(name, size, on, tags, items, any)| {
                Value::Map(BTreeMap::from([
                    ("name".to_string(), name),
                    ("size".to_string(), size),
                    ("on".to_string(), on),
                    ("tags".to_string(), tags),
                    ("items".to_string(), items),
                    ("any".to_string(), any),
                ]))
            })
    }

    proptest! {
        #[test]
        fn msgpack_round_trips(v in arb_obj()) {
            let ty = obj_type();
            let bytes = encode_msgpack(&ty, &v).unwrap();
            prop_assert_eq!(decode_msgpack(&ty, &bytes).unwrap(), v);
        }

        #[test]
        fn json_round_trips_known_values(v in arb_obj()) {
            let v = v.unknowns_to_null();
            let ty = obj_type();
            let j = to_json(&ty, &v).unwrap();
            prop_assert_eq!(from_json(&ty, &j).unwrap(), v);
        }
    }

    #[test]
    fn plain_unknown_is_fixext1_code_zero() {
        assert_eq!(
            encode_msgpack(&Type::String, &Value::unknown()).unwrap(),
            vec![0xd4, 0, 0]
        );
    }

    #[test]
    fn refined_unknown_keeps_refinements_and_reads_not_null() {
        // ext 12 payload {1: true}: "definitely not null"
        let mut payload = Vec::new();
        rmp::encode::write_map_len(&mut payload, 1).unwrap();
        rmp::encode::write_sint(&mut payload, 1).unwrap();
        rmp::encode::write_bool(&mut payload, true).unwrap();
        let v = Value::Unknown(Refinements(payload));
        let enc = encode_msgpack(&Type::String, &v).unwrap();
        let back = decode_msgpack(&Type::String, &enc).unwrap();
        assert_eq!(back, v);
        match back {
            Value::Unknown(r) => assert!(r.not_null()),
            _ => unreachable!(),
        }
    }

    #[test]
    fn big_numbers_travel_as_strings() {
        let big = Value::Number(Number::Int(1i128 << 100));
        let bytes = encode_msgpack(&Type::Number, &big).unwrap();
        assert_eq!(decode_msgpack(&Type::Number, &bytes).unwrap(), big);
    }

    #[test]
    fn unknown_attribute_is_rejected_with_its_name() {
        let mut bytes = Vec::new();
        rmp::encode::write_map_len(&mut bytes, 1).unwrap();
        rmp::encode::write_str(&mut bytes, "bogus").unwrap();
        rmp::encode::write_nil(&mut bytes).unwrap();
        let err = decode_msgpack(&obj_type(), &bytes).unwrap_err();
        assert!(err.to_string().contains("bogus"), "{err}");
    }

    #[test]
    fn type_json_round_trips() {
        let t = obj_type();
        assert_eq!(Type::from_json(&t.to_json()).unwrap(), t);
    }
}
