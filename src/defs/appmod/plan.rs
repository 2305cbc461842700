//! appmod-service's plan: the Rollout, its Services, the gates'
//! AnalysisTemplates and the strategy's steps, with every default applied.

use super::props::{
    AppmodService, Criterion, EnvVar, LatencyLimit, LoadTool, MetricGate, Outcome, PerformanceGate,
    QualityGate, Strategy, TrafficRouting,
};
use super::{CheckedPerformance, CheckedService};
use crate::names;
use crate::plan::*;
use crate::platform::Platform;
use std::collections::BTreeMap;

pub(crate) fn plan_service(
    service: &CheckedService,
    platform: &Platform,
    app_labels: &BTreeMap<String, String>,
) -> ServicePlan {
    let (name, p, traits) = (service.name.as_str(), &service.props, &service.traits);
    let preview = names::preview_service(name);
    let gates = plan_gates(service, platform);
    let strategy = match p.strategy {
        Strategy::Canary => {
            let pause = service.durations.canary_pause.as_ref();
            plan_canary(name, p, pause.unwrap_or(&platform.step_pause), &gates)
        }
        Strategy::BlueGreen => plan_blue_green(name, p, &gates),
        Strategy::AbTest => plan_ab_test(name, p, &service.durations.ab_duration, &gates),
    };
    let selector = BTreeMap::from([("app".to_owned(), name.to_owned())]);
    let mut labels = app_labels.clone();
    labels.extend(selector.clone());
    let mut plan = ServicePlan {
        name: name.to_owned(),
        labels,
        annotations: BTreeMap::new(),
        pod_labels: selector.clone(),
        volumes: Vec::new(),
        volume_mounts: Vec::new(),
        ingress: None,
        persistent_volume_claims: Vec::new(),
        autoscaler: None,
        selector,
        replicas: Some(p.replicas),
        revision_history_limit: platform.revision_history_limit,
        progress_deadline_seconds: p.progress_deadline_seconds,
        service_account: p.service_account.clone(),
        container: ContainerPlan {
            name: p.image_name.clone(),
            image: p.image.clone(),
            port: p.target_port,
            env: p.env.iter().map(EnvVar::plan).collect(),
            volume_mounts: Vec::new(),
            readiness_probe: p.readiness_probe.clone().map(serde_json::Value::Object),
            resources: p.resources.as_ref().map(super::props::Resources::to_json),
        },
        sidecars: Vec::new(),
        strategy,
        services: [names::service(name), preview]
            .into_iter()
            .map(|n| ServicePortPlan {
                name: n,
                port: p.port,
                target_port: p.target_port,
            })
            .collect(),
        analysis_templates: gates.into_iter().map(|g| g.template).collect(),
        pod_disruption_budget: platform.pod_disruption_budget.then(|| PdbPlan {
            name: name.to_owned(),
            max_unavailable: 1,
        }),
        zone_spread: platform.zone_spread,
        eks_pod_identity: platform.eks_pod_identity && p.service_account != "default",
    };
    // Each trait adds its part (traits/*.rs, `CheckedTrait::plan`).
    traits.plan(&mut plan);
    plan
}

const SERVICE_NAME_ARG: &str = "service-name";
/// The metrics gate's argument: the Rollout's namespace, which its queries select.
pub const NAMESPACE_ARG: &str = "namespace";

/// One configured gate: its AnalysisTemplate and how a run of it is started.
struct GatePlan {
    gate: Gate,
    pause: PauseDuration,
    template: AnalysisPlan,
}

impl GatePlan {
    /// The arguments a run of this gate needs; job gates test `target`.
    fn args(&self, target: &str) -> Vec<ArgPlan> {
        match self.gate {
            Gate::Functional | Gate::Performance => vec![ArgPlan {
                name: SERVICE_NAME_ARG.into(),
                value: Some(target.to_owned()),
                field_path: None,
            }],
            Gate::Metrics => vec![ArgPlan {
                name: NAMESPACE_ARG.into(),
                value: None,
                field_path: Some("metadata.namespace".into()),
            }],
        }
    }

