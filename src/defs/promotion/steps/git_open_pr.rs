//! `git-open-pr`: a stage that promotes by pull request pushes a branch of
//! its own and opens a pull request from it into the stage's branch
//! (`pkg/promotion/runner/builtin/git_pr_opener.go`, v1.11.2). The request's
//! title and text are Kargo's, from the commit message. The Git host's API is
//! `gitProvider`, or what Kargo infers from repoURL (`pkg/gitprovider/registry.go`,
//! `New`); a host that none or several providers claim is refused here,
//! since Kargo would fail the step or pick one at random (a Go map's order).

use super::Task;
use crate::check::DocContext;
use crate::diagnostic::Code;
use crate::dom::DocPath;
use crate::plan::{PromotionPlan, PromotionStep, StagePattern, StagePlan};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub const TEMPLATE: (&str, &str) = (
    "kargo-step-git-open-pr.yaml",
    include_str!("../../../../templates/kargo-step-git-open-pr.yaml"),
);

/// The step's alias: git-wait-for-pr reads the request's number from it.
pub const ALIAS: &str = "opened";

/// A Git host whose API Kargo opens pull requests with (the step schema's `provider`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum GitProvider {
    Azure,
    Bitbucket,
    Gitea,
    Github,
    Gitlab,
}

impl GitProvider {
    pub const ALL: [GitProvider; 5] = [
        GitProvider::Azure,
        GitProvider::Bitbucket,
        GitProvider::Gitea,
        GitProvider::Github,
        GitProvider::Gitlab,
    ];

    pub fn name(self) -> &'static str {
        match self {
            GitProvider::Azure => "azure",
            GitProvider::Bitbucket => "bitbucket",
            GitProvider::Gitea => "gitea",
            GitProvider::Github => "github",
            GitProvider::Gitlab => "gitlab",
        }
    }

    /// Whether Kargo's registration claims `repo_url`: each provider's
    /// `Predicate` over Go's `url.Parse` (`Host` keeps the port,
    /// `Hostname()` drops it; an scp-like `git@host:path` does not parse).
    pub fn claims(self, repo_url: &str) -> bool {
        let Some(host) = url_host(repo_url) else {
            return false;
        };
        let hostname = host.rsplit_once(':').map_or(host, |(h, _)| h);
        match self {
            // `pkg/gitprovider/azure/azure.go`
            GitProvider::Azure => host == "dev.azure.com" || host.ends_with("visualstudio.com"),
            // `pkg/gitprovider/bitbucket/cloud/provider.go`
            GitProvider::Bitbucket => hostname == "bitbucket.org",
            // `pkg/gitprovider/gitea/gitea.go`
            GitProvider::Gitea => host.contains("gitea"),
            // `pkg/gitprovider/github/github.go`
            GitProvider::Github => host.contains("github") || host.ends_with(".ghe.com"),
            // `pkg/gitprovider/gitlab/gitlab.go`
            GitProvider::Gitlab => host.contains("gitlab"),
        }
    }
}

/// The providers Kargo's registry would try for `repo_url` without a name.
pub fn claimants(repo_url: &str) -> Vec<GitProvider> {
    GitProvider::ALL
        .into_iter()
        .filter(|p| p.claims(repo_url))
        .collect()
}

/// `url.Parse(raw).Host`, for the URLs a repoURL can be: `None` where Go
/// fails to parse (`://x`, `git@host:path`) or finds no authority.
fn url_host(raw: &str) -> Option<&str> {
    let raw = raw.split('#').next().unwrap_or(raw);
    let raw = raw.split('?').next().unwrap_or(raw);
    // `getScheme`: letters first, then letters, digits, `+`, `-`, `.`, up to `:`.
    let mut rest = raw;
    for (i, c) in raw.char_indices() {
        match c {
            ':' if i == 0 => return None,
            ':' => {
                rest = &raw[i + 1..];
                break;
            }
            c if c.is_ascii_alphabetic() => {}
            c if i > 0 && (c.is_ascii_digit() || "+-.".contains(c)) => {}
            _ => break,
        }
    }
    if rest.len() == raw.len() {
        // No scheme: a first path segment with `:` is an error.
        let first = raw.split('/').next().unwrap_or(raw);
        if first.contains(':') {
            return None;
        }
    }
    let authority = rest.strip_prefix("//")?;
    let authority = authority.split('/').next().unwrap_or(authority);
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    // `validOptionalPort`: a port is digits.
    match host.rsplit_once(':') {
        Some((_, port)) if !port.bytes().all(|b| b.is_ascii_digit()) => None,
        _ => Some(host),
    }
}

