//! `libvirt-docs --out docs [--examples examples]`: writes the provider's Registry
//! documentation from its schemas and hand-written examples (see `tfplugin::docs::generator`).
//! Run by `make docs`; the test `docs_current` fails when the checked-in docs differ.

use std::process::ExitCode;

use libvirt_provider::{docs_index::INDEX, LibvirtProvider};

fn main() -> ExitCode {
    tfplugin::docs::generator::main(&LibvirtProvider::default(), &INDEX)
}
