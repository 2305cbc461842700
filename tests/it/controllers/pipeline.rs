//! The pipeline over time: sequences of controller events a user meets, on
//! every promotion fixture, and the state each controller reaches.
//!
//! The events and the rules that decide them (each modelled elsewhere in
//! these tests or here, from the upstream function named):
//! - Kargo v1.11.2 runs a promotion: `kargo.rs` (`Run`: the task's steps,
//!   `${{ }}`, yaml-update) against `git.rs` (clone, copy, commit, push with
//!   rebase);
//! - its argocd-update syncs the pushed commit (`pkg/promotion/runner/
//!   builtin/argocd_updater.go`: the operation's revision is
//!   `desiredRevision`);
//! - Argo CD v3.5.1 refreshes an Application: `status.sync.revision` becomes
//!   the head of `targetRevision` (`controller/state.go`, `CompareAppState`);
//! - Kargo re-checks a Stage's health against its last promotion: a stage
//!   whose Application's sync revision differs from the promotion's
//!   `desiredRevision` is Unhealthy (`pkg/health/checker/builtin/argocd.go`,
//!   `stageHealthForAppSync`; `pkg/controller/stages/regular_stages.go`
//!   re-runs the last promotion's health checks);
//! - the Warehouse picks an image (`pkg/image/tag_based_selector.go`,
//!   `MatchesTag`: ignore, then allow regexes; `newest_build_selector.go`,
//!   `sort`: newest first, a tie to the lexically greater tag;
//!   `lexical_selector.go`: the greatest tag);
//! - a pod on a second node mounts a claim (Kubernetes
//!   `pkg/controller/volume/attachdetach/reconciler`: a ReadWriteOnce volume
//!   attached to one node is not attached to another, Multi-Attach;
//!   scheduler `volumerestrictions`: ReadWriteOncePod admits one pod).

use super::git::Remote;
use super::kargo::{
    Freight, PROMOTION_FIXTURES, Run, prepare, source_branch, stage_manifest, task_file, task_of,
};
use crate::common::*;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// One stage's Argo CD Application as the controllers see it.
#[derive(Debug, Clone)]
struct App {
    name: String,
    target_revision: String,
    /// `status.sync.revision`.
    synced: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Health {
    Healthy,
    Unhealthy,
}

struct Pipeline {
    case: &'static str,
    /// The task the branch-per-stage stages run (every fixture has one).
    task: Value,
    tasks: Vec<Value>,
    project: String,
    stages: Vec<Value>,
    image_repo: String,
    remote: Remote,
    apps: BTreeMap<String, App>,
    /// Each stage's last promotion: the revision it asked Argo CD to sync.
    desired: BTreeMap<String, String>,
}

fn freight(repo: &str, tag: &str) -> Freight {
    // A digest per tag: the Digest strategy pins what it promotes by it.
    let digest: String = tag
        .bytes()
        .map(|b| format!("{:02x}", b))
        .collect::<String>()
        .chars()
        .chain(std::iter::repeat('0'))
        .take(64)
        .collect();
    Freight {
        repo_url: repo.to_owned(),
        tag: tag.to_owned(),
        digest: format!("sha256:{digest}"),
    }
}

impl Pipeline {
    /// The fixture rendered; the GitOps repository holding each stage's
    /// manifest on the branch the task reads; each stage's Application
    /// tracking what oamc emits, or what `plan` says it must track.
    fn new(case: &'static str) -> Pipeline {
        let input = format!("fixtures/render/{case}/application.yaml");
        let out = oamc(&["render", &input], None);
        assert!(out.status.success(), "{case}: {}", text(&out.stderr));
        let docs = yaml_docs(&text(&out.stdout));
        let of = |kind: &str| -> Vec<Value> {
            docs.iter().filter(|d| d["kind"] == kind).cloned().collect()
        };
        let tasks = of("PromotionTask");
        let task = tasks[0].clone();
        let project = task["metadata"]["namespace"].as_str().unwrap().to_owned();
        let image_repo = of("Warehouse")[0]["spec"]["subscriptions"][0]["image"]["repoURL"]
            .as_str()
            .unwrap()
            .to_owned();
        let stages = of("Stage");
        let emitted = of("Application");
        let plan = text(&oamc(&["plan", &input], None).stdout);
        let must_track =
            regex::Regex::new(r"Application (\S+) \(namespace \S+, which must track (\S+)\)")
                .unwrap();
        let mut files = BTreeMap::new();
        let mut apps = BTreeMap::new();
        for stage in &stages {
            let name = stage["metadata"]["name"].as_str().unwrap().to_owned();
            let app = emitted.iter().find(|a| {
                a["metadata"]["annotations"]["kargo.akuity.io/authorized-stage"]
                    == format!("{project}:{name}")
            });
            let destination = app.and_then(|a| a["spec"]["destination"]["namespace"].as_str());
            let own = task_of(stage, &tasks.iter().collect::<Vec<_>>());
            let rel = task_file(stage, own, &freight(&image_repo, "0"));
            files.insert(rel, stage_manifest(case, destination));
            let app = match app {
                Some(a) => App {
                    name: a["metadata"]["name"].as_str().unwrap().to_owned(),
                    target_revision: a["spec"]["source"]["targetRevision"]
                        .as_str()
                        .unwrap()
                        .to_owned(),
                    synced: None,
                },
                None => {
                    // The nth stage's line of the plan names its Application.
                    let i = stages.iter().position(|s| s == stage).unwrap();
                    let c = must_track
                        .captures_iter(&plan)
                        .nth(i)
                        .unwrap_or_else(|| panic!("{case}: plan names no branch for {name}"));
                    App {
                        name: c[1].to_owned(),
                        target_revision: c[2].to_owned(),
                        synced: None,
                    }
                }
            };
            apps.insert(name, app);
        }
        let mut remote = Remote::with(&source_branch(&task), files);
        for stage in &stages {
            prepare(
                &mut remote,
                stage,
                task_of(stage, &tasks.iter().collect::<Vec<_>>()),
            );
        }
        Pipeline {
            case,
            task,
            tasks,
            project,
            stages,
            image_repo,
            remote,
            apps,
            desired: BTreeMap::new(),
        }
    }

