//! The tfplugin5 gRPC service: decodes requests against schemas, runs the provider's
//! resources on blocking threads, and enforces the plan/apply rules of `plan.rs`.

use std::collections::HashMap;
use std::sync::Arc;

use tonic::{Request, Response, Status};

use crate::codec;
use crate::diag::{AttributePath, Diagnostics, PathStep, Severity};
use crate::plan;
use crate::proto::tfplugin5 as pb;
use crate::provider::{ApplyError, ApplyRequest, DataSource, PlanRequest, Provider, Resource};
use crate::schema::{AttrMode, Block, Nesting, Schema};
use crate::value::{Type, Value};

/// Private state of an object fresh from ImportResourceState until its first plan,
/// which then treats values the configuration leaves out as no longer managed rather
/// than removed (see [`plan::Forgetting`]). Resources never see it.
const IMPORTED_PRIVATE: &[u8] = b"tfplugin:imported";

/// Holds the provider and everything derived from its schemas once at start-up.
pub struct ProviderService {
    provider: Arc<dyn Provider>,
    provider_type: Type,
    resources: HashMap<String, Arc<dyn Resource>>,
    data_sources: HashMap<String, Arc<dyn DataSource>>,
    schema_response: pb::get_provider_schema::Response,
}

impl ProviderService {
    pub fn new(provider: impl Provider) -> Self {
        let provider: Arc<dyn Provider> = Arc::new(provider);
        let resources: HashMap<String, Arc<dyn Resource>> = provider
            .resources()
            .into_iter()
            .map(|r| (r.type_name().to_string(), Arc::from(r)))
            .collect();
        let data_sources: HashMap<String, Arc<dyn DataSource>> = provider
            .data_sources()
            .into_iter()
            .map(|d| (d.type_name().to_string(), Arc::from(d)))
            .collect();
        let provider_schema = provider.schema();
        let schema_response = pb::get_provider_schema::Response {
            provider: Some(schema_to_proto(&provider_schema)),
            resource_schemas: resources
                .iter()
                .map(|(k, r)| (k.clone(), schema_to_proto(r.schema())))
                .collect(),
            data_source_schemas: data_sources
                .iter()
                .map(|(k, d)| (k.clone(), schema_to_proto(d.schema())))
                .collect(),
            server_capabilities: Some(capabilities()),
            ..Default::default()
        };
        Self {
            provider_type: provider_schema.object_type(),
            provider,
            resources,
            data_sources,
            schema_response,
        }
    }

    fn resource(&self, name: &str) -> Result<Arc<dyn Resource>, Diagnostics> {
        self.resources.get(name).cloned().ok_or_else(|| {
            Diagnostics::error(
                "Unknown resource type",
                format!("this provider has no resource type {name:?}"),
            )
        })
    }

    fn data_source(&self, name: &str) -> Result<Arc<dyn DataSource>, Diagnostics> {
        self.data_sources.get(name).cloned().ok_or_else(|| {
            Diagnostics::error(
                "Unknown data source",
                format!("this provider has no data source {name:?}"),
            )
        })
    }

    /// Encoded size of the GetSchema answer (reported by benchmarks).
    pub fn schema_message_size(&self) -> usize {
        prost::Message::encoded_len(&self.schema_response)
    }
}

fn capabilities() -> pb::ServerCapabilities {
    pb::ServerCapabilities {
        plan_destroy: false,
        // Every RPC works without a prior GetProviderSchema (the schemas are built in
        // `ProviderService::new`), so Terraform may reuse the schema it cached from the first
        // provider process of a command instead of fetching and decoding it in each later one.
        get_provider_schema_optional: true,
        move_resource_state: false,
    }
}

/// Runs provider code off the async runtime; a panic becomes an error diagnostic.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Diagnostics> {
    tokio::task::spawn_blocking(f).await.map_err(|e| {
        Diagnostics::error(
            "Provider internal error",
            format!("provider code panicked: {e}"),
        )
    })
}

