//! Golden fixtures: `fixtures/render/<case>/application.yaml` renders to
//! `expected.yaml` byte for byte, and every document it holds is accepted
//! strictly by the vendored CRD of its kind.

use crate::common::*;

#[test]
fn every_render_fixture_matches_its_golden_output() {
    for case in cases("render") {
        let input = case.join("application.yaml");
        let out = oamc(&["render", input.to_str().expect("utf-8 path")], None);
        assert!(
            out.status.success(),
            "{}: {}",
            case.display(),
            text(&out.stderr)
        );
        assert_golden(&case.join("expected.yaml"), &text(&out.stdout));
    }
}

/// `oamc plan` of every render fixture, in each format but JSON, next to its manifests.
#[test]
fn every_render_fixture_has_golden_plans() {
    for case in cases("render") {
        let input = case.join("application.yaml");
        for (format, file) in [
            ("text", "plan.txt"),
            ("mermaid", "plan.mmd"),
            ("gantt", "plan.gantt.mmd"),
            ("svg", "plan.svg"),
        ] {
            let out = oamc(&["plan", "--format", format, input.to_str().unwrap()], None);
            assert!(
                out.status.success(),
                "{}: {}",
                case.display(),
                text(&out.stderr)
            );
            assert_golden(&case.join(file), &text(&out.stdout));
        }
    }
}

/// Mermaid labels are quoted and escaped: no user text can end a label or add a node.
#[test]
fn mermaid_plans_keep_to_the_flowchart_grammar() {
    let node = r#"^ {2,4}[A-Za-z0-9_]+(\(\["[^"]*"\]\)|\["[^"]*"\]|\{"[^"]*"\}|\[\["[^"]*"\]\]|\[\("[^"]*"\)\])$"#;
    let edge = r#"^ {4}[A-Za-z0-9_]+ (-->|-- (fails|auto|manual) -->) [A-Za-z0-9_]+$"#;
    let subgraph = r#"^  subgraph [A-Za-z0-9_]+\["[^"]*"\]$"#;
    let patterns: Vec<regex_lite::Regex> = [node, edge, subgraph, "^  end$", "^flowchart TD$"]
        .iter()
        .map(|p| regex_lite::Regex::new(p).unwrap())
        .collect();
    for case in cases("render") {
        let plan = std::fs::read_to_string(case.join("plan.mmd")).unwrap();
        for line in plan.lines() {
            assert!(
                patterns.iter().any(|p| p.is_match(line)),
                "{}: {line}",
                case.display()
            );
        }
    }
}

#[test]
fn every_rendered_document_is_accepted_by_its_crd() {
    let crds = Crds::load();
    let mut checked = 0;
    for case in cases("render") {
        let expected = std::fs::read_to_string(case.join("expected.yaml")).expect("golden file");
        for doc in yaml_docs(&expected) {
            if let Some(errors) = crds.errors(&doc) {
                assert!(
                    errors.is_empty(),
                    "{}: {} {} rejected by its CRD:\n{}",
                    case.display(),
                    doc["kind"],
                    doc["metadata"]["name"],
                    errors.join("\n")
                );
                checked += 1;
            }
        }
    }
    assert!(
        checked >= 10,
        "only {checked} documents had a CRD to check against"
    );
}

#[test]
fn the_strict_crd_check_rejects_what_the_cluster_would_not_accept() {
    let crds = Crds::load();
    let rollout = serde_json::json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": "x"},
        "spec": {"strategy": {"canary": {"steps": [{"setWieght": 20}]}}, "template": {}}
    });
    let errors = crds.errors(&rollout).expect("Rollout CRD is vendored");
    assert!(errors.iter().any(|e| e.contains("setWieght")), "{errors:?}");
    let template = serde_json::json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AnalysisTemplate",
        "metadata": {"name": "x"},
        "spec": {"metrics": [{"name": "m", "successCondition": 5, "provider": {}}]}
    });
    assert!(!crds.errors(&template).expect("vendored").is_empty());
}

#[test]
fn rendering_is_deterministic() {
    let input = "fixtures/render/all-gates/application.yaml";
    let first = oamc(&["render", input], None);
    let second = oamc(&["render", input], None);
    assert!(first.status.success());
    assert_eq!(first.stdout, second.stdout);
}

