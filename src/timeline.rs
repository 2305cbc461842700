//! How long a rollout takes and what traffic each step gets, from the plan
//! and the controllers' own rules: each step's least and most time, the
//! earliest a gate can abort, the share of requests on the new version, and
//! totals for the rollout and, with a `kargo-promotion` policy, from a new
//! image to the last stage. `plan` prints it (in `plan_view`), draws it
//! as a Mermaid gantt ([`gantt`]) and as an SVG ([`svg`]); `diff` compares it.
//!
//! What no manifest fixes is named, not guessed: an image pull and a pod
//! start, a Job's own run time, a person's decision, Git and Argo CD.

pub use crate::plan::GateTime;
use crate::plan::{
    AnalysisPlan, AppPlan, Gate, PromotionPlan, ServicePlan, StepPlan, StrategyPlan,
};
use crate::semantics::rollouts::{self, together};
pub use crate::semantics::rollouts::{CONSECUTIVE_ERROR_LIMIT, ERROR_RETRY_SECONDS};
use serde::Serialize;

/// `DefaultScaleDownDelaySeconds`: how long a canary with a traffic router
/// keeps the old pods after the switch (oamc does not set the field).
pub const CANARY_SCALE_DOWN_DELAY_SECONDS: u64 = 30;

/// Every Application's timeline, in the plan's order.
pub fn of_apps(apps: &[AppPlan]) -> Vec<AppTimeline> {
    apps.iter().map(of_app).collect()
}

#[derive(Debug, Clone, Serialize)]
pub struct AppTimeline {
    pub rollouts: Vec<RolloutTimeline>,
    pub promotion: Option<PromotionTimeline>,
}

pub fn of_app(app: &AppPlan) -> AppTimeline {
    let rollouts: Vec<RolloutTimeline> = app.services.iter().map(of_service).collect();
    let promotion = app.promotion.as_ref().map(|p| of_promotion(p, &rollouts));
    AppTimeline {
        rollouts,
        promotion,
    }
}

/// One component's rollout, step by step.
#[derive(Debug, Clone, Serialize)]
pub struct RolloutTimeline {
    pub component: String,
    pub strategy: &'static str,
    pub spans: Vec<Span>,
    /// From the start to 100% on the new version when every gate passes at
    /// once and no wait runs long: the sum of the spans' least times.
    pub best_seconds: u64,
    /// The longest it can run before it completes or aborts, when no person
    /// has to act: the sum of the spans' most times.
    pub worst_seconds: u64,
    /// A span waits for a person (a manual promotion): its time is not in
    /// the totals, and without that person the rollout does not end.
    pub waits_for_person: bool,
    /// After 100%, how long the old pods are kept (an instant rollback).
    pub old_version_kept_seconds: u64,
    pub progress_deadline_seconds: u32,
    /// What the totals leave out, and rules of the controller that change
    /// what a gate measures.
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum SpanKind {
    /// New pods are started (or the traffic moves): no fixed time, bounded
    /// by `progressDeadlineSeconds` when it waits for pods.
    Scale,
    Pause,
    Gate,
    Experiment,
    /// Waits for a person.
    Person,
}

/// One step of the rollout.
#[derive(Debug, Clone, Serialize)]
pub struct Span {
    pub label: String,
    pub kind: SpanKind,
    /// The gates that run in this span.
    pub gates: Vec<Gate>,
    /// When it starts in the best case.
    pub start_seconds: u64,
    pub min_seconds: u64,
    /// `None`: waits for a person.
    pub max_seconds: Option<u64>,
    /// The earliest a failing gate aborts the rollout, from the span's start.
    pub fails_after_seconds: Option<u64>,
    pub traffic: Traffic,
}

/// The users' requests during a span.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Traffic {
    /// Share of requests that reach the new version, in percent (one decimal).
    pub new_percent: f64,
    /// Pods of the new and the old version behind the Service users reach,
    /// when the replica count is known.
    pub new_pods: Option<u32>,
    pub old_pods: Option<u32>,
    /// A traffic router sets the share exactly; else it is the pods' share.
    pub exact: bool,
}

impl Traffic {
    fn all(new: bool, s: &ServicePlan) -> Traffic {
        let n = replicas(s);
        Traffic {
            new_percent: if new { 100.0 } else { 0.0 },
            new_pods: n.map(|n| if new { n } else { 0 }),
            old_pods: n.map(|n| if new { 0 } else { n }),
            exact: true,
        }
    }

    fn pods(new: u32, old: u32) -> Traffic {
        Traffic {
            new_percent: percent(new, new + old),
            new_pods: Some(new),
            old_pods: Some(old),
            exact: false,
        }
    }
}

fn percent(part: u32, whole: u32) -> f64 {
    if whole == 0 {
        return 0.0;
    }
    (f64::from(part) * 1000.0 / f64::from(whole)).round() / 10.0
}