fn decode(ty: &Type, dv: Option<&pb::DynamicValue>) -> Result<Value, Diagnostics> {
    let Some(dv) = dv else { return Ok(Value::Null) };
    let v = if !dv.msgpack.is_empty() {
        codec::decode_msgpack(ty, &dv.msgpack)
    } else if !dv.json.is_empty() {
        codec::decode_json(ty, &dv.json)
    } else {
        Ok(Value::Null)
    };
    v.map_err(|e| Diagnostics::error("Invalid value from Terraform", e.to_string()))
}

fn encode(ty: &Type, v: &Value) -> Result<pb::DynamicValue, Diagnostics> {
    codec::encode_msgpack(ty, v)
        .map(|msgpack| pb::DynamicValue {
            msgpack,
            json: vec![],
        })
        .map_err(|e| {
            Diagnostics::error(
                "Provider produced a value that does not fit its schema",
                e.to_string(),
            )
        })
}

// ---------------------------------------------------------------- proto conversions

fn schema_to_proto(s: &Schema) -> pb::Schema {
    pb::Schema {
        version: s.version,
        block: Some(block_to_proto(&s.block, s.version)),
    }
}

fn block_to_proto(b: &Block, version: i64) -> pb::schema::Block {
    use pb::schema::nested_block::NestingMode;
    pb::schema::Block {
        version,
        attributes: b
            .attributes
            .iter()
            .map(|a| pb::schema::Attribute {
                name: a.name.clone(),
                r#type: a.ty.to_json().to_string().into_bytes(),
                description: a.description.clone(),
                required: a.mode == AttrMode::Required,
                optional: matches!(a.mode, AttrMode::Optional | AttrMode::OptionalComputed),
                computed: a.is_computed(),
                sensitive: a.sensitive,
                deprecated: a.deprecated,
                ..Default::default()
            })
            .collect(),
        block_types: b
            .blocks
            .iter()
            .map(|nb| pb::schema::NestedBlock {
                type_name: nb.name.clone(),
                block: Some(block_to_proto(&nb.block, version)),
                nesting: match nb.nesting {
                    Nesting::Single => NestingMode::Single,
                    Nesting::List => NestingMode::List,
                    Nesting::Set => NestingMode::Set,
                    Nesting::Map => NestingMode::Map,
                    Nesting::Group => NestingMode::Group,
                } as i32,
                min_items: nb.min_items,
                max_items: nb.max_items,
            })
            .collect(),
        description: b.description.clone(),
        deprecated: b.deprecated,
        ..Default::default()
    }
}

fn path_to_proto(p: &AttributePath) -> pb::AttributePath {
    use pb::attribute_path::{step::Selector, Step};
    pb::AttributePath {
        steps: p
            .0
            .iter()
            .map(|s| Step {
                selector: Some(match s {
                    PathStep::Attr(a) => Selector::AttributeName(a.clone()),
                    PathStep::Key(k) => Selector::ElementKeyString(k.clone()),
                    PathStep::Index(i) => Selector::ElementKeyInt(*i),
                }),
            })
            .collect(),
    }
}

fn diags_to_proto(d: &Diagnostics) -> Vec<pb::Diagnostic> {
    d.0.iter()
        .map(|d| pb::Diagnostic {
            severity: match d.severity {
                Severity::Error => pb::diagnostic::Severity::Error,
                Severity::Warning => pb::diagnostic::Severity::Warning,
            } as i32,
            summary: d.summary.clone(),
            detail: d.detail.clone(),
            attribute: d.path.as_ref().map(path_to_proto),
        })
        .collect()
}

/// Unwraps a Result whose error is a Diagnostics, or returns the response built
/// from those diagnostics.
macro_rules! or_diags {
    ($e:expr, $resp:expr) => {
        match $e {
            Ok(v) => v,
            Err(d) => return Ok(Response::new($resp(&d))),
        }
    };
}

