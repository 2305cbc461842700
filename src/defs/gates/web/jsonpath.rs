//! The part of Kubernetes' JSONPath (`k8s.io/client-go/util/jsonpath`,
//! v0.34.1, which Argo Rollouts v1.9.1's web provider uses) that a web gate
//! may write: one action `{…}` of fields (`.status`, `['a key']`) and array
//! indexes (`[0]`), from the root (`$`, or nothing). Within it oamc reads the
//! path as client-go does and finds the value as `FindResults` and the web
//! provider's `getValue` do; anything else (filters, wildcards, slices,
//! unions, recursion, text outside the braces) is refused by the checker, so
//! `oamc gates` never judges a path differently from the controller.

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// `.name` or `['name']`: a key of an object.
    Field(String),
    /// `[n]`: an element of an array.
    Index(usize),
}

/// A parsed path, and its text as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonPath {
    pub text: String,
    pub segments: Vec<Segment>,
}

/// Why a path is outside the subset, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A character client-go's `isTerminator` ends a field name at; oamc also
/// refuses the quote and escape characters its parser treats specially.
fn ends_field(c: char) -> bool {
    matches!(
        c,
        '.' | ',' | '[' | ']' | '$' | '@' | '{' | '}' | ' ' | '\t' | '\r' | '\n'
    )
}

fn refused(why: impl Into<String>) -> Result<JsonPath, Refused> {
    Err(Refused(why.into()))
}

/// Reads `text`: `{$.a.b[0]['c d']}`, `{.a}`, `{$}`, `{}`.
pub fn parse(text: &str) -> Result<JsonPath, Refused> {
    let Some(inner) = text.strip_prefix('{').and_then(|t| t.strip_suffix('}')) else {
        return refused(
            "must be one action in braces, e.g. `{$.status}` (text outside the braces would be part of the value)",
        );
    };
    let rest = inner.strip_prefix('$').unwrap_or(inner);
    let mut segments = Vec::new();
    let mut chars = rest.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            '.' => {
                let start = at + 1;
                let mut end = start;
                while let Some(&(i, c)) = chars.peek() {
                    if ends_field(c) {
                        break;
                    }
                    if matches!(c, '\\' | '\'' | '"' | '*' | '?' | '(' | ')') {
                        return refused(format!(
                            "has `{c}` in a field name: oamc reads fields of letters, digits, `_` and `-` (write `['key']` for other keys)"
                        ));
                    }
                    end = i + c.len_utf8();
                    chars.next();
                }
                if end == start {
                    return refused(
                        "has a `.` without a field name after it (`..` is recursive descent, which oamc does not read)",
                    );
                }
                segments.push(Segment::Field(rest[start..end].to_owned()));
            }
            '[' => {
                let close = rest[at..].find(']').map(|i| at + i);
                let Some(close) = close else {
                    return refused("has an unclosed `[`");
                };
                segments.push(bracket(&rest[at + 1..close])?);
                while chars.peek().is_some_and(|&(i, _)| i <= close) {
                    chars.next();
                }
            }
            other => {
                return refused(format!(
                    "has `{other}` where a `.field` or `[…]` goes: oamc reads fields, quoted keys and indexes only"
                ));
            }
        }
    }
    Ok(JsonPath {
        text: text.to_owned(),
        segments,
    })
}

/// The inside of `[…]`: a quoted key or an index.
fn bracket(inside: &str) -> Result<Segment, Refused> {
    // client-go splits on `,` first (a union), so a key cannot hold one.
    if inside.contains(',') {
        return Err(Refused(
            "has a `,` inside `[…]`, a union of paths, which oamc does not read".into(),
        ));
    }
    if let Some(key) = inside.strip_prefix('\'').and_then(|k| k.strip_suffix('\'')) {
        if key.is_empty() || key.contains(['\'', '\\', '"']) {
            return Err(Refused(
                "has a quoted key that is empty or holds a quote or `\\`".into(),
            ));
        }
        // client-go re-reads `['k']` as `.k`: a key it would cut there is refused.
        if key.chars().any(ends_field) {
            return Err(Refused(format!(
                "has ['{key}'], which client-go reads as .{key} and cuts at `.`, `[`, `$`, `@`, a brace or a space"
            )));
        }
        return Ok(Segment::Field(key.to_owned()));
    }
    match inside.parse::<usize>() {
        Ok(i) if inside.bytes().all(|b| b.is_ascii_digit()) => Ok(Segment::Index(i)),
        _ => Err(Refused(format!(
            "has `[{inside}]`: oamc reads an index (`[0]`) or a quoted key (`['name']`) in brackets; slices, wildcards and filters are not read"
        ))),
    }
}

