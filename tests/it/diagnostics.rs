//! One fixture per rule: each file under `fixtures/invalid/` ends with the
//! diagnostics it must produce (`# expect: <code> <line>:<col>`), no more and
//! no fewer.

use crate::common::*;
use serde_json::Value;

fn expectations(text: &str) -> Vec<String> {
    let mut v: Vec<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# expect: "))
        .map(str::to_owned)
        .collect();
    v.sort();
    v
}

fn json_diagnostics(args: &[&str]) -> (Option<i32>, Vec<Value>) {
    let out = oamc(args, None);
    // A JSON report is validate's output: stdout, for `| jq`.
    let diags = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    (out.status.code(), diags)
}

/// `fixtures/invalid/*`, sorted.
fn invalid_fixtures() -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(root().join("fixtures/invalid"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

#[test]
fn every_invalid_fixture_reports_exactly_its_expected_diagnostics() {
    let files = invalid_fixtures();
    assert!(files.len() >= 15);
    for file in files {
        let source = std::fs::read_to_string(&file).unwrap();
        let expected = expectations(&source);
        assert!(
            !expected.is_empty(),
            "{} has no `# expect:` lines",
            file.display()
        );
        let (code, diags) =
            json_diagnostics(&["validate", "--format", "json", file.to_str().unwrap()]);
        let mut actual: Vec<String> = diags
            .iter()
            .map(|d| {
                format!(
                    "{} {}:{}",
                    d["code"].as_str().unwrap(),
                    d["line"],
                    d["column"]
                )
            })
            .collect();
        actual.sort();
        assert_eq!(actual, expected, "{}", file.display());
        let has_error = diags.iter().any(|d| d["severity"] == "error");
        assert_eq!(
            code,
            Some(if has_error { 1 } else { 0 }),
            "{}",
            file.display()
        );
        for d in &diags {
            assert_eq!(
                d["file"],
                file.to_str().unwrap(),
                "every diagnostic names its file"
            );
        }
    }
}

/// Each invalid fixture's whole human report — message, snippet, caret,
/// help, in order — is its snapshot (`tests/it/snapshots/invalid/`, as ruff
/// keeps one per rule), reviewed by eye when it changes; `OAMC_BLESS=1`
/// rewrites them.
#[test]
fn every_invalid_fixture_reports_as_its_snapshot() {
    let dir = root().join("tests/it/snapshots/invalid");
    std::fs::create_dir_all(&dir).unwrap();
    let mut names = Vec::new();
    for file in invalid_fixtures() {
        let name = file.file_name().unwrap().to_str().unwrap().to_owned();
        let path = format!("fixtures/invalid/{name}");
        let out = oamc(&["validate", &path], None);
        let report = format!("exit: {:?}\n{}", out.status.code(), text(&out.stderr));
        let stem = name.rsplit_once('.').map_or(name.as_str(), |(s, _)| s);
        assert_golden(&dir.join(format!("{stem}.txt")), &report);
        names.push(format!("{stem}.txt"));
    }
    // No snapshot outlives its fixture.
    let mut kept: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_str().unwrap().to_owned())
        .collect();
    kept.sort();
    names.sort();
    assert_eq!(kept, names, "a snapshot without its fixture");
}

/// `code line:col` of each diagnostic, read back from one output format.
fn places_in(format: &str, file: &str, stderr: &str) -> Vec<String> {
    let mut places = Vec::new();
    match format {
        // miette: the code on its own line, then `╭─[file:line:col]`.
        "human" => {
            let mut code = None;
            for line in stderr.lines() {
                let t = line.trim();
                if t.starts_with("oamc::") && !t.contains(' ') {
                    code = Some(t.to_owned());
                } else if let Some(rest) = t.split_once(&format!("[{file}:")).map(|(_, r)| r) {
                    let place = rest.trim_end_matches(']').to_owned();
                    places.push(format!(
                        "{} {place}",
                        code.take().expect("a code before its place")
                    ));
                }
            }
        }
        "github" => {
            // Workflow commands; other lines (the summary after success) are plain log.
            for line in stderr.lines().filter(|l| l.starts_with("::")) {
                let head = line.split("::").nth(1).expect("a workflow command");
                let field = |k: &str| {
                    head.split(',')
                        .find_map(|f| f.strip_prefix(k))
                        .unwrap_or_else(|| panic!("{k} in {line}"))
                        .to_owned()
                };
                let code = field("title=").replace("%3A", ":");
                places.push(format!("{code} {}:{}", field("line="), field("col=")));
            }
        }
        "sarif" => {
            let log: Value = serde_json::from_str(stderr).unwrap();
            for r in log["runs"][0]["results"].as_array().unwrap() {
                let region = &r["locations"][0]["physicalLocation"]["region"];
                places.push(format!(
                    "{} {}:{}",
                    r["ruleId"].as_str().unwrap(),
                    region["startLine"],
                    region["startColumn"]
                ));
            }
        }
        // `file:line:col: level[code]: message` in failures and system-out.
        "junit" => {
            for line in stderr.lines() {
                let Some((_, rest)) = line.split_once(&format!("{file}:")) else {
                    continue;
                };
                let (place, rest) = rest.split_once(": ").unwrap();
                let code = rest.split_once('[').unwrap().1.split_once(']').unwrap().0;
                places.push(format!("{code} {place}"));
            }
        }
        other => panic!("no reader for {other}"),
    }
    places.sort();
    places
}

/// The places the JSON format gives are the places every other format gives:
/// a syntax error shown at 1:1 in the terminal and at its line in JSON was a bug.
#[test]
fn every_invalid_fixture_reports_the_same_places_in_every_format() {
    let files = invalid_fixtures();
    for file in files {
        let name = file
            .strip_prefix(root())
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        let expected = expectations(&std::fs::read_to_string(&file).unwrap());
        for format in ["human", "github", "sarif", "junit"] {
            let out = oamc(&["validate", "--format", format, &name], None);
            let report = if matches!(format, "sarif" | "junit") {
                &out.stdout
            } else {
                &out.stderr
            };
            let places = places_in(format, &name, &text(report));
            assert_eq!(places, expected, "{name} in --format {format}");
        }
    }
}

#[test]
fn suggestions_name_what_was_meant() {
    let cases = [
        (
            "fixtures/invalid/unknown-property.yaml",
            "did you mean `functionalGate`?",
        ),
        (
            "fixtures/invalid/multi-error.yaml",
            "did you mean `replicas`?",
        ),
        ("fixtures/invalid/enums.yaml", "did you mean `>`?"),
        ("fixtures/invalid/env-number.yaml", "quote the value"),
        // A space, a spelt-out unit or no unit: the spelling that was meant.
        ("fixtures/invalid/duration.yaml", "write `20s`"),
        // A number where a pause goes: with its unit, or quoted (seconds to Argo).
        (
            "fixtures/invalid/duration.yaml",
            "write \"2s\", or \"2\" (Argo reads a bare number as seconds)",
        ),
        // A number that would reach the Job respelled: the quoted spelling.
        (
            "fixtures/invalid/number-as-text.yaml",
            "write \"2.10\" (quoted) to keep it as written",
        ),
        (
            "fixtures/invalid/misindented-gate.yaml",
            "if `image` belongs to `functionalGate` (line 13), indent it to column 11",
        ),
        ("fixtures/invalid/duplicate-key.yaml", "remove the other"),
    ];
    for (file, help) in cases {
        let (_, diags) = json_diagnostics(&["validate", "--format", "json", file]);
        assert!(
            diags
                .iter()
                .any(|d| d["help"].as_str().is_some_and(|h| h.contains(help))),
            "{file}: no help containing {help:?} in {diags:?}"
        );
    }
}

#[test]
fn all_problems_of_all_files_in_one_run() {
    let (code, diags) = json_diagnostics(&[
        "validate",
        "--format",
        "json",
        "fixtures/invalid/multi-error.yaml",
        "fixtures/invalid/ports.yaml",
    ]);
    assert_eq!(code, Some(1));
    let files: std::collections::BTreeSet<&str> =
        diags.iter().map(|d| d["file"].as_str().unwrap()).collect();
    assert_eq!(files.len(), 2);
    assert_eq!(diags.iter().filter(|d| d["severity"] == "error").count(), 9);
}

#[test]
fn human_reports_show_the_snippet_the_code_and_the_place() {
    let out = oamc(
        &["validate", "fixtures/invalid/unknown-property.yaml"],
        None,
    );
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("oamc::schema::unknown-property"),
        "{stderr}"
    );
    assert!(
        stderr.contains("[fixtures/invalid/unknown-property.yaml:13:9]"),
        "{stderr}"
    );
    assert!(
        stderr.contains("        funtionalGate:"),
        "the source line is shown: {stderr}"
    );
    assert!(
        !stderr.contains('\u{1b}'),
        "NO_COLOR and a non-terminal mean no colour codes"
    );
    assert!(stderr.ends_with("1 error(s), 0 warning(s)\n"));
}

