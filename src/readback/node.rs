//! A read-back document as the line reader builds it: strings borrowed from
//! the rendered text where they are written as they read (most keys and
//! values), mappings as vectors in written order. serde_json's `Value` copies
//! every string and hashes every key into an index (its `preserve_order`
//! map); for text that is read once, checked and written out again, that
//! was a third of a render's allocations.
//!
//! It serializes exactly as the `Value` of the same data does (the same
//! serializer calls in the same order: `serde_json::value::ser`), so the
//! emitted YAML is the same bytes; `to_json` gives that `Value`.

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Number, Value};
use std::borrow::Cow;

#[derive(Debug, Clone, PartialEq)]
pub enum Node<'a> {
    Null,
    Bool(bool),
    Number(Number),
    String(Cow<'a, str>),
    Array(Vec<Node<'a>>),
    /// Entries in written order; the reader refuses a duplicate key.
    Object(Vec<(Cow<'a, str>, Node<'a>)>),
}

/// What a missing node reads as.
pub static NULL: Node<'static> = Node::Null;

impl<'a> Node<'a> {
    /// A value of the other readers, owned.
    pub fn from_json(value: Value) -> Node<'a> {
        match value {
            Value::Null => Node::Null,
            Value::Bool(b) => Node::Bool(b),
            Value::Number(n) => Node::Number(n),
            Value::String(s) => Node::String(Cow::Owned(s)),
            Value::Array(items) => Node::Array(items.into_iter().map(Node::from_json).collect()),
            Value::Object(map) => Node::Object(
                map.into_iter()
                    .map(|(k, v)| (Cow::Owned(k), Node::from_json(v)))
                    .collect(),
            ),
        }
    }

    pub fn to_json(&self) -> Value {
        match self {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(*b),
            Node::Number(n) => Value::Number(n.clone()),
            Node::String(s) => Value::String(s.to_string()),
            Node::Array(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            Node::Object(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_json()))
                    .collect(),
            ),
        }
    }

    /// The value of `key`, when this is a mapping that has it.
    pub fn get(&self, key: &str) -> Option<&Node<'a>> {
        match self {
            Node::Object(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The node at a JSON pointer of keys and indices (`/spec/metrics`), as
    /// `Value::pointer` finds it (no `~` escapes: oamc's pointers have none).
    pub fn pointer(&self, pointer: &str) -> Option<&Node<'a>> {
        if pointer.is_empty() {
            return Some(self);
        }
        pointer
            .strip_prefix('/')?
            .split('/')
            .try_fold(self, |node, step| match node {
                Node::Object(_) => node.get(step),
                Node::Array(items) => step.parse::<usize>().ok().and_then(|i| items.get(i)),
                _ => None,
            })
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Node::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&Vec<Node<'a>>> {
        match self {
            Node::Array(items) => Some(items),
            _ => None,
        }
    }
}

/// A string of the output. One that would put a workflow command on a line
/// of the YAML (a block scalar's line starting with `::`, a key starting
/// with it, `##[` anywhere) is written double-quoted, on its key's line with
/// its line breaks escaped; `emit` then writes each `##[` as `##\x5B`.
struct Text<'s>(&'s str);

impl Serialize for Text<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if crate::text::holds_command_line(self.0) {
            serde_saphyr::DoubleQuoted(self.0).serialize(serializer)
        } else {
            serializer.serialize_str(self.0)
        }
    }
}

impl Serialize for Node<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Node::Null => serializer.serialize_unit(),
            Node::Bool(b) => serializer.serialize_bool(*b),
            Node::Number(n) => n.serialize(serializer),
            Node::String(s) => Text(s).serialize(serializer),
            Node::Array(items) => serializer.collect_seq(items),
            Node::Object(entries) => {
                let mut map = serializer.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    map.serialize_entry(&Text(k), v)?;
                }
                map.end()
            }
        }
    }
}
