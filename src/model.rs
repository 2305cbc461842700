//! Typed OAM: the KubeVela `Application` envelope and the `appmod-service`
//! component properties. These types are the single source of the JSON Schema
//! (`oamc schema`) and of the defaults, which keep upstream's names and values so
//! existing manifests compile unchanged.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const API_VERSION: &str = "core.oam.dev/v1beta1";
pub const KIND: &str = "Application";
pub const APPMOD_SERVICE: &str = "appmod-service";

/// A KubeVela `core.oam.dev/v1beta1` Application.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(title = "OAM Application (as compiled by oamc)")]
pub struct Application {
    #[schemars(extend("const" = API_VERSION))]
    pub api_version: String,
    #[schemars(extend("const" = KIND))]
    pub kind: String,
    pub metadata: Metadata,
    pub spec: ApplicationSpec,
}

/// The parts of Kubernetes ObjectMeta that oamc reads; other fields are allowed and ignored.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
pub struct Metadata {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
pub struct ApplicationSpec {
    pub components: Vec<Component>,
    /// Application policies; oamc reads the ones it knows and ignores the rest.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<Policy>,
}

/// One OAM component. `properties` are checked against the schema of its `type`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Component {
    pub name: String,
    #[serde(rename = "type")]
    pub type_: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub traits: Vec<Trait>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
pub struct Trait {
    #[serde(rename = "type")]
    pub type_: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
pub struct Policy {
    pub name: String,
    #[serde(rename = "type")]
    pub type_: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<serde_json::Value>,
}

/// Properties of an `appmod-service` component: a web service rolled out as an
/// Argo Rollouts canary guarded by up to three quality gates.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(title = "appmod-service properties")]
pub struct AppmodService {
    /// Container image: `registry/repository:tag` or `registry/repository@sha256:<digest>`.
    pub image: String,
    /// Name of the container in the pod.
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
    #[serde(default = "defaults::service_account")]
    pub service_account: String,
    /// HTTP path the gates test, e.g. `/shop`.
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canary: Option<CanarySettings>,
    /// Settings of the blue/green strategy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blue_green: Option<BlueGreenSettings>,
    /// Settings of the A/B strategy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ab_test: Option<AbTestSettings>,
    /// Smoke test at the first canary step: fetch `appPath` from the new version and
    /// require `extraArgs` (the expected text) in the response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub functional_gate: Option<QualityGate>,
    /// Load test at the last canary step: fail when the mean latency exceeds
    /// `extraArgs` milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub performance_gate: Option<QualityGate>,
    /// Prometheus queries that decide whether the new version is healthy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<MetricGate>,
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 20))]
    pub steps: Option<Vec<Weight>>,
    /// Pause after each intermediate weight (default 5s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pause: Option<String>,
    /// Split traffic at the exact weight with a router instead of by replica count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traffic_routing: Option<TrafficRouting>,
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

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AbTestSettings {
    /// How long both versions run side by side (Argo duration).
    #[serde(default = "defaults::ab_duration")]
    pub duration: String,
    /// Pods of each variant during the experiment.
    #[serde(default = "defaults::ab_replicas")]
    #[schemars(range(min = 1, max = 100))]
    pub replicas: u32,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnvVar {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Resources {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub requests: BTreeMap<String, Quantity>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub limits: BTreeMap<String, Quantity>,
}

/// A Kubernetes quantity such as `500m`, `256Mi` or `2`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Quantity {
    Text(String),
    Number(serde_json::Number),
}

/// A Job-based gate: run `image` against the new version.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QualityGate {
    /// How long to wait at this step before the gate runs (Argo duration: `20s`, `1m`, `1h`).
    pub pause: String,
    /// Image that runs the check. It needs `sh` and `wget` (functional) or `ab` and
    /// `awk` (performance); `httpd:alpine` has all of them.
    pub image: String,
    /// Functional gate: the text the response must contain. Performance gate: the
    /// highest acceptable mean latency in milliseconds.
    #[serde(default = "defaults::extra_args")]
    pub extra_args: TextOrNumber,
}

