//! The live runner behind `oamc gates` (the gates are defined in `defs`):
//! run a component's gates against a running app and a
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
pub mod web;

pub use metrics::fill_args;

use crate::defs::gates::JobPlan;
use crate::defs::gates::functional::FunctionalCheck;
use crate::defs::gates::metrics::PrometheusPlan;
use crate::defs::gates::performance::{LatencyLimit, LoadPlan, PerformanceCheck};
use crate::defs::gates::web::{WebPlan, WebTarget};
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

    /// How long the next request may take: `--timeout`, or what is left of
    /// the run when that is less; `None` once the deadline has passed. Asked
    /// before every request, each redirect and each query included, so the
    /// run ends at its deadline however many requests it has left.
    pub fn request_timeout(&self) -> Option<Duration> {
        let left = self
            .ends
            .saturating_duration_since(std::time::Instant::now());
        (!left.is_zero()).then(|| left.min(self.timeout))
    }

    /// A failed request in words: a wait the deadline cut short says so.
    pub fn request_error(&self, what: &str, error: &dyn std::fmt::Display) -> http::RequestError {
        if self.past_deadline() {
            http::RequestError::Late {
                what: what.to_owned(),
            }
        } else {
            http::RequestError::Client {
                what: what.to_owned(),
                why: error.to_string(),
            }
        }
    }
}

/// What to run, and against what.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub component: Option<String>,
    pub url: Option<String>,
    pub prometheus: Option<String>,
    /// Where a web gate's host answers from here (its path and query kept).
    pub web: Option<String>,
    /// `NAME=VALUE`: the values of web gate headers read from a Secret.
    pub web_headers: Vec<String>,
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

/// Why `oamc gates` cannot start (a usage error: exit 2), worded in `Display`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UsageError {
    NoComponent,
    /// No component of that name; `hint` is "did you mean …? " or empty,
    /// `all` the components the input has.
    UnknownComponent {
        name: String,
        hint: String,
        all: String,
    },
    /// Several components and no `--component`.
    Several {
        all: String,
    },
    /// Several Applications have a component of that name.
    Ambiguous {
        name: String,
        all: String,
    },
    /// The component has no gate (of the kind `--only` asks for).
    NoGate {
        component: String,
        only: Option<Gate>,
    },
    NeedUrl,
    NeedPrometheus,
    /// The web gate asks another host: `url` is the gate's.
    NeedWeb {
        url: String,
    },
    /// A `--web-header` that is not `NAME=VALUE`, or names no header the
    /// chosen web gate reads from a Secret.
    WebHeaderUnused(String),
    /// A web gate header comes from a Secret, and no `--web-header` gives it.
    NeedWebHeader {
        header: String,
        secret: String,
        key: String,
    },
    NeedNamespace,
    /// A URL given on the command line that is not one; why.
    Url(http::RequestError),
    /// Settings given that `oamc gates` does not use.
    Unused(String),
}

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UsageError::NoComponent => f.write_str("no appmod-service component in the input"),
            UsageError::UnknownComponent { name, hint, all } => write!(
                f,
                "no appmod-service component `{name}`; {hint}the input has {all}"
            ),
            UsageError::Several { all } => write!(
                f,
                "the input has several components ({all}); choose one with --component"
            ),
            UsageError::Ambiguous { name, all } => write!(
                f,
                "several Applications have a component `{name}` ({all}); give one file"
            ),
            UsageError::NoGate { component, only } => match only {
                Some(g) => write!(f, "component `{component}` has no {} gate", g.name()),
                None => write!(f, "component `{component}` has no gates"),
            },
            UsageError::NeedUrl => f.write_str(
                "give --url: where the app answers (e.g. http://localhost:8080 after `kubectl port-forward`)",
            ),
            UsageError::NeedPrometheus => f.write_str(
                "the component has a metrics gate: give --prometheus URL (e.g. http://localhost:9090), or --only functional|performance",
            ),
            UsageError::NeedWeb { url } => write!(
                f,
                "the web gate asks {url}: give --web URL, where that host answers from here (e.g. http://localhost:8081 after `kubectl port-forward`); its path and query are kept"
            ),
            UsageError::NeedWebHeader {
                header,
                secret,
                key,
            } => write!(
                f,
                "the web gate's header {header} comes from Secret {secret} (key {key}) when the rollout runs: give --web-header '{header}=VALUE' (oamc does not read the cluster)"
            ),
            UsageError::WebHeaderUnused(given) => write!(
                f,
                "--web-header {given:?} is not NAME=VALUE for a header the web gate reads from a Secret"
            ),
            UsageError::NeedNamespace => f.write_str(
                "the metrics gate's queries select the app's namespace: give -n NAMESPACE",
            ),
            UsageError::Url(why) => write!(f, "{why}"),
            UsageError::Unused(settings) => write!(f, "gates does not use {settings}"),
        }
    }
}

