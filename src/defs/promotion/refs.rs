//! The references of a `kargo-promotion` policy as Kargo reads them: Git
//! URLs and branches, the stage manifest's path, the commit author's
//! address, the image repository and its tag filter.

use super::{
    ImageSelectionStrategy, KargoPromotion, ServiceComponent, defaults, without_placeholders,
};
use crate::check::{DocContext, syntax};
use crate::diagnostic::Code;
use crate::dom::DocPath;
use crate::path;

/// An HTTPS, HTTP or SSH URL, or the scp-like `git@host:path`.
pub(super) fn git_url(url: &str) -> Result<(), syntax::Invalid> {
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(syntax::Invalid::Rule("must not contain whitespace"));
    }
    let host_path = ["https://", "http://", "ssh://"]
        .iter()
        .find_map(|scheme| url.strip_prefix(scheme))
        .map(|rest| rest.split_once('/'))
        .or_else(|| {
            let (user_host, path) = url.split_once(':')?;
            let (_, host) = user_host.split_once('@')?;
            Some(Some((host, path)))
        });
    match host_path {
        Some(Some((host, path))) if !host.is_empty() && !path.is_empty() => Ok(()),
        _ => Err(syntax::Invalid::Rule(
            "is not a Git URL (https://host/owner/repo.git or git@host:owner/repo.git)",
        )),
    }
}

pub(super) fn branch(name: &str) -> Result<(), syntax::Invalid> {
    let ok = !name.is_empty()
        && name.len() <= 255
        && name.as_bytes()[0].is_ascii_alphanumeric()
        && name
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"._/-".contains(&c))
        && !name.ends_with(['.', '/'])
        && !name.contains("..");
    if ok {
        Ok(())
    } else {
        Err(syntax::Invalid::Rule("is not a branch name Kargo accepts"))
    }
}

/// Each stage pushes a branch of its own. Kargo's health check compares the
/// stage's Argo CD Application's `status.sync.revision` with the commit its
/// last promotion pushed (`pkg/health/checker/builtin/argocd.go`,
/// `stageHealthForAppSync`, v1.11.2), and Argo CD moves that revision to the
/// tracked branch's head on every refresh (`controller/state.go`,
/// `CompareAppState`): on one shared branch, each stage's push turns every
/// other stage Unhealthy.
pub(super) fn check_stage_branch(ctx: &mut DocContext, base: &DocPath, p: &KargoPromotion) {
    let at = base.key("stageBranch");
    let placeholders_ok =
        without_placeholders(&p.stage_branch).is_some_and(|rest| !rest.contains(['{', '}']));
    if !placeholders_ok {
        ctx.error(
            Code::Placeholder,
            &at,
            "stageBranch may use only the placeholders {app} and {stage}",
        );
        return;
    }
    if !p.stage_branch.contains("{stage}") {
        ctx.error(
            Code::GitRepo,
            &at,
            format!(
                "stageBranch `{}` is one branch for every stage: each promotion would move the revision the other stages' health checks expect",
                p.stage_branch
            ),
        )
        .help = Some("add {stage}, e.g. stage/{stage} (Kargo's convention)".into());
        return;
    }
    for stage in &p.stages {
        let name = p.stage_branch.replace("{stage}", &stage.name);
        if let Err(why) = branch(&name) {
            ctx.error(
                Code::GitRepo,
                &at,
                format!("the branch `{name}` of stage `{}` {why}", stage.name),
            );
        } else if name == p.branch {
            ctx.error(
                Code::GitRepo,
                &at,
                format!(
                    "stage `{}` would push `{name}`, the branch its manifest is read from",
                    stage.name
                ),
            )
            .help =
                Some("keep the stages' branches apart from `branch`, e.g. stage/{stage}".into());
        }
    }
}

/// The tags the Warehouse may pick: `allowTags`, else the default for the
/// strategy (`None`: every tag).
pub fn allow_tags(p: &KargoPromotion) -> Option<Vec<String>> {
    use ImageSelectionStrategy as S;
    match (&p.allow_tags, p.image_selection_strategy) {
        (Some(given), _) if given.is_empty() => None,
        (Some(given), _) => Some(given.clone()),
        // A tie on build time goes to the lexically greater tag
        // (`pkg/image/newest_build_selector.go`, `sort`, v1.11.2): `latest`
        // beats `1.4.3` of the same build. Lexical puts it first too.
        (None, S::NewestBuild | S::Lexical) => Some(vec![defaults::ALLOW_TAGS.into()]),
        // SemVer reads only semantic versions; Digest follows `constraint`.
        (None, S::SemVer | S::Digest) => None,
    }
}

