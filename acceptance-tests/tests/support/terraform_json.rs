//! Reading terraform's machine-readable output in tests: apply phases from `apply -json`
//! events, and resource changes from `show -json` of a saved plan.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use acceptance_tests::Terraform;
use serde_json::Value;

/// Where [`planned_changes`] saves the plan that [`apply_saved_plan`] applies.
const PLAN_FILE: &str = "scale.tfplan";

/// Start and end offsets of each resource's apply, from `terraform apply -json` events.
#[derive(Debug, Default)]
pub struct ApplyEvents {
    started: BTreeMap<String, f64>,
    finished: BTreeMap<String, f64>,
}

impl ApplyEvents {
    pub fn parse(json_lines: &str) -> Self {
        let mut events = ApplyEvents::default();
        let mut first: Option<f64> = None;
        for event in json_lines
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        {
            let (Some(kind), Some(at), Some(address)) = (
                event["type"].as_str(),
                timestamp(&event),
                event["hook"]["resource"]["addr"].as_str(),
            ) else {
                continue;
            };
            let at = at - *first.get_or_insert(at);
            let into = match kind {
                "apply_start" => &mut events.started,
                "apply_complete" => &mut events.finished,
                _ => continue,
            };
            into.insert(address.to_string(), at);
        }
        events
    }

    /// "NAME X s (from A to B s)" over the resources whose address matches.
    pub fn phase(&self, name: &str, matches: impl Fn(&str) -> bool) -> String {
        let pick = |times: &BTreeMap<String, f64>| -> Vec<f64> {
            times
                .iter()
                .filter(|(a, _)| matches(a))
                .map(|(_, t)| *t)
                .collect()
        };
        let (starts, ends) = (pick(&self.started), pick(&self.finished));
        match (
            starts.iter().copied().reduce(f64::min),
            ends.iter().copied().reduce(f64::max),
        ) {
            (Some(a), Some(b)) => format!("{name} {:.1} s (from {a:.1} to {b:.1} s)", b - a),
            _ => format!("{name}: not seen"),
        }
    }
}

/// Seconds of the day of a terraform JSON UI event's `@timestamp`
/// (`2026-11-21T15:00:00.123456+00:00`); only differences matter.
fn timestamp(event: &Value) -> Option<f64> {
    let time = event["@timestamp"].as_str()?.split('T').nth(1)?;
    let time = &time[..time.find(['+', '-', 'Z']).unwrap_or(time.len())];
    time.split(':')
        .map(|part| part.parse::<f64>().ok())
        .try_fold(0.0, |acc, part| Some(acc * 60.0 + part?))
}

/// One resource's planned change.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedChange {
    pub actions: Vec<String>,
    pub before: Value,
    pub after: Value,
}

/// `terraform plan -out` then `show -json`: every resource with a change, by address.
pub fn planned_changes(tf: &Terraform) -> BTreeMap<String, PlannedChange> {
    tf.run(&["plan", "-input=false", "-no-color", "-out", PLAN_FILE])
        .and_then(|o| o.into_success())
        .expect("plan");
    let shown = tf
        .run(&["show", "-json", PLAN_FILE])
        .and_then(|o| o.into_success())
        .expect("show plan");
    let plan: Value = serde_json::from_str(&shown.stdout).expect("plan JSON");
    plan["resource_changes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|change| {
            let actions: Vec<String> = change["change"]["actions"]
                .as_array()?
                .iter()
                .filter_map(|a| a.as_str().map(str::to_string))
                .collect();
            let planned = PlannedChange {
                actions,
                before: change["change"]["before"].clone(),
                after: change["change"]["after"].clone(),
            };
            let address = change["address"].as_str()?.to_string();
            (planned.actions != ["no-op"]).then_some((address, planned))
        })
        .collect()
}

/// Applies the plan [`planned_changes`] saved; returns how long it took. A failure shows
/// terraform's output and `context()` (e.g. the guests' consoles).
pub fn apply_saved_plan(tf: &Terraform, context: impl FnOnce() -> String) -> Duration {
    let started = Instant::now();
    let applied = tf
        .run(&["apply", "-input=false", "-no-color", PLAN_FILE])
        .expect("run terraform apply");
    assert!(
        applied.success(),
        "applying the saved plan failed:\n{}\n{}\n{}",
        applied.stdout,
        applied.stderr,
        context()
    );
    started.elapsed()
}
