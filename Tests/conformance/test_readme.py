"""README's pytest example runs as written, against a server of its own (only the endpoint's
port is changed), so the documented use of the test-double endpoints stays true."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_block(after: str) -> str:
    text = README.read_text()
    start = text.index(after)
    m = re.compile(r"```python\n(.*?)```", re.S).search(text, start)
    assert m, f"no python block after {after!r} in README"
    return m.group(1)


def test_readme_pytest_example_passes(fresh_server, tmp_path):
    srv = fresh_server()
    code = readme_block("**In a pytest suite**")
    assert 'MOCK = "http://127.0.0.1:9901"' in code
    suite = tmp_path / "test_readme_example.py"
    suite.write_text(code.replace("http://127.0.0.1:9901", srv.endpoint))
    p = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(suite)],
                       capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "3 passed" in p.stdout, p.stdout
