//! Risk flags: the changes a reviewer must not miss, each with its reason
//! and the upstream code or data that makes it one. One kind per flag, one
//! constructor per kind.

use super::report::FieldChange;
pub use super::report::{Risk, RiskKind};
use serde_json::Value;

fn risk(kind: RiskKind, subject: String, reason: String, reference: &'static str) -> Risk {
    Risk {
        application: String::new(),
        kind,
        subject,
        reason,
        reference,
        explains: None,
    }
}

/// Argo CD deletes what a sync with pruning no longer finds in the source:
/// a live object without a target becomes a prune task.
pub const PRUNE: &str = "argo-cd v3.5.1 gitops-engine/pkg/sync/sync_context.go, getSyncTasks: a managed resource with a live object and no target becomes a prune task";

/// Fields an update may not change, with what decides it. The Rollout rule
/// is read from the vendored CRD in tests (every `self == oldSelf` rule of
/// the CRDs oamc emits must be here).
pub struct Immutable {
    pub kind: &'static str,
    /// A path prefix: a change at or below it is refused…
    pub path: &'static str,
    /// …except below these.
    pub except: &'static [&'static str],
    pub reason: &'static str,
    pub reference: &'static str,
}

pub const IMMUTABLE: &[Immutable] = &[
    Immutable {
        kind: "Rollout",
        path: "spec.selector",
        except: &[],
        reason: "Argo Rollouts v1.9 refuses a change of .spec.selector (the Rollout must be deleted and created again, which restarts every pod)",
        reference: "argo-rollouts v1.9.1 manifests/crds/rollout-crd.yaml: x-kubernetes-validations `self == oldSelf` on spec.selector (argoproj/argo-rollouts#4084)",
    },
    Immutable {
        kind: "PersistentVolumeClaim",
        path: "spec",
        except: &["spec.resources.requests"],
        reason: "Kubernetes refuses a change of a bound claim's spec other than a larger storage request",
        reference: "kubernetes v1.33 pkg/apis/core/validation/validation.go, ValidatePersistentVolumeClaimUpdate",
    },
];

/// Whether `path` is `prefix` or lies below it.
fn under(path: &str, prefix: &str) -> bool {
    path.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
}

/// The flag for a field change the API server will refuse, if it is one.
pub fn immutable(kind: &str, name: &str, field: &FieldChange) -> Option<Risk> {
    let rule = IMMUTABLE.iter().find(|r| {
        r.kind == kind
            && under(&field.path, r.path)
            && !r.except.iter().any(|e| under(&field.path, e))
    });
    if let Some(rule) = rule {
        return Some(risk(
            RiskKind::ImmutableField,
            format!("{kind} {name}"),
            format!("{} changes: {}", field.path, rule.reason),
            rule.reference,
        ));
    }
    // A claim's storage may grow, never shrink.
    let shrinks = kind == "PersistentVolumeClaim"
        && field.path == "spec.resources.requests.storage"
        && matches!(
            (quantity(field.before.as_ref()), quantity(field.after.as_ref())),
            (Some(b), Some(a)) if a < b
        );
    shrinks.then(|| {
        risk(
            RiskKind::ImmutableField,
            format!("{kind} {name}"),
            "the storage request shrinks: Kubernetes refuses a smaller request for a bound claim".to_owned(),
            "kubernetes v1.33 pkg/apis/core/validation/validation.go, ValidatePersistentVolumeClaimUpdate (\"field can not be less than previous value\")",
        )
    })
}

/// A quantity's value, for comparing two sizes; `None` when it is not one
/// (then no shrink is claimed: the check has refused such a size already).
fn quantity(value: Option<&Value>) -> Option<f64> {
    match value? {
        Value::String(s) => crate::check::quantity::parse(s)
            .ok()
            .map(crate::check::quantity::Quantity::as_f64),
        Value::Number(n) => n.as_f64(),
        _ => None,
    }
}

pub fn gate_removed(component: &str, gate: &str, summary: &str, template: &str) -> Risk {
    Risk {
        explains: Some(("AnalysisTemplate".to_owned(), template.to_owned())),
        ..risk(
            RiskKind::GateRemoved,
            format!("component {component}"),
            format!(
                "the {gate} gate is removed: the rollout no longer checks that {summary} before it shifts traffic"
            ),
            "docs/src/reference/strategies.md (how the canary works: the gates keep their places); Argo Rollouts runs only the analyses the Rollout's steps name",
        )
    }
}

