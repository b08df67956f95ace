//! Running a command and keeping everything a failing test needs to explain itself.

use std::process::Command;

use crate::{HarnessError, Result};

/// What a finished command printed and how it exited.
#[derive(Debug, Clone)]
pub struct CommandOutput {
    /// The command line, for error messages.
    pub command: String,
    /// Exit code; `None` when a signal ended the process.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl CommandOutput {
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    /// Ok with the output when the command exited 0, otherwise `HarnessError::CommandFailed`.
    pub fn into_success(self) -> Result<Self> {
        if self.success() {
            Ok(self)
        } else {
            Err(HarnessError::CommandFailed(Box::new(self)))
        }
    }

    pub(crate) fn status_text(&self) -> String {
        match self.code {
            Some(code) => format!("exit code {code}"),
            None => "killed by a signal".to_string(),
        }
    }
}

/// Runs `command` to completion, capturing stdout and stderr.
pub(crate) fn run(mut command: Command) -> Result<CommandOutput> {
    let line = describe(&command);
    tracing::debug!(command = %line, "running");
    let output = command.output().map_err(|source| HarnessError::Spawn {
        command: line.clone(),
        source,
    })?;
    Ok(CommandOutput {
        command: line,
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    })
}

fn describe(command: &Command) -> String {
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|part| part.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}
