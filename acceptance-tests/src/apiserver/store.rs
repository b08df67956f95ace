//! The in-memory object store: server-side apply with field ownership per manager, JSON merge
//! patches, deletes, lists with selectors, system metadata, defaulting and workload status.

use std::collections::hash_map::RandomState;
use std::collections::{BTreeMap, BTreeSet};
use std::hash::{BuildHasher, Hasher};

use serde_json::{json, Map, Value};

use super::fields::{self, FieldPath};
use super::resources::{by_kind, ResourceType};
use super::status::{success, StatusError};
use super::{defaults, validation, workloads};

/// Where an object lives.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key {
    pub group: &'static str,
    pub plural: &'static str,
    pub namespace: Option<String>,
    pub name: String,
}

impl Key {
    pub fn new(rt: &ResourceType, namespace: Option<&str>, name: &str) -> Key {
        Key {
            group: rt.group,
            plural: rt.plural,
            namespace: namespace.map(str::to_string),
            name: name.to_string(),
        }
    }

    fn resource(&self) -> &'static ResourceType {
        super::resources::RESOURCES
            .iter()
            .find(|r| r.group == self.group && r.plural == self.plural)
            .expect("keys are built from served resources")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operation {
    Apply,
    Update,
}

#[derive(Debug, Clone)]
struct Manager {
    name: String,
    operation: Operation,
    api_version: String,
    time: String,
    fields: BTreeSet<FieldPath>,
}

impl Manager {
    /// How conflict messages name a manager (apimachinery's `printManager`).
    fn describe(&self) -> String {
        match self.operation {
            Operation::Apply => format!("{:?}", self.name),
            Operation::Update => format!(
                "{:?} using {} at {}",
                self.name, self.api_version, self.time
            ),
        }
    }
}

#[derive(Debug, Clone)]
struct Entry {
    object: Value,
    managers: Vec<Manager>,
}

/// Whether a write created the object.
pub enum Written {
    Created(Value),
    Updated(Value),
}

/// Namespaces every k3s cluster starts with.
const INITIAL_NAMESPACES: [&str; 4] = ["default", "kube-system", "kube-public", "kube-node-lease"];
/// The manager recorded for objects the "cluster" itself writes (nodes, namespaces).
const SYSTEM_MANAGER: &str = "k3s";
/// The manager recorded for [`Store::mutate`], like `kubectl edit` would be.
pub const OUT_OF_BAND_MANAGER: &str = "out-of-band";

#[derive(Clone)]
pub struct Store {
    objects: BTreeMap<Key, Entry>,
    resource_version: u64,
    random: RandomState,
    pub rollout_complete: bool,
}

impl Store {
    pub fn new() -> Store {
        let mut store = Store {
            objects: BTreeMap::new(),
            resource_version: 1000,
            random: RandomState::new(),
            rollout_complete: true,
        };
        for ns in INITIAL_NAMESPACES {
            store.put_system(
                json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns},
                "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}),
            );
        }
        store
    }

    pub fn get(&self, key: &Key) -> Option<Value> {
        self.objects.get(key).map(|e| e.object.clone())
    }

    /// Objects of one resource type, optionally in one namespace, sorted by namespace and name.
    pub fn list(&self, rt: &ResourceType, namespace: Option<&str>) -> Vec<Value> {
        self.objects
            .iter()
            .filter(|(k, _)| k.group == rt.group && k.plural == rt.plural)
            .filter(|(k, _)| namespace.is_none() || k.namespace.as_deref() == namespace)
            .map(|(_, e)| e.object.clone())
            .collect()
    }

    pub fn resource_version(&self) -> u64 {
        self.resource_version
    }

