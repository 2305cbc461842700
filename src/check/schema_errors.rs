//! Turn jsonschema errors into diagnostics at the offending node, in words a
//! developer reads: "unknown property `funtionalGate`; did you mean
//! `functionalGate`?" rather than a schema path.

use super::DocContext;
use crate::diagnostic::{Code, Diagnostic};
use crate::dom::{self, DocPath, Seg};
use jsonschema::error::{TypeKind, ValidationErrorKind};
use serde_json::Value;

/// Report one schema error; returns the paths it makes unreadable (an unknown
/// or missing key spoils only that key, not its siblings).
pub(crate) fn report(
    ctx: &mut DocContext,
    schema: &Value,
    error: &jsonschema::ValidationError,
) -> Vec<DocPath> {
    let path = DocPath::from(dom::pointer_to_path(error.instance_path().as_str()));
    let broken = match error.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            unexpected.iter().map(|k| path.key(k.as_str())).collect()
        }
        // A required property that is not a string name is no name at all:
        // the whole object is spoilt.
        ValidationErrorKind::Required { property } => match property.as_str() {
            Some(name) => vec![path.key(name)],
            None => vec![path.clone()],
        },
        _ => vec![path.clone()],
    };
    describe_error(ctx, schema, error, &path);
    broken
}

fn describe_error(
    ctx: &mut DocContext,
    schema: &Value,
    error: &jsonschema::ValidationError,
    path: &[Seg],
) {
    let path = path.to_vec();
    let what = describe(&path);
    match error.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            unknown_properties(ctx, schema, error, &path, &what, unexpected);
        }
        ValidationErrorKind::Required { property } => missing(ctx, &path, &what, property),
        ValidationErrorKind::Type { kind } => wrong_type(ctx, schema, error, &path, &what, kind),
        ValidationErrorKind::Enum { options } => {
            let choices: Vec<String> = options
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|v| v.as_str().map_or(v.to_string(), str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            not_one_of(ctx, &path, &what, error.instance(), &choices);
        }
        ValidationErrorKind::OneOfNotValid { .. } if one_of_constants(schema, error).is_some() => {
            let choices = one_of_constants(schema, error).unwrap_or_default();
            not_one_of(ctx, &path, &what, error.instance(), &choices);
        }
        ValidationErrorKind::Constant { expected_value } => {
            ctx.error(
                Code::SchemaEnum,
                &path,
                format!(
                    "{what} must be {expected_value}, found {}",
                    error.instance()
                ),
            );
        }
        ValidationErrorKind::Minimum { limit }
        | ValidationErrorKind::ExclusiveMinimum { limit } => {
            ctx.error(
                Code::SchemaRange,
                &path,
                format!(
                    "{what} must be at least {limit}, found {}",
                    error.instance()
                ),
            );
        }
        ValidationErrorKind::Maximum { limit }
        | ValidationErrorKind::ExclusiveMaximum { limit } => {
            ctx.error(
                Code::SchemaRange,
                &path,
                format!("{what} must be at most {limit}, found {}", error.instance()),
            );
        }
        ValidationErrorKind::MinItems { limit } => {
            ctx.error(
                Code::SchemaRange,
                &path,
                format!("{what} must have at least {limit} item(s)"),
            );
        }
        ValidationErrorKind::AnyOf { .. }
            if error.instance().is_object() || error.instance().is_array() =>
        {
            ctx.error(
                Code::SchemaType,
                &path,
                format!("{what} has the wrong shape: {error}"),
            );
        }
        ValidationErrorKind::AnyOf { .. } => {
            let found = json_type(error.instance());
            ctx.error(
                Code::SchemaType,
                &path,
                format!("{what} must be a string or a number, found {found}"),
            );
        }
        _ => {
            ctx.error(Code::SchemaOther, &path, format!("{what}: {error}"));
        }
    }
}

/// Properties the definition does not have, each with where it belongs.
fn unknown_properties(
    ctx: &mut DocContext,
    schema: &Value,
    error: &jsonschema::ValidationError,
    path: &[Seg],
    what: &str,
    unexpected: &[String],
) {
    let known = known_properties(schema, error);
    for name in unexpected {
        let pos = ctx.key_pos(path, name);
        let mut d = Diagnostic::error(
            Code::SchemaUnknownProperty,
            format!("unknown property `{name}` in {what}"),
        )
        .at(ctx.file, pos)
        .label("not a known property");
        let (deeper, shallower) = elsewhere(schema, error, name);
        d = match super::did_you_mean(name, known.iter().map(String::as_str)) {
            Some(help) => d.help(help),
            // Indented one level off: say where it belongs.
            None if !deeper.is_empty() => d.help(format!(
                "`{name}` is a property of {}: indent it under {}",
                deeper
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(" and "),
                if deeper.len() > 1 {
                    "the one it belongs to"
                } else {
                    "it"
                }
            )),
            None if let Some(parent) = shallower => d.help(format!(
                "`{name}` belongs one level up, beside `{parent}`: indent it less"
            )),
            None if !known.is_empty() => d.help(format!("known properties: {}", known.join(", "))),
            None => d,
        };
        ctx.push(d);
    }
}

