//! The docs: the book's reference tables are held to the code's one tables
//! (the diagnostic codes, `Code::ALL`; the traits, `defs::TRAITS`), every
//! internal link of README, CHANGELOG and the book resolves, every page is in
//! the book's SUMMARY, no table row lives in two places, and README stays a
//! front door.

use crate::common::*;

const DIAGNOSTICS: &str = "docs/src/reference/diagnostics.md";
const TRAITS: &str = "docs/src/reference/traits.md";

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap()
}

/// The rows of the first table after `heading`, and where they are.
fn table_after(text: &str, heading: &str) -> (usize, usize, Vec<String>) {
    let at = text
        .find(heading)
        .unwrap_or_else(|| panic!("README has no {heading:?}"));
    let header = at + text[at..].find("\n|").expect("a table") + 1;
    let mut end = header;
    let mut rows = Vec::new();
    for (i, line) in text[header..].split_inclusive('\n').enumerate() {
        if !line.starts_with('|') {
            break;
        }
        end += line.len();
        if i >= 2 {
            rows.push(line.trim_end().to_owned());
        }
    }
    let body = header
        + text[header..]
            .split_inclusive('\n')
            .take(2)
            .map(str::len)
            .sum::<usize>();
    (body, end, rows)
}

/// Holds the table after `heading` in `file` to `expected`; `OAMC_BLESS=1` rewrites it.
fn table_is(file: &str, heading: &str, expected: &[String]) {
    let text = read(file);
    let (start, end, rows) = table_after(&text, heading);
    if std::env::var_os("OAMC_BLESS").is_some() && rows != expected {
        let mut new = text[..start].to_owned();
        for row in expected {
            new.push_str(row);
            new.push('\n');
        }
        new.push_str(&text[end..]);
        std::fs::write(root().join(file), new).unwrap();
        return;
    }
    assert_eq!(
        rows, expected,
        "the table in {file} (OAMC_BLESS=1 rewrites it)"
    );
}

#[test]
fn the_book_lists_every_diagnostic_code_once_with_its_meaning() {
    let expected: Vec<String> = oamc::diagnostic::Code::ALL
        .iter()
        .map(|c| format!("| `{}` | {} |", c.as_str(), c.summary()))
        .collect();
    table_is(DIAGNOSTICS, "## Diagnostic codes", &expected);
    let mut ids: Vec<&str> = oamc::diagnostic::Code::ALL
        .iter()
        .map(|c| c.as_str())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(
        ids.len(),
        oamc::diagnostic::Code::ALL.len(),
        "one id per code"
    );
}

/// The trait table is the registry's: a trait's row is written in its module.
#[test]
fn the_book_lists_every_trait_oamc_compiles() {
    let expected: Vec<String> = oamc::defs::TRAITS
        .iter()
        .map(|t| format!("| `{}` | {} | {} |", t.name(), t.properties(), t.renders()))
        .collect();
    table_is(TRAITS, "# Traits", &expected);
}

/// The Markdown files a reader follows links through.
fn markdown_files() -> Vec<std::path::PathBuf> {
    let mut files = vec![root().join("README.md"), root().join("CHANGELOG.md")];
    let mut stack = vec![root().join("docs/src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "md") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// GitHub's and mdBook's anchor of a heading: lower case, spaces to `-`,
/// punctuation other than `-` and `_` dropped.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

fn anchors(text: &str) -> Vec<String> {
    let mut in_code = false;
    let mut out = Vec::new();
    for line in text.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
        } else if !in_code && line.starts_with('#') {
            out.push(anchor(line.trim_start_matches('#')));
        }
    }
    out
}

/// `[text](target)` links outside code, as (line, target).
fn links(text: &str) -> Vec<(usize, String)> {
    let mut in_code = false;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        // Inline code spans hold examples, not links.
        let prose: String = line.split('`').step_by(2).collect::<Vec<_>>().join(" ");
        let mut rest = prose.as_str();
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let Some(end) = after.find(')') else { break };
            out.push((n + 1, after[..end].to_owned()));
            rest = &after[end..];
        }
    }
    out
}

