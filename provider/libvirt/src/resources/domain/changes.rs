//! What an update changes in a domain definition, and the definition to write.

use tfplugin::{Block, Value};

/// One changed attribute or block: its path of Terraform names (no indices) for
/// classifying, and its indexed form (`devices[0].disk[1]`) for messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub names: Vec<String>,
    pub shown: String,
}

impl Change {
    pub fn starts_with(&self, prefix: &[&str]) -> bool {
        self.names.len() >= prefix.len() && self.names.iter().zip(prefix).all(|(a, b)| a == b)
    }
}

/// Every place where `planned` differs from `prior` within `block`. A value planned
/// null, or a block list planned empty, only stops Terraform managing it (as after an
/// import) and is not a change.
pub fn changes(block: &Block, prior: &Value, planned: &Value) -> Vec<Change> {
    let mut out = Vec::new();
    walk(block, prior, planned, &mut Vec::new(), "", &mut out);
    out
}

fn walk(
    block: &Block,
    prior: &Value,
    planned: &Value,
    names: &mut Vec<String>,
    shown: &str,
    out: &mut Vec<Change>,
) {
    let join = |name: &str| {
        if shown.is_empty() {
            name.to_string()
        } else {
            format!("{shown}.{name}")
        }
    };
    let change = |names: &[String], name: &str| Change {
        names: names.iter().cloned().chain([name.to_string()]).collect(),
        shown: join(name),
    };
    for a in &block.attributes {
        let p = planned.get(&a.name);
        if !p.is_null() && p != prior.get(&a.name) {
            out.push(change(names, &a.name));
        }
    }
    for nb in &block.blocks {
        let (Some(pl), pr) = (planned.get(&nb.name).as_list(), prior.get(&nb.name)) else {
            continue;
        };
        let pr = pr.as_list().unwrap_or_default();
        if pl.is_empty() {
            continue;
        }
        if pl.len() != pr.len() {
            out.push(change(names, &nb.name));
            continue;
        }
        names.push(nb.name.clone());
        for (i, (p, r)) in pl.iter().zip(pr).enumerate() {
            walk(
                &nb.block,
                r,
                p,
                names,
                &format!("{}[{i}]", join(&nb.name)),
                out,
            );
        }
        names.pop();
    }
}

/// The definition to write: the planned value laid over libvirt's current definition,
/// so what Terraform does not manage stays as it is: MAC and PCI addresses libvirt
/// assigned, controllers it added, settings an imported domain has that the
/// configuration leaves out.
pub fn overlay(block: &Block, current: &Value, planned: &Value) -> Value {
    let mut out = current.clone();
    for a in &block.attributes {
        let p = planned.get(&a.name);
        if !p.is_null() && !p.is_unknown() {
            out.set(&a.name, p.clone());
        }
    }
    for nb in &block.blocks {
        let Some(pl) = planned.get(&nb.name).as_list() else {
            continue;
        };
        let cur = current.get(&nb.name).as_list().unwrap_or_default();
        let items: Vec<Value> = if pl.is_empty() {
            continue;
        } else if pl.len() == cur.len() {
            pl.iter()
                .zip(cur)
                .map(|(p, c)| overlay(&nb.block, c, p))
                .collect()
        } else {
            pl.to_vec()
        };
        out.set(&nb.name, Value::List(items));
    }
    out
}

/// The first item of each nested block along `blocks` (`["os", "type"]`).
pub fn nested<'a>(v: &'a Value, blocks: &[&str]) -> Option<&'a Value> {
    blocks
        .iter()
        .try_fold(v, |cur, b| cur.get(b).as_list()?.first())
}

/// Mutable form of [`nested`].
pub fn nested_mut<'a>(v: &'a mut Value, blocks: &[&str]) -> Option<&'a mut Value> {
    let mut cur = v;
    for b in blocks {
        cur = match cur.get_mut(b)? {
            Value::List(items) => items.first_mut()?,
            _ => return None,
        };
    }
    Some(cur)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tfplugin::{Attribute, NestedBlock, Type};

    fn block() -> Block {
        Block::new()
            .attr(Attribute::optional("name", Type::String))
            .block(NestedBlock::list(
                "nic",
                Block::new()
                    .attr(Attribute::optional("net", Type::String))
                    .attr(Attribute::optional("mac", Type::String)),
            ))
    }

    fn nic(net: &str, mac: Option<&str>) -> Value {
        let mut v = block().nested("nic").unwrap().block.empty_value();
        v.set("net", net.into());
        v.set("mac", mac.into());
        v
    }

    fn dom(name: &str, nics: Vec<Value>) -> Value {
        let mut v = block().empty_value();
        v.set("name", name.into());
        v.set("nic", Value::List(nics));
        v
    }

    #[test]
    fn changes_name_indexed_paths_and_skip_forgotten_values() {
        let prior = dom("a", vec![nic("n1", Some("m1"))]);
        let planned = dom("b", vec![nic("n2", None)]);
        let c = changes(&block(), &prior, &planned);
        let shown: Vec<&str> = c.iter().map(|c| c.shown.as_str()).collect();
        assert_eq!(shown, ["name", "nic[0].net"]);
        assert!(c[1].starts_with(&["nic", "net"]));
        let more = dom("a", vec![nic("n1", None), nic("n2", None)]);
        assert_eq!(changes(&block(), &prior, &more)[0].shown, "nic");
        assert!(changes(&block(), &prior, &dom("a", vec![])).is_empty());
    }

    #[test]
    fn overlay_keeps_what_libvirt_assigned() {
        let current = dom("a", vec![nic("n1", Some("52:54:00:00:00:01"))]);
        let planned = dom("a", vec![nic("n2", None)]);
        let out = overlay(&block(), &current, &planned);
        assert_eq!(out, dom("a", vec![nic("n2", Some("52:54:00:00:00:01"))]));
        let two = dom("a", vec![nic("n1", None), nic("n3", None)]);
        assert_eq!(overlay(&block(), &current, &two), two);
    }
}
