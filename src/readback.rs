//! Read YAML into JSON values, fast, when positions are not needed: rendered
//! documents (each is read back before it is emitted) and the first,
//! position-free pass over input (`check`).
//!
//! serde-saphyr's reader spends most of its time on what such text rarely
//! has: anchors, aliases, tags, merge keys, budgets for hostile input.
//! This reader walks the bare event stream of the same parser (granit-parser,
//! which serde-saphyr is built on) for the plain subset templates produce:
//! mappings with string keys, sequences, quoted and block strings, and plain
//! scalars typed as serde-saphyr types them. Whatever is outside that subset
//! — including any error — is answered by serde-saphyr itself
//! ([`crate::dom::parse_values`]), so the two readers cannot disagree; tests
//! compare them on every fixture and on generated text.

mod block;
mod node;
pub use node::{NULL, Node};

use crate::dom::{self, YamlError};
use granit_parser::{Event, Options, Parser, ScalarStyle};
use serde_json::{Map, Number, Value};

/// The documents of `text`, as serde-saphyr would read them.
pub fn read_documents(text: &str) -> Result<Vec<Value>, YamlError> {
    match read_plain_subset(text) {
        Some(values) => Ok(values),
        None => dom::parse_values(text),
    }
}

/// An open collection while its events arrive.
enum Open {
    Seq(Vec<Value>),
    /// A mapping and, between a key and its value, that key.
    Map(Map<String, Value>, Option<String>),
}

/// `None` when `text` is not in the plain subset (or is not valid YAML).
pub fn read_plain_subset(text: &str) -> Option<Vec<Value>> {
    if let Some(node) = block::read(text) {
        return Some(vec![node.to_json()]);
    }
    read_events(text)
}

/// The line reader alone ([`block`]): one document in the shape templates
/// write, or `None`.
pub fn read_block_subset(text: &str) -> Option<Value> {
    block::read(text).map(|node| node.to_json())
}

/// Rendered documents as [`Node`]s, borrowing from `text`: the line reader's
/// when the text is in its shape, else [`read_documents`]'.
pub fn read_rendered(text: &str) -> Result<Vec<Node<'_>>, YamlError> {
    match block::read(text) {
        Some(node) => Ok(vec![node]),
        None => Ok(read_documents(text)?
            .into_iter()
            .map(Node::from_json)
            .collect()),
    }
}

