//! Templates are the platform's to change; a broken one is a clear error and
//! never reaches stdout.

use crate::common::*;
use std::path::{Path, PathBuf};

const SPEC: &str = "fixtures/render/spec-gates/application.yaml";

fn template_dir(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("oamc-templates-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (file, body) in files {
        std::fs::write(dir.join(file), body).unwrap();
    }
    dir
}

fn render_with(dir: &Path) -> std::process::Output {
    oamc(
        &["render", "--templates", dir.to_str().unwrap(), SPEC],
        None,
    )
}

#[test]
fn an_override_replaces_only_its_template() {
    let pdb = "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: {{ item.name }}\n  labels: {{ service.labels }}\nspec:\n  minAvailable: 2\n  selector:\n    matchLabels: {{ service.selector }}\n";
    let dir = template_dir("override", &[("poddisruptionbudget.yaml", pdb)]);
    let out = render_with(&dir);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let docs = yaml_docs(&text(&out.stdout));
    let pdb = docs
        .iter()
        .find(|d| d["kind"] == "PodDisruptionBudget")
        .unwrap();
    assert_eq!(pdb["spec"]["minAvailable"], 2);
    assert_eq!(
        docs.iter()
            .filter(|d| d["kind"] == "AnalysisTemplate")
            .count(),
        3
    );
}

#[test]
fn broken_templates_are_clear_errors_with_nothing_on_stdout() {
    let cases: &[(&str, &str, &str)] = &[
        ("syntax", "kind: {{ service.name ", "rollout.yaml"),
        ("undefined", "kind: {{ service.nmae }}", "rollout.yaml"),
        (
            "not-yaml",
            "apiVersion: v1\nkind: [unclosed\n",
            "produced invalid YAML",
        ),
        (
            "two-docs",
            "apiVersion: v1\nkind: A\nmetadata: {name: a}\n---\napiVersion: v1\nkind: B\nmetadata: {name: b}\n",
            "2 YAML documents",
        ),
        (
            "no-kind",
            "apiVersion: v1\nmetadata: {name: a}\n",
            "without apiVersion, kind and metadata.name",
        ),
    ];
    for (name, body, expected) in cases {
        let dir = template_dir(name, &[("rollout.yaml", body)]);
        let out = render_with(&dir);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: {stderr}");
        assert!(out.stdout.is_empty(), "{name}");
        assert!(
            stderr.contains(expected),
            "{name}: expected {expected:?} in\n{stderr}"
        );
        assert!(stderr.contains("oamc::template"), "{name}: {stderr}");
    }
}

#[test]
fn a_template_that_drops_a_gate_argument_is_caught_by_verify() {
    let functional = common_functional_without_args();
    let dir = template_dir("args", &[("analysistemplate-functional.yaml", &functional)]);
    let out = render_with(&dir);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("uses {{args.service-name}} but does not declare it"),
        "{}",
        text(&out.stderr)
    );
}

fn common_functional_without_args() -> String {
    let builtin =
        std::fs::read_to_string(root().join("templates/analysistemplate-functional.yaml")).unwrap();
    builtin.replace(
        "  args:\n{%- for arg in item.args %}\n    - name: {{ arg }}\n{%- endfor %}\n",
        "",
    )
}

const PROMOTION: &str = "fixtures/render/promotion-default/application.yaml";

