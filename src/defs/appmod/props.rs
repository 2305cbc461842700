//! The properties of an `appmod-service` component, with upstream's names
//! and defaults so existing manifests compile unchanged.

/// The vocabulary the plan shares with these properties lives in the plan,
/// the leaf of the pipeline.
pub use crate::defs::env::EnvVar;
pub use crate::defs::gates::functional::QualityGate;
pub use crate::defs::gates::metrics::{Criterion, Function, MetricGate};
pub use crate::defs::gates::performance::LatencyLimit;
pub use crate::defs::gates::performance::{LoadTool, NotALatency, PerformanceGate};
pub use crate::defs::gates::web::WebGate;
pub use crate::plan::{Comparison, Outcome};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const APPMOD_SERVICE: &str = "appmod-service";

/// Properties of an `appmod-service` component: a web service rolled out as an
/// Argo Rollouts canary guarded by up to three quality gates.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(title = "appmod-service properties")]
pub struct AppmodService {
    /// Container image: `registry/repository:tag` or `registry/repository@sha256:<digest>`.
    #[schemars(extend("x-oamc-format" = "image"))]
    pub image: String,
    /// Name of the container in the pod.
    #[schemars(extend("x-oamc-format" = "dns1123-label"))]
    #[serde(rename = "image_name")]
    pub image_name: String,
    /// Desired pods once the rollout is complete.
    #[serde(default = "defaults::replicas")]
    #[schemars(range(min = 0, max = 10000))]
    pub replicas: u32,
    /// Port the Services expose.
    #[serde(default = "defaults::port")]
    #[schemars(range(min = 1, max = 65535))]
    pub port: u32,
    /// Port the container listens on.
    #[serde(default = "defaults::target_port")]
    #[schemars(range(min = 1, max = 65535))]
    pub target_port: u32,
    /// ServiceAccount the pods run as.
    #[schemars(extend("x-oamc-format" = "dns1123-subdomain"))]
    #[serde(default = "defaults::service_account")]
    pub service_account: String,
    /// HTTP path the gates test, e.g. `/shop`.
    #[schemars(extend("x-oamc-format" = "app-path"))]
    #[serde(default = "defaults::app_path")]
    pub app_path: String,
    /// Environment variables of the container.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<EnvVar>,
    /// A core/v1 Probe, passed through to the container unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readiness_probe: Option<serde_json::Map<String, serde_json::Value>>,
    /// Compute resources of the container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<Resources>,
    /// Seconds a rollout may make no progress (e.g. an image that cannot be pulled)
    /// before it is aborted and rolled back.
    #[serde(default = "defaults::progress_deadline_seconds")]
    #[schemars(range(min = 1, max = 86400))]
    pub progress_deadline_seconds: u32,
    /// How the new version replaces the old: `canary` (default), `blueGreen` or `abTest`.
    #[serde(default)]
    pub strategy: Strategy,
    /// Settings of the canary strategy.
    #[serde(default)]
    pub canary: CanarySettings,
    /// Settings of the blue/green strategy.
    #[serde(default)]
    pub blue_green: BlueGreenSettings,
    /// Settings of the A/B strategy.
    #[serde(default)]
    pub ab_test: AbTestSettings,
    /// Smoke test at the first canary step: fetch `appPath` + `/` from the new version and
    /// require `extraArgs` (a basic regular expression, as `grep` reads it) in the response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub functional_gate: Option<QualityGate>,
    /// Load test at the last canary step: fail when requests fail, answer other than
    /// 2xx, or (with `extraArgs`) the mean latency reaches `extraArgs` milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub performance_gate: Option<PerformanceGate>,
    /// Prometheus queries that decide whether the new version is healthy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<MetricGate>,
    /// An HTTP endpoint's JSON answer that decides whether the new version is
    /// healthy (Argo Rollouts' web provider), after the metrics gate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web_gate: Option<WebGate>,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum Strategy {
    /// Shift traffic step by step, with gates at checkpoints.
    #[default]
    Canary,
    /// Run the new version beside the old, switch at once, switch back at once.
    BlueGreen,
    /// Run the old and the new version side by side for a while and compare them.
    AbTest,
}

