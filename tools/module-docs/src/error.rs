use std::path::PathBuf;

/// Why a module's documentation could not be generated; each names the file at fault.
#[derive(Debug, thiserror::Error)]
pub enum DocsError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not valid HCL: {source}")]
    Parse {
        path: PathBuf,
        #[source]
        source: hcl::Error,
    },
    #[error("{path}: {what}")]
    Invalid { path: PathBuf, what: String },
}
