//! Plan-time checks libvirt would otherwise only report at apply: duplicate disk
//! targets, memory below the current (balloon) memory, unknown machine types.

use std::collections::BTreeMap;

use tfplugin::{AttributePath, Diagnostics, Value};

use super::capabilities::Machines;
use super::changes::nested;
use crate::tfmap::unit_bytes;

/// Two disks on one target device (`vda`) cannot both exist.
pub fn disk_targets(config: &Value) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    let disks = nested(config, &["devices"])
        .and_then(|d| d.get("disk").as_list())
        .unwrap_or_default();
    for (i, disk) in disks.iter().enumerate() {
        let Some(dev) = nested(disk, &["target"]).and_then(|t| t.get("dev").as_str()) else {
            continue;
        };
        if let Some(first) = seen.insert(dev, i) {
            diags.push_error_at(
                AttributePath::attr("devices")
                    .push_index(0)
                    .push_attr("disk")
                    .push_index(i)
                    .push_attr("target")
                    .push_index(0)
                    .push_attr("dev"),
                format!("Two disks use target device {dev:?}"),
                format!(
                    "devices[0].disk[{first}] already uses target dev {dev:?}; give each disk \
                     its own target (vda, vdb, sda, ...)."
                ),
            );
        }
    }
    diags
}

/// Bytes of a `{value, unit}` block; libvirt's unit for domain memory is KiB.
fn kib_block_bytes(v: &Value) -> Option<u128> {
    let n = u128::from(v.get(libvirt_schema::TEXT_FIELD).as_number()?.as_u64()?);
    Some(n * unit_bytes(v.get("unit").as_str().unwrap_or("KiB"))?)
}

/// The KiB of a memory block of the domain (`memory`, `current_memory`), if known.
pub fn memory_kib(v: &Value, block: &str) -> Option<u64> {
    let bytes = kib_block_bytes(nested(v, &[block])?)?;
    u64::try_from(bytes / 1024).ok()
}

/// `memory` is the most the guest may have; the balloon (`current_memory`) cannot
/// exceed it.
pub fn memory_covers_current(config: &Value) -> Diagnostics {
    let (Some(max), Some(current)) = (
        nested(config, &["memory"]).and_then(kib_block_bytes),
        nested(config, &["current_memory"]).and_then(kib_block_bytes),
    ) else {
        return Diagnostics::new();
    };
    if max >= current {
        return Diagnostics::new();
    }
    Diagnostics::error_at(
        AttributePath::attr("memory")
            .push_index(0)
            .push_attr(libvirt_schema::TEXT_FIELD),
        "memory is below current_memory",
        format!(
            "memory is {} KiB but current_memory is {} KiB: raise memory (the maximum) or \
             lower current_memory (what the guest gets now).",
            max / 1024,
            current / 1024
        ),
    )
}

/// The machine type must be one the host offers for the architecture.
pub fn machine_known(config: &Value, machines: &Machines) -> Diagnostics {
    let Some(os_type) = nested(config, &["os", "type"]) else {
        return Diagnostics::new();
    };
    let arch = os_type.get("arch").as_str();
    let Some(machine) = os_type.get("machine").as_str() else {
        return Diagnostics::new();
    };
    if !machines.lists_any(arch) || machines.knows(arch, machine) {
        return Diagnostics::new();
    }
    Diagnostics::error_at(
        AttributePath::attr("os")
            .push_index(0)
            .push_attr("type")
            .push_index(0)
            .push_attr("machine"),
        format!("Unknown machine type {machine:?}"),
        format!(
            "This host offers these machine types for {}: {}.",
            arch.unwrap_or("its architectures"),
            machines.names(arch).join(", ")
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A sparse domain value (blocks as lists of objects), as tests write them.
    fn value(j: serde_json::Value) -> Value {
        fn conv(j: &serde_json::Value) -> Value {
            match j {
                serde_json::Value::Object(m) => {
                    Value::Map(m.iter().map(|(k, v)| (k.clone(), conv(v))).collect())
                }
                serde_json::Value::Array(items) => Value::List(items.iter().map(conv).collect()),
                serde_json::Value::String(s) => s.as_str().into(),
                serde_json::Value::Number(n) => Value::number(n.as_u64().unwrap()),
                _ => Value::Null,
            }
        }
        conv(&j)
    }

    #[test]
    fn duplicate_disk_target_is_reported_at_the_second_disk() {
        let v = value(json!({"devices": [{"disk": [
            {"target": [{"dev": "vda"}]}, {"target": [{"dev": "vdb"}]}, {"target": [{"dev": "vda"}]}
        ]}]}));
        let d = disk_targets(&v);
        assert_eq!(d.0.len(), 1);
        assert_eq!(
            d.0[0].path.as_ref().unwrap().to_string(),
            "devices[0].disk[2].target[0].dev"
        );
    }

    #[test]
    fn memory_below_current_is_an_error_in_any_units() {
        let v = value(json!({"memory": [{"value": 1, "unit": "GiB"}],
                              "current_memory": [{"value": 2048, "unit": "MiB"}]}));
        let d = memory_covers_current(&v);
        assert_eq!(d.0[0].path.as_ref().unwrap().to_string(), "memory[0].value");
        let ok = value(json!({"memory": [{"value": 1, "unit": "GiB"}],
                               "current_memory": [{"value": 1048576}]}));
        assert!(memory_covers_current(&ok).is_empty());
        assert_eq!(memory_kib(&ok, "memory"), Some(1048576));
    }

    #[test]
    fn unknown_machine_is_reported_only_where_the_host_lists_machines() {
        let caps = "<guest><arch name='x86_64'><machine canonical='pc-i440fx-10.0'>pc</machine>\
                    </arch></guest>";
        let machines = Machines::parse(caps);
        let bad = value(json!({"os": [{"type": [{"arch": "x86_64", "machine": "pc-bogus"}]}]}));
        let d = machine_known(&bad, &machines);
        assert_eq!(
            d.0[0].path.as_ref().unwrap().to_string(),
            "os[0].type[0].machine"
        );
        assert!(d.0[0].detail.contains("pc"), "{}", d.0[0].detail);
        assert!(machine_known(&bad, &Machines::default()).is_empty());
        let good = value(json!({"os": [{"type": [{"arch": "x86_64", "machine": "pc"}]}]}));
        assert!(machine_known(&good, &machines).is_empty());
    }
}
