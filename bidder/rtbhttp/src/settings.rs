//! Reading a service's TOML settings file (the layer under environment variables and flags).

use std::path::Path;

use serde::de::DeserializeOwned;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum SettingsFileError {
    #[error("cannot read settings file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("settings file {path}: {reason}")]
    Syntax { path: String, reason: String },
}

pub fn read_toml<T: DeserializeOwned>(path: &Path) -> Result<T, SettingsFileError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| SettingsFileError::Read {
        path: shown.clone(),
        source,
    })?;
    toml::from_str(&text).map_err(|e| SettingsFileError::Syntax {
        path: shown,
        reason: e.to_string(),
    })
}
