//! The web gate: Argo Rollouts' `web` provider. Each reading sends one HTTP
//! request (to a path on the new version, or to a URL), takes one value out
//! of the JSON answer with a JSONPath and compares it with a value.
//!
//! What the controller does with it (argo-rollouts v1.9.1,
//! `metricproviders/webmetric/webmetric.go`): a status outside 2xx, a
//! request error and a path that finds nothing are Error readings; four in a
//! row error the run. An answer that is **not JSON** is a Successful reading
//! whatever the conditions (`parseResponse`), which `plan` says.

use super::{GatePlan, GateReach, SERVICE_NAME_ARG};
use crate::check::duration::Kind;
use crate::check::{DocContext, check_duration};
use crate::diagnostic::Code;
use crate::dom::DocPath;
use crate::names;
pub mod jsonpath;
use crate::plan::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Its template: the file name an override takes, and the built-in text.
pub const TEMPLATE: (&str, &str) = (
    "analysistemplate-web.yaml",
    include_str!("../../../../templates/analysistemplate-web.yaml"),
);

/// Ask an HTTP endpoint for JSON and compare one value of the answer.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WebGate {
    /// How long to wait at this step before the first request.
    #[schemars(extend("x-oamc-format" = "pause"))]
    #[serde(default = "defaults::pause")]
    pub pause: String,
    /// A path on the new version (`/healthz?verbose=1`, reached through the
    /// gate's Service), or an absolute `http://` or `https://` URL.
    #[schemars(length(min = 1, max = 2048))]
    pub url: String,
    /// `GET`, `POST` or `PUT`.
    #[serde(default)]
    pub method: WebMethod,
    /// Request headers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 32))]
    pub headers: Vec<WebHeader>,
    /// The request body (`POST` and `PUT` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// Seconds one request may take.
    #[serde(default = "defaults::timeout_seconds")]
    #[schemars(range(min = 1, max = 600))]
    pub timeout_seconds: u32,
    /// Skip TLS certificate verification.
    #[serde(default)]
    pub insecure: bool,
    /// The value to compare, in the JSON answer: `{$.status}`,
    /// `{$.checks[0]['db-ok']}`; `{$}` is the whole answer.
    #[serde(default = "defaults::json_path")]
    pub json_path: String,
    /// How the value found is compared with `value`; `>`, `>=`, `<` and `<=` need a number.
    #[serde(default = "defaults::comparison")]
    pub comparison_type: Comparison,
    /// What the value found is compared with: text, a number or true/false.
    pub value: WebValue,
    /// `success`: meeting the comparison passes. `fail`: meeting it fails the rollout.
    #[serde(default)]
    pub success_or_fail_condition: Outcome,
    /// Time between readings (a Go duration).
    #[schemars(extend("x-oamc-format" = "duration"))]
    #[serde(default = "defaults::interval")]
    pub interval: String,
    /// Number of readings; every one must pass.
    #[serde(default = "defaults::count")]
    #[schemars(range(min = 1, max = 1000))]
    pub count: u32,
}

/// The web gate's defaults, named so the schema and the docs can show them.
pub mod defaults {
    use crate::plan::Comparison;
    pub fn pause() -> String {
        "1s".into()
    }
    /// Argo Rollouts' own default (`NewWebMetricHttpClient`).
    pub fn timeout_seconds() -> u32 {
        10
    }
    /// Argo Rollouts' own default (`NewWebMetricJsonParser`).
    pub fn json_path() -> String {
        "{$}".into()
    }
    pub fn comparison() -> Comparison {
        Comparison::Eq
    }
    pub fn interval() -> String {
        "1s".into()
    }
    pub fn count() -> u32 {
        1
    }
}

/// Why a `url` does not read, in words after the URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlRefused(String);

impl std::fmt::Display for UrlRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The gate's target, path and headers, read once by the checker.
#[derive(Debug, Clone)]
pub struct CheckedWeb {
    pub target: WebTarget,
    pub json_path: jsonpath::JsonPath,
    pub headers: Vec<HeaderPlan>,
}

/// Why a gate the rules passed does not read (a gap between the two).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unread(String);

impl std::fmt::Display for Unread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The gate's url and jsonPath, typed.
pub(crate) fn read(gate: &WebGate) -> Result<CheckedWeb, Unread> {
    Ok(CheckedWeb {
        target: target(&gate.url).map_err(|why| Unread(format!("url: {why}")))?,
        json_path: jsonpath::parse(&gate.json_path)
            .map_err(|why| Unread(format!("jsonPath: {why}")))?,
        headers: header_plans(&gate.headers)?,
    })
}

