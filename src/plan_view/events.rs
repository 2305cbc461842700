//! The rollout of one component as events, one per step, as `plan` tells
//! them (text and Mermaid) and `diff` compares them.

use crate::plan::{Gate, ServicePlan, StepPlan, StrategyPlan};
use crate::timeline;

/// One line per thing that happens, in order.
#[derive(Debug)]
pub(super) enum Event {
    Start(String),
    Action(String),
    Gate { label: String },
    Done(String),
}

/// What Argo Rollouts does when a gate fails or the rollout stalls.
pub(super) fn on_failure(s: &ServicePlan) -> &'static str {
    match s.strategy {
        // An A/B test is a canary whose step is the experiment: aborted alike.
        StrategyPlan::Canary { .. } | StrategyPlan::AbTest { .. } => {
            "abort: traffic back to the stable version, new pods scaled down"
        }
        StrategyPlan::BlueGreen { .. } => {
            "abort: the active Service stays on, or returns to, the old version"
        }
    }
}

pub(super) fn events(s: &ServicePlan) -> Vec<Event> {
    let replicas = match (s.replicas, &s.autoscaler) {
        (Some(n), _) => format!("{n} replicas"),
        (None, Some(h)) => format!("{}-{} replicas, autoscaled", h.min, h.max),
        (None, None) => "replicas unset".into(),
    };
    // A sidecar is part of the pod template: a change to it is a new version too.
    let sidecars: String = s
        .sidecars
        .iter()
        .map(|c| format!(", sidecar {} {}", c.name, c.image))
        .collect();
    let mut out = vec![Event::Start(format!(
        "new version {} ({replicas}){sidecars}",
        s.container.image
    ))];
    let gate_label = |gate: Gate, template: &str| -> String {
        let summary = s
            .analysis_templates
            .iter()
            .find(|t| t.name == template)
            .map_or("", |t| t.summary.as_str());
        format!("{} gate: {summary}", gate.name())
    };
    match &s.strategy {
        StrategyPlan::Canary {
            steps,
            traffic_routing,
            ..
        } => canary_events(s, steps, traffic_routing.is_some(), &gate_label, &mut out),
        StrategyPlan::AbTest {
            duration,
            variants,
            analyses,
            ..
        } => ab_test_events(s, duration, variants, analyses, &gate_label, &mut out),
        StrategyPlan::BlueGreen { .. } => blue_green_events(s, &gate_label, &mut out),
    }
    // Each event is one line of oamc's words around user text: a line break
    // or a control in that text is shown escaped, never a line of its own.
    out.into_iter().map(Event::shown).collect()
}

/// A canary's steps, each an event.
fn canary_events(
    s: &ServicePlan,
    steps: &[StepPlan],
    routed: bool,
    gate_label: &dyn Fn(Gate, &str) -> String,
    out: &mut Vec<Event>,
) {
    // Without a router the weight is a pod count, and the Service that
    // reaches every pod splits requests by it (the timeline's model).
    let mut before = None;
    for step in steps {
        match step {
            StepPlan::SetWeight { weight } => {
                let t = timeline::canary_traffic(s, *weight);
                let pods = match (routed, t.new_pods, t.old_pods) {
                    (true, _, _) => {
                        format!(": the router sends exactly {weight}% of requests to the new pods")
                    }
                    (false, Some(new), Some(old)) => {
                        let share = f64::from(new) * 100.0 / f64::from((new + old).max(1));
                        let same = if before == Some((new, old)) {
                            " — the same pods as the step before: this step changes nothing"
                        } else {
                            ""
                        };
                        before = Some((new, old));
                        format!(
                            ": {new} new pod{} next to {old} old, so about {share:.0}% of requests reach the new version{same}",
                            if new == 1 { "" } else { "s" }
                        )
                    }
                    (false, _, _) => String::new(),
                };
                out.push(Event::Action(format!("set weight {weight}%{pods}")))
            }
            StepPlan::Pause {
                duration,
                seconds,
                truncated,
            } => {
                // Units that say the seconds themselves (`20s`, `1m30s`) stand alone.
                let plain = duration.ends_with(['s', 'm', 'h'])
                    && !duration.contains(['.', 'n', 'u'])
                    && !duration.contains("ms");
                let said = match (plain, truncated) {
                    (_, true) => format!(" ({seconds} s: Argo waits whole seconds)"),
                    (false, false) => format!(" ({seconds} s)"),
                    (true, false) => String::new(),
                };
                out.push(Event::Action(format!("pause {duration}{said}")))
            }
            StepPlan::Analysis { gate, template, .. } => out.push(Event::Gate {
                label: gate_label(*gate, template),
            }),
        }
    }
    out.push(Event::Done(
        "100% on the new version; the old one is scaled down".into(),
    ));
}