    fn step(&self, target: &str) -> StepPlan {
        StepPlan::Analysis {
            gate: self.gate,
            template: self.template.name.clone(),
            args: self.args(target),
        }
    }
}

/// The configured gates, in order: functional, performance, metrics.
fn plan_gates(service: &CheckedService, platform: &Platform) -> Vec<GatePlan> {
    let (name, p) = (service.name.as_str(), &service.props);
    let reach = GateReach::of(p, platform);
    let performance = p
        .performance_gate
        .as_ref()
        .zip(service.performance.as_ref());
    // Each gate with its pause, read by the checker (one for each gate).
    let d = &service.durations;
    let mut gates = Vec::new();
    if let Some((g, pause)) = p.functional_gate.as_ref().zip(d.functional_pause.as_ref()) {
        gates.push(plan_functional(name, g, pause, &reach));
    }
    if let Some(((g, perf), pause)) = performance.zip(d.performance_pause.as_ref()) {
        gates.push(plan_performance(name, g, perf, pause, &reach, platform));
    }
    if let Some((m, pause)) = p.metrics.as_ref().zip(d.metrics_pause.as_ref()) {
        // How long a passing performance load can last: what a metrics gate
        // sharing its run waits for.
        let load = performance.map(|(_, perf)| load_seconds(perf, platform));
        let metrics = MetricsInput {
            gate: m,
            pause,
            intervals: &d.intervals,
            load,
        };
        gates.push(plan_metrics(name, p, &metrics, platform));
    }
    gates
}

/// Where a Job gate sends its requests, and how long its Job may run.
struct GateReach {
    /// appPath and one `/`, as upstream fetched it (`/java-app/`; `/` stays `/`).
    path: String,
    target_url: String,
    deadline_seconds: u32,
}

impl GateReach {
    fn of(p: &AppmodService, platform: &Platform) -> GateReach {
        let path = format!("{}/", p.app_path.trim_end_matches('/'));
        // The Services the gates reach: the preview Service listens on `port`; an
        // A/B Experiment's Service listens on the containerPort itself (argo-rollouts
        // v1.9.1 `experiments/experiment.go`, `createTemplateService`: `Port:
        // port.ContainerPort`).
        let gate_port = match p.strategy {
            Strategy::AbTest => p.target_port,
            _ => p.port,
        };
        GateReach {
            target_url: format!("http://{{{{args.{SERVICE_NAME_ARG}}}}}:{gate_port}{path}"),
            path,
            deadline_seconds: platform.gate_job_deadline_seconds,
        }
    }

    fn job(&self, image: &str) -> JobPlan {
        JobPlan {
            image: image.to_owned(),
            target_url: self.target_url.clone(),
            path: self.path.clone(),
            deadline_seconds: self.deadline_seconds,
        }
    }
}

fn plan_functional(
    name: &str,
    g: &QualityGate,
    pause: &PauseDuration,
    reach: &GateReach,
) -> GatePlan {
    let path = &reach.path;
    let expected = g.extra_args.text();
    let summary = if expected.is_empty() {
        format!("GET {path} must answer with a 2xx status")
    } else {
        format!(
            "GET {path} must answer with a 2xx status and match the basic regular expression {expected:?}"
        )
    };
    GatePlan {
        gate: Gate::Functional,
        pause: pause.clone(),
        template: AnalysisPlan {
            name: names::functional_template(name),
            summary,
            args: vec![SERVICE_NAME_ARG.into()],
            check: GateCheck::Functional {
                job: reach.job(&g.image),
                expected_text: expected,
            },
        },
    }
}

