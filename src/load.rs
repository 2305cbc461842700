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

/// The bytes the run may still read. Each file's size is charged from its
/// metadata before it is read: a repository of many large (sparse, packed to
/// nothing by Git) files is refused at the first file past the budget, not
/// read into memory first. Once spent, no further file is read.
#[derive(Debug)]
pub struct ReadBudget {
    total: usize,
    left: usize,
    read: usize,
    refused: bool,
}

impl ReadBudget {
    pub fn new(bytes: usize) -> Self {
        ReadBudget {
            total: bytes,
            left: bytes,
            read: 0,
            refused: false,
        }
    }

    /// Whether a file was refused: the run reads no further file.
    pub fn is_spent(&self) -> bool {
        self.refused
    }

    /// Charge `len` bytes for `name`, or refuse it (and every later file:
    /// see [`ReadBudget::is_spent`]) with the diagnostic that says so.
    pub(crate) fn charge(&mut self, name: &str, len: u64) -> Result<(), Diagnostic> {
        match usize::try_from(len) {
            Ok(n) if !self.refused && n <= self.left => {
                self.left -= n;
                self.read += 1;
                Ok(())
            }
            // Past the budget, or beyond what this machine can address.
            _ => {
                self.refused = true;
                Err(about(
                    name,
                    Diagnostic::error(
                        Code::InputBudget,
                        format!(
                            "{} ({len} bytes) would take the run past its input budget of {} MiB; it and the files after it are not read ({} read within it)",
                            crate::text::shown(name),
                            self.total >> 20,
                            self.read
                        ),
                    )
                    .help(BUDGET_HELP),
                ))
            }
        }
    }
}

/// How to get a run within its input budget; the budget is the operator's.
pub const BUDGET_HELP: &str = "split the run or remove repeated aliases; the budget is the operator's to raise (--max-input-mib, or OAMC_MAX_INPUT_MIB in the plugin sidecar's environment)";

/// Read every input. Directories are walked recursively for `*.yaml` and
/// `*.yml`, sorted by path; hidden directories (`.git`) and oamc's own
/// rendered-manifests trees below them are skipped.
pub fn load_inputs(
    inputs: &[String],
    budget: &mut ReadBudget,
    allow_links: bool,
) -> (Vec<Arc<SourceFile>>, Vec<Diagnostic>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for input in inputs {
        // Past the budget nothing more is read; the one refusal says so.
        if budget.is_spent() {
            break;
        }
        if input == STDIN {
            let mut text = String::new();
            let limited = std::io::stdin()
                .take(MAX_FILE_BYTES as u64 + 1)
                .read_to_string(&mut text);
            match limited {
                Ok(n) if n > MAX_FILE_BYTES => errors.push(too_large("<stdin>")),
                Ok(n) => match budget.charge("<stdin>", n as u64) {
                    Ok(()) => files.push(Arc::new(SourceFile {
                        name: "<stdin>".into(),
                        text,
                    })),
                    Err(e) => errors.push(e),
                },
                Err(e) => errors.push(Diagnostic::error(
                    Code::Io,
                    format!("cannot read standard input: {e}"),
                )),
            }
            continue;
        }
        let path = Path::new(input);
        if path.is_dir()
            && !allow_links
            && let Some(link) = linked_folder(path)
        {
            errors.push(about(
                input,
                Diagnostic::error(
                    Code::Io,
                    format!(
                        "the input folder {} is under the symbolic link {}; oamc reads only real folders",
                        crate::text::shown(input),
                        crate::text::shown(&link.display().to_string())
                    ),
                )
                .help("give the folder the link leads to, or pass --allow-linked-folders if the link is meant"),
            ));
            continue;
        }
        if path.is_dir() {
            // A directory is read like the plugin's source tree: through a
            // capability, so a link in it cannot lead out of it.
            match Tree::open(path) {
                Ok(tree) => {
                    let (mut found, mut failed) = tree.load_yaml(budget);
                    files.append(&mut found);
                    errors.append(&mut failed);
                }
                Err(e) => errors.push(Diagnostic::error(Code::Io, e.to_string())),
            }
        } else {
            read_file(path, budget, &mut files, &mut errors);
        }
    }
    (files, errors)
}

