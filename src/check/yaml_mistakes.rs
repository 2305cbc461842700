//! The YAML mistakes people make most, named in their words. The parser
//! says where it gave up ("mapping values are not allowed in this context");
//! the mistake is often a line or two before, and has a name: a tab, a
//! missing space or colon, a quote left open, a line indented unlike its
//! neighbours. Each is recognised from the text around the parser's
//! position; the parser's own words stay in the diagnostic's label.

/// A recognised mistake: what to say, how to fix it, and where (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mistake {
    pub message: String,
    pub help: String,
    pub line: u32,
    pub col: u32,
}

/// The mistake behind a parser error at `line` (1-based), if it is one of the
/// common ones. `text` is the whole file.
pub fn explain(text: &str, line: u32) -> Option<Mistake> {
    let lines: Vec<&str> = text.lines().collect();
    if lines.is_empty() {
        return None;
    }
    let at = (line as usize).clamp(1, lines.len()) - 1;
    tab(&lines, at)
        .or_else(|| open_quote(&lines, at))
        .or_else(|| no_space_after_colon(&lines, at))
        .or_else(|| no_colon(&lines, at))
        .or_else(|| indentation(&lines, at))
}

fn indent(l: &str) -> usize {
    l.len() - l.trim_start_matches(' ').len()
}

fn content(l: &str) -> bool {
    let t = l.trim();
    !t.is_empty() && !t.starts_with('#') && t != "---" && t != "..."
}

/// The content line before `at`, with its index.
fn before(lines: &[&str], at: usize) -> Option<usize> {
    (0..at.min(lines.len())).rev().find(|&i| content(lines[i]))
}

fn mistake(message: String, help: String, line: usize, col: usize) -> Option<Mistake> {
    Some(Mistake {
        message,
        help,
        line: u32::try_from(line + 1).unwrap_or(u32::MAX),
        col: u32::try_from(col + 1).unwrap_or(u32::MAX),
    })
}

/// A tab in the indentation of the error's line or one before it: YAML
/// forbids tabs there.
fn tab(lines: &[&str], at: usize) -> Option<Mistake> {
    // The parser may stop at the plain scalar before the tab's line.
    (at.saturating_sub(2)..=at + 1).find_map(|i| {
        let l = lines.get(i)?;
        let lead = &l[..l.len() - l.trim_start_matches([' ', '\t']).len()];
        let col = lead.find('\t')?;
        mistake(
            format!(
                "line {} is indented with a tab; YAML indents with spaces only",
                i + 1
            ),
            "replace the tab with spaces (two per level, like the lines around it)".into(),
            i,
            col,
        )
    })
}

/// The quote characters of a line that open a quoted scalar and do not close
/// it on the same line: `(column, quote)`.
fn unclosed(l: &str) -> Option<(usize, char)> {
    let mut open: Option<(usize, char)> = None;
    let mut chars = l.char_indices().peekable();
    let mut prev = ' ';
    while let Some((i, c)) = chars.next() {
        match open {
            None => {
                if c == '#' && (prev == ' ' || i == 0) {
                    return None;
                }
                // A quote starts a scalar only where a value or key begins.
                if (c == '"' || c == '\'') && matches!(prev, ' ' | ':' | '[' | '{' | ',' | '-') {
                    open = Some((i, c));
                }
            }
            Some((_, '"')) if c == '\\' => {
                chars.next();
            }
            Some((_, '\'')) if c == '\'' && chars.peek().map(|&(_, n)| n) == Some('\'') => {
                chars.next();
            }
            Some((_, q)) if c == q => open = None,
            Some(_) => {}
        }
        prev = c;
    }
    open
}

/// A quote opened and never closed: the parser runs to the end of the file
/// or the next quote. The first line before the error whose quote stays
/// open is the one.
fn open_quote(lines: &[&str], at: usize) -> Option<Mistake> {
    lines[..=at.min(lines.len().saturating_sub(1))]
        .iter()
        .enumerate()
        .find_map(|(i, l)| {
            let (col, q) = unclosed(l)?;
            let key = l.trim_start().trim_start_matches("- ").split(':').next()?.trim();
            mistake(
                format!("the quote `{q}` opened on line {} is never closed", i + 1),
                format!(
                    "end the value of `{key}` with `{q}` on the same line (or remove the opening `{q}`)"
                ),
                i,
                col,
            )
        })
}

/// `key:value`: without a space, YAML reads the whole as one text, and the
/// next line's `key: value` is then "not allowed in this context".
fn no_space_after_colon(lines: &[&str], at: usize) -> Option<Mistake> {
    let candidates = [Some(at), before(lines, at)];
    candidates.into_iter().flatten().find_map(|i| {
        let l = lines.get(i)?;
        let t = l.trim_start().trim_start_matches("- ");
        let colon = t.find(':')?;
        let key = &t[..colon];
        let after = t[colon + 1..].chars().next()?;
        let is_key = !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        if !is_key || after == ' ' || after == '/' || t[colon + 1..].starts_with(':') {
            return None;
        }
        // Only a line YAML read as text: `key:value` with no `: ` later on it.
        if t.contains(": ") || t.ends_with(':') {
            return None;
        }
        let col = l.len() - t.len() + colon;
        mistake(
            format!(
                "line {} has no space after `{key}:`, so YAML reads `{}` as one piece of text, not a key and its value",
                i + 1,
                crate::text::shown_within(t, 60)
            ),
            format!("write a space after the colon: `{key}: {}`", &t[colon + 1..]),
            i,
            col,
        )
    })
}

