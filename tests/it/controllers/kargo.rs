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

use super::git::{Checkouts, PullRequestState, Remote};
use crate::common::*;
use serde_json::{Map, Value, json};
use std::path::Path;

// ---------------------------------------------------------------------------
// Expressions: the subset of expr-lang v1.17 oamc's tasks use: member access
// (`.x`, `?.x`, `['x']`), function calls, literals, `==` and `!=`, `??` and
// `c ? a : b`. As expr-lang compiles them (`compiler/compiler.go`), `??` and
// `?:` evaluate only the side they take; a member of nil fails unless `?.`;
// a key a map lacks is nil.

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Num(Value),
    Dot,
    OptionalDot,
    Open,
    Close,
    OpenBracket,
    CloseBracket,
    Comma,
    Question,
    Coalesce,
    Colon,
    Eq,
    Ne,
}

fn lex(src: &str) -> Result<Vec<Tok>, String> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let (tok, width) = match (c, next) {
            (' ' | '\t' | '\n', _) => {
                i += 1;
                continue;
            }
            ('?', Some('.')) => (Tok::OptionalDot, 2),
            ('?', Some('?')) => (Tok::Coalesce, 2),
            ('=', Some('=')) => (Tok::Eq, 2),
            ('!', Some('=')) => (Tok::Ne, 2),
            ('?', _) => (Tok::Question, 1),
            (':', _) => (Tok::Colon, 1),
            ('.', _) => (Tok::Dot, 1),
            ('(', _) => (Tok::Open, 1),
            (')', _) => (Tok::Close, 1),
            ('[', _) => (Tok::OpenBracket, 1),
            (']', _) => (Tok::CloseBracket, 1),
            (',', _) => (Tok::Comma, 1),
            ('\'' | '"', _) => {
                let end = chars[i + 1..]
                    .iter()
                    .position(|&d| d == c)
                    .ok_or("unterminated string")?;
                (
                    Tok::Str(chars[i + 1..i + 1 + end].iter().collect()),
                    end + 2,
                )
            }
            (c, _) if c.is_ascii_digit() => {
                let mut j = i;
                while j < chars.len() && (chars[j].is_ascii_digit() || chars[j] == '.') {
                    j += 1;
                }
                let text: String = chars[i..j].iter().collect();
                let n: Value = serde_json::from_str(&text).map_err(|_| "bad number")?;
                (Tok::Num(n), j - i)
            }
            (c, _) if c.is_alphabetic() || c == '_' => {
                let mut j = i;
                while j < chars.len() && (chars[j].is_alphanumeric() || chars[j] == '_') {
                    j += 1;
                }
                (Tok::Ident(chars[i..j].iter().collect()), j - i)
            }
            (other, _) => return Err(format!("unexpected {other:?} in expression")),
        };
        out.push(tok);
        i += width;
    }
    Ok(out)
}

/// An expression, parsed before it is evaluated (so `??` and `?:` can
/// leave a side unevaluated, as expr-lang's jumps do).
#[derive(Debug)]
enum Node {
    Literal(Value),
    Name(String),
    Call(String, Vec<Node>),
    Member {
        of: Box<Node>,
        key: Box<Node>,
        optional: bool,
    },
    Equal(Box<Node>, Box<Node>, bool),
    Coalesce(Box<Node>, Box<Node>),
    Conditional(Box<Node>, Box<Node>, Box<Node>),
}

