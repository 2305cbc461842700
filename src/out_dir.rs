//! The rendered-manifests layout for CI: `OUT/<application>[/<stage>]/<kind>-<name>.yaml`,
//! one resource per file. oamc remembers what it wrote (`OUT/.oamc-rendered`)
//! so that a resource no longer produced has its file removed, and never
//! touches a file it did not write.
//!
//! The output folder is in a repository, so whoever can push controls what
//! is in it: links, a tampered index, odd names. Every access goes through a
//! capability handle on OUT (cap-std), which refuses `..`, absolute paths
//! and links that lead out of it, with no check-then-open race; links inside
//! OUT are refused too, and only regular files are read, each within a size
//! bound. Files are written to a temporary name in their folder and renamed
//! into place; the index names every file a run may write before the first
//! is written, and the final index is written last; a lock on OUT keeps two
//! runs from interleaving.

use crate::Compilation;
use crate::check::syntax;
use crate::diagnostic::{Code, Diagnostic};
use cap_std::ambient_authority;
use cap_std::fs::{Dir, OpenOptions};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};

/// The list of files oamc wrote under an output directory: a line per file,
/// its SHA-256 and its relative path, as `sha256sum` writes them (so
/// `sha256sum -c .oamc-rendered` checks the tree).
pub const INDEX: &str = crate::load::RENDERED_TREE_INDEX;
/// The lock file earlier versions left in OUT (and `git add -A` committed):
/// removed when found. The lock is now on the folder itself.
pub const LEGACY_LOCK: &str = ".oamc-rendered.lock";
/// Largest file `--check` reads, and largest index: a rendered resource is a few KiB.
pub const MAX_READ_BYTES: u64 = 4 * 1024 * 1024;

/// Every file the compilation produces, by path relative to the output
/// directory. Each part of a path is checked: the Application name (a
/// DNS-1123 subdomain), the stage folder (a DNS-1123 label), the kind (letters
/// and digits) and the resource name (a DNS-1123 subdomain); a custom
/// template decides the last two. Every problem is reported, each at the
/// Application whose resource it is.
pub fn layout(compilation: &Compilation) -> Result<BTreeMap<PathBuf, String>, Vec<Diagnostic>> {
    let mut files = BTreeMap::new();
    // Which Application wrote each path, to name both on a collision.
    let mut writers: BTreeMap<PathBuf, usize> = BTreeMap::new();
    let mut problems = Vec::new();
    // (first, second) Application → the paths both would write, one diagnostic a pair.
    let mut collisions: BTreeMap<(usize, usize), Vec<String>> = BTreeMap::new();
    for (i, app) in compilation.apps.iter().enumerate() {
        let problem = |message: String| {
            let d = Diagnostic::error(Code::OutputPath, message);
            match &app.file {
                Some(file) => d.at(file, None),
                None => d,
            }
        };
        if let Err(why) = syntax::dns1123_subdomain(&app.plan.name) {
            problems.push(problem(format!(
                "Application name `{}` {why}; it names a folder of the output",
                crate::text::shown(&app.plan.name)
            )));
            continue;
        }
        let mut dir = PathBuf::from(&app.plan.name);
        if let Some(stage) = crate::names::stage_of(&app.source) {
            if let Err(why) = syntax::dns1123_label(&stage) {
                problems.push(problem(format!(
                    "the stage folder `{}` of {} {why}; it names a folder of the output",
                    crate::text::shown(&stage),
                    crate::text::shown(&app.source)
                )));
                continue;
            }
            dir.push(stage);
        }
        for manifest in &app.manifests {
            if manifest.kind.is_empty() || !manifest.kind.bytes().all(|b| b.is_ascii_alphanumeric())
            {
                problems.push(problem(format!(
                    "a template rendered the kind `{}`; a kind is letters and digits",
                    crate::text::shown(&manifest.kind)
                )));
                continue;
            }
            if let Err(why) = syntax::dns1123_subdomain(&manifest.name) {
                problems.push(problem(format!(
                    "{} name `{}` {why}",
                    manifest.kind,
                    crate::text::shown(&manifest.name)
                )));
                continue;
            }
            let path = dir.join(format!(
                "{}-{}.yaml",
                manifest.kind.to_lowercase(),
                manifest.name
            ));
            if let Some(&first) = writers.get(&path) {
                collisions
                    .entry((first, i))
                    .or_default()
                    .push(path.display().to_string());
                continue;
            }
            writers.insert(path.clone(), i);
            files.insert(path, manifest.yaml.clone());
        }
    }
    for ((first, second), paths) in collisions {
        let (first, second) = (&compilation.apps[first], &compilation.apps[second]);
        let d = Diagnostic::error(
            Code::OutputPath,
            format!(
                "Application `{}` ({}) would write {} file(s) that Application `{}` ({}) writes too: {}",
                crate::text::shown(&second.plan.name),
                crate::text::shown(&second.source),
                paths.len(),
                crate::text::shown(&first.plan.name),
                crate::text::shown(&first.source),
                paths.join(", ")
            ),
        )
        .help("give the Applications distinct names, or put their files in distinct stage folders (deployment/<stage>/)");
        problems.push(match &second.file {
            Some(file) => d.at(file, None),
            None => d,
        });
    }
    if problems.is_empty() {
        Ok(files)
    } else {
        Err(problems)
    }
}

