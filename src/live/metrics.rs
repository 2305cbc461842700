//! The metrics gate: each criterion's query, exactly as its AnalysisTemplate
//! holds it with the arguments filled, sent to Prometheus' HTTP API and judged
//! by the criterion's `MetricJudge`, the data its conditions were written from.

use super::http::RequestError;
use super::{GateResult, Target};
use crate::defs::gates::metrics::{MetricPlan, PrometheusPlan};
use crate::plan::{Gate, Verdict};
use serde::Deserialize;

/// Queries one run sends at most: a metrics gate of 200 criteria against a
/// Prometheus that hangs ran past a minute with `--deadline 3 --timeout 1`.
pub const MAX_QUERIES: usize = 64;

/// `target` is Prometheus.
pub fn run(prometheus: &PrometheusPlan, args: &[(&str, &str)], target: &Target) -> Vec<GateResult> {
    prometheus
        .metrics
        .iter()
        .enumerate()
        .map(|(i, m)| criterion(m, args, target, i))
        .collect()
}

fn criterion(m: &MetricPlan, args: &[(&str, &str)], target: &Target, index: usize) -> GateResult {
    let base = target.url.as_str();
    let query = fill_args(&m.query, args);
    let threshold = format!(
        "{} when {} {}",
        match m.judge.outcome {
            crate::defs::appmod::Outcome::Success => "passes",
            crate::defs::appmod::Outcome::Fail => "fails",
        },
        m.judge.comparison.as_str(),
        m.judge.threshold,
    );
    let result = |verdict, measured: String, value| GateResult {
        gate: Gate::Metrics,
        name: format!("metrics/{}", m.name),
        verdict,
        measured,
        value,
        threshold: threshold.clone(),
        target: query.clone(),
    };
    // Past the cap or the deadline, the criterion is not judged: Argo
    // Rollouts would have, so it is neither a pass nor a failure.
    if index >= MAX_QUERIES {
        return result(
            Verdict::Inconclusive,
            format!("not run: oamc gates sends at most {MAX_QUERIES} queries a run"),
            None,
        );
    }
    if target.past_deadline() {
        return result(
            Verdict::Inconclusive,
            "not run: the run's deadline passed (--deadline)".to_owned(),
            None,
        );
    }
    // An argument left unfilled would be sent as text: say which instead.
    if let Some(at) = query.find("{{args.") {
        let arg: String = query[at..].chars().take_while(|c| *c != '}').collect();
        return result(
            Verdict::Fail,
            format!("the query uses {arg}}}}}, which oamc gates cannot fill"),
            None,
        );
    }
    let values = match query_vector(base, &query, target) {
        Ok(v) => v,
        // Argo Rollouts counts an unanswered query as an error, and the analysis
        // fails after a few: here it fails at once.
        Err(why) => return result(Verdict::Fail, why.to_string(), None),
    };
    let verdict = m.judge.verdict(&values);
    let measured = match values.as_slice() {
        [] => "no series (Argo Rollouts: Inconclusive, the rollout pauses)".to_owned(),
        [v] => format!("{v}"),
        [v, rest @ ..] => format!(
            "{v} (result[0] of {} series; Argo Rollouts judges only the first)",
            rest.len() + 1
        ),
    };
    let measured = match (values.first(), verdict) {
        (Some(v), Verdict::Inconclusive) if v.is_nan() => {
            format!("{measured} (NaN: Inconclusive, the rollout pauses)")
        }
        _ => measured,
    };
    result(verdict, measured, values.first().copied())
}

/// `{{args.NAME}}` replaced as Argo Rollouts does before it sends the query.
pub fn fill_args(text: &str, args: &[(&str, &str)]) -> String {
    args.iter().fold(text.to_owned(), |t, (name, value)| {
        t.replace(&format!("{{{{args.{name}}}}}"), value)
    })
}

