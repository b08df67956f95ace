//! Paths into a [`Block`](super::Block) tree, for errors: `["forward", "nat", "port", "start"]`,
//! with indexes into repeated fields (`["ip", 0, "dhcp", "host", 2, "mac"]`).

use serde::Serialize;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum PathStep {
    Field(String),
    Index(usize),
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Path(pub Vec<PathStep>);

impl Path {
    pub fn field(&self, name: &str) -> Path {
        let mut steps = self.0.clone();
        steps.push(PathStep::Field(name.to_string()));
        Path(steps)
    }

    pub fn index(&self, index: usize) -> Path {
        let mut steps = self.0.clone();
        steps.push(PathStep::Index(index));
        Path(steps)
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(root)");
        }
        for (i, step) in self.0.iter().enumerate() {
            match step {
                PathStep::Field(name) if i == 0 => write!(f, "{name}")?,
                PathStep::Field(name) => write!(f, ".{name}")?,
                PathStep::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_like_an_hcl_reference() {
        let path = Path::default().field("ip").index(0).field("dhcp");
        assert_eq!(path.to_string(), "ip[0].dhcp");
        assert_eq!(serde_json::to_string(&path).unwrap(), r#"["ip",0,"dhcp"]"#);
    }
}
