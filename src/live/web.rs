//! The web gate, as Argo Rollouts' web provider takes one reading
//! (argo-rollouts v1.9.1 `metricproviders/webmetric/webmetric.go`, `Run`
//! and `parseResponse`): the request the AnalysisTemplate holds, a status
//! outside 2xx is an Error, an answer that is not JSON is Successful
//! whatever the conditions, else the JSONPath's first value is judged by the
//! gate's `WebJudge`, the data its conditions were written from. One reading
//! is taken (the rollout takes `count`).

use super::http::{self, Outgoing};
use super::{GateResult, Target};
use crate::defs::gates::web::jsonpath::JsonPath;
use crate::defs::gates::web::{WebPhase, WebPlan};
use crate::plan::{Gate, Verdict};

/// What the provider reads out of one answer, before any condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Measured {
    /// An Error reading, with the provider's message.
    Error(String),
    /// Not JSON: the body is the value and the reading is Successful.
    Text(String),
    /// The JSONPath's first value.
    Found(serde_json::Value),
}

/// One answer as `Run` and `parseResponse` read it.
pub fn measure(path: &JsonPath, status: u16, body: &[u8]) -> Measured {
    if !(200..300).contains(&status) {
        return Measured::Error(format!("received non 2xx response code: {status}"));
    }
    let data: serde_json::Value = match serde_json::from_slice(body) {
        Ok(data) => data,
        // `json.Unmarshal` failed: the body is the value, and it passes.
        Err(_) => return Measured::Text(String::from_utf8_lossy(body).into_owned()),
    };
    match path.find(&data) {
        Err(why) => Measured::Error(format!("Could not find JSONPath in body: {why}")),
        Ok(found) => Measured::Found(found.clone()),
    }
}

/// What Argo Rollouts makes of one answer: its phase and the value it
/// records (`measurement.Value`: the JSON of the value found, or the text).
pub fn read_answer(web: &WebPlan, status: u16, body: &[u8]) -> (WebPhase, String) {
    match measure(&web.json_path, status, body) {
        Measured::Error(why) => (WebPhase::Error(why), String::new()),
        Measured::Text(text) => (WebPhase::Successful, text),
        // `getValue` records the value as `json.Marshal` writes it.
        Measured::Found(found) => (web.judge.phase(&found), go_json(&found)),
    }
}

/// A value as Go's `json.Marshal` writes what `encoding/json` decoded into
/// `any` (`encoding/json/encode.go`): object keys sorted, no spaces,
/// numbers as float64 (`floatEncoder`), `<`, `>`, `&`, U+2028 and U+2029
/// escaped (`HTMLEscape` is on by default).
pub fn go_json(v: &serde_json::Value) -> String {
    let mut out = String::new();
    write_go_json(v, &mut out);
    out
}

fn write_go_json(v: &serde_json::Value, out: &mut String) {
    use serde_json::Value;
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&go_float(n.as_f64().unwrap_or(f64::NAN))),
        Value::String(s) => go_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_go_json(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                go_string(k, out);
                out.push(':');
                write_go_json(&map[k], out);
            }
            out.push('}');
        }
    }
}

/// `floatEncoder`: the shortest text that reads back, fixed between 1e-6
/// and 1e21, else `1e+21` / `1e-7`.
fn go_float(f: f64) -> String {
    let abs = f.abs();
    if abs == 0.0 || (1e-6..1e21).contains(&abs) {
        return format!("{f}");
    }
    let e = format!("{f:e}");
    match e.split_once('e') {
        Some((mantissa, exp)) if !exp.starts_with('-') => format!("{mantissa}e+{exp:0>2}"),
        _ => e,
    }
}

fn go_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            // Go 1.22 and later (Argo Rollouts v1.9.1 is built with a later Go).
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `url`: where the request goes from here (the app's `--url` with the
/// path, or the gate's URL moved to `--web`).
/// `headers`: the template's, a Secret's value given on the command line.
pub fn run(web: &WebPlan, url: &str, headers: &[(String, String)], target: &Target) -> GateResult {
    let threshold = format!("{} {}", web.json_path.text, web.judge.summary());
    let result = |verdict, measured: String| GateResult {
        gate: Gate::Web,
        name: "web".into(),
        verdict,
        measured,
        value: None,
        threshold: threshold.clone(),
        target: format!("{} {url}", web.method.as_str()),
    };
    let out = Outgoing {
        method: web.method.as_str(),
        headers,
        body: web.body.as_deref(),
    };
    let answer = match http::send_following(target, &out, url) {
        Ok(a) => a,
        Err(why) => return result(Verdict::Fail, format!("Error: {why}")),
    };
    let (phase, value) = read_answer(web, answer.status, &answer.body);
    let shown: String = value.chars().take(80).collect();
    let json = serde_json::from_slice::<serde_json::Value>(&answer.body).is_ok();
    match phase {
        WebPhase::Successful if !json => result(
            Verdict::Pass,
            format!(
                "status {}, the answer is not JSON ({shown:?}): Argo Rollouts counts it Successful without a comparison",
                answer.status
            ),
        ),
        WebPhase::Successful => result(Verdict::Pass, format!("value {shown}")),
        WebPhase::Failed => result(Verdict::Fail, format!("value {shown}")),
        WebPhase::Inconclusive => result(Verdict::Inconclusive, format!("value {shown}")),
        WebPhase::Error(why) => result(
            Verdict::Fail,
            format!("Error: {why} (four in a row error the run)"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::go_json;
    use serde_json::json;

    /// What Go's `json.Marshal` writes for the same decoded values.
    #[test]
    fn values_are_written_as_go_marshals_them() {
        let cases = [
            (
                json!({"b": 1, "a": [1.5, "<x>&"]}),
                r#"{"a":[1.5,"\u003cx\u003e\u0026"],"b":1}"#,
            ),
            (json!(1.0), "1"),
            (json!(100), "100"),
            (json!(1e21), "1e+21"),
            (json!(1e-7), "1e-7"),
            (json!(0.000001), "0.000001"),
            (json!(-2.5e-10), "-2.5e-10"),
            (json!("a\u{1}\n\u{8}"), r#""a\u0001\n\b""#),
            (json!(null), "null"),
        ];
        for (value, go) in cases {
            assert_eq!(go_json(&value), go, "{value}");
        }
    }
}