/// Prometheus' answer, read in place: `result` stays the answer's own bytes
/// until it is known to be a vector, and each sample keeps only its value
/// (labels and time are skipped unread). Read as a `serde_json::Value`, a
/// 15 MiB answer of small samples took 588 MiB.
#[derive(Deserialize)]
struct Reply<'a> {
    status: String,
    #[serde(default, borrow)]
    data: Option<Data<'a>>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Data<'a> {
    result_type: String,
    #[serde(borrow)]
    result: &'a serde_json::value::RawValue,
}

#[derive(Deserialize)]
struct Sample {
    /// `[time, "value"]`.
    value: (serde::de::IgnoredAny, String),
}

/// The values of an instant query's vector, in Prometheus' order (what
/// Argo Rollouts passes its conditions as `result`).
fn query_vector(base: &str, query: &str, target: &Target) -> Result<Vec<f64>, RequestError> {
    let url = format!("{}/api/v1/query", base.trim_end_matches('/'));
    let what = format!("Prometheus at {base}");
    let answer = |why: String| RequestError::Answer {
        what: what.clone(),
        why,
    };
    let timeout = target
        .request_timeout()
        .ok_or_else(|| RequestError::NotSent { what: what.clone() })?;
    let mut response = target
        .agent
        .get(&url)
        .query("query", query)
        .config()
        .timeout_global(Some(timeout))
        .build()
        .call()
        .map_err(|e| target.request_error(&what, &e))?;
    let status = response.status();
    let body = response
        .body_mut()
        .with_config()
        .limit(super::http::BODY_LIMIT)
        .read_to_vec()
        .map_err(|e| answer(format!("reading the answer: {e}")))?;
    let reply: Reply = serde_json::from_slice(&body).map_err(|_| {
        answer(format!(
            "{url} answered status {status} with something other than Prometheus' JSON"
        ))
    })?;
    if reply.status != "success" {
        return Err(answer(format!(
            "refused the query: {}",
            reply.error.unwrap_or_else(|| format!("status {status}"))
        )));
    }
    let samples: Vec<Sample> = match reply.data {
        Some(Data {
            result_type,
            result,
        }) if result_type == "vector" => serde_json::from_str(result.get())
            .map_err(|e| answer(format!("answered a vector oamc cannot read: {e}")))?,
        _ => {
            return Err(answer(
                "answered something other than an instant vector, which the conditions cannot index".to_owned(),
            ));
        }
    };
    samples
        .iter()
        .map(|s| {
            s.value
                .1
                .parse::<f64>()
                .map_err(|_| answer(format!("answered the value `{}`", s.value.1)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn args_are_filled_as_argo_fills_them() {
        assert_eq!(
            fill_args(
                r#"x{namespace="{{args.namespace}}"}"#,
                &[("namespace", "team-a")]
            ),
            r#"x{namespace="team-a"}"#
        );
    }
}

#[cfg(test)]
mod unfilled {
    use super::*;
    use crate::defs::appmod::{Comparison, Outcome};
    use crate::defs::gates::metrics::MetricJudge;
    use crate::plan::GoDuration;

    /// A query whose argument oamc cannot fill is reported, not sent.
    #[test]
    fn an_unfilled_argument_fails_without_a_request() {
        let judge = MetricJudge {
            comparison: Comparison::Gt,
            threshold: serde_json::Number::from(1),
            outcome: Outcome::Success,
            every_series: false,
        };
        let m = MetricPlan {
            initial_delay: None,
            name: "m0".into(),
            summary: String::new(),
            interval: GoDuration::new("1s", 1_000_000_000),
            count: 1,
            query: r#"up{pod="{{args.pod}}", namespace="{{args.namespace}}"}"#.into(),
            success_condition: judge.success_condition(),
            failure_condition: judge.failure_condition(),
            judge,
        };
        let timeout = std::time::Duration::from_secs(1);
        let target = Target {
            // Nothing listens on port 1: a request would fail differently.
            url: "http://127.0.0.1:1".into(),
            agent: super::super::http::agent(timeout, false),
            timeout,
            ends: std::time::Instant::now() + timeout,
        };
        let r = criterion(&m, &[("namespace", "shop")], &target, 0);
        assert_eq!(r.verdict, Verdict::Fail);
        assert!(r.measured.contains("{{args.pod}}"), "{}", r.measured);
    }
}