/// An A/B test: the experiment, and each analysis on the canary variant.
fn ab_test_events(
    s: &ServicePlan,
    duration: &crate::plan::GoDuration,
    variants: &[crate::plan::ExperimentTemplatePlan],
    analyses: &[crate::plan::ExperimentAnalysisPlan],
    gate_label: &dyn Fn(Gate, &str) -> String,
    out: &mut Vec<Event>,
) {
    let canary_service = variants
        .iter()
        .find(|v| v.name == crate::defs::appmod::AB_CANARY)
        .map_or("", |v| v.service.as_str());
    let variants: Vec<String> = variants
        .iter()
        .map(|t| format!("{} ({} pods, Service {})", t.name, t.replicas, t.service))
        .collect();
    out.push(Event::Action(format!(
        "experiment for {duration}: {} side by side",
        variants.join(" and ")
    )));
    for a in analyses {
        let template = s.analysis_templates.iter().find(|t| t.name == a.template);
        let selects = template
            .and_then(|t| t.check_as::<crate::defs::gates::metrics::PrometheusPlan>())
            .map(|p| p.variant_matcher.clone());
        let asks = template
            .and_then(|t| t.check_as::<crate::defs::gates::web::WebPlan>())
            .and_then(|w| match &w.target {
                crate::defs::gates::web::WebTarget::Url(url) => Some(url.clone()),
                crate::defs::gates::web::WebTarget::NewVersion { .. } => None,
            });
        let on = match (a.gate, selects, asks) {
            (Gate::Web, _, Some(url)) => {
                format!("{url}, which knows nothing of the variants unless it is told")
            }
            (Gate::Metrics, Some(Some(matcher)), _) => {
                format!("the canary variant's series only ({matcher})")
            }
            (Gate::Metrics, _, _) => "every pod of the container in the namespace, both variants and the stable version: the query selects no variant; --prometheus-variant-label makes it select the canary's".to_owned(),
            _ => format!("the canary variant, through Service {canary_service}"),
        };
        out.push(Event::Gate {
            label: format!("{} (on {on})", gate_label(a.gate, &a.template)),
        });
    }
    out.push(Event::Done(
        "100% on the new version; the old one is scaled down".into(),
    ));
}

/// Blue/green: the preview, the gates around the switch, the switch (for a
/// blue/green strategy only; any other has none of these events).
fn blue_green_events(
    s: &ServicePlan,
    gate_label: &dyn Fn(Gate, &str) -> String,
    out: &mut Vec<Event>,
) {
    let StrategyPlan::BlueGreen {
        active_service,
        preview_service,
        auto_promotion_enabled,
        scale_down_delay_seconds,
        preview_replica_count,
        pre_promotion,
        post_promotion,
    } = &s.strategy
    else {
        return;
    };
    out.push(Event::Action(format!(
        "start the new version behind {preview_service} ({} pods); {active_service} keeps serving the old one",
        preview_replica_count.map_or_else(|| "all".to_owned(), |n| n.to_string())
    )));
    if let Some(block) = pre_promotion {
        for (gate, template) in block.gates.iter().zip(&block.templates) {
            out.push(Event::Gate {
                label: gate_label(*gate, template),
            });
        }
    }
    out.push(Event::Action(if *auto_promotion_enabled {
        format!("switch {active_service} to the new version")
    } else {
        format!("wait for a person to promote (kubectl argo rollouts promote {}), then switch {active_service}", s.name)
    }));
    if let Some(block) = post_promotion {
        for (gate, template) in block.gates.iter().zip(&block.templates) {
            out.push(Event::Gate {
                label: gate_label(*gate, template),
            });
        }
    }
    out.push(Event::Done(format!(
        "keep the old version {scale_down_delay_seconds}s for an instant rollback, then scale it down"
    )));
}

impl Event {
    pub(super) fn shown(self) -> Event {
        let safe = |t: String| crate::text::shown_message(&t).into_owned();
        match self {
            Event::Start(t) => Event::Start(safe(t)),
            Event::Action(t) => Event::Action(safe(t)),
            Event::Gate { label } => Event::Gate { label: safe(label) },
            Event::Done(t) => Event::Done(safe(t)),
        }
    }
}

/// The rollout of one component as lines, one per step, as `plan` prints
/// them (weight steps with their pod counts): what `diff` compares.
pub fn step_lines(s: &ServicePlan) -> Vec<String> {
    events(s)
        .into_iter()
        .map(|e| match e {
            Event::Start(t) | Event::Action(t) | Event::Done(t) => t,
            Event::Gate { label } => format!("gate: {label}"),
        })
        .collect()
}
