//! The IP addresses a domain's interfaces hold, from libvirt's DHCP leases, the guest
//! agent or the host's ARP table, without loopback and link-local addresses (nothing
//! else can reach them). Shared by the resource's wait and the data source.

use std::net::IpAddr;

use tfplugin::{AttributePath, Diagnostics};
use virt::domain::Domain;
use virt::sys;

use crate::connection::{Context, LibvirtError};

/// Source names as users write them, with libvirt's constants.
pub const SOURCES: [(&str, sys::virDomainInterfaceAddressesSource); 3] = [
    ("lease", sys::VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE),
    ("agent", sys::VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT),
    ("arp", sys::VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_ARP),
];

/// The libvirt source named `name` (default `lease`), or an error at `attribute`.
pub fn source(
    name: Option<&str>,
    attribute: AttributePath,
) -> Result<sys::virDomainInterfaceAddressesSource, Diagnostics> {
    let name = name.unwrap_or("lease");
    SOURCES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, s)| *s)
        .ok_or_else(|| {
            Diagnostics::error_at(
                attribute,
                format!("Unknown address source {name:?}"),
                "The address source is one of `lease`, `agent` or `arp`.",
            )
        })
}

/// One guest interface as libvirt reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GuestInterface {
    pub name: String,
    pub mac: String,
    pub addresses: Vec<String>,
}

/// Addresses other hosts can reach: not loopback, not link-local, not unspecified.
pub fn is_reachable(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => !v4.is_loopback() && !v4.is_link_local() && !v4.is_unspecified(),
        IpAddr::V6(v6) => {
            !v6.is_loopback() && !v6.is_unspecified() && (v6.segments()[0] & 0xffc0) != 0xfe80
        }
    }
}

/// The interfaces libvirt knows addresses for, with only reachable addresses kept.
pub fn guest_interfaces(
    dom: &Domain,
    source: sys::virDomainInterfaceAddressesSource,
) -> Result<Vec<GuestInterface>, LibvirtError> {
    let found = dom
        .interface_addresses(source, 0)
        .context(|| "reading the domain's interface addresses".into())?;
    Ok(found
        .into_iter()
        .map(|iface| GuestInterface {
            name: iface.name,
            mac: iface.hwaddr.unwrap_or_default(),
            addresses: iface
                .addrs
                .into_iter()
                .map(|a| a.addr)
                .filter(|a| a.parse().is_ok_and(|ip| is_reachable(&ip)))
                .collect(),
        })
        .collect())
}

/// The reachable addresses of the interface with `mac` (any letter case).
pub fn addresses_of(interfaces: &[GuestInterface], mac: &str) -> Vec<String> {
    interfaces
        .iter()
        .filter(|i| i.mac.eq_ignore_ascii_case(mac))
        .flat_map(|i| i.addresses.iter().cloned())
        .collect()
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

    #[test]
    fn addresses_match_the_mac_in_any_case() {
        let found = [GuestInterface {
            name: "vnet0".into(),
            mac: "52:54:00:aa:bb:cc".into(),
            addresses: vec!["10.0.0.5".into()],
        }];
        assert_eq!(addresses_of(&found, "52:54:00:AA:BB:CC"), ["10.0.0.5"]);
        assert!(addresses_of(&found, "52:54:00:00:00:01").is_empty());
    }
}
