//! `render DIR -o OUT` for the rendered-manifests pattern, and `--check`.

use crate::common::*;
use std::path::{Path, PathBuf};

fn tree(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("oamc-out-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for stage in ["dev", "prod"] {
        let d = dir.join("repo/deployment").join(stage);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::copy(
            root().join("fixtures/render/spec-gates/application.yaml"),
            d.join("application.yaml"),
        )
        .unwrap();
    }
    dir
}

fn files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    out.sort();
    out
}

fn render(dir: &Path, extra: &[&str]) -> std::process::Output {
    render_tree(dir, extra)
}

#[test]
fn one_folder_per_application_and_stage_one_file_per_resource() {
    let dir = tree("layout");
    let out = render(&dir, &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let written = files(&dir.join("out"));
    for stage in ["dev", "prod"] {
        for file in [
            "rollout-rocket.yaml",
            "service-rocket-preview.yaml",
            "analysistemplate-metrics-rocket.yaml",
        ] {
            let path = format!("rocket-shop/{stage}/{file}");
            assert!(written.contains(&path), "{path} in {written:?}");
        }
    }
    let rollout =
        std::fs::read_to_string(dir.join("out/rocket-shop/dev/rollout-rocket.yaml")).unwrap();
    assert_eq!(yaml_docs(&rollout).len(), 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn files_no_longer_produced_are_removed_and_others_are_left_alone() {
    let dir = tree("prune");
    assert!(render(&dir, &[]).status.success());
    std::fs::write(dir.join("out/README.md"), "mine\n").unwrap();
    std::fs::write(dir.join("out/rocket-shop/dev/notes.yaml"), "mine: true\n").unwrap();

    // Drop the metrics gate from dev.
    let app = dir.join("repo/deployment/dev/application.yaml");
    let text_in = std::fs::read_to_string(&app).unwrap();
    let without_metrics = text_in.split("        metrics:").next().unwrap().to_owned();
    std::fs::write(&app, without_metrics).unwrap();
    let out = render(&dir, &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("removed"),
        "{}",
        text(&out.stderr)
    );
    let written = files(&dir.join("out"));
    assert!(!written.contains(&"rocket-shop/dev/analysistemplate-metrics-rocket.yaml".to_owned()));
    assert!(written.contains(&"rocket-shop/prod/analysistemplate-metrics-rocket.yaml".to_owned()));
    assert!(
        written.contains(&"README.md".to_owned())
            && written.contains(&"rocket-shop/dev/notes.yaml".to_owned())
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn check_passes_when_current_and_prints_a_diff_when_not() {
    let dir = tree("check");
    assert!(render(&dir, &[]).status.success());
    let out = render(&dir, &["--check"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty());

    let app = dir.join("repo/deployment/prod/application.yaml");
    let changed = std::fs::read_to_string(&app)
        .unwrap()
        .replace("rocket:1.4.2", "rocket:1.5.0");
    std::fs::write(&app, changed).unwrap();
    let before = files(&dir.join("out"));
    let out = render(&dir, &["--check"]);
    assert_eq!(out.status.code(), Some(1));
    let diff = text(&out.stdout);
    assert!(
        diff.contains("--- a/rocket-shop/prod/rollout-rocket.yaml"),
        "{diff}"
    );
    assert!(
        diff.contains("-        image: ghcr.io/acme/rocket:1.4.2")
            && diff.contains("+        image: ghcr.io/acme/rocket:1.5.0"),
        "{diff}"
    );
    assert!(
        !diff.contains("rocket-shop/dev/"),
        "dev is unchanged: {diff}"
    );
    assert_eq!(files(&dir.join("out")), before, "--check changes nothing");
    let _ = std::fs::remove_dir_all(&dir);
}
