//! The model of a diff: what changed between BASE and HEAD, and the risk
//! flags among the changes. `compare` builds it, `fields`, `plans` and
//! `risk` fill their parts, `show` prints it; it imports none of them.

use serde::Serialize;
use serde_json::Value;

/// What changed between BASE and HEAD.
#[derive(Debug, Serialize)]
pub struct Report {
    pub base: String,
    pub head: String,
    /// Every risk flag of every Application, in Application order.
    pub risks: Vec<Risk>,
    /// The Applications that changed (added, removed or changed), in HEAD's
    /// order, then those only BASE has.
    pub applications: Vec<AppDiff>,
}

impl Report {
    pub fn is_empty(&self) -> bool {
        self.applications.is_empty()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Added,
    Removed,
    Changed,
}

impl Status {
    pub fn sign(self) -> char {
        match self {
            Status::Added => '+',
            Status::Removed => '-',
            Status::Changed => '~',
        }
    }
}

#[derive(Debug, Serialize)]
pub struct AppDiff {
    pub name: String,
    pub namespace: Option<String>,
    /// The namespace in BASE, when it differs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace_before: Option<Option<String>>,
    pub status: Status,
    /// The change in words.
    pub plan: Vec<PlanChange>,
    /// The resources that changed, grouped (component, stage, pipeline) in
    /// the order of the plan.
    pub resources: Vec<ResourceDiff>,
}

/// One change of the plan, in words, with its values before and after.
#[derive(Debug, Serialize)]
pub struct PlanChange {
    /// `component web`, `stage prod`, `promotion`.
    pub scope: String,
    /// A stable code: `gate-loosened`, `step-added`, `replicas`, …
    pub what: &'static str,
    pub text: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ResourceDiff {
    /// What it belongs to: `component web`, `stage prod`, `Kargo pipeline`.
    pub group: String,
    pub api_version: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
    pub status: Status,
    /// For a changed resource: each field that differs (path-addressed).
    pub fields: Vec<FieldChange>,
}

impl ResourceDiff {
    /// `Rollout shop/web`.
    pub fn title(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {ns}/{}", self.kind, self.name),
            None => format!("{} {}", self.kind, self.name),
        }
    }
}

/// One field: its path (`spec.template.spec.containers[name=web].image`)
/// and its value before and after (`None`: absent on that side).
#[derive(Debug, Clone, Serialize)]
pub struct FieldChange {
    pub path: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RiskKind {
    /// The API server (or a CRD's rule) will refuse the update.
    ImmutableField,
    GateRemoved,
    GateLoosened,
    StageRemoved,
    ManualPromotionRemoved,
    PullRequestRemoved,
    ComponentRemoved,
    ApplicationRemoved,
    /// A name or namespace change: a new object, the old one pruned.
    ObjectReplaced,
    /// A resource no longer rendered: Argo CD deletes it.
    Pruned,
    WeightStepIdle,
}

impl RiskKind {
    pub fn code(self) -> &'static str {
        match self {
            RiskKind::ImmutableField => "immutable-field",
            RiskKind::GateRemoved => "gate-removed",
            RiskKind::GateLoosened => "gate-loosened",
            RiskKind::StageRemoved => "stage-removed",
            RiskKind::ManualPromotionRemoved => "manual-promotion-removed",
            RiskKind::PullRequestRemoved => "pull-request-removed",
            RiskKind::ComponentRemoved => "component-removed",
            RiskKind::ApplicationRemoved => "application-removed",
            RiskKind::ObjectReplaced => "object-replaced",
            RiskKind::Pruned => "pruned",
            RiskKind::WeightStepIdle => "weight-step-idle",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Risk {
    /// The Application it is in (set by the caller).
    pub application: String,
    pub kind: RiskKind,
    /// What it is about: `Rollout web`, `stage prod`, `component web`.
    pub subject: String,
    /// What will happen, in words.
    pub reason: String,
    /// The upstream code or data that decides it.
    pub reference: &'static str,
    /// A resource (kind, name), or a group (``, group), whose removal this
    /// flag already explains, so it is not flagged again as pruned.
    #[serde(skip)]
    pub explains: Option<(String, String)>,
}
