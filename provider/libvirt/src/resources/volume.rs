//! `libvirt_volume`: a storage volume (`<volume>`) in a pool: empty, uploaded from a
//! local file or http(s) URL, or a copy-on-write overlay over a backing volume
//! (`backing_store`). Growing `capacity` resizes in place; shrinking replaces it.

use std::sync::Arc;

use tfplugin::{
    ApplyError, ApplyRequest, Attribute, AttributePath, Block, Diagnostics, PlanRequest, Resource,
    Schema, Type, Value,
};
use virt::storage_pool::StoragePool;
use virt::storage_vol::StorageVol;

use super::XmlResource;
use crate::connection::{is_not_found, Connection, Context, LibvirtError};
use crate::content::{self, Source};
use crate::tfmap::{unit_bytes, Policy};

fn policy(path: &[&str]) -> Policy {
    Policy {
        force_new: path.first() != Some(&"capacity"),
        computed: false,
    }
}

/// Bytes of a `{value, unit}` block (libvirt's default unit for volumes is bytes).
fn bytes_of(v: &Value) -> Option<u128> {
    let block = v.as_list()?.first()?;
    let n = u128::from(
        block
            .get(libvirt_schema::TEXT_FIELD)
            .as_number()?
            .as_u64()?,
    );
    Some(n * unit_bytes(block.get("unit").as_str().unwrap_or("bytes"))?)
}

pub struct VolumeResource(XmlResource);

impl VolumeResource {
    pub fn new(conn: Arc<Connection>) -> Self {
        let extras = Block::new()
            .attr(Attribute::computed("id", Type::String).describe("The volume's key (its path for file-based pools)."))
            .attr(Attribute::required("pool", Type::String).force_new().describe("Name of the storage pool holding the volume."))
            .attr(Attribute::optional("content_source", Type::String).force_new().describe(
                "Initial content: a local file path or an http(s) URL, streamed into the volume. \
                 Without `capacity` the volume is sized to fit it (a qcow2 image's virtual size).",
            ));
        Self(XmlResource::new(
            libvirt_schema::storage_volume(),
            policy,
            extras,
            "A libvirt storage volume: empty, uploaded from `content_source`, or an overlay over `backing_store`.",
            conn,
        ))
    }

    fn pool(&self, name: &str) -> Result<Option<StoragePool>, Diagnostics> {
        match self.0.conn.get()?.lookup_storage_pool_by_name(name) {
            Ok(p) => Ok(Some(p)),
            Err(e) if is_not_found(&e) => Ok(None),
            Err(source) => Err(LibvirtError {
                context: format!("looking up pool {name}"),
                source,
            }
            .into()),
        }
    }

    /// By key, then path, then `pool/name`.
    fn lookup(&self, id: &str) -> Result<Option<StorageVol>, Diagnostics> {
        let conn = self.0.conn.get()?;
        let found = conn
            .lookup_storage_vol_by_key(id)
            .or_else(|_| conn.lookup_storage_vol_by_path(id));
        match found {
            Ok(v) => return Ok(Some(v)),
            Err(e) if !is_not_found(&e) => {
                return Err(LibvirtError {
                    context: format!("looking up volume {id}"),
                    source: e,
                }
                .into())
            }
            Err(_) => {}
        }
        let Some((pool, name)) = id.split_once('/').filter(|_| !id.starts_with('/')) else {
            return Ok(None);
        };
        match self.pool(pool)?.map(|p| p.lookup_storage_vol_by_name(name)) {
            Some(Ok(v)) => Ok(Some(v)),
            _ => Ok(None),
        }
    }

    fn state_of(&self, vol: &StorageVol, prior: &Value) -> Result<Value, Diagnostics> {
        let xml = vol
            .xml_desc(0)
            .context(|| "reading the volume XML".into())?;
        let mut v = self.0.state_from_xml(&xml, prior)?;
        v.set(
            "id",
            vol.key()
                .context(|| "reading the volume key".into())?
                .into(),
        );
        let pool = vol
            .lookup_storage_pool()
            .and_then(|p| p.name())
            .context(|| "finding the volume's pool".into())?;
        v.set("pool", pool.into());
        v.set("content_source", prior.get("content_source").clone());
        Ok(v)
    }

    /// Plan-time checks: a size or a source, and a readable local source.
    fn check_plan(&self, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        let source = config.get("content_source");
        if config
            .get("capacity")
            .as_list()
            .is_some_and(<[Value]>::is_empty)
            && source.is_null()
        {
            diags.push_error_at(
                AttributePath::attr("capacity"),
                "The volume needs a size",
                "Set a `capacity` block (with `value` and `unit`, e.g. 10 and \"GiB\"), or `content_source` to size the volume from its content.",
            );
        }
        if let Some(Err(msg)) = source.as_str().map(|s| Source::parse(s).check()) {
            diags.push_error_at(
                AttributePath::attr("content_source"),
                "Volume content source not found",
                msg,
            );
        }
        diags
    }