/// The longest a passing performance load lasts, in seconds, and why.
fn load_seconds(perf: &CheckedPerformance, platform: &Platform) -> (u64, &'static str) {
    match (perf.tool, perf.limit) {
        // Artillery's schedule is fixed.
        (LoadTool::Artillery, _) => {
            let a = arrivals(platform);
            (
                u64::from(a.warm_up_seconds + a.sustained_seconds),
                "Artillery's schedule",
            )
        }
        // ab passes only if its "Time per request" (concurrency x wall /
        // requests) is below the limit: so its wall time is below
        // requests x limit / concurrency.
        (LoadTool::Ab, Some(limit)) => (
            (f64::from(platform.load_requests) * limit.ms()
                / f64::from(platform.load_concurrency.max(1))
                / 1000.0)
                .ceil() as u64,
            "the longest ab can take and pass",
        ),
        // No limit: only the Job's deadline bounds it.
        (LoadTool::Ab, None) => (
            u64::from(platform.gate_job_deadline_seconds),
            "the performance Job's deadline",
        ),
    }
}

fn plan_performance(
    name: &str,
    g: &PerformanceGate,
    perf: &CheckedPerformance,
    pause: &PauseDuration,
    reach: &GateReach,
    platform: &Platform,
) -> GatePlan {
    // Which tool, and why: written, implied by the image, or the default.
    let tool = match (perf.tool, perf.tool_written) {
        (LoadTool::Ab, true) => "ab",
        (LoadTool::Ab, false) => "ab (the default tool)",
        (LoadTool::Artillery, true) => "Artillery",
        (LoadTool::Artillery, false) => "Artillery (implied by the image)",
    };
    let (load, load_text) = match perf.tool {
        LoadTool::Ab => (
            LoadPlan::Ab {
                requests: platform.load_requests,
                concurrency: platform.load_concurrency,
            },
            format!(
                "{} requests, {} at a time",
                platform.load_requests, platform.load_concurrency
            ),
        ),
        LoadTool::Artillery => {
            let a = arrivals(platform);
            (
                LoadPlan::Artillery {
                    arrivals: a,
                    config: artillery_config(&reach.target_url, perf.limit, a),
                },
                format!(
                    "{} s ramping up to {} requests/s, then {} s at {}/s",
                    a.warm_up_seconds, a.rate, a.sustained_seconds, a.rate
                ),
            )
        }
    };
    let limit = match perf.limit {
        Some(ms) => format!("mean latency below {ms} ms"),
        None => "no latency limit (extraArgs is empty)".to_owned(),
    };
    let path = &reach.path;
    GatePlan {
        gate: Gate::Performance,
        pause: pause.clone(),
        template: AnalysisPlan {
            name: names::performance_template(name),
            summary: format!(
                "{tool}: {load_text} against GET {path}; no failed or non-2xx request; {limit}"
            ),
            args: vec![SERVICE_NAME_ARG.into()],
            check: GateCheck::Performance {
                job: reach.job(&g.image),
                load,
                limit: perf.limit,
            },
        },
    }
}

/// The metrics gate as the checker read it: its pause and each criterion's
/// interval typed, and the performance load it may share a run with.
struct MetricsInput<'a> {
    gate: &'a MetricGate,
    pause: &'a PauseDuration,
    /// One per criterion, in order.
    intervals: &'a [GoDuration],
    /// How long a passing load beside it lasts, and why.
    load: Option<(u64, &'static str)>,
}

