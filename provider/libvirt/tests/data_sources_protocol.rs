//! Tier 2 for the data sources: `libvirt_node_info`, `libvirt_domain` and
//! `libvirt_domain_interface_addresses` read through the real tfplugin5 service
//! against libvirt's test driver (its domain `test` runs, with one interface on
//! network `default` holding a DHCP lease).

mod support;

use std::collections::HashMap;

use serde_json::json;
use support::{block_from_proto, path_string, unique, Harness};
use tfplugin::codec;
use tfplugin::proto::tfplugin5 as pb;
use tfplugin::{Type, Value};

/// Data source schemas as GetSchema announces them.
async fn data_source_types(h: &Harness) -> HashMap<String, Type> {
    let resp = h
        .raw()
        .get_schema(pb::get_provider_schema::Request {})
        .await
        .expect("GetSchema")
        .into_inner();
    resp.data_source_schemas
        .into_iter()
        .map(|(name, s)| (name, block_from_proto(s.block.as_ref()).object_type()))
        .collect()
}

/// A full configuration object of `ty` from a sparse JSON object (unset attributes null).
fn config(ty: &Type, sparse: serde_json::Value) -> Value {
    let Type::Object(attrs) = ty else {
        panic!("data source schemas are objects")
    };
    let mut full = serde_json::Map::new();
    for name in attrs.keys() {
        full.insert(name.clone(), sparse.get(name).cloned().unwrap_or_default());
    }
    codec::from_json(ty, &serde_json::Value::Object(full)).expect("config fits the schema")
}

/// ReadDataSource; returns the state and the error diagnostics as (path, summary).
async fn read(
    h: &Harness,
    types: &HashMap<String, Type>,
    name: &str,
    sparse: serde_json::Value,
) -> (Value, Vec<(String, String)>) {
    let ty = &types[name];
    let cfg = config(ty, sparse);
    let dv = |v: &Value| pb::DynamicValue {
        msgpack: codec::encode_msgpack(ty, v).expect("encode"),
        json: vec![],
    };
    let validate = h
        .raw()
        .validate_data_source_config(pb::validate_data_source_config::Request {
            type_name: name.into(),
            config: Some(dv(&cfg)),
        })
        .await
        .expect("ValidateDataSourceConfig")
        .into_inner();
    let mut errors: Vec<(String, String)> = validate
        .diagnostics
        .iter()
        .map(|d| {
            let path = d.attribute.as_ref().map(path_string).unwrap_or_default();
            (path, d.summary.clone())
        })
        .collect();
    if !errors.is_empty() {
        return (Value::Null, errors);
    }
    let resp = h
        .raw()
        .read_data_source(pb::read_data_source::Request {
            type_name: name.into(),
            config: Some(dv(&cfg)),
            provider_meta: None,
            client_capabilities: None,
        })
        .await
        .expect("ReadDataSource")
        .into_inner();
    errors.extend(resp.diagnostics.iter().map(|d| {
        let path = d.attribute.as_ref().map(path_string).unwrap_or_default();
        (path, d.summary.clone())
    }));
    let state = match resp.state {
        Some(s) if !s.msgpack.is_empty() => {
            codec::decode_msgpack(ty, &s.msgpack).expect("state fits the schema")
        }
        _ => Value::Null,
    };
    (state, errors)
}

fn number(v: &Value, name: &str) -> u64 {
    v.get(name)
        .as_number()
        .and_then(|n| n.as_u64())
        .unwrap_or_else(|| panic!("{name} is a number: {:?}", v.get(name)))
}