/// Every tag filter is a regular expression Go compiles (`regexp.Compile`
/// in `tag_based_selector.go`; RE2 syntax, which the regex crate shares),
/// and the component's own tag passes the filter: otherwise the Warehouse
/// never picks an image like the one the manifest deploys.
pub(super) fn check_tag_filter(
    ctx: &mut DocContext,
    base: &DocPath,
    p: &KargoPromotion,
    services: &[ServiceComponent],
) {
    let at = base.key("allowTags");
    if p.allow_tags.is_some() && p.image_selection_strategy == ImageSelectionStrategy::Digest {
        ctx.error(
            Code::TagFilter,
            &at,
            "the Digest strategy follows the one tag in `constraint`: allowTags does not apply",
        )
        .help = Some("remove allowTags, or choose NewestBuild, SemVer or Lexical".into());
        return;
    }
    let mut compiled = Vec::new();
    for (i, pattern) in p.allow_tags.iter().flatten().enumerate() {
        if pattern.contains("${{") {
            // Reported with the other user strings.
            return;
        }
        match regex::RegexBuilder::new(pattern)
            .size_limit(1 << 20)
            .build()
        {
            Ok(re) => compiled.push(re),
            Err(e) => {
                let why = e.to_string();
                let first = why.lines().last().unwrap_or("invalid").trim();
                let first = first.strip_prefix("error: ").unwrap_or(first).to_owned();
                ctx.error(
                    Code::TagFilter,
                    &at.index(i),
                    format!("`{pattern}` is not a regular expression Kargo compiles: {first}"),
                );
                return;
            }
        }
    }
    let Some(filter) = allow_tags(p) else { return };
    // The default, `^v?[0-9]`, without compiling it.
    let default = |tag: &str| {
        tag.strip_prefix('v')
            .unwrap_or(tag)
            .starts_with(|c: char| c.is_ascii_digit())
    };
    let promoted = match (&p.component, services) {
        (Some(name), _) => services.iter().find(|s| &s.name == name),
        (None, [one]) => Some(one),
        _ => None,
    };
    let Some((index, image)) = promoted.and_then(|s| Some((s.index, s.image.as_deref()?))) else {
        return;
    };
    let Some(tag) = crate::check::syntax::image_tag(image) else {
        return;
    };
    let picked = if p.allow_tags.is_none() {
        default(tag)
    } else {
        compiled.iter().any(|re| re.is_match(tag))
    };
    if !picked {
        // The default filter: the image is what to change.
        let at = if p.allow_tags.is_none() {
            path!["spec", "components", index, "properties", "image"]
        } else {
            at
        };
        let d = ctx.error(
            Code::TagFilter,
            &at,
            format!(
                "the Warehouse picks only tags matching {}: never a tag like `{tag}`, the one the component deploys",
                filter.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(" or ")
            ),
        );
        d.help = Some(if p.allow_tags.is_none() {
            "deploy a versioned tag (e.g. 1.4.3), or set allowTags to the tags your CI pushes for each build".into()
        } else {
            "widen allowTags, or deploy a tag it matches".into()
        });
    }
}

pub(super) fn manifest_path(path: &str) -> Result<(), syntax::Invalid> {
    // A line break in a path would start a line of its own in `plan` and in
    // Kargo's step output.
    if path.contains(char::is_control) {
        return Err(syntax::Invalid::Rule(
            "must not hold a line break, a tab or another control character",
        ));
    }
    if !path.contains("{stage}") {
        return Err(syntax::Invalid::Rule(
            "must contain {stage}, or every stage would write the same file",
        ));
    }
    if path.starts_with('/') || path.split('/').any(|p| p == ".." || p.is_empty()) {
        return Err(syntax::Invalid::Rule(
            "must be a relative path inside the repository",
        ));
    }
    if !(path.ends_with(".yaml") || path.ends_with(".yml")) {
        return Err(syntax::Invalid::Rule("must name a .yaml file"));
    }
    // The promotion replaces that folder on the stage's branch; the root
    // would be the whole checkout.
    if !path.contains('/') {
        return Err(syntax::Invalid::Rule(
            "must be inside a folder: a promotion copies that folder to the stage's branch",
        ));
    }
    match without_placeholders(path) {
        Some(rest) if !rest.contains(['{', '}']) => Ok(()),
        _ => Err(syntax::Invalid::Rule(
            "may use only the placeholders {app} and {stage}",
        )),
    }
}