/// How the gate's `url` reads.
fn target(url: &str) -> Result<WebTarget, UrlRefused> {
    let refused = |why: &str| Err(UrlRefused(why.to_owned()));
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return refused("has a space or a control character");
    }
    if url.contains('#') {
        return refused("has a fragment (`#`), which is never sent");
    }
    if url.starts_with('/') {
        if url.starts_with("//") {
            return refused("starts with `//`, which Go reads as a host");
        }
        return Ok(WebTarget::NewVersion {
            path: url.to_owned(),
        });
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        return refused("is neither a path (`/healthz`) nor an absolute URL (`https://…`)");
    };
    if !matches!(scheme, "http" | "https") {
        return Err(UrlRefused(format!(
            "has the scheme `{scheme}`; Go's HTTP client sends http and https only"
        )));
    }
    let authority = rest.find(['/', '?']).map_or(rest, |end| &rest[..end]);
    if authority.contains('@') {
        return refused("carries credentials (`user@`), which would be in Git; send a header");
    }
    if authority.is_empty() || authority.starts_with(':') {
        return refused("has no host");
    }
    Ok(WebTarget::Url(url.to_owned()))
}

/// An HTTP header name: RFC 9110 `token` (Go's `httpguts.ValidHeaderFieldName`).
fn header_name(key: &str) -> bool {
    !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// The gate's rules, at `at` (`…properties.webGate`).
pub(crate) fn check(ctx: &mut DocContext, at: &DocPath, gate: &WebGate) {
    check_duration(ctx, &at.key("pause"), Kind::Pause, &gate.pause);
    check_duration(ctx, &at.key("interval"), Kind::Go, &gate.interval);
    if let Err(why) = target(&gate.url) {
        ctx.error(
            Code::WebUrl,
            &at.key("url"),
            format!("the web gate's url `{}` {why}", gate.url),
        )
        .help =
            Some("write a path on the new version (`/healthz`) or an absolute http(s) URL".into());
    }
    let braces = [
        ("url", Some(gate.url.as_str())),
        ("body", gate.body.as_deref()),
    ];
    for (key, text) in braces {
        if text.is_some_and(|t| t.contains("{{")) {
            braces_error(ctx, &at.key(key));
        }
    }
    for (i, h) in gate.headers.iter().enumerate() {
        let here = at.join(&crate::path!["headers", i]);
        if !header_name(&h.key) {
            ctx.error(
                Code::WebRequest,
                &here.key("key"),
                format!(
                    "`{}` is not an HTTP header name: Go's client refuses the request",
                    h.key
                ),
            )
            .help = Some("letters, digits and !#$%&'*+-.^_`|~ only".into());
        }
        check_header_value(ctx, &here, h);
    }
    if gate.body.is_some() && gate.method == WebMethod::Get {
        ctx.error(
            Code::WebRequest,
            &at.key("body"),
            "a body with method GET: Argo Rollouts refuses every reading (\"Body/JSONBody can only be used with POST or PUT\")",
        )
        .help = Some("set `method: POST` or `PUT`, or remove the body".into());
    }
    if let Err(why) = jsonpath::parse(&gate.json_path) {
        ctx.error(
            Code::WebJsonPath,
            &at.key("jsonPath"),
            format!("jsonPath `{}` {why}", gate.json_path),
        )
        .help = Some("e.g. {$.status}, {$.checks[0].ok}, {$['db-ok']}".into());
    }
    let ordering = !matches!(gate.comparison_type, Comparison::Eq | Comparison::Ne);
    if ordering && !matches!(gate.value, WebValue::Number(_)) {
        ctx.error(
            Code::WebComparison,
            &at.key("comparisonType"),
            format!(
                "`{}` with the value {}: expr orders text character by character (\"10\" < \"9\") and errors on true/false or a number found",
                gate.comparison_type.as_str(),
                gate.value
            ),
        )
        .help = Some("compare text and true/false with == or !=, or give a number (`value: 2`)".into());
    }
}

/// Each header as written; a Secret's value becomes the argument
/// `web-header-<i>`, which the template declares with its `valueFrom`.
fn header_plans(headers: &[WebHeader]) -> Result<Vec<HeaderPlan>, Unread> {
    headers
        .iter()
        .enumerate()
        .map(|(i, h)| match (&h.value, &h.value_from) {
            (None, Some(from)) => {
                let arg = format!("web-header-{i}");
                Ok(HeaderPlan {
                    key: h.key.clone(),
                    value: format!("{{{{args.{arg}}}}}"),
                    secret: Some(SecretArg {
                        arg,
                        secret: from.secret_key_ref.name.clone(),
                        key: from.secret_key_ref.key.clone(),
                    }),
                })
            }
            (Some(value), None) => Ok(HeaderPlan {
                key: h.key.clone(),
                value: value.clone(),
                secret: None,
            }),
            _ => Err(Unread(format!(
                "headers[{i}]: exactly one of value and valueFrom"
            ))),
        })
        .collect()
}

/// A header's value: exactly one of `value` and `valueFrom`, each as Go's
/// client and Kubernetes take it.
fn check_header_value(ctx: &mut DocContext, here: &DocPath, h: &WebHeader) {
    match (&h.value, &h.value_from) {
        (Some(_), Some(_)) | (None, None) => {
            ctx.error(
                Code::WebRequest,
                here,
                format!(
                    "header `{}` needs exactly one of value and valueFrom",
                    h.key
                ),
            )
            .help = Some(
                "write the value, or read it from a Secret with valueFrom.secretKeyRef".into(),
            );
        }
        (Some(value), None) => {
            if value.contains("{{") {
                braces_error(ctx, &here.key("value"));
            }
            // Go's `httpguts.ValidHeaderFieldValue`: no control character but a tab.
            if value.chars().any(|c| c.is_ascii_control() && c != '\t') {
                ctx.error(
                    Code::WebRequest,
                    &here.key("value"),
                    format!(
                        "the value of header `{}` holds a line break or another control character: Go's client refuses the request",
                        h.key
                    ),
                )
                .help = Some("write the header value on one line".into());
            }
        }
        (None, Some(from)) => {
            let at = here.join(&crate::path!["valueFrom", "secretKeyRef"]);
            let r = &from.secret_key_ref;
            if let Err(why) = crate::check::syntax::dns1123_subdomain(&r.name) {
                ctx.error(
                    Code::Name,
                    &at.key("name"),
                    format!("Secret name `{}` {why}", r.name),
                );
            }
            if let Err(why) = crate::check::syntax::config_map_key(&r.key) {
                ctx.error(
                    Code::Name,
                    &at.key("key"),
                    format!("Secret key `{}` {why}", r.key),
                );
            }
        }
    }
}

fn braces_error(ctx: &mut DocContext, at: &DocPath) {
    ctx.error(
        Code::ArgoTemplateSyntax,
        at,
        "`{{` here would be read by Argo Rollouts as an argument placeholder and break the analysis",
    )
    .help = Some("remove the double braces".into());
}

/// The web gate as the checker read it.
pub(crate) struct WebInput<'a> {
    pub(crate) gate: &'a WebGate,
    pub(crate) checked: &'a CheckedWeb,
    pub(crate) pause: &'a PauseDuration,
    pub(crate) interval: &'a GoDuration,
    /// How long a passing load beside it lasts, and why.
    pub(crate) load: Option<(u64, &'static str)>,
    /// The gate starts with the other gates of its run (a blue/green
    /// post-promotion run, an A/B Experiment) rather than as a step of its own.
    pub(crate) shared_run: bool,
}

pub(crate) fn plan_web(name: &str, input: &WebInput, reach: &GateReach) -> GatePlan {
    let (g, checked) = (input.gate, input.checked);
    let initial_delay = input
        .shared_run
        .then(|| super::shared_run_delay(input.pause, input.load));
    let when = super::shared_run_words(
        initial_delay.as_ref(),
        input.load,
        "asks",
        ("webGate.pause", &g.pause),
    );
    let (target, json_path) = (checked.target.clone(), checked.json_path.clone());
    let (url, args) = match &target {
        WebTarget::NewVersion { path } => (
            format!("{}{path}", reach.origin),
            vec![SERVICE_NAME_ARG.to_owned()],
        ),
        WebTarget::Url(url) => (url.clone(), Vec::new()),
    };
    let judge = WebJudge {
        comparison: g.comparison_type,
        value: g.value.clone(),
        outcome: g.success_or_fail_condition,
    };
    let asked = match &target {
        WebTarget::NewVersion { path } => format!("the new version's {path}"),
        WebTarget::Url(url) => url.clone(),
    };
    // A missing Secret or key errors the run as it starts ("Unable to
    // resolve metric arguments", `analysis/analysis.go`), aborting the rollout.
    let secrets: String = checked
        .headers
        .iter()
        .filter(|h| h.secret.is_some())
        .map(|h| format!("; header {}, read when the analysis starts (a missing Secret or key errors the run and aborts the rollout)", h.shown()))
        .collect();
    let summary = format!(
        "{when}{} {asked}, the answer's {} {} ({} x every {}){secrets}; an answer that is not JSON passes (Argo Rollouts reads it as text and skips the conditions)",
        g.method.as_str(),
        g.json_path,
        judge.summary(),
        g.count,
        input.interval
    );
    GatePlan {
        gate: Gate::Web,
        phase: super::Phase::Late,
        pause: input.pause.clone(),
        template: AnalysisPlan {
            name: names::web_template(name),
            template: TEMPLATE.0,
            summary,
            args,
            time: web_time(initial_delay.as_ref(), input.interval, g),
            note: TimeNote {
                rank: 1,
                text: "a web reading that errors (a status outside 2xx, a timeout, a path that finds nothing) is retried after 10 s, at most 4 times in a row; an answer that is not JSON passes whatever the comparison",
            },
            check: std::sync::Arc::new(WebPlan {
                url,
                target,
                method: g.method,
                headers: checked.headers.clone(),
                body: g.body.clone(),
                timeout_seconds: g.timeout_seconds,
                insecure: g.insecure,
                json_path,
                initial_delay,
                interval: input.interval.clone(),
                count: g.count,
                success_condition: judge.success_condition(),
                failure_condition: judge.failure_condition(),
                judge,
            }),
        },
    }
}

/// `item.web`: the request, the path and the conditions.
#[derive(Serialize)]
struct WebView<'a> {
    url: &'a str,
    method: &'static str,
    headers: &'a [HeaderPlan],
    secret_args: Vec<&'a SecretArg>,
    body: Option<&'a str>,
    timeout_seconds: u32,
    insecure: bool,
    json_path: &'a str,
    initial_delay: Option<&'a GoDuration>,
    interval: &'a GoDuration,
    count: u32,
    success_condition: &'a str,
    failure_condition: &'a str,
}

