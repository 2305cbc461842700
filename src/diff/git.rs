//! A git revision's YAML files, read from the object database without a
//! checkout (gix): the same files `load` reads from a working tree, under the
//! same size limit and read budget, and confined the same way.
//!
//! What a pushed commit controls here is its trees and blobs, so:
//! - a blob's size is read from its header and charged to the budget before
//!   its bytes are (a packed 300 MB blob is refused unread);
//! - a symbolic link is followed only while it stays inside the revision's
//!   tree, at most [`MAX_LINKS`] in a row, like a link in a working tree;
//! - trees are walked at most [`MAX_DEPTH`] deep (a tree can nest without
//!   the file system's path limit), and submodules are skipped;
//! - the repository is opened isolated: no global or system git config and
//!   no `GIT_*` variables decide what is read.

use crate::diagnostic::{Code, Diagnostic, SourceFile};
use crate::dom::limits::MAX_FILE_BYTES;
use crate::load::{self, ReadBudget};
use gix::objs::tree::EntryKind;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

/// Links followed in a row before a path is refused (Linux allows 40).
const MAX_LINKS: usize = 8;
/// Folders below the revision's root a walk enters.
const MAX_DEPTH: usize = 64;

/// The repository around the current directory.
pub struct Repository {
    repo: gix::Repository,
    /// The current directory, relative to the work tree's root: inputs are
    /// given relative to it, as git takes paths.
    prefix: PathBuf,
}

/// A revision resolved to the tree of its commit.
pub struct Revision<'r> {
    repo: &'r Repository,
    /// As the user wrote it: names each file (`main:apps/shop.yaml`, the
    /// spelling `git show` takes).
    spelled: String,
    /// The commit's root folder.
    root: gix::ObjectId,
    /// Folder listings already decoded, by tree: a link is resolved from the
    /// root folder by folder, and 40,000 links in one folder would decode
    /// that folder 40,000 times (quadratic: 8,000 links took 18.9 s).
    listings: std::cell::RefCell<Listings>,
}

/// One folder's entries, sorted by path.
type Listing = std::rc::Rc<Vec<(PathBuf, EntryKind, gix::ObjectId)>>;

/// The decoded listings of a revision, within a byte budget: past it the
/// cache starts again, so memory stays bounded whatever the trees hold.
#[derive(Default)]
struct Listings {
    by_tree: std::collections::HashMap<gix::ObjectId, Listing>,
    bytes: u64,
}

/// Bytes of tree objects whose listings are kept decoded at once.
const MAX_LISTING_BYTES: u64 = 64 << 20;

fn refused(message: String) -> Diagnostic {
    Diagnostic::error(Code::Revision, message)
}

impl Repository {
    /// Discover the repository that holds the current directory.
    pub fn discover() -> Result<Repository, Diagnostic> {
        let not_found = |e: &dyn std::fmt::Display| {
            refused(format!(
                "the current directory is not in a git repository ({})",
                crate::text::shown(&e.to_string())
            ))
            .help("run oamc diff inside the repository, or compare two folders: oamc diff OLD_DIR NEW_DIR")
        };
        let repo = gix::ThreadSafeRepository::discover_opts(".", Default::default(), |_, _| {
            gix::open::Options::isolated()
        })
        .map_err(|e| not_found(&e))?
        .to_thread_local();
        let cwd = std::env::current_dir().map_err(|e| not_found(&e))?;
        let prefix = match repo.workdir() {
            Some(root) => {
                let root = root.canonicalize().map_err(|e| not_found(&e))?;
                let cwd = cwd.canonicalize().map_err(|e| not_found(&e))?;
                // Inside the git folder (`.git/`), not the work tree.
                cwd.strip_prefix(&root)
                    .map(Path::to_path_buf)
                    .map_err(|_| not_found(&"the current directory is not inside its work tree"))?
            }
            // A bare repository: paths are from the root of its trees.
            None => PathBuf::new(),
        };
        Ok(Repository { repo, prefix })
    }