fn plan_metrics(
    name: &str,
    p: &AppmodService,
    input: &MetricsInput,
    platform: &Platform,
) -> GatePlan {
    let (m, load) = (input.gate, input.load);
    let mut selector = format!(
        "{}=\"{}\", namespace=\"{{{{args.{NAMESPACE_ARG}}}}}\"",
        platform.container_label, p.image_name
    );
    // An A/B test's gates judge the canary variant; its series can be told
    // apart only by a label Prometheus carries, which the platform names.
    let variant_matcher = match (p.strategy, &platform.variant_label) {
        (Strategy::AbTest, Some(label)) => Some(format!("{label}=\"{AB_CANARY}\"")),
        _ => None,
    };
    if let Some(matcher) = &variant_matcher {
        selector.push_str(", ");
        selector.push_str(matcher);
    }
    // In a blue-green post-promotion run and in an A/B Experiment the
    // metrics gate starts with the other gates (argo-rollouts v1.9.1
    // `analysis/analysis.go`, `generateMetricTasks`: every metric of a run
    // is due at once; an Experiment starts all its analyses together), so
    // without a delay it reads before the load and the traffic. In a
    // canary it is a step of its own, after its pause.
    // It waits its pause and, when the performance gate runs beside it,
    // the longest a passing load lasts: it then reads what the load did.
    let shared = !matches!(p.strategy, Strategy::Canary);
    let initial_delay = shared.then(|| {
        // The whole seconds Argo waits for the pause, written as a Go duration.
        let seconds = input
            .pause
            .seconds()
            .saturating_add(load.map_or(0, |(seconds, _)| seconds));
        GoDuration::new(format!("{seconds}s"), seconds.saturating_mul(1_000_000_000))
    });
    let metrics: Vec<MetricPlan> = m
        .evaluation_criteria
        .iter()
        .zip(input.intervals)
        .enumerate()
        .map(|(i, (c, interval))| MetricPlan {
            initial_delay: initial_delay.clone(),
            ..metric_plan(i, c, interval, &selector)
        })
        .collect();
    let when = match (&initial_delay, load) {
        (Some(delay), Some((seconds, why))) => format!(
            "starts with the other gates of its run and first reads Prometheus {delay} after: metrics.pause ({}) plus {seconds}s, {why}; ",
            m.pause
        ),
        (Some(delay), None) => format!(
            "starts with the other gates of its run and first reads Prometheus {delay} after (metrics.pause); "
        ),
        (None, _) => String::new(),
    };
    GatePlan {
        gate: Gate::Metrics,
        pause: input.pause.clone(),
        template: AnalysisPlan {
            name: names::metrics_template(name),
            summary: when
                + &metrics
                    .iter()
                    .map(|m| m.summary.as_str())
                    .collect::<Vec<_>>()
                    .join("; "),
            args: vec![NAMESPACE_ARG.into()],
            check: GateCheck::Metrics(PrometheusPlan {
                variant_matcher,
                address: platform.prometheus_address.clone(),
                sigv4_region: platform.prometheus_sigv4_region.clone(),
                metrics,
            }),
        },
    }
}

/// A pause step as Argo waits it.
fn pause_step(pause: &PauseDuration) -> StepPlan {
    StepPlan::Pause {
        duration: pause.text().to_owned(),
        seconds: pause.seconds(),
        truncated: pause.truncated(),
    }
}

/// The canary ladder: the functional gate after the first weight, a pause
/// after each intermediate weight, the performance and metrics gates after the last.
/// `pause`: between intermediate weights (the platform's when unset).
fn plan_canary(
    name: &str,
    p: &AppmodService,
    pause: &PauseDuration,
    gates: &[GatePlan],
) -> StrategyPlan {
    let preview = names::preview_service(name);
    let settings = &p.canary;
    let weights: Vec<u32> = settings.steps.iter().map(|w| w.0).collect();
    let gated = |gate: Gate, steps: &mut Vec<StepPlan>| {
        for g in gates.iter().filter(|g| g.gate == gate) {
            steps.push(pause_step(&g.pause));
            steps.push(g.step(&preview));
        }
    };
    let mut steps = Vec::new();
    for (i, &weight) in weights.iter().enumerate() {
        steps.push(StepPlan::SetWeight { weight });
        let last = i + 1 == weights.len();
        if i == 0 {
            gated(Gate::Functional, &mut steps);
        } else if !last {
            steps.push(pause_step(pause));
        }
        if last {
            gated(Gate::Performance, &mut steps);
            gated(Gate::Metrics, &mut steps);
        }
    }
    let routing = settings.traffic_routing.as_ref();
    StrategyPlan::Canary {
        canary_service: preview,
        // With a router, Argo Rollouts needs both Services and splits between them;
        // without one, `<name>` must select every pod (see README).
        stable_service: routing.map(|_| names::service(name)),
        traffic_routing: routing.map(|r| plan_routing(r, p.port)),
        steps,
    }
}