#[test]
fn every_internal_link_of_the_docs_resolves() {
    let mut broken = Vec::new();
    for file in markdown_files() {
        let text = std::fs::read_to_string(&file).unwrap();
        for (line, target) in links(&text) {
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let (path, fragment) = target.split_once('#').unwrap_or((&target, ""));
            let resolved = if path.is_empty() {
                file.clone()
            } else {
                file.parent().unwrap().join(path)
            };
            let shown = format!(
                "{}:{line}: {target}",
                file.strip_prefix(root()).unwrap().display()
            );
            if !resolved.exists() {
                broken.push(format!("{shown} (no such file)"));
                continue;
            }
            if !fragment.is_empty() && resolved.extension().is_some_and(|e| e == "md") {
                let target_text = std::fs::read_to_string(&resolved).unwrap();
                if !anchors(&target_text).iter().any(|a| a == fragment) {
                    broken.push(format!("{shown} (no such heading)"));
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn every_page_of_the_book_is_in_its_summary() {
    let summary = read("docs/src/SUMMARY.md");
    let listed: Vec<String> = links(&summary).into_iter().map(|(_, t)| t).collect();
    for file in markdown_files() {
        let Ok(rel) = file.strip_prefix(root().join("docs/src")) else {
            continue;
        };
        let rel = rel.to_str().unwrap().to_owned();
        if rel != "SUMMARY.md" {
            assert!(listed.contains(&rel), "docs/src/{rel} is not in SUMMARY.md");
        }
    }
}

#[test]
fn readme_is_a_front_door_and_no_table_row_lives_twice() {
    let readme = read("README.md");
    assert!(
        readme.lines().count() <= 250,
        "README has {} lines",
        readme.lines().count()
    );
    let mut seen: std::collections::BTreeMap<String, String> = Default::default();
    for file in markdown_files() {
        let text = std::fs::read_to_string(&file).unwrap();
        let name = file.strip_prefix(root()).unwrap().display().to_string();
        for row in text.lines().filter(|l| l.starts_with("| ") && l.len() > 40) {
            if let Some(first) = seen.insert(row.to_owned(), name.clone()) {
                assert_eq!(
                    first, name,
                    "a table row lives in {first} and {name}:\n{row}"
                );
            }
        }
    }
}

/// README's first command and its tour, and the guides' `sh` blocks, as
/// written, in a fresh clone of this repository (`cargo run --` stands for
/// `oamc`, as README says): each exits as its comment says, and afterwards
/// `git status` is clean (what they write is ignored). The `gates` line needs the app and Prometheus of
/// `examples/gates/` on fixed ports; the gates guide's own walkthrough runs
/// it (`tests/it/gates.rs`).
#[test]
fn readme_and_guide_commands_run_as_written_in_a_fresh_clone() {
    let readme = read("README.md");
    let block = |heading: &str| -> Vec<String> {
        let at = readme.find(heading).unwrap_or_else(|| panic!("{heading}"));
        let start = at + readme[at..].find("```sh\n").unwrap() + 6;
        let end = start + readme[start..].find("```").unwrap();
        readme[start..end].lines().map(str::to_owned).collect()
    };
    let mut commands: Vec<String> = block("## Set up")
        .into_iter()
        .filter(|l| l.starts_with("cargo run --"))
        .map(|l| l.replacen("cargo run --", "oamc", 1))
        .collect();
    commands.extend(block("## A five-minute tour"));
    assert!(commands.len() >= 9, "{commands:?}");
    let readme_commands = commands.len();
    // The guides' command blocks (the gates guide's walkthrough, with its
    // `$` prompts and servers, runs in tests/it/gates.rs).
    for guide in markdown_files()
        .into_iter()
        .filter(|f| f.starts_with(root().join("docs")))
    {
        let text = std::fs::read_to_string(&guide).unwrap();
        let mut rest = text.as_str();
        while let Some(at) = rest.find("```sh\n") {
            let body = &rest[at + 6..];
            let end = body.find("```").unwrap();
            for line in body[..end].lines().filter(|l| l.starts_with("oamc ")) {
                commands.push(line.to_owned());
            }
            rest = &body[end + 3..];
        }
    }
    assert!(commands.len() >= readme_commands + 4, "{commands:?}");

    let dir = tempdir("readme-clone");
    let clone = dir.join("oamc");
    let git = |args: &[&str], at: &std::path::Path| {
        let out = std::process::Command::new("git")
            .args(args)
            .current_dir(at)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {}", text(&out.stderr));
        text(&out.stdout)
    };
    git(
        &[
            "clone",
            "-q",
            root().to_str().unwrap(),
            clone.to_str().unwrap(),
        ],
        &dir,
    );
    // README's `diff main` compares with the branch a clone has; CI's
    // checkout may be a detached commit.
    if git(&["branch", "--list", "main"], &clone).trim().is_empty() {
        git(&["branch", "main", "HEAD"], &clone);
    }
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_oamc"))
        .parent()
        .unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for line in commands {
        let command = line.split("  #").next().unwrap().trim().to_owned();
        if command.starts_with("oamc gates ") {
            continue;
        }
        let out = std::process::Command::new("sh")
            .args(["-c", &command])
            .current_dir(&clone)
            .env("PATH", &path)
            .env("NO_COLOR", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .output()
            .unwrap();
        let expected =
            if line.contains("(exit 1)") || line.contains("--format github fixtures/invalid") {
                1
            } else {
                0
            };
        assert_eq!(
            out.status.code(),
            Some(expected),
            "{command}:\n{}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
    }
    assert!(clone.join("rendered").is_dir() && clone.join("timeline.svg").is_file());
    let status = git(&["status", "--porcelain", "--ignored=no"], &clone);
    assert!(
        status.is_empty(),
        "README's commands left files Git sees:\n{status}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
