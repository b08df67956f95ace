//! Flattening a RelaxNG grammar into one [`ElementSchema`] tree.
//!
//! Each element's content is summarised (attributes, children, text); same-named children
//! from anywhere in that content merge into one child whose content is the choice of all
//! their contents. Recursion is cut where an element pattern repeats on the path.

mod naming_pass;
mod summary;

use crate::kind;
use crate::model::{AttributeSchema, ChildSchema, ElementSchema, ValueKind};
use crate::naming;
use crate::rng::{Grammar, Pattern, QName, ScopeId, SiteId};
use serde::Serialize;
use std::collections::BTreeSet;
use summary::{AttrOcc, ChildOcc, Summary};

#[derive(Debug, thiserror::Error)]
pub enum FlattenError {
    #[error("grammar has no start pattern")]
    NoStart,
    #[error("start pattern must allow exactly one root element, found {0:?}")]
    Root(Vec<String>),
    #[error("reference to undefined pattern {0:?}")]
    UndefinedRef(String),
    #[error("reference cycle without an element through {0:?}")]
    RefCycle(String),
    #[error("at {path}: two fields are both named {name:?} after renaming")]
    NameClash { path: String, name: String },
}

/// Where recursion was cut: the element at `path` would contain itself again.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct RecursionCut {
    /// XML path of the element that was left out (`domain/devices/disk/backingStore/backingStore`).
    pub path: String,
}

/// A name that does not follow the mechanical rule, with the exception that caused it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct AppliedRename {
    /// XML path of the owning element.
    pub path: String,
    pub xml_name: String,
    pub tf_name: String,
    pub reason: String,
}

/// What the flattening kept and left out, for the coverage report.
#[derive(Debug, Default)]
pub struct FlattenReport {
    pub represented: BTreeSet<SiteId>,
    /// Wildcard (`anyName`/`nsName`) elements and everything inside them: represented as
    /// raw XML text of the enclosing element (also counted in `represented`).
    pub raw_xml: BTreeSet<SiteId>,
    /// Wildcard attributes on an element with a fixed name: left out.
    pub wildcard_attributes: BTreeSet<SiteId>,
    /// Sites that can never match because their content is `notAllowed`.
    pub not_allowed: BTreeSet<SiteId>,
    pub recursion_cuts: Vec<RecursionCut>,
    pub renames: Vec<AppliedRename>,
    /// Elements whose merged branches put children in contradicting orders.
    pub order_conflicts: Vec<String>,
}

pub struct Flattened {
    pub root: ElementSchema,
    pub report: FlattenReport,
}

/// Flattens the grammar's start pattern into the root element's schema.
pub fn flatten(grammar: &Grammar) -> Result<Flattened, FlattenError> {
    let start = grammar.start().ok_or(FlattenError::NoStart)?;
    let mut builder = Builder {
        grammar,
        report: FlattenReport::default(),
        ref_stack: Vec::new(),
        site_path: Vec::new(),
        xml_path: Vec::new(),
    };
    let summary = builder.summary(start)?;
    let [root] = summary.children.as_slice() else {
        return Err(FlattenError::Root(
            summary
                .children
                .iter()
                .map(|c| c.name.local.clone())
                .collect(),
        ));
    };
    let root = builder
        .element(root, "")?
        .ok_or_else(|| FlattenError::Root(vec![]))?;
    Ok(Flattened {
        root,
        report: builder.report,
    })
}

struct Builder<'g> {
    grammar: &'g Grammar,
    report: FlattenReport,
    ref_stack: Vec<(ScopeId, &'g str)>,
    /// Element sites of the elements being built, root first.
    site_path: Vec<SiteId>,
    xml_path: Vec<String>,
}

