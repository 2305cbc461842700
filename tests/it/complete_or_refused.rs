//! Complete or refused: every component and trait of a type oamc compiles
//! appears in the output with what the user gave, or the run fails. Numbers
//! are read as the cluster reads them: respelling a whole number as `N.0` or
//! `Ne0` changes no byte of the output (but in `extraArgs`, which takes text).

use crate::common::*;
use oamc::defs::{TRAITS, trait_definition};
use oamc::dom::{self, Node, Value as Yaml};
use proptest::prelude::*;
use serde_json::Value;
use std::sync::OnceLock;

/// Every golden fixture: (name, source text, rendered output).
fn fixtures() -> &'static [(String, String, String)] {
    static ALL: OnceLock<Vec<(String, String, String)>> = OnceLock::new();
    ALL.get_or_init(|| {
        cases("render")
            .into_iter()
            .map(|case| {
                let text = std::fs::read_to_string(case.join("application.yaml")).unwrap();
                let out = compile_source("application.yaml", &text).unwrap();
                (case.display().to_string(), text, out)
            })
            .collect()
    })
}

/// Byte ranges of every integer scalar value (not key) in `text`, but for
/// `extraArgs`: it takes text, and a number whose text would change on the
/// way (`250.0`) is refused there by design (`fixtures/invalid/number-as-text.yaml`).
fn integer_spans(text: &str) -> Vec<(usize, usize)> {
    fn walk(node: &Node, out: &mut Vec<(usize, usize)>) {
        match &node.value {
            Yaml::Int(_) | Yaml::UInt(_) => out.push((node.pos.offset, node.pos.len)),
            Yaml::Seq(items) => items.iter().for_each(|n| walk(n, out)),
            Yaml::Map(entries) => entries
                .iter()
                .filter(|(k, _)| !matches!(&k.value, Yaml::Str(key) if key == "extraArgs"))
                .for_each(|(_, v)| walk(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for doc in dom::parse_stream(text).unwrap() {
        walk(&doc, &mut out);
    }
    out
}

fn respell(text: &str, spans: &[(usize, usize)], spelling: impl Fn(&str) -> String) -> String {
    let mut out = text.to_owned();
    // From the end, so earlier offsets stay valid.
    for &(offset, len) in spans.iter().rev() {
        let number = &text[offset..offset + len];
        out.replace_range(offset..offset + len, &spelling(number));
    }
    out
}

fn as_float(n: &str) -> String {
    format!("{n}.0")
}

fn as_exponent(n: &str) -> String {
    format!("{n}e0")
}

#[test]
fn every_integer_respelt_as_a_float_renders_the_same_bytes() {
    let mut respelt = 0;
    for (name, text, expected) in fixtures() {
        let spans = integer_spans(text);
        if spans.is_empty() {
            continue;
        }
        respelt += spans.len();
        for spelling in [as_float, as_exponent] {
            let variant = respell(text, &spans, spelling);
            let out = compile_source("application.yaml", &variant)
                .unwrap_or_else(|e| panic!("{name}: {e}\n{variant}"));
            assert!(&out == expected, "{name}: output changed\n{variant}");
        }
    }
    assert!(respelt > 40, "only {respelt} integers in the fixtures");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// One integer at a time, in either spelling.
    #[test]
    fn any_one_integer_respelt_renders_the_same_bytes(
        pick in any::<prop::sample::Index>(),
        spot in any::<prop::sample::Index>(),
        exponent in any::<bool>(),
    ) {
        let (name, text, expected) = &fixtures()[pick.index(fixtures().len())];
        let spans = integer_spans(text);
        prop_assume!(!spans.is_empty());
        let span = spans[spot.index(spans.len())];
        let variant = respell(text, &[span], if exponent { as_exponent } else { as_float });
        let out = compile_source("application.yaml", &variant);
        prop_assert_eq!(out.as_ref(), Ok(expected), "{}: {}", name, variant);
    }
}

fn find<'a>(docs: &'a [Value], kind: &str, name: &str) -> Option<&'a Value> {
    docs.iter()
        .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
}

/// Each fixture's components, traits and policies, walked from the input,
/// each found in the output: the resources it renders, by kind and name,
/// holding what the user gave.
#[test]
fn every_component_and_trait_of_every_fixture_is_in_the_output() {
    let mut seen_kinds = std::collections::BTreeSet::new();
    for (name, text, out) in fixtures() {
        let docs = yaml_docs(out);
        let input: Vec<Value> = dom::parse_stream(text)
            .unwrap()
            .iter()
            .map(Node::to_json)
            .collect();
        for app in input.iter().filter(|d| d["kind"] == "Application") {
            let components = app["spec"]["components"].as_array().unwrap();
            // Types oamc does not compile warn and are not rendered.
            for c in components.iter().filter(|c| c["type"] == "appmod-service") {
                let component = c["name"].as_str().unwrap();
                let rollout = find(&docs, "Rollout", component)
                    .unwrap_or_else(|| panic!("{name}: no Rollout {component}"));
                let image = &rollout["spec"]["template"]["spec"]["containers"][0]["image"];
                assert_eq!(image, &c["properties"]["image"], "{name}");
                for service in [component.to_owned(), format!("{component}-preview")] {
                    assert!(
                        find(&docs, "Service", &service).is_some(),
                        "{name}: {service}"
                    );
                }
                for t in c["traits"].as_array().into_iter().flatten() {
                    let Some(def) = trait_definition(t["type"].as_str().unwrap()) else {
                        continue;
                    };
                    seen_kinds.insert(def.name());
                    let props = &t["properties"];
                    assert_trait_rendered(name, &docs, component, rollout, def.name(), props);
                }
            }
            let policies = app["spec"]["policies"].as_array().into_iter().flatten();
            for p in policies.filter(|p| p["type"] == "kargo-promotion") {
                let app_name = app["metadata"]["name"].as_str().unwrap();
                assert!(find(&docs, "Warehouse", app_name).is_some(), "{name}");
                let stages = p["properties"]["stages"]
                    .as_array()
                    .map(|s| {
                        s.iter()
                            .map(|s| s["name"].as_str().unwrap().to_owned())
                            .collect()
                    })
                    .unwrap_or_else(|| vec!["dev".to_owned(), "prod".to_owned()]);
                for stage in stages {
                    assert!(
                        find(&docs, "Stage", &stage).is_some(),
                        "{name}: stage {stage}"
                    );
                }
            }
        }
    }
    // The fixtures exercise every trait oamc compiles.
    let all: std::collections::BTreeSet<_> = TRAITS.iter().map(|t| t.name()).collect();
    assert_eq!(seen_kinds, all);
}

fn assert_trait_rendered(
    name: &str,
    docs: &[Value],
    component: &str,
    rollout: &Value,
    kind: &str,
    props: &Value,
) {
    let pod = &rollout["spec"]["template"]["spec"];
    match kind {
        "path-based-ingress" | "appingress" => {
            let ingress = find(docs, "Ingress", component)
                .unwrap_or_else(|| panic!("{name}: no Ingress {component}"));
            let rule = &ingress["spec"]["rules"][0];
            // An empty domain is a rule without a host (every host, to the API).
            assert_eq!(
                rule["host"].as_str().unwrap_or(""),
                props["domain"].as_str().unwrap(),
                "{name}"
            );
            let paths = rule["http"]["paths"].as_array().unwrap();
            assert_eq!(
                paths.len(),
                props["http"].as_object().unwrap().len(),
                "{name}"
            );
            for (path, port) in props["http"].as_object().unwrap() {
                assert!(
                    paths
                        .iter()
                        .any(|p| p["path"].as_str().unwrap().starts_with(path.as_str())
                            && (&p["backend"]["service"]["port"]["number"] == port
                                // ALB-routed: the port is the Rollout's alb.servicePort.
                                || (p["backend"]["service"]["port"]["name"] == "use-annotation"
                                    && &rollout["spec"]["strategy"]["canary"]["trafficRouting"]["alb"]["servicePort"] == port))),
                    "{name}: route {path}"
                );
            }
        }
        "storage" => {
            let volumes = pod["volumes"].as_array().unwrap();
            for list in ["pvc", "configMap", "secret", "emptyDir"] {
                for v in props[list].as_array().into_iter().flatten() {
                    assert!(
                        volumes.iter().any(|vol| vol["name"] == v["name"]),
                        "{name}: volume {}",
                        v["name"]
                    );
                    if list == "pvc" && v["mountOnly"] != true {
                        let claim = v["claimName"].as_str().or(v["name"].as_str()).unwrap();
                        assert!(
                            find(docs, "PersistentVolumeClaim", claim).is_some(),
                            "{name}: PVC {claim}"
                        );
                    }
                }
            }
        }
        "scaler" => {
            assert_eq!(rollout["spec"]["replicas"], props["replicas"], "{name}");
        }
        "hpa" | "cpuscaler" => {
            let hpa = find(docs, "HorizontalPodAutoscaler", component)
                .unwrap_or_else(|| panic!("{name}: no HPA {component}"));
            let default_max = Value::from(10);
            let max = props.get("max").unwrap_or(&default_max);
            assert_eq!(&hpa["spec"]["maxReplicas"], max, "{name}");
            assert!(rollout["spec"].get("replicas").is_none(), "{name}");
        }
        "labels" => {
            for (k, v) in props.as_object().unwrap() {
                assert_eq!(&rollout["metadata"]["labels"][k], v, "{name}: label {k}");
                assert_eq!(
                    &rollout["spec"]["template"]["metadata"]["labels"][k], v,
                    "{name}"
                );
            }
        }
        "annotations" => {
            for (k, v) in props.as_object().unwrap() {
                assert_eq!(
                    &rollout["metadata"]["annotations"][k], v,
                    "{name}: annotation {k}"
                );
            }
        }
        "sidecar" => {
            let containers = pod["containers"].as_array().unwrap();
            let c = containers
                .iter()
                .find(|c| c["name"] == props["name"])
                .unwrap_or_else(|| panic!("{name}: no container {}", props["name"]));
            assert_eq!(c["image"], props["image"], "{name}");
            let list = |v: &Value| v.as_array().cloned().unwrap_or_default();
            assert_eq!(list(&c["command"]), list(&props["cmd"]), "{name}");
            assert_eq!(list(&c["args"]), list(&props["args"]), "{name}");
            assert_eq!(list(&c["env"]), list(&props["env"]), "{name}");
            let mounts: Vec<Value> = list(&props["volumes"])
                .iter()
                .map(|v| serde_json::json!({"name": v["name"], "mountPath": v["path"]}))
                .collect();
            assert_eq!(list(&c["volumeMounts"]), mounts, "{name}");
        }
        // A new trait needs its line here: what of it must reach the output.
        other => panic!("{name}: no completeness check for the trait `{other}`"),
    }
}
