//! Any code point in any user field: every output format stays well-formed
//! (YAML and JSON parse, the JUnit report is XML a strict parser reads, SARIF
//! passes Microsoft's SARIF Multitool and its URIs carry no scheme), no human-facing output holds a character the one
//! escape (`oamc::text::shown`) keeps out, and no line begins with `::`
//! unless oamc wrote that line as a GitHub workflow command itself.

use crate::common::*;
use oamc::diagnostic::{Format, SourceFile};
use oamc::plan_view::PlanFormat;
use proptest::prelude::*;
use serde_json::{Value, json};
use std::sync::Arc;

/// Strings made of what attacks use (line breaks, CR, ESC, C1, bidi and
/// zero-width characters, noncharacters, `::`, quotes, `%%{`) and of any
/// other code point.
fn hostile() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        any::<char>().prop_map(String::from),
        prop::sample::select(vec![
            "\n",
            "\r",
            "\r\n",
            "\u{1b}[31m",
            "\u{7}",
            "\u{7f}",
            "\u{85}",
            "\u{9b}",
            "\u{202e}",
            "\u{2066}",
            "\u{200b}",
            "\u{feff}",
            "\u{fffe}",
            "\u{ffff}",
            "\u{2028}",
            "::error ",
            "::",
            "  ::",
            "\u{a0}::",
            "##[add-mask]",
            "##",
            "[",
            "%%{init: {}}%%",
            "\"",
            "'",
            "<",
            "&",
            "`",
            "#",
            "%",
            "{{",
            "${{",
            "-",
            "a",
            "rocket",
            "/",
            " ",
            "\t",
        ])
        .prop_map(str::to_owned),
    ];
    prop::collection::vec(piece, 0..12).prop_map(|parts| parts.concat())
}

/// The spec's example with `text` in one field (or as a key, or in the
/// file's name).
fn app_with(field: usize, text: &str) -> Value {
    let mut app = json!({
        "apiVersion": "core.oam.dev/v1beta1",
        "kind": "Application",
        "metadata": {"name": "rocket-shop", "namespace": "shop"},
        "spec": {"components": [{
            "name": "rocket",
            "type": "appmod-service",
            "properties": {
                "image": "ghcr.io/acme/rocket:1.4.2",
                "image_name": "rocket",
                "port": 80,
                "targetPort": 8000,
                "appPath": "/",
                "env": [{"name": "A", "value": "x"}],
                "functionalGate": {"pause": "20s", "image": "httpd:alpine", "extraArgs": "red"},
                "performanceGate": {"pause": "10s", "image": "httpd:alpine", "extraArgs": "160"},
                "metrics": {"pause": "2s", "evaluationCriteria": [{
                    "interval": "1s", "count": 1, "function": "avg",
                    "successOrFailCondition": "fail",
                    "metric": "rocket_http_requests_duration_seconds_sum",
                    "comparisonType": ">", "threshold": 3
                }]},
                "webGate": {"url": "/status", "jsonPath": "{$.status}", "value": "ok",
                    "headers": [{"key": "Accept", "value": "application/json"}]}
            }
        }]}
    });
    let props = &mut app["spec"]["components"][0]["properties"];
    let text = Value::String(text.to_owned());
    match field {
        0 => app["metadata"]["name"] = text,
        1 => app["spec"]["components"][0]["name"] = text,
        2 => props["image"] = text,
        3 => props["image_name"] = text,
        4 => props["env"][0]["name"] = text,
        5 => props["env"][0]["value"] = text,
        6 => props["functionalGate"]["extraArgs"] = text,
        7 => props["appPath"] = text,
        8 => props["metrics"]["evaluationCriteria"][0]["metric"] = text,
        9 => props["functionalGate"]["pause"] = text,
        10 => app["metadata"]["namespace"] = text,
        11 => props["webGate"]["url"] = text,
        12 => props["webGate"]["jsonPath"] = text,
        13 => props["webGate"]["value"] = text,
        14 => props["webGate"]["headers"][0]["value"] = text,
        _ => {
            props
                .as_object_mut()
                .unwrap()
                .insert(text.as_str().unwrap().to_owned(), json!(1));
        }
    }
    app
}

/// Whether GitHub's runner reads `line` as a workflow command, written from
/// actions/runner `src/Runner.Common/ActionCommand.cs` (`TryParseV2`: after
/// `TrimStart()`, `::`; `TryParse`: `##[` anywhere), lines split at CR and
/// LF as its reader does; independent of `oamc::text::is_command_line`.
fn runner_reads_a_command(line: &str) -> bool {
    line.split(['\r', '\n'])
        .any(|l| l.trim_start_matches(char::is_whitespace).starts_with("::") || l.contains("##["))
}

