//! Argo Rollouts v1.9.1's web provider as it runs a web gate.
//!
//! Mirrors (argoproj/argo-rollouts, tag v1.9.1):
//! - `metricproviders/webmetric/webmetric.go`, `Run` and `parseResponse`:
//!   a status outside 2xx is an Error; a body `json.Unmarshal` refuses is the
//!   value and Successful; else the JSONPath's first value (client-go
//!   `util/jsonpath`, `FindResults`) is judged. oamc's reading of an answer
//!   is `oamc::live::web::measure` (used by `oamc gates`), held here to every
//!   row of `TestRunSuite`;
//! - `utils/evaluate/evaluate.go`, `EvaluateResult` and `EvalCondition`
//!   over expr (antonmedv/expr v1.15): the subset below evaluates every
//!   condition `TestRunSuite` writes, and every condition oamc writes, whose
//!   phase must be what `WebJudge::phase` (what `oamc gates` reports) says.

use crate::common::*;
use oamc::defs::gates::web::jsonpath;
use oamc::defs::gates::web::{WebJudge, WebPhase, WebValue};
use oamc::live::web::{Measured, go_json, measure};
use oamc::plan::{Comparison, Outcome};
use serde_json::{Value, json};

/// Rows about request features oamc never writes (OAuth2, `jsonBody`).
const NOT_WRITTEN: &[(&str, &str)] = &[
    (
        "When_methodPOST_Then_server_gets_jsonBody_Then_Succeed",
        "jsonBody",
    ),
    (
        "When_methodPUT_Then_server_gets_jsonBody_Then_Succeed",
        "jsonBody",
    ),
    ("When_sendingJsonBodyWithGet_Then_Failure", "jsonBody"),
    (
        "When_sending_BothBodyAndJsonBodyWithGet_Then_Failure",
        "jsonBody",
    ),
    ("When_usingOAuth2_Then_Succeed", "authentication.oauth2"),
    (
        "When_RejectedByOAuthServer_Then_Failure",
        "authentication.oauth2",
    ),
];

/// Rows the provider refuses before it sends, which oamc refuses at the
/// property instead: the row, the gate's properties, the code.
const REFUSED_BY_OAMC: &[(&str, &str, &str)] = &[
    (
        "When_sendingBodyWithGet_Then_Failure",
        "url: /x\n          value: 1\n          body: some body",
        "oamc::gate::web-request",
    ),
    (
        "When_BadURL_Then_Fail",
        "url: bad://url.com\n          value: 1",
        "oamc::gate::web-url",
    ),
];

#[test]
fn answers_read_as_argo_rollouts_test_run_suite() {
    let v = super::data("webmetric-v1.9.1.json");
    let rows = v["web_metric_run"].as_array().unwrap();
    assert_eq!(rows.len(), 37);
    let mut judged = 0;
    for r in rows {
        let name = r["name"].as_str().unwrap();
        if NOT_WRITTEN.iter().any(|(n, _)| *n == name) {
            assert!(r["jsonBody"] == true || r["oauth2"] == true, "{name}");
            continue;
        }
        if let Some((_, props, code)) = REFUSED_BY_OAMC.iter().find(|(n, ..)| *n == name) {
            assert_eq!(r["expectedPhase"], "Error", "{name}");
            refused(props, code);
            continue;
        }
        let status = r["status"].as_u64().unwrap() as u16;
        let body = r["response"].as_str().unwrap_or_default();
        let path = jsonpath::parse(r["jsonPath"].as_str().unwrap_or("{$}")).unwrap();
        let (phase, value) = match measure(&path, status, body.as_bytes()) {
            Measured::Error(why) => {
                let wanted = r["expectedErrorMessage"].as_str().unwrap();
                assert!(why.contains(wanted), "{name}: {why}");
                ("Error".to_owned(), None)
            }
            Measured::Text(text) => ("Successful".to_owned(), Some(text)),
            Measured::Found(found) => {
                let phase = evaluate_result(
                    &found,
                    r["successCondition"].as_str().unwrap(),
                    r["failureCondition"].as_str().unwrap(),
                );
                (phase, Some(go_json(&found)))
            }
        };
        assert_eq!(phase, r["expectedPhase"].as_str().unwrap(), "{name}");
        // The test checks the value of a Successful or Failed reading only;
        // a row without one expects Go's zero value, "".
        if matches!(phase.as_str(), "Successful" | "Failed") {
            let wanted = r["expectedValue"].as_str().unwrap_or_default();
            assert_eq!(value.as_deref(), Some(wanted), "{name}");
        }
        judged += 1;
    }
    assert_eq!(judged, 37 - NOT_WRITTEN.len() - REFUSED_BY_OAMC.len());
}

