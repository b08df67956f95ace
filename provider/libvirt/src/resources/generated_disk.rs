//! What `libvirt_cloudinit_disk` and `libvirt_ignition` share: a raw volume whose whole
//! content the provider generates from the configuration, in memory, and streams into the
//! pool (virStorageVolUpload), so nothing depends on a local temp file surviving.
//!
//! Every attribute forces a new volume: content is written once, at create. The content's
//! SHA-256 is known at plan time whenever the inputs are, so plans show it.

use std::sync::Arc;

use sha2::{Digest, Sha256};
use tfplugin::{
    ApplyError, ApplyRequest, Attribute, AttributePath, Block, Diagnostics, PlanRequest, Resource,
    Schema, Type, Value,
};
use virt::storage_pool::StoragePool;
use virt::storage_vol::StorageVol;

use crate::connection::{is_not_found, Connection, Context, LibvirtError};

pub const HASH_ATTRIBUTE: &str = "content_sha256";

/// The part that differs between generated disks: their content attributes, how those
/// are checked, and the bytes they become.
pub trait DiskContent: Send + Sync {
    fn type_name(&self) -> &'static str;
    /// The resource description (what the disk is for, how a domain uses it).
    fn about(&self) -> &'static str;
    /// The content attributes; the resource makes every one force a new volume.
    fn attributes(&self) -> Vec<Attribute>;
    /// Checks known content values; unknown ones are checked once they are known.
    fn check(&self, config: &Value) -> Diagnostics;
    /// The volume's bytes, from wholly known content values.
    fn render(&self, config: &Value) -> Result<Vec<u8>, Diagnostics>;
}

pub struct GeneratedDisk<C> {
    content: C,
    /// Names of the content attributes (those `render` reads).
    content_names: Vec<String>,
    schema: Schema,
    conn: Arc<Connection>,
}

impl<C: DiskContent> GeneratedDisk<C> {
    pub fn new(content: C, conn: Arc<Connection>) -> Self {
        let mut block = Block::new()
            .describe(content.about())
            .attr(Attribute::required("name", Type::String).force_new().describe("Name of the volume in the pool."))
            .attr(Attribute::required("pool", Type::String).force_new().describe("Name of the storage pool that holds the volume."))
            .attr(Attribute::computed("id", Type::String).describe("The volume's key: its file path in directory pools."))
            .attr(Attribute::computed(HASH_ATTRIBUTE, Type::String).describe(
                "SHA-256 (hex) of the bytes written into the volume; known at plan time when the content is.",
            ));
        let attributes = content.attributes();
        let content_names = attributes.iter().map(|a| a.name.clone()).collect();
        for a in attributes {
            block = block.attr(a.force_new());
        }
        Self {
            content,
            content_names,
            schema: Schema::new(block),
            conn,
        }
    }

    /// The bytes and their hash, or None while some content value is unknown.
    fn rendered(&self, config: &Value) -> Result<Option<(Vec<u8>, String)>, Diagnostics> {
        if self
            .content_names
            .iter()
            .any(|n| !config.get(n).is_wholly_known())
        {
            return Ok(None);
        }
        let bytes = self.content.render(config)?;
        let hash = format!("{:x}", Sha256::digest(&bytes));
        Ok(Some((bytes, hash)))
    }

    fn pool(&self, name: &str) -> Result<StoragePool, Diagnostics> {
        match self.conn.get()?.lookup_storage_pool_by_name(name) {
            Ok(p) => Ok(p),
            Err(e) if is_not_found(&e) => Err(Diagnostics::error_at(
                AttributePath::attr("pool"),
                format!("No storage pool named {name:?}"),
                "Create it first (libvirt_pool) or name an existing pool.",
            )),
            Err(source) => Err(LibvirtError {
                context: format!("looking up pool {name}"),
                source,
            }
            .into()),
        }
    }

    fn lookup(&self, key: &str) -> Result<Option<StorageVol>, Diagnostics> {
        match self.conn.get()?.lookup_storage_vol_by_key(key) {
            Ok(v) => Ok(Some(v)),
            Err(e) if is_not_found(&e) => Ok(None),
            Err(source) => Err(LibvirtError {
                context: format!("looking up volume {key}"),
                source,
            }
            .into()),
        }
    }

    /// `base` with what libvirt says about the volume: its key, name and pool.
    fn state_of(&self, vol: &StorageVol, base: &Value) -> Result<Value, Diagnostics> {
        let mut state = base.clone().unknowns_to_null();
        state.set(
            "id",
            vol.key()
                .context(|| "reading the volume key".into())?
                .into(),
        );
        state.set(
            "name",
            vol.name()
                .context(|| "reading the volume name".into())?
                .into(),
        );
        let pool = vol
            .lookup_storage_pool()
            .and_then(|p| p.name())
            .context(|| "finding the volume's pool".into())?;
        state.set("pool", pool.into());
        Ok(state)
    }
}

