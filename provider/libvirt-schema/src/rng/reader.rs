//! Reads RelaxNG XML files into a [`Grammar`]: includes (with overriding defines), `combine`,
//! nested grammars, `parentRef` and `externalRef`.

use super::{Data, Grammar, NameClass, Pattern, QName, Scope, ScopeId, Site, SiteId};
use roxmltree::{Document, Node};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const RNG_NS: &str = "http://relaxng.org/ns/structure/1.0";

#[derive(Debug, thiserror::Error)]
pub enum RngError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{file}: not well-formed XML: {source}")]
    Xml {
        file: String,
        source: roxmltree::Error,
    },
    #[error("{file}:{line}: {message}")]
    Invalid {
        file: String,
        line: u32,
        message: String,
    },
}

/// Loads the grammar in `path`; includes and external references resolve relative to each file.
pub fn load(path: &Path) -> Result<Grammar, RngError> {
    let base_dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
    let mut reader = Reader {
        base_dir,
        scopes: Vec::new(),
        sites: Vec::new(),
        include_stack: Vec::new(),
    };
    let top = reader.new_scope(None);
    reader.read_file_as_pattern(path, top)?;
    reader.finish()
}

/// Definitions collected for one scope before `combine` is applied.
#[derive(Default)]
struct PendingScope {
    parent: Option<ScopeId>,
    starts: Vec<Definition>,
    defines: BTreeMap<String, Vec<Definition>>,
}

struct Definition {
    combine: Option<String>,
    pattern: Pattern,
    file: String,
    line: u32,
}

/// Names that an `<include>` overrides, so the included file's own definitions are skipped.
#[derive(Default)]
struct Overrides {
    defines: BTreeSet<String>,
    start: bool,
}

struct Reader {
    base_dir: PathBuf,
    scopes: Vec<PendingScope>,
    sites: Vec<Site>,
    include_stack: Vec<PathBuf>,
}

/// Per-file parsing context.
struct FileCtx<'a, 'input> {
    doc: &'a Document<'input>,
    file: String,
    dir: PathBuf,
}

impl FileCtx<'_, '_> {
    fn line(&self, node: Node) -> u32 {
        self.doc.text_pos_at(node.range().start).row
    }

    fn error(&self, node: Node, message: impl Into<String>) -> RngError {
        RngError::Invalid {
            file: self.file.clone(),
            line: self.line(node),
            message: message.into(),
        }
    }
}

fn is_rng(node: &Node) -> bool {
    node.is_element() && node.tag_name().namespace() == Some(RNG_NS)
}

fn rng_children<'a, 'input>(node: Node<'a, 'input>) -> impl Iterator<Item = Node<'a, 'input>> {
    node.children().filter(is_rng)
}

/// The `ns` in effect for element names: the nearest `ns` attribute on the node or an ancestor.
fn inherited_ns(node: Node) -> String {
    node.ancestors()
        .find_map(|n| n.attribute("ns"))
        .unwrap_or("")
        .to_string()
}

fn group_of(mut patterns: Vec<Pattern>) -> Pattern {
    match patterns.len() {
        0 => Pattern::Empty,
        1 => patterns.remove(0),
        _ => Pattern::Group(patterns),
    }
}

impl Reader {
    fn new_scope(&mut self, parent: Option<ScopeId>) -> ScopeId {
        self.scopes.push(PendingScope {
            parent,
            ..Default::default()
        });
        self.scopes.len() - 1
    }

    fn relative_name(&self, path: &Path) -> String {
        path.strip_prefix(&self.base_dir)
            .unwrap_or(path)
            .display()
            .to_string()
    }

    fn read_text(&self, path: &Path) -> Result<String, RngError> {
        std::fs::read_to_string(path).map_err(|source| RngError::Io {
            path: path.to_path_buf(),
            source,
        })
    }

    /// Reads a file whose root is a grammar (into `scope`) or a lone pattern (becoming `scope`'s start).
    fn read_file_as_pattern(&mut self, path: &Path, scope: ScopeId) -> Result<(), RngError> {
        let text = self.read_text(path)?;
        let file = self.relative_name(path);
        let doc = Document::parse(&text).map_err(|source| RngError::Xml {
            file: file.clone(),
            source,
        })?;
        let ctx = FileCtx {
            doc: &doc,
            file,
            dir: path.parent().unwrap_or(Path::new(".")).to_path_buf(),
        };
        let root = doc.root_element();
        if is_rng(&root) && root.tag_name().name() == "grammar" {
            self.grammar_content(&ctx, root, scope, &Overrides::default())
        } else {
            let pattern = self.pattern(&ctx, root, scope)?;
            self.scopes[scope].starts.push(Definition {
                combine: None,
                pattern,
                file: ctx.file.clone(),
                line: ctx.line(root),
            });
            Ok(())
        }
    }

