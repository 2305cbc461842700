//! `git-push`: the stage's branch, rebased onto the remote's first
//! (`git_pusher.go`, output `commit`: the pushed commit, not git-commit's).

use super::{STAGE_CHECKOUT, StepKind, Task, kargo};
use crate::plan::{PromotionPlan, StagePlan};
use serde::Serialize;

pub const TEMPLATE: (&str, &str) = (
    "kargo-step-git-push.yaml",
    include_str!("../../../../templates/kargo-step-git-push.yaml"),
);

/// The step's alias: argocd-update reads its output.
pub const ALIAS: &str = "push";

#[derive(Debug, Serialize)]
pub struct GitPush {
    pub path: &'static str,
}

pub fn plan(_: &Task) -> GitPush {
    GitPush {
        path: STAGE_CHECKOUT,
    }
}

impl GitPush {
    /// The commit it pushed, as a later step of the task reads it. Inside a
    /// PromotionTask a step's outputs are `task.outputs.<alias>`: Kargo
    /// renames the task's steps to `<task alias>::<alias>` when it inflates
    /// them into a Stage's promotion (`pkg/api/promotion.go`,
    /// `inflateTaskSteps`; `pkg/promotion/evaluator.go`, `getTaskOutputs`).
    pub fn pushed_commit(&self) -> String {
        kargo(&format!("task.outputs.{ALIAS}.commit"))
    }
}

impl StepKind for GitPush {
    const USES: &'static str = "git-push";
    const TEMPLATE: &'static str = TEMPLATE.0;
    const ALIAS: Option<&'static str> = Some(ALIAS);
    fn describe(&self, p: &PromotionPlan, stage: &StagePlan) -> Option<String> {
        Some(format!(
            "commits the image to {} on branch {} of {} (the stage's folder as on {}, with the image set); only this stage's promotions move that branch, so the stage stays Healthy while others are promoted",
            p.repo_file(&stage.name),
            p.stage_branch.show(&stage.name),
            p.repo_url,
            p.branch,
        ))
    }
}