    fn stage(&self, name: &str) -> &Value {
        self.stages
            .iter()
            .find(|s| s["metadata"]["name"] == name)
            .unwrap()
    }

    fn names(&self) -> Vec<String> {
        self.stages
            .iter()
            .map(|s| s["metadata"]["name"].as_str().unwrap().to_owned())
            .collect()
    }

    /// The task a stage runs: the fixture's own, or (a test's edit of it)
    /// `task` for the stages that run the first.
    fn task_of(&self, stage: &str) -> &Value {
        let tasks: Vec<&Value> = self.tasks.iter().collect();
        let own = task_of(self.stage(stage), &tasks);
        if own["metadata"]["name"] == self.task["metadata"]["name"] {
            &self.task
        } else {
            own
        }
    }

    fn start(&self, stage: &str, tag: &str) -> Run<'_> {
        Run::new(
            self.stage(stage),
            self.task_of(stage),
            &self.project,
            freight(&self.image_repo, tag),
        )
    }

    /// After git-push: argocd-update syncs the Application to the pushed commit.
    fn synced_by(&mut self, stage: &str, argocd_update: &Value) {
        let sync = &argocd_update["apps"][0];
        let app = self.apps.get_mut(stage).unwrap();
        assert_eq!(sync["name"], app.name.as_str(), "{}: {stage}", self.case);
        let desired = sync["sources"][0]["desiredRevision"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if !desired.is_empty() {
            app.synced = Some(desired.clone());
        }
        self.desired.insert(stage.to_owned(), desired);
    }

    fn promote(&mut self, stage: &str, tag: &str) {
        let mut remote = std::mem::take(&mut self.remote);
        let p = self
            .start(stage, tag)
            .finish_merging(&mut remote)
            .unwrap_or_else(|e| panic!("{}: promoting {stage} to {tag}: {e}", self.case));
        self.remote = remote;
        self.synced_by(stage, &p.argocd_update);
    }

    /// Argo CD refreshes every Application.
    fn refresh(&mut self) {
        for app in self.apps.values_mut() {
            app.synced = self.remote.head(&app.target_revision).map(str::to_owned);
        }
    }

    fn health(&self, stage: &str) -> Health {
        match (self.desired.get(stage), &self.apps[stage].synced) {
            (None, _) => Health::Healthy,
            (Some(d), _) if d.is_empty() => Health::Healthy,
            (Some(d), Some(observed)) if d == observed => Health::Healthy,
            _ => Health::Unhealthy,
        }
    }

    /// The image the stage's Application deploys: its manifest at the head
    /// of the branch it tracks.
    fn deployed(&self, stage: &str) -> Option<String> {
        let head = self.remote.head(&self.apps[stage].target_revision)?;
        let file = task_file(
            self.stage(stage),
            self.task_of(stage),
            &freight(&self.image_repo, "0"),
        );
        let text = self.remote.files_at(head).get(&file)?;
        let docs = yaml_docs(text);
        let components = docs[0]["spec"]["components"].as_array()?;
        components.iter().find_map(|c| {
            let image = c["properties"]["image"].as_str()?;
            image
                .starts_with(&self.image_repo)
                .then(|| image.to_owned())
        })
    }

    fn image(&self, tag: &str) -> String {
        let f = freight(&self.image_repo, tag);
        if self.case == "promotion-custom-from" {
            format!("{}@{}", f.repo_url, f.digest)
        } else {
            format!("{}:{}", f.repo_url, f.tag)
        }
    }

    fn assert_state(&self, want: &[(&str, &str)], when: &str) {
        for (stage, tag) in want {
            assert_eq!(
                self.health(stage),
                Health::Healthy,
                "{}: {when}: stage {stage} is Unhealthy (Application {} synced to {:?}, its last promotion pushed {:?})",
                self.case,
                self.apps[*stage].name,
                self.apps[*stage].synced,
                self.desired.get(*stage)
            );
            assert_eq!(
                self.deployed(stage),
                Some(self.image(tag)),
                "{}: {when}: stage {stage}",
                self.case
            );
        }
    }
}

/// dev, then each later stage, promoted; then a new image reaches the first
/// stage, and someone edits the manifests on the branch the task reads:
/// every stage stays Healthy and keeps what was promoted into it.
fn promotion_after_promotion(p: &mut Pipeline) {
    let names = p.names();
    for (i, stage) in names.iter().enumerate() {
        p.promote(stage, "1.4.3");
        p.refresh();
        let done: Vec<(&str, &str)> = names[..=i].iter().map(|s| (s.as_str(), "1.4.3")).collect();
        p.assert_state(&done, &format!("after promoting {stage}"));
    }
    p.promote(&names[0], "1.4.4");
    p.refresh();
    let mut want: Vec<(&str, &str)> = names.iter().map(|s| (s.as_str(), "1.4.3")).collect();
    want[0].1 = "1.4.4";
    p.assert_state(&want, &format!("after a new image reached {}", names[0]));
    let branch = source_branch(&p.task);
    p.remote.push_files(&branch, |files| {
        for text in files.values_mut() {
            text.push_str("# edited by a person\n");
        }
    });
    p.refresh();
    p.assert_state(&want, "after a commit to the branch the task reads");
    // Promoting the same Freight again changes nothing and stays Healthy.
    p.promote(&names[0], "1.4.4");
    p.refresh();
    p.assert_state(&want, "after promoting the same image again");
}

#[test]
fn a_promotion_after_a_promotion_keeps_every_stage_healthy() {
    for case in PROMOTION_FIXTURES {
        promotion_after_promotion(&mut Pipeline::new(case));
    }
}

/// The scenario fails on the task of the last round (every stage pushing
/// the branch it reads, every Application tracking it): the check can fail.
#[test]
fn one_shared_branch_would_turn_the_other_stages_unhealthy() {
    let mut p = Pipeline::new("promotion-default");
    let steps = p.task["spec"]["steps"].as_array_mut().unwrap();
    steps.retain(|s| s["uses"] != "delete" && s["uses"] != "copy");
    for s in steps.iter_mut() {
        let config = &mut s["config"];
        if let Some(checkout) = config["checkout"].as_array_mut() {
            checkout.truncate(1);
        }
        for key in ["path"] {
            if let Some(path) = config[key].as_str() {
                config[key] = json!(path.replace("./out", "./src"));
            }
        }
    }
    for app in p.apps.values_mut() {
        app.target_revision = "main".into();
    }
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        promotion_after_promotion(&mut p)
    }));
    let why = outcome.expect_err("one shared branch passed the scenario");
    let why = why.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(why.contains("is Unhealthy"), "{why}");
}

