//! `oamc gates`: run a component's gates against a running app and a
//! Prometheus, from the same plan that renders its AnalysisTemplates — the
//! URL path, expected text, load, latency limit, queries and conditions are
//! read from it, never derived a second time.
//!
//! Exit status: 0 every gate passed, 1 one failed (or could not be measured,
//! which fails a rollout too), 3 none failed but one is inconclusive (a
//! rollout would pause for a person).

pub mod bre;
mod functional;
pub mod http;
mod metrics;
mod performance;

pub use metrics::fill_args;

use crate::plan::{AppPlan, Gate, ServicePlan, Verdict};
use serde::Serialize;
use std::time::Duration;

/// The outcome of one gate, or of one criterion of the metrics gate.
#[derive(Debug, Clone, Serialize)]
pub struct GateResult {
    pub gate: Gate,
    /// `functional`, `performance`, `metrics/m0`, …
    pub name: String,
    pub verdict: Verdict,
    /// What was measured, in words.
    pub measured: String,
    /// The number judged, when there is one (mean latency in ms, the metric's value).
    pub value: Option<f64>,
    /// What the gate wants.
    pub threshold: String,
    /// The request or query sent.
    pub target: String,
}

/// Where the app is and how long a request may take.
pub struct Target {
    pub url: String,
    pub agent: ureq::Agent,
    pub timeout: Duration,
}

/// What to run, and against what.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub component: Option<String>,
    pub url: Option<String>,
    pub prometheus: Option<String>,
    /// The namespace the app runs in (`{{args.namespace}}`); else the Application's.
    pub namespace: Option<String>,
    pub only: Option<Gate>,
    pub timeout: Duration,
}

/// The gates of one component, and the Application it belongs to.
#[derive(Clone, Copy)]
pub struct Selected<'a> {
    pub app: &'a AppPlan,
    pub service: &'a ServicePlan,
}

/// The one component to test: named by `--component`, or the only one.
pub fn select<'a>(plans: &'a [AppPlan], component: Option<&str>) -> Result<Selected<'a>, String> {
    let all: Vec<Selected> = plans
        .iter()
        .flat_map(|app| {
            app.services
                .iter()
                .map(move |service| Selected { app, service })
        })
        .collect();
    let names = || {
        all.iter()
            .map(|s| format!("{}/{}", s.app.name, s.service.name))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut chosen: Vec<Selected> = match component {
        Some(name) => all
            .iter()
            .filter(|s| s.service.name == name)
            .copied()
            .collect(),
        None => all.clone(),
    };
    match (chosen.len(), component) {
        (1, _) => Ok(chosen.remove(0)),
        (0, None) => Err("no appmod-service component in the input".into()),
        (0, Some(name)) => {
            let hint = crate::check::suggest(name, all.iter().map(|s| s.service.name.as_str()))
                .map(|b| format!("did you mean `{b}`? "))
                .unwrap_or_default();
            Err(format!(
                "no appmod-service component `{name}`; {hint}the input has {}",
                names()
            ))
        }
        (_, None) => Err(format!(
            "the input has several components ({}); choose one with --component",
            names()
        )),
        (_, Some(name)) => Err(format!(
            "several Applications have a component `{name}` ({}); give one file",
            names()
        )),
    }
}

/// Check that everything the chosen gates need was given, before any traffic.
fn needs(selected: &Selected, request: &Request) -> Result<Vec<Gate>, String> {
    let gates: Vec<Gate> = selected
        .service
        .analysis_templates
        .iter()
        .map(|t| t.gate)
        .filter(|g| request.only.is_none_or(|only| only == *g))
        .collect();
    if gates.is_empty() {
        let what = match request.only {
            Some(g) => format!(
                "no {} gate",
                serde_json::json!(g).as_str().unwrap_or("such")
            ),
            None => "no gates".to_owned(),
        };
        return Err(format!("component `{}` has {what}", selected.service.name));
    }
    let job_gate = gates.iter().any(|g| *g != Gate::Metrics);
    if job_gate && request.url.is_none() {
        return Err("give --url: where the app answers (e.g. http://localhost:8080 after `kubectl port-forward`)".into());
    }
    if gates.contains(&Gate::Metrics) {
        if request.prometheus.is_none() {
            return Err("the component has a metrics gate: give --prometheus URL (e.g. http://localhost:9090), or --only functional|performance".into());
        }
        if request.namespace.is_none() && selected.app.namespace.is_none() {
            return Err(
                "the metrics gate's queries select the app's namespace: give -n NAMESPACE".into(),
            );
        }
    }
    for url in [&request.url, &request.prometheus].into_iter().flatten() {
        http::parse_base(url)?;
    }
    Ok(gates)
}

/// Run the chosen gates, in the order a rollout runs them. `Err`: a usage error.
pub fn run(selected: Selected, request: &Request) -> Result<Vec<GateResult>, String> {
    let gates = needs(&selected, request)?;
    let target = Target {
        url: request.url.clone().unwrap_or_default(),
        agent: http::agent(request.timeout, false),
        timeout: request.timeout,
    };
    let namespace = request
        .namespace
        .as_deref()
        .or(selected.app.namespace.as_deref())
        .unwrap_or_default();
    let mut results = Vec::new();
    for template in &selected.service.analysis_templates {
        if !gates.contains(&template.gate) {
            continue;
        }
        match (&template.job, &template.prometheus) {
            (Some(job), _) if template.gate == Gate::Functional => {
                results.push(functional::run(job, &target));
            }
            (Some(job), _) => results.push(performance::run(job, &target)),
            (None, Some(prometheus)) => {
                let args = [(crate::defs::appmod::NAMESPACE_ARG, namespace)];
                let base = request.prometheus.as_deref().unwrap_or_default();
                results.extend(metrics::run(prometheus, base, &args, &target));
            }
            (None, None) => {}
        }
    }
    Ok(results)
}

/// 0 all passed, 1 one failed, 3 one inconclusive and none failed.
pub fn exit_code(results: &[GateResult]) -> i32 {
    if results.iter().any(|r| r.verdict == Verdict::Fail) {
        1
    } else if results.iter().any(|r| r.verdict == Verdict::Inconclusive) {
        3
    } else {
        0
    }
}

/// One line per gate and criterion.
pub fn text(selected: &Selected, results: &[GateResult]) -> String {
    let mut out = String::new();
    for r in results {
        let verdict = match r.verdict {
            Verdict::Pass => "PASS",
            Verdict::Fail => "FAIL",
            Verdict::Inconclusive => "INCONCLUSIVE",
        };
        out.push_str(&format!(
            "{verdict:<12}  {:<12}  {}  ({})  {}\n",
            r.name, r.measured, r.threshold, r.target
        ));
    }
    let count = |v: Verdict| results.iter().filter(|r| r.verdict == v).count();
    out.push_str(&format!(
        "{}/{}: {} passed, {} failed, {} inconclusive\n",
        selected.app.name,
        selected.service.name,
        count(Verdict::Pass),
        count(Verdict::Fail),
        count(Verdict::Inconclusive)
    ));
    out
}

/// The results as one JSON document, for scripts.
pub fn json(selected: &Selected, results: &[GateResult]) -> String {
    let verdict = match exit_code(results) {
        0 => Verdict::Pass,
        1 => Verdict::Fail,
        _ => Verdict::Inconclusive,
    };
    let doc = serde_json::json!({
        "application": selected.app.name,
        "component": selected.service.name,
        "verdict": verdict,
        "results": results,
    });
    format!("{doc:#}\n")
}