impl<'g> Builder<'g> {
    fn summary(&mut self, pattern: &'g Pattern) -> Result<Summary<'g>, FlattenError> {
        Ok(match pattern {
            Pattern::Element {
                site,
                name,
                content,
            } => match name.concrete_names() {
                Some(names) => names
                    .into_iter()
                    .map(|name| {
                        Summary::child(ChildOcc {
                            name,
                            contents: vec![(*site, content)],
                            required: true,
                            repeatable: false,
                        })
                    })
                    .reduce(Summary::or)
                    .unwrap_or_default(),
                None => {
                    let sites = self.grammar.reachable_sites(pattern);
                    self.report.represented.extend(&sites);
                    self.report.raw_xml.extend(sites);
                    Summary::text(ValueKind::Xml)
                }
            },
            Pattern::Attribute {
                site,
                name,
                content,
            } => match name.concrete_names() {
                Some(names) => {
                    let value = self.summary(content)?;
                    if value.not_allowed {
                        return Ok(Summary::not_allowed());
                    }
                    let kind = value.text.unwrap_or(ValueKind::String);
                    names
                        .into_iter()
                        .map(|name| {
                            Summary::attribute(AttrOcc {
                                name,
                                kind: kind.clone(),
                                required: true,
                                sites: BTreeSet::from([*site]),
                            })
                        })
                        .reduce(Summary::or)
                        .unwrap_or_default()
                }
                None => {
                    let sites = self.grammar.reachable_sites(pattern);
                    self.report.wildcard_attributes.extend(sites);
                    Summary::default()
                }
            },
            Pattern::Group(items) | Pattern::Interleave(items) => {
                let ordered = matches!(pattern, Pattern::Group(_));
                let mut acc = Summary::default();
                for item in items {
                    acc = acc.then(self.summary(item)?, ordered);
                }
                acc
            }
            Pattern::Choice(items) => {
                let mut acc: Option<Summary> = None;
                for item in items {
                    if let Some(branch) = self.allowed_summary(item)? {
                        acc = Some(match acc {
                            Some(acc) => acc.or(branch),
                            None => branch,
                        });
                    }
                }
                acc.unwrap_or_else(Summary::not_allowed)
            }
            Pattern::Optional(inner) => self.allowed_summary(inner)?.unwrap_or_default().optional(),
            Pattern::ZeroOrMore(inner) => self
                .allowed_summary(inner)?
                .unwrap_or_default()
                .optional()
                .repeated(),
            Pattern::OneOrMore(inner) => self.summary(inner)?.repeated(),
            Pattern::Mixed(inner) => self
                .summary(inner)?
                .then(Summary::text(ValueKind::String), false),
            Pattern::List(_) | Pattern::Text => Summary::text(ValueKind::String),
            Pattern::Data(data) => Summary::text(kind::from_data(data)),
            Pattern::Value { value, .. } => Summary::text(ValueKind::Enum(vec![value.clone()])),
            Pattern::Empty => Summary::default(),
            Pattern::NotAllowed => Summary::not_allowed(),
            Pattern::Ref { scope, name } => {
                let key = (*scope, name.as_str());
                if self.ref_stack.contains(&key) {
                    return Err(FlattenError::RefCycle(name.clone()));
                }
                let target = self
                    .grammar
                    .define(*scope, name)
                    .ok_or_else(|| FlattenError::UndefinedRef(name.clone()))?;
                self.ref_stack.push(key);
                let result = self.summary(target);
                self.ref_stack.pop();
                result?
            }
            Pattern::Grammar(scope) => {
                let start = self
                    .grammar
                    .scope_start(*scope)
                    .ok_or(FlattenError::NoStart)?;
                self.summary(start)?
            }
        })
    }

    /// The summary of an alternative, or `None` (recording its sites) when it can never match.
    fn allowed_summary(
        &mut self,
        pattern: &'g Pattern,
    ) -> Result<Option<Summary<'g>>, FlattenError> {
        let summary = self.summary(pattern)?;
        if summary.not_allowed {
            let sites = self.grammar.reachable_sites(pattern);
            self.report.not_allowed.extend(sites);
            Ok(None)
        } else {
            Ok(Some(summary))
        }
    }

    /// Builds the schema of one (merged) child element; `None` when it can never occur.
    fn element(
        &mut self,
        occ: &ChildOcc<'g>,
        parent_ns: &str,
    ) -> Result<Option<ElementSchema>, FlattenError> {
        let mut content: Option<Summary> = None;
        for (site, pattern) in &occ.contents {
            match self.allowed_summary(pattern)? {
                Some(branch) => {
                    self.report.represented.insert(*site);
                    content = Some(match content {
                        Some(acc) => acc.or(branch),
                        None => branch,
                    });
                }
                None => {
                    self.report.not_allowed.insert(*site);
                }
            }
        }
        let Some(content) = content else {
            return Ok(None);
        };

        self.site_path.extend(occ.sites());
        self.xml_path.push(occ.name.local.clone());
        let built = self.element_from_content(&occ.name, content, parent_ns);
        self.xml_path.pop();
        self.site_path
            .truncate(self.site_path.len() - occ.contents.len());
        built.map(Some)
    }

    fn element_from_content(
        &mut self,
        name: &QName,
        mut content: Summary<'g>,
        parent_ns: &str,
    ) -> Result<ElementSchema, FlattenError> {
        let (ordered, conflict) = content.take_ordered_children();
        if conflict {
            self.report.order_conflicts.push(self.xml_path.join("/"));
        }
        let mut attributes = Vec::with_capacity(content.attributes.len());
        for attr in content.attributes {
            self.report.represented.extend(attr.sites.iter().copied());
            attributes.push(attribute_schema(attr));
        }

        let mut children = Vec::with_capacity(ordered.len());
        for occ in &ordered {
            if occ.sites().any(|s| self.site_path.contains(&s)) {
                self.report.recursion_cuts.push(RecursionCut {
                    path: format!("{}/{}", self.xml_path.join("/"), occ.name.local),
                });
                continue;
            }
            if let Some(element) = self.element(occ, &name.ns)? {
                children.push(ChildSchema {
                    text_only: element.is_text_only(),
                    element,
                    repeatable: occ.repeatable,
                    required: occ.required,
                });
            }
        }

        let prefix = (!name.ns.is_empty()).then(|| naming::namespace_prefix(&name.ns));
        let tf_name = match &prefix {
            Some(prefix) if name.ns != parent_ns => {
                format!("{prefix}_{}", naming::tf_name(&name.local))
            }
            _ => naming::tf_name(&name.local),
        };
        let mut element = ElementSchema {
            xml_name: name.local.clone(),
            namespace: (!name.ns.is_empty()).then(|| name.ns.clone()),
            prefix,
            tf_name,
            attributes,
            children,
            text: content.text,
        };
        let path = self.xml_path.join("/");
        let is_root = self.xml_path.len() == 1;
        naming_pass::resolve_clashes(&mut element, is_root, &path, &mut self.report.renames)?;
        Ok(element)
    }
}

fn attribute_schema(attr: AttrOcc) -> AttributeSchema {
    let prefix = (!attr.name.ns.is_empty()).then(|| naming::namespace_prefix(&attr.name.ns));
    let tf_name = match &prefix {
        Some(prefix) => format!("{prefix}_{}", naming::tf_name(&attr.name.local)),
        None => naming::tf_name(&attr.name.local),
    };
    AttributeSchema {
        xml_name: attr.name.local,
        namespace: (!attr.name.ns.is_empty()).then_some(attr.name.ns),
        prefix,
        tf_name,
        kind: attr.kind,
        required: attr.required,
    }
}
