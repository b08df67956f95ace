//! Keeps `examples/pulumi/index.ts` honest: every property it passes to a resource or data
//! source must exist in the provider's real schema under the name Pulumi's Terraform bridge
//! gives it, with the shape the bridge gives it, and every required one must be set.
//!
//! Neither Pulumi nor the network is needed: the schemas come from the providers in-process,
//! and the bridge's naming is simulated here (see `bridge` below for the rules and sources).
//! The TypeScript is read by a small tokenizer that finds `new pkg.Class("name", { ... })`
//! and `pkg.getThing({ ... })` / `pkg.getThingOutput({ ... })` calls and the object and array
//! literals in their arguments, nested too (including `cond ? { ... } : undefined` and
//! `xs.map((x) => ({ ... }))`). Anything else (a variable passed as a block) is not checked.

use std::path::Path;

use tfplugin::{AttrMode, Block, Provider, Type};

/// How Pulumi's Terraform bridge names a provider's schema. Sources: pulumi-terraform-bridge
/// `pkg/tfbridge/names.go` (TerraformToPulumiNameV2), `pkg/tfbridge/tokens` (SingleModule +
/// MakeStandard, as `dynamic/info.go` configures the "any Terraform provider" path), and
/// `pkg/pf/proto/block.go` + `IsMaxItemsOne` (list blocks of at most one become one object).
mod bridge {
    use tfplugin::{Attribute, Block, NestedBlock, Nesting, Type};

    /// What a Pulumi property name stands for at one level of a schema.
    pub enum Member<'a> {
        Attr(&'a Attribute),
        Block(&'a NestedBlock),
    }

    impl Member<'_> {
        pub fn tf_name(&self) -> &str {
            match self {
                Member::Attr(a) => &a.name,
                Member::Block(b) => &b.name,
            }
        }
    }

    /// A block that becomes an array in Pulumi: list/set nesting with no `max_items = 1`.
    pub fn is_array_block(block: &NestedBlock) -> bool {
        matches!(block.nesting, Nesting::List | Nesting::Set) && block.max_items != 1
    }

    fn is_plural(member: &Member) -> bool {
        match member {
            Member::Attr(a) => matches!(a.ty, Type::List(_) | Type::Set(_)),
            Member::Block(b) => is_array_block(b),
        }
    }

    /// Every property of `block` under its Pulumi name. Array-valued names are pluralized
    /// unless the plural is another name at the same level.
    pub fn members(block: &Block) -> Vec<(String, Member<'_>)> {
        let all: Vec<Member> = block
            .attributes
            .iter()
            .map(Member::Attr)
            .chain(block.blocks.iter().map(Member::Block))
            .collect();
        let names: Vec<String> = all.iter().map(|m| m.tf_name().to_string()).collect();
        let taken = |name: &str| names.iter().any(|n| n == name);
        all.into_iter()
            .map(|member| {
                let tf = member.tf_name().to_string();
                let plural = pluralize(&tf);
                let name = if is_plural(&member) && (plural == tf || !taken(&plural)) {
                    plural
                } else {
                    tf
                };
                (camel_case(&name), member)
            })
            .collect()
    }

    /// snake_case -> camelCase: a letter after underscores is upper-cased, the underscores go.
    pub fn camel_case(name: &str) -> String {
        let mut out = String::with_capacity(name.len());
        let mut upper_next = false;
        let mut started = false;
        for c in name.chars() {
            if c == '_' && started {
                upper_next = true;
                continue;
            }
            started |= c != '_';
            if upper_next && c.is_ascii_lowercase() {
                out.push(c.to_ascii_uppercase());
            } else {
                out.push(c);
            }
            upper_next = false;
        }
        if upper_next {
            out.push('_');
        }
        out
    }

    /// The SDK class of a resource type: the provider prefix dropped, then UpperCamelCase
    /// (`libvirt_cloudinit_disk` -> `CloudinitDisk`).
    pub fn class_name(type_name: &str, prefix: &str) -> String {
        let rest = type_name
            .strip_prefix(prefix)
            .and_then(|r| r.strip_prefix('_'))
            .unwrap_or(type_name);
        upper_first(&camel_case(rest))
    }

    /// The SDK function of a data source: `get` + its class name (`k3s_cloud_init` ->
    /// `getCloudInit`; TypeScript also has `getCloudInitOutput`).
    pub fn function_name(type_name: &str, prefix: &str) -> String {
        format!("get{}", class_name(type_name, prefix))
    }

    fn upper_first(s: &str) -> String {
        let mut chars = s.chars();
        chars
            .next()
            .map(|c| c.to_uppercase().chain(chars).collect())
            .unwrap_or_default()
    }

