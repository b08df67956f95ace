//! Property: any valid tree survives to_xml -> from_xml unchanged.

use libvirt_schema::{from_xml, to_xml, validate, Block, ElementSchema, Field, ValueKind};
use proptest::prelude::*;
use proptest::strategy::{BoxedStrategy, Union};

/// Probability that an optional field is present.
const PRESENT: f64 = 0.4;
/// Most repetitions generated for a repeatable field.
const MAX_REPEATS: usize = 3;

fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

fn value(kind: &ValueKind) -> BoxedStrategy<String> {
    let strategy = match kind {
        // Markup characters and whitespace the writer must escape.
        ValueKind::String => "[a-zA-Z0-9 &<>\"'\t\n\r_./:-]{0,12}".boxed(),
        ValueKind::Integer { min, max } => {
            let lo = min.unwrap_or(-1_000_000_000_000);
            let hi = max.unwrap_or(1_000_000_000_000);
            (lo..=hi).prop_map(|v| v.to_string()).boxed()
        }
        ValueKind::Number => (-1.0e6..1.0e6f64).prop_map(|v| v.to_string()).boxed(),
        ValueKind::Enum(values) => proptest::sample::select(values.clone()).boxed(),
        // Raw XML reads back in canonical form: generate canonical fragments.
        ValueKind::Xml => proptest::collection::vec(("[a-z]{1,5}", "[a-z0-9 ]{0,6}"), 0..3)
            .prop_map(|elements| {
                elements
                    .iter()
                    .map(|(name, text)| {
                        let start = format!("x:{name} xmlns:x=\"urn:t\" k=\"{text}\"");
                        if text.is_empty() {
                            format!("<{start}/>")
                        } else {
                            format!("<{start}>{text}</x:{name}>")
                        }
                    })
                    .collect::<Vec<_>>()
                    .concat()
            })
            .boxed(),
        ValueKind::Pattern(patterns) => Union::new(patterns.iter().map(|p| {
            proptest::string::string_regex(p)
                .unwrap_or_else(|e| panic!("cannot generate from pattern {p:?}: {e}"))
                .boxed()
        }))
        .boxed(),
    };
    strategy
        .prop_filter("XML characters only", |v| v.chars().all(is_xml_char))
        .boxed()
}

type Part = BoxedStrategy<Option<(String, Field)>>;

fn optional(required: bool, strategy: BoxedStrategy<(String, Field)>) -> Part {
    if required {
        strategy.prop_map(Some).boxed()
    } else {
        proptest::option::weighted(PRESENT, strategy).boxed()
    }
}

fn repeated<T: std::fmt::Debug + Clone + 'static>(
    required: bool,
    item: BoxedStrategy<T>,
    wrap: fn(Vec<T>) -> Field,
    name: String,
) -> Part {
    let min = usize::from(required);
    proptest::collection::vec(item, min..=MAX_REPEATS)
        .prop_map(move |items| (!items.is_empty()).then(|| (name.clone(), wrap(items))))
        .boxed()
}

fn block(schema: &'static ElementSchema) -> BoxedStrategy<Block> {
    let mut parts: Vec<Part> = Vec::new();
    for attr in &schema.attributes {
        let name = attr.tf_name.clone();
        let field = value(&attr.kind)
            .prop_map(move |v| (name.clone(), Field::Text(v)))
            .boxed();
        parts.push(optional(attr.required, field));
    }
    if let (Some(kind), false) = (&schema.text, schema.is_text_only()) {
        // An element's text next to child elements is only kept when it is not blank.
        let field = value(kind)
            .prop_filter("non-blank text", |v| !v.trim().is_empty())
            .prop_map(|v| (libvirt_schema::TEXT_FIELD.to_string(), Field::Text(v)))
            .boxed();
        parts.push(optional(false, field));
    }
    for child in &schema.children {
        let name = child.element.tf_name.clone();
        let part = match (child.text_only, child.repeatable) {
            (true, true) => {
                let kind = child
                    .element
                    .text
                    .as_ref()
                    .expect("text-only child has text");
                repeated(child.required, value(kind), Field::TextList, name)
            }
            (true, false) => {
                let kind = child
                    .element
                    .text
                    .as_ref()
                    .expect("text-only child has text");
                let field = value(kind)
                    .prop_map(move |v| (name.clone(), Field::Text(v)))
                    .boxed();
                optional(child.required, field)
            }
            (false, true) => repeated(child.required, block(&child.element), Field::Blocks, name),
            (false, false) => {
                let field = block(&child.element)
                    .prop_map(move |b| (name.clone(), Field::Block(b)))
                    .boxed();
                optional(child.required, field)
            }
        };
        parts.push(part);
    }
    parts
        .prop_map(|fields| Block {
            fields: fields.into_iter().flatten().collect(),
        })
        .boxed()
}

fn round_trips(schema: &'static ElementSchema, tree: &Block) -> Result<(), TestCaseError> {
    prop_assert_eq!(validate(schema, tree), vec![]);
    let xml = to_xml(schema, tree).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let back = from_xml(schema, &xml).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(&back, tree, "XML was:\n{}", xml);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn network_round_trips(tree in block(libvirt_schema::network())) {
        round_trips(libvirt_schema::network(), &tree)?;
    }

    #[test]
    fn storage_pool_round_trips(tree in block(libvirt_schema::storage_pool())) {
        round_trips(libvirt_schema::storage_pool(), &tree)?;
    }

    #[test]
    fn domain_round_trips(tree in block(libvirt_schema::domain())) {
        round_trips(libvirt_schema::domain(), &tree)?;
    }

    #[test]
    fn storage_volume_round_trips(tree in block(libvirt_schema::storage_volume())) {
        round_trips(libvirt_schema::storage_volume(), &tree)?;
    }
}