/// A value written either as a string or as a number; oamc uses its text.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(untagged)]
pub enum TextOrNumber {
    Text(String),
    Number(serde_json::Number),
}

impl TextOrNumber {
    pub fn text(&self) -> String {
        match self {
            TextOrNumber::Text(s) => s.clone(),
            TextOrNumber::Number(n) => n.to_string(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MetricGate {
    /// How long to wait at this step before the queries run.
    #[serde(default = "defaults::metrics_pause")]
    pub pause: String,
    /// One Prometheus measurement per criterion; all must pass.
    #[schemars(length(min = 1))]
    pub evaluation_criteria: Vec<Criterion>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Criterion {
    /// Time between measurements (Argo duration).
    #[serde(default = "defaults::interval")]
    pub interval: String,
    /// Number of measurements.
    #[serde(default = "defaults::count")]
    #[schemars(range(min = 1, max = 1000))]
    pub count: u32,
    /// Aggregation over the series: `sum(...)`, `avg(...)`, … Without it the bare
    /// series is compared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<Function>,
    /// Wrap the metric in `rate(...[rateInterval])` (a PromQL duration such as `1m`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_interval: Option<String>,
    /// `success`: meeting the comparison passes the gate. `fail`: meeting it fails the rollout.
    #[serde(default)]
    pub success_or_fail_condition: Outcome,
    /// Prometheus metric name.
    pub metric: String,
    #[serde(default)]
    pub comparison_type: Comparison,
    #[serde(default = "defaults::threshold")]
    pub threshold: serde_json::Number,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Function {
    Sum,
    Avg,
    Max,
    Min,
    Count,
}

impl Function {
    pub fn as_str(self) -> &'static str {
        match self {
            Function::Sum => "sum",
            Function::Avg => "avg",
            Function::Max => "max",
            Function::Min => "min",
            Function::Count => "count",
        }
    }
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    #[default]
    Success,
    Fail,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
pub enum Comparison {
    #[default]
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = ">=")]
    Ge,
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = "==")]
    Eq,
    #[serde(rename = "!=")]
    Ne,
}

impl Comparison {
    pub fn as_str(self) -> &'static str {
        match self {
            Comparison::Gt => ">",
            Comparison::Ge => ">=",
            Comparison::Lt => "<",
            Comparison::Le => "<=",
            Comparison::Eq => "==",
            Comparison::Ne => "!=",
        }
    }

    /// The comparison that holds exactly when this one does not (for numbers, not NaN).
    pub fn negated(self) -> Comparison {
        match self {
            Comparison::Gt => Comparison::Le,
            Comparison::Ge => Comparison::Lt,
            Comparison::Lt => Comparison::Ge,
            Comparison::Le => Comparison::Gt,
            Comparison::Eq => Comparison::Ne,
            Comparison::Ne => Comparison::Eq,
        }
    }
}

/// Upstream's defaults, named so the schema and the docs can show them.
pub mod defaults {
    use super::TextOrNumber;
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
    pub fn extra_args() -> TextOrNumber {
        TextOrNumber::Text(String::new())
    }
    pub fn metrics_pause() -> String {
        "1s".into()
    }
    pub fn interval() -> String {
        "1s".into()
    }
    pub fn count() -> u32 {
        1
    }
    pub fn threshold() -> serde_json::Number {
        0.into()
    }
    pub fn yes() -> bool {
        true
    }
    pub fn nginx() -> String {
        "nginx".into()
    }
    pub fn alb() -> String {
        "alb".into()
    }
    pub fn ip() -> String {
        "ip".into()
    }
    pub fn access_modes() -> Vec<super::AccessMode> {
        vec![super::AccessMode::ReadWriteOnce]
    }
    pub fn storage_size() -> String {
        "8Gi".into()
    }
    pub fn hpa_min() -> u32 {
        1
    }
    pub fn hpa_max() -> u32 {
        10
    }
    pub fn hpa_cpu() -> Option<super::ResourceTarget> {
        Some(super::ResourceTarget {
            kind: super::TargetType::Utilization,
            value: TextOrNumber::Number(50.into()),
        })
    }
    pub fn cpu_util() -> u32 {
        50
    }
    pub fn scale_down_delay_seconds() -> u32 {
        30
    }
    pub fn ab_duration() -> String {
        "10m".into()
    }
    pub fn ab_replicas() -> u32 {
        1
    }
    pub fn branch() -> String {
        "main".into()
    }
    pub fn manifest_path() -> String {
        "deployment/{stage}/application.yaml".into()
    }
    pub fn warehouse_interval() -> String {
        "5m".into()
    }
    pub fn argocd_app() -> String {
        "{app}-{stage}".into()
    }
    pub fn stages() -> Vec<super::StageSpec> {
        vec![
            super::StageSpec {
                name: "dev".into(),
                auto_promote: Some(true),
                from: None,
            },
            super::StageSpec {
                name: "prod".into(),
                auto_promote: Some(false),
                from: None,
            },
        ]
    }
}

pub const KARGO_PROMOTION: &str = "kargo-promotion";

/// Properties of a `kargo-promotion` policy: promote the component's image
/// through stages with Kargo, each promotion a Git commit of the stage's
/// Application manifest.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(title = "kargo-promotion policy properties")]
pub struct KargoPromotion {
    /// The GitOps repository holding the stages' Application manifests.
    #[serde(rename = "repoURL")]
    pub repo_url: String,
    /// Branch the promotions commit to.
    #[serde(default = "defaults::branch")]
    pub branch: String,
    /// Where each stage's Application manifest lives; `{stage}` is the stage name.
    #[serde(default = "defaults::manifest_path")]
    pub manifest_path: String,
    /// The appmod-service component whose image is promoted (needed when there are several).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component: Option<String>,
    /// Image repository the Warehouse watches. Default: the component's image without tag or digest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_repo: Option<String>,
    /// How the Warehouse picks the newest image.
    #[serde(default)]
    pub image_selection_strategy: ImageSelectionStrategy,
    /// Narrows the images considered: a SemVer range for `SemVer` (e.g. `^1.0.0`), the tag to
    /// follow for `Digest`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub constraint: Option<String>,
    /// How often the Warehouse looks for new images.
    #[serde(default = "defaults::warehouse_interval")]
    pub interval: String,
    /// Argo CD Application each stage's promotion refreshes; `{app}` and `{stage}` are replaced.
    #[serde(default = "defaults::argocd_app")]
    pub argocd_app: String,
    /// Namespace of those Argo CD Applications.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub argocd_namespace: Option<String>,
    /// Author of the promotion commits.
    #[serde(default)]
    pub git_author: GitAuthor,
    /// Stages in promotion order. Default: `dev` (auto-promoted), then `prod`.
    #[serde(default = "defaults::stages")]
    #[schemars(length(min = 1, max = 20))]
    pub stages: Vec<StageSpec>,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
pub enum ImageSelectionStrategy {
    #[default]
    NewestBuild,
    SemVer,
    Lexical,
    Digest,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GitAuthor {
    pub name: String,
    pub email: String,
}

impl Default for GitAuthor {
    fn default() -> Self {
        GitAuthor {
            name: "Kargo".into(),
            email: "kargo@akuity.io".into(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StageSpec {
    /// Stage name (a DNS label); `{stage}` in paths and app names.
    pub name: String,
    /// Promote new Freight into this stage automatically. Default: true for the first stage only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_promote: Option<bool>,
    /// The stage this one takes Freight from. Default: the previous stage in the list
    /// (the first stage takes it from the Warehouse).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
}

/// `path-based-ingress`: an NGINX Ingress with regex paths rewritten to the app.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(title = "path-based-ingress trait properties")]
pub struct PathBasedIngress {
    /// Host of the rule (a wildcard first label is allowed, e.g. `*.example.com`).
    pub domain: String,
    /// Path prefix → Service port. The port must be the component's `port`.
    pub http: BTreeMap<String, u32>,
    /// IngressClass.
    #[serde(default = "defaults::nginx")]
    pub class: String,
    /// Rewrite `<path>/x` to `/x` before it reaches the app.
    #[serde(default = "defaults::yes")]
    pub rewrite_path: bool,
    /// Upstream's option to create a Service; oamc always renders `<name>`.
    #[serde(default)]
    pub create_service: bool,
}

/// `appingress`: an AWS Load Balancer Controller Ingress.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(title = "appingress trait properties")]
pub struct AppIngress {
    pub domain: String,
    /// Path → Service port. The port must be the component's `port`.
    pub http: BTreeMap<String, u32>,
    #[serde(default = "defaults::alb")]
    pub class: String,
    /// `ip` or `instance`.
    #[serde(default = "defaults::ip")]
    pub target_type: String,
    /// Load balancer scheme.
    #[serde(default, rename = "type")]
    pub scheme: AlbScheme,
    #[serde(default)]
    pub create_service: bool,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum AlbScheme {
    #[default]
    InternetFacing,
    Internal,
}

impl AlbScheme {
    pub fn as_str(self) -> &'static str {
        match self {
            AlbScheme::InternetFacing => "internet-facing",
            AlbScheme::Internal => "internal",
        }
    }
}

/// KubeVela's `storage` trait: volumes mounted into the pods.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(title = "storage trait properties")]
pub struct Storage {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pvc: Vec<PvcVolume>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub config_map: Vec<ConfigMapVolume>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secret: Vec<SecretVolume>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub empty_dir: Vec<EmptyDirVolume>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PvcVolume {
    /// Volume name (and claim name unless `claimName` is set).
    pub name: String,
    pub mount_path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_path: Option<String>,
    #[serde(default)]
    pub read_only: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim_name: Option<String>,
    /// Mount an existing claim instead of rendering a PersistentVolumeClaim.
    #[serde(default)]
    pub mount_only: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_class_name: Option<String>,
    #[serde(default = "defaults::access_modes")]
    pub access_modes: Vec<AccessMode>,
    /// Requested size.
    #[serde(default = "defaults::storage_size")]
    pub size: String,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
pub enum AccessMode {
    ReadWriteOnce,
    ReadOnlyMany,
    ReadWriteMany,
    ReadWriteOncePod,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConfigMapVolume {
    pub name: String,
    pub mount_path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_path: Option<String>,
    #[serde(default)]
    pub read_only: bool,
    /// The ConfigMap (default: `name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cm_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 511))]
    pub default_mode: Option<u32>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecretVolume {
    pub name: String,
    pub mount_path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_path: Option<String>,
    #[serde(default)]
    pub read_only: bool,
    /// The Secret (default: `name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 511))]
    pub default_mode: Option<u32>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EmptyDirVolume {
    pub name: String,
    pub mount_path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_path: Option<String>,
    /// `Memory` for a tmpfs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub medium: Option<String>,
}

/// `scaler`: a fixed number of replicas.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "scaler trait properties")]
pub struct Scaler {
    #[schemars(range(min = 0, max = 10000))]
    pub replicas: u32,
}

/// `hpa`: a HorizontalPodAutoscaler on CPU and/or memory.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "hpa trait properties")]
pub struct Hpa {
    #[serde(default = "defaults::hpa_min")]
    #[schemars(range(min = 1, max = 10000))]
    pub min: u32,
    #[serde(default = "defaults::hpa_max")]
    #[schemars(range(min = 1, max = 10000))]
    pub max: u32,
    #[serde(default = "defaults::hpa_cpu")]
    pub cpu: Option<ResourceTarget>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mem: Option<ResourceTarget>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResourceTarget {
    /// `Utilization` (percent of requests) or `AverageValue` (a quantity).
    #[serde(default, rename = "type")]
    pub kind: TargetType,
    pub value: TextOrNumber,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
pub enum TargetType {
    #[default]
    Utilization,
    AverageValue,
}

/// `cpuscaler`: a HorizontalPodAutoscaler on CPU utilization.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(title = "cpuscaler trait properties")]
pub struct CpuScaler {
    #[serde(default = "defaults::hpa_min")]
    #[schemars(range(min = 1, max = 10000))]
    pub min: u32,
    #[serde(default = "defaults::hpa_max")]
    #[schemars(range(min = 1, max = 10000))]
    pub max: u32,
    #[serde(default = "defaults::cpu_util")]
    #[schemars(range(min = 1, max = 1000))]
    pub cpu_util: u32,
}