#[tokio::test]
async fn node_info_reports_the_hosts_topology() {
    let h = Harness::start().await;
    let types = data_source_types(&h).await;
    let (v, errors) = read(&h, &types, "libvirt_node_info", json!({})).await;
    assert!(errors.is_empty(), "{errors:?}");
    // The test driver describes a fixed host: 2 NUMA cells of 2 sockets x 2 cores x 2 threads.
    assert_eq!(v.get("cpu_model").as_str(), Some("i686"));
    assert_eq!(number(&v, "cpus"), 16);
    assert_eq!(
        number(&v, "numa_nodes")
            * number(&v, "sockets")
            * number(&v, "cores")
            * number(&v, "threads"),
        16
    );
    assert!(number(&v, "memory_kib") > 0);
    assert!(v.get("id").as_str().is_some_and(|s| !s.is_empty()));
}

#[tokio::test]
async fn domain_lookup_by_name_and_uuid_gives_the_same_tree() {
    let h = Harness::start().await;
    let types = data_source_types(&h).await;
    let (by_name, errors) = read(&h, &types, "libvirt_domain", json!({"name": "test"})).await;
    assert!(errors.is_empty(), "{errors:?}");
    let uuid = by_name.get("uuid").as_str().expect("uuid").to_string();
    assert_eq!(by_name.get("id").as_str(), Some(uuid.as_str()));
    assert_eq!(by_name.get("running"), &Value::Bool(true));
    let memory = &by_name.get("memory").as_list().expect("memory block")[0];
    assert_eq!(
        memory.get("value").as_number().and_then(|n| n.as_u64()),
        Some(8388608)
    );
    let devices = &by_name.get("devices").as_list().expect("devices")[0];
    let mac = &devices.get("interface").as_list().expect("interfaces")[0]
        .get("mac")
        .as_list()
        .expect("mac")[0];
    assert_eq!(mac.get("address").as_str(), Some("aa:bb:cc:dd:ee:ff"));

    let (by_uuid, errors) = read(&h, &types, "libvirt_domain", json!({"uuid": uuid})).await;
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(by_uuid, by_name);

    let missing = unique("no-such-domain");
    let (_, errors) = read(&h, &types, "libvirt_domain", json!({"name": missing})).await;
    assert_eq!(errors, [("name".to_string(), "No such domain".to_string())]);
    let (_, errors) = read(&h, &types, "libvirt_domain", json!({})).await;
    assert_eq!(errors[0].0, "name", "{errors:?}");
}

#[tokio::test]
async fn interface_addresses_come_from_leases_filtered_by_mac() {
    let h = Harness::start().await;
    let types = data_source_types(&h).await;
    let ds = "libvirt_domain_interface_addresses";
    let (v, errors) = read(&h, &types, ds, json!({"domain": "test"})).await;
    assert!(errors.is_empty(), "{errors:?}");
    let interfaces = v.get("interfaces").as_list().expect("interfaces");
    assert_eq!(interfaces.len(), 1, "{interfaces:?}");
    assert_eq!(
        interfaces[0].get("hwaddr").as_str(),
        Some("aa:bb:cc:dd:ee:ff")
    );
    let addresses = v.get("addresses").as_list().expect("addresses");
    assert!(!addresses.is_empty(), "the test driver leases an address");
    for a in addresses {
        let ip: std::net::IpAddr = a.as_str().unwrap().parse().expect("an IP address");
        assert!(!ip.is_loopback());
    }

    let (v, errors) = read(
        &h,
        &types,
        ds,
        json!({"domain": "test", "mac": "AA:BB:CC:DD:EE:FF", "source": "lease"}),
    )
    .await;
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        v.get("interfaces").as_list().map(<[Value]>::len),
        Some(1),
        "MAC case ignored"
    );

    let (v, _) = read(
        &h,
        &types,
        ds,
        json!({"domain": "test", "mac": "52:54:00:00:00:99"}),
    )
    .await;
    assert_eq!(v.get("addresses").as_list().map(<[Value]>::len), Some(0));

    let (_, errors) = read(&h, &types, ds, json!({"domain": "test", "source": "dns"})).await;
    assert_eq!(errors[0].0, "source", "{errors:?}");
}
