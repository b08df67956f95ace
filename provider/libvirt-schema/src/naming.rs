//! Terraform names for XML names, and the exception table for names that would clash.

use serde::Serialize;

/// Where a name exception applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExceptionScope {
    /// An attribute or child of the document's root element (the resource's top level).
    ResourceTopLevel,
    /// Any attribute or child anywhere in the tree.
    Anywhere,
    /// A child element that becomes a nested block (and so a type in Pulumi's SDKs).
    NestedBlock,
    /// An element with text plus attributes or children: its text is the field `value`.
    BesideText,
    /// A child element whose name equals an attribute of the same element.
    BesideAttribute,
}

/// A rename rule. `renamed` is a template: `{element}` is the owning element's tf name,
/// `{name}` the clashing name.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct NameException {
    /// The clashing tf name; `*` for any name (in-block clashes).
    pub name: &'static str,
    pub scope: ExceptionScope,
    pub renamed: &'static str,
    pub reason: &'static str,
}

const TF_META: &str = "Terraform meta-argument, reserved at the top level of every resource";
const PULUMI_SUFFIX: &str =
    "Pulumi names a nested block's type parent type + TitleCase(name), and its Go \
     SDK adds Args/Input/Output/Ptr/Array/Map to type names: a block named so would collide with \
     its parent type's variants (e.g. <devices><input> -> DomainDevicesInput)";

/// The only names that do not follow the mechanical XML -> HCL rule.
pub const EXCEPTIONS: &[NameException] = &[
    NameException {
        name: "id",
        scope: ExceptionScope::ResourceTopLevel,
        renamed: "{element}_id",
        reason: "`id` is the resource's computed identity (UUID or key), not the XML's id",
    },
    NameException {
        name: "count",
        scope: ExceptionScope::ResourceTopLevel,
        renamed: "{element}_count",
        reason: TF_META,
    },
    NameException {
        name: "provider",
        scope: ExceptionScope::ResourceTopLevel,
        renamed: "{element}_provider",
        reason: TF_META,
    },
    NameException {
        name: "lifecycle",
        scope: ExceptionScope::ResourceTopLevel,
        renamed: "{element}_lifecycle",
        reason: TF_META,
    },
    NameException {
        name: "depends_on",
        scope: ExceptionScope::ResourceTopLevel,
        renamed: "{element}_depends_on",
        reason: TF_META,
    },
    NameException {
        name: "for_each",
        scope: ExceptionScope::ResourceTopLevel,
        renamed: "{element}_for_each",
        reason: TF_META,
    },
    NameException {
        name: "connection",
        scope: ExceptionScope::ResourceTopLevel,
        renamed: "{element}_connection",
        reason: "Terraform reserves `connection` blocks for provisioners",
    },
    NameException {
        name: "provisioner",
        scope: ExceptionScope::ResourceTopLevel,
        renamed: "{element}_provisioner",
        reason: TF_META,
    },
    NameException {
        name: "timeouts",
        scope: ExceptionScope::ResourceTopLevel,
        renamed: "{element}_timeouts",
        reason: "Terraform's conventional operation-timeouts block",
    },
    NameException {
        name: "urn",
        scope: ExceptionScope::Anywhere,
        renamed: "{element}_urn",
        reason: "Pulumi reserves `urn` on every resource and nested type",
    },
    NameException {
        name: "pulumi",
        scope: ExceptionScope::Anywhere,
        renamed: "{element}_pulumi",
        reason: "Pulumi reserves `pulumi`",
    },
    NameException {
        name: "input",
        scope: ExceptionScope::NestedBlock,
        renamed: "{element}_{name}",
        reason: PULUMI_SUFFIX,
    },
    NameException {
        name: "output",
        scope: ExceptionScope::NestedBlock,
        renamed: "{element}_{name}",
        reason: PULUMI_SUFFIX,
    },
    NameException {
        name: "args",
        scope: ExceptionScope::NestedBlock,
        renamed: "{element}_{name}",
        reason: PULUMI_SUFFIX,
    },
    NameException {
        name: "ptr",
        scope: ExceptionScope::NestedBlock,
        renamed: "{element}_{name}",
        reason: PULUMI_SUFFIX,
    },
    NameException {
        name: "array",
        scope: ExceptionScope::NestedBlock,
        renamed: "{element}_{name}",
        reason: PULUMI_SUFFIX,
    },
    NameException {
        name: "map",
        scope: ExceptionScope::NestedBlock,
        renamed: "{element}_{name}",
        reason: PULUMI_SUFFIX,
    },
    NameException {
        name: "value",
        scope: ExceptionScope::BesideText,
        renamed: "value_{kind}",
        reason: "`value` holds the element's text; an XML attribute or child named `value` \
                 there becomes `value_attribute` / `value_element`",
    },
    NameException {
        name: "*",
        scope: ExceptionScope::BesideAttribute,
        renamed: "{name}_element",
        reason: "an attribute and a child element of the same name cannot share one HCL name \
                 (e.g. <os firmware=...><firmware>); the attribute keeps the name",
    },
];

