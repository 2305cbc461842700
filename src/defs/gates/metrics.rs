//! The metrics gate: Prometheus queries, each criterion read `count` times.

use super::{GatePlan, NAMESPACE_ARG};
use crate::check::duration::Kind;
use crate::check::{DocContext, check_duration, syntax};
use crate::diagnostic::Code;
use crate::dom::DocPath;
use crate::names;
use crate::path;
use crate::plan::*;
use crate::platform::Platform;
use crate::semantics::rollouts::{metric_time, together};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Its template: the file name an override takes, and the built-in text.
pub const TEMPLATE: (&str, &str) = (
    "analysistemplate-metrics.yaml",
    include_str!("../../../templates/analysistemplate-metrics.yaml"),
);

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MetricGate {
    /// How long to wait at this step before the queries run.
    #[schemars(extend("x-oamc-format" = "pause"))]
    #[serde(default = "defaults::metrics_pause")]
    pub pause: String,
    /// One Prometheus measurement per criterion; all must pass.
    #[schemars(length(min = 1))]
    pub evaluation_criteria: Vec<Criterion>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Criterion {
    /// Time between measurements (a Go duration: `1m`, `30s`, `500ms`).
    #[schemars(extend("x-oamc-format" = "duration"))]
    #[serde(default = "defaults::interval")]
    pub interval: String,
    /// Number of measurements.
    #[serde(default = "defaults::count")]
    #[schemars(range(min = 1, max = 1000))]
    pub count: u32,
    /// Aggregation over the series: `sum(...)`, `avg(...)`, … Without it the bare
    /// series is compared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<Function>,
    /// Wrap the metric in `rate(...[rateInterval])` (a PromQL duration such as `1m`).
    #[schemars(extend("x-oamc-format" = "promql-duration"))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_interval: Option<String>,
    /// `success`: meeting the comparison passes the gate. `fail`: meeting it fails the rollout.
    #[serde(default)]
    pub success_or_fail_condition: Outcome,
    /// Prometheus metric name.
    #[schemars(extend("x-oamc-format" = "metric-name"))]
    pub metric: String,
    #[serde(default)]
    pub comparison_type: Comparison,
    #[serde(default = "defaults::threshold")]
    pub threshold: serde_json::Number,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Function {
    Sum,
    Avg,
    Max,
    Min,
    Count,
}

impl Function {
    pub fn as_str(self) -> &'static str {
        match self {
            Function::Sum => "sum",
            Function::Avg => "avg",
            Function::Max => "max",
            Function::Min => "min",
            Function::Count => "count",
        }
    }
}

/// The metrics gate's defaults, named so the schema and the docs can show them.
pub mod defaults {
    pub fn metrics_pause() -> String {
        "1s".into()
    }
    pub fn interval() -> String {
        "1s".into()
    }
    pub fn count() -> u32 {
        1
    }
    pub fn threshold() -> serde_json::Number {
        0.into()
    }
}

pub(crate) fn check_criterion(ctx: &mut DocContext, at: &DocPath, c: &Criterion) {
    check_duration(ctx, &at.join(&path!["interval"]), Kind::Go, &c.interval);
    if let Some(ri) = &c.rate_interval
        && let Err(why) = syntax::promql_duration(ri)
    {
        ctx.error(
            Code::PromqlDuration,
            &at.join(&path!["rateInterval"]),
            format!("rateInterval `{ri}` is not a PromQL duration: {why}"),
        )
        .help = Some("e.g. 30s, 1m, 5m".into());
    }
    if let Err(why) = syntax::metric_name(&c.metric) {
        ctx.error(
            Code::MetricName,
            &at.join(&path!["metric"]),
            format!(
                "metric `{}` is not a Prometheus metric name: {why}",
                c.metric
            ),
        )
        .help =
            Some("give the bare metric name; oamc adds the label selector and the function".into());
    }
}

/// The metrics gate as the checker read it: its pause and each criterion's
/// interval typed, and the performance load it may share a run with.
pub(crate) struct MetricsInput<'a> {
    pub(crate) gate: &'a MetricGate,
    pub(crate) pause: &'a PauseDuration,
    /// One per criterion, in order.
    pub(crate) intervals: &'a [GoDuration],
    /// How long a passing load beside it lasts, and why.
    pub(crate) load: Option<(u64, &'static str)>,
    /// The container whose series the queries select.
    pub(crate) container: &'a str,
    /// The matcher of the A/B canary variant's series, if the strategy has one.
    pub(crate) variant_matcher: Option<String>,
    /// The gate starts with the other gates of its run (a blue/green
    /// post-promotion run, an A/B Experiment) rather than as a step of its own.
    pub(crate) shared_run: bool,
}

pub(crate) fn plan_metrics(name: &str, input: &MetricsInput, platform: &Platform) -> GatePlan {
    let (m, load) = (input.gate, input.load);
    let mut selector = format!(
        "{}=\"{}\", namespace=\"{{{{args.{NAMESPACE_ARG}}}}}\"",
        platform.container_label, input.container
    );
    let variant_matcher = input.variant_matcher.clone();
    if let Some(matcher) = &variant_matcher {
        selector.push_str(", ");
        selector.push_str(matcher);
    }
    // Sharing a run, without a delay it would read before the load and the traffic.
    let initial_delay = input
        .shared_run
        .then(|| super::shared_run_delay(input.pause, load));
    let metrics: Vec<MetricPlan> = m
        .evaluation_criteria
        .iter()
        .zip(input.intervals)
        .enumerate()
        .map(|(i, (c, interval))| MetricPlan {
            initial_delay: initial_delay.clone(),
            ..metric_plan(i, c, interval, &selector)
        })
        .collect();
    let when = super::shared_run_words(
        initial_delay.as_ref(),
        load,
        "reads Prometheus",
        ("metrics.pause", &m.pause),
    );
    GatePlan {
        gate: Gate::Metrics,
        phase: super::Phase::Late,
        pause: input.pause.clone(),
        template: AnalysisPlan {
            name: names::metrics_template(name),
            template: TEMPLATE.0,
            summary: when
                + &metrics
                    .iter()
                    .map(|m| m.summary.as_str())
                    .collect::<Vec<_>>()
                    .join("; "),
            args: vec![NAMESPACE_ARG.into()],
            // The metrics of one run are measured side by side: the slowest decides.
            time: together(
                &metrics
                    .iter()
                    .map(|m| {
                        let delay = m.initial_delay.as_ref().map_or(0, GoDuration::nanos);
                        metric_time(delay, m.interval.nanos(), m.count)
                    })
                    .collect::<Vec<_>>(),
            ),
            note: TimeNote {
                rank: 0,
                text: "a metrics reading with no data is inconclusive and pauses the rollout for a person; each reading that errors is retried after 10 s, at most 4 times in a row (in the worst case)",
            },
            check: std::sync::Arc::new(PrometheusPlan {
                variant_matcher,
                address: platform.prometheus_address.clone(),
                sigv4_region: platform.prometheus_sigv4_region.clone(),
                metrics,
            }),
        },
    }
}

/// Metric names PromQL's grammar reads as something else before `{` (its
/// `metric_identifier` rule admits other keywords, not these); compared
/// without case, as PromQL's lexer does. Such a series is selected by
/// `{__name__="…"}`, which names any metric (tests/it/promql_grammar.rs).
const NOT_METRIC_IDENTIFIERS: &[&str] = &[
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "bool",
    "atan2",
    "inf",
    "nan",
];

/// One Prometheus measurement per criterion; `MetricJudge` writes its conditions.
fn metric_plan(index: usize, c: &Criterion, interval: &GoDuration, selector: &str) -> MetricPlan {
    let keyword = NOT_METRIC_IDENTIFIERS
        .iter()
        .any(|k| k.eq_ignore_ascii_case(&c.metric));
    let series = if keyword {
        format!("{{__name__=\"{}\", {selector}}}", c.metric)
    } else {
        format!("{}{{{selector}}}", c.metric)
    };
    let inner = match &c.rate_interval {
        Some(ri) => format!("rate({series}[{ri}])"),
        None => series,
    };
    let query = match c.function {
        Some(f) => format!("{}({inner})", f.as_str()),
        None => inner,
    };
    let judge = MetricJudge {
        comparison: c.comparison_type,
        threshold: c.threshold.clone(),
        outcome: c.success_or_fail_condition,
        every_series: c.function.is_none(),
    };
    let mut shown = c.metric.clone();
    if let Some(ri) = &c.rate_interval {
        shown = format!("rate({shown}[{ri}])");
    }
    match c.function {
        Some(f) => shown = format!("{}({shown})", f.as_str()),
        None => shown = format!("every series of {shown}"),
    }
    let verdict = match c.success_or_fail_condition {
        Outcome::Success => "passes",
        Outcome::Fail => "fails the rollout",
    };
    let summary = format!(
        "{shown} {} {} {verdict} ({} x every {})",
        c.comparison_type.as_str(),
        c.threshold,
        c.count,
        interval
    );
    MetricPlan {
        name: format!("m{index}"),
        initial_delay: None,
        summary,
        interval: interval.clone(),
        count: c.count,
        query,
        success_condition: judge.success_condition(),
        failure_condition: judge.failure_condition(),
        judge,
    }
}

impl GateCheck for PrometheusPlan {
    fn gate(&self) -> Gate {
        Gate::Metrics
    }

    fn view(&self) -> Result<(&'static str, serde_json::Value), serde_json::Error> {
        Ok(("prometheus", serde_json::to_value(self)?))
    }

    fn moves_from(&self, old: &dyn GateCheck) -> Vec<GateMove> {
        let mut moves = Vec::new();
        if let Some(old) = check_of::<PrometheusPlan>(old) {
            metrics_moves(old, self, &mut moves);
        }
        moves
    }
}

/// The metrics gate: each criterion, and the Prometheus it asks.
fn metrics_moves(a: &PrometheusPlan, b: &PrometheusPlan, moves: &mut Vec<GateMove>) {
    let by_name = |p: &PrometheusPlan| -> std::collections::BTreeMap<String, MetricPlan> {
        p.metrics
            .iter()
            .map(|m| (m.name.clone(), m.clone()))
            .collect()
    };
    let (ma, mb) = (by_name(a), by_name(b));
    for (name, m) in &ma {
        match mb.get(name) {
            None => moves.push(GateMove::new(
                Way::Looser,
                format!("criterion {name} removed"),
                m.summary.clone(),
                "none".into(),
            )),
            Some(n) => metric_moves(name, m, n, moves),
        }
    }
    for (name, n) in mb.iter().filter(|(k, _)| !ma.contains_key(*k)) {
        moves.push(GateMove::new(
            Way::Tighter,
            format!("criterion {name} added"),
            "none".into(),
            n.summary.clone(),
        ));
    }
    if a.address != b.address {
        moves.push(GateMove::new(
            Way::Other,
            "Prometheus address".into(),
            a.address.clone(),
            b.address.clone(),
        ));
    }
}

/// A criterion's threshold moved: looser when fewer values fail it.
fn metric_moves(name: &str, a: &MetricPlan, b: &MetricPlan, moves: &mut Vec<GateMove>) {
    use {Comparison as C, Outcome as O};
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
        moves.push(GateMove::new(
            way,
            format!("criterion {name}"),
            a.summary.clone(),
            b.summary.clone(),
        ));
    }
    let measured = |m: &MetricPlan| format!("{} readings every {}", m.count, m.interval);
    if measured(a) != measured(b) {
        moves.push(GateMove::new(
            Way::Other,
            format!("criterion {name} measurements"),
            measured(a),
            measured(b),
        ));
    }
    if a.query != b.query {
        moves.push(GateMove::new(
            Way::Other,
            format!("criterion {name} query"),
            a.query.clone(),
            b.query.clone(),
        ));
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct PrometheusPlan {
    /// The matcher that selects the A/B canary variant's series (`ab_variant="canary"`),
    /// when the platform names the label; else the queries measure every variant.
    pub variant_matcher: Option<String>,
    pub address: String,
    pub sigv4_region: Option<String>,
    pub metrics: Vec<MetricPlan>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MetricPlan {
    pub name: String,
    /// How long after its AnalysisRun starts the first reading is taken: set
    /// where the metrics gate shares a run (or an Experiment) with other gates.
    pub initial_delay: Option<GoDuration>,
    /// The criterion in words, e.g. `avg(latency) > 3 fails the rollout`.
    pub summary: String,
    pub interval: GoDuration,
    pub count: u32,
    pub query: String,
    /// Argo Rollouts' conditions (expr), written from `judge`.
    pub success_condition: String,
    pub failure_condition: String,
    /// How a result is judged: the conditions above as data (`oamc gates` applies it).
    pub judge: MetricJudge,
}

/// The comparison of a criterion and what meeting it means. The AnalysisTemplate's
/// conditions are written from it, and `oamc gates` judges with it, so the
/// two cannot differ.
#[derive(Debug, Clone, Serialize)]
pub struct MetricJudge {
    pub comparison: Comparison,
    pub threshold: serde_json::Number,
    pub outcome: Outcome,
    /// The query keeps one series per pod or label set (a criterion without
    /// `function`): every series is judged, not only the first. Argo Rollouts'
    /// Prometheus provider passes a vector as one value per series
    /// (`metricproviders/prometheus/prometheus.go`, `processResponse`, v1.9.1).
    pub every_series: bool,
}

/// Only a result with a first value that is a number is compared: an empty
/// or NaN result meets neither condition, so the measurement is Inconclusive
/// and the Rollout pauses for a person (instead of erroring on `result[0]` or passing).
const RESULT_GUARD: &str = "len(result) > 0 && !isNaN(result[0])";

impl MetricJudge {
    /// One value: compared when it is a number. Every series: success when
    /// each is a number that passes, failure when any number fails (expr-lang's
    /// `all` and `any`); an empty result or a NaN among passing values meets
    /// neither (Inconclusive).
    fn condition(&self, comparison: Comparison, success: bool) -> String {
        let (op, threshold) = (comparison.as_str(), &self.threshold);
        if !self.every_series {
            return format!("{RESULT_GUARD} && result[0] {op} {threshold}");
        }
        let each = if success { "all" } else { "any" };
        format!("len(result) > 0 && {each}(result, {{!isNaN(#) && # {op} {threshold}}})")
    }

    /// The comparison that must hold for the measurement to succeed, and the one that fails it.
    fn comparisons(&self) -> (Comparison, Comparison) {
        let (holds, not) = (self.comparison, self.comparison.negated());
        match self.outcome {
            Outcome::Success => (holds, not),
            Outcome::Fail => (not, holds),
        }
    }

    pub fn success_condition(&self) -> String {
        self.condition(self.comparisons().0, true)
    }

    pub fn failure_condition(&self) -> String {
        self.condition(self.comparisons().1, false)
    }

    /// What Argo Rollouts decides for a Prometheus vector result (its
    /// values, in order): both conditions evaluated, failure first.
    pub fn verdict(&self, result: &[f64]) -> Verdict {
        let threshold = self.threshold.as_f64().unwrap_or(f64::NAN);
        let value = |v: &f64| !v.is_nan();
        let meets = |comparison: Comparison, success: bool| {
            let each = |v: &f64| value(v) && comparison.holds(*v, threshold);
            match (self.every_series, success) {
                (false, _) => result.first().is_some_and(each),
                (true, true) => !result.is_empty() && result.iter().all(each),
                (true, false) => !result.is_empty() && result.iter().any(each),
            }
        };
        let (success, failure) = self.comparisons();
        if meets(failure, false) {
            Verdict::Fail
        } else if meets(success, true) {
            Verdict::Pass
        } else {
            Verdict::Inconclusive
        }
    }
}
