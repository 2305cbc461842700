//! The Git repository a Kargo promotion reads and writes, as Kargo v1.11.2's
//! Git steps use it: enough of Git to follow branches and commits over a
//! sequence of promotions.
//!
//! Mirrors (akuity/kargo, tag v1.11.2, `pkg/promotion/runner/builtin/`):
//! - `git_cloner.go`: one working tree per `checkout`; a missing branch fails
//!   the step unless `create` (then an empty orphan branch);
//! - `file_deleter.go` (`delete`: a missing path is no error unless
//!   `strict`), `file_copier.go` (`copy`: recursive, merging into what the
//!   destination holds, `.git` skipped);
//! - `git_commiter.go`: commits only when the tree changed; its `commit`
//!   output is then the branch's head as cloned (status Skipped);
//! - `git_pusher.go`: the `AlwaysRebase` integration policy (the remote's new
//!   commits first, ours replayed on top; a file both changed fails), one push
//!   per branch at a time; outputs `commit` (after the rebase) and `branch`.

use std::collections::BTreeMap;

pub type Files = BTreeMap<String, String>;

/// A commit: its tree (its parent matters only to the rebase, which reads
/// the working tree's base).
#[derive(Debug, Clone)]
pub struct Commit {
    pub files: Files,
}

/// The remote every stage clones from and pushes to.
#[derive(Debug, Clone, Default)]
pub struct Remote {
    commits: BTreeMap<String, Commit>,
    branches: BTreeMap<String, String>,
    next: u32,
}

impl Remote {
    /// A repository whose `branch` holds `files`.
    pub fn with(branch: &str, files: Files) -> Remote {
        let mut remote = Remote::default();
        let id = remote.commit(files);
        remote.branches.insert(branch.into(), id);
        remote
    }

    fn commit(&mut self, files: Files) -> String {
        self.next += 1;
        let id = format!("{:040x}", 0xc0ffee_u64 * 1000 + u64::from(self.next));
        self.commits.insert(id.clone(), Commit { files });
        id
    }

    /// The commit a branch points at (what Argo CD resolves a
    /// `targetRevision` to on a refresh).
    pub fn head(&self, branch: &str) -> Option<&str> {
        self.branches.get(branch).map(String::as_str)
    }

    pub fn files_at(&self, commit: &str) -> &Files {
        &self.commits[commit].files
    }

    /// A commit directly on `branch` (a developer's push, outside Kargo).
    pub fn push_files(&mut self, branch: &str, change: impl FnOnce(&mut Files)) -> String {
        let head = self.branches[branch].clone();
        let mut files = self.commits[&head].files.clone();
        change(&mut files);
        let id = self.commit(files);
        self.branches.insert(branch.into(), id.clone());
        id
    }
}

/// A checked-out working tree of one promotion.
#[derive(Debug, Clone)]
pub struct WorkTree {
    pub branch: String,
    /// The commit it was cloned at (`None`: a new orphan branch).
    pub base: Option<String>,
    pub files: Files,
    /// A commit made in this tree, not yet pushed.
    pub local: Option<String>,
}

/// The working trees of one promotion, by checkout path (`./src`).
#[derive(Debug, Default)]
pub struct Checkouts(pub BTreeMap<String, WorkTree>);

impl Checkouts {
    /// `git-clone`'s `checkout` entries.
    pub fn clone_from(remote: &Remote, checkout: &serde_json::Value) -> Result<Checkouts, String> {
        let mut out = Checkouts::default();
        for c in checkout.as_array().ok_or("checkout is not a list")? {
            let path = c["path"].as_str().ok_or("a checkout without path")?;
            let branch = c["branch"]
                .as_str()
                .ok_or("oamc's model checks out branches")?;
            let create = c["create"].as_bool().unwrap_or(false);
            let tree = match remote.head(branch) {
                Some(head) => WorkTree {
                    branch: branch.into(),
                    base: Some(head.into()),
                    files: remote.files_at(head).clone(),
                    local: None,
                },
                None if create => WorkTree {
                    branch: branch.into(),
                    base: None,
                    files: Files::new(),
                    local: None,
                },
                None => return Err(format!("git-clone: branch {branch} does not exist")),
            };
            out.0.insert(path.trim_end_matches('/').into(), tree);
        }
        Ok(out)
    }

