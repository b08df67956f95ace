//! `k3s-docs --out docs/k3s --examples examples/k3s`: writes the provider's Registry
//! documentation from its schemas and hand-written examples (see
//! `tfplugin::docs::generator`). Run by `make docs`; the test `docs_current` fails when the
//! checked-in docs differ.

use std::process::ExitCode;

use k3s_provider::{docs_index::INDEX, K3sProvider};

fn main() -> ExitCode {
    tfplugin::docs::generator::main(&K3sProvider, &INDEX)
}