/// The event reader alone: the plain subset through granit-parser's events.
pub fn read_events(text: &str) -> Option<Vec<Value>> {
    // Past a limit, serde-saphyr says which one.
    if text.len() > dom::limits::MAX_FILE_BYTES {
        return None;
    }
    let mut documents = Vec::new();
    let mut open: Vec<Open> = Vec::new();
    // Comments are not kept, as in `dom`'s serde-saphyr readers.
    let mut options = Options::default();
    options.emit_comments = false;
    for (nodes, event) in Parser::new_from_str_with_options(text, options).enumerate() {
        // Past the budget, serde-saphyr says which limit was hit.
        if nodes > dom::limits::MAX_NODES {
            return None;
        }
        let (event, _) = event.ok()?;
        let value = match event {
            Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart(..)
            | Event::Comment(..) => continue,
            Event::DocumentEnd => {
                if !open.is_empty() {
                    return None;
                }
                continue;
            }
            Event::Scalar(text, style, anchor, tag) => {
                if anchor != 0 || tag.is_some() {
                    return None;
                }
                match open.last_mut() {
                    // A document that is one scalar (or empty) is not a manifest.
                    None => return None,
                    Some(Open::Map(_, key @ None)) => {
                        *key = Some(mapping_key(&text, style)?);
                        continue;
                    }
                    Some(_) => scalar(&text, style)?,
                }
            }
            Event::SequenceStart(_, anchor, ref tag) | Event::MappingStart(_, anchor, ref tag) => {
                if anchor != 0 || tag.is_some() || open.len() >= dom::limits::MAX_DEPTH {
                    return None;
                }
                // A collection as a mapping key is outside the subset.
                if let Some(Open::Map(_, None)) = open.last() {
                    return None;
                }
                open.push(match event {
                    Event::SequenceStart(..) => Open::Seq(Vec::new()),
                    _ => Open::Map(Map::new(), None),
                });
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => match open.pop()? {
                Open::Seq(items) => Value::Array(items),
                Open::Map(entries, None) => Value::Object(entries),
                Open::Map(_, Some(_)) => return None,
            },
            // Aliases, anchors and anything newer than this reader.
            _ => return None,
        };
        match open.last_mut() {
            None if documents.len() >= dom::limits::MAX_DOCUMENTS => return None,
            None => documents.push(value),
            Some(Open::Seq(items)) => items.push(value),
            Some(Open::Map(entries, key)) => {
                let key = key.take()?;
                // A duplicate key is an error; serde-saphyr words it.
                if entries.insert(key, value).is_some() {
                    return None;
                }
            }
        }
    }
    open.is_empty().then_some(documents)
}

/// A key that reads as the same string under any typing; `<<` (merge) and
/// keys that would type as null, booleans or numbers are left to serde-saphyr.
fn mapping_key(text: &str, style: ScalarStyle) -> Option<String> {
    match scalar(text, style)? {
        Value::String(key) if key != "<<" => Some(key),
        _ => None,
    }
}

/// A scalar typed as serde-saphyr types an untagged one: quoted and block
/// scalars are strings; plain ones are null, a YAML 1.1 boolean (as
/// Kubernetes reads them), a number, or else a string.
fn scalar(text: &str, style: ScalarStyle) -> Option<Value> {
    if style != ScalarStyle::Plain || plainly_text(text) {
        return Some(Value::String(text.to_owned()));
    }
    // A plain scalar kubectl reads otherwise (`1_000`, `2026-12-02`) is
    // refused at its line by the checker, which needs positions.
    plain_scalar(text).filter(|v| crate::check::kubectl_yaml::agrees_json(text, v))
}

/// A plain scalar every reader takes as text, told from its first letter:
/// it starts with a letter, and is longer than the words YAML 1.1 types
/// (`null`, `false`, `off`, … at most five letters) or starts with a letter
/// none of them does. Most keys and plain values are: they skip the lists.
pub(crate) fn plainly_text(text: &str) -> bool {
    let Some(first) = text.bytes().next() else {
        return false;
    };
    first.is_ascii_alphabetic()
        && (text.len() > 5
            || !matches!(first.to_ascii_lowercase(), b'n' | b't' | b'f' | b'y' | b'o'))
}

fn plain_scalar(text: &str) -> Option<Value> {
    if matches!(text, "" | "~" | "null" | "Null" | "NULL") {
        return Some(Value::Null);
    }
    const TRUE: [&str; 4] = ["true", "yes", "y", "on"];
    const FALSE: [&str; 4] = ["false", "no", "n", "off"];
    if TRUE.iter().any(|t| text.eq_ignore_ascii_case(t)) {
        return Some(Value::Bool(true));
    }
    if FALSE.iter().any(|f| text.eq_ignore_ascii_case(f)) {
        return Some(Value::Bool(false));
    }
    if !text.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '+' | '-' | '.')) {
        return Some(Value::String(text.to_owned()));
    }
    // `010` means 8 to YAML 1.1 readers and 10 to YAML 1.2 ones: the checker
    // refuses it at its line, which needs the reader with positions.
    if crate::check::numbers::has_leading_zero(text) {
        return None;
    }
    // Number-like: the common decimal integer here, every other spelling
    // (`0x1F`, `1e3`, `.inf`, `0777`, `-.5`, `1_000`) by serde-saphyr.
    let digits = text.strip_prefix('-').unwrap_or(text);
    let decimal = !digits.is_empty()
        && digits.len() <= 18
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'));
    if decimal && let Ok(n) = text.parse::<i64>() {
        // serde-saphyr reads non-negative integers as unsigned.
        return Some(match u64::try_from(n) {
            Ok(u) => Value::from(u),
            Err(_) => Value::from(n),
        });
    }
    // A scalar of these characters means the same alone as in its document.
    if text
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'+' | b'-' | b'_'))
    {
        // Alone, `-` is a sequence and `---` a document marker: only a scalar
        // read alone stands for the scalar in context.
        let values = dom::parse_values(text).ok()?;
        return match <[Value; 1]>::try_from(values) {
            // A number whose text oamc would write differently (`2.10`,
            // `1.0`, `0x1F`): where oamc takes text, the checker refuses it
            // at its line (`check::numbers::check_number_as_text`), which
            // needs the reader with positions.
            Ok([Value::Number(n)]) => {
                let mut read = Value::Number(n);
                crate::check::numbers::whole_floats_to_integers(&mut read);
                let shown = read.as_number().map(Number::to_string);
                (shown.as_deref() == Some(text)).then_some(read)
            }
            Ok([value @ (Value::Bool(_) | Value::String(_))]) => Some(value),
            _ => None,
        };
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast reader answers only when it agrees with serde-saphyr, both
    /// its plain values and its spanned tree's.
    fn agrees(text: &str) -> bool {
        let reference = dom::parse_values(text).ok();
        let spanned: Option<Vec<Value>> = dom::parse_stream(text)
            .ok()
            .map(|docs| docs.iter().map(dom::Node::to_json).collect());
        let same =
            |fast: &Vec<Value>| reference.as_ref() == Some(fast) && spanned.as_ref() == Some(fast);
        let block = read_block_subset(text).map(|v| vec![v]);
        block.as_ref().is_none_or(same)
            && read_events(text).as_ref().is_none_or(same)
            && read_plain_subset(text).as_ref().is_none_or(same)
    }

    /// Hostile nesting (a custom template's output) is left to the parsers
    /// at the depth limit, in block and flow form, without deep recursion.
    #[test]
    fn the_line_reader_stops_at_the_depth_limit() {
        let n = 10_000;
        let flow = format!("a: {}{}\n", "[".repeat(n), "]".repeat(n));
        let block: String = (0..n).map(|i| format!("{}k:\n", " ".repeat(i))).collect();
        let seq: String = (0..n).map(|i| format!("{}-\n", " ".repeat(i))).collect();
        for text in [&flow, &block, &seq] {
            assert!(read_block_subset(text).is_none());
        }
        let nested = |depth: usize| format!("a: {}1{}\n", "[".repeat(depth), "]".repeat(depth));
        let limit = dom::limits::MAX_DEPTH;
        assert!(read_block_subset(&nested(limit - 2)).is_some());
        assert!(read_block_subset(&nested(limit)).is_none());
    }

    /// A mapping of many keys: read whole, and a duplicate past the first
    /// 32 keys (where lookup moves from the list to a set) still refused.
    #[test]
    fn the_line_reader_refuses_a_duplicate_among_many_keys() {
        let keys: String = (0..20_000).map(|i| format!("k{i}: {i}\n")).collect();
        let read = read_block_subset(&keys).expect("in the shape");
        assert_eq!(read.as_object().map(serde_json::Map::len), Some(20_000));
        let parsed = dom::parse_values(&keys).expect("serde-saphyr reads it");
        assert_eq!(Some(read), parsed.into_iter().next());
        for duplicate in ["k0", "k31", "k32", "k19999"] {
            let text = format!("{keys}{duplicate}: again\n");
            assert!(read_block_subset(&text).is_none(), "{duplicate}");
            assert!(dom::parse_values(&text).is_err(), "{duplicate}");
        }
        let flow: Vec<String> = (0..100).map(|i| format!("\"k{i}\":{i}")).collect();
        let text = format!("a: {{{},\"k70\":0}}\n", flow.join(","));
        assert!(read_block_subset(&text).is_none());
    }

    /// Texts at the edges of the line reader's shape: each is read alike
    /// by every reader that answers, and the ones in the shape are read by it.
    #[test]
    fn the_line_reader_agrees_at_its_edges() {
        let read = [
            "a: 1\n",
            "a: 1",
            "a:\n  b: c\n",
            "a:\n- 1\n- x\nb: 2\n",
            "- a: 1\n  b: [1, \"x\", true, null, {}]\n- c\n-\n- d:\n  - e\n",
            "a: {\"k\":\"v\",\"n\":{\"m\":[1,-2,3.5]}}\n",
            "a: \"q\\\"\\\\\\/\\n\\t\\r\\b\\f\\u00e9\\u0001\\u2028\"\n",
            "a: 'it''s'\n",
            "a: |\n  line\n\n    more\n  end\nb: 1\n",
            "a: |-\n  line\n  end\n\n\nb: 1\n",
            "- |\n  x\n- |-\n  y\n",
            "# c\na: 1 # not a comment?\n",
            "a: x#y\nb: http://x:80/\nc: -c\nd: ~\ne: yes\nf: 0.5\ng: 10s\n",
            "a: é\nb: \"ü\"\n",
            "  a: 1\n  b: 2\n",
            "a: b: c\n",
            "a: 1\n b: 2\n",
            "a: x\n  y\n",
            "- x\n  y\n",
            "a: \"x\"\n  y\n",
            "a: |\n  x",
            "a: |\n\n  x\n",
            "a: |\n  x\n   \n",
            "a: |\n  x\n    \n  y\n",
            "a: |2\n  x\n",
            "a: >\n  x\n",
            "a: |+\n  x\n\n",
            "a: 1\na: 2\n",
            "a: {\"k\":1,\"k\":2}\n",
            "a: [1,]\n",
            "a: [a:b]\n",
            "a: {\"k\" : 1}\n",
            "a: \"\\ud83d\\ude00\"\n",
            "a: \"\\x41\"\n",
            "a:\tb\n",
            "a: 1\r\n",
            "---\na: 1\n",
            "a: 1\n---\nb: 2\n",
            "a: 1\n...\n",
            "%YAML 1.2\n---\na: 1\n",
            "a: &x 1\n",
            "a: !t 1\n",
            "on: 1\n",
            "1: x\n",
            "a: - b\n",
            "- - a\n",
            "a: \"x\" y\n",
            "a: [\n  1]\n",
            "a: 010\n",
            "a: 1_000\n",
            "a:\n  - 1\n - 2\n",
            "- a: 1\n   b: 2\n",
            "- a: 1\n - b\n",
            "a:\n  # c\n  b: 1\n",
            "a: |\n  x\n  # y\nb: 1\n",
            "a: |\n    x\n  # y\nb: 1\n",
            "a: \"\u{feff}\"\n",
            "a: \"\u{85}\"\n",
            "a: x\u{2028}y\n",
            "-a: 1\n",
            "a: -\n",
            "a: ? x\n",
            "a: :x\n",
            "? a\n: 1\n",
            "",
            "# only\n",
            "x\n",
            "[1, 2]\n",
        ];
        for text in read {
            assert!(agrees(text), "readers disagree on {text:?}");
        }
        for text in [
            "a: 1\n",
            "- a: 1\n  b: [1, \"x\", true, null, {}]\n- c\n-\n- d:\n  - e\n",
            "a: |\n  line\n\n    more\n  end\nb: 1\n",
            "a: {\"k\":\"v\",\"n\":{\"m\":[1,-2,3.5]}}\n",
        ] {
            assert!(read_block_subset(text).is_some(), "{text:?}");
        }
    }

    /// Found by the `readback` fuzz target: with comments kept, serde-saphyr
    /// refused this (too many comments buffered while looking ahead) and the
    /// fast reader, which never looks ahead, read it. Now neither keeps comments.
    #[test]
    fn many_comments_in_a_look_ahead_read_alike() {
        let text =
            include_str!("../fuzz/regressions/readback/comments-buffered-in-look-ahead.yaml");
        assert!(read_plain_subset(text).is_some());
        assert!(agrees(text));
    }

    /// Found by the `readback` fuzz target: the spanned tree read an integer
    /// above `i64::MAX` as a float, plain values and the fast reader as an integer.
    #[test]
    fn integers_above_i64_are_integers_in_every_reader() {
        let text = include_str!("../fuzz/regressions/readback/integer-above-i64.yaml");
        assert!(read_plain_subset(text).is_some());
        assert!(agrees(text));
    }

    #[test]
    fn scalars_are_typed_as_serde_saphyr_types_them() {
        let spellings = [
            "3",
            "-3",
            "0",
            "-0",
            "+3",
            "007",
            "0x1F",
            "0X1F",
            "0o17",
            "0b101",
            "1_000",
            "1e3",
            "1.5",
            "-.5",
            ".inf",
            "-.inf",
            ".nan",
            "+.nan",
            "yes",
            "Yes",
            "ON",
            "off",
            "y",
            "N",
            "true",
            "FALSE",
            "null",
            "Null",
            "nULL",
            "~",
            "",
            "on-call",
            "3a",
            "12:30",
            "1.2.3",
            "v1",
            "- x",
            "18446744073709551615",
            "18446744073709551616",
            "-9223372036854775809",
            "999999999999999999",
            "9999999999999999999",
        ];
        for s in spellings {
            for text in [format!("k: {s}\n"), format!("- {s}\n"), format!("{s}: v\n")] {
                assert!(agrees(&text), "readers disagree on {text:?}");
            }
        }
    }

    #[test]
    fn reads_the_plain_subset_itself() {
        let text = "a: 1\nb: [x, 'y', \"z\"]\nc: |\n  line\nd: {e: null}\n";
        let fast = read_plain_subset(text).expect("in the subset");
        assert_eq!(Some(fast), dom::parse_values(text).ok());
    }

    #[test]
    fn leaves_the_rest_to_serde_saphyr() {
        for text in [
            "a: &x 1\nb: *x\n",
            "a: !!str 1\n",
            "<<: {a: 1}\n",
            "a: 1\na: 2\n",
            "? [a]\n: 1\n",
            "---\n",
            "a: [\n",
        ] {
            assert_eq!(read_plain_subset(text), None, "{text:?}");
            assert_eq!(
                read_documents(text).ok(),
                dom::parse_values(text).ok(),
                "{text:?}"
            );
        }
    }
}
