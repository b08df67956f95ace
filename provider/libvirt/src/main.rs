fn main() -> std::process::ExitCode {
    tfplugin::serve(
        libvirt_provider::LibvirtProvider::default(),
        libvirt_provider::provider::REGISTRY_ADDRESS,
    )
}