    /// English plurals the way the bridge's inflector (gedex/inflector) forms them, for the
    /// word endings schema names have. Applied to the whole snake_case name, so only its
    /// last word changes.
    pub fn pluralize(word: &str) -> String {
        const UNCHANGED: &[&str] = &[
            "equipment",
            "information",
            "rice",
            "money",
            "species",
            "series",
            "news",
            "sheep",
            "deer",
            "fish",
            "people",
        ];
        const WHOLE_WORD: &[(&str, &str)] = &[
            ("person", "people"),
            ("man", "men"),
            ("devices_input", "devices_inputs"),
            ("node_ip", "node_ips"),
            ("tls_san", "tls_sans"),
            ("child", "children"),
            ("ox", "oxen"),
            ("foot", "feet"),
            ("tooth", "teeth"),
            ("goose", "geese"),
            ("sex", "sexes"),
            ("cafe", "cafes"),
            ("atlas", "atlases"),
        ];
        if word.is_empty() {
            return String::new();
        }
        let lower = word.to_ascii_lowercase();
        if let Some((_, plural)) = WHOLE_WORD.iter().find(|(w, _)| *w == lower) {
            return plural.to_string();
        }
        if UNCHANGED.iter().any(|w| lower.ends_with(w)) || lower.ends_with("media") {
            return word.to_string();
        }
        let stem = |n: usize| &word[..word.len() - n];
        let ends = |s: &str| lower.ends_with(s);
        let before = |n: usize| lower[..lower.len() - n].chars().last();
        let vowel_y = |c: Option<char>| matches!(c, Some('a' | 'e' | 'i' | 'o' | 'u' | 'y'));
        if ends("status") {
            format!("{word}es")
        } else if ends("quiz") {
            format!("{word}zes")
        } else if ends("mouse") || ends("louse") {
            format!("{}ice", stem(4))
        } else if ["matrix", "matrex", "vertix", "vertex", "index", "indix"]
            .iter()
            .any(|s| ends(s))
        {
            format!("{}ices", stem(2))
        } else if ends("x") || ends("ch") || ends("ss") || ends("sh") {
            format!("{word}es")
        } else if ends("y") && (!vowel_y(before(1)) || ends("quy")) {
            format!("{}ies", stem(1))
        } else if ends("hive") {
            format!("{word}s")
        } else if (ends("fe") && before(2) != Some('f'))
            || (ends("f") && matches!(before(1), Some('l' | 'r' | 'e')))
        {
            let cut = if ends("fe") { 2 } else { 1 };
            format!("{}ves", stem(cut))
        } else if ends("sis") {
            format!("{}ses", stem(3))
        } else if ends("tum") || ends("ium") {
            format!("{}a", stem(2))
        } else if ends("person") {
            format!("{}eople", stem(5))
        } else if ends("man") {
            format!("{}en", stem(2))
        } else if ends("child") {
            format!("{word}ren")
        } else if ends("buffalo") || ends("tomato") {
            format!("{word}es")
        } else if [
            "alumnus", "bacillus", "cactus", "focus", "fungus", "nucleus", "radius", "stimulus",
            "syllabus", "terminus", "virus",
        ]
        .iter()
        .any(|s| ends(s))
        {
            format!("{}i", stem(2))
        } else if ends("us") || ends("alias") {
            format!("{word}es")
        } else if ends("axis") || ends("crisis") || ends("testis") {
            format!("{}es", stem(2))
        } else if ends("s") {
            word.to_string()
        } else {
            format!("{word}s")
        }
    }
}

/// A tokenizer and literal reader for the subset of TypeScript the example uses.
mod ts {
    #[derive(Debug, Clone, PartialEq)]
    pub enum Tok {
        Ident(String),
        Str(String),
        Num,
        Punct(&'static str),
    }

    #[derive(Debug, Clone)]
    pub struct Token {
        pub tok: Tok,
        pub line: usize,
        pub start: usize,
        pub end: usize,
    }

    const PUNCTS: &[&str] = &[
        "...", "===", "!==", "=>", "??", "||", "&&", "?.", "==", "!=", "<=", ">=", "+=", "-=", "{",
        "}", "(", ")", "[", "]", ",", ":", ";", ".", "?", "=", "<", ">", "+", "-", "*", "%", "!",
        "&", "|", "^", "~", "@", "#",
    ];

