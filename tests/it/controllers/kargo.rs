//! Kargo v1.11.2 as it runs oamc's PromotionTask: the task inflated into a
//! Stage's promotion, every `${{ }}` evaluated, yaml-update applied to the
//! stage's real manifest file, and the committed file rendered by the plugin.
//!
//! Mirrors (akuity/kargo, tag v1.11.2):
//! - `pkg/api/promotion.go`: `InflateSteps`, `inflateTaskSteps`,
//!   `generatePromotionTaskStepAlias` (`<task alias>::<step alias>`);
//!   `api/v1alpha1/promotion_types.go`: `GetAlias` (`task-N`, `step-N`).
//! - `pkg/promotion/evaluator.go`: `BuildExprEnv`, `ExprEnvWithTaskOutputs`,
//!   `getTaskOutputs` (`task.outputs` = the outputs of the task's own steps).
//! - `pkg/expressions/json_templates.go`: `EvaluateTemplate` (a value that is
//!   only expressions is re-typed: number, bool, JSON), `quoteFunc`; expr-lang
//!   fails on a member of nil.
//! - `pkg/sjson/split_key.go`: `SplitKey`; `pkg/yaml/yaml.go`:
//!   `SetValuesInBytes`, `findScalarNode` (never creates a key);
//!   `pkg/yaml/quote.go`: `QuoteIfNecessary`; the value written with `%v`.
//! - step outputs: `git_commiter.go` and `git_pusher.go` (`commit`).

use super::git::{Checkouts, Remote};
use crate::common::*;
use serde_json::{Map, Value, json};
use std::path::Path;

// ---------------------------------------------------------------------------
// Expressions: the subset of expr-lang oamc's tasks use (member access,
// function calls, string/number/bool/null literals).

#[derive(Debug, Clone)]
enum Tok {
    Ident(String),
    Str(String),
    Num(Value),
    Dot,
    Open,
    Close,
    Comma,
}

fn lex(src: &str) -> Result<Vec<Tok>, String> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' | '\n' => i += 1,
            '.' => {
                out.push(Tok::Dot);
                i += 1
            }
            '(' => {
                out.push(Tok::Open);
                i += 1
            }
            ')' => {
                out.push(Tok::Close);
                i += 1
            }
            ',' => {
                out.push(Tok::Comma);
                i += 1
            }
            '\'' | '"' => {
                let end = chars[i + 1..]
                    .iter()
                    .position(|&d| d == c)
                    .ok_or("unterminated string")?;
                out.push(Tok::Str(chars[i + 1..i + 1 + end].iter().collect()));
                i += end + 2;
            }
            c if c.is_ascii_digit() => {
                let start = i;
                while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                    i += 1;
                }
                let text: String = chars[start..i].iter().collect();
                let n: Value = serde_json::from_str(&text).map_err(|_| "bad number")?;
                out.push(Tok::Num(n));
            }
            c if c.is_alphabetic() || c == '_' => {
                let start = i;
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                out.push(Tok::Ident(chars[start..i].iter().collect()));
            }
            other => return Err(format!("unexpected {other:?} in expression")),
        }
    }
    Ok(out)
}

/// What `imageFrom(repo)` finds: the Freight's image.
#[derive(Debug, Clone)]
pub struct Freight {
    pub repo_url: String,
    pub tag: String,
    pub digest: String,
}

struct Eval<'a> {
    toks: Vec<Tok>,
    at: usize,
    env: &'a Value,
    freight: &'a Freight,
}