    /// Whether `spelled` names a commit (or a tag of one) in this repository.
    pub fn resolves(&self, spelled: &str) -> bool {
        self.revision(spelled).is_ok()
    }

    /// The tree of the commit `spelled` names (`main`, `HEAD~1`, a hash).
    pub fn revision(&self, spelled: &str) -> Result<Revision<'_>, Diagnostic> {
        let shown = crate::text::shown(spelled);
        let id = self.repo.rev_parse_single(spelled).map_err(|e| {
            refused(format!(
                "`{shown}` is not a revision of this repository: {}",
                crate::text::shown(&e.to_string())
            ))
            .help("give a branch, tag or commit (`main`, `origin/main`, `HEAD~1`), or two folders")
        })?;
        // The commit's tree by its id: the listing itself is read (and
        // bounded) by `entries`, like every other folder.
        let root = id
            .object()
            .map_err(|e| e.to_string())
            .and_then(|o| o.peel_to_commit().map_err(|e| e.to_string()))
            .and_then(|c| c.tree_id().map(|t| t.detach()).map_err(|e| e.to_string()))
            .map_err(|e| {
                refused(format!(
                    "`{shown}` does not name a commit: {}",
                    crate::text::shown(&e)
                ))
            })?;
        Ok(Revision {
            repo: self,
            spelled: spelled.to_owned(),
            root,
            listings: Default::default(),
        })
    }

    /// `input` (relative to the current directory) as a path from the root
    /// of the repository's trees; `None` when it leads out of the repository.
    fn in_tree(&self, input: &str) -> Option<PathBuf> {
        let mut out = PathBuf::new();
        let given = Path::new(input);
        let start = if given.is_absolute() {
            let root = self.repo.workdir()?.canonicalize().ok()?;
            given.strip_prefix(root).ok()?.to_path_buf()
        } else {
            self.prefix.join(given)
        };
        for part in start.components() {
            match part {
                Component::Normal(p) => out.push(p),
                Component::CurDir => {}
                Component::ParentDir => {
                    if !out.pop() {
                        return None;
                    }
                }
                Component::RootDir | Component::Prefix(_) => return None,
            }
        }
        Some(out)
    }
}

/// What a path names in a revision, links followed.
enum Found {
    Folder(gix::ObjectId),
    File(gix::ObjectId, PathBuf),
}