    /// Tokens of `src`; comments are dropped, strings (template literals whole) are one token.
    pub fn tokenize(src: &str) -> Result<Vec<Token>, String> {
        let b = src.as_bytes();
        let line_of = |pos: usize| src[..pos].bytes().filter(|&c| c == b'\n').count() + 1;
        let mut out: Vec<Token> = Vec::new();
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            let start = i;
            if c.is_ascii_whitespace() {
                i += 1;
                continue;
            }
            if b[i..].starts_with(b"//") {
                i = src[i..].find('\n').map_or(b.len(), |n| i + n);
                continue;
            }
            if b[i..].starts_with(b"/*") {
                i = src[i + 2..]
                    .find("*/")
                    .map(|n| i + 2 + n + 2)
                    .ok_or_else(|| format!("line {}: unterminated comment", line_of(i)))?;
                continue;
            }
            let tok = if c == b'"' || c == b'\'' || c == b'`' {
                i = skip_string(b, i)
                    .ok_or_else(|| format!("line {}: unterminated string", line_of(start)))?;
                Tok::Str(src[start + 1..i - 1].to_string())
            } else if c == b'/' && regex_may_start(out.last()) {
                i = skip_regex(b, i)
                    .ok_or_else(|| format!("line {}: unterminated regex", line_of(start)))?;
                Tok::Str(src[start..i].to_string())
            } else if c.is_ascii_alphabetic() || c == b'_' || c == b'$' {
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'$')
                {
                    i += 1;
                }
                Tok::Ident(src[start..i].to_string())
            } else if c.is_ascii_digit() {
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.' || b[i] == b'_')
                {
                    i += 1;
                }
                Tok::Num
            } else if let Some(p) = PUNCTS.iter().find(|p| b[i..].starts_with(p.as_bytes())) {
                i += p.len();
                Tok::Punct(p)
            } else if c == b'/' {
                i += 1;
                Tok::Punct("/")
            } else {
                return Err(format!(
                    "line {}: unexpected character {:?}",
                    line_of(i),
                    c as char
                ));
            };
            out.push(Token {
                tok,
                line: line_of(start),
                start,
                end: i,
            });
        }
        Ok(out)
    }

    /// A `/` starts a regex literal after an operator or opening bracket, not after a value.
    fn regex_may_start(prev: Option<&Token>) -> bool {
        match prev.map(|t| &t.tok) {
            None => true,
            Some(Tok::Punct(p)) => !matches!(*p, ")" | "]" | "}"),
            Some(Tok::Ident(w)) => matches!(w.as_str(), "return" | "typeof" | "case"),
            Some(_) => false,
        }
    }

    fn skip_regex(b: &[u8], mut i: usize) -> Option<usize> {
        i += 1;
        let mut in_class = false;
        while i < b.len() {
            match b[i] {
                b'\\' => i += 1,
                b'[' => in_class = true,
                b']' => in_class = false,
                b'/' if !in_class => {
                    i += 1;
                    while i < b.len() && b[i].is_ascii_alphabetic() {
                        i += 1;
                    }
                    return Some(i);
                }
                b'\n' => return None,
                _ => {}
            }
            i += 1;
        }
        None
    }

    /// Index just past the string starting at `i`; template literals skip their `${...}`.
    fn skip_string(b: &[u8], mut i: usize) -> Option<usize> {
        let quote = b[i];
        i += 1;
        while i < b.len() {
            match b[i] {
                b'\\' => i += 2,
                c if c == quote => return Some(i + 1),
                b'$' if quote == b'`' && b.get(i + 1) == Some(&b'{') => {
                    i = skip_code_to_brace(b, i + 2)?;
                }
                _ => i += 1,
            }
        }
        None
    }

    /// Inside `${`: index just past the `}` that closes it.
    fn skip_code_to_brace(b: &[u8], mut i: usize) -> Option<usize> {
        let mut depth = 1;
        while i < b.len() {
            match b[i] {
                b'"' | b'\'' | b'`' => {
                    i = skip_string(b, i)?;
                    continue;
                }
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(i + 1);
                    }
                }
                _ => {}
            }
            i += 1;
        }
        None
    }

    /// Index of the bracket closing the one at `open`.
    pub fn matching(toks: &[Token], open: usize) -> Result<usize, String> {
        let mut depth = 0i32;
        for (k, t) in toks.iter().enumerate().skip(open) {
            match t.tok {
                Tok::Punct("{" | "(" | "[") => depth += 1,
                Tok::Punct("}" | ")" | "]") => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(k);
                    }
                }
                _ => {}
            }
        }
        Err(format!("line {}: unbalanced bracket", toks[open].line))
    }

    /// The comma-separated parts of `toks[from..to]` at bracket depth zero.
    pub fn split_commas(
        toks: &[Token],
        from: usize,
        to: usize,
    ) -> Result<Vec<(usize, usize)>, String> {
        let mut parts = Vec::new();
        let (mut start, mut k) = (from, from);
        while k < to {
            match toks[k].tok {
                Tok::Punct("{" | "(" | "[") => k = matching(toks, k)?,
                Tok::Punct(",") => {
                    parts.push((start, k));
                    start = k + 1;
                }
                _ => {}
            }
            k += 1;
        }
        if start < to {
            parts.push((start, to));
        }
        Ok(parts)
    }

    /// An object literal: its properties in order.
    #[derive(Debug)]
    pub struct Object {
        pub props: Vec<Prop>,
        pub line: usize,
    }

    #[derive(Debug)]
    pub struct Prop {
        /// `None` for a spread (`...x`), whose names cannot be checked.
        pub key: Option<String>,
        pub line: usize,
        pub value: Vec<Shape>,
    }

    /// A literal found in a value expression.
    #[derive(Debug)]
    pub enum Shape {
        /// `{ ... }` written as the value itself or as a branch of `?:`, `??`, `||`.
        Object(Object),
        /// `{ ... }` returned by an arrow function (`xs.map((x) => ({ ... }))`): an element or
        /// the whole value, depending on the call; its keys are checked, not its nesting.
        ArrowObject(Object),
        /// `[ ... ]`: each element's shapes.
        Array(Vec<Vec<Shape>>),
    }

    /// The literals `toks[from..to]` evaluates to, as far as a reader can tell.
    pub fn shapes(toks: &[Token], from: usize, to: usize) -> Result<Vec<Shape>, String> {
        let mut out = Vec::new();
        let mut k = from;
        while k < to {
            let prev = |n: usize| (k >= from + n).then(|| &toks[k - n].tok);
            let value_position =
                k == from || matches!(prev(1), Some(Tok::Punct("?" | ":" | "??" | "||")));
            let arrow_result = matches!(prev(1), Some(Tok::Punct("(")))
                && matches!(prev(2), Some(Tok::Punct("=>")));
            match toks[k].tok {
                Tok::Punct("{") if value_position || arrow_result => {
                    let close = matching(toks, k)?;
                    let object = object(toks, k, close)?;
                    out.push(if arrow_result {
                        Shape::ArrowObject(object)
                    } else {
                        Shape::Object(object)
                    });
                    k = close;
                }
                Tok::Punct("[") if value_position || arrow_result => {
                    let close = matching(toks, k)?;
                    let elements = split_commas(toks, k + 1, close)?
                        .into_iter()
                        .map(|(a, b)| shapes(toks, a, b))
                        .collect::<Result<_, _>>()?;
                    out.push(Shape::Array(elements));
                    k = close;
                }
                _ => {}
            }
            k += 1;
        }
        Ok(out)
    }

    fn object(toks: &[Token], open: usize, close: usize) -> Result<Object, String> {
        let mut props = Vec::new();
        for (a, b) in split_commas(toks, open + 1, close)? {
            let line = toks[a].line;
            let key = match &toks[a].tok {
                Tok::Punct("...") => {
                    props.push(Prop {
                        key: None,
                        line,
                        value: Vec::new(),
                    });
                    continue;
                }
                Tok::Ident(name) | Tok::Str(name) => name.clone(),
                other => {
                    return Err(format!(
                        "line {line}: unexpected {other:?} where a property name belongs"
                    ))
                }
            };
            let value = match toks.get(a + 1).map(|t| &t.tok) {
                Some(Tok::Punct(":")) if a + 1 < b => shapes(toks, a + 2, b)?,
                _ if a + 1 == b => Vec::new(), // shorthand `{ name }`
                _ => return Err(format!("line {line}: property `{key}` is not `key: value`")),
            };
            props.push(Prop {
                key: Some(key),
                line,
                value,
            });
        }
        Ok(Object {
            props,
            line: toks[open].line,
        })
    }
}

