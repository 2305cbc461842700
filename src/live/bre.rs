//! The functional gate's expected text is a POSIX basic regular expression,
//! matched by `grep -q -e` against each line of the answer. This reads it as
//! GNU grep (and glibc's `regcomp`, under busybox) read it, and translates it
//! for the `regex` crate: linear time and size-bounded, whatever the pattern.
//! `tests/it/gates_bre.rs` holds the translation to GNU grep and busybox grep.

use regex::bytes::{Regex, RegexBuilder};

/// A compiled expected text.
#[derive(Debug)]
pub struct Bre(Regex);

/// Why an expected text cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BreError {
    /// grep refuses it too: the gate's Job fails.
    Refused(String),
    /// grep reads it, but not as anything the `regex` crate can say (a
    /// back-reference, a repeated assertion): `oamc gates` cannot tell.
    Unsupported(String),
}

impl std::fmt::Display for BreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BreError::Refused(why) | BreError::Unsupported(why) => f.write_str(why),
        }
    }
}

/// Compiled program budget: a pattern from the repository cannot make us allocate more.
const SIZE_LIMIT: usize = 1 << 20;

impl Bre {
    pub fn new(pattern: &str) -> Result<Bre, BreError> {
        let translated = translate(pattern)?;
        RegexBuilder::new(&translated)
            // grep in the gate image runs in the C locale: bytes, ASCII classes.
            .unicode(false)
            .size_limit(SIZE_LIMIT)
            .dfa_size_limit(SIZE_LIMIT)
            .build()
            .map(Bre)
            .map_err(|e| BreError::Unsupported(format!("cannot be evaluated here: {e}")))
    }

    /// Whether some line of `body` matches, as `printf '%s\n' "$body" | grep -q`
    /// decides: `$(…)` has dropped the trailing newlines, an empty body is one empty line.
    pub fn matches_a_line(&self, body: &[u8]) -> bool {
        let end = body.iter().rposition(|&b| b != b'\n').map_or(0, |i| i + 1);
        body[..end]
            .split(|&b| b == b'\n')
            .any(|l| self.0.is_match(l))
    }
}

/// The `regex` syntax for a basic regular expression.
pub fn translate(bre: &str) -> Result<String, BreError> {
    let refused = |why: &str| Err(BreError::Refused(why.to_owned()));
    let chars: Vec<char> = bre.chars().collect();
    let mut t = Translator {
        out: String::with_capacity(bre.len() * 2),
        last_atom: None,
        repeated: false,
        branch_start: true,
        groups: Vec::new(),
        after_assertion: false,
        unsupported: None,
    };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        match c {
            '\\' => {
                let Some(&d) = chars.get(i) else {
                    return refused("ends with a lone `\\` (grep: trailing backslash)");
                };
                i += 1;
                match d {
                    '(' => {
                        t.open_group();
                    }
                    ')' => t.close_group()?,
                    '|' => {
                        t.out.push('|');
                        t.branch();
                    }
                    '{' => {
                        let close = (i..chars.len().saturating_sub(1))
                            .find(|&j| chars[j] == '\\' && chars[j + 1] == '}')
                            .ok_or(BreError::Refused("has `\\{` without `\\}`".into()))?;
                        let bounds: String = chars[i..close].iter().collect();
                        i = close + 2;
                        t.interval(&bounds)?;
                    }
                    '+' | '?' if t.after_assertion => t.repeated_assertion(),
                    '+' | '?' if t.last_atom.is_some() => t.repeat(&d.to_string()),
                    '1'..='9' => t.unsupported(format!(
                        "uses the back-reference `\\{d}`, which oamc gates cannot evaluate"
                    )),
                    'w' => t.atom("[0-9A-Za-z_]"),
                    'W' => t.atom("[^0-9A-Za-z_]"),
                    's' => t.atom("[[:space:]]"),
                    'S' => t.atom("[^[:space:]]"),
                    'b' => t.assertion(r"\b"),
                    'B' => t.assertion(r"\B"),
                    '<' => t.assertion(r"\b{start}"),
                    '>' => t.assertion(r"\b{end}"),
                    '`' => t.assertion(r"\A"),
                    '\'' => t.assertion(r"\z"),
                    // Any other escaped character stands for itself.
                    other => t.literal(other),
                }
            }
            '.' => t.atom("."),
            '[' => {
                let (class, next) = bracket(&chars, i)?;
                i = next;
                t.atom(&class);
            }
            // `*` repeats the atom before it; with none (at the start of the
            // expression, a group or a branch, or after `^`) it is a literal.
            '*' if t.after_assertion => t.repeated_assertion(),
            '*' if t.last_atom.is_some() => t.repeat("*"),
            '^' if t.branch_start => {
                t.out.push('^');
                t.last_atom = None;
            }
            '$' if i == chars.len()
                || (chars[i] == '\\' && matches!(chars.get(i + 1), Some(')' | '|'))) =>
            {
                t.assertion("$");
            }
            other => t.literal(other),
        }
    }
    if !t.groups.is_empty() {
        return refused("has `\\(` without `\\)` (grep: unmatched ( or \\()");
    }
    // Reported only now: a refusal later in the pattern is what grep says.
    match t.unsupported {
        Some(why) => Err(BreError::Unsupported(why)),
        None => Ok(t.out),
    }
}

