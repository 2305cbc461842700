//! The one escape for user text in human-facing output. Every string a
//! repository controls (a name, a key, a value, a file name, a server's error
//! text) passes [`shown`] before it reaches a terminal, a CI log, a plan, a
//! Mermaid label or a diff header, so it cannot move the cursor, start a line
//! a CI runner reads as a command (`::error …`), or show a reviewer a name
//! that is not the name (bidi controls, zero-width characters).

use std::borrow::Cow;
use unicode_general_category::{GeneralCategory, get_general_category};

/// Whether `c` is written escaped: C0 and C1 controls, DEL, CR and LF (a line
/// break never starts a new output line), Unicode format characters (Cf:
/// U+200B–U+200F, U+202A–U+202E, U+2066–U+2069, U+FEFF, …), the line and
/// paragraph separators, and noncharacters (U+FFFE, U+FFFF, …), which XML
/// cannot carry.
pub fn is_escaped(c: char) -> bool {
    c.is_control()
        || is_noncharacter(c)
        || matches!(
            get_general_category(c),
            GeneralCategory::Format
                | GeneralCategory::LineSeparator
                | GeneralCategory::ParagraphSeparator
                | GeneralCategory::Surrogate
        )
}

/// Whether `c` is an invisible format character (Unicode category Cf).
pub fn is_format(c: char) -> bool {
    get_general_category(c) == GeneralCategory::Format
}

fn is_noncharacter(c: char) -> bool {
    let n = u32::from(c);
    (0xFDD0..=0xFDEF).contains(&n) || n & 0xFFFE == 0xFFFE
}

/// The most characters of one user string any output shows; past it the
/// rest is counted, so output stays bounded whatever the input.
pub const MAX_SHOWN_CHARS: usize = 240;

/// Whether GitHub's runner reads `line` as a workflow command: after leading
/// white space (.NET's `TrimStart`, every Unicode White_Space character) it
/// starts with `::` (`ActionCommand.TryParseV2`), or it holds `##[` anywhere
/// (the legacy `ActionCommand.TryParse`, still tried after the first):
/// actions/runner `src/Runner.Common/ActionCommand.cs`, called on every line
/// of a step's output by `ActionCommandManager.TryProcessCommand`.
pub fn is_command_line(line: &str) -> bool {
    line.trim_start_matches(char::is_whitespace)
        .starts_with("::")
        || line.contains("##[")
}

/// Every line break YAML knows (LF, CR, NEL, LS, PS; CRLF is CR then LF):
/// the runner splits at CR and LF, a YAML 1.1 reader at all of them.
pub fn is_line_break(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// Whether any line of `text`, split at every line break, is a command line.
pub fn holds_command_line(text: &str) -> bool {
    text.split(is_line_break).any(is_command_line)
}

/// JSON text with `##[` written `##\u005b`: the same JSON to any reader, and
/// no line the runner reads as a legacy command. A line of JSON can hold
/// `#` only inside a string, and no JSON line starts with `::`.
pub fn json_without_commands(json: String) -> String {
    if json.contains("##[") {
        json.replace("##[", "##\\u005b")
    } else {
        json
    }
}

/// `text` as any human-facing output may show it: each escaped character
/// (see [`is_escaped`]) written `\u{…}`, the first `:` of a leading `::`
/// (after white space) written `\u{3a}` and the `[` of `##[` written
/// `\u{5b}` (a file name starts some lines, and a CI runner reads such a line
/// as a command, see [`is_command_line`]), and at most [`MAX_SHOWN_CHARS`]
/// characters.
pub fn shown(text: &str) -> Cow<'_, str> {
    shown_within(text, MAX_SHOWN_CHARS)
}

/// [`shown`] with another bound (a whole message quotes several strings).
pub fn shown_within(text: &str, max_chars: usize) -> Cow<'_, str> {
    escaped(text, max_chars, None).0
}

/// [`shown_within`] of the whole `text`, and how many characters of the
/// result come before its byte `mark` (where a caret points). Escaped in
/// one piece: two pieces escaped apart can make `##` + `[` together.
pub fn shown_marked(text: &str, max_chars: usize, mark: usize) -> (Cow<'_, str>, usize) {
    let (out, at) = escaped(text, max_chars, Some(mark));
    let at = at.unwrap_or_else(|| out.chars().count());
    (out, at)
}

fn escaped(text: &str, max_chars: usize, mark: Option<usize>) -> (Cow<'_, str>, Option<usize>) {
    let trimmed = text.trim_start_matches(char::is_whitespace);
    // The byte of the `:` that would start a command.
    let command = trimmed
        .starts_with("::")
        .then(|| text.len() - trimmed.len());
    let legacy = text.contains("##[");
    let clean = command.is_none() && !legacy && !text.chars().any(is_escaped);
    if clean && text.len() <= max_chars {
        let at = mark.map(|m| text.get(..m).map_or(0, |t| t.chars().count()));
        return (Cow::Borrowed(text), at);
    }
    let mut out = String::with_capacity(text.len().min(max_chars.saturating_mul(2)) + 16);
    let mut at = None;
    let mut written = 0;
    for (count, (i, c)) in text.char_indices().enumerate() {
        if mark == Some(i) {
            at = Some(written);
        }
        if count >= max_chars {
            out.push_str(&format!("… ({} more bytes)", text.len() - i));
            break;
        }
        if is_escaped(c) || command == Some(i) || (c == '[' && text[..i].ends_with("##")) {
            let e = format!("\\u{{{:x}}}", u32::from(c));
            written += e.chars().count();
            out.push_str(&e);
        } else {
            written += 1;
            out.push(c);
        }
    }
    (Cow::Owned(out), at)
}