/// A relative path of plain parts: what an index line may name.
fn is_plain(path: &Path) -> bool {
    path.components().count() > 0
        && path.components().all(|c| match c {
            Component::Normal(part) => part
                .to_str()
                .is_some_and(|p| !p.starts_with('.') && !p.contains(|c: char| c.is_control())),
            _ => false,
        })
}

/// The output folder, opened as a capability: nothing outside it is reachable.
struct Out {
    dir: Dir,
    shown: PathBuf,
    /// Folders already found to be folders, not links, in this run (each
    /// Application's folder holds many files). cap-std keeps a folder
    /// swapped for a link afterwards from leading out of OUT.
    checked: std::cell::RefCell<BTreeSet<PathBuf>>,
}

/// Why the output folder could not be read or written.
#[derive(Debug)]
pub enum OutputError {
    /// `cannot <action> <path>: <error>`.
    Io {
        action: &'static str,
        path: String,
        error: std::io::Error,
    },
    /// A symbolic link in the output folder, or on the way to a file in it.
    Link(String),
    /// Not a regular file (a folder, a FIFO, a device).
    NotAFile(String),
    /// A file with more than one hard link.
    HardLinks {
        path: String,
        links: u64,
    },
    /// A file larger than oamc ever writes.
    TooLarge(String),
    NoFileName(String),
}

impl OutputError {
    fn io(action: &'static str, path: String, error: std::io::Error) -> OutputError {
        OutputError::Io {
            action,
            path,
            error,
        }
    }
}

impl std::fmt::Display for OutputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OutputError::Io {
                action,
                path,
                error,
            } => write!(f, "cannot {action} {path}: {error}"),
            OutputError::Link(path) => write!(
                f,
                "{path} is a symbolic link; oamc does not write, read or delete through links in the output folder"
            ),
            OutputError::NotAFile(path) => write!(
                f,
                "{path} is not a regular file; oamc reads only regular files in the output folder"
            ),
            OutputError::HardLinks { path, links } => write!(
                f,
                "{path} has {links} hard links; oamc reads no file in the output folder that is linked from elsewhere"
            ),
            OutputError::TooLarge(path) => write!(
                f,
                "{path} is larger than {MAX_READ_BYTES} bytes; oamc did not write it"
            ),
            OutputError::NoFileName(path) => write!(f, "{path} has no file name"),
        }
    }
}

impl std::error::Error for OutputError {}

impl Out {
    fn open(out: &Path, create: bool) -> Result<Option<Out>, OutputError> {
        if create {
            std::fs::create_dir_all(out)
                .map_err(|e| OutputError::io("create", out.display().to_string(), e))?;
        }
        match Dir::open_ambient_dir(out, ambient_authority()) {
            Ok(dir) => Ok(Some(Out {
                dir,
                shown: out.to_path_buf(),
                checked: Default::default(),
            })),
            Err(e) if !create && e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(OutputError::io("open", out.display().to_string(), e)),
        }
    }

    fn show(&self, rel: &Path) -> String {
        crate::text::shown(&self.shown.join(rel).display().to_string()).into_owned()
    }

    /// Refuse `rel` when it, or a folder on the way to it, is a link.
    fn no_links(&self, rel: &Path) -> Result<(), OutputError> {
        let mut at = PathBuf::new();
        for part in rel.components() {
            at.push(part);
            if self.checked.borrow().contains(&at) {
                continue;
            }
            match self.dir.symlink_metadata(&at) {
                Ok(m) if m.is_dir() => {
                    self.checked.borrow_mut().insert(at.clone());
                }
                Ok(m) if m.file_type().is_symlink() => {
                    return Err(OutputError::Link(self.show(&at)));
                }
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
                Err(e) => return Err(OutputError::io("inspect", self.show(&at), e)),
            }
        }
        Ok(())
    }