/// The replicas the weights are taken of: the count, or the autoscaler's
/// minimum (where a new rollout starts from).
fn replicas(s: &ServicePlan) -> Option<u32> {
    s.replicas.or(s.autoscaler.as_ref().map(|h| h.min))
}

/// The requests a canary step at `weight` sends to the new version. With a
/// router, exactly the weight; without, the Service reaches every pod and
/// the pods are those of argo-rollouts v1.9.1
/// `approximateWeightedCanaryStableReplicaCounts`.
pub fn canary_traffic(s: &ServicePlan, weight: u32) -> Traffic {
    let routed = matches!(
        &s.strategy,
        StrategyPlan::Canary {
            traffic_routing: Some(_),
            ..
        }
    );
    match (routed, replicas(s)) {
        (false, Some(n)) => {
            let (new, old) =
                rollouts::canary_stable_counts(n, weight, 100, rollouts::default_max_surge(n));
            Traffic::pods(new, old)
        }
        // With a router the canary ReplicaSet has ceil(n × weight) pods and
        // the stable keeps n (`CalculateReplicaCountsForTrafficRoutedCanary`,
        // `dynamicStableScale` unset): the share is the weight.
        (true, n) => Traffic {
            new_percent: f64::from(weight),
            new_pods: n.map(|n| (u64::from(n) * u64::from(weight)).div_ceil(100) as u32),
            old_pods: n,
            exact: true,
        },
        (false, None) => Traffic {
            new_percent: f64::from(weight),
            new_pods: None,
            old_pods: None,
            exact: false,
        },
    }
}

/// A gate's own time: computed by its kind when it was planned.
pub fn gate_time(t: &AnalysisPlan) -> GateTime {
    t.time
}

fn template<'a>(s: &'a ServicePlan, name: &str) -> Option<&'a AnalysisPlan> {
    s.analysis_templates.iter().find(|t| t.name == name)
}

fn gates_time(s: &ServicePlan, templates: &[&str]) -> GateTime {
    let mut times = Vec::with_capacity(templates.len());
    for name in templates {
        // The planner builds each step's template with the step (one
        // `GatePlan`), and `verify` holds every templateName to an emitted
        // AnalysisTemplate: a name without its template is a planner bug.
        match template(s, name) {
            Some(t) => times.push(gate_time(t)),
            None => debug_assert!(false, "no AnalysisTemplate {name} in the plan"),
        }
    }
    together(&times)
}

fn gate_label(gates: &[Gate]) -> String {
    let names: Vec<&str> = gates.iter().map(|g| g.name()).collect();
    match names.len() {
        1 => format!("{} gate", names[0]),
        _ => format!("{} gates", names.join(" + ")),
    }
}

struct Builder<'a> {
    s: &'a ServicePlan,
    spans: Vec<Span>,
    at: u64,
}

impl Builder<'_> {
    fn push(
        &mut self,
        label: String,
        kind: SpanKind,
        gates: Vec<Gate>,
        (min, max): (u64, Option<u64>),
        fails_after: Option<u64>,
        traffic: Traffic,
    ) {
        self.spans.push(Span {
            label,
            kind,
            gates,
            start_seconds: self.at,
            min_seconds: min,
            max_seconds: max,
            fails_after_seconds: fails_after,
            traffic,
        });
        self.at += min;
    }

    /// Pods to start: no time fixed, at most `progressDeadlineSeconds`, after
    /// which `progressDeadlineAbort: true` aborts (rollout/sync.go; pauses,
    /// analyses and experiments do not count, `isIndefiniteStep`).
    fn scale(&mut self, label: String, starts_pods: bool, traffic: Traffic) {
        let deadline = u64::from(self.s.progress_deadline_seconds);
        let max = if starts_pods { deadline } else { 0 };
        self.push(
            label,
            SpanKind::Scale,
            vec![],
            (0, Some(max)),
            None,
            traffic,
        );
    }

    fn gates(&mut self, gates: Vec<Gate>, templates: &[&str], traffic: Traffic) {
        let t = gates_time(self.s, templates);
        self.push(
            gate_label(&gates),
            SpanKind::Gate,
            gates,
            (t.min, Some(t.max)),
            Some(t.fails_after),
            traffic,
        );
    }
}

