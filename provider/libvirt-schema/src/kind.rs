//! Value kinds from RelaxNG datatypes and values, and their union across choice branches.

use crate::model::ValueKind;
use crate::rng::Data;
use crate::xsd_regex;

/// Regex for the lexical form of an integer, used when an integer joins a pattern union.
const INTEGER_REGEX: &str = r"[+-]?[0-9]+";
/// Regex for the lexical form of a decimal number, used when a number joins a pattern union.
const NUMBER_REGEX: &str = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?";
/// XSD's NCName, restricted to ASCII.
const NCNAME_REGEX: &str = r"[A-Za-z_][A-Za-z0-9_.\-]*";
/// Patterns libvirt adds to integer types only to forbid a leading `+`: the value stays a number.
const PLAIN_DIGITS: &[&str] = &["[0-9]+", "-?[0-9]+", "(-|\\+)?[0-9]+"];

/// Bounds implied by the XSD integer types (`None` = the type is not an integer type).
fn integer_type_bounds(type_name: &str) -> Option<(Option<i64>, Option<i64>)> {
    Some(match type_name {
        "integer" | "long" => (None, None),
        "int" => (Some(i32::MIN.into()), Some(i32::MAX.into())),
        "short" => (Some(i16::MIN.into()), Some(i16::MAX.into())),
        "byte" => (Some(i8::MIN.into()), Some(i8::MAX.into())),
        "nonNegativeInteger" | "unsignedLong" => (Some(0), None),
        "unsignedInt" => (Some(0), Some(u32::MAX.into())),
        "unsignedShort" => (Some(0), Some(u16::MAX.into())),
        "unsignedByte" => (Some(0), Some(u8::MAX.into())),
        "positiveInteger" => (Some(1), None),
        "nonPositiveInteger" => (None, Some(0)),
        "negativeInteger" => (None, Some(-1)),
        _ => return None,
    })
}

fn param<'a>(data: &'a Data, name: &str) -> Option<&'a str> {
    data.params
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.trim())
}

fn int_param(data: &Data, name: &str) -> Option<i64> {
    param(data, name).and_then(|v| v.parse().ok())
}

/// The kind of a `<data>` pattern. Only the first `pattern` facet is kept (libvirt never
/// gives two), which can only make validation more permissive.
pub fn from_data(data: &Data) -> ValueKind {
    let pattern = param(data, "pattern");
    if let Some((type_min, type_max)) = integer_type_bounds(&data.type_name) {
        match pattern {
            Some(p) if !PLAIN_DIGITS.contains(&p) => {
                return ValueKind::Pattern(vec![xsd_regex::translate(p)])
            }
            _ => {}
        }
        let min = int_param(data, "minInclusive")
            .or_else(|| int_param(data, "minExclusive").map(|v| v.saturating_add(1)))
            .or(type_min);
        let max = int_param(data, "maxInclusive")
            .or_else(|| int_param(data, "maxExclusive").map(|v| v.saturating_sub(1)))
            .or(type_max);
        return ValueKind::Integer { min, max };
    }
    if matches!(data.type_name.as_str(), "double" | "float" | "decimal") {
        return ValueKind::Number;
    }
    if let Some(p) = pattern {
        return ValueKind::Pattern(vec![xsd_regex::translate(p)]);
    }
    let length = param(data, "length");
    let min_length = param(data, "minLength").or(length);
    let max_length = param(data, "maxLength").or(length);
    if min_length.is_some() || max_length.is_some() {
        return ValueKind::Pattern(vec![format!(
            "(?s).{{{},{}}}",
            min_length.unwrap_or("0"),
            max_length.unwrap_or("")
        )]);
    }
    if data.type_name == "NCName" {
        return ValueKind::Pattern(vec![NCNAME_REGEX.to_string()]);
    }
    ValueKind::String
}

/// Regexes matching every value of `kind` (String and Xml have none: they match anything).
fn as_patterns(kind: &ValueKind) -> Vec<String> {
    match kind {
        ValueKind::String | ValueKind::Xml => vec![],
        ValueKind::Integer { .. } => vec![INTEGER_REGEX.to_string()],
        ValueKind::Number => vec![NUMBER_REGEX.to_string()],
        ValueKind::Enum(values) => values.iter().map(|v| regex::escape(v)).collect(),
        ValueKind::Pattern(patterns) => patterns.clone(),
    }
}

