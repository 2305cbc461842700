//! `git-push`: the stage's branch, rebased onto the remote's first
//! (`git_pusher.go`, output `commit`: the pushed commit, not git-commit's).

use super::{STAGE_CHECKOUT, Task, kargo};
use crate::plan::{PromotionPlan, PromotionStep, StagePlan};
use serde::Serialize;

pub const TEMPLATE: (&str, &str) = (
    "kargo-step-git-push.yaml",
    include_str!("../../../../templates/kargo-step-git-push.yaml"),
);

/// The step's alias: argocd-update reads its output.
pub const ALIAS: &str = "push";

/// The branches `generateTargetBranch` pushes: one per Promotion
/// (`git_pusher.go`: `kargo/promotion/<promotion>`, force-pushed).
pub const GENERATED_BRANCHES: &str = "kargo/promotion/<promotion>";

#[derive(Debug, Serialize)]
pub struct GitPush {
    pub path: &'static str,
    /// Push to a branch of the promotion's own (`kargo/promotion/<promotion>`,
    /// force-pushed, no rebase), for a pull request; else the stage's branch.
    pub generate_target_branch: bool,
}

pub fn plan(_: &Task, by_pull_request: bool) -> GitPush {
    GitPush {
        path: STAGE_CHECKOUT,
        generate_target_branch: by_pull_request,
    }
}

impl GitPush {
    /// The commit it pushed, as a later step of the task reads it. Inside a
    /// PromotionTask a step's outputs are `task.outputs.<alias>`: Kargo
    /// renames the task's steps to `<task alias>::<alias>` when it inflates
    /// them into a Stage's promotion (`pkg/api/promotion.go`,
    /// `inflateTaskSteps`; `pkg/promotion/evaluator.go`, `getTaskOutputs`).
    pub fn pushed_commit(&self) -> String {
        format!("task.outputs.{ALIAS}.commit")
    }

    /// The branch it pushed, as a later step of the task reads it.
    pub fn pushed_branch(&self) -> String {
        kargo(&format!("task.outputs.{ALIAS}.branch"))
    }
}

impl PromotionStep for GitPush {
    step_basics!("git-push", TEMPLATE.0, Some(ALIAS));
    fn pushes(&self, p: &PromotionPlan, stage: &StagePlan) -> Option<String> {
        Some(if self.generate_target_branch {
            GENERATED_BRANCHES.to_owned()
        } else {
            p.stage_branch.show(&stage.name)
        })
    }
    fn describe(&self, p: &PromotionPlan, stage: &StagePlan) -> Option<String> {
        if self.generate_target_branch {
            return Some(format!(
                "commits the image to {} on a branch of its own ({GENERATED_BRANCHES}) in {} (the stage's folder as on {}, with the image set, on top of {})",
                p.repo_file(&stage.name),
                p.repo_url,
                p.branch,
                p.stage_branch.show(&stage.name),
            ));
        }
        Some(format!(
            "commits the image to {} on branch {} of {} (the stage's folder as on {}, with the image set); only this stage's promotions move that branch, so the stage stays Healthy while others are promoted",
            p.repo_file(&stage.name),
            p.stage_branch.show(&stage.name),
            p.repo_url,
            p.branch,
        ))
    }
}
