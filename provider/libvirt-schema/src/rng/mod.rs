//! A RelaxNG (XML syntax) reader: the pattern tree of a grammar, with defines resolved by scope.
//!
//! Only what is needed to derive a schema is kept: structure, names, datatypes and values.
//! Annotations (foreign elements/attributes) are skipped.

mod reader;

pub use reader::{load, RngError};

use std::collections::BTreeMap;

/// Index of a grammar scope (each `<grammar>` element opens one; `include` merges into the current one).
pub type ScopeId = usize;

/// Identifies an `<element>` or `<attribute>` pattern in the source files (index into [`Grammar::sites`]).
pub type SiteId = usize;

/// A namespace-qualified name. `ns` is the empty string for "no namespace".
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct QName {
    pub ns: String,
    pub local: String,
}

/// A RelaxNG name class.
#[derive(Debug, Clone, PartialEq)]
pub enum NameClass {
    Name(QName),
    /// `anyName`, optionally minus an `except` name class.
    AnyName(Option<Box<NameClass>>),
    /// `nsName`: any name in `ns`, optionally minus an `except` name class.
    NsName(String, Option<Box<NameClass>>),
    Choice(Vec<NameClass>),
}

impl NameClass {
    /// The concrete names this class lists, or `None` when it contains a wildcard.
    pub fn concrete_names(&self) -> Option<Vec<QName>> {
        match self {
            NameClass::Name(q) => Some(vec![q.clone()]),
            NameClass::AnyName(_) | NameClass::NsName(..) => None,
            NameClass::Choice(items) => {
                let mut out = Vec::new();
                for item in items {
                    out.extend(item.concrete_names()?);
                }
                Some(out)
            }
        }
    }
}

/// A `<data>` pattern: an XSD datatype with facets.
#[derive(Debug, Clone, PartialEq)]
pub struct Data {
    /// Local datatype name, e.g. `unsignedInt`, `string`.
    pub type_name: String,
    /// Facets in document order, e.g. `("pattern", "[0-9]+")`.
    pub params: Vec<(String, String)>,
    /// `<except>` content, kept for completeness; it only narrows the value space.
    pub except: Option<Box<Pattern>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Pattern {
    Element {
        site: SiteId,
        name: NameClass,
        content: Box<Pattern>,
    },
    Attribute {
        site: SiteId,
        name: NameClass,
        content: Box<Pattern>,
    },
    Group(Vec<Pattern>),
    Interleave(Vec<Pattern>),
    Choice(Vec<Pattern>),
    Optional(Box<Pattern>),
    ZeroOrMore(Box<Pattern>),
    OneOrMore(Box<Pattern>),
    Mixed(Box<Pattern>),
    List(Box<Pattern>),
    Text,
    Empty,
    NotAllowed,
    Data(Data),
    Value {
        type_name: String,
        value: String,
    },
    /// A `ref` (or `parentRef`, already resolved to the parent scope) to a define.
    Ref {
        scope: ScopeId,
        name: String,
    },
    /// The start pattern of a nested `<grammar>` or an `externalRef`'d grammar.
    Grammar(ScopeId),
}

/// Where an element or attribute pattern is written, for reports.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Site {
    /// File name relative to the schema directory.
    pub file: String,
    pub line: u32,
    /// The pattern's name as written (or `*` for wildcards).
    pub name: String,
    pub is_attribute: bool,
}

#[derive(Debug, Default)]
pub struct Scope {
    pub start: Option<Pattern>,
    pub defines: BTreeMap<String, Pattern>,
}

/// A loaded grammar: scope 0 is the top-level grammar of the loaded file.
#[derive(Debug)]
pub struct Grammar {
    pub scopes: Vec<Scope>,
    pub sites: Vec<Site>,
}

impl Grammar {
    /// The start pattern of the top-level grammar.
    pub fn start(&self) -> Option<&Pattern> {
        self.scopes.first().and_then(|s| s.start.as_ref())
    }

    /// The start pattern of a (nested) grammar scope.
    pub fn scope_start(&self, scope: ScopeId) -> Option<&Pattern> {
        self.scopes.get(scope).and_then(|s| s.start.as_ref())
    }

    pub fn define(&self, scope: ScopeId, name: &str) -> Option<&Pattern> {
        self.scopes.get(scope).and_then(|s| s.defines.get(name))
    }
}

impl Grammar {
    /// Every element and attribute site reachable from `pattern`, following references.
    pub fn reachable_sites(&self, pattern: &Pattern) -> std::collections::BTreeSet<SiteId> {
        let mut sites = std::collections::BTreeSet::new();
        let mut visited = std::collections::BTreeSet::new();
        self.collect_sites(pattern, &mut sites, &mut visited);
        sites
    }

    fn collect_sites<'g>(
        &'g self,
        pattern: &'g Pattern,
        sites: &mut std::collections::BTreeSet<SiteId>,
        visited: &mut std::collections::BTreeSet<(ScopeId, &'g str)>,
    ) {
        match pattern {
            Pattern::Element { site, content, .. } | Pattern::Attribute { site, content, .. } => {
                sites.insert(*site);
                self.collect_sites(content, sites, visited);
            }
            Pattern::Group(items) | Pattern::Interleave(items) | Pattern::Choice(items) => {
                for item in items {
                    self.collect_sites(item, sites, visited);
                }
            }
            Pattern::Optional(inner)
            | Pattern::ZeroOrMore(inner)
            | Pattern::OneOrMore(inner)
            | Pattern::Mixed(inner)
            | Pattern::List(inner) => self.collect_sites(inner, sites, visited),
            Pattern::Ref { scope, name } => {
                if visited.insert((*scope, name.as_str())) {
                    if let Some(target) = self.define(*scope, name) {
                        self.collect_sites(target, sites, visited);
                    }
                }
            }
            Pattern::Grammar(scope) => {
                if let Some(start) = self.scope_start(*scope) {
                    self.collect_sites(start, sites, visited);
                }
            }
            Pattern::Text
            | Pattern::Empty
            | Pattern::NotAllowed
            | Pattern::Data(_)
            | Pattern::Value { .. } => {}
        }
    }
}
