//! The crate's import rules (written down in `src/lib.rs`), held by reading
//! every `crate::` path in the library's sources: no circle among the
//! top-level modules, `plan` a leaf, and no import back up the pipeline.

use crate::common::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

/// The pipeline's stages in order: a stage may import only earlier ones.
const STAGES: &[&str] = &[
    "load", "check", "defs", "render", "verify", "emit", "driver",
];

/// Top-level module → the top-level modules its (non-test) code names.
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let src = root().join("src");
    // What the crate root re-exports or defines as a macro, by its home.
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    let mut home: BTreeMap<String, String> = BTreeMap::new();
    for line in lib.lines() {
        if let Some(rest) = line.strip_prefix("pub use ")
            && let Some((module, names)) = rest.split_once("::")
        {
            for name in names.trim_matches(|c| "{};".contains(c)).split(',') {
                home.insert(name.trim().to_owned(), module.to_owned());
            }
        }
    }
    let mut files = Vec::new();
    collect(&src, &mut files);
    let top_of = |file: &Path| {
        let rel = file.strip_prefix(&src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_str()
            .unwrap();
        first.trim_end_matches(".rs").to_owned()
    };
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for line in text.lines() {
            if let Some(rest) = line.trim().strip_prefix("macro_rules! ") {
                let name = rest.trim_end_matches(|c: char| !c.is_alphanumeric() && c != '_');
                home.insert(name.to_owned(), top_of(file));
            }
        }
    }
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let top = top_of(file);
        if top == "lib" || top == "main" {
            continue;
        }
        let text = std::fs::read_to_string(file).unwrap();
        // A module's own tests may reach anywhere.
        let code = text.split("#[cfg(test)]").next().unwrap();
        for (i, _) in code.match_indices("crate::") {
            let rest = &code[i + "crate::".len()..];
            let names: Vec<&str> = match rest.strip_prefix('{') {
                Some(group) => group[..group.find('}').unwrap()]
                    .split(',')
                    .map(|n| n.trim().split("::").next().unwrap())
                    .filter(|n| !n.is_empty())
                    .collect(),
                None => vec![
                    rest.split(|c: char| !c.is_alphanumeric() && c != '_')
                        .next()
                        .unwrap(),
                ],
            };
            for name in names {
                let module = home.get(name).map_or(name, String::as_str);
                if module != top && module != "self" {
                    graph
                        .entry(top.clone())
                        .or_default()
                        .insert(module.to_owned());
                }
            }
        }
    }
    graph
}

fn collect(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// A circle through `from`, if its imports lead back to it.
fn circle(graph: &BTreeMap<String, BTreeSet<String>>, from: &str) -> Option<Vec<String>> {
    fn walk(
        graph: &BTreeMap<String, BTreeSet<String>>,
        at: &str,
        from: &str,
        path: &mut Vec<String>,
        seen: &mut BTreeSet<String>,
    ) -> bool {
        for next in graph.get(at).into_iter().flatten() {
            if next == from {
                return true;
            }
            if seen.insert(next.clone()) {
                path.push(next.clone());
                if walk(graph, next, from, path, seen) {
                    return true;
                }
                path.pop();
            }
        }
        false
    }
    let mut path = vec![from.to_owned()];
    walk(graph, from, from, &mut path, &mut BTreeSet::new()).then(|| {
        path.push(from.to_owned());
        path
    })
}

#[test]
fn the_modules_import_down_the_pipeline_and_never_in_a_circle() {
    let graph = imports();
    // The reader sees the imports it is meant to see.
    assert!(graph["render"].contains("plan"), "{graph:?}");
    assert!(graph["cmp"].contains("driver"), "{graph:?}");
    assert!(graph["defs"].contains("check"), "{graph:?}");
    let circles: Vec<String> = graph
        .keys()
        .filter_map(|m| circle(&graph, m))
        .map(|c| c.join(" → "))
        .collect();
    assert!(
        circles.is_empty(),
        "import circles:\n{}",
        circles.join("\n")
    );
    let plan: Vec<&String> = graph["plan"].iter().filter(|m| *m != "names").collect();
    assert!(plan.is_empty(), "plan imports {plan:?}; it is a leaf");
    let rank = |m: &str| STAGES.iter().position(|s| *s == m);
    let mut upward = Vec::new();
    for (module, imported) in &graph {
        for target in imported {
            if let (Some(a), Some(b)) = (rank(module), rank(target))
                && b > a
            {
                upward.push(format!("{module} imports {target}"));
            }
        }
    }
    assert!(
        upward.is_empty(),
        "imports back up the pipeline: {upward:?}"
    );
}

/// The reader finds a circle where there is one.
#[test]
fn a_circle_is_found() {
    let graph: BTreeMap<String, BTreeSet<String>> =
        [("a", vec!["b"]), ("b", vec!["c"]), ("c", vec!["a", "d"])]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.into_iter().map(String::from).collect()))
            .collect();
    assert_eq!(circle(&graph, "a").unwrap(), ["a", "b", "c", "a"]);
    assert_eq!(circle(&graph, "d"), None);
}

/// The crates a build links, as `cargo tree` resolves them from Cargo.lock.
fn linked_crates(features: &[&str]) -> Vec<String> {
    let out = Command::new(env!("CARGO"))
        .args(["tree", "--locked", "-e", "normal", "--prefix", "none"])
        .args(features)
        .current_dir(root())
        .output()
        .expect("cargo runs");
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

/// The Argo CD plugin image is built without the `gates` feature
/// (cmp/Dockerfile): it sends no request, so it links no HTTP client or TLS.
#[test]
fn the_plugin_build_links_no_http_client_or_tls() {
    let dockerfile = std::fs::read_to_string(root().join("cmp/Dockerfile")).unwrap();
    assert!(
        dockerfile.contains("cargo build --profile dist --locked --no-default-features"),
        "the plugin image is built without the default features"
    );
    let network = ["ureq", "rustls", "ring", "webpki-roots", "http"];
    let plugin = linked_crates(&["--no-default-features"]);
    let cli = linked_crates(&[]);
    for name in network {
        assert!(
            !plugin.iter().any(|c| c == name),
            "the plugin build links {name}"
        );
    }
    // The check can fail: the CLI's build does link them.
    assert!(cli.iter().any(|c| c == "ureq") && cli.iter().any(|c| c == "rustls"));
}
