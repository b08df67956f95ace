//! The content summary of a pattern: which attributes, child elements and text an element
//! with that content may carry, with required/repeatable computed through the combinators.

use crate::kind;
use crate::model::ValueKind;
use crate::rng::{Pattern, QName, SiteId};
use std::collections::BTreeSet;

#[derive(Debug, Clone)]
pub struct AttrOcc {
    pub name: QName,
    pub kind: ValueKind,
    pub required: bool,
    pub sites: BTreeSet<SiteId>,
}

/// All the places an element name occurs in one content model; their contents merge.
#[derive(Debug, Clone)]
pub struct ChildOcc<'g> {
    pub name: QName,
    pub contents: Vec<(SiteId, &'g Pattern)>,
    pub required: bool,
    pub repeatable: bool,
}

impl ChildOcc<'_> {
    pub fn sites(&self) -> impl Iterator<Item = SiteId> + '_ {
        self.contents.iter().map(|(site, _)| *site)
    }
}

#[derive(Debug, Clone, Default)]
pub struct Summary<'g> {
    /// The content can never match (it contains `notAllowed` outside an alternative).
    pub not_allowed: bool,
    pub attributes: Vec<AttrOcc>,
    pub children: Vec<ChildOcc<'g>>,
    pub text: Option<ValueKind>,
    /// (earlier, later): child elements a `group` puts in this order.
    pub order: BTreeSet<(QName, QName)>,
}

impl<'g> Summary<'g> {
    pub fn not_allowed() -> Self {
        Summary {
            not_allowed: true,
            ..Default::default()
        }
    }

    pub fn text(kind: ValueKind) -> Self {
        Summary {
            text: Some(kind),
            ..Default::default()
        }
    }

    pub fn attribute(attr: AttrOcc) -> Self {
        Summary {
            attributes: vec![attr],
            ..Default::default()
        }
    }

    pub fn child(child: ChildOcc<'g>) -> Self {
        Summary {
            children: vec![child],
            ..Default::default()
        }
    }

    /// Both patterns together: in this order when `ordered` (group), in any order otherwise
    /// (interleave). A name seen twice repeats.
    pub fn then(mut self, other: Summary<'g>, ordered: bool) -> Self {
        self.not_allowed |= other.not_allowed;
        if ordered {
            for earlier in &self.children {
                for later in other.children.iter().filter(|c| c.name != earlier.name) {
                    self.order
                        .insert((earlier.name.clone(), later.name.clone()));
                }
            }
        }
        self.order.extend(other.order);
        for attr in other.attributes {
            match self.attributes.iter_mut().find(|a| a.name == attr.name) {
                Some(existing) => {
                    existing.required |= attr.required;
                    existing.kind = kind::union(&existing.kind, &attr.kind);
                    existing.sites.extend(attr.sites);
                }
                None => self.attributes.push(attr),
            }
        }
        for child in other.children {
            match self.children.iter_mut().find(|c| c.name == child.name) {
                Some(existing) => {
                    existing.required |= child.required;
                    existing.repeatable = true;
                    existing.contents.extend(child.contents);
                }
                None => self.children.push(child),
            }
        }
        self.text = kind::union_opt(self.text, other.text.as_ref());
        self
    }

    /// Either pattern (choice): required only when required in both; same names merge.
    pub fn or(mut self, other: Summary<'g>) -> Self {
        self.order.extend(other.order.iter().cloned());
        for attr in &mut self.attributes {
            let in_other = other.attributes.iter().find(|a| a.name == attr.name);
            attr.required &= in_other.is_some_and(|a| a.required);
        }
        for attr in other.attributes {
            match self.attributes.iter_mut().find(|a| a.name == attr.name) {
                Some(existing) => {
                    existing.kind = kind::union(&existing.kind, &attr.kind);
                    existing.sites.extend(attr.sites);
                }
                None => self.attributes.push(AttrOcc {
                    required: false,
                    ..attr
                }),
            }
        }
        for child in &mut self.children {
            let in_other = other.children.iter().find(|c| c.name == child.name);
            child.required &= in_other.is_some_and(|c| c.required);
        }
        for child in other.children {
            match self.children.iter_mut().find(|c| c.name == child.name) {
                Some(existing) => {
                    existing.repeatable |= child.repeatable;
                    existing.contents.extend(child.contents);
                }
                None => self.children.push(ChildOcc {
                    required: false,
                    ..child
                }),
            }
        }
        self.text = kind::union_opt(self.text, other.text.as_ref());
        self
    }

    /// The children sorted so every `group` order holds (stable otherwise), and whether the
    /// orders contradict each other (then the first-seen child goes first).
    pub fn take_ordered_children(&mut self) -> (Vec<ChildOcc<'g>>, bool) {
        let mut remaining = std::mem::take(&mut self.children);
        let mut sorted = Vec::with_capacity(remaining.len());
        let mut conflict = false;
        while !remaining.is_empty() {
            let free = remaining.iter().position(|c| {
                !remaining.iter().any(|p| {
                    p.name != c.name && self.order.contains(&(p.name.clone(), c.name.clone()))
                })
            });
            conflict |= free.is_none();
            sorted.push(remaining.remove(free.unwrap_or(0)));
        }
        (sorted, conflict)
    }

    pub fn optional(mut self) -> Self {
        self.attributes.iter_mut().for_each(|a| a.required = false);
        self.children.iter_mut().for_each(|c| c.required = false);
        self
    }

    pub fn repeated(mut self) -> Self {
        self.children.iter_mut().for_each(|c| c.repeatable = true);
        self
    }
}
