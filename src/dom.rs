//! A YAML document tree that remembers where every node came from.
//!
//! Typed parsing loses positions; diagnostics need them. Like taplo's DOM, this
//! tree keeps a span per node so a JSON Schema instance path (or a semantic
//! rule's path) can be mapped back to `file:line:col`.

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;
use std::fmt;

/// Where a node starts in its source: 1-based line and column, byte offset and length.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
    pub offset: usize,
    pub len: usize,
}

impl Pos {
    fn from_location(loc: &serde_saphyr::Location) -> Pos {
        let span = loc.span();
        Pos {
            line: loc.line() as u32,
            col: loc.column() as u32,
            offset: span.byte_offset().unwrap_or(0) as usize,
            len: span.byte_len().unwrap_or(0) as usize,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    /// A non-negative integer, kept unsigned as serde-saphyr reads it into
    /// plain values (above `i64::MAX` it is still an integer, not a float).
    UInt(u64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub value: Value,
    pub pos: Pos,
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<Value>::deserialize(d)?;
        Ok(Node {
            pos: Pos::from_location(&spanned.referenced),
            value: spanned.value,
        })
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::UInt(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::Str(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        Ok(Value::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Node>()? {
            let value = map.next_value::<Node>()?;
            entries.push((key, value));
        }
        Ok(Value::Map(entries))
    }
}

/// Resource limits for untrusted YAML. An Application is a few hundred nodes;
/// these leave room for large multi-document files and stop alias bombs and
/// pathological nesting long before they cost memory or time.
pub mod limits {
    pub const MAX_FILE_BYTES: usize = 4 * 1024 * 1024;
    pub const MAX_DEPTH: usize = 64;
    pub const MAX_NODES: usize = 200_000;
    pub const MAX_ALIASES: usize = 1_000;
    pub const MAX_DOCUMENTS: usize = 1_000;
    /// Components in one Application.
    pub const MAX_COMPONENTS: usize = 200;
    /// Events (nodes) that alias expansion may add to a file in total.
    pub const MAX_ALIAS_EVENTS: usize = 20_000;
}

/// A YAML error with the position the parser gave for it.
#[derive(Debug, Clone)]
pub struct YamlError {
    pub message: String,
    pub pos: Option<Pos>,
}

/// Parse every document of a YAML stream into spanned trees, within [`limits`].
/// Duplicate keys are errors: Kubernetes would silently keep one of them.
pub fn parse_stream(text: &str) -> Result<Vec<Node>, YamlError> {
    within_size(text)?;
    serde_saphyr::from_multiple_with_options::<Node>(text, reader_options()).map_err(|e| {
        let pos = e.location().filter(|l| l.line() > 0).map(|l| {
            let mut pos = Pos::from_location(&l);
            // The parser gives a syntax error a line and column but not always
            // a byte offset; the snippet needs the offset.
            if l.span().byte_offset().is_none() {
                pos.offset = offset_of(text, pos.line, pos.col);
            }
            pos
        });
        YamlError {
            message: first_line(&e.to_string()),
            pos,
        }
    })
}

/// The position of a 1-based line and column (in characters) of `text`, one
/// character long.
pub fn pos_at(text: &str, line: u32, col: u32) -> Pos {
    Pos {
        line,
        col,
        offset: offset_of(text, line, col),
        len: 1,
    }
}

/// Byte offset of a 1-based line and column (in characters), clamped to the text.
fn offset_of(text: &str, line: u32, col: u32) -> usize {
    let start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1) as usize)
        .map(str::len)
        .sum();
    let rest = &text[start.min(text.len())..];
    let line_text = rest.split('\n').next().unwrap_or("");
    start
        + line_text
            .char_indices()
            .nth(col.saturating_sub(1) as usize)
            .map_or(line_text.len(), |(i, _)| i)
}

fn within_size(text: &str) -> Result<(), YamlError> {
    if text.len() <= limits::MAX_FILE_BYTES {
        return Ok(());
    }
    Err(YamlError {
        message: format!(
            "file is {} bytes; the limit is {} bytes",
            text.len(),
            limits::MAX_FILE_BYTES
        ),
        pos: None,
    })
}

/// How both serde-saphyr readers read: within [`limits`], duplicate keys an error.
fn reader_options() -> serde_saphyr::Options {
    let mut options = serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_depth: limits::MAX_DEPTH,
            max_nodes: limits::MAX_NODES,
            max_aliases: limits::MAX_ALIASES,
            max_documents: limits::MAX_DOCUMENTS,
        },
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::Error,
        with_snippet: false,
        // Comments carry nothing oamc reads; not keeping them also means no
        // limit on comments buffered during look-ahead, which the fast reader
        // (`readback`) does not have either, so the readers accept the same text.
        emit_comments: false,
    };
    // Aliases in real manifests repeat a few lines; a bomb repeats millions.
    options.alias_limits.max_total_replayed_events = limits::MAX_ALIAS_EVENTS;
    options
}

/// The parser's message without the position (the diagnostic shows it) and
/// without advice meant for programs embedding the parser.
fn first_line(message: &str) -> String {
    let line = message.lines().next().unwrap_or(message);
    let line = line.strip_prefix("error: ").unwrap_or(line);
    let line = match line.split_once(": ") {
        Some((head, rest)) if head.starts_with("line ") => rest,
        _ => line,
    };
    let line = line.split(" at line ").next().unwrap_or(line);
    line.replace(", set DuplicateKeyPolicy in Options if acceptable", "")
}

/// Plain values of every document, without spans: for text where positions
/// only matter on error (rendered templates, and input on the first pass).
pub fn parse_values(text: &str) -> Result<Vec<serde_json::Value>, YamlError> {
    within_size(text)?;
    serde_saphyr::from_multiple_with_options(text, reader_options()).map_err(|e| YamlError {
        message: first_line(&e.to_string()),
        pos: None,
    })
}

/// One step of a path into a document: a mapping key or a sequence index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// A path into a document, as taplo's `Keys`: where a diagnostic points,
/// built by joining onto the path of the node a rule is about.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DocPath(Vec<Seg>);

impl DocPath {
    /// This path followed by `rest`.
    pub fn join(&self, rest: &[Seg]) -> DocPath {
        DocPath(self.0.iter().chain(rest).cloned().collect())
    }

