//! What a remote command left behind.

use crate::error::SshError;

/// How much of stderr a [`SshError::CommandFailed`] quotes: the end is where the reason is.
const STDERR_TAIL_CHARS: usize = 2000;

/// Exit status and output of one command. A command killed by a signal reports 255 (as
/// OpenSSH's client does) and names the signal at the end of `stderr`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandOutput {
    pub exit_status: u32,
    pub stdout: String,
    pub stderr: String,
}

impl CommandOutput {
    /// `Ok(self)` on exit status 0, else [`SshError::CommandFailed`] with the end of stderr.
    /// `what` should say what was run and where (see [`crate::Session::destination`]).
    pub fn check(self, what: &str) -> Result<Self, SshError> {
        if self.exit_status == 0 {
            return Ok(self);
        }
        Err(SshError::CommandFailed {
            what: what.to_string(),
            status: self.exit_status,
            stderr_tail: tail(self.stderr.trim_end(), STDERR_TAIL_CHARS),
        })
    }
}

fn tail(text: &str, max_chars: usize) -> String {
    let count = text.chars().count();
    if count <= max_chars {
        return text.to_string();
    }
    let start = text
        .char_indices()
        .nth(count - max_chars)
        .map_or(0, |(i, _)| i);
    format!("...{}", &text[start..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn output(exit_status: u32, stderr: &str) -> CommandOutput {
        CommandOutput {
            exit_status,
            stdout: String::new(),
            stderr: stderr.to_string(),
        }
    }

    #[test]
    fn zero_status_passes() {
        assert!(output(0, "noise").check("x").is_ok());
    }

    #[test]
    fn nonzero_status_names_what_status_and_stderr_end() {
        let long = format!("{}the reason\n", "é".repeat(5000));
        let message = output(3, &long)
            .check("install on root@h:22")
            .unwrap_err()
            .to_string();
        assert!(message.starts_with("install on root@h:22 failed with exit status 3: ..."));
        assert!(message.ends_with("the reason"));
        assert!(message.chars().count() < STDERR_TAIL_CHARS + 100);
    }
}
