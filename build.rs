//! Build-time facts for `oamc --version`: the commit (`OAMC_COMMIT` from the
//! environment, e.g. a release workflow, else `git`, else "unknown") and the
//! Argo Rollouts, Kargo and Argo CD versions, read from the vendored CRD folders so the
//! version line cannot drift from what the tests validate against.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=OAMC_COMMIT");
    println!("cargo:rerun-if-changed=crds");
    // Only paths that exist: a missing one would rerun this script every build.
    for git in [".git/HEAD", ".git/refs/heads", ".git/packed-refs"] {
        if std::path::Path::new(git).exists() {
            println!("cargo:rerun-if-changed={git}");
        }
    }
    let commit = std::env::var("OAMC_COMMIT")
        .ok()
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| {
            Command::new("git")
                .args(["rev-parse", "--short=12", "HEAD"])
                .output()
                .ok()
                .filter(|o| o.status.success())
                .and_then(|o| String::from_utf8(o.stdout).ok())
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "unknown".into())
        });
    println!("cargo:rustc-env=OAMC_COMMIT={commit}");
    for (prefix, var) in [
        ("argo-rollouts-", "OAMC_ARGO_ROLLOUTS"),
        ("kargo-", "OAMC_KARGO"),
        ("argo-cd-", "OAMC_ARGO_CD"),
    ] {
        let version = std::fs::read_dir("crds")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                e.file_name()
                    .to_str()?
                    .strip_prefix(prefix)
                    .map(str::to_owned)
            })
            .max()
            .unwrap_or_else(|| panic!("crds/{prefix}<version> is missing"));
        println!("cargo:rustc-env={var}={version}");
    }
}
