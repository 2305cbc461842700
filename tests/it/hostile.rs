//! User strings are data: whatever they contain, they come out as the same
//! strings in the same places, and the output has the same documents and keys
//! as for harmless strings.

use crate::common::*;
use serde_json::Value;

const HOSTILE: &str = "fixtures/render/hostile-strings/application.yaml";

fn render_json(app: &Value) -> Vec<Value> {
    let out = oamc(&["render", "-"], Some(&app.to_string()));
    assert!(out.status.success(), "{}", text(&out.stderr));
    yaml_docs(&text(&out.stdout))
}

fn env_of(doc: &Value) -> Vec<(String, String)> {
    doc.pointer("/spec/template/spec/containers/0/env")
        .and_then(Value::as_array)
        .expect("container env")
        .iter()
        .map(|e| {
            (
                e["name"].as_str().unwrap().to_owned(),
                e["value"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn hostile_strings_arrive_unchanged_and_change_no_structure() {
    let text_in = std::fs::read_to_string(root().join(HOSTILE)).expect("fixture");
    let app: Value = serde_saphyr::from_str(&text_in).expect("fixture parses");
    let docs = render_json(&app);

    // Same strings, same places.
    let props = &app["spec"]["components"][0]["properties"];
    let wanted: Vec<(String, String)> = props["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["name"].as_str().unwrap().to_owned(),
                e["value"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(env_of(&docs[0]), wanted);
    let gate = docs
        .iter()
        .find(|d| d["metadata"]["name"] == "functional-gate-hostile")
        .expect("gate");
    let gate_env = gate
        .pointer("/spec/metrics/0/provider/job/spec/template/spec/containers/0/env")
        .and_then(Value::as_array)
        .unwrap();
    // What the Job's process sees: the env as the kubelet expands it.
    let none = std::collections::BTreeMap::new();
    let url = kubelet_expand(gate_env[0]["value"].as_str().unwrap(), &none);
    let defined = std::collections::BTreeMap::from([("TARGET_URL".to_owned(), url.clone())]);
    assert_eq!(
        kubelet_expand(gate_env[1]["value"].as_str().unwrap(), &defined),
        props["functionalGate"]["extraArgs"].as_str().unwrap()
    );
    assert_eq!(url, "http://{{args.service-name}}:80/a'b;$x/(c)/");
    // The script is the template's fixed text: no user string is spliced into it.
    let script = gate
        .pointer("/spec/metrics/0/provider/job/spec/template/spec/containers/0/args/0")
        .and_then(Value::as_str)
        .unwrap();
    assert!(
        !script.contains("rm -rf") && !script.contains("curl"),
        "{script}"
    );

    // Same documents and keys as for harmless strings.
    let mut harmless = app.clone();
    for e in harmless["spec"]["components"][0]["properties"]["env"]
        .as_array_mut()
        .unwrap()
    {
        e["value"] = Value::from("x");
    }
    harmless["spec"]["components"][0]["properties"]["functionalGate"]["extraArgs"] =
        Value::from("x");
    harmless["spec"]["components"][0]["properties"]["appPath"] = Value::from("/x");
    assert_eq!(shape(&docs), shape(&render_json(&harmless)));
}

#[test]
fn yaml_1_1_lookalikes_stay_strings() {
    let docs = yaml_docs(
        &std::fs::read_to_string(root().join("fixtures/render/all-gates/expected.yaml")).unwrap(),
    );
    let env = env_of(&docs[0]);
    assert!(env.contains(&("FEATURE_FLAG".into(), "on".into())));
    assert!(env.contains(&("MODE".into(), "0777".into())));
    assert!(env.contains(&("RATIO".into(), "1e3".into())));
    // And the text quotes them, so a YAML 1.1 reader (Kubernetes) agrees.
    let text =
        std::fs::read_to_string(root().join("fixtures/render/all-gates/expected.yaml")).unwrap();
    for quoted in ["value: \"on\"", "value: \"0777\"", "value: \"1e3\""] {
        assert!(text.contains(quoted), "{quoted}");
    }
}

#[test]
fn double_braces_in_a_gate_would_break_argo_and_are_refused() {
    let input = "apiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata: {name: a}\nspec:\n  components:\n    - name: a\n      type: appmod-service\n      properties:\n        image: nginx:1.27\n        image_name: web\n        functionalGate: {pause: 5s, image: 'httpd:alpine', extraArgs: '{{args.x}}'}\n";
    let out = oamc(&["render", "-"], Some(input));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("oamc::gate::template-braces"),
        "{}",
        text(&out.stderr)
    );
}

/// The argocd block's free text (a cluster name) and the platform settings
/// passed on as plugin parameters reach the stages' Argo CD Applications as
/// the same strings, with the same structure as harmless ones.
#[test]
fn argocd_block_strings_are_data() {
    let text_in =
        std::fs::read_to_string(root().join("fixtures/render/promotion-argocd/application.yaml"))
            .unwrap();
    let mut app: Value = serde_saphyr::from_str(&text_in).unwrap();
    let render = |app: &Value, address: &str| {
        let flag = format!("--prometheus-address={address}");
        let out = oamc(
            &["render", "--promotion", "only", &flag, "-"],
            Some(&app.to_string()),
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
        yaml_docs(&text(&out.stdout))
    };
    let hostile = "yes\n- on: [x] # {{args.y}} ${{ secret('z') }}\n---\nkind: Secret";
    app["spec"]["policies"][0]["properties"]["argocd"]["destination"] =
        serde_json::json!({"name": hostile});
    let docs = render(&app, hostile);
    let argo: Vec<&Value> = docs.iter().filter(|d| d["kind"] == "Application").collect();
    assert_eq!(argo.len(), 2);
    for a in &argo {
        assert_eq!(a["spec"]["destination"]["name"], hostile);
        assert!(a["spec"]["destination"].get("server").is_none());
        let params = a["spec"]["source"]["plugin"]["parameters"]
            .as_array()
            .unwrap();
        assert_eq!(
            params[0],
            serde_json::json!({"name": "promotion", "string": "skip"})
        );
        assert_eq!(
            params[1],
            serde_json::json!({"name": "prometheus-address", "string": hostile})
        );
    }
    let mut harmless = app.clone();
    harmless["spec"]["policies"][0]["properties"]["argocd"]["destination"] =
        serde_json::json!({"name": "x"});
    assert_eq!(shape(&docs), shape(&render(&harmless, "x")));
}
