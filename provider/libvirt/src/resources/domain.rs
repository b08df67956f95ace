//! `libvirt_domain`: a virtual machine (`<domain>`), defined and (unless `running =
//! false`) started. Memory balloon, vCPU count and interface link state change live;
//! any other change redefines the persistent configuration on the same UUID and, if
//! the domain runs, restarts it, which the plan announces. Only the hypervisor `type`
//! needs a new domain.

pub mod addresses;
mod capabilities;
mod changes;
mod checks;

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use tfplugin::{
    ApplyError, ApplyRequest, Attribute, AttributePath, Block, Diagnostics, PlanRequest, Resource,
    Schema, Type, Value,
};
use virt::connect::Connect;
use virt::domain::Domain;
use virt::sys;

use super::{find, not_found, Defined, XmlResource};
use crate::connection::{Connection, Context, LibvirtError};
use crate::tfmap::{object, Policy, XmlMapping};
use capabilities::Machines;
use changes::{changes, nested, nested_mut, overlay, Change};

/// Where libvirt applies a change to a running domain without a restart.
const LIVE: [&[&str]; 3] = [
    &["current_memory"],
    &["vcpu", "current"],
    &["devices", "interface", "link"],
];

/// Values libvirt assigns when unset that users need to reference.
const COMPUTED: [&[&str]; 2] = [&["uuid"], &["devices", "interface", "mac", "address"]];

const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(60);

fn policy(path: &[&str]) -> Policy {
    Policy {
        force_new: path == ["type"],
        computed: COMPUTED.contains(&path),
    }
}

/// The domain XML seen through Terraform, as the resource maps it.
pub fn domain_mapping() -> XmlMapping {
    XmlMapping::new(libvirt_schema::domain(), policy)
}

impl Defined for Domain {
    const KIND: &'static str = "domain";
    fn xml(&self) -> Result<String, virt::error::Error> {
        super::persistent_xml(sys::VIR_DOMAIN_XML_INACTIVE, |f| self.xml_desc(f))
    }
    fn uuid(&self) -> Result<String, virt::error::Error> {
        self.uuid_string()
    }
    fn is_active(&self) -> Result<bool, virt::error::Error> {
        Domain::is_active(self)
    }
    fn start(&self) -> Result<(), virt::error::Error> {
        self.create()
    }
    fn stop(&self) -> Result<(), virt::error::Error> {
        self.destroy()
    }
    fn undefine(&self) -> Result<(), virt::error::Error> {
        undefine(self, false)
    }
    fn autostart(&self) -> Result<bool, virt::error::Error> {
        Domain::autostart(self)
    }
    fn set_autostart(&self, on: bool) -> Result<(), virt::error::Error> {
        Domain::set_autostart(self, on).map(|_| ())
    }
}

/// Undefines a domain with its managed save image and snapshot/checkpoint metadata,
/// keeping or removing its NVRAM file as asked. Drivers without NVRAM or checkpoints
/// (the test driver) reject those flags; they get the flags they know.
fn undefine(dom: &Domain, keep_nvram: bool) -> Result<(), virt::error::Error> {
    let base = sys::VIR_DOMAIN_UNDEFINE_MANAGED_SAVE | sys::VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA;
    let nvram = if keep_nvram {
        sys::VIR_DOMAIN_UNDEFINE_KEEP_NVRAM
    } else {
        sys::VIR_DOMAIN_UNDEFINE_NVRAM
    };
    dom.undefine_flags(base | nvram | sys::VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA)
        .or_else(|e| match e.code() {
            virt::enumutil::Enum::Known(virt::error::ErrorNumber::InvalidArg) => {
                tracing::debug!("undefine flags not supported ({}); retrying", e.message());
                dom.undefine_flags(base)
            }
            _ => Err(e),
        })
}

/// Looks a domain up by UUID, then by name.
pub fn lookup_domain(conn: &Connect, id: &str) -> Result<Option<Domain>, Diagnostics> {
    find(
        "domain",
        id,
        |u| conn.lookup_domain_by_uuid_string(u),
        |n| conn.lookup_domain_by_name(n),
    )
}

