//! The first reader of rendered text: one pass over its lines for the block
//! YAML templates write — indented mappings and sequences, plain keys,
//! scalars quoted as JSON (`tojson`, auto-escape), one-line flow
//! collections of them, plain scalars, and `|` / `|-` literal blocks.
//!
//! It is a fast path, not a YAML reader: at anything outside that shape —
//! tabs, document markers, anchors, tags, multi-line flow or quoted scalars,
//! a plain scalar continued on the next line, a block scalar with an
//! indentation indicator, a duplicate key, a limit — it answers `None` and
//! the parser-based readers read the text (`super::read_plain_subset`, then
//! serde-saphyr). Its answers are held to serde-saphyr's by the same tests
//! and fuzz target as the event reader's. The granit-parser event walk spent
//! ~200 instructions a byte on rendered text; this spends a few dozen.

use super::node::Node;
use super::{mapping_key, plainly_text, scalar};
use crate::dom::limits::{MAX_DEPTH, MAX_FILE_BYTES, MAX_NODES};
use granit_parser::ScalarStyle;
use std::borrow::Cow;
use std::collections::HashSet;

/// The one document of `text`, or `None` when `text` is not in this
/// reader's shape (including a stream of several documents or none).
pub fn read(text: &str) -> Option<Node<'_>> {
    if text.len() > MAX_FILE_BYTES {
        return None;
    }
    let mut reader = Reader {
        lines: lines(text)?,
        at: 0,
        nodes: 0,
    };
    let indent = reader.next_content()?;
    let value = reader.node(indent, 0)?;
    // Nothing may follow the document (a less indented line is an error).
    match reader.next_content() {
        None => Some(value),
        Some(_) => None,
    }
}

/// The lines of `text`, when its characters are ones whose meaning this
/// reader knows — printable, no tab, no carriage return, no line break other
/// than `\n` (YAML 1.1 readers also break lines at NEL, LS and PS), no
/// byte-order mark — and no line is a directive or a document marker.
/// One pass over the bytes; text that is not ASCII has its characters
/// checked one by one.
fn lines(text: &str) -> Option<Vec<&str>> {
    let bytes = text.as_bytes();
    // Rendered lines average 25–35 bytes: a guess too small grows it once or twice.
    let mut lines = Vec::with_capacity(bytes.len() / 24 + 1);
    let mut start = 0;
    let mut ascii = true;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\n' {
            lines.push(&text[start..i]);
            start = i + 1;
        } else if !(b' '..=b'~').contains(&b) {
            if b < 0x80 {
                return None;
            }
            ascii = false;
        }
    }
    lines.push(&text[start..]);
    let marker =
        |line: &&str| line.starts_with('%') || line.starts_with("---") || line.starts_with("...");
    if lines.iter().any(marker) || !(ascii || text.chars().all(printable)) {
        return None;
    }
    Some(lines)
}

fn printable(c: char) -> bool {
    match c {
        '\n' | ' '..='~' => true,
        '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' => {
            !matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}')
        }
        c => c >= '\u{10000}',
    }
}

struct Reader<'a> {
    lines: Vec<&'a str>,
    /// The next line to read.
    at: usize,
    nodes: usize,
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// `- item` or a lone `-`.
fn is_entry(rest: &str) -> bool {
    rest == "-" || rest.starts_with("- ")
}

/// A plain key and the text after its `:`, when `rest` starts with one:
/// letters, digits and `_ . / -`, starting with a letter, digit or `_`,
/// then `:` and a space or the line's end.
fn split_key(rest: &str) -> Option<(&str, &str)> {
    let bytes = rest.as_bytes();
    if !bytes
        .first()
        .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
    {
        return None;
    }
    let end = bytes
        .iter()
        .position(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'/' | b'-')))?;
    // YAML limits an implicit key to 1,024 characters.
    if end > 1024 || bytes[end] != b':' {
        return None;
    }
    let after = &rest[end + 1..];
    (after.is_empty() || after.starts_with(' ')).then(|| (&rest[..end], after))
}

impl<'a> Reader<'a> {
    /// Skips blank and comment lines; the indent of the next line, if any.
    fn next_content(&mut self) -> Option<usize> {
        while let Some(line) = self.lines.get(self.at) {
            let indent = indent_of(line);
            let rest = &line[indent..];
            if !(rest.is_empty() || rest.starts_with('#')) {
                return Some(indent);
            }
            self.at += 1;
        }
        None
    }