    /// This path followed by one mapping key.
    pub fn key(&self, key: impl Into<String>) -> DocPath {
        self.join(&[Seg::Key(key.into())])
    }

    /// This path followed by one sequence index.
    pub fn index(&self, index: usize) -> DocPath {
        self.join(&[Seg::Index(index)])
    }
}

impl From<Vec<Seg>> for DocPath {
    fn from(segs: Vec<Seg>) -> DocPath {
        DocPath(segs)
    }
}

impl std::ops::Deref for DocPath {
    type Target = [Seg];
    fn deref(&self) -> &[Seg] {
        &self.0
    }
}

impl Node {
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, v)| v)
    }

    pub fn entry(&self, key: &str) -> Option<(&Node, &Node)> {
        match &self.value {
            Value::Map(entries) => entries
                .iter()
                // A key is found by its JSON text (`yes:` is `true`), the
                // text the schema's and the checker's paths name it by.
                .find(|(k, _)| match &k.value {
                    Value::Str(s) => s == key,
                    _ => k.key_text() == key,
                })
                .map(|(k, v)| (k, v)),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The node at `path`, or the deepest node on the way when the path leaves the tree.
    pub fn locate(&self, path: &[Seg]) -> &Node {
        let mut node = self;
        for seg in path {
            let next = match (seg, &node.value) {
                (Seg::Key(k), Value::Map(_)) => node.get(k),
                (Seg::Index(i), Value::Seq(items)) => items.get(*i),
                (Seg::Key(k), Value::Seq(items)) => {
                    k.parse::<usize>().ok().and_then(|i| items.get(i))
                }
                _ => None,
            };
            match next {
                Some(n) => node = n,
                None => break,
            }
        }
        node
    }

    /// The key node of the entry `key` of the mapping at `path` (for "unknown property").
    pub fn locate_key(&self, path: &[Seg], key: &str) -> Option<&Node> {
        self.locate(path).entry(key).map(|(k, _)| k)
    }

    /// The JSON projection the schema validates and the typed model is read from.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::UInt(u) => J::from(*u),
            // As serde_json reads a float: NaN and the infinities are null.
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Value::Str(s) => J::String(s.clone()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => J::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.key_text(), v.to_json()))
                    .collect(),
            ),
        }
    }

    /// The text of a mapping key in JSON (`yes:` is `true`, `0x1F:` is `31`).
    pub(crate) fn key_text(&self) -> String {
        match &self.value {
            Value::Str(s) => s.clone(),
            Value::Int(i) => i.to_string(),
            Value::UInt(u) => u.to_string(),
            Value::Float(f) => f.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Null => "null".into(),
            Value::Seq(_) | Value::Map(_) => self.to_json().to_string(),
        }
    }
}