impl Revision<'_> {
    /// The revision as the user wrote it.
    pub fn spelled(&self) -> &str {
        &self.spelled
    }

    /// Whether `input` names a file or folder in this revision. An input
    /// that cannot be looked up (outside the repository, a link leading
    /// out, a listing too large) counts as there: reading it reports why.
    pub fn has(&self, input: &str) -> bool {
        match self.repo.in_tree(input) {
            Some(path) => !matches!(self.lookup(&path), Ok(None)),
            None => true,
        }
    }

    /// The YAML files under `inputs` (files given by name are read whatever
    /// their extension, folders are walked for `*.yaml` and `*.yml`), in
    /// path order, each charged to `budget`; an input the revision does not
    /// have reads as nothing (a file added or removed by the change).
    pub fn load(
        &self,
        inputs: &[String],
        budget: &mut ReadBudget,
    ) -> (Vec<Arc<SourceFile>>, Vec<Diagnostic>) {
        let mut files = Vec::new();
        let mut errors = Vec::new();
        for input in inputs {
            if budget.is_spent() {
                break;
            }
            let Some(path) = self.repo.in_tree(input) else {
                errors.push(load::about(
                    input,
                    Diagnostic::error(
                        Code::Io,
                        format!(
                            "{} is outside the repository; oamc diff reads only inside it",
                            crate::text::shown(input)
                        ),
                    ),
                ));
                continue;
            };
            let mut found = Vec::new();
            match self.lookup(&path) {
                Ok(None) => {}
                Ok(Some(Found::File(id, path))) => found.push((path, id)),
                Ok(Some(Found::Folder(id))) => {
                    if let Err(e) = self.walk(id, &path, 0, &mut found) {
                        errors.push(e);
                    }
                }
                Err(e) => errors.push(e),
            }
            for (path, id) in found {
                if budget.is_spent() {
                    break;
                }
                match self.read(&path, id, budget) {
                    Ok(file) => files.push(file),
                    Err(e) => errors.push(e),
                }
            }
        }
        (files, errors)
    }

    /// A file's name in messages: `<revision>:<path>`.
    fn name(&self, path: &Path) -> String {
        format!("{}:{}", self.spelled, path.display())
    }

    fn broken(&self, path: &Path, why: &str) -> Diagnostic {
        let name = self.name(path);
        load::about(
            &name,
            Diagnostic::error(
                Code::Io,
                format!(
                    "cannot read {}: {why}; oamc reads only inside the revision's tree",
                    crate::text::shown(&name)
                ),
            ),
        )
    }

    /// Follow `path` from the root, links included; `Ok(None)`: not there.
    fn lookup(&self, path: &Path) -> Result<Option<Found>, Diagnostic> {
        let mut path = path.to_path_buf();
        for _ in 0..=MAX_LINKS {
            if path.as_os_str().is_empty() {
                return Ok(Some(Found::Folder(self.root)));
            }
            let Some((kind, id)) = self.entry(&path)? else {
                return Ok(None);
            };
            match kind {
                EntryKind::Tree => return Ok(Some(Found::Folder(id))),
                EntryKind::Blob | EntryKind::BlobExecutable => {
                    return Ok(Some(Found::File(id, path)));
                }
                EntryKind::Commit => return Ok(None),
                EntryKind::Link => path = self.link_target(&path, id)?,
            }
        }
        Err(self.broken(&path, "too many symbolic links in a row"))
    }

    /// Where the link at `path` leads, as a path from the root; refused
    /// when it leads out of the tree (the message a working tree gives too).
    fn link_target(&self, path: &Path, id: gix::ObjectId) -> Result<PathBuf, Diagnostic> {
        let header = self
            .repo
            .repo
            .find_header(id)
            .map_err(|e| self.broken(path, &e.to_string()))?;
        if header.size() > 4096 {
            return Err(self.broken(path, "a symbolic link of over 4096 bytes"));
        }
        let object = self
            .repo
            .repo
            .find_object(id)
            .map_err(|e| self.broken(path, &e.to_string()))?;
        let target = String::from_utf8_lossy(&object.data).into_owned();
        let mut out = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let outside = || self.broken(path, "its symbolic link led outside the tree");
        for part in Path::new(&target).components() {
            match part {
                Component::Normal(p) => out.push(p),
                Component::CurDir => {}
                Component::ParentDir => {
                    if !out.pop() {
                        return Err(outside());
                    }
                }
                Component::RootDir | Component::Prefix(_) => return Err(outside()),
            }
        }
        Ok(out)
    }

    /// The kind and object of the entry at `path`, folder by folder from
    /// the root through [`Revision::entries`]; `None`: not there.
    fn entry(&self, path: &Path) -> Result<Option<(EntryKind, gix::ObjectId)>, Diagnostic> {
        let (mut kind, mut id) = (EntryKind::Tree, self.root);
        let mut at = PathBuf::new();
        for part in path.components() {
            if kind != EntryKind::Tree {
                return Ok(None);
            }
            let entries = self.entries(id, &at)?;
            // Sorted by name: one search, not a scan of the folder.
            let Ok(i) = entries.binary_search_by(|e| e.0.as_os_str().cmp(part.as_os_str())) else {
                return Ok(None);
            };
            (kind, id) = (entries[i].1, entries[i].2);
            at.push(part);
        }
        Ok(Some((kind, id)))
    }

    /// The entries of the folder `id` (at `at`, for messages), by name,
    /// sorted, decoded once per revision. Its listing
    /// is an object the repository controls: its size is read from its
    /// header first, and a listing larger than a file may be is refused
    /// before it is read.
    fn entries(&self, id: gix::ObjectId, at: &Path) -> Result<Listing, Diagnostic> {
        if let Some(listing) = self.listings.borrow().by_tree.get(&id) {
            return Ok(listing.clone());
        }
        let fail = |e: &dyn std::fmt::Display| self.broken(at, &e.to_string());
        let header = self.repo.repo.find_header(id).map_err(|e| fail(&e))?;
        if header.size() > MAX_FILE_BYTES as u64 {
            let name = self.name(at);
            return Err(load::about(
                &name,
                Diagnostic::error(
                    Code::YamlLimit,
                    format!(
                        "the folder {} lists {} bytes of entries, more than {MAX_FILE_BYTES}; oamc does not read it",
                        crate::text::shown(&name),
                        header.size()
                    ),
                ),
            ));
        }
        let tree = self.repo.repo.find_tree(id).map_err(|e| fail(&e))?;
        let decoded = tree.decode().map_err(|e| fail(&e))?;
        let mut entries: Vec<(PathBuf, EntryKind, gix::ObjectId)> = decoded
            .entries
            .iter()
            .map(|e| {
                let name = String::from_utf8_lossy(e.filename).into_owned();
                (PathBuf::from(name), e.mode.kind(), e.oid.to_owned())
            })
            .collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let listing = std::rc::Rc::new(entries);
        let mut listings = self.listings.borrow_mut();
        listings.bytes += header.size();
        if listings.bytes > MAX_LISTING_BYTES {
            *listings = Listings::default();
            listings.bytes = header.size();
        }
        listings.by_tree.insert(id, listing.clone());
        Ok(listing)
    }

    /// Every YAML file below the folder `id` at `at`, in path order; hidden
    /// folders and rendered-manifests trees below it skipped, links to files followed within the tree (a link to
    /// a folder is not walked, as in a working tree).
    fn walk(
        &self,
        id: gix::ObjectId,
        at: &Path,
        depth: usize,
        found: &mut Vec<(PathBuf, gix::ObjectId)>,
    ) -> Result<(), Diagnostic> {
        if depth > MAX_DEPTH {
            return Err(load::about(
                &self.name(at),
                Diagnostic::error(
                    Code::YamlLimit,
                    format!(
                        "{} is more than {MAX_DEPTH} folders deep; oamc does not walk further",
                        crate::text::shown(&self.name(at))
                    ),
                ),
            ));
        }
        let entries = self.entries(id, at)?;
        if depth > 0
            && entries
                .iter()
                .any(|(name, ..)| name.as_os_str() == load::RENDERED_TREE_INDEX)
        {
            return Ok(());
        }
        for (name, kind, oid) in entries.iter() {
            let (path, kind, oid) = (at.join(name), *kind, *oid);
            let hidden = path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'));
            match kind {
                EntryKind::Tree if !hidden => self.walk(oid, &path, depth + 1, found)?,
                EntryKind::Blob | EntryKind::BlobExecutable if load::is_yaml(&path) => {
                    found.push((path, oid))
                }
                EntryKind::Link if load::is_yaml(&path) => match self.lookup(&path)? {
                    Some(Found::File(target, _)) => found.push((path, target)),
                    Some(Found::Folder(_)) => return Err(load::not_regular(&self.name(&path))),
                    None => return Err(self.broken(&path, "its symbolic link leads nowhere")),
                },
                _ => {}
            }
        }
        Ok(())
    }

    /// One blob as a source file: its size charged before it is read.
    fn read(
        &self,
        path: &Path,
        id: gix::ObjectId,
        budget: &mut ReadBudget,
    ) -> Result<Arc<SourceFile>, Diagnostic> {
        let name = self.name(path);
        let header = self
            .repo
            .repo
            .find_header(id)
            .map_err(|e| self.broken(path, &e.to_string()))?;
        if header.size() > MAX_FILE_BYTES as u64 {
            return Err(load::too_large(&name));
        }
        budget.charge(&name, header.size())?;
        let object = self
            .repo
            .repo
            .find_object(id)
            .map_err(|e| self.broken(path, &e.to_string()))?;
        let text = String::from_utf8(object.detach().data).map_err(|_| load::not_utf8(&name))?;
        Ok(Arc::new(SourceFile { name, text }))
    }
}
