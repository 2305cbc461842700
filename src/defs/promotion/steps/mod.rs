//! The PromotionTask's steps, one module per Kargo step: its config (what
//! its template reads), its template, and its line in `plan`. `task` puts
//! them in the order a promotion runs them.

pub mod argocd_update;
pub mod copy;
pub mod delete;
pub mod git_clone;
pub mod git_commit;
pub mod git_push;
pub mod yaml_update;

use super::KargoPromotion;
use crate::plan::{PromotionPlan, PromotionStep, StagePattern, StagePlan, YamlUpdatePlan};
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
/// and pushed to the stage's own branch, then synced by Argo CD.
pub fn task(t: &Task) -> Vec<Arc<dyn PromotionStep>> {
    let push = git_push::plan(t);
    let desired_revision = push.pushed_commit();
    vec![
        Arc::new(git_clone::plan(t)),
        Arc::new(delete::plan(t)),
        Arc::new(copy::plan(t)),
        Arc::new(yaml_update::plan(t)),
        Arc::new(git_commit::plan(t)),
        Arc::new(push),
        Arc::new(argocd_update::plan(t, desired_revision)),
    ]
}

/// A step kind: Kargo's name for it, its template, its alias, and its
/// fields, which are its config as the template reads it.
pub trait StepKind: serde::Serialize + std::fmt::Debug + Send + Sync {
    const USES: &'static str;
    /// Its template's file name.
    const TEMPLATE: &'static str;
    /// Its name among the task's steps, when a later step reads its output.
    const ALIAS: Option<&'static str> = None;
    /// Its line in `plan` for a promotion into `stage`, if it has one.
    fn describe(&self, _plan: &PromotionPlan, _stage: &StagePlan) -> Option<String> {
        None
    }
}

impl<T: StepKind> PromotionStep for T {
    fn uses(&self) -> &'static str {
        T::USES
    }
    fn alias(&self) -> Option<&'static str> {
        T::ALIAS
    }
    fn template(&self) -> &'static str {
        T::TEMPLATE
    }
    fn view(&self) -> minijinja::Value {
        minijinja::Value::from(minijinja::value::Serde(self))
    }
    fn describe(&self, plan: &PromotionPlan, stage: &StagePlan) -> Option<String> {
        StepKind::describe(self, plan, stage)
    }
}