    /// Counts a node as the parser's events count it (one per scalar).
    fn count(&mut self) -> Option<()> {
        self.nodes += 1;
        (self.nodes <= MAX_NODES).then_some(())
    }

    /// A collection at nesting `depth`: two events (start and end), and a level.
    fn open(&mut self, depth: usize) -> Option<()> {
        self.count()?;
        self.count()?;
        (depth < MAX_DEPTH).then_some(())
    }

    /// The collection whose first line is the next line, at `indent`.
    fn node(&mut self, indent: usize, depth: usize) -> Option<Node<'a>> {
        if is_entry(&self.lines[self.at][indent..]) {
            self.sequence(indent, depth)
        } else {
            self.mapping(indent, depth)
        }
    }

    /// A block mapping whose keys start at column `indent`; its first key
    /// may follow a sequence's `- ` on the same line.
    fn mapping(&mut self, indent: usize, depth: usize) -> Option<Node<'a>> {
        self.open(depth)?;
        let mut map = Entries::default();
        loop {
            let line = self.lines[self.at];
            let (key, after) = split_key(&line[indent..])?;
            let key = plain_key(key)?;
            self.count()?;
            let content = after.trim_start_matches(' ');
            let value = if content.is_empty() {
                self.at += 1;
                match self.next_content() {
                    Some(n) if n > indent => self.node(n, depth + 1)?,
                    // A sequence may sit at its key's indent.
                    Some(n) if n == indent && is_entry(&self.lines[self.at][n..]) => {
                        self.sequence(n, depth + 1)?
                    }
                    _ => {
                        self.count()?;
                        Node::Null
                    }
                }
            } else {
                self.inline(content, indent, depth)?
            };
            map.insert(key, value)?;
            match self.next_content() {
                Some(n) if n == indent && !is_entry(&self.lines[self.at][n..]) => continue,
                Some(n) if n >= indent => return None,
                _ => return Some(Node::Object(map.list)),
            }
        }
    }

    /// A block sequence whose `-` are at column `indent`.
    fn sequence(&mut self, indent: usize, depth: usize) -> Option<Node<'a>> {
        self.open(depth)?;
        let mut items = Vec::new();
        loop {
            let after = &self.lines[self.at][indent + 1..];
            let content = after.trim_start_matches(' ');
            let item = if content.is_empty() {
                self.at += 1;
                match self.next_content() {
                    Some(n) if n > indent => self.node(n, depth + 1)?,
                    _ => {
                        self.count()?;
                        Node::Null
                    }
                }
            } else if is_entry(content) {
                // `- - x`: a sequence in a sequence on one line.
                return None;
            } else if split_key(content).is_some() {
                let column = indent + 1 + (after.len() - content.len());
                self.mapping(column, depth + 1)?
            } else {
                self.inline(content, indent, depth)?
            };
            items.push(item);
            match self.next_content() {
                Some(n) if n == indent && is_entry(&self.lines[self.at][n..]) => continue,
                Some(n) if n > indent => return None,
                _ => return Some(Node::Array(items)),
            }
        }
    }

    /// A value written on its key's or its `- `'s line, `content` being the
    /// rest of that line; `parent` is the indent of the collection it is in.
    /// Leaves `at` on the line after it.
    fn inline(&mut self, content: &'a str, parent: usize, depth: usize) -> Option<Node<'a>> {
        self.count()?;
        let (value, rest) = match content.as_bytes()[0] {
            b'"' => {
                let (text, rest) = double_quoted(&content[1..])?;
                (Node::String(text), rest)
            }
            b'\'' => {
                let (text, rest) = single_quoted(&content[1..])?;
                (Node::String(text), rest)
            }
            b'[' | b'{' => self.flow(content, depth + 1)?,
            b'|' => {
                let strip = match content.trim_end_matches(' ') {
                    "|" => false,
                    "|-" => true,
                    _ => return None,
                };
                self.at += 1;
                return self.literal(parent, strip);
            }
            // Anchors, aliases, tags, directives, folded blocks, comments,
            // and indicators YAML reserves.
            b'&' | b'*' | b'!' | b'%' | b'@' | b'`' | b'>' | b'#' | b',' | b']' | b'}' => {
                return None;
            }
            _ => {
                let text = content.trim_end_matches(' ');
                let indicator = matches!(text.as_bytes()[0], b'-' | b'?' | b':')
                    && matches!(text.as_bytes().get(1), None | Some(b' '));
                if indicator || text.contains(": ") || text.ends_with(':') || text.contains(" #") {
                    return None;
                }
                (plain(text)?, "")
            }
        };
        if !rest.trim_start_matches(' ').is_empty() {
            return None;
        }
        self.at += 1;
        // A scalar continued on a more indented line is outside the shape.
        match self.next_content() {
            Some(n) if n > parent => None,
            _ => Some(value),
        }
    }

    /// A `|` (clip) or `|-` (strip) literal block whose header was on the
    /// line before `at`, inside a collection at indent `parent`.
    fn literal(&mut self, parent: usize, strip: bool) -> Option<Node<'a>> {
        let first_at = self.at;
        let first = *self.lines.get(first_at)?;
        let content_indent = indent_of(first);
        // An empty block, leading blank lines (whose spaces YAML weighs
        // against the content's indent), or content not inside its parent.
        if content_indent == first.len() || content_indent <= parent {
            return None;
        }
        // Where the block ends (its last content line), then its text at its size.
        let mut last = self.at;
        let mut size = 0;
        while let Some(line) = self.lines.get(self.at) {
            let indent = indent_of(line);
            if indent == line.len() {
                // Spaces past the content's indent would be content.
                if indent > content_indent {
                    return None;
                }
            } else if indent < content_indent {
                break;
            } else {
                last = self.at;
            }
            size += line.len() + 1;
            self.at += 1;
        }
        let mut text = String::with_capacity(size);
        let mut started = false;
        let mut blank = 0;
        for line in &self.lines[first_at..=last] {
            if line.len() == indent_of(line) {
                blank += 1;
                continue;
            }
            if started {
                text.push('\n');
            }
            started = true;
            for _ in 0..blank {
                text.push('\n');
            }
            blank = 0;
            text.push_str(&line[content_indent..]);
        }
        // Clipped, the block keeps its last line break; granit-parser
        // counts the end of the text as one (`a: |\n  x` is "x\n").
        if !strip {
            text.push('\n');
        }
        self.at = last + 1;
        match self.next_content() {
            Some(n) if n > parent => None,
            _ => Some(Node::String(Cow::Owned(text))),
        }
    }

    /// A flow collection that ends on its line: JSON's shape (double-quoted
    /// keys) with YAML's scalars. The value and the rest of the line.
    fn flow(&mut self, text: &'a str, depth: usize) -> Option<(Node<'a>, &'a str)> {
        self.open(depth)?;
        let close = if text.starts_with('[') { b']' } else { b'}' };
        let mut rest = &text[1..];
        let mut map = Entries::default();
        let mut items = Vec::new();
        if let Some(after) = rest.strip_prefix(close as char) {
            rest = after;
        } else {
            loop {
                if close == b'}' {
                    let key = rest.strip_prefix('"')?;
                    let (key, after) = double_quoted(key)?;
                    self.count()?;
                    let (value, after) = self.flow_value(after.strip_prefix(':')?, depth)?;
                    map.insert(key, value)?;
                    rest = after;
                } else {
                    let (value, after) = self.flow_value(rest, depth)?;
                    items.push(value);
                    rest = after;
                }
                match rest.as_bytes().first() {
                    Some(b',') => rest = rest[1..].trim_start_matches(' '),
                    Some(&b) if b == close => {
                        rest = &rest[1..];
                        break;
                    }
                    _ => return None,
                }
            }
        }
        let value = if close == b'}' {
            Node::Object(map.list)
        } else {
            Node::Array(items)
        };
        Some((value, rest))
    }

    fn flow_value(&mut self, text: &'a str, depth: usize) -> Option<(Node<'a>, &'a str)> {
        let text = text.trim_start_matches(' ');
        match text.as_bytes().first()? {
            b'"' => {
                self.count()?;
                let (s, rest) = double_quoted(&text[1..])?;
                Some((Node::String(s), rest))
            }
            b'[' | b'{' => self.flow(text, depth + 1),
            _ => {
                self.count()?;
                let end = text
                    .bytes()
                    .position(|b| {
                        !(b.is_ascii_alphanumeric() || matches!(b, b'.' | b'+' | b'-' | b'_'))
                    })
                    .unwrap_or(text.len());
                // Only `,` or the end of the collection may follow a plain scalar here.
                if end == 0 || !matches!(text.as_bytes().get(end), Some(b',' | b']' | b'}')) {
                    return None;
                }
                Some((plain(&text[..end])?, &text[end..]))
            }
        }
    }
}

