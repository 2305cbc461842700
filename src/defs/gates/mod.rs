//! The quality gates of an appmod-service component, one module per kind:
//! its properties, its rules and its plan. The component's strategy places
//! each gate's run (`appmod`); the timeline, `plan`, `diff` and the live
//! runner read the plan.

pub mod functional;
pub mod metrics;
pub mod performance;
pub mod web;

/// Each gate kind's template, name and built-in text: the registry of gates'
/// templates, which the renderer adds to its own.
pub const TEMPLATES: &[(&str, &str)] = &[
    functional::TEMPLATE,
    performance::TEMPLATE,
    metrics::TEMPLATE,
    web::TEMPLATE,
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

/// What the timeline says of the Job gates (functional, performance).
pub(crate) const JOB_NOTE: TimeNote = TimeNote {
    rank: 2,
    text: "a Job gate's requests take what the application takes: the least time counts only Artillery's fixed phases, the most is the Job's deadline",
};
/// The metrics gate's argument: the Rollout's namespace, which its queries select.
pub const NAMESPACE_ARG: &str = "namespace";

/// Where a gate runs in a rollout: an early gate checks the new version
/// before it takes real traffic (after a canary's first weight, before a
/// blue/green switch); a late one after the last weight or the switch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    Early,
    Late,
}

/// One configured gate: its AnalysisTemplate and how a run of it is started.
pub(crate) struct GatePlan {
    pub(crate) gate: Gate,
    pub(crate) phase: Phase,
    pub(crate) pause: PauseDuration,
    pub(crate) template: AnalysisPlan,
}

impl GatePlan {
    /// The arguments a run of this gate needs, one per argument its
    /// template declares: the Service it tests (`target`), the namespace.
    pub(crate) fn args(&self, target: &str) -> Vec<ArgPlan> {
        self.template
            .args
            .iter()
            .map(|name| ArgPlan {
                name: name.clone(),
                value: (name == SERVICE_NAME_ARG).then(|| target.to_owned()),
                field_path: (name == NAMESPACE_ARG).then(|| "metadata.namespace".into()),
            })
            .collect()
    }

    pub(crate) fn step(&self, target: &str) -> StepPlan {
        StepPlan::Analysis {
            gate: self.gate,
            template: self.template.name.clone(),
            args: self.args(target),
        }
    }
}

/// A gate sharing a run starts with the other gates (argo-rollouts v1.9.1
/// `analysis/analysis.go`, `generateMetricTasks`: every metric of a run is
/// due at once; an Experiment starts all its analyses together), so it
/// waits its pause and, when the performance gate runs beside it, the
/// longest a passing load lasts: it then reads what the load did. The whole
/// seconds Argo waits for the pause, written as a Go duration.
pub(crate) fn shared_run_delay(
    pause: &PauseDuration,
    load: Option<(u64, &'static str)>,
) -> GoDuration {
    let seconds = pause
        .seconds()
        .saturating_add(load.map_or(0, |(seconds, _)| seconds));
    GoDuration::new(format!("{seconds}s"), seconds.saturating_mul(1_000_000_000))
}

/// What `plan` says of a gate that shares its run: when it first reads, and
/// why (`verb`: "reads Prometheus", "asks"; `pause`: the property and its text).
pub(crate) fn shared_run_words(
    delay: Option<&GoDuration>,
    load: Option<(u64, &'static str)>,
    verb: &str,
    pause: (&str, &str),
) -> String {
    let (key, text) = pause;
    match (delay, load) {
        (Some(delay), Some((seconds, why))) => format!(
            "starts with the other gates of its run and first {verb} {delay} after: {key} ({text}) plus {seconds}s, {why}; "
        ),
        (Some(delay), None) => format!(
            "starts with the other gates of its run and first {verb} {delay} after ({key}); "
        ),
        (None, _) => String::new(),
    }
}

/// Where a gate sends its requests to the new version, and how long a Job may run.
pub(crate) struct GateReach {
    /// `http://{{args.service-name}}:<port>`: the new version, through the gate's Service.
    pub(crate) origin: String,
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

/// `item.job` of a Job gate's template: a field a gate kind does not have is none.
#[derive(serde::Serialize, Default)]
pub(crate) struct JobView<'a> {
    pub(crate) image: &'a str,
    pub(crate) target_url: &'a str,
    pub(crate) path: &'a str,
    pub(crate) expected_text: Option<&'a str>,
    /// `ab` or `artillery`.
    pub(crate) tool: Option<&'static str>,
    pub(crate) max_mean_latency_ms: Option<String>,
    pub(crate) requests: Option<u32>,
    pub(crate) concurrency: Option<u32>,
    pub(crate) artillery_config: Option<&'a str>,
    pub(crate) arrivals: Option<&'a performance::ArrivalPlan>,
    pub(crate) deadline_seconds: u32,
}

impl<'a> JobView<'a> {
    pub(crate) fn of(job: &'a JobPlan) -> JobView<'a> {
        JobView {
            image: &job.image,
            target_url: &job.target_url,
            path: &job.path,
            deadline_seconds: job.deadline_seconds,
            ..JobView::default()
        }
    }
}

/// A Job gate's Job: its path, image and deadline.
pub(crate) fn job_moves(a: &JobPlan, b: &JobPlan, moves: &mut Vec<GateMove>) {
    if a.path != b.path {
        moves.push(GateMove::new(
            Way::Other,
            "path".into(),
            a.path.clone(),
            b.path.clone(),
        ));
    }
    if a.image != b.image {
        moves.push(GateMove::new(
            Way::Other,
            "Job image".into(),
            a.image.clone(),
            b.image.clone(),
        ));
    }
    if a.deadline_seconds != b.deadline_seconds {
        let way = if b.deadline_seconds > a.deadline_seconds {
            Way::Looser
        } else {
            Way::Tighter
        };
        moves.push(GateMove::new(
            way,
            "Job deadline".into(),
            format!("{} s", a.deadline_seconds),
            format!("{} s", b.deadline_seconds),
        ));
    }
}

/// A gate's Job: a container that requests the new version.
#[derive(Debug, Clone)]
pub struct JobPlan {
    pub image: String,
    /// URL of the new version, with the preview Service as an analysis argument.
    pub target_url: String,
    /// The path of `target_url`: appPath and one `/` (`oamc gates` appends it to its URL).
    pub path: String,
    pub deadline_seconds: u32,
}