impl GateCheck for WebPlan {
    fn gate(&self) -> Gate {
        Gate::Web
    }

    fn view(&self) -> Result<(&'static str, serde_json::Value), serde_json::Error> {
        let view = WebView {
            url: &self.url,
            method: self.method.as_str(),
            headers: &self.headers,
            secret_args: self
                .headers
                .iter()
                .filter_map(|h| h.secret.as_ref())
                .collect(),
            body: self.body.as_deref(),
            timeout_seconds: self.timeout_seconds,
            insecure: self.insecure,
            json_path: &self.json_path.text,
            initial_delay: self.initial_delay.as_ref(),
            interval: &self.interval,
            count: self.count,
            success_condition: &self.success_condition,
            failure_condition: &self.failure_condition,
        };
        Ok(("web", serde_json::to_value(view)?))
    }

    fn moves_from(&self, old: &dyn GateCheck) -> Vec<GateMove> {
        let mut moves = Vec::new();
        if let Some(old) = check_of::<WebPlan>(old) {
            web_moves(old, self, &mut moves);
        }
        moves
    }
}

/// The web gate: where it asks, what it reads, how it compares, how often.
fn web_moves(a: &WebPlan, b: &WebPlan, moves: &mut Vec<GateMove>) {
    let request = |w: &WebPlan| {
        let headers: Vec<String> = w.headers.iter().map(HeaderPlan::shown).collect();
        format!(
            "{} {} [{}] body {}",
            w.method.as_str(),
            w.url,
            headers.join(", "),
            w.body
                .as_deref()
                .map_or("none".to_owned(), |b| format!("{b:?}"))
        )
    };
    let (ra, rb) = (request(a), request(b));
    if ra != rb {
        moves.push(GateMove::new(Way::Other, "request".into(), ra, rb));
    }
    if a.json_path != b.json_path {
        moves.push(GateMove::new(
            Way::Other,
            "jsonPath".into(),
            a.json_path.text.clone(),
            b.json_path.text.clone(),
        ));
    }
    let (ja, jb) = (&a.judge, &b.judge);
    if (ja.comparison, &ja.value, ja.outcome) != (jb.comparison, &jb.value, jb.outcome) {
        moves.push(GateMove::new(
            web_judge_way(ja, jb),
            "comparison".into(),
            ja.summary(),
            jb.summary(),
        ));
    }
    let readings = |w: &WebPlan| format!("{} x every {}", w.count, w.interval);
    if a.count != b.count || a.interval != b.interval {
        // Fewer readings let a short fault pass unseen.
        let way = match b.count.cmp(&a.count) {
            std::cmp::Ordering::Less => Way::Looser,
            std::cmp::Ordering::Greater => Way::Tighter,
            std::cmp::Ordering::Equal => Way::Other,
        };
        moves.push(GateMove::new(
            way,
            "number of readings".into(),
            readings(a),
            readings(b),
        ));
    }
    if a.timeout_seconds != b.timeout_seconds || a.insecure != b.insecure {
        let way = if b.timeout_seconds > a.timeout_seconds || (b.insecure && !a.insecure) {
            Way::Looser
        } else {
            Way::Tighter
        };
        let shown = |w: &WebPlan| {
            format!(
                "timeout {}s{}",
                w.timeout_seconds,
                if w.insecure { ", TLS not verified" } else { "" }
            )
        };
        moves.push(GateMove::new(
            way,
            "request limits".into(),
            shown(a),
            shown(b),
        ));
    }
}