#[test]
fn two_stages_promoting_at_once_both_stay_healthy() {
    for case in PROMOTION_FIXTURES {
        let mut p = Pipeline::new(case);
        let names = p.names();
        // Every stage first promoted once, so each has a branch.
        for stage in &names {
            p.promote(stage, "1.4.3");
        }
        // Then every stage at once: all clone, copy and commit before any pushes.
        let mut remote = std::mem::take(&mut p.remote);
        let mut runs: Vec<(String, Run)> = names
            .iter()
            .map(|s| (s.clone(), p.start(s, "2.0.1")))
            .collect();
        for (stage, run) in &mut runs {
            run.run_until(&mut remote, Some("git-push"))
                .unwrap_or_else(|e| panic!("{case}: {stage}: {e}"));
        }
        let done: Vec<(String, Value)> = runs
            .into_iter()
            .map(|(stage, run)| {
                let promotion = run
                    .finish_merging(&mut remote)
                    .unwrap_or_else(|e| panic!("{case}: {stage}: {e}"));
                (stage, promotion.argocd_update)
            })
            .collect();
        p.remote = remote;
        for (stage, update) in &done {
            p.synced_by(stage, update);
        }
        p.refresh();
        let want: Vec<(&str, &str)> = names.iter().map(|s| (s.as_str(), "2.0.1")).collect();
        p.assert_state(&want, "after every stage promoted at once");
    }
}

