//! Plain scalars as kubectl reads them.
//!
//! kubectl, Argo CD and KubeVela read YAML with sigs.k8s.io/yaml, which is
//! go-yaml v2 (`resolve.go`, `resolve`): YAML 1.1's booleans (`y`, `On`),
//! integers in any Go base with `_` anywhere (`685_230`, `0b1010`, `0o17`,
//! `0x_0A`) and floats. A timestamp (`2026-12-02`) stays its text:
//! sigs.k8s.io/yaml decodes into `interface{}` (`yaml.go`,
//! `yamlToJSONTarget`), where go-yaml v2 keeps an implicit timestamp as the
//! string it was written as (`decode.go`, `scalar`: "for backward
//! compatibility reasons we set it as a string"; its `decode_test.go` row
//! "implicit timestamp tag into interface" reads `a: 2015-01-01` as the text
//! `2015-01-01`), as oamc's reader does. oamc's reader (serde-saphyr)
//! reads YAML 1.2 with YAML 1.1's booleans. Where the two read a plain
//! scalar differently, the meaning would depend on the tool, so the checker
//! refuses it at its line; the model is held to go-yaml's own decode tests
//! (`tests/it/controllers/data/go-yaml-v2.json`).

use crate::diagnostic::Code;
use crate::dom::{Node, Pos, Value as Yaml};

/// What kubectl makes of a plain scalar.
#[derive(Debug, Clone, PartialEq)]
pub enum Read {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    /// Text, a timestamp included (see the module's comment).
    Str,
}

/// go-yaml v2's `resolve` for an untagged plain scalar.
pub fn resolve(text: &str) -> Read {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Read::Null,
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Read::Bool(true);
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Read::Bool(false);
        }
        ".nan" | ".NaN" | ".NAN" => return Read::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Read::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Read::Float(f64::NEG_INFINITY),
        _ => {}
    }
    let first = text.as_bytes()[0];
    if first == b'.' {
        // Go's ParseFloat of the text as it is.
        return go_float(text).map_or(Read::Str, Read::Float);
    }
    if !(first.is_ascii_digit() || first == b'+' || first == b'-') {
        return Read::Str;
    }
    let plain: String = text.chars().filter(|c| *c != '_').collect();
    if let Some(n) = go_int(&plain) {
        return Read::Int(n);
    }
    if yaml_style_float(&plain)
        && let Some(f) = go_float(&plain)
    {
        return Read::Float(f);
    }
    Read::Str
}

/// Go's `strconv.ParseInt(s, 0, 64)`, then `ParseUint`: a sign, then a
/// base prefix (`0x`, `0o`, `0b`, or `0` for octal) and its digits.
fn go_int(s: &str) -> Option<i128> {
    let (negative, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        (10, lower.as_str())
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = u128::from_str_radix(digits, radix).ok()?;
    let value = if negative {
        -i128::try_from(magnitude).ok()?
    } else {
        i128::try_from(magnitude).ok()?
    };
    // ParseInt's int64, else ParseUint's uint64 (positive only).
    let fits = i64::try_from(value).is_ok() || (!negative && u64::try_from(value).is_ok());
    fits.then_some(value)
}

/// go-yaml's `yamlStyleFloat`: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn yaml_style_float(s: &str) -> bool {
    let b = s.strip_prefix(['-', '+']).unwrap_or(s).as_bytes();
    let digits = |b: &[u8]| b.iter().take_while(|c| c.is_ascii_digit()).count();
    let mut i = digits(b);
    if i == 0 {
        if b.first() != Some(&b'.') || digits(&b[1..]) == 0 {
            return false;
        }
        i = 1 + digits(&b[1..]);
    } else if b.get(i) == Some(&b'.') {
        i += 1 + digits(&b[i + 1..]);
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(b.get(j), Some(b'-' | b'+')) {
            j += 1;
        }
        let n = digits(&b[j..]);
        if n == 0 {
            return false;
        }
        i = j + n;
    }
    i == b.len()
}

/// Go's `strconv.ParseFloat(s, 64)` for the decimal spellings YAML reaches.
fn go_float(s: &str) -> Option<f64> {
    if !yaml_style_float(s) {
        return None;
    }
    s.parse::<f64>().ok()
}

/// Whether oamc's reading of a plain scalar is kubectl's.
fn agrees(read: &Read, value: &Yaml, text: &str) -> bool {
    match (read, value) {
        (Read::Null, Yaml::Null) | (Read::Str, Yaml::Str(_)) => true,
        (Read::Bool(a), Yaml::Bool(b)) => a == b,
        (Read::Int(a), Yaml::Int(b)) => *a == i128::from(*b),
        (Read::Int(a), Yaml::UInt(b)) => *a == i128::from(*b),
        (Read::Float(a), Yaml::Float(b)) => a == b || (a.is_nan() && b.is_nan()),
        // A whole float kubectl reads as such and oamc as an integer (or the
        // reverse) is one number to the API server (`3.0` is stored as `3`).
        (Read::Float(a), Yaml::Int(_) | Yaml::UInt(_)) | (Read::Int(_), Yaml::Float(a)) => {
            a.fract() == 0.0 && !crate::check::numbers::has_leading_zero(text)
        }
        _ => false,
    }
}

