//! Drives the libvirt provider through the real tfplugin5 gRPC service on loopback,
//! against libvirt's in-process test driver (`test:///default`), doing what Terraform
//! core does around each call: build full configuration objects, propose new states,
//! encode DynamicValues with the schema the provider announced over the wire.
//!
//! The test driver keeps one shared state per process for every `test:///default`
//! connection (see `protocol.rs`), so tests running in parallel use unique names and
//! never count objects.

#![allow(dead_code)] // each test crate uses part of this module

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use libvirt_provider::LibvirtProvider;
use serde_json::json;
use tfplugin::codec;
use tfplugin::proto::tfplugin5 as pb;
use tfplugin::proto::tfplugin5::provider_client::ProviderClient;
use tfplugin::proto::tfplugin5::provider_server::ProviderServer;
use tfplugin::schema::{AttrMode, Attribute, Block, NestedBlock, Nesting};
use tfplugin::server::ProviderService;
use tfplugin::{Type, Value};
use tonic::transport::Channel;

pub const TEST_URI: &str = "test:///default";

/// A name no other test in this process uses.
pub fn unique(prefix: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!("{prefix}-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// A diagnostic as the user would read it: severity, summary and attribute path.
#[derive(Clone, Debug)]
pub struct Diag {
    pub error: bool,
    pub summary: String,
    pub detail: String,
    /// `forward[0].mode` style; empty when the diagnostic names no attribute.
    pub path: String,
}

impl Diag {
    fn from_proto(d: &pb::Diagnostic) -> Self {
        Self {
            error: d.severity == pb::diagnostic::Severity::Error as i32,
            summary: d.summary.clone(),
            detail: d.detail.clone(),
            path: d.attribute.as_ref().map(path_string).unwrap_or_default(),
        }
    }
}

pub fn path_string(p: &pb::AttributePath) -> String {
    use pb::attribute_path::step::Selector;
    let mut out = String::new();
    for step in &p.steps {
        match &step.selector {
            Some(Selector::AttributeName(a)) if out.is_empty() => out.push_str(a),
            Some(Selector::AttributeName(a)) => {
                out.push('.');
                out.push_str(a);
            }
            Some(Selector::ElementKeyInt(i)) => out.push_str(&format!("[{i}]")),
            Some(Selector::ElementKeyString(k)) => out.push_str(&format!("[{k:?}]")),
            None => out.push_str("<empty step>"),
        }
    }
    out
}

fn diags(ds: &[pb::Diagnostic]) -> Vec<Diag> {
    ds.iter().map(Diag::from_proto).collect()
}

pub fn errors(ds: &[Diag]) -> Vec<&Diag> {
    ds.iter().filter(|d| d.error).collect()
}

#[track_caller]
pub fn assert_no_errors(what: &str, ds: &[Diag]) {
    assert!(errors(ds).is_empty(), "{what} failed: {ds:#?}");
}

/// What PlanResourceChange answered.
#[derive(Debug)]
pub struct Plan {
    pub planned: Value,
    pub requires_replace: Vec<String>,
    pub private: Vec<u8>,
    pub diagnostics: Vec<Diag>,
}

/// An object ImportResourceState returned.
#[derive(Debug)]
pub struct Imported {
    pub type_name: String,
    pub state: Value,
    pub private: Vec<u8>,
}

/// One resource type's schema as announced by GetSchema.
pub struct ResourceSchema {
    pub version: i64,
    pub block: Block,
    pub ty: Type,
}

/// A provider served over gRPC on loopback, configured for the test driver.
pub struct Harness {
    client: ProviderClient<Channel>,
    schemas: HashMap<String, ResourceSchema>,
    provider_type: Type,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Harness {
    /// A fresh provider instance (as a new `terraform` command would start), configured
    /// with `uri = "test:///default"`.
    pub async fn start() -> Self {
        let h = Self::unconfigured().await;
        let ds = h.configure(json!({ "uri": TEST_URI })).await;
        assert_no_errors("Configure", &ds);
        h
    }

    /// A served provider that has not been configured yet.
    pub async fn unconfigured() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local address");
        let incoming = tonic::transport::server::TcpIncoming::from_listener(listener, true, None)
            .expect("incoming connections");
        let service = ProviderServer::new(ProviderService::new(LibvirtProvider::default()));
        let server = tokio::spawn(async move {
            tonic::transport::Server::builder()
                .add_service(service)
                .serve_with_incoming(incoming)
                .await
                .expect("gRPC server");
        });
        let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
            .expect("endpoint")
            .connect()
            .await
            .expect("connect to the provider");
        let client = ProviderClient::new(channel);
        let mut h = Self {
            client,
            schemas: HashMap::new(),
            provider_type: Type::Object(Default::default()),
            server,
        };
        let resp = h
            .raw()
            .get_schema(pb::get_provider_schema::Request {})
            .await;
        let resp = resp.expect("GetSchema").into_inner();
        h.provider_type =
            block_from_proto(resp.provider.and_then(|s| s.block).as_ref()).object_type();
        h.schemas = resp
            .resource_schemas
            .into_iter()
            .map(|(name, s)| {
                let block = block_from_proto(s.block.as_ref());
                let ty = block.object_type();
                let schema = ResourceSchema {
                    version: s.version,
                    block,
                    ty,
                };
                (name, schema)
            })
            .collect();
        h
    }

    /// The generated gRPC client, for calls this harness does not wrap.
    pub fn raw(&self) -> ProviderClient<Channel> {
        self.client.clone()
    }

    pub fn schema(&self, type_name: &str) -> &ResourceSchema {
        self.schemas
            .get(type_name)
            .unwrap_or_else(|| panic!("GetSchema announced no {type_name}"))
    }

    pub fn resource_types(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.schemas.keys().map(String::as_str).collect();
        v.sort_unstable();
        v
    }

    fn encode(&self, type_name: &str, v: &Value) -> pb::DynamicValue {
        encode_with(&self.schema_type(type_name), v)
    }

    fn decode(&self, type_name: &str, dv: Option<pb::DynamicValue>) -> Value {
        let dv = dv.unwrap_or_default();
        if dv.msgpack.is_empty() {
            return Value::Null;
        }
        codec::decode_msgpack(&self.schema_type(type_name), &dv.msgpack)
            .unwrap_or_else(|e| panic!("the provider sent a {type_name} value off its schema: {e}"))
    }

    /// The schema type, or an empty object type for names the provider does not know
    /// (so requests about them can still be encoded).
    fn schema_type(&self, type_name: &str) -> Type {
        self.schemas
            .get(type_name)
            .map_or(Type::Object(Default::default()), |s| s.ty.clone())
    }

    /// A configuration object as Terraform core builds it from HCL: every attribute
    /// present (null when unset), every nested block a list. Panics on names the schema
    /// does not have, so a typo cannot silently test nothing.
    pub fn config(&self, type_name: &str, sparse: serde_json::Value) -> Value {
        full_object(&self.schema(type_name).block, &sparse, type_name)
    }

    pub async fn configure(&self, provider_config: serde_json::Value) -> Vec<Diag> {
        let cfg = codec::from_json(&self.provider_type, &provider_config).expect("provider config");
        self.configure_value(&cfg).await
    }

    /// Configure with a provider configuration value (which may hold unknowns).
    pub async fn configure_value(&self, cfg: &Value) -> Vec<Diag> {
        let resp = self
            .raw()
            .configure(pb::configure::Request {
                terraform_version: "1.11.4".into(),
                config: Some(encode_with(&self.provider_type, cfg)),
                client_capabilities: None,
            })
            .await
            .expect("Configure RPC");
        diags(&resp.into_inner().diagnostics)
    }

    pub async fn validate(&self, type_name: &str, config: &Value) -> Vec<Diag> {
        let resp = self
            .raw()
            .validate_resource_type_config(pb::validate_resource_type_config::Request {
                type_name: type_name.into(),
                config: Some(self.encode(type_name, config)),
            })
            .await
            .expect("ValidateResourceTypeConfig RPC");
        diags(&resp.into_inner().diagnostics)
    }

    /// PlanResourceChange with the proposed new state Terraform would send.
    pub async fn plan(&self, type_name: &str, prior: &Value, config: &Value) -> Plan {
        self.plan_with_private(type_name, prior, &[], config).await
    }

    /// PlanResourceChange with the prior state's private data (e.g. from an import).
    pub async fn plan_with_private(
        &self,
        type_name: &str,
        prior: &Value,
        prior_private: &[u8],
        config: &Value,
    ) -> Plan {
        let block = &self
            .schemas
            .get(type_name)
            .map_or_else(Block::new, |s| s.block.clone());
        let proposed = proposed_new(block, prior, config);
        let resp = self
            .raw()
            .plan_resource_change(pb::plan_resource_change::Request {
                type_name: type_name.into(),
                prior_state: Some(self.encode(type_name, prior)),
                proposed_new_state: Some(self.encode(type_name, &proposed)),
                config: Some(self.encode(type_name, config)),
                prior_private: prior_private.to_vec(),
                provider_meta: None,
                client_capabilities: None,
            })
            .await
            .expect("PlanResourceChange RPC")
            .into_inner();
        Plan {
            planned: self.decode(type_name, resp.planned_state),
            requires_replace: resp.requires_replace.iter().map(path_string).collect(),
            private: resp.planned_private,
            diagnostics: diags(&resp.diagnostics),
        }
    }

    /// ApplyResourceChange; returns the new state and diagnostics.
    pub async fn apply(
        &self,
        type_name: &str,
        prior: &Value,
        plan: &Plan,
        config: &Value,
    ) -> (Value, Vec<Diag>) {
        let resp = self
            .raw()
            .apply_resource_change(pb::apply_resource_change::Request {
                type_name: type_name.into(),
                prior_state: Some(self.encode(type_name, prior)),
                planned_state: Some(self.encode(type_name, &plan.planned)),
                config: Some(self.encode(type_name, config)),
                planned_private: plan.private.clone(),
                provider_meta: None,
            })
            .await
            .expect("ApplyResourceChange RPC")
            .into_inner();
        (
            self.decode(type_name, resp.new_state),
            diags(&resp.diagnostics),
        )
    }

    pub async fn read(&self, type_name: &str, state: &Value) -> (Value, Vec<Diag>) {
        let resp = self
            .raw()
            .read_resource(pb::read_resource::Request {
                type_name: type_name.into(),
                current_state: Some(self.encode(type_name, state)),
                private: vec![],
                provider_meta: None,
                client_capabilities: None,
            })
            .await
            .expect("ReadResource RPC")
            .into_inner();
        (
            self.decode(type_name, resp.new_state),
            diags(&resp.diagnostics),
        )
    }

    /// ImportResourceState; returns the imported (type, state) pairs.
    pub async fn import(&self, type_name: &str, id: &str) -> (Vec<(String, Value)>, Vec<Diag>) {
        let (imported, ds) = self.import_objects(type_name, id).await;
        let pairs = imported
            .into_iter()
            .map(|i| (i.type_name, i.state))
            .collect();
        (pairs, ds)
    }

    /// ImportResourceState, with the private data Terraform keeps for the next plan.
    pub async fn import_objects(&self, type_name: &str, id: &str) -> (Vec<Imported>, Vec<Diag>) {
        let resp = self
            .raw()
            .import_resource_state(pb::import_resource_state::Request {
                type_name: type_name.into(),
                id: id.into(),
                client_capabilities: None,
            })
            .await
            .expect("ImportResourceState RPC")
            .into_inner();
        let imported = resp
            .imported_resources
            .into_iter()
            .map(|r| Imported {
                state: self.decode(&r.type_name, r.state),
                type_name: r.type_name,
                private: r.private,
            })
            .collect();
        (imported, diags(&resp.diagnostics))
    }

    pub async fn upgrade(
        &self,
        type_name: &str,
        version: i64,
        json_state: &serde_json::Value,
    ) -> (Value, Vec<Diag>) {
        let resp = self
            .raw()
            .upgrade_resource_state(pb::upgrade_resource_state::Request {
                type_name: type_name.into(),
                version,
                raw_state: Some(pb::RawState {
                    json: serde_json::to_vec(json_state).expect("JSON"),
                    flatmap: Default::default(),
                }),
            })
            .await
            .expect("UpgradeResourceState RPC")
            .into_inner();
        (
            self.decode(type_name, resp.upgraded_state),
            diags(&resp.diagnostics),
        )
    }

    /// Plans and applies the creation of a resource, asserting both succeed.
    pub async fn create(&self, type_name: &str, config: &Value) -> Value {
        let plan = self.plan(type_name, &Value::Null, config).await;
        assert_no_errors(&format!("planning {type_name}"), &plan.diagnostics);
        let (state, ds) = self.apply(type_name, &Value::Null, &plan, config).await;
        assert_no_errors(&format!("creating {type_name}"), &ds);
        state
    }

    /// Plans and applies destruction, asserting both succeed.
    pub async fn destroy(&self, type_name: &str, state: &Value) {
        let plan = self.plan(type_name, state, &Value::Null).await;
        assert_no_errors(
            &format!("planning to destroy {type_name}"),
            &plan.diagnostics,
        );
        assert!(
            plan.planned.is_null(),
            "destroy plans null: {:?}",
            plan.planned
        );
        let (after, ds) = self.apply(type_name, state, &plan, &Value::Null).await;
        assert_no_errors(&format!("destroying {type_name}"), &ds);
        assert!(after.is_null(), "destroyed state is null: {after:?}");
    }
}

fn encode_with(ty: &Type, v: &Value) -> pb::DynamicValue {
    pb::DynamicValue {
        msgpack: codec::encode_msgpack(ty, v).expect("value fits the schema"),
        json: vec![],
    }
}

// ---------------------------------------------------------------- schema from the wire

/// The framework's schema model rebuilt from GetSchema's answer, as Terraform sees it.
pub fn block_from_proto(b: Option<&pb::schema::Block>) -> Block {
    use pb::schema::nested_block::NestingMode;
    let Some(b) = b else { return Block::new() };
    let mut block = Block::new();
    for a in &b.attributes {
        let ty_json: serde_json::Value =
            serde_json::from_slice(&a.r#type).expect("attribute type is JSON");
        let ty = Type::from_json(&ty_json).expect("attribute type");
        let mut attr = match (a.required, a.optional, a.computed) {
            (true, _, _) => Attribute::required(&a.name, ty),
            (_, true, true) => Attribute::optional_computed(&a.name, ty),
            (_, true, false) => Attribute::optional(&a.name, ty),
            (_, false, true) => Attribute::computed(&a.name, ty),
            _ => panic!(
                "attribute {} is neither required, optional nor computed",
                a.name
            ),
        };
        attr.sensitive = a.sensitive;
        block.attributes.push(attr);
    }
    for nb in &b.block_types {
        let nesting = match NestingMode::try_from(nb.nesting).expect("nesting mode") {
            NestingMode::Single => Nesting::Single,
            NestingMode::List => Nesting::List,
            NestingMode::Set => Nesting::Set,
            NestingMode::Map => Nesting::Map,
            NestingMode::Group => Nesting::Group,
            NestingMode::Invalid => panic!("block {} has no nesting mode", nb.type_name),
        };
        block.blocks.push(NestedBlock {
            name: nb.type_name.clone(),
            nesting,
            min_items: nb.min_items,
            max_items: nb.max_items,
            block: block_from_proto(nb.block.as_ref()),
        });
    }
    block
}

// ---------------------------------------------------------------- Terraform core's values

/// A full object of `block` from a sparse JSON description of the user's HCL.
fn full_object(block: &Block, sparse: &serde_json::Value, at: &str) -> Value {
    let fields = sparse
        .as_object()
        .unwrap_or_else(|| panic!("{at}: expected a JSON object, got {sparse}"));
    for k in fields.keys() {
        assert!(
            block.attribute(k).is_some() || block.nested(k).is_some(),
            "{at}: the schema has no attribute or block {k:?}"
        );
    }
    let mut v = block.empty_value();
    for a in &block.attributes {
        if let Some(j) = fields.get(&a.name) {
            let value =
                codec::from_json(&a.ty, j).unwrap_or_else(|e| panic!("{at}.{}: {e}", a.name));
            v.set(&a.name, value);
        }
    }
    for nb in &block.blocks {
        let Some(j) = fields.get(&nb.name) else {
            continue;
        };
        let items = j
            .as_array()
            .unwrap_or_else(|| panic!("{at}.{}: blocks are given as a JSON array", nb.name));
        let values = items
            .iter()
            .enumerate()
            .map(|(i, item)| full_object(&nb.block, item, &format!("{at}.{}[{i}]", nb.name)))
            .collect();
        v.set(&nb.name, Value::List(values));
    }
    v
}

/// Terraform core's proposed new state (objchange.ProposedNew): the configuration,
/// with computed attributes the configuration leaves null taking their prior value,
/// and list blocks correlated with prior blocks by index.
pub fn proposed_new(block: &Block, prior: &Value, config: &Value) -> Value {
    if config.is_null() || !matches!(config, Value::Map(_)) {
        return config.clone();
    }
    let mut out = config.clone();
    for a in &block.attributes {
        if a.mode != AttrMode::Required
            && a.is_computed()
            && config.get(&a.name).is_null()
            && !prior.is_null()
        {
            out.set(&a.name, prior.get(&a.name).clone());
        }
    }
    for nb in &block.blocks {
        let (c, p) = (config.get(&nb.name), prior.get(&nb.name));
        let proposed = match (nb.nesting, c) {
            (Nesting::List, Value::List(items)) => Value::List(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, ci)| match p.as_list().and_then(|l| l.get(i)) {
                        Some(pi) => proposed_new(&nb.block, pi, ci),
                        None => ci.clone(),
                    })
                    .collect(),
            ),
            (Nesting::Single | Nesting::Group, Value::Map(_)) => proposed_new(&nb.block, p, c),
            _ => c.clone(),
        };
        out.set(&nb.name, proposed);
    }
    out
}

/// Every value known in `planned` equals the one in `new`, and nothing in `new` is
/// unknown (Terraform's "Provider produced inconsistent result after apply" check);
/// returns the paths that differ.
pub fn plan_violations(planned: &Value, new: &Value, path: &str, out: &mut Vec<String>) {
    changed_known_values(planned, new, path, out);
    if !new.is_wholly_known() {
        out.push(format!("{path}: unknown values left after apply"));
    }
}

/// Paths where a value known in `earlier` is different in `later`; what was unknown
/// may become anything (Terraform's check of a final plan against the initial one).
pub fn changed_known_values(earlier: &Value, later: &Value, path: &str, out: &mut Vec<String>) {
    match (earlier, later) {
        (Value::Unknown(_), _) => {}
        (Value::Map(em), Value::Map(lm)) => {
            for (k, ev) in em {
                let sub = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                changed_known_values(ev, lm.get(k).unwrap_or(&Value::Null), &sub, out);
            }
        }
        (Value::List(el), Value::List(ll)) if el.len() == ll.len() => {
            for (i, (e, l)) in el.iter().zip(ll).enumerate() {
                changed_known_values(e, l, &format!("{path}[{i}]"), out);
            }
        }
        (e, l) if e != l => out.push(format!("{path}: was {e:?}, now {l:?}")),
        _ => {}
    }
}
