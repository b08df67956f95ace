//! Applies the exception table to one element's fields and rejects any clash left over.

use super::{AppliedRename, FlattenError};
use crate::model::{ElementSchema, TEXT_FIELD};
use crate::naming::{self, ExceptionScope, NameException};
use std::collections::BTreeSet;

/// Renames the attributes and children of `element` that clash with Terraform, Pulumi, the
/// text field or each other, recording every rename.
pub fn resolve_clashes(
    element: &mut ElementSchema,
    is_root: bool,
    path: &str,
    renames: &mut Vec<AppliedRename>,
) -> Result<(), FlattenError> {
    let has_text_field = element.text.is_some() && !element.is_text_only();
    let owner = element.tf_name.clone();
    let attribute_names: BTreeSet<String> = element
        .attributes
        .iter()
        .map(|a| a.tf_name.clone())
        .collect();

    let mut apply = |xml_name: &str,
                     tf_name: &mut String,
                     kind: &str,
                     is_block: bool,
                     beside_attribute: bool| {
        let mut scopes = vec![ExceptionScope::Anywhere];
        if is_block {
            scopes.push(ExceptionScope::NestedBlock);
        }
        if is_root {
            scopes.push(ExceptionScope::ResourceTopLevel);
        }
        if has_text_field {
            scopes.push(ExceptionScope::BesideText);
        }
        let found: Option<&NameException> = scopes
            .into_iter()
            .find_map(|scope| naming::exception(scope, tf_name).filter(|e| e.name != "*"))
            .or_else(|| {
                beside_attribute
                    .then(|| naming::exception(ExceptionScope::BesideAttribute, tf_name))
                    .flatten()
            });
        if let Some(exception) = found {
            let new_name = naming::renamed(exception, &owner, tf_name, kind);
            renames.push(AppliedRename {
                path: path.to_string(),
                xml_name: xml_name.to_string(),
                tf_name: new_name.clone(),
                reason: exception.reason.to_string(),
            });
            *tf_name = new_name;
        }
    };

    for attr in &mut element.attributes {
        apply(&attr.xml_name, &mut attr.tf_name, "attribute", false, false);
    }
    for child in &mut element.children {
        let beside_attribute = attribute_names.contains(&child.element.tf_name);
        apply(
            &child.element.xml_name,
            &mut child.element.tf_name,
            "element",
            !child.text_only,
            beside_attribute,
        );
    }

    let mut seen = BTreeSet::new();
    if has_text_field {
        seen.insert(TEXT_FIELD.to_string());
    }
    let names = element
        .attributes
        .iter()
        .map(|a| &a.tf_name)
        .chain(element.children.iter().map(|c| &c.element.tf_name));
    for name in names {
        if !seen.insert(name.clone()) {
            return Err(FlattenError::NameClash {
                path: path.to_string(),
                name: name.clone(),
            });
        }
    }
    Ok(())
}
