//! appmod-service's plan: the Rollout, its Services, the gates'
//! AnalysisTemplates and the strategy's steps, with every default applied.

use super::CheckedService;
use super::props::{AppmodService, EnvVar, Strategy, TrafficRouting};
use crate::defs::gates::functional::plan_functional;
use crate::defs::gates::metrics::{MetricsInput, plan_metrics};
use crate::defs::gates::performance::{load_seconds, plan_performance};
use crate::defs::gates::web::{WebInput, plan_web};
use crate::defs::gates::{GatePlan, GateReach, Phase, SERVICE_NAME_ARG};
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

/// Where the gates send their requests, and how long their Jobs may run.
fn gate_reach(p: &AppmodService, platform: &Platform) -> GateReach {
    let path = format!("{}/", p.app_path.trim_end_matches('/'));
    // The Services the gates reach: the preview Service listens on `port`; an
    // A/B Experiment's Service listens on the containerPort itself (argo-rollouts
    // v1.9.1 `experiments/experiment.go`, `createTemplateService`: `Port:
    // port.ContainerPort`).
    let gate_port = match p.strategy {
        Strategy::AbTest => p.target_port,
        _ => p.port,
    };
    let origin = format!("http://{{{{args.{SERVICE_NAME_ARG}}}}}:{gate_port}");
    GateReach {
        target_url: format!("{origin}{path}"),
        origin,
        path,
        deadline_seconds: platform.gate_job_deadline_seconds,
    }
}

/// The configured gates, in order: functional, performance, metrics, web.
fn plan_gates(service: &CheckedService, platform: &Platform) -> Vec<GatePlan> {
    let (name, p) = (service.name.as_str(), &service.props);
    let reach = gate_reach(p, platform);
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
        // An A/B test's gates judge the canary variant; its series can be
        // told apart only by a label Prometheus carries, which the platform names.
        let variant_matcher = match (p.strategy, &platform.variant_label) {
            (Strategy::AbTest, Some(label)) => Some(format!("{label}=\"{AB_CANARY}\"")),
            _ => None,
        };
        let metrics = MetricsInput {
            gate: m,
            pause,
            intervals: &d.intervals,
            load,
            container: &p.image_name,
            variant_matcher,
            // In a canary the gate is a step of its own, after its pause.
            shared_run: !matches!(p.strategy, Strategy::Canary),
        };
        gates.push(plan_metrics(name, &metrics, platform));
    }
    let web = p.web_gate.as_ref().zip(service.web.as_ref());
    if let Some(((g, checked), (pause, interval))) = web.zip(d.web.as_ref()) {
        let web = WebInput {
            gate: g,
            checked,
            pause,
            interval,
            load: performance.map(|(_, perf)| load_seconds(perf, platform)),
            shared_run: !matches!(p.strategy, Strategy::Canary),
        };
        gates.push(plan_web(name, &web, &reach));
    }
    gates
}

/// A pause step as Argo waits it.
fn pause_step(pause: &PauseDuration) -> StepPlan {
    StepPlan::Pause {
        duration: pause.text().to_owned(),
        seconds: pause.seconds(),
        truncated: pause.truncated(),
    }
}

/// The canary ladder: the early gates (functional) after the first weight, a
/// pause after each intermediate weight, the late ones after the last.
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
    let gated = |phase: Phase, steps: &mut Vec<StepPlan>| {
        for g in gates.iter().filter(|g| g.phase == phase) {
            steps.push(pause_step(&g.pause));
            steps.push(g.step(&preview));
        }
    };
    let mut steps = Vec::new();
    for (i, &weight) in weights.iter().enumerate() {
        steps.push(StepPlan::SetWeight { weight });
        let last = i + 1 == weights.len();
        if i == 0 {
            gated(Phase::Early, &mut steps);
        } else if !last {
            steps.push(pause_step(pause));
        }
        if last {
            gated(Phase::Late, &mut steps);
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

/// Blue/green: the early gates before the switch, the late ones after it.
fn plan_blue_green(name: &str, p: &AppmodService, gates: &[GatePlan]) -> StrategyPlan {
    let preview = names::preview_service(name);
    let block = |phase: Phase| -> Option<AnalysisBlockPlan> {
        let chosen: Vec<&GatePlan> = gates.iter().filter(|g| g.phase == phase).collect();
        (!chosen.is_empty()).then(|| AnalysisBlockPlan {
            gates: chosen.iter().map(|g| g.gate).collect(),
            templates: chosen.iter().map(|g| g.template.name.clone()).collect(),
            args: chosen.iter().flat_map(|g| g.args(&preview)).collect(),
        })
    };
    let settings = &p.blue_green;
    let pre_promotion = block(Phase::Early);
    let post_promotion = block(Phase::Late);
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
