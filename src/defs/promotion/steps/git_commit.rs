//! `git-commit`: the stage's branch, with the message naming stage and image.

use super::{STAGE_CHECKOUT, StepKind, Task, kargo};
use serde::Serialize;

pub const TEMPLATE: (&str, &str) = (
    "kargo-step-git-commit.yaml",
    include_str!("../../../../templates/kargo-step-git-commit.yaml"),
);

#[derive(Debug, Serialize)]
pub struct GitCommit {
    pub path: &'static str,
    pub message: String,
}

pub fn plan(t: &Task) -> GitCommit {
    GitCommit {
        path: STAGE_CHECKOUT,
        message: format!("Promote {} to {}", kargo("ctx.stage"), t.version),
    }
}

impl StepKind for GitCommit {
    const USES: &'static str = "git-commit";
    const TEMPLATE: &'static str = TEMPLATE.0;
    const ALIAS: Option<&'static str> = Some("commit");
}
