"""A clean clone has nothing beside it: no file the repository tracks may point outside it."""

from __future__ import annotations

import subprocess

from tests.conftest import REPO

# Spelled in two parts so that this file does not match itself.
OUTSIDE = (".." + "/shared", "/work" + "/shared")


def test_no_tracked_file_points_outside_the_repository() -> None:
    files = (
        subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True)
        .stdout.decode()
        .split("\0")
    )
    offenders = []
    for name in filter(None, files):
        path = REPO / name
        if name.endswith("package-lock.json") or not path.is_file():
            continue
        text = path.read_bytes().decode("utf-8", errors="ignore")
        offenders += [f"{name}: {marker}" for marker in OUTSIDE if marker in text]
    assert offenders == []
