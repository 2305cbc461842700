//! Load: turn the command line's inputs (files, directories, `-`) into source
//! files, in a stable order, each within the size limit.

use crate::diagnostic::{Code, Diagnostic, SourceFile};
use crate::dom::limits::MAX_FILE_BYTES;
use cap_std::ambient_authority;
use cap_std::fs::Dir;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub const STDIN: &str = "-";

/// Read every input. Directories are walked recursively for `*.yaml` and
/// `*.yml`, sorted by path; hidden directories (`.git`) are skipped.
pub fn load_inputs(inputs: &[String]) -> (Vec<Arc<SourceFile>>, Vec<Diagnostic>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for input in inputs {
        if input == STDIN {
            let mut text = String::new();
            let limited = std::io::stdin()
                .take(MAX_FILE_BYTES as u64 + 1)
                .read_to_string(&mut text);
            match limited {
                Ok(n) if n > MAX_FILE_BYTES => errors.push(too_large("<stdin>")),
                Ok(_) => files.push(Arc::new(SourceFile {
                    name: "<stdin>".into(),
                    text,
                })),
                Err(e) => errors.push(Diagnostic::error(
                    Code::Io,
                    format!("cannot read standard input: {e}"),
                )),
            }
            continue;
        }
        let path = Path::new(input);
        if path.is_dir() {
            // A directory is read like the plugin's source tree: through a
            // capability, so a link in it cannot lead out of it.
            match Tree::open(path) {
                Ok(tree) => {
                    let (mut found, mut failed) = tree.load_yaml();
                    files.append(&mut found);
                    errors.append(&mut failed);
                }
                Err(e) => errors.push(Diagnostic::error(Code::Io, e)),
            }
        } else {
            read_file(path, &mut files, &mut errors);
        }
    }
    (files, errors)
}

fn is_yaml(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml")
    )
}

fn read_file(path: &Path, files: &mut Vec<Arc<SourceFile>>, errors: &mut Vec<Diagnostic>) {
    let name = path.display().to_string();
    // Asked first: opening a FIFO would wait for a writer, a device may never end.
    match std::fs::metadata(path) {
        Ok(m) if !m.is_file() => return errors.push(not_regular(&name)),
        Ok(m) if m.len() > MAX_FILE_BYTES as u64 => return errors.push(too_large(&name)),
        Ok(_) => {}
        Err(e) => return errors.push(io_error(path, &e)),
    }
    match std::fs::File::open(path).and_then(|f| read_bounded(f, MAX_FILE_BYTES)) {
        Ok(Some(text)) => files.push(Arc::new(SourceFile { name, text })),
        Ok(None) => errors.push(too_large(&name)),
        Err(e) if e.kind() == std::io::ErrorKind::InvalidData => errors.push(not_utf8(&name)),
        Err(e) => errors.push(io_error(path, &e)),
    }
}

/// At most `max` bytes of UTF-8 text; `None` when there are more.
fn read_bounded(file: impl Read, max: usize) -> std::io::Result<Option<String>> {
    let mut bytes = Vec::new();
    file.take(max as u64 + 1).read_to_end(&mut bytes)?;
    if bytes.len() > max {
        return Ok(None);
    }
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8"))
}

fn not_regular(name: &str) -> Diagnostic {
    about(
        name,
        Diagnostic::error(
            Code::Io,
            format!(
                "{} is not a regular file; oamc reads only regular files",
                name.escape_debug()
            ),
        ),
    )
}

fn not_utf8(name: &str) -> Diagnostic {
    about(
        name,
        Diagnostic::error(
            Code::Io,
            format!("{} is not UTF-8 text", name.escape_debug()),
        ),
    )
}

/// A folder opened as a capability (cap-std): every path is relative to it,
/// and neither `..`, an absolute path nor a link can lead out of it — with no
/// check-then-open race. The Argo CD plugin reads the repository, and both
/// commands read a templates folder, only through one.
pub struct Tree {
    dir: Dir,
    shown: PathBuf,
    /// What the tree is, in messages: `the source directory`, or its path.
    label: String,
}

impl Tree {
    pub fn open(path: &Path) -> Result<Tree, String> {
        Self::open_as(path, &path.display().to_string())
    }

    /// Open `path`, named `label` in messages.
    pub fn open_as(path: &Path, label: &str) -> Result<Tree, String> {
        Dir::open_ambient_dir(path, ambient_authority())
            .map(|dir| Tree {
                dir,
                shown: path.to_path_buf(),
                label: label.to_owned(),
            })
            .map_err(|e| format!("cannot open {label}: {e}"))
    }

