//! Property tests: for arbitrary valid Applications — any text in env values
//! and gate text, any path, names within their limits — the output parses,
//! every document is accepted by its schema and by the API server's checks
//! (`api_server`), rendering is deterministic, and
//! no string changes which documents and keys come out.

use crate::common::*;
use proptest::prelude::*;
use serde_json::{Value, json};
use std::sync::OnceLock;

fn crds() -> &'static Crds {
    static CRDS: OnceLock<Crds> = OnceLock::new();
    CRDS.get_or_init(Crds::load)
}

fn compile(app: &Value) -> Result<String, String> {
    compile_source("prop.yaml", &app.to_string())
}

fn app(name: &str, values: &[String], expected: &str, app_path: &str, strategy: &str) -> Value {
    let env: Vec<Value> = values
        .iter()
        .enumerate()
        .map(|(i, v)| json!({"name": format!("V{i}"), "value": v}))
        .collect();
    json!({
        "apiVersion": "core.oam.dev/v1beta1",
        "kind": "Application",
        "metadata": {"name": name},
        "spec": {"components": [{
            "name": name,
            "type": "appmod-service",
            "properties": {
                "image": "ghcr.io/acme/app:1.0.0",
                "image_name": "app",
                "appPath": app_path,
                "strategy": strategy,
                "env": env,
                "functionalGate": {"pause": "10s", "image": "httpd:alpine", "extraArgs": expected},
                "performanceGate": {"pause": "10s", "image": "httpd:alpine", "extraArgs": "150"},
                "metrics": {"evaluationCriteria": [{"metric": "http_requests_total", "function": "sum", "threshold": 1}]}
            }
        }]}
    })
}