/// One call into a generated SDK.
struct Call {
    package: String,
    /// `Network`, `Provider`, or a function such as `getCloudInitOutput`.
    member: String,
    is_new: bool,
    /// The source text of the resource's logical name (empty for functions).
    logical_name: String,
    line: usize,
    args: Vec<ts::Shape>,
    /// `x` in `const x = new pkg.Class(...)` / `const x = pkg.getThing(...)`.
    binding: Option<String>,
}

/// A property read `x.prop` on a variable bound to an SDK call.
struct Read {
    var: String,
    prop: String,
    line: usize,
}

/// What the checks need from a program.
struct Program {
    calls: Vec<Call>,
    reads: Vec<Read>,
}

/// The `import * as alias from "@pulumi/pkg"` bindings, alias -> pkg.
fn sdk_imports(toks: &[ts::Token]) -> Vec<(String, String)> {
    use ts::Tok::*;
    toks.windows(6)
        .filter_map(|w| {
            match (
                &w[0].tok, &w[1].tok, &w[2].tok, &w[3].tok, &w[4].tok, &w[5].tok,
            ) {
                (Ident(i), Punct("*"), Ident(a), Ident(alias), Ident(f), Str(module))
                    if i == "import" && a == "as" && f == "from" =>
                {
                    module
                        .strip_prefix("@pulumi/")
                        .map(|pkg| (alias.clone(), pkg.to_string()))
                }
                _ => None,
            }
        })
        .collect()
}

