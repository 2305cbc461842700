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