/// A numeric threshold moved under the same comparison is looser or
/// tighter; any other change of the comparison is a change.
fn web_judge_way(a: &WebJudge, b: &WebJudge) -> Way {
    use {Comparison, Outcome, WebValue};
    let (WebValue::Number(x), WebValue::Number(y)) = (&a.value, &b.value) else {
        return Way::Other;
    };
    let (Some(x), Some(y)) = (x.as_f64(), y.as_f64()) else {
        return Way::Other;
    };
    if a.comparison != b.comparison || a.outcome != b.outcome || x == y {
        return Way::Other;
    }
    // Success above the threshold: raising it passes fewer values.
    let raised_tightens = match a.comparison {
        Comparison::Gt | Comparison::Ge => true,
        Comparison::Lt | Comparison::Le => false,
        Comparison::Eq | Comparison::Ne => return Way::Other,
    } == (a.outcome == Outcome::Success);
    if (y > x) == raised_tightens {
        Way::Tighter
    } else {
        Way::Looser
    }
}

/// A metric's readings, each a request that may take up to its timeout,
/// and each of up to four errors in a row (a timeout is one) taken again
/// after 10 s.
fn web_time(delay: Option<&GoDuration>, interval: &GoDuration, g: &WebGate) -> GateTime {
    use crate::semantics::rollouts::{CONSECUTIVE_ERROR_LIMIT, ERROR_RETRY_SECONDS, metric_time};
    let t = metric_time(
        delay.map_or(0, GoDuration::nanos),
        interval.nanos(),
        g.count,
    );
    let (readings, timeout) = (u64::from(g.count.max(1)), u64::from(g.timeout_seconds));
    GateTime {
        max: t.min
            + readings * (1 + CONSECUTIVE_ERROR_LIMIT) * timeout
            + readings * CONSECUTIVE_ERROR_LIMIT * ERROR_RETRY_SECONDS,
        ..t
    }
}

