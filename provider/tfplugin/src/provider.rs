//! The traits a provider author implements. Calls are synchronous: the framework runs
//! them on a blocking thread, so implementations may call blocking client libraries.

use crate::diag::{AttributePath, Diagnostics};
use crate::schema::Schema;
use crate::value::Value;

/// What a resource sees while planning. `planned` starts as the framework's default
/// plan (configuration, prior values for computed attributes, unknown on create);
/// the resource may fill in computed values it can predict or mark more unknown.
pub struct PlanRequest<'a> {
    /// Null when the object is being created.
    pub prior: &'a Value,
    pub config: &'a Value,
    pub planned: Value,
    pub private: Vec<u8>,
    /// Extra paths forcing replacement, beyond the schema's force-new attributes.
    pub requires_replace: Vec<AttributePath>,
}

impl PlanRequest<'_> {
    pub fn is_create(&self) -> bool {
        self.prior.is_null()
    }
}

pub struct ApplyRequest<'a> {
    /// Null on create.
    pub prior: &'a Value,
    pub planned: &'a Value,
    pub config: &'a Value,
    pub private: &'a [u8],
}

/// A failed create or update. `partial_state` records what exists despite the
/// failure, so Terraform keeps track of it (as tainted) instead of orphaning it.
#[derive(Debug)]
pub struct ApplyError {
    pub diagnostics: Diagnostics,
    pub partial_state: Option<Value>,
}

impl ApplyError {
    pub fn with_partial_state(diagnostics: impl Into<Diagnostics>, state: Value) -> Self {
        Self {
            diagnostics: diagnostics.into(),
            partial_state: Some(state),
        }
    }
}

impl<T: Into<Diagnostics>> From<T> for ApplyError {
    fn from(d: T) -> Self {
        Self {
            diagnostics: d.into(),
            partial_state: None,
        }
    }
}

pub trait Resource: Send + Sync {
    fn type_name(&self) -> &str;
    fn schema(&self) -> &Schema;
    /// Static checks of a configuration (values may be unknown).
    fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }
    /// Refines the default plan; see [`PlanRequest`].
    fn plan(&self, _req: &mut PlanRequest) -> Diagnostics {
        Diagnostics::new()
    }
    fn create(&self, req: &ApplyRequest) -> Result<Value, ApplyError>;
    /// The object as it exists now, or None when it is gone.
    fn read(&self, state: &Value) -> Result<Option<Value>, Diagnostics>;
    fn update(&self, req: &ApplyRequest) -> Result<Value, ApplyError>;
    fn delete(&self, state: &Value) -> Result<(), Diagnostics>;
    /// The state of an existing object named by the user's import ID.
    fn import(&self, id: &str) -> Result<Value, Diagnostics>;
    /// Converts stored state of an older schema version to the current one (JSON in,
    /// JSON out). Only called when the stored version differs from the schema's.
    fn upgrade_state(
        &self,
        from_version: i64,
        _state: serde_json::Value,
    ) -> Result<serde_json::Value, Diagnostics> {
        Err(Diagnostics::error(
            "Unsupported state version",
            format!(
                "{} has no upgrade from schema version {from_version} to {}",
                self.type_name(),
                self.schema().version
            ),
        ))
    }
}

pub trait DataSource: Send + Sync {
    fn type_name(&self) -> &str;
    fn schema(&self) -> &Schema;
    fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }
    fn read(&self, config: &Value) -> Result<Value, Diagnostics>;
}

pub trait Provider: Send + Sync + 'static {
    fn schema(&self) -> Schema;
    fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }
    /// Called once per process before any resource call.
    fn configure(&self, config: &Value) -> Diagnostics;
    fn resources(&self) -> Vec<Box<dyn Resource>>;
    fn data_sources(&self) -> Vec<Box<dyn DataSource>>;
    /// Terraform asks running operations to stop (e.g. on Ctrl-C).
    fn stop(&self) {}
}