impl<C: DiskContent> Resource for GeneratedDisk<C> {
    fn type_name(&self) -> &str {
        self.content.type_name()
    }

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        self.content.check(config)
    }

    fn plan(&self, req: &mut PlanRequest) -> Diagnostics {
        let diags = self.content.check(req.config);
        if diags.has_errors() {
            return diags;
        }
        match self.rendered(req.config) {
            Ok(Some((_, hash))) => req.planned.set(HASH_ATTRIBUTE, hash.into()),
            Ok(None) => req.planned.set(HASH_ATTRIBUTE, Value::unknown()),
            Err(d) => return d,
        }
        diags
    }

    fn create(&self, req: &ApplyRequest) -> Result<Value, ApplyError> {
        let planned = req.planned;
        let (bytes, hash) = self.rendered(planned)?.ok_or_else(|| {
            Diagnostics::error(
                "Content still unknown at apply",
                "Terraform passed unknown content values to apply; this is a bug in Terraform or the provider.",
            )
        })?;
        let pool_name = planned.get("pool").as_str().unwrap_or_default();
        let pool = self.pool(pool_name)?;
        let name = planned.get("name").as_str().unwrap_or_default();
        super::ensure_name_free(&format!("volume in pool {pool_name:?}"), planned, |n| {
            Ok(pool.lookup_storage_vol_by_name(n).ok())
        })?;
        let xml = raw_volume_xml(name, bytes.len());
        let vol = StorageVol::create_xml(&pool, &xml, 0)
            .context(|| format!("creating volume {name} in pool {pool_name}"))?;
        let mut state = self.state_of(&vol, planned)?;
        state.set(HASH_ATTRIBUTE, hash.into());
        let started = std::time::Instant::now();
        let conn = self.conn.get()?;
        let len = Some(bytes.len() as u64);
        match crate::content::upload_reader(&conn, &vol, &mut bytes.as_slice(), len, name) {
            Ok(_) => {
                tracing::info!(volume = name, bytes = bytes.len(), elapsed = ?started.elapsed(), "generated content uploaded");
                Ok(state)
            }
            // The volume exists: record it (Terraform taints it) rather than orphan it.
            Err(e) => Err(ApplyError::with_partial_state(Diagnostics::from(e), state)),
        }
    }

    fn read(&self, state: &Value) -> Result<Option<Value>, Diagnostics> {
        let Some(key) = state.get("id").as_str() else {
            return Ok(None);
        };
        self.lookup(key)?
            .map(|vol| self.state_of(&vol, state))
            .transpose()
    }

    /// Every settable attribute forces replacement, so Terraform never plans an update.
    fn update(&self, req: &ApplyRequest) -> Result<Value, ApplyError> {
        Ok(req.planned.clone())
    }

    fn delete(&self, state: &Value) -> Result<(), Diagnostics> {
        let key = state.get("id").as_str().unwrap_or_default();
        match self.lookup(key)? {
            Some(vol) => Ok(vol.delete(0).context(|| format!("deleting volume {key}"))?),
            None => Ok(()),
        }
    }

    fn import(&self, id: &str) -> Result<Value, Diagnostics> {
        Err(Diagnostics::error_at(
            AttributePath::attr("id"),
            format!("{} cannot be imported", self.content.type_name()),
            format!(
                "The volume {id:?} holds generated bytes, not the configuration they came from. \
                 Delete it and let Terraform create it from the configuration, or remove it \
                 from libvirt and apply."
            ),
        ))
    }
}

/// A raw volume of exactly `len` bytes.
fn raw_volume_xml(name: &str, len: usize) -> String {
    format!(
        "<volume><name>{}</name><capacity unit='bytes'>{len}</capacity>\
         <target><format type='raw'/></target></volume>",
        xml_escape(name)
    )
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\'', "&apos;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volume_xml_escapes_the_name() {
        let xml = raw_volume_xml("a<b>&'c\"", 4096);
        assert!(
            xml.contains("<name>a&lt;b&gt;&amp;&apos;c&quot;</name>"),
            "{xml}"
        );
        assert!(
            xml.contains("<capacity unit='bytes'>4096</capacity>"),
            "{xml}"
        );
        assert!(xml.contains("<format type='raw'/>"), "{xml}");
    }
}
