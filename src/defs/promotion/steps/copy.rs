//! `copy`: the stage's folder as written onto the stage's branch.

use super::{SOURCE_CHECKOUT, STAGE_CHECKOUT, Task};
use crate::plan::{PromotionStep, StagePattern};
use serde::Serialize;

pub const TEMPLATE: (&str, &str) = (
    "kargo-step-copy.yaml",
    include_str!("../../../../templates/kargo-step-copy.yaml"),
);

#[derive(Debug, Serialize)]
pub struct Copy {
    pub in_path: StagePattern,
    pub out_path: StagePattern,
}

pub fn plan(t: &Task) -> Copy {
    Copy {
        in_path: t.pattern(&format!("{SOURCE_CHECKOUT}/{}", t.folder)),
        out_path: t.pattern(&format!("{STAGE_CHECKOUT}/{}", t.folder)),
    }
}

impl PromotionStep for Copy {
    step_basics!("copy", TEMPLATE.0, None);
}
