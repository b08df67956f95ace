//! Diagnostics with attribute paths: how every error reaches the user, pointing at
//! the offending attribute in their configuration.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathStep {
    Attr(String),
    Key(String),
    Index(i64),
}

/// A path into a resource's value, e.g. `dhcp[0].host[2].mac`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AttributePath(pub Vec<PathStep>);

impl AttributePath {
    pub fn root() -> Self {
        Self::default()
    }
    pub fn attr(name: &str) -> Self {
        Self(vec![PathStep::Attr(name.to_string())])
    }
    pub fn push_attr(&self, name: &str) -> Self {
        let mut p = self.clone();
        p.0.push(PathStep::Attr(name.to_string()));
        p
    }
    pub fn push_index(&self, i: usize) -> Self {
        let mut p = self.clone();
        p.0.push(PathStep::Index(i as i64));
        p
    }
    pub fn push_key(&self, k: &str) -> Self {
        let mut p = self.clone();
        p.0.push(PathStep::Key(k.to_string()));
        p
    }
}

impl fmt::Display for AttributePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.0.iter().enumerate() {
            match step {
                PathStep::Attr(a) if i == 0 => write!(f, "{a}")?,
                PathStep::Attr(a) => write!(f, ".{a}")?,
                PathStep::Key(k) => write!(f, "[{k:?}]")?,
                PathStep::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub summary: String,
    pub detail: String,
    pub path: Option<AttributePath>,
}

/// An ordered list of diagnostics; any error makes the RPC fail.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn error(summary: impl Into<String>, detail: impl Into<String>) -> Self {
        let mut d = Self::new();
        d.push_error(summary, detail);
        d
    }
    pub fn error_at(
        path: AttributePath,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        let mut d = Self::new();
        d.push_error_at(path, summary, detail);
        d
    }
    pub fn push_error(&mut self, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(Severity::Error, None, summary.into(), detail.into());
    }
    pub fn push_error_at(
        &mut self,
        path: AttributePath,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) {
        self.push(Severity::Error, Some(path), summary.into(), detail.into());
    }
    pub fn push_warning(&mut self, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(Severity::Warning, None, summary.into(), detail.into());
    }
    fn push(
        &mut self,
        severity: Severity,
        path: Option<AttributePath>,
        summary: String,
        detail: String,
    ) {
        self.0.push(Diagnostic {
            severity,
            summary,
            detail,
            path,
        });
    }
    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(|d| d.severity == Severity::Error)
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.0 {
            match &d.path {
                Some(p) => writeln!(f, "{:?}: {}: {} ({})", d.severity, p, d.summary, d.detail)?,
                None => writeln!(f, "{:?}: {} ({})", d.severity, d.summary, d.detail)?,
            }
        }
        Ok(())
    }
}

impl<E: std::error::Error> From<E> for Diagnostics {
    /// The error's message is the summary; its chain of causes is the detail.
    fn from(e: E) -> Self {
        let mut causes = Vec::new();
        let mut src = e.source();
        while let Some(s) = src {
            causes.push(s.to_string());
            src = s.source();
        }
        let detail = if causes.is_empty() {
            e.to_string()
        } else {
            causes.join(": ")
        };
        Diagnostics::error(e.to_string(), detail)
    }
}