impl Eval<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at)
    }
    fn next(&mut self) -> Option<Tok> {
        self.at += 1;
        self.toks.get(self.at - 1).cloned()
    }
    fn expr(&mut self) -> Result<Value, String> {
        let mut value = match self.next().ok_or("empty expression")? {
            Tok::Str(s) => Value::String(s),
            Tok::Num(n) => n,
            Tok::Ident(id) if id == "true" => json!(true),
            Tok::Ident(id) if id == "false" => json!(false),
            Tok::Ident(id) if id == "nil" || id == "null" => Value::Null,
            Tok::Ident(id) if matches!(self.peek(), Some(Tok::Open)) => {
                self.next();
                let mut args = Vec::new();
                while !matches!(self.peek(), Some(Tok::Close)) {
                    args.push(self.expr()?);
                    if matches!(self.peek(), Some(Tok::Comma)) {
                        self.next();
                    }
                }
                self.next();
                self.call(&id, &args)?
            }
            Tok::Ident(id) => self.env.get(&id).cloned().unwrap_or(Value::Null),
            t => return Err(format!("unexpected {t:?}")),
        };
        while let Some(Tok::Dot) = self.peek() {
            self.next();
            let Some(Tok::Ident(member)) = self.next() else {
                return Err("a member name must follow `.`".into());
            };
            value = match value {
                // expr-lang: "cannot fetch <member> from <nil>".
                Value::Null => return Err(format!("cannot fetch {member} from <nil>")),
                Value::Object(map) => map.get(&member).cloned().unwrap_or(Value::Null),
                other => return Err(format!("cannot fetch {member} from {other}")),
            };
        }
        Ok(value)
    }
    fn call(&self, name: &str, args: &[Value]) -> Result<Value, String> {
        match (name, args) {
            // `quoteFunc`: a string as Go's %q; anything else as its JSON, quoted.
            ("quote", [Value::String(s)]) => Ok(Value::String(go_quote(s))),
            ("quote", [other]) => Ok(Value::String(go_quote(&other.to_string()))),
            ("imageFrom", [Value::String(repo)]) if *repo == self.freight.repo_url => Ok(json!({
                "RepoURL": self.freight.repo_url,
                "Tag": self.freight.tag,
                "Digest": self.freight.digest,
            })),
            ("imageFrom", _) => Err(format!("no image from {args:?} in the Freight")),
            _ => Err(format!("unknown function {name}")),
        }
    }
}

/// Go's `%q` of an ASCII string (what oamc's values are).
fn go_quote(s: &str) -> String {
    serde_json::to_string(s).expect("a string serializes")
}

fn evaluate_expression(src: &str, env: &Value, freight: &Freight) -> Result<String, String> {
    let mut e = Eval {
        toks: lex(src)?,
        at: 0,
        env,
        freight,
    };
    let value = e.expr()?;
    if e.at != e.toks.len() {
        return Err(format!("unparsed rest in {src:?}"));
    }
    // `evaluateExpression`: a string as is, anything else as its JSON.
    Ok(match value {
        Value::String(s) => s,
        other => other.to_string(),
    })
}

/// Go's `strconv.ParseFloat` on the forms a template result can take.
fn go_parse_float(s: &str) -> Option<f64> {
    let body = s.trim_start_matches(['+', '-']);
    let lower = body.to_ascii_lowercase();
    if ["inf", "infinity", "nan"].contains(&lower.as_str()) {
        return Some(f64::NAN);
    }
    if lower.starts_with("0x") {
        // A hexadecimal float needs its `p` exponent.
        return lower.contains('p').then_some(0.0);
    }
    if body.contains('_') || !body.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
        return None;
    }
    s.parse::<f64>().ok()
}

fn go_parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// `EvaluateTemplate`: expressions substituted, then the result re-typed.
pub fn evaluate_template(template: &str, env: &Value, freight: &Freight) -> Result<Value, String> {
    if !template.contains("${{") {
        return Ok(Value::String(template.to_owned()));
    }
    let mut result = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("${{") {
        result.push_str(&rest[..start]);
        let after = &rest[start + 3..];
        let end = after
            .find("}}")
            .ok_or("unclosed expression: expected \"}}\"")?;
        result.push_str(&evaluate_expression(&after[..end], env, freight)?);
        rest = &after[end + 2..];
    }
    result.push_str(rest);
    let removed_newline = result.ends_with('\n');
    if removed_newline {
        result.pop();
    }
    if result.len() > 1 && result.starts_with('"') && result.ends_with('"') {
        let inner: String = serde_json::from_str(&result)
            .unwrap_or_else(|_| result[1..result.len() - 1].to_owned());
        return Ok(Value::String(if removed_newline {
            inner + "\n"
        } else {
            inner
        }));
    }
    if let Some(n) = go_parse_float(&result) {
        return Ok(if n.is_finite() {
            // Go's JSON writes an integral float64 without a fraction.
            if n.fract() == 0.0 && n.abs() < 1e15 {
                json!(n as i64)
            } else {
                json!(n)
            }
        } else {
            // JSON has no NaN; Kargo would fail to marshal it.
            return Err(format!("{result} evaluates to a float JSON cannot hold"));
        });
    }
    if let Some(b) = go_parse_bool(&result) {
        return Ok(Value::Bool(b));
    }
    if let Ok(v) = serde_json::from_str::<Value>(&result) {
        return Ok(v);
    }
    if removed_newline {
        result.push('\n');
    }
    Ok(Value::String(result))
}

