//! Plan: the one resolved model of everything to emit, as data. Each
//! definition under `defs/` builds its part; defaults are applied,
//! names derived, steps and gates laid out here and nowhere else; templates
//! only format this model, and `plan` output (later) reads it too.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
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
    /// Containers beside the app's (the `sidecar` trait), in the order written.
    pub sidecars: Vec<SidecarPlan>,
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
    /// NGINX: `ImplementationSpecific` (its regex paths). ALB: `Prefix`; the
    /// AWS Load Balancer Controller matches an `ImplementationSpecific` path
    /// exactly (`/` only the root), unlike the NGINX trait's prefix.
    pub path_type: &'static str,
    pub service: String,
    /// The ALB router drives this Ingress: every backend names its port
    /// `use-annotation`, so the AWS Load Balancer Controller follows the
    /// `actions.<service>` annotation Argo Rollouts writes with the weights.
    pub use_annotation: bool,
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
    pub access_modes: Vec<&'static str>,
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
pub struct EnvVarPlan {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ContainerPlan {
    pub name: String,
    pub image: String,
    pub port: u32,
    pub env: Vec<EnvVarPlan>,
    pub volume_mounts: Vec<VolumeMountPlan>,
    pub readiness_probe: Option<serde_json::Value>,
    pub resources: Option<serde_json::Value>,
}

/// A container beside the app's in every pod.
#[derive(Debug, Clone, Serialize)]
pub struct SidecarPlan {
    pub name: String,
    pub image: String,
    pub command: Vec<String>,
    pub args: Vec<String>,
    pub env: Vec<EnvVarPlan>,
    pub volume_mounts: Vec<VolumeMountPlan>,
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
    /// An Experiment runs the stable and the new version side by side, each
    /// variant with its own Service, while the gates analyse the new one
    /// (Argo Rollouts: a canary whose one step is the experiment).
    AbTest {
        /// Reaches the new version's pods.
        canary_service: String,
        duration: GoDuration,
        variants: Vec<ExperimentTemplatePlan>,
        analyses: Vec<ExperimentAnalysisPlan>,
    },
}

impl StrategyPlan {
    pub fn name(&self) -> &'static str {
        match self {
            StrategyPlan::Canary { .. } => "canary",
            StrategyPlan::BlueGreen { .. } => "blue/green",
            StrategyPlan::AbTest { .. } => "A/B test",
        }
    }
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
        /// As written (Argo reads the text).
        duration: String,
        /// The whole seconds Argo waits (`RolloutPause.DurationSeconds`).
        seconds: u64,
        /// Argo cuts the text to whole seconds (`1500ms` waits 1 s).
        truncated: bool,
    },
    Analysis {
        gate: Gate,
        template: String,
        args: Vec<ArgPlan>,
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

/// A Go duration (`time.ParseDuration`) as written, and its length, read
/// once by the checker: templates write the text the controller reads, the
/// timeline and `diff` use the length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoDuration {
    text: String,
    nanos: u64,
}