/// Asks the guest to power off (ACPI) and waits up to `timeout`, then pulls the plug.
fn shut_down(dom: &Domain, timeout: Duration) -> Result<(), LibvirtError> {
    let active = || Domain::is_active(dom).context(|| "checking the domain state".into());
    if !active()? {
        return Ok(());
    }
    if !timeout.is_zero() {
        match dom.shutdown() {
            Ok(()) => {
                let deadline = Instant::now() + timeout;
                while active()? && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(200));
                }
            }
            Err(e) => tracing::info!("graceful shutdown refused ({}); destroying", e.message()),
        }
    }
    if active()? {
        tracing::info!("domain still running after {timeout:?}; destroying it");
        if let Err(e) = dom.destroy() {
            // It may have powered off between the check and the destroy.
            if active()? {
                return Err(LibvirtError {
                    context: "destroying the domain".into(),
                    source: e,
                });
            }
        }
    }
    Ok(())
}

fn shutdown_timeout(v: &Value) -> Duration {
    v.get("shutdown_timeout")
        .as_number()
        .and_then(|n| n.as_u64())
        .map_or(DEFAULT_SHUTDOWN_TIMEOUT, Duration::from_secs)
}

/// Whether the domain should run; unset means yes.
fn wants_running(v: &Value) -> bool {
    v.get("running").as_bool() != Some(false)
}

/// libvirt leaves `current` out of `<vcpu>` when every vCPU is online; the user's
/// `current` equal to the maximum means the same.
fn keep_full_vcpu_count(v: &mut Value, prior: &Value) {
    let Some(written) = nested(prior, &["vcpu"]).map(|b| b.get("current").clone()) else {
        return;
    };
    let Some(read) = nested_mut(v, &["vcpu"]) else {
        return;
    };
    if read.get("current").is_null() && !written.is_null() && read.get("value") == &written {
        read.set("current", written);
    }
}

/// A `memory` size in another unit than `prior`'s but equal to it reads as `prior`'s.
fn keep_same_memory_size(v: &mut Value, prior: &Value) {
    let same = checks::memory_kib(v, "memory")
        .is_some_and(|kib| Some(kib) == checks::memory_kib(prior, "memory"));
    let (true, Some(written), Some(memory)) =
        (same, nested(prior, &["memory"]), nested_mut(v, &["memory"]))
    else {
        return;
    };
    for field in [libvirt_schema::TEXT_FIELD, "unit"] {
        memory.set(field, written.get(field).clone());
    }
}

/// One entry of `interface_addresses`.
fn address_type() -> Type {
    Type::Object(
        [
            ("mac".to_string(), Type::String),
            ("addresses".to_string(), Type::list(Type::String)),
        ]
        .into(),
    )
}

/// Whether the user asked for `interface_addresses`.
fn wants_addresses(v: &Value) -> bool {
    !v.get("wait_for_ip_timeout").is_null() || !v.get("wait_for_ip_source").is_null()
}

fn address_source(v: &Value) -> Result<sys::virDomainInterfaceAddressesSource, Diagnostics> {
    addresses::source(
        v.get("wait_for_ip_source").as_str(),
        AttributePath::attr("wait_for_ip_source"),
    )
}

pub struct DomainResource {
    xml: XmlResource,
    /// The host's machine types, read once per provider process.
    machines: OnceLock<Machines>,
}

impl DomainResource {
    pub fn new(conn: Arc<Connection>) -> Self {
        let extras = Block::new()
            .attr(Attribute::computed("id", Type::String).describe("The domain's UUID."))
            .attr(
                Attribute::optional("autostart", Type::Bool)
                    .describe("Start the domain when libvirtd starts."),
            )
            .attr(Attribute::optional_computed("running", Type::Bool).describe(
                "Whether the domain runs (default true). false defines it without starting it; \
                 changing it starts or shuts the domain down in place.",
            ))
            .attr(Attribute::optional("shutdown_timeout", Type::Number).describe(
                "Seconds to wait for a graceful (ACPI) shutdown before the domain is destroyed, \
                 on delete and on restarts (default 60; 0 destroys at once).",
            ))
            .attr(Attribute::optional("keep_nvram", Type::Bool).describe(
                "Keep the UEFI NVRAM file when the domain is deleted (default false: removed).",
            ))
            .attr(Attribute::optional("wait_for_ip_timeout", Type::Number).describe(
                "After starting the domain, wait up to this many seconds until every interface \
                 has an IP address (from `wait_for_ip_source`); unset or 0 does not wait. A \
                 guest that stops meanwhile fails the apply at once.",
            ))
            .attr(Attribute::optional("wait_for_ip_source", Type::String).describe(
                "Where `interface_addresses` come from: `lease` (libvirt's DHCP, the default), \
                 `agent` (qemu-guest-agent) or `arp`.",
            ))
            .attr(
                Attribute::computed("interface_addresses", Type::list(address_type())).describe(
                    "When `wait_for_ip_timeout` or `wait_for_ip_source` is set: for each \
                     `devices.interface` in order, its MAC and the addresses it holds (loopback \
                     and link-local left out).",
                ),
            );
        Self {
            xml: XmlResource::new(
                libvirt_schema::domain(),
                policy,
                extras,
                "A libvirt domain (virtual machine), defined and started unless `running = false`. \
                 current_memory, vcpu.current and interface link state change live; other changes \
                 redefine the domain and restart it if it runs (the plan warns); changing `type` \
                 replaces it.",
                conn,
            ),
            machines: OnceLock::new(),
        }
    }

