"""docs/threat-model.md names the tests that prove each control: every `tests/…py::name` in
it must be a test that exists (a renamed or removed test would leave the claim unproven)."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).parent.parent
DOC = ROOT / "docs" / "threat-model.md"
REFERENCE = re.compile(r"`(tests/[\w/]+\.py)(?:::(\w+))?`")


def _tests_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test")
    }


def test_every_test_the_threat_model_names_exists():
    references = REFERENCE.findall(DOC.read_text(encoding="utf-8"))
    assert len(references) > 50
    missing = []
    for file, name in references:
        path = ROOT / file
        if not path.is_file() or (name and name not in _tests_in(path)):
            missing.append(f"{file}::{name}" if name else file)
    assert missing == []


def test_every_requirement_and_attacker_has_a_row():
    text = DOC.read_text(encoding="utf-8")
    for n in range(1, 17):
        assert re.search(rf"^\| R{n} \|", text, re.MULTILINE), f"R{n}"
    for attacker in (
        "A curious fellow student",
        "A trainer of another student",
        "A stolen laptop",
        "A database dump",
        "A backup tape",
        "A malicious upload",
    ):
        assert f"| {attacker}" in text, attacker