    /// The children of a `grammar`, `div` or `include`: start, define, include, div.
    fn grammar_content(
        &mut self,
        ctx: &FileCtx,
        node: Node,
        scope: ScopeId,
        skip: &Overrides,
    ) -> Result<(), RngError> {
        for child in rng_children(node) {
            match child.tag_name().name() {
                "start" => {
                    if skip.start {
                        continue;
                    }
                    let pattern = group_of(self.patterns(ctx, child, scope)?);
                    self.scopes[scope].starts.push(Definition {
                        combine: child.attribute("combine").map(str::to_string),
                        pattern,
                        file: ctx.file.clone(),
                        line: ctx.line(child),
                    });
                }
                "define" => {
                    let name = child
                        .attribute("name")
                        .ok_or_else(|| ctx.error(child, "define without a name"))?;
                    if skip.defines.contains(name) {
                        continue;
                    }
                    let pattern = group_of(self.patterns(ctx, child, scope)?);
                    self.scopes[scope]
                        .defines
                        .entry(name.to_string())
                        .or_default()
                        .push(Definition {
                            combine: child.attribute("combine").map(str::to_string),
                            pattern,
                            file: ctx.file.clone(),
                            line: ctx.line(child),
                        });
                }
                "div" => self.grammar_content(ctx, child, scope, skip)?,
                "include" => self.include(ctx, child, scope)?,
                other => return Err(ctx.error(child, format!("unexpected <{other}> in a grammar"))),
            }
        }
        Ok(())
    }

    /// `<include href>`: the included grammar's definitions join `scope`, minus those the
    /// include element itself redefines.
    fn include(&mut self, ctx: &FileCtx, node: Node, scope: ScopeId) -> Result<(), RngError> {
        let href = node
            .attribute("href")
            .ok_or_else(|| ctx.error(node, "include without href"))?;
        let path = ctx.dir.join(href);
        if self.include_stack.contains(&path) {
            return Err(ctx.error(node, format!("include cycle through {href}")));
        }
        let mut overrides = Overrides::default();
        collect_overrides(node, &mut overrides);

        let text = self.read_text(&path)?;
        let file = self.relative_name(&path);
        let doc = Document::parse(&text).map_err(|source| RngError::Xml {
            file: file.clone(),
            source,
        })?;
        let included = FileCtx {
            doc: &doc,
            file,
            dir: path.parent().unwrap_or(Path::new(".")).to_path_buf(),
        };
        let root = doc.root_element();
        if !(is_rng(&root) && root.tag_name().name() == "grammar") {
            return Err(ctx.error(node, format!("included file {href} is not a grammar")));
        }
        self.include_stack.push(path);
        let result = self.grammar_content(&included, root, scope, &overrides);
        self.include_stack.pop();
        result?;
        self.grammar_content(ctx, node, scope, &Overrides::default())
    }

    fn patterns(
        &mut self,
        ctx: &FileCtx,
        node: Node,
        scope: ScopeId,
    ) -> Result<Vec<Pattern>, RngError> {
        rng_children(node)
            .map(|child| self.pattern(ctx, child, scope))
            .collect()
    }

    fn site(&mut self, ctx: &FileCtx, node: Node, name: &NameClass, is_attribute: bool) -> SiteId {
        let name = match name.concrete_names() {
            Some(names) => names
                .iter()
                .map(|q| q.local.as_str())
                .collect::<Vec<_>>()
                .join("|"),
            None => "*".to_string(),
        };
        self.sites.push(Site {
            file: ctx.file.clone(),
            line: ctx.line(node),
            name,
            is_attribute,
        });
        self.sites.len() - 1
    }