/// The web gate: one HTTP request per reading, a JSONPath into the JSON
/// answer, and one comparison of the value found (Argo Rollouts' `web` provider).
#[derive(Debug, Clone)]
pub struct WebPlan {
    /// As the template writes it: a path on the new version is reached
    /// through the gate's Service (`{{args.service-name}}`).
    pub url: String,
    /// Where the request goes, for `oamc gates`.
    pub target: WebTarget,
    pub method: WebMethod,
    pub headers: Vec<HeaderPlan>,
    pub body: Option<String>,
    pub timeout_seconds: u32,
    pub insecure: bool,
    pub json_path: jsonpath::JsonPath,
    pub initial_delay: Option<GoDuration>,
    pub interval: GoDuration,
    pub count: u32,
    pub judge: WebJudge,
    /// Argo Rollouts' conditions (expr), written from `judge`.
    pub success_condition: String,
    pub failure_condition: String,
}

/// Where a web gate's request goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebTarget {
    /// A path (and query) on the new version.
    NewVersion { path: String },
    /// An absolute URL, as written.
    Url(String),
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
pub enum WebMethod {
    #[default]
    #[serde(rename = "GET")]
    Get,
    #[serde(rename = "POST")]
    Post,
    #[serde(rename = "PUT")]
    Put,
}

