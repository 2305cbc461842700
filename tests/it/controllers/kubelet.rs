//! The kubelet's `$(VAR)` expansion of env values, command and args.
//!
//! Mirrors kubernetes `third_party/forked/golang/expansion/expand.go`
//! (`Expand`, `tryReadVariableName`, `MappingFuncFor`), used by
//! `pkg/kubelet/kubelet_pods.go` (`makeEnvironmentVariables`: each env value
//! expanded over the variables before it) and `kubecontainer.ExpandContainerCommandAndArgs`.
//! Held to the expansion's own test table (`expand_test.go`).

use crate::common::*;
use serde_json::{Value, json};
use std::collections::BTreeMap;

pub use crate::common::kubelet_expand as expand;

/// A container's environment as the process sees it: each value expanded
/// over the variables defined before it.
pub fn container_env(container: &Value) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    for e in container["env"].as_array().into_iter().flatten() {
        let value = expand(e["value"].as_str().unwrap_or(""), &env);
        env.insert(e["name"].as_str().unwrap().to_owned(), value);
    }
    env
}

fn vectors() -> Value {
    let text =
        std::fs::read_to_string(root().join("tests/it/controllers/data/kubelet-expansion.json"))
            .unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn expand_matches_kubernetes_expand_test() {
    let v = vectors();
    let mapping: BTreeMap<String, String> = serde_json::from_value(v["mapping"].clone()).unwrap();
    for row in v["expand"].as_array().unwrap() {
        assert_eq!(
            expand(row["input"].as_str().unwrap(), &mapping),
            row["expected"].as_str().unwrap(),
            "{}",
            row["name"]
        );
    }
    let env: Vec<Value> = v["map_reference"]["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| json!({"name": p[0], "value": p[1]}))
        .collect();
    let got = container_env(&json!({ "env": env }));
    let want: BTreeMap<String, String> =
        serde_json::from_value(v["map_reference"]["expected"].clone()).unwrap();
    assert_eq!(got, want);
}

/// Every gate container oamc writes: what its process sees equals the plan's
/// text (the text `oamc plan` shows and `oamc gates` checks).
fn gate_env_is_the_plans(app_yaml: &str, label: &str) {
    let dir = super::kargo::tempdir(&format!("kubelet-{label}"));
    let file = dir.join("application.yaml");
    std::fs::write(&file, app_yaml).unwrap();
    let file = file.to_str().unwrap();
    let out = oamc(&["render", file], None);
    assert!(out.status.success(), "{label}: {}", text(&out.stderr));
    let docs = yaml_docs(&text(&out.stdout));
    let plan = oamc(&["plan", "--format", "json", file], None);
    assert!(plan.status.success(), "{label}: {}", text(&plan.stderr));
    let plan: Value = serde_json::from_slice(&plan.stdout).unwrap();
    let mut checked = 0;
    for t in docs.iter().filter(|d| d["kind"] == "AnalysisTemplate") {
        let name = t["metadata"]["name"].as_str().unwrap();
        let planned = plan
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|a| a["services"].as_array().unwrap())
            .flat_map(|s| s["analysis_templates"].as_array().unwrap())
            .find(|a| a["name"] == name)
            .unwrap_or_else(|| panic!("{label}: {name} is not in the plan"));
        for m in t["spec"]["metrics"].as_array().unwrap() {
            let Some(job) = m["provider"].get("job") else {
                continue;
            };
            for c in job["spec"]["template"]["spec"]["containers"]
                .as_array()
                .unwrap()
            {
                let env = container_env(c);
                for (var, field) in [
                    ("TARGET_URL", "target_url"),
                    ("EXPECTED_TEXT", "expected_text"),
                    ("ARTILLERY_CONFIG", "artillery_config"),
                    ("MAX_MEAN_LATENCY_MS", "max_mean_latency_ms"),
                ] {
                    if let Some(seen) = env.get(var) {
                        assert_eq!(
                            Some(seen.as_str()),
                            planned["job"][field].as_str(),
                            "{label}: {name} {var}"
                        );
                        checked += 1;
                    }
                }
                // The scripts are fixed text: the kubelet leaves them as written.
                for s in c["command"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .chain(c["args"].as_array().into_iter().flatten())
                {
                    let s = s.as_str().unwrap();
                    assert_eq!(expand(s, &env), s, "{label}: {name}'s script");
                }
            }
        }
    }
    assert!(
        checked > 0 || !app_yaml.contains("Gate"),
        "{label}: no gate env checked"
    );
}

#[test]
fn every_gate_container_sees_the_text_the_plan_says() {
    for case in cases("render") {
        let yaml = std::fs::read_to_string(case.join("application.yaml")).unwrap();
        gate_env_is_the_plans(&yaml, case.file_name().unwrap().to_str().unwrap());
    }
    // Text the kubelet would rewrite: a reference to the gate's own variable,
    // `$$`, and a `$` at the end.
    let yaml = std::fs::read_to_string(root().join("fixtures/render/spec-gates/application.yaml"))
        .unwrap()
        .replace(
            "extraArgs: \"red\"",
            "extraArgs: \"$(TARGET_URL) costs $$5 and $(HOME)$\"",
        );
    assert!(
        yaml.contains("$(TARGET_URL)"),
        "the fixture has the functional gate this edits"
    );
    gate_env_is_the_plans(&yaml, "dollars");
}

/// A sidecar's text is written as the user gave it, as KubeVela's sidecar
/// trait writes it: the kubelet expands `$(VAR)` in its command and args
/// over the container's own env (`ExpandContainerCommandAndArgs`), which is
/// how a sidecar reads its settings. The fixture's cache-warmer relies on it.
#[test]
fn a_sidecars_args_are_expanded_over_its_own_env() {
    let path = root().join("fixtures/render/traits-sidecar/application.yaml");
    let out = compile_source("application.yaml", &std::fs::read_to_string(path).unwrap()).unwrap();
    let docs = yaml_docs(&out);
    let rollout = docs.iter().find(|d| d["kind"] == "Rollout").unwrap();
    let containers = rollout["spec"]["template"]["spec"]["containers"]
        .as_array()
        .unwrap();
    let names: Vec<&str> = containers
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["orders", "log-shipper", "cache-warmer"]);
    let warmer = &containers[2];
    let env = container_env(warmer);
    let args: Vec<String> = warmer["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| expand(a.as_str().unwrap(), &env))
        .collect();
    assert_eq!(args, ["--target", "http://localhost:8080", "--every", "5m"]);
    // The app's container does not see a sidecar's env.
    assert!(!container_env(&containers[0]).contains_key("WARM_EVERY"));
}
