//! Resources that are not Applications (documents with a `kind`), in a run
//! that renders. The stream is exactly what Argo CD applies, and with pruning
//! it deletes what the stream stops holding: a ConfigMap beside the
//! Application must not vanish without a word. So each file holding such documents is refused at the first of
//! them, unless the run passes them through (`--pass-through`): then each is
//! re-emitted after the rendered documents by the same emitter (canonical
//! formatting, YAML-1.1-safe quoting), its plain scalars already held to
//! kubectl's reading by the checker. `validate` passes over them.

use super::OtherDocument;
use crate::diagnostic::{Code, Diagnostic, SourceFile};
use crate::{dom, emit, path};
use std::sync::Arc;

/// A document printed as it came, after the rendered ones.
pub struct Passed {
    pub file: Arc<SourceFile>,
    pub ordinal: usize,
    pub manifest: emit::Manifest,
}

const PASS_HELP: &str = "render only the Application's files (`oamc render app.yaml`), or pass --pass-through (the Argo CD plugin's parameter `pass-through`) to print them after the rendered documents";

/// One refusal per file, at its first such document, naming what it holds.
pub fn refuse(others: &[(Arc<SourceFile>, Vec<OtherDocument>)]) -> Vec<Diagnostic> {
    others
        .iter()
        .filter_map(|(file, docs)| {
            let first = docs.first()?;
            let mut named: Vec<&str> = docs.iter().map(|d| d.summary.as_str()).take(3).collect();
            named.dedup();
            let more = match docs.len().saturating_sub(3) {
                0 => String::new(),
                n => format!(" and {n} more"),
            };
            let (verb, them) = if docs.len() == 1 {
                ("is not an OAM Application", "it")
            } else {
                ("are not OAM Applications", "them")
            };
            Some(
                Diagnostic::error(
                    Code::NotAnApplication,
                    format!(
                        "{} in this file {verb}: {}{more}; `render` would leave {them} out of what Argo CD applies, and with pruning Argo CD deletes what it stops receiving",
                        plural(docs.len(), "resource"),
                        named.join(", "),
                    ),
                )
                .help(PASS_HELP)
                .at(file, position(file, first.ordinal)),
            )
        })
        .collect()
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// Every document re-emitted, or why one cannot be: it must be an object
/// Argo CD can apply (`apiVersion`, `kind` and `metadata.name` as text).
pub fn pass(others: &[(Arc<SourceFile>, Vec<OtherDocument>)]) -> (Vec<Passed>, Vec<Diagnostic>) {
    let mut passed = Vec::new();
    let mut problems = Vec::new();
    for (file, docs) in others {
        for doc in docs {
            let at = |d: Diagnostic| d.at(file, position(file, doc.ordinal));
            // Kept for every document when the run passes them through.
            let Some(value) = &doc.value else {
                continue;
            };
            let text = |pointer| value.pointer(pointer).and_then(serde_json::Value::as_str);
            let (Some(api_version), Some(kind), Some(name)) =
                (text("/apiVersion"), text("/kind"), text("/metadata/name"))
            else {
                problems.push(at(Diagnostic::error(
                    Code::PassThrough,
                    format!(
                        "{} is not an object Argo CD can apply: it needs `apiVersion`, `kind` and `metadata.name` as text",
                        doc.summary
                    ),
                )
                .help("give it `apiVersion` and `metadata.name`, or keep it out of the files oamc renders")));
                continue;
            };
            match emit::to_yaml(&crate::readback::Node::from_json(value.clone())) {
                Ok(yaml) => passed.push(Passed {
                    file: file.clone(),
                    ordinal: doc.ordinal,
                    manifest: emit::Manifest {
                        api_version: api_version.to_owned(),
                        kind: kind.to_owned(),
                        name: name.to_owned(),
                        namespace: text("/metadata/namespace").map(str::to_owned),
                        yaml,
                    },
                }),
                Err(e) => problems.push(at(Diagnostic::error(
                    Code::PassThrough,
                    format!("{} cannot be emitted again: {e}", doc.summary),
                ))),
            }
        }
    }
    (passed, problems)
}

/// Where the file's `ordinal`-th non-empty document says its kind (or
/// starts). Read again with positions: needed only for a message.
pub fn position(file: &SourceFile, ordinal: usize) -> Option<dom::Pos> {
    let start = dom::pos_at(&file.text, 1, 1);
    let Ok(docs) = dom::parse_stream(&file.text) else {
        return Some(start);
    };
    let doc = docs
        .iter()
        .filter(|doc| !matches!(doc.value, dom::Value::Null))
        .nth(ordinal);
    Some(doc.map_or(start, |doc| doc.locate(&path!["kind"]).pos))
}
