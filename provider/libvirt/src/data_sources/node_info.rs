//! `libvirt_node_info`: the host's CPU topology and memory (virNodeGetInfo).

use std::sync::Arc;

use tfplugin::{Attribute, Block, DataSource, Diagnostics, Schema, Type, Value};

use crate::connection::{Connection, Context};

const NUMBERS: [(&str, &str); 7] = [
    ("memory_kib", "Memory of the host in KiB."),
    ("cpus", "Active logical CPUs."),
    ("mhz", "Expected CPU frequency in MHz (0 when unknown)."),
    ("numa_nodes", "NUMA cells (1 for uniform memory access)."),
    ("sockets", "CPU sockets per NUMA cell."),
    ("cores", "Cores per socket."),
    ("threads", "Threads per core."),
];

pub struct NodeInfo {
    schema: Schema,
    conn: Arc<Connection>,
}

impl NodeInfo {
    pub fn new(conn: Arc<Connection>) -> Self {
        let mut block = Block::new()
            .describe("The libvirt host's CPU model, topology and memory.")
            .attr(Attribute::computed("id", Type::String).describe("The host's name."))
            .attr(
                Attribute::computed("cpu_model", Type::String)
                    .describe("CPU model (e.g. `x86_64`)."),
            );
        for (name, doc) in NUMBERS {
            block = block.attr(Attribute::computed(name, Type::Number).describe(doc));
        }
        Self {
            schema: Schema::new(block),
            conn,
        }
    }
}

impl DataSource for NodeInfo {
    fn type_name(&self) -> &str {
        "libvirt_node_info"
    }
    fn schema(&self) -> &Schema {
        &self.schema
    }
    fn read(&self, _config: &Value) -> Result<Value, Diagnostics> {
        let conn = self.conn.get()?;
        let info = conn
            .node_info()
            .context(|| "reading the node info".into())?;
        let host = conn.hostname().context(|| "reading the host name".into())?;
        let mut v = self.schema.block.empty_value();
        v.set("id", host.into());
        v.set("cpu_model", info.model.into());
        let numbers = [
            info.memory,
            info.cpus.into(),
            info.mhz.into(),
            info.nodes.into(),
            info.sockets.into(),
            info.cores.into(),
            info.threads.into(),
        ];
        for ((name, _), n) in NUMBERS.iter().zip(numbers) {
            v.set(name, Value::number(n));
        }
        Ok(v)
    }
}