/// The first symbolic link on the way to the folder `path`, if any: every
/// part of a relative path, and of an absolute one the parts below the
/// current directory, or when it lies elsewhere the parts below the
/// outermost checkout holding it (every part when none does). A link
/// committed to a repository, given as an input or output folder, could
/// lead anywhere on the machine.
pub fn linked_folder(path: &Path) -> Option<PathBuf> {
    let is_link = |p: &Path| std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink());
    let (base, rest) = if path.is_absolute() {
        match std::env::current_dir() {
            Ok(cwd) => match path.strip_prefix(&cwd) {
                Ok(below) => (cwd.clone(), below.to_path_buf()),
                // Outside the current folder (a sibling checkout, given
                // absolute): from the outermost checkout that holds it, the
                // folder with `.git` a repository cannot commit, or every
                // part when none does.
                Err(_) => match path
                    .ancestors()
                    .skip(1)
                    .filter(|a| !a.as_os_str().is_empty() && a.join(".git").exists())
                    .last()
                {
                    Some(root) => (
                        root.to_path_buf(),
                        path.strip_prefix(root).unwrap_or(path).to_path_buf(),
                    ),
                    None => (PathBuf::new(), path.to_path_buf()),
                },
            },
            // Where the checkout ends is unknown: every part is checked.
            Err(_) => (PathBuf::new(), path.to_path_buf()),
        }
    } else {
        (PathBuf::new(), path.to_path_buf())
    };
    let mut at = base;
    for part in rest.components() {
        at.push(part);
        if is_link(&at) {
            return Some(at);
        }
    }
    None
}

/// The index a rendered-manifests tree (`render -o`, `out_dir::INDEX`) holds:
/// a folder with it is oamc's output, not input.
pub const RENDERED_TREE_INDEX: &str = ".oamc-rendered";

pub(crate) fn is_yaml(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml")
    )
}