/// The most characters of a whole message (several quoted strings and oamc's
/// own words) a report shows.
pub const MAX_MESSAGE_CHARS: usize = 2000;

/// A message of oamc's own words around user strings: escaped and bounded.
/// oamc's own words hold no character [`is_escaped`] keeps out, so escaping
/// the whole message escapes exactly the user's part of it.
pub fn shown_message(text: &str) -> Cow<'_, str> {
    shown_within(text, MAX_MESSAGE_CHARS)
}

/// Text as XML character data or an attribute value. The text has passed
/// [`shown`] or [`shown_message`] (no control, format or noncharacter is left), so what remains is
/// a character XML 1.0 can carry; a line break of oamc's own joins warnings.
pub fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push('\n'),
            c if is_escaped(c) => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    out
}

/// Mermaid label text: the one escape ([`shown_message`]) first, then
/// Mermaid's entity codes for what would end a quoted label (`"`), read as
/// HTML (`<`, `>`), an entity (`#`), a directive or comment (any `%%`:
/// `%%{init: …}%%` is found anywhere in the text), a markdown string (a
/// backtick) or braces; and for each of `also` (a gantt task ends its name
/// at `:` and a line at `;`). Mermaid decodes `#<code>;` in every diagram.
pub fn mermaid(text: &str, also: &[char]) -> String {
    let text = shown_message(text);
    let mut out = String::with_capacity(text.len());
    let mut after_percent = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        // `%%` opens a comment or directive; a lone `%` (`20%`) stays as written.
        let doubled = c == '%' && (after_percent || chars.peek() == Some(&'%'));
        after_percent = c == '%';
        match c {
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '#' => out.push_str("#35;"),
            '%' if doubled => out.push_str("#37;"),
            '`' => out.push_str("#96;"),
            '{' => out.push_str("#123;"),
            '}' => out.push_str("#125;"),
            c if also.contains(&c) => out.push_str(&format!("#{};", u32::from(c))),
            c => out.push(c),
        }
    }
    out
}

/// Seconds as a person reads them: `1h 2m 5s`, `0s`.
pub fn seconds_text(total: u64) -> String {
    let (h, m, s) = (total / 3600, total / 60 % 60, total % 60);
    let mut parts = Vec::new();
    if h > 0 {
        parts.push(format!("{h}h"));
    }
    if m > 0 {
        parts.push(format!("{m}m"));
    }
    if s > 0 || parts.is_empty() {
        parts.push(format!("{s}s"));
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_could_forge_a_line_or_hide_a_name_is_escaped() {
        for (raw, seen) in [
            ("x\r::error file=a::b", "x\\u{d}::error file=a::b"),
            ("a\nb", "a\\u{a}b"),
            ("ro\u{1b}[31m", "ro\\u{1b}[31m"),
            ("rocket\u{202e}-shop", "rocket\\u{202e}-shop"),
            (
                "a\u{200b}b\u{2066}c\u{feff}",
                "a\\u{200b}b\\u{2066}c\\u{feff}",
            ),
            ("\u{85}\u{9b}\u{7f}", "\\u{85}\\u{9b}\\u{7f}"),
            ("\u{fffe}\u{ffff}\u{2028}", "\\u{fffe}\\u{ffff}\\u{2028}"),
            ("::error x", "\\u{3a}:error x"),
            ("  \t::error x", "  \\u{9}\\u{3a}:error x"),
            ("\u{a0}::error x", "\u{a0}\\u{3a}:error x"),
            ("a ##[add-mask]b", "a ##\\u{5b}add-mask]b"),
            ("a :: b # [c]", "a :: b # [c]"),
        ] {
            assert_eq!(shown(raw), seen, "{raw:?}");
        }
        for plain in ["rocket-shop", "é ü 日本", "a\u{a0}b", "🚀"] {
            assert!(matches!(shown(plain), Cow::Borrowed(_)), "{plain:?}");
        }
    }

    #[test]
    fn a_marked_string_is_escaped_in_one_piece() {
        // `##` before the mark and `[` after it: one command if joined.
        let (out, at) = shown_marked("na##[me", usize::MAX, 4);
        assert_eq!(out, "na##\\u{5b}me");
        assert_eq!(at, 4);
        let (out, at) = shown_marked("a\u{1b}b", usize::MAX, 2);
        assert_eq!((out.as_ref(), at), ("a\\u{1b}b", 7));
        assert_eq!(
            shown_marked("plain", usize::MAX, 3),
            (Cow::Borrowed("plain"), 3)
        );
    }

    #[test]
    fn a_long_string_is_cut_and_counted() {
        let long = "x".repeat(10_000);
        let seen = shown(&long);
        assert!(seen.starts_with(&"x".repeat(MAX_SHOWN_CHARS)));
        assert!(seen.ends_with("… (9760 more bytes)"), "{seen}");
    }
}
