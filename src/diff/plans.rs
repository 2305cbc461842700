//! The plans compared: the change in words, per component (strategy,
//! image, replicas, gates, steps with their pods, least and longest time) and for the
//! promotion (stages), with the risk flags the plans alone decide.

use super::report::{PlanChange, Risk};
use super::risk;
use crate::plan::{AnalysisPlan, AppPlan, GateMove, PromotionPlan, ServicePlan, StrategyPlan, Way};
use crate::timeline;
use std::collections::{BTreeMap, BTreeSet};

fn change(
    scope: &str,
    what: &'static str,
    text: String,
    before: Option<String>,
    after: Option<String>,
) -> PlanChange {
    PlanChange {
        scope: scope.to_owned(),
        what,
        text,
        before,
        after,
    }
}

pub(super) fn compare_plans(
    base: &AppPlan,
    head: &AppPlan,
    risks: &mut Vec<Risk>,
) -> Vec<PlanChange> {
    let mut out = Vec::new();
    let by_name = |p: &AppPlan| -> BTreeMap<String, usize> {
        p.services
            .iter()
            .enumerate()
            .map(|(i, s)| (s.name.clone(), i))
            .collect()
    };
    let (b_names, h_names) = (by_name(base), by_name(head));
    for s in &head.services {
        let scope = format!("component {}", s.name);
        match b_names.get(&s.name) {
            Some(&i) => compare_service(&scope, &base.services[i], s, &mut out, risks),
            None => out.push(change(
                &scope,
                "component-added",
                format!("new component, {}", s.strategy.name()),
                None,
                Some(s.container.image.clone()),
            )),
        }
    }
    for s in base
        .services
        .iter()
        .filter(|s| !h_names.contains_key(&s.name))
    {
        let scope = format!("component {}", s.name);
        out.push(change(
            &scope,
            "component-removed",
            "component removed: Argo CD prunes its Rollout, Services and gates".to_owned(),
            Some(s.container.image.clone()),
            None,
        ));
        risks.push(risk::component_removed(&s.name));
    }
    compare_promotion(
        base.promotion.as_ref(),
        head.promotion.as_ref(),
        &mut out,
        risks,
    );
    out
}

fn replicas_text(s: &ServicePlan) -> String {
    match (s.replicas, &s.autoscaler) {
        (Some(n), _) => n.to_string(),
        (None, Some(h)) => format!("{}-{} (autoscaled)", h.min, h.max),
        (None, None) => "as the autoscaler sets".to_owned(),
    }
}

fn compare_service(
    scope: &str,
    b: &ServicePlan,
    h: &ServicePlan,
    out: &mut Vec<PlanChange>,
    risks: &mut Vec<Risk>,
) {
    let mut differs = |what: &'static str, text: &str, before: String, after: String| {
        if before != after {
            out.push(change(
                scope,
                what,
                text.to_owned(),
                Some(before),
                Some(after),
            ));
        }
    };
    differs(
        "strategy",
        "strategy changed",
        b.strategy.name().to_owned(),
        h.strategy.name().to_owned(),
    );
    differs(
        "image",
        "image",
        b.container.image.clone(),
        h.container.image.clone(),
    );
    differs("replicas", "replicas", replicas_text(b), replicas_text(h));
    let (tb, th) = (timeline::of_service(b), timeline::of_service(h));
    differs(
        "minimum-time",
        "least rollout time (the timeline of `oamc plan`: pauses, the experiment, the gates' fixed times; pod starts and a Job's requests come on top)",
        timeline::seconds_text(tb.best_seconds),
        timeline::seconds_text(th.best_seconds),
    );
    differs(
        "maximum-time",
        "longest rollout before it completes or aborts (the timeline of `oamc plan`; a person's time not counted)",
        timeline::seconds_text(tb.worst_seconds),
        timeline::seconds_text(th.worst_seconds),
    );
    compare_gates(scope, b, h, out, risks);
    compare_steps(scope, b, h, out);
    let (b_idle, h_idle) = (idle_weights(b), idle_weights(h));
    for weight in h_idle.difference(&b_idle) {
        risks.push(risk::weight_step_idle(&h.name, *weight, h.replicas));
    }
}