#[tonic::async_trait]
impl pb::provider_server::Provider for ProviderService {
    async fn get_metadata(
        &self,
        _: Request<pb::get_metadata::Request>,
    ) -> Result<Response<pb::get_metadata::Response>, Status> {
        use pb::get_metadata::{DataSourceMetadata, ResourceMetadata};
        Ok(Response::new(pb::get_metadata::Response {
            server_capabilities: Some(capabilities()),
            resources: self
                .resources
                .keys()
                .map(|k| ResourceMetadata {
                    type_name: k.clone(),
                })
                .collect(),
            data_sources: self
                .data_sources
                .keys()
                .map(|k| DataSourceMetadata {
                    type_name: k.clone(),
                })
                .collect(),
            ..Default::default()
        }))
    }

    async fn get_schema(
        &self,
        _: Request<pb::get_provider_schema::Request>,
    ) -> Result<Response<pb::get_provider_schema::Response>, Status> {
        Ok(Response::new(self.schema_response.clone()))
    }

    async fn prepare_provider_config(
        &self,
        req: Request<pb::prepare_provider_config::Request>,
    ) -> Result<Response<pb::prepare_provider_config::Response>, Status> {
        let resp = |d: &Diagnostics| pb::prepare_provider_config::Response {
            prepared_config: None,
            diagnostics: diags_to_proto(d),
        };
        let req = req.into_inner();
        let config = or_diags!(decode(&self.provider_type, req.config.as_ref()), resp);
        let diags = self.provider.validate(&config);
        Ok(Response::new(pb::prepare_provider_config::Response {
            prepared_config: req.config,
            diagnostics: diags_to_proto(&diags),
        }))
    }

    async fn validate_resource_type_config(
        &self,
        req: Request<pb::validate_resource_type_config::Request>,
    ) -> Result<Response<pb::validate_resource_type_config::Response>, Status> {
        let resp = |d: &Diagnostics| pb::validate_resource_type_config::Response {
            diagnostics: diags_to_proto(d),
        };
        let req = req.into_inner();
        let r = or_diags!(self.resource(&req.type_name), resp);
        let config = or_diags!(decode(&r.schema().object_type(), req.config.as_ref()), resp);
        Ok(Response::new(resp(&r.validate(&config))))
    }

    async fn validate_data_source_config(
        &self,
        req: Request<pb::validate_data_source_config::Request>,
    ) -> Result<Response<pb::validate_data_source_config::Response>, Status> {
        let resp = |d: &Diagnostics| pb::validate_data_source_config::Response {
            diagnostics: diags_to_proto(d),
        };
        let req = req.into_inner();
        let ds = or_diags!(self.data_source(&req.type_name), resp);
        let config = or_diags!(
            decode(&ds.schema().object_type(), req.config.as_ref()),
            resp
        );
        Ok(Response::new(resp(&ds.validate(&config))))
    }

    async fn upgrade_resource_state(
        &self,
        req: Request<pb::upgrade_resource_state::Request>,
    ) -> Result<Response<pb::upgrade_resource_state::Response>, Status> {
        let resp = |d: &Diagnostics| pb::upgrade_resource_state::Response {
            upgraded_state: None,
            diagnostics: diags_to_proto(d),
        };
        let req = req.into_inner();
        let r = or_diags!(self.resource(&req.type_name), resp);
        let raw = req.raw_state.unwrap_or_default();
        if raw.json.is_empty() && !raw.flatmap.is_empty() {
            return Ok(Response::new(resp(&Diagnostics::error(
                "Unsupported state format",
                "legacy flatmap state (Terraform < 0.12) cannot be upgraded by this provider",
            ))));
        }
        let json: serde_json::Value = or_diags!(
            serde_json::from_slice(&raw.json)
                .map_err(|e| Diagnostics::error("Stored state is not valid JSON", e.to_string())),
            resp
        );
        let json = if req.version == r.schema().version {
            json
        } else {
            let r2 = r.clone();
            let version = req.version;
            or_diags!(
                blocking(move || r2.upgrade_state(version, json))
                    .await
                    .and_then(|x| x),
                resp
            )
        };
        let ty = r.schema().object_type();
        let value = or_diags!(
            codec::from_json(&ty, &json).map_err(|e| Diagnostics::error(
                "Stored state does not fit the schema",
                e.to_string()
            )),
            resp
        );
        let value = r.schema().block.with_empty_blocks(value);
        let upgraded = or_diags!(encode(&ty, &value), resp);
        Ok(Response::new(pb::upgrade_resource_state::Response {
            upgraded_state: Some(upgraded),
            diagnostics: vec![],
        }))
    }

