//! Argo CD v3.5.1 as it runs the oamc plugin for the Applications oamc emits.
//!
//! Mirrors (argoproj/argo-cd, tag v3.5.1):
//! - `pkg/apis/application/v1alpha1/types.go`:
//!   `ApplicationSourcePluginParameters.Environ` (`ARGOCD_APP_PARAMETERS` is
//!   the parameters' JSON — `null` for none, a nil slice — then one
//!   `PARAM_<NAME>` per string parameter, the name upper-cased with every
//!   other character `_`, `escaped`);
//! - `reposerver/repository/repository.go`: `getPluginParamEnvs`, and the
//!   build environment's `ARGOCD_APP_NAME`, `ARGOCD_APP_NAMESPACE` (the
//!   destination namespace).

use super::kargo::{PROMOTION_FIXTURES, cmp_generate, stage_manifest, tempdir};
use crate::common::*;
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// `escaped`: upper case, anything but `[A-Z0-9_]` becomes `_`.
fn escaped(name: &str) -> String {
    name.to_uppercase()
        .chars()
        .map(|c| {
            if c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The plugin's environment for an Application source with `parameters`
/// (`Value::Null`: none) deploying into `namespace`.
pub fn plugin_env(parameters: &Value, namespace: Option<&str>) -> Vec<(String, String)> {
    let mut env = vec![
        ("ARGOCD_APP_NAME".to_owned(), "app".to_owned()),
        (
            "ARGOCD_APP_REVISION".to_owned(),
            "0123456789abcdef".to_owned(),
        ),
        ("ARGOCD_APP_SOURCE_PATH".to_owned(), ".".to_owned()),
    ];
    if let Some(ns) = namespace {
        env.push(("ARGOCD_APP_NAMESPACE".into(), ns.into()));
    }
    env.extend(environ(parameters));
    env
}

/// `Environ`: the JSON form, then the flattened `PARAM_` form.
fn environ(parameters: &Value) -> Vec<(String, String)> {
    let mut env = vec![("ARGOCD_APP_PARAMETERS".to_owned(), parameters.to_string())];
    for p in parameters.as_array().into_iter().flatten() {
        let base = format!("PARAM_{}", escaped(p["name"].as_str().unwrap()));
        if let Some(s) = p["string"].as_str() {
            env.push((base.clone(), s.to_owned()));
        }
        for (i, v) in p["array"].as_array().into_iter().flatten().enumerate() {
            env.push((format!("{base}_{i}"), v.as_str().unwrap().to_owned()));
        }
        for (k, v) in p["map"].as_object().into_iter().flatten() {
            env.push((
                format!("{base}_{}", escaped(k)),
                v.as_str().unwrap().to_owned(),
            ));
        }
    }
    env
}

#[test]
fn environ_matches_argo_cd_test_environ_string() {
    // types_test.go, TestApplicationSourcePluginParameters_Environ_string.
    let env = environ(&json!([{"name": "version", "string": "1.2.3"}]));
    assert_eq!(env.len(), 2);
    assert!(env.contains(&("PARAM_VERSION".into(), "1.2.3".into())));
    assert!(env.contains(&(
        "ARGOCD_APP_PARAMETERS".into(),
        r#"[{"name":"version","string":"1.2.3"}]"#.into()
    )));
    // A plugin source without parameters: Go marshals the nil slice as `null`.
    assert_eq!(
        environ(&Value::Null),
        [("ARGOCD_APP_PARAMETERS".to_owned(), "null".to_owned())]
    );
    assert_eq!(escaped("prometheus-address"), "PROMETHEUS_ADDRESS");
}

#[test]
fn the_plugin_renders_with_parameters_absent_null_empty_or_set() {
    let dir = tempdir("argocd-params");
    std::fs::write(
        dir.join("application.yaml"),
        std::fs::read_to_string(root().join("fixtures/render/spec-gates/application.yaml"))
            .unwrap(),
    )
    .unwrap();
    let mut outputs = Vec::new();
    for parameters in [
        None,
        Some(Value::Null),
        Some(json!([])),
        Some(json!([{"name": "promotion", "string": "skip"}])),
    ] {
        let env = match &parameters {
            // No plugin block parameters at all: only the build environment.
            None => plugin_env(&Value::Null, Some("shop"))
                .into_iter()
                .filter(|(k, _)| k != "ARGOCD_APP_PARAMETERS")
                .collect(),
            Some(p) => plugin_env(p, Some("shop")),
        };
        let out = cmp_generate(&dir, &env);
        assert!(
            out.status.success(),
            "{parameters:?}: {}",
            text(&out.stderr)
        );
        outputs.push(text(&out.stdout));
    }
    assert!(outputs.iter().all(|o| *o == outputs[0] && !o.is_empty()));
}

/// What one Argo CD Application would own: (cluster, namespace, kind, name).
/// A namespaced resource without a namespace goes to the destination's
/// (argo-cd v3.5.1 `controller/state.go`, `CompareAppState` →
/// `NormalizeTargetObjects(app.Spec.Destination.Namespace, …)`).
fn owned(app: &Value, rendered: &[Value]) -> BTreeSet<(String, String, String, String)> {
    let cluster = app["spec"]["destination"]["server"]
        .as_str()
        .or(app["spec"]["destination"]["name"].as_str())
        .unwrap()
        .to_owned();
    let default_ns = app["spec"]["destination"]["namespace"]
        .as_str()
        .unwrap_or("");
    rendered
        .iter()
        .map(|d| {
            (
                cluster.clone(),
                d["metadata"]["namespace"]
                    .as_str()
                    .unwrap_or(default_ns)
                    .to_owned(),
                d["kind"].as_str().unwrap().to_owned(),
                d["metadata"]["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn no_two_emitted_applications_own_one_resource() {
    for case in PROMOTION_FIXTURES {
        let input = format!("fixtures/render/{case}/application.yaml");
        let out = oamc(&["render", &input], None);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let docs = yaml_docs(&text(&out.stdout));
        let apps: Vec<&Value> = docs.iter().filter(|d| d["kind"] == "Application").collect();
        let mut seen: BTreeSet<(String, String, String, String)> = BTreeSet::new();
        for app in &apps {
            let ns = app["spec"]["destination"]["namespace"].as_str();
            let dir = tempdir(&format!("own-{case}"));
            std::fs::write(dir.join("application.yaml"), stage_manifest(case, ns)).unwrap();
            let out = cmp_generate(
                &dir,
                &plugin_env(&app["spec"]["source"]["plugin"]["parameters"], ns),
            );
            assert!(out.status.success(), "{case}: {}", text(&out.stderr));
            let rendered = yaml_docs(&text(&out.stdout));
            assert!(!rendered.is_empty());
            for r in owned(app, &rendered) {
                assert!(
                    seen.insert(r.clone()),
                    "{case}: {r:?} is owned by two Applications (the second {})",
                    app["metadata"]["name"]
                );
            }
        }
    }
}
