//! What a module declares: its input variables and outputs, read from HCL.

use std::path::Path;

use hcl::{Block, Body, Expression};

use crate::DocsError;

/// One `variable` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variable {
    pub name: String,
    /// The type constraint as written, on one line; None when the variable has no `type`.
    pub type_constraint: Option<String>,
    /// The default as HCL on one line; None when the variable is required.
    pub default: Option<String>,
    pub description: Option<String>,
    pub sensitive: bool,
    /// The `error_message` of each `validation` block, in order.
    pub validations: Vec<String>,
}

/// One `output` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub name: String,
    pub description: Option<String>,
    pub sensitive: bool,
}

/// A module directory's declarations, in file-name then declaration order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Module {
    pub name: String,
    /// The first paragraph of the module's README.md, if it has one.
    pub summary: Option<String>,
    pub variables: Vec<Variable>,
    pub outputs: Vec<Output>,
}

impl Module {
    /// Reads every `.tf` file of `dir`; None when it holds none (not a module).
    pub fn read(dir: &Path) -> Result<Option<Module>, DocsError> {
        let mut files: Vec<_> = crate::read_dir(dir)?
            .into_iter()
            .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "tf"))
            .collect();
        if files.is_empty() {
            return Ok(None);
        }
        files.sort();
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut module = Module {
            name,
            summary: readme_summary(&dir.join("README.md"))?,
            variables: Vec::new(),
            outputs: Vec::new(),
        };
        for file in files {
            let text = std::fs::read_to_string(&file).map_err(|source| DocsError::Read {
                path: file.clone(),
                source,
            })?;
            module.add_declarations(&file, &text)?;
        }
        Ok(Some(module))
    }

    /// Adds the variables and outputs declared in one file's `text`.
    pub fn add_declarations(&mut self, file: &Path, text: &str) -> Result<(), DocsError> {
        let body = hcl::parse(text).map_err(|source| DocsError::Parse {
            path: file.to_path_buf(),
            source,
        })?;
        let invalid = |what: String| DocsError::Invalid {
            path: file.to_path_buf(),
            what,
        };
        for block in body.blocks() {
            match block.identifier() {
                "variable" => self
                    .variables
                    .push(variable(block).map_err(|what| invalid(what.to_string()))?),
                "output" => self
                    .outputs
                    .push(output(block).map_err(|what| invalid(what.to_string()))?),
                _ => {}
            }
        }
        Ok(())
    }
}

fn variable(block: &Block) -> Result<Variable, String> {
    let name = label(block)?;
    let in_variable = |e: String| format!("variable {name:?}: {e}");
    let validations = block
        .body
        .blocks()
        .filter(|b| b.identifier() == "validation")
        .map(|b| {
            message_attribute(&b.body, "error_message")?
                .ok_or_else(|| "a validation block has no error_message".to_string())
        })
        .collect::<Result<_, _>>()
        .map_err(in_variable)?;
    Ok(Variable {
        type_constraint: attribute(&block.body, "type").map(one_line),
        default: attribute(&block.body, "default").map(one_line),
        description: string_attribute(&block.body, "description").map_err(in_variable)?,
        sensitive: bool_attribute(&block.body, "sensitive"),
        validations,
        name,
    })
}

fn output(block: &Block) -> Result<Output, String> {
    let name = label(block)?;
    Ok(Output {
        description: string_attribute(&block.body, "description")
            .map_err(|e| format!("output {name:?}: {e}"))?,
        sensitive: bool_attribute(&block.body, "sensitive"),
        name,
    })
}

fn label(block: &Block) -> Result<String, String> {
    match block.labels() {
        [label] => Ok(label.as_str().to_string()),
        labels => Err(format!(
            "a {} block needs exactly one label, found {}",
            block.identifier(),
            labels.len()
        )),
    }
}

fn attribute<'b>(body: &'b Body, key: &str) -> Option<&'b Expression> {
    body.attributes().find(|a| a.key() == key).map(|a| a.expr())
}