impl GoDuration {
    /// `nanos` is what Go reads `text` as (the checker's to say).
    pub fn new(text: impl Into<String>, nanos: u64) -> GoDuration {
        GoDuration {
            text: text.into(),
            nanos,
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn nanos(&self) -> u64 {
        self.nanos
    }

    /// Whole seconds, rounded up: `500ms` is shown as `1s`, never as nothing.
    pub fn seconds_ceil(&self) -> u64 {
        self.nanos.div_ceil(1_000_000_000)
    }
}

impl std::fmt::Display for GoDuration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for GoDuration {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

/// An Argo Rollouts pause as written, and the whole seconds Argo waits
/// (`RolloutPause.DurationSeconds`), read once by the checker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PauseDuration {
    text: String,
    seconds: u64,
    truncated: bool,
}

impl PauseDuration {
    /// `seconds` and `truncated` are what Argo makes of `text` (the checker's to say).
    pub fn new(text: impl Into<String>, seconds: u64, truncated: bool) -> PauseDuration {
        PauseDuration {
            text: text.into(),
            seconds,
            truncated,
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn seconds(&self) -> u64 {
        self.seconds
    }

    /// Argo cuts the text to whole seconds (`1500ms` waits 1 s).
    pub fn truncated(&self) -> bool {
        self.truncated
    }
}

impl std::fmt::Display for PauseDuration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for PauseDuration {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

/// A gate kind; also `oamc gates --only`'s choices. The order is the
/// gates' order in a component's plan (and in `diff`).
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
#[serde(rename_all = "camelCase")]
pub enum Gate {
    Functional,
    Performance,
    Metrics,
    Web,
}

impl Gate {
    pub fn name(self) -> &'static str {
        match self {
            Gate::Functional => "functional",
            Gate::Performance => "performance",
            Gate::Metrics => "metrics",
            Gate::Web => "web",
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

/// A gate's own time, in whole seconds: least (every reading passes at
/// once), most (before it passes or aborts, no person acting) and the
/// earliest abort. Each gate kind computes it as the controller runs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GateTime {
    pub min: u64,
    pub max: u64,
    pub fails_after: u64,
}

/// What the timeline says of a kind of gate, once however many gates have
/// it: `rank` orders it among the others (readings before Jobs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct TimeNote {
    pub rank: u8,
    pub text: &'static str,
}

/// One gate's AnalysisTemplate.
#[derive(Debug, Clone)]
pub struct AnalysisPlan {
    pub name: String,
    /// The template that formats it (its gate's, `defs::gates::<kind>::TEMPLATE`).
    pub template: &'static str,
    /// What the gate checks, in words (for `oamc plan`).
    pub summary: String,
    /// Arguments the template declares; the Rollout step supplies each.
    pub args: Vec<String>,
    /// What the gate runs, typed by its kind.
    pub check: std::sync::Arc<dyn GateCheck>,
    /// How long it takes, as the controller runs it.
    pub time: GateTime,
    /// What the timeline says of this kind of gate.
    pub note: TimeNote,
}

/// What a gate runs, as its kind planned it. Each kind
/// (`defs::gates::<kind>`) implements this for its own plan type: which gate
/// it is, its template's view, and how `diff` words a change of it.
pub trait GateCheck: std::any::Any + std::fmt::Debug + Send + Sync {
    fn gate(&self) -> Gate;
    /// `item.<key>` in the gate's template (`job`, `prometheus`, `web`) and its value.
    fn view(&self) -> Result<(&'static str, serde_json::Value), serde_json::Error>;
    /// How the check moved from `old` (a check of the same kind), part by part.
    fn moves_from(&self, old: &dyn GateCheck) -> Vec<GateMove>;
}

/// `check` as the kind `T`, if it is one.
pub fn check_of<T: GateCheck>(check: &dyn GateCheck) -> Option<&T> {
    (check as &dyn std::any::Any).downcast_ref::<T>()
}

/// One part of a gate that changed, for `diff`: looser (a version failed
/// before may pass), tighter, or another change, with both values in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateMove {
    pub way: Way,
    pub what: String,
    pub before: String,
    pub after: String,
}

impl GateMove {
    pub fn new(way: Way, what: String, before: String, after: String) -> GateMove {
        GateMove {
            way,
            what,
            before,
            after,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Way {
    Looser,
    Tighter,
    Other,
}

impl AnalysisPlan {
    pub fn gate(&self) -> Gate {
        self.check.gate()
    }

    /// The check, when it is of kind `T`.
    pub fn check_as<T: GateCheck>(&self) -> Option<&T> {
        check_of(&*self.check)
    }
}

/// The templates' view of a gate (`item`): `name`, `gate`, `summary`,
/// `args`, `job` and `prometheus` (none unless the gate is of that kind),
/// and the view of any other kind under its own key (`web`). A custom
/// template reads these names, so they stay as they are.
impl Serialize for AnalysisPlan {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error, SerializeStruct};
        let (key, view) = self.check.view().map_err(S::Error::custom)?;
        let mut out = serializer.serialize_struct("AnalysisPlan", 7)?;
        out.serialize_field("name", &self.name)?;
        out.serialize_field("gate", &self.gate())?;
        out.serialize_field("summary", &self.summary)?;
        out.serialize_field("args", &self.args)?;
        let none = serde_json::Value::Null;
        for shared in ["job", "prometheus"] {
            out.serialize_field(shared, if key == shared { &view } else { &none })?;
        }
        if !matches!(key, "job" | "prometheus") {
            out.serialize_field(key, &view)?;
        }
        out.end()
    }
}

/// The phase of an Argo Rollouts measurement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Fail,
    Inconclusive,
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
    /// The tags the Warehouse may pick (`allowTagsRegexes`); empty: every tag.
    pub allow_tags: Vec<String>,
    pub interval: GoDuration,
    /// The PromotionTasks the stages run: the one that pushes the stage's
    /// branch, and the one that promotes by pull request when a stage does.
    pub tasks: Vec<TaskPlan>,
    /// Variables of the PromotionTasks (values are the user's, never expressions).
    pub vars: Vec<VarPlan>,
    /// The GitOps repository and the branch holding the stages' manifests as
    /// written (also the task's `repoURL` and `branch` vars).
    pub repo_url: String,
    pub branch: String,
    /// The branch each stage's promotions push and its Argo CD Application
    /// tracks: one per stage, so a stage's push never moves another stage's
    /// revision (Kargo's health check compares it with the last promotion's).
    pub stage_branch: StagePattern,
    /// The stage's manifest, as a path in the repository.
    pub manifest_file: StagePattern,
    /// What a promotion sets in the stage's manifest.
    pub updates: Vec<YamlUpdatePlan>,
    pub argocd_app: StagePattern,
    /// Where argocd-update looks for the Applications: the namespace it is
    /// given, or the default it then uses.
    pub argocd_looks_in: String,
    pub stages: Vec<StagePlan>,
    /// The stages' Argo CD Applications, when the policy asks oamc to emit them.
    pub argocd: Option<ArgoCdPlan>,
}

impl PromotionPlan {
    /// The file a promotion into `stage` commits, as a path in the repository.
    pub fn repo_file(&self, stage: &str) -> String {
        self.manifest_file.show(stage)
    }

    /// The folder of that file: what the stage's Argo CD Application renders.
    pub fn repo_folder(&self, stage: &str) -> String {
        let file = self.repo_file(stage);
        crate::names::folder_of(&file).to_owned()
    }
}

/// One PromotionTask: its name and its steps, in order, each its own type
/// (`defs::promotion::steps`).
#[derive(Debug, Clone, Serialize)]
pub struct TaskPlan {
    pub name: String,
    pub steps: Vec<std::sync::Arc<dyn PromotionStep>>,
}

impl PromotionPlan {
    /// The task a stage runs.
    pub fn task_of(&self, stage: &StagePlan) -> Option<&TaskPlan> {
        self.tasks.iter().find(|t| t.name == stage.task)
    }
}

/// One step of the PromotionTask: a Kargo step, the template that formats
/// its entry, and what it means for `plan` and the timeline. Each kind is a
/// module of `defs::promotion::steps`.
pub trait PromotionStep: std::fmt::Debug + Send + Sync {
    /// Kargo's name for the step (`uses`).
    fn uses(&self) -> &'static str;
    /// Its name among the task's steps (`as`), when a later step reads its output.
    fn alias(&self) -> Option<&'static str> {
        None
    }
    /// The template that formats its entry in the task's `steps`.
    fn template(&self) -> &'static str;
    /// Its config: what its template reads as `step.config`.
    fn view(&self) -> minijinja::Value;
    /// What the step does in a promotion into `stage`, in words, when `plan`
    /// has a line for it.
    fn describe(&self, _plan: &PromotionPlan, _stage: &StagePlan) -> Option<String> {
        None
    }
    /// The branch it pushes in a promotion into `stage`, if it pushes one.
    fn pushes(&self, _plan: &PromotionPlan, _stage: &StagePlan) -> Option<String> {
        None
    }
    /// What must exist before the first promotion into `stages` runs it.
    fn prerequisite(&self, _plan: &PromotionPlan, _stages: &[&StagePlan]) -> Option<String> {
        None
    }
    /// What a person does before the step completes, in words (the timeline
    /// counts no time for it).
    fn person_acts(&self) -> Option<&'static str> {
        None
    }
}

/// The templates' view of a step: `uses`, `alias`, `template` and `config`.
impl Serialize for dyn PromotionStep {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct View {
            uses: &'static str,
            alias: Option<&'static str>,
            template: &'static str,
            config: minijinja::Value,
        }
        View {
            uses: self.uses(),
            alias: self.alias(),
            template: self.template(),
            config: self.view(),
        }
        .serialize(serializer)
    }
}

/// What every stage's Argo CD Application shares, and each one.
#[derive(Debug, Clone, Serialize)]
pub struct ArgoCdPlan {
    pub namespace: String,
    pub project: String,
    /// The config-management plugin and its parameters (`promotion: skip` first).
    pub plugin: String,
    pub parameters: Vec<VarPlan>,
    pub automated: bool,
    pub prune: bool,
    pub self_heal: bool,
    pub applications: Vec<ArgoCdAppPlan>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ArgoCdAppPlan {
    pub name: String,
    pub stage: String,
    /// The folder of the stage's manifest in the repository (`PromotionPlan::repo_folder`).
    pub path: String,
    /// The stage's own branch (`PromotionPlan::stage_branch`).
    pub target_revision: String,
    /// `<project>:<stage>`: lets that Kargo Stage update this Application.
    pub authorized_stage: String,
    /// Where the stage deploys: one of server and name, and the namespace
    /// (the stage's own, else the Application's).
    pub destination_server: Option<String>,
    pub destination_name: Option<String>,
    pub destination_namespace: Option<String>,
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
    /// The PromotionTask its promotions run.
    pub task: String,
    pub auto_promote: bool,
    /// The stage Freight comes from; `None`: straight from the Warehouse.
    pub upstream: Option<String>,
}

/// A text that names a stage in places: `./src/deployment/{stage}/application.yaml`.
/// Kept as parts, so `plan` can show it with any stage and templates get
/// the Kargo expression (`${{ ctx.stage }}`) only when they format it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagePattern(pub Vec<PatternPart>);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatternPart {
    Text(String),
    Stage,
}

impl StagePattern {
    /// `pattern` with `{app}` replaced by `app` and each `{stage}` kept as the stage.
    pub fn parse(pattern: &str, app: &str) -> StagePattern {
        let filled = pattern.replace("{app}", app);
        let mut parts = Vec::new();
        for (i, text) in filled.split("{stage}").enumerate() {
            if i > 0 {
                parts.push(PatternPart::Stage);
            }
            if !text.is_empty() {
                parts.push(PatternPart::Text(text.to_owned()));
            }
        }
        StagePattern(parts)
    }

    /// The text with `stage` written where the stage goes.
    pub fn show(&self, stage: &str) -> String {
        self.0
            .iter()
            .map(|p| match p {
                PatternPart::Text(t) => t.as_str(),
                PatternPart::Stage => stage,
            })
            .collect()
    }

    /// As Kargo evaluates it in a promotion: the stage is `ctx.stage`.
    pub fn kargo_expression(&self) -> String {
        self.show("${{ ctx.stage }}")
    }
}

impl Serialize for StagePattern {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.kargo_expression())
    }
}

// The vocabulary of gates, shared with the properties that spell it.

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

    /// Whether `value <op> threshold` holds, as expr compares two numbers.
    pub fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            Comparison::Gt => value > threshold,
            Comparison::Ge => value >= threshold,
            Comparison::Lt => value < threshold,
            Comparison::Le => value <= threshold,
            Comparison::Eq => value == threshold,
            Comparison::Ne => value != threshold,
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
