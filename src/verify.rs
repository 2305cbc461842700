//! Verify: read every rendered document back as YAML and check what a cluster
//! would otherwise find out later — a template that produced broken YAML, a
//! step naming an AnalysisTemplate that is not there, an `{{args.x}}` nobody
//! declares or supplies, a Job with no container.

use crate::diagnostic::{Code, Diagnostic, SourceFile};
use crate::dom::Pos;
use crate::readback::{NULL, Node};
use crate::render::{RenderedDoc, Templates};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// A rendered document, parsed and checked; its strings borrow from the
/// rendered text where they can.
#[derive(Debug, Clone)]
pub struct Doc<'a> {
    pub kind: String,
    pub name: String,
    pub value: Node<'a>,
}

pub fn verify<'a>(
    rendered: &'a [RenderedDoc],
    templates: &Templates,
) -> Result<Vec<Doc<'a>>, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let mut docs = Vec::new();
    for r in rendered {
        match parse_one(r, templates) {
            Ok(doc) => docs.push(doc),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        // The built-in metrics template writes the plan's queries unchanged,
        // and every query the plan can build is proven to parse
        // (tests/it/promql_grammar.rs); a custom template's are parsed here.
        let parse_queries = !templates.is_builtin(crate::defs::gates::metrics::TEMPLATE.0);
        errors.extend(cross_check(&docs, parse_queries));
    }
    if errors.is_empty() {
        Ok(docs)
    } else {
        Err(errors)
    }
}

fn parse_one<'a>(r: &'a RenderedDoc, templates: &Templates) -> Result<Doc<'a>, Diagnostic> {
    let origin = templates.origin(&r.template);
    let fail = |message: String, pos: Option<Pos>| {
        let file = Arc::new(SourceFile {
            name: format!("output of {origin}"),
            text: r.text.clone(),
        });
        Diagnostic::error(
            Code::Template,
            format!("template {origin} produced {message}"),
        )
        .at(&file, pos)
        .help("a template must produce exactly one Kubernetes object as YAML")
    };
    // Spans are only needed to point at a broken document, so the common
    // path reads plain values (a fraction of the cost) and errors are read again.
    let values =
        crate::readback::read_rendered(&r.text).map_err(|_| {
            match crate::dom::parse_stream(&r.text) {
                Err(e) => fail(format!("invalid YAML: {}", e.message), e.pos),
                Ok(_) => fail("YAML oamc cannot read".into(), None),
            }
        })?;
    let [value] = <[Node; 1]>::try_from(values)
        .map_err(|values| fail(format!("{} YAML documents", values.len()), None))?;
    let text = |v: Option<&Node>| v.and_then(Node::as_str).map(str::to_owned);
    let kind = text(value.get("kind"));
    let name = text(value.pointer("/metadata/name"));
    match (text(value.get("apiVersion")), kind, name) {
        (Some(_), Some(kind), Some(name)) => Ok(Doc { kind, name, value }),
        _ => Err(fail(
            "an object without apiVersion, kind and metadata.name".into(),
            None,
        )),
    }
}