fn read_file(
    path: &Path,
    budget: &mut ReadBudget,
    files: &mut Vec<Arc<SourceFile>>,
    errors: &mut Vec<Diagnostic>,
) {
    let name = path.display().to_string();
    // Asked first: opening a FIFO would wait for a writer, a device may never end.
    match std::fs::metadata(path) {
        Ok(m) if !m.is_file() => return errors.push(not_regular(&name)),
        Ok(m) if m.len() > MAX_FILE_BYTES as u64 => return errors.push(too_large(&name)),
        Ok(m) => {
            if let Err(e) = budget.charge(&name, m.len()) {
                return errors.push(e);
            }
        }
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

pub(crate) fn not_regular(name: &str) -> Diagnostic {
    about(
        name,
        Diagnostic::error(
            Code::Io,
            format!(
                "{} is not a regular file; oamc reads only regular files",
                crate::text::shown(name)
            ),
        ),
    )
}

pub(crate) fn not_utf8(name: &str) -> Diagnostic {
    about(
        name,
        Diagnostic::error(
            Code::Io,
            format!("{} is not UTF-8 text", crate::text::shown(name)),
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

/// Why a tree, or a path in it, could not be opened or read.
#[derive(Debug)]
pub enum TreeError {
    /// The tree itself: `cannot open <label>: <error>`.
    Open {
        label: String,
        error: std::io::Error,
    },
    /// A folder inside it (or a link leading out of it).
    Folder {
        path: String,
        label: String,
        error: std::io::Error,
    },
    /// A path inside it that could not be inspected.
    Read { path: String, error: std::io::Error },
}

impl std::fmt::Display for TreeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TreeError::Open { label, error } => write!(f, "cannot open {label}: {error}"),
            TreeError::Folder { path, label, error } => write!(
                f,
                "cannot open `{path}`: {error}; oamc reads only inside {label}"
            ),
            TreeError::Read { path, error } => write!(f, "cannot read {path}: {error}"),
        }
    }
}

impl std::error::Error for TreeError {}

impl Tree {
    pub(crate) fn open(path: &Path) -> Result<Tree, TreeError> {
        Self::open_as(path, &path.display().to_string())
    }

    /// Open `path`, named `label` in messages.
    pub(crate) fn open_as(path: &Path, label: &str) -> Result<Tree, TreeError> {
        Dir::open_ambient_dir(path, ambient_authority())
            .map(|dir| Tree {
                dir,
                shown: path.to_path_buf(),
                label: label.to_owned(),
            })
            .map_err(|error| TreeError::Open {
                label: label.to_owned(),
                error,
            })
    }

    /// A folder inside this one, as a tree of its own.
    pub(crate) fn subtree(&self, rel: &Path) -> Result<Tree, TreeError> {
        self.dir
            .open_dir(rel)
            .map(|dir| Tree {
                dir,
                shown: self.shown.join(rel),
                label: self.show(rel),
            })
            .map_err(|error| TreeError::Folder {
                path: crate::text::shown(&rel.display().to_string()).into_owned(),
                label: self.label.clone(),
                error,
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

    /// Every `*.yaml`/`*.yml` below the tree, sorted; hidden folders, and
    /// rendered-manifests trees (`render -o`) below it, skipped.
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
            // oamc's own output (`render -o`) below an input folder is not
            // input: read again, its resources would be refused as documents
            // that are not Applications. Only a folder oamc wrote holds its index.
            if self.dir.exists(rel.join(RENDERED_TREE_INDEX)) {
                return Ok(());
            }
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
    pub(crate) fn exists(&self, rel: &Path) -> Result<bool, TreeError> {
        match self.dir.metadata(rel) {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(error) => Err(TreeError::Read {
                path: self.show(rel),
                error,
            }),
        }
    }

    /// The text of a regular file of the tree, at most `max` bytes.
    pub fn read(&self, rel: &Path, max: usize) -> Result<String, Diagnostic> {
        self.read_charged(rel, max, None)
    }

    /// [`Tree::read`], its size charged to `budget` (if any) before it is read.
    fn read_charged(
        &self,
        rel: &Path,
        max: usize,
        budget: Option<&mut ReadBudget>,
    ) -> Result<String, Diagnostic> {
        let name = self.show(rel);
        let fail = |e: std::io::Error| {
            about(
                &name,
                Diagnostic::error(
                    Code::Io,
                    format!(
                        "cannot read {}: {e}; oamc reads only inside {}",
                        crate::text::shown(&name),
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
        if let Some(budget) = budget {
            budget.charge(&name, meta.len())?;
        }
        let file = self.dir.open(rel).map_err(fail)?;
        match read_bounded(file, max) {
            Ok(Some(text)) => Ok(text),
            Ok(None) => Err(too_large(&name)),
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => Err(not_utf8(&name)),
            Err(e) => Err(fail(e)),
        }
    }

    /// Every YAML file of the tree as a source file (names relative to it),
    /// each charged to `budget` before it is read.
    pub fn load_yaml(&self, budget: &mut ReadBudget) -> (Vec<Arc<SourceFile>>, Vec<Diagnostic>) {
        let mut files = Vec::new();
        let mut errors = Vec::new();
        match self.yaml_files() {
            Ok(paths) => {
                for rel in paths {
                    if budget.is_spent() {
                        break;
                    }
                    match self.read_charged(&rel, MAX_FILE_BYTES, Some(budget)) {
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
            format!("cannot read {}: {e}", crate::text::shown(&name)),
        ),
    )
}

/// The diagnostic placed at the file it is about (no line: the file itself),
/// so every format names it.
pub(crate) fn about(name: &str, d: Diagnostic) -> Diagnostic {
    let file = Arc::new(SourceFile {
        name: name.to_owned(),
        text: String::new(),
    });
    d.at(&file, None)
}

pub(crate) fn too_large(name: &str) -> Diagnostic {
    about(
        name,
        Diagnostic::error(
            Code::YamlLimit,
            format!(
                "{} is larger than {MAX_FILE_BYTES} bytes",
                crate::text::shown(name)
            ),
        )
        .help("oamc reads Application manifests; split very large files"),
    )
}