/// Parse a JSON pointer (`/spec/components/0/name`) into path segments.
pub fn pointer_to_path(pointer: &str) -> Vec<Seg> {
    pointer
        .split('/')
        .skip(1)
        .map(|s| {
            let s = s.replace("~1", "/").replace("~0", "~");
            match s.parse::<usize>() {
                Ok(i) => Seg::Index(i),
                Err(_) => Seg::Key(s),
            }
        })
        .collect()
}

/// Bytes of a stream's scalars (plus a small cost per node) once every
/// alias is expanded, counted on the event stream without expanding
/// anything: what reading the file will cost. Counting stops past `cap`.
/// A stream the event parser refuses counts what it read so far; the
/// reader with positions then reports the error. With the count, where it
/// first went past `cap`.
pub fn expanded_bytes(text: &str, cap: usize) -> (usize, Option<Pos>) {
    use granit_parser::{Event, Parser};
    use std::collections::HashMap;
    /// What a node costs besides its text: a JSON value and its map entry.
    const NODE: usize = 64;
    // Aliases need `*`: without one, the text bounds the cost.
    if !text.contains('*') {
        return (text.len(), None);
    }
    let mut options = granit_parser::Options::default();
    options.emit_comments = false;
    let mut total: usize = 0;
    let mut anchors: HashMap<usize, usize> = HashMap::new();
    // Open collections: (anchor id, `total` when it opened).
    let mut open: Vec<(usize, usize)> = Vec::new();
    for event in Parser::new_from_str_with_options(text, options) {
        let Ok((event, span)) = event else { break };
        match event {
            Event::Scalar(value, _, anchor, _) => {
                let cost = value.len() + NODE;
                total = total.saturating_add(cost);
                if anchor != 0 {
                    anchors.insert(anchor, cost);
                }
            }
            Event::SequenceStart(_, anchor, _) | Event::MappingStart(_, anchor, _) => {
                total = total.saturating_add(NODE);
                open.push((anchor, total - NODE));
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some((anchor, start)) = open.pop()
                    && anchor != 0
                {
                    anchors.insert(anchor, total - start);
                }
            }
            Event::Alias(id) => {
                total = total.saturating_add(anchors.get(&id).copied().unwrap_or(NODE));
            }
            _ => {}
        }
        if total > cap {
            let start = span.start;
            let offset = start.byte_offset().unwrap_or(0);
            let len = span
                .end
                .byte_offset()
                .map_or(0, |end| end.saturating_sub(offset));
            let pos = Pos {
                line: start.line() as u32,
                col: start.col() as u32 + 1,
                offset,
                len,
            };
            return (total, Some(pos));
        }
    }
    (total, None)
}
