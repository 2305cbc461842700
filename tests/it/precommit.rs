//! The pre-commit hook (`language: rust`), driven by the real `pre-commit`
//! as a user runs it: a `.pre-commit-config.yaml` naming this repository's
//! hook, `pre-commit run` in a throwaway Git repository. The hook is
//! installed once (pre-commit's `cargo install` from a snapshot of this
//! working tree) and then run three times from pre-commit's store, as in a
//! user's repository. scripts/test.sh installs pre-commit; without it the
//! test fails (a skip that passes would hide that nothing was tested).

use crate::common::*;
use std::path::Path;
use std::process::{Command, Output};

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@t")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@t")
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", text(&out.stderr));
    text(&out.stdout)
}

/// This working tree as one commit of a repository of its own (what
/// `pre-commit try-repo` does for uncommitted changes): the files Git tracks
/// or would track, as they are now. Returns the commit.
fn snapshot(dir: &Path) -> String {
    std::fs::create_dir_all(dir).unwrap();
    git(dir, &["init", "-q"]);
    let listed = git(
        &root(),
        &[
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ],
    );
    for name in listed.split('\0').filter(|n| !n.is_empty()) {
        let from = root().join(name);
        // A tracked file deleted in the working tree is not in the snapshot.
        if !from.exists() {
            continue;
        }
        let to = dir.join(name);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&from, &to).unwrap();
    }
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-qm", "snapshot"]);
    git(dir, &["rev-parse", "HEAD"]).trim().to_owned()
}

#[test]
#[ignore = "release artefact: run by scripts/dist.sh"]
fn the_pre_commit_hook_passes_good_manifests_and_names_the_line_of_bad_ones() {
    let work = std::env::temp_dir().join(format!("oamc-precommit-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    let hook_repo = work.join("oamc");
    let rev = snapshot(&hook_repo);
    let dir = work.join("project");
    std::fs::create_dir_all(&dir).unwrap();
    git(&dir, &["init", "-q"]);
    std::fs::write(
        dir.join(".pre-commit-config.yaml"),
        format!(
            "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: oamc-validate\n",
            hook_repo.display()
        ),
    )
    .unwrap();
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

    let run = |args: &[&str]| -> Output {
        let out = Command::new("pre-commit")
            .arg("run")
            .args(args)
            .current_dir(&dir)
            .env("NO_COLOR", "1")
            // One store for the three runs: the hook installs once.
            .env("PRE_COMMIT_HOME", work.join("store"))
            // pre-commit builds the hook with `cargo install` (the release
            // profile, as on a user's machine); scripts/dist.sh points this at
            // the folder where it built the release profile's dependencies.
            .env(
                "CARGO_TARGET_DIR",
                std::env::var_os("OAMC_HOOK_TARGET_DIR")
                    .map_or_else(|| root().join("target/pre-commit"), Into::into),
            )
            .output()
            .expect("pre-commit is installed (scripts/test.sh installs it)");
        let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
        eprintln!("pre-commit run {args:?}:\n{all}");
        out
    };
    let all = |out: &Output| format!("{}{}", text(&out.stdout), text(&out.stderr));

    let out = run(&[
        "oamc-validate",
        "--files",
        "good.yaml",
        "not-oam.yaml",
        "helm-deployment.yaml",
    ]);
    assert!(out.status.success(), "{}", all(&out));
    let out = run(&["oamc-validate", "--files", "broken.yaml"]);
    assert!(!out.status.success(), "{}", all(&out));
    assert!(
        all(&out).contains("broken.yaml:17:18"),
        "the output names the line:\n{}",
        all(&out)
    );
    assert!(
        all(&out).contains("`20 seconds` is not a duration"),
        "{}",
        all(&out)
    );
    // A file named like a flag is a file: the hook passes names after `--`.
    std::fs::remove_file(dir.join("broken.yaml")).unwrap();
    std::fs::write(
        dir.join("--prometheus-address=app.yaml"),
        good.replace("pause: \"20s\"", "pause: \"20 seconds\""),
    )
    .unwrap();
    git(&dir, &["add", "-A"]);
    let out = run(&["oamc-validate", "--all-files"]);
    assert!(!out.status.success(), "{}", all(&out));
    assert!(
        all(&out).contains("--prometheus-address=app.yaml:17:18"),
        "{}",
        all(&out)
    );
    // Installed once: one environment in the store, built by the first run.
    let installs = std::fs::read_dir(work.join("store"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("repo")
        })
        .count();
    assert_eq!(installs, 1, "the hook's repository was cloned once");
    let _ = std::fs::remove_dir_all(&work);
}
