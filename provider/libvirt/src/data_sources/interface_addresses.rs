//! `libvirt_domain_interface_addresses`: the IP addresses a domain's interfaces hold,
//! from the DHCP leases of libvirt's networks, the guest agent, or the host's ARP
//! table. Loopback and link-local addresses are left out: nothing else can reach them.

use std::net::IpAddr;
use std::sync::Arc;

use tfplugin::{Attribute, AttributePath, Block, DataSource, Diagnostics, Schema, Type, Value};
use virt::sys;

use crate::connection::{Connection, Context};
use crate::resources::domain::lookup_domain;
use crate::tfmap::object;

const SOURCES: [(&str, sys::virDomainInterfaceAddressesSource); 3] = [
    ("lease", sys::VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE),
    ("agent", sys::VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT),
    ("arp", sys::VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_ARP),
];

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

/// Addresses other hosts can reach: not loopback, not link-local.
pub fn is_reachable(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => !v4.is_loopback() && !v4.is_link_local() && !v4.is_unspecified(),
        IpAddr::V6(v6) => {
            !v6.is_loopback() && !v6.is_unspecified() && (v6.segments()[0] & 0xffc0) != 0xfe80
        }
    }
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
    let name = config.get("source").as_str().unwrap_or("lease");
    SOURCES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, s)| *s)
        .ok_or_else(|| {
            Diagnostics::error_at(
                AttributePath::attr("source"),
                format!("Unknown address source {name:?}"),
                "source is one of `lease`, `agent` or `arp`.",
            )
        })
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
        let dom = lookup_domain(self.conn.get()?, id)?.ok_or_else(|| {
            Diagnostics::error_at(
                AttributePath::attr("domain"),
                "No such domain",
                format!("libvirt has no domain with name or UUID {id:?}"),
            )
        })?;
        let mac = config.get("mac").as_str();
        let found = dom
            .interface_addresses(source, 0)
            .context(|| format!("reading the interface addresses of {id}"))?;
        let mut all = Vec::new();
        let mut interfaces = Vec::new();
        for iface in found {
            let hwaddr = iface.hwaddr.unwrap_or_default();
            if mac.is_some_and(|m| !m.eq_ignore_ascii_case(&hwaddr)) {
                continue;
            }
            let addrs: Vec<Value> = iface
                .addrs
                .iter()
                .filter(|a| a.addr.parse().is_ok_and(|ip| is_reachable(&ip)))
                .map(|a| Value::from(a.addr.as_str()))
                .collect();
            all.extend(addrs.iter().cloned());
            interfaces.push(object([
                ("name", iface.name.into()),
                ("hwaddr", hwaddr.into()),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_and_link_local_are_not_reachable() {
        for ip in ["127.0.0.1", "169.254.3.4", "::1", "fe80::1", "0.0.0.0"] {
            assert!(!is_reachable(&ip.parse().unwrap()), "{ip}");
        }
        for ip in ["192.168.122.10", "10.0.0.2", "fd00::5", "2001:db8::1"] {
            assert!(is_reachable(&ip.parse().unwrap()), "{ip}");
        }
    }
}