impl WebMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            WebMethod::Get => "GET",
            WebMethod::Post => "POST",
            WebMethod::Put => "PUT",
        }
    }
}

/// A request header: its value written here, or read from a Secret.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WebHeader {
    /// The header's name, e.g. `Accept`.
    pub key: String,
    /// The value, in Git.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// The value from a Secret in the Rollout's namespace, which Argo
    /// Rollouts reads when the analysis starts (a token stays out of Git).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_from: Option<HeaderValueFrom>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HeaderValueFrom {
    pub secret_key_ref: SecretKeyRef,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SecretKeyRef {
    /// The Secret's name.
    pub name: String,
    /// The key of its data.
    pub key: String,
}

/// A header as the template writes it: a Secret's value is an analysis
/// argument of the template (`valueFrom.secretKeyRef`), which Argo Rollouts
/// resolves in the run's namespace (`analysis/analysis.go`, `resolveArgs`).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct HeaderPlan {
    pub key: String,
    /// The text written: the value, or `{{args.<arg>}}`.
    pub value: String,
    pub secret: Option<SecretArg>,
}

/// A template argument read from a Secret.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SecretArg {
    pub arg: String,
    pub secret: String,
    pub key: String,
}

impl HeaderPlan {
    /// In words, for `plan` and `diff`: a Secret's value is never shown.
    pub fn shown(&self) -> String {
        match &self.secret {
            Some(s) => format!("{}: from Secret {} key {}", self.key, s.secret, s.key),
            None => format!("{}: {}", self.key, self.value),
        }
    }
}

/// The value a web gate compares with: text, a number or true/false.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(untagged)]
pub enum WebValue {
    Bool(bool),
    Number(serde_json::Number),
    Text(String),
}

impl WebValue {
    /// The value as an expr literal: text quoted and escaped as expr v1.15's
    /// lexer reads a double-quoted string (`\\`, `\"`, `\n`, `\u0007`).
    pub fn expr_literal(&self) -> String {
        match self {
            WebValue::Bool(b) => b.to_string(),
            WebValue::Number(n) => n.to_string(),
            WebValue::Text(t) => {
                let mut out = String::from('"');
                for c in t.chars() {
                    match c {
                        '"' | '\\' => {
                            out.push('\\');
                            out.push(c);
                        }
                        // expr's lexer ends a literal at a raw line break
                        // ("literal not terminated", `scanString`); its
                        // `unescapeChar` reads these escapes.
                        '\n' => out.push_str("\\n"),
                        '\r' => out.push_str("\\r"),
                        '\t' => out.push_str("\\t"),
                        c if c.is_control() => out.push_str(&format!("\\u{:04x}", u32::from(c))),
                        c => out.push(c),
                    }
                }
                out.push('"');
                out
            }
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            WebValue::Bool(_) => "true/false",
            WebValue::Number(_) => "a number",
            WebValue::Text(_) => "text",
        }
    }
}

impl std::fmt::Display for WebValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.expr_literal())
    }
}

/// What a web gate's reading came to (Argo Rollouts' measurement phase).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebPhase {
    Successful,
    Failed,
    /// Neither condition held (not reached: one negates the other).
    Inconclusive,
    /// The reading errored (expr could not compare, the path found nothing);
    /// after four in a row the run errors and the rollout aborts.
    Error(String),
}

/// The comparison of a web gate and what meeting it means. The
/// AnalysisTemplate's conditions are written from it and `oamc gates` judges
/// with it, so the two cannot differ. The failure condition is the negation
/// of the success condition, so a value is never Inconclusive.
#[derive(Debug, Clone, Serialize)]
pub struct WebJudge {
    pub comparison: Comparison,
    pub value: WebValue,
    pub outcome: Outcome,
}

impl WebJudge {
    fn comparisons(&self) -> (Comparison, Comparison) {
        let (holds, not) = (self.comparison, self.comparison.negated());
        match self.outcome {
            Outcome::Success => (holds, not),
            Outcome::Fail => (not, holds),
        }
    }

