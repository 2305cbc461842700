//! `oamc gates` reads the functional gate's expected text as `grep` in the
//! gate's Job reads it (a POSIX basic regular expression, line by line).
//! Held here to the real thing: GNU grep and busybox grep (glibc's regcomp)
//! in the C locale, on thousands of generated patterns and a set of lines —
//! the same lines match, and a pattern grep refuses is refused.

use oamc::live::bre::{Bre, BreError};
use std::io::Write;
use std::process::{Command, Stdio};

const TOKENS: &[&str] = &[
    "a",
    "b",
    "c",
    "1",
    ".",
    "*",
    "^",
    "$",
    "\\(",
    "\\)",
    "\\|",
    "\\+",
    "\\?",
    "\\{1,2\\}",
    "\\{2\\}",
    "\\{0,\\}",
    "[ab]",
    "[^a]",
    "[]a]",
    "[a-c]",
    "[[:digit:]]",
    "[[:alpha:]]*",
    "[.]",
    "[a\\]",
    "+",
    "?",
    "{",
    "}",
    "(",
    ")",
    "|",
    "\\.",
    "\\*",
    "\\[",
    "\\$",
    "\\^",
    "\\w",
    "\\W",
    "\\s",
    "\\b",
    "\\<",
    "\\>",
    "-",
    " ",
    "_",
    "[-a]",
    "[a-]",
    "\\\\",
    "[",
];

const LINES: &[&str] = &[
    "",
    "a",
    "b",
    "ab",
    "ba",
    "aab",
    "abc",
    "a b",
    "a.b",
    "a*b",
    "a+b",
    "a?b",
    "(a)",
    "{1}",
    "a|b",
    "^a",
    "a$",
    "$",
    "^",
    "1",
    "12",
    "a1b2",
    "[a]",
    "]",
    "\\",
    "a\\b",
    "-",
    "_a_",
    "c  c",
    "abcabc",
    "*a",
    "x.y",
    "aaa",
    "bbb",
    "word other",
    "AB",
    "a-c",
    "a_b",
    "]a",
];

/// A deterministic stream of patterns (no randomness between runs).
fn patterns(count: usize) -> Vec<String> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..count)
        .map(|_| {
            let len = 1 + (next() % 5) as usize;
            (0..len)
                .map(|_| TOKENS[(next() % TOKENS.len() as u64) as usize])
                .collect()
        })
        .collect()
}

/// The 1-based numbers of the lines `grep -n -e pattern` prints, or `None` when grep refuses the pattern.
fn grep(program: &[&str], pattern: &str, input: &str) -> Option<Vec<usize>> {
    let mut child = Command::new(program[0])
        .args(&program[1..])
        .args(["-n", "-e", pattern])
        .env("LC_ALL", "C")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "{} runs ({e}); .ci/run installs grep and busybox",
                program[0]
            )
        });
    // grep stops reading when it refuses the pattern.
    let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
    let out = child.wait_with_output().unwrap();
    match out.status.code() {
        Some(0 | 1) => Some(
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .map(|l| l.split(':').next().unwrap().parse().unwrap())
                .collect(),
        ),
        _ => None,
    }
}

/// oamc's lines, `None` when it refuses as grep does; `Err` when it cannot evaluate.
fn ours(pattern: &str) -> Result<Option<Vec<usize>>, String> {
    let bre = match Bre::new(pattern) {
        Ok(b) => b,
        Err(BreError::Refused(_)) => return Ok(None),
        Err(BreError::Unsupported(why)) => return Err(why),
    };
    Ok(Some(
        LINES
            .iter()
            .enumerate()
            .filter(|(_, l)| bre.matches_a_line(l.as_bytes()))
            .map(|(i, _)| i + 1)
            .collect(),
    ))
}

fn differential(program: &[&str]) {
    let input: String = LINES.iter().map(|l| format!("{l}\n")).collect();
    let mut differences = Vec::new();
    let mut unsupported = 0;
    let all = patterns(3000);
    for pattern in &all {
        let theirs = grep(program, pattern, &input);
        match ours(pattern) {
            Ok(mine) if mine == theirs => {}
            // What oamc says it cannot evaluate, grep must take (else it would be a refusal).
            Err(_) if theirs.is_some() => unsupported += 1,
            mine => differences.push(format!(
                "{pattern:?}: {} {theirs:?}, oamc {mine:?}",
                program.join(" ")
            )),
        }
    }
    eprintln!(
        "{}: {} patterns agree, {unsupported} reported as not evaluable",
        program.join(" "),
        all.len() - unsupported
    );
    // Only corner cases (a repeated assertion, an interval with nothing to repeat).
    assert!(
        unsupported * 10 < all.len(),
        "{unsupported} patterns oamc cannot evaluate"
    );
    assert!(
        differences.is_empty(),
        "{} of {} patterns differ:\n{}",
        differences.len(),
        all.len(),
        differences[..differences.len().min(40)].join("\n")
    );
}

#[test]
fn expected_text_matches_as_gnu_grep() {
    differential(&["grep"]);
}

#[test]
fn expected_text_matches_as_busybox_grep() {
    differential(&["busybox", "grep"]);
}

proptest::proptest! {
    /// The expected text comes from the repository: any text is read or
    /// refused, never a panic, and matching any answer terminates.
    #[test]
    fn any_expected_text_is_read_or_refused(pattern in "\\PC{0,40}", body in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
        if let Ok(bre) = Bre::new(&pattern) {
            let _ = bre.matches_a_line(&body);
        }
    }

    /// Built from BRE's own tokens, to reach every branch of the reader.
    #[test]
    fn any_token_sequence_is_read_or_refused(tokens in proptest::collection::vec(0..TOKENS.len(), 0..12)) {
        let pattern: String = tokens.iter().map(|&i| TOKENS[i]).collect();
        if let Ok(bre) = Bre::new(&pattern) {
            for line in LINES {
                let _ = bre.matches_a_line(line.as_bytes());
            }
        }
    }
}