/// The mechanical rule: characters HCL identifiers do not take (`-`, `.`, ...) become `_`,
/// and camelCase becomes snake_case (`backingStore` -> `backing_store`), because Terraform
/// accepts only lowercase letters, digits and underscores in schema names.
pub fn tf_name(xml_local: &str) -> String {
    let chars: Vec<char> = xml_local.chars().collect();
    let mut out = String::with_capacity(chars.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            if prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_lower)
            {
                out.push('_');
            }
        }
        out.push(if c.is_ascii_alphanumeric() {
            c.to_ascii_lowercase()
        } else {
            '_'
        });
    }
    out
}

/// The prefix written for a namespace URI: the path segment naming it, skipping a trailing
/// version (`http://libvirt.org/schemas/domain/qemu/1.0` -> `qemu`).
pub fn namespace_prefix(uri: &str) -> String {
    let mut segments = uri
        .trim_end_matches('/')
        .rsplit(['/', ':'])
        .filter(|s| !s.is_empty());
    let last = segments.next().unwrap_or("ns");
    let chosen = if last.starts_with(|c: char| c.is_ascii_digit()) {
        segments.next().unwrap_or(last)
    } else {
        last
    };
    tf_name(chosen)
}

/// Finds the exception for `name` in `scope`.
pub fn exception(scope: ExceptionScope, name: &str) -> Option<&'static NameException> {
    EXCEPTIONS
        .iter()
        .find(|e| e.scope == scope && (e.name == name || e.name == "*"))
}

/// Applies an exception's template.
pub fn renamed(exception: &NameException, element: &str, name: &str, kind: &str) -> String {
    exception
        .renamed
        .replace("{element}", element)
        .replace("{name}", name)
        .replace("{kind}", kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_identifiers() {
        assert_eq!(tf_name("trustGuestRxFilters"), "trust_guest_rx_filters");
        assert_eq!(tf_name("classID"), "class_id");
        assert_eq!(tf_name("rx_queue_size"), "rx_queue_size");
        assert_eq!(tf_name("SCSIController"), "scsi_controller");
        assert_eq!(tf_name("seclabel-x.y"), "seclabel_x_y");
    }

    #[test]
    fn namespace_prefixes() {
        assert_eq!(
            namespace_prefix("http://libvirt.org/schemas/domain/qemu/1.0"),
            "qemu"
        );
        assert_eq!(
            namespace_prefix("http://libvirt.org/schemas/network/dnsmasq/1.0"),
            "dnsmasq"
        );
        assert_eq!(namespace_prefix("urn:example:thing"), "thing");
    }

    #[test]
    fn every_exception_has_a_reason_and_a_distinct_result() {
        for e in EXCEPTIONS {
            assert!(!e.reason.is_empty());
            assert_ne!(renamed(e, "domain", e.name, "attribute"), e.name);
        }
        assert!(exception(ExceptionScope::ResourceTopLevel, "id").is_some());
        assert!(exception(ExceptionScope::ResourceTopLevel, "name").is_none());
        assert!(exception(ExceptionScope::BesideAttribute, "firmware").is_some());
    }
}