    async fn configure(
        &self,
        req: Request<pb::configure::Request>,
    ) -> Result<Response<pb::configure::Response>, Status> {
        let resp = |d: &Diagnostics| pb::configure::Response {
            diagnostics: diags_to_proto(d),
        };
        let req = req.into_inner();
        tracing::info!(terraform_version = %req.terraform_version, "configure");
        let config = or_diags!(decode(&self.provider_type, req.config.as_ref()), resp);
        let p = self.provider.clone();
        let diags = or_diags!(blocking(move || p.configure(&config)).await, resp);
        Ok(Response::new(resp(&diags)))
    }

    async fn read_resource(
        &self,
        req: Request<pb::read_resource::Request>,
    ) -> Result<Response<pb::read_resource::Response>, Status> {
        let req = req.into_inner();
        let private = req.private.clone();
        let resp = |d: &Diagnostics| pb::read_resource::Response {
            new_state: req.current_state.clone(),
            diagnostics: diags_to_proto(d),
            private: private.clone(),
            deferred: None,
        };
        let r = or_diags!(self.resource(&req.type_name), resp);
        let ty = r.schema().object_type();
        let current = or_diags!(decode(&ty, req.current_state.as_ref()), resp);
        let r2 = r.clone();
        let found = or_diags!(
            blocking(move || r2.read(&current)).await.and_then(|x| x),
            resp
        );
        let new_state = or_diags!(encode(&ty, &found.unwrap_or(Value::Null)), resp);
        Ok(Response::new(pb::read_resource::Response {
            new_state: Some(new_state),
            diagnostics: vec![],
            private: req.private,
            deferred: None,
        }))
    }

    async fn plan_resource_change(
        &self,
        req: Request<pb::plan_resource_change::Request>,
    ) -> Result<Response<pb::plan_resource_change::Response>, Status> {
        let resp = |d: &Diagnostics| pb::plan_resource_change::Response {
            diagnostics: diags_to_proto(d),
            ..Default::default()
        };
        let req = req.into_inner();
        let r = or_diags!(self.resource(&req.type_name), resp);
        let ty = r.schema().object_type();
        let prior = or_diags!(decode(&ty, req.prior_state.as_ref()), resp);
        let proposed = or_diags!(decode(&ty, req.proposed_new_state.as_ref()), resp);
        let config = or_diags!(decode(&ty, req.config.as_ref()), resp);
        if proposed.is_null() {
            // Destroy: nothing to plan.
            return Ok(Response::new(pb::plan_resource_change::Response {
                planned_state: req.proposed_new_state,
                planned_private: req.prior_private,
                ..Default::default()
            }));
        }
        let r2 = r.clone();
        let (forgetting, private) = if req.prior_private == IMPORTED_PRIVATE {
            (plan::Forgetting::StopsManaging, vec![])
        } else {
            (plan::Forgetting::Replaces, req.prior_private)
        };
        let outcome = or_diags!(
            blocking(move || {
                let block = &r2.schema().block;
                let planned = plan::default_plan(block, &prior, &proposed, &config);
                let mut preq = PlanRequest {
                    prior: &prior,
                    config: &config,
                    planned,
                    private,
                    requires_replace: vec![],
                };
                let mut diags = r2.plan(&mut preq);
                if diags.has_errors() {
                    return Err(diags);
                }
                diags.extend(plan::check_plan(
                    block,
                    &config,
                    &preq.planned,
                    &AttributePath::root(),
                ));
                if diags.has_errors() {
                    return Err(diags);
                }
                let mut replace = plan::requires_replace(
                    block,
                    &prior,
                    &preq.planned,
                    &AttributePath::root(),
                    forgetting,
                );
                replace.extend(preq.requires_replace);
                Ok((preq.planned, preq.private, replace, diags))
            })
            .await
            .and_then(|x| x),
            resp
        );
        let (planned, private, replace, diags) = outcome;
        let planned_state = or_diags!(encode(&ty, &planned), resp);
        Ok(Response::new(pb::plan_resource_change::Response {
            planned_state: Some(planned_state),
            requires_replace: replace.iter().map(path_to_proto).collect(),
            planned_private: private,
            diagnostics: diags_to_proto(&diags),
            legacy_type_system: false,
            deferred: None,
        }))
    }

