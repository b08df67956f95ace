//! libvirt objects as Terraform resources. Each resource is its XML mapping (generated
//! schema + `tfmap`) plus a few Terraform-only attributes and its libvirt lifecycle.

pub mod cloudinit;
pub mod domain;
pub mod generated_disk;
pub mod ignition;
pub mod network;
pub mod pool;
pub mod volume;

use std::sync::Arc;

use libvirt_schema::ElementSchema;
use tfplugin::{ApplyError, AttributePath, Block, Diagnostics, Schema, Value};

use crate::connection::{Connection, Context, LibvirtError};
use crate::tfmap::{reconcile, PolicyFn, XmlMapping};

/// What every XML-mapped resource shares.
pub struct XmlResource {
    pub mapping: XmlMapping,
    /// Terraform-only attributes (id, autostart, pool, ...), not part of the XML.
    pub extras: Block,
    pub schema: Schema,
    pub conn: Arc<Connection>,
}

impl XmlResource {
    pub fn new(
        element: &'static ElementSchema,
        policy: PolicyFn,
        extras: Block,
        about: &str,
        conn: Arc<Connection>,
    ) -> Self {
        let mapping = XmlMapping::new(element, policy);
        let mut block = mapping.block.clone();
        block.attributes.extend(extras.attributes.iter().cloned());
        block.description = format!(
            "{about} Every other attribute and block maps 1:1 to libvirt's `<{}>` XML.",
            element.xml_name
        );
        Self {
            mapping,
            extras,
            schema: Schema::new(block),
            conn,
        }
    }

    /// State from libvirt's XML, shaped like the prior state (see `tfmap::reconcile`);
    /// with no prior state (import) everything libvirt reports is kept.
    pub fn state_from_xml(&self, xml: &str, prior: &Value) -> Result<Value, Diagnostics> {
        let read = self.mapping.from_xml(xml, &self.extras)?;
        Ok(if prior.is_null() {
            read
        } else {
            reconcile(&self.schema.block, &read, prior)
        })
    }
}

/// Refuses to create an object under a name libvirt already uses, pointing at `name`.
/// This runs at apply: at plan time a replacement's new object looks just like a fresh
/// one, and the object it replaces still holds the name.
pub fn ensure_name_free<T>(
    kind: &str,
    planned: &Value,
    lookup: impl FnOnce(&str) -> Result<Option<T>, Diagnostics>,
) -> Result<(), Diagnostics> {
    let Some(name) = planned.get("name").as_str() else {
        return Ok(());
    };
    match lookup(name)? {
        None => Ok(()),
        Some(_) => Err(Diagnostics::error_at(
            AttributePath::attr("name"),
            format!("A libvirt {kind} named {name:?} already exists"),
            format!(
                "Choose another name, or bring the existing {kind} under Terraform with \
                 `terraform import` (by name or UUID)."
            ),
        )),
    }
}

/// Looks an object up by UUID, then by name; `Ok(None)` when it does not exist.
pub fn find<T>(
    kind: &str,
    id: &str,
    by_uuid: impl FnOnce(&str) -> Result<T, virt::error::Error>,
    by_name: impl FnOnce(&str) -> Result<T, virt::error::Error>,
) -> Result<Option<T>, Diagnostics> {
    match by_uuid(id).or_else(|_| by_name(id)) {
        Ok(o) => Ok(Some(o)),
        Err(e) if crate::connection::is_not_found(&e) => Ok(None),
        Err(source) => Err(LibvirtError {
            context: format!("looking up {kind} {id}"),
            source,
        }
        .into()),
    }
}

/// A persistent libvirt object that is defined, then started (networks, pools).
pub trait Defined {
    const KIND: &'static str;
    fn xml(&self) -> Result<String, virt::error::Error>;
    fn uuid(&self) -> Result<String, virt::error::Error>;
    fn is_active(&self) -> Result<bool, virt::error::Error>;
    fn start(&self) -> Result<(), virt::error::Error>;
    fn stop(&self) -> Result<(), virt::error::Error>;
    fn undefine(&self) -> Result<(), virt::error::Error>;
    fn autostart(&self) -> Result<bool, virt::error::Error>;
    fn set_autostart(&self, on: bool) -> Result<(), virt::error::Error>;
}