/// How a reading is said in a message.
fn said(read: &Read, text: &str) -> String {
    match read {
        Read::Null => "null".into(),
        Read::Bool(b) => format!("the boolean {b}"),
        Read::Int(n) => format!("the number {n}"),
        Read::Float(f) => format!("the number {f}"),
        Read::Str => format!("the text `{text}`"),
    }
}

/// oamc's reading in the same terms (text for anything else).
fn read_of(value: &Yaml) -> Read {
    match value {
        Yaml::Null => Read::Null,
        Yaml::Bool(b) => Read::Bool(*b),
        Yaml::Int(n) => Read::Int(i128::from(*n)),
        Yaml::UInt(n) => Read::Int(i128::from(*n)),
        Yaml::Float(f) => Read::Float(*f),
        _ => Read::Str,
    }
}

/// Every plain scalar of the document kubectl reads otherwise than oamc,
/// with its place and spelling.
fn disagreements<'a>(doc: &Node, text: &'a str, out: &mut Vec<(Pos, &'a str, Read, Yaml)>) {
    match &doc.value {
        Yaml::Seq(items) => items.iter().for_each(|i| disagreements(i, text, out)),
        // Keys too: sigs.k8s.io/yaml turns a key go-yaml reads as a bool or
        // a number into its text (`y:` is the key `true`).
        Yaml::Map(entries) => entries.iter().for_each(|(k, v)| {
            disagreements(k, text, out);
            disagreements(v, text, out);
        }),
        value => {
            let Some(spelling) = text.get(doc.pos.offset..doc.pos.offset + doc.pos.len) else {
                return;
            };
            // Quoted, block, tagged, anchored or aliased: not a plain scalar.
            if doc.pos.len == 0
                || spelling.starts_with(['"', '\'', '|', '>', '!', '&', '*'])
                || spelling.contains(['\n', '#'])
            {
                return;
            }
            // A leading zero (`010`) has its own refusal.
            if crate::check::numbers::has_leading_zero(spelling) {
                return;
            }
            let read = resolve(spelling);
            if !agrees(&read, value, spelling) {
                out.push((doc.pos, spelling, read, value.clone()));
            }
        }
    }
}

/// Keys written apart that both readers read as one (`yes:` and `true:`, or
/// `0x1F:` and `31:`): the parser's duplicate check compares spellings, so
/// without this the later value would silently replace the earlier.
fn same_keys<'a>(doc: &'a Node, out: &mut Vec<(&'a Node, String)>) {
    match &doc.value {
        Yaml::Seq(items) => items.iter().for_each(|i| same_keys(i, out)),
        Yaml::Map(entries) => {
            let mut keys = std::collections::HashSet::new();
            for (k, v) in entries {
                let text = k.key_text();
                if !keys.insert(text.clone()) {
                    out.push((k, text));
                }
                same_keys(v, out);
            }
        }
        _ => {}
    }
}

/// Report each plain scalar kubectl reads otherwise (the pass with
/// positions only: the first pass's reader hands such scalars, and every
/// key that is not plainly text, to it).
pub(crate) fn report_reader_disagreements(ctx: &mut super::DocContext) {
    let Some(doc) = ctx.doc else {
        return;
    };
    let mut same = Vec::new();
    same_keys(doc, &mut same);
    for (key, text) in same {
        let spelling = ctx
            .file
            .text
            .get(key.pos.offset..key.pos.offset + key.pos.len)
            .unwrap_or("")
            .to_owned();
        ctx.push_at(
            Code::DuplicateKey,
            Some(key.pos),
            format!(
                "the key `{}` is written again here, as `{}`",
                crate::text::shown(&text),
                crate::text::shown(&spelling)
            ),
        )
        .help = Some(super::DUPLICATE_KEY_HELP.into());
    }
    let mut found = Vec::new();
    disagreements(doc, &ctx.file.text, &mut found);
    for (pos, spelling, read, value) in found {
        let spelling = spelling.to_owned();
        ctx.push_at(
            Code::YamlReaders,
            Some(pos),
            format!(
                "kubectl reads `{spelling}` as {}, oamc's YAML reader as {}",
                said(&read, &spelling),
                said(&read_of(&value), &spelling)
            ),
        )
        .help = Some(format!(
            "quote it (\"{spelling}\") if it is text; otherwise write it as both read it"
        ));
    }
}

/// For the fast reader: whether kubectl reads the plain scalar `text` as the
/// JSON value oamc's reader made of it.
pub fn agrees_json(text: &str, value: &serde_json::Value) -> bool {
    let yaml = match value {
        serde_json::Value::Null => Yaml::Null,
        serde_json::Value::Bool(b) => Yaml::Bool(*b),
        serde_json::Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
            (Some(u), _, _) => Yaml::UInt(u),
            (None, Some(i), _) => Yaml::Int(i),
            (None, None, Some(f)) => Yaml::Float(f),
            _ => return false,
        },
        // Only whether kubectl reads text too matters: no copy of the string.
        serde_json::Value::String(_) => return matches!(resolve(text), Read::Str),
        _ => return false,
    };
    agrees(&resolve(text), &yaml, text)
}