// ---------------------------------------------------------------------------
// The Warehouse.

/// An image in the registry: its tag and when it was built.
struct Pushed<'a>(&'a str, u32);

/// The tag a Warehouse subscription picks from `images`.
fn pick(subscription: &Value, images: &[Pushed]) -> Option<String> {
    let regexes = |key: &str| -> Vec<regex::Regex> {
        subscription[key]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| regex::Regex::new(r.as_str().unwrap()).unwrap())
            .collect()
    };
    let (allow, ignore) = (regexes("allowTagsRegexes"), regexes("ignoreTagsRegexes"));
    let matches = |tag: &str| {
        !ignore.iter().any(|r| r.is_match(tag))
            && (allow.is_empty() || allow.iter().any(|r| r.is_match(tag)))
    };
    let mut candidates: Vec<&Pushed> = images.iter().filter(|i| matches(i.0)).collect();
    match subscription["imageSelectionStrategy"].as_str().unwrap() {
        "NewestBuild" => candidates.sort_by(|a, b| b.1.cmp(&a.1).then(b.0.cmp(a.0))),
        "Lexical" => candidates.sort_by(|a, b| b.0.cmp(a.0)),
        // Only tags that are semantic versions (`semver.NewVersion` refuses `latest`).
        "SemVer" => {
            let semver = regex::Regex::new(r"^v?[0-9]+(\.[0-9]+){0,2}([-+].*)?$").unwrap();
            candidates.retain(|i| semver.is_match(i.0));
            candidates.sort_by_key(|i| {
                std::cmp::Reverse(
                    i.0.trim_start_matches('v')
                        .split(['.', '-', '+'])
                        .take(3)
                        .map(|n| n.parse::<u64>().unwrap_or(0))
                        .collect::<Vec<_>>(),
                )
            });
        }
        // Follows the one tag in `constraint`.
        "Digest" => {
            let tag = subscription["constraint"].as_str().unwrap();
            candidates.retain(|i| i.0 == tag);
        }
        other => panic!("strategy {other}"),
    }
    candidates.first().map(|i| i.0.to_owned())
}

#[test]
fn a_moving_tag_pushed_with_a_build_is_never_promoted() {
    // The model's sort is Kargo's: without a filter, `latest` wins the tie.
    let bare = json!({"imageSelectionStrategy": "NewestBuild"});
    assert_eq!(
        pick(&bare, &[Pushed("1.4.3", 7), Pushed("latest", 7)]).as_deref(),
        Some("latest")
    );
    for case in PROMOTION_FIXTURES.iter().chain(["spec-gates"].iter()) {
        let out = oamc(
            &[
                "render",
                &format!("fixtures/render/{case}/application.yaml"),
            ],
            None,
        );
        let docs = yaml_docs(&text(&out.stdout));
        let Some(warehouse) = docs.iter().find(|d| d["kind"] == "Warehouse") else {
            continue;
        };
        let sub = &warehouse["spec"]["subscriptions"][0]["image"];
        let strategy = sub["imageSelectionStrategy"].as_str().unwrap();
        // CI pushes a version and `latest` of one build, then the next.
        let (v1, v2) = if strategy == "SemVer" {
            ("2.0.3", "2.1.0")
        } else {
            ("1.4.3", "1.4.4")
        };
        let mut images = vec![Pushed(v1, 7), Pushed("latest", 7)];
        let first = pick(sub, &images);
        images.extend([Pushed(v2, 9), Pushed("latest", 9)]);
        images.retain(|i| !(i.0 == "latest" && i.1 == 7));
        let second = pick(sub, &images);
        if strategy == "Digest" {
            // Following a mutable tag on purpose: pinned by digest (kargo.rs).
            continue;
        }
        assert_eq!(first.as_deref(), Some(v1), "{case}: {sub}");
        assert_eq!(second.as_deref(), Some(v2), "{case}: {sub}");
    }
}

