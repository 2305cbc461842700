//! Two renderings of one resource compared field by field, with paths as
//! dyff writes them: `spec.metrics[name=m0].failureCondition`.

use super::compare::FieldChange;
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

/// Lists without names (steps, args) aligned item by item as a line diff
/// aligns lines, so one inserted step is one addition, not a change of
/// every later index; items replaced one for one are compared inside.
fn aligned(path: &mut String, x: &[Value], y: &[Value], out: &mut Vec<FieldChange>) {
    let len = path.len();
    let text = |l: &[Value]| -> Vec<String> { l.iter().map(Value::to_string).collect() };
    let (tx, ty) = (text(x), text(y));
    let at = |path: &mut String,
              i: usize,
              a: Option<&Value>,
              b: Option<&Value>,
              out: &mut Vec<FieldChange>| {
        path.push_str(&format!("[{i}]"));
        walk(path, a, b, out);
        path.truncate(len);
    };
    for op in similar::capture_diff_slices(similar::Algorithm::Myers, &tx, &ty) {
        match op {
            similar::DiffOp::Equal { .. } => {}
            similar::DiffOp::Delete {
                old_index, old_len, ..
            } => {
                for (i, item) in x.iter().enumerate().skip(old_index).take(old_len) {
                    at(path, i, Some(item), None, out);
                }
            }
            similar::DiffOp::Insert {
                new_index, new_len, ..
            } => {
                for (j, item) in y.iter().enumerate().skip(new_index).take(new_len) {
                    at(path, j, None, Some(item), out);
                }
            }
            similar::DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => {
                let common = old_len.min(new_len);
                for k in 0..common {
                    at(
                        path,
                        new_index + k,
                        Some(&x[old_index + k]),
                        Some(&y[new_index + k]),
                        out,
                    );
                }
                let (old_rest, new_rest) = (old_index + common, new_index + common);
                for (i, item) in x.iter().enumerate().skip(old_rest).take(old_len - common) {
                    at(path, i, Some(item), None, out);
                }
                for (j, item) in y.iter().enumerate().skip(new_rest).take(new_len - common) {
                    at(path, j, None, Some(item), out);
                }
            }
        }
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