pub fn of_service(s: &ServicePlan) -> RolloutTimeline {
    let mut b = Builder {
        s,
        spans: Vec::new(),
        at: 0,
    };
    let mut notes = vec![
        "not counted: pulling the image and starting pods (each scale step waits for them, up to progressDeadlineSeconds)".to_owned(),
    ];
    let mut kept = 0;
    let full = Traffic::all(true, s);
    match &s.strategy {
        StrategyPlan::Canary {
            steps,
            traffic_routing,
            ..
        } => kept = canary_spans(&mut b, steps, traffic_routing.is_some(), full),
        StrategyPlan::AbTest {
            duration,
            variants,
            analyses,
            ..
        } => ab_test_spans(&mut b, duration, variants, analyses, full, &mut notes),
        StrategyPlan::BlueGreen {
            auto_promotion_enabled,
            scale_down_delay_seconds,
            pre_promotion,
            post_promotion,
            ..
        } => {
            let analyses = (pre_promotion.as_ref(), post_promotion.as_ref());
            blue_green_spans(&mut b, *auto_promotion_enabled, analyses, full);
            kept = u64::from(*scale_down_delay_seconds);
        }
    }
    // Each kind of gate's note, once, readings before Jobs.
    let kinds: std::collections::BTreeSet<crate::plan::TimeNote> =
        s.analysis_templates.iter().map(|t| t.note).collect();
    notes.extend(kinds.into_iter().map(|n| n.text.to_owned()));
    let waits_for_person = b.spans.iter().any(|s| s.max_seconds.is_none());
    RolloutTimeline {
        component: s.name.clone(),
        strategy: s.strategy.name(),
        best_seconds: b.spans.iter().map(|s| s.min_seconds).sum(),
        // A person's wait (`None`) has no most time: it is left out here and
        // said by `waits_for_person`.
        worst_seconds: b.spans.iter().filter_map(|s| s.max_seconds).sum(),
        spans: b.spans,
        waits_for_person,
        old_version_kept_seconds: kept,
        progress_deadline_seconds: s.progress_deadline_seconds,
        notes,
    }
}

/// A canary's steps as spans; the seconds the old version is kept after
/// (with a router, Argo's scale-down delay).
fn canary_spans(b: &mut Builder, steps: &[StepPlan], routed: bool, full: Traffic) -> u64 {
    // Before the first weight the canary has no pods (weight 0).
    let mut traffic = canary_traffic(b.s, 0);
    for step in steps {
        match step {
            StepPlan::SetWeight { weight } => {
                let next = canary_traffic(b.s, *weight);
                let starts = next.new_pods != traffic.new_pods || next.new_pods.is_none();
                traffic = next;
                b.scale(format!("set weight {weight}%"), starts, traffic);
            }
            StepPlan::Pause {
                duration, seconds, ..
            } => b.push(
                format!("pause {duration}"),
                SpanKind::Pause,
                vec![],
                (*seconds, Some(*seconds)),
                None,
                traffic,
            ),
            StepPlan::Analysis { gate, template, .. } => {
                b.gates(vec![*gate], &[template.as_str()], traffic)
            }
        }
    }
    // The last step may already run every new pod.
    let starts = traffic.new_pods != full.new_pods || full.new_pods.is_none();
    b.scale("100% on the new version".into(), starts, full);
    if routed {
        CANARY_SCALE_DOWN_DELAY_SECONDS
    } else {
        0
    }
}

/// An A/B test's experiment, with its analyses beside it.
fn ab_test_spans(
    b: &mut Builder,
    duration: &crate::plan::GoDuration,
    variants: &[crate::plan::ExperimentTemplatePlan],
    analyses: &[crate::plan::ExperimentAnalysisPlan],
    full: Traffic,
    notes: &mut Vec<String>,
) {
    let seconds = duration.seconds_ceil();
    let templates: Vec<&str> = analyses.iter().map(|a| a.template.as_str()).collect();
    let gates: Vec<Gate> = analyses.iter().map(|a| a.gate).collect();
    let t = gates_time(b.s, &templates);
    // The Service users reach selects every pod of the app: the
    // stable ones and both variants' (the baseline runs the old version).
    let canary = variants
        .iter()
        .find(|v| v.name == crate::defs::appmod::AB_CANARY)
        .map_or(0, |v| v.replicas);
    let others: u32 = variants
        .iter()
        .filter(|v| v.name != crate::defs::appmod::AB_CANARY)
        .map(|v| v.replicas)
        .sum();
    let traffic = match replicas(b.s) {
        Some(n) => Traffic::pods(canary, n + others),
        None => Traffic {
            new_percent: 0.0,
            new_pods: Some(canary),
            old_pods: None,
            exact: false,
        },
    };
    // The Experiment starts its variants within the Rollout's
    // progressDeadlineSeconds (rollout/experiment.go), then runs for
    // its duration from the moment they are available
    // (utils/experiment `PassedDurations`), the analyses beside it.
    let label = if gates.is_empty() {
        format!("experiment {duration}")
    } else {
        format!("experiment {duration} with the {}", gate_label(&gates))
    };
    b.push(
        label,
        SpanKind::Experiment,
        gates,
        (
            seconds,
            Some(seconds + u64::from(b.s.progress_deadline_seconds)),
        ),
        (!templates.is_empty()).then_some(t.fails_after),
        traffic,
    );
    // At its duration the Experiment ends and terminates its
    // analyses; a terminated run counts as successful
    // (analysis.go `assessMetricStatus`), so later readings are never taken.
    if t.min > seconds {
        notes.push(format!(
            "the gates need {} but the experiment lasts {}: Argo Rollouts ends the analyses at the experiment's end and counts them as passed, so the readings after it are never taken",
            seconds_text(t.min),
            seconds_text(seconds)
        ));
    }
    b.scale("100% on the new version".into(), true, full);
}

