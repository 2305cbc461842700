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

/// The lock is on OUT itself: after a render into a fresh repository,
/// `git status` shows the rendered files and the index, no lock file; a lock
/// file an earlier version left is removed.
#[test]
fn no_lock_file_is_left_for_git_to_commit() {
    let dir = tree("lock");
    let out_dir = dir.join("out");
    std::fs::create_dir_all(&out_dir).unwrap();
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .args(args)
            .current_dir(&out_dir)
            .output()
            .expect("git runs");
        assert!(out.status.success(), "{}", text(&out.stderr));
        text(&out.stdout)
    };
    git(&["init", "-q"]);
    std::fs::write(out_dir.join(".oamc-rendered.lock"), "").unwrap();
    let out = render(&dir, &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let status = git(&["status", "--porcelain", "--untracked-files=all"]);
    assert!(status.contains(".oamc-rendered\n"), "{status}");
    assert!(!status.contains(".lock"), "{status}");
    assert!(!out_dir.join(".oamc-rendered.lock").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Two resources on one path of the tree (same kind and name, different
/// namespaces, one Application folder): refused with a code, both files,
/// in every format, and nothing written.
#[test]
fn two_resources_on_one_path_are_refused_in_every_format() {
    let dir = std::env::temp_dir().join(format!("oamc-out-path-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let repo = dir.join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    let app = std::fs::read_to_string(root().join("fixtures/render/spec-gates/application.yaml"))
        .unwrap();
    assert!(app.contains("  namespace: shop\n"));
    std::fs::write(repo.join("a.yaml"), &app).unwrap();
    std::fs::write(
        repo.join("b.yaml"),
        app.replace("  namespace: shop\n", "  namespace: other\n"),
    )
    .unwrap();
    for format in ["human", "json", "github", "sarif", "junit"] {
        let out = render(&dir, &["--format", format]);
        assert_eq!(out.status.code(), Some(1), "{format}");
        assert!(out.stdout.is_empty(), "{format}");
        let report = text(&out.stderr);
        let code = if format == "github" {
            "oamc%3A%3Aoutput%3A%3Apath"
        } else {
            "oamc::output::path"
        };
        assert_eq!(
            report.matches(code).count(),
            // One diagnostic for the pair (SARIF names the rule twice, JUnit as type and text).
            if matches!(format, "sarif" | "junit") {
                2
            } else {
                1
            },
            "{format}: {report}"
        );
        assert!(report.contains("b.yaml"), "{format}: {report}");
        assert!(!dir.join("out").exists(), "{format}: nothing is written");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The Kargo pipeline of stage manifests that each carry the policy would be
/// written into every stage folder: two Argo CD Applications would own it.
#[test]
fn the_pipeline_in_two_stage_folders_is_refused() {
    let dir = std::env::temp_dir().join(format!("oamc-out-pipeline-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let app =
        std::fs::read_to_string(root().join("fixtures/render/promotion-default/application.yaml"))
            .unwrap();
    for stage in ["dev", "prod"] {
        let d = dir.join("repo/deployment").join(stage);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("application.yaml"), &app).unwrap();
    }
    let out = render(&dir, &["--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let report = text(&out.stderr);
    assert!(
        report.contains("oamc::output::duplicate-resource"),
        "{report}"
    );
    assert!(report.contains("kargo.akuity.io/v1alpha1"), "{report}");
    assert!(
        report.contains("keep the kargo-promotion policy in one stage"),
        "{report}"
    );
    // With the policy in one stage's manifest only, the tree renders.
    let without: String = app.split("  policies:").next().unwrap().to_owned();
    std::fs::write(dir.join("repo/deployment/prod/application.yaml"), without).unwrap();
    let out = render(&dir, &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue 45: the committed tree is the repository's, and `--check` prints a
/// diff of it in CI. Lines planted in a committed file (indented `::`, a
/// `##[` anywhere) and an env value with such lines reach the diff escaped:
/// no line of it is one GitHub's runner reads as a command.
#[test]
fn check_prints_no_line_the_runner_reads_as_a_command() {
    let dir = tree("check-commands");
    assert!(render(&dir, &[]).status.success());
    let rollout = dir.join("out/rocket-shop/dev/rollout-rocket.yaml");
    let planted = std::fs::read_to_string(&rollout).unwrap().replacen(
        "spec:\n",
        "spec:\n    ::add-mask::Rollout\n  x: a ##[add-mask]Service\n\t::stop-commands::x\n",
        1,
    );
    std::fs::write(&rollout, planted).unwrap();
    let app = dir.join("repo/deployment/prod/application.yaml");
    let changed = std::fs::read_to_string(&app).unwrap().replacen(
        "image_name: rocket",
        "image_name: rocket\n        env:\n          - name: A\n            value: \"a\\n  ::add-mask::Service\\n##[add-mask]Job\"",
        1,
    );
    std::fs::write(&app, changed).unwrap();
    let out = render(&dir, &["--check"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let diff = text(&out.stdout);
    assert!(diff.contains("add-mask"), "{diff}");
    for line in diff.lines().chain(text(&out.stderr).lines()) {
        assert!(
            !oamc::text::is_command_line(line),
            "a line the runner reads as a command: {line:?}"
        );
    }
    // The render itself writes the value double-quoted, `[` as YAML's `\x5B`.
    assert!(render(&dir, &[]).status.success());
    let prod =
        std::fs::read_to_string(dir.join("out/rocket-shop/prod/rollout-rocket.yaml")).unwrap();
    assert!(
        prod.contains(r#"value: "a\n  ::add-mask::Service\n##\x5Badd-mask]Job""#),
        "{prod}"
    );
    let docs = yaml_docs(&prod);
    let env = &docs[0]["spec"]["template"]["spec"]["containers"][0]["env"];
    assert!(
        env.as_array()
            .unwrap()
            .iter()
            .any(|e| e["value"] == "a\n  ::add-mask::Service\n##[add-mask]Job"),
        "{env}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue 45: a run killed mid-write leaves `.<name>.<pid>.tmp` beside the
/// file it was writing. `--check` does not call such a tree current (`git
/// add -A` would commit them), and the next render removes them; a file of
/// a name oamc does not write is left alone.
#[test]
fn a_killed_runs_temporary_files_are_not_clean_and_are_removed() {
    let dir = tree("leftovers");
    assert!(render(&dir, &[]).status.success());
    let out = dir.join("out");
    let ours = [
        "rocket-shop/dev/.rollout-rocket.yaml.4242.tmp",
        "..oamc-rendered.17.tmp",
    ];
    let not_ours = [
        "rocket-shop/dev/.notes.txt.1.tmp",
        "rocket-shop/dev/.rollout-rocket.yaml.x1.tmp",
        "rocket-shop/.rollout-rocket.yaml.5.tmp",
    ];
    for rel in ours.iter().chain(&not_ours) {
        std::fs::write(out.join(rel), "half a file").unwrap();
    }
    let check = render(&dir, &["--check"]);
    assert_eq!(check.status.code(), Some(1), "{}", text(&check.stderr));
    let diff = text(&check.stdout);
    for rel in ours {
        assert!(diff.contains(&format!("--- a/{rel}")), "{diff}");
    }
    for rel in not_ours {
        assert!(!diff.contains(rel), "{diff}");
    }
    let written = render(&dir, &[]);
    assert!(written.status.success(), "{}", text(&written.stderr));
    assert!(text(&written.stderr).contains("a temporary file of a run that was killed"));
    for rel in ours {
        assert!(!out.join(rel).exists(), "{rel}");
    }
    for rel in not_ours {
        assert!(out.join(rel).exists(), "{rel}");
    }
    let check = render(&dir, &["--check"]);
    assert_eq!(check.status.code(), Some(0), "{}", text(&check.stdout));
    let _ = std::fs::remove_dir_all(&dir);
}