    fn conn(&self) -> Result<Connect, Diagnostics> {
        self.xml.conn.get()
    }

    fn lookup(&self, id: &str) -> Result<Option<Domain>, Diagnostics> {
        lookup_domain(&self.conn()?, id)
    }

    /// The host's machine types; empty when libvirt cannot say (they are then not checked).
    fn machines(&self) -> &Machines {
        self.machines
            .get_or_init(|| match self.conn().and_then(|c| Ok(c.capabilities()?)) {
                Ok(xml) => Machines::parse(&xml),
                Err(e) => {
                    tracing::debug!("no capabilities, machine types unchecked: {e}");
                    Machines::default()
                }
            })
    }

    /// The domain's state: its persistent XML shaped like `prior`, plus the
    /// Terraform-only attributes.
    fn state(&self, dom: &Domain, prior: &Value) -> Result<Value, Diagnostics> {
        let v = self.xml.defined_state(dom, prior)?;
        self.complete(dom, v, prior)
    }

    fn complete(&self, dom: &Domain, mut v: Value, prior: &Value) -> Result<Value, Diagnostics> {
        self.keep_machine_alias(&mut v, prior);
        keep_full_vcpu_count(&mut v, prior);
        let running = Domain::is_active(dom).context(|| "checking the domain state".into())?;
        v.set("running", running.into());
        for kept in [
            "shutdown_timeout",
            "keep_nvram",
            "wait_for_ip_timeout",
            "wait_for_ip_source",
        ] {
            v.set(kept, prior.get(kept).clone());
        }
        if wants_addresses(prior) {
            let found = if running {
                self.interface_addresses(dom, prior)
            } else {
                Ok(vec![])
            };
            // Reads must not fail because a guest agent is not up (yet).
            let found = found.unwrap_or_else(|d| {
                tracing::info!("interface addresses unavailable: {d}");
                vec![]
            });
            v.set("interface_addresses", Value::List(found));
        }
        Ok(v)
    }

    /// The MAC of each defined interface, in order (libvirt assigns missing ones).
    fn interface_macs(&self, dom: &Domain) -> Result<Vec<String>, Diagnostics> {
        let xml = dom.xml().context(|| "reading the domain XML".into())?;
        let defined = self.xml.mapping.from_xml(&xml, &self.xml.extras)?;
        let nics = nested(&defined, &["devices"])
            .and_then(|d| d.get("interface").as_list())
            .unwrap_or_default();
        Ok(nics
            .iter()
            .map(|nic| {
                nested(nic, &["mac"])
                    .and_then(|m| m.get("address").as_str())
                    .unwrap_or_default()
                    .to_string()
            })
            .collect())
    }

    /// `interface_addresses` as they are now: one entry per defined interface.
    fn interface_addresses(&self, dom: &Domain, v: &Value) -> Result<Vec<Value>, Diagnostics> {
        let found = addresses::guest_interfaces(dom, address_source(v)?)?;
        Ok(self
            .interface_macs(dom)?
            .into_iter()
            .map(|mac| {
                let addrs = addresses::addresses_of(&found, &mac);
                object([
                    ("mac", mac.into()),
                    (
                        "addresses",
                        Value::List(addrs.into_iter().map(Value::from).collect()),
                    ),
                ])
            })
            .collect())
    }

