//! The rollout timeline of `oamc plan`: its numbers held to a hand
//! computation for every render fixture and to the replica model, its
//! pictures drawn by real renderers (Mermaid in Chromium; the SVG in
//! Chromium), and the docs' pictures current.

use crate::common::*;
use serde_json::Value;
use std::path::Path;
use std::process::Command;

/// What a person computes from a fixture's rendered Rollout and
/// AnalysisTemplates. Conventions: `pd` is `progressDeadlineSeconds`, the
/// most a step that starts new pods waits; a step whose new pods are those
/// of the step before waits 0; a Job gate takes 0 s at least (ab's own time
/// is the app's) or Artillery's 5 s warm-up + 10 s sustained, at most its
/// `activeDeadlineSeconds` (300 in every fixture); a metrics gate takes
/// `initialDelay + interval × (count − 1)` at least and `+ count × 4 × 10 s`
/// (four errors retried after 10 s per reading) at most.
struct Expected {
    fixture: &'static str,
    component: &'static str,
    best: u64,
    worst: u64,
    kept: u64,
    person: bool,
    /// Requests on the new version at each weight step (canary) or during
    /// the experiment (A/B).
    traffic: &'static [f64],
}

/// Three replicas, no router (maxSurge 25% → 1 pod): 20% → 1 new of 4
/// (25%), 40% → 1 of 3 (33.3%, the same pod: no wait), 60% → 2 of 3
/// (66.7%), 80% → 3 of 4 (75%); at 100% the 3 new pods already run.
const THREE: &[f64] = &[25.0, 33.3, 66.7, 75.0];