fn read_program(src: &str) -> Result<Program, String> {
    use ts::Tok::*;
    let toks = ts::tokenize(src)?;
    let imports = sdk_imports(&toks);
    let mut calls = Vec::new();
    for k in 0..toks.len().saturating_sub(3) {
        let (Ident(alias), Punct("."), Ident(member), Punct("(")) = (
            &toks[k].tok,
            &toks[k + 1].tok,
            &toks[k + 2].tok,
            &toks[k + 3].tok,
        ) else {
            continue;
        };
        let Some((_, package)) = imports.iter().find(|(a, _)| a == alias) else {
            continue;
        };
        if package == "pulumi" {
            continue;
        }
        let is_new = k > 0 && toks[k - 1].tok == Ident("new".into());
        let before = |n: usize| (k >= n).then(|| &toks[k - n].tok);
        let assigned_at = if is_new { 2 } else { 1 };
        let binding = match (
            before(assigned_at),
            before(assigned_at + 1),
            before(assigned_at + 2),
        ) {
            (Some(Punct("=")), Some(Ident(var)), Some(Ident(decl)))
                if decl == "const" || decl == "let" =>
            {
                Some(var.clone())
            }
            _ => None,
        };
        if !is_new && !member.starts_with("get") {
            continue;
        }
        let close = ts::matching(&toks, k + 3)?;
        let args = ts::split_commas(&toks, k + 4, close)?;
        let (name_arg, props_arg) = if is_new {
            (args.first(), args.get(1))
        } else {
            (None, args.first())
        };
        let logical_name = name_arg
            .map(|&(a, b)| src[toks[a].start..toks[b - 1].end].to_string())
            .unwrap_or_default();
        let args = match props_arg {
            Some(&(a, b)) => ts::shapes(&toks, a, b)?,
            None => Vec::new(),
        };
        calls.push(Call {
            package: package.clone(),
            member: member.clone(),
            is_new,
            logical_name,
            line: toks[k].line,
            args,
            binding,
        });
    }
    let bound = |name: &str| calls.iter().any(|c| c.binding.as_deref() == Some(name));
    let reads = toks
        .windows(3)
        .enumerate()
        .filter_map(|(k, w)| match (&w[0].tok, &w[1].tok, &w[2].tok) {
            (Ident(var), Punct("." | "?."), Ident(prop))
                if bound(var)
                    && !matches!(
                        toks.get(k.wrapping_sub(1)).map(|t| &t.tok),
                        Some(Punct("." | "?."))
                    ) =>
            {
                Some(Read {
                    var: var.clone(),
                    prop: prop.clone(),
                    line: w[0].line,
                })
            }
            _ => None,
        })
        .collect();
    Ok(Program { calls, reads })
}

/// The schema a call's arguments must fit, with the Terraform name it stands for.
fn schema_for(call: &Call) -> Result<(String, Block), String> {
    let (prefix, provider): (&str, Box<dyn Provider>) = match call.package.as_str() {
        "libvirt" => (
            "libvirt",
            Box::new(libvirt_provider::LibvirtProvider::default()),
        ),
        "k3s" => ("k3s", Box::new(k3s_provider::K3sProvider)),
        other => return Err(format!("no provider behind package `@pulumi/{other}`")),
    };
    if call.is_new && call.member == "Provider" {
        return Ok((format!("provider \"{prefix}\""), provider.schema().block));
    }
    if call.is_new {
        for resource in provider.resources() {
            if bridge::class_name(resource.type_name(), prefix) == call.member {
                return Ok((
                    resource.type_name().to_string(),
                    resource.schema().block.clone(),
                ));
            }
        }
    } else {
        for data_source in provider.data_sources() {
            let function = bridge::function_name(data_source.type_name(), prefix);
            if call.member == function || call.member == format!("{function}Output") {
                return Ok((
                    format!("data.{}", data_source.type_name()),
                    data_source.schema().block.clone(),
                ));
            }
        }
    }
    let what = if call.is_new {
        "resource class"
    } else {
        "function"
    };
    Err(format!(
        "`{}.{}` is no {what} of the {prefix} provider's SDK",
        call.package, call.member
    ))
}

/// Checks one object literal against one schema level; `path` names the level for messages.
fn check_object(object: &ts::Object, block: &Block, path: &str, errors: &mut Vec<(usize, String)>) {
    let members = bridge::members(block);
    let at = |key: &str| {
        if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        }
    };
    for prop in &object.props {
        let Some(key) = &prop.key else {
            errors.push((
                prop.line,
                format!(
                    "{}: a spread (`...`) hides property names from this check",
                    at("...")
                ),
            ));
            continue;
        };
        let Some((_, member)) = members.iter().find(|(name, _)| name == key) else {
            errors.push((
                prop.line,
                format!(
                    "property `{}` does not exist{}",
                    at(key),
                    hint(key, &members)
                ),
            ));
            continue;
        };
        match member {
            bridge::Member::Attr(attr) => {
                if attr.mode == AttrMode::Computed {
                    errors.push((
                        prop.line,
                        format!(
                            "property `{}` is an output only (Terraform `{}` is computed)",
                            at(key),
                            attr.name
                        ),
                    ));
                }
                let takes_object =
                    matches!(attr.ty, Type::Map(_) | Type::Object(_) | Type::Dynamic);
                if !takes_object && prop.value.iter().any(|s| matches!(s, ts::Shape::Object(_))) {
                    errors.push((
                        prop.line,
                        format!(
                            "property `{}` takes a {:?}, not an object",
                            at(key),
                            attr.ty
                        ),
                    ));
                }
            }
            bridge::Member::Block(nested) => {
                check_block_value(&prop.value, prop.line, nested, &at(key), errors)
            }
        }
    }
    let set = |name: &str| object.props.iter().any(|p| p.key.as_deref() == Some(name));
    for (name, member) in &members {
        let required = match member {
            bridge::Member::Attr(a) => a.mode == AttrMode::Required,
            bridge::Member::Block(b) => b.min_items > 0,
        };
        if required && !set(name) {
            errors.push((
                object.line,
                format!(
                    "required property `{}` (Terraform `{}`) is not set",
                    at(name),
                    member.tf_name()
                ),
            ));
        }
    }
}