/// Why a path finds no value in an answer, as client-go words it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotFound(pub String);

impl std::fmt::Display for NotFound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl JsonPath {
    /// The value the web provider judges (`FindResults`, then `getValue`'s
    /// first result). A field of a non-object, or of `null`, is "not found"
    /// (`evalField`); an index of a non-array errors (`evalArray`); an index
    /// past the end is out of bounds. Each is an Error measurement.
    pub fn find<'v>(&self, data: &'v serde_json::Value) -> Result<&'v serde_json::Value, NotFound> {
        use serde_json::Value;
        if data.is_null() && self.segments.is_empty() {
            // `reflect.ValueOf(nil)` is no value; `getValue` calls `Interface`
            // on it and panics; the controller recovers and retries the sync.
            return Err(NotFound(
                "the answer is `null`: Argo Rollouts panics taking it as the value (the sync is recovered and retried, the reading never taken)".into(),
            ));
        }
        let mut at = data;
        for segment in &self.segments {
            at = match (segment, at) {
                (Segment::Field(name), Value::Object(map)) => map
                    .get(name)
                    .ok_or_else(|| NotFound(format!("{name} is not found")))?,
                (Segment::Field(name), _) => return Err(NotFound(format!("{name} is not found"))),
                (Segment::Index(i), Value::Array(items)) => items.get(*i).ok_or_else(|| {
                    NotFound(format!(
                        "array index out of bounds: index {i}, length {}",
                        items.len()
                    ))
                })?,
                // A null is skipped (`template.Indirect`): no value remains.
                (Segment::Index(_), Value::Null) => {
                    return Err(NotFound("result of web metric produced no value".into()));
                }
                (Segment::Index(_), other) => {
                    return Err(NotFound(format!(
                        "{} is not array or slice",
                        go_type(other)
                    )));
                }
            };
        }
        Ok(at)
    }
}

/// The Go type `encoding/json` decodes a value into, as `%v` of a reflect.Type prints it.
fn go_type(v: &serde_json::Value) -> &'static str {
    use serde_json::Value;
    match v {
        Value::Null => "<nil>", // not reached: `find` handles null first
        Value::Bool(_) => "bool",
        Value::Number(_) => "float64",
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn path(text: &str) -> Vec<Segment> {
        parse(text).unwrap().segments
    }

    #[test]
    fn reads_fields_keys_and_indexes() {
        use Segment::*;
        assert_eq!(path("{$}"), vec![]);
        assert_eq!(path("{}"), vec![]);
        assert_eq!(
            path("{$.key[0].key2.value}"),
            vec![
                Field("key".into()),
                Index(0),
                Field("key2".into()),
                Field("value".into())
            ]
        );
        assert_eq!(path("{.a-b_c}"), vec![Field("a-b_c".into())]);
        assert_eq!(path("{['a:b']}"), vec![Field("a:b".into())]);
    }

    #[test]
    fn refuses_what_it_does_not_read() {
        for text in [
            "$.a",
            "{$.a} ok",
            "{$..a}",
            "{$.a[*]}",
            "{$.a[1:2]}",
            "{$.a[-1]}",
            "{$.a[0,1]}",
            "{$.a[?(@.b)]}",
            "{$.*}",
            "{$.a['b.c']}",
            "{$.a[0}",
            "{range .items}",
            "{$.}",
        ] {
            assert!(parse(text).is_err(), "{text} was read");
        }
    }

    #[test]
    fn finds_as_client_go_does() {
        let data = json!({"key": [{"key2": {"value": "1"}}], "n": null, "s": "x"});
        let found = |p: &str| parse(p).unwrap().find(&data).cloned();
        assert_eq!(found("{$.key[0].key2.value}"), Ok(json!("1")));
        assert_eq!(found("{$}"), Ok(data.clone()));
        assert_eq!(
            found("{$.key[0].key2.novalue}"),
            Err(NotFound("novalue is not found".into()))
        );
        assert_eq!(found("{$.n.a}"), Err(NotFound("a is not found".into())));
        assert_eq!(
            found("{$.s[0]}"),
            Err(NotFound("string is not array or slice".into()))
        );
        assert_eq!(
            found("{$.key[3]}"),
            Err(NotFound(
                "array index out of bounds: index 3, length 1".into()
            ))
        );
    }
}