    /// The text of a regular file inside OUT, within [`MAX_READ_BYTES`];
    /// `None` when there is none. Links and other kinds of file are refused.
    fn read(&self, rel: &Path) -> Result<Option<String>, OutputError> {
        self.no_links(rel)?;
        // Asked before opening: opening a FIFO for reading would wait for a writer.
        match self.dir.symlink_metadata(rel) {
            Ok(m) if !m.is_file() => {
                return Err(OutputError::NotAFile(self.show(rel)));
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(OutputError::io("read", self.show(rel), e)),
        }
        let file = match self.dir.open(rel) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(OutputError::io("read", self.show(rel), e)),
        };
        let meta = file
            .metadata()
            .map_err(|e| OutputError::io("read", self.show(rel), e))?;
        if !meta.is_file() {
            return Err(OutputError::NotAFile(self.show(rel)));
        }
        // A hard link shares its content with a file elsewhere (possibly
        // outside OUT): oamc never wrote one, and `--check` would print it.
        if cap_std::fs::MetadataExt::nlink(&meta) > 1 {
            return Err(OutputError::HardLinks {
                path: self.show(rel),
                links: cap_std::fs::MetadataExt::nlink(&meta),
            });
        }
        let mut bytes = Vec::new();
        file.take(MAX_READ_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| OutputError::io("read", self.show(rel), e))?;
        if bytes.len() as u64 > MAX_READ_BYTES {
            return Err(OutputError::TooLarge(self.show(rel)));
        }
        // Not UTF-8: not what oamc wrote, so it differs.
        Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
    }