/// A human-facing line: no escaped character (a tab is text), and no
/// workflow command.
fn assert_human(what: &str, out: &str) {
    for line in out.lines() {
        assert!(
            !runner_reads_a_command(line),
            "{what}: a line GitHub's runner reads as a command: {line:?}"
        );
        if let Some(c) = line
            .chars()
            .find(|c| *c != '\t' && oamc::text::is_escaped(*c))
        {
            panic!("{what}: U+{:04X} unescaped in {line:?}", u32::from(c));
        }
    }
    assert!(!out.contains('\r'), "{what}: a carriage return");
}

fn check_reports(file: &Arc<SourceFile>) {
    let validation = oamc::validate(std::slice::from_ref(file), &oamc::Options::default());
    let names = [file.name.clone()];
    for format in [
        Format::Human,
        Format::Json,
        Format::Github,
        Format::Sarif,
        Format::Junit,
    ] {
        let out = oamc::diagnostic::render_report(&validation.diagnostics, &names, format, false);
        match format {
            Format::Human => assert_human("human report", &out),
            Format::Json => {
                for line in out.lines() {
                    serde_json::from_str::<Value>(line).expect("a JSON line");
                    assert!(!runner_reads_a_command(line), "json: {line:?}");
                }
            }
            Format::Github => {
                for line in out.lines() {
                    assert!(
                        line.starts_with("::error file=") || line.starts_with("::warning file="),
                        "a line oamc did not write as a command: {line:?}"
                    );
                    // The runner parses such a line as this one command
                    // (`TryParseV2` first): a `##[` in the file name is data.
                }
                assert!(!out.contains('\r'));
            }
            Format::Sarif => {
                assert!(!out.lines().any(runner_reads_a_command), "sarif");
                let log: Value = serde_json::from_str(&out).expect("one SARIF document");
                for result in log["runs"][0]["results"].as_array().unwrap() {
                    let uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                        .as_str()
                        .unwrap();
                    let path = uri.strip_prefix("file://").unwrap_or(uri);
                    assert!(
                        path.bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b"-._~/%".contains(&b))
                            && (uri.starts_with("file:///") || !path.starts_with('/')),
                        "not an encoded relative reference or file URI: {uri:?}"
                    );
                }
            }
            Format::Junit => {
                roxmltree::Document::parse(&out)
                    .unwrap_or_else(|e| panic!("ill-formed JUnit XML ({e}):\n{out}"));
            }
        }
    }
    if validation.has_errors() {
        return;
    }
    let compiled = oamc::compile(std::slice::from_ref(file), &oamc::Options::default());
    if !compiled.has_errors() {
        let yaml = compiled.to_yaml();
        for line in yaml.lines() {
            assert!(!runner_reads_a_command(line), "render: {line:?}");
        }
        yaml_docs(&yaml);
    }
    let (plans, diagnostics) =
        oamc::plan_only(std::slice::from_ref(file), &oamc::Options::default());
    if diagnostics.iter().any(|d| d.is_error()) {
        return;
    }
    for format in [PlanFormat::Text, PlanFormat::Mermaid] {
        let out = oamc::plan_view::render(&plans, format).unwrap();
        assert_human("plan", &out);
        if format == PlanFormat::Mermaid {
            assert!(!out.contains("%%"), "a Mermaid directive: {out}");
        }
    }
    let json = oamc::plan_view::render(&plans, PlanFormat::Json).unwrap();
    serde_json::from_str::<Value>(&json).expect("the plan as JSON");
    assert!(!json.lines().any(runner_reads_a_command), "plan json");
    for format in [PlanFormat::Gantt, PlanFormat::Svg] {
        let out = oamc::plan_view::render(&plans, format).unwrap();
        for line in out.lines() {
            assert!(!runner_reads_a_command(line), "plan {format:?}: {line:?}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 384, .. ProptestConfig::default() })]

    #[test]
    fn any_text_in_any_field_keeps_every_output_well_formed(
        field in 0usize..16,
        text in hostile(),
        in_name in any::<bool>(),
    ) {
        let app = app_with(field, &text);
        let name = if in_name { format!("{text}.yaml") } else { "app.yaml".to_owned() };
        let file = Arc::new(SourceFile { name, text: app.to_string() });
        check_reports(&file);
    }
}

/// SARIF for hostile text passes Microsoft's SARIF Multitool: 256 generated
/// logs (any field, any file name), validated in one run of the tool.
#[test]
fn sarif_for_any_text_passes_the_sarif_multitool() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, TestRunner};
    let dir = tempdir("oamc-hostile-sarif");
    let mut runner = TestRunner::new(Config::default());
    let strategy = (0usize..16, hostile(), any::<bool>());
    const LOGS: usize = 256;
    for i in 0..LOGS {
        let (field, text, in_name) = strategy.new_tree(&mut runner).unwrap().current();
        let name = if in_name {
            format!("{text}.yaml")
        } else {
            "app.yaml".to_owned()
        };
        let file = Arc::new(SourceFile {
            name,
            text: app_with(field, &text).to_string(),
        });
        let validation = oamc::validate(std::slice::from_ref(&file), &oamc::Options::default());
        let names = [file.name.clone()];
        let log =
            oamc::diagnostic::render_report(&validation.diagnostics, &names, Format::Sarif, false);
        std::fs::write(dir.join(format!("{i}.sarif")), log).unwrap();
    }
    let findings = sarif_findings(&dir, LOGS);
    assert!(findings.is_empty(), "{findings:#?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The attacks of issue 26, one by one, each a field of its own.
#[test]
fn the_reported_forgeries_are_escaped() {
    for (field, text) in [
        (15, "x\r::error file=README.md,line=1::approved"),
        (3, "ro\u{1b}[31mcket"),
        (5, "x\n::error file=README.md::forged"),
        (0, "rocket\u{202e}-shop"),
        (6, "%%{init: {\"theme\": \"dark\"}}%%"),
        (6, "red\u{fffe}\u{ffff}"),
        // Issue 45: the runner trims leading white space before `::`, and
        // reads `##[` anywhere in a line.
        (5, "a\n::add-mask::Rollout\n::stop-commands::x"),
        (5, "a\n    ::add-mask::Rollout\n\t ::stop-commands::x"),
        (5, "x ##[add-mask]Service"),
        (15, "  ::error file=README.md::forged"),
        (13, "x\n::error file=README.md::forged"),
        (14, "x\r\n::add-mask::Rollout"),
        (0, "x\u{a0}::stop-commands::y"),
    ] {
        let file = Arc::new(SourceFile {
            name: format!("{text}.yaml"),
            text: app_with(field, text).to_string(),
        });
        check_reports(&file);
    }
    // Found by the validate fuzz target: the plain snippet escaped the text
    // before and after the caret apart, and `##` + `[` met again.
    let found = std::fs::read_to_string(
        root().join("fuzz/regressions/validate/legacy-command-split-by-caret.yaml"),
    )
    .unwrap();
    check_reports(&Arc::new(SourceFile {
        name: "app.yaml".into(),
        text: found,
    }));
    // Issue 45: a raw CR inside a quoted scalar (a line break to YAML), with
    // an error on the next line, and `##[` in the source near an error:
    // the snippet shows neither raw.
    for source in [
        "apiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata: {name: web}\nspec:\n  components:\n    - name: web\n      type: appmod-service\n      properties:\n        image_name: \"web\r::stop-commands::x\"\n        image: 7\n",
        "apiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata: {name: web}\nspec:\n  components:\n    - name: web\n      type: appmod-service\n      properties:\n        image_name: \"x ##[add-mask]Service\"\n        image: 7\n",
    ] {
        let file = Arc::new(SourceFile {
            name: "app.yaml".into(),
            text: source.to_owned(),
        });
        let validation = oamc::validate(std::slice::from_ref(&file), &oamc::Options::default());
        assert!(validation.has_errors());
        check_reports(&file);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    /// `oamc diff` between two folders, the head holding hostile text in
    /// one field: in every format (text, Markdown, JSON) and on stderr, no
    /// line GitHub's runner reads as a command (issue 45).
    #[test]
    fn diff_prints_no_runner_command_for_any_text(field in 0usize..16, text in hostile()) {
        let dir = tempdir("oamc-hostile-diff");
        std::fs::create_dir_all(dir.join("old")).unwrap();
        std::fs::create_dir_all(dir.join("new")).unwrap();
        std::fs::write(dir.join("old/app.yaml"), app_with(field, "x").to_string()).unwrap();
        std::fs::write(dir.join("new/app.yaml"), app_with(field, &text).to_string()).unwrap();
        for format in ["text", "markdown", "json"] {
            let out = std::process::Command::new(env!("CARGO_BIN_EXE_oamc"))
                .args(["diff", "old", "new", "--format", format])
                .current_dir(&dir)
                .env("NO_COLOR", "1")
                .output()
                .unwrap();
            for line in String::from_utf8_lossy(&out.stdout)
                .lines()
                .chain(String::from_utf8_lossy(&out.stderr).lines())
            {
                prop_assert!(!runner_reads_a_command(line), "{format}: {line:?}");
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