/// A double-quoted scalar that ends on its line, `text` starting after the
/// opening quote, with JSON's escapes (which YAML's include): the string and
/// the rest of the line after the closing quote.
fn double_quoted(text: &str) -> Option<(Cow<'_, str>, &str)> {
    let stop = text.find(['"', '\\'])?;
    if text.as_bytes()[stop] == b'"' {
        // No escape: the common case, the text itself.
        return Some((Cow::Borrowed(&text[..stop]), &text[stop + 1..]));
    }
    let mut out = String::with_capacity(text.len().min(64));
    let mut rest = text;
    loop {
        let stop = rest.find(['"', '\\'])?;
        out.push_str(&rest[..stop]);
        let escape = rest.as_bytes()[stop];
        rest = &rest[stop + 1..];
        if escape == b'"' {
            return Some((Cow::Owned(out), rest));
        }
        let c = match *rest.as_bytes().first()? {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'n' => '\n',
            b't' => '\t',
            b'r' => '\r',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'u' => {
                let hex = rest.get(1..5)?;
                if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return None;
                }
                // Surrogates (JSON's way to write astral characters) are
                // not characters to YAML.
                let c = char::from_u32(u32::from_str_radix(hex, 16).ok()?)?;
                rest = &rest[4..];
                c
            }
            _ => return None,
        };
        out.push(c);
        rest = &rest[1..];
    }
}