impl XmlResource {
    /// The state of a defined object: its XML plus `id` (UUID) and `autostart`
    /// (read back when the user manages it, or on import).
    pub fn defined_state<D: Defined>(&self, obj: &D, prior: &Value) -> Result<Value, Diagnostics> {
        let xml = obj
            .xml()
            .context(|| format!("reading the {} XML", D::KIND))?;
        let mut v = self.state_from_xml(&xml, prior)?;
        v.set(
            "id",
            obj.uuid()
                .context(|| format!("reading the {} UUID", D::KIND))?
                .into(),
        );
        if !prior.get("autostart").is_null() || prior.is_null() {
            v.set(
                "autostart",
                obj.autostart()
                    .context(|| "reading autostart".into())?
                    .into(),
            );
        }
        Ok(v)
    }

    /// Starts a freshly defined object and sets autostart. If anything fails, the object
    /// is still returned as partial state so Terraform taints it instead of forgetting it.
    pub fn start_defined<D: Defined>(
        &self,
        obj: &D,
        planned: &Value,
        prepare: impl FnOnce(&D) -> Result<(), Diagnostics>,
    ) -> Result<Value, ApplyError> {
        let started = prepare(obj).and_then(|()| {
            obj.start()
                .context(|| format!("starting the {}", D::KIND))?;
            self.apply_autostart(obj, &Value::Null, planned)
        });
        let state = self.defined_state(obj, planned);
        match (started, state) {
            (Ok(()), Ok(state)) => Ok(state),
            (started, state) => {
                let mut diags = started.err().unwrap_or_default();
                let state = state.unwrap_or_else(|d| {
                    diags.extend(d);
                    // What we know: the plan, and the UUID if libvirt tells it.
                    let mut v = planned.clone().unknowns_to_null();
                    v.set("id", obj.uuid().ok().into());
                    v
                });
                Err(ApplyError::with_partial_state(diags, state))
            }
        }
    }

    pub fn apply_autostart<D: Defined>(
        &self,
        obj: &D,
        prior: &Value,
        planned: &Value,
    ) -> Result<(), Diagnostics> {
        match planned.get("autostart").as_bool() {
            Some(on) if prior.get("autostart").as_bool() != Some(on) => {
                obj.set_autostart(on)
                    .context(|| "setting autostart".into())?;
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

/// Stops (when running) and undefines an object.
pub fn stop_and_undefine<D: Defined>(obj: &D, id: &str) -> Result<(), Diagnostics> {
    if obj
        .is_active()
        .context(|| format!("checking {} {id}", D::KIND))?
    {
        obj.stop()
            .context(|| format!("stopping {} {id}", D::KIND))?;
    }
    obj.undefine()
        .context(|| format!("undefining {} {id}", D::KIND))?;
    Ok(())
}

/// The error for an import ID that names nothing.
pub fn not_found(kind: &str, id: &str, what: &str) -> Diagnostics {
    Diagnostics::error_at(
        AttributePath::attr("id"),
        format!("No such {kind}"),
        format!("libvirt has no {kind} with {what} {id:?}"),
    )
}

/// The persistent (inactive) XML, which holds what the user defined rather than runtime
/// additions; drivers that do not know the flag (the test driver) get the plain XML.
pub fn persistent_xml(
    inactive_flag: u32,
    xml_desc: impl Fn(u32) -> Result<String, virt::error::Error>,
) -> Result<String, virt::error::Error> {
    xml_desc(inactive_flag).or_else(|e| match e.code() {
        virt::enumutil::Enum::Known(virt::error::ErrorNumber::InvalidArg) => xml_desc(0),
        _ => Err(e),
    })
}
