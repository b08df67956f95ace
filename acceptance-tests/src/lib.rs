//! Harness for the acceptance tier: the real `terraform` CLI runs our real providers against a
//! private libvirtd that `scripts/libvirt-sandbox` starts in its own network and mount namespace.
//!
//! ```no_run
//! use acceptance_tests::{unique_name, Sandbox, Terraform, LocalProvider};
//! let sandbox = Sandbox::start(&unique_name("example")).expect("sandbox");
//! let tf = Terraform::new(&sandbox, r#"resource "terraform_data" "x" {}"#, &[]).expect("workspace");
//! tf.apply().expect("apply");
//! assert_eq!(tf.plan_detailed_exitcode().expect("plan"), 0);
//! ```
//!
//! Missing prerequisites (root, libvirtd, terraform, a built provider) panic with a message naming
//! what is missing: this tier must not pass by skipping.

pub mod apiserver;
mod command;
mod error;
pub mod fixtures;
pub mod k3s;
mod paths;
mod prerequisites;
mod sandbox;
pub mod sshd;
mod terraform;

pub use command::CommandOutput;
pub use error::HarnessError;
pub use sandbox::{unique_name, Sandbox};
pub use terraform::{LocalProvider, Terraform};

/// Result type of every fallible harness call.
pub type Result<T> = std::result::Result<T, HarnessError>;
