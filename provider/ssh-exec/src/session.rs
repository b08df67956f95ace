//! An authenticated connection: run commands, upload files.

use russh::ChannelMsg;

use crate::authenticate::decode_private_key;
use crate::connect::{connect_with_retries, hang_up, Connection, Route};
use crate::error::SshError;
use crate::output::CommandOutput;
use crate::shell::quote;
use crate::target::Target;

/// Exit status reported for a command killed by a signal, as OpenSSH's client does.
const KILLED_BY_SIGNAL_STATUS: u32 = 255;

/// One authenticated connection. Holds the jump host's connection open as long as it lives.
pub struct Session {
    connection: Connection,
    destination: String,
    // Dropped after `connection`: the tunnel runs through it.
    bastion: Option<Box<Session>>,
}

/// Shows where it is connected, nothing else.
impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("destination", &self.destination)
            .field("bastion", &self.bastion)
            .finish()
    }
}

impl Session {
    /// Connects (through the bastion if any), checks the host key and authenticates, retrying
    /// refused or timed-out attempts for `target.retry_for`.
    pub async fn connect(target: &Target) -> Result<Session, SshError> {
        target.validate()?;
        let private_key = decode_private_key(&target.auth)?;
        let bastion = match &target.bastion {
            None => None,
            Some(jump) => {
                let session =
                    Box::pin(Session::connect(jump))
                        .await
                        .map_err(|e| SshError::Bastion {
                            bastion: jump.endpoint.to_string(),
                            source: Box::new(e),
                        })?;
                Some(Box::new(session))
            }
        };
        let route = match (&bastion, &target.bastion) {
            (Some(session), Some(jump)) => Route::Via(&session.connection, &jump.endpoint),
            _ => Route::Direct,
        };
        let connection = connect_with_retries(target, private_key, route).await?;
        Ok(Session {
            connection,
            destination: target.endpoint.to_string(),
            bastion,
        })
    }

    /// `user@host:port` of this session, for messages.
    pub fn destination(&self) -> &str {
        &self.destination
    }

    /// Runs `command` through the remote user's shell with empty stdin; collects its output.
    pub async fn run(&self, command: &str) -> Result<CommandOutput, SshError> {
        self.exec(command, &[]).await
    }

    /// Runs `command` with `stdin` as its standard input (the content is neither logged nor put
    /// on a command line).
    pub async fn run_with_stdin(
        &self,
        command: &str,
        stdin: &[u8],
    ) -> Result<CommandOutput, SshError> {
        self.exec(command, stdin).await
    }

    /// Writes `content` to the absolute `path` atomically: a temporary file in the same
    /// directory (created with its parents) receives it on stdin, gets `mode`, and is renamed
    /// over `path`. A truncated transfer is detected by size and leaves `path` untouched.
    pub async fn upload(&self, path: &str, content: &[u8], mode: u32) -> Result<(), SshError> {
        validate_upload(path, mode)?;
        let script = format!(
            r#"set -e
target={target}
dir=$(dirname -- "$target")
mkdir -p -- "$dir"
tmp=$(mktemp "$dir/.ssh-exec-upload.XXXXXX")
trap 'rm -f -- "$tmp"' EXIT
cat > "$tmp"
size=$(wc -c < "$tmp")
if [ "$size" -ne {len} ]; then echo "only $size of {len} bytes arrived" >&2; exit 1; fi
chmod {mode:o} "$tmp"
mv -f -- "$tmp" "$target"
trap - EXIT"#,
            target = quote(path),
            len = content.len(),
        );
        tracing::debug!(destination = %self.destination, path, bytes = content.len(), mode = format!("{mode:o}"), "uploading");
        self.exec(&script, content)
            .await?
            .check(&format!("upload of {path} to {}", self.destination))?;
        Ok(())
    }

    /// Disconnects, then closes the bastion connection if any.
    pub async fn close(self) {
        hang_up(&self.connection).await;
        if let Some(bastion) = self.bastion {
            Box::pin(bastion.close()).await;
        }
    }

    async fn exec(&self, command: &str, stdin: &[u8]) -> Result<CommandOutput, SshError> {
        tracing::debug!(destination = %self.destination, stdin_bytes = stdin.len(), "running a command");
        let channel_error = |action: &'static str| {
            move |e: russh::Error| SshError::Channel {
                destination: self.destination.clone(),
                action,
                reason: e.to_string(),
            }
        };
        let channel = self
            .connection
            .channel_open_session()
            .await
            .map_err(channel_error("open a session channel"))?;
        channel
            .exec(true, command)
            .await
            .map_err(channel_error("start a command"))?;
        let (mut reader, writer) = channel.split();

        // Written while the output is read, so a command that talks before it has read all
        // of its input cannot deadlock against us.
        let feed = async {
            if !stdin.is_empty() {
                writer.data(stdin).await?;
            }
            writer.eof().await
        };
        let collect = async {
            let mut stdout = Vec::new();
            let mut stderr = Vec::new();
            let mut status = None;
            while let Some(message) = reader.wait().await {
                match message {
                    ChannelMsg::Data { data } => stdout.extend_from_slice(&data),
                    ChannelMsg::ExtendedData { data, ext: 1 } => stderr.extend_from_slice(&data),
                    ChannelMsg::ExitStatus { exit_status } => status = Some(exit_status),
                    ChannelMsg::ExitSignal { signal_name, .. } => {
                        if !stderr.is_empty() && !stderr.ends_with(b"\n") {
                            stderr.push(b'\n');
                        }
                        stderr.extend_from_slice(
                            format!("(killed by signal {signal_name:?})").as_bytes(),
                        );
                        status = Some(KILLED_BY_SIGNAL_STATUS);
                    }
                    ChannelMsg::Failure => return Err("the server refused to run the command"),
                    ChannelMsg::Close => break,
                    _ => {}
                }
            }
            let status = status.ok_or("the channel closed without an exit status")?;
            Ok((status, stdout, stderr))
        };
        let (fed, collected) = tokio::join!(feed, collect);
        let (exit_status, stdout, stderr) = collected.map_err(|reason| SshError::Channel {
            destination: self.destination.clone(),
            action: "run a command",
            reason: reason.to_string(),
        })?;
        // A command may exit without reading all of its input; that is its own business and
        // shows in its status. Only a failed write before a success status is suspicious.
        if exit_status == 0 {
            fed.map_err(channel_error("send standard input"))?;
        }
        Ok(CommandOutput {
            exit_status,
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        })
    }
}

fn validate_upload(path: &str, mode: u32) -> Result<(), SshError> {
    let invalid = |field, reason: String| Err(SshError::InvalidArgument { field, reason });
    if !path.starts_with('/') || path.ends_with('/') {
        return invalid("path", format!("{path:?} must be an absolute file path"));
    }
    if path.contains('\0') {
        return invalid("path", format!("{path:?} contains a NUL byte"));
    }
    if mode > 0o7777 {
        return invalid(
            "mode",
            format!("{mode:o} is not a file mode (0 to 7777 octal)"),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::validate_upload;

    #[test]
    fn upload_arguments_are_checked() {
        assert!(validate_upload("/etc/rancher/k3s/config.yaml", 0o600).is_ok());
        let relative = validate_upload("etc/x", 0o600).unwrap_err().to_string();
        assert!(relative.starts_with("invalid path:"), "{relative}");
        assert!(validate_upload("/etc/", 0o600).is_err());
        let mode = validate_upload("/x", 0o10000).unwrap_err().to_string();
        assert!(mode.starts_with("invalid mode: 10000"), "{mode}");
    }
}
