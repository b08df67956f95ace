//! Targets for the sshd fixture, shared by the test files.

use std::time::Duration;

use acceptance_tests::sshd::Sshd;
use ssh_exec::{Auth, Endpoint, HostKeyCheck, Target};

/// A target for `sshd` with its client key and its host key pinned by fingerprint.
pub fn target_for(sshd: &Sshd) -> Target {
    let mut target = Target::new(
        Endpoint::new(sshd.host(), sshd.port(), sshd.user()),
        Auth {
            private_key: Some(sshd.client_private_key()),
            ..Auth::default()
        },
        HostKeyCheck::Fingerprints(vec![sshd.host_key_fingerprint()]),
    );
    target.connect_timeout = Duration::from_secs(10);
    target
}