/// `evaluateExpressions`: every string value of a step's config, recursively.
fn evaluate_config(config: &Value, env: &Value, freight: &Freight) -> Result<Value, String> {
    Ok(match config {
        Value::String(s) => evaluate_template(s, env, freight)?,
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| evaluate_config(v, env, freight))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), evaluate_config(v, env, freight)?)))
                .collect::<Result<Map<_, _>, String>>()?,
        ),
        other => other.clone(),
    })
}

// ---------------------------------------------------------------------------
// yaml-update.

/// `sjson.SplitKey`.
pub fn split_key(key: &str) -> Result<Vec<String>, String> {
    let key = key.trim();
    if key.is_empty() {
        return Err("empty key".into());
    }
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut escaped = false;
    for c in key.chars() {
        if escaped {
            match c {
                '.' | ':' => current.push(c),
                _ => return Err(format!("invalid escape sequence in key {key:?}")),
            }
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            '.' if current.is_empty() => return Err(format!("empty key part in key {key:?}")),
            '.' => parts.push(std::mem::take(&mut current)),
            ':' if !current.is_empty() => return Err(format!("unexpected colon in key {key:?}")),
            ':' => {}
            c => current.push(c),
        }
    }
    if current.is_empty() {
        return Err(format!("empty key part in key {key:?}"));
    }
    parts.push(current);
    Ok(parts)
}

/// `findScalarNode`: the 0-based line and column of the scalar at `path`.
pub fn find_scalar_node(text: &str, path: &[String]) -> Result<(usize, usize), String> {
    use oamc::dom::Value as V;
    let docs =
        oamc::dom::parse_stream(text).map_err(|e| format!("error unmarshaling input: {e:?}"))?;
    let mut node = docs.first().ok_or("empty document")?;
    for (i, part) in path.iter().enumerate() {
        node = match &node.value {
            V::Map(entries) => match entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(part.as_str()))
            {
                Some((_, v)) => v,
                None => return Err("key path not found".into()),
            },
            V::Seq(items) => {
                let index: usize = part
                    .parse()
                    .map_err(|_| format!("strconv.Atoi: parsing {part:?}: invalid syntax"))?;
                items.get(index).ok_or("index out of range")?
            }
            _ => return Err(format!("key path not found (at {})", path[..i].join("."))),
        };
    }
    match node.value {
        V::Seq(_) | V::Map(_) => Err("key path does not address a scalar node".into()),
        _ => Ok((node.pos.line as usize - 1, node.pos.col as usize - 1)),
    }
}

/// `QuoteIfNecessary`, then Go's `%v`.
pub fn quote_if_necessary(value: &Value) -> Value {
    match value {
        Value::String(s)
            if go_parse_float(s).is_some()
                || go_parse_bool(s).is_some()
                || serde_json::from_str::<Value>(s).is_ok() =>
        {
            Value::String(go_quote(s))
        }
        other => other.clone(),
    }
}

fn go_format_v(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => "<nil>".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) if n.is_i64() || n.is_u64() => n.to_string(),
        Value::Number(n) => go_format_float(n.as_f64().expect("a JSON number is a float")),
        other => other.to_string(),
    }
}

/// Go's `%v` of a float64 (`strconv.FormatFloat(f, 'g', -1, 64)`): the
/// shortest digits, in exponent form when the exponent is below -4 or at
/// least 6 (`ftoa.go`: "if shortest { eprec = 6 }").
pub fn go_format_float(f: f64) -> String {
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').expect("{:e} has an exponent");
    let exp: i32 = exp.parse().expect("an integer exponent");
    if !(-4..6).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    } else {
        format!("{f}")
    }
}

/// `SetValuesInBytes`: each key's scalar replaced on its line, the rest kept.
pub fn set_values_in_bytes(text: &str, updates: &[(String, Value)]) -> Result<String, String> {
    let mut changes = std::collections::BTreeMap::new();
    for (key, value) in updates {
        let path = split_key(key)?;
        let (line, col) =
            find_scalar_node(text, &path).map_err(|e| format!("error finding key {key}: {e}"))?;
        changes.insert(line, (col, value.clone()));
    }
    let mut out = String::new();
    for (i, line) in text.lines().enumerate() {
        match changes.get(&i) {
            None => out.push_str(line),
            Some((col, value)) => {
                let unchanged = &line[..*col];
                out.push_str(unchanged);
                if !unchanged.ends_with(' ') {
                    out.push(' ');
                }
                out.push_str(&go_format_v(&quote_if_necessary(value)));
            }
        }
        out.push('\n');
    }
    Ok(out)
}

