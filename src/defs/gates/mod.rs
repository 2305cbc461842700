//! The quality gates of an appmod-service component, one module per kind:
//! its properties, its rules and its plan. The component's strategy places
//! each gate's run (`appmod`); the timeline, `plan`, `diff` and the live
//! runner read the plan.

pub mod functional;
pub mod metrics;
pub mod performance;

/// Each gate kind's template, name and built-in text: the registry of gates'
/// templates, which the renderer adds to its own.
pub const TEMPLATES: &[(&str, &str)] = &[
    functional::TEMPLATE,
    performance::TEMPLATE,
    metrics::TEMPLATE,
];

use crate::check::duration::Kind;
use crate::check::{DocContext, check_duration, syntax};
use crate::diagnostic::Code;
use crate::dom::DocPath;
use crate::path;
use crate::plan::*;

/// Defaults the gates share.
pub mod defaults {
    use crate::model::TextOrNumber;
    pub fn extra_args() -> TextOrNumber {
        TextOrNumber::Text(String::new())
    }
}

pub(crate) const SERVICE_NAME_ARG: &str = "service-name";
/// The metrics gate's argument: the Rollout's namespace, which its queries select.
pub const NAMESPACE_ARG: &str = "namespace";

/// One configured gate: its AnalysisTemplate and how a run of it is started.
pub(crate) struct GatePlan {
    pub(crate) gate: Gate,
    pub(crate) pause: PauseDuration,
    pub(crate) template: AnalysisPlan,
}

impl GatePlan {
    /// The arguments a run of this gate needs; job gates test `target`.
    pub(crate) fn args(&self, target: &str) -> Vec<ArgPlan> {
        match self.gate {
            Gate::Functional | Gate::Performance => vec![ArgPlan {
                name: SERVICE_NAME_ARG.into(),
                value: Some(target.to_owned()),
                field_path: None,
            }],
            Gate::Metrics => vec![ArgPlan {
                name: NAMESPACE_ARG.into(),
                value: None,
                field_path: Some("metadata.namespace".into()),
            }],
        }
    }

    pub(crate) fn step(&self, target: &str) -> StepPlan {
        StepPlan::Analysis {
            gate: self.gate,
            template: self.template.name.clone(),
            args: self.args(target),
        }
    }
}

/// Where a Job gate sends its requests, and how long its Job may run.
pub(crate) struct GateReach {
    /// appPath and one `/`, as upstream fetched it (`/java-app/`; `/` stays `/`).
    pub(crate) path: String,
    pub(crate) target_url: String,
    pub(crate) deadline_seconds: u32,
}

impl GateReach {
    pub(crate) fn job(&self, image: &str) -> JobPlan {
        JobPlan {
            image: image.to_owned(),
            target_url: self.target_url.clone(),
            path: self.path.clone(),
            deadline_seconds: self.deadline_seconds,
        }
    }
}

pub(crate) fn check_job_gate(ctx: &mut DocContext, gate_path: &DocPath, pause: &str, image: &str) {
    check_duration(ctx, &gate_path.join(&path!["pause"]), Kind::Pause, pause);
    if let Err(why) = syntax::image_reference(image) {
        ctx.error(
            Code::Image,
            &gate_path.join(&path!["image"]),
            format!("gate image `{image}` {why}"),
        );
    }
}