/// A promotion step's entry is its own template: an override changes that
/// step alone, and the task keeps the others as built in.
#[test]
fn a_promotion_step_override_replaces_only_that_step() {
    let commit = "    - uses: git-commit\n      as: {{ step.alias }}\n      config:\n        path: {{ step.config.path }}\n        message: {{ \"Release \" ~ step.config.message }}\n";
    let dir = template_dir("step", &[("kargo-step-git-commit.yaml", commit)]);
    let out = oamc(
        &["render", "--templates", dir.to_str().unwrap(), PROMOTION],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let docs = yaml_docs(&text(&out.stdout));
    let task = docs.iter().find(|d| d["kind"] == "PromotionTask").unwrap();
    let steps = task["spec"]["steps"].as_array().unwrap();
    let uses: Vec<&str> = steps.iter().map(|s| s["uses"].as_str().unwrap()).collect();
    assert_eq!(
        uses,
        [
            "git-clone",
            "delete",
            "copy",
            "yaml-update",
            "git-commit",
            "git-push",
            "argocd-update"
        ]
    );
    assert_eq!(
        steps[4]["config"]["message"],
        "Release Promote ${{ ctx.stage }} to ${{ imageFrom(vars.imageRepo).Tag }}"
    );
    assert_eq!(steps[5]["as"], "push");
}

/// A broken step template fails the run at its own name and line.
#[test]
fn a_broken_promotion_step_template_is_named() {
    let dir = template_dir(
        "broken-step",
        &[(
            "kargo-step-git-push.yaml",
            "    - uses: git-push\n      config: {{ step.config.nope }}\n",
        )],
    );
    let out = oamc(
        &["render", "--templates", dir.to_str().unwrap(), PROMOTION],
        None,
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(out.stdout.is_empty());
    // At the step template's own line, not at the task's include.
    assert!(stderr.contains("kargo-step-git-push.yaml:2:1"), "{stderr}");
    assert!(
        stderr.contains("`step.config.nope` is undefined"),
        "{stderr}"
    );
    assert!(stderr.contains("oamc::template"), "{stderr}");
}

/// A step template can include other templates (the task includes it): one
/// that includes its own task loops, and minijinja's recursion limit stops
/// it with an error at the step, nothing on stdout.
#[test]
fn a_step_template_that_includes_its_task_is_stopped() {
    let looping =
        "    - uses: git-push\n      config: {}\n{% include \"kargo-promotiontask.yaml\" %}\n";
    let dir = template_dir("step-loop", &[("kargo-step-git-push.yaml", looping)]);
    let out = oamc(
        &["render", "--templates", dir.to_str().unwrap(), PROMOTION],
        None,
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(out.stdout.is_empty());
    assert!(stderr.contains("kargo-step-git-push.yaml"), "{stderr}");
    assert!(stderr.contains("recursion limit"), "{stderr}");
}

#[test]
fn a_misspelt_override_is_an_error_with_a_suggestion() {
    let dir = template_dir("typo", &[("rolout.yaml", "x")]);
    let out = render_with(&dir);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("did you mean `rollout.yaml`?"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_template_that_never_ends_runs_out_of_fuel() {
    let body = "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}";
    let dir = template_dir("fuel", &[("rollout.yaml", body)]);
    let out = render_with(&dir);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
}

/// The built-in templates stay inside the shape the line reader reads itself
/// (no anchors, tags, odd scalars or multi-line flow), so rendering never
/// pays for a parser.
#[test]
fn built_in_templates_are_read_back_by_the_fast_reader() {
    let templates = oamc::render::Templates::load(None, None).ok().unwrap();
    let checker = oamc::driver::Checker::new(Default::default());
    let mut seen = 0;
    for entry in std::fs::read_dir("fixtures/render").unwrap() {
        let path = entry.unwrap().path().join("application.yaml");
        let file = std::sync::Arc::new(oamc::diagnostic::SourceFile {
            name: path.display().to_string(),
            text: std::fs::read_to_string(&path).unwrap(),
        });
        for app in checker.check_file(&file).apps {
            let plan = oamc::defs::plan_app(&app, None, &Default::default());
            for doc in templates.render_app(&plan, Default::default()).unwrap() {
                // The borrowed document emits exactly as its owned JSON value does.
                let nodes = oamc::readback::read_rendered(&doc.text).unwrap();
                for node in &nodes {
                    assert_eq!(
                        oamc::emit::to_yaml(node).unwrap(),
                        oamc::emit::to_yaml(&oamc::readback::Node::from_json(node.to_json()))
                            .unwrap(),
                        "{}",
                        doc.text
                    );
                }
                // The line reader itself: the event reader costs several times more.
                assert!(
                    oamc::readback::read_block_subset(&doc.text).is_some(),
                    "{} from {}:\n{}",
                    doc.template,
                    path.display(),
                    doc.text
                );
                seen += 1;
            }
        }
    }
    assert!(seen > 20, "only {seen} documents rendered");
}