    fn pattern(&mut self, ctx: &FileCtx, node: Node, scope: ScopeId) -> Result<Pattern, RngError> {
        let boxed = |r: &mut Self| -> Result<Box<Pattern>, RngError> {
            Ok(Box::new(group_of(r.patterns(ctx, node, scope)?)))
        };
        Ok(match node.tag_name().name() {
            "element" | "attribute" => {
                let is_attribute = node.tag_name().name() == "attribute";
                let mut children = rng_children(node).peekable();
                let name = match node.attribute("name") {
                    Some(raw) => NameClass::Name(self.qname(ctx, node, raw, is_attribute)?),
                    None => {
                        let first = children
                            .next()
                            .ok_or_else(|| ctx.error(node, "element/attribute without a name"))?;
                        name_class(ctx, first)?
                    }
                };
                let content = children
                    .map(|child| self.pattern(ctx, child, scope))
                    .collect::<Result<Vec<_>, _>>()?;
                let content = if is_attribute && content.is_empty() {
                    Pattern::Text
                } else {
                    group_of(content)
                };
                let site = self.site(ctx, node, &name, is_attribute);
                let content = Box::new(content);
                if is_attribute {
                    Pattern::Attribute {
                        site,
                        name,
                        content,
                    }
                } else {
                    Pattern::Element {
                        site,
                        name,
                        content,
                    }
                }
            }
            "group" => Pattern::Group(self.patterns(ctx, node, scope)?),
            "interleave" => Pattern::Interleave(self.patterns(ctx, node, scope)?),
            "choice" => Pattern::Choice(self.patterns(ctx, node, scope)?),
            "optional" => Pattern::Optional(boxed(self)?),
            "zeroOrMore" => Pattern::ZeroOrMore(boxed(self)?),
            "oneOrMore" => Pattern::OneOrMore(boxed(self)?),
            "mixed" => Pattern::Mixed(boxed(self)?),
            "list" => Pattern::List(boxed(self)?),
            "text" => Pattern::Text,
            "empty" => Pattern::Empty,
            "notAllowed" => Pattern::NotAllowed,
            "data" => Pattern::Data(self.data(ctx, node, scope)?),
            "value" => {
                let type_name = node.attribute("type").unwrap_or("token").to_string();
                let raw = node.text().unwrap_or("");
                // The token type (the default) compares values with whitespace collapsed.
                let value = if type_name == "string" {
                    raw.to_string()
                } else {
                    raw.split_whitespace().collect::<Vec<_>>().join(" ")
                };
                Pattern::Value { type_name, value }
            }
            "ref" | "parentRef" => {
                let name = node
                    .attribute("name")
                    .ok_or_else(|| ctx.error(node, "ref without a name"))?;
                let target = if node.tag_name().name() == "ref" {
                    scope
                } else {
                    self.scopes[scope]
                        .parent
                        .ok_or_else(|| ctx.error(node, "parentRef outside a nested grammar"))?
                };
                Pattern::Ref {
                    scope: target,
                    name: name.to_string(),
                }
            }
            "externalRef" => {
                let href = node
                    .attribute("href")
                    .ok_or_else(|| ctx.error(node, "externalRef without href"))?;
                let external = self.new_scope(None);
                self.read_file_as_pattern(&ctx.dir.join(href), external)?;
                Pattern::Grammar(external)
            }
            "grammar" => {
                let nested = self.new_scope(Some(scope));
                self.grammar_content(ctx, node, nested, &Overrides::default())?;
                Pattern::Grammar(nested)
            }
            other => return Err(ctx.error(node, format!("unsupported pattern <{other}>"))),
        })
    }

    fn data(&mut self, ctx: &FileCtx, node: Node, scope: ScopeId) -> Result<Data, RngError> {
        let type_name = node
            .attribute("type")
            .ok_or_else(|| ctx.error(node, "data without a type"))?
            .to_string();
        let mut params = Vec::new();
        let mut except = None;
        for child in rng_children(node) {
            match child.tag_name().name() {
                "param" => {
                    let name = child
                        .attribute("name")
                        .ok_or_else(|| ctx.error(child, "param without a name"))?;
                    params.push((name.to_string(), child.text().unwrap_or("").to_string()));
                }
                "except" => {
                    except = Some(Box::new(Pattern::Choice(self.patterns(ctx, child, scope)?)))
                }
                other => return Err(ctx.error(child, format!("unexpected <{other}> in data"))),
            }
        }
        Ok(Data {
            type_name,
            params,
            except,
        })
    }

