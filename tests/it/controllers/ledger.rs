//! The cross-reference ledger: every reference between the objects oamc
//! emits has an entry in the controller-semantics reference (the controller
//! rule that reads it, the upstream file, the test), and every entry is
//! still emitted somewhere.
//!
//! References are found, not listed: any string in an emitted object that
//! names another emitted object (its `metadata.name`) is one, at its field
//! path (list indices dropped). A new template field that points at another
//! object fails this test until the ledger says what reads it.

use crate::common::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

const LEDGER: &str = "docs/src/reference/controller-semantics.md";

/// `(Kind.field.path, value)` for each string that names another emitted
/// object (list indices dropped from the path).
fn references(docs: &[Value]) -> BTreeSet<(String, String)> {
    let mut names: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for d in docs {
        if let (Some(name), Some(kind)) = (d["metadata"]["name"].as_str(), d["kind"].as_str()) {
            names.entry(name).or_default().insert(kind);
        }
    }
    // A Kargo promotion names per stage: `${{ ctx.stage }}` is each stage.
    let stages: Vec<&str> = docs
        .iter()
        .filter(|d| d["kind"] == "Stage")
        .filter_map(|d| d["metadata"]["name"].as_str())
        .collect();
    let mut out = BTreeSet::new();
    for d in docs {
        let kind = d["kind"].as_str().unwrap_or("?");
        walk(d, &mut Vec::new(), &mut |path, value| {
            // Its own name, and labels that only mark membership (`part-of`).
            if path.first().map(String::as_str) == Some("metadata") {
                return;
            }
            let values: Vec<String> = if value.contains("${{ ctx.stage }}") {
                stages
                    .iter()
                    .map(|s| value.replace("${{ ctx.stage }}", s))
                    .collect()
            } else {
                vec![value.to_owned()]
            };
            for value in values {
                if names.contains_key(value.as_str()) {
                    out.insert((format!("{kind}.{}", path.join(".")), value));
                }
            }
        });
    }
    out
}

fn walk(v: &Value, path: &mut Vec<String>, f: &mut dyn FnMut(&[String], &str)) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                path.push(k.clone());
                walk(child, path, f);
                path.pop();
            }
        }
        Value::Array(items) => {
            for item in items {
                walk(item, path, f);
            }
        }
        Value::String(s) => f(path, s),
        _ => {}
    }
}

/// The ledger: referring field → what it refers to (an emitted kind,
/// `pods` for a label selector, `-` for a name that only coincides).
fn ledger() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(root().join(LEDGER)).unwrap();
    let start = text
        .find("## Cross-reference ledger")
        .expect("the ledger section");
    text[start..]
        .lines()
        .skip_while(|l| !l.starts_with("| `"))
        .take_while(|l| l.starts_with('|'))
        .filter_map(|l| {
            let mut cells = l.split('|').skip(1).map(str::trim);
            let field = cells.next()?.trim_matches('`').to_owned();
            let target = cells.next()?.trim_matches('`').to_owned();
            Some((field, target))
        })
        .collect()
}

/// Every reference a rendered fixture holds is a ledger row, and what the
/// row says it refers to is emitted: an object of that kind with that name,
/// or pods (a Rollout whose pod template carries the selected label).
#[test]
fn every_reference_between_emitted_objects_is_in_the_ledger() {
    let listed = ledger();
    let mut used = BTreeSet::new();
    let mut problems = BTreeSet::new();
    for dir in cases("render") {
        let out = oamc(
            &["render", dir.join("application.yaml").to_str().unwrap()],
            None,
        );
        assert!(out.status.success(), "{}", dir.display());
        let docs = yaml_docs(&text(&out.stdout));
        let case = dir.file_name().unwrap().to_string_lossy().into_owned();
        let plan = text(
            &oamc(
                &["plan", dir.join("application.yaml").to_str().unwrap()],
                None,
            )
            .stdout,
        );
        for (field, value) in references(&docs) {
            let Some(target) = listed.get(&field) else {
                problems.insert(format!("not in the ledger: {field}"));
                continue;
            };
            used.insert(field.clone());
            let found = match target.as_str() {
                "-" => true,
                "pods" => {
                    let label = field.rsplit('.').next().unwrap();
                    docs.iter().filter(|d| d["kind"] == "Rollout").any(|r| {
                        r["spec"]["template"]["metadata"]["labels"][label] == value.as_str()
                    })
                }
                kind => {
                    let (kind, theirs) = match kind.strip_suffix('?') {
                        Some(k) => (k, true),
                        None => (kind, false),
                    };
                    docs.iter()
                        .any(|d| d["kind"] == kind && d["metadata"]["name"] == value.as_str())
                        || (theirs
                            && plan
                                .contains(&format!("{kind} {value}, which oamc does not render")))
                }
            };
            if !found {
                problems.insert(format!(
                    "{case}: {field} = {value}: no {target} of that name is emitted"
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{LEDGER}:\n{}",
        problems.into_iter().collect::<Vec<_>>().join("\n")
    );
    let stale: Vec<&String> = listed.keys().filter(|f| !used.contains(*f)).collect();
    assert!(stale.is_empty(), "ledger rows no fixture emits: {stale:?}");
}
