#!/usr/bin/env python3
"""Fails when two tracked paths differ only by case.

macOS and Windows file systems are case-insensitive by default: there `Tests/` and `tests/`
are one folder, and a clone shows changes nobody made. `make test` runs this first.

    scripts/check-case-collisions.py                  # the paths `git ls-files` lists
    scripts/check-case-collisions.py --stdin < LIST   # one path a line (used by its own test)
"""
import subprocess
import sys
from collections import defaultdict


def collisions(paths):
    """Groups of distinct paths (files or the folders above them) equal but for case."""
    seen = defaultdict(set)
    for path in paths:
        parts = path.strip().split("/")
        for i in range(1, len(parts) + 1):
            prefix = "/".join(parts[:i])
            if prefix:
                seen[prefix.lower()].add(prefix)
    return sorted(sorted(group) for group in seen.values() if len(group) > 1)


def main():
    if sys.argv[1:] == ["--stdin"]:
        paths = sys.stdin.read().splitlines()
    else:
        out = subprocess.run(["git", "ls-files"], capture_output=True, text=True, check=True).stdout
        paths = out.splitlines()
    found = collisions(paths)
    for group in found:
        print("paths that differ only by case (one path on macOS and Windows): " + ", ".join(group))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
