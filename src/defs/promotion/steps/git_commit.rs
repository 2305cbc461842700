//! `git-commit`: the stage's branch, with the message naming stage and image.

use super::{STAGE_CHECKOUT, Task, kargo};
use crate::plan::PromotionStep;
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

impl PromotionStep for GitCommit {
    step_basics!("git-commit", TEMPLATE.0, Some("commit"));
}