#[test]
fn sarif_is_one_valid_log_for_the_run() {
    let out = oamc(
        &[
            "validate",
            "--format",
            "sarif",
            "fixtures/invalid/ports.yaml",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let log: Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    assert_eq!(log["version"], "2.1.0");
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    let region = &results[0]["locations"][0]["physicalLocation"]["region"];
    assert_eq!(
        (region["startLine"].as_u64(), region["startColumn"].as_u64()),
        (Some(13), Some(15))
    );
    assert_eq!(results[0]["ruleId"], "oamc::schema::range");
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let rule = &rules[results[0]["ruleIndex"].as_u64().unwrap() as usize];
    assert_eq!(rule["id"], "oamc::schema::range");
    // Each rule explains itself: its one-line meaning and where it is documented.
    for rule in rules {
        let code = oamc::diagnostic::Code::ALL
            .iter()
            .find(|c| c.as_str() == rule["id"])
            .expect("a known code");
        assert_eq!(rule["shortDescription"]["text"], code.summary());
        assert!(
            rule["helpUri"]
                .as_str()
                .is_some_and(|u| u.starts_with("https://") && u.ends_with("#diagnostic-codes"))
        );
    }
}

/// Every SARIF log oamc writes — one per invalid fixture, one for the whole
/// folder, one for a valid tree — passes Microsoft's SARIF Multitool (the
/// SARIF 2.1.0 schema and its rules) with no finding at all; a canary log
/// with a defect shows the validator is looking.
#[test]
fn sarif_logs_pass_the_sarif_multitool() {
    let dir = tempdir("oamc-sarif-multitool");
    let mut inputs: Vec<String> = std::fs::read_dir(root().join("fixtures/invalid"))
        .unwrap()
        .map(|e| e.unwrap().path().display().to_string())
        .collect();
    inputs.sort();
    assert!(inputs.len() > 30, "{inputs:?}");
    inputs.push("fixtures/invalid".into());
    inputs.push("examples".into());
    for (i, input) in inputs.iter().enumerate() {
        let out = oamc(&["validate", "--format", "sarif", input], None);
        assert!(matches!(out.status.code(), Some(0 | 1)), "{input}");
        std::fs::write(dir.join(format!("{i}.sarif")), &out.stdout).unwrap();
    }
    let mut canary: Value = serde_json::from_slice(
        &oamc(
            &[
                "validate",
                "--format",
                "sarif",
                "fixtures/invalid/ports.yaml",
            ],
            None,
        )
        .stdout,
    )
    .unwrap();
    canary["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        0.into();
    std::fs::write(dir.join("canary.sarif"), canary.to_string()).unwrap();
    let findings = sarif_findings(&dir, inputs.len() + 1);
    assert!(
        findings
            .iter()
            .any(|f| f.starts_with("canary.sarif: error JSON1008")),
        "the canary's defect was not found: {findings:#?}"
    );
    let ours: Vec<&String> = findings
        .iter()
        .filter(|f| !f.starts_with("canary.sarif:"))
        .collect();
    assert!(ours.is_empty(), "{ours:#?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn files_without_applications_pass_validation_silently() {
    let dir = std::env::temp_dir().join(format!("oamc-plain-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("kustomization.yaml");
    std::fs::write(
        &file,
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [a.yaml]\n",
    )
    .unwrap();
    let out = oamc(&["validate", "--quiet", file.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stderr.is_empty() && out.stdout.is_empty());
    let out = oamc(&["validate", file.to_str().unwrap()], None);
    assert_eq!(
        text(&out.stderr),
        "1 file, 0 Applications, 0 problems: nothing was checked (no OAM Application in the input)\n"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A Helm template (not YAML, no Application) passes, as README promises the
/// pre-commit hook does; broken YAML that names OAM's API group still fails.
#[test]
fn text_that_is_not_yaml_and_not_oam_passes() {
    let helm = "{{- if .Values.enabled }}\napiVersion: apps/v1\nkind: Deployment\n{{- end }}\n";
    let out = oamc(&["validate", "-"], Some(helm));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stderr),
        "1 file, 0 Applications, 0 problems: nothing was checked (no OAM Application in the input)\n"
    );
    let broken = format!("apiVersion: core.oam.dev/v1beta1\nkind: Application\n{helm}");
    let out = oamc(&["validate", "-"], Some(&broken));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("oamc::yaml::syntax"));
}

#[test]
fn hostile_inputs_are_refused_by_their_limits() {
    for (file, needle) in [
        ("fixtures/invalid/alias-replay.yaml", "alias replay limit"),
        ("fixtures/invalid/deep-nesting.yaml", "Depth"),
    ] {
        let (code, diags) = json_diagnostics(&["validate", "--format", "json", file]);
        assert_eq!(code, Some(1));
        assert_eq!(diags[0]["code"], "oamc::yaml::limit");
        assert!(
            diags[0]["message"].as_str().unwrap().contains(needle),
            "{diags:?}"
        );
    }
    let big = std::env::temp_dir().join(format!("oamc-big-{}.yaml", std::process::id()));
    let line = "# padding padding padding padding padding padding padding padding padding\n";
    std::fs::write(&big, line.repeat(5 * 1024 * 1024 / line.len())).unwrap();
    let (code, diags) = json_diagnostics(&["validate", "--format", "json", big.to_str().unwrap()]);
    assert_eq!(code, Some(1));
    assert_eq!(diags[0]["code"], "oamc::yaml::limit");
    assert!(
        diags[0]["message"]
            .as_str()
            .unwrap()
            .contains("larger than 4194304 bytes")
    );
    let _ = std::fs::remove_file(&big);
}

/// The common YAML mistakes, each named in the user's words with its fix and
/// the parser's own text kept as the label: one snapshot of every full
/// message (`fixtures/invalid/yaml-mistake-*.yaml`).
#[test]
fn yaml_mistakes_are_named_in_the_users_words() {
    let mut shown = String::new();
    let mut count = 0;
    for file in invalid_fixtures() {
        let name = file.file_name().unwrap().to_str().unwrap().to_owned();
        if !name.starts_with("yaml-mistake-") {
            continue;
        }
        count += 1;
        let path = format!("fixtures/invalid/{name}");
        let out = oamc(&["validate", &path], None);
        assert_eq!(out.status.code(), Some(1), "{name}");
        let stderr = text(&out.stderr);
        assert!(stderr.contains("help:"), "{name}: no help\n{stderr}");
        shown.push_str(&format!("==> {path}\n{stderr}\n"));
    }
    assert_eq!(count, 6, "every mistake has its fixture");
    assert_golden(&root().join("tests/it/snapshots/yaml-mistakes.txt"), &shown);
}