/// A single-quoted scalar that ends on its line (`''` is a quote).
fn single_quoted(text: &str) -> Option<(Cow<'_, str>, &str)> {
    let stop = text.find('\'')?;
    if text.as_bytes().get(stop + 1) != Some(&b'\'') {
        return Some((Cow::Borrowed(&text[..stop]), &text[stop + 1..]));
    }
    let mut out = String::new();
    let mut rest = text;
    loop {
        let stop = rest.find('\'')?;
        out.push_str(&rest[..stop]);
        rest = &rest[stop + 1..];
        match rest.strip_prefix('\'') {
            Some(after) => {
                out.push('\'');
                rest = after;
            }
            None => return Some((Cow::Owned(out), rest)),
        }
    }
}

/// A plain scalar, borrowed when it is text to every reader.
fn plain(text: &str) -> Option<Node<'_>> {
    if plainly_text(text) {
        return Some(Node::String(Cow::Borrowed(text)));
    }
    scalar(text, ScalarStyle::Plain).map(Node::from_json)
}

/// A plain key, borrowed when it is text to every reader.
fn plain_key(text: &str) -> Option<Cow<'_, str>> {
    if plainly_text(text) {
        return Some(Cow::Borrowed(text));
    }
    mapping_key(text, ScalarStyle::Plain).map(Cow::Owned)
}

/// A mapping's entries in written order, refusing a duplicate key: looked up
/// in the list while it is short (manifests' mappings are), in a set past
/// that, so a hostile mapping of many keys costs no quadratic time.
#[derive(Default)]
struct Entries<'a> {
    list: Vec<(Cow<'a, str>, Node<'a>)>,
    index: Option<HashSet<Cow<'a, str>>>,
}

impl<'a> Entries<'a> {
    const LIST_LOOKUP: usize = 32;

    fn insert(&mut self, key: Cow<'a, str>, value: Node<'a>) -> Option<()> {
        match &mut self.index {
            Some(index) => {
                if !index.insert(key.clone()) {
                    return None;
                }
            }
            None => {
                if self.list.iter().any(|(k, _)| *k == key) {
                    return None;
                }
                if self.list.len() >= Self::LIST_LOOKUP {
                    let keys = self.list.iter().map(|(k, _)| k.clone());
                    self.index = Some(keys.chain([key.clone()]).collect());
                }
            }
        }
        self.list.push((key, value));
        Some(())
    }
}
