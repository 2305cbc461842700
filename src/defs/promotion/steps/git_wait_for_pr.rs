//! `git-wait-for-pr`: the promotion waits until a person merges the pull
//! request, and its output `commit` is the merge commit
//! (`pkg/promotion/runner/builtin/git_pr_waiter.go`, v1.11.2: Running while
//! open, Failed when closed unmerged). Skipped when git-open-pr was: a
//! promotion that changes nothing opens no request (`RefsHaveDiffs`).

use super::{Task, git_open_pr, kargo};
use crate::plan::PromotionStep;
use serde::Serialize;

pub const TEMPLATE: (&str, &str) = (
    "kargo-step-git-wait-for-pr.yaml",
    include_str!("../../../../templates/kargo-step-git-wait-for-pr.yaml"),
);

/// The step's alias: argocd-update reads the merge commit from it.
pub const ALIAS: &str = "merged";

#[derive(Debug, Serialize)]
pub struct GitWaitForPr {
    /// When it runs: the request was opened (a Kargo expression).
    pub when: String,
    pub repo_url: String,
    pub provider: Option<&'static str>,
    /// The request's number, as git-open-pr gave it.
    pub pr_number: String,
}

/// Whether git-open-pr opened (or found) a request. `status()` resolves a
/// task step's alias within the task (`pkg/expressions/function/functions.go`, `getStatus`).
pub fn opened() -> String {
    format!("status('{}') != 'Skipped'", git_open_pr::ALIAS)
}

pub fn plan(t: &Task) -> GitWaitForPr {
    GitWaitForPr {
        when: kargo(&opened()),
        repo_url: t.repo_url(),
        provider: t.props.git_provider.map(git_open_pr::GitProvider::name),
        pr_number: kargo(&format!("task.outputs.{}.pr.id", git_open_pr::ALIAS)),
    }
}

impl GitWaitForPr {
    /// The commit the stage's branch holds after the promotion: the merge
    /// commit; else (no request opened, so this step was skipped and has no
    /// output; or a fast-forward merge, for which GitLab reports no merge
    /// commit: `pkg/gitprovider/gitlab/gitlab.go`, `convertGitlabMR`) the
    /// commit the push pushed, which the branch then holds. expr-lang v1.17:
    /// `?.` is nil on nil, `??` takes the right side on nil.
    pub fn merged_commit(&self, pushed_commit: &str) -> String {
        kargo(&format!("task.outputs.{ALIAS}?.commit ?? {pushed_commit}"))
    }
}

impl PromotionStep for GitWaitForPr {
    step_basics!("git-wait-for-pr", TEMPLATE.0, Some(ALIAS));
    fn person_acts(&self) -> Option<&'static str> {
        Some("a person merges the pull request")
    }
}
