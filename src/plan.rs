//! Plan: one resolved model of everything to emit. Defaults are applied,
//! names derived, steps and gates laid out here and nowhere else; templates
//! only format this model, and `plan` output (later) reads it too.

use crate::check::CheckedApp;
use crate::check::traits::{Autoscaler, CheckedTraits, HpaTarget, Ingress};
use crate::model::{AppmodService, Criterion, EnvVar, Outcome, Storage, Strategy, TrafficRouting};
use crate::names;
use crate::platform::Platform;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize)]
pub struct AppPlan {
    pub name: String,
    /// `metadata.namespace` of the Application, else `--namespace`, else none.
    pub namespace: Option<String>,
    /// Labels every emitted object carries (never used in selectors).
    pub labels: BTreeMap<String, String>,
    pub services: Vec<ServicePlan>,
    /// The Kargo pipeline, when the Application has a `kargo-promotion` policy.
    pub promotion: Option<PromotionPlan>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServicePlan {
    pub name: String,
    /// Metadata labels of every object of this service: the app's, the selector, the `labels` trait's.
    pub labels: BTreeMap<String, String>,
    /// Metadata annotations of every object of this service (the `annotations` trait).
    pub annotations: BTreeMap<String, String>,
    /// Pod template labels: the selector plus the `labels` trait's.
    pub pod_labels: BTreeMap<String, String>,
    pub volumes: Vec<VolumePlan>,
    pub volume_mounts: Vec<VolumeMountPlan>,
    pub ingress: Option<IngressPlan>,
    pub persistent_volume_claims: Vec<PvcPlan>,
    pub autoscaler: Option<HpaPlan>,
    /// Pod labels; the Rollout selector and both Services select exactly these.
    pub selector: BTreeMap<String, String>,
    /// None when an autoscaler owns the replica count.
    pub replicas: Option<u32>,
    pub revision_history_limit: u32,
    pub progress_deadline_seconds: u32,
    pub service_account: String,
    pub container: ContainerPlan,
    pub strategy: StrategyPlan,
    pub services: Vec<ServicePortPlan>,
    pub analysis_templates: Vec<AnalysisPlan>,
    pub pod_disruption_budget: Option<PdbPlan>,
    pub zone_spread: bool,
    pub eks_pod_identity: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct VolumePlan {
    pub name: String,
    /// `persistentVolumeClaim`, `configMap`, `secret` or `emptyDir`.
    pub kind: &'static str,
    /// The claim, ConfigMap or Secret it refers to.
    pub source: Option<String>,
    pub default_mode: Option<u32>,
    pub medium: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct VolumeMountPlan {
    pub name: String,
    pub mount_path: String,
    pub sub_path: Option<String>,
    pub read_only: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct IngressPlan {
    pub name: String,
    pub class: String,
    pub host: String,
    pub annotations: BTreeMap<String, String>,
    pub paths: Vec<IngressPathPlan>,
    pub service: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct IngressPathPlan {
    /// As the user wrote it, for `oamc plan`.
    pub prefix: String,
    /// As the Ingress matches it.
    pub path: String,
    pub port: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct PvcPlan {
    pub name: String,
    pub access_modes: Vec<crate::model::AccessMode>,
    pub storage_class_name: Option<String>,
    pub size: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct HpaPlan {
    pub name: String,
    pub min: u32,
    pub max: u32,
    pub metrics: Vec<HpaMetricPlan>,
}

#[derive(Debug, Clone, Serialize)]
pub struct HpaMetricPlan {
    /// `cpu` or `memory`.
    pub resource: &'static str,
    /// `Utilization` (percent) or `AverageValue` (quantity).
    pub target_type: &'static str,
    pub utilization: Option<u64>,
    pub average_value: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ContainerPlan {
    pub name: String,
    pub image: String,
    pub port: u32,
    pub env: Vec<EnvVar>,
    pub volume_mounts: Vec<VolumeMountPlan>,
    pub readiness_probe: Option<serde_json::Value>,
    pub resources: Option<serde_json::Value>,
}

/// How the Rollout replaces the old version.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum StrategyPlan {
    Canary {
        canary_service: String,
        /// Set only with a traffic router.
        stable_service: Option<String>,
        traffic_routing: Option<TrafficRoutingPlan>,
        steps: Vec<StepPlan>,
    },
    BlueGreen {
        active_service: String,
        preview_service: String,
        auto_promotion_enabled: bool,
        scale_down_delay_seconds: u32,
        preview_replica_count: Option<u32>,
        pre_promotion: Option<AnalysisBlockPlan>,
        post_promotion: Option<AnalysisBlockPlan>,
    },
}

/// Several gates' templates run as one analysis.
#[derive(Debug, Clone, Serialize)]
pub struct AnalysisBlockPlan {
    pub gates: Vec<Gate>,
    pub templates: Vec<String>,
    pub args: Vec<ArgPlan>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct TrafficRoutingPlan {
    pub nginx_stable_ingress: Option<String>,
    pub alb: Option<AlbPlan>,
    pub istio: Option<IstioPlan>,
    pub gateway_api: Option<GatewayApiPlan>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AlbPlan {
    pub ingress: String,
    pub service_port: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct IstioPlan {
    pub virtual_service: String,
    pub routes: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct GatewayApiPlan {
    pub http_route: String,
    pub namespace: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum StepPlan {
    SetWeight {
        weight: u32,
    },
    Pause {
        duration: String,
    },
    Analysis {
        gate: Gate,
        template: String,
        args: Vec<ArgPlan>,
    },
    Experiment {
        duration: String,
        templates: Vec<ExperimentTemplatePlan>,
        analyses: Vec<ExperimentAnalysisPlan>,
    },
}

#[derive(Debug, Clone, Serialize)]
pub struct ExperimentTemplatePlan {
    pub name: String,
    pub spec_ref: String,
    pub replicas: u32,
    pub service: String,
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExperimentAnalysisPlan {
    pub name: String,
    pub gate: Gate,
    pub template: String,
    pub args: Vec<ArgPlan>,
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum Gate {
    Functional,
    Performance,
    Metrics,
}

impl Gate {
    /// The template that formats this gate's AnalysisTemplate.
    pub fn template_file(self) -> &'static str {
        match self {
            Gate::Functional => "analysistemplate-functional.yaml",
            Gate::Performance => "analysistemplate-performance.yaml",
            Gate::Metrics => "analysistemplate-metrics.yaml",
        }
    }
}

/// An argument a Rollout step passes to an AnalysisTemplate: a literal, or a
/// field of the Rollout.
#[derive(Debug, Clone, Serialize)]
pub struct ArgPlan {
    pub name: String,
    pub value: Option<String>,
    pub field_path: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServicePortPlan {
    pub name: String,
    pub port: u32,
    pub target_port: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct PdbPlan {
    pub name: String,
    pub max_unavailable: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct AnalysisPlan {
    pub name: String,
    pub gate: Gate,
    /// What the gate checks, in words (for `oamc plan`).
    pub summary: String,
    /// Arguments the template declares; the Rollout step supplies each.
    pub args: Vec<String>,
    pub job: Option<JobGatePlan>,
    pub prometheus: Option<PrometheusPlan>,
}

/// A gate that runs a container against the preview Service.
#[derive(Debug, Clone, Serialize)]
pub struct JobGatePlan {
    pub image: String,
    /// URL of the new version, with the preview Service as an analysis argument.
    pub target_url: String,
    /// Functional gate: text the response must contain.
    pub expected_text: Option<String>,
    /// Performance gate: highest acceptable mean latency (ms), and the load.
    pub max_mean_latency_ms: Option<String>,
    pub requests: u32,
    pub concurrency: u32,
    pub deadline_seconds: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct PrometheusPlan {
    pub address: String,
    pub sigv4_region: Option<String>,
    pub metrics: Vec<MetricPlan>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MetricPlan {
    pub name: String,
    /// The criterion in words, e.g. `avg(latency) > 3 fails the rollout`.
    pub summary: String,
    pub interval: String,
    pub count: u32,
    pub query: String,
    pub success_condition: String,
    pub failure_condition: String,
}

const SERVICE_NAME_ARG: &str = "service-name";
const NAMESPACE_ARG: &str = "namespace";

pub fn plan_app(
    checked: &CheckedApp,
    default_namespace: Option<&str>,
    platform: &Platform,
) -> AppPlan {
    let app = &checked.app;
    let labels = BTreeMap::from([
        ("app.kubernetes.io/managed-by".to_owned(), "oamc".to_owned()),
        (
            "app.kubernetes.io/part-of".to_owned(),
            app.metadata.name.clone(),
        ),
    ]);
    let services = checked
        .services
        .iter()
        .map(|s| plan_service(&s.name, &s.props, &s.traits, platform, &labels))
        .collect();
    AppPlan {
        name: app.metadata.name.clone(),
        namespace: app
            .metadata
            .namespace
            .clone()
            .or_else(|| default_namespace.map(str::to_owned)),
        promotion: checked
            .promotion
            .as_ref()
            .map(|p| plan_promotion(&app.metadata.name, p)),
        labels,
        services,
    }
}

fn plan_service(
    name: &str,
    p: &AppmodService,
    traits: &CheckedTraits,
    platform: &Platform,
    app_labels: &BTreeMap<String, String>,
) -> ServicePlan {
    let preview = names::preview_service(name);
    let gates = plan_gates(name, p, platform);
    let strategy = match p.strategy {
        Strategy::Canary => plan_canary(name, p, platform, &gates),
        Strategy::BlueGreen => plan_blue_green(name, p, &gates),
        Strategy::AbTest => plan_ab_test(name, p, &gates),
    };
    let selector = BTreeMap::from([("app".to_owned(), name.to_owned())]);
    let mut labels = app_labels.clone();
    labels.extend(traits.labels.clone());
    labels.extend(selector.clone());
    let mut pod_labels = traits.labels.clone();
    pod_labels.extend(selector.clone());
    let (volumes, volume_mounts, persistent_volume_claims) = plan_storage(&traits.storage);
    let autoscaler = traits.autoscaler.as_ref().map(|a| plan_autoscaler(name, a));
    let replicas = match (&autoscaler, &traits.scaler) {
        (Some(_), _) => None,
        (None, Some(scaler)) => Some(scaler.replicas),
        (None, None) => Some(p.replicas),
    };
    ServicePlan {
        name: name.to_owned(),
        labels,
        annotations: traits.annotations.clone(),
        pod_labels,
        volumes,
        volume_mounts: volume_mounts.clone(),
        ingress: traits.ingress.as_ref().map(|i| plan_ingress(name, i)),
        persistent_volume_claims,
        autoscaler,
        selector,
        replicas,
        revision_history_limit: platform.revision_history_limit,
        progress_deadline_seconds: p.progress_deadline_seconds,
        service_account: p.service_account.clone(),
        container: ContainerPlan {
            name: p.image_name.clone(),
            image: p.image.clone(),
            port: p.target_port,
            env: p.env.clone(),
            volume_mounts,
            readiness_probe: p.readiness_probe.clone().map(serde_json::Value::Object),
            resources: p
                .resources
                .as_ref()
                .and_then(|r| serde_json::to_value(r).ok()),
        },
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
    }
}

fn plan_storage(storage: &[Storage]) -> (Vec<VolumePlan>, Vec<VolumeMountPlan>, Vec<PvcPlan>) {
    let mut volumes = Vec::new();
    let mut mounts = Vec::new();
    let mut claims = Vec::new();
    let mut mount = |name: &str, mount_path: &str, sub_path: &Option<String>, read_only: bool| {
        mounts.push(VolumeMountPlan {
            name: name.to_owned(),
            mount_path: mount_path.to_owned(),
            sub_path: sub_path.clone(),
            read_only,
        })
    };
    for s in storage {
        for v in &s.pvc {
            let claim = v.claim_name.clone().unwrap_or_else(|| v.name.clone());
            volumes.push(VolumePlan {
                name: v.name.clone(),
                kind: "persistentVolumeClaim",
                source: Some(claim.clone()),
                default_mode: None,
                medium: None,
            });
            mount(&v.name, &v.mount_path, &v.sub_path, v.read_only);
            if !v.mount_only {
                claims.push(PvcPlan {
                    name: claim,
                    access_modes: v.access_modes.clone(),
                    storage_class_name: v.storage_class_name.clone(),
                    size: v.size.clone(),
                });
            }
        }
        for v in &s.config_map {
            let source = v.cm_name.clone().unwrap_or_else(|| v.name.clone());
            volumes.push(VolumePlan {
                name: v.name.clone(),
                kind: "configMap",
                source: Some(source),
                default_mode: v.default_mode,
                medium: None,
            });
            mount(&v.name, &v.mount_path, &v.sub_path, v.read_only);
        }
        for v in &s.secret {
            let source = v.secret_name.clone().unwrap_or_else(|| v.name.clone());
            volumes.push(VolumePlan {
                name: v.name.clone(),
                kind: "secret",
                source: Some(source),
                default_mode: v.default_mode,
                medium: None,
            });
            mount(&v.name, &v.mount_path, &v.sub_path, v.read_only);
        }
        for v in &s.empty_dir {
            volumes.push(VolumePlan {
                name: v.name.clone(),
                kind: "emptyDir",
                source: None,
                default_mode: None,
                medium: v.medium.clone(),
            });
            mount(&v.name, &v.mount_path, &v.sub_path, false);
        }
    }
    (volumes, mounts, claims)
}

/// The Ingress of an ingress trait: always to the all-pods Service `<name>`, never the preview.
fn plan_ingress(name: &str, ingress: &Ingress) -> IngressPlan {
    let (host, paths) = ingress.host_and_paths();
    let (class, annotations, regex) = match ingress {
        Ingress::Nginx(i) => {
            let mut a = BTreeMap::from([(
                "nginx.ingress.kubernetes.io/use-regex".to_owned(),
                "true".to_owned(),
            )]);
            if i.rewrite_path {
                a.insert(
                    "nginx.ingress.kubernetes.io/rewrite-target".into(),
                    "/$2".into(),
                );
            }
            (i.class.clone(), a, true)
        }
        Ingress::Alb(i) => {
            let a = BTreeMap::from([
                (
                    "alb.ingress.kubernetes.io/target-type".to_owned(),
                    i.target_type.clone(),
                ),
                (
                    "alb.ingress.kubernetes.io/scheme".to_owned(),
                    i.scheme.as_str().to_owned(),
                ),
                (
                    "alb.ingress.kubernetes.io/group.name".to_owned(),
                    i.scheme.as_str().to_owned(),
                ),
            ]);
            (i.class.clone(), a, false)
        }
    };
    IngressPlan {
        name: name.to_owned(),
        class,
        host: host.to_owned(),
        annotations,
        paths: paths
            .iter()
            .map(|(prefix, port)| IngressPathPlan {
                prefix: prefix.clone(),
                // NGINX regex: the prefix, then `/` or the end, then the rest (captured as $2).
                path: if regex {
                    format!("{prefix}(/|$)(.*)")
                } else {
                    prefix.clone()
                },
                port: *port,
            })
            .collect(),
        service: names::service(name),
    }
}

fn plan_autoscaler(name: &str, a: &Autoscaler) -> HpaPlan {
    let metric = |resource: &'static str, t: &HpaTarget| match t {
        HpaTarget::Utilization(percent) => HpaMetricPlan {
            resource,
            target_type: "Utilization",
            utilization: Some(u64::from(*percent)),
            average_value: None,
        },
        HpaTarget::AverageValue(quantity) => HpaMetricPlan {
            resource,
            target_type: "AverageValue",
            utilization: None,
            average_value: Some(quantity.clone()),
        },
    };
    match a {
        Autoscaler::Hpa(h) => HpaPlan {
            name: name.to_owned(),
            min: h.min,
            max: h.max,
            metrics: h
                .cpu
                .iter()
                .map(|t| metric("cpu", t))
                .chain(h.mem.iter().map(|t| metric("memory", t)))
                .collect(),
        },
        Autoscaler::Cpu(c) => HpaPlan {
            name: name.to_owned(),
            min: c.min,
            max: c.max,
            metrics: vec![HpaMetricPlan {
                resource: "cpu",
                target_type: "Utilization",
                utilization: Some(u64::from(c.cpu_util)),
                average_value: None,
            }],
        },
    }
}

/// One configured gate: its AnalysisTemplate and how a run of it is started.
struct GatePlan {
    gate: Gate,
    pause: String,
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
fn plan_gates(name: &str, p: &AppmodService, platform: &Platform) -> Vec<GatePlan> {
    let target_url = format!(
        "http://{{{{args.{SERVICE_NAME_ARG}}}}}:{}{}",
        p.port, p.app_path
    );
    let job = |image: &str| JobGatePlan {
        image: image.to_owned(),
        target_url: target_url.clone(),
        expected_text: None,
        max_mean_latency_ms: None,
        requests: platform.load_requests,
        concurrency: platform.load_concurrency,
        deadline_seconds: platform.gate_job_deadline_seconds,
    };
    let mut gates = Vec::new();
    if let Some(g) = &p.functional_gate {
        let expected = g.extra_args.text();
        gates.push(GatePlan {
            gate: Gate::Functional,
            pause: g.pause.clone(),
            template: AnalysisPlan {
                name: names::functional_template(name),
                gate: Gate::Functional,
                summary: format!("GET {} must contain {:?}", p.app_path, expected),
                args: vec![SERVICE_NAME_ARG.into()],
                job: Some(JobGatePlan {
                    expected_text: Some(expected),
                    ..job(&g.image)
                }),
                prometheus: None,
            },
        });
    }
    if let Some(g) = &p.performance_gate {
        let limit = g.extra_args.text().trim().to_owned();
        gates.push(GatePlan {
            gate: Gate::Performance,
            pause: g.pause.clone(),
            template: AnalysisPlan {
                name: names::performance_template(name),
                gate: Gate::Performance,
                summary: format!(
                    "mean latency of {} requests ({} at a time) to {} at most {limit} ms",
                    platform.load_requests, platform.load_concurrency, p.app_path
                ),
                args: vec![SERVICE_NAME_ARG.into()],
                job: Some(JobGatePlan {
                    max_mean_latency_ms: Some(limit),
                    ..job(&g.image)
                }),
                prometheus: None,
            },
        });
    }
    if let Some(m) = &p.metrics {
        let selector = format!(
            "{}=\"{}\", namespace=\"{{{{args.{NAMESPACE_ARG}}}}}\"",
            platform.container_label, p.image_name
        );
        let metrics: Vec<MetricPlan> = m
            .evaluation_criteria
            .iter()
            .enumerate()
            .map(|(i, c)| metric_plan(i, c, &selector))
            .collect();
        gates.push(GatePlan {
            gate: Gate::Metrics,
            pause: m.pause.clone(),
            template: AnalysisPlan {
                name: names::metrics_template(name),
                gate: Gate::Metrics,
                summary: metrics
                    .iter()
                    .map(|m| m.summary.as_str())
                    .collect::<Vec<_>>()
                    .join("; "),
                args: vec![NAMESPACE_ARG.into()],
                job: None,
                prometheus: Some(PrometheusPlan {
                    address: platform.prometheus_address.clone(),
                    sigv4_region: platform.prometheus_sigv4_region.clone(),
                    metrics,
                }),
            },
        });
    }
    gates
}

/// The canary ladder: the functional gate after the first weight, a pause
/// after each intermediate weight, the performance and metrics gates after the last.
fn plan_canary(
    name: &str,
    p: &AppmodService,
    platform: &Platform,
    gates: &[GatePlan],
) -> StrategyPlan {
    let preview = names::preview_service(name);
    let settings = p.canary.as_ref();
    let weights: Vec<u32> = settings
        .and_then(|c| c.steps.as_ref())
        .map(|w| w.iter().map(|w| w.0).collect())
        .unwrap_or_else(|| vec![20, 40, 60, 80]);
    let pause = settings
        .and_then(|c| c.pause.clone())
        .unwrap_or_else(|| platform.step_pause.clone());
    let gated = |gate: Gate, steps: &mut Vec<StepPlan>| {
        for g in gates.iter().filter(|g| g.gate == gate) {
            steps.push(StepPlan::Pause {
                duration: g.pause.clone(),
            });
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
            steps.push(StepPlan::Pause {
                duration: pause.clone(),
            });
        }
        if last {
            gated(Gate::Performance, &mut steps);
            gated(Gate::Metrics, &mut steps);
        }
    }
    let routing = settings.and_then(|c| c.traffic_routing.as_ref());
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
    let settings = p
        .blue_green
        .clone()
        .unwrap_or(crate::model::BlueGreenSettings {
            auto_promotion_enabled: true,
            scale_down_delay_seconds: crate::model::defaults::scale_down_delay_seconds(),
            preview_replica_count: None,
        });
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
fn plan_ab_test(name: &str, p: &AppmodService, gates: &[GatePlan]) -> StrategyPlan {
    let settings = p.ab_test.clone().unwrap_or(crate::model::AbTestSettings {
        duration: crate::model::defaults::ab_duration(),
        replicas: crate::model::defaults::ab_replicas(),
    });
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
    StrategyPlan::Canary {
        canary_service: names::preview_service(name),
        stable_service: None,
        traffic_routing: None,
        steps: vec![StepPlan::Experiment {
            duration: settings.duration.clone(),
            templates: vec![variant("stable", stable_svc), variant("canary", canary_svc)],
            analyses,
        }],
    }
}

/// Pod label telling the two A/B variants apart in metrics.
pub const AB_VARIANT_LABEL: &str = "ab-variant";

/// One Prometheus measurement. Both conditions are guarded so that an empty or
/// NaN result satisfies neither: the measurement is Inconclusive and the
/// Rollout pauses for a person, instead of erroring on `result[0]` or passing.
fn metric_plan(index: usize, c: &Criterion, selector: &str) -> MetricPlan {
    let series = format!("{}{{{selector}}}", c.metric);
    let inner = match &c.rate_interval {
        Some(ri) => format!("rate({series}[{ri}])"),
        None => series,
    };
    let query = match c.function {
        Some(f) => format!("{}({inner})", f.as_str()),
        None => inner,
    };
    let guard = "len(result) > 0 && !isNaN(result[0])";
    let holds = format!(
        "{guard} && result[0] {} {}",
        c.comparison_type.as_str(),
        c.threshold
    );
    let fails = format!(
        "{guard} && result[0] {} {}",
        c.comparison_type.negated().as_str(),
        c.threshold
    );
    let (success_condition, failure_condition) = match c.success_or_fail_condition {
        Outcome::Success => (holds, fails),
        Outcome::Fail => (fails, holds),
    };
    let mut shown = c.metric.clone();
    if let Some(ri) = &c.rate_interval {
        shown = format!("rate({shown}[{ri}])");
    }
    if let Some(f) = c.function {
        shown = format!("{}({shown})", f.as_str());
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
        c.interval
    );
    MetricPlan {
        name: format!("m{index}"),
        summary,
        interval: c.interval.clone(),
        count: c.count,
        query,
        success_condition,
        failure_condition,
    }
}

/// The Kargo pipeline of one Application: a Warehouse watching the image,
/// Stages in promotion order, one PromotionTask that commits the new image
/// into a stage's Application manifest.
#[derive(Debug, Clone, Serialize)]
pub struct PromotionPlan {
    pub project: String,
    pub warehouse: String,
    pub image_repo: String,
    pub image_selection_strategy: String,
    pub constraint: Option<String>,
    pub interval: String,
    pub task: String,
    /// Variables of the PromotionTask (values are the user's, never expressions).
    pub vars: Vec<VarPlan>,
    pub repo_url_expr: String,
    pub branch_expr: String,
    pub checkout_path: String,
    /// The stage's manifest, as a Kargo expression over `ctx.stage`.
    pub manifest_path: String,
    pub updates: Vec<YamlUpdatePlan>,
    pub commit_message: String,
    pub git_author_name: String,
    pub git_author_email: String,
    pub argocd_app: String,
    pub argocd_namespace: Option<String>,
    pub desired_revision: String,
    pub stages: Vec<StagePlan>,
}

#[derive(Debug, Clone, Serialize)]
pub struct VarPlan {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct YamlUpdatePlan {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct StagePlan {
    pub name: String,
    pub auto_promote: bool,
    /// The stage Freight comes from; `None`: straight from the Warehouse.
    pub upstream: Option<String>,
}

/// A Kargo expression: `${{ inner }}`.
fn kargo(inner: &str) -> String {
    format!("${{{{ {inner} }}}}")
}

pub fn plan_promotion(app: &str, p: &crate::check::CheckedPromotion) -> PromotionPlan {
    use crate::model::ImageSelectionStrategy as S;
    let props = &p.props;
    let fill = |pattern: &str| {
        pattern
            .replace("{app}", app)
            .replace("{stage}", &kargo("ctx.stage"))
    };
    let image = "vars.imageRepo";
    let (image_value, version) = match props.image_selection_strategy {
        // Following a mutable tag: pin what was promoted by its digest.
        S::Digest => (
            format!(
                "{}@{}",
                kargo(image),
                kargo(&format!("imageFrom({image}).Digest"))
            ),
            kargo(&format!("imageFrom({image}).Digest")),
        ),
        _ => (
            format!(
                "{}:{}",
                kargo(image),
                kargo(&format!("imageFrom({image}).Tag"))
            ),
            kargo(&format!("imageFrom({image}).Tag")),
        ),
    };
    let strategy = match props.image_selection_strategy {
        S::NewestBuild => "NewestBuild",
        S::SemVer => "SemVer",
        S::Lexical => "Lexical",
        S::Digest => "Digest",
    };
    let stages = props
        .stages
        .iter()
        .enumerate()
        .map(|(i, s)| StagePlan {
            name: s.name.clone(),
            auto_promote: s.auto_promote.unwrap_or(i == 0),
            upstream: match (&s.from, i) {
                (Some(from), _) => Some(from.clone()),
                (None, 0) => None,
                (None, _) => Some(props.stages[i - 1].name.clone()),
            },
        })
        .collect();
    PromotionPlan {
        project: names::kargo_project(app),
        warehouse: app.to_owned(),
        image_repo: p.image_repo.clone(),
        image_selection_strategy: strategy.into(),
        constraint: props.constraint.clone(),
        interval: props.interval.clone(),
        task: names::PROMOTION_TASK.into(),
        vars: vec![
            VarPlan {
                name: "repoURL".into(),
                value: props.repo_url.clone(),
            },
            VarPlan {
                name: "branch".into(),
                value: props.branch.clone(),
            },
            VarPlan {
                name: "imageRepo".into(),
                value: p.image_repo.clone(),
            },
        ],
        repo_url_expr: kargo("vars.repoURL"),
        branch_expr: kargo("vars.branch"),
        checkout_path: "./src".into(),
        manifest_path: format!("./src/{}", fill(&props.manifest_path)),
        updates: vec![
            YamlUpdatePlan {
                key: format!("spec.components.{}.properties.image", p.component_index),
                value: image_value,
            },
            YamlUpdatePlan {
                key: "metadata.annotations.app\\.oam\\.dev/publishVersion".into(),
                value: version.clone(),
            },
        ],
        commit_message: format!("Promote {} to {}", kargo("ctx.stage"), version),
        git_author_name: props.git_author.name.clone(),
        git_author_email: props.git_author.email.clone(),
        argocd_app: fill(&props.argocd_app),
        argocd_namespace: props.argocd_namespace.clone(),
        desired_revision: kargo("outputs.commit.commit"),
        stages,
    }
}