    /// Write `text` to `rel` atomically: a new temporary file in the same
    /// folder, renamed over the old one (a rename replaces a link itself,
    /// never what it points to).
    fn write(&self, rel: &Path, text: &str) -> Result<(), OutputError> {
        self.no_links(rel)?;
        let parent = rel.parent().filter(|p| !p.as_os_str().is_empty());
        if let Some(parent) = parent {
            self.dir
                .create_dir_all(parent)
                .map_err(|e| OutputError::io("create", self.show(parent), e))?;
            // A folder planted between the check above and here is still
            // inside OUT (the capability); check again that it is no link.
            self.no_links(parent)?;
        }
        let name = rel
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| OutputError::NoFileName(self.show(rel)))?;
        let tmp_name = format!(".{name}.{}.tmp", std::process::id());
        let tmp = match parent {
            Some(p) => p.join(&tmp_name),
            None => PathBuf::from(&tmp_name),
        };
        let _ = self.dir.remove_file(&tmp);
        let mut file = self
            .dir
            .open_with(&tmp, OpenOptions::new().write(true).create_new(true))
            .map_err(|e| OutputError::io("write", self.show(&tmp), e))?;
        // No fsync: the rename protects against a killed run and a reader
        // racing the writer; surviving a power cut is Git's job.
        let written = file.write_all(text.as_bytes());
        drop(file);
        if let Err(e) = written.and_then(|()| self.dir.rename(&tmp, &self.dir, rel)) {
            let _ = self.dir.remove_file(&tmp);
            return Err(OutputError::io("write", self.show(rel), e));
        }
        Ok(())
    }

    /// Remove a file oamc wrote, and the folders that leaves empty.
    fn remove(&self, rel: &Path) -> Result<bool, OutputError> {
        self.no_links(rel)?;
        match self.dir.remove_file(rel) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(OutputError::io("remove", self.show(rel), e)),
        }
        let mut dir = rel.parent();
        while let Some(d) = dir.filter(|d| !d.as_os_str().is_empty()) {
            // remove_dir refuses folders that are not empty.
            if self.dir.remove_dir(d).is_err() {
                break;
            }
            dir = d.parent();
        }
        Ok(true)
    }

    /// The paths the index lists, each with the SHA-256 oamc recorded (none
    /// for a line of an earlier version's index, a bare path). Lines that are
    /// not plain relative paths (a tampered index) are left out: oamc never
    /// touches them.
    fn index(&self) -> Result<Index, OutputError> {
        Ok(self
            .read(Path::new(INDEX))?
            .unwrap_or_default()
            .lines()
            .map(|line| match line.split_once("  ") {
                Some((hash, path)) if is_sha256(hash) => {
                    (PathBuf::from(path), Some(hash.to_owned()))
                }
                _ => (PathBuf::from(line), None),
            })
            .filter(|(p, _)| is_plain(p))
            .collect())
    }

    /// Temporary files a killed run left (`.<name>.<pid>.tmp`, see
    /// [`Out::write`]) beside the files of `paths`: only the names oamc
    /// writes, in the folders it writes them to, so a file oamc did not
    /// write is never one. Links and folders of such a name are not files
    /// oamc wrote either (removing a link would remove only the link, but
    /// oamc leaves what is not its own).
    fn leftovers<'p>(
        &self,
        paths: impl Iterator<Item = &'p PathBuf>,
    ) -> Result<Vec<PathBuf>, OutputError> {
        let mut by_folder: BTreeMap<PathBuf, BTreeSet<String>> = BTreeMap::new();
        for rel in paths.map(PathBuf::as_path).chain([Path::new(INDEX)]) {
            let (Some(parent), Some(name)) = (rel.parent(), rel.file_name()) else {
                continue;
            };
            by_folder
                .entry(parent.to_path_buf())
                .or_default()
                .insert(name.to_string_lossy().into_owned());
        }
        let mut found = Vec::new();
        for (folder, names) in by_folder {
            self.no_links(&folder)?;
            let entries = if folder.as_os_str().is_empty() {
                self.dir.entries()
            } else {
                self.dir.read_dir(&folder)
            };
            let entries = match entries {
                Ok(entries) => entries,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(OutputError::io("list", self.show(&folder), e)),
            };
            for entry in entries {
                let entry = entry.map_err(|e| OutputError::io("list", self.show(&folder), e))?;
                let name = entry.file_name().to_string_lossy().into_owned();
                let ours = temporary_of(&name).is_some_and(|of| names.contains(of));
                let file = entry.file_type().is_ok_and(|t| t.is_file());
                if ours && file {
                    found.push(folder.join(name));
                }
            }
        }
        Ok(found)
    }

    fn write_index(&self, index: &Index) -> Result<(), OutputError> {
        self.write(Path::new(INDEX), &index_text(index))
    }

    /// An exclusive lock on OUT itself (an advisory lock on the folder's
    /// handle) for the rest of the run: a second run waits, and no lock file
    /// is left in the tree for `git add -A` to commit.
    fn lock(&self) -> Result<std::fs::File, OutputError> {
        // A readable handle on the folder itself (flock needs one; the
        // capability handle may be a path-only one).
        let file = self
            .dir
            .open(".")
            .map_err(|e| OutputError::io("lock", self.show(Path::new("")), e))?
            .into_std();
        file.lock()
            .map_err(|e| OutputError::io("lock", self.show(Path::new("")), e))?;
        // An earlier version's lock file is ours to remove (never followed:
        // removing a link removes the link).
        match self.dir.remove_file(LEGACY_LOCK) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(OutputError::io(
                    "remove",
                    self.show(Path::new(LEGACY_LOCK)),
                    e,
                ));
            }
        }
        Ok(file)
    }
}

/// The file a temporary name of [`Out::write`] stands for:
/// `.rollout-web.yaml.4242.tmp` → `rollout-web.yaml`.
fn temporary_of(name: &str) -> Option<&str> {
    let (rest, pid) = name
        .strip_prefix('.')?
        .strip_suffix(".tmp")?
        .rsplit_once('.')?;
    (!pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()) && !rest.is_empty()).then_some(rest)
}

/// Each file oamc wrote and the SHA-256 of what it wrote.
type Index = BTreeMap<PathBuf, Option<String>>;

