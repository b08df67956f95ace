//! Terraform's plan/apply consistency rules, enforced here so no resource can
//! make Terraform report "Provider produced inconsistent result":
//!
//! * a planned value equals the configuration wherever the configuration sets it;
//! * an attribute that is not computed and not configured is planned null;
//! * nested block counts follow the configuration;
//! * after apply, every value that was known in the plan comes back unchanged, and
//!   nothing comes back unknown.

use crate::diag::{AttributePath, Diagnostics};
use crate::schema::{Block, NestedBlock, Nesting};
use crate::value::{Type, Value};

/// The default plan: the proposed new state, with computed attributes the user left
/// unset marked unknown on objects being created (they keep their prior value on update).
pub fn default_plan(block: &Block, prior: &Value, proposed: &Value, config: &Value) -> Value {
    let Value::Map(_) = proposed else {
        return proposed.clone();
    };
    let mut planned = proposed.clone();
    for a in &block.attributes {
        if a.is_computed() && config.get(&a.name).is_null() && prior.is_null() {
            planned.set(&a.name, Value::unknown());
        }
    }
    for nb in &block.blocks {
        let nested = plan_nested(
            nb,
            prior.get(&nb.name),
            proposed.get(&nb.name),
            config.get(&nb.name),
        );
        planned.set(&nb.name, nested);
    }
    planned
}

fn plan_nested(nb: &NestedBlock, prior: &Value, proposed: &Value, config: &Value) -> Value {
    match (nb.nesting, proposed) {
        (Nesting::List | Nesting::Set, Value::List(items)) => Value::List(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let prior_i = prior
                        .as_list()
                        .and_then(|l| l.get(i))
                        .unwrap_or(&Value::Null);
                    let config_i = config
                        .as_list()
                        .and_then(|l| l.get(i))
                        .unwrap_or(&Value::Null);
                    default_plan(&nb.block, prior_i, item, config_i)
                })
                .collect(),
        ),
        (Nesting::Map, Value::Map(items)) => Value::Map(
            items
                .iter()
                .map(|(k, item)| {
                    let prior_k = prior
                        .as_map()
                        .and_then(|m| m.get(k))
                        .unwrap_or(&Value::Null);
                    let config_k = config
                        .as_map()
                        .and_then(|m| m.get(k))
                        .unwrap_or(&Value::Null);
                    (k.clone(), default_plan(&nb.block, prior_k, item, config_k))
                })
                .collect(),
        ),
        (Nesting::Single | Nesting::Group, Value::Map(_)) => {
            default_plan(&nb.block, prior, proposed, config)
        }
        _ => proposed.clone(),
    }
}

/// Checks a resource's planned state against its configuration. Every violation is a
/// provider bug; reporting it here, with its path, beats Terraform's generic error.
pub fn check_plan(
    block: &Block,
    config: &Value,
    planned: &Value,
    path: &AttributePath,
) -> Diagnostics {
    let mut diags = Diagnostics::new();
    if config.is_unknown() || planned.is_unknown() {
        return diags;
    }
    for a in &block.attributes {
        let (c, p) = (config.get(&a.name), planned.get(&a.name));
        let at = path.push_attr(&a.name);
        let ok = if !c.is_null() {
            c == p || (c.is_unknown() && p.is_unknown())
        } else {
            a.is_computed() || p.is_null()
        };
        if !ok {
            diags.push_error_at(
                at.clone(),
                "Provider planned a value that contradicts the configuration",
                format!(
                    "The provider planned {p:?} for {at} where the configuration says {c:?}. \
                     This is a bug in the provider; please report it."
                ),
            );
        }
    }
    for nb in &block.blocks {
        let (c, p) = (config.get(&nb.name), planned.get(&nb.name));
        let at = path.push_attr(&nb.name);
        match (c, p) {
            (Value::List(cs), Value::List(ps)) => {
                if cs.len() != ps.len() && nb.nesting == Nesting::List {
                    diags.push_error_at(
                        at.clone(),
                        "Provider planned a different number of blocks than configured",
                        format!(
                            "{} configured, {} planned. This is a bug in the provider.",
                            cs.len(),
                            ps.len()
                        ),
                    );
                } else if nb.nesting == Nesting::List {
                    for (i, (ci, pi)) in cs.iter().zip(ps).enumerate() {
                        diags.extend(check_plan(&nb.block, ci, pi, &at.push_index(i)));
                    }
                }
            }
            (Value::Map(_), Value::Map(_))
                if matches!(nb.nesting, Nesting::Single | Nesting::Group) =>
            {
                diags.extend(check_plan(&nb.block, c, p, &at));
            }
            _ => {}
        }
    }
    diags
}

/// What planning a value away (null, or no blocks) means for a force-new attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Forgetting {
    /// The user removed a value they had set: the object changes, so it is replaced.
    Replaces,
    /// The prior state was just imported and holds everything the object has, defaults
    /// included; what the configuration leaves out only stops being managed, so an
    /// import followed by a plan is an in-place update, not a replacement.
    StopsManaging,
}

