//! terraform-provider-libvirt: libvirt's XML formats as Terraform resources, mapped
//! mechanically from libvirt's own RelaxNG schemas (see `tfmap` and the
//! `libvirt-schema` crate), over the `virt` crate (libvirt's client library).

pub mod connection;
pub mod content;
pub mod data_sources;
pub mod docs_index;
pub mod provider;
pub mod resources;
pub mod tfmap;

pub use provider::LibvirtProvider;
