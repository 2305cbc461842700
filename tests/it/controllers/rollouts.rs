//! Argo Rollouts v1.9.1 as it runs what oamc emits.
//!
//! Mirrors (argoproj/argo-rollouts, tag v1.9.1):
//! - `utils/replicaset/canary.go`, `approximateWeightedCanaryStableReplicaCounts`
//!   (oamc's model is `oamc::semantics::rollouts`, which `plan` uses): held to
//!   every row of `TestApproximateWeightedNewStableReplicaCounts`;
//! - `experiments/experiment.go`, `createTemplateService`: an Experiment's
//!   Service listens on each containerPort (`Port: port.ContainerPort`);
//! - `analysis/analysis.go`, `generateMetricTasks` and
//!   `calculateNextReconcileTime`: every metric of one AnalysisRun is due
//!   when the run starts, unless its `initialDelay` (a Go duration) has not
//!   passed; `experiments/experiment.go`, `reconcileAnalysisRun`: an
//!   Experiment starts all its analyses once it is available;
//! - `utils/ingress/wrapper.go` and `docs/features/traffic-management/alb.md`:
//!   the AWS Load Balancer Controller follows the weights only for a backend
//!   whose port is named `use-annotation`.

use crate::common::*;
use oamc::semantics::rollouts::{canary_stable_counts, default_max_surge};
use serde_json::Value;

#[test]
fn replica_counts_match_argo_rollouts_test_approximate_weighted() {
    let v = super::data("rollouts-v1.9.1.json");
    let rows = v["approximate_weighted_canary_stable_replica_counts"]
        .as_array()
        .unwrap();
    assert_eq!(rows.len(), 57);
    for r in rows {
        let n = |k: &str| r[k].as_u64().unwrap() as u32;
        assert_eq!(
            canary_stable_counts(n("replicas"), n("weight"), n("maxWeight"), n("maxSurge")),
            (n("expCanary"), n("expStable")),
            "{r}"
        );
    }
    // DefaultMaxSurge 25%, rounded up (`resolveFenceposts`).
    assert_eq!([1, 3, 4, 5, 10].map(default_max_surge), [1, 1, 1, 2, 3]);
}

fn render(case: &str) -> Vec<Value> {
    let out = oamc(
        &[
            "render",
            &format!("fixtures/render/{case}/application.yaml"),
        ],
        None,
    );
    assert!(out.status.success(), "{case}: {}", text(&out.stderr));
    yaml_docs(&text(&out.stdout))
}

/// The Service an Experiment creates for a template: named as the template's
/// `service.name`, one port per containerPort, listening on it.
fn experiment_services(rollout: &Value) -> Vec<(String, Vec<u64>)> {
    let ports: Vec<u64> = rollout["spec"]["template"]["spec"]["containers"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| {
            // A container without ports (a sidecar) adds none.
            c["ports"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| p["containerPort"].as_u64().unwrap())
        })
        .collect();
    rollout["spec"]["strategy"]["canary"]["steps"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.get("experiment"))
        .flat_map(|e| e["templates"].as_array().unwrap())
        .map(|t| {
            (
                t["service"]["name"].as_str().unwrap().to_owned(),
                ports.clone(),
            )
        })
        .collect()
}

