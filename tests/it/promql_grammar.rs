//! Every query the metrics gate can generate parses as PromQL, proven over
//! the grammar that builds it: `[function(] [rate(] metric{label="container",
//! namespace="{{args.namespace}}"} [[interval]] [)] [)]` for every function
//! and none, with and without rate, every unit and combination of units a
//! range may use, metric names at the edges of their syntax (PromQL's
//! keywords and function names among them, which the parser reads
//! differently), and container labels and container names at theirs. With
//! this, `render` parses queries at run time only when the metrics template
//! is overridden (src/verify.rs).

use oamc::plan::StrategyPlan;
use serde_json::json;

const FUNCTIONS: &[Option<&str>] = &[
    None,
    Some("sum"),
    Some("avg"),
    Some("max"),
    Some("min"),
    Some("count"),
];
const RANGES: &[Option<&str>] = &[
    None,
    Some("1ms"),
    Some("30s"),
    Some("5m"),
    Some("1h"),
    Some("2d"),
    Some("1w"),
    Some("1y"),
    Some("1h30m"),
    Some("1y2w3d4h5m6s7ms"),
    Some("999999s"),
];
/// Valid metric names ([a-zA-Z_:][a-zA-Z0-9_:]*), including every PromQL
/// keyword, aggregation, function and modifier a name could collide with.
const METRICS: &[&str] = &[
    "up",
    "_",
    ":",
    "a:b",
    "__name__",
    "_x",
    "x1",
    "X",
    "rocket_http_requests_duration_seconds_sum",
    "sum",
    "avg",
    "max",
    "min",
    "count",
    "count_values",
    "stddev",
    "stdvar",
    "topk",
    "bottomk",
    "quantile",
    "group",
    "limitk",
    "limit_ratio",
    "rate",
    "irate",
    "increase",
    "delta",
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "bool",
    "and",
    "or",
    "unless",
    "offset",
    "start",
    "end",
    "step",
    "atan2",
    "inf",
    "Inf",
    "nan",
    "NaN",
    "histogram_quantile",
    "absent",
    "time",
    "vector",
    "scalar",
    "label_replace",
    "sort",
    "abs",
    "e",
    "pi",
    "ON",
    "Bool",
    "Atan2",
    "GROUP_LEFT",
    "Ignoring",
    "INF",
    "Nan",
    "infinity",
    "nanny",
    "on_call",
];
/// Valid label names ([a-zA-Z_][a-zA-Z0-9_]*; `--prometheus-container-label`
/// refuses others), keywords among them.
const CONTAINER_LABELS: &[&str] = &[
    "container_name",
    "container",
    "_",
    "__meta",
    "by",
    "on",
    "bool",
    "nan",
    "X9",
];
const CONTAINERS: &[&str] = &["web", "a", "x-1", "0", "a-b-c"];

fn application(container: &str, metrics: &[serde_json::Value]) -> String {
    json!({
        "apiVersion": "core.oam.dev/v1beta1",
        "kind": "Application",
        "metadata": {"name": "grammar"},
        "spec": {"components": [{
            "name": "web",
            "type": "appmod-service",
            "properties": {
                "image": "ghcr.io/acme/web:1.0.0",
                "image_name": container,
                "metrics": {"evaluationCriteria": metrics},
            },
        }]},
    })
    .to_string()
}

#[test]
fn every_generated_query_parses() {
    let mut criteria = Vec::new();
    for metric in METRICS {
        for function in FUNCTIONS {
            for range in RANGES {
                let mut c = json!({"metric": metric});
                if let Some(f) = function {
                    c["function"] = json!(f);
                }
                if let Some(r) = range {
                    c["rateInterval"] = json!(r);
                }
                criteria.push(c);
            }
        }
    }
    let mut parsed = 0;
    let mut failures = Vec::new();
    for label in CONTAINER_LABELS {
        for container in CONTAINERS {
            let text = application(container, &criteria);
            let file = std::sync::Arc::new(oamc::diagnostic::SourceFile {
                name: "grammar.yaml".into(),
                text,
            });
            let mut options = oamc::Options::default();
            options.platform.container_label = (*label).to_owned();
            let (plans, diagnostics) = oamc::plan_only(&[file], &options);
            assert!(
                diagnostics.iter().all(|d| !d.is_error()),
                "{label}/{container}: {:?}",
                diagnostics
                    .iter()
                    .map(|d| d.message.clone())
                    .collect::<Vec<_>>()
            );
            let service = &plans[0].services[0];
            let metrics = service
                .analysis_templates
                .iter()
                .find_map(|t| t.check_as::<oamc::defs::gates::metrics::PrometheusPlan>())
                .expect("a metrics gate");
            assert_eq!(metrics.metrics.len(), criteria.len());
            assert!(matches!(service.strategy, StrategyPlan::Canary { .. }));
            for m in &metrics.metrics {
                // As Argo Rollouts sends it: the namespace argument filled in.
                let query = m.query.replace("{{args.namespace}}", "team-a");
                if let Err(e) = promql_parser::parser::parse(&query) {
                    failures.push(format!("{query}: {e}"));
                }
                parsed += 1;
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {parsed} queries do not parse:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(parsed > 20_000, "{parsed}");
}

#[test]
fn the_container_label_setting_is_a_label_name() {
    for bad in ["a:b", "1a", "a-b", ""] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_oamc"))
            .args(["validate", "--prometheus-container-label", bad, "-"])
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
    }
}
