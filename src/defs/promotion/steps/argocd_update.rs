//! `argocd-update`: the stage's Argo CD Application synced to the revision
//! the promotion made; Kargo's health check then waits for that revision
//! (`pkg/health/checker/builtin/argocd.go`, `stageHealthForAppSync`).

use super::Task;
use crate::plan::{PromotionPlan, PromotionStep, StagePattern, StagePlan};
use serde::Serialize;

pub const TEMPLATE: (&str, &str) = (
    "kargo-step-argocd-update.yaml",
    include_str!("../../../../templates/kargo-step-argocd-update.yaml"),
);

#[derive(Debug, Serialize)]
pub struct ArgoCdUpdate {
    pub app: StagePattern,
    /// `None`: the step's default namespace.
    pub namespace: Option<String>,
    pub repo_url: String,
    /// The commit the Application must sync, as a Kargo expression.
    pub desired_revision: String,
}

pub fn plan(t: &Task, desired_revision: String) -> ArgoCdUpdate {
    ArgoCdUpdate {
        app: t.pattern(&t.props.argocd_app),
        namespace: t.argocd_namespace.clone(),
        repo_url: t.repo_url(),
        desired_revision,
    }
}

impl PromotionStep for ArgoCdUpdate {
    step_basics!("argocd-update", TEMPLATE.0, None);
    fn describe(&self, p: &PromotionPlan, stage: &StagePlan) -> Option<String> {
        let name = self.app.show(&stage.name);
        let argocd_ns = &p.argocd_looks_in;
        let emitted = p
            .argocd
            .as_ref()
            .and_then(|a| a.applications.iter().find(|a| a.stage == stage.name));
        Some(match emitted {
            Some(a) => {
                let cluster = match (&a.destination_server, &a.destination_name) {
                    (Some(server), _) => format!(" of cluster {server}"),
                    (None, Some(name)) => format!(" of cluster {name}"),
                    (None, None) => String::new(),
                };
                let into = a
                    .destination_namespace
                    .as_deref()
                    .map_or(String::new(), |n| format!(" into namespace {n}{cluster}"));
                format!(
                    "then Argo CD Application {name} (namespace {argocd_ns}, emitted with the pipeline, tracking {}) syncs that commit: it renders {} with the oamc plugin (promotion: skip){into}",
                    a.target_revision, a.path
                )
            }
            None => format!(
                "then Argo CD Application {name} (namespace {argocd_ns}, which must track {}) syncs that commit",
                p.stage_branch.show(&stage.name)
            ),
        })
    }
}