/// `oamc validate` refuses a component with this web gate, with `code`.
fn refused(props: &str, code: &str) {
    let app = format!(
        "apiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata:\n  name: a\nspec:\n  components:\n    - name: web\n      type: appmod-service\n      properties:\n        image: example.com/a:1.0.0\n        image_name: a\n        webGate:\n          {props}\n"
    );
    let out = oamc(&["validate", "-"], Some(&app));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains(code), "{}", text(&out.stderr));
}

/// Every comparison oamc writes, over values of every JSON kind: the
/// phase its two conditions give in Argo Rollouts is `WebJudge::phase`.
#[test]
fn written_conditions_give_the_phase_oamc_gates_reports() {
    let found = [
        json!(1),
        json!(0.5),
        json!(-3),
        json!(1e3),
        json!("ok"),
        json!("OK"),
        json!("1"),
        json!(""),
        json!("two\nlines\tand a bell \u{7}"),
        json!(true),
        json!(false),
        json!(null),
        json!([1, 2]),
        json!({"a": 1}),
    ];
    let values = [
        WebValue::Number(1.into()),
        WebValue::Number(serde_json::Number::from_f64(0.5).unwrap()),
        WebValue::Text("ok".into()),
        WebValue::Text("say \"hi\" \\ there".into()),
        WebValue::Text("two\nlines\tand a bell \u{7}".into()),
        WebValue::Bool(true),
        WebValue::Bool(false),
    ];
    use Comparison::*;
    let mut checked = 0;
    for value in &values {
        for comparison in [Gt, Ge, Lt, Le, Eq, Ne] {
            // The checker refuses an ordering of anything but a number.
            let ordering = !matches!(comparison, Eq | Ne);
            if ordering && !matches!(value, WebValue::Number(_)) {
                continue;
            }
            for outcome in [Outcome::Success, Outcome::Fail] {
                let judge = WebJudge {
                    comparison,
                    value: value.clone(),
                    outcome,
                };
                for f in &found {
                    let argo =
                        evaluate_result(f, &judge.success_condition(), &judge.failure_condition());
                    let oamc = match judge.phase(f) {
                        WebPhase::Successful => "Successful",
                        WebPhase::Failed => "Failed",
                        WebPhase::Inconclusive => "Inconclusive",
                        WebPhase::Error(_) => "Error",
                    };
                    assert_eq!(
                        oamc,
                        argo,
                        "{} / {} on {f}",
                        judge.success_condition(),
                        judge.failure_condition()
                    );
                    checked += 1;
                }
            }
        }
    }
    assert_eq!(checked, 14 * 2 * (2 * 6 + 5 * 2));
}

