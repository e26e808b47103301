"""The README's Python quickstart must run as written."""

from __future__ import annotations

import re

from .conftest import REPO


def test_readme_quickstart_runs(capsys) -> None:  # type: ignore[no-untyped-def]
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```python\n(.*?)```", text, re.S)
    assert block, "README has no python block"
    exec(compile(block.group(1), "README.md", "exec"), {})
    assert "extramedullary hematopoiesis" in capsys.readouterr().out