/// A documentation string must be a literal: a template would document itself as code.
fn string_attribute(body: &Body, key: &str) -> Result<Option<String>, String> {
    match attribute(body, key) {
        None => Ok(None),
        Some(Expression::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(format!("{key} must be a plain string, found `{other}`")),
    }
}

/// A message that may interpolate values (`"${var.cidr} overlaps ..."`): shown as written,
/// since the docs describe the rule, not one evaluation of it.
fn message_attribute(body: &Body, key: &str) -> Result<Option<String>, String> {
    match attribute(body, key) {
        Some(Expression::TemplateExpr(template)) => Ok(Some(template.to_string())),
        _ => string_attribute(body, key),
    }
}

fn bool_attribute(body: &Body, key: &str) -> bool {
    matches!(attribute(body, key), Some(Expression::Bool(true)))
}

/// An expression as HCL on one line. Objects, calls and arrays are rendered here with `, `
/// between items: hcl-rs's own Display drops the separator after an item ending in `{})`.
fn one_line(expr: &Expression) -> String {
    let join = |items: Vec<String>| items.join(", ");
    match expr {
        Expression::Object(object) if object.is_empty() => "{}".to_string(),
        Expression::Object(object) => format!(
            "{{ {} }}",
            join(
                object
                    .iter()
                    .map(|(key, value)| format!("{key} = {}", one_line(value)))
                    .collect()
            )
        ),
        Expression::Array(items) => {
            format!("[{}]", join(items.iter().map(one_line).collect()))
        }
        Expression::FuncCall(call) => format!(
            "{}({}{})",
            call.name,
            join(call.args.iter().map(one_line).collect()),
            if call.expand_final { "..." } else { "" }
        ),
        other => other
            .to_string()
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(" "),
    }
}

/// The first paragraph of a README after its title, joined into one line.
fn readme_summary(path: &Path) -> Result<Option<String>, DocsError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(DocsError::Read {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    let paragraph: Vec<&str> = text
        .lines()
        .map(str::trim)
        .skip_while(|l| l.is_empty() || l.starts_with('#'))
        .take_while(|l| !l.is_empty())
        .collect();
    Ok((!paragraph.is_empty()).then(|| paragraph.join(" ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn module(text: &str) -> Result<Module, DocsError> {
        let mut m = Module {
            name: "m".into(),
            summary: None,
            variables: Vec::new(),
            outputs: Vec::new(),
        };
        m.add_declarations(Path::new("variables.tf"), text)?;
        Ok(m)
    }

    #[test]
    fn reads_type_default_description_sensitivity_and_validations() {
        let m = module(
            r#"
variable "nics" {
  description = "Interfaces."
  type = list(object({
    network = string
    mac     = optional(string)
  }))
  default   = [{ network = "lan" }]
  sensitive = true
  validation {
    condition     = length(var.nics) > 0
    error_message = "nics needs one interface."
  }
}
variable "name" {
  type = string
}
output "id" {
  description = "The id."
  value       = "x"
}
"#,
        )
        .expect("parses");
        let nics = &m.variables[0];
        assert_eq!(nics.name, "nics");
        let ty = nics.type_constraint.as_deref().expect("type");
        assert!(!ty.contains('\n'), "{ty}");
        assert!(ty.starts_with("list(object({") && ty.contains("optional(string)"));
        assert!(nics
            .default
            .as_deref()
            .expect("default")
            .contains("\"lan\""));
        assert!(nics.sensitive);
        assert_eq!(nics.validations, vec!["nics needs one interface."]);
        let name = &m.variables[1];
        assert_eq!(
            (name.default.as_deref(), name.description.as_deref()),
            (None, None)
        );
        assert_eq!(
            m.outputs,
            vec![Output {
                name: "id".into(),
                description: Some("The id.".into()),
                sensitive: false
            }]
        );
    }

    #[test]
    fn a_null_default_is_optional_not_required() {
        let m = module("variable \"x\" {\n  default = null\n}\n").expect("parses");
        assert_eq!(m.variables[0].default.as_deref(), Some("null"));
    }

    #[test]
    fn bad_input_names_the_file_and_the_block() {
        let err = module("variable \"x\" {\n  description = \"a ${var.y}\"\n}\n").unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("variables.tf")
                && msg.contains("variable \"x\"")
                && msg.contains("description"),
            "{msg}"
        );
        let err = module("output {\n}\n").unwrap_err().to_string();
        assert!(err.contains("exactly one label"), "{err}");
        let err = module("variable \"x\" {").unwrap_err();
        assert!(matches!(err, DocsError::Parse { .. }), "{err}");
        let err = module("variable \"x\" {\n  validation {\n    condition = true\n  }\n}\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("no error_message"), "{err}");
    }
}

#[cfg(test)]
mod one_line_tests {
    #[test]
    fn object_items_keep_separators() {
        let body: hcl::Body = hcl::from_str(
            "type = object({\n  requests = optional(object({\n    cpu = optional(string, \"500m\")\n    memory = optional(string)\n  }), {})\n  limits = optional(string)\n})\n",
        )
        .expect("hcl");
        let expr = super::attribute(&body, "type").expect("type");
        assert_eq!(
            super::one_line(expr),
            "object({ requests = optional(object({ cpu = optional(string, \"500m\"), memory = optional(string) }), {}), limits = optional(string) })"
        );
    }
}