fn cross_check(docs: &[Doc<'_>], parse_queries: bool) -> Vec<Diagnostic> {
    let mut errors = Vec::new();
    let mut fail = |message: String| errors.push(Diagnostic::error(Code::Verify, message));
    let templates: BTreeMap<&str, &Doc> = docs
        .iter()
        .filter(|d| d.kind == "AnalysisTemplate")
        .map(|d| (d.name.as_str(), d))
        .collect();
    let services: BTreeSet<&str> = docs
        .iter()
        .filter(|d| d.kind == "Service")
        .map(|d| d.name.as_str())
        .collect();

    for t in templates.values() {
        let declared = declared_args(&t.value);
        for used in used_args(&t.value) {
            if !declared.contains_key(&used) {
                fail(format!(
                    "AnalysisTemplate {} uses {{{{args.{used}}}}} but does not declare it in spec.args",
                    t.name
                ));
            }
        }
        let metrics = t
            .value
            .pointer("/spec/metrics")
            .and_then(Node::as_array)
            .into_iter()
            .flatten();
        for metric in metrics {
            if parse_queries
                && let Some(query) = metric
                    .pointer("/provider/prometheus/query")
                    .and_then(Node::as_str)
                && let Err(e) = promql_parser::parser::parse(&substitute_args(query))
            {
                fail(format!(
                    "AnalysisTemplate {} has a Prometheus query that does not parse: {query}: {e}",
                    t.name
                ));
            }
            if let Some(job) = metric.pointer("/provider/job") {
                let containers = job
                    .pointer("/spec/template/spec/containers")
                    .and_then(Node::as_array);
                if containers.is_none_or(Vec::is_empty) {
                    fail(format!(
                        "AnalysisTemplate {} has a Job with no container",
                        t.name
                    ));
                }
            }
        }
    }

    for rollout in docs.iter().filter(|d| d.kind == "Rollout") {
        let strategy = rollout.value.pointer("/spec/strategy");
        let service_keys = [
            "canary/canaryService",
            "canary/stableService",
            "blueGreen/activeService",
            "blueGreen/previewService",
        ];
        for key in service_keys {
            if let Some(svc) = strategy
                .and_then(|s| s.pointer(&format!("/{key}")))
                .and_then(Node::as_str)
                && !services.contains(svc)
            {
                fail(format!(
                    "Rollout {} names {key} {svc}, which is not rendered",
                    rollout.name
                ));
            }
        }
        for (names, supplied) in analysis_runs(strategy.unwrap_or(&NULL)) {
            for name in names {
                let Some(t) = templates.get(name.as_str()) else {
                    fail(format!(
                        "Rollout {} runs AnalysisTemplate {name}, which is not rendered",
                        rollout.name
                    ));
                    continue;
                };
                for (arg, has_value) in declared_args(&t.value) {
                    if !has_value && !supplied.contains(&arg) {
                        fail(format!(
                            "Rollout {} runs AnalysisTemplate {name} without its argument {arg}",
                            rollout.name
                        ));
                    }
                }
            }
        }
    }
    errors
}

/// The query as Argo Rollouts will send it, with each `{{args.x}}` replaced by a sample value.
fn substitute_args(query: &str) -> String {
    let mut out = String::with_capacity(query.len());
    let mut rest = query;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        match rest[start..].find("}}") {
            Some(end) => {
                out.push_str("arg");
                rest = &rest[start + end + 2..];
            }
            None => {
                rest = &rest[start..];
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Every analysis a Rollout starts — canary steps, experiment analyses,
/// blue/green pre- and post-promotion — as (template names, supplied args).
fn analysis_runs(strategy: &Node) -> Vec<(Vec<String>, BTreeSet<String>)> {
    let arg_names = |v: &Node| -> BTreeSet<String> {
        v.get("args")
            .and_then(Node::as_array)
            .into_iter()
            .flatten()
            .filter_map(|a| a.get("name").and_then(Node::as_str).map(str::to_owned))
            .collect()
    };
    let names_in = |v: &Node| -> Vec<String> {
        v.get("templates")
            .and_then(Node::as_array)
            .into_iter()
            .flatten()
            .filter_map(|t| {
                t.get("templateName")
                    .and_then(Node::as_str)
                    .map(str::to_owned)
            })
            .collect()
    };
    let mut runs = Vec::new();
    let steps = strategy
        .pointer("/canary/steps")
        .and_then(Node::as_array)
        .into_iter()
        .flatten();
    for step in steps {
        if let Some(analysis) = step.get("analysis") {
            runs.push((names_in(analysis), arg_names(analysis)));
        }
        let analyses = step
            .pointer("/experiment/analyses")
            .and_then(Node::as_array)
            .into_iter()
            .flatten();
        for a in analyses {
            let name = a
                .get("templateName")
                .and_then(Node::as_str)
                .unwrap_or_default()
                .to_owned();
            runs.push((vec![name], arg_names(a)));
        }
    }
    for key in ["prePromotionAnalysis", "postPromotionAnalysis"] {
        if let Some(block) = strategy.pointer(&format!("/blueGreen/{key}")) {
            runs.push((names_in(block), arg_names(block)));
        }
    }
    runs
}

/// Declared arguments and whether each has its own value.
fn declared_args(template: &Node) -> BTreeMap<String, bool> {
    template
        .pointer("/spec/args")
        .and_then(Node::as_array)
        .into_iter()
        .flatten()
        .filter_map(|a| {
            let name = a.get("name")?.as_str()?.to_owned();
            Some((
                name,
                a.get("value").is_some() || a.get("valueFrom").is_some(),
            ))
        })
        .collect()
}

/// Every `{{args.NAME}}` (Argo allows spaces inside the braces) in the template's strings.
fn used_args(template: &Node) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut stack = vec![template.get("spec").unwrap_or(&NULL)];
    while let Some(v) = stack.pop() {
        match v {
            Node::String(s) => {
                let mut rest: &str = s;
                while let Some(start) = rest.find("{{") {
                    let after = &rest[start + 2..];
                    let Some(end) = after.find("}}") else { break };
                    if let Some(name) = after[..end].trim().strip_prefix("args.") {
                        found.insert(name.trim().to_owned());
                    }
                    rest = &after[end + 2..];
                }
            }
            Node::Array(items) => stack.extend(items),
            Node::Object(entries) => stack.extend(entries.iter().map(|(_, v)| v)),
            _ => {}
        }
    }
    found
}