struct Translator {
    out: String,
    /// Where the last repeatable atom starts in `out`.
    last_atom: Option<usize>,
    /// The last atom already carries a repetition (`a*` repeated again needs a group).
    repeated: bool,
    /// At the start of the expression, a group or a branch: `^` anchors there.
    branch_start: bool,
    /// Where each open group's `(` is in `out`.
    groups: Vec<usize>,
    /// The first construct grep reads that oamc cannot say in `regex` syntax.
    unsupported: Option<String>,
    /// Right after an assertion (`\b`, `\<`, `$`…), which grep lets a `*` repeat.
    after_assertion: bool,
}

impl Translator {
    fn atom(&mut self, text: &str) {
        self.after_assertion = false;
        self.last_atom = Some(self.out.len());
        self.out.push_str(text);
        self.repeated = false;
        self.branch_start = false;
    }

    fn literal(&mut self, c: char) {
        self.atom(&regex::escape(c.encode_utf8(&mut [0; 4])));
    }

    fn assertion(&mut self, text: &str) {
        self.after_assertion = true;
        self.out.push_str(text);
        self.last_atom = None;
        self.branch_start = false;
    }

    fn branch(&mut self) {
        self.after_assertion = false;
        self.last_atom = None;
        self.branch_start = true;
    }

    fn open_group(&mut self) {
        self.groups.push(self.out.len());
        self.out.push('(');
        self.branch();
    }

    fn close_group(&mut self) -> Result<(), BreError> {
        let Some(open) = self.groups.pop() else {
            return Err(BreError::Refused(
                "has `\\)` without `\\(` (grep: unmatched ) or \\))".into(),
            ));
        };
        // The group is the atom a following `*` repeats.
        self.out.push(')');
        self.after_assertion = false;
        self.last_atom = Some(open);
        self.repeated = false;
        self.branch_start = false;
        Ok(())
    }

    fn repeat(&mut self, op: &str) {
        if let Some(start) = self.last_atom {
            if self.repeated {
                // `a**`, `a*\{2\}`: repeat the repetition.
                self.out.insert_str(start, "(?:");
                self.out.push(')');
            }
            self.out.push_str(op);
            self.repeated = true;
        }
    }

    fn unsupported(&mut self, why: String) {
        self.unsupported.get_or_insert(why);
    }

    fn repeated_assertion(&mut self) {
        self.unsupported(
            "repeats an assertion (`\\<*`, `\\b\\{2\\}`), which oamc gates cannot evaluate as grep does".into(),
        );
    }

    fn interval(&mut self, bounds: &str) -> Result<(), BreError> {
        let valid = {
            let (min, max) = bounds.split_once(',').unwrap_or((bounds, bounds));
            let number = |s: &str| s.chars().all(|c| c.is_ascii_digit()) && s.len() <= 5;
            !min.is_empty() && number(min) && number(max) && {
                let lo: u32 = min.parse().unwrap_or(0);
                max.is_empty() || lo <= max.parse().unwrap_or(0)
            }
        };
        if !valid {
            return Err(BreError::Refused(format!(
                "has an invalid interval `\\{{{bounds}\\}}`"
            )));
        }
        if self.after_assertion {
            self.repeated_assertion();
        } else if self.last_atom.is_none() {
            // grep takes it, and that branch then matches nothing.
            self.unsupported("has an interval `\\{…\\}` with nothing before it to repeat".into());
        }
        self.repeat(&format!("{{{bounds}}}"));
        Ok(())
    }
}

const CLASSES: &[&str] = &[
    "alpha", "digit", "alnum", "upper", "lower", "space", "blank", "punct", "print", "graph",
    "cntrl", "xdigit",
];