// ---------------------------------------------------------------------------
// A promotion: the task inflated into the Stage's steps, run step by step.

pub struct Step {
    pub uses: String,
    pub alias: String,
    pub config: Value,
}

/// `InflateSteps` for a Stage whose promotion template runs one task.
pub fn inflate(stage: &Value, tasks: &[&Value]) -> Vec<Step> {
    let mut out = Vec::new();
    for (i, step) in stage["spec"]["promotionTemplate"]["spec"]["steps"]
        .as_array()
        .expect("the Stage has steps")
        .iter()
        .enumerate()
    {
        let task_name = step["task"]["name"].as_str().expect("a task step");
        let task_alias = step["as"]
            .as_str()
            .map_or(format!("task-{}", i + 1), str::to_owned);
        let task = tasks
            .iter()
            .find(|t| t["metadata"]["name"] == task_name)
            .unwrap_or_else(|| panic!("PromotionTask {task_name} is not rendered"));
        for (j, s) in task["spec"]["steps"].as_array().unwrap().iter().enumerate() {
            let alias = s["as"]
                .as_str()
                .map_or(format!("step-{}", j + 1), str::to_owned);
            out.push(Step {
                uses: s["uses"].as_str().unwrap().to_owned(),
                alias: format!("{task_alias}::{alias}"),
                config: s["config"].clone(),
            });
        }
    }
    out
}

/// What a promotion into one stage did.
pub struct Promotion {
    /// The stage's manifest after yaml-update (what git-commit commits).
    pub committed: String,
    /// The file, relative to the repository.
    pub file: String,
    /// The argocd-update step's evaluated config.
    pub argocd_update: Value,
    /// The git-clone step's evaluated config.
    pub git_clone: Value,
    pub git_commit: Value,
    /// git-push's outputs: the pushed commit and its branch.
    pub pushed: (String, String),
}

/// A promotion in progress: its inflated steps, run one at a time against a
/// Git remote, so that two promotions can interleave as Kargo runs them.
pub struct Run<'a> {
    steps: Vec<Step>,
    next: usize,
    task: &'a Value,
    stage_name: String,
    project: String,
    freight: Freight,
    vars: Map<String, Value>,
    outputs: Map<String, Value>,
    checkouts: Checkouts,
    committed: Option<(String, String)>,
    argocd_update: Value,
    git_clone: Value,
    git_commit: Value,
    pushed: Option<(String, String)>,
}

