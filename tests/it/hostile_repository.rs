//! The repository is hostile: whoever can push controls the output folder,
//! its index, the templates and every name. Each attack is a repository
//! built in a temporary folder and the real binary run on it; nothing outside
//! OUT is written, deleted or read, and a crash or a second run never leaves
//! a file the index does not list.

use crate::common::*;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const APP: &str = "fixtures/render/spec-gates/application.yaml";

/// A fresh folder: `repo/app.yaml` (the spec's example) and an empty `out`.
fn setup(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("oamc-hostile-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("repo")).unwrap();
    std::fs::create_dir_all(dir.join("outside")).unwrap();
    std::fs::copy(root().join(APP), dir.join("repo/app.yaml")).unwrap();
    dir
}

fn render_to(dir: &Path, check: bool) -> std::process::Output {
    render_tree(dir, if check { &["--check"] } else { &[] })
}

/// Every `*.yaml` under `out`, relative, and the index's lines.
fn on_disk_and_indexed(out: &Path) -> (Vec<String>, Vec<String>) {
    let mut found = Vec::new();
    let mut stack = vec![out.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "yaml") {
                found.push(p.strip_prefix(out).unwrap().display().to_string());
            }
        }
    }
    found.sort();
    let index = std::fs::read_to_string(out.join(".oamc-rendered")).unwrap_or_default();
    // `<sha256>  <path>` a line.
    let mut listed: Vec<String> = index
        .lines()
        .map(|l| l.split_once("  ").map_or(l, |(_, p)| p).to_owned())
        .collect();
    listed.sort();
    (found, listed)
}