    /// Apply-time checks of what the volume refers to. These cannot run at plan time:
    /// the pool or backing volume is often created by the same apply.
    fn referenced_pool(&self, planned: &Value) -> Result<StoragePool, Diagnostics> {
        let pool_name = planned.get("pool").as_str().unwrap_or_default();
        let pool = self.pool(pool_name)?.ok_or_else(|| {
            Diagnostics::error_at(
                AttributePath::attr("pool"),
                format!("No storage pool named {pool_name:?}"),
                "Create it first (libvirt_pool) or name an existing pool.",
            )
        })?;
        let backing = planned
            .get("backing_store")
            .as_list()
            .and_then(|l| l.first())
            .map(|b| b.get("path"));
        if let Some(path) = backing.and_then(Value::as_str) {
            let conn = self.0.conn.get()?;
            if conn.lookup_storage_vol_by_path(path).is_err()
                && !std::path::Path::new(path).exists()
            {
                return Err(Diagnostics::error_at(
                    AttributePath::attr("backing_store")
                        .push_index(0)
                        .push_attr("path"),
                    "Backing volume not found",
                    format!("No libvirt volume or file at {path}."),
                ));
            }
        }
        Ok(pool)
    }
}

impl Resource for VolumeResource {
    fn type_name(&self) -> &str {
        "libvirt_volume"
    }
    fn schema(&self) -> &Schema {
        &self.0.schema
    }
    fn validate(&self, config: &Value) -> Diagnostics {
        self.0.mapping.validate(config)
    }

    fn plan(&self, req: &mut PlanRequest) -> Diagnostics {
        let mut diags = self.0.mapping.validate(req.config);
        if diags.has_errors() {
            return diags;
        }
        if req.is_create() {
            diags.extend(self.check_plan(req.config));
        } else if let (Some(before), Some(after)) = (
            bytes_of(req.prior.get("capacity")),
            bytes_of(req.planned.get("capacity")),
        ) {
            if after < before {
                // Shrinking would cut off data: only a new volume can be smaller.
                req.requires_replace.push(AttributePath::attr("capacity"));
            }
        }
        diags
    }

    fn create(&self, req: &ApplyRequest) -> Result<Value, ApplyError> {
        let planned = req.planned;
        let pool_name = planned.get("pool").as_str().unwrap_or_default();
        let pool = self.referenced_pool(planned)?;
        super::ensure_name_free(&format!("volume in pool {pool_name:?}"), planned, |n| {
            Ok(pool.lookup_storage_vol_by_name(n).ok())
        })?;
        let source = planned.get("content_source").as_str().map(Source::parse);
        let mut spec = planned.clone();
        if let (Some(src), true) = (&source, bytes_of(planned.get("capacity")).is_none()) {
            let needed = src.required_capacity()?;
            let cap = self
                .0
                .schema
                .block
                .nested("capacity")
                .map(|nb| nb.block.empty_value())
                .unwrap_or_default();
            let mut cap = cap;
            cap.set(libvirt_schema::TEXT_FIELD, needed.into());
            cap.set("unit", "bytes".into());
            spec.set("capacity", Value::List(vec![cap]));
        }
        let xml = self.0.mapping.to_xml(&spec)?;
        tracing::debug!("creating volume: {xml}");
        let vol = StorageVol::create_xml(&pool, &xml, 0)
            .context(|| format!("creating the volume in pool {pool_name}"))?;
        if let Some(src) = &source {
            if let Err(e) = content::upload(&self.0.conn.get()?, &vol, src) {
                // The volume exists: record it (tainted) rather than orphan it.
                let state = self.state_of(&vol, planned)?;
                return Err(ApplyError::with_partial_state(Diagnostics::from(e), state));
            }
        }
        Ok(self.state_of(&vol, planned)?)
    }

    fn read(&self, state: &Value) -> Result<Option<Value>, Diagnostics> {
        let Some(id) = state.get("id").as_str() else {
            return Ok(None);
        };
        self.lookup(id)?
            .map(|v| self.state_of(&v, state))
            .transpose()
    }

    fn update(&self, req: &ApplyRequest) -> Result<Value, ApplyError> {
        let id = req.prior.get("id").as_str().unwrap_or_default();
        let vol = self
            .lookup(id)?
            .ok_or_else(|| super::not_found("volume", id, "key"))?;
        if let (Some(before), Some(after)) = (
            bytes_of(req.prior.get("capacity")),
            bytes_of(req.planned.get("capacity")),
        ) {
            if after > before {
                tracing::info!(volume = id, "growing from {before} to {after} bytes");
                let after = u64::try_from(after).map_err(|_| {
                    Diagnostics::error_at(AttributePath::attr("capacity"), "Capacity too large", "")
                })?;
                vol.resize(after, 0)
                    .context(|| format!("resizing volume {id}"))?;
            }
        }
        Ok(self.state_of(&vol, req.planned)?)
    }

    fn delete(&self, state: &Value) -> Result<(), Diagnostics> {
        let id = state.get("id").as_str().unwrap_or_default();
        match self.lookup(id)? {
            Some(vol) => Ok(vol.delete(0).context(|| format!("deleting volume {id}"))?),
            None => Ok(()),
        }
    }

    fn import(&self, id: &str) -> Result<Value, Diagnostics> {
        let vol = self
            .lookup(id)?
            .ok_or_else(|| super::not_found("volume", id, "key, path or pool/name"))?;
        self.state_of(&vol, &Value::Null)
    }
}