/// A required property missing, at the key of its mapping.
fn missing(ctx: &mut DocContext, path: &[Seg], what: &str, property: &Value) {
    // jsonschema names a required property as text; anything else is shown as JSON.
    let name = property
        .as_str()
        .map_or_else(|| property.to_string(), str::to_owned);
    // At the key that names the incomplete mapping (`properties:`), as
    // yaml-language-server points, not at its first child.
    let pos = match path.split_last() {
        Some((Seg::Key(key), parent)) => ctx.key_pos(parent, key),
        _ => ctx.pos(path),
    };
    ctx.push_at(
        Code::SchemaRequired,
        pos,
        format!("{what} is missing the required property `{name}`"),
    )
    .label = Some(format!("`{name}` is required here"));
}

/// A value of the wrong type, with the fix its spelling suggests.
fn wrong_type(
    ctx: &mut DocContext,
    schema: &Value,
    error: &jsonschema::ValidationError,
    path: &[Seg],
    what: &str,
    kind: &TypeKind,
) {
    let expected = match kind {
        TypeKind::Single(t) => format!("{t:?}").to_lowercase(),
        TypeKind::Multiple(ts) => format!("{ts:?}").to_lowercase(),
    };
    let found = json_type(error.instance());
    if let Some(format) = duration_format(schema, error)
        && error.instance().is_number()
    {
        let n = error.instance();
        let d = ctx.error(
            Code::SchemaType,
            path,
            format!("{what} is a duration, written as text; found the number {n}"),
        );
        d.help = Some(if format == "pause" {
            format!("write \"{n}s\", or \"{n}\" (Argo reads a bare number as seconds)")
        } else {
            format!("write \"{n}s\" (seconds), \"{n}m\" or \"{n}h\"")
        });
        return;
    }
    let d = ctx.error(
        Code::SchemaType,
        path,
        format!("{what} must be {}, found {found}", article(&expected)),
    );
    d.label = Some(format!("this is {}", article(found)));
    if expected.contains("string") && found != "object" && found != "array" {
        d.help = Some("quote the value so YAML reads it as text, e.g. \"8080\"".into());
    } else if (expected.contains("integer") || expected.contains("number")) && found == "string" {
        d.help = Some("write the number without quotes".into());
    } else if expected == "object" && found == "null" {
        let help = nothing_under(ctx, path);
        if let Some(d) = ctx.diagnostics.last_mut() {
            d.help = Some(help);
        }
    } else if expected == "integer" && found == "number" {
        // Whole numbers written as floats are integers already; this one has a fraction.
        d.message = format!("{what} must be a whole number, found {}", error.instance());
        d.label = Some("a fraction".into());
        d.help = Some("round it to a whole number".into());
    }
}

/// The help for a mapping written as `key:` with nothing under it: most
/// often its lines are indented no deeper than the key, so YAML read them as
/// its siblings. Says so with the lines when the source shows it.
fn nothing_under(ctx: &DocContext, path: &[Seg]) -> String {
    let generic =
        "write its keys on the lines below it, indented two spaces more than it".to_owned();
    let Some((Seg::Key(key), parent)) = path.split_last() else {
        return generic;
    };
    let Some(at) = ctx.key_pos(parent, key) else {
        return generic;
    };
    let lines: Vec<&str> = ctx.file.text.lines().collect();
    let indent = |l: &str| l.len() - l.trim_start_matches(' ').len();
    let Some(here) = lines.get(at.line.saturating_sub(1) as usize) else {
        return generic;
    };
    let next = lines
        .iter()
        .enumerate()
        .skip(at.line as usize)
        .find(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
    match next {
        Some((i, l)) if indent(l) <= indent(here) && !l.trim_start().starts_with("- ") => format!(
            "`{key}:` (line {}) has nothing indented under it: line {} is at the same indentation or less, so YAML reads it as `{key}`'s sibling; indent the lines that belong to `{key}` two spaces more than it",
            at.line,
            i + 1,
        ),
        _ => generic,
    }
}

fn not_one_of(ctx: &mut DocContext, path: &[Seg], what: &str, found: &Value, choices: &[String]) {
    let d = ctx.error(
        Code::SchemaEnum,
        path,
        format!(
            "{what} must be one of {}; found {found}",
            choices.join(", ")
        ),
    );
    let found_text = found.as_str().unwrap_or_default();
    d.help = super::did_you_mean(found_text, choices.iter().map(String::as_str));
}

/// `spec.components[0].properties.image` — how a person names the place.
pub(crate) fn describe(path: &[Seg]) -> String {
    if path.is_empty() {
        return "the document".into();
    }
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    format!("`{out}`")
}

/// The schema path of an error (through `$ref`s), as segments for `schema::walk`.
fn schema_segments(error: &jsonschema::ValidationError) -> Vec<String> {
    error
        .schema_path()
        .as_str()
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect()
}

/// The failing schema's duration format (`x-oamc-format`), if it is one.
fn duration_format<'s>(schema: &'s Value, error: &jsonschema::ValidationError) -> Option<&'s str> {
    let mut segs = schema_segments(error);
    segs.pop(); // "type"
    walk(schema, &segs)
        .and_then(|s| s.get("x-oamc-format"))
        .and_then(Value::as_str)
        .filter(|f| matches!(*f, "duration" | "pause" | "kargo-interval"))
}

