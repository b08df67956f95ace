//! Node taints as kubelet's `--register-with-taints` (and k3s's `node-taint`) spell them.

use std::fmt;
use std::str::FromStr;

use crate::names::{validate_label_key, validate_label_value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaintEffect {
    NoSchedule,
    PreferNoSchedule,
    NoExecute,
}

impl TaintEffect {
    pub const NAMES: [&'static str; 3] = ["NoSchedule", "PreferNoSchedule", "NoExecute"];

    pub fn name(self) -> &'static str {
        match self {
            Self::NoSchedule => "NoSchedule",
            Self::PreferNoSchedule => "PreferNoSchedule",
            Self::NoExecute => "NoExecute",
        }
    }
}

impl FromStr for TaintEffect {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "NoSchedule" => Ok(Self::NoSchedule),
            "PreferNoSchedule" => Ok(Self::PreferNoSchedule),
            "NoExecute" => Ok(Self::NoExecute),
            other => Err(format!(
                "effect {other:?} is not one of {}",
                Self::NAMES.join(", ")
            )),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Taint {
    pub key: String,
    pub value: Option<String>,
    pub effect: TaintEffect,
}

impl Taint {
    /// Checks key and value (the effect is valid by construction).
    pub fn validate(&self) -> Result<(), String> {
        validate_label_key(&self.key).map_err(|e| format!("key {e}"))?;
        if let Some(value) = &self.value {
            validate_label_value(value).map_err(|e| format!("value {e}"))?;
        }
        Ok(())
    }
}

impl fmt::Display for Taint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Some(value) => write!(f, "{}={}:{}", self.key, value, self.effect.name()),
            None => write!(f, "{}:{}", self.key, self.effect.name()),
        }
    }
}

impl FromStr for Taint {
    type Err = String;

    /// `key=value:Effect` or `key:Effect`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (key_value, effect) = s.rsplit_once(':').ok_or_else(|| {
            format!("{s:?} must be key=value:Effect or key:Effect (the effect is required)")
        })?;
        let effect = effect.parse::<TaintEffect>()?;
        let (key, value) = match key_value.split_once('=') {
            Some((key, value)) => (key, Some(value.to_string())),
            None => (key_value, None),
        };
        let taint = Taint {
            key: key.to_string(),
            value,
            effect,
        };
        taint.validate()?;
        Ok(taint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_display_round_trip() {
        for text in [
            "dedicated=gpu:NoSchedule",
            "node-role.kubernetes.io/control-plane:NoExecute",
            "a=:PreferNoSchedule",
        ] {
            let taint: Taint = text.parse().unwrap();
            assert_eq!(taint.to_string(), text);
        }
        let t: Taint = "k=v:NoSchedule".parse().unwrap();
        assert_eq!(
            t,
            Taint {
                key: "k".into(),
                value: Some("v".into()),
                effect: TaintEffect::NoSchedule
            }
        );
    }

    #[test]
    fn bad_taints_say_why() {
        for (bad, why) in [
            ("k=v", "the effect is required"),
            (
                "k=v:Sometimes",
                "effect \"Sometimes\" is not one of NoSchedule, PreferNoSchedule, NoExecute",
            ),
            ("-k:NoSchedule", "key \"-k\": name part must consist"),
            ("k=v v:NoSchedule", "value \"v v\""),
            (":NoSchedule", "name part must be non-empty"),
        ] {
            let err = bad.parse::<Taint>().unwrap_err();
            assert!(err.contains(why), "{bad:?}: {err}");
        }
    }
}