    /// A folder inside this one, as a tree of its own.
    pub fn subtree(&self, rel: &Path) -> Result<Tree, String> {
        self.dir
            .open_dir(rel)
            .map(|dir| Tree {
                dir,
                shown: self.shown.join(rel),
                label: self.show(rel),
            })
            .map_err(|e| {
                format!(
                    "cannot open `{}`: {e}; oamc reads only inside {}",
                    rel.display().to_string().escape_debug(),
                    self.label
                )
            })
    }

    /// How a path inside the tree is shown.
    pub fn show(&self, rel: &Path) -> String {
        if self.shown == Path::new(".") {
            rel.display().to_string()
        } else {
            self.shown.join(rel).display().to_string()
        }
    }

    /// Every `*.yaml`/`*.yml` below the tree (hidden folders skipped), sorted.
    pub fn yaml_files(&self) -> std::io::Result<Vec<PathBuf>> {
        let mut found = Vec::new();
        self.walk(Path::new(""), &mut found)?;
        found.sort();
        Ok(found)
    }

    fn walk(&self, rel: &Path, found: &mut Vec<PathBuf>) -> std::io::Result<()> {
        let entries = if rel.as_os_str().is_empty() {
            self.dir.entries()?
        } else {
            self.dir.read_dir(rel)?
        };
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name();
            let path = rel.join(&name);
            let hidden = name.to_string_lossy().starts_with('.');
            // The entry's own type: a link to a folder is not walked.
            if entry.file_type()?.is_dir() {
                if !hidden {
                    self.walk(&path, found)?;
                }
            } else if is_yaml(&path) {
                found.push(path);
            }
        }
        Ok(())
    }

    /// The names of the regular files directly in the tree.
    pub fn file_names(&self) -> std::io::Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in self.dir.entries()? {
            let entry = entry?;
            if !entry.file_type()?.is_dir() {
                names.push(entry.file_name().to_string_lossy().into_owned());
            }
        }
        names.sort();
        Ok(names)
    }

    /// Whether `rel` names something in the tree (a link that leads out of
    /// it is an error, not "absent").
    pub fn exists(&self, rel: &Path) -> Result<bool, String> {
        match self.dir.metadata(rel) {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(format!("cannot read {}: {e}", self.show(rel))),
        }
    }

    /// The text of a regular file of the tree, at most `max` bytes.
    pub fn read(&self, rel: &Path, max: usize) -> Result<String, Diagnostic> {
        let name = self.show(rel);
        let fail = |e: std::io::Error| {
            about(
                &name,
                Diagnostic::error(
                    Code::Io,
                    format!(
                        "cannot read {}: {e}; oamc reads only inside {}",
                        name.escape_debug(),
                        self.label
                    ),
                ),
            )
        };
        // Follows a link only while it stays inside the tree.
        let meta = self.dir.metadata(rel).map_err(fail)?;
        if !meta.is_file() {
            return Err(not_regular(&name));
        }
        if meta.len() > max as u64 {
            return Err(too_large(&name));
        }
        let file = self.dir.open(rel).map_err(fail)?;
        match read_bounded(file, max) {
            Ok(Some(text)) => Ok(text),
            Ok(None) => Err(too_large(&name)),
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => Err(not_utf8(&name)),
            Err(e) => Err(fail(e)),
        }
    }

    /// Every YAML file of the tree as a source file (names relative to it).
    pub fn load_yaml(&self) -> (Vec<Arc<SourceFile>>, Vec<Diagnostic>) {
        let mut files = Vec::new();
        let mut errors = Vec::new();
        match self.yaml_files() {
            Ok(paths) => {
                for rel in paths {
                    match self.read(&rel, MAX_FILE_BYTES) {
                        Ok(text) => files.push(Arc::new(SourceFile {
                            name: self.show(&rel),
                            text,
                        })),
                        Err(e) => errors.push(e),
                    }
                }
            }
            Err(e) => errors.push(Diagnostic::error(
                Code::Io,
                format!("cannot read {}: {e}", self.label),
            )),
        }
        (files, errors)
    }
}

fn io_error(path: &Path, e: &std::io::Error) -> Diagnostic {
    let name = path.display().to_string();
    about(
        &name,
        Diagnostic::error(
            Code::Io,
            format!("cannot read {}: {e}", name.escape_debug()),
        ),
    )
}

/// The diagnostic placed at the file it is about (no line: the file itself),
/// so every format names it.
fn about(name: &str, d: Diagnostic) -> Diagnostic {
    let file = Arc::new(SourceFile {
        name: name.to_owned(),
        text: String::new(),
    });
    d.at(&file, None)
}

fn too_large(name: &str) -> Diagnostic {
    about(
        name,
        Diagnostic::error(
            Code::YamlLimit,
            format!(
                "{} is larger than {MAX_FILE_BYTES} bytes",
                name.escape_debug()
            ),
        )
        .help("oamc reads Application manifests; split very large files"),
    )
}
