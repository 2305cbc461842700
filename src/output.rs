//! The rendered-manifests layout for CI: `OUT/<application>[/<stage>]/<kind>-<name>.yaml`,
//! one resource per file. oamc remembers what it wrote (`OUT/.oamc-rendered`)
//! so that a resource no longer produced has its file removed, and never
//! touches a file it did not write.

use crate::Compilation;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

/// The list of files oamc wrote under an output directory, one relative path a line.
pub const INDEX: &str = ".oamc-rendered";

/// Every file the compilation produces, by path relative to the output directory.
pub fn layout(compilation: &Compilation) -> Result<BTreeMap<PathBuf, String>, String> {
    let mut files = BTreeMap::new();
    for app in &compilation.apps {
        let mut dir = PathBuf::from(&app.plan.name);
        if let Some(stage) = crate::names::stage_of(&app.source) {
            dir.push(stage);
        }
        for manifest in &app.manifests {
            let path = dir.join(format!(
                "{}-{}.yaml",
                manifest.kind.to_lowercase(),
                manifest.name
            ));
            if files.insert(path.clone(), manifest.yaml.clone()).is_some() {
                return Err(format!(
                    "two resources would be written to {}: give the Applications distinct names or stage folders",
                    path.display()
                ));
            }
        }
    }
    Ok(files)
}

fn read_index(out: &Path) -> BTreeSet<PathBuf> {
    std::fs::read_to_string(out.join(INDEX))
        .unwrap_or_default()
        .lines()
        .map(PathBuf::from)
        // Only paths that stay inside the output directory: the index is a file in a repository.
        .filter(|p| p.components().all(|c| matches!(c, Component::Normal(_))))
        .collect()
}

/// What `write` did.
#[derive(Debug, Default)]
pub struct Written {
    pub written: usize,
    pub removed: Vec<PathBuf>,
}

/// Write every file, remove the ones oamc wrote before that are no longer produced.
pub fn write(out: &Path, files: &BTreeMap<PathBuf, String>) -> Result<Written, String> {
    let mut report = Written::default();
    for (rel, text) in files {
        let path = out.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            std::fs::write(&path, text)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        }
        report.written += 1;
    }
    for stale in read_index(out)
        .into_iter()
        .filter(|p| !files.contains_key(p))
    {
        let path = out.join(&stale);
        match std::fs::remove_file(&path) {
            Ok(()) => report.removed.push(stale),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("cannot remove {}: {e}", path.display())),
        }
        // Drop folders the removal left empty (remove_dir refuses non-empty ones).
        let mut dir = path.parent();
        while let Some(d) = dir.filter(|d| *d != out) {
            if std::fs::remove_dir(d).is_err() {
                break;
            }
            dir = d.parent();
        }
    }
    let index: String = files.keys().map(|p| format!("{}\n", p.display())).collect();
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    std::fs::write(out.join(INDEX), index)
        .map_err(|e| format!("cannot write the index in {}: {e}", out.display()))?;
    Ok(report)
}

/// A unified diff of what `write` would change, or `None` when the output is current.
pub fn check(out: &Path, files: &BTreeMap<PathBuf, String>) -> Option<String> {
    let mut diff = String::new();
    let mut paths: BTreeSet<&PathBuf> = files.keys().collect();
    let index = read_index(out);
    paths.extend(index.iter());
    for rel in paths {
        let on_disk = std::fs::read_to_string(out.join(rel)).ok();
        let wanted = files.get(rel);
        if on_disk.as_ref() == wanted {
            continue;
        }
        let old = on_disk.unwrap_or_default();
        let new = wanted.cloned().unwrap_or_default();
        let name = rel.display().to_string();
        let text = similar::TextDiff::from_lines(&old, &new)
            .unified_diff()
            .context_radius(3)
            .header(&format!("a/{name}"), &format!("b/{name}"))
            .to_string();
        diff.push_str(&text);
    }
    (!diff.is_empty()).then_some(diff)
}

#[cfg(test)]
mod tests {
    use crate::names::stage_of;

    #[test]
    fn stages_come_from_the_deployment_tree() {
        assert_eq!(
            stage_of("repo/deployment/dev/application.yaml").as_deref(),
            Some("dev")
        );
        assert_eq!(
            stage_of("deployment/prod/app.yaml").as_deref(),
            Some("prod")
        );
        assert_eq!(stage_of("apps/shop/application.yaml"), None);
        assert_eq!(stage_of("deployment/application.yaml"), None);
    }
}
