//! README's reference tables are held to the code's one tables: the
//! diagnostic codes (`Code::ALL`) and the traits (`defs::TRAITS`).

mod common;
use common::*;

fn readme() -> String {
    std::fs::read_to_string(root().join("README.md")).unwrap()
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

#[test]
fn readme_lists_every_diagnostic_code_once_with_its_meaning() {
    let text = readme();
    let (start, end, rows) = table_after(&text, "### Diagnostic codes");
    let expected: Vec<String> = oamc::diagnostic::Code::ALL
        .iter()
        .map(|c| format!("| `{}` | {} |", c.as_str(), c.summary()))
        .collect();
    if std::env::var_os("OAMC_BLESS").is_some() && rows != expected {
        let mut new = text[..start].to_owned();
        for row in &expected {
            new.push_str(row);
            new.push('\n');
        }
        new.push_str(&text[end..]);
        std::fs::write(root().join("README.md"), new).unwrap();
        return;
    }
    assert_eq!(
        rows, expected,
        "README's code table (OAMC_BLESS=1 rewrites it)"
    );
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

#[test]
fn readme_lists_every_trait_oamc_compiles() {
    let (_, _, rows) = table_after(&readme(), "## Traits");
    let listed: Vec<String> = rows
        .iter()
        .flat_map(|row| {
            let first = row.split('|').nth(1).unwrap_or("").to_owned();
            first
                .split(',')
                .map(|t| t.trim().trim_matches('`').to_owned())
                .collect::<Vec<_>>()
        })
        .collect();
    let expected: Vec<String> = oamc::defs::TRAITS
        .iter()
        .map(|t| t.name.to_owned())
        .collect();
    assert_eq!(listed, expected);
}
