#!/usr/bin/env python3
"""Refuse to publish under a PyPI name that belongs to someone else.

    scripts/check-pypi-name.py NAME REPOSITORY_URL

Asks the package index (through pip, as configured: PIP_INDEX_URL,
PIP_FIND_LINKS, PIP_NO_INDEX) for any release of NAME. None: the name is free
and the first upload claims it. Some: its metadata must name REPOSITORY_URL
(Home-page or a Project-URL), or this exits 1 before anything is published.
"""
import email.parser
import pathlib
import subprocess
import sys
import tempfile
import zipfile
import tarfile


def metadata(path: pathlib.Path) -> str:
    if path.suffix == ".whl":
        with zipfile.ZipFile(path) as z:
            name = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
            return z.read(name).decode()
    with tarfile.open(path) as t:
        member = next(m for m in t.getmembers() if m.name.endswith("/PKG-INFO"))
        return t.extractfile(member).read().decode()


def main() -> int:
    name, repository = sys.argv[1], sys.argv[2].rstrip("/")
    with tempfile.TemporaryDirectory() as tmp:
        pip = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--ignore-requires-python",
             "--disable-pip-version-check", "--quiet", "--dest", tmp, name],
            capture_output=True, text=True)
        files = sorted(pathlib.Path(tmp).iterdir())
        if pip.returncode != 0 or not files:
            if "No matching distribution" in pip.stderr or "from versions: none" in pip.stderr:
                print(f"{name}: no release on the index; the first upload claims the name")
                return 0
            print(f"{name}: cannot ask the index:\n{pip.stderr}", file=sys.stderr)
            return 1
        meta = email.parser.Parser().parsestr(metadata(files[0]))
        urls = [meta.get("Home-page", "")] + [u.split(",", 1)[-1].strip() for u in meta.get_all("Project-URL", [])]
        if any(u.rstrip("/") == repository for u in urls):
            print(f"{name}: ours ({files[0].name} names {repository})")
            return 0
        print(f"{name}: the name belongs to another project ({meta.get('Summary', '?')!r}, "
              f"{files[0].name}, URLs {urls}); publish under another name", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