    async fn apply_resource_change(
        &self,
        req: Request<pb::apply_resource_change::Request>,
    ) -> Result<Response<pb::apply_resource_change::Response>, Status> {
        let req = req.into_inner();
        // On failures we cannot attribute, the prior state stands: nothing is forgotten.
        let prior_dv = req.prior_state.clone();
        let resp = |d: &Diagnostics| pb::apply_resource_change::Response {
            new_state: prior_dv.clone(),
            diagnostics: diags_to_proto(d),
            ..Default::default()
        };
        let r = or_diags!(self.resource(&req.type_name), resp);
        let ty = r.schema().object_type();
        let prior = or_diags!(decode(&ty, req.prior_state.as_ref()), resp);
        let planned = or_diags!(decode(&ty, req.planned_state.as_ref()), resp);
        let config = or_diags!(decode(&ty, req.config.as_ref()), resp);
        let r2 = r.clone();
        let private = req.planned_private.clone();
        let ty2 = ty.clone();
        let result = or_diags!(
            blocking(move || -> Result<Value, ApplyError> {
                if planned.is_null() {
                    r2.delete(&prior)?;
                    return Ok(Value::Null);
                }
                let areq = ApplyRequest {
                    prior: &prior,
                    planned: &planned,
                    config: &config,
                    private: &private,
                };
                let new = if prior.is_null() {
                    r2.create(&areq)?
                } else {
                    r2.update(&areq)?
                };
                let (new, corrections) = plan::conform_to_plan(&ty2, &planned, new);
                for c in corrections {
                    tracing::warn!(
                        resource = r2.type_name(),
                        "apply result differed from plan: {c}"
                    );
                }
                Ok(new)
            })
            .await,
            resp
        );
        match result {
            Ok(new) => {
                let new_state = or_diags!(encode(&ty, &new), resp);
                Ok(Response::new(pb::apply_resource_change::Response {
                    new_state: Some(new_state),
                    private: req.planned_private,
                    ..Default::default()
                }))
            }
            Err(ApplyError {
                diagnostics,
                partial_state: Some(partial),
            }) => {
                let new_state = or_diags!(encode(&ty, &partial.unknowns_to_null()), resp);
                Ok(Response::new(pb::apply_resource_change::Response {
                    new_state: Some(new_state),
                    private: req.planned_private,
                    diagnostics: diags_to_proto(&diagnostics),
                    ..Default::default()
                }))
            }
            Err(ApplyError {
                diagnostics,
                partial_state: None,
            }) => Ok(Response::new(resp(&diagnostics))),
        }
    }

    async fn import_resource_state(
        &self,
        req: Request<pb::import_resource_state::Request>,
    ) -> Result<Response<pb::import_resource_state::Response>, Status> {
        let resp = |d: &Diagnostics| pb::import_resource_state::Response {
            diagnostics: diags_to_proto(d),
            ..Default::default()
        };
        let req = req.into_inner();
        let r = or_diags!(self.resource(&req.type_name), resp);
        let r2 = r.clone();
        let id = req.id.clone();
        let state = or_diags!(blocking(move || r2.import(&id)).await.and_then(|x| x), resp);
        let state = or_diags!(encode(&r.schema().object_type(), &state), resp);
        Ok(Response::new(pb::import_resource_state::Response {
            imported_resources: vec![pb::import_resource_state::ImportedResource {
                type_name: req.type_name,
                state: Some(state),
                private: IMPORTED_PRIVATE.to_vec(),
            }],
            ..Default::default()
        }))
    }

