//! `libvirt_network`: a libvirt virtual network (`<network>`). DHCP host and DNS host
//! entries change live through virNetworkUpdate; any other change needs a new network.

use std::sync::Arc;

use tfplugin::{
    ApplyError, ApplyRequest, Attribute, Block, Diagnostics, Resource, Schema, Type, Value,
};
use virt::network::Network;
use virt::sys;

use super::{find, not_found, stop_and_undefine, Defined, XmlResource};
use crate::connection::{Connection, Context};
use crate::tfmap::Policy;

/// Repeated blocks applied live: (tf path of the block, libvirt's update section).
const LIVE_SECTIONS: [(&[&str], sys::virNetworkUpdateSection); 2] = [
    (
        &["ip", "dhcp", "host"],
        sys::VIR_NETWORK_SECTION_IP_DHCP_HOST,
    ),
    (&["dns", "host"], sys::VIR_NETWORK_SECTION_DNS_HOST),
];

fn policy(path: &[&str]) -> Policy {
    let live = LIVE_SECTIONS.iter().any(|(p, _)| path.starts_with(p));
    Policy {
        force_new: !live && path != ["uuid"],
        computed: path == ["uuid"],
    }
}

impl Defined for Network {
    const KIND: &'static str = "network";
    fn xml(&self) -> Result<String, virt::error::Error> {
        super::persistent_xml(sys::VIR_NETWORK_XML_INACTIVE, |f| self.xml_desc(f))
    }
    fn uuid(&self) -> Result<String, virt::error::Error> {
        self.uuid_string()
    }
    fn is_active(&self) -> Result<bool, virt::error::Error> {
        Network::is_active(self)
    }
    fn start(&self) -> Result<(), virt::error::Error> {
        self.create()
    }
    fn stop(&self) -> Result<(), virt::error::Error> {
        self.destroy()
    }
    fn undefine(&self) -> Result<(), virt::error::Error> {
        Network::undefine(self)
    }
    fn autostart(&self) -> Result<bool, virt::error::Error> {
        Network::autostart(self)
    }
    fn set_autostart(&self, on: bool) -> Result<(), virt::error::Error> {
        Network::set_autostart(self, on).map(|_| ())
    }
}

pub struct NetworkResource(XmlResource);

impl NetworkResource {
    pub fn new(conn: Arc<Connection>) -> Self {
        let extras = Block::new()
            .attr(Attribute::computed("id", Type::String).describe("The network's UUID."))
            .attr(
                Attribute::optional("autostart", Type::Bool)
                    .describe("Start the network when libvirtd starts."),
            );
        Self(XmlResource::new(
            libvirt_schema::network(),
            policy,
            extras,
            "A libvirt virtual network (NAT, routed, bridged or isolated), defined and started. \
             DHCP host and DNS host entries are updated live; other changes replace the network.",
            conn,
        ))
    }

    fn lookup(&self, id: &str) -> Result<Option<Network>, Diagnostics> {
        let conn = self.0.conn.get()?;
        find(
            "network",
            id,
            |u| conn.lookup_network_by_uuid_string(u),
            |n| conn.lookup_network_by_name(n),
        )
    }

    /// Applies the added and removed entries of one live section, per parent instance
    /// (each `ip` block for DHCP hosts), to the persistent config and, if running, live.
    fn update_section(
        &self,
        net: &Network,
        path: &[&str],
        section: sys::virNetworkUpdateSection,
        prior: &Value,
        planned: &Value,
    ) -> Result<(), Diagnostics> {
        let live = Network::is_active(net).context(|| "checking the network".into())?;
        let flags = sys::VIR_NETWORK_UPDATE_AFFECT_CONFIG
            | if live {
                sys::VIR_NETWORK_UPDATE_AFFECT_LIVE
            } else {
                0
            };
        let (old, new) = (entries(prior, path), entries(planned, path));
        for (index, (before, after)) in old.iter().zip(&new).enumerate() {
            let changes = before
                .iter()
                .filter(|e| !after.contains(e))
                .map(|e| (sys::VIR_NETWORK_UPDATE_COMMAND_DELETE, "removing", e))
                .chain(
                    after
                        .iter()
                        .filter(|e| !before.contains(e))
                        .map(|e| (sys::VIR_NETWORK_UPDATE_COMMAND_ADD_LAST, "adding", e)),
                );
            for (command, verb, entry) in changes {
                let xml = self.0.mapping.element_xml(path, entry)?;
                tracing::info!("{verb} {} entry live: {xml}", path.join("."));
                net.update(command, section, index as i32, &xml, flags)
                    .context(|| format!("{verb} {} entry {xml}", path.join(".")))?;
            }
        }
        Ok(())
    }
}

/// For each instance of the path's parent (e.g. each `ip[i].dhcp`), its entries.
fn entries(v: &Value, path: &[&str]) -> Vec<Vec<Value>> {
    let (parents, leaf) = path.split_at(path.len() - 1);
    let mut level = vec![v.clone()];
    for step in parents {
        level = level
            .iter()
            .flat_map(|x| x.get(step).as_list().unwrap_or(&[]).to_vec())
            .collect();
    }
    level
        .iter()
        .map(|x| x.get(leaf[0]).as_list().unwrap_or(&[]).to_vec())
        .collect()
}

impl Resource for NetworkResource {
    fn type_name(&self) -> &str {
        "libvirt_network"
    }
    fn schema(&self) -> &Schema {
        &self.0.schema
    }
    fn validate(&self, config: &Value) -> Diagnostics {
        self.0.mapping.validate(config)
    }

    fn create(&self, req: &ApplyRequest) -> Result<Value, ApplyError> {
        super::ensure_name_free("network", req.planned, |n| self.lookup(n))?;
        let xml = self.0.mapping.to_xml(req.planned)?;
        tracing::debug!("defining network: {xml}");
        let net = self
            .0
            .conn
            .get()?
            .define_network_xml(&xml)
            .context(|| "defining the network".into())?;
        self.0.start_defined(&net, req.planned, |_| Ok(()))
    }

    fn read(&self, state: &Value) -> Result<Option<Value>, Diagnostics> {
        let Some(id) = state.get("id").as_str() else {
            return Ok(None);
        };
        self.lookup(id)?
            .map(|net| self.0.defined_state(&net, state))
            .transpose()
    }

    fn update(&self, req: &ApplyRequest) -> Result<Value, ApplyError> {
        let id = req.prior.get("id").as_str().unwrap_or_default();
        let net = self
            .lookup(id)?
            .ok_or_else(|| not_found("network", id, "UUID"))?;
        for (path, section) in LIVE_SECTIONS {
            self.update_section(&net, path, section, req.prior, req.planned)?;
        }
        self.0.apply_autostart(&net, req.prior, req.planned)?;
        Ok(self.0.defined_state(&net, req.planned)?)
    }

    fn delete(&self, state: &Value) -> Result<(), Diagnostics> {
        let id = state.get("id").as_str().unwrap_or_default();
        match self.lookup(id)? {
            Some(net) => stop_and_undefine(&net, id),
            None => Ok(()),
        }
    }

    fn import(&self, id: &str) -> Result<Value, Diagnostics> {
        let net = self
            .lookup(id)?
            .ok_or_else(|| not_found("network", id, "UUID or name"))?;
        self.0.defined_state(&net, &Value::Null)
    }
}