/// Checks the value given for nested block `nested`, written at `path`: an array where the
/// bridge makes one, a single object otherwise, and each object against the block's schema.
fn check_block_value(
    value: &[ts::Shape],
    line: usize,
    nested: &tfplugin::NestedBlock,
    path: &str,
    errors: &mut Vec<(usize, String)>,
) {
    let array = bridge::is_array_block(nested);
    for shape in value {
        match shape {
            ts::Shape::Object(o) if array => errors.push((
                o.line,
                format!(
                    "property `{path}` is an array in Pulumi (Terraform block `{}` repeats); \
                     write [{{ ... }}]",
                    nested.name
                ),
            )),
            ts::Shape::Array(_) if !array => errors.push((
                line,
                format!(
                    "property `{path}` is one object in Pulumi (Terraform block `{}` has \
                     max_items = 1); write {{ ... }}, not an array",
                    nested.name
                ),
            )),
            ts::Shape::Object(o) | ts::Shape::ArrowObject(o) => {
                check_object(o, &nested.block, path, errors)
            }
            ts::Shape::Array(elements) => {
                for element in elements.iter().flatten() {
                    match element {
                        ts::Shape::Object(o) | ts::Shape::ArrowObject(o) => {
                            check_object(o, &nested.block, path, errors)
                        }
                        ts::Shape::Array(_) => errors
                            .push((line, format!("property `{path}` holds objects, not arrays"))),
                    }
                }
            }
        }
    }
}

/// Points at the Pulumi name of the Terraform name a wrong key spells.
fn hint(key: &str, members: &[(String, bridge::Member)]) -> String {
    let snake: String = key
        .chars()
        .flat_map(|c| {
            let lower = c.to_ascii_lowercase();
            (c.is_ascii_uppercase())
                .then_some('_')
                .into_iter()
                .chain(Some(lower))
        })
        .collect();
    let singular_of = |name: &str| name == snake || bridge::pluralize(name) == snake;
    match members.iter().find(|(_, m)| singular_of(m.tf_name())) {
        Some((name, m)) => format!("; Terraform `{}` is `{name}` in Pulumi", m.tf_name()),
        None => String::new(),
    }
}

/// Names every SDK object has besides its schema's: the resource identity, and `apply` on
/// the `Output` a `get...Output` function returns.
const BUILT_IN_OUTPUTS: &[&str] = &["id", "urn", "apply"];

/// Every read `x.prop` of a bound SDK object must name one of its schema's properties.
fn check_reads(file: &str, calls: &[Call], reads: &[Read]) -> Vec<String> {
    let mut errors = Vec::new();
    for read in reads {
        let bound: Vec<&Call> = calls
            .iter()
            .filter(|c| c.binding.as_deref() == Some(read.var.as_str()))
            .collect();
        let schemas: Vec<(String, Block)> =
            bound.iter().filter_map(|c| schema_for(c).ok()).collect();
        if schemas.is_empty() || BUILT_IN_OUTPUTS.contains(&read.prop.as_str()) {
            continue; // an unknown class is reported at the call
        }
        let known = schemas.iter().any(|(_, block)| {
            bridge::members(block)
                .iter()
                .any(|(name, _)| *name == read.prop)
        });
        if !known {
            let (tf_name, block) = &schemas[0];
            errors.push(format!(
                "{file}:{}: `{}.{}`: {tf_name} has no property `{}`{}",
                read.line,
                read.var,
                read.prop,
                read.prop,
                hint(&read.prop, &bridge::members(block))
            ));
        }
    }
    errors
}