#[test]
fn the_strict_core_check_rejects_what_the_api_server_would_not_accept() {
    let crds = Crds::load();
    let service = serde_json::json!({
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": "x"},
        "spec": {"selector": {"app": "x"}, "ports": [{"port": 80, "targetPrt": 8080}]}
    });
    let errors = crds.errors(&service).expect("Service schema is vendored");
    assert!(!errors.is_empty(), "an unknown field must be rejected");
    let hpa = serde_json::json!({
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "x"},
        "spec": {"scaleTargetRef": {"kind": "Rollout", "name": "x"}, "maxReplicas": "ten"}
    });
    assert!(
        !crds
            .errors(&hpa)
            .expect("HPA schema is vendored")
            .is_empty()
    );
    for (api, kind) in [
        ("networking.k8s.io/v1", "Ingress"),
        ("v1", "PersistentVolumeClaim"),
        ("policy/v1", "PodDisruptionBudget"),
    ] {
        assert!(crds.defines(api, kind), "{kind}");
    }
}

/// The upstream sample's path-based-ingress reaches the component's Service on a port it has.
#[test]
fn the_upstream_ingress_reaches_a_rendered_service_port() {
    let text = std::fs::read_to_string(
        root().join("fixtures/render/upstream-java-application/expected.yaml"),
    )
    .unwrap();
    let docs = yaml_docs(&text);
    let ingress = docs
        .iter()
        .find(|d| d["kind"] == "Ingress")
        .expect("an Ingress");
    for path in ingress["spec"]["rules"][0]["http"]["paths"]
        .as_array()
        .unwrap()
    {
        let backend = &path["backend"]["service"];
        let service = docs
            .iter()
            .find(|d| d["kind"] == "Service" && d["metadata"]["name"] == backend["name"])
            .expect("the backend Service is rendered");
        assert_ne!(
            backend["name"], "java-webservice-preview",
            "users reach all pods, never the preview"
        );
        let ports: Vec<&serde_json::Value> = service["spec"]["ports"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| &p["port"])
            .collect();
        assert!(ports.contains(&&backend["port"]["number"]), "{ports:?}");
    }
}

/// Trait output: a storage secret lands in the pod template; an HPA takes the replicas.
#[test]
fn traits_reach_the_pod_template_and_the_replica_count() {
    let docs = yaml_docs(
        &std::fs::read_to_string(root().join("fixtures/render/traits-storage/expected.yaml"))
            .unwrap(),
    );
    let rollout = docs
        .iter()
        .find(|d| d["kind"] == "Rollout" && d["metadata"]["name"] == "reports")
        .unwrap();
    let pod = &rollout["spec"]["template"]["spec"];
    let secret = pod["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "db-credentials")
        .unwrap();
    assert_eq!(secret["secret"]["secretName"], "reports-db");
    let mounts = pod["containers"][0]["volumeMounts"].as_array().unwrap();
    assert!(
        mounts
            .iter()
            .any(|m| m["name"] == "db-credentials" && m["mountPath"] == "/etc/reports/db")
    );
    assert_eq!(rollout["spec"]["replicas"], 5, "scaler sets the replicas");
    assert!(
        docs.iter().any(
            |d| d["kind"] == "PersistentVolumeClaim" && d["metadata"]["name"] == "report-cache"
        )
    );
    assert!(
        !docs
            .iter()
            .any(|d| d["kind"] == "PersistentVolumeClaim"
                && d["metadata"]["name"] == "shared-archive"),
        "mountOnly"
    );

    let docs = yaml_docs(
        &std::fs::read_to_string(root().join("fixtures/render/traits-alb-hpa/expected.yaml"))
            .unwrap(),
    );
    let rollout = docs.iter().find(|d| d["kind"] == "Rollout").unwrap();
    assert!(
        rollout["spec"].get("replicas").is_none(),
        "the HPA owns the replica count"
    );
    let hpa = docs
        .iter()
        .find(|d| d["kind"] == "HorizontalPodAutoscaler")
        .unwrap();
    assert_eq!(
        hpa["spec"]["scaleTargetRef"],
        serde_json::json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "name": "orders"})
    );
}

#[test]
fn the_strict_argocd_check_rejects_what_argo_cd_would_not_accept() {
    let crds = Crds::load();
    let application = serde_json::json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": "x", "namespace": "argocd"},
        "spec": {
            "project": "default",
            "source": {"repoURL": "https://x/y.git", "path": "a",
                       "plugin": {"name": "oamc-v1", "parameters": [{"name": "promotion", "value": "skip"}]}},
            "destination": {"server": "https://kubernetes.default.svc"}
        }
    });
    let errors = crds
        .errors(&application)
        .expect("Argo CD's Application CRD is vendored");
    assert!(errors.iter().any(|e| e.contains("value")), "{errors:?}");
    let mut fixed = application.clone();
    fixed["spec"]["source"]["plugin"]["parameters"][0] =
        serde_json::json!({"name": "promotion", "string": "skip"});
    assert_eq!(crds.errors(&fixed), Some(vec![]));
}