fn plan_routing(r: &TrafficRouting, port: u32) -> TrafficRoutingPlan {
    TrafficRoutingPlan {
        nginx_stable_ingress: r.nginx.as_ref().map(|n| n.stable_ingress.clone()),
        alb: r.alb.as_ref().map(|a| AlbPlan {
            ingress: a.ingress.clone(),
            service_port: a.service_port.unwrap_or(port),
        }),
        istio: r.istio.as_ref().map(|i| IstioPlan {
            virtual_service: i.virtual_service.clone(),
            routes: i.routes.clone(),
        }),
        gateway_api: r.gateway_api.as_ref().map(|g| GatewayApiPlan {
            http_route: g.http_route.clone(),
            namespace: g.namespace.clone(),
        }),
    }
}

/// Blue/green: the functional gate before the switch, performance and metrics after it.
fn plan_blue_green(name: &str, p: &AppmodService, gates: &[GatePlan]) -> StrategyPlan {
    let preview = names::preview_service(name);
    let block = |wanted: &[Gate]| -> Option<AnalysisBlockPlan> {
        let chosen: Vec<&GatePlan> = gates.iter().filter(|g| wanted.contains(&g.gate)).collect();
        (!chosen.is_empty()).then(|| AnalysisBlockPlan {
            gates: chosen.iter().map(|g| g.gate).collect(),
            templates: chosen.iter().map(|g| g.template.name.clone()).collect(),
            args: chosen.iter().flat_map(|g| g.args(&preview)).collect(),
        })
    };
    let settings = &p.blue_green;
    let pre_promotion = block(&[Gate::Functional]);
    let post_promotion = block(&[Gate::Performance, Gate::Metrics]);
    StrategyPlan::BlueGreen {
        active_service: names::service(name),
        preview_service: preview,
        auto_promotion_enabled: settings.auto_promotion_enabled,
        scale_down_delay_seconds: settings.scale_down_delay_seconds,
        preview_replica_count: settings.preview_replica_count,
        pre_promotion,
        post_promotion,
    }
}

/// A/B: an Experiment runs the stable and the new version side by side, each
/// with its own Service, while every gate analyses the new one.
fn plan_ab_test(
    name: &str,
    p: &AppmodService,
    duration: &GoDuration,
    gates: &[GatePlan],
) -> StrategyPlan {
    let settings = &p.ab_test;
    let [(_, stable_svc), (_, canary_svc)] = names::ab_variant_services(name);
    let variant = |variant: &str, service: String| ExperimentTemplatePlan {
        name: variant.to_owned(),
        spec_ref: variant.to_owned(),
        replicas: settings.replicas,
        service,
        labels: BTreeMap::from([(AB_VARIANT_LABEL.to_owned(), variant.to_owned())]),
    };
    let analyses = gates
        .iter()
        .map(|g| ExperimentAnalysisPlan {
            name: g.template.name.clone(),
            gate: g.gate,
            template: g.template.name.clone(),
            args: g.args(&canary_svc),
        })
        .collect();
    StrategyPlan::AbTest {
        canary_service: names::preview_service(name),
        duration: duration.clone(),
        variants: vec![
            variant("stable", stable_svc),
            variant(AB_CANARY, canary_svc),
        ],
        analyses,
    }
}

/// Pod label telling the two A/B variants apart in metrics.
pub const AB_VARIANT_LABEL: &str = "ab-variant";
/// The A/B variant that runs the new version.
pub const AB_CANARY: &str = "canary";

/// Metric names PromQL's grammar reads as something else before `{` (its
/// `metric_identifier` rule admits other keywords, not these); compared
/// without case, as PromQL's lexer does. Such a series is selected by
/// `{__name__="…"}`, which names any metric (tests/it/promql_grammar.rs).
const NOT_METRIC_IDENTIFIERS: &[&str] = &[
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "bool",
    "atan2",
    "inf",
    "nan",
];