    pub fn success_condition(&self) -> String {
        format!(
            "result {} {}",
            self.comparisons().0.as_str(),
            self.value.expr_literal()
        )
    }

    pub fn failure_condition(&self) -> String {
        format!(
            "result {} {}",
            self.comparisons().1.as_str(),
            self.value.expr_literal()
        )
    }

    /// The criterion in words: `the value == "ok" passes`.
    pub fn summary(&self) -> String {
        let verdict = match self.outcome {
            Outcome::Success => "passes",
            Outcome::Fail => "fails the rollout",
        };
        format!("{} {} {verdict}", self.comparison.as_str(), self.value)
    }

    /// What expr v1.15 makes of `result <op> <value>` for a JSON value as
    /// `encoding/json` decodes it: numbers compare as numbers, text as
    /// bytes; `==` and `!=` of different kinds are false and true
    /// (`runtime.Equal`); ordering anything else is a run-time error
    /// (`runtime.Less`: "invalid operation").
    fn holds(
        comparison: Comparison,
        found: &serde_json::Value,
        value: &WebValue,
    ) -> Result<bool, Unordered> {
        use serde_json::Value;
        let equal = match (found, value) {
            (Value::String(a), WebValue::Text(b))
                if !matches!(comparison, Comparison::Eq | Comparison::Ne) =>
            {
                let order = a.as_bytes().cmp(b.as_bytes());
                return Ok(match comparison {
                    Comparison::Gt => order.is_gt(),
                    Comparison::Ge => order.is_ge(),
                    Comparison::Lt => order.is_lt(),
                    _ => order.is_le(),
                });
            }
            (Value::Number(a), WebValue::Number(b)) => {
                let (a, b) = (
                    a.as_f64().unwrap_or(f64::NAN),
                    b.as_f64().unwrap_or(f64::NAN),
                );
                // Both sides numbers: every comparison is defined.
                return Ok(comparison.holds(a, b));
            }
            (Value::String(a), WebValue::Text(b)) => a == b,
            (Value::Bool(a), WebValue::Bool(b)) => a == b,
            _ => false,
        };
        match comparison {
            Comparison::Eq => Ok(equal),
            Comparison::Ne => Ok(!equal),
            c => Err(Unordered(format!(
                "expr cannot order {} and {} with `{}`",
                json_kind(found),
                value.kind(),
                c.as_str()
            ))),
        }
    }

    /// The phase Argo Rollouts gives a reading whose JSONPath found `found`
    /// (`utils/evaluate/evaluate.go`, `EvaluateResult`: an error in either
    /// condition is an Error; failure before success).
    pub fn phase(&self, found: &serde_json::Value) -> WebPhase {
        let (success, failure) = self.comparisons();
        let failed = match Self::holds(failure, found, &self.value) {
            Ok(f) => f,
            Err(why) => return WebPhase::Error(why.0),
        };
        let succeeded = match Self::holds(success, found, &self.value) {
            Ok(s) => s,
            Err(why) => return WebPhase::Error(why.0),
        };
        if failed {
            WebPhase::Failed
        } else if succeeded {
            WebPhase::Successful
        } else {
            WebPhase::Inconclusive
        }
    }
}

/// expr's run-time error ordering two values that are not both numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unordered(pub String);

/// A JSON value's kind, in words.
fn json_kind(v: &serde_json::Value) -> &'static str {
    use serde_json::Value;
    match v {
        Value::Null => "null",
        Value::Bool(_) => "true/false",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_read_as_a_path_or_an_absolute_url() {
        assert_eq!(
            target("/healthz?v=1"),
            Ok(WebTarget::NewVersion {
                path: "/healthz?v=1".into()
            })
        );
        assert_eq!(
            target("https://status.example.com/api"),
            Ok(WebTarget::Url("https://status.example.com/api".into()))
        );
        for bad in [
            "healthz",
            "//host/x",
            "ftp://h/x",
            "http://",
            "http://:80/x",
            "http://u:p@h/x",
            "/a b",
            "/a#b",
        ] {
            assert!(target(bad).is_err(), "{bad} was read");
        }
    }

    #[test]
    fn header_names_are_tokens() {
        assert!(header_name("X-Api-Key"));
        assert!(!header_name("X Api"));
        assert!(!header_name(""));
        assert!(!header_name("a:b"));
    }
}