    async fn move_resource_state(
        &self,
        _: Request<pb::move_resource_state::Request>,
    ) -> Result<Response<pb::move_resource_state::Response>, Status> {
        Err(Status::unimplemented("this provider does not support moving state between resource types (moved blocks across types)"))
    }

    async fn read_data_source(
        &self,
        req: Request<pb::read_data_source::Request>,
    ) -> Result<Response<pb::read_data_source::Response>, Status> {
        let resp = |d: &Diagnostics| pb::read_data_source::Response {
            diagnostics: diags_to_proto(d),
            ..Default::default()
        };
        let req = req.into_inner();
        let ds = or_diags!(self.data_source(&req.type_name), resp);
        let ty = ds.schema().object_type();
        let config = or_diags!(decode(&ty, req.config.as_ref()), resp);
        let ds2 = ds.clone();
        let state = or_diags!(
            blocking(move || ds2.read(&config)).await.and_then(|x| x),
            resp
        );
        let state = or_diags!(encode(&ty, &state), resp);
        Ok(Response::new(pb::read_data_source::Response {
            state: Some(state),
            ..Default::default()
        }))
    }

    async fn validate_ephemeral_resource_config(
        &self,
        req: Request<pb::validate_ephemeral_resource_config::Request>,
    ) -> Result<Response<pb::validate_ephemeral_resource_config::Response>, Status> {
        let d = Diagnostics::error(
            "Unknown ephemeral resource",
            format!(
                "this provider has no ephemeral resource {:?}",
                req.into_inner().type_name
            ),
        );
        Ok(Response::new(
            pb::validate_ephemeral_resource_config::Response {
                diagnostics: diags_to_proto(&d),
            },
        ))
    }

    async fn open_ephemeral_resource(
        &self,
        _: Request<pb::open_ephemeral_resource::Request>,
    ) -> Result<Response<pb::open_ephemeral_resource::Response>, Status> {
        Err(Status::unimplemented(
            "this provider has no ephemeral resources",
        ))
    }

    async fn renew_ephemeral_resource(
        &self,
        _: Request<pb::renew_ephemeral_resource::Request>,
    ) -> Result<Response<pb::renew_ephemeral_resource::Response>, Status> {
        Err(Status::unimplemented(
            "this provider has no ephemeral resources",
        ))
    }

    async fn close_ephemeral_resource(
        &self,
        _: Request<pb::close_ephemeral_resource::Request>,
    ) -> Result<Response<pb::close_ephemeral_resource::Response>, Status> {
        Err(Status::unimplemented(
            "this provider has no ephemeral resources",
        ))
    }

    async fn get_functions(
        &self,
        _: Request<pb::get_functions::Request>,
    ) -> Result<Response<pb::get_functions::Response>, Status> {
        Ok(Response::new(pb::get_functions::Response::default()))
    }

    async fn call_function(
        &self,
        req: Request<pb::call_function::Request>,
    ) -> Result<Response<pb::call_function::Response>, Status> {
        Ok(Response::new(pb::call_function::Response {
            result: None,
            error: Some(pb::FunctionError {
                text: format!("this provider has no function {:?}", req.into_inner().name),
                function_argument: None,
            }),
        }))
    }

    async fn stop(
        &self,
        _: Request<pb::stop::Request>,
    ) -> Result<Response<pb::stop::Response>, Status> {
        tracing::info!("stop requested by terraform");
        self.provider.stop();
        Ok(Response::new(pb::stop::Response {
            error: String::new(),
        }))
    }
}