/// Blue/green: the preview, the gates before and after the switch.
fn blue_green_spans(
    b: &mut Builder,
    auto_promotion_enabled: bool,
    (pre_promotion, post_promotion): (
        Option<&crate::plan::AnalysisBlockPlan>,
        Option<&crate::plan::AnalysisBlockPlan>,
    ),
    full: Traffic,
) {
    let none = Traffic::all(false, b.s);
    b.scale(
        "start the new version on the preview Service".into(),
        true,
        none,
    );
    if let Some(block) = pre_promotion {
        let templates: Vec<&str> = block.templates.iter().map(String::as_str).collect();
        b.gates(block.gates.clone(), &templates, none);
    }
    if !auto_promotion_enabled {
        b.push(
            "a person promotes".into(),
            SpanKind::Person,
            vec![],
            (0, None),
            None,
            none,
        );
    }
    b.scale("switch the active Service".into(), false, full);
    if let Some(block) = post_promotion {
        let templates: Vec<&str> = block.templates.iter().map(String::as_str).collect();
        b.gates(block.gates.clone(), &templates, full);
    }
}

/// From a new image in the registry to each stage.
#[derive(Debug, Clone, Serialize)]
pub struct PromotionTimeline {
    /// The Warehouse finds a new image within its interval.
    pub discovery_max_seconds: u64,
    pub stages: Vec<StageTimeline>,
    /// The last stage in promotion order (production).
    pub last_stage: Option<String>,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StageTimeline {
    pub name: String,
    pub from: Option<String>,
    /// A person promotes into this stage.
    pub manual: bool,
    /// When the stage's rollout starts and ends, from the image's push:
    /// best (found at once) and worst (found after a whole interval, the
    /// slowest rollouts), a person's time left out.
    pub starts_best_seconds: u64,
    pub starts_worst_seconds: u64,
    pub done_best_seconds: u64,
    pub done_worst_seconds: u64,
    /// A person acts on the way to this stage (here or upstream).
    pub waits_for_person: bool,
    /// What a person does inside this stage's promotion (a step waits for
    /// them), in words.
    pub person_acts: Option<String>,
}

/// Each stage promotes the whole Application: its components roll out side
/// by side, and Kargo moves on when the stage is healthy, which an Argo CD
/// Rollout is once it completes. Stages follow their `upstream` chain.
pub fn of_promotion(p: &PromotionPlan, rollouts: &[RolloutTimeline]) -> PromotionTimeline {
    let best = rollouts.iter().map(|r| r.best_seconds).max().unwrap_or(0);
    let worst = rollouts.iter().map(|r| r.worst_seconds).max().unwrap_or(0);
    let person = rollouts.iter().any(|r| r.waits_for_person);
    let discovery = p.interval.seconds_ceil();
    let mut stages: Vec<StageTimeline> = Vec::new();
    for stage in &p.stages {
        let upstream = stage
            .upstream
            .as_ref()
            .and_then(|u| stages.iter().find(|s| &s.name == u));
        let (start_best, start_worst, upstream_person) = match upstream {
            Some(u) => (
                u.done_best_seconds,
                u.done_worst_seconds,
                u.waits_for_person,
            ),
            None => (0, discovery, false),
        };
        let person_acts = p
            .task_of(stage)
            .and_then(|t| t.steps.iter().find_map(|s| s.person_acts()))
            .map(str::to_owned);
        stages.push(StageTimeline {
            name: stage.name.clone(),
            from: stage.upstream.clone(),
            manual: !stage.auto_promote,
            starts_best_seconds: start_best,
            starts_worst_seconds: start_worst,
            done_best_seconds: start_best + best,
            done_worst_seconds: start_worst + worst,
            waits_for_person: upstream_person
                || !stage.auto_promote
                || person
                || person_acts.is_some(),
            person_acts,
        });
    }
    PromotionTimeline {
        discovery_max_seconds: discovery,
        last_stage: stages.last().map(|s| s.name.clone()),
        stages,
        notes: vec![
            "not counted: Kargo's commit and push, Argo CD noticing and syncing the commit, and the time a person takes to promote".into(),
        ],
    }
}

pub use crate::text::seconds_text;