/// Every problem with the SDK calls in `src`; `file` prefixes each message.
fn check_program(file: &str, src: &str) -> Result<(Program, Vec<String>), String> {
    let program = read_program(src).map_err(|e| format!("{file}: {e}"))?;
    let Program { calls, reads } = &program;
    let mut errors = Vec::new();
    for call in calls {
        let what = format!("{}.{}({})", call.package, call.member, call.logical_name);
        let (tf_name, block) = match schema_for(call) {
            Ok(found) => found,
            Err(e) => {
                errors.push(format!("{file}:{}: {what}: {e}", call.line));
                continue;
            }
        };
        let objects: Vec<&ts::Object> = call
            .args
            .iter()
            .filter_map(|s| match s {
                ts::Shape::Object(o) | ts::Shape::ArrowObject(o) => Some(o),
                ts::Shape::Array(_) => None,
            })
            .collect();
        if objects.is_empty() {
            errors.push(format!(
                "{file}:{}: {what} ({tf_name}): arguments are not an object literal, \
                 so they cannot be checked",
                call.line
            ));
        }
        let mut found = Vec::new();
        for object in objects {
            check_object(object, &block, "", &mut found);
        }
        errors.extend(
            found
                .into_iter()
                .map(|(line, e)| format!("{file}:{line}: {what} ({tf_name}): {e}")),
        );
    }
    errors.extend(check_reads(file, calls, reads));
    Ok((program, errors))
}

const EXAMPLE: &str = "examples/pulumi/index.ts";

#[test]
fn the_pulumi_example_uses_only_schema_names() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(EXAMPLE);
    let src = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let (program, errors) = check_program(EXAMPLE, &src).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        errors.is_empty(),
        "{} problem(s):\n{}",
        errors.len(),
        errors.join("\n")
    );
    // The reader must have found the whole program, or the check above proves nothing.
    let members: Vec<String> = program
        .calls
        .iter()
        .map(|c| format!("{}.{}", c.package, c.member))
        .collect();
    for expected in [
        "libvirt.Provider",
        "libvirt.Pool",
        "libvirt.Network",
        "libvirt.Volume",
        "libvirt.CloudinitDisk",
        "libvirt.Domain",
        "k3s.Cluster",
        "k3s.getCloudInitOutput",
    ] {
        assert!(
            members.iter().any(|m| m == expected),
            "{EXAMPLE}: no `{expected}` call found in {members:?}"
        );
    }
    let reads: Vec<String> = program
        .reads
        .iter()
        .map(|r| format!("{}.{}", r.var, r.prop))
        .collect();
    for expected in [
        "cluster.token",
        "bootstrap.userData",
        "domain.interfaceAddresses",
    ] {
        assert!(
            reads.iter().any(|r| r == expected),
            "{EXAMPLE}: no read `{expected}` found in {reads:?}"
        );
    }
}

#[test]
fn reads_of_outputs_are_checked() {
    let found = problems(
        r#"const c = new k3s.Cluster("c", { name: "lab", serverUrl: "https://10.0.0.1:6443" });
           export const a = c.kubeconfig; export const b = c.server_tls_files; export const i = c.id;
           const ci = k3s.getCloudInitOutput({ role: "agent", token: c.token });
           export const u = ci.userData; export const v = ci.user_data;"#,
    );
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(
        found[0].contains("snippet.ts:4: `c.server_tls_files`: k3s_cluster has no property"),
        "{found:?}"
    );
    assert!(
        found[0].contains("is `serverTlsFiles` in Pulumi"),
        "{found:?}"
    );
    assert!(
        found[1].contains("`ci.user_data`: data.k3s_cloud_init has no property"),
        "{found:?}"
    );
}

/// Checks a snippet with the two SDK imports; returns the problems found.
fn problems(body: &str) -> Vec<String> {
    let src = format!("import * as libvirt from \"@pulumi/libvirt\";\nimport * as k3s from \"@pulumi/k3s\";\n{body}");
    check_program("snippet.ts", &src).expect("snippet parses").1
}

#[test]
fn a_wrong_name_is_reported_with_file_resource_and_property() {
    let found = problems(
        r#"const n = new libvirt.Network("lan", { name: "lan", ip: [{ address: "10.0.0.1" }] });"#,
    );
    assert_eq!(found.len(), 1, "{found:?}");
    let message = &found[0];
    for part in [
        "snippet.ts:3",
        "libvirt.Network(\"lan\")",
        "(libvirt_network)",
        "property `ip`",
        "`ips` in Pulumi",
    ] {
        assert!(message.contains(part), "{message:?} lacks {part:?}");
    }
}

#[test]
fn nested_names_are_checked_through_ternaries_and_map_callbacks() {
    let found = problems(
        r#"const d = new libvirt.Domain("d", {
             type: "qemu", name: "d",
             cpu: kvm ? { mod: "host-passthrough" } : undefined,
             devices: { disks: hosts.map((h) => ({ type: "file", target: { dev: h, buss: "virtio" } })) },
           });"#,
    );
    assert!(
        found
            .iter()
            .any(|e| e.contains("property `cpu.mod` does not exist")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|e| e.contains("property `devices.disks.target.buss` does not exist")),
        "{found:?}"
    );
    assert_eq!(found.len(), 2, "{found:?}");
}

