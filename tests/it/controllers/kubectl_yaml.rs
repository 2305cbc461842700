//! kubectl's YAML reader (sigs.k8s.io/yaml: go-yaml v2, `resolve.go`,
//! `resolve`), which Argo CD and KubeVela share: oamc's model
//! (`oamc::check::kubectl_yaml`) held to go-yaml's own decode tests, and a
//! scalar the two readers read apart refused at its line.

use crate::common::*;
use oamc::check::kubectl_yaml::{Read, resolve};
use serde_json::Value;

#[test]
fn plain_scalars_resolve_as_go_yaml_v2_decode_tests() {
    let v = super::data("go-yaml-v2.json");
    let rows = v["scalars"].as_array().unwrap();
    assert!(rows.len() > 25);
    for row in rows {
        let input = row["text"].as_str().unwrap();
        let got = resolve(input);
        let ok = if let Some(b) = row["bool"].as_bool() {
            got == Read::Bool(b)
        } else if let Some(n) = row["int"].as_str() {
            got == Read::Int(n.parse().unwrap())
        } else if row["null"] == true {
            got == Read::Null
        } else if row["str"] == true {
            got == Read::Str
        } else {
            let want = match &row["float"] {
                Value::String(s) if s == "nan" => f64::NAN,
                Value::String(s) if s == "inf" => f64::INFINITY,
                Value::String(s) if s == "-inf" => f64::NEG_INFINITY,
                n => n.as_f64().unwrap(),
            };
            matches!(got, Read::Float(f) if f == want || (f.is_nan() && want.is_nan()))
        };
        assert!(
            ok,
            "go-yaml reads {input:?} as {row}, oamc's model as {got:?}"
        );
    }
}

/// Spellings the two readers read apart are refused, each at its line,
/// on both passes of the checker (the fast reader hands them on).
#[test]
fn a_scalar_kubectl_reads_otherwise_is_refused_at_its_line() {
    let out = oamc(
        &[
            "validate",
            "--format",
            "json",
            "fixtures/invalid/yaml-readers.yaml",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let codes: Vec<String> = text(&out.stdout)
        .lines()
        .map(|l| {
            let d: Value = serde_json::from_str(l).unwrap();
            format!("{} {}", d["code"].as_str().unwrap(), d["line"])
        })
        .collect();
    assert!(
        codes
            .iter()
            .filter(|c| c.starts_with("oamc::yaml::readers-disagree"))
            .count()
            >= 2,
        "{codes:?}"
    );
    // A plain date is text to both: go-yaml v2 keeps an implicit timestamp
    // decoded into interface{} as its text (decode_test.go, "implicit
    // timestamp tag into interface"), and so does oamc's reader.
    let dated = std::fs::read_to_string(root().join("fixtures/render/no-gates/application.yaml"))
        .unwrap()
        .replacen(
            "image_name: web\n",
            "image_name: web\n        env:\n          - name: RELEASED\n            value: 2026-12-02\n",
            1,
        );
    assert!(dated.contains("2026-12-02"));
    let out = oamc(&["render", "-"], Some(&dated));
    assert!(out.status.success(), "{}", text(&out.stderr));
    // Written quoted: a YAML 1.1 reader decoding into a typed field would
    // otherwise be free to take it for a time.
    assert!(
        text(&out.stdout).contains("value: \"2026-12-02\""),
        "{}",
        text(&out.stdout)
    );
}