/// A line that should be `key: value` but has no colon: YAML joins it with
/// the next line into one text, and then finds that line's colon out of place.
fn no_colon(lines: &[&str], at: usize) -> Option<Mistake> {
    let i = before(lines, at)?;
    let here = lines.get(at)?;
    let l = lines[i];
    let t = l.trim_start();
    // No key colon (`: ` or a closing `:`); a colon inside the value (`nginx:1.27`) is text.
    let key_colon = t.contains(": ") || t.ends_with(':');
    if t.starts_with("- ") || key_colon || t.starts_with(['"', '\'', '|', '>', '[', '{']) {
        return None;
    }
    // The line before a mapping line, at its indentation: meant as a key.
    if indent(l) != indent(here)
        || !here.trim_start().contains(": ") && !here.trim_end().ends_with(':')
    {
        return None;
    }
    let mut words = t.splitn(2, ' ');
    let key = words.next()?;
    let fix = match words.next() {
        Some(value) => format!("write `{key}: {}`", value.trim()),
        None => format!("write `{key}:` with the colon"),
    };
    mistake(
        format!(
            "line {} has no colon: `{}` is not a `key: value` pair",
            i + 1,
            crate::text::shown_within(t, 60)
        ),
        fix,
        i,
        indent(l),
    )
}

/// A line indented unlike any line it could belong to: deeper than its
/// sibling above without a parent that opens a block, or between two levels.
fn indentation(lines: &[&str], at: usize) -> Option<Mistake> {
    let here = lines.get(at)?;
    if !content(here) {
        return None;
    }
    let p = before(lines, at)?;
    let prev = lines[p];
    let (h, v) = (indent(here), indent(prev));
    let opens = prev.trim_end().ends_with(':')
        || prev.trim_end().ends_with('|')
        || prev.trim_end().ends_with('>');
    let item = prev.trim_start().starts_with("- ");
    // The indentations of the enclosing blocks: each earlier line less
    // indented than everything after it.
    let mut levels = vec![v];
    let mut min = v;
    for l in lines[..p].iter().rev().filter(|l| content(l)) {
        if indent(l) < min {
            min = indent(l);
            levels.push(min);
        }
    }
    if item {
        levels.push(v + 2);
    }
    if levels.contains(&h) || (opens && h > v) {
        return None;
    }
    let word = if h > v { "deeper" } else { "less deep" };
    let expected = if opens {
        format!("{} spaces (inside `{}`)", v + 2, prev.trim())
    } else {
        format!("{v} spaces, like line {}", p + 1)
    };
    mistake(
        format!(
            "line {} is indented by {h} spaces, {word} than line {} ({v}) and at no level of the blocks around it",
            at + 1,
            p + 1
        ),
        format!("indent it by {expected}, or as deep as the key it belongs beside"),
        at,
        h,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn said(text: &str, line: u32) -> Mistake {
        explain(text, line).unwrap_or_else(|| panic!("no mistake found in:\n{text}"))
    }

    #[test]
    fn a_tab_is_named() {
        let m = said("spec:\n\tcomponents: []\n", 2);
        assert_eq!((m.line, m.col), (2, 1));
        assert!(m.message.contains("tab"), "{m:?}");
    }

    #[test]
    fn an_open_quote_is_named_at_its_line() {
        let m = said("a:\n  image: \"nginx:1.27\n  image_name: web\n", 4);
        assert_eq!((m.line, m.col), (2, 10));
        assert!(m.message.contains("never closed"), "{m:?}");
        // Escaped and doubled quotes close nothing early.
        assert_eq!(unclosed(r#"a: "x\"y""#), None);
        assert_eq!(unclosed("a: 'it''s'"), None);
        assert_eq!(unclosed("a: it's # don't"), None);
    }

    #[test]
    fn a_missing_space_after_a_colon_is_named() {
        let m = said("p:\n  image:nginx\n  image_name: web\n", 3);
        assert_eq!((m.line, m.col), (2, 8));
        assert!(m.help.contains("`image: nginx`"), "{m:?}");
        // A URL is not a key.
        assert!(no_space_after_colon(&["  url: http://x", "  b: c"], 1).is_none());
    }

    #[test]
    fn a_missing_colon_is_named() {
        let m = said("p:\n  image nginx\n  image_name: web\n", 3);
        assert_eq!(m.line, 2);
        assert!(m.help.contains("`image: nginx`"), "{m:?}");
    }

    #[test]
    fn an_odd_indentation_is_named() {
        let m = said("a:\n  b: 1\n   c: 2\n", 3);
        assert_eq!(m.line, 3);
        assert!(m.message.contains("indented by 3 spaces"), "{m:?}");
        // A new block under a key that opens one is fine.
        assert!(indentation(&["a:", "  b:", "      c: 1"], 2).is_none());
    }
}
