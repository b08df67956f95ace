//! Registry-style Markdown documentation rendered from schemas, in the layout of the
//! Terraform Registry (and of HashiCorp's tfplugindocs): front matter, example usage, then
//! `## Schema` with Required / Optional / Read-Only groups. Every nested block gets its own
//! section under an anchor (`nestedblock--a--b`) and its parent links to it, so deep
//! schemas read one level at a time.

pub mod generator;

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::schema::{AttrMode, Attribute, Block, NestedBlock, Nesting, Schema};
use crate::value::Type;

/// What a page documents.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocKind {
    Resource,
    DataSource,
}

impl DocKind {
    fn label(self) -> &'static str {
        match self {
            DocKind::Resource => "Resource",
            DocKind::DataSource => "Data Source",
        }
    }

    /// The directory of this kind's pages under the docs root, and of its examples under
    /// the examples root (the Registry's and tfplugindocs' shared layout).
    pub fn directory(self) -> &'static str {
        match self {
            DocKind::Resource => "resources",
            DocKind::DataSource => "data-sources",
        }
    }

    /// The file holding a type's example, in `<examples>/<directory>/<type_name>/`.
    pub fn example_file(self) -> &'static str {
        match self {
            DocKind::Resource => "resource.tf",
            DocKind::DataSource => "data-source.tf",
        }
    }
}

/// A resource or data source page, as the provider index refers to it.
#[derive(Clone, Copy, Debug)]
pub struct PageRef<'a> {
    pub type_name: &'a str,
    pub kind: DocKind,
    pub schema: &'a Schema,
}

impl PageRef<'_> {
    /// The page's path relative to the docs root, as the Registry expects it:
    /// `resources/pool.md` for `libvirt_pool` (the provider prefix is dropped).
    pub fn file_path(&self) -> String {
        format!(
            "{}/{}.md",
            self.kind.directory(),
            short_name(self.type_name)
        )
    }
}

/// `pool` for `libvirt_pool`: Terraform binds a type to the provider named by its prefix.
fn short_name(type_name: &str) -> &str {
    type_name
        .split_once('_')
        .map_or(type_name, |(_, rest)| rest)
}

fn provider_of(type_name: &str) -> &str {
    type_name
        .split_once('_')
        .map_or(type_name, |(prefix, _)| prefix)
}

/// The page of one resource or data source. `example_hcl` is shown under Example Usage;
/// `import_doc` (a shell snippet, comments included) under Import.
pub fn render_resource(
    type_name: &str,
    kind: DocKind,
    schema: &Schema,
    example_hcl: &str,
    import_doc: Option<&str>,
) -> String {
    let description = &schema.block.description;
    let mut out = front_matter(
        &format!(
            "{type_name} {} - terraform-provider-{}",
            kind.label(),
            provider_of(type_name)
        ),
        description,
    );
    let _ = writeln!(out, "# {type_name} ({})\n", kind.label());
    push_paragraph(&mut out, description);
    push_example(&mut out, example_hcl);
    push_schema(&mut out, &schema.block);
    if let Some(import) = import_doc {
        out.push_str("## Import\n\nImport is supported using the following syntax:\n\n");
        push_fenced(&mut out, "shell", import);
    }
    finish(out)
}