/// One Prometheus measurement per criterion; `MetricJudge` writes its conditions.
fn metric_plan(index: usize, c: &Criterion, interval: &GoDuration, selector: &str) -> MetricPlan {
    let keyword = NOT_METRIC_IDENTIFIERS
        .iter()
        .any(|k| k.eq_ignore_ascii_case(&c.metric));
    let series = if keyword {
        format!("{{__name__=\"{}\", {selector}}}", c.metric)
    } else {
        format!("{}{{{selector}}}", c.metric)
    };
    let inner = match &c.rate_interval {
        Some(ri) => format!("rate({series}[{ri}])"),
        None => series,
    };
    let query = match c.function {
        Some(f) => format!("{}({inner})", f.as_str()),
        None => inner,
    };
    let judge = MetricJudge {
        comparison: c.comparison_type,
        threshold: c.threshold.clone(),
        outcome: c.success_or_fail_condition,
        every_series: c.function.is_none(),
    };
    let mut shown = c.metric.clone();
    if let Some(ri) = &c.rate_interval {
        shown = format!("rate({shown}[{ri}])");
    }
    match c.function {
        Some(f) => shown = format!("{}({shown})", f.as_str()),
        None => shown = format!("every series of {shown}"),
    }
    let verdict = match c.success_or_fail_condition {
        Outcome::Success => "passes",
        Outcome::Fail => "fails the rollout",
    };
    let summary = format!(
        "{shown} {} {} {verdict} ({} x every {})",
        c.comparison_type.as_str(),
        c.threshold,
        c.count,
        interval
    );
    MetricPlan {
        name: format!("m{index}"),
        initial_delay: None,
        summary,
        interval: interval.clone(),
        count: c.count,
        query,
        success_condition: judge.success_condition(),
        failure_condition: judge.failure_condition(),
        judge,
    }
}

/// Artillery's phases: a warm-up ramp, then a sustained rate that sends about
/// as many requests as `ab` does (`load_requests` over the sustained phase).
const ARTILLERY_WARM_UP_S: u32 = 5;
const ARTILLERY_SUSTAINED_S: u32 = 10;

fn arrivals(platform: &Platform) -> ArrivalPlan {
    ArrivalPlan {
        warm_up_seconds: ARTILLERY_WARM_UP_S,
        sustained_seconds: ARTILLERY_SUSTAINED_S,
        rate: platform
            .load_requests
            .div_ceil(ARTILLERY_SUSTAINED_S)
            .max(1),
    }
}

/// The Artillery script of the performance gate, as JSON (which Artillery
/// reads as YAML). It reaches the Job as data in an environment variable:
/// every user value in it is a JSON string or number, never script text.
fn artillery_config(target_url: &str, limit: Option<LatencyLimit>, a: ArrivalPlan) -> String {
    let rate = a.rate;
    let mut ensure = serde_json::json!({ "maxErrorRate": 0 });
    if let Some(ms) = limit {
        // A whole number as an integer (`160`, not `160.0`), as a person writes it.
        let ms = match ms.ms() {
            whole if whole.fract() == 0.0 && whole < 1e15 => serde_json::json!(whole as u64),
            fraction => serde_json::json!(fraction),
        };
        ensure["thresholds"] = serde_json::json!([{ "http.response_time.mean": ms }]);
    }
    let success: Vec<u16> = vec![200, 201, 202, 203, 204, 205, 206, 207, 208, 226];
    serde_json::json!({
        "config": {
            "target": target_url,
            "phases": [
                { "name": "warm-up", "duration": a.warm_up_seconds, "arrivalRate": 1, "rampTo": rate },
                { "name": "sustained", "duration": a.sustained_seconds, "arrivalRate": rate },
            ],
            "http": { "timeout": 10 },
            // A non-2xx answer fails its virtual user, so `maxErrorRate: 0` catches it.
            "plugins": {
                "ensure": {},
                "expect": { "reportFailuresAsErrors": true, "outputFormat": "silent" },
            },
            "ensure": ensure,
        },
        "scenarios": [{
            "name": "performance gate",
            "flow": [{ "get": { "url": target_url, "expect": [{ "statusCode": success }] } }],
        }],
    })
    .to_string()
}