/// The rollout's steps as `plan` says them, compared line by line: a step
/// that only changed (its weight's pods) is one change with before and after.
fn compare_steps(scope: &str, b: &ServicePlan, h: &ServicePlan, out: &mut Vec<PlanChange>) {
    let (old, new) = (
        crate::plan_view::step_lines(b),
        crate::plan_view::step_lines(h),
    );
    for pair in super::fields::changed_pairs(&old, &new) {
        let (what, text) = match pair {
            (Some(_), Some(_)) => ("step-changed", "step changed"),
            (Some(_), None) => ("step-removed", "step removed"),
            (None, _) => ("step-added", "step added"),
        };
        let before = pair.0.map(|i| old[i].clone());
        let after = pair.1.map(|j| new[j].clone());
        out.push(change(scope, what, text.into(), before, after));
    }
}

/// The weights of the canary steps whose pods are those of the step before
/// (no router: the weight is a pod count; the timeline's traffic model).
pub fn idle_weights(s: &ServicePlan) -> BTreeSet<u32> {
    let mut idle = BTreeSet::new();
    let StrategyPlan::Canary {
        steps,
        traffic_routing: None,
        ..
    } = &s.strategy
    else {
        return idle;
    };
    let mut before = None;
    for step in steps {
        if let crate::plan::StepPlan::SetWeight { weight } = step {
            let t = timeline::canary_traffic(s, *weight);
            let pods = (t.new_pods, t.old_pods);
            if t.new_pods.is_some() && before == Some(pods) {
                idle.insert(*weight);
            }
            before = Some(pods);
        }
    }
    idle
}

fn compare_gates(
    scope: &str,
    b: &ServicePlan,
    h: &ServicePlan,
    out: &mut Vec<PlanChange>,
    risks: &mut Vec<Risk>,
) {
    fn find(s: &ServicePlan, gate: crate::plan::Gate) -> Option<&AnalysisPlan> {
        s.analysis_templates.iter().find(|t| t.gate() == gate)
    }
    // Every kind of gate either side has, in the registry's order.
    let kinds: std::collections::BTreeSet<crate::plan::Gate> = [b, h]
        .iter()
        .flat_map(|s| s.analysis_templates.iter().map(AnalysisPlan::gate))
        .collect();
    for gate in kinds {
        let label = format!("{} gate", gate.name());
        match (find(b, gate), find(h, gate)) {
            (None, None) => {}
            (None, Some(t)) => out.push(change(
                scope,
                "gate-added",
                format!("{label} added"),
                None,
                Some(t.summary.clone()),
            )),
            (Some(t), None) => {
                out.push(change(
                    scope,
                    "gate-removed",
                    format!("{label} removed"),
                    Some(t.summary.clone()),
                    None,
                ));
                risks.push(risk::gate_removed(
                    &h.name,
                    gate.name(),
                    &t.summary,
                    &t.name,
                ));
            }
            (Some(old), Some(new)) => {
                for GateMove {
                    way,
                    what,
                    before,
                    after,
                } in gate_moves(old, new)
                {
                    let (code, text) = match way {
                        Way::Looser => ("gate-loosened", format!("{label} loosened: {what}")),
                        Way::Tighter => ("gate-tightened", format!("{label} tightened: {what}")),
                        Way::Other => ("gate-changed", format!("{label} changed: {what}")),
                    };
                    if way == Way::Looser {
                        risks.push(risk::gate_loosened(
                            &h.name,
                            gate.name(),
                            &what,
                            &before,
                            &after,
                        ));
                    }
                    out.push(change(scope, code, text, Some(before), Some(after)));
                }
            }
        }
    }
}

/// How a gate's check moved, each part with its values: the gate's kind
/// words it (`GateCheck::moves_from`).
fn gate_moves(old: &AnalysisPlan, new: &AnalysisPlan) -> Vec<GateMove> {
    if old.gate() != new.gate() {
        return vec![GateMove::new(
            Way::Other,
            "check".into(),
            old.summary.clone(),
            new.summary.clone(),
        )];
    }
    new.check.moves_from(&*old.check)
}