/// The one component to test: named by `--component`, or the only one.
pub fn select<'a>(
    plans: &'a [AppPlan],
    component: Option<&str>,
) -> Result<Selected<'a>, UsageError> {
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
        (0, None) => Err(UsageError::NoComponent),
        (0, Some(name)) => Err(UsageError::UnknownComponent {
            name: name.to_owned(),
            hint: crate::check::did_you_mean(name, all.iter().map(|s| s.service.name.as_str()))
                .map(|h| format!("{h} "))
                .unwrap_or_default(),
            all: names(),
        }),
        (_, None) => Err(UsageError::Several { all: names() }),
        (_, Some(name)) => Err(UsageError::Ambiguous {
            name: name.to_owned(),
            all: names(),
        }),
    }
}

/// One chosen gate with what it runs against, resolved before any traffic.
enum Planned<'p> {
    Functional {
        job: &'p JobPlan,
        expected: &'p str,
        app: String,
    },
    Performance {
        job: &'p JobPlan,
        load: &'p LoadPlan,
        limit: Option<LatencyLimit>,
        app: String,
    },
    Metrics {
        prometheus: &'p PrometheusPlan,
        /// Prometheus, and the namespace `{{args.namespace}}` stands for.
        base: String,
        namespace: String,
    },
    Web {
        web: &'p WebPlan,
        /// The URL asked from here.
        url: String,
        /// Each header with its value: a Secret's from `--web-header`.
        headers: Vec<(String, String)>,
    },
    /// A gate kind `oamc gates` cannot run.
    NotRunHere(Gate),
}

/// A web gate's headers with their values: a header the rollout reads from
/// a Secret takes the value `--web-header NAME=VALUE` gives (names compared
/// as HTTP compares them, without case), else it is a usage error: never
/// sent without it.
fn web_headers(web: &WebPlan, request: &Request) -> Result<Vec<(String, String)>, UsageError> {
    let secret = |name: &str| {
        web.headers
            .iter()
            .any(|h| h.secret.is_some() && h.key.eq_ignore_ascii_case(name))
    };
    // Every value given names one: a typo is said, not ignored.
    let mut given = Vec::new();
    for arg in &request.web_headers {
        match arg.split_once('=') {
            Some((name, value)) if secret(name.trim()) => given.push((name.trim(), value)),
            _ => return Err(UsageError::WebHeaderUnused(arg.clone())),
        }
    }
    web.headers
        .iter()
        .map(|h| match &h.secret {
            None => Ok((h.key.clone(), h.value.clone())),
            Some(s) => given
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(&h.key))
                .map(|(_, value)| (h.key.clone(), (*value).to_owned()))
                .ok_or_else(|| UsageError::NeedWebHeader {
                    header: h.key.clone(),
                    secret: s.secret.clone(),
                    key: s.key.clone(),
                }),
        })
        .collect()
}

/// Where a web gate's request goes from here: the app's `--url` with the
/// gate's path, or `--web` with the path and query of the gate's URL.
fn web_url(
    web: &WebPlan,
    request: &Request,
    app: &mut Option<String>,
) -> Result<String, UsageError> {
    match &web.target {
        WebTarget::NewVersion { path } => Ok(http::join(&cached(app, || app_url(request))?, path)),
        WebTarget::Url(url) => {
            let base = request
                .web
                .clone()
                .ok_or_else(|| UsageError::NeedWeb { url: url.clone() })?;
            http::parse_base(&base).map_err(UsageError::Url)?;
            let after_scheme = url.split_once("://").map_or("", |(_, rest)| rest);
            let path = after_scheme
                .find(['/', '?'])
                .map_or("/", |i| &after_scheme[i..]);
            let path = if path.starts_with('?') {
                format!("/{path}")
            } else {
                path.to_owned()
            };
            Ok(http::join(&base, &path))
        }
    }
}

fn app_url(request: &Request) -> Result<String, UsageError> {
    let url = request.url.clone().ok_or(UsageError::NeedUrl)?;
    http::parse_base(&url).map_err(UsageError::Url)?;
    Ok(url)
}

fn prometheus_url(selected: &Selected, request: &Request) -> Result<(String, String), UsageError> {
    let url = request
        .prometheus
        .clone()
        .ok_or(UsageError::NeedPrometheus)?;
    http::parse_base(&url).map_err(UsageError::Url)?;
    let namespace = request
        .namespace
        .clone()
        .or_else(|| selected.app.namespace.clone())
        .ok_or(UsageError::NeedNamespace)?;
    Ok((url, namespace))
}

