//! The `k3s` provider. It has no configuration: every resource takes the credentials it
//! needs as attributes, so one provider instance serves any number of clusters and a
//! cluster's credentials can come from a resource in the same plan.

use tfplugin::{Block, DataSource, Diagnostics, Resource, Schema, Value};

use crate::data_sources::cloud_init::CloudInit;
use crate::resources::{
    cluster::ClusterResource, manifest::ManifestResource, membership::NodeMembership,
    node::NodeResource, ready::ReadyResource,
};

pub const REGISTRY_ADDRESS: &str = "registry.terraform.io/kvmcloud/k3s";

pub struct K3sProvider;

impl tfplugin::Provider for K3sProvider {
    fn schema(&self) -> Schema {
        Schema::new(Block::new().describe(
            "Creates k3s clusters: credentials known before any node boots, node bootstrap by \
             cloud-init or SSH, readiness, and Kubernetes manifests. No provider configuration: \
             resources take credentials as attributes.",
        ))
    }

    fn configure(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    fn resources(&self) -> Vec<Box<dyn Resource>> {
        vec![
            Box::new(ClusterResource::default()),
            Box::new(NodeResource::server()),
            Box::new(NodeResource::agent()),
            Box::new(ReadyResource::default()),
            Box::new(NodeMembership::default()),
            Box::new(ManifestResource::default()),
        ]
    }

    fn stop(&self) {
        crate::attrs::request_stop();
    }

    fn data_sources(&self) -> Vec<Box<dyn DataSource>> {
        vec![Box::new(CloudInit::default())]
    }
}
