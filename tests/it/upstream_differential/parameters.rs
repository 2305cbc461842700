//! The properties of upstream's definitions, read from their vendored CUE
//! (`parameter`, and the `#QualityGate` and `#MetricGate` it refers to), and
//! the edge values generated for each: so a property upstream gains is
//! compared as soon as the vendored definition is updated, and a property no
//! sample can carry fails the test instead of going unseen.
//!
//! The reader knows the part of CUE these blocks use: fields (`name?:`),
//! basic types, literals, defaults (`*3 | int`), disjunctions of literals,
//! open structs (`{...}`), lists (`[...T]`), pattern fields (`[string]: T`)
//! and references to definitions (`#QualityGate`). Anything else is a panic
//! that names it, never a property skipped.

use serde_json::{Value, json};
use std::collections::BTreeMap;

/// A CUE type as far as edges go.
#[derive(Debug, Clone, PartialEq)]
pub enum Type {
    Str,
    Int,
    Number,
    Bool,
    /// A disjunction of string literals (`*"success" | "fail"`).
    OneOf(Vec<String>),
    /// `{...}`: any map.
    Open,
    Struct(Vec<Field>),
    List(Box<Type>),
    /// `[string]: T`.
    Map(Box<Type>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub optional: bool,
    pub ty: Type,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    Str(String),
    Num(String),
    Punct(char),
    Ellipsis,
}

fn tokens(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(i, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if text[i..].starts_with("//") {
            while chars.next_if(|&(_, c)| c != '\n').is_some() {}
        } else if text[i..].starts_with("...") {
            chars.nth(2);
            out.push(Token::Ellipsis);
        } else if c == '"' {
            chars.next();
            let mut s = String::new();
            for (_, c) in chars.by_ref() {
                if c == '"' {
                    break;
                }
                s.push(c);
            }
            out.push(Token::Str(s));
        } else if c.is_ascii_digit() || c == '-' {
            let mut s = String::new();
            while let Some((_, c)) = chars
                .next_if(|&(_, c)| c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_')
            {
                s.push(c);
            }
            out.push(Token::Num(s));
        } else if c.is_alphanumeric() || c == '_' || c == '#' || c == '$' {
            let mut s = String::new();
            while let Some((_, c)) =
                chars.next_if(|&(_, c)| c.is_alphanumeric() || c == '_' || c == '#' || c == '$')
            {
                s.push(c);
            }
            out.push(Token::Ident(s));
        } else {
            chars.next();
            out.push(Token::Punct(c));
        }
    }
    out
}

struct Parser<'a> {
    tokens: Vec<Token>,
    at: usize,
    definitions: &'a BTreeMap<String, Type>,
}

impl Parser<'_> {
    fn peek(&self, ahead: usize) -> Option<&Token> {
        self.tokens.get(self.at + ahead)
    }

    fn next(&mut self) -> Token {
        let t = self.tokens.get(self.at).cloned();
        self.at += 1;
        t.unwrap_or_else(|| panic!("the CUE block ends early"))
    }

    fn expect(&mut self, c: char) {
        let t = self.next();
        assert_eq!(t, Token::Punct(c), "CUE: expected `{c}`");
    }

    fn is(&self, c: char) -> bool {
        self.peek(0) == Some(&Token::Punct(c))
    }

    /// `{ field… }`, or `{...}`.
    fn structure(&mut self) -> Type {
        self.expect('{');
        let mut fields = Vec::new();
        let mut open = false;
        loop {
            match self.peek(0) {
                Some(Token::Punct('}')) => {
                    self.next();
                    break;
                }
                Some(Token::Punct(',')) => {
                    self.next();
                }
                Some(Token::Ellipsis) => {
                    self.next();
                    open = true;
                }
                _ => fields.push(self.field()),
            }
        }
        match (open, fields.is_empty()) {
            (true, true) => Type::Open,
            (false, _) => Type::Struct(fields),
            (true, false) => panic!("CUE: an open struct with fields is not modelled"),
        }
    }

