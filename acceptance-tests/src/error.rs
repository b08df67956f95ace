use crate::CommandOutput;

/// Failures of the harness or of the commands it runs; each carries what a test log needs.
#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    #[error("could not run `{command}`: {source}")]
    Spawn {
        command: String,
        #[source]
        source: std::io::Error,
    },
    #[error("`{}` failed ({}):\n--- stdout\n{}\n--- stderr\n{}", .0.command, .0.status_text(), .0.stdout, .0.stderr)]
    CommandFailed(Box<CommandOutput>),
    #[error("`{}` timed out after {seconds}s:\n--- stdout\n{}\n--- stderr\n{}", .output.command, .output.stdout, .output.stderr)]
    TimedOut {
        output: Box<CommandOutput>,
        seconds: u64,
    },
    #[error("workspace file {path}: {source}")]
    Workspace {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{command}` printed output that is not the expected JSON: {source}")]
    Json {
        command: String,
        #[source]
        source: serde_json::Error,
    },
}
