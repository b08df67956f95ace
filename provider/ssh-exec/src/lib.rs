//! Async SSH client for bootstrapping hosts: connect (with retries while a machine boots, host key
//! checking, key or agent authentication, optional jump host), run commands and upload files
//! atomically.
//!
//! ```no_run
//! # async fn demo() -> Result<(), ssh_exec::SshError> {
//! use ssh_exec::{Auth, Endpoint, HostKeyCheck, Session, Target};
//! let target = Target::new(
//!     Endpoint::new("10.0.0.5", 22, "root"),
//!     Auth { agent: true, ..Auth::default() },
//!     HostKeyCheck::Fingerprints(vec!["SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU".into()]),
//! );
//! let session = Session::connect(&target).await?;
//! session.upload("/etc/rancher/k3s/config.yaml", b"token: x\n", 0o600).await?;
//! session.run("k3s --version").await?.check("k3s --version")?;
//! session.close().await;
//! # Ok(()) }
//! ```

mod authenticate;
mod connect;
mod error;
mod host_key;
mod output;
mod session;
mod shell;
mod target;

pub use error::SshError;
pub use host_key::fingerprint_sha256;
pub use output::CommandOutput;
pub use session::Session;
pub use shell::quote as shell_quote;
pub use target::{Auth, Endpoint, HostKeyCheck, Target};