/// The rendered web AnalysisTemplates, read back: the answer each fixture's
/// service gives is judged by the emitted jsonPath and conditions, as Argo
/// Rollouts would (the provider's reading, then `EvaluateResult`).
#[test]
fn rendered_web_gates_judge_answers_as_written() {
    for (case, answers) in [
        (
            "web-gate",
            &[
                (r#"{"checks": [{"db-ok": 0.995}]}"#, "Successful"),
                (r#"{"checks": [{"db-ok": 0.99}]}"#, "Successful"),
                (r#"{"checks": [{"db-ok": 0.5}]}"#, "Failed"),
                (r#"{"checks": [{"db-ok": "0.995"}]}"#, "Error"),
                (r#"{"checks": []}"#, "Error"),
                ("<html>maintenance</html>", "Successful"),
            ][..],
        ),
        (
            "web-gate-blue-green",
            &[
                (r#"{"verdict": "red"}"#, "Failed"),
                (r#"{"verdict": "green"}"#, "Successful"),
                (r#"{"verdict": null}"#, "Successful"),
                (r#"{"other": "red"}"#, "Error"),
            ][..],
        ),
    ] {
        let out = oamc(
            &[
                "render",
                &format!("fixtures/render/{case}/application.yaml"),
            ],
            None,
        );
        assert!(out.status.success(), "{case}: {}", text(&out.stderr));
        let docs = yaml_docs(&text(&out.stdout));
        let metric = docs
            .iter()
            .filter(|d| d["kind"] == "AnalysisTemplate")
            .flat_map(|d| d["spec"]["metrics"].as_array().unwrap())
            .find(|m| m["provider"]["web"].is_object())
            .unwrap_or_else(|| panic!("{case}: no web metric"));
        let web = &metric["provider"]["web"];
        let path = jsonpath::parse(web["jsonPath"].as_str().unwrap()).unwrap();
        let (success, failure) = (
            metric["successCondition"].as_str().unwrap(),
            metric["failureCondition"].as_str().unwrap(),
        );
        for (body, wanted) in answers {
            let phase = match measure(&path, 200, body.as_bytes()) {
                Measured::Error(_) => "Error".to_owned(),
                Measured::Text(_) => "Successful".to_owned(),
                Measured::Found(found) => evaluate_result(&found, success, failure),
            };
            assert_eq!(phase, *wanted, "{case}: {body}");
        }
    }
}

/// The request each rendered web template holds, as Argo Rollouts builds it
/// (`webmetric.go` `Run`; args resolved by `analysis/analysis.go`
/// `resolveArgs` from the Rollout's step and the template's `valueFrom`).
#[test]
fn rendered_web_requests_are_what_the_gates_say() {
    let docs = |case: &str| {
        let out = oamc(
            &[
                "render",
                &format!("fixtures/render/{case}/application.yaml"),
            ],
            None,
        );
        assert!(out.status.success(), "{case}: {}", text(&out.stderr));
        yaml_docs(&text(&out.stdout))
    };
    let template = |docs: &[Value], name: &str| {
        docs.iter()
            .find(|d| d["kind"] == "AnalysisTemplate" && d["metadata"]["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no {name}"))
    };
    // A path on the new version: through the preview Service the step names.
    let canary = docs("web-gate");
    let t = template(&canary, "web-gate-orders-api");
    let web = &t["spec"]["metrics"][0]["provider"]["web"];
    assert_eq!(
        web["url"],
        "http://{{args.service-name}}:80/healthz?verbose=1"
    );
    assert_eq!(web["method"], "GET");
    assert_eq!(
        web["headers"],
        json!([{"key": "Accept", "value": "application/json"}])
    );
    assert_eq!(web["timeoutSeconds"], 5);
    assert!(web.get("body").is_none() && web.get("insecure").is_none());
    assert_eq!(t["spec"]["metrics"][0]["count"], 3);
    assert_eq!(t["spec"]["metrics"][0]["interval"], "10s");
    let rollout = canary.iter().find(|d| d["kind"] == "Rollout").unwrap();
    let step = rollout["spec"]["strategy"]["canary"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["analysis"]["templates"][0]["templateName"] == "web-gate-orders-api")
        .unwrap();
    assert_eq!(
        step["analysis"]["args"],
        json!([{"name": "service-name", "value": "orders-api-preview"}])
    );
    // A URL, a POST with a body, a header from a Secret declared as the
    // argument its value names, and the delay of a shared run (15 s + ab's 30 s).
    let bg = docs("web-gate-blue-green");
    let t = template(&bg, "web-gate-billing-api");
    let metric = &t["spec"]["metrics"][0];
    let web = &metric["provider"]["web"];
    assert_eq!(
        web["url"],
        "https://status.example.com/api/v1/verdict?service=billing"
    );
    assert_eq!(web["method"], "POST");
    assert_eq!(web["body"], r#"{"service": "billing", "window": "5m"}"#);
    assert_eq!(metric["initialDelay"], "45s");
    assert_eq!(web["headers"][1]["key"], "Authorization");
    let used = web["headers"][1]["value"].as_str().unwrap();
    let arg = used
        .strip_prefix("{{args.")
        .and_then(|a| a.strip_suffix("}}"))
        .unwrap();
    assert_eq!(
        t["spec"]["args"],
        json!([{"name": arg, "valueFrom": {"secretKeyRef": {"name": "status-api", "key": "bearer"}}}])
    );
}

/// A web gate on a URL takes no argument: the Experiment's analysis is
/// written without `args` (not `args: null`), and so is its template.
#[test]
fn a_url_web_gate_alone_is_written_without_arguments() {
    let app = "apiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata: {name: ab, namespace: ab}\nspec:\n  components:\n    - name: web\n      type: appmod-service\n      properties:\n        image: example.com/a:1.0.0\n        image_name: a\n        strategy: abTest\n        webGate: {url: 'https://status.example.com/v', value: ok}\n";
    let out = oamc(&["render", "-"], Some(app));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let docs = yaml_docs(&text(&out.stdout));
    let rollout = docs.iter().find(|d| d["kind"] == "Rollout").unwrap();
    let analysis = &rollout["spec"]["strategy"]["canary"]["steps"][0]["experiment"]["analyses"][0];
    assert_eq!(analysis["templateName"], "web-gate-web");
    assert!(analysis.get("args").is_none(), "{analysis}");
    let template = docs
        .iter()
        .find(|d| d["kind"] == "AnalysisTemplate")
        .unwrap();
    assert!(template["spec"].get("args").is_none(), "{template}");
}

/// `EvaluateResult`: an error in either condition is an Error; with one
/// condition the other is its negation; failure wins; neither: Inconclusive.
fn evaluate_result(result: &Value, success: &str, failure: &str) -> String {
    let eval = |c: &str| -> Result<bool, String> {
        match Expr::parse(c)?.eval(result, None)? {
            V::Bool(b) => Ok(b),
            other => Err(format!("expected bool, but got {other:?}")),
        }
    };
    let s = if success.is_empty() {
        Ok(false)
    } else {
        eval(success)
    };
    let f = if failure.is_empty() {
        Ok(false)
    } else {
        eval(failure)
    };
    let (Ok(mut s), Ok(mut f)) = (s, f) else {
        return "Error".into();
    };
    match (success.is_empty(), failure.is_empty()) {
        (true, true) => return "Successful".into(),
        (false, true) => f = !s,
        (true, false) => s = !f,
        _ => {}
    }
    if f {
        "Failed".into()
    } else if s {
        "Successful".into()
    } else {
        "Inconclusive".into()
    }
}

/// A value in expr: JSON as `encoding/json` decodes it (numbers are float64).
#[derive(Debug, Clone, PartialEq)]
enum V {
    Nil,
    Bool(bool),
    Num(f64),
    Str(String),
    List(Vec<Value>),
    Map(serde_json::Map<String, Value>),
}

fn v(j: &Value) -> V {
    match j {
        Value::Null => V::Nil,
        Value::Bool(b) => V::Bool(*b),
        Value::Number(n) => V::Num(n.as_f64().unwrap()),
        Value::String(s) => V::Str(s.clone()),
        Value::Array(a) => V::List(a.clone()),
        Value::Object(o) => V::Map(o.clone()),
    }
}

/// The expr subset: `||`, `&&`, `!`, comparisons, literals, `result`, `#`,
/// `.field`, `asInt`, `asFloat`, `all` and `any` with a `{…}` predicate.
#[derive(Debug, Clone)]
enum Expr {
    Lit(V),
    Result,
    Hash,
    Field(Box<Expr>, String),
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Cmp(Box<Expr>, &'static str, Box<Expr>),
    Call(String, Vec<Expr>),
}

struct Parser {
    toks: Vec<String>,
    at: usize,
}

fn tokens(src: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let cs: Vec<char> = src.chars().collect();
    let mut i = 0;
    while i < cs.len() {
        let c = cs[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '"' {
            // `scanString`: a raw line break or the end ends nothing: an error.
            let mut s = String::from('"');
            i += 1;
            while cs.get(i) != Some(&'"') {
                match cs.get(i) {
                    None | Some('\n') => return Err("literal not terminated".into()),
                    Some('\\') => {
                        // `unescapeChar`, the escapes oamc writes.
                        i += 1;
                        match cs.get(i) {
                            Some('n') => s.push('\n'),
                            Some('r') => s.push('\r'),
                            Some('t') => s.push('\t'),
                            Some('u') => {
                                let hex: String = cs[i + 1..i + 5].iter().collect();
                                s.push(
                                    char::from_u32(u32::from_str_radix(&hex, 16).unwrap()).unwrap(),
                                );
                                i += 4;
                            }
                            Some(c) => s.push(*c),
                            None => return Err("\\ at the end".into()),
                        }
                    }
                    Some(c) => s.push(*c),
                }
                i += 1;
            }
            i += 1;
            out.push(s);
        } else if c.is_ascii_digit() {
            let start = i;
            while i < cs.len() && (cs[i].is_ascii_digit() || matches!(cs[i], '.' | 'e' | '+')) {
                // A `+` is part of a number only after its `e`.
                if cs[i] == '+' && cs[i - 1] != 'e' {
                    break;
                }
                i += 1;
            }
            out.push(cs[start..i].iter().collect());
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < cs.len() && (cs[i].is_alphanumeric() || cs[i] == '_') {
                i += 1;
            }
            out.push(cs[start..i].iter().collect());
        } else {
            let two: String = cs[i..(i + 2).min(cs.len())].iter().collect();
            if ["&&", "||", "==", "!=", "<=", ">="].contains(&two.as_str()) {
                out.push(two);
                i += 2;
            } else {
                out.push(c.to_string());
                i += 1;
            }
        }
    }
    Ok(out)
}

impl Expr {
    /// `expr.Compile`: a condition that does not lex is an error.
    fn parse(src: &str) -> Result<Expr, String> {
        let mut p = Parser {
            toks: tokens(src)?,
            at: 0,
        };
        let e = p.or();
        assert_eq!(p.at, p.toks.len(), "unread input in {src}");
        Ok(e)
    }

    fn eval(&self, result: &Value, hash: Option<&Value>) -> Result<V, String> {
        let truth = |e: &Expr| -> Result<bool, String> {
            match e.eval(result, hash)? {
                V::Bool(b) => Ok(b),
                other => Err(format!("not a bool: {other:?}")),
            }
        };
        Ok(match self {
            Expr::Lit(l) => l.clone(),
            Expr::Result => v(result),
            Expr::Hash => v(hash.ok_or("# outside a predicate")?),
            Expr::Field(of, name) => match of.eval(result, hash)? {
                V::Map(m) => m.get(name).map_or(V::Nil, v),
                other => return Err(format!("cannot fetch {name} from {other:?}")),
            },
            Expr::Not(e) => V::Bool(!truth(e)?),
            Expr::And(a, b) => V::Bool(truth(a)? && truth(b)?),
            Expr::Or(a, b) => V::Bool(truth(a)? || truth(b)?),
            Expr::Cmp(a, op, b) => {
                V::Bool(compare(&a.eval(result, hash)?, op, &b.eval(result, hash)?)?)
            }
            Expr::Call(name, args) => call(name, args, result, hash)?,
        })
    }
}

/// `runtime.Equal` and `runtime.Less` over the kinds JSON decodes to.
fn compare(a: &V, op: &str, b: &V) -> Result<bool, String> {
    match op {
        "==" => return Ok(a == b),
        "!=" => return Ok(a != b),
        _ => {}
    }
    let order = match (a, b) {
        (V::Num(x), V::Num(y)) => x.partial_cmp(y),
        (V::Str(x), V::Str(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
        _ => return Err(format!("invalid operation: {a:?} {op} {b:?}")),
    };
    Ok(match (op, order) {
        (_, None) => false,
        (">", Some(o)) => o.is_gt(),
        (">=", Some(o)) => o.is_ge(),
        ("<", Some(o)) => o.is_lt(),
        (_, Some(o)) => o.is_le(),
    })
}

fn call(name: &str, args: &[Expr], result: &Value, hash: Option<&Value>) -> Result<V, String> {
    let arg = args[0].eval(result, hash)?;
    match name {
        "asInt" => match arg {
            V::Num(n) => Ok(V::Num(n.trunc())),
            V::Str(s) => s
                .parse::<i64>()
                .map(|i| V::Num(i as f64))
                .map_err(|e| e.to_string()),
            other => Err(format!("asInt() not supported on {other:?}")),
        },
        "asFloat" => match arg {
            V::Num(n) => Ok(V::Num(n)),
            V::Str(s) => s.parse::<f64>().map(V::Num).map_err(|e| e.to_string()),
            other => Err(format!("asFloat() not supported on {other:?}")),
        },
        "all" | "any" => {
            let V::List(items) = arg else {
                return Err(format!("{name}() of a non-list"));
            };
            let mut hits = Vec::new();
            for item in &items {
                match args[1].eval(result, Some(item))? {
                    V::Bool(b) => hits.push(b),
                    other => return Err(format!("predicate gave {other:?}")),
                }
            }
            Ok(V::Bool(if name == "all" {
                hits.iter().all(|b| *b)
            } else {
                hits.iter().any(|b| *b)
            }))
        }
        other => Err(format!("unknown function {other}")),
    }
}

impl Parser {
    fn peek(&self) -> Option<&str> {
        self.toks.get(self.at).map(String::as_str)
    }

    fn eat(&mut self, t: &str) -> bool {
        let hit = self.peek() == Some(t);
        if hit {
            self.at += 1;
        }
        hit
    }

    fn or(&mut self) -> Expr {
        let mut e = self.and();
        while self.eat("||") {
            e = Expr::Or(Box::new(e), Box::new(self.and()));
        }
        e
    }

    fn and(&mut self) -> Expr {
        let mut e = self.cmp();
        while self.eat("&&") {
            e = Expr::And(Box::new(e), Box::new(self.cmp()));
        }
        e
    }

    fn cmp(&mut self) -> Expr {
        let e = self.unary();
        for op in ["==", "!=", "<=", ">=", "<", ">"] {
            if self.eat(op) {
                return Expr::Cmp(Box::new(e), op, Box::new(self.unary()));
            }
        }
        e
    }

    fn unary(&mut self) -> Expr {
        if self.eat("!") {
            return Expr::Not(Box::new(self.unary()));
        }
        if self.eat("-") {
            let Expr::Lit(V::Num(n)) = self.postfix() else {
                panic!("`-` before a non-number");
            };
            return Expr::Lit(V::Num(-n));
        }
        self.postfix()
    }

    fn postfix(&mut self) -> Expr {
        let mut e = self.primary();
        while self.eat(".") {
            let name = self.toks[self.at].clone();
            self.at += 1;
            e = Expr::Field(Box::new(e), name);
        }
        e
    }

    fn primary(&mut self) -> Expr {
        let t = self.toks[self.at].clone();
        self.at += 1;
        if t == "(" {
            let e = self.or();
            assert!(self.eat(")"));
            return e;
        }
        if let Some(s) = t.strip_prefix('"') {
            return Expr::Lit(V::Str(s.to_owned()));
        }
        if let Ok(n) = t.parse::<f64>() {
            return Expr::Lit(V::Num(n));
        }
        match t.as_str() {
            "true" => Expr::Lit(V::Bool(true)),
            "false" => Expr::Lit(V::Bool(false)),
            "nil" => Expr::Lit(V::Nil),
            "result" => Expr::Result,
            "#" => Expr::Hash,
            name if self.eat("(") => {
                let mut args = vec![self.or()];
                if self.eat(",") {
                    assert!(self.eat("{"));
                    args.push(self.or());
                    assert!(self.eat("}"));
                }
                assert!(self.eat(")"));
                Expr::Call(name.to_owned(), args)
            }
            other => panic!("unexpected token {other}"),
        }
    }
}