    /// Resolves a `name` attribute. A prefix is looked up in the schema document's namespaces;
    /// an unprefixed element name takes the inherited `ns`, an unprefixed attribute name only
    /// its own `ns` attribute (RelaxNG's simplification rules).
    fn qname(
        &self,
        ctx: &FileCtx,
        node: Node,
        raw: &str,
        is_attribute: bool,
    ) -> Result<QName, RngError> {
        if let Some((prefix, local)) = raw.split_once(':') {
            let ns = node
                .lookup_namespace_uri(Some(prefix))
                .ok_or_else(|| ctx.error(node, format!("undeclared prefix {prefix:?}")))?;
            return Ok(QName {
                ns: ns.to_string(),
                local: local.to_string(),
            });
        }
        let ns = if is_attribute {
            node.attribute("ns").unwrap_or("").to_string()
        } else {
            inherited_ns(node)
        };
        Ok(QName {
            ns,
            local: raw.to_string(),
        })
    }

    /// Applies `combine` and builds the final grammar.
    fn finish(self) -> Result<Grammar, RngError> {
        let mut scopes = Vec::with_capacity(self.scopes.len());
        for pending in self.scopes {
            let start = if pending.starts.is_empty() {
                None
            } else {
                Some(combine("start", pending.starts)?)
            };
            let mut defines = BTreeMap::new();
            for (name, definitions) in pending.defines {
                let pattern = combine(&name, definitions)?;
                defines.insert(name, pattern);
            }
            scopes.push(Scope { start, defines });
        }
        Ok(Grammar {
            scopes,
            sites: self.sites,
        })
    }
}

/// Merges several definitions of one name: at most one may lack `combine`, and all
/// `combine` values must agree.
fn combine(name: &str, mut definitions: Vec<Definition>) -> Result<Pattern, RngError> {
    if definitions.len() == 1 {
        return Ok(definitions.remove(0).pattern);
    }
    let plain = definitions.iter().filter(|d| d.combine.is_none()).count();
    let methods: BTreeSet<String> = definitions
        .iter()
        .filter_map(|d| d.combine.clone())
        .collect();
    let (file, line) = (definitions[0].file.clone(), definitions[0].line);
    let invalid = |message: String| RngError::Invalid {
        file: file.clone(),
        line,
        message,
    };
    if plain > 1 {
        return Err(invalid(format!(
            "{name} is defined {plain} times without combine"
        )));
    }
    let patterns: Vec<Pattern> = definitions.into_iter().map(|d| d.pattern).collect();
    let methods: Vec<&str> = methods.iter().map(String::as_str).collect();
    match methods.as_slice() {
        ["choice"] => Ok(Pattern::Choice(patterns)),
        ["interleave"] => Ok(Pattern::Interleave(patterns)),
        other => Err(invalid(format!(
            "{name} is combined with conflicting or unknown methods {other:?}"
        ))),
    }
}

fn collect_overrides(node: Node, overrides: &mut Overrides) {
    for child in rng_children(node) {
        match child.tag_name().name() {
            "start" => overrides.start = true,
            "define" => {
                if let Some(name) = child.attribute("name") {
                    overrides.defines.insert(name.to_string());
                }
            }
            "div" => collect_overrides(child, overrides),
            _ => {}
        }
    }
}

fn name_class(ctx: &FileCtx, node: Node) -> Result<NameClass, RngError> {
    let except = |node: Node| -> Result<Option<Box<NameClass>>, RngError> {
        match rng_children(node).find(|c| c.tag_name().name() == "except") {
            Some(except) => {
                let items = rng_children(except)
                    .map(|c| name_class(ctx, c))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Some(Box::new(NameClass::Choice(items))))
            }
            None => Ok(None),
        }
    };
    Ok(match node.tag_name().name() {
        "name" => {
            let text = node.text().unwrap_or("").trim();
            let (ns, local) = match text.split_once(':') {
                Some((prefix, local)) => (
                    node.lookup_namespace_uri(Some(prefix))
                        .ok_or_else(|| ctx.error(node, format!("undeclared prefix {prefix:?}")))?
                        .to_string(),
                    local,
                ),
                None => (inherited_ns(node), text),
            };
            NameClass::Name(QName {
                ns,
                local: local.to_string(),
            })
        }
        "anyName" => NameClass::AnyName(except(node)?),
        "nsName" => NameClass::NsName(inherited_ns(node), except(node)?),
        "choice" => NameClass::Choice(
            rng_children(node)
                .map(|c| name_class(ctx, c))
                .collect::<Result<Vec<_>, _>>()?,
        ),
        other => return Err(ctx.error(node, format!("unsupported name class <{other}>"))),
    })
}
