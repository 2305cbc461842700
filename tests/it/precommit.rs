//! The pre-commit hook, driven by the real `pre-commit` tool exactly as a user
//! would try it: `pre-commit try-repo <this repo> oamc-validate` in a
//! throwaway Git repository. CI installs pre-commit (`.ci/run`); without it
//! the test fails (a skip that passes would hide that nothing was tested).

use crate::common::*;
use std::path::Path;
use std::process::{Command, Output};

fn pre_commit_available() -> bool {
    Command::new("pre-commit")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn git(dir: &Path, args: &[&str]) {
    let ok = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@t")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@t")
        .status()
        .expect("git runs")
        .success();
    assert!(ok, "git {args:?}");
}

fn try_repo(dir: &Path, files: &[&str]) -> Output {
    Command::new("pre-commit")
        .args([
            "try-repo",
            root().to_str().unwrap(),
            "oamc-validate",
            "--files",
        ])
        .args(files)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        // try-repo installs the hook afresh each time (`cargo install`); a shared
        // target directory turns the second build into a short incremental one.
        .env("CARGO_TARGET_DIR", root().join("target").join("pre-commit"))
        .output()
        .expect("pre-commit runs")
}

#[test]
fn the_pre_commit_hook_passes_good_manifests_and_names_the_line_of_bad_ones() {
    // Never a silent pass: without pre-commit this test fails and says how to get it.
    assert!(
        pre_commit_available(),
        "pre-commit is not installed: `python3 -m pip install pre-commit` (.ci/run does)"
    );
    let dir = std::env::temp_dir().join(format!("oamc-precommit-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    git(&dir, &["init", "-q"]);
    let good = std::fs::read_to_string(root().join("fixtures/render/spec-gates/application.yaml"))
        .unwrap();
    std::fs::write(dir.join("good.yaml"), &good).unwrap();
    std::fs::write(
        dir.join("not-oam.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("broken.yaml"),
        good.replace("pause: \"20s\"", "pause: \"20 seconds\""),
    )
    .unwrap();
    // A Helm template is not YAML until Helm renders it, and holds no Application.
    std::fs::write(
        dir.join("helm-deployment.yaml"),
        "{{- if .Values.enabled }}\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ include \"x.fullname\" . }}\n{{- end }}\n",
    )
    .unwrap();
    git(&dir, &["add", "."]);

    let out = try_repo(&dir, &["good.yaml", "not-oam.yaml", "helm-deployment.yaml"]);
    assert!(
        out.status.success(),
        "{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let out = try_repo(&dir, &["broken.yaml"]);
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(!out.status.success(), "{all}");
    assert!(
        all.contains("broken.yaml:17:18"),
        "the output names the line:\n{all}"
    );
    assert!(all.contains("`20 seconds` is not a duration"), "{all}");
    // A file named like a flag is a file: the hook passes names after `--`.
    std::fs::remove_file(dir.join("broken.yaml")).unwrap();
    std::fs::write(
        dir.join("--prometheus-address=app.yaml"),
        good.replace("pause: \"20s\"", "pause: \"20 seconds\""),
    )
    .unwrap();
    git(&dir, &["add", "-A"]);
    let out = Command::new("pre-commit")
        .args([
            "try-repo",
            root().to_str().unwrap(),
            "oamc-validate",
            "--all-files",
        ])
        .current_dir(&dir)
        .env("NO_COLOR", "1")
        .env("CARGO_TARGET_DIR", root().join("target").join("pre-commit"))
        .output()
        .expect("pre-commit runs");
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(!out.status.success(), "{all}");
    assert!(all.contains("--prometheus-address=app.yaml:17:18"), "{all}");
    let _ = std::fs::remove_dir_all(&dir);
}
