//! The plans compared: the change in words, per component (strategy,
//! image, replicas, gates, steps with their pods, least and longest time) and for the
//! promotion (stages), with the risk flags the plans alone decide.

use super::report::{PlanChange, Risk};
use super::risk;
use crate::plan::{AnalysisPlan, AppPlan, GateCheck, PromotionPlan, ServicePlan, StrategyPlan};
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

/// Which way a gate moved: a looser gate lets more through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Way {
    Looser,
    Tighter,
    Other,
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
                for (way, what, before, after) in gate_moves(old, new) {
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

type Move = (Way, String, String, String);

/// How a gate's check moved, each part with its values.
fn gate_moves(old: &AnalysisPlan, new: &AnalysisPlan) -> Vec<Move> {
    let mut moves = Vec::new();
    match (&old.check, &new.check) {
        (
            GateCheck::Functional {
                expected_text: a,
                job: ja,
            },
            GateCheck::Functional {
                expected_text: b,
                job: jb,
            },
        ) => functional_moves((a, ja), (b, jb), &mut moves),
        (
            GateCheck::Performance {
                limit: la,
                load: a,
                job: ja,
            },
            GateCheck::Performance {
                limit: lb,
                load: b,
                job: jb,
            },
        ) => performance_moves((la, a, ja), (lb, b, jb), &mut moves),
        (GateCheck::Metrics(a), GateCheck::Metrics(b)) => metrics_moves(a, b, &mut moves),
        (GateCheck::Web(a), GateCheck::Web(b)) => web_moves(a, b, &mut moves),
        _ => moves.push((
            Way::Other,
            "check".into(),
            old.summary.clone(),
            new.summary.clone(),
        )),
    }
    moves
}

/// The functional gate: its expected response, and its Job.
fn functional_moves(
    (a, ja): (&str, &crate::plan::JobPlan),
    (b, jb): (&str, &crate::plan::JobPlan),
    moves: &mut Vec<Move>,
) {
    let shown = |t: &str| {
        if t.is_empty() {
            "any 2xx response".to_owned()
        } else {
            format!("a response matching {t}")
        }
    };
    if a != b {
        let way = if b.is_empty() {
            Way::Looser
        } else if a.is_empty() {
            Way::Tighter
        } else {
            Way::Other
        };
        moves.push((way, "expected response".into(), shown(a), shown(b)));
    }
    job_moves(ja, jb, moves);
}

type PerformanceSide<'a> = (
    &'a Option<crate::plan::LatencyLimit>,
    &'a crate::plan::LoadPlan,
    &'a crate::plan::JobPlan,
);

/// The performance gate: its latency limit, its load, and its Job.
fn performance_moves(
    (la, a, ja): PerformanceSide,
    (lb, b, jb): PerformanceSide,
    moves: &mut Vec<Move>,
) {
    let shown = |l: &Option<crate::plan::LatencyLimit>| {
        l.map_or("no limit".to_owned(), |l| {
            format!("mean latency below {l} ms")
        })
    };
    let way = match (la, lb) {
        (Some(x), Some(y)) if y.ms() > x.ms() => Way::Looser,
        (Some(x), Some(y)) if y.ms() < x.ms() => Way::Tighter,
        (Some(_), None) => Way::Looser,
        (None, Some(_)) => Way::Tighter,
        _ => Way::Other,
    };
    if shown(la) != shown(lb) {
        moves.push((way, "latency limit".into(), shown(la), shown(lb)));
    }
    let load = |l: &crate::plan::LoadPlan| match l {
        crate::plan::LoadPlan::Ab {
            requests,
            concurrency,
        } => format!("ab: {requests} requests, {concurrency} at a time"),
        crate::plan::LoadPlan::Artillery { arrivals, .. } => format!(
            "Artillery: {} s warm-up, {} s at {} arrivals/s",
            arrivals.warm_up_seconds, arrivals.sustained_seconds, arrivals.rate
        ),
    };
    if load(a) != load(b) {
        moves.push((Way::Other, "load".into(), load(a), load(b)));
    }
    job_moves(ja, jb, moves);
}

/// The metrics gate: each criterion, and the Prometheus it asks.
fn metrics_moves(
    a: &crate::plan::PrometheusPlan,
    b: &crate::plan::PrometheusPlan,
    moves: &mut Vec<Move>,
) {
    let by_name = |p: &crate::plan::PrometheusPlan| -> BTreeMap<String, crate::plan::MetricPlan> {
        p.metrics
            .iter()
            .map(|m| (m.name.clone(), m.clone()))
            .collect()
    };
    let (ma, mb) = (by_name(a), by_name(b));
    for (name, m) in &ma {
        match mb.get(name) {
            None => moves.push((
                Way::Looser,
                format!("criterion {name} removed"),
                m.summary.clone(),
                "none".into(),
            )),
            Some(n) => metric_moves(name, m, n, moves),
        }
    }
    for (name, n) in mb.iter().filter(|(k, _)| !ma.contains_key(*k)) {
        moves.push((
            Way::Tighter,
            format!("criterion {name} added"),
            "none".into(),
            n.summary.clone(),
        ));
    }
    if a.address != b.address {
        moves.push((
            Way::Other,
            "Prometheus address".into(),
            a.address.clone(),
            b.address.clone(),
        ));
    }
}