    /// The working tree holding `path`, and `path` inside it.
    pub fn locate(&mut self, path: &str) -> Result<(&mut WorkTree, String), String> {
        let path = path.trim_end_matches('/');
        let (root, rest) = self
            .0
            .keys()
            .find_map(|root| {
                if path == root {
                    Some((root.clone(), String::new()))
                } else {
                    path.strip_prefix(&format!("{root}/"))
                        .map(|rest| (root.clone(), rest.to_owned()))
                }
            })
            .ok_or_else(|| format!("{path} is in no checkout"))?;
        Ok((self.0.get_mut(&root).unwrap(), rest))
    }

    /// `delete` with `strict: false`.
    pub fn delete(&mut self, path: &str) -> Result<(), String> {
        let (tree, rel) = self.locate(path)?;
        if rel.is_empty() {
            return Err("delete would remove the whole working tree".into());
        }
        tree.files
            .retain(|f, _| f != &rel && !f.starts_with(&format!("{rel}/")));
        Ok(())
    }

    /// `copy`: a file or a folder, merged into the destination.
    pub fn copy(&mut self, in_path: &str, out_path: &str) -> Result<(), String> {
        let (from, rel_in) = self.locate(in_path)?;
        let copied: Vec<(String, String)> = from
            .files
            .iter()
            .filter_map(|(f, text)| {
                if *f == rel_in {
                    Some((String::new(), text.clone()))
                } else if rel_in.is_empty() {
                    Some((f.clone(), text.clone()))
                } else {
                    f.strip_prefix(&format!("{rel_in}/"))
                        .map(|rest| (rest.to_owned(), text.clone()))
                }
            })
            .collect();
        if copied.is_empty() {
            return Err(format!("copy: {in_path} does not exist"));
        }
        let (to, rel_out) = self.locate(out_path)?;
        for (rest, text) in copied {
            let dest = match (rel_out.is_empty(), rest.is_empty()) {
                (_, true) => rel_out.clone(),
                (true, false) => rest,
                (false, false) => format!("{rel_out}/{rest}"),
            };
            to.files.insert(dest, text);
        }
        Ok(())
    }

    /// `git-commit`: the new commit, or the head as cloned when nothing changed.
    pub fn commit(&mut self, remote: &mut Remote, path: &str) -> Result<String, String> {
        let (tree, rel) = self.locate(path)?;
        if !rel.is_empty() {
            return Err(format!("git-commit: {path} is not a working tree"));
        }
        let before = tree.base.as_ref().map(|b| remote.files_at(b).clone());
        if before.as_ref() == Some(&tree.files) {
            return Ok(tree.base.clone().unwrap());
        }
        let id = remote.commit(tree.files.clone());
        tree.local = Some(id.clone());
        Ok(id)
    }

    /// `git-push` with `AlwaysRebase`: the pushed commit and the branch.
    pub fn push(&mut self, remote: &mut Remote, path: &str) -> Result<(String, String), String> {
        let (tree, rel) = self.locate(path)?;
        if !rel.is_empty() {
            return Err(format!("git-push: {path} is not a working tree"));
        }
        let branch = tree.branch.clone();
        let Some(local) = tree.local.clone() else {
            // Nothing committed: the branch's head as cloned.
            let head = tree.base.clone().ok_or("git-push: nothing to push")?;
            return Ok((head, branch));
        };
        let remote_head = remote.head(&branch).map(str::to_owned);
        let pushed = if remote_head == tree.base {
            local
        } else {
            // Rebase: our change on top of what the remote gained meanwhile.
            let base_files = tree
                .base
                .as_ref()
                .map(|b| remote.files_at(b).clone())
                .unwrap_or_default();
            let theirs = remote.files_at(remote_head.as_ref().unwrap()).clone();
            let mut files = theirs.clone();
            for key in tree.files.keys().chain(base_files.keys()) {
                let ours = tree.files.get(key);
                let base = base_files.get(key);
                if ours == base {
                    continue;
                }
                if theirs.get(key) != base {
                    return Err(format!("git-push: rebase conflict in {key}"));
                }
                match ours {
                    Some(text) => files.insert(key.clone(), text.clone()),
                    None => files.remove(key),
                };
            }
            remote.commit(files)
        };
        remote.branches.insert(branch.clone(), pushed.clone());
        tree.base = Some(pushed.clone());
        tree.local = None;
        Ok((pushed, branch))
    }
}
