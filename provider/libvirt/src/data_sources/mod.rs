//! Read-only views of libvirt: the host (`libvirt_node_info`), a domain
//! (`libvirt_domain`) and the addresses its guest holds
//! (`libvirt_domain_interface_addresses`).

pub mod domain;
pub mod interface_addresses;
pub mod node_info;

use tfplugin::{AttributePath, Diagnostics, Value};

/// The value of a required lookup attribute, or an error naming it.
fn known_string<'a>(config: &'a Value, name: &str) -> Result<&'a str, Diagnostics> {
    config.get(name).as_str().ok_or_else(|| {
        Diagnostics::error_at(
            AttributePath::attr(name),
            format!("{name} is not known"),
            format!("Set {name} to a value known when the data source is read."),
        )
    })
}