impl<'a> Run<'a> {
    pub fn new(stage: &Value, task: &'a Value, project: &str, freight: Freight) -> Run<'a> {
        Run {
            steps: inflate(stage, &[task]),
            next: 0,
            task,
            stage_name: stage["metadata"]["name"].as_str().unwrap().to_owned(),
            project: project.to_owned(),
            freight,
            vars: Map::new(),
            outputs: Map::new(),
            checkouts: Checkouts::default(),
            committed: None,
            argocd_update: Value::Null,
            git_clone: Value::Null,
            git_commit: Value::Null,
            pushed: None,
        }
    }

    /// Runs the steps before the first that `uses` (all of them: `None`).
    pub fn run_until(&mut self, remote: &mut Remote, uses: Option<&str>) -> Result<(), String> {
        while let Some(step) = self.steps.get(self.next) {
            if Some(step.uses.as_str()) == uses {
                return Ok(());
            }
            self.step(remote)?;
        }
        Ok(())
    }

    fn step(&mut self, remote: &mut Remote) -> Result<(), String> {
        let step = &self.steps[self.next];
        self.next += 1;
        let namespace = step.alias.split_once("::").map(|(t, _)| t);
        let mut env = json!({
            "ctx": { "stage": self.stage_name, "project": self.project, "promotion": "promo-1" },
            "outputs": Value::Object(self.outputs.clone()),
        });
        // `ExprEnvWithTaskOutputs`: the outputs of this task's steps, unprefixed.
        if let Some(ns) = namespace {
            let own: Map<String, Value> = self
                .outputs
                .iter()
                .filter_map(|(k, v)| {
                    k.strip_prefix(&format!("{ns}::"))
                        .map(|rest| (rest.to_owned(), v.clone()))
                })
                .collect();
            env["task"] = json!({ "outputs": own });
        }
        if self.vars.is_empty() {
            for v in self.task["spec"]["vars"].as_array().into_iter().flatten() {
                env["vars"] = Value::Object(self.vars.clone());
                let value = evaluate_template(v["value"].as_str().unwrap(), &env, &self.freight)?;
                self.vars
                    .insert(v["name"].as_str().unwrap().to_owned(), value);
            }
        }
        env["vars"] = Value::Object(self.vars.clone());
        let config = evaluate_config(&step.config, &env, &self.freight)
            .map_err(|e| format!("step {} ({}): {e}", step.alias, step.uses))?;
        let path = |key: &str| config[key].as_str().unwrap_or_default().to_owned();
        let output = match step.uses.as_str() {
            "git-clone" => {
                self.checkouts = Checkouts::clone_from(remote, &config["checkout"])?;
                self.git_clone = config.clone();
                json!({})
            }
            "delete" => {
                self.checkouts.delete(&path("path"))?;
                json!({})
            }
            "copy" => {
                self.checkouts.copy(&path("inPath"), &path("outPath"))?;
                json!({})
            }
            "yaml-update" => {
                let (tree, rel) = self.checkouts.locate(&path("path"))?;
                let text = tree.files.get(&rel).ok_or_else(|| {
                    format!(
                        "yaml-update: {rel} does not exist on branch {}",
                        tree.branch
                    )
                })?;
                let updates: Vec<(String, Value)> = config["updates"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|u| (u["key"].as_str().unwrap().to_owned(), u["value"].clone()))
                    .collect();
                let new = set_values_in_bytes(text, &updates)
                    .map_err(|e| format!("yaml-update: values file update failed: {e}"))?;
                tree.files.insert(rel.clone(), new.clone());
                self.committed = Some((rel, new));
                json!({ "commitMessage": "updated" })
            }
            "git-commit" => {
                self.git_commit = config.clone();
                json!({ "commit": self.checkouts.commit(remote, &path("path"))? })
            }
            "git-push" => {
                let (commit, branch) = self.checkouts.push(remote, &path("path"))?;
                self.pushed = Some((commit.clone(), branch.clone()));
                json!({ "commit": commit, "branch": branch })
            }
            "argocd-update" => {
                self.argocd_update = config.clone();
                json!({})
            }
            other => return Err(format!("oamc's model has no step {other}")),
        };
        self.outputs.insert(step.alias.clone(), output);
        Ok(())
    }

    pub fn finish(mut self, remote: &mut Remote) -> Result<Promotion, String> {
        self.run_until(remote, None)?;
        let (file, committed) = self.committed.ok_or("no yaml-update step ran")?;
        Ok(Promotion {
            committed,
            file,
            argocd_update: self.argocd_update,
            git_clone: self.git_clone,
            git_commit: self.git_commit,
            pushed: self.pushed.ok_or("no git-push step ran")?,
        })
    }
}

/// Runs the inflated steps as Kargo would, against `remote`.
pub fn promote(
    stage: &Value,
    task: &Value,
    project: &str,
    freight: &Freight,
    remote: &mut Remote,
) -> Result<Promotion, String> {
    Run::new(stage, task, project, freight.clone()).finish(remote)
}

// ---------------------------------------------------------------------------
// Held to upstream's own test vectors.

fn vectors() -> Value {
    let text = std::fs::read_to_string(root().join("tests/it/controllers/data/kargo-v1.11.2.json"))
        .unwrap();
    serde_json::from_str(&text).unwrap()
}

fn no_freight() -> Freight {
    Freight {
        repo_url: "example.com/app".into(),
        tag: "1.0.0".into(),
        digest: "sha256:0".into(),
    }
}

#[test]
fn split_key_matches_kargo_test_split_key() {
    for row in vectors()["split_key"]["rows"].as_array().unwrap() {
        let got = split_key(row["key"].as_str().unwrap());
        match row.get("parts") {
            Some(parts) => assert_eq!(json!(got.unwrap()), *parts, "{row}"),
            None => assert!(got.is_err(), "{row}: {got:?}"),
        }
    }
}

#[test]
fn find_scalar_node_matches_kargo_test_find_scalar_node() {
    let v = vectors();
    let yaml = v["find_scalar_node"]["yaml"].as_str().unwrap();
    for row in v["find_scalar_node"]["rows"].as_array().unwrap() {
        let path: Vec<String> = row["key"]
            .as_str()
            .unwrap()
            .split('.')
            .map(str::to_owned)
            .collect();
        let got = find_scalar_node(yaml, &path);
        match row.get("error") {
            Some(e) => {
                let err = got.expect_err(&row.to_string());
                assert!(err.contains(e.as_str().unwrap()), "{row}: {err}");
            }
            None => assert_eq!(
                got.unwrap(),
                (
                    row["line"].as_u64().unwrap() as usize,
                    row["col"].as_u64().unwrap() as usize
                ),
                "{row}"
            ),
        }
    }
}

#[test]
fn set_values_in_bytes_matches_kargo_test_set_values_in_bytes() {
    for row in vectors()["set_values_in_bytes"]["rows"].as_array().unwrap() {
        let out = set_values_in_bytes(
            row["in"].as_str().unwrap(),
            &[(
                row["key"].as_str().unwrap().to_owned(),
                row["value"].clone(),
            )],
        )
        .unwrap();
        // Kargo keeps the leading empty line; `lines()` does too.
        assert_eq!(out, row["out"].as_str().unwrap(), "{}", row["name"]);
    }
}

#[test]
fn quote_if_necessary_matches_kargo_test_quote_if_necessary() {
    for row in vectors()["quote_if_necessary"]["rows"].as_array().unwrap() {
        assert_eq!(quote_if_necessary(&row["input"]), row["expected"], "{row}");
    }
}

#[test]
fn evaluate_template_matches_kargo_test_evaluate_json_template() {
    let v = vectors();
    let env = &v["evaluate_template"]["env"];
    for row in v["evaluate_template"]["rows"].as_array().unwrap() {
        let got = evaluate_template(row["template"].as_str().unwrap(), env, &no_freight()).unwrap();
        assert_eq!(got, row["expected"], "{row}");
    }
    // expr-lang fails on a member of nil: what `outputs.commit.commit` did
    // inside a task, where the step is `task-1::commit`.
    let err = evaluate_template(
        "${{ outputs.commit.commit }}",
        &json!({"outputs": {}}),
        &no_freight(),
    )
    .unwrap_err();
    assert!(err.contains("from <nil>"), "{err}");
}

/// Every step of the rendered PromotionTask, as Kargo v1.11.2's step schemas
/// read it: only properties the step has, every required one, none that is
/// deprecated (git-commit's `author` goes away in v1.12), and a git-clone
/// author with its name and email.
#[test]
fn every_task_step_config_is_one_kargo_reads() {
    let v = vectors();
    let steps = &v["step_configs"]["steps"];
    let names = |x: &Value| -> Vec<String> {
        x.as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_owned())
            .collect()
    };
    for case in PROMOTION_FIXTURES {
        let docs = rendered(case);
        let task = docs.iter().find(|d| d["kind"] == "PromotionTask").unwrap();
        for step in task["spec"]["steps"].as_array().unwrap() {
            let uses = step["uses"].as_str().unwrap();
            let schema = &steps[uses];
            assert!(schema.is_object(), "{case}: no schema for step {uses}");
            let config = step["config"].as_object().unwrap();
            for key in config.keys() {
                assert!(
                    names(&schema["properties"]).contains(key),
                    "{case}: {uses} has no `{key}`"
                );
                assert!(
                    !names(&schema["deprecated"]).contains(key),
                    "{case}: {uses}.{key} is deprecated"
                );
            }
            for key in names(&schema["required"]) {
                assert!(config.contains_key(&key), "{case}: {uses} lacks `{key}`");
            }
            for item in config
                .get("checkout")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                for key in item.as_object().unwrap().keys() {
                    assert!(
                        names(&schema["checkout"]["properties"]).contains(key),
                        "{case}: checkout.{key}"
                    );
                }
                for key in names(&schema["checkout"]["required"]) {
                    assert!(item.get(&key).is_some(), "{case}: checkout lacks {key}");
                }
            }
            if let Some(author) = config.get("author") {
                for key in author.as_object().unwrap().keys() {
                    assert!(
                        names(&schema["author"]["properties"]).contains(key),
                        "{case}: author.{key}"
                    );
                }
                for key in names(&schema["author"]["required"]) {
                    assert!(
                        author.get(&key).is_some_and(|v| v.is_string()),
                        "{case}: author lacks {key}"
                    );
                }
            }
        }
    }
}

