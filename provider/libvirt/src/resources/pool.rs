//! `libvirt_pool`: a libvirt storage pool (`<pool>`), defined, built (directory pools)
//! and started. Changing its XML replaces it; autostart changes in place. Destroying it
//! undefines the pool and leaves the files in its target directory alone.

use std::sync::Arc;

use tfplugin::{
    ApplyError, ApplyRequest, Attribute, Block, Diagnostics, Resource, Schema, Type, Value,
};
use virt::storage_pool::StoragePool;
use virt::sys;

use super::{find, not_found, stop_and_undefine, Defined, XmlResource};
use crate::connection::{Connection, Context};
use crate::tfmap::Policy;

fn policy(path: &[&str]) -> Policy {
    Policy {
        force_new: path != ["uuid"],
        computed: path == ["uuid"],
    }
}

impl Defined for StoragePool {
    const KIND: &'static str = "pool";
    fn xml(&self) -> Result<String, virt::error::Error> {
        super::persistent_xml(sys::VIR_STORAGE_XML_INACTIVE, |f| self.xml_desc(f))
    }
    fn uuid(&self) -> Result<String, virt::error::Error> {
        self.uuid_string()
    }
    fn is_active(&self) -> Result<bool, virt::error::Error> {
        StoragePool::is_active(self)
    }
    fn start(&self) -> Result<(), virt::error::Error> {
        self.create(0)
    }
    fn stop(&self) -> Result<(), virt::error::Error> {
        self.destroy()
    }
    fn undefine(&self) -> Result<(), virt::error::Error> {
        StoragePool::undefine(self)
    }
    fn autostart(&self) -> Result<bool, virt::error::Error> {
        StoragePool::autostart(self)
    }
    fn set_autostart(&self, on: bool) -> Result<(), virt::error::Error> {
        StoragePool::set_autostart(self, on).map(|_| ())
    }
}

pub struct PoolResource(XmlResource);

impl PoolResource {
    pub fn new(conn: Arc<Connection>) -> Self {
        let extras = Block::new()
            .attr(Attribute::computed("id", Type::String).describe("The pool's UUID."))
            .attr(
                Attribute::optional("autostart", Type::Bool)
                    .describe("Start the pool when libvirtd starts."),
            );
        Self(XmlResource::new(
            libvirt_schema::storage_pool(),
            policy,
            extras,
            "A libvirt storage pool, defined and started (directory pools are built first).",
            conn,
        ))
    }

    fn lookup(&self, id: &str) -> Result<Option<StoragePool>, Diagnostics> {
        let conn = self.0.conn.get()?;
        find(
            "pool",
            id,
            |u| conn.lookup_storage_pool_by_uuid_string(u),
            |n| conn.lookup_storage_pool_by_name(n),
        )
    }
}

impl Resource for PoolResource {
    fn type_name(&self) -> &str {
        "libvirt_pool"
    }
    fn schema(&self) -> &Schema {
        &self.0.schema
    }
    fn validate(&self, config: &Value) -> Diagnostics {
        self.0.mapping.validate(config)
    }

    fn create(&self, req: &ApplyRequest) -> Result<Value, ApplyError> {
        super::ensure_name_free("pool", req.planned, |n| self.lookup(n))?;
        let xml = self.0.mapping.to_xml(req.planned)?;
        tracing::debug!("defining pool: {xml}");
        let pool = self
            .0
            .conn
            .get()?
            .define_storage_pool_xml(&xml, 0)
            .context(|| "defining the pool".into())?;
        // Only directory pools are built: building other types formats disks or volume groups.
        let is_dir = req.planned.get("type").as_str() == Some("dir");
        self.0.start_defined(&pool, req.planned, |p| {
            if is_dir {
                p.build(sys::VIR_STORAGE_POOL_BUILD_NEW)
                    .context(|| "building the pool directory".into())?;
            }
            Ok(())
        })
    }

    fn read(&self, state: &Value) -> Result<Option<Value>, Diagnostics> {
        let Some(id) = state.get("id").as_str() else {
            return Ok(None);
        };
        self.lookup(id)?
            .map(|p| self.0.defined_state(&p, state))
            .transpose()
    }

    fn update(&self, req: &ApplyRequest) -> Result<Value, ApplyError> {
        let id = req.prior.get("id").as_str().unwrap_or_default();
        let pool = self
            .lookup(id)?
            .ok_or_else(|| not_found("pool", id, "UUID"))?;
        self.0.apply_autostart(&pool, req.prior, req.planned)?;
        Ok(self.0.defined_state(&pool, req.planned)?)
    }

    fn delete(&self, state: &Value) -> Result<(), Diagnostics> {
        let id = state.get("id").as_str().unwrap_or_default();
        match self.lookup(id)? {
            Some(pool) => stop_and_undefine(&pool, id),
            None => Ok(()),
        }
    }

    fn import(&self, id: &str) -> Result<Value, Diagnostics> {
        let pool = self
            .lookup(id)?
            .ok_or_else(|| not_found("pool", id, "UUID or name"))?;
        self.0.defined_state(&pool, &Value::Null)
    }
}