/// The provider's index page: its configuration, an example, links to every page and
/// `guide_md`, provider-specific Markdown sections (`## ...`) placed at the end.
pub fn render_provider_index(
    name: &str,
    schema: &Schema,
    pages: &[PageRef],
    example_hcl: &str,
    guide_md: &str,
) -> String {
    let description = &schema.block.description;
    let mut out = front_matter(&format!("{name} Provider"), description);
    let _ = writeln!(out, "# {name} Provider\n");
    push_paragraph(&mut out, description);
    push_example(&mut out, example_hcl);
    push_schema(&mut out, &schema.block);
    for kind in [DocKind::Resource, DocKind::DataSource] {
        let mut listed: Vec<&PageRef> = pages.iter().filter(|p| p.kind == kind).collect();
        if listed.is_empty() {
            continue;
        }
        listed.sort_by_key(|p| p.type_name);
        let _ = writeln!(out, "## {}s\n", kind.label());
        for page in listed {
            let _ = write!(out, "- [`{}`]({})", page.type_name, page.file_path());
            match first_sentence(&page.schema.block.description) {
                "" => out.push('\n'),
                summary => {
                    let _ = writeln!(out, ": {summary}");
                }
            }
        }
        out.push('\n');
    }
    push_paragraph(&mut out, guide_md);
    finish(out)
}

fn front_matter(page_title: &str, description: &str) -> String {
    let mut out = String::from("---\n# generated from the provider schema; do not edit by hand\n");
    let _ = writeln!(out, "page_title: \"{}\"", page_title.replace('"', "\\\""));
    out.push_str("subcategory: \"\"\ndescription: |-\n");
    for line in description.trim().lines() {
        let _ = writeln!(out, "  {line}");
    }
    out.push_str("---\n\n");
    out
}

fn first_sentence(text: &str) -> &str {
    let text = text.trim();
    match text.find(". ") {
        Some(end) => &text[..=end],
        None => text,
    }
}

fn push_paragraph(out: &mut String, text: &str) {
    let text = text.trim();
    if !text.is_empty() {
        out.push_str(text);
        out.push_str("\n\n");
    }
}

fn push_fenced(out: &mut String, language: &str, code: &str) {
    let _ = writeln!(out, "```{language}\n{}\n```\n", code.trim_end());
}

fn push_example(out: &mut String, example_hcl: &str) {
    if !example_hcl.trim().is_empty() {
        out.push_str("## Example Usage\n\n");
        push_fenced(out, "terraform", example_hcl);
    }
}

/// One trailing newline, whatever the last section left.
fn finish(out: String) -> String {
    format!("{}\n", out.trim_end())
}

// ---------------------------------------------------------------- schema sections

/// The groups of the Registry layout, in page order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Group {
    Required,
    Optional,
    ReadOnly,
}

impl Group {
    fn title(self) -> &'static str {
        match self {
            Group::Required => "Required",
            Group::Optional => "Optional",
            Group::ReadOnly => "Read-Only",
        }
    }

    fn of_attribute(a: &Attribute) -> Group {
        match a.mode {
            AttrMode::Required => Group::Required,
            AttrMode::Optional | AttrMode::OptionalComputed => Group::Optional,
            AttrMode::Computed => Group::ReadOnly,
        }
    }

    /// A block is required when it must appear, read-only when everything in it is.
    fn of_block(nb: &NestedBlock) -> Group {
        if nb.min_items > 0 {
            Group::Required
        } else if is_read_only(&nb.block) {
            Group::ReadOnly
        } else {
            Group::Optional
        }
    }
}

fn is_read_only(block: &Block) -> bool {
    let members = block.attributes.len() + block.blocks.len();
    members > 0
        && block
            .attributes
            .iter()
            .all(|a| a.mode == AttrMode::Computed)
        && block.blocks.iter().all(|b| is_read_only(&b.block))
}

/// Something documented in its own section below its parent's list.
enum Nested<'a> {
    Block(&'a NestedBlock),
    /// Attributes of an object-typed attribute (also inside lists, sets and maps).
    Object {
        attrs: &'a BTreeMap<String, Type>,
        group: Group,
    },
}

impl Nested<'_> {
    fn anchor(&self, path: &[&str]) -> String {
        let prefix = match self {
            Nested::Block(_) => "nestedblock",
            Nested::Object { .. } => "nestedatt",
        };
        format!("{prefix}--{}", path.join("--"))
    }
}