struct Parser {
    toks: Vec<Tok>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at)
    }
    fn next(&mut self) -> Option<Tok> {
        self.at += 1;
        self.toks.get(self.at - 1).cloned()
    }
    fn eat(&mut self, tok: &Tok) -> bool {
        let here = self.peek() == Some(tok);
        if here {
            self.at += 1;
        }
        here
    }
    fn expect(&mut self, tok: Tok) -> Result<(), String> {
        if self.eat(&tok) {
            Ok(())
        } else {
            Err(format!("expected {tok:?}, found {:?}", self.peek()))
        }
    }
    fn conditional(&mut self) -> Result<Node, String> {
        let test = self.coalesce()?;
        if !self.eat(&Tok::Question) {
            return Ok(test);
        }
        let then = self.conditional()?;
        self.expect(Tok::Colon)?;
        let otherwise = self.conditional()?;
        Ok(Node::Conditional(
            Box::new(test),
            Box::new(then),
            Box::new(otherwise),
        ))
    }
    fn coalesce(&mut self) -> Result<Node, String> {
        let mut left = self.equality()?;
        while self.eat(&Tok::Coalesce) {
            left = Node::Coalesce(Box::new(left), Box::new(self.equality()?));
        }
        Ok(left)
    }
    fn equality(&mut self) -> Result<Node, String> {
        let left = self.postfix()?;
        for (tok, equal) in [(Tok::Eq, true), (Tok::Ne, false)] {
            if self.eat(&tok) {
                return Ok(Node::Equal(
                    Box::new(left),
                    Box::new(self.postfix()?),
                    equal,
                ));
            }
        }
        Ok(left)
    }
    fn postfix(&mut self) -> Result<Node, String> {
        let mut node = self.primary()?;
        loop {
            let optional = match self.peek() {
                Some(Tok::Dot) => false,
                Some(Tok::OptionalDot) => true,
                Some(Tok::OpenBracket) => {
                    self.next();
                    let key = self.conditional()?;
                    self.expect(Tok::CloseBracket)?;
                    node = Node::Member {
                        of: Box::new(node),
                        key: Box::new(key),
                        optional: false,
                    };
                    continue;
                }
                _ => return Ok(node),
            };
            self.next();
            let Some(Tok::Ident(member)) = self.next() else {
                return Err("a member name must follow `.`".into());
            };
            node = Node::Member {
                of: Box::new(node),
                key: Box::new(Node::Literal(Value::String(member))),
                optional,
            };
        }
    }
    fn primary(&mut self) -> Result<Node, String> {
        Ok(match self.next().ok_or("empty expression")? {
            Tok::Str(s) => Node::Literal(Value::String(s)),
            Tok::Num(n) => Node::Literal(n),
            Tok::Ident(id) if id == "true" => Node::Literal(json!(true)),
            Tok::Ident(id) if id == "false" => Node::Literal(json!(false)),
            Tok::Ident(id) if id == "nil" || id == "null" => Node::Literal(Value::Null),
            Tok::Ident(id) if self.eat(&Tok::Open) => {
                let mut args = Vec::new();
                while !self.eat(&Tok::Close) {
                    args.push(self.conditional()?);
                    self.eat(&Tok::Comma);
                }
                Node::Call(id, args)
            }
            Tok::Ident(id) => Node::Name(id),
            Tok::Open => {
                let inner = self.conditional()?;
                self.expect(Tok::Close)?;
                inner
            }
            t => return Err(format!("unexpected {t:?}")),
        })
    }
}

/// What `imageFrom(repo)` finds: the Freight's image.
#[derive(Debug, Clone)]
pub struct Freight {
    pub repo_url: String,
    pub tag: String,
    pub digest: String,
}

/// What an expression sees: the env, the Freight, and for `status()` the
/// statuses of the promotion's steps so far and the current step's alias.
struct Eval<'a> {
    env: &'a Value,
    freight: &'a Freight,
}

impl Eval<'_> {
    fn eval(&self, node: &Node) -> Result<Value, String> {
        Ok(match node {
            Node::Literal(v) => v.clone(),
            Node::Name(id) => self.env.get(id).cloned().unwrap_or(Value::Null),
            Node::Call(name, args) => {
                let args = args
                    .iter()
                    .map(|a| self.eval(a))
                    .collect::<Result<Vec<_>, _>>()?;
                self.call(name, &args)?
            }
            Node::Member { of, key, optional } => {
                let (of, key) = (self.eval(of)?, self.eval(key)?);
                let Value::String(member) = key else {
                    return Err(format!("a member must be a string, not {key}"));
                };
                match of {
                    Value::Null if *optional => Value::Null,
                    // expr-lang: "cannot fetch <member> from <nil>".
                    Value::Null => return Err(format!("cannot fetch {member} from <nil>")),
                    Value::Object(map) => map.get(&member).cloned().unwrap_or(Value::Null),
                    other => return Err(format!("cannot fetch {member} from {other}")),
                }
            }
            Node::Equal(a, b, equal) => json!((self.eval(a)? == self.eval(b)?) == *equal),
            Node::Coalesce(a, b) => match self.eval(a)? {
                Value::Null => self.eval(b)?,
                value => value,
            },
            Node::Conditional(test, then, otherwise) => match self.eval(test)? {
                Value::Bool(true) => self.eval(then)?,
                Value::Bool(false) => self.eval(otherwise)?,
                other => return Err(format!("non-bool {other} used as condition")),
            },
        })
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
            // `getStatus`: a step of the current step's task namespace, by
            // its short alias; "" when none ran.
            ("status", [Value::String(alias)]) if alias.is_empty() => {
                Err("argument must not be empty".into())
            }
            ("status", args) if args.len() != 1 => {
                Err(format!("expected 1 argument, got {}", args.len()))
            }
            ("status", [Value::String(alias)]) => {
                let current = self.env[STEP_ALIAS].as_str().unwrap_or_default();
                let namespace = current.split_once("::").map(|(n, _)| n);
                let found = self.env[STEP_STATUSES]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .find(|(full, _)| {
                        let (ns, short) = match full.split_once("::") {
                            Some((n, s)) => (Some(n), s),
                            None => (None, full.as_str()),
                        };
                        ns == namespace && short == alias
                    });
                Ok(found.map_or(json!(""), |(_, status)| status.clone()))
            }
            ("status", _) => Err("argument must be string".into()),
            _ => Err(format!("unknown function {name}")),
        }
    }
}