/// An address Go's `mail.ParseAddress` reads as one bare addr-spec (RFC
/// 5322): Kargo checks `gitAuthor.email` against `format: email`
/// (`git-clone-config.json`), which gojsonschema's `EmailFormatChecker`
/// tests with `mail.ParseAddress`. The display-name form it also reads
/// (`Kargo <k@x>`) would become a commit's email as written: refused.
pub(super) fn email_address(email: &str) -> Result<(), &'static str> {
    let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c);
    let dot_atom =
        |s: &str| !s.is_empty() && s.split('.').all(|a| !a.is_empty() && a.chars().all(atext));
    let Some((local, domain)) = email.rsplit_once('@') else {
        return Err("no `@`");
    };
    let quoted = local.len() >= 2
        && local.starts_with('"')
        && local.ends_with('"')
        && local[1..local.len() - 1]
            .chars()
            .all(|c| c.is_ascii_graphic() || c == ' ');
    if !(dot_atom(local) || quoted) {
        return Err("the part before `@` is not a dot-separated word or a quoted string");
    }
    let literal = domain.starts_with('[') && domain.ends_with(']') && domain.len() > 2;
    if !(dot_atom(domain) || literal) {
        return Err("the domain is not dot-separated words");
    }
    Ok(())
}

/// Kargo's `imageRepoURLRegex`,
/// `^(\w+([\.-]\w+)*(:[\d]+)?/)?(\w+([\.-]\w+)*)(/\w+([\.-]\w+)*)*$`:
/// path parts of word characters joined by single `.` or `-`, the first
/// one with a `:port` when more follow.
pub(super) fn kargo_image_repo_url(repo: &str) -> bool {
    let word = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    let words = |s: &str| s.split(['.', '-']).all(word);
    let parts: Vec<&str> = repo.split('/').collect();
    parts
        .iter()
        .enumerate()
        .all(|(i, part)| match part.split_once(':') {
            Some((host, port)) => {
                i == 0
                    && parts.len() > 1
                    && words(host)
                    && !port.is_empty()
                    && port.bytes().all(|b| b.is_ascii_digit())
            }
            None => words(part),
        })
}

/// An image repository as a Warehouse subscribes to it: no tag, no digest.
pub(super) fn image_repository(repo: &str) -> Result<(), syntax::Invalid> {
    if repo.contains('@') || syntax::image_repository(repo) != repo {
        return Err(syntax::Invalid::Rule("must not carry a tag or digest"));
    }
    syntax::image_reference(&format!("{repo}:latest"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `imageRepoURLRegex` (`pkg/subscription/image.go`, v1.11.2) on the
    /// repositories of `image_test.go` and the edges of its pattern.
    #[test]
    fn repository_urls_are_the_ones_kargo_accepts() {
        for ok in [
            "ghcr.io/akuity/kargo",
            "123456789012.dkr.ecr.us-west-2.amazonaws.com/peeks/storefront",
            "localhost:5000/shop/web",
            "nginx",
            "a__b/c_d",
        ] {
            assert!(kargo_image_repo_url(ok), "{ok}");
        }
        for bad in [
            "",
            "bogus invalid",
            "payments--worker",
            "ghcr.io/acme/web.",
            "localhost:5000",
            "host:/x",
            "a/b:1/c",
            "ghcr.io//x",
        ] {
            assert!(!kargo_image_repo_url(bad), "{bad}");
        }
    }

    /// What Go's `mail.ParseAddress` reads as one bare address.
    #[test]
    fn author_emails_are_addresses() {
        for ok in [
            "kargo@akuity.io",
            "first.last+tag@example.co.uk",
            "\"quoted name\"@example.com",
            "x@[192.0.2.1]",
        ] {
            assert!(email_address(ok).is_ok(), "{ok}");
        }
        for bad in [
            "nobody",
            "a@",
            "@b.io",
            "a..b@c.io",
            ".a@c.io",
            "a b@c.io",
            "a@b..io",
            "Kargo <kargo@akuity.io>",
        ] {
            assert!(email_address(bad).is_err(), "{bad}");
        }
    }
}