/// Each chosen gate, in the plan's order, with the endpoint it needs; an
/// endpoint is asked for only when a chosen gate needs it.
fn planned<'p>(selected: &'p Selected, request: &Request) -> Result<Vec<Planned<'p>>, UsageError> {
    let service = &selected.service;
    let mut app: Option<String> = None;
    let mut prometheus: Option<(String, String)> = None;
    let mut out = Vec::new();
    for t in &service.analysis_templates {
        if request.only.is_some_and(|g| g != t.gate()) {
            continue;
        }
        out.push(if let Some(c) = t.check_as::<FunctionalCheck>() {
            Planned::Functional {
                job: &c.job,
                expected: &c.expected_text,
                app: cached(&mut app, || app_url(request))?,
            }
        } else if let Some(c) = t.check_as::<PerformanceCheck>() {
            Planned::Performance {
                job: &c.job,
                load: &c.load,
                limit: c.limit,
                app: cached(&mut app, || app_url(request))?,
            }
        } else if let Some(p) = t.check_as::<PrometheusPlan>() {
            let (base, namespace) = cached(&mut prometheus, || prometheus_url(selected, request))?;
            Planned::Metrics {
                prometheus: p,
                base,
                namespace,
            }
        } else if let Some(web) = t.check_as::<WebPlan>() {
            Planned::Web {
                web,
                url: web_url(web, request, &mut app)?,
                headers: web_headers(web, request)?,
            }
        } else {
            // A kind this runner has no check for is said, never skipped.
            Planned::NotRunHere(t.gate())
        });
    }
    // A Secret's header value with no web gate chosen would be dropped unsaid.
    if let Some(given) = request.web_headers.first()
        && !out.iter().any(|p| matches!(p, Planned::Web { .. }))
    {
        return Err(UsageError::WebHeaderUnused(given.clone()));
    }
    if out.is_empty() {
        return Err(UsageError::NoGate {
            component: service.name.clone(),
            only: request.only,
        });
    }
    Ok(out)
}

/// `slot`'s value, resolved by `resolve` the first time.
fn cached<T: Clone>(
    slot: &mut Option<T>,
    resolve: impl FnOnce() -> Result<T, UsageError>,
) -> Result<T, UsageError> {
    if let Some(v) = slot {
        return Ok(v.clone());
    }
    let v = resolve()?;
    *slot = Some(v.clone());
    Ok(v)
}

impl Planned<'_> {
    fn gate(&self) -> Gate {
        match self {
            Planned::Functional { .. } => Gate::Functional,
            Planned::Performance { .. } => Gate::Performance,
            Planned::Metrics { .. } => Gate::Metrics,
            Planned::Web { .. } => Gate::Web,
            Planned::NotRunHere(gate) => *gate,
        }
    }
}

/// Run the chosen gates, in the order a rollout runs them. `Err`: a usage error.
pub fn run(selected: Selected, request: &Request) -> Result<Vec<GateResult>, UsageError> {
    let planned = planned(&selected, request)?;
    let ends = std::time::Instant::now() + request.deadline;
    let agent = http::agent(request.timeout, false);
    let reach = |url: &str| Target {
        url: url.to_owned(),
        agent: agent.clone(),
        timeout: request.timeout,
        ends,
    };
    let mut results = Vec::new();
    for run in planned {
        let gate = run.gate();
        if std::time::Instant::now() >= ends {
            results.push(GateResult {
                gate,
                name: gate.name().into(),
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
        match run {
            Planned::Functional { job, expected, app } => {
                results.push(functional::run(job, expected, &reach(&app)));
            }
            Planned::Performance {
                job,
                load,
                limit,
                app,
            } => results.push(performance::run(job, load, limit, &reach(&app))),
            Planned::Metrics {
                prometheus,
                base,
                namespace,
            } => {
                let args = [(crate::defs::appmod::NAMESPACE_ARG, namespace.as_str())];
                results.extend(metrics::run(prometheus, &args, &reach(&base)));
            }
            Planned::Web { web, url, headers } => {
                let mut target = reach(&url);
                if web.insecure {
                    target.agent = http::insecure_agent(request.timeout);
                }
                results.push(web::run(web, &url, &headers, &target));
            }
            Planned::NotRunHere(gate) => results.push(GateResult {
                gate,
                name: gate.name().into(),
                verdict: Verdict::Inconclusive,
                measured: format!(
                    "not run: oamc gates has no check for a {} gate",
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
    crate::text::json_without_commands(format!("{doc:#}\n"))
}