    /// Waits until every interface has an address, up to `wait_for_ip_timeout`.
    fn wait_for_addresses(&self, dom: &Domain, planned: &Value) -> Result<(), Diagnostics> {
        let Some(secs) = planned
            .get("wait_for_ip_timeout")
            .as_number()
            .and_then(|n| n.as_u64())
            .filter(|s| *s > 0)
        else {
            return Ok(());
        };
        let source = planned
            .get("wait_for_ip_source")
            .as_str()
            .unwrap_or("lease");
        let uuid = dom
            .uuid_string()
            .context(|| "reading the domain's UUID".into())?;
        let deadline = Instant::now() + Duration::from_secs(secs);
        let mut dom = dom.clone();
        loop {
            let still_missing = match self.interface_addresses(&dom, planned) {
                Ok(found) => {
                    let missing: Vec<String> = found
                        .iter()
                        .filter(|i| i.get("addresses").as_list().is_none_or(<[Value]>::is_empty))
                        .filter_map(|i| i.get("mac").as_str().map(str::to_string))
                        .collect();
                    if missing.is_empty() {
                        return Ok(());
                    }
                    format!(
                        "these interfaces still have no address from {source}: {}",
                        missing.join(", ")
                    )
                }
                Err(d) => {
                    // Not ready yet (the guest agent not up) or the connection lost: try
                    // again on a connection that works, and say why if time runs out.
                    let why = d.to_string().trim().replace('\n', "; ");
                    tracing::debug!(%uuid, "reading interface addresses: {why}");
                    if let Ok(Some(found)) = self.lookup(&uuid) {
                        dom = found;
                    }
                    format!("reading its addresses from {source} still fails: {why}")
                }
            };
            if !Domain::is_active(&dom).unwrap_or(true) {
                return Err(Diagnostics::error_at(
                    AttributePath::attr("wait_for_ip_timeout"),
                    "The domain stopped before it had an IP address",
                    format!(
                        "While waiting for its addresses ({still_missing}) the guest shut down or \
                         crashed; its console or libvirt's log for the domain says why."
                    ),
                ));
            }
            if Instant::now() >= deadline {
                return Err(Diagnostics::error_at(
                    AttributePath::attr("wait_for_ip_timeout"),
                    "No IP address in time",
                    format!(
                        "After {secs} s {still_missing}. The domain runs; check its network \
                         (DHCP) or raise wait_for_ip_timeout."
                    ),
                ));
            }
            std::thread::sleep(Duration::from_secs(1));
        }
    }

    /// Where `v` and `prior` name the same machine (`pc` and `pc-i440fx-10.0`), `v`
    /// takes `prior`'s spelling: the user's on read, libvirt's on redefinition.
    fn keep_machine_alias(&self, v: &mut Value, prior: &Value) {
        let Some(prior_type) = nested(prior, &["os", "type"]) else {
            return;
        };
        let (Some(kept), arch) = (
            prior_type.get("machine").as_str(),
            prior_type.get("arch").as_str(),
        ) else {
            return;
        };
        let Some(os_type) = nested_mut(v, &["os", "type"]) else {
            return;
        };
        let same = os_type
            .get("machine")
            .as_str()
            .is_some_and(|machine| self.machines().same_machine(arch, kept, machine));
        if same {
            os_type.set("machine", kept.into());
        }
    }

    /// Changes that need the domain's configuration rewritten (and a restart if it runs).
    /// Another spelling of what the domain has (a machine alias, a memory size in another
    /// unit, as after an import) rewrites nothing the guest sees, so it is not one.
    fn restart_changes(&self, prior: &Value, planned: &Value) -> Vec<Change> {
        let mut planned = planned.clone();
        self.keep_machine_alias(&mut planned, prior);
        keep_same_memory_size(&mut planned, prior);
        changes(&self.xml.mapping.block, prior, &planned)
            .into_iter()
            .filter(|c| !LIVE.iter().any(|p| c.starts_with(p)))
            .collect()
    }