/// Stages that promote by pull request need a provider Kargo can name.
pub(crate) fn check(ctx: &mut DocContext, base: &DocPath, props: &super::super::KargoPromotion) {
    let Some(first) = props.stages.iter().position(|s| s.pull_request) else {
        if props.git_provider.is_some() {
            ctx.error(
                Code::GitProvider,
                &base.key("gitProvider"),
                "gitProvider is used only to open pull requests, and no stage has `pullRequest: true`",
            )
            .help = Some("remove gitProvider, or set pullRequest on the stages that promote by pull request".into());
        }
        return;
    };
    if props.git_provider.is_some() {
        return;
    }
    let found = claimants(&props.repo_url);
    if found.len() == 1 {
        return;
    }
    let at = base.key("stages").index(first).key("pullRequest");
    let why = if found.is_empty() {
        "Kargo cannot tell which Git host's API opens pull requests there".to_owned()
    } else {
        let names: Vec<&str> = found.iter().map(|p| p.name()).collect();
        format!(
            "its host is claimed by {}, and Kargo would pick one of them at random",
            names.join(" and ")
        )
    };
    ctx.error(
        Code::GitProvider,
        &at,
        format!(
            "stage `{}` promotes by pull request on `{}`: {why}",
            props.stages[first].name, props.repo_url
        ),
    )
    .help = Some("set gitProvider: github, gitlab, gitea, bitbucket or azure".into());
}

#[derive(Debug, Serialize)]
pub struct GitOpenPr {
    pub repo_url: String,
    pub provider: Option<&'static str>,
    /// The branch the push made, as a later step reads it.
    pub source_branch: String,
    pub target_branch: StagePattern,
}

pub fn plan(t: &Task, pushed_branch: String) -> GitOpenPr {
    GitOpenPr {
        repo_url: t.repo_url(),
        provider: t.props.git_provider.map(GitProvider::name),
        source_branch: pushed_branch,
        target_branch: t.pattern(&t.props.stage_branch),
    }
}

impl PromotionStep for GitOpenPr {
    step_basics!("git-open-pr", TEMPLATE.0, Some(ALIAS));
    fn describe(&self, _: &PromotionPlan, stage: &StagePlan) -> Option<String> {
        Some(format!(
            "opens a pull request from it into {}, and waits until a person merges it (closing it unmerged fails the promotion; a promotion that changes nothing opens none)",
            self.target_branch.show(&stage.name)
        ))
    }
    fn prerequisite(&self, p: &PromotionPlan, stages: &[&StagePlan]) -> Option<String> {
        let branches: Vec<String> = stages
            .iter()
            .map(|s| self.target_branch.show(&s.name))
            .collect();
        let provider = self.provider.map_or_else(
            || {
                claimants(&p.repo_url)
                    .first()
                    .map_or("the Git host", |g| g.name())
                    .to_owned()
            },
            str::to_owned,
        );
        Some(format!(
            "pull requests: the branches {} in {} before a first promotion (git-open-pr never creates its target), and a token in the Git credentials that may open pull requests on {provider}",
            branches.join(", "),
            p.repo_url
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Kargo's own rows: `TestRegistrationPredicate`
    /// (`pkg/gitprovider/github/github_test.go`) and `Test_registration`
    /// (`pkg/gitprovider/bitbucket/cloud/provider_test.go`), v1.11.2.
    #[test]
    fn providers_claim_the_hosts_kargo_s_predicates_do() {
        let rows: &[(GitProvider, &str, bool)] = &[
            (GitProvider::Github, "https://github.com/akuity/kargo", true),
            (
                GitProvider::Github,
                "https://my-org.ghe.com/repo/project",
                true,
            ),
            (GitProvider::Github, "https://gitlab.com/owner/repo", false),
            (GitProvider::Github, "https://google.com", false),
            (
                GitProvider::Bitbucket,
                "https://bitbucket.org/owner/repo",
                true,
            ),
            (
                GitProvider::Bitbucket,
                "https://bitbucket.example.com/projects/PROJ/repos/repo",
                false,
            ),
            (
                GitProvider::Bitbucket,
                "https://github.com/owner/repo",
                false,
            ),
            (GitProvider::Bitbucket, "://invalid-url", false),
        ];
        for (provider, url, claims) in rows {
            assert_eq!(provider.claims(url), *claims, "{provider:?} {url}");
        }
    }

    /// Go's `url.Parse`: the port stays in `Host` (so `bitbucket.org:443`
    /// is bitbucket by `Hostname()`), scp-like addresses do not parse.
    #[test]
    fn hosts_are_read_as_go_parses_urls() {
        assert_eq!(
            claimants("https://bitbucket.org:443/o/r"),
            [GitProvider::Bitbucket]
        );
        assert_eq!(
            claimants("https://dev.azure.com/org/p/_git/r"),
            [GitProvider::Azure]
        );
        assert_eq!(
            claimants("https://acme.visualstudio.com/p/_git/r"),
            [GitProvider::Azure]
        );
        assert_eq!(
            claimants("ssh://git@gitlab.example.com/o/r.git"),
            [GitProvider::Gitlab]
        );
        assert_eq!(
            claimants("https://user@gitea.acme.io/o/r"),
            [GitProvider::Gitea]
        );
        assert!(claimants("git@github.com:acme/deploy.git").is_empty());
        assert!(claimants("https://git.example.com/acme/deploy.git").is_empty());
        assert!(claimants("https://github.com:x/o/r").is_empty());
        assert_eq!(
            claimants("https://github.gitlab.example/o/r"),
            [GitProvider::Github, GitProvider::Gitlab]
        );
    }
}