fn compare_promotion(
    base: Option<&PromotionPlan>,
    head: Option<&PromotionPlan>,
    out: &mut Vec<PlanChange>,
    risks: &mut Vec<Risk>,
) {
    let stages = |p: Option<&PromotionPlan>| -> Vec<crate::plan::StagePlan> {
        p.map_or_else(Vec::new, |p| p.stages.clone())
    };
    let (bs, hs) = (stages(base), stages(head));
    match (base, head) {
        (None, Some(p)) => out.push(change(
            "promotion",
            "promotion-added",
            "Kargo promotion added".into(),
            None,
            Some(p.image_repo.clone()),
        )),
        (Some(p), None) => out.push(change(
            "promotion",
            "promotion-removed",
            "Kargo promotion removed".into(),
            Some(p.image_repo.clone()),
            None,
        )),
        (Some(b), Some(h)) => {
            let fields: [(&str, &str, &str); 5] = [
                ("image repository", &b.image_repo, &h.image_repo),
                (
                    "image selection",
                    &b.image_selection_strategy,
                    &h.image_selection_strategy,
                ),
                ("discovery interval", b.interval.text(), h.interval.text()),
                ("git repository", &b.repo_url, &h.repo_url),
                ("branch", &b.branch, &h.branch),
            ];
            for (what, before, after) in fields {
                if before != after {
                    out.push(change(
                        "promotion",
                        "promotion-changed",
                        what.to_owned(),
                        Some(before.to_owned()),
                        Some(after.to_owned()),
                    ));
                }
            }
        }
        (None, None) => {}
    }
    compare_stages(&bs, &hs, out, risks);
}

/// The stages: their order, and each added, changed or removed.
fn compare_stages(
    bs: &[crate::plan::StagePlan],
    hs: &[crate::plan::StagePlan],
    out: &mut Vec<PlanChange>,
    risks: &mut Vec<Risk>,
) {
    let order = |s: &[crate::plan::StagePlan]| {
        s.iter()
            .map(|s| s.name.clone())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !bs.is_empty() && !hs.is_empty() && order(bs) != order(hs) {
        out.push(change(
            "promotion",
            "stages",
            "stages".into(),
            Some(order(bs)),
            Some(order(hs)),
        ));
    }
    for h in hs {
        let scope = format!("stage {}", h.name);
        match bs.iter().find(|b| b.name == h.name) {
            None => out.push(change(
                &scope,
                "stage-added",
                "stage added".into(),
                None,
                Some(stage_text(h)),
            )),
            Some(b) => {
                if b.auto_promote != h.auto_promote || b.upstream != h.upstream || b.task != h.task
                {
                    out.push(change(
                        &scope,
                        "stage-changed",
                        "stage changed".into(),
                        Some(stage_text(b)),
                        Some(stage_text(h)),
                    ));
                }
                if !b.auto_promote && h.auto_promote {
                    risks.push(risk::manual_promotion_removed(&h.name));
                }
                if by_pull_request(b) && !by_pull_request(h) {
                    risks.push(risk::pull_request_removed(&h.name));
                }
            }
        }
    }
    for b in bs.iter().filter(|b| !hs.iter().any(|h| h.name == b.name)) {
        out.push(change(
            &format!("stage {}", b.name),
            "stage-removed",
            "stage removed".into(),
            Some(stage_text(b)),
            None,
        ));
        risks.push(risk::stage_removed(&b.name));
    }
}

fn stage_text(s: &crate::plan::StagePlan) -> String {
    format!(
        "from {}, {}{}",
        s.upstream.as_deref().unwrap_or("the Warehouse"),
        if s.auto_promote {
            "promoted automatically"
        } else {
            "promoted by a person"
        },
        if by_pull_request(s) {
            ", by pull request"
        } else {
            ""
        }
    )
}

fn by_pull_request(s: &crate::plan::StagePlan) -> bool {
    s.task == crate::names::PROMOTION_TASK_BY_PULL_REQUEST
}
