//! `libvirt_domain` data source: an existing domain looked up by name or UUID, with
//! the same attribute tree as the resource (read-only: Terraform has no computed
//! blocks, so each block is a computed attribute of the same type).

use std::sync::Arc;

use tfplugin::{Attribute, AttributePath, Block, DataSource, Diagnostics, Schema, Type, Value};
use virt::domain::Domain;

use crate::connection::{Connection, Context};
use crate::resources::domain::{domain_mapping, lookup_domain};
use crate::tfmap::XmlMapping;

/// The lookup keys: the user sets one of them.
const KEYS: [&str; 2] = ["name", "uuid"];

pub struct DomainLookup {
    mapping: XmlMapping,
    schema: Schema,
    conn: Arc<Connection>,
}

/// `block` with every attribute and block turned into a computed attribute of the same
/// type, except the lookup keys, which the user may set.
fn read_only(block: &Block) -> Block {
    let mut out = Block::new();
    for a in &block.attributes {
        let mut attr = if KEYS.contains(&a.name.as_str()) {
            Attribute::optional_computed(&a.name, a.ty.clone())
        } else {
            Attribute::computed(&a.name, a.ty.clone())
        };
        attr.description.clone_from(&a.description);
        out.attributes.push(attr);
    }
    for nb in &block.blocks {
        out.attributes.push(
            Attribute::computed(&nb.name, nb.value_type()).describe(nb.block.description.clone()),
        );
    }
    out
}

impl DomainLookup {
    pub fn new(conn: Arc<Connection>) -> Self {
        let mapping = domain_mapping();
        let block = read_only(&mapping.block)
            .describe(
                "An existing libvirt domain, looked up by `name` or `uuid`. Every attribute \
                 mirrors the `libvirt_domain` resource, read from the domain's current XML.",
            )
            .attr(Attribute::computed("id", Type::String).describe("The domain's UUID."))
            .attr(Attribute::computed("running", Type::Bool).describe("Whether the domain runs."))
            .attr(
                Attribute::computed("autostart", Type::Bool)
                    .describe("Whether the domain starts with libvirtd."),
            );
        Self {
            mapping,
            schema: Schema::new(block),
            conn,
        }
    }

    fn describe(&self, dom: &Domain) -> Result<Value, Diagnostics> {
        let xml = dom
            .xml_desc(0)
            .context(|| "reading the domain XML".into())?;
        let mut v = self.mapping.from_xml(&xml, &Block::new())?;
        let uuid = dom.uuid_string().context(|| "reading the UUID".into())?;
        v.set("id", uuid.into());
        let running = dom
            .is_active()
            .context(|| "reading the domain state".into())?;
        v.set("running", running.into());
        let autostart = dom.autostart().context(|| "reading autostart".into())?;
        v.set("autostart", autostart.into());
        Ok(v)
    }
}

impl DataSource for DomainLookup {
    fn type_name(&self) -> &str {
        "libvirt_domain"
    }
    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let set = KEYS.iter().filter(|k| !config.get(k).is_null()).count();
        if set == 1 {
            return Diagnostics::new();
        }
        Diagnostics::error_at(
            AttributePath::attr("name"),
            "Set exactly one of name or uuid",
            format!("The domain is looked up by name or by UUID; {set} of them are set."),
        )
    }

    fn read(&self, config: &Value) -> Result<Value, Diagnostics> {
        let key = KEYS
            .into_iter()
            .find(|k| !config.get(k).is_null())
            .unwrap_or("name");
        let id = super::known_string(config, key)?;
        let dom = lookup_domain(&self.conn.get()?, id)?.ok_or_else(|| {
            Diagnostics::error_at(
                AttributePath::attr(key),
                "No such domain",
                format!("libvirt has no domain with {key} {id:?}"),
            )
        })?;
        self.describe(&dom)
    }
}