/// One line of a section: its group, name, the list item, and what it links to.
struct Member<'a> {
    group: Group,
    name: &'a str,
    line: String,
    nested: Option<Nested<'a>>,
}

fn push_schema(out: &mut String, block: &Block) {
    if block.attributes.is_empty() && block.blocks.is_empty() {
        return;
    }
    out.push_str("## Schema\n\n");
    push_members(out, block, &[], |g| format!("### {}\n\n", g.title()));
}

/// Lists a block's direct members by group, then writes the section of each nested
/// member (depth first, so a subtree's sections stay together).
fn push_members(out: &mut String, block: &Block, path: &[&str], heading: impl Fn(Group) -> String) {
    let mut members: Vec<Member> = block
        .attributes
        .iter()
        .map(|a| attribute_member(a, path))
        .chain(block.blocks.iter().map(|nb| block_member(nb, path)))
        .collect();
    members.sort_by(|a, b| (a.group, a.name).cmp(&(b.group, b.name)));
    let mut current = None;
    for m in &members {
        if current != Some(m.group) {
            if current.is_some() {
                out.push('\n');
            }
            out.push_str(&heading(m.group));
            current = Some(m.group);
        }
        let _ = writeln!(out, "{}", m.line);
    }
    if current.is_some() {
        out.push('\n');
    }
    for m in &members {
        if let Some(nested) = &m.nested {
            let mut child_path = path.to_vec();
            child_path.push(m.name);
            push_nested(out, nested, &child_path);
        }
    }
}

fn push_nested(out: &mut String, nested: &Nested, path: &[&str]) {
    let _ = writeln!(
        out,
        "<a id=\"{}\"></a>\n### Nested Schema for `{}`\n",
        nested.anchor(path),
        path.join(".")
    );
    match nested {
        Nested::Block(nb) => push_members(out, &nb.block, path, |g| format!("{}:\n\n", g.title())),
        Nested::Object { attrs, group } => {
            let _ = writeln!(out, "{}:\n", group.title());
            for (name, ty) in attrs.iter() {
                let _ = writeln!(out, "- `{name}` ({})", type_label(ty));
            }
            out.push('\n');
        }
    }
}

fn link_to(nested: &Nested, path: &[&str], name: &str) -> String {
    let mut full = path.to_vec();
    full.push(name);
    format!("(see [below for nested schema](#{}))", nested.anchor(&full))
}

fn attribute_member<'a>(a: &'a Attribute, path: &[&str]) -> Member<'a> {
    let group = Group::of_attribute(a);
    let mut traits = vec![type_label(&a.ty)];
    if a.sensitive {
        traits.push("Sensitive".to_string());
    }
    if a.deprecated {
        traits.push("Deprecated".to_string());
    }
    let nested = object_attrs(&a.ty).map(|attrs| Nested::Object { attrs, group });
    let mut line = format!("- `{}` ({})", a.name, traits.join(", "));
    push_words(&mut line, &a.description);
    if a.force_new {
        push_words(&mut line, "(Forces replacement)");
    }
    if let Some(n) = &nested {
        push_words(&mut line, &link_to(n, path, &a.name));
    }
    Member {
        group,
        name: &a.name,
        line,
        nested,
    }
}

fn block_member<'a>(nb: &'a NestedBlock, path: &[&str]) -> Member<'a> {
    let mut line = format!("- `{}` ({})", nb.name, block_label(nb));
    push_words(&mut line, &nb.block.description);
    // An empty block is a switch: writing it is the whole setting, nothing to link to.
    let nested = if nb.block.attributes.is_empty() && nb.block.blocks.is_empty() {
        push_words(&mut line, "An empty block: its presence is the setting.");
        None
    } else {
        let n = Nested::Block(nb);
        push_words(&mut line, &link_to(&n, path, &nb.name));
        Some(n)
    };
    Member {
        group: Group::of_block(nb),
        name: &nb.name,
        line,
        nested,
    }
}

