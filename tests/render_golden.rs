//! Golden fixtures: `fixtures/render/<case>/application.yaml` renders to
//! `expected.yaml` byte for byte, and every document it holds is accepted
//! strictly by the vendored CRD of its kind.

mod common;
use common::*;

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

/// `oamc plan` of every render fixture, in both formats, next to its manifests.
#[test]
fn every_render_fixture_has_golden_plans() {
    for case in cases("render") {
        let input = case.join("application.yaml");
        for (format, file) in [("text", "plan.txt"), ("mermaid", "plan.mmd")] {
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
