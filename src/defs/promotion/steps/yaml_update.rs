//! `yaml-update`: the Freight's image into the stage's manifest. Kargo
//! changes keys and never creates one (`pkg/yaml/yaml.go`,
//! `findScalarNode`: "key path not found"), so `plan` lists the keys every
//! stage's manifest needs.

use super::{STAGE_CHECKOUT, Task};
use crate::plan::{PromotionStep, StagePattern, YamlUpdatePlan};
use serde::Serialize;

pub const TEMPLATE: (&str, &str) = (
    "kargo-step-yaml-update.yaml",
    include_str!("../../../../templates/kargo-step-yaml-update.yaml"),
);

#[derive(Debug, Serialize)]
pub struct YamlUpdate {
    pub path: StagePattern,
    pub updates: Vec<YamlUpdatePlan>,
}

pub fn plan(t: &Task) -> YamlUpdate {
    YamlUpdate {
        path: t.pattern(&format!("{STAGE_CHECKOUT}/{}", t.props.manifest_path)),
        updates: t.updates.to_vec(),
    }
}

impl PromotionStep for YamlUpdate {
    step_basics!("yaml-update", TEMPLATE.0, Some("update-image"));
}
