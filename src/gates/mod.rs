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

/// Where the app is, how long a request may take, and when the whole run ends.
pub struct Target {
    pub url: String,
    pub agent: ureq::Agent,
    pub timeout: Duration,
    pub ends: std::time::Instant,
}

impl Target {
    /// Whether the run's deadline has passed: no further request is sent.
    pub fn past_deadline(&self) -> bool {
        std::time::Instant::now() >= self.ends
    }
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
    /// How long the whole run may take: an app that never answers, or a load
    /// of many slow requests, ends the run there, the gates not run reported.
    pub deadline: Duration,
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
            let hint =
                crate::check::did_you_mean(name, all.iter().map(|s| s.service.name.as_str()))
                    .map(|h| format!("{h} "))
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

/// What the chosen gates run against, each part present exactly when a
/// chosen gate needs it (checked before any traffic).
struct Targets {
    gates: Vec<Gate>,
    /// The app, for the functional and performance gates.
    app: Option<String>,
    /// Prometheus and the namespace `{{args.namespace}}` stands for, for the metrics gate.
    prometheus: Option<(String, String)>,
}

fn targets(selected: &Selected, request: &Request) -> Result<Targets, String> {
    let gates: Vec<Gate> = selected
        .service
        .analysis_templates
        .iter()
        .map(|t| t.gate)
        .filter(|g| request.only.is_none_or(|only| only == *g))
        .collect();
    if gates.is_empty() {
        let what = match request.only {
            Some(g) => format!("no {} gate", g.name()),
            None => "no gates".to_owned(),
        };
        return Err(format!("component `{}` has {what}", selected.service.name));
    }
    let app = if gates.iter().any(|g| *g != Gate::Metrics) {
        let url = request.url.clone().ok_or(
            "give --url: where the app answers (e.g. http://localhost:8080 after `kubectl port-forward`)",
        )?;
        http::parse_base(&url)?;
        Some(url)
    } else {
        None
    };
    let prometheus = if gates.contains(&Gate::Metrics) {
        let url = request.prometheus.clone().ok_or(
            "the component has a metrics gate: give --prometheus URL (e.g. http://localhost:9090), or --only functional|performance",
        )?;
        http::parse_base(&url)?;
        let namespace = request
            .namespace
            .clone()
            .or_else(|| selected.app.namespace.clone())
            .ok_or("the metrics gate's queries select the app's namespace: give -n NAMESPACE")?;
        Some((url, namespace))
    } else {
        None
    };
    Ok(Targets {
        gates,
        app,
        prometheus,
    })
}

/// Run the chosen gates, in the order a rollout runs them. `Err`: a usage error.
pub fn run(selected: Selected, request: &Request) -> Result<Vec<GateResult>, String> {
    let targets = targets(&selected, request)?;
    let ends = std::time::Instant::now() + request.deadline;
    let agent = http::agent(request.timeout, false);
    let mut results = Vec::new();
    for template in &selected.service.analysis_templates {
        if !targets.gates.contains(&template.gate) {
            continue;
        }
        if std::time::Instant::now() >= ends {
            results.push(GateResult {
                gate: template.gate,
                name: template.gate.name().into(),
                verdict: Verdict::Inconclusive,
                measured: format!(
                    "not run: the run's deadline of {} s passed (--deadline)",
                    request.deadline.as_secs()
                ),
                value: None,
                threshold: String::new(),
                target: String::new(),
            });
            continue;
        }
        let reach = |url: &String| Target {
            url: url.clone(),
            agent: agent.clone(),
            timeout: request.timeout,
            ends,
        };
        match (template.gate, &template.job, &template.prometheus, &targets) {
            (Gate::Functional, Some(job), _, Targets { app: Some(url), .. }) => {
                results.push(functional::run(job, &reach(url)));
            }
            (Gate::Performance, Some(job), _, Targets { app: Some(url), .. }) => {
                results.push(performance::run(job, &reach(url)));
            }
            (
                Gate::Metrics,
                _,
                Some(prometheus),
                Targets {
                    prometheus: Some((base, namespace)),
                    ..
                },
            ) => {
                let args = [(crate::defs::appmod::NAMESPACE_ARG, namespace.as_str())];
                results.extend(metrics::run(prometheus, &args, &reach(base)));
            }
            // The plan always pairs a gate with its provider; say so if it did not.
            (gate, ..) => results.push(GateResult {
                gate,
                name: gate.name().into(),
                verdict: Verdict::Fail,
                measured: format!(
                    "template {} has no {} provider oamc gates can run (a bug in oamc: please report it)",
                    template.name,
                    gate.name()
                ),
                value: None,
                threshold: String::new(),
                target: String::new(),
            }),
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

/// One line per gate and criterion. What the app and Prometheus answered
/// (error text, a matched page) passes the one escape, like every user string.
pub fn text(selected: &Selected, results: &[GateResult]) -> String {
    use crate::text::shown_message as shown;
    let mut out = String::new();
    for r in results {
        let verdict = match r.verdict {
            Verdict::Pass => "PASS",
            Verdict::Fail => "FAIL",
            Verdict::Inconclusive => "INCONCLUSIVE",
        };
        out.push_str(&format!(
            "{verdict:<12}  {:<12}  {}  ({})  {}\n",
            shown(&r.name),
            shown(&r.measured),
            shown(&r.threshold),
            shown(&r.target)
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