fn push_words(line: &mut String, words: &str) {
    let words = words.trim();
    if !words.is_empty() {
        line.push(' ');
        line.push_str(words);
    }
}

/// The attributes of an object type, looking through collections.
fn object_attrs(ty: &Type) -> Option<&BTreeMap<String, Type>> {
    match ty {
        Type::Object(attrs) if !attrs.is_empty() => Some(attrs),
        Type::List(t) | Type::Set(t) | Type::Map(t) => object_attrs(t),
        _ => None,
    }
}

fn type_label(ty: &Type) -> String {
    match ty {
        Type::String => "String".into(),
        Type::Number => "Number".into(),
        Type::Bool => "Boolean".into(),
        Type::List(t) => format!("List of {}", type_label(t)),
        Type::Set(t) => format!("Set of {}", type_label(t)),
        Type::Map(t) => format!("Map of {}", type_label(t)),
        Type::Object(_) => "Object".into(),
        Type::Tuple(_) => "Tuple".into(),
        Type::Dynamic => "Dynamic".into(),
    }
}

fn block_label(nb: &NestedBlock) -> String {
    let mut label = match nb.nesting {
        Nesting::List => "Block List",
        Nesting::Set => "Block Set",
        Nesting::Map => "Block Map",
        Nesting::Single | Nesting::Group => "Block",
    }
    .to_string();
    if matches!(nb.nesting, Nesting::List | Nesting::Set) {
        if nb.min_items > 0 {
            let _ = write!(label, ", Min: {}", nb.min_items);
        }
        if nb.max_items > 0 {
            let _ = write!(label, ", Max: {}", nb.max_items);
        }
    }
    label
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Attribute, NestedBlock};

    fn pool_like() -> Schema {
        let permissions = Block::new()
            .describe("Who may use the directory.")
            .attr(Attribute::optional("mode", Type::String).force_new());
        let target = Block::new()
            .describe("Where the pool lives.")
            .attr(Attribute::required("path", Type::String).force_new())
            .block(NestedBlock::at_most_one("permissions", permissions));
        Schema::new(
            Block::new()
                .describe("A storage pool. Every other field maps to XML.")
                .attr(
                    Attribute::required("name", Type::String)
                        .describe("Pool name.")
                        .force_new(),
                )
                .attr(Attribute::computed("id", Type::String).describe("The UUID."))
                .attr(Attribute::optional("autostart", Type::Bool))
                .attr(Attribute::optional("secret", Type::String).sensitive())
                .attr(Attribute::optional("tags", Type::list(Type::String)))
                .block(NestedBlock::at_most_one("target", target))
                .block(NestedBlock::list("features", Block::new()).min(1)),
        )
    }

    fn render(schema: &Schema) -> String {
        render_resource(
            "libvirt_pool",
            DocKind::Resource,
            schema,
            "resource \"libvirt_pool\" \"x\" {}\n",
            Some("terraform import libvirt_pool.x default"),
        )
    }

    /// The text between a heading and the next heading or anchor.
    fn section<'a>(page: &'a str, heading: &str) -> &'a str {
        let start = page
            .find(&format!("{heading}\n"))
            .unwrap_or_else(|| panic!("no {heading:?} in:\n{page}"));
        let body = &page[start + heading.len()..];
        let end = ["\n#", "\n<a id="]
            .iter()
            .filter_map(|marker| body.find(marker))
            .min()
            .unwrap_or(body.len());
        &body[..end]
    }

    #[test]
    fn resource_page_has_registry_front_matter_title_and_example() {
        let page = render(&pool_like());
        assert!(page.starts_with("---\n"), "{page}");
        assert!(
            page.contains("page_title: \"libvirt_pool Resource - terraform-provider-libvirt\"\n")
        );
        assert!(page.contains("subcategory: \"\"\n"));
        assert!(page
            .contains("description: |-\n  A storage pool. Every other field maps to XML.\n---\n"));
        assert!(page.contains("\n# libvirt_pool (Resource)\n\nA storage pool."));
        assert!(page.contains(
            "## Example Usage\n\n```terraform\nresource \"libvirt_pool\" \"x\" {}\n```\n"
        ));
        assert!(page.contains("## Import\n\nImport is supported using the following syntax:\n\n```shell\nterraform import libvirt_pool.x default\n```\n"));
        assert!(page.ends_with("```\n") && !page.ends_with("\n\n"));
    }

    #[test]
    fn data_source_page_and_missing_import() {
        let page = render_resource("k3s_cluster", DocKind::DataSource, &pool_like(), "", None);
        assert!(page.contains("# k3s_cluster (Data Source)"));
        assert!(page.contains("page_title: \"k3s_cluster Data Source - terraform-provider-k3s\""));
        assert!(!page.contains("## Import"));
        assert!(!page.contains("## Example Usage"), "no example, no section");
    }

    #[test]
    fn members_are_grouped_by_mode_and_sorted() {
        let page = render(&pool_like());
        let required = section(&page, "### Required");
        assert!(
            required.contains("- `name` (String) Pool name. (Forces replacement)\n"),
            "{required}"
        );
        assert!(
            required.contains("- `features` (Block List, Min: 1)"),
            "a block with min_items is required: {required}"
        );
        assert!(
            required.find("`features`") < required.find("`name`"),
            "sorted"
        );
        let optional = section(&page, "### Optional");
        assert!(optional.contains("- `autostart` (Boolean)\n"), "{optional}");
        assert!(optional.contains("- `secret` (String, Sensitive)\n"));
        assert!(optional.contains("- `tags` (List of String)\n"));
        assert!(!optional.contains("`name`") && !optional.contains("`id`"));
        let read_only = section(&page, "### Read-Only");
        assert_eq!(read_only.trim(), "- `id` (String) The UUID.");
    }

    #[test]
    fn nested_blocks_get_their_own_linked_sections() {
        let page = render(&pool_like());
        assert!(page.contains(
            "- `target` (Block List, Max: 1) Where the pool lives. (see [below for nested schema](#nestedblock--target))"
        ));
        let target = section(&page, "### Nested Schema for `target`");
        assert!(
            target.contains("Required:\n\n- `path` (String) (Forces replacement)\n"),
            "{target}"
        );
        assert!(target.contains(
            "- `permissions` (Block List, Max: 1) Who may use the directory. (see [below for nested schema](#nestedblock--target--permissions))"
        ));
        assert!(
            !target.contains("`mode`"),
            "grandchildren live in their own section"
        );
        assert!(page.contains("<a id=\"nestedblock--target--permissions\"></a>\n### Nested Schema for `target.permissions`\n\nOptional:\n\n- `mode` (String) (Forces replacement)\n"));
    }

    #[test]
    fn empty_blocks_are_switches_without_sections() {
        let page = render(&pool_like());
        assert!(page.contains(
            "- `features` (Block List, Min: 1) An empty block: its presence is the setting.\n"
        ));
        assert!(!page.contains("nestedblock--features"));
    }

    /// Every `(#anchor)` link resolves to exactly one `<a id>` and every anchor is linked.
    fn assert_links_resolve(page: &str) -> usize {
        let anchors: Vec<&str> = page
            .split("<a id=\"")
            .skip(1)
            .map(|s| &s[..s.find('"').unwrap()])
            .collect();
        let links: Vec<&str> = page
            .split("](#")
            .skip(1)
            .map(|s| &s[..s.find(')').unwrap()])
            .collect();
        for link in &links {
            assert_eq!(
                anchors.iter().filter(|a| *a == link).count(),
                1,
                "link #{link} in:\n{page}"
            );
        }
        for anchor in &anchors {
            assert!(links.contains(anchor), "anchor {anchor} is never linked");
        }
        anchors.len()
    }

    #[test]
    fn deep_schemas_link_every_level() {
        // Five levels, two children each: 2 + 4 + 8 + 16 + 32 sections.
        fn tree(depth: usize) -> Block {
            let mut b = Block::new().attr(Attribute::optional("leaf", Type::Number));
            if depth > 0 {
                for name in ["left", "right"] {
                    b = b.block(NestedBlock::list(name, tree(depth - 1)));
                }
            }
            b
        }
        let page = render(&Schema::new(tree(5)));
        assert_eq!(assert_links_resolve(&page), 62);
        assert!(page.contains("### Nested Schema for `right.left.right.left.right`"));
        assert!(page.contains("<a id=\"nestedblock--right--left--right--left--right\"></a>"));
        // Depth first: a subtree's sections stay together.
        let pos = |s: &str| {
            page.find(&format!("### Nested Schema for `{s}`\n"))
                .unwrap()
        };
        assert!(
            pos("left") < pos("left.left") && pos("left.right.right.right.right") < pos("right")
        );
    }

    #[test]
    fn object_attributes_are_documented_below() {
        let nodes = Type::list(Type::Object(BTreeMap::from([
            ("name".to_string(), Type::String),
            ("ready".to_string(), Type::Bool),
        ])));
        let schema = Schema::new(Block::new().attr(Attribute::computed("nodes", nodes)));
        let page = render(&schema);
        assert!(page.contains(
            "- `nodes` (List of Object) (see [below for nested schema](#nestedatt--nodes))"
        ));
        assert!(page.contains("<a id=\"nestedatt--nodes\"></a>\n### Nested Schema for `nodes`\n\nRead-Only:\n\n- `name` (String)\n- `ready` (Boolean)\n"));
        assert_links_resolve(&page);
    }

    #[test]
    fn read_only_blocks_are_grouped_as_read_only() {
        let status = Block::new().attr(Attribute::computed("state", Type::String));
        let schema = Schema::new(Block::new().block(NestedBlock::list("status", status)));
        let page = render(&schema);
        assert!(section(&page, "### Read-Only").contains("- `status` (Block List)"));
    }

    #[test]
    fn multi_line_descriptions_stay_inside_the_front_matter() {
        let schema = Schema::new(Block::new().describe("Line one.\nLine two: with a colon."));
        let page = render(&schema);
        assert!(page.contains("description: |-\n  Line one.\n  Line two: with a colon.\n---\n"));
    }

    #[test]
    fn index_lists_pages_and_appends_the_guide() {
        let provider = Schema::new(
            Block::new()
                .describe("Manages pools.")
                .attr(Attribute::optional("uri", Type::String).describe("Where.")),
        );
        let pool = pool_like();
        let pages = [
            PageRef {
                type_name: "libvirt_pool",
                kind: DocKind::Resource,
                schema: &pool,
            },
            PageRef {
                type_name: "libvirt_host",
                kind: DocKind::DataSource,
                schema: &provider,
            },
        ];
        let page = render_provider_index(
            "libvirt",
            &provider,
            &pages,
            "provider \"libvirt\" {}",
            "## Notes\n\nRead me.",
        );
        assert!(page.contains("page_title: \"libvirt Provider\""));
        assert!(page.contains("# libvirt Provider\n\nManages pools.\n\n## Example Usage\n\n```terraform\nprovider \"libvirt\" {}\n```\n"));
        assert!(section(&page, "### Optional").contains("- `uri` (String) Where."));
        assert!(page
            .contains("## Resources\n\n- [`libvirt_pool`](resources/pool.md): A storage pool.\n"));
        assert!(page.contains(
            "## Data Sources\n\n- [`libvirt_host`](data-sources/host.md): Manages pools.\n"
        ));
        assert!(page.ends_with("## Notes\n\nRead me.\n"));
        assert_eq!(pages[1].file_path(), "data-sources/host.md");
    }
}