#[test]
fn a_link_planted_in_the_output_is_never_written_through() {
    let dir = setup("file-link");
    assert!(render_to(&dir, false).status.success());
    let victim = dir.join("outside/victim.txt");
    std::fs::write(&victim, "keep me\n").unwrap();
    let target = dir.join("out/rocket-shop/rollout-rocket.yaml");
    std::fs::remove_file(&target).unwrap();
    symlink(&victim, &target).unwrap();
    let out = render_to(&dir, false);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("symbolic link"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me\n");
    // --check does not read through it either.
    let out = render_to(&dir, true);
    assert_eq!(out.status.code(), Some(1));
    assert!(!text(&out.stdout).contains("keep me"));
}

#[test]
fn a_linked_folder_in_the_index_is_not_pruned_through() {
    let dir = setup("dir-link");
    assert!(render_to(&dir, false).status.success());
    let keep = dir.join("outside/keep.yaml");
    std::fs::write(&keep, "x: 1\n").unwrap();
    symlink(dir.join("outside"), dir.join("out/evil")).unwrap();
    let index = dir.join("out/.oamc-rendered");
    let mut listed = std::fs::read_to_string(&index).unwrap();
    // With the hash of what the file holds, as oamc would record it.
    listed.push_str(&format!("{}  evil/keep.yaml\n", sha256_of(&keep)));
    std::fs::write(&index, listed).unwrap();
    let out = render_to(&dir, false);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(keep.exists(), "a file outside OUT was deleted");
}

/// The SHA-256 of a file, from coreutils' `sha256sum`.
fn sha256_of(path: &Path) -> String {
    let out = Command::new("sha256sum").arg(path).output().unwrap();
    assert!(out.status.success());
    text(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

/// Files inside OUT that oamc did not write, listed in a tampered index
/// (bare, as an earlier version wrote it, or with a hash that is not of
/// their content) are kept and named; a file oamc wrote and nobody changed
/// is pruned; the index checks with `sha256sum -c`.
#[test]
fn pruning_deletes_only_what_oamc_wrote_unchanged() {
    let dir = setup("index-hash");
    assert!(render_to(&dir, false).status.success());
    let out_dir = dir.join("out");
    let check = Command::new("sha256sum")
        .args(["-c", "--quiet", ".oamc-rendered"])
        .current_dir(&out_dir)
        .output()
        .unwrap();
    assert!(check.status.success(), "{}", text(&check.stdout));
    let team = out_dir.join("rocket-shop/team-notes.yaml");
    let other = out_dir.join("rocket-shop/configmap-extra.yaml");
    std::fs::write(&team, "hand: written\n").unwrap();
    std::fs::write(&other, "kind: ConfigMap\n").unwrap();
    let index = out_dir.join(".oamc-rendered");
    let mut listed = std::fs::read_to_string(&index).unwrap();
    listed.push_str("rocket-shop/team-notes.yaml\n");
    listed.push_str(&format!(
        "{}  rocket-shop/configmap-extra.yaml\n",
        "0".repeat(64)
    ));
    std::fs::write(&index, &listed).unwrap();
    let out = render_to(&dir, false);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(team.exists() && other.exists(), "{stderr}");
    assert!(
        stderr.contains("kept") && stderr.contains("team-notes.yaml"),
        "{stderr}"
    );
    // Dropped from the index: oamc never names them again.
    let listed = std::fs::read_to_string(&index).unwrap();
    assert!(!listed.contains("team-notes") && !listed.contains("configmap-extra"));
    // A file oamc wrote is pruned when the Application stops producing it.
    std::fs::write(
        dir.join("repo/app.yaml"),
        std::fs::read_to_string(root().join(APP))
            .unwrap()
            .replace("name: rocket-shop", "name: rocket-store"),
    )
    .unwrap();
    let out = render_to(&dir, false);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!out_dir.join("rocket-shop/rollout-rocket.yaml").exists());
    assert!(team.exists() && other.exists());
}

#[test]
fn a_linked_index_is_not_written_through() {
    let dir = setup("index-link");
    std::fs::create_dir_all(dir.join("out")).unwrap();
    let victim = dir.join("outside/victim.txt");
    std::fs::write(&victim, "keep me\n").unwrap();
    symlink(&victim, dir.join("out/.oamc-rendered")).unwrap();
    let out = render_to(&dir, false);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me\n");
}

#[test]
fn check_reads_no_link_and_no_special_file() {
    let dir = setup("check-leak");
    assert!(render_to(&dir, false).status.success());
    let index = dir.join("out/.oamc-rendered");
    let listed = std::fs::read_to_string(&index).unwrap();
    // The environment (tokens included) through /proc, and an endless file.
    for (name, target) in [
        ("leak.yaml", "/proc/self/environ"),
        ("zero.yaml", "/dev/zero"),
    ] {
        symlink(target, dir.join("out").join(name)).unwrap();
        std::fs::write(&index, format!("{listed}{name}\n")).unwrap();
        let started = Instant::now();
        let out = render_to(&dir, true);
        assert_eq!(out.status.code(), Some(1), "{name}");
        assert!(started.elapsed() < Duration::from_secs(30), "{name}");
        assert!(!text(&out.stdout).contains("PATH="), "{name}");
        assert!(
            text(&out.stderr).contains("symbolic link"),
            "{name}: {}",
            text(&out.stderr)
        );
        std::fs::remove_file(dir.join("out").join(name)).unwrap();
    }
    // A FIFO named like a manifest: refused, never opened (opening would hang).
    let fifo = dir.join("out/fifo.yaml");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    std::fs::write(&index, format!("{listed}fifo.yaml\n")).unwrap();
    let out = render_to(&dir, true);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("not a regular file"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_tampered_index_names_nothing_outside_the_output() {
    let dir = setup("index-escape");
    assert!(render_to(&dir, false).status.success());
    let victim = dir.join("outside/victim.yaml");
    std::fs::write(&victim, "keep: me\n").unwrap();
    let index = dir.join("out/.oamc-rendered");
    let mut listed = std::fs::read_to_string(&index).unwrap();
    listed.push_str("../outside/victim.yaml\n");
    listed.push_str(&format!("{}\n", victim.display()));
    std::fs::write(&index, listed).unwrap();
    let out = render_to(&dir, false);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(victim.exists());
    let out = render_to(&dir, true);
    assert!(out.status.success(), "{}", text(&out.stdout));
}

#[test]
fn a_claim_name_with_a_path_is_refused_at_its_line() {
    let dir = setup("claim");
    let app = "apiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata:\n  name: shop\nspec:\n  components:\n    - name: web\n      type: appmod-service\n      properties:\n        image: nginx:1.27\n        image_name: web\n      traits:\n        - type: storage\n          properties:\n            pvc:\n              - name: data\n                mountPath: /data\n                claimName: x/../../../../tmp/PWNED\n            configMap:\n              - name: conf\n                mountPath: /conf\n                cmName: ../etc\n            secret:\n              - name: creds\n                mountPath: /creds\n                secretName: Bad_Secret\n";
    std::fs::write(dir.join("repo/app.yaml"), app).unwrap();
    let out = oamc(
        &[
            "validate",
            "--format",
            "json",
            dir.join("repo/app.yaml").to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let lines: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let at: Vec<(String, u64)> = lines
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_owned(),
                d["line"].as_u64().unwrap(),
            )
        })
        .collect();
    for line in [18, 22, 26] {
        assert!(
            at.contains(&("oamc::name::invalid".to_owned(), line)),
            "{at:?}"
        );
    }
    let before = std::fs::metadata("/tmp/PWNED.yaml")
        .ok()
        .map(|m| m.modified().unwrap());
    let out = render_to(&dir, false);
    assert_eq!(out.status.code(), Some(1));
    let after = std::fs::metadata("/tmp/PWNED.yaml")
        .ok()
        .map(|m| m.modified().unwrap());
    assert_eq!(before, after, "a file outside OUT was written");
    assert!(!dir.join("out").exists() || on_disk_and_indexed(&dir.join("out")).0.is_empty());
}

#[test]
fn a_template_cannot_choose_a_path() {
    let dir = setup("template-kind");
    let templates = dir.join("repo/templates");
    std::fs::create_dir_all(&templates).unwrap();
    let builtin =
        std::fs::read_to_string(root().join("templates/poddisruptionbudget.yaml")).unwrap();
    std::fs::write(
        templates.join("poddisruptionbudget.yaml"),
        builtin.replace("kind: PodDisruptionBudget", "kind: /tmp/x/ABSOLUTE"),
    )
    .unwrap();
    let out = oamc(
        &[
            "render",
            dir.join("repo/app.yaml").to_str().unwrap(),
            "--templates",
            templates.to_str().unwrap(),
            "-o",
            dir.join("out").to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("/tmp/x/ABSOLUTE"),
        "{}",
        text(&out.stderr)
    );
    assert!(!Path::new("/tmp/x/absolute-rocket.yaml").exists());
}

/// A deterministic crash: a folder planted where a manifest goes makes the
/// run fail after the index was written. Every file on disk is listed, and
/// after the input is reverted `--check` reports the leftovers.
#[test]
fn a_run_that_dies_midway_leaves_no_unindexed_file() {
    let dir = setup("crash");
    assert!(render_to(&dir, false).status.success());
    // A second component: new files, one of which cannot be written.
    let two = std::fs::read_to_string(dir.join("repo/app.yaml"))
        .unwrap()
        .replace("name: rocket-shop", "name: rocket-shop-two");
    std::fs::write(dir.join("repo/two.yaml"), &two).unwrap();
    std::fs::create_dir_all(dir.join("out/rocket-shop-two/service-rocket.yaml/blocker")).unwrap();
    let out = render_to(&dir, false);
    assert_eq!(out.status.code(), Some(1));
    let (found, listed) = on_disk_and_indexed(&dir.join("out"));
    for f in &found {
        assert!(listed.contains(f), "{f} is not in the index {listed:?}");
    }
    // Revert the input: the leftovers are reported, then pruned.
    std::fs::remove_file(dir.join("repo/two.yaml")).unwrap();
    std::fs::remove_dir_all(dir.join("out/rocket-shop-two/service-rocket.yaml")).unwrap();
    let out = render_to(&dir, true);
    assert_eq!(out.status.code(), Some(1), "--check passed with leftovers");
    assert!(render_to(&dir, false).status.success());
    assert!(render_to(&dir, true).status.success());
    assert!(!dir.join("out/rocket-shop-two").exists());
}

/// `kill -9` at random moments of a long run: whatever is on disk is listed.
#[test]
fn a_killed_run_leaves_no_unindexed_file() {
    let dir = setup("kill");
    let text_in = std::fs::read_to_string(root().join(APP)).unwrap();
    for i in 0..300 {
        std::fs::write(
            dir.join(format!("repo/app{i}.yaml")),
            text_in.replace("name: rocket-shop", &format!("name: rocket-shop-{i}")),
        )
        .unwrap();
    }
    // How long a whole run takes here, then kills spread over its writing.
    let started = Instant::now();
    let full = Command::new(env!("CARGO_BIN_EXE_oamc"))
        .args(["render", "repo", "-o", "timing"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(full.status.success());
    let total = started.elapsed();
    let mut interrupted = 0;
    for tenth in [3, 5, 6, 7, 8, 9] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_oamc"))
            .args(["render", "repo", "-o", "out"])
            .current_dir(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(total * tenth / 10);
        let _ = child.kill();
        let status = child.wait().unwrap();
        interrupted += usize::from(!status.success());
        if dir.join("out").exists() {
            let (found, listed) = on_disk_and_indexed(&dir.join("out"));
            for f in &found {
                assert!(
                    listed.contains(f),
                    "after {tenth}/10 of a run: {f} not indexed"
                );
            }
        }
        let _ = std::fs::remove_dir_all(dir.join("out"));
    }
    // The kills did land mid-run (not after every run had ended).
    assert!(
        interrupted > 0,
        "no run was interrupted (a run takes {total:?})"
    );
}

/// Two runs into one folder at once: the lock makes one wait, and the folder
/// ends as one of them left it, every file listed.
#[test]
fn concurrent_runs_do_not_interleave() {
    let dir = setup("concurrent");
    let text_in = std::fs::read_to_string(root().join(APP)).unwrap();
    for (folder, count) in [("a", 40), ("b", 25)] {
        std::fs::create_dir_all(dir.join(folder)).unwrap();
        for i in 0..count {
            std::fs::write(
                dir.join(format!("{folder}/app{i}.yaml")),
                text_in.replace("name: rocket-shop", &format!("name: {folder}-shop-{i}")),
            )
            .unwrap();
        }
    }
    let run = |folder: &str| {
        Command::new(env!("CARGO_BIN_EXE_oamc"))
            .args(["render", folder, "-o", "out"])
            .current_dir(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    for _ in 0..3 {
        let (mut a, mut b) = (run("a"), run("b"));
        assert!(a.wait().unwrap().success());
        assert!(b.wait().unwrap().success());
        let (found, listed) = on_disk_and_indexed(&dir.join("out"));
        assert_eq!(found, listed);
        let a_files = found.iter().filter(|f| f.starts_with("a-shop")).count();
        let b_files = found.iter().filter(|f| f.starts_with("b-shop")).count();
        assert!(a_files == 0 || b_files == 0, "the runs interleaved");
    }
}

/// The real binary with `args` (a shell word list), run in `dir` under a
/// 1 GiB address-space limit (`ulimit -v`): an allocation past it aborts.
fn under_1_gib(dir: &Path, args: &str) -> std::process::Output {
    Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -v 1048576; exec {} {args}",
            env!("CARGO_BIN_EXE_oamc")
        ))
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

/// Run the real binary in `dir`, killed after `limit`: (exit code, stdout, stderr, timed out).
fn run_bounded(
    dir: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    limit: Duration,
) -> (Option<i32>, String, String, bool) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_oamc"));
    cmd.args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    // Drained while the child runs: a full pipe would stall it until killed.
    let drain = |mut r: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = r.read_to_end(&mut bytes);
            bytes
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let started = Instant::now();
    let timed_out = loop {
        if child.try_wait().unwrap().is_some() {
            break false;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            break true;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let status = child.wait().unwrap();
    (
        status.code(),
        text(&stdout.join().unwrap()),
        text(&stderr.join().unwrap()),
        timed_out,
    )
}

/// A FIFO named `*.yaml` is refused, never opened: opening it would wait
/// for a writer forever. A 300 MB file is not read by `discover`.
#[test]
fn special_and_huge_files_are_refused_without_reading_them() {
    let dir = setup("fifo");
    let repo = dir.join("repo");
    assert!(
        Command::new("mkfifo")
            .arg(repo.join("pipe.yaml"))
            .status()
            .unwrap()
            .success()
    );
    let limit = Duration::from_secs(20);
    let (code, stdout, stderr, hung) = run_bounded(&repo, &["render", "."], &[], limit);
    assert!(!hung, "render waited on the FIFO");
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stdout.is_empty());
    assert!(stderr.contains("not a regular file"), "{stderr}");
    let (code, stdout, stderr, hung) = run_bounded(&repo, &["cmp", "generate"], &[], limit);
    assert!(!hung, "generate waited on the FIFO");
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stdout.is_empty());
    let (code, stdout, _, hung) = run_bounded(&repo, &["cmp", "discover"], &[], limit);
    assert!(!hung, "discover waited on the FIFO");
    assert_eq!((code, stdout.as_str()), (Some(0), "app.yaml\n"));

    std::fs::remove_file(repo.join("pipe.yaml")).unwrap();
    // Sparse: 300 MB that cost no disk.
    let huge = std::fs::File::create(repo.join("huge.yaml")).unwrap();
    huge.set_len(300 * 1024 * 1024).unwrap();
    let started = Instant::now();
    let (code, stdout, _, hung) = run_bounded(&repo, &["cmp", "discover"], &[], limit);
    assert!(!hung);
    assert_eq!((code, stdout.as_str()), (Some(0), "app.yaml\n"));
    assert!(started.elapsed() < Duration::from_secs(10));
    let (code, stdout, stderr, _) = run_bounded(&repo, &["cmp", "generate"], &[], limit);
    assert_eq!(code, Some(1));
    assert!(stdout.is_empty());
    assert!(stderr.contains("larger than"), "{stderr}");
}

/// An Application whose env values alias one 3.9 MB string `count` times:
/// under 4 MiB on disk, about 60 MB once read (15 aliases).
pub(crate) fn alias_heavy(name: &str, count: usize) -> String {
    let big = "x".repeat(3_900_000);
    let mut text = format!(
        "apiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata: {{name: {name}}}\nspec:\n  components:\n    - name: web\n      type: appmod-service\n      properties:\n        image: nginx:1.27\n        image_name: web\n        env:\n          - {{name: A, value: &s \"{big}\"}}\n"
    );
    for i in 0..count {
        text.push_str(&format!("          - {{name: B{i}, value: *s}}\n"));
    }
    text
}

/// Thirty such files: every per-file limit holds, and together they would
/// need gigabytes. The run's budget refuses them before reading any, under a
/// 1 GiB address-space limit (set for the child with `ulimit -v`).
#[test]
fn the_run_has_one_memory_budget_for_all_its_inputs() {
    let dir = setup("budget");
    let many = dir.join("many");
    std::fs::create_dir_all(&many).unwrap();
    for i in 0..30 {
        let text_in = alias_heavy(&format!("shop-{i}"), 15);
        assert!(text_in.len() < 4 * 1024 * 1024);
        std::fs::write(many.join(format!("f{i:02}.yaml")), &text_in).unwrap();
    }
    let bin = env!("CARGO_BIN_EXE_oamc");
    for command in ["validate", "render"] {
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "ulimit -v 1048576; exec {bin} {command} {}",
                many.display()
            ))
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{command}: {stderr}");
        assert!(out.stdout.is_empty());
        assert!(stderr.contains("oamc::input::budget"), "{stderr}");
        assert!(stderr.contains("64 MiB"), "{stderr}");
    }
    // Two files that fit a raised budget are read and pass.
    let two = dir.join("two");
    std::fs::create_dir_all(&two).unwrap();
    for i in 0..2 {
        std::fs::write(
            two.join(format!("f{i}.yaml")),
            alias_heavy(&format!("two-{i}"), 7),
        )
        .unwrap();
    }
    let path = two.to_str().unwrap();
    let out = oamc(&["validate", path, "--max-input-mib", "32"], None);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let out = oamc(&["validate", path, "--max-input-mib", "128"], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

/// Custom templates that build strings without end: a `join` of sixty
/// 100 MB strings (6 GB asked for), and a macro doubling a string forty
/// times. Both fail with the template named, within a 1 GiB address space.
#[test]
fn a_template_cannot_build_unbounded_strings() {
    let dir = setup("template-bomb");
    let templates = dir.join("templates");
    std::fs::create_dir_all(&templates).unwrap();
    let builtin =
        std::fs::read_to_string(root().join("templates/poddisruptionbudget.yaml")).unwrap();
    let bin = env!("CARGO_BIN_EXE_oamc");
    for bomb in [
        r#"{% set s = ("x"*100)|replace("x","x"*100)|replace("x","x"*100)|replace("x","x"*100) %}{{ ([s]*60)|join|length }}"#,
        r#"{% macro d(s, n) %}{% if n %}{{ d(s ~ s, n - 1) }}{% else %}{{ s|length }}{% endif %}{% endmacro %}{{ d("x", 40) }}"#,
        r#"{{ (["x"*1000000]*200)|join("y")|length }}"#,
    ] {
        std::fs::write(
            templates.join("poddisruptionbudget.yaml"),
            format!("{bomb}\n{builtin}"),
        )
        .unwrap();
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "ulimit -v 1048576; exec {bin} render {} --templates {}",
                dir.join("repo/app.yaml").display(),
                templates.display()
            ))
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{bomb}: {stderr}");
        assert!(out.stdout.is_empty());
        assert!(stderr.contains("poddisruptionbudget.yaml"), "{stderr}");
        assert!(
            stderr.contains("fuel") || stderr.contains("more than"),
            "{stderr}"
        );
    }
}

/// A stage folder named with a line break and a workflow command cannot
/// split the index or start a line of output with `::`.
#[test]
fn a_stage_folder_name_cannot_forge_lines() {
    let dir = setup("stage-name");
    let stage = dir.join("repo/deployment/dev\n::warning file=x::pwned");
    std::fs::create_dir_all(&stage).unwrap();
    std::fs::copy(root().join(APP), stage.join("application.yaml")).unwrap();
    std::fs::remove_file(dir.join("repo/app.yaml")).unwrap();
    for (check, format) in [(false, "human"), (false, "github"), (true, "human")] {
        let repo = dir.join("repo");
        let out_dir = dir.join("out");
        let mut args = vec![
            "render",
            repo.to_str().unwrap(),
            "-o",
            out_dir.to_str().unwrap(),
            "--format",
            format,
        ];
        if check {
            args.push("--check");
        }
        let out = oamc(&args, None);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
        for stream in [text(&out.stdout), text(&out.stderr)] {
            assert!(
                !stream.lines().any(|l| l.starts_with("::warning")),
                "{stream}"
            );
        }
        assert!(
            text(&out.stderr).contains("stage folder"),
            "{}",
            text(&out.stderr)
        );
        assert!(
            !dir.join("out/.oamc-rendered").exists()
                || !std::fs::read_to_string(dir.join("out/.oamc-rendered"))
                    .unwrap()
                    .contains("::")
        );
    }
}

/// A directory given on the command line is read through a capability too:
/// a link in it that leads out is refused, not followed.
#[test]
fn a_link_out_of_an_input_directory_is_refused() {
    let dir = setup("input-link");
    std::fs::write(
        dir.join("outside/secret.yaml"),
        "apiVersion: v1\nkind: Secret\nmetadata: {name: stolen}\n",
    )
    .unwrap();
    symlink(
        dir.join("outside/secret.yaml"),
        dir.join("repo/linked.yaml"),
    )
    .unwrap();
    let out = oamc(&["render", dir.join("repo").to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty());
    assert!(
        text(&out.stderr).contains("led outside"),
        "{}",
        text(&out.stderr)
    );
}

/// A file past the budget does not hide the problems of the files read
/// within it: every problem of the run is reported.
#[test]
fn past_the_budget_the_files_read_within_it_are_still_checked() {
    let dir = setup("budget-partial");
    let tree = dir.join("tree");
    std::fs::create_dir_all(&tree).unwrap();
    std::fs::copy(
        root().join("fixtures/invalid/image.yaml"),
        tree.join("a-bad-image.yaml"),
    )
    .unwrap();
    std::fs::write(tree.join("z-bomb.yaml"), alias_heavy("bomb", 7)).unwrap();
    let out = oamc(
        &["validate", tree.to_str().unwrap(), "--max-input-mib", "8"],
        None,
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("oamc::input::budget"), "{stderr}");
    assert!(stderr.contains("1 of 2 files read within it"), "{stderr}");
    assert!(stderr.contains("oamc::image::invalid"), "{stderr}");
}

/// One component written as a single flow mapping of 4,000 unknown keys (a
/// 60 KB line): the report lists at most 100 problems of the file, each
/// without repeating the whole line, and counts the rest in one closing
/// diagnostic. The output stays small, in every format.
#[test]
fn a_file_of_thousands_of_problems_gets_a_bounded_report() {
    let dir = setup("many-problems");
    let keys: Vec<String> = (0..4000).map(|i| format!("k{i}: 1")).collect();
    let app = format!(
        "apiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata:\n  name: shop\nspec:\n  components:\n    - name: web\n      type: appmod-service\n      properties: {{image: \"nginx:1.27\", image_name: web, {}}}\n",
        keys.join(", ")
    );
    let file = dir.join("many.yaml");
    std::fs::write(&file, &app).unwrap();
    let path = file.to_str().unwrap();
    for format in ["human", "json", "github", "sarif", "junit"] {
        let out = oamc(&["validate", "--format", format, path], None);
        assert_eq!(out.status.code(), Some(1), "{format}");
        let report = format!("{}{}", text(&out.stdout), text(&out.stderr));
        assert!(report.len() < 200_000, "{format}: {} bytes", report.len());
        assert!(
            report.contains("report::truncated") || report.contains("report%3A%3Atruncated"),
            "{format}"
        );
        assert!(
            report.contains("3900 more problem(s) in 1 file(s)"),
            "{format}"
        );
    }
    let out = oamc(&["validate", "--format", "json", path], None);
    assert_eq!(text(&out.stdout).lines().count(), 101);
}

/// The lock file an earlier version left in OUT is removed; planted as a link
/// to a file outside, the link is removed and the file it names is kept.
#[test]
fn a_legacy_lock_planted_as_a_link_removes_only_the_link() {
    let dir = setup("legacy-lock");
    assert!(render_to(&dir, false).status.success());
    let victim = dir.join("outside/victim.txt");
    std::fs::write(&victim, "keep me\n").unwrap();
    let lock = dir.join("out/.oamc-rendered.lock");
    symlink(&victim, &lock).unwrap();
    let out = render_to(&dir, false);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        std::fs::symlink_metadata(&lock).is_err(),
        "the link is gone"
    );
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me\n");
}

/// 700 sparse files of 4 MB each (Git packs them to nearly nothing): each
/// file's size is charged to the run's budget from its metadata before it
/// is read, so the run stops at the 17th, under a 1 GiB address-space limit
/// (it read all 2.8 GB first before).
#[test]
fn sparse_files_are_charged_before_they_are_read() {
    let dir = setup("sparse");
    let many = dir.join("many");
    std::fs::create_dir_all(&many).unwrap();
    std::fs::copy(root().join(APP), many.join("a-app.yaml")).unwrap();
    for i in 0..700 {
        let f = std::fs::File::create(many.join(format!("f{i:03}.yaml"))).unwrap();
        f.set_len(4_000_000).unwrap();
    }
    for command in ["validate .", "render .", "cmp generate"] {
        let out = under_1_gib(&many, command);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{command}: {stderr}");
        assert!(out.stdout.is_empty(), "{command}");
        assert!(
            stderr.contains("oamc::input::budget"),
            "{command}: {stderr}"
        );
        assert!(
            stderr.contains("would take the run past its input budget of 64 MiB"),
            "{command}: {stderr}"
        );
        assert!(
            stderr.contains("(17 read within it)"),
            "{command}: {stderr}"
        );
    }
}

/// Argo CD merges `.argocd-source.yaml` into the plugin's parameters, so a
/// repository could set any parameter: the input budget is not one. Given as
/// a parameter (either form) it fails the sync; the sidecar's own
/// environment sets it, and thirty alias-heavy files are refused at the
/// default budget under a 1 GiB address-space limit.
#[test]
fn a_repository_cannot_raise_its_own_budget() {
    let dir = setup("raise-budget");
    let repo = dir.join("repo");
    let limit = Duration::from_secs(60);
    for env in [
        vec![(
            "ARGOCD_APP_PARAMETERS",
            r#"[{"name":"max-input-mib","string":"65536"}]"#,
        )],
        vec![("PARAM_MAX_INPUT_MIB", "65536")],
    ] {
        let (code, stdout, stderr, _) = run_bounded(&repo, &["cmp", "generate"], &env, limit);
        assert_eq!(code, Some(1), "{stderr}");
        assert!(stdout.is_empty());
        assert!(
            stderr.contains("safety limit the operator sets")
                && stderr.contains("OAMC_MAX_INPUT_MIB"),
            "{stderr}"
        );
    }
    for i in 0..30 {
        std::fs::write(
            repo.join(format!("f{i:02}.yaml")),
            alias_heavy(&format!("shop-{i}"), 15),
        )
        .unwrap();
    }
    let out = under_1_gib(&repo, "cmp generate");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(out.stdout.is_empty());
    assert!(stderr.contains("oamc::input::budget"), "{stderr}");
    // The operator's variable is read, by the plugin and the CLI alike.
    // Three files of a 1 MB string written once and aliased twice: 9 MB in
    // all once expanded, each rendering within the per-document limit.
    for i in 0..30 {
        std::fs::remove_file(repo.join(format!("f{i:02}.yaml"))).unwrap();
    }
    for i in 0..3 {
        let big = "x".repeat(1_000_000);
        std::fs::write(
            repo.join(format!("f{i}.yaml")),
            format!(
                "apiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata: {{name: shop-{i}, namespace: ns-{i}}}\nspec:\n  components:\n    - name: web\n      type: appmod-service\n      properties:\n        image: nginx:1.27\n        image_name: web\n        env:\n          - {{name: A, value: &s \"{big}\"}}\n          - {{name: B, value: *s}}\n          - {{name: C, value: *s}}\n"
            ),
        )
        .unwrap();
    }
    std::fs::remove_file(repo.join("app.yaml")).unwrap();
    for (mib, code) in [("8", Some(1)), ("16", Some(0))] {
        let env = [("OAMC_MAX_INPUT_MIB", mib)];
        let (got, _, stderr, _) = run_bounded(&repo, &["cmp", "generate"], &env, limit);
        assert_eq!(got, code, "OAMC_MAX_INPUT_MIB={mib}: {stderr}");
        let (got, _, stderr, _) = run_bounded(&repo, &["validate", "."], &env, limit);
        assert_eq!(got, code, "validate, OAMC_MAX_INPUT_MIB={mib}: {stderr}");
    }
}

/// A custom template that spends most of its per-document fuel: ten
/// Applications render, forty exhaust the run's fuel (custom templates may
/// spend 20 documents' worth in all) and the run fails with the template
/// named, instead of running for minutes on a repository of 1,200.
#[test]
fn custom_templates_have_one_fuel_budget_per_run() {
    let dir = setup("run-fuel");
    let templates = dir.join("templates");
    std::fs::create_dir_all(&templates).unwrap();
    let builtin =
        std::fs::read_to_string(root().join("templates/poddisruptionbudget.yaml")).unwrap();
    std::fs::write(
        templates.join("poddisruptionbudget.yaml"),
        format!("{{% for i in range(400) %}}{{% for j in range(500) %}}{{% endfor %}}{{% endfor %}}\n{builtin}"),
    )
    .unwrap();
    let app = std::fs::read_to_string(root().join(APP)).unwrap();
    for (count, code) in [(10, Some(0)), (40, Some(1))] {
        let apps: Vec<String> = (0..count)
            .map(|i| {
                app.replace("name: rocket-shop", &format!("name: shop-{i}"))
                    .replace("namespace: shop", &format!("namespace: ns-{i}"))
            })
            .collect();
        let file = dir.join(format!("apps-{count}.yaml"));
        std::fs::write(&file, apps.join("\n---\n")).unwrap();
        let out = oamc(
            &[
                "render",
                file.to_str().unwrap(),
                "--templates",
                templates.to_str().unwrap(),
            ],
            None,
        );
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), code, "{count} Applications: {stderr}");
        if code == Some(1) {
            assert!(out.stdout.is_empty());
            assert!(stderr.contains("have spent its fuel"), "{stderr}");
            assert!(stderr.contains("poddisruptionbudget.yaml"), "{stderr}");
        }
    }
}

/// The output folder, or an input folder, committed as a link out of the
/// checkout: refused (nothing written or read through it) unless
/// `--allow-linked-folders` says the link is meant.
#[test]
fn a_linked_output_or_input_folder_is_refused() {
    let dir = setup("linked-folders");
    let outside = dir.join("outside");
    std::fs::write(outside.join("secret.yaml"), "keep: me\n").unwrap();
    symlink(&outside, dir.join("out")).unwrap();
    let repo = dir.join("repo");
    let out_dir = dir.join("out");
    let args = [
        "render",
        repo.to_str().unwrap(),
        "-o",
        out_dir.to_str().unwrap(),
    ];
    for check in [false, true] {
        let mut args = args.to_vec();
        if check {
            args.push("--check");
        }
        let out = oamc(&args, None);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
        assert!(stderr.contains("is under the symbolic link"), "{stderr}");
    }
    let mut entries: Vec<_> = std::fs::read_dir(&outside)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    entries.sort();
    assert_eq!(entries, ["secret.yaml"], "nothing written through the link");
    let mut meant = args.to_vec();
    meant.push("--allow-linked-folders");
    let out = oamc(&meant, None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(outside.join("rocket-shop").is_dir());

    // An input folder that is a link: not read.
    let linked_in = dir.join("linked-in");
    symlink(&repo, &linked_in).unwrap();
    for command in ["validate", "plan"] {
        let out = oamc(&[command, linked_in.to_str().unwrap()], None);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{command}: {stderr}");
        assert!(stderr.contains("the input folder"), "{stderr}");
        let out = oamc(
            &[
                command,
                linked_in.to_str().unwrap(),
                "--allow-linked-folders",
            ],
            None,
        );
        assert!(out.status.success(), "{command}: {}", text(&out.stderr));
    }
}

/// A hard link inside OUT to a file outside it: `--check` neither prints the
/// outside file's text nor passes; the run says which file it is.
#[test]
fn check_reads_no_hard_linked_file() {
    let dir = setup("hard-link");
    assert!(render_to(&dir, false).status.success());
    let victim = dir.join("outside/private.txt");
    std::fs::write(&victim, "PRIVATE KEY MATERIAL\n").unwrap();
    let target = dir.join("out/rocket-shop/rollout-rocket.yaml");
    std::fs::remove_file(&target).unwrap();
    std::fs::hard_link(&victim, &target).unwrap();
    let out = render_to(&dir, true);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!stdout.contains("PRIVATE") && !stderr.contains("PRIVATE"));
    assert!(stderr.contains("has 2 hard links"), "{stderr}");
}

/// Issue 45: an absolute `-o` under a link committed to a checkout, given
/// from a sibling folder (outside the current directory), is refused as it
/// is from inside: nothing is written where the link leads.
#[test]
fn an_absolute_output_under_a_committed_link_is_refused_from_a_sibling() {
    let dir = setup("abs-out-link");
    std::fs::create_dir_all(dir.join("repo/.git")).unwrap();
    std::fs::create_dir_all(dir.join("sibling")).unwrap();
    symlink(dir.join("outside"), dir.join("repo/deploy")).unwrap();
    let out_dir = dir.join("repo/deploy/rendered");
    let run = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_oamc"))
            .arg("render")
            .arg(dir.join("repo/app.yaml"))
            .arg("-o")
            .arg(&out_dir)
            .args(extra)
            .current_dir(dir.join("sibling"))
            .output()
            .unwrap()
    };
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("under the symbolic link"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        std::fs::read_dir(dir.join("outside"))
            .unwrap()
            .next()
            .is_none()
    );
    // The link is meant: the flag says so.
    let out = run(&["--allow-linked-folders"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(dir.join("outside/rendered/.oamc-rendered").is_file());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Files are read on several threads: a file nested as deep as the reader
/// allows, on whichever worker takes it, is an error at its line, never a
/// stack overflow (a worker had a spawned thread's 2 MiB stack: bug found
/// by `sarif_logs_pass_the_sarif_multitool` under load).
#[test]
fn deep_nesting_on_every_worker_is_refused_not_a_crash() {
    let dir = tempdir("oamc-deep-on-workers");
    let deep = std::fs::read_to_string(root().join("fixtures/invalid/deep-nesting.yaml")).unwrap();
    for i in 0..48 {
        std::fs::write(dir.join(format!("deep-{i:02}.yaml")), &deep).unwrap();
    }
    let out = oamc(&["validate", dir.to_str().unwrap()], None);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("overflow"), "{stderr}");
    assert!(stderr.matches("deep-").count() >= 48, "{stderr}");
}
