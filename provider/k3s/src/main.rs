fn main() -> std::process::ExitCode {
    tfplugin::serve(
        k3s_provider::K3sProvider,
        k3s_provider::provider::REGISTRY_ADDRESS,
    )
}