#[test]
fn go_formats_floats_as_kargo_writes_them() {
    // fmt's %v of a float64: what yaml-update writes for a re-typed tag.
    assert_eq!(go_format_float(1.1), "1.1");
    assert_eq!(go_format_float(20240101.0), "2.0240101e+07");
    assert_eq!(go_format_float(123456.0), "123456");
    assert_eq!(go_format_float(1e6), "1e+06");
    assert_eq!(go_format_float(0.0001), "0.0001");
    assert_eq!(go_format_float(0.00001), "1e-05");
}

// ---------------------------------------------------------------------------
// Every promotion fixture, every stage: the task runs to the end, the image
// lands in the stage's real file, and the plugin renders the committed file.

pub const PROMOTION_FIXTURES: [&str; 4] = [
    "promotion-default",
    "promotion-three-stages",
    "promotion-custom-from",
    "promotion-argocd",
];

/// Tags that look like numbers, booleans or JSON to Kargo's re-typing.
const TAGS: [&str; 6] = ["1.10", "20240101", "true", "1e3", "v2.3.4", "null"];

fn rendered(case: &str) -> Vec<Value> {
    let input = format!("fixtures/render/{case}/application.yaml");
    let out = oamc(&["render", &input], None);
    assert!(out.status.success(), "{case}: {}", text(&out.stderr));
    yaml_docs(&text(&out.stdout))
}