const EXPECTED: &[Expected] = &[
    // Experiment 10m of a 1-pod baseline and a 1-pod canary beside 3
    // stable pods: 1 / 5 = 20%. Worst: pd 600 for the variants + 600 s + pd
    // 600 for the full rollout.
    Expected {
        fixture: "ab-test-no-gates",
        component: "banner",
        best: 600,
        worst: 600 + 600 + 600,
        kept: 0,
        person: false,
        traffic: &[20.0],
    },
    // Experiment 30m, 2 + 2 pods beside 3: 2 / 7 = 28.6%. Gates: a Job
    // (0–300) and one reading after 1 s: both inside the 1800 s.
    Expected {
        fixture: "ab-test",
        component: "recommender",
        best: 1800,
        worst: 600 + 1800 + 600,
        kept: 0,
        person: false,
        traffic: &[28.6],
    },
    // 5 replicas (maxSurge 2): 20/40/60/80% are 1–4 pods of 5, each a new
    // pod, and the full rollout a fifth: 5 × pd 300. Pauses 30+5+5+60+60.
    // Metrics: 30s × (4 − 1) = 90 s, at most 90 + 4 × 40 = 250.
    Expected {
        fixture: "all-gates",
        component: "checkout-api",
        best: 30 + 5 + 5 + 60 + 60 + 90,
        worst: 5 * 300 + (30 + 5 + 5 + 60 + 60) + 300 + 300 + 250,
        kept: 0,
        person: false,
        traffic: &[20.0, 40.0, 60.0, 80.0],
    },
    // Preview (pd 600), then a person, then the switch; old pods kept 30 s.
    Expected {
        fixture: "blue-green-no-gates",
        component: "ledger",
        best: 0,
        worst: 600,
        kept: 30,
        person: true,
        traffic: &[],
    },
    // Pre: functional Job (0–300). Post: performance Job (0–300) beside a
    // metric read once after 21 s (21–61): the run takes 21–300.
    Expected {
        fixture: "blue-green",
        component: "billing",
        best: 21,
        worst: 600 + 300 + 300,
        kept: 600,
        person: false,
        traffic: &[],
    },
    // 10% → 1 of 4 (25%), 50% → 2 of 4 (50%, a tie at 3 pods), 90% → 3 of 4
    // (75%): three pod starts; the full rollout needs none. Metrics once (0–40).
    Expected {
        fixture: "canary-custom-steps",
        component: "catalog",
        best: 30 + 60 + 30,
        worst: 3 * 600 + (30 + 60 + 30) + 300 + 40,
        kept: 0,
        person: false,
        traffic: &[25.0, 50.0, 75.0],
    },
    // Routers: the weight exactly; canary pods ⌈3 × w⌉: 20% → 1, 40% → 2,
    // 60% → 2 (no start), 80% → 3, full → 3 (none). Old pods kept 30 s.
    Expected {
        fixture: "canary-routers",
        component: "web-nginx",
        best: 10 + 5 + 5,
        worst: 3 * 600 + (10 + 5 + 5) + 300,
        kept: 30,
        person: false,
        traffic: &[20.0, 40.0, 60.0, 80.0],
    },
    // 25% → 1, 50% → 2, full → 3: three starts.
    Expected {
        fixture: "canary-routers",
        component: "web-alb",
        best: 0,
        worst: 3 * 600,
        kept: 30,
        person: false,
        traffic: &[25.0, 50.0],
    },
    Expected {
        fixture: "canary-routers",
        component: "web-istio",
        best: 5 + 5,
        worst: 3 * 600 + 5 + 5,
        kept: 30,
        person: false,
        traffic: &[20.0, 40.0, 60.0, 80.0],
    },
    Expected {
        fixture: "canary-routers",
        component: "web-gateway",
        best: 5 + 5,
        worst: 3 * 600 + 5 + 5,
        kept: 30,
        person: false,
        traffic: &[20.0, 40.0, 60.0, 80.0],
    },
    // THREE: starts at 20, 60 and 80%.
    Expected {
        fixture: "hostile-strings",
        component: "hostile",
        best: 5 + 5 + 5,
        worst: 3 * 600 + 15 + 300,
        kept: 0,
        person: false,
        traffic: THREE,
    },
    Expected {
        fixture: "no-gates",
        component: "hello",
        best: 5 + 5,
        worst: 3 * 600 + 10,
        kept: 0,
        person: false,
        traffic: THREE,
    },
    // Artillery: 5 + 10 s of load at least.
    Expected {
        fixture: "performance-artillery",
        component: "catalog",
        best: 5 + 5 + 10 + 15,
        worst: 3 * 600 + 20 + 300,
        kept: 0,
        person: false,
        traffic: THREE,
    },
    Expected {
        fixture: "performance-artillery",
        component: "checkout",
        best: 15,
        worst: 600 + 300,
        kept: 30,
        person: false,
        traffic: &[],
    },
    Expected {
        fixture: "promotion-argocd",
        component: "rocket",
        best: 20 + 5 + 5,
        worst: 3 * 600 + 30 + 300,
        kept: 0,
        person: false,
        traffic: THREE,
    },
    Expected {
        fixture: "promotion-custom-from",
        component: "search",
        best: 10,
        worst: 3 * 600 + 10,
        kept: 0,
        person: false,
        traffic: THREE,
    },
    Expected {
        fixture: "promotion-default",
        component: "storefront",
        best: 30,
        worst: 2130,
        kept: 0,
        person: false,
        traffic: THREE,
    },
    Expected {
        fixture: "promotion-pull-request",
        component: "api",
        best: 10,
        worst: 1810,
        kept: 0,
        person: false,
        traffic: THREE,
    },
    Expected {
        fixture: "promotion-three-stages",
        component: "api",
        best: 10,
        worst: 1810,
        kept: 0,
        person: false,
        traffic: THREE,
    },
    Expected {
        fixture: "promotion-three-stages",
        component: "worker",
        best: 10,
        worst: 1810,
        kept: 0,
        person: false,
        traffic: THREE,
    },
    // The spec's example: pauses 20+5+5+10+2; functional and performance
    // Jobs (0–300 each); one reading (0–40).
    Expected {
        fixture: "spec-gates",
        component: "rocket",
        best: 20 + 5 + 5 + 10 + 2,
        worst: 3 * 600 + 42 + 300 + 300 + 40,
        kept: 0,
        person: false,
        traffic: THREE,
    },
    // HPA minimum 2, ALB: canary pods ⌈2 × w⌉: 1, 1, 2, 2; full 2: two starts.
    Expected {
        fixture: "traits-alb-hpa",
        component: "orders",
        best: 10,
        worst: 2 * 600 + 10,
        kept: 30,
        person: false,
        traffic: &[20.0, 40.0, 60.0, 80.0],
    },
    // NGINX, 3 replicas: 10% → 1, 30% → 1, 60% → 2, full → 3: three starts.
    Expected {
        fixture: "traits-nginx-router",
        component: "storefront",
        best: 15 + 5,
        worst: 3 * 600 + 20 + 300,
        kept: 30,
        person: false,
        traffic: &[10.0, 30.0, 60.0],
    },
    Expected {
        fixture: "traits-sidecar",
        component: "orders",
        best: 10,
        worst: 1810,
        kept: 0,
        person: false,
        traffic: THREE,
    },
    // 5 replicas: 1, 2, 3, 4 of 5, then the fifth: five starts.
    Expected {
        fixture: "traits-storage",
        component: "reports",
        best: 10,
        worst: 5 * 600 + 10,
        kept: 0,
        person: false,
        traffic: &[20.0, 40.0, 60.0, 80.0],
    },
    // HPA minimum 1 (maxSurge 1): every weight is 1 new next to 1 old (50%);
    // one start, and the full rollout keeps the one new pod.
    Expected {
        fixture: "traits-storage",
        component: "renderer",
        best: 10,
        worst: 600 + 10,
        kept: 0,
        person: false,
        traffic: &[50.0, 50.0, 50.0, 50.0],
    },
    // Pauses `20` (seconds), 5s, 5s, 2000ms (2 s), 1m30s (90 s); metrics
    // every 500ms 4 times: 1.5 s, shown as 2 s; at most 2 + 4 × 40.
    Expected {
        fixture: "upstream-edge-values",
        component: "catalog",
        best: 20 + 5 + 5 + 2 + 90 + 2,
        worst: 3 * 600 + 122 + 300 + 300 + 162,
        kept: 0,
        person: false,
        traffic: THREE,
    },
    // 2 replicas (maxSurge 1): 20% → 1 of 3, 40% → 1 of 3 (no start),
    // 60% → 2 of 3, 80% → 2 of 3 (no start), full: 2 already run.
    Expected {
        fixture: "upstream-java-application",
        component: "java-webservice",
        best: 20 + 5 + 5 + 10,
        worst: 2 * 600 + 40 + 300 + 300,
        kept: 0,
        person: false,
        traffic: &[33.3, 33.3, 66.7, 66.7],
    },
    Expected {
        fixture: "upstream-rust-application",
        component: "rust-webservice",
        best: 5 + 5 + 5 + 5,
        worst: 2 * 600 + 20 + 300 + 300,
        kept: 0,
        person: false,
        traffic: &[33.3, 33.3, 66.7, 66.7],
    },
    // 3 replicas, no router: 25% → 1 new of 4 (25%), 50% → 2 of 4 (50%),
    // 100% → all 3 (one more pod): three pod starts, pd 600 each. Pauses
    // 10 + 30 + 20. Functional Job 0–300. Web: readings at 0, 10, 20 s (20),
    // at most 20 + 3 × 5 × 5 s (each try up to its timeout, four errors a
    // reading) + 3 × 4 × 10 (the retries) = 215.
    Expected {
        fixture: "web-gate",
        component: "orders-api",
        best: 10 + 30 + 20 + 20,
        worst: 3 * 600 + (10 + 30 + 20) + 300 + 215,
        kept: 0,
        person: false,
        traffic: &[25.0, 50.0, 100.0],
    },
    // Preview (pd 600), the switch, then one run: ab (0–300) beside a web
    // reading after 15 s + 30 s (ab's longest pass): 45, at most 45 + 5 × 10
    // + 4 × 10 = 135. The run takes 45–300; old pods kept 30 s.
    Expected {
        fixture: "web-gate-blue-green",
        component: "billing-api",
        best: 45,
        worst: 600 + 300,
        kept: 30,
        person: false,
        traffic: &[],
    },
];