// ---------------------------------------------------------------------------
// A pod on a second node.

#[test]
fn a_canary_pod_on_a_second_node_mounts_every_claim_oamc_renders() {
    let mut claims_seen = 0;
    for dir in cases("render") {
        let out = oamc(
            &["render", dir.join("application.yaml").to_str().unwrap()],
            None,
        );
        let docs = yaml_docs(&text(&out.stdout));
        for rollout in docs.iter().filter(|d| d["kind"] == "Rollout") {
            let volumes = rollout["spec"]["template"]["spec"]["volumes"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            for v in volumes {
                let Some(claim) = v["persistentVolumeClaim"]["claimName"].as_str() else {
                    continue;
                };
                let Some(pvc) = docs.iter().find(|d| {
                    d["kind"] == "PersistentVolumeClaim" && d["metadata"]["name"] == claim
                }) else {
                    // An existing claim: its access mode is the cluster's.
                    continue;
                };
                claims_seen += 1;
                // The stable pod runs on node A (the volume attached there);
                // the canary's pod is scheduled on node B.
                let modes: Vec<&str> = pvc["spec"]["accessModes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|m| m.as_str().unwrap())
                    .collect();
                let second_node_attaches = modes
                    .iter()
                    .any(|m| *m == "ReadWriteMany" || *m == "ReadOnlyMany");
                assert!(
                    second_node_attaches,
                    "{}: claim {claim} ({modes:?}) cannot be mounted by a second pod on another node",
                    dir.display()
                );
            }
        }
    }
    assert!(claims_seen > 0, "no fixture renders a claim");
}

// ---------------------------------------------------------------------------
// A gate that fails.

/// Where a canary ends when its gates judge the new version by `fails`
/// (the weight the gate runs at): Argo Rollouts steps through
/// `spec.strategy.canary.steps` in order (`rollout/canary.go`,
/// `reconcileCanaryPause`/`reconcileAnalysisRuns`); a failed analysis
/// aborts: the weight goes back to 0 and the Rollout carries the
/// `Progressing` condition with reason `RolloutAborted`
/// (`utils/conditions/conditions.go`, v1.9.1).
#[derive(Debug, PartialEq)]
enum CanaryEnd {
    /// Aborted at this weight: traffic back to the stable version.
    Aborted {
        at_weight: u64,
    },
    Promoted,
}

fn run_canary(rollout: &Value, fails: impl Fn(u64) -> bool) -> CanaryEnd {
    let mut weight = 0;
    for step in rollout["spec"]["strategy"]["canary"]["steps"]
        .as_array()
        .into_iter()
        .flatten()
    {
        if let Some(w) = step["setWeight"].as_u64() {
            weight = w;
        }
        let gate = step.get("analysis").is_some() || step.get("experiment").is_some();
        if gate && fails(weight) {
            return CanaryEnd::Aborted { at_weight: weight };
        }
    }
    CanaryEnd::Promoted
}

/// Argo CD's health of a Rollout (`resource_customizations/argoproj.io/
/// Rollout/health.lua`, v3.5.1: `RolloutAborted` is Degraded), as Kargo
/// reads the Application's (`stageHealthForAppHealth`: anything but Healthy,
/// Progressing and Suspended is Unhealthy).
fn stage_health_after(end: &CanaryEnd) -> Health {
    match end {
        CanaryEnd::Aborted { .. } => Health::Unhealthy,
        CanaryEnd::Promoted => Health::Healthy,
    }
}

/// The new version breaks once it takes 40 % of the traffic: the first gate
/// at or above 40 % fails (the last gate, where every gate runs earlier).
/// The stage turns Unhealthy with the old version serving, its Freight is
/// never verified there, so the next stage cannot be promoted to it, and
/// the next stage stays Healthy on what it ran.
#[test]
fn a_gate_failing_at_40_percent_stops_the_image_at_its_stage() {
    let mut exercised = 0;
    for case in PROMOTION_FIXTURES.iter().copied() {
        let mut p = Pipeline::new(case);
        let out = oamc(
            &[
                "render",
                &format!("fixtures/render/{case}/application.yaml"),
            ],
            None,
        );
        let docs = yaml_docs(&text(&out.stdout));
        // The promoted component's Rollout: the one running the Warehouse's image.
        let rollout = docs
            .iter()
            .filter(|d| d["kind"] == "Rollout")
            .find(|r| {
                r["spec"]["template"]["spec"]["containers"][0]["image"]
                    .as_str()
                    .is_some_and(|i| i.starts_with(&p.image_repo))
            })
            .expect("the promoted Rollout");
        let gates: Vec<u64> = {
            let mut weight = 0;
            let mut at = Vec::new();
            for step in rollout["spec"]["strategy"]["canary"]["steps"]
                .as_array()
                .into_iter()
                .flatten()
            {
                weight = step["setWeight"].as_u64().unwrap_or(weight);
                if step.get("analysis").is_some() || step.get("experiment").is_some() {
                    at.push(weight);
                }
            }
            at
        };
        let Some(&failing) = gates.iter().find(|w| **w >= 40).or(gates.last()) else {
            // No gate: nothing can stop a version (`plan` lists no gate step).
            let plan = text(
                &oamc(
                    &["plan", &format!("fixtures/render/{case}/application.yaml")],
                    None,
                )
                .stdout,
            );
            assert!(
                !plan.contains(" gate: "),
                "{case}: plan shows a gate the Rollout lacks"
            );
            continue;
        };
        exercised += 1;
        let names = p.names();
        for stage in &names {
            p.promote(stage, "1.4.3");
        }
        p.refresh();
        // 1.4.4 reaches the first stage and breaks at 40 %.
        let first = names[0].clone();
        p.promote(&first, "1.4.4");
        p.refresh();
        let end = run_canary(rollout, |weight| weight >= failing);
        assert_eq!(end, CanaryEnd::Aborted { at_weight: failing }, "{case}");
        assert_eq!(stage_health_after(&end), Health::Unhealthy, "{case}");
        // Kargo verifies Freight only in a Healthy stage
        // (`pkg/controller/stages/regular_stages.go`, `verifyStageFreight`),
        // and a stage takes Freight from another only once verified there
        // (`FreightSources.Stages`): 1.4.4 never reaches the next stage.
        let verified_in_first = stage_health_after(&end) == Health::Healthy;
        for stage in &p.stages[1..] {
            let from: Vec<&str> = stage["spec"]["requestedFreight"][0]["sources"]["stages"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            if from.contains(&first.as_str()) {
                assert!(
                    !verified_in_first,
                    "{case}: 1.4.4 would be available downstream"
                );
            }
        }
        // Every later stage still runs 1.4.3, Healthy: its branch is its own.
        let rest: Vec<(&str, &str)> = names[1..].iter().map(|s| (s.as_str(), "1.4.3")).collect();
        p.assert_state(&rest, "after 1.4.4 failed its gate in the first stage");
    }
    assert!(
        exercised >= 2,
        "only {exercised} fixtures have a gate to fail"
    );
}

// ---------------------------------------------------------------------------
// Promotion by pull request (`git-open-pr`, `git-wait-for-pr`), over time.

const BY_PULL_REQUEST: &str = "promotion-pull-request";

/// A promotion into a stage that promotes by pull request waits for a
/// person; the stage keeps what it ran until the request is merged, and is
/// Healthy at the merge commit after.
#[test]
fn a_pull_request_holds_the_stage_until_a_person_merges_it() {
    let mut p = Pipeline::new(BY_PULL_REQUEST);
    for stage in ["dev", "staging"] {
        p.promote(stage, "1.4.3");
    }
    p.refresh();
    let mut remote = std::mem::take(&mut p.remote);
    let (stage, task) = (p.stage("staging").clone(), p.task_of("staging").clone());
    let tag = freight(&p.image_repo, "1.4.4");
    let mut run = Run::new(&stage, &task, &p.project, tag);
    let pr = run.run_until(&mut remote, None).unwrap();
    let pr = pr.expect("the promotion waits for its pull request");
    p.remote = remote.clone();
    p.refresh();
    p.assert_state(&[("staging", "1.4.3")], "while the pull request is open");
    // Someone commits to the stage's branch meanwhile: the merge keeps both.
    remote.push_files("stage/staging", |files| {
        files.insert("NOTES.md".into(), "hand-written\n".into());
    });
    let merged = remote.merge_pull_request(pr).unwrap();
    let promotion = run.finish(&mut remote).unwrap();
    assert_eq!(
        promotion.argocd_update["apps"][0]["sources"][0]["desiredRevision"],
        merged.as_str()
    );
    assert!(remote.files_at(&merged).contains_key("NOTES.md"));
    p.remote = remote;
    p.synced_by("staging", &promotion.argocd_update);
    p.refresh();
    p.assert_state(&[("dev", "1.4.3"), ("staging", "1.4.4")], "after the merge");
}

/// A request closed without merging fails the promotion, and the stage
/// keeps what it ran.
#[test]
fn a_pull_request_closed_unmerged_fails_the_promotion() {
    let mut p = Pipeline::new(BY_PULL_REQUEST);
    for stage in ["dev", "staging"] {
        p.promote(stage, "1.4.3");
    }
    let mut remote = std::mem::take(&mut p.remote);
    let mut run = p.start("staging", "1.4.4");
    let pr = run.run_until(&mut remote, None).unwrap().unwrap();
    remote.close_pull_request(pr);
    let err = run.finish(&mut remote).err().expect("the promotion fails");
    assert!(err.contains("closed without being merged"), "{err}");
    p.remote = remote;
    p.refresh();
    p.assert_state(&[("staging", "1.4.3")], "after the request was closed");
}

/// Promoting the same image again changes nothing: git-open-pr opens no
/// request (Skipped), git-wait-for-pr is skipped by its `if`, and
/// argocd-update syncs the head the push pushed, which the stage's branch
/// holds: Healthy, and no person is asked for anything.
#[test]
fn promoting_the_same_image_again_by_pull_request_asks_no_one() {
    let mut p = Pipeline::new(BY_PULL_REQUEST);
    for stage in p.names() {
        p.promote(&stage, "1.4.3");
    }
    let mut remote = std::mem::take(&mut p.remote);
    let mut run = p.start("prod", "1.4.3");
    assert_eq!(run.run_until(&mut remote, None).unwrap(), None);
    let promotion = run.finish(&mut remote).unwrap();
    assert_eq!(
        promotion.argocd_update["apps"][0]["sources"][0]["desiredRevision"].as_str(),
        remote.head("stage/prod")
    );
    p.remote = remote;
    p.synced_by("prod", &promotion.argocd_update);
    p.refresh();
    let want: Vec<(&str, &str)> = vec![("dev", "1.4.3"), ("staging", "1.4.3"), ("prod", "1.4.3")];
    p.assert_state(&want, "after promoting the same image again");
}

/// Without the stage's branch (the plan's prerequisite), git-open-pr fails:
/// it never creates its target (`createTargetBranch` is a no-op).
#[test]
fn a_pull_request_stage_needs_its_branch_first() {
    let p = Pipeline::new(BY_PULL_REQUEST);
    let plan = text(
        &oamc(
            &[
                "plan",
                &format!("fixtures/render/{BY_PULL_REQUEST}/application.yaml"),
            ],
            None,
        )
        .stdout,
    );
    assert!(
        plan.contains("the branches stage/staging, stage/prod in"),
        "{plan}"
    );
    let task = p.task_of("staging");
    let file = task_file(p.stage("staging"), task, &freight(&p.image_repo, "0"));
    let mut remote = Remote::with(
        &source_branch(task),
        [(file, stage_manifest(BY_PULL_REQUEST, None))].into(),
    );
    let err = p
        .start("staging", "1.4.3")
        .finish(&mut remote)
        .err()
        .expect("git-open-pr fails");
    assert!(
        err.contains("target branch \"stage/staging\" does not exist"),
        "{err}"
    );
}
