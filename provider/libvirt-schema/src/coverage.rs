//! How much of a RelaxNG grammar the generated tree represents, counted by definition site:
//! every `<element>`/`<attribute>` pattern reachable from the start pattern.

use crate::flatten::{AppliedRename, FlattenReport, RecursionCut};
use crate::rng::{Grammar, SiteId};
use serde::Serialize;
use std::collections::BTreeSet;

#[derive(Debug, Serialize)]
pub struct Counts {
    pub reachable: usize,
    pub represented: usize,
    /// Left out for a documented reason (wildcard content, can never match).
    pub documented_exceptions: usize,
    /// Left out without a documented reason (should be zero).
    pub unexplained: usize,
    pub percent: f64,
    pub percent_excluding_exceptions: f64,
}

#[derive(Debug, Serialize)]
pub struct LeftOut {
    /// `file:line` of the pattern.
    pub site: String,
    pub kind: &'static str,
    pub name: String,
    pub reason: &'static str,
}

#[derive(Debug, Serialize)]
pub struct Coverage {
    pub rng: String,
    pub root: String,
    pub elements: Counts,
    pub attributes: Counts,
    pub left_out: Vec<LeftOut>,
    /// Wildcard elements (and their insides) mapped as raw XML text of their parent.
    pub raw_xml: Vec<String>,
    pub recursion_cuts: Vec<RecursionCut>,
    pub renames: Vec<AppliedRename>,
    /// Elements whose alternatives order their children in contradicting ways: `to_xml`
    /// follows the first-seen order there.
    pub order_conflicts: Vec<String>,
}

const WILDCARD_REASON: &str =
    "wildcard attribute name (anyName/nsName) on a fixed element: no fixed name to map";
const NOT_ALLOWED_REASON: &str =
    "content is notAllowed here (libvirt-internal or overridable placeholder): can never occur";
const UNEXPLAINED_REASON: &str = "not represented (no documented reason)";

fn percent(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        return 100.0;
    }
    (part as f64 * 1000.0 / whole as f64).round() / 10.0
}

pub fn measure(rng: &str, root: &str, grammar: &Grammar, report: &FlattenReport) -> Coverage {
    let reachable = grammar
        .start()
        .map(|start| grammar.reachable_sites(start))
        .unwrap_or_default();
    let mut left_out = Vec::new();
    let mut count = |is_attribute: bool| -> Counts {
        let sites: BTreeSet<SiteId> = reachable
            .iter()
            .copied()
            .filter(|s| grammar.sites[*s].is_attribute == is_attribute)
            .collect();
        let represented = sites.intersection(&report.represented).count();
        let (mut documented, mut unexplained) = (0, 0);
        for site in sites.difference(&report.represented) {
            let reason = if report.wildcard_attributes.contains(site) {
                documented += 1;
                WILDCARD_REASON
            } else if report.not_allowed.contains(site) {
                documented += 1;
                NOT_ALLOWED_REASON
            } else {
                unexplained += 1;
                UNEXPLAINED_REASON
            };
            let info = &grammar.sites[*site];
            left_out.push(LeftOut {
                site: format!("{}:{}", info.file, info.line),
                kind: if is_attribute { "attribute" } else { "element" },
                name: info.name.clone(),
                reason,
            });
        }
        Counts {
            reachable: sites.len(),
            represented,
            documented_exceptions: documented,
            unexplained,
            percent: percent(represented, sites.len()),
            percent_excluding_exceptions: percent(represented, sites.len() - documented),
        }
    };
    let elements = count(false);
    let attributes = count(true);
    let mut recursion_cuts = report.recursion_cuts.clone();
    recursion_cuts.sort();
    recursion_cuts.dedup();
    Coverage {
        rng: rng.to_string(),
        root: root.to_string(),
        elements,
        attributes,
        left_out,
        raw_xml: report
            .raw_xml
            .iter()
            .filter(|s| reachable.contains(s))
            .map(|s| {
                let info = &grammar.sites[*s];
                format!("{}:{} {}", info.file, info.line, info.name)
            })
            .collect(),
        recursion_cuts,
        renames: report.renames.clone(),
        order_conflicts: report.order_conflicts.clone(),
    }
}
