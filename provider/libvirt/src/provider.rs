//! The `libvirt` provider: its configuration and the resources it serves.

use std::sync::Arc;

use tfplugin::{Attribute, Block, DataSource, Diagnostics, Resource, Schema, Type, Value};

use crate::connection::Connection;
use crate::data_sources::{
    domain::DomainLookup, interface_addresses::InterfaceAddresses, node_info::NodeInfo,
};
use crate::resources::cloudinit::CloudInitDisk;
use crate::resources::generated_disk::GeneratedDisk;
use crate::resources::ignition::IgnitionConfig;
use crate::resources::{
    domain::DomainResource, network::NetworkResource, pool::PoolResource, volume::VolumeResource,
};

pub const REGISTRY_ADDRESS: &str = "registry.terraform.io/kvmcloud/libvirt";

pub struct LibvirtProvider {
    conn: Arc<Connection>,
}

impl Default for LibvirtProvider {
    fn default() -> Self {
        crate::connection::quiet_libvirt_errors();
        Self {
            conn: Arc::new(Connection::default()),
        }
    }
}

impl tfplugin::Provider for LibvirtProvider {
    fn schema(&self) -> Schema {
        Schema::new(
            Block::new().describe("Manages libvirt storage pools, volumes and networks.").attr(
                Attribute::optional("uri", Type::String).describe(
                    "libvirt connection URI, e.g. `qemu:///system`, `qemu+ssh://user@host/system` or \
                     `test:///default`. Defaults to LIBVIRT_DEFAULT_URI, then `qemu:///system`.",
                ),
            ),
        )
    }

    fn configure(&self, config: &Value) -> Diagnostics {
        if config.get("uri").is_unknown() {
            return Diagnostics::error_at(
                tfplugin::AttributePath::attr("uri"),
                "The libvirt URI is not known yet",
                "The provider's `uri` depends on a value known only after apply; use a value known at plan time.",
            );
        }
        self.conn.set_uri(config.get("uri").as_str());
        Diagnostics::new()
    }

    fn resources(&self) -> Vec<Box<dyn Resource>> {
        vec![
            Box::new(PoolResource::new(self.conn.clone())),
            Box::new(VolumeResource::new(self.conn.clone())),
            Box::new(NetworkResource::new(self.conn.clone())),
            Box::new(GeneratedDisk::new(CloudInitDisk, self.conn.clone())),
            Box::new(GeneratedDisk::new(IgnitionConfig, self.conn.clone())),
            Box::new(DomainResource::new(self.conn.clone())),
        ]
    }

    fn data_sources(&self) -> Vec<Box<dyn DataSource>> {
        vec![
            Box::new(NodeInfo::new(self.conn.clone())),
            Box::new(DomainLookup::new(self.conn.clone())),
            Box::new(InterfaceAddresses::new(self.conn.clone())),
        ]
    }
}