#[test]
fn block_shapes_follow_max_items() {
    let found = problems(
        r#"new libvirt.Domain("d", { type: "qemu", name: "d", os: [{ type: { value: "hvm" } }], devices: { disks: { target: { dev: "vda" } } } });"#,
    );
    assert!(
        found.iter().any(|e| e.contains("`os` is one object")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|e| e.contains("`devices.disks` is an array")),
        "{found:?}"
    );
}

#[test]
fn missing_required_properties_and_outputs_are_reported() {
    let found = problems(
        r#"const c = new k3s.Cluster("c", { name: "lab", kubeconfig: "x" });
           const i = k3s.getCloudInitOutput({ role: "agent", token: c.token, online: {} });"#,
    );
    assert!(
        found
            .iter()
            .any(|e| e.contains("required property `serverUrl` (Terraform `server_url`)")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|e| e.contains("`kubeconfig` is an output only")),
        "{found:?}"
    );
    assert_eq!(found.len(), 2, "{found:?}");
}

#[test]
fn unknown_classes_and_unreadable_arguments_are_reported() {
    let found = problems(
        r#"new libvirt.Disk("x", { name: "x" }); new libvirt.Pool("p", args); new libvirt.Pool("q", { type: "dir", ...more });"#,
    );
    assert!(
        found
            .iter()
            .any(|e| e.contains("`libvirt.Disk` is no resource class")),
        "{found:?}"
    );
    assert!(
        found.iter().any(|e| e.contains("cannot be checked")),
        "{found:?}"
    );
    assert!(found.iter().any(|e| e.contains("a spread")), "{found:?}");
}

#[test]
fn names_follow_the_bridge_rules() {
    use bridge::{camel_case, class_name, function_name, pluralize};
    assert_eq!(
        class_name("libvirt_cloudinit_disk", "libvirt"),
        "CloudinitDisk"
    );
    assert_eq!(class_name("k3s_cluster", "k3s"), "Cluster");
    assert_eq!(function_name("k3s_cloud_init", "k3s"), "getCloudInit");
    assert_eq!(camel_case("wait_for_ip_timeout"), "waitForIpTimeout");
    assert_eq!(camel_case("ipv6"), "ipv6");
    for (singular, plural) in [
        ("disk", "disks"),
        ("memory", "memories"),
        ("address", "addresses"),
        ("interface", "interfaces"),
        ("kubelet_arg", "kubelet_args"),
        ("user_data_parts", "user_data_parts"),
        ("key", "keys"),
        ("alias", "aliases"),
        ("status", "statuses"),
        ("index", "indices"),
        ("shelf", "shelves"),
        ("hostname", "hostnames"),
        ("man", "men"),
        ("devices_input", "devices_inputs"),
        ("node_ip", "node_ips"),
        ("tls_san", "tls_sans"),
    ] {
        assert_eq!(pluralize(singular), plural, "{singular}");
    }
}

/// Names nested blocks must not have: the Go SDK appends these to type names, so a block
/// named so collides with its parent's variants (see provider/libvirt-schema/src/naming.rs).
const GO_TYPE_SUFFIXES: &[&str] = &["input", "output", "args", "ptr", "array", "map"];

/// Names in `block` (recursively) that Pulumi reserves or that collide in its Go SDK.
fn reserved_names(block: &Block, path: &str, out: &mut Vec<String>) {
    for attr in &block.attributes {
        if attr.name == "urn" || attr.name == "pulumi" {
            out.push(format!("{path}{}", attr.name));
        }
    }
    for nested in &block.blocks {
        if ["urn", "pulumi"].contains(&nested.name.as_str())
            || GO_TYPE_SUFFIXES.contains(&nested.name.as_str())
        {
            out.push(format!("{path}{}", nested.name));
        }
        reserved_names(&nested.block, &format!("{path}{}.", nested.name), out);
    }
}

#[test]
fn every_resource_of_both_providers_fits_the_bridge() {
    let providers: [Box<dyn Provider>; 2] = [
        Box::new(libvirt_provider::LibvirtProvider::default()),
        Box::new(k3s_provider::K3sProvider),
    ];
    let mut problems = Vec::new();
    for provider in &providers {
        for resource in provider.resources() {
            let block = &resource.schema().block;
            match block.attribute("id") {
                Some(id) if id.ty == Type::String && id.is_computed() => {}
                _ => problems.push(format!("{}: no computed string `id`", resource.type_name())),
            }
            let mut found = Vec::new();
            reserved_names(block, "", &mut found);
            problems.extend(
                found
                    .into_iter()
                    .map(|n| format!("{}: `{n}`", resource.type_name())),
            );
        }
        for data_source in provider.data_sources() {
            let mut found = Vec::new();
            reserved_names(&data_source.schema().block, "", &mut found);
            problems.extend(
                found
                    .into_iter()
                    .map(|n| format!("data.{}: `{n}`", data_source.type_name())),
            );
        }
    }
    assert!(
        problems.is_empty(),
        "names the Pulumi bridge cannot carry:\n{}",
        problems.join("\n")
    );
}
