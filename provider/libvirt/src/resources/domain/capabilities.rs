//! Machine types the host offers, read from libvirt's capabilities XML: used to reject
//! an unknown machine at plan time and to treat an alias (`pc`) as equal to the
//! versioned machine libvirt writes back (`pc-i440fx-10.0`).

use std::collections::BTreeMap;

/// One `<machine>` of a guest architecture: its name and the name it stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Machine {
    pub name: String,
    pub canonical: Option<String>,
}

/// Machine types per guest architecture (`x86_64` -> [pc, q35, pc-i440fx-10.0, ...]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Machines(BTreeMap<String, Vec<Machine>>);

impl Machines {
    /// Parses `virConnectGetCapabilities` XML. The format is small and fixed, so a
    /// scan of `<guest>` sections is enough: each has one `<arch name=...>` and its
    /// `<machine [canonical=...]>NAME</machine>` entries.
    pub fn parse(capabilities_xml: &str) -> Self {
        let mut by_arch: BTreeMap<String, Vec<Machine>> = BTreeMap::new();
        for guest in capabilities_xml.split("<guest>").skip(1) {
            let guest = guest.split("</guest>").next().unwrap_or_default();
            let Some(arch) = guest
                .split("<arch ")
                .nth(1)
                .and_then(|head| xml_attr(head.split('>').next()?, "name"))
            else {
                continue;
            };
            let machines = by_arch.entry(arch).or_default();
            for m in guest.split("<machine").skip(1) {
                let Some((head, rest)) = m.split_once('>') else {
                    continue;
                };
                let Some((name, _)) = rest.split_once("</machine>") else {
                    continue;
                };
                let machine = Machine {
                    name: name.trim().to_string(),
                    canonical: xml_attr(head, "canonical"),
                };
                if !machines.contains(&machine) {
                    machines.push(machine);
                }
            }
        }
        Self(by_arch)
    }

    /// The machines of `arch`, or of every architecture when `arch` is unset.
    fn of<'a>(&'a self, arch: Option<&'a str>) -> impl Iterator<Item = &'a Machine> + 'a {
        self.0
            .iter()
            .filter(move |(a, _)| arch.is_none_or(|want| want == a.as_str()))
            .flat_map(|(_, ms)| ms)
    }

    /// Whether this host knows any machine type for `arch` (the test driver lists none,
    /// so nothing can be checked there).
    pub fn lists_any(&self, arch: Option<&str>) -> bool {
        self.of(arch).next().is_some()
    }

    pub fn knows(&self, arch: Option<&str>, machine: &str) -> bool {
        self.of(arch).any(|m| m.name == machine)
    }

    /// The names of `arch`'s machines, for error messages (aliases first, sorted).
    pub fn names(&self, arch: Option<&str>) -> Vec<String> {
        let mut names: Vec<String> = self.of(arch).map(|m| m.name.clone()).collect();
        names.sort_by_key(|n| (n.contains('-'), n.clone()));
        names.dedup();
        names
    }

    /// True when two machine names mean the same machine: equal, or one is an alias
    /// whose canonical name is the other.
    pub fn same_machine(&self, arch: Option<&str>, a: &str, b: &str) -> bool {
        a == b || self.expands_to(arch, a, b) || self.expands_to(arch, b, a)
    }

    fn expands_to(&self, arch: Option<&str>, alias: &str, canonical: &str) -> bool {
        self.of(arch)
            .any(|m| m.name == alias && m.canonical.as_deref() == Some(canonical))
            || alias_family(alias).is_some_and(|prefix| canonical.starts_with(prefix))
    }
}

/// QEMU's x86 aliases expand to the newest versioned machine of their family; this
/// holds even when the capabilities at hand predate the QEMU that expanded them.
fn alias_family(alias: &str) -> Option<&'static str> {
    match alias {
        "pc" => Some("pc-i440fx-"),
        "q35" => Some("pc-q35-"),
        _ => None,
    }
}

/// The value of attribute `name` in an XML start-tag fragment (either quote style).
fn xml_attr(tag: &str, name: &str) -> Option<String> {
    let start = tag.find(&format!("{name}="))? + name.len() + 1;
    let rest = &tag[start..];
    let quote = rest.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let value = rest[1..].split(quote).next()?;
    Some(value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAPS: &str = r#"<capabilities><host><cpu><arch>x86_64</arch></cpu></host>
      <guest><os_type>hvm</os_type>
        <arch name='x86_64'><wordsize>64</wordsize>
          <machine maxCpus='255'>pc-i440fx-10.0</machine>
          <machine canonical='pc-i440fx-10.0' maxCpus='255'>pc</machine>
          <machine canonical="pc-q35-10.0" maxCpus='4096'>q35</machine>
          <domain type='qemu'/>
        </arch></guest>
      <guest><os_type>hvm</os_type><arch name='i686'>
          <machine>isapc</machine></arch></guest></capabilities>"#;

    #[test]
    fn aliases_equal_their_canonical_machine() {
        let m = Machines::parse(CAPS);
        assert!(m.knows(Some("x86_64"), "pc"));
        assert!(!m.knows(Some("x86_64"), "isapc"));
        assert!(m.knows(None, "isapc"));
        assert!(m.same_machine(Some("x86_64"), "pc", "pc-i440fx-10.0"));
        assert!(m.same_machine(Some("x86_64"), "q35", "pc-q35-10.0"));
        assert!(m.same_machine(Some("x86_64"), "pc-q35-10.0", "q35"));
        assert!(!m.same_machine(Some("x86_64"), "q35", "pc-i440fx-10.0"));
        assert_eq!(m.names(Some("x86_64"))[..2], ["pc", "q35"]);
    }

    #[test]
    fn aliases_match_their_family_without_capabilities() {
        let m = Machines::default();
        assert!(!m.lists_any(Some("x86_64")));
        assert!(m.same_machine(None, "pc", "pc-i440fx-9.2"));
        assert!(!m.same_machine(None, "pc", "pc-q35-9.2"));
        assert!(!m.same_machine(None, "virt", "virt-9.2"));
    }
}