/// The web gate: where it asks, what it reads, how it compares, how often.
fn web_moves(a: &crate::plan::WebPlan, b: &crate::plan::WebPlan, moves: &mut Vec<Move>) {
    let request = |w: &crate::plan::WebPlan| {
        let headers: Vec<String> = w
            .headers
            .iter()
            .map(|h| format!("{}: {}", h.key, h.value))
            .collect();
        format!(
            "{} {} [{}] body {}",
            w.method.as_str(),
            w.url,
            headers.join(", "),
            w.body
                .as_deref()
                .map_or("none".to_owned(), |b| format!("{b:?}"))
        )
    };
    let (ra, rb) = (request(a), request(b));
    if ra != rb {
        moves.push((Way::Other, "request".into(), ra, rb));
    }
    if a.json_path != b.json_path {
        moves.push((
            Way::Other,
            "jsonPath".into(),
            a.json_path.text.clone(),
            b.json_path.text.clone(),
        ));
    }
    let (ja, jb) = (&a.judge, &b.judge);
    if (ja.comparison, &ja.value, ja.outcome) != (jb.comparison, &jb.value, jb.outcome) {
        moves.push((
            web_judge_way(ja, jb),
            "comparison".into(),
            ja.summary(),
            jb.summary(),
        ));
    }
    let readings = |w: &crate::plan::WebPlan| format!("{} x every {}", w.count, w.interval);
    if a.count != b.count || a.interval != b.interval {
        // Fewer readings let a short fault pass unseen.
        let way = match b.count.cmp(&a.count) {
            std::cmp::Ordering::Less => Way::Looser,
            std::cmp::Ordering::Greater => Way::Tighter,
            std::cmp::Ordering::Equal => Way::Other,
        };
        moves.push((way, "number of readings".into(), readings(a), readings(b)));
    }
    if a.timeout_seconds != b.timeout_seconds || a.insecure != b.insecure {
        let way = if b.timeout_seconds > a.timeout_seconds || (b.insecure && !a.insecure) {
            Way::Looser
        } else {
            Way::Tighter
        };
        let shown = |w: &crate::plan::WebPlan| {
            format!(
                "timeout {}s{}",
                w.timeout_seconds,
                if w.insecure { ", TLS not verified" } else { "" }
            )
        };
        moves.push((way, "request limits".into(), shown(a), shown(b)));
    }
}

/// A numeric threshold moved under the same comparison is looser or
/// tighter; any other change of the comparison is a change.
fn web_judge_way(a: &crate::plan::WebJudge, b: &crate::plan::WebJudge) -> Way {
    use crate::plan::{Comparison, Outcome, WebValue};
    let (WebValue::Number(x), WebValue::Number(y)) = (&a.value, &b.value) else {
        return Way::Other;
    };
    let (Some(x), Some(y)) = (x.as_f64(), y.as_f64()) else {
        return Way::Other;
    };
    if a.comparison != b.comparison || a.outcome != b.outcome || x == y {
        return Way::Other;
    }
    // Success above the threshold: raising it passes fewer values.
    let raised_tightens = match a.comparison {
        Comparison::Gt | Comparison::Ge => true,
        Comparison::Lt | Comparison::Le => false,
        Comparison::Eq | Comparison::Ne => return Way::Other,
    } == (a.outcome == Outcome::Success);
    if (y > x) == raised_tightens {
        Way::Tighter
    } else {
        Way::Looser
    }
}

fn job_moves(a: &crate::plan::JobPlan, b: &crate::plan::JobPlan, moves: &mut Vec<Move>) {
    if a.path != b.path {
        moves.push((Way::Other, "path".into(), a.path.clone(), b.path.clone()));
    }
    if a.image != b.image {
        moves.push((
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
        moves.push((
            way,
            "Job deadline".into(),
            format!("{} s", a.deadline_seconds),
            format!("{} s", b.deadline_seconds),
        ));
    }
}

/// A criterion's threshold moved: looser when fewer values fail it.
fn metric_moves(
    name: &str,
    a: &crate::plan::MetricPlan,
    b: &crate::plan::MetricPlan,
    moves: &mut Vec<Move>,
) {
    use crate::plan::{Comparison as C, Outcome as O};
    let (ja, jb) = (&a.judge, &b.judge);
    if a.summary != b.summary {
        let (ta, tb) = (ja.threshold.as_f64(), jb.threshold.as_f64());
        let way = match (
            ja.comparison == jb.comparison && ja.outcome == jb.outcome,
            ta,
            tb,
        ) {
            (true, Some(x), Some(y)) if x != y => {
                // Fails above the threshold (or succeeds below it): a higher one is looser.
                let higher_is_looser = matches!(
                    (ja.outcome, ja.comparison),
                    (O::Fail, C::Gt | C::Ge) | (O::Success, C::Lt | C::Le)
                );
                let lower_is_looser = matches!(
                    (ja.outcome, ja.comparison),
                    (O::Fail, C::Lt | C::Le) | (O::Success, C::Gt | C::Ge)
                );
                match (y > x, higher_is_looser, lower_is_looser) {
                    (true, true, _) | (false, _, true) => Way::Looser,
                    (true, _, true) | (false, true, _) => Way::Tighter,
                    _ => Way::Other,
                }
            }
            _ => Way::Other,
        };
        moves.push((
            way,
            format!("criterion {name}"),
            a.summary.clone(),
            b.summary.clone(),
        ));
    }
    let measured =
        |m: &crate::plan::MetricPlan| format!("{} readings every {}", m.count, m.interval);
    if measured(a) != measured(b) {
        moves.push((
            Way::Other,
            format!("criterion {name} measurements"),
            measured(a),
            measured(b),
        ));
    }
    if a.query != b.query {
        moves.push((
            Way::Other,
            format!("criterion {name} query"),
            a.query.clone(),
            b.query.clone(),
        ));
    }
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