    /// Writes the planned definition over the current one (same UUID), renaming first
    /// when the name changed (libvirt renames only shut-off domains).
    fn redefine(&self, dom: &Domain, prior: &Value, planned: &Value) -> Result<(), Diagnostics> {
        let current_xml = dom.xml().context(|| "reading the domain XML".into())?;
        let current = self.xml.mapping.from_xml(&current_xml, &self.xml.extras)?;
        let mut desired = overlay(&self.xml.mapping.block, &current, planned);
        // An alias (`pc`) would pick the newest versioned machine again, which after a
        // QEMU upgrade changes the guest's hardware: keep the one it has.
        self.keep_machine_alias(&mut desired, &current);
        if let Some(name) = planned.get("name").as_str() {
            if Some(name) != prior.get("name").as_str() {
                dom.rename(name, 0)
                    .context(|| format!("renaming the domain to {name}"))?;
            }
        }
        let xml = self.xml.mapping.to_xml(&desired)?;
        tracing::debug!("redefining domain: {xml}");
        self.conn()?
            .define_domain_xml(&xml)
            .context(|| "redefining the domain".into())?;
        Ok(())
    }

    /// Applies the live-capable changes to the running domain (its persistent
    /// definition has them already).
    fn update_live(&self, dom: &Domain, prior: &Value, planned: &Value) -> Result<(), Diagnostics> {
        let live = sys::VIR_DOMAIN_AFFECT_LIVE;
        let kib = checks::memory_kib(planned, "current_memory");
        if let Some(kib) = kib.filter(|k| Some(*k) != checks::memory_kib(prior, "current_memory")) {
            dom.set_memory_flags(kib, live)
                .context(|| "setting the memory balloon (current_memory)".into())?;
        }
        let vcpus =
            |v: &Value| nested(v, &["vcpu"]).and_then(|b| b.get("current").as_number()?.as_u64());
        if let Some(n) = vcpus(planned).filter(|n| Some(*n) != vcpus(prior)) {
            let n = u32::try_from(n).unwrap_or(u32::MAX);
            dom.set_vcpus_flags(n, live)
                .context(|| "setting the vCPU count (vcpu.current)".into())?;
        }
        self.update_links(dom, prior, planned)
    }

    /// Interface link states go through virDomainUpdateDeviceFlags with the whole
    /// device (libvirt finds it by MAC), taken from the just redefined definition.
    fn update_links(
        &self,
        dom: &Domain,
        prior: &Value,
        planned: &Value,
    ) -> Result<(), Diagnostics> {
        let link_state = |v: &Value, i: usize| -> Option<String> {
            let nic = nested(v, &["devices"])?
                .get("interface")
                .as_list()?
                .get(i)?;
            Some(nested(nic, &["link"])?.get("state").as_str()?.to_string())
        };
        let nics = nested(planned, &["devices"])
            .and_then(|d| d.get("interface").as_list())
            .map_or(0, <[Value]>::len);
        let changed: Vec<usize> = (0..nics)
            .filter(|&i| {
                link_state(planned, i).is_some() && link_state(planned, i) != link_state(prior, i)
            })
            .collect();
        if changed.is_empty() {
            return Ok(());
        }
        let defined_xml = dom.xml().context(|| "reading the domain XML".into())?;
        let defined = self.xml.mapping.from_xml(&defined_xml, &self.xml.extras)?;
        let nics = nested(&defined, &["devices"])
            .and_then(|d| d.get("interface").as_list())
            .unwrap_or_default();
        for i in changed {
            let xml = self
                .xml
                .mapping
                .element_xml(&["devices", "interface"], &nics[i])?;
            tracing::info!("updating interface {i} live: {xml}");
            dom.update_device_flags(&xml, sys::VIR_DOMAIN_AFFECT_LIVE)
                .context(|| format!("setting the link state of devices[0].interface[{i}]"))?;
        }
        Ok(())
    }

    /// Starts or shuts down the domain to match `planned.running`.
    fn apply_running(&self, dom: &Domain, planned: &Value) -> Result<(), Diagnostics> {
        let active = Domain::is_active(dom).context(|| "checking the domain state".into())?;
        match (wants_running(planned), active) {
            (true, false) => dom.create().context(|| "starting the domain".into())?,
            (false, true) => shut_down(dom, shutdown_timeout(planned))?,
            _ => {}
        }
        Ok(())
    }

    /// Records a domain that exists after a failed step, so Terraform taints it.
    fn partial(&self, dom: &Domain, planned: &Value, mut diags: Diagnostics) -> ApplyError {
        let state = self.state(dom, planned).unwrap_or_else(|d| {
            diags.extend(d);
            let mut v = planned.clone().unknowns_to_null();
            v.set("id", dom.uuid_string().ok().into());
            v
        });
        ApplyError::with_partial_state(diags, state)
    }