    fn field(&mut self) -> Field {
        let name = match self.next() {
            Token::Ident(n) | Token::Str(n) => n,
            other => panic!("CUE: a field name, not {other:?}"),
        };
        let optional = self.is('?');
        if optional {
            self.next();
        }
        self.expect(':');
        Field {
            name,
            optional,
            ty: self.value(),
        }
    }

    /// A disjunction; a default (`*x`) marks the value, not the type.
    fn value(&mut self) -> Type {
        // `[string]: T`: a pattern field, a map of T.
        if self.is('[') && self.peek(1) == Some(&Token::Ident("string".into())) {
            self.next();
            self.next();
            self.expect(']');
            self.expect(':');
            return Type::Map(Box::new(self.value()));
        }
        let mut literals = Vec::new();
        let mut ty: Option<Type> = None;
        loop {
            if self.is('*') {
                self.next();
            }
            match self.next() {
                Token::Str(s) => literals.push(s),
                // A number or boolean literal is a default of its basic type.
                Token::Num(_) => {}
                Token::Ident(b) if b == "true" || b == "false" => {}
                Token::Ident(basic) => {
                    let t = match basic.as_str() {
                        "string" => Type::Str,
                        "int" => Type::Int,
                        "number" => Type::Number,
                        "bool" => Type::Bool,
                        d if d.starts_with('#') => self
                            .definitions
                            .get(d)
                            .unwrap_or_else(|| panic!("CUE: `{d}` is not defined before its use"))
                            .clone(),
                        other => panic!("CUE: the type `{other}` is not modelled"),
                    };
                    assert!(ty.replace(t).is_none(), "CUE: a disjunction of types");
                }
                Token::Punct('{') => {
                    self.at -= 1;
                    ty = Some(self.structure());
                }
                Token::Punct('[') => {
                    assert_eq!(self.next(), Token::Ellipsis, "CUE: only `[...T]` lists");
                    let element = self.value();
                    self.expect(']');
                    ty = Some(Type::List(Box::new(element)));
                }
                other => panic!("CUE: a value, not {other:?}"),
            }
            if !self.is('|') {
                break;
            }
            self.next();
        }
        ty.unwrap_or_else(|| {
            assert!(
                !literals.is_empty(),
                "CUE: a disjunction of literals of no type"
            );
            Type::OneOf(literals)
        })
    }
}

/// The text of the block `name: {` … its matching `}` in `template`.
fn block<'t>(template: &'t str, name: &str) -> Option<&'t str> {
    let head = format!("\n{name}: {{");
    let start = format!("\n{template}").find(&head)? + head.len() - 2;
    let mut depth = 0;
    for (i, c) in template[start..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(&template[start..=start + i]);
                }
            }
            _ => {}
        }
    }
    panic!("`{name}` is not closed")
}

/// The `parameter` block of a definition's CUE template, with the
/// definitions (`#Name: {…}`) it refers to resolved.
pub fn parameter(template: &str) -> Vec<Field> {
    let mut definitions = BTreeMap::new();
    for line in template.lines() {
        let Some(name) = line
            .strip_suffix(": {")
            .filter(|n| n.starts_with('#') && !n.contains(' '))
        else {
            continue;
        };
        let text = block(template, name).unwrap();
        let ty = Parser {
            tokens: tokens(text),
            at: 0,
            definitions: &definitions,
        }
        .structure();
        definitions.insert(name.to_owned(), ty);
    }
    let text = block(template, "parameter").expect("a `parameter` block");
    let mut parser = Parser {
        tokens: tokens(text),
        at: 0,
        definitions: &definitions,
    };
    let Type::Struct(fields) = parser.structure() else {
        panic!("`parameter` is a struct of fields")
    };
    assert_eq!(
        parser.at,
        parser.tokens.len(),
        "CUE: text after `parameter`"
    );
    fields
}