/// Paths of force-new attributes whose planned value differs from the prior state.
pub fn requires_replace(
    block: &Block,
    prior: &Value,
    planned: &Value,
    path: &AttributePath,
    forgetting: Forgetting,
) -> Vec<AttributePath> {
    let mut out = Vec::new();
    if prior.is_null() || planned.is_null() {
        return out;
    }
    let forgotten = |v: &Value| forgetting == Forgetting::StopsManaging && v.is_null();
    for a in block.attributes.iter().filter(|a| a.force_new) {
        let p = planned.get(&a.name);
        if !forgotten(p) && prior.get(&a.name) != p {
            out.push(path.push_attr(&a.name));
        }
    }
    for nb in &block.blocks {
        let at = path.push_attr(&nb.name);
        let (pr, pl) = (prior.get(&nb.name), planned.get(&nb.name));
        match (pr, pl) {
            (Value::List(a), Value::List(b)) if a.len() == b.len() => {
                for (i, (x, y)) in a.iter().zip(b).enumerate() {
                    let i = at.push_index(i);
                    out.extend(requires_replace(&nb.block, x, y, &i, forgetting));
                }
            }
            (Value::Map(_), Value::Map(_))
                if matches!(nb.nesting, Nesting::Single | Nesting::Group) =>
            {
                out.extend(requires_replace(&nb.block, pr, pl, &at, forgetting));
            }
            (_, Value::List(b)) if b.is_empty() && forgetting == Forgetting::StopsManaging => {}
            _ if pr != pl && block_has_force_new(&nb.block) => out.push(at),
            _ => {}
        }
    }
    out
}

fn block_has_force_new(b: &Block) -> bool {
    b.attributes.iter().any(|a| a.force_new)
        || b.blocks.iter().any(|nb| block_has_force_new(&nb.block))
}

/// Makes a resource's post-apply state agree with its plan: known planned values win,
/// unknowns left behind become null. Returns the corrected state and a description of
/// each correction (a resource bug worth logging, never worth failing the user's apply).
pub fn conform_to_plan(ty: &Type, planned: &Value, new: Value) -> (Value, Vec<String>) {
    let mut notes = Vec::new();
    let v = conform(ty, planned, new, &AttributePath::root(), &mut notes);
    (v, notes)
}

