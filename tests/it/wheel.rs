//! The Python wheel that carries the binary (pyproject.toml, maturin with
//! `bindings = "bin"`), built from this repository once by scripts/dist.sh
//! and installed as a user would: into a fresh virtual environment with pip,
//! and as the fast pre-commit hook (pre-commit-mirror/, `language: python`)
//! by the real pre-commit, with pip finding the local wheel
//! (`PIP_FIND_LINKS`) where a release would find it on PyPI. Nothing here is
//! skipped: maturin and pre-commit are required (scripts/test.sh installs
//! them).

use crate::common::*;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Instant;

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}\n{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    out
}

fn git(dir: &Path, args: &[&str]) {
    run(Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@t")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@t"));
}

#[test]
fn the_hook_mirror_pins_this_version() {
    let pyproject =
        std::fs::read_to_string(root().join("pre-commit-mirror/pyproject.toml")).unwrap();
    let version = env!("CARGO_PKG_VERSION");
    assert!(
        pyproject.contains(&format!("version = \"{version}\"")),
        "{pyproject}"
    );
    assert!(
        pyproject.contains(&format!("\"oamc-cli=={version}\"")),
        "{pyproject}"
    );
}

#[test]
#[ignore = "release artefact: run by scripts/dist.sh"]
fn the_wheel_installs_the_binary_and_the_python_hook_uses_it() {
    let work = std::env::temp_dir().join(format!("oamc-wheel-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).unwrap();
    // The wheel maturin built from this repository (scripts/dist.sh, as the
    // release workflow builds it).
    let wheels = dist("wheels");
    let wheel = std::fs::read_dir(&wheels)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "whl"))
        .expect("a .whl");
    let name = wheel.file_name().unwrap().to_str().unwrap().to_owned();
    assert!(
        name.starts_with(&format!("oamc_cli-{}-", env!("CARGO_PKG_VERSION"))),
        "{name}"
    );
    // The binary is a script of the wheel: pip puts it on PATH.
    let listing = run(Command::new("python3").args([
        "-c",
        "import sys, zipfile; print('\\n'.join(zipfile.ZipFile(sys.argv[1]).namelist()))",
        wheel.to_str().unwrap(),
    ]));
    let script = format!("oamc_cli-{}.data/scripts/oamc", env!("CARGO_PKG_VERSION"));
    assert!(
        text(&listing.stdout).lines().any(|l| l == script),
        "{}",
        text(&listing.stdout)
    );
    // It carries the released static binary itself, not another build.
    let carried = run(Command::new("python3").args([
        "-c",
        "import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))",
        wheel.to_str().unwrap(),
        &script,
    ]));
    assert!(
        carried.stdout == std::fs::read(dist("oamc")).unwrap(),
        "the wheel's {script} is not scripts/build-static.sh's binary"
    );

    // Tagged for glibc and musl alike: the binary is static.
    let arch = std::env::consts::ARCH;
    assert!(
        name.contains(&format!("manylinux_2_5_{arch}"))
            && name.contains(&format!("musllinux_1_1_{arch}")),
        "{name}"
    );

    // pip install into a fresh virtual environment, from the wheel alone.
    let venv = work.join("venv");
    run(Command::new("python3").args(["-m", "venv"]).arg(&venv));
    // pip on a musl Linux (Alpine) takes it: its tags are the ones pip
    // asks for there.
    run(Command::new(venv.join("bin/pip"))
        .args([
            "install",
            "--quiet",
            "--dry-run",
            "--no-index",
            "--only-binary=:all:",
        ])
        .args(["--platform", &format!("musllinux_1_1_{arch}"), "--target"])
        .arg(work.join("musl-target"))
        .arg("--find-links")
        .arg(&wheels)
        .arg("oamc-cli"));
    // And it runs there: in a root holding nothing but the binary and an
    // Application (no libc, no loader, no /etc), it renders.
    let bare = work.join("bare-root");
    std::fs::create_dir_all(&bare).unwrap();
    std::fs::write(bare.join("oamc"), &carried.stdout).unwrap();
    std::fs::set_permissions(
        bare.join("oamc"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    std::fs::copy(
        root().join("fixtures/render/spec-gates/application.yaml"),
        bare.join("app.yaml"),
    )
    .unwrap();
    let as_root = text(&run(Command::new("id").arg("-u")).stdout).trim() == "0";
    let mut chroot = if as_root {
        Command::new("chroot")
    } else {
        let mut c = Command::new("unshare");
        c.args(["--map-root-user", "chroot"]);
        c
    };
    let out = run(chroot.arg(&bare).args(["/oamc", "render", "/app.yaml"]));
    assert!(text(&out.stdout).contains("kind: Rollout"));
    run(Command::new(venv.join("bin/pip"))
        .args(["install", "--quiet", "--no-index", "--find-links"])
        .arg(&wheels)
        .arg("oamc-cli"));
    let out = run(Command::new(venv.join("bin/oamc")).arg("--version"));
    assert!(text(&out.stdout).starts_with(&format!("oamc {}", env!("CARGO_PKG_VERSION"))));
    let out = run(Command::new(venv.join("bin/oamc"))
        .args([
            "validate",
            "--quiet",
            "fixtures/render/spec-gates/application.yaml",
        ])
        .current_dir(root()));
    assert!(out.stdout.is_empty() && out.stderr.is_empty());

    // The python hook, from a copy of pre-commit-mirror/ as its own repository.
    let mirror = work.join("oamc-pre-commit");
    std::fs::create_dir_all(&mirror).unwrap();
    for file in [".pre-commit-hooks.yaml", "pyproject.toml", "README.md"] {
        std::fs::copy(
            root().join("pre-commit-mirror").join(file),
            mirror.join(file),
        )
        .unwrap();
    }
    git(&mirror, &["init", "-q"]);
    git(&mirror, &["add", "."]);
    git(&mirror, &["commit", "-qm", "mirror"]);
    let project = work.join("project");
    std::fs::create_dir_all(&project).unwrap();
    git(&project, &["init", "-q"]);
    let good = std::fs::read_to_string(root().join("fixtures/render/spec-gates/application.yaml"))
        .unwrap();
    std::fs::write(project.join("good.yaml"), &good).unwrap();
    std::fs::write(
        project.join("bad.yaml"),
        good.replace("pause: \"20s\"", "pause: \"20 s\""),
    )
    .unwrap();
    git(&project, &["add", "."]);
    let try_repo = |files: &[&str]| {
        Command::new("pre-commit")
            .args(["try-repo"])
            .arg(&mirror)
            .args(["oamc-validate", "--files"])
            .args(files)
            .current_dir(&project)
            .env("PRE_COMMIT_HOME", work.join("pre-commit-home"))
            .env("PIP_FIND_LINKS", &wheels)
            .env("NO_COLOR", "1")
            .output()
            .expect("pre-commit is installed (`python3 -m pip install pre-commit`; .ci/run does)")
    };
    let started = Instant::now();
    let out = try_repo(&["good.yaml"]);
    eprintln!("python hook installed and run in {:.1?}", started.elapsed());
    assert!(
        out.status.success(),
        "{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let out = try_repo(&["bad.yaml"]);
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(!out.status.success(), "{all}");
    assert!(all.contains("bad.yaml:17:18"), "{all}");
    // The hook ran the wheel's binary: no cargo build in its environment.
    let envs = std::fs::read_dir(work.join("pre-commit-home")).unwrap();
    assert!(envs.count() > 0);
    let _ = std::fs::remove_dir_all(&work);
}
