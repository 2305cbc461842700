//! What an editor or CI sees with the committed schema alone: check-jsonschema
//! (the tool pre-commit users run, .ci/run installs it) with
//! `schemas/appmod-service.schema.json`. Every Application oamc renders
//! passes; every invalid fixture fails, except those whose rule JSON Schema
//! cannot state, each listed with the reason. A fixture on that list that the
//! schema starts refusing fails the test too, so the list stays true.

use crate::common::*;
use std::process::Command;

const NOT_IN_THE_SCHEMA: &[(&str, &str)] = &[
    (
        "web-gate-url.yaml",
        "a url that is a path or an absolute http(s) URL without credentials: a grammar the schema does not hold",
    ),
    (
        "web-gate-request.yaml",
        "a body only with POST or PUT is a relation between values; a header name's token grammar is not in the schema",
    ),
    (
        "web-gate-header-secret.yaml",
        "exactly one of value and valueFrom is a relation between properties; a Secret's name and key grammars are not in the schema",
    ),
    (
        "web-gate-json-path.yaml",
        "the JSONPath subset is a grammar the schema does not hold",
    ),
    (
        "web-gate-comparison.yaml",
        "an ordering comparison needs a number: a relation between comparisonType and value",
    ),
    (
        "promotion-pull-request.yaml",
        "which Git host repoURL names (Kargo's provider predicates) decides whether pullRequest needs gitProvider: a relation between values",
    ),
    (
        "promotion-pull-request-hosts.yaml",
        "which Git host repoURL names (Kargo's provider predicates) decides whether pullRequest needs gitProvider: a relation between values",
    ),
    (
        "promotion-git-provider-unused.yaml",
        "gitProvider needs a stage with pullRequest: a relation between values",
    ),
    (
        "alb-service-port.yaml",
        "two properties that must agree (alb.servicePort and port): a relation between values",
    ),
    (
        "control-characters.yaml",
        "any string anywhere: a pattern on every string would hide each property's own error",
    ),
    (
        "unknown-type-only.yaml",
        "which types something else renders is a setting (`--external-types`), not the file's",
    ),
    (
        "env-duplicate.yaml",
        "unique `name`s in a list of objects: `uniqueItems` compares whole items",
    ),
    (
        "gate-braces.yaml",
        "`extraArgs` is text or a number; the `{{` rule applies to its text only",
    ),
    (
        "hpa-target.yaml",
        "the form of `value` depends on its sibling `type` (not yet written as if/then)",
    ),
    (
        "number-as-text.yaml",
        "how a number is spelt in the source (`2.10`): JSON Schema sees only the number 2.1",
    ),
    (
        "probe-and-resources.yaml",
        "a probe passed through as Kubernetes' own object, and a path that must compile as a regular expression",
    ),
    (
        "api-server-refuses-more.yaml",
        "a resource's name against the others, a request against its limit, a quantity's sign and size, a path's segments: Kubernetes' rules between and within values, which a JSON Schema pattern does not hold",
    ),
    (
        "api-server-refuses.yaml",
        "quantities, a probe's port and an exec command are Kubernetes' own objects passed through, and the name's 63-character bound is that of the label value it becomes",
    ),
    (
        "kubevela-workflow.yaml",
        "a workflow and KubeVela's own policies are valid KubeVela: what refuses them is where oamc's output goes (Argo CD applies it at once), not their shape",
    ),
    (
        "nginx-backtracking.yaml",
        "whether a regular expression can backtrack catastrophically is a property of its parse tree, not of a pattern on its text",
    ),
    (
        "yaml-readers.yaml",
        "how two YAML readers read one plain scalar: a schema sees the value of the reader that ran it",
    ),
    (
        "yaml-keys.yaml",
        "how two YAML readers read one mapping key: a schema sees the keys of the reader that ran it",
    ),
    (
        "performance-threshold.yaml",
        "a positive number written as text, in every spelling of zero and infinity",
    ),
    (
        "promotion-cycle.yaml",
        "a cycle among stages: a relation between list items",
    ),
    (
        "promotion-stage-destinations.yaml",
        "stage names as keys and distinct destinations across stages: relations between entries",
    ),
    (
        "promotion-stages.yaml",
        "a relation between policies and components",
    ),
    (
        "replicas-overridden.yaml",
        "a warning, not an error: the manifest is valid, a trait decides what the property would",
    ),
    (
        "type-typos.yaml",
        "a type near a known one: other KubeVela types are legal, a near miss is not",
    ),
];

/// Parser limits, not schema rules: check-jsonschema's YAML reader expands
/// this bomb for minutes (oamc refuses it in microseconds: `oamc::input::budget`).
const NOT_FOR_A_SCHEMA_TOOL: &[&str] = &["yaml-bomb.yaml"];

fn check_jsonschema(files: &[String]) -> std::process::Output {
    Command::new("check-jsonschema")
        .arg("--schemafile")
        .arg(root().join("schemas/appmod-service.schema.json"))
        .args(files)
        .current_dir(root())
        .output()
        .expect("check-jsonschema is installed (`python3 -m pip install check-jsonschema`; .ci/run does)")
}

#[test]
fn every_rendered_application_passes_the_committed_schema() {
    let files: Vec<String> = cases("render")
        .iter()
        .map(|c| c.join("application.yaml").to_str().unwrap().to_owned())
        .collect();
    let out = check_jsonschema(&files);
    assert!(
        out.status.success(),
        "the schema refuses what oamc renders:\n{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

#[test]
fn invalid_fixtures_fail_the_committed_schema_where_it_can_say_why() {
    let mut files: Vec<_> = std::fs::read_dir(root().join("fixtures/invalid"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    files.retain(|f| !NOT_FOR_A_SCHEMA_TOOL.contains(&f.as_str()));
    for (name, _) in NOT_IN_THE_SCHEMA {
        assert!(files.iter().any(|f| f == name), "{name} is not a fixture");
    }
    let wrong: Vec<String> = std::thread::scope(|s| {
        let runs: Vec<_> = files
            .iter()
            .map(|f| {
                s.spawn(move || {
                    let out = check_jsonschema(&[format!("fixtures/invalid/{f}")]);
                    (f, out)
                })
            })
            .collect();
        runs.into_iter()
            .filter_map(|r| {
                let (f, out) = r.join().unwrap();
                let listed = NOT_IN_THE_SCHEMA.iter().any(|(n, _)| n == f);
                match (out.status.code(), listed) {
                    (Some(1), false) | (Some(0), true) => None,
                    (Some(0), false) => {
                        Some(format!("{f}: the schema accepts it; oamc refuses it"))
                    }
                    (Some(1), true) => Some(format!(
                        "{f}: the schema refuses it now; take it off NOT_IN_THE_SCHEMA"
                    )),
                    (code, _) => Some(format!(
                        "{f}: check-jsonschema exited {code:?}: {}",
                        text(&out.stderr)
                    )),
                }
            })
            .collect()
    });
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