/// One step of a property's path.
#[derive(Debug, Clone)]
pub enum Step {
    Field(String),
    /// The first element of a list.
    First,
}

/// A property to vary: its path from the parameter block, its type.
#[derive(Debug, Clone)]
pub struct Property {
    pub path: Vec<Step>,
    pub ty: Type,
}

impl Property {
    /// `metrics.evaluationCriteria.0.count`.
    pub fn name(&self) -> String {
        let mut out = String::new();
        for step in &self.path {
            match step {
                Step::Field(f) if out.is_empty() => out.push_str(f),
                Step::Field(f) => {
                    out.push('.');
                    out.push_str(f);
                }
                Step::First => out.push_str(".0"),
            }
        }
        out
    }
}

/// Every property, containers before what they hold: a struct, a list and
/// its elements' fields, each leaf.
pub fn properties(fields: &[Field]) -> Vec<Property> {
    fn walk(prefix: &[Step], ty: &Type, out: &mut Vec<Property>) {
        out.push(Property {
            path: prefix.to_vec(),
            ty: ty.clone(),
        });
        match ty {
            Type::Struct(fields) => {
                for f in fields {
                    let mut p = prefix.to_vec();
                    p.push(Step::Field(f.name.clone()));
                    walk(&p, &f.ty, out);
                }
            }
            Type::List(element) => {
                let mut p = prefix.to_vec();
                p.push(Step::First);
                if let Type::Struct(fields) = &**element {
                    for f in fields {
                        let mut q = p.clone();
                        q.push(Step::Field(f.name.clone()));
                        walk(&q, &f.ty, out);
                    }
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    for f in fields {
        walk(&[Step::Field(f.name.clone())], &f.ty, &mut out);
    }
    out
}

/// A value written unquoted, as a user writes it (`@raw:` is spelt as is
/// in both sides' input; see `kubectl_reads`).
fn raw(text: &str) -> Value {
    json!(format!("@raw:{text}"))
}

/// The edge values of a type, each named: empty, zero, negative, huge,
/// unicode, YAML-1.1-ambiguous spellings, a number where text is expected
/// and text where a number is.
pub fn edges(ty: &Type) -> Vec<(&'static str, Value)> {
    let ambiguous = || {
        vec![
            ("yes", raw("yes")),
            ("y", raw("y")),
            ("hex", raw("0x1F")),
            ("octal", raw("0o17")),
            ("underscore", raw("1_000")),
            ("inf", raw(".inf")),
            ("null", raw("~")),
        ]
    };
    let mut out = match ty {
        Type::Str => vec![
            ("empty", json!("")),
            ("blank", json!("   ")),
            ("unicode", json!("ünï-☃")),
            ("long", json!("x".repeat(300))),
            ("integer", raw("12")),
            ("fraction", raw("2.10")),
            ("date", raw("2026-12-02")),
        ],
        Type::Int => vec![
            ("zero", json!(0)),
            ("negative", json!(-1)),
            ("huge", json!(2_147_483_648_i64)),
            ("fraction", raw("1.5")),
            ("text", json!("3")),
        ],
        Type::Number => vec![
            ("zero", json!(0)),
            ("negative", json!(-1.5)),
            ("huge", raw("1e300")),
            ("text", json!("3")),
            ("nan", raw(".nan")),
        ],
        Type::Bool => vec![("text", json!("true")), ("number", json!(1))],
        Type::OneOf(choices) => vec![
            ("other", json!("other")),
            ("empty", json!("")),
            ("upper", json!(choices[0].to_uppercase())),
            ("number", json!(1)),
        ],
        Type::Open => vec![("empty", json!({})), ("text", json!("x"))],
        Type::Struct(_) => vec![("empty", json!({})), ("text", json!("x"))],
        Type::List(_) => vec![("empty", json!([])), ("text", json!("x"))],
        Type::Map(_) => vec![
            ("empty", json!({})),
            ("unicode-key", json!({"/ünï": 80})),
            ("text-value", json!({"/": "80"})),
            ("zero-value", json!({"/": 0})),
            ("huge-value", json!({"/": 70000})),
        ],
    };
    if matches!(
        ty,
        Type::Str | Type::Int | Type::Number | Type::Bool | Type::OneOf(_)
    ) {
        out.extend(ambiguous());
    }
    out
}

/// `props` with the value at `path` replaced (or removed, for `"@absent"`):
/// the path's parents must be in
/// `props` (a sample carries them), or the property cannot be compared.
pub fn set(props: &mut Value, path: &[Step], value: Value) -> Result<(), String> {
    let (last, parents) = path.split_last().expect("a path");
    let mut at = props;
    for step in parents {
        at = match step {
            Step::Field(f) => at.get_mut(f),
            Step::First => at.get_mut(0),
        }
        .ok_or_else(|| format!("no sample holds `{step:?}`"))?;
    }
    match last {
        Step::Field(f) if value == "@absent" => {
            at.as_object_mut()
                .ok_or("the parent is not a map")?
                .remove(f);
        }
        Step::Field(f) => {
            at.as_object_mut()
                .ok_or("the parent is not a map")?
                .insert(f.clone(), value);
        }
        Step::First => {
            *at.get_mut(0).ok_or("no sample element")? = value;
        }
    }
    Ok(())
}

/// The JSON kubectl sends for `value`: a `@raw:` scalar resolved the way
/// go-yaml v2 resolves it (oamc's model, held to go-yaml's own tests), or
/// kubectl's refusal: Go's `encoding/json` `Marshal` refuses a NaN or an
/// infinity (`floatEncoder`, `UnsupportedValueError`). This is what reaches
/// KubeVela, and so upstream's CUE.
pub fn kubectl_reads(value: &Value) -> Result<Value, String> {
    use oamc::check::kubectl_yaml::{Read, resolve};
    Ok(match value {
        Value::String(s) => match s.strip_prefix("@raw:") {
            None => value.clone(),
            Some(text) => match resolve(text) {
                Read::Null => Value::Null,
                Read::Bool(b) => json!(b),
                Read::Int(n) => serde_json::from_str(&n.to_string()).unwrap(),
                Read::Float(f) if f.is_finite() => json!(f),
                Read::Float(f) => return Err(format!("kubectl: json: unsupported value: {f}")),
                Read::Str => json!(text),
            },
        },
        Value::Array(a) => Value::Array(a.iter().map(kubectl_reads).collect::<Result<_, _>>()?),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| Ok((k.clone(), kubectl_reads(v)?)))
                .collect::<Result<_, String>>()?,
        ),
        other => other.clone(),
    })
}

#[test]
fn the_readers_model_reads_upstreams_parameter_blocks() {
    let fields = parameter(&super::cue_template(
        "appmod-service.componentdefinition.yaml",
    ));
    let names: Vec<String> = properties(&fields).iter().map(Property::name).collect();
    for expected in [
        "image",
        "replicas",
        "env.0.value",
        "readinessProbe",
        "resources.limits.memory",
        "functionalGate.extraArgs",
        "performanceGate.pause",
        "metrics.evaluationCriteria.0.threshold",
        "metrics.evaluationCriteria.0.comparisonType",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} in {names:?}"
        );
    }
    let criteria = properties(&fields)
        .into_iter()
        .find(|p| p.name() == "metrics.evaluationCriteria.0.function")
        .unwrap();
    assert_eq!(
        criteria.ty,
        Type::OneOf(
            ["sum", "avg", "max", "min", "count"]
                .map(String::from)
                .to_vec()
        )
    );
    let traits = parameter(&super::cue_template("appingress.traitdefinition.yaml"));
    assert_eq!(
        traits.iter().find(|f| f.name == "http").unwrap().ty,
        Type::Map(Box::new(Type::Int))
    );
}