fn conform(
    ty: &Type,
    planned: &Value,
    new: Value,
    path: &AttributePath,
    notes: &mut Vec<String>,
) -> Value {
    if planned.is_unknown() {
        if !new.is_wholly_known() {
            notes.push(format!("{path}: left unknown after apply; set to null"));
        }
        return new.unknowns_to_null();
    }
    match (ty, planned, new) {
        (Type::Object(attrs), Value::Map(pm), Value::Map(mut nm)) => {
            let mut out = std::collections::BTreeMap::new();
            for (k, t) in attrs {
                let p = pm.get(k).unwrap_or(&Value::Null);
                let n = nm.remove(k).unwrap_or(Value::Null);
                out.insert(k.clone(), conform(t, p, n, &path.push_attr(k), notes));
            }
            Value::Map(out)
        }
        (Type::List(et), Value::List(pl), Value::List(nl)) if pl.len() == nl.len() => Value::List(
            pl.iter()
                .zip(nl)
                .enumerate()
                .map(|(i, (p, n))| conform(et, p, n, &path.push_index(i), notes))
                .collect(),
        ),
        (Type::Map(et), Value::Map(pm), Value::Map(mut nm))
            if pm.len() == nm.len() && pm.keys().all(|k| nm.contains_key(k)) =>
        {
            Value::Map(
                pm.iter()
                    .map(|(k, p)| {
                        let n = nm.remove(k).unwrap_or(Value::Null);
                        (k.clone(), conform(et, p, n, &path.push_key(k), notes))
                    })
                    .collect(),
            )
        }
        (_, p, n) => {
            if p.is_wholly_known() {
                if *p != n {
                    notes.push(format!(
                        "{path}: planned {p:?}, apply returned {n:?}; kept the planned value"
                    ));
                }
                p.clone()
            } else {
                // A partly-unknown collection whose shape changed: take what apply produced.
                n.unknowns_to_null()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Attribute, NestedBlock};
    use std::collections::BTreeMap;

    fn block() -> Block {
        Block::new()
            .attr(Attribute::required("name", Type::String).force_new())
            .attr(Attribute::optional("size", Type::Number))
            .attr(Attribute::computed("id", Type::String))
            .attr(Attribute::optional_computed("mac", Type::String))
            .block(NestedBlock::list(
                "host",
                Block::new()
                    .attr(Attribute::required("ip", Type::String))
                    .attr(Attribute::computed("uid", Type::String)),
            ))
    }

    fn obj(pairs: &[(&str, Value)]) -> Value {
        Value::Map(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect::<BTreeMap<_, _>>(),
        )
    }

    #[test]
    fn create_marks_unset_computed_unknown_and_keeps_config() {
        let b = block();
        let config = obj(&[
            ("name", "a".into()),
            ("size", Value::Null),
            ("id", Value::Null),
            ("mac", "x".into()),
            (
                "host",
                Value::List(vec![obj(&[("ip", "1".into()), ("uid", Value::Null)])]),
            ),
        ]);
        let planned = default_plan(&b, &Value::Null, &config, &config);
        assert!(planned.get("id").is_unknown());
        assert_eq!(planned.get("mac"), &Value::from("x"));
        assert!(planned.get("host").as_list().unwrap()[0]
            .get("uid")
            .is_unknown());
        assert!(check_plan(&b, &config, &planned, &AttributePath::root()).is_empty());
    }

    #[test]
    fn update_keeps_prior_computed_values_and_flags_force_new() {
        let b = block();
        let prior = obj(&[
            ("name", "a".into()),
            ("size", 1i64.into()),
            ("id", "u1".into()),
            ("mac", "m".into()),
            ("host", Value::List(vec![])),
        ]);
        let config = obj(&[
            ("name", "b".into()),
            ("size", 1i64.into()),
            ("id", Value::Null),
            ("mac", Value::Null),
            ("host", Value::List(vec![])),
        ]);
        let proposed = obj(&[
            ("name", "b".into()),
            ("size", 1i64.into()),
            ("id", "u1".into()),
            ("mac", "m".into()),
            ("host", Value::List(vec![])),
        ]);
        let planned = default_plan(&b, &prior, &proposed, &config);
        assert_eq!(planned.get("id"), &Value::from("u1"));
        let rr = requires_replace(
            &b,
            &prior,
            &planned,
            &AttributePath::root(),
            Forgetting::Replaces,
        );
        assert_eq!(rr, vec![AttributePath::attr("name")]);
    }

    #[test]
    fn forgetting_a_force_new_value_replaces_except_right_after_import() {
        let b = block();
        let prior = obj(&[
            ("name", "a".into()),
            ("size", Value::Null),
            ("id", "u1".into()),
            ("mac", "m".into()),
            ("host", Value::List(vec![])),
        ]);
        let mut planned = prior.clone();
        planned.set("name", Value::Null);
        let root = AttributePath::root();
        let after_import = requires_replace(&b, &prior, &planned, &root, Forgetting::StopsManaging);
        assert!(after_import.is_empty(), "{after_import:?}");
        let removed = requires_replace(&b, &prior, &planned, &root, Forgetting::Replaces);
        assert_eq!(removed, vec![AttributePath::attr("name")]);
    }

    #[test]
    fn removing_a_block_with_force_new_values_replaces_except_right_after_import() {
        let b = Block::new().block(NestedBlock::list(
            "forward",
            Block::new().attr(Attribute::optional("mode", Type::String).force_new()),
        ));
        let prior = obj(&[("forward", Value::List(vec![obj(&[("mode", "nat".into())])]))]);
        let planned = obj(&[("forward", Value::List(vec![]))]);
        let root = AttributePath::root();
        let removed = requires_replace(&b, &prior, &planned, &root, Forgetting::Replaces);
        assert_eq!(removed, vec![AttributePath::attr("forward")]);
        let after_import = requires_replace(&b, &prior, &planned, &root, Forgetting::StopsManaging);
        assert!(after_import.is_empty(), "{after_import:?}");
    }

    #[test]
    fn plan_contradicting_config_is_reported_with_path() {
        let b = block();
        let config = obj(&[
            ("name", "a".into()),
            ("size", 2i64.into()),
            ("id", Value::Null),
            ("mac", Value::Null),
            ("host", Value::List(vec![])),
        ]);
        let mut planned = config.clone();
        planned.set("size", 3i64.into());
        let d = check_plan(&b, &config, &planned, &AttributePath::root());
        assert!(d.has_errors());
        assert_eq!(d.0[0].path, Some(AttributePath::attr("size")));
    }

    #[test]
    fn apply_result_is_conformed_to_known_plan() {
        let b = block();
        let ty = b.object_type();
        let planned = obj(&[
            ("name", "a".into()),
            ("size", Value::Null),
            ("id", Value::unknown()),
            ("mac", "AA".into()),
            ("host", Value::List(vec![])),
        ]);
        let new = obj(&[
            ("name", "a".into()),
            ("size", Value::Null),
            ("id", "u1".into()),
            ("mac", "aa".into()),
            ("host", Value::List(vec![])),
        ]);
        let (fixed, notes) = conform_to_plan(&ty, &planned, new);
        assert_eq!(fixed.get("mac"), &Value::from("AA"));
        assert_eq!(fixed.get("id"), &Value::from("u1"));
        assert_eq!(notes.len(), 1);
    }

    #[test]
    fn unknown_left_after_apply_becomes_null() {
        let ty = block().object_type();
        let planned = obj(&[("id", Value::unknown())]);
        let (fixed, notes) = conform_to_plan(&ty, &planned, obj(&[("id", Value::unknown())]));
        assert!(fixed.get("id").is_null());
        assert_eq!(notes.len(), 1);
    }
}
