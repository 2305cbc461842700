//! Two renderings of one resource compared field by field, with paths as
//! dyff writes them: `spec.metrics[name=m0].failureCondition`.

use super::report::FieldChange;
use serde_json::Value;
use std::collections::BTreeSet;

/// The fields two renderings of one resource differ in. Both are oamc's
/// own canonical YAML, so reading them cannot fail; if it did, the whole
/// document shows as one change rather than none.
pub(super) fn field_changes(before: &str, after: &str) -> Vec<FieldChange> {
    let read = |t: &str| {
        serde_saphyr::from_str::<Value>(t).unwrap_or_else(|_| Value::String(t.to_owned()))
    };
    let mut out = Vec::new();
    walk(
        &mut String::new(),
        Some(&read(before)),
        Some(&read(after)),
        &mut out,
    );
    out
}

/// A key as a path segment: `.name`, or `["app.kubernetes.io/name"]` when
/// it is not a plain word.
fn push_key(path: &mut String, key: &str) {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if plain {
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(key);
    } else {
        path.push_str(&format!("[{}]", Value::String(key.to_owned())));
    }
}

/// The `name` of every item when each item of both lists is a mapping with
/// a unique one: such lists (containers, env, ports, metrics, steps of a
/// promotion) are compared by name, as Kubernetes merges them.
fn named_items(list: &[Value]) -> Option<Vec<&str>> {
    let names: Option<Vec<&str>> = list
        .iter()
        .map(|v| v.get("name").and_then(Value::as_str))
        .collect();
    let names = names?;
    let unique: BTreeSet<&&str> = names.iter().collect();
    (unique.len() == names.len()).then_some(names)
}

/// Two lists aligned as a line diff aligns lines (`similar`, Myers), the
/// equal items left out: `(Some(i), None)` removed, `(None, Some(j))`
/// added, both: the one replaced by the other. The steps of two plans and
/// two unnamed lists of a resource are aligned by this one function.
pub(super) fn changed_pairs<T: std::hash::Hash + Eq + Ord>(
    old: &[T],
    new: &[T],
) -> Vec<(Option<usize>, Option<usize>)> {
    let mut pairs = Vec::new();
    for op in similar::capture_diff_slices(similar::Algorithm::Myers, old, new) {
        let (tag, olds, news) = op.as_tag_tuple();
        if tag == similar::DiffTag::Equal {
            continue;
        }
        let common = olds.len().min(news.len());
        pairs.extend(
            olds.clone()
                .zip(news.clone())
                .map(|(i, j)| (Some(i), Some(j))),
        );
        pairs.extend(olds.skip(common).map(|i| (Some(i), None)));
        pairs.extend(news.skip(common).map(|j| (None, Some(j))));
    }
    pairs
}

/// Lists without names (steps, args): one inserted step is one addition,
/// not a change of every later index; items replaced one for one are
/// compared inside.
fn aligned(path: &mut String, x: &[Value], y: &[Value], out: &mut Vec<FieldChange>) {
    let len = path.len();
    let text = |l: &[Value]| -> Vec<String> { l.iter().map(Value::to_string).collect() };
    for (i, j) in changed_pairs(&text(x), &text(y)) {
        // An added item is at its index in the new list, a removed one at its old one.
        let index = match (i, j) {
            (_, Some(j)) => j,
            (Some(i), None) => i,
            (None, None) => continue,
        };
        path.push_str(&format!("[{index}]"));
        walk(path, i.map(|i| &x[i]), j.map(|j| &y[j]), out);
        path.truncate(len);
    }
}

fn walk(path: &mut String, a: Option<&Value>, b: Option<&Value>, out: &mut Vec<FieldChange>) {
    let len = path.len();
    match (a, b) {
        (Some(Value::Object(x)), Some(Value::Object(y))) => {
            for (k, v) in x {
                push_key(path, k);
                walk(path, Some(v), y.get(k), out);
                path.truncate(len);
            }
            for (k, v) in y.iter().filter(|(k, _)| !x.contains_key(*k)) {
                push_key(path, k);
                walk(path, None, Some(v), out);
                path.truncate(len);
            }
        }
        (Some(Value::Array(x)), Some(Value::Array(y))) => match (named_items(x), named_items(y)) {
            (Some(xn), Some(yn)) => {
                for (i, n) in xn.iter().enumerate() {
                    path.push_str(&format!("[name={n}]"));
                    let other = yn.iter().position(|m| m == n).map(|j| &y[j]);
                    walk(path, Some(&x[i]), other, out);
                    path.truncate(len);
                }
                for (j, n) in yn.iter().enumerate().filter(|(_, n)| !xn.contains(n)) {
                    path.push_str(&format!("[name={n}]"));
                    walk(path, None, Some(&y[j]), out);
                    path.truncate(len);
                }
            }
            _ => aligned(path, x, y, out),
        },
        (a, b) if a != b => out.push(FieldChange {
            path: if path.is_empty() {
                ".".to_owned()
            } else {
                path.clone()
            },
            before: a.cloned(),
            after: b.cloned(),
        }),
        _ => {}
    }
}
