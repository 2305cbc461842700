#!/usr/bin/env python3
"""What a test run cost: the slowest tests and the totals, from the JUnit
reports cargo-nextest writes (.config/nextest.toml).

    scripts/test-report.py [--slowest N] [--totals-only] REPORT.xml [REPORT.xml ...]

Prints the N slowest tests (default 15) of all the reports together, then one
line `tests: P passed, F failed, S skipped` over all of them. A report that is
missing or holds no test is an error: a run that tested nothing must not read
as a pass.
"""
import argparse
import sys
import xml.etree.ElementTree as ET


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--slowest", type=int, default=15)
    parser.add_argument("--totals-only", action="store_true")
    parser.add_argument("reports", nargs="+")
    args = parser.parse_args()

    cases = []
    for report in args.reports:
        try:
            root = ET.parse(report).getroot()
        except (OSError, ET.ParseError) as e:
            print(f"test-report: {report}: {e}", file=sys.stderr)
            return 1
        found = list(root.iter("testcase"))
        if not found:
            print(f"test-report: {report} holds no test", file=sys.stderr)
            return 1
        for case in found:
            if case.find("skipped") is not None:
                outcome = "skipped"
            elif case.find("failure") is not None or case.find("error") is not None:
                outcome = "failed"
            else:
                outcome = "passed"
            name = f"{case.get('classname', '')} {case.get('name', '')}".strip()
            cases.append((float(case.get("time") or 0), name, outcome))

    if not args.totals_only:
        ran = sorted((c for c in cases if c[2] != "skipped"), reverse=True)
        print(f"slowest {min(args.slowest, len(ran))} of {len(ran)} tests:")
        for seconds, name, outcome in ran[: args.slowest]:
            mark = "" if outcome == "passed" else f"  ({outcome})"
            print(f"  {seconds:8.1f} s  {name}{mark}")
    count = {o: sum(1 for c in cases if c[2] == o) for o in ("passed", "failed", "skipped")}
    print(f"tests: {count['passed']} passed, {count['failed']} failed, {count['skipped']} skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
