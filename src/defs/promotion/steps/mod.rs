//! The PromotionTask's steps, one module per Kargo step: its config (what
//! its template reads), its template, and its line in `plan`. `task` puts
//! them in the order a promotion runs them.

/// What every step writes the same way: Kargo's name for it, its alias, its
/// template, and its fields as the template's `config`.
macro_rules! step_basics {
    ($uses:literal, $template:expr, $alias:expr) => {
        fn uses(&self) -> &'static str {
            $uses
        }
        fn alias(&self) -> Option<&'static str> {
            $alias
        }
        fn template(&self) -> &'static str {
            $template
        }
        fn view(&self) -> minijinja::Value {
            minijinja::Value::from(minijinja::value::Serde(self))
        }
    };
}

pub mod argocd_update;
pub mod copy;
pub mod delete;
pub mod git_clone;
pub mod git_commit;
pub mod git_open_pr;
pub mod git_push;
pub mod git_wait_for_pr;
pub mod yaml_update;

use super::KargoPromotion;
use crate::plan::{PromotionStep, StagePattern, YamlUpdatePlan};
use std::sync::Arc;

/// Each step's template, name and built-in text: the registry the renderer
/// adds to its own.
pub const TEMPLATES: &[(&str, &str)] = &[
    git_clone::TEMPLATE,
    delete::TEMPLATE,
    copy::TEMPLATE,
    yaml_update::TEMPLATE,
    git_commit::TEMPLATE,
    git_push::TEMPLATE,
    git_open_pr::TEMPLATE,
    git_wait_for_pr::TEMPLATE,
    argocd_update::TEMPLATE,
];

/// Where the task checks out `branch` (read) and the stage's own branch
/// (written).
pub const SOURCE_CHECKOUT: &str = "./src";
pub const STAGE_CHECKOUT: &str = "./out";

/// A Kargo expression: `${{ inner }}`.
pub fn kargo(inner: &str) -> String {
    format!("${{{{ {inner} }}}}")
}

/// What the steps are made from: the policy and what the plan resolved.
pub struct Task<'a> {
    pub app: &'a str,
    pub props: &'a KargoPromotion,
    /// The stage's folder in the repository, `{stage}` in it.
    pub folder: &'a str,
    pub updates: &'a [YamlUpdatePlan],
    /// The promoted image's tag or digest, as a Kargo expression.
    pub version: &'a str,
    /// The namespace written into argocd-update (`None`: the step's default).
    pub argocd_namespace: Option<String>,
}

impl Task<'_> {
    /// `text` with `{app}` filled and `{stage}` kept as the stage.
    pub fn pattern(&self, text: &str) -> StagePattern {
        StagePattern::parse(text, self.app)
    }

    /// The task's `repoURL` variable.
    pub fn repo_url(&self) -> String {
        kargo("vars.repoURL")
    }
}

/// A stage's promotion: its folder as written, with the image set, committed
/// and pushed to the stage's own branch (or, by pull request, to a branch
/// that a person merges into it), then synced by Argo CD.
pub fn task(t: &Task, by_pull_request: bool) -> Vec<Arc<dyn PromotionStep>> {
    let push = git_push::plan(t, by_pull_request);
    let mut steps: Vec<Arc<dyn PromotionStep>> = vec![
        Arc::new(git_clone::plan(t)),
        Arc::new(delete::plan(t)),
        Arc::new(copy::plan(t)),
        Arc::new(yaml_update::plan(t)),
        Arc::new(git_commit::plan(t)),
    ];
    let desired_revision = if by_pull_request {
        let open = git_open_pr::plan(t, push.pushed_branch());
        let wait = git_wait_for_pr::plan(t);
        let merged = wait.merged_commit(&push.pushed_commit());
        steps.extend([
            Arc::new(push) as Arc<dyn PromotionStep>,
            Arc::new(open),
            Arc::new(wait),
        ]);
        merged
    } else {
        let pushed = kargo(&push.pushed_commit());
        steps.push(Arc::new(push));
        pushed
    };
    steps.push(Arc::new(argocd_update::plan(t, desired_revision)));
    steps
}