fn union_in_order(mut a: Vec<String>, b: &[String]) -> Vec<String> {
    for item in b {
        if !a.contains(item) {
            a.push(item.clone());
        }
    }
    a
}

fn wider(a: Option<i64>, b: Option<i64>, pick: fn(i64, i64) -> i64) -> Option<i64> {
    Some(pick(a?, b?))
}

/// The kind accepting every value either kind accepts (as tight as the model allows).
pub fn union(a: &ValueKind, b: &ValueKind) -> ValueKind {
    use ValueKind::*;
    match (a, b) {
        _ if a == b => a.clone(),
        // Arbitrary markup also covers plain text.
        (Xml, _) | (_, Xml) => Xml,
        (String, _) | (_, String) => String,
        (Enum(x), Enum(y)) => Enum(union_in_order(x.clone(), y)),
        (Integer { min: a0, max: a1 }, Integer { min: b0, max: b1 }) => Integer {
            min: wider(*a0, *b0, i64::min),
            max: wider(*a1, *b1, i64::max),
        },
        (Number, Integer { .. }) | (Integer { .. }, Number) => Number,
        _ => Pattern(union_in_order(as_patterns(a), &as_patterns(b))),
    }
}

/// Unions optional kinds (None = no value here).
pub fn union_opt(a: Option<ValueKind>, b: Option<&ValueKind>) -> Option<ValueKind> {
    match (a, b) {
        (Some(a), Some(b)) => Some(union(&a, b)),
        (a, b) => a.or_else(|| b.cloned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(type_name: &str, params: &[(&str, &str)]) -> Data {
        Data {
            type_name: type_name.into(),
            params: params
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            except: None,
        }
    }

    #[test]
    fn integer_types_keep_bounds_from_type_and_facets() {
        assert_eq!(
            from_data(&data("unsignedInt", &[("pattern", "[0-9]+")])),
            ValueKind::Integer {
                min: Some(0),
                max: Some(4294967295)
            }
        );
        assert_eq!(
            from_data(&data(
                "int",
                &[("minInclusive", "0"), ("maxInclusive", "255")]
            )),
            ValueKind::Integer {
                min: Some(0),
                max: Some(255)
            }
        );
        assert_eq!(
            from_data(&data("positiveInteger", &[])),
            ValueKind::Integer {
                min: Some(1),
                max: None
            }
        );
    }

    #[test]
    fn integer_type_with_a_restricting_pattern_is_a_pattern() {
        assert_eq!(
            from_data(&data("unsignedInt", &[("pattern", "[0-7]+")])),
            ValueKind::Pattern(vec!["[0-7]+".into()])
        );
    }

    #[test]
    fn strings_keep_patterns_and_lengths() {
        assert_eq!(from_data(&data("string", &[])), ValueKind::String);
        assert_eq!(
            from_data(&data("string", &[("maxLength", "8")])),
            ValueKind::Pattern(vec!["(?s).{0,8}".into()])
        );
        assert_eq!(from_data(&data("double", &[])), ValueKind::Number);
    }

    #[test]
    fn unions() {
        let yes_no = ValueKind::Enum(vec!["yes".into(), "no".into()]);
        let on = ValueKind::Enum(vec!["on".into(), "yes".into()]);
        assert_eq!(
            union(&yes_no, &on),
            ValueKind::Enum(vec!["yes".into(), "no".into(), "on".into()])
        );
        let int = ValueKind::Integer {
            min: Some(0),
            max: Some(10),
        };
        assert_eq!(
            union(&ValueKind::Enum(vec!["a.b".into()]), &int),
            ValueKind::Pattern(vec![r"a\.b".into(), INTEGER_REGEX.into()])
        );
        assert_eq!(union(&ValueKind::String, &int), ValueKind::String);
        assert_eq!(
            union(
                &int,
                &ValueKind::Integer {
                    min: Some(5),
                    max: None
                }
            ),
            ValueKind::Integer {
                min: Some(0),
                max: None
            }
        );
    }
}