/// Where the env carries what `status()` reads (names no expression can spell).
const STEP_ALIAS: &str = " step";
const STEP_STATUSES: &str = " statuses";

/// Go's `%q` of an ASCII string (what oamc's values are).
fn go_quote(s: &str) -> String {
    serde_json::to_string(s).expect("a string serializes")
}

fn evaluate_expression(src: &str, env: &Value, freight: &Freight) -> Result<String, String> {
    let mut parser = Parser {
        toks: lex(src)?,
        at: 0,
    };
    let node = parser.conditional()?;
    if parser.at != parser.toks.len() {
        return Err(format!("unparsed rest in {src:?}"));
    }
    let value = Eval { env, freight }.eval(&node)?;
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

#[derive(Clone)]
pub struct Step {
    pub uses: String,
    pub alias: String,
    pub config: Value,
    /// `if`: the step runs only when it evaluates to true (else Skipped).
    pub when: Option<String>,
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
                when: s["if"].as_str().map(str::to_owned),
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
    /// Each step's status so far, by its full alias (what `status()` reads).
    statuses: Map<String, Value>,
    /// The Promotion's name (`ctx.promotion`).
    promotion: String,
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
            statuses: Map::new(),
            promotion: format!(
                "promo-{}",
                PROMOTIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            ),
            committed: None,
            argocd_update: Value::Null,
            git_clone: Value::Null,
            git_commit: Value::Null,
            pushed: None,
        }
    }

    /// Runs the steps before the first that `uses` (all of them: `None`),
    /// or until a step waits for a person: the pull request it waits on.
    pub fn run_until(
        &mut self,
        remote: &mut Remote,
        uses: Option<&str>,
    ) -> Result<Option<u64>, String> {
        while let Some(step) = self.steps.get(self.next) {
            if Some(step.uses.as_str()) == uses {
                return Ok(None);
            }
            if let Some(pr) = self.step(remote)? {
                return Ok(Some(pr));
            }
        }
        Ok(None)
    }

    /// The env a step's expressions see.
    fn env(&self, alias: &str) -> Value {
        let mut env = json!({
            "ctx": { "stage": self.stage_name, "project": self.project, "promotion": self.promotion },
            "outputs": Value::Object(self.outputs.clone()),
            STEP_ALIAS: alias,
            STEP_STATUSES: Value::Object(self.statuses.clone()),
        });
        // `ExprEnvWithTaskOutputs`: the outputs of this task's steps, unprefixed.
        if let Some((ns, _)) = alias.split_once("::") {
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
        env["vars"] = Value::Object(self.vars.clone());
        env
    }

    /// Runs the next step; a pull request it waits on leaves it to run again.
    fn step(&mut self, remote: &mut Remote) -> Result<Option<u64>, String> {
        let step = self.steps[self.next].clone();
        if self.vars.is_empty() {
            for v in self.task["spec"]["vars"].as_array().into_iter().flatten() {
                let env = self.env(&step.alias);
                let value = evaluate_template(v["value"].as_str().unwrap(), &env, &self.freight)?;
                self.vars
                    .insert(v["name"].as_str().unwrap().to_owned(), value);
            }
        }
        let env = self.env(&step.alias);
        let fail = |e: String| format!("step {} ({}): {e}", step.alias, step.uses);
        // `local_orchestrator.go`: a step whose `if` is false is Skipped.
        if let Some(when) = &step.when {
            match evaluate_template(when, &env, &self.freight).map_err(fail)? {
                Value::Bool(true) => {}
                Value::Bool(false) => {
                    self.statuses.insert(step.alias.clone(), json!("Skipped"));
                    self.next += 1;
                    return Ok(None);
                }
                other => return Err(fail(format!("`if` is {other}, not a bool"))),
            }
        }
        let config = evaluate_config(&step.config, &env, &self.freight).map_err(fail)?;
        let (status, output) = match self.run_step(&step.uses, &config, remote)? {
            Ran::Done(status, output) => (status, output),
            Ran::Waiting(pr) => return Ok(Some(pr)),
        };
        self.statuses.insert(step.alias.clone(), json!(status));
        if let Some(output) = output {
            self.outputs.insert(step.alias.clone(), output);
        }
        self.next += 1;
        Ok(None)
    }

    fn run_step(&mut self, uses: &str, config: &Value, remote: &mut Remote) -> Result<Ran, String> {
        let path = |key: &str| config[key].as_str().unwrap_or_default().to_owned();
        let done = |output: Value| Ok(Ran::Done("Succeeded", Some(output)));
        match uses {
            "git-clone" => {
                self.checkouts = Checkouts::clone_from(remote, &config["checkout"])?;
                self.git_clone = config.clone();
                done(json!({}))
            }
            "delete" => {
                self.checkouts.delete(&path("path"))?;
                done(json!({}))
            }
            "copy" => {
                self.checkouts.copy(&path("inPath"), &path("outPath"))?;
                done(json!({}))
            }
            "yaml-update" => self.yaml_update(config),
            "git-commit" => {
                self.git_commit = config.clone();
                let (commit, made) = self.checkouts.commit(remote, &path("path"))?;
                let status = if made { "Succeeded" } else { "Skipped" };
                Ok(Ran::Done(status, Some(json!({ "commit": commit }))))
            }
            "git-push" => {
                let generated = config["generateTargetBranch"] == json!(true);
                let (commit, branch) = if generated {
                    let branch = format!("kargo/promotion/{}", self.promotion);
                    self.checkouts.push_to(remote, &path("path"), &branch)?
                } else {
                    self.checkouts.push(remote, &path("path"))?
                };
                self.pushed = Some((commit.clone(), branch.clone()));
                done(json!({ "commit": commit, "branch": branch }))
            }
            "git-open-pr" => {
                let (source, target) = (path("sourceBranch"), path("targetBranch"));
                match remote.open_pull_request(&source, &target)? {
                    Some(id) => done(json!({ "pr": { "id": id, "url": format!("pr/{id}") } })),
                    // `RefsHaveDiffs` false: nothing to merge.
                    None => Ok(Ran::Done("Skipped", None)),
                }
            }
            "git-wait-for-pr" => {
                let id = config["prNumber"]
                    .as_u64()
                    .ok_or("prNumber is not a number")?;
                match remote.pull_request(id)? {
                    PullRequestState::Open => Ok(Ran::Waiting(id)),
                    PullRequestState::Closed => Err(format!(
                        "git-wait-for-pr: pull request {id} was closed without being merged"
                    )),
                    PullRequestState::Merged(commit) => done(json!({
                        "pr": { "id": id, "open": false, "merged": true },
                        "commit": commit,
                    })),
                }
            }
            "argocd-update" => {
                self.argocd_update = config.clone();
                done(json!({}))
            }
            other => Err(format!("oamc's model has no step {other}")),
        }
    }

    fn yaml_update(&mut self, config: &Value) -> Result<Ran, String> {
        let path = config["path"].as_str().unwrap_or_default();
        let (tree, rel) = self.checkouts.locate(path)?;
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
        Ok(Ran::Done(
            "Succeeded",
            Some(json!({ "commitMessage": "updated" })),
        ))
    }

    /// Runs to the end, a person merging each pull request it waits on.
    pub fn finish_merging(mut self, remote: &mut Remote) -> Result<Promotion, String> {
        while let Some(pr) = self.run_until(remote, None)? {
            remote.merge_pull_request(pr)?;
        }
        self.finish(remote)
    }

    /// Runs to the end; a step still waiting for a person is an error.
    pub fn finish(mut self, remote: &mut Remote) -> Result<Promotion, String> {
        if let Some(pr) = self.run_until(remote, None)? {
            return Err(format!("waits for a person to merge pull request {pr}"));
        }
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
    Run::new(stage, task, project, freight.clone()).finish_merging(remote)
}

/// Each Promotion's name is its own (Kargo's carry a unique suffix), as
/// the branch `generateTargetBranch` pushes is named after it.
static PROMOTIONS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// What a step did: its status and output, or the pull request it waits on.
enum Ran {
    Done(&'static str, Option<Value>),
    Waiting(u64),
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

/// `status()` as Kargo's own rows call it: in a task, a step of the same
/// task by its short alias.
#[test]
fn status_matches_kargo_test_get_status() {
    let v = vectors();
    for case in v["get_status"]["cases"].as_array().unwrap() {
        let env = json!({
            STEP_ALIAS: case["current"],
            STEP_STATUSES: case["statuses"],
        });
        let eval = Eval {
            env: &env,
            freight: &no_freight(),
        };
        let args: Vec<Value> = case["args"].as_array().unwrap().clone();
        let got = match eval.call("status", &args) {
            Ok(v) => v.as_str().unwrap().to_owned(),
            Err(e) => format!("error: {e}"),
        };
        let want = case["want"].as_str().unwrap();
        // Upstream asserts `ErrorContains` for errors, equality otherwise.
        match want.strip_prefix("error: ") {
            Some(part) => assert!(
                got.starts_with("error: ") && got.contains(part),
                "{case}: {got}"
            ),
            None => assert_eq!(got, want, "{case}"),
        }
    }
}

/// The operators the tasks use, as expr-lang v1.17 evaluates them: `??`
/// and `?:` leave the side they do not take unevaluated (a member of nil
/// there would fail), `?.` is nil on nil.
#[test]
fn coalescing_and_conditionals_evaluate_one_side() {
    let env = json!({ "task": { "outputs": { "push": { "commit": "abc" } } } });
    let eval = |src: &str| evaluate_template(src, &env, &no_freight());
    let cases = [
        (
            "${{ task.outputs.merged?.commit ?? task.outputs.push.commit }}",
            json!("abc"),
        ),
        (
            "${{ task.outputs.push.commit ?? task.outputs.merged.commit }}",
            json!("abc"),
        ),
        (
            "${{ 'a' != 'b' ? task.outputs.push.commit : task.outputs.merged.commit }}",
            json!("abc"),
        ),
        ("${{ task.outputs['push'].commit == 'abc' }}", json!(true)),
        (
            "${{ (task.outputs.merged?.pr?.id ?? 0) == 0 }}",
            json!(true),
        ),
    ];
    for (src, want) in cases {
        assert_eq!(eval(src).unwrap(), want, "{src}");
    }
    let err = eval("${{ task.outputs.merged.commit }}").unwrap_err();
    assert!(err.contains("from <nil>"), "{err}");
    let err = eval("${{ 'x' ? 1 : 2 }}").unwrap_err();
    assert!(err.contains("condition"), "{err}");
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
        let tasks = docs.iter().filter(|d| d["kind"] == "PromotionTask");
        for step in tasks.flat_map(|t| t["spec"]["steps"].as_array().unwrap()) {
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
            if let Some(provider) = config.get("provider") {
                assert!(
                    schema["provider"].as_array().unwrap().contains(provider),
                    "{case}: {uses}.provider {provider}"
                );
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

pub const PROMOTION_FIXTURES: [&str; 5] = [
    "promotion-default",
    "promotion-three-stages",
    "promotion-custom-from",
    "promotion-argocd",
    "promotion-pull-request",
];

/// The PromotionTask a Stage's promotion template runs.
pub fn task_of<'a>(stage: &Value, tasks: &[&'a Value]) -> &'a Value {
    let name = &stage["spec"]["promotionTemplate"]["spec"]["steps"][0]["task"]["name"];
    tasks
        .iter()
        .find(|t| t["metadata"]["name"] == *name)
        .unwrap_or_else(|| panic!("no PromotionTask {name}"))
}

/// What a person does before a stage's first promotion by pull request
/// (`oamc plan` lists it): its branch, made from the branch the task reads.
pub fn prepare(remote: &mut Remote, stage: &Value, task: &Value) {
    let name = stage["metadata"]["name"].as_str().unwrap();
    for step in task["spec"]["steps"].as_array().unwrap() {
        if step["uses"] == "git-open-pr" {
            let target = step["config"]["targetBranch"].as_str().unwrap();
            let branch = target.replace("${{ ctx.stage }}", name);
            if remote.head(&branch).is_none() {
                remote.branch_from(&branch, &source_branch(task));
            }
        }
    }
}

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
        let tasks = of("PromotionTask");
        let project = tasks[0]["metadata"]["namespace"].as_str().unwrap();
        let warehouse = of("Warehouse")[0];
        let repo_url = warehouse["spec"]["subscriptions"][0]["image"]["repoURL"]
            .as_str()
            .unwrap()
            .to_owned();
        let apps = of("Application");
        for stage in of("Stage") {
            let name = stage["metadata"]["name"].as_str().unwrap();
            let task = task_of(stage, &tasks);
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
                prepare(&mut remote, stage, task);
                let p = promote(stage, task, project, &freight, &mut remote)
                    .unwrap_or_else(|e| panic!("{case}, stage {name}, tag {tag}: {e}"));

                // argocd-update syncs what the stage's branch now holds (the
                // pushed commit, or the pull request's merge commit), of the
                // Application that deploys the stage.
                assert_synced_where_the_stage_deploys(
                    &format!("{case}/{name}"),
                    &p,
                    &remote,
                    task,
                    app,
                );

                // The committed file is what the stage's Argo CD Application renders.
                let parameters = app
                    .map_or(json!([{"name": "promotion", "string": "skip"}]), |a| {
                        a["spec"]["source"]["plugin"]["parameters"].clone()
                    });
                let want = if case == "promotion-custom-from" {
                    format!("{repo_url}@{}", freight.digest)
                } else {
                    format!("{repo_url}:{tag}")
                };
                let at = format!("{case}/{name}/{tag}");
                let namespace = destination_ns.unwrap_or(own_ns);
                assert_committed_file_renders(&at, &p, &parameters, namespace, &want);
            }
        }
    }
}