fn text_without_braces() -> impl Strategy<Value = String> {
    // One pass leaves `{{` in `{{{` (it becomes `{ {{`); repeat until none is left.
    any::<String>().prop_map(|mut s| {
        while s.contains("{{") {
            s = s.replace("{{", "{ {");
        }
        s
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    #[test]
    fn any_valid_application_renders_to_accepted_deterministic_output(
        name in "[a-z][a-z0-9-]{0,40}[a-z0-9]",
        values in proptest::collection::vec(any::<String>(), 0..4),
        expected in text_without_braces(),
        app_path in "/[A-Za-z0-9._~!$&'()*+,;=:@%/-]{0,40}",
        strategy in prop_oneof![Just("canary"), Just("blueGreen"), Just("abTest")],
    ) {
        let input = app(&name, &values, &expected, &app_path, strategy);
        let out = compile(&input).map_err(TestCaseError::fail)?;
        prop_assert_eq!(&compile(&input).unwrap(), &out, "deterministic");
        let docs = oamc::dom::parse_values(&out).map_err(|e| TestCaseError::fail(e.message))?;
        let fast = oamc::readback::read_documents(&out).ok();
        prop_assert_eq!(fast.as_ref(), Some(&docs), "readers agree");
        for doc in &docs {
            if let Some(errors) = crds().errors(doc) {
                prop_assert!(errors.is_empty(), "{} rejected: {:?}", doc["kind"], errors);
            }
            let refused = crate::api_server::refusals(doc);
            prop_assert!(refused.is_empty(), "the API server refuses: {:?}", refused);
        }
        // The strings come out as themselves …
        let rollout = docs.iter().find(|d| d["kind"] == "Rollout").unwrap();
        let env = rollout.pointer("/spec/template/spec/containers/0/env").and_then(Value::as_array).cloned().unwrap_or_default();
        let got: Vec<&str> = env.iter().map(|e| e["value"].as_str().unwrap()).collect();
        let want: Vec<&str> = values.iter().map(String::as_str).collect();
        prop_assert_eq!(got, want);
        // … and change nothing else.
        let plain = app(&name, &vec!["x".to_owned(); values.len()], "x", "/x", strategy);
        let plain_docs = oamc::dom::parse_values(&compile(&plain).unwrap()).unwrap();
        prop_assert_eq!(shape(&docs), shape(&plain_docs));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

    /// The fast reader answers only as serde-saphyr would, through either of
    /// the ways oamc uses serde-saphyr.
    #[test]
    fn readback_agrees_with_serde_saphyr(
        scalars in proptest::collection::vec("[-+.0-9a-zA-Z_ ~:#'\"]{0,12}", 1..6),
        flow in any::<bool>(),
    ) {
        let text = if flow {
            format!("k: [{}]\n", scalars.join(", "))
        } else {
            scalars.iter().enumerate().map(|(i, s)| format!("k{i}: {s}\n{s}: v{i}\n")).collect()
        };
        if let Some(fast) = oamc::readback::read_plain_subset(&text) {
            let plain = oamc::dom::parse_values(&text).ok();
            prop_assert_eq!(Some(&fast), plain.as_ref(), "{:?}", text);
            // Input is checked from these values when it is valid and from the
            // spanned tree when it is not: the two must be the same values.
            let spanned = oamc::dom::parse_stream(&text)
                .ok()
                .map(|docs| docs.iter().map(oamc::dom::Node::to_json).collect::<Vec<_>>());
            prop_assert_eq!(Some(&fast), spanned.as_ref(), "{:?}", text);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

    /// The line reader, on what templates write: any string as JSON (every
    /// escape serde_json writes), in flow collections, single-quoted and as
    /// literal blocks, reads as serde-saphyr reads it whenever it answers,
    /// and it answers for every JSON string.
    #[test]
    fn line_reader_agrees_with_serde_saphyr(
        strings in proptest::collection::vec("(?s).{0,16}", 1..5),
        lines in proptest::collection::vec("[ a-z#:|'\"-]{0,10}", 1..5),
        strip in any::<bool>(),
    ) {
        let json: Vec<String> = strings.iter().map(|s| serde_json::to_string(s).unwrap()).collect();
        let mut text = String::new();
        for (i, s) in json.iter().enumerate() {
            text.push_str(&format!("k{i}: {s}\nl{i}:\n- {s}\n- {{\"x\":{s},\"y\":[{s}, 1]}}\n"));
        }
        let quoted: Vec<String> = strings.iter().map(|s| format!("'{}'", s.replace('\'', "''"))).collect();
        for (i, s) in quoted.iter().enumerate() {
            text.push_str(&format!("q{i}: {s}\n"));
        }
        text.push_str(if strip { "b: |-\n" } else { "b: |\n" });
        for line in &lines {
            text.push_str(&format!("  {line}\n"));
        }
        let block = oamc::readback::read_block_subset(&text);
        if let Some(fast) = &block {
            let plain = oamc::dom::parse_values(&text).ok();
            prop_assert_eq!(Some(&vec![fast.clone()]), plain.as_ref(), "{:?}", text);
        }
        // Every JSON string is in the shape: only the single-quoted and the
        // block lines may take it out.
        let json_only: String = json.iter().enumerate().map(|(i, s)| format!("k{i}: {s}\n")).collect();
        let read = oamc::readback::read_block_subset(&json_only);
        let printable = strings.iter().all(|s| s.chars().all(|c| !c.is_control() && !matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}') && !matches!(c, '\u{fffe}' | '\u{ffff}')));
        if printable {
            prop_assert!(read.is_some(), "{:?}", json_only);
        }
        if let Some(fast) = read {
            prop_assert_eq!(Some(vec![fast]), oamc::dom::parse_values(&json_only).ok(), "{:?}", json_only);
        }
    }
}

#[test]
fn every_limit_is_named_in_its_error() {
    let many_docs = "a: 1\n---\n".repeat(oamc::dom::limits::MAX_DOCUMENTS + 1);
    let err = oamc::dom::parse_stream(&many_docs).unwrap_err();
    assert!(err.message.contains("ocument"), "{}", err.message);

    let components: Vec<Value> = (0..=oamc::dom::limits::MAX_COMPONENTS)
        .map(|i| json!({"name": format!("c{i}"), "type": "dynamodb-table"}))
        .collect();
    let input = json!({"apiVersion": "core.oam.dev/v1beta1", "kind": "Application", "metadata": {"name": "a"}, "spec": {"components": components}});
    let err = compile(&input).unwrap_err();
    assert!(
        err.contains("oamc::yaml::limit") && err.contains("more than 200 components"),
        "{err}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    /// The YAML-mistake finder reads whatever a repository holds: any text
    /// (tabs, quotes, colons, multi-byte characters, any line breaks) at any
    /// line it is told, without a panic, and points inside the text.
    #[test]
    fn yaml_mistakes_never_panic_and_point_inside(
        text in "([ \t:'\"#\\-a-zé|>{}\\[\\]\\\\]{0,12}(\n|\r\n|\r)?){0,8}",
        line in 0u32..12,
    ) {
        if let Some(m) = oamc::check::yaml_mistakes::explain(&text, line) {
            let lines = text.lines().count() as u32;
            prop_assert!(m.line >= 1 && m.line <= lines.max(1), "{:?}", m);
            prop_assert!(m.col >= 1);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    /// `diff`'s narrowing of two descriptions holds any text: no panic, and
    /// two different descriptions stay different once narrowed.
    #[test]
    fn narrowed_descriptions_never_panic_and_stay_different(
        head in "([a-zé:; ]{0,6}(; |: | )){0,12}",
        x in "[a-z0-9;: ]{0,8}",
        y in "[a-z0-9;: ]{0,8}",
        tail in "((; |: | )[a-zé:; ]{0,6}){0,12}",
    ) {
        // A shared start and end around what changed, as a step's text has.
        let (before, after) = (format!("{head}{x}{tail}"), format!("{head}{y}{tail}"));
        let (b, a) = oamc::diff::show::narrowed(&before, &after);
        if before != after {
            prop_assert_ne!(b, a);
        }
    }
}
