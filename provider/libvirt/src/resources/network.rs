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

/// A repeated block applied live through virNetworkUpdate.
struct LiveSection {
    /// Terraform path of the block.
    path: &'static [&'static str],
    section: sys::virNetworkUpdateSection,
    /// The fields a deletion names the entry by; the whole entry when empty.
    delete_by: &'static [&'static str],
}

const LIVE_SECTIONS: [LiveSection; 2] = [
    LiveSection {
        path: &["ip", "dhcp", "host"],
        section: sys::VIR_NETWORK_SECTION_IP_DHCP_HOST,
        delete_by: &[],
    },
    // libvirt deletes every DNS host sharing the IP *or any hostname* with the entry
    // given, and refuses when that is more than one: name the entry by its IP alone.
    LiveSection {
        path: &["dns", "host"],
        section: sys::VIR_NETWORK_SECTION_DNS_HOST,
        delete_by: &["ip"],
    },
];

fn policy(path: &[&str]) -> Policy {
    let live = LIVE_SECTIONS.iter().any(|l| path.starts_with(l.path));
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
        live_section: &LiveSection,
        prior: &Value,
        planned: &Value,
    ) -> Result<(), Diagnostics> {
        let LiveSection {
            path,
            section,
            delete_by,
        } = *live_section;
        let live = Network::is_active(net).context(|| "checking the network".into())?;
        let flags = sys::VIR_NETWORK_UPDATE_AFFECT_CONFIG
            | if live {
                sys::VIR_NETWORK_UPDATE_AFFECT_LIVE
            } else {
                0
            };
        let (old, new) = (entries(prior, path), entries(planned, path));
        for (index, (before, after)) in old.iter().zip(&new).enumerate() {
            let (removals, additions) = list_edits(before, after);
            let changes = removals
                .into_iter()
                .map(|e| (sys::VIR_NETWORK_UPDATE_COMMAND_DELETE, "removing", e))
                .chain(
                    additions
                        .iter()
                        .map(|e| (sys::VIR_NETWORK_UPDATE_COMMAND_ADD_LAST, "adding", e)),
                );
            for (command, verb, entry) in changes {
                let entry = if command == sys::VIR_NETWORK_UPDATE_COMMAND_DELETE {
                    only_fields(entry, delete_by)
                } else {
                    entry.clone()
                };
                let xml = self.0.mapping.element_xml(path, &entry)?;
                tracing::info!("{verb} {} entry live: {xml}", path.join("."));
                net.update(command, section, index as i32, &xml, flags)
                    .context(|| format!("{verb} {} entry {xml}", path.join(".")))?;
            }
        }
        Ok(())
    }
}

/// libvirt refuses layer-3 forwarding (`nat`, the mode of a `forward` block without
/// one, `route`, `open`) on a network without an address; said here, not at apply.
fn check_forwarding(config: &Value) -> Diagnostics {
    let Some(forward) = config.get("forward").as_list().and_then(<[Value]>::first) else {
        return Diagnostics::new();
    };
    let mode = match forward.get("mode") {
        Value::Null => "nat",
        Value::String(m) => m.as_str(),
        _ => return Diagnostics::new(),
    };
    let no_address = config.get("ip").as_list().is_some_and(<[Value]>::is_empty);
    if !(matches!(mode, "nat" | "route" | "open") && no_address) {
        return Diagnostics::new();
    }
    Diagnostics::error_at(
        tfplugin::AttributePath::attr("forward")
            .push_index(0)
            .push_attr("mode"),
        format!("Forward mode {mode:?} needs an IP address"),
        "libvirt forwards traffic from the network's own subnet: add an `ip` block \
         (e.g. `ip { address = \"192.168.100.1\", prefix = 24 }`), or drop `forward` for an \
         isolated network.",
    )
}

/// The removals and additions (appended in order) that turn the list `before` into
/// `after`. libvirt can only append, so kept entries after the first one out of place
/// are removed and added again: the order libvirt reports back is the planned one.
fn list_edits<'a>(before: &'a [Value], after: &'a [Value]) -> (Vec<&'a Value>, &'a [Value]) {
    let kept: Vec<&Value> = before.iter().filter(|e| after.contains(e)).collect();
    let in_place = kept
        .iter()
        .zip(after)
        .take_while(|(k, a)| **k == *a)
        .count();
    let removals = before
        .iter()
        .filter(|e| !after.contains(e))
        .chain(kept[in_place..].iter().copied())
        .collect();
    (removals, &after[in_place..])
}

/// The entry with every field but `fields` left out; all of it when `fields` is empty.
fn only_fields(entry: &Value, fields: &[&str]) -> Value {
    match entry {
        Value::Map(m) if !fields.is_empty() => Value::Map(
            m.iter()
                .map(|(k, v)| {
                    let kept = fields.contains(&k.as_str());
                    (k.clone(), if kept { v.clone() } else { Value::Null })
                })
                .collect(),
        ),
        _ => entry.clone(),
    }
}

/// For each element of the path's top-level block (e.g. each `ip[i]`), the entries
/// beneath it. That element's position is libvirt's parent index: the `<ip>` element
/// among all of them, even when earlier ones have no `<dhcp>`.
fn entries(v: &Value, path: &[&str]) -> Vec<Vec<Value>> {
    let Some((top, rest)) = path.split_first() else {
        return vec![];
    };
    let list = |x: &Value, step: &str| x.get(step).as_list().unwrap_or(&[]).to_vec();
    list(v, top)
        .iter()
        .map(|parent| {
            rest.iter().fold(vec![parent.clone()], |level, step| {
                level.iter().flat_map(|x| list(x, step)).collect()
            })
        })
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
        let mut diags = self.0.mapping.validate(config);
        diags.extend(check_forwarding(config));
        diags
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
        for live_section in &LIVE_SECTIONS {
            self.update_section(&net, live_section, req.prior, req.planned)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(pairs: Vec<(&'static str, Value)>) -> Value {
        crate::tfmap::object(pairs)
    }

    #[test]
    fn list_edits_keep_the_planned_order() {
        let [a, b, c, d]: [Value; 4] = ["a", "b", "c", "d"].map(Value::from);
        let apply = |before: &[Value], after: &[Value]| {
            let (removals, additions) = list_edits(before, after);
            let mut list: Vec<Value> = before
                .iter()
                .filter(|e| !removals.contains(e))
                .cloned()
                .collect();
            list.extend(additions.iter().cloned());
            (list, removals.len())
        };
        let appended = [a.clone(), b.clone(), c.clone()];
        assert_eq!(apply(&appended[..2], &appended), (appended.to_vec(), 0));
        let inserted_first = [d.clone(), a.clone(), b.clone()];
        assert_eq!(
            apply(&[a.clone(), b.clone()], &inserted_first),
            (inserted_first.to_vec(), 2)
        );
        let swapped = [b.clone(), a.clone(), c];
        assert_eq!(apply(&[a, b, d], &swapped), (swapped.to_vec(), 3));
    }

    #[test]
    fn dhcp_hosts_are_grouped_by_their_ip_element() {
        let host = obj(vec![("mac", "52:54:00:00:00:01".into())]);
        let with_dhcp = obj(vec![(
            "dhcp",
            Value::List(vec![obj(vec![("host", Value::List(vec![host.clone()]))])]),
        )]);
        let net = obj(vec![(
            "ip",
            Value::List(vec![obj(vec![("dhcp", Value::List(vec![]))]), with_dhcp]),
        )]);
        assert_eq!(
            entries(&net, &["ip", "dhcp", "host"]),
            vec![vec![], vec![host]],
            "the host belongs to ip[1]"
        );
    }
}
