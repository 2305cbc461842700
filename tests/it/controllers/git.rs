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
//!   per branch at a time; outputs `commit` (after the rebase) and `branch`;
//!   with `generateTargetBranch`, a force push to a branch of the promotion's
//!   own, no rebase;
//! - `git_pr_opener.go`: the target branch must exist; an open or merged
//!   request from the same branch is reused; no difference between the two
//!   branches opens none (status Skipped); `git_pr_waiter.go`: Running while
//!   open, Failed when closed unmerged, the merge commit when merged (a
//!   person merges here, with a merge commit whose tree is the three-way merge).

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
    /// The commit each pushed commit was made on (for a merge's base).
    bases: BTreeMap<String, String>,
    pull_requests: Vec<PullRequest>,
}

#[derive(Debug, Clone)]
pub struct PullRequest {
    pub id: u64,
    pub source: String,
    pub target: String,
    /// The source branch's head when it was opened.
    pub head: String,
    pub state: PullRequestState,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PullRequestState {
    Open,
    Closed,
    /// With its merge commit.
    Merged(String),
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

    /// A new branch at `from`'s head (a person creating a stage's branch).
    pub fn branch_from(&mut self, branch: &str, from: &str) {
        let head = self.branches[from].clone();
        self.branches.insert(branch.into(), head);
    }

    /// `git-open-pr`: the request's number, or `None` when the branches do
    /// not differ (Skipped).
    pub fn open_pull_request(&mut self, source: &str, target: &str) -> Result<Option<u64>, String> {
        let target_head = self
            .head(target)
            .ok_or_else(|| format!("git-open-pr: target branch {target:?} does not exist"))?
            .to_owned();
        let head = self
            .head(source)
            .ok_or_else(|| format!("git-open-pr: source branch {source:?} does not exist"))?
            .to_owned();
        // `getExistingPR`: from this branch at this commit, open or merged.
        if let Some(pr) = self.pull_requests.iter().find(|p| {
            p.source == source
                && p.target == target
                && p.head == head
                && p.state != PullRequestState::Closed
        }) {
            return Ok(Some(pr.id));
        }
        if self.files_at(&head) == self.files_at(&target_head) {
            return Ok(None);
        }
        let id = self.pull_requests.len() as u64 + 1;
        self.pull_requests.push(PullRequest {
            id,
            source: source.into(),
            target: target.into(),
            head,
            state: PullRequestState::Open,
        });
        Ok(Some(id))
    }

    pub fn pull_request(&self, id: u64) -> Result<PullRequestState, String> {
        self.pull_requests
            .iter()
            .find(|p| p.id == id)
            .map(|p| p.state.clone())
            .ok_or_else(|| format!("error getting pull request {id}: not found"))
    }

    /// A person merges the request: a merge commit on the target, its tree
    /// the three-way merge of the target and the request's head.
    pub fn merge_pull_request(&mut self, id: u64) -> Result<String, String> {
        let pr = self
            .pull_requests
            .iter()
            .find(|p| p.id == id)
            .cloned()
            .ok_or("no such pull request")?;
        let target_head = self.branches[&pr.target].clone();
        let base = self.bases.get(&pr.head).cloned();
        let base_files = base.map(|b| self.files_at(&b).clone()).unwrap_or_default();
        let files = merge(
            &base_files,
            self.files_at(&pr.head),
            self.files_at(&target_head),
        )
        .map_err(|key| format!("pull request {id}: merge conflict in {key}"))?;
        let commit = self.commit(files);
        self.branches.insert(pr.target.clone(), commit.clone());
        for p in &mut self.pull_requests {
            if p.id == id {
                p.state = PullRequestState::Merged(commit.clone());
            }
        }
        Ok(commit)
    }

    /// A person closes the request without merging it.
    pub fn close_pull_request(&mut self, id: u64) {
        for p in &mut self.pull_requests {
            if p.id == id {
                p.state = PullRequestState::Closed;
            }
        }
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

    /// `git-commit`: the new commit, or the head as cloned when nothing
    /// changed; and whether it made one.
    pub fn commit(&mut self, remote: &mut Remote, path: &str) -> Result<(String, bool), String> {
        let (tree, rel) = self.locate(path)?;
        if !rel.is_empty() {
            return Err(format!("git-commit: {path} is not a working tree"));
        }
        let before = tree.base.as_ref().map(|b| remote.files_at(b).clone());
        if before.as_ref() == Some(&tree.files) {
            return Ok((tree.base.clone().unwrap(), false));
        }
        let id = remote.commit(tree.files.clone());
        if let Some(base) = &tree.base {
            remote.bases.insert(id.clone(), base.clone());
        }
        tree.local = Some(id.clone());
        Ok((id, true))
    }

    /// `git-push` with `generateTargetBranch`: a force push of the tree's
    /// head to `branch`, no rebase.
    pub fn push_to(
        &mut self,
        remote: &mut Remote,
        path: &str,
        branch: &str,
    ) -> Result<(String, String), String> {
        let (tree, rel) = self.locate(path)?;
        if !rel.is_empty() {
            return Err(format!("git-push: {path} is not a working tree"));
        }
        let head = tree
            .local
            .clone()
            .or_else(|| tree.base.clone())
            .ok_or("git-push: nothing to push")?;
        remote.branches.insert(branch.into(), head.clone());
        Ok((head, branch.into()))
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
            let files = merge(&base_files, &tree.files, &theirs)
                .map_err(|key| format!("git-push: rebase conflict in {key}"))?;
            remote.commit(files)
        };
        remote.branches.insert(branch.clone(), pushed.clone());
        tree.base = Some(pushed.clone());
        tree.local = None;
        Ok((pushed, branch))
    }
}

/// Our changes from `base` applied onto `theirs`; a file both changed is a
/// conflict (its name).
fn merge(base: &Files, ours: &Files, theirs: &Files) -> Result<Files, String> {
    let mut files = theirs.clone();
    for key in ours.keys().chain(base.keys()) {
        let (mine, was) = (ours.get(key), base.get(key));
        if mine == was {
            continue;
        }
        if theirs.get(key) != was && theirs.get(key) != mine {
            return Err(key.clone());
        }
        match mine {
            Some(text) => files.insert(key.clone(), text.clone()),
            None => files.remove(key),
        };
    }
    Ok(files)
}
