"""The clone must work on case-insensitive file systems (macOS, Windows): no two tracked paths
may differ only by case. `make test` runs scripts/check-case-collisions.py first; this checks
that the checker itself catches a collision (so its green on the real tree means something)."""
import subprocess
import sys

from helpers import REPO

CHECKER = REPO / "scripts" / "check-case-collisions.py"


def run_checker(*args, stdin=None):
    return subprocess.run([sys.executable, str(CHECKER), *args], input=stdin, capture_output=True,
                          text=True, cwd=REPO)


def test_the_checker_reports_folders_and_files_that_differ_only_by_case():
    listing = "tests/a.py\nTests/b.swift\nSources/X.swift\nsources/y.swift\nREADME.md\nreadme.md\nok/file\n"
    result = run_checker("--stdin", stdin=listing)
    assert result.returncode == 1
    assert "Tests, tests" in result.stdout
    assert "Sources, sources" in result.stdout
    assert "README.md, readme.md" in result.stdout
    assert "ok" not in result.stdout


def test_no_tracked_paths_collide():
    result = run_checker()
    assert result.returncode == 0, result.stdout