/// A bracket expression starting after its `[`: the `regex` class and the
/// index after its `]`. Inside, `\` is an ordinary character.
fn bracket(chars: &[char], mut i: usize) -> Result<(String, usize), BreError> {
    let unterminated = || BreError::Refused("has `[` without `]` (grep: unmatched [)".to_owned());
    let mut out = String::from("[");
    if chars.get(i) == Some(&'^') {
        out.push('^');
        i += 1;
    }
    let first = i;
    loop {
        let c = *chars.get(i).ok_or_else(unterminated)?;
        if c == ']' && i > first {
            out.push(']');
            return Ok((out, i + 1));
        }
        // One element: a class, an equivalence class, a collating symbol or a character.
        let element = if c == '[' && matches!(chars.get(i + 1), Some(':' | '=' | '.')) {
            let kind = chars[i + 1];
            let close = (i + 2..chars.len().saturating_sub(1))
                .find(|&j| chars[j] == kind && chars[j + 1] == ']')
                .ok_or_else(unterminated)?;
            let name: String = chars[i + 2..close].iter().collect();
            i = close + 2;
            if kind == ':' {
                if !CLASSES.contains(&name.as_str()) {
                    return Err(BreError::Refused(format!(
                        "names the unknown character class `[:{name}:]`"
                    )));
                }
                out.push_str(&format!("[:{name}:]"));
                continue;
            }
            let mut one = name.chars();
            match (one.next(), one.next()) {
                (Some(c), None) => c,
                _ => {
                    return Err(BreError::Refused(format!(
                        "has an unsupported collating element `[{kind}{name}{kind}]`"
                    )));
                }
            }
        } else {
            i += 1;
            c
        };
        // A range `a-z`, unless `-` is the last character before `]`.
        if chars.get(i) == Some(&'-') && chars.get(i + 1).is_some_and(|&n| n != ']') {
            let end = chars[i + 1];
            i += 2;
            if end < element {
                return Err(BreError::Refused(format!(
                    "has the invalid range `{element}-{end}` (grep: invalid range end)"
                )));
            }
            push_class_char(&mut out, element);
            out.push('-');
            push_class_char(&mut out, end);
        } else {
            push_class_char(&mut out, element);
        }
    }
}

/// A character inside a `regex` class, escaped where `regex` gives it a meaning.
fn push_class_char(out: &mut String, c: char) {
    if matches!(c, '\\' | '[' | ']' | '^' | '-' | '&' | '~') {
        out.push('\\');
    }
    out.push(c);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, line: &str) -> bool {
        Bre::new(pattern).unwrap().matches_a_line(line.as_bytes())
    }

    #[test]
    fn basic_syntax() {
        assert!(matches("Hello", "say Hello world"));
        assert!(matches("a+b", "a+b"));
        assert!(!matches("a+b", "aab"));
        assert!(matches("a\\+b", "aab"));
        assert!(matches("\\(ab\\)*c", "ababc"));
        assert!(matches("*a", "*a"));
        assert!(matches("^*a", "*a"));
        assert!(matches("a^b", "a^b"));
        assert!(matches("a$b", "a$b"));
        assert!(matches("ab$", "xab"));
        assert!(!matches("ab$", "abx"));
        assert!(matches("[]a]", "]"));
        assert!(matches("[^]a]", "b"));
        assert!(matches("[a\\]", "\\"));
        assert!(matches("[[:digit:]]\\{3\\}", "x123"));
        assert!(matches("x\\{2,\\}", "xx"));
        assert!(matches("a**", "b"));
        assert!(matches("{1}", "{1}"));
        assert!(matches("", ""));
        assert!(matches("\\(a\\|b\\)c", "bc"));
    }

    #[test]
    fn errors_grep_reports() {
        for bad in [
            "a\\",
            "[a",
            "\\(a",
            "a\\)",
            "[[:nope:]]",
            "a\\{2,1\\}",
            "[z-a]",
        ] {
            assert!(matches!(Bre::new(bad), Err(BreError::Refused(_))), "{bad}");
        }
        // grep takes these; what they match cannot be said in `regex` syntax.
        for odd in ["\\{1\\}", "\\<*", "a\\b\\{2\\}"] {
            assert!(
                matches!(Bre::new(odd), Err(BreError::Unsupported(_))),
                "{odd}"
            );
        }
        assert!(matches!(
            Bre::new("\\(a\\)\\1"),
            Err(BreError::Unsupported(_))
        ));
    }

    /// A pattern from the repository cannot make the matcher allocate without bound.
    #[test]
    fn a_hostile_repetition_is_bounded() {
        let result = Bre::new("\\(a\\{1000\\}\\)\\{1000\\}\\{1000\\}");
        assert!(
            matches!(result, Err(BreError::Unsupported(_))),
            "{result:?}"
        );
        let nested = Bre::new("\\(\\(a*\\)*\\)*b").unwrap();
        // A backtracking matcher would not return on this.
        assert!(!nested.matches_a_line(&[b'a'; 100_000]));
    }

    #[test]
    fn lines_as_grep_sees_them() {
        let b = Bre::new("^$").unwrap();
        assert!(b.matches_a_line(b""));
        assert!(!b.matches_a_line(b"x\n\n\n"));
        assert!(b.matches_a_line(b"x\n\ny"));
    }
}