/// argocd-update names the Application that deploys the stage, which
/// tracks the stage's branch and renders the committed folder; the commit's
/// author is git-clone's (Kargo v1.12 drops git-commit's).
fn assert_synced_where_the_stage_deploys(
    at: &str,
    p: &Promotion,
    remote: &Remote,
    task: &Value,
    app: Option<&&Value>,
) {
    let sync = &p.argocd_update["apps"][0];
    let stage_branch = p.git_clone["checkout"][1]["branch"].as_str().unwrap();
    assert_eq!(
        sync["sources"][0]["desiredRevision"].as_str(),
        remote.head(stage_branch),
        "{at}: desiredRevision must be the head of the stage's branch"
    );
    assert_ne!(
        p.pushed.1,
        source_branch(task),
        "{at}: a stage pushes its own branch"
    );
    if let Some(app) = app {
        assert_eq!(sync["name"], app["metadata"]["name"], "{at}");
        assert_eq!(sync["namespace"], app["metadata"]["namespace"], "{at}");
        assert_eq!(
            app["spec"]["source"]["targetRevision"], stage_branch,
            "{at}: the Application tracks the stage's branch"
        );
        assert_eq!(
            format!("{}/", app["spec"]["source"]["path"].as_str().unwrap()),
            format!("{}/", oamc::names::folder_of(&p.file)),
            "{at}: the Application renders the committed folder"
        );
    }
    assert!(
        p.git_commit.get("author").is_none(),
        "{at}: {}",
        p.git_commit
    );
    assert!(p.git_clone["author"]["email"].is_string(), "{at}");
}

/// The committed file, rendered by the plugin with the stage's Application's
/// parameters, deploys `want` (the promoted component's image; the
/// fixture's first Rollout may be another).
fn assert_committed_file_renders(
    at: &str,
    p: &Promotion,
    parameters: &Value,
    namespace: &str,
    want: &str,
) {
    let dir = tempdir(&format!("kargo-{}", at.replace('/', "-")));
    let folder = dir.join(oamc::names::folder_of(&p.file));
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(dir.join(&p.file), &p.committed).unwrap();
    let env = super::argocd::plugin_env(parameters, Some(namespace));
    let out = cmp_generate(&folder, &env);
    assert!(
        out.status.success(),
        "{at}: the committed file does not render:\n{}\n{}",
        text(&out.stderr),
        p.committed
    );
    let rendered = yaml_docs(&text(&out.stdout));
    let images: Vec<&Value> = rendered
        .iter()
        .filter(|d| d["kind"] == "Rollout")
        .map(|r| &r["spec"]["template"]["spec"]["containers"][0]["image"])
        .collect();
    assert!(images.contains(&&json!(want)), "{at}: {images:?}");
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
