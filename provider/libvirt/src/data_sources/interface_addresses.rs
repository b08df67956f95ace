//! `libvirt_domain_interface_addresses`: the IP addresses a domain's interfaces hold,
//! from the DHCP leases of libvirt's networks, the guest agent, or the host's ARP
//! table. Loopback and link-local addresses are left out: nothing else can reach them.

use std::sync::Arc;

use tfplugin::{Attribute, AttributePath, Block, DataSource, Diagnostics, Schema, Type, Value};
use virt::sys;

use crate::connection::{Connection, Context};
use crate::resources::domain::{addresses, lookup_domain};
use crate::tfmap::object;

pub struct InterfaceAddresses {
    schema: Schema,
    conn: Arc<Connection>,
}

fn interface_type() -> Type {
    Type::Object(
        [
            ("name".to_string(), Type::String),
            ("hwaddr".to_string(), Type::String),
            ("addresses".to_string(), Type::list(Type::String)),
        ]
        .into(),
    )
}

impl InterfaceAddresses {
    pub fn new(conn: Arc<Connection>) -> Self {
        let block = Block::new()
            .describe(
                "The IP addresses of a domain's network interfaces, from DHCP leases, the QEMU \
                 guest agent or ARP. Loopback and link-local addresses are left out.",
            )
            .attr(
                Attribute::required("domain", Type::String).describe("The domain's name or UUID."),
            )
            .attr(
                Attribute::optional("mac", Type::String)
                    .describe("Only the interface with this MAC address (any letter case)."),
            )
            .attr(Attribute::optional("source", Type::String).describe(
                "Where the addresses come from: `lease` (libvirt's DHCP, the default), `agent` \
                 (qemu-guest-agent in the guest) or `arp` (the host's ARP table).",
            ))
            .attr(Attribute::computed("id", Type::String).describe("The domain's UUID."))
            .attr(
                Attribute::computed("interfaces", Type::list(interface_type()))
                    .describe("Each matching interface: its name, MAC and addresses."),
            )
            .attr(
                Attribute::computed("addresses", Type::list(Type::String))
                    .describe("Every address of the matching interfaces, in order."),
            );
        Self {
            schema: Schema::new(block),
            conn,
        }
    }
}

fn source_of(config: &Value) -> Result<sys::virDomainInterfaceAddressesSource, Diagnostics> {
    addresses::source(config.get("source").as_str(), AttributePath::attr("source"))
}

impl DataSource for InterfaceAddresses {
    fn type_name(&self) -> &str {
        "libvirt_domain_interface_addresses"
    }
    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        if config.get("source").is_unknown() {
            return Diagnostics::new();
        }
        source_of(config).err().unwrap_or_default()
    }

    fn read(&self, config: &Value) -> Result<Value, Diagnostics> {
        let source = source_of(config)?;
        let id = super::known_string(config, "domain")?;
        let dom = lookup_domain(&self.conn.get()?, id)?.ok_or_else(|| {
            Diagnostics::error_at(
                AttributePath::attr("domain"),
                "No such domain",
                format!("libvirt has no domain with name or UUID {id:?}"),
            )
        })?;
        let mac = config.get("mac").as_str();
        let found = addresses::guest_interfaces(&dom, source)?;
        let mut all = Vec::new();
        let mut interfaces = Vec::new();
        for iface in found {
            if mac.is_some_and(|m| !m.eq_ignore_ascii_case(&iface.mac)) {
                continue;
            }
            let addrs: Vec<Value> = iface.addresses.iter().map(|a| a.as_str().into()).collect();
            all.extend(addrs.iter().cloned());
            interfaces.push(object([
                ("name", iface.name.into()),
                ("hwaddr", iface.mac.into()),
                ("addresses", Value::List(addrs)),
            ]));
        }
        let mut v = config.clone();
        v.set(
            "id",
            dom.uuid_string()
                .context(|| "reading the UUID".into())?
                .into(),
        );
        v.set("interfaces", Value::List(interfaces));
        v.set("addresses", Value::List(all));
        Ok(v)
    }
}