pub fn gate_loosened(component: &str, gate: &str, what: &str, before: &str, after: &str) -> Risk {
    risk(
        RiskKind::GateLoosened,
        format!("component {component}"),
        format!(
            "the {gate} gate's {what} is loosened from {before} to {after}: a version it failed before may now pass"
        ),
        "docs/src/reference/strategies.md (how the canary works); Argo Rollouts judges each measurement by the template's conditions",
    )
}

pub fn stage_removed(stage: &str) -> Risk {
    Risk {
        explains: Some((String::new(), format!("stage {stage}"))),
        ..risk(
            RiskKind::StageRemoved,
            format!("stage {stage}"),
            "the stage is removed: Argo CD prunes its Kargo Stage (and its Argo CD Application, if oamc renders it); Freight no longer passes through it".to_owned(),
            PRUNE,
        )
    }
}

pub fn manual_promotion_removed(stage: &str) -> Risk {
    risk(
        RiskKind::ManualPromotionRemoved,
        format!("stage {stage}"),
        "promotion into this stage no longer waits for a person: Kargo promotes new Freight as soon as it is verified upstream".to_owned(),
        "kargo v1.11.2 ProjectConfig spec.promotionPolicies[].autoPromotionEnabled",
    )
}

pub fn pull_request_removed(stage: &str) -> Risk {
    risk(
        RiskKind::PullRequestRemoved,
        format!("stage {stage}"),
        "promotion into this stage no longer opens a pull request: Kargo pushes the stage's branch, and Argo CD syncs it, with no one reviewing the change".to_owned(),
        "kargo v1.11.2 git-open-pr, git-wait-for-pr",
    )
}

pub fn component_removed(component: &str) -> Risk {
    Risk {
        explains: Some((String::new(), format!("component {component}"))),
        ..risk(
            RiskKind::ComponentRemoved,
            format!("component {component}"),
            "the component is removed: Argo CD prunes its Rollout, Services and AnalysisTemplates, and its pods stop".to_owned(),
            PRUNE,
        )
    }
}

pub fn application_removed(application: &str, resources: usize) -> Risk {
    Risk {
        application: application.to_owned(),
        ..risk(
            RiskKind::ApplicationRemoved,
            format!("Application {application}"),
            format!(
                "the Application is no longer rendered: Argo CD prunes its {resources} resources (a rename shows as this and an added Application)"
            ),
            PRUNE,
        )
    }
}

pub fn namespace_moved(before: &Option<String>, after: &Option<String>, resources: usize) -> Risk {
    let ns = |n: &Option<String>| {
        n.clone()
            .unwrap_or_else(|| "(none: the destination's)".to_owned())
    };
    risk(
        RiskKind::ObjectReplaced,
        "namespace".to_owned(),
        format!(
            "the namespace changes from {} to {}: Kubernetes names an object by namespace and name, so Argo CD creates {resources} new objects and prunes the old ones (new pods, no progressive rollout)",
            ns(before),
            ns(after)
        ),
        PRUNE,
    )
}

pub fn renamed(kind: &str, from: &str, to: &str) -> Risk {
    risk(
        RiskKind::ObjectReplaced,
        format!("{kind} {from}"),
        format!(
            "renamed to {to}: Kubernetes names an object by namespace and name, so Argo CD creates {to} and prunes {from}"
        ),
        PRUNE,
    )
}

pub fn pruned(kind: &str, namespace: Option<&str>, name: &str) -> Risk {
    let at = namespace.map_or(name.to_owned(), |ns| format!("{ns}/{name}"));
    risk(
        RiskKind::Pruned,
        format!("{kind} {at}"),
        "no longer rendered: Argo CD deletes it on the next sync with pruning".to_owned(),
        PRUNE,
    )
}

pub fn weight_step_idle(component: &str, weight: u32, replicas: Option<u32>) -> Risk {
    let pods = replicas.map_or("its pods".to_owned(), |n| format!("{n} pods"));
    risk(
        RiskKind::WeightStepIdle,
        format!("component {component}"),
        format!(
            "the step to {weight}% no longer changes the pod counts (with {pods} and no traffic router the weight is a pod count): it waits without shifting traffic"
        ),
        "argo-rollouts v1.9.1 utils/replicaset/canary.go, approximateWeightedCanaryStableReplicaCounts",
    )
}