/// The values of a documented enum (schemars writes it as `oneOf` of `const`s).
fn one_of_constants(schema: &Value, error: &jsonschema::ValidationError) -> Option<Vec<String>> {
    let segs = schema_segments(error);
    let options = walk(schema, &segs)?.as_array()?;
    options
        .iter()
        .map(|o| o.get("const").and_then(Value::as_str).map(str::to_owned))
        .collect()
}

fn known_properties(schema: &Value, error: &jsonschema::ValidationError) -> Vec<String> {
    let mut segs = schema_segments(error);
    segs.pop(); // "additionalProperties"
    walk(schema, &segs)
        .and_then(|s| s.get("properties"))
        .and_then(Value::as_object)
        .map(|props| props.keys().cloned().collect())
        .unwrap_or_default()
}

/// Where an unknown property `name` would be known, one level off: the
/// properties of this object whose own schema has `name` (it belongs under
/// them), and the property of the parent object this one is, if the parent
/// has `name` (it belongs beside it).
fn elsewhere(
    schema: &Value,
    error: &jsonschema::ValidationError,
    name: &str,
) -> (Vec<String>, Option<String>) {
    let mut segs = schema_segments(error);
    segs.pop(); // "additionalProperties"
    let has = |node: &Value| -> bool {
        object_schemas(schema, node)
            .iter()
            .any(|o| o.get("properties").and_then(|p| p.get(name)).is_some())
    };
    let deeper = walk(schema, &segs)
        .and_then(|node| node.get("properties"))
        .and_then(Value::as_object)
        .map(|props| {
            props
                .iter()
                .filter(|(_, sub)| has(sub))
                .map(|(k, _)| k.clone())
                .collect()
        })
        .unwrap_or_default();
    // The parent: the schema path is the keyword's own location (after
    // `$ref`s), so the object this one is a property of is found by name:
    // a definition with a property named as this object's key and `name`.
    let this = match dom::pointer_to_path(error.instance_path().as_str()).last() {
        Some(Seg::Key(k)) => Some(k.clone()),
        _ => None,
    };
    let shallower = this.filter(|this| {
        schema
            .get("definitions")
            .and_then(Value::as_object)
            .into_iter()
            .flat_map(|defs| defs.values())
            .chain(std::iter::once(schema))
            .any(|def| {
                def.get("properties")
                    .is_some_and(|p| p.get(this.as_str()).is_some() && p.get(name).is_some())
            })
    });
    (deeper, shallower)
}

/// The object schemas a schema stands for: itself, what its `$ref` names,
/// and the options of an `anyOf`/`oneOf` (an optional property's schema).
fn object_schemas<'a>(root: &'a Value, node: &'a Value) -> Vec<&'a Value> {
    let resolve = |n: &'a Value| -> &'a Value {
        n.get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| resolve_local(root, r))
            .unwrap_or(n)
    };
    let node = resolve(node);
    let mut out = vec![node];
    for key in ["anyOf", "oneOf", "allOf"] {
        for option in node
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            out.push(resolve(option));
        }
    }
    out
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "number",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn article(word: &str) -> String {
    let word = match word {
        "object" => "mapping",
        "array" => "list",
        other => other,
    };
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        format!("an {word}")
    } else {
        format!("a {word}")
    }
}

/// The checker's schema as committed (`src/driver/application.schema.json`),
/// compiled into the binary: the same text the types generate (a test holds
/// them equal), without running schemars at every start.
pub fn committed_schema() -> Value {
    serde_json::from_str(include_str!("../driver/application.schema.json"))
        // A test holds the file equal to what the types generate; null
        // would only cost suggestions in error messages, never a verdict.
        .unwrap_or(Value::Null)
}

/// Follow a schema path (as jsonschema reports it, through `$ref`s) to the
/// sub-schema it names.
pub fn walk<'a>(root: &'a Value, path: &[String]) -> Option<&'a Value> {
    let mut node = root;
    for seg in path {
        node = if seg == "$ref" {
            let target = node.get("$ref")?.as_str()?;
            resolve_local(root, target)?
        } else {
            match node {
                Value::Object(map) => map.get(seg)?,
                Value::Array(items) => items.get(seg.parse::<usize>().ok()?)?,
                _ => return None,
            }
        };
    }
    Some(node)
}

fn resolve_local<'a>(root: &'a Value, reference: &str) -> Option<&'a Value> {
    root.pointer(reference.strip_prefix('#')?)
}