impl Strategy {
    pub fn key(self) -> &'static str {
        match self {
            Strategy::Canary => "canary",
            Strategy::BlueGreen => "blueGreen",
            Strategy::AbTest => "abTest",
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CanarySettings {
    /// Traffic weights (percent) in place of 20, 40, 60, 80: strictly increasing, 1-100.
    /// The functional gate runs after the first, the performance and metrics gates after the last.
    #[serde(default = "defaults::canary_steps")]
    #[schemars(length(min = 1, max = 20))]
    pub steps: Vec<Weight>,
    /// Pause after each intermediate weight (default 5s).
    #[schemars(extend("x-oamc-format" = "pause"))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pause: Option<String>,
    /// Split traffic at the exact weight with a router instead of by replica count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traffic_routing: Option<TrafficRouting>,
}

impl Default for CanarySettings {
    fn default() -> Self {
        CanarySettings {
            steps: defaults::canary_steps(),
            pause: None,
            traffic_routing: None,
        }
    }
}

/// A traffic weight in percent.
#[derive(
    Debug, Clone, Copy, Deserialize, Serialize, JsonSchema, PartialEq, Eq, PartialOrd, Ord,
)]
#[serde(transparent)]
pub struct Weight(#[schemars(range(min = 1, max = 100))] pub u32);

/// Exactly one traffic router.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TrafficRouting {
    /// NGINX Ingress: the Ingress that routes to the component's Service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nginx: Option<NginxRouting>,
    /// AWS Load Balancer Controller: the Ingress that routes to the component's Service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alb: Option<AlbRouting>,
    /// Istio: the VirtualService whose routes split the traffic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub istio: Option<IstioRouting>,
    /// Gateway API (the Argo Rollouts gatewayAPI plugin): the HTTPRoute that splits the traffic.
    #[serde(
        default,
        rename = "gatewayAPI",
        skip_serializing_if = "Option::is_none"
    )]
    pub gateway_api: Option<GatewayApiRouting>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NginxRouting {
    pub stable_ingress: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AlbRouting {
    pub ingress: String,
    /// Service port the Ingress uses (default: the component's `port`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 65535))]
    pub service_port: Option<u32>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IstioRouting {
    pub virtual_service: String,
    /// Named HTTP routes of the VirtualService to split (default: its only route).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub routes: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GatewayApiRouting {
    pub http_route: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BlueGreenSettings {
    /// Switch traffic to the new version as soon as it is ready and the
    /// functional gate passed; false: a person promotes (`kubectl argo rollouts promote`).
    #[serde(default = "defaults::yes")]
    pub auto_promotion_enabled: bool,
    /// Seconds the old version keeps running after the switch: the window for an instant rollback.
    #[serde(default = "defaults::scale_down_delay_seconds")]
    #[schemars(range(min = 0, max = 86400))]
    pub scale_down_delay_seconds: u32,
    /// Pods of the new version before promotion (default: all `replicas`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 10000))]
    pub preview_replica_count: Option<u32>,
}

impl Default for BlueGreenSettings {
    fn default() -> Self {
        BlueGreenSettings {
            auto_promotion_enabled: defaults::yes(),
            scale_down_delay_seconds: defaults::scale_down_delay_seconds(),
            preview_replica_count: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AbTestSettings {
    /// How long both versions run side by side (a Go duration: `1h`, `90m`, `1.5h`).
    #[schemars(extend("x-oamc-format" = "duration"))]
    #[serde(default = "defaults::ab_duration")]
    pub duration: String,
    /// Pods of each variant during the experiment.
    #[serde(default = "defaults::ab_replicas")]
    #[schemars(range(min = 1, max = 100))]
    pub replicas: u32,
}

impl Default for AbTestSettings {
    fn default() -> Self {
        AbTestSettings {
            duration: defaults::ab_duration(),
            replicas: defaults::ab_replicas(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Resources {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub requests: BTreeMap<String, Quantity>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub limits: BTreeMap<String, Quantity>,
}

impl Resources {
    /// As the container's `resources` (a plain value: templates only format it).
    pub fn to_json(&self) -> serde_json::Value {
        let map = |m: &BTreeMap<String, Quantity>| -> serde_json::Map<String, serde_json::Value> {
            m.iter()
                .map(|(k, q)| {
                    let v = match q {
                        Quantity::Text(t) => serde_json::Value::String(t.clone()),
                        Quantity::Number(n) => serde_json::Value::Number(n.clone()),
                    };
                    (k.clone(), v)
                })
                .collect()
        };
        let mut out = serde_json::Map::new();
        if !self.requests.is_empty() {
            out.insert("requests".into(), map(&self.requests).into());
        }
        if !self.limits.is_empty() {
            out.insert("limits".into(), map(&self.limits).into());
        }
        out.into()
    }
}

/// A Kubernetes quantity such as `500m`, `256Mi` or `2`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Quantity {
    Text(String),
    Number(serde_json::Number),
}

/// Upstream's defaults, named so the schema and the docs can show them.
pub mod defaults {
    pub fn replicas() -> u32 {
        3
    }
    pub fn port() -> u32 {
        80
    }
    pub fn target_port() -> u32 {
        8080
    }
    pub fn service_account() -> String {
        "default".into()
    }
    pub fn app_path() -> String {
        "/".into()
    }
    pub fn progress_deadline_seconds() -> u32 {
        600
    }
    pub fn yes() -> bool {
        true
    }
    pub fn scale_down_delay_seconds() -> u32 {
        30
    }
    pub fn ab_duration() -> String {
        "10m".into()
    }
    /// Upstream's canary: 20, 40, 60, 80 percent.
    pub fn canary_steps() -> Vec<super::Weight> {
        [20, 40, 60, 80].map(super::Weight).to_vec()
    }
    pub fn ab_replicas() -> u32 {
        1
    }
}