    fn validate_xml(&self, config: &Value) -> Diagnostics {
        let mut diags = self.xml.mapping.validate(config);
        // Attributes libvirt assigns (a `mac {}` block's address) may be left out.
        diags.0.retain(|d| {
            let is_computed = d.path.as_ref().is_some_and(|p| {
                let names = p.to_string();
                let names: Vec<&str> = names
                    .split('.')
                    .map(|s| s.split('[').next().unwrap_or(s))
                    .collect();
                COMPUTED.contains(&names.as_slice())
            });
            !(is_computed && d.summary.starts_with("Missing"))
        });
        diags
    }
}

impl Resource for DomainResource {
    fn type_name(&self) -> &str {
        "libvirt_domain"
    }
    fn schema(&self) -> &Schema {
        &self.xml.schema
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut diags = self.validate_xml(config);
        diags.extend(checks::disk_targets(config));
        diags.extend(checks::memory_covers_current(config));
        if !config.get("wait_for_ip_source").is_unknown() {
            diags.extend(address_source(config).err().unwrap_or_default());
        }
        diags
    }

    fn plan(&self, req: &mut PlanRequest) -> Diagnostics {
        let mut diags = checks::machine_known(req.config, self.machines());
        if req.config.get("running").is_null() {
            req.planned.set("running", true.into());
        }
        let planned_type = req.planned.get("type");
        let replaced = !planned_type.is_null() && planned_type != req.prior.get("type");
        if req.is_create() || replaced {
            return diags;
        }
        let restart = self.restart_changes(req.prior, &req.planned);
        let runs = req.prior.get("running").as_bool() == Some(true);
        // A restart or a start/stop changes what the guest holds.
        let bounced = !restart.is_empty() || req.planned.get("running") != req.prior.get("running");
        if !wants_addresses(&req.planned) {
            req.planned.set("interface_addresses", Value::Null);
        } else if bounced || !wants_addresses(req.prior) {
            req.planned.set("interface_addresses", Value::unknown());
        }
        if runs && wants_running(&req.planned) && !restart.is_empty() {
            let name = req.prior.get("name").as_str().unwrap_or_default();
            let paths: Vec<&str> = restart.iter().map(|c| c.shown.as_str()).collect();
            diags.push_warning(
                format!(
                    "libvirt_domain.{name} will be restarted to apply: {}",
                    paths.join(", ")
                ),
                "libvirt cannot change these settings on a running domain: apply redefines it, \
                 shuts it down (graceful, then forced after shutdown_timeout) and starts it again.",
            );
        }
        diags
    }

    fn create(&self, req: &ApplyRequest) -> Result<Value, ApplyError> {
        super::ensure_name_free("domain", req.planned, |n| self.lookup(n))?;
        let xml = self.xml.mapping.to_xml(req.planned)?;
        tracing::debug!("defining domain: {xml}");
        let dom = self
            .conn()?
            .define_domain_xml(&xml)
            .context(|| "defining the domain".into())?;
        if wants_running(req.planned) {
            return match self.xml.start_defined(&dom, req.planned, |_| Ok(())) {
                Ok(v) => self
                    .wait_for_addresses(&dom, req.planned)
                    .and_then(|()| self.complete(&dom, v, req.planned))
                    .map_err(|d| self.partial(&dom, req.planned, d)),
                Err(e) => Err(self.partial(&dom, req.planned, e.diagnostics)),
            };
        }
        self.xml
            .apply_autostart(&dom, &Value::Null, req.planned)
            .and_then(|()| self.state(&dom, req.planned))
            .map_err(|d| self.partial(&dom, req.planned, d))
    }

    fn read(&self, state: &Value) -> Result<Option<Value>, Diagnostics> {
        let Some(id) = state.get("id").as_str() else {
            return Ok(None);
        };
        self.lookup(id)?
            .map(|dom| self.state(&dom, state))
            .transpose()
    }

