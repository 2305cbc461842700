//! `git-clone`: the manifests' branch, read only, and the stage's own
//! branch, created empty the first time.

use super::{SOURCE_CHECKOUT, STAGE_CHECKOUT, Task, kargo};
use crate::plan::{PromotionStep, StagePattern};
use serde::Serialize;

pub const TEMPLATE: (&str, &str) = (
    "kargo-step-git-clone.yaml",
    include_str!("../../../../templates/kargo-step-git-clone.yaml"),
);

#[derive(Debug, Serialize)]
pub struct GitClone {
    pub repo_url: String,
    /// The promotion commits' author (git-commit's own is deprecated since Kargo v1.10).
    pub author: Author,
    pub checkout: Vec<Checkout>,
}

#[derive(Debug, Serialize)]
pub struct Author {
    pub name: String,
    pub email: String,
}

#[derive(Debug, Serialize)]
pub struct Checkout {
    pub branch: StagePattern,
    /// The branch is created (empty) when the remote lacks it.
    pub create: bool,
    pub path: &'static str,
}

pub fn plan(t: &Task) -> GitClone {
    GitClone {
        repo_url: t.repo_url(),
        author: Author {
            name: t.props.git_author.name.clone(),
            email: t.props.git_author.email.clone(),
        },
        checkout: vec![
            Checkout {
                branch: t.pattern(&kargo("vars.branch")),
                create: false,
                path: SOURCE_CHECKOUT,
            },
            Checkout {
                branch: t.pattern(&t.props.stage_branch),
                create: true,
                path: STAGE_CHECKOUT,
            },
        ],
    }
}

impl PromotionStep for GitClone {
    step_basics!("git-clone", TEMPLATE.0, None);
}