fn sha256(text: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn is_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn index_text(index: &Index) -> String {
    index
        .iter()
        .map(|(p, hash)| match hash {
            Some(h) => format!("{h}  {}\n", p.display()),
            None => format!("{}\n", p.display()),
        })
        .collect()
}

/// The index of `files`.
fn index_of(files: &BTreeMap<PathBuf, String>) -> Index {
    files
        .iter()
        .map(|(p, text)| (p.clone(), Some(sha256(text))))
        .collect()
}

/// What `write` did.
#[derive(Debug, Default)]
pub struct Written {
    pub written: usize,
    pub removed: Vec<PathBuf>,
    /// Files the index lists that are no longer produced but were left: their
    /// content is not what oamc recorded (changed since, or an index without
    /// hashes), so they are not oamc's to delete.
    pub kept: Vec<PathBuf>,
    /// Temporary files a killed run left, removed.
    pub leftovers: Vec<PathBuf>,
}

/// Write every file, remove the ones oamc wrote before that are no longer produced.
pub(crate) fn write(out: &Path, files: &BTreeMap<PathBuf, String>) -> Result<Written, OutputError> {
    let out = Out::open(out, true)?.ok_or_else(|| {
        OutputError::io(
            "open",
            out.display().to_string(),
            std::io::ErrorKind::NotFound.into(),
        )
    })?;
    let _lock = out.lock()?;
    let old = out.index()?;
    let new = index_of(files);
    let mut report = Written::default();
    // A run killed mid-write left its temporary files; under the lock no
    // other run is writing, so each is a leftover, and oamc's to remove.
    for leftover in out.leftovers(old.keys().chain(new.keys()))? {
        match out.dir.remove_file(&leftover) {
            Ok(()) => report.leftovers.push(leftover),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(OutputError::io("remove", out.show(&leftover), e)),
        }
    }
    // Before the first file is written, the index names every file this run
    // may leave behind: after a kill, the next run still knows them.
    let mut pending = old.clone();
    pending.extend(new.clone());
    out.write_index(&pending)?;
    for (rel, text) in files {
        if out.read(rel)?.as_deref() != Some(text.as_str()) {
            out.write(rel, text)?;
        }
        report.written += 1;
    }
    for (stale, recorded) in old.iter().filter(|(p, _)| !files.contains_key(*p)) {
        // Deleted only when it holds exactly what oamc wrote there.
        let Some(text) = out.read(stale)? else {
            continue;
        };
        if recorded.as_deref() != Some(sha256(&text).as_str()) {
            report.kept.push(stale.clone());
        } else if out.remove(stale)? {
            report.removed.push(stale.clone());
        }
    }
    out.write_index(&new)?;
    Ok(report)
}

/// A unified diff of what `write` would change, or `None` when the output is
/// current. Reads only regular files inside OUT, each within a size bound.
pub(crate) fn check(
    out: &Path,
    files: &BTreeMap<PathBuf, String>,
) -> Result<Option<String>, OutputError> {
    let Some(out) = Out::open(out, false)? else {
        return Ok((!files.is_empty()).then(|| {
            files
                .iter()
                .map(|(rel, text)| diff(rel, "", text))
                .collect()
        }));
    };
    let mut paths: BTreeSet<&PathBuf> = files.keys().collect();
    let index = out.index()?;
    paths.extend(index.keys());
    let mut text = String::new();
    // A killed run's temporary files are not a clean tree: `git add -A`
    // would commit them.
    for leftover in out.leftovers(paths.iter().copied())? {
        let name = crate::text::shown(&leftover.display().to_string()).into_owned();
        text.push_str(&format!(
            "--- a/{name}\n+++ /dev/null\n@@ a temporary file of a run that was killed mid-write; `oamc render -o` removes it @@\n"
        ));
    }
    for rel in paths {
        let on_disk = out.read(rel)?;
        let wanted = files.get(rel);
        if on_disk.as_ref() == wanted {
            continue;
        }
        let old = on_disk.as_deref().unwrap_or("");
        let new = wanted.map_or("", String::as_str);
        text.push_str(&diff(rel, old, new));
    }
    // The index must be what `write` leaves: exactly the rendered files and
    // their hashes (a kill mid-run, or an edit, leaves another).
    let wanted = index_of(files);
    if text.is_empty() && index != wanted {
        text.push_str(&diff(
            Path::new(INDEX),
            &index_text(&index),
            &index_text(&wanted),
        ));
    }
    Ok((!text.is_empty()).then_some(text))
}

fn diff(rel: &Path, old: &str, new: &str) -> String {
    // Names are oamc's own (checked by `layout`) or plain index lines.
    let name = crate::text::shown(&rel.display().to_string()).into_owned();
    let text = similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{name}"), &format!("b/{name}"))
        .to_string();
    // What is on disk is the repository's: each line of the diff passes the
    // one escape, so no byte of it moves the terminal or forges a line.
    text.lines()
        .map(|line| format!("{}\n", crate::text::shown_within(line, usize::MAX)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::is_plain;
    use crate::names::stage_of;
    use std::path::Path;

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

    #[test]
    fn index_lines_are_plain_relative_paths() {
        assert!(is_plain(Path::new("shop/dev/rollout-web.yaml")));
        for bad in [
            "",
            "/etc/passwd",
            "../x.yaml",
            "shop/../../x",
            ".oamc-rendered",
            "shop/.git/config",
            "a\u{7}b",
        ] {
            assert!(!is_plain(Path::new(bad)), "{bad:?}");
        }
    }
}