/// The stage's manifest in the GitOps repository: the fixture itself, as
/// each stage keeps its own copy of the Application (with the stage's own
/// namespace where the stage's Argo CD Application deploys elsewhere).
pub fn stage_manifest(case: &str, destination_namespace: Option<&str>) -> String {
    let source =
        std::fs::read_to_string(root().join(format!("fixtures/render/{case}/application.yaml")))
            .unwrap();
    match destination_namespace {
        None => source,
        Some(ns) => {
            source
                .lines()
                .map(|l| match l.strip_prefix("  namespace: ") {
                    Some(_) => format!("  namespace: {ns}"),
                    None => l.to_owned(),
                })
                .collect::<Vec<_>>()
                .join("\n")
                + "\n"
        }
    }
}

#[test]
fn every_stage_of_every_promotion_fixture_promotes_and_renders() {
    for case in PROMOTION_FIXTURES {
        let docs = rendered(case);
        let of =
            |kind: &str| -> Vec<&Value> { docs.iter().filter(|d| d["kind"] == kind).collect() };
        let task = of("PromotionTask")[0];
        let project = task["metadata"]["namespace"].as_str().unwrap();
        let warehouse = of("Warehouse")[0];
        let repo_url = warehouse["spec"]["subscriptions"][0]["image"]["repoURL"]
            .as_str()
            .unwrap()
            .to_owned();
        let apps = of("Application");
        for stage in of("Stage") {
            let name = stage["metadata"]["name"].as_str().unwrap();
            let app = apps.iter().find(|a| {
                a["metadata"]["annotations"]["kargo.akuity.io/authorized-stage"]
                    == format!("{project}:{name}")
            });
            let destination_ns = app.and_then(|a| a["spec"]["destination"]["namespace"].as_str());
            // The user's own Application deploys where the manifest says.
            let source: Value = serde_saphyr::from_str(&stage_manifest(case, None)).unwrap();
            let own_ns = source["metadata"]["namespace"]
                .as_str()
                .unwrap_or("default")
                .to_owned();
            let own_ns = own_ns.as_str();
            // Only tags the Warehouse can pick reach a promotion.
            let allowed: Vec<regex::Regex> =
                warehouse["spec"]["subscriptions"][0]["image"]["allowTagsRegexes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|r| regex::Regex::new(r.as_str().unwrap()).unwrap())
                    .collect();
            let tags = TAGS
                .iter()
                .filter(|t| allowed.is_empty() || allowed.iter().any(|r| r.is_match(t)));
            for &tag in tags {
                let freight = Freight {
                    repo_url: repo_url.clone(),
                    tag: tag.into(),
                    digest:
                        "sha256:1111111111111111111111111111111111111111111111111111111111111111"
                            .into(),
                };
                let manifest = stage_manifest(case, destination_ns);
                let rel = task_file(stage, task, &freight);
                let mut remote = Remote::with(&source_branch(task), [(rel, manifest)].into());
                let p = promote(stage, task, project, &freight, &mut remote)
                    .unwrap_or_else(|e| panic!("{case}, stage {name}, tag {tag}: {e}"));

                // argocd-update syncs the pushed commit, of the Application that deploys the stage.
                let sync = &p.argocd_update["apps"][0];
                assert_eq!(
                    sync["sources"][0]["desiredRevision"], p.pushed.0,
                    "{case}/{name}: desiredRevision must be git-push's commit"
                );
                assert_ne!(
                    p.pushed.1,
                    source_branch(task),
                    "{case}/{name}: a stage pushes its own branch"
                );
                if let Some(app) = app {
                    assert_eq!(sync["name"], app["metadata"]["name"], "{case}/{name}");
                    assert_eq!(
                        sync["namespace"], app["metadata"]["namespace"],
                        "{case}/{name}"
                    );
                    assert_eq!(
                        app["spec"]["source"]["targetRevision"], p.pushed.1,
                        "{case}/{name}: the Application tracks the branch the stage pushes"
                    );
                    assert_eq!(
                        format!("{}/", app["spec"]["source"]["path"].as_str().unwrap()),
                        format!("{}/", oamc::names::folder_of(&p.file)),
                        "{case}/{name}: the Application renders the committed folder"
                    );
                }
                // Kargo v1.12 drops git-commit's author: it is git-clone's.
                assert!(
                    p.git_commit.get("author").is_none(),
                    "{case}: {}",
                    p.git_commit
                );
                assert!(p.git_clone["author"]["email"].is_string(), "{case}");

                // The committed file is what the stage's Argo CD Application renders.
                let dir = tempdir(&format!("kargo-{case}-{name}"));
                let folder = dir.join(oamc::names::folder_of(&p.file));
                std::fs::create_dir_all(&folder).unwrap();
                std::fs::write(dir.join(&p.file), &p.committed).unwrap();
                let parameters = app
                    .map_or(json!([{"name": "promotion", "string": "skip"}]), |a| {
                        a["spec"]["source"]["plugin"]["parameters"].clone()
                    });
                let env =
                    super::argocd::plugin_env(&parameters, Some(destination_ns.unwrap_or(own_ns)));
                let out = cmp_generate(&folder, &env);
                assert!(
                    out.status.success(),
                    "{case}, stage {name}, tag {tag}: the committed file does not render:\n{}\n{}",
                    text(&out.stderr),
                    p.committed
                );
                let rendered = yaml_docs(&text(&out.stdout));
                let image = rendered
                    .iter()
                    .find(|d| d["kind"] == "Rollout")
                    .map(|r| r["spec"]["template"]["spec"]["containers"][0]["image"].clone())
                    .unwrap();
                let want = if case == "promotion-custom-from" {
                    format!("{repo_url}@{}", freight.digest)
                } else {
                    format!("{repo_url}:{tag}")
                };
                // The promoted component's image (the fixture's first Rollout may be another).
                let images: Vec<&Value> = rendered
                    .iter()
                    .filter(|d| d["kind"] == "Rollout")
                    .map(|r| &r["spec"]["template"]["spec"]["containers"][0]["image"])
                    .collect();
                assert!(
                    images.contains(&&json!(want)),
                    "{case}/{name}/{tag}: {images:?} (first {image})"
                );
            }
        }
    }
}

/// The branch the task reads the stages' manifests from (its `branch` var).
pub fn source_branch(task: &Value) -> String {
    task["spec"]["vars"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "branch")
        .and_then(|v| v["value"].as_str())
        .expect("the task has a branch var")
        .to_owned()
}

/// The stage's manifest as a path in the repository: yaml-update's path,
/// evaluated for `stage`, without its checkout folder.
pub fn task_file(stage: &Value, task: &Value, freight: &Freight) -> String {
    let steps = inflate(stage, &[task]);
    let update = steps.iter().find(|s| s.uses == "yaml-update").unwrap();
    let env = json!({"ctx": {"stage": stage["metadata"]["name"]}});
    let path = evaluate_template(update.config["path"].as_str().unwrap(), &env, freight).unwrap();
    let path = path.as_str().unwrap().trim_start_matches("./");
    path.split_once('/').unwrap().1.to_owned()
}

/// Run `oamc cmp generate` in `dir` with exactly `env` (as the repo-server does).
pub fn cmp_generate(dir: &Path, env: &[(String, String)]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_oamc"))
        .args(["cmp", "generate"])
        .current_dir(dir)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .expect("oamc runs")
}

pub fn tempdir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("oamc-controllers-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
