//! Kind -> resource mapping from the API's discovery documents (`/api/v1`,
//! `/apis/<group>/<version>`), fetched once per group-version and cached per client.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use http::{Method, StatusCode};
use serde_json::Value;

use crate::client::{api_prefix, Client};
use crate::error::ApiError;

/// What a path needs to know about a kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Resource {
    /// The URL segment, e.g. `deployments`.
    pub plural: String,
    pub namespaced: bool,
}

type KindTable = HashMap<String, Resource>;

#[derive(Default)]
pub(crate) struct Discovery {
    by_group_version: Mutex<HashMap<String, Arc<KindTable>>>,
}

impl Discovery {
    /// Looks the kind up, refreshing the group-version once if it is unknown (a CRD may have been
    /// created since the last fetch).
    pub async fn resource(
        &self,
        client: &Client,
        api_version: &str,
        kind: &str,
    ) -> Result<Resource, ApiError> {
        let cached = self
            .by_group_version
            .lock()
            .expect("discovery lock")
            .get(api_version)
            .cloned();
        if let Some(found) = cached.as_ref().and_then(|t| t.get(kind)) {
            return Ok(found.clone());
        }
        let table = Arc::new(fetch(client, api_version).await?);
        self.by_group_version
            .lock()
            .expect("discovery lock")
            .insert(api_version.to_string(), table.clone());
        table
            .get(kind)
            .cloned()
            .ok_or_else(|| ApiError::UnknownKind {
                api_version: api_version.to_string(),
                kind: kind.to_string(),
            })
    }
}

async fn fetch(client: &Client, api_version: &str) -> Result<KindTable, ApiError> {
    let list = match client
        .json(Method::GET, &api_prefix(api_version), None)
        .await
    {
        Ok(list) => list,
        // An unknown group-version lists no kinds; the caller names the kind it wanted.
        Err(e) if e.status() == Some(StatusCode::NOT_FOUND) => return Ok(KindTable::new()),
        Err(e) => return Err(e),
    };
    Ok(kind_table(&list))
}

/// Top-level resources of an APIResourceList by kind; subresources (`pods/eviction`) are skipped.
fn kind_table(list: &Value) -> KindTable {
    let mut table = KindTable::new();
    for r in list["resources"].as_array().into_iter().flatten() {
        let (Some(name), Some(kind)) = (r["name"].as_str(), r["kind"].as_str()) else {
            continue;
        };
        if name.contains('/') {
            continue;
        }
        table.entry(kind.to_string()).or_insert(Resource {
            plural: name.to_string(),
            namespaced: r["namespaced"].as_bool().unwrap_or(false),
        });
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn subresources_are_not_kinds() {
        let list = json!({"kind": "APIResourceList", "groupVersion": "v1", "resources": [
            {"name": "pods", "namespaced": true, "kind": "Pod"},
            {"name": "pods/eviction", "namespaced": true, "kind": "Eviction", "group": "policy"},
            {"name": "nodes", "namespaced": false, "kind": "Node"},
        ]});
        let table = kind_table(&list);
        assert_eq!(table.len(), 2);
        assert_eq!(
            table["Node"],
            Resource {
                plural: "nodes".into(),
                namespaced: false
            }
        );
        assert!(table["Pod"].namespaced);
    }
}