/// Each stage: (name, done at best, done at worst, a person on the way).
/// A new image is found within the Warehouse's interval; a stage starts when
/// its upstream is done; the stage's rollout is the slowest component's.
type Stage = (&'static str, u64, u64, bool);

const STAGES: &[(&str, &[Stage])] = &[
    // interval 5m; rocket 30–2130; prod is promoted by a person.
    (
        "promotion-argocd",
        &[
            ("dev", 30, 300 + 2130, false),
            ("prod", 60, 300 + 2 * 2130, true),
        ],
    ),
    (
        "promotion-default",
        &[
            ("dev", 30, 300 + 2130, false),
            ("prod", 60, 300 + 2 * 2130, true),
        ],
    ),
    // interval 5m; search 10–1810; qa and perf from dev, prod from qa.
    (
        "promotion-custom-from",
        &[
            ("dev", 10, 300 + 1810, false),
            ("qa", 20, 300 + 2 * 1810, true),
            ("perf", 20, 300 + 2 * 1810, true),
            ("prod", 30, 300 + 3 * 1810, true),
        ],
    ),
    // interval 5m; api 10–1810; staging and prod by pull request: a person
    // merges on the way to each (prod is also promoted by a person).
    (
        "promotion-pull-request",
        &[
            ("dev", 10, 300 + 1810, false),
            ("staging", 20, 300 + 2 * 1810, true),
            ("prod", 30, 300 + 3 * 1810, true),
        ],
    ),
    // interval 1m; api and worker 10–1810 side by side; staging automatic.
    (
        "promotion-three-stages",
        &[
            ("dev", 10, 60 + 1810, false),
            ("staging", 20, 60 + 2 * 1810, false),
            ("prod", 30, 60 + 3 * 1810, true),
        ],
    ),
];

fn plan_json(input: &Path) -> Value {
    let out = oamc(&["plan", "--format", "json", input.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn rollouts(plan: &Value) -> Vec<&Value> {
    plan.as_array()
        .unwrap()
        .iter()
        .flat_map(|app| app["timeline"]["rollouts"].as_array().unwrap())
        .collect()
}

/// The traffic the hand computation lists: each weight step's, or the
/// experiment's.
fn weight_traffic(rollout: &Value) -> Vec<f64> {
    rollout["spans"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| {
            let label = s["label"].as_str().unwrap();
            label.starts_with("set weight") || label.starts_with("experiment")
        })
        .map(|s| s["traffic"]["new_percent"].as_f64().unwrap())
        .collect()
}

#[test]
fn every_render_fixture_timeline_matches_a_hand_computation() {
    let mut seen = Vec::new();
    for case in cases("render") {
        let name = case.file_name().unwrap().to_str().unwrap().to_owned();
        let plan = plan_json(&case.join("application.yaml"));
        for r in rollouts(&plan) {
            let component = r["component"].as_str().unwrap();
            let e = EXPECTED
                .iter()
                .find(|e| e.fixture == name && e.component == component)
                .unwrap_or_else(|| panic!("no hand computation for {name}/{component}"));
            let at = format!("{name}/{component}");
            assert_eq!(r["best_seconds"], e.best, "{at}: best");
            assert_eq!(r["worst_seconds"], e.worst, "{at}: worst");
            assert_eq!(r["old_version_kept_seconds"], e.kept, "{at}: kept");
            assert_eq!(r["waits_for_person"], e.person, "{at}: person");
            assert_eq!(weight_traffic(r), e.traffic, "{at}: traffic");
            // The totals are the spans' sums, and each span starts where
            // the one before ends at best.
            let spans = r["spans"].as_array().unwrap();
            let mut at_best = 0;
            for s in spans {
                assert_eq!(s["start_seconds"], at_best, "{at}: {s}");
                at_best += s["min_seconds"].as_u64().unwrap();
            }
            assert_eq!(at_best, e.best, "{at}");
            seen.push(at);
        }
        let promotion = &plan[0]["timeline"]["promotion"];
        let expected = STAGES.iter().find(|(f, _)| *f == name);
        match (promotion.is_null(), expected) {
            (true, None) => {}
            (false, Some((_, stages))) => {
                let got: Vec<(String, u64, u64, bool)> = promotion["stages"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| {
                        (
                            s["name"].as_str().unwrap().to_owned(),
                            s["done_best_seconds"].as_u64().unwrap(),
                            s["done_worst_seconds"].as_u64().unwrap(),
                            s["waits_for_person"].as_bool().unwrap(),
                        )
                    })
                    .collect();
                let want: Vec<(String, u64, u64, bool)> = stages
                    .iter()
                    .map(|(n, b, w, p)| ((*n).to_owned(), *b, *w, *p))
                    .collect();
                assert_eq!(got, want, "{name}: stages");
            }
            (null, _) => panic!("{name}: promotion timeline present: {}", !null),
        }
    }
    // Every hand computation was used: none names a component that is gone.
    assert_eq!(seen.len(), EXPECTED.len(), "{seen:?}");
}

/// Without a router, a weight step's pods are the controller's
/// (`approximateWeightedCanaryStableReplicaCounts`, held to upstream's
/// vectors in controllers/rollouts.rs) at the default maxSurge of 25%.
#[test]
fn weight_steps_get_the_pods_of_the_replica_model() {
    use oamc::semantics::rollouts::{canary_stable_counts, default_max_surge};
    let mut checked = 0;
    for case in cases("render") {
        let plan = plan_json(&case.join("application.yaml"));
        for (app, service) in plan.as_array().unwrap().iter().flat_map(|a| {
            a["services"]
                .as_array()
                .unwrap()
                .iter()
                .map(move |s| (a, s))
        }) {
            let strategy = &service["strategy"];
            if strategy["kind"] != "canary" || !strategy["traffic_routing"].is_null() {
                continue;
            }
            let n = service["replicas"]
                .as_u64()
                .or(service["autoscaler"]["min"].as_u64())
                .unwrap() as u32;
            let r = app["timeline"]["rollouts"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["component"] == service["name"])
                .unwrap();
            for span in r["spans"].as_array().unwrap() {
                let Some(w) = span["label"]
                    .as_str()
                    .unwrap()
                    .strip_prefix("set weight ")
                    .and_then(|w| w.strip_suffix('%'))
                else {
                    continue;
                };
                let (new, old) =
                    canary_stable_counts(n, w.parse().unwrap(), 100, default_max_surge(n));
                assert_eq!(span["traffic"]["new_pods"], new, "{span}");
                assert_eq!(span["traffic"]["old_pods"], old, "{span}");
                let share = (f64::from(new) * 1000.0 / f64::from(new + old)).round() / 10.0;
                assert_eq!(span["traffic"]["new_percent"], share, "{span}");
                checked += 1;
            }
        }
    }
    assert!(checked >= 60, "{checked} weight steps checked");
}

/// Argo ends an Experiment at its duration and counts its unfinished
/// analyses as passed: a gate longer than the experiment is named.
#[test]
fn a_gate_longer_than_the_experiment_is_named() {
    let app = std::fs::read_to_string(root().join("fixtures/render/ab-test/application.yaml"))
        .unwrap()
        .replace("duration: 30m", "duration: 5m")
        .replace(
            "threshold: 10",
            "threshold: 10\n              interval: 10m\n              count: 3",
        );
    let out = oamc(&["plan", "--format", "json", "-"], Some(&app));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
    let r = &plan[0]["timeline"]["rollouts"][0];
    let notes: Vec<&str> = r["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    // The metric's readings: initialDelay (metrics.pause, 1s by default)
    // + 10m × (3 − 1) = 20m 1s, against 5m.
    assert!(
        notes
            .iter()
            .any(|n| n.contains("the gates need 20m 1s but the experiment lasts 5m")),
        "{notes:?}"
    );
    let text_out = oamc(&["plan", "-"], Some(&app));
    assert!(text(&text_out.stdout).contains("the readings after it are never taken"));
    // `validate` warns at the criterion's `count` (line 31), with the
    // duration that would do, and still exits 0.
    let out = oamc(&["validate", "--format", "json", "-"], Some(&app));
    assert!(out.status.success(), "{}", text(&out.stderr));
    // One JSON object per line.
    let stdout = text(&out.stdout);
    let warning: Value = stdout
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|d| d["code"] == "oamc::strategy::experiment-short")
        .unwrap_or_else(|| panic!("{stdout}"));
    assert_eq!(warning["severity"], "warning");
    assert_eq!(warning["line"], 31, "{warning}");
    assert!(
        warning["help"]
            .as_str()
            .unwrap()
            .contains("abTest.duration at least 20m1s"),
        "{warning}"
    );
    // A duration long enough: no warning.
    let enough = app.replace("duration: 5m", "duration: 20m1s");
    let out = oamc(&["validate", "--format", "json", "-"], Some(&enough));
    assert!(!text(&out.stdout).contains("experiment-short"));
}

/// `node tests/tools/render.mjs KIND (IN OUT)… [--colour C]…`: one JSON
/// result per input.
fn draw(
    kind: &str,
    files: &[(std::path::PathBuf, std::path::PathBuf)],
    colours: &[&str],
) -> Vec<Value> {
    let mut cmd = Command::new("node");
    cmd.arg(root().join("tests/tools/render.mjs")).arg(kind);
    for (input, output) in files {
        cmd.arg(input).arg(output);
    }
    for c in colours {
        cmd.args(["--colour", c]);
    }
    let out = cmd.output().expect("node runs");
    assert!(
        out.status.success(),
        "render.mjs: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let results: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(results.len(), files.len());
    results
}

/// The gantt chart and the flowchart of every fixture, drawn by the real
/// Mermaid in Chromium: no error, every section and task drawn, hostile
/// names shown as text.
#[test]
fn every_mermaid_chart_draws_in_real_mermaid() {
    let dir = tempdir("timeline-mermaid");
    let mut files = Vec::new();
    let mut sources = Vec::new();
    for case in cases("render") {
        let name = case.file_name().unwrap().to_str().unwrap().to_owned();
        for golden in ["plan.gantt.mmd", "plan.mmd"] {
            let source = case.join(golden);
            files.push((source.clone(), dir.join(format!("{name}-{golden}.png"))));
            sources.push((
                name.clone(),
                golden,
                std::fs::read_to_string(&source).unwrap(),
            ));
        }
    }
    let results = draw("mermaid", &files, &[]);
    for ((name, golden, source), result) in sources.iter().zip(&results) {
        assert!(
            result["error"].is_null(),
            "{name}/{golden}: {}",
            result["error"]
        );
        assert!(
            result["pixels"]["nonWhite"].as_u64().unwrap() > 1000,
            "{name}/{golden}"
        );
        let texts: Vec<&str> = result["texts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap().trim())
            .collect();
        if *golden == "plan.gantt.mmd" {
            // Each task line's name is drawn as text, decoded.
            let tasks = source.lines().filter(|l| l.starts_with("    ")).count();
            let drawn = texts.iter().filter(|t| t.contains(" · ")).count();
            assert_eq!(drawn, tasks, "{name}: {texts:?}");
            if name == "hostile-strings" {
                assert!(
                    texts
                        .iter()
                        .any(|t| t.starts_with("hostile/hostile (canary)")),
                    "{texts:?}"
                );
            }
        }
    }
}

/// Every fixture's SVG is well-formed, refers to nothing outside itself,
/// and Chromium draws it: the traffic line in its colour, and an abort mark
/// wherever a gate can abort.
#[test]
fn every_svg_is_well_formed_and_draws_in_chromium() {
    let dir = tempdir("timeline-svg");
    let mut files = Vec::new();
    let mut gates = Vec::new();
    for case in cases("render") {
        let name = case.file_name().unwrap().to_str().unwrap().to_owned();
        let svg = std::fs::read_to_string(case.join("plan.svg")).unwrap();
        let doc = roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(doc.root_element().tag_name().name(), "svg");
        for node in doc.descendants() {
            assert!(
                !matches!(
                    node.tag_name().name(),
                    "script" | "image" | "foreignObject" | "a"
                ),
                "{name}: {:?}",
                node.tag_name()
            );
            assert!(node.attributes().all(|a| a.name() != "href"), "{name}");
        }
        let aborts = doc
            .descendants()
            .filter(|n| n.attribute("class") == Some("abort"))
            .count();
        gates.push((name.clone(), aborts));
        files.push((case.join("plan.svg"), dir.join(format!("{name}.png"))));
    }
    let results = draw("svg", &files, &["#1f6feb", "#cf222e"]);
    for ((name, aborts), result) in gates.iter().zip(&results) {
        assert!(result["error"].is_null(), "{name}: {}", result["error"]);
        assert!(result["width"].as_u64().unwrap() >= 900, "{name}: {result}");
        let pixels = &result["pixels"];
        assert!(
            pixels["#1f6feb"].as_u64().unwrap() > 500,
            "{name}: {pixels}"
        );
        let red = pixels["#cf222e"].as_u64().unwrap();
        assert_eq!(
            red > 0,
            *aborts > 0,
            "{name}: {aborts} abort marks, {red} red pixels"
        );
    }
}

/// README and the plan guide show the spec's example: the SVG in the docs is
/// today's output, and its gantt block is too. `OAMC_BLESS=1` rewrites them
/// (and redraws the gantt's PNG with Chromium).
#[test]
fn the_docs_pictures_are_todays_output() {
    let input = root().join("fixtures/render/spec-gates/application.yaml");
    let svg = oamc(&["plan", "--format", "svg", input.to_str().unwrap()], None);
    assert!(svg.status.success());
    let images = root().join("docs/src/images");
    assert_golden(&images.join("timeline-spec-gates.svg"), &text(&svg.stdout));
    let gantt = oamc(
        &["plan", "--format", "gantt", input.to_str().unwrap()],
        None,
    );
    assert!(gantt.status.success());
    let guide = root().join("docs/src/guides/timeline.md");
    let doc = std::fs::read_to_string(&guide).unwrap();
    let block = format!("```mermaid\n{}```", text(&gantt.stdout));
    if std::env::var_os("OAMC_BLESS").is_some() {
        let start = doc.find("```mermaid\ngantt").unwrap();
        let end = start + doc[start..].find("\n```").unwrap() + 4;
        std::fs::write(&guide, format!("{}{block}{}", &doc[..start], &doc[end..])).unwrap();
        let mmd = tempdir("timeline-docs").join("gantt.mmd");
        std::fs::write(&mmd, text(&gantt.stdout)).unwrap();
        let result = draw(
            "mermaid",
            &[(mmd, images.join("timeline-spec-gates-gantt.png"))],
            &[],
        );
        assert!(result[0]["error"].is_null());
    } else {
        assert!(
            doc.contains(&block),
            "{} shows an old gantt; rerun with OAMC_BLESS=1",
            guide.display()
        );
    }
    let png = std::fs::read(images.join("timeline-spec-gates-gantt.png")).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    assert!(readme.contains("docs/src/images/timeline-spec-gates.svg"));
}

/// The picture shows what the plan says, to scale: a gate bar per gate (two
/// gates at one moment in separate lanes), a hatched slot per step that
/// takes no time and none for one that does, time proportional between the
/// timed steps, a bar per promotion stage, and the canvas as large as what
/// it holds (no text starts past its right edge).
#[test]
fn every_svg_draws_each_gate_apart_to_scale_with_its_promotion() {
    for case in cases("render") {
        let name = case.file_name().unwrap().to_str().unwrap().to_owned();
        let plan = plan_json(&case.join("application.yaml"));
        let svg = std::fs::read_to_string(case.join("plan.svg")).unwrap();
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let root = doc.root_element();
        let width: f64 = root.attribute("width").unwrap().parse().unwrap();
        let of_class = |class: &str| -> Vec<roxmltree::Node> {
            doc.descendants()
                .filter(|n| n.attribute("class") == Some(class))
                .collect()
        };
        let f = |n: &roxmltree::Node, a: &str| -> f64 { n.attribute(a).unwrap().parse().unwrap() };
        let spans: Vec<&Value> = rollouts(&plan)
            .iter()
            .flat_map(|r| r["spans"].as_array().unwrap())
            .collect();
        let gates: usize = spans
            .iter()
            .map(|s| s["gates"].as_array().unwrap().len())
            .sum();
        assert_eq!(of_class("gate").len(), gates, "{name}");
        let untimed = spans.iter().filter(|s| s["min_seconds"] == 0).count();
        assert_eq!(of_class("no-time").len(), untimed, "{name}");
        // Gate bars that overlap in time never share a lane.
        let bars = of_class("gate");
        for (i, a) in bars.iter().enumerate() {
            for b in &bars[i + 1..] {
                let same_panel = a.parent() == b.parent();
                let overlap =
                    f(a, "x") < f(b, "x") + f(b, "width") && f(b, "x") < f(a, "x") + f(a, "width");
                if same_panel && overlap {
                    assert_ne!(f(a, "y"), f(b, "y"), "{name}: two gates in one lane");
                }
            }
        }
        // To scale: in each rollout's panel the traffic line runs through
        // each span (two points each); a timed span is as wide as its
        // seconds at one scale, a step without time 16 px.
        let lines = of_class("traffic");
        let all = rollouts(&plan);
        assert_eq!(lines.len(), all.len(), "{name}");
        for (line, r) in lines.iter().zip(all) {
            let xs: Vec<f64> = line
                .attribute("points")
                .unwrap()
                .split(' ')
                .map(|p| p.split(',').next().unwrap().parse().unwrap())
                .collect();
            let mut per_second = Vec::new();
            for (i, span) in r["spans"].as_array().unwrap().iter().enumerate() {
                let w = xs[2 * i + 1] - xs[2 * i];
                match span["min_seconds"].as_u64().unwrap() {
                    0 => assert!((w - 16.0).abs() < 0.11, "{name}: {w}"),
                    t => per_second.push(w / t as f64),
                }
            }
            for k in &per_second {
                assert!(
                    (k - per_second[0]).abs() * 100.0 < per_second[0].max(0.5),
                    "{name}: the time scale changes: {per_second:?}"
                );
            }
        }
        let promoted = plan
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|app| app["timeline"]["promotion"]["stages"].as_array())
            .map(Vec::len)
            .sum::<usize>();
        assert_eq!(of_class("stage").len(), promoted, "{name}");
        for t in doc.descendants().filter(|n| n.tag_name().name() == "text") {
            if let Some(x) = t.attribute("x") {
                let x: f64 = x.parse().unwrap();
                assert!(x < width, "{name}: text at {x} past the width {width}");
            }
        }
    }
}