    /// Server-side apply (`PATCH` with `application/apply-patch+yaml`).
    pub fn apply(
        &mut self,
        key: &Key,
        body: Value,
        manager: &str,
        force: bool,
        now: &str,
    ) -> Result<Written, StatusError> {
        let rt = key.resource();
        check_identity(rt, key, &body)?;
        validation::validate(rt, &key.name, &body)?;
        self.check_namespace(key)?;
        let mut applied = body;
        if let Some(map) = applied.as_object_mut() {
            map.remove("status");
        }
        let applied_fields = fields::leaves(&applied);
        let api_version = applied["apiVersion"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let ours = Manager {
            name: manager.to_string(),
            operation: Operation::Apply,
            api_version,
            time: now.to_string(),
            fields: applied_fields.clone(),
        };
        let Some(entry) = self.objects.get(key).cloned() else {
            // Copying through merge drops explicit nulls, which only mean "unset".
            let mut object = Value::Object(Map::new());
            fields::merge(&mut object, &applied, false);
            if let Some(ns) = &key.namespace {
                object["metadata"]["namespace"] = json!(ns);
            }
            let created = self.insert_new(key, object, vec![ours], now);
            return Ok(Written::Created(created));
        };
        let mut entry = entry;
        let mut conflicts: Vec<(String, String)> = Vec::new();
        for other in entry
            .managers
            .iter_mut()
            .filter(|m| !(m.name == manager && m.operation == Operation::Apply))
        {
            let mut lost = Vec::new();
            for owned in &other.fields {
                let contested = applied_fields.iter().any(|p| {
                    fields::overlaps(p, owned)
                        && !fields::covers(fields::get(&entry.object, p), fields::get(&applied, p))
                });
                if contested {
                    conflicts.push((other.describe(), fields::display(owned)));
                    lost.push(owned.clone());
                }
            }
            if force {
                for path in lost {
                    other.fields.remove(&path);
                }
            }
        }
        if !conflicts.is_empty() && !force {
            return Err(StatusError::apply_conflict(&conflicts));
        }
        // Fields we applied last time and dropped now are removed, unless someone else owns them.
        let previous = entry
            .managers
            .iter()
            .find(|m| m.name == manager && m.operation == Operation::Apply)
            .map(|m| m.fields.clone())
            .unwrap_or_default();
        for dropped in previous.difference(&applied_fields) {
            let shared = entry
                .managers
                .iter()
                .filter(|m| !(m.name == manager && m.operation == Operation::Apply))
                .any(|m| m.fields.iter().any(|f| fields::overlaps(f, dropped)));
            if !shared {
                fields::remove(&mut entry.object, dropped);
            }
        }
        fields::merge(&mut entry.object, &applied, false);
        entry
            .managers
            .retain(|m| !(m.name == manager && m.operation == Operation::Apply));
        entry.managers.push(ours);
        Ok(Written::Updated(self.replace(key, entry)))
    }

    /// A JSON merge patch (RFC 7386) recorded as an Update by `manager`.
    pub fn merge_patch(
        &mut self,
        key: &Key,
        patch: &Value,
        manager: &str,
        now: &str,
    ) -> Result<Value, StatusError> {
        let rt = key.resource();
        let Some(entry) = self.objects.get(key) else {
            return Err(StatusError::not_found(rt, &key.name));
        };
        let mut object = entry.object.clone();
        fields::merge(&mut object, patch, true);
        check_identity(rt, key, &object)?;
        validation::validate(rt, &key.name, &object)?;
        Ok(self.update(key, object, manager, now))
    }

    /// Replaces the object as `manager` would with an Update, taking ownership of what changed.
    pub fn update(&mut self, key: &Key, object: Value, manager: &str, now: &str) -> Value {
        let mut entry = self
            .objects
            .get(key)
            .cloned()
            .expect("updated objects exist");
        let before = fields::leaves(&entry.object);
        let after = fields::leaves(&object);
        let changed: BTreeSet<FieldPath> = after
            .iter()
            .filter(|p| fields::get(&entry.object, p) != fields::get(&object, p))
            .chain(before.difference(&after))
            .cloned()
            .collect();
        for m in &mut entry.managers {
            m.fields
                .retain(|owned| !changed.iter().any(|c| fields::overlaps(c, owned)));
        }
        let api_version = object["apiVersion"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let gained: BTreeSet<FieldPath> = changed.intersection(&after).cloned().collect();
        match entry
            .managers
            .iter_mut()
            .find(|m| m.name == manager && m.operation == Operation::Update)
        {
            Some(m) => {
                m.fields.extend(gained);
                m.time = now.to_string();
            }
            None if !gained.is_empty() => entry.managers.push(Manager {
                name: manager.to_string(),
                operation: Operation::Update,
                api_version,
                time: now.to_string(),
                fields: gained,
            }),
            None => {}
        }
        entry.object = object;
        self.replace(key, entry)
    }

    /// Removes the object (and, for a Namespace, everything in it).
    pub fn delete(&mut self, key: &Key) -> Result<Value, StatusError> {
        let rt = key.resource();
        let Some(entry) = self.objects.remove(key) else {
            return Err(StatusError::not_found(rt, &key.name));
        };
        if rt.kind == "Namespace" {
            self.objects
                .retain(|k, _| k.namespace.as_deref() != Some(key.name.as_str()));
        }
        self.resource_version += 1;
        self.reconcile_workloads();
        let uid = entry.object["metadata"]["uid"].clone();
        Ok(success(
            json!({"name": key.name, "group": rt.group, "kind": rt.plural, "uid": uid}),
            200,
        ))
    }

    /// The Eviction API: refused (429) while a disruption budget allows no disruption, else the
    /// pod starts terminating (deletionTimestamp set); returns its uid for the final removal.
    pub fn evict(&mut self, key: &Key, now: &str) -> Result<String, StatusError> {
        let rt = key.resource();
        let Some(pod) = self.get(key) else {
            return Err(StatusError::not_found(rt, &key.name));
        };
        if let Some(refusal) = self.disruption_refusal(&pod) {
            return Err(refusal);
        }
        let mut terminating = pod.clone();
        terminating["metadata"]["deletionTimestamp"] = json!(now);
        terminating["metadata"]["deletionGracePeriodSeconds"] = json!(30);
        self.update(key, terminating, SYSTEM_MANAGER, now);
        Ok(pod["metadata"]["uid"]
            .as_str()
            .unwrap_or_default()
            .to_string())
    }

    /// Ends a pod's termination, unless it was replaced by a new pod of the same name.
    pub fn remove_terminated(&mut self, key: &Key, uid: &str) {
        let same = self
            .objects
            .get(key)
            .is_some_and(|e| e.object["metadata"]["uid"] == uid);
        if same {
            let _ = self.delete(key);
        }
    }

    /// A budget selecting the pod (by `matchLabels`) that allows no disruption now.
    fn disruption_refusal(&self, pod: &Value) -> Option<StatusError> {
        let namespace = pod["metadata"]["namespace"].as_str();
        let labels = &pod["metadata"]["labels"];
        let selects = |selector: &Value, labels: &Value| {
            selector["matchLabels"]
                .as_object()
                .is_some_and(|m| m.iter().all(|(k, v)| &labels[k] == v))
        };
        let pdb_type = by_kind("policy/v1", "PodDisruptionBudget").expect("served");
        let pod_type = by_kind("v1", "Pod").expect("served");
        for pdb in self.list(pdb_type, namespace) {
            let selector = &pdb["spec"]["selector"];
            if !selects(selector, labels) {
                continue;
            }
            let healthy = self
                .list(pod_type, namespace)
                .iter()
                .filter(|p| selects(selector, &p["metadata"]["labels"]))
                .filter(|p| p["metadata"]["deletionTimestamp"].is_null())
                .count();
            // Percentages are not modelled; integer budgets are.
            let needed = match (
                pdb["spec"]["minAvailable"].as_u64(),
                pdb["spec"]["maxUnavailable"].as_u64(),
            ) {
                (Some(min), _) => min as usize,
                (None, Some(max)) => healthy.saturating_sub(max as usize),
                (None, None) => continue,
            };
            if healthy <= needed {
                let name = pdb["metadata"]["name"].as_str().unwrap_or_default();
                return Some(StatusError::disruption_budget(name, healthy, needed));
            }
        }
        None
    }

    /// Creates or replaces an object the cluster itself owns (nodes, namespaces), outside apply.
    pub fn put_system(&mut self, object: Value) {
        let rt = by_kind(
            object["apiVersion"].as_str().unwrap_or_default(),
            object["kind"].as_str().unwrap_or_default(),
        )
        .expect("system objects are of served kinds");
        let name = object["metadata"]["name"].as_str().unwrap_or_default();
        let key = Key::new(rt, object["metadata"]["namespace"].as_str(), name);
        let now = now_rfc3339();
        if self.objects.contains_key(&key) {
            self.update(&key, object, SYSTEM_MANAGER, &now);
        } else {
            let manager = Manager {
                name: SYSTEM_MANAGER.into(),
                operation: Operation::Update,
                api_version: rt.api_version(),
                time: now.clone(),
                fields: fields::leaves(&object),
            };
            self.insert_new(&key, object, vec![manager], &now);
        }
    }

    /// Recomputes every workload's status (after writes, node changes or a rollout switch).
    pub fn reconcile_workloads(&mut self) {
        let nodes = self
            .objects
            .keys()
            .filter(|k| k.group.is_empty() && k.plural == "nodes")
            .count();
        let mut bumps = 0;
        for entry in self.objects.values_mut() {
            let kind = entry.object["kind"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            if let Some(status) =
                workloads::status(&kind, &entry.object, nodes, self.rollout_complete)
            {
                if entry.object["status"] != status {
                    entry.object["status"] = status;
                    bumps += 1;
                    entry.object["metadata"]["resourceVersion"] =
                        json!((self.resource_version + bumps).to_string());
                }
            }
        }
        self.resource_version += bumps;
    }

    /// A fresh uid in the RFC 4122 text form.
    fn uid(&self) -> String {
        let mut a = self.random.build_hasher();
        a.write_u64(self.resource_version);
        let hi = a.finish();
        a.write_u64(hi);
        let lo = a.finish();
        format!(
            "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
            hi >> 32,
            (hi >> 16) & 0xffff,
            hi & 0xfff,
            lo >> 52,
            lo & 0xffff_ffff_ffff
        )
    }

    fn check_namespace(&self, key: &Key) -> Result<(), StatusError> {
        let Some(ns) = &key.namespace else {
            return Ok(());
        };
        let ns_type = by_kind("v1", "Namespace").expect("namespaces are served");
        if self.objects.contains_key(&Key::new(ns_type, None, ns)) {
            Ok(())
        } else {
            Err(StatusError::not_found(ns_type, ns))
        }
    }

    fn insert_new(
        &mut self,
        key: &Key,
        mut object: Value,
        managers: Vec<Manager>,
        now: &str,
    ) -> Value {
        self.resource_version += 1;
        object["metadata"]["uid"] = json!(self.uid());
        object["metadata"]["creationTimestamp"] = json!(now);
        object["metadata"]["generation"] = json!(1);
        let kind = object["kind"].as_str().unwrap_or_default().to_string();
        defaults::apply(&kind, &mut object, self.resource_version);
        self.store(key, Entry { object, managers })
    }

    /// Stores an updated entry: defaults are reapplied, generation follows spec changes, and a
    /// write that changes nothing (a repeated apply) is not a write: resourceVersion stays.
    fn replace(&mut self, key: &Key, mut entry: Entry) -> Value {
        let old = self.objects[key].clone();
        let kind = entry.object["kind"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        defaults::apply(&kind, &mut entry.object, self.resource_version + 1);
        for field in [
            "uid",
            "creationTimestamp",
            "generation",
            "resourceVersion",
            "managedFields",
        ] {
            entry.object["metadata"][field] = old.object["metadata"][field].clone();
        }
        if entry.object == old.object && ownership(&entry.managers) == ownership(&old.managers) {
            return old.object;
        }
        self.resource_version += 1;
        if spec_of(&old.object) != spec_of(&entry.object) {
            let generation = old.object["metadata"]["generation"].as_i64().unwrap_or(1);
            entry.object["metadata"]["generation"] = json!(generation + 1);
        }
        self.store(key, entry)
    }

    fn store(&mut self, key: &Key, mut entry: Entry) -> Value {
        entry.managers.retain(|m| !m.fields.is_empty());
        let managed: Vec<Value> = entry
            .managers
            .iter()
            .map(|m| {
                json!({
                    "manager": m.name,
                    "operation": match m.operation { Operation::Apply => "Apply", Operation::Update => "Update" },
                    "apiVersion": m.api_version,
                    "time": m.time,
                    "fieldsType": "FieldsV1",
                    "fieldsV1": fields::fields_v1(&m.fields),
                })
            })
            .collect();
        entry.object["metadata"]["managedFields"] = json!(managed);
        entry.object["metadata"]["resourceVersion"] = json!(self.resource_version.to_string());
        self.objects.insert(key.clone(), entry);
        self.reconcile_workloads();
        self.objects[key].object.clone()
    }
}

/// Who owns what, ignoring order and timestamps.
fn ownership(managers: &[Manager]) -> BTreeSet<(String, bool, BTreeSet<FieldPath>)> {
    managers
        .iter()
        .filter(|m| !m.fields.is_empty())
        .map(|m| {
            (
                m.name.clone(),
                m.operation == Operation::Apply,
                m.fields.clone(),
            )
        })
        .collect()
}

/// Everything but metadata and status: what `metadata.generation` counts changes of.
fn spec_of(obj: &Value) -> Value {
    let mut copy = obj.clone();
    if let Some(map) = copy.as_object_mut() {
        map.remove("metadata");
        map.remove("status");
    }
    copy
}

/// The body must name the same object as the URL, as kube-apiserver checks.
fn check_identity(rt: &ResourceType, key: &Key, body: &Value) -> Result<(), StatusError> {
    if !body.is_object() {
        return Err(StatusError::bad_request("the body must be an object"));
    }
    let api_version = body["apiVersion"].as_str().unwrap_or_default();
    if api_version != rt.api_version() {
        return Err(StatusError::bad_request(format!(
            "the API version in the data ({api_version}) does not match the expected API version ({})",
            rt.api_version()
        )));
    }
    let kind = body["kind"].as_str().unwrap_or_default();
    if kind != rt.kind {
        return Err(StatusError::bad_request(format!(
            "the kind in the data ({kind}) does not match the expected kind ({})",
            rt.kind
        )));
    }
    let name = body["metadata"]["name"].as_str().unwrap_or_default();
    if name != key.name {
        return Err(StatusError::bad_request(format!(
            "the name of the object ({name}) does not match the name on the URL ({})",
            key.name
        )));
    }
    if let (Some(ns), Some(body_ns)) = (&key.namespace, body["metadata"]["namespace"].as_str()) {
        if ns != body_ns {
            return Err(StatusError::bad_request(
                "the namespace of the provided object does not match the namespace sent on the request",
            ));
        }
    }
    Ok(())
}

/// Now as RFC 3339 in UTC with seconds, like `metadata.creationTimestamp`.
pub fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .expect("0 is a valid nanosecond");
    now.format(&time::format_description::well_known::Rfc3339)
        .expect("UTC times format as RFC 3339")
}