#[test]
fn ab_gates_reach_the_port_the_experiment_service_listens_on() {
    let mut checked = 0;
    for case in cases("render") {
        let case = case.file_name().unwrap().to_str().unwrap().to_owned();
        let docs = render(&case);
        for rollout in docs.iter().filter(|d| d["kind"] == "Rollout") {
            let services = experiment_services(rollout);
            let Some(canary) = rollout["spec"]["strategy"]["canary"]["steps"]
                .as_array()
                .into_iter()
                .flatten()
                .find_map(|s| s.get("experiment"))
            else {
                continue;
            };
            for analysis in canary["analyses"].as_array().into_iter().flatten() {
                let target = analysis["args"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|a| a["name"] == "service-name")
                    .and_then(|a| a["value"].as_str());
                let Some(target) = target else { continue };
                let template = docs
                    .iter()
                    .find(|d| {
                        d["kind"] == "AnalysisTemplate"
                            && d["metadata"]["name"] == analysis["templateName"]
                    })
                    .unwrap();
                let job = &template["spec"]["metrics"][0]["provider"]["job"]["spec"]["template"]["spec"]
                    ["containers"][0];
                let url = job["env"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|e| e["name"] == "TARGET_URL")
                    .unwrap()["value"]
                    .as_str()
                    .unwrap()
                    .replace("{{args.service-name}}", target);
                let (host, port) = url
                    .trim_start_matches("http://")
                    .split('/')
                    .next()
                    .unwrap()
                    .split_once(':')
                    .unwrap();
                let (_, listening) = services
                    .iter()
                    .find(|(name, _)| name == host)
                    .unwrap_or_else(|| panic!("{case}: no Experiment Service {host}"));
                assert!(
                    listening.contains(&port.parse().unwrap()),
                    "{case}: the gate calls {url}, but Service {host} listens on {listening:?}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 0, "no A/B gate was checked");
}

#[test]
fn a_metrics_gate_sharing_a_run_reads_after_its_delay() {
    let mut checked = 0;
    for case in cases("render") {
        let case = case.file_name().unwrap().to_str().unwrap().to_owned();
        let docs = render(&case);
        for rollout in docs.iter().filter(|d| d["kind"] == "Rollout") {
            let strategy = &rollout["spec"]["strategy"];
            // The runs in which several gates start together.
            let mut shared: Vec<Vec<String>> = Vec::new();
            if let Some(post) = strategy["blueGreen"].get("postPromotionAnalysis") {
                shared.push(
                    post["templates"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|t| t["templateName"].as_str().unwrap().to_owned())
                        .collect(),
                );
            }
            for e in strategy["canary"]["steps"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| s.get("experiment"))
            {
                shared.push(
                    e["analyses"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|a| a["templateName"].as_str().unwrap().to_owned())
                        .collect(),
                );
            }
            for run in shared.iter().filter(|r| r.len() > 1) {
                let templates: Vec<&Value> = run
                    .iter()
                    .map(|name| {
                        docs.iter()
                            .find(|d| {
                                d["kind"] == "AnalysisTemplate" && d["metadata"]["name"] == *name
                            })
                            .unwrap()
                    })
                    .collect();
                // The longest a passing load of the run's performance gate lasts.
                let load = templates
                    .iter()
                    .filter_map(|t| load_seconds(t))
                    .max()
                    .unwrap_or(0);
                for t in &templates {
                    for m in t["spec"]["metrics"].as_array().unwrap() {
                        if m["provider"].get("prometheus").is_some() {
                            let delay = m["initialDelay"].as_str().unwrap_or_else(|| {
                                panic!(
                                    "{case}: {}/{} reads Prometheus as the run starts",
                                    t["metadata"]["name"], m["name"]
                                )
                            });
                            let delay: u64 = delay
                                .strip_suffix('s')
                                .and_then(|d| d.parse().ok())
                                .unwrap();
                            assert!(
                                delay > load,
                                "{case}: reads at {delay}s, the load may last {load}s"
                            );
                            checked += 1;
                        }
                    }
                }
            }
        }
    }
    assert!(checked > 0, "no shared run with a metrics gate was checked");
}

#[test]
fn an_alb_routed_ingress_lets_the_load_balancer_follow_the_weights() {
    let docs = render("traits-alb-hpa");
    let rollout = docs.iter().find(|d| d["kind"] == "Rollout").unwrap();
    let alb = &rollout["spec"]["strategy"]["canary"]["trafficRouting"]["alb"];
    let ingress = docs
        .iter()
        .find(|d| d["kind"] == "Ingress" && d["metadata"]["name"] == alb["ingress"])
        .expect("the router drives the Ingress oamc renders");
    // `ALBActionAnnotationKey`: the action is named after the stable Service.
    let stable = rollout["spec"]["strategy"]["canary"]["stableService"]
        .as_str()
        .unwrap();
    for rule in ingress["spec"]["rules"].as_array().unwrap() {
        for path in rule["http"]["paths"].as_array().unwrap() {
            assert_eq!(path["backend"]["service"]["name"], stable);
            assert_eq!(path["backend"]["service"]["port"]["name"], "use-annotation");
        }
    }
}

/// From a rendered performance gate alone: Artillery's phases, or ab's
/// bound for a passing run (mean "Time per request" = concurrency x wall /
/// requests, below the limit), or the Job's deadline without a limit.
fn load_seconds(template: &Value) -> Option<u64> {
    let job = &template["spec"]["metrics"][0]["provider"]["job"]["spec"];
    let container = &job["template"]["spec"]["containers"][0];
    let env: std::collections::BTreeMap<String, String> = container["env"]
        .as_array()?
        .iter()
        .map(|e| {
            (
                e["name"].as_str().unwrap().to_owned(),
                e["value"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    if let Some(config) = env.get("ARTILLERY_CONFIG") {
        let config: Value = serde_json::from_str(config).unwrap();
        return Some(
            config["config"]["phases"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["duration"].as_u64().unwrap())
                .sum(),
        );
    }
    let requests: f64 = env.get("REQUESTS")?.parse().unwrap();
    let concurrency: f64 = env["CONCURRENCY"].parse().unwrap();
    Some(match env.get("MAX_MEAN_LATENCY_MS") {
        Some(limit) => {
            (requests * limit.parse::<f64>().unwrap() / concurrency / 1000.0).ceil() as u64
        }
        None => job["activeDeadlineSeconds"].as_u64().unwrap(),
    })
}

/// oamc's model of Go's `time.ParseDuration` (go `src/time/format.go`), by
/// which Argo Rollouts reads an analysis `interval` and `initialDelay` and an
/// Experiment's `duration`: every row of Go's own tests.
#[test]
fn durations_match_go_parse_duration_tests() {
    use oamc::check::duration::go_nanos;
    let v = super::data("go-time.json");
    let rows = v["parse_duration"].as_array().unwrap();
    assert!(rows.len() > 40);
    for row in rows {
        let input = row["in"].as_str().unwrap();
        let want: i64 = row["nanos"].as_str().unwrap().parse().unwrap();
        assert_eq!(go_nanos(input), Ok(want), "ParseDuration({input:?})");
    }
    for bad in v["parse_duration_errors"].as_array().unwrap() {
        let input = bad.as_str().unwrap();
        assert!(
            go_nanos(input).is_err(),
            "ParseDuration({input:?}) must fail"
        );
    }
}

/// oamc's model of `RolloutPause.DurationSeconds` (argo-rollouts v1.9.1
/// `pkg/apis/rollouts/v1alpha1/types.go`): every string row of Argo's
/// `TestRolloutPauseDuration`, and what oamc then accepts: a pause Argo
/// reads (-1 is refused by Argo's validation, and so by oamc).
#[test]
fn pauses_match_argo_rollouts_test_rollout_pause_duration() {
    use oamc::check::duration::{Kind, check, rollout_pause_seconds};
    let v = super::data("rollouts-v1.9.1.json");
    let rows = v["rollout_pause_duration_seconds"].as_array().unwrap();
    assert_eq!(rows.len(), 6);
    for row in rows {
        let input = row["in"].as_str().unwrap();
        let want = row["seconds"].as_i64().unwrap();
        assert_eq!(
            rollout_pause_seconds(input),
            want,
            "DurationSeconds({input:?})"
        );
        match u64::try_from(want) {
            Ok(seconds) => assert_eq!(check(Kind::Pause, input).map(|c| c.seconds), Ok(seconds)),
            Err(_) => assert!(check(Kind::Pause, input).is_err(), "{input}"),
        }
    }
    // The spellings issue 27 found refused, each as Argo reads it.
    for (input, seconds, truncated) in [
        ("500ms", 0, true),
        ("1500ms", 1, true),
        ("20", 20, false),
        ("+20", 20, false),
        ("1m30s", 90, false),
        ("1.5m", 90, false),
        ("0", 0, false),
    ] {
        let c = check(Kind::Pause, input).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!((c.seconds, c.truncated), (seconds, truncated), "{input}");
    }
    for (input, seconds) in [("500ms", 0), ("1.5h", 5400), ("+1s", 1), ("0", 0)] {
        assert_eq!(
            check(Kind::Go, input).map(|c| c.seconds),
            Ok(seconds),
            "{input}"
        );
    }
    // Refused on purpose (a sign `-`), or by the reader itself.
    for (kind, input) in [
        (Kind::Pause, "-5"),
        (Kind::Pause, "-0"),
        (Kind::Go, "-1s"),
        (Kind::Go, "20"),
        (Kind::Go, "1d"),
        (Kind::Kargo, "500ms"),
        (Kind::Kargo, "5"),
        (Kind::Pause, "2147483648"),
        (Kind::Pause, "600000h"),
    ] {
        assert!(check(kind, input).is_err(), "{kind:?} {input}");
    }
}

// ---------------------------------------------------------------------------
// Metric conditions: `utils/evaluate/evaluate.go`, `EvaluateResult` (failure
// first, then success, else Inconclusive) over `EvalCondition`'s expr
// environment (`result`, `isNaN`), with the Prometheus provider's `result`
// for a vector: one float per series (`metricproviders/prometheus/
// prometheus.go`, `processResponse`). The subset of expr (antonmedv/expr
// v1.15.5) the conditions use: `&&` and `||` short-circuit, `!`,
// comparisons (false for NaN), `len`, `result[i]`, `all`/`any` with a
// `{…#…}` predicate.

#[derive(Debug, Clone)]
enum Expr {
    Num(f64),
    Ident(String),
    Hash,
    Not(Box<Expr>),
    Bin(String, Box<Expr>, Box<Expr>),
    Call(String, Vec<Expr>),
    Index(Box<Expr>, Box<Expr>),
    Closure(Box<Expr>),
}

#[derive(Debug, Clone)]
enum Val {
    Num(f64),
    Bool(bool),
    List(Vec<f64>),
}

struct ExprParser {
    toks: Vec<String>,
    at: usize,
}

impl ExprParser {
    fn parse(src: &str) -> Expr {
        let mut toks = Vec::new();
        let chars: Vec<char> = src.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if c.is_whitespace() {
                i += 1;
            } else if c.is_ascii_digit()
                || (c == '-'
                    && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit())
                    && toks.last().is_none_or(|t: &String| {
                        !t.chars()
                            .all(|x| x.is_alphanumeric() || x == ')' || x == ']' || x == '#')
                    }))
            {
                let start = i;
                i += 1;
                while i < chars.len()
                    && (chars[i].is_ascii_digit()
                        || ".eE".contains(chars[i])
                        || (chars[i] == '-' && "eE".contains(chars[i - 1])))
                {
                    i += 1;
                }
                toks.push(chars[start..i].iter().collect());
            } else if c.is_alphabetic() {
                let start = i;
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                toks.push(chars[start..i].iter().collect());
            } else {
                let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
                if ["&&", "||", ">=", "<=", "==", "!="].contains(&two.as_str()) {
                    toks.push(two);
                    i += 2;
                } else {
                    toks.push(c.to_string());
                    i += 1;
                }
            }
        }
        let mut p = ExprParser { toks, at: 0 };
        let e = p.or();
        assert_eq!(p.at, p.toks.len(), "unparsed rest of {src:?}");
        e
    }
    fn peek(&self) -> Option<&str> {
        self.toks.get(self.at).map(String::as_str)
    }
    fn eat(&mut self, t: &str) -> bool {
        let hit = self.peek() == Some(t);
        if hit {
            self.at += 1;
        }
        hit
    }
    fn or(&mut self) -> Expr {
        let mut e = self.and();
        while self.eat("||") {
            e = Expr::Bin("||".into(), Box::new(e), Box::new(self.and()));
        }
        e
    }
    fn and(&mut self) -> Expr {
        let mut e = self.cmp();
        while self.eat("&&") {
            e = Expr::Bin("&&".into(), Box::new(e), Box::new(self.cmp()));
        }
        e
    }
    fn cmp(&mut self) -> Expr {
        let left = self.unary();
        for op in [">=", "<=", "==", "!=", ">", "<"] {
            if self.eat(op) {
                return Expr::Bin(op.into(), Box::new(left), Box::new(self.unary()));
            }
        }
        left
    }
    fn unary(&mut self) -> Expr {
        if self.eat("!") {
            return Expr::Not(Box::new(self.unary()));
        }
        let mut e = self.primary();
        while self.eat("[") {
            let index = self.or();
            assert!(self.eat("]"));
            e = Expr::Index(Box::new(e), Box::new(index));
        }
        e
    }
    fn primary(&mut self) -> Expr {
        let t = self.toks[self.at].clone();
        self.at += 1;
        match t.as_str() {
            "(" => {
                let e = self.or();
                assert!(self.eat(")"));
                e
            }
            "{" => {
                let e = self.or();
                assert!(self.eat("}"));
                Expr::Closure(Box::new(e))
            }
            "#" => Expr::Hash,
            _ if t.starts_with(|c: char| c.is_ascii_digit() || c == '-') => {
                Expr::Num(t.parse().unwrap())
            }
            _ if self.eat("(") => {
                let mut args = Vec::new();
                if !self.eat(")") {
                    loop {
                        args.push(self.or());
                        if self.eat(")") {
                            break;
                        }
                        assert!(self.eat(","));
                    }
                }
                Expr::Call(t, args)
            }
            _ => Expr::Ident(t),
        }
    }
}

/// `Err`: expr fails at run time (the measurement is an Error).
fn eval(e: &Expr, result: &[f64], hash: Option<f64>) -> Result<Val, String> {
    let num = |v: Val| match v {
        Val::Num(n) => Ok(n),
        other => Err(format!("not a number: {other:?}")),
    };
    let boolean = |v: Val| match v {
        Val::Bool(b) => Ok(b),
        other => Err(format!("not a bool: {other:?}")),
    };
    Ok(match e {
        Expr::Num(n) => Val::Num(*n),
        Expr::Hash => Val::Num(hash.ok_or("# outside a predicate")?),
        Expr::Ident(name) if name == "result" => Val::List(result.to_vec()),
        Expr::Ident(name) => return Err(format!("unknown name {name}")),
        Expr::Not(inner) => Val::Bool(!boolean(eval(inner, result, hash)?)?),
        Expr::Index(list, index) => {
            let Val::List(items) = eval(list, result, hash)? else {
                return Err("index of a non-list".into());
            };
            let i = num(eval(index, result, hash)?)? as usize;
            Val::Num(*items.get(i).ok_or("index out of range")?)
        }
        Expr::Bin(op, l, r) if op == "&&" || op == "||" => {
            let left = boolean(eval(l, result, hash)?)?;
            if (op == "&&") != left {
                Val::Bool(left)
            } else {
                Val::Bool(boolean(eval(r, result, hash)?)?)
            }
        }
        Expr::Bin(op, l, r) => {
            let (a, b) = (num(eval(l, result, hash)?)?, num(eval(r, result, hash)?)?);
            Val::Bool(match op.as_str() {
                ">" => a > b,
                "<" => a < b,
                ">=" => a >= b,
                "<=" => a <= b,
                "==" => a == b,
                "!=" => a != b,
                other => return Err(format!("operator {other}")),
            })
        }
        Expr::Call(f, args) => match (f.as_str(), args.as_slice()) {
            ("len", [x]) => match eval(x, result, hash)? {
                Val::List(items) => Val::Num(items.len() as f64),
                other => return Err(format!("len of {other:?}")),
            },
            ("isNaN", [x]) => Val::Bool(num(eval(x, result, hash)?)?.is_nan()),
            ("all" | "any", [list, Expr::Closure(pred)]) => {
                let Val::List(items) = eval(list, result, hash)? else {
                    return Err(format!("{f} of a non-list"));
                };
                let mut verdicts = Vec::new();
                for item in items {
                    verdicts.push(boolean(eval(pred, result, Some(item))?)?);
                }
                Val::Bool(if f == "all" {
                    verdicts.iter().all(|v| *v)
                } else {
                    verdicts.iter().any(|v| *v)
                })
            }
            other => return Err(format!("unknown function {other:?}")),
        },
        Expr::Closure(_) => return Err("a predicate outside all/any".into()),
    })
}

/// `EvaluateResult` for a metric with both conditions.
fn phase(metric: &Value, result: &[f64]) -> &'static str {
    let cond = |key: &str| {
        let e = ExprParser::parse(metric[key].as_str().unwrap());
        match eval(&e, result, None) {
            Ok(Val::Bool(b)) => Ok(b),
            Ok(other) => Err(format!("{other:?}")),
            Err(e) => Err(e),
        }
    };
    match (cond("successCondition"), cond("failureCondition")) {
        (Err(_), _) | (_, Err(_)) => "Error",
        (_, Ok(true)) => "Failed",
        (Ok(false), Ok(false)) => "Inconclusive",
        (Ok(true), Ok(false)) => "Successful",
    }
}

#[test]
fn the_condition_model_matches_argo_rollouts_evaluate_tests() {
    // `TestEvaluateArray` and the guards' own behaviour.
    let e = ExprParser::parse("all(result, {# > 1})");
    assert!(matches!(eval(&e, &[2.0, 2.0], None), Ok(Val::Bool(true))));
    assert!(matches!(eval(&e, &[2.0, 1.0], None), Ok(Val::Bool(false))));
    let guarded = ExprParser::parse("len(result) > 0 && result[0] > 1");
    assert!(matches!(eval(&guarded, &[], None), Ok(Val::Bool(false))));
    assert!(eval(&ExprParser::parse("result[0] > 1"), &[], None).is_err());
}

/// Every Prometheus metric of every rendered fixture, judged as Argo
/// Rollouts judges it: a query that keeps one series per pod (no
/// aggregating `function`) fails when any series fails, whichever comes
/// first in Prometheus' answer; the judge `oamc gates` applies (in `plan`'s
/// JSON) decides the same for every result.
#[test]
fn every_series_of_a_metric_is_judged_as_plan_says() {
    let mut judged = 0;
    for dir in cases("render") {
        let case = dir.file_name().unwrap().to_str().unwrap().to_owned();
        let plan = oamc(
            &[
                "plan",
                "--format",
                "json",
                &format!("fixtures/render/{case}/application.yaml"),
            ],
            None,
        );
        assert!(plan.status.success(), "{case}");
        let plans: Value = serde_json::from_slice(&plan.stdout).unwrap();
        let judges: Vec<Value> = plans
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|a| a["services"].as_array().unwrap().clone())
            .flat_map(|s| s["analysis_templates"].as_array().unwrap().clone())
            .flat_map(|t| {
                t["prometheus"]["metrics"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
            })
            .collect();
        let docs = render(&case);
        let metrics: Vec<&Value> = docs
            .iter()
            .filter(|d| d["kind"] == "AnalysisTemplate")
            .flat_map(|t| t["spec"]["metrics"].as_array().unwrap())
            .filter(|m| m["provider"]["prometheus"].is_object())
            .collect();
        for m in metrics {
            let query = m["provider"]["prometheus"]["query"].as_str().unwrap();
            let plan_metric = judges
                .iter()
                .find(|j| j["query"] == query && j["success_condition"] == m["successCondition"])
                .unwrap_or_else(|| panic!("{case}: no plan for {query}"));
            let judge = &plan_metric["judge"];
            let t = judge["threshold"].as_f64().unwrap();
            let values = [t - 1.0, t, t + 1.0, f64::NAN];
            let mut results: Vec<Vec<f64>> = vec![vec![]];
            for a in values {
                results.push(vec![a]);
                for b in values {
                    results.push(vec![a, b]);
                }
            }
            // PromQL's aggregation operators return one series; any other
            // query one per label set (pod, variant).
            let aggregated = ["sum(", "avg(", "max(", "min(", "count("]
                .iter()
                .any(|f| query.starts_with(f));
            assert_eq!(
                judge["every_series"], !aggregated,
                "{case}: {query}: plan's judge"
            );
            for result in &results {
                let got = phase(m, result);
                let want = expected(judge, aggregated, result);
                assert_eq!(got, want, "{case}: {query} on {result:?}: {m}");
            }
            judged += 1;
        }
    }
    assert!(judged >= 5, "only {judged} metrics judged");
}

/// The verdict the user expects: each series a measurement of the same
/// criterion; one failing series fails, all passing pass; a single value
/// (an aggregate) when the query aggregates.
fn expected(judge: &Value, aggregated: bool, result: &[f64]) -> &'static str {
    let t = judge["threshold"].as_f64().unwrap();
    let holds = |v: f64| match judge["comparison"].as_str().unwrap() {
        ">" => v > t,
        "<" => v < t,
        ">=" => v >= t,
        "<=" => v <= t,
        "==" => v == t,
        "!=" => v != t,
        other => panic!("comparison {other}"),
    };
    let passes = |v: f64| (judge["outcome"] == "success") == holds(v);
    let series: &[f64] = if aggregated {
        &result[..result.len().min(1)]
    } else {
        result
    };
    if series.iter().any(|v| !v.is_nan() && !passes(*v)) {
        "Failed"
    } else if !series.is_empty() && series.iter().all(|v| !v.is_nan() && passes(*v)) {
        "Successful"
    } else {
        "Inconclusive"
    }
}
