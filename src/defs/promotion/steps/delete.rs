//! `delete`: the stage's folder on its branch, so a file removed from the
//! folder as written leaves the stage too.

use super::{STAGE_CHECKOUT, Task};
use crate::plan::{PromotionStep, StagePattern};
use serde::Serialize;

pub const TEMPLATE: (&str, &str) = (
    "kargo-step-delete.yaml",
    include_str!("../../../../templates/kargo-step-delete.yaml"),
);

#[derive(Debug, Serialize)]
pub struct Delete {
    pub path: StagePattern,
}

pub fn plan(t: &Task) -> Delete {
    Delete {
        path: t.pattern(&format!("{STAGE_CHECKOUT}/{}", t.folder)),
    }
}

impl PromotionStep for Delete {
    step_basics!("delete", TEMPLATE.0, None);
}