    fn update(&self, req: &ApplyRequest) -> Result<Value, ApplyError> {
        let id = req.prior.get("id").as_str().unwrap_or_default();
        let dom = self
            .lookup(id)?
            .ok_or_else(|| not_found("domain", id, "UUID"))?;
        let restart = !self.restart_changes(req.prior, req.planned).is_empty();
        let any_xml_change = !changes(&self.xml.mapping.block, req.prior, req.planned).is_empty();
        let active = Domain::is_active(&dom).context(|| "checking the domain state".into())?;
        let result = (|| {
            if active && restart {
                shut_down(&dom, shutdown_timeout(req.planned))?;
            }
            if any_xml_change {
                // The persistent definition always takes the whole change; a domain that
                // keeps running gets the live-capable part applied to it as well.
                self.redefine(&dom, req.prior, req.planned)?;
                if active && !restart {
                    self.update_live(&dom, req.prior, req.planned)?;
                }
            }
            self.apply_running(&dom, req.planned)?;
            if wants_running(req.planned) && (restart || !active) {
                self.wait_for_addresses(&dom, req.planned)?;
            }
            self.xml.apply_autostart(&dom, req.prior, req.planned)
        })();
        match result {
            Ok(()) => self
                .state(&dom, req.planned)
                .map_err(|d| self.partial(&dom, req.planned, d)),
            Err(d) => Err(self.partial(&dom, req.planned, d)),
        }
    }

    fn delete(&self, state: &Value) -> Result<(), Diagnostics> {
        let id = state.get("id").as_str().unwrap_or_default();
        let Some(dom) = self.lookup(id)? else {
            return Ok(());
        };
        shut_down(&dom, shutdown_timeout(state))?;
        let keep_nvram = state.get("keep_nvram").as_bool() == Some(true);
        undefine(&dom, keep_nvram).context(|| format!("undefining domain {id}"))?;
        Ok(())
    }

    fn import(&self, id: &str) -> Result<Value, Diagnostics> {
        let dom = self
            .lookup(id)?
            .ok_or_else(|| not_found("domain", id, "UUID or name"))?;
        self.state(&dom, &Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qemu_commandline_renders_in_the_qemu_namespace() {
        let r = DomainResource::new(Arc::new(Connection::default()));
        let block = &r.xml.mapping.block;
        let mut v = block.empty_value();
        v.set("type", "qemu".into());
        v.set("name", "fcos".into());
        let cmdline = block
            .nested("qemu_commandline")
            .expect("qemu_commandline block");
        let arg = |s: &str| {
            let mut a = cmdline.block.nested("arg").unwrap().block.empty_value();
            a.set("value", s.into());
            a
        };
        let mut c = cmdline.block.empty_value();
        c.set(
            "arg",
            Value::List(vec![
                arg("-fw_cfg"),
                arg("name=opt/com.coreos/config,file=/ign.json"),
            ]),
        );
        v.set("qemu_commandline", Value::List(vec![c]));
        let xml = r.xml.mapping.to_xml(&v).unwrap();
        assert!(xml.contains("xmlns:qemu="), "{xml}");
        assert!(
            xml.contains("<qemu:arg value=\"-fw_cfg\"/>")
                || xml.contains("<qemu:arg value='-fw_cfg'/>"),
            "{xml}"
        );
    }

    #[test]
    fn the_same_memory_size_in_another_unit_is_not_a_change() {
        let r = DomainResource::new(Arc::new(Connection::default()));
        let block = &r.xml.mapping.block;
        let memory = |value: u64, unit: &str| {
            let mut m = block.nested("memory").unwrap().block.empty_value();
            m.set(libvirt_schema::TEXT_FIELD, value.into());
            m.set("unit", unit.into());
            let mut v = block.empty_value();
            v.set("memory", Value::List(vec![m]));
            v
        };
        // What an import reads back, and what the configuration says.
        let imported = memory(262_144, "KiB");
        let mut same = memory(256, "MiB");
        keep_same_memory_size(&mut same, &imported);
        assert!(changes(block, &imported, &same).is_empty());
        let mut more = memory(320, "MiB");
        keep_same_memory_size(&mut more, &imported);
        assert!(!changes(block, &imported, &more).is_empty());
    }

    #[test]
    fn only_the_hypervisor_type_forces_replacement() {
        let r = DomainResource::new(Arc::new(Connection::default()));
        let b = &r.xml.schema.block;
        assert!(b.attribute("type").unwrap().force_new);
        assert!(!b.attribute("name").unwrap().force_new);
        let mac = &b
            .nested("devices")
            .unwrap()
            .block
            .nested("interface")
            .unwrap()
            .block;
        let address = mac
            .nested("mac")
            .unwrap()
            .block
            .attribute("address")
            .unwrap();
        assert!(address.is_computed() && !address.force_new);
    }
}
