"""The README's Python examples run as written, and its two commands are there
(.ci/run runs the second one as written)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_python_examples_run():
    blocks = re.findall(r"```python\n(.*?)```", README, re.S)
    assert blocks, "the README has no Python example"
    namespace: dict = {}
    exec(compile("\n".join(blocks), "README.md", "exec"), namespace)
    # The example trains 20 epochs of the digits MLP: far above chance (0.1).
    assert namespace["accuracy"] > 0.9


def test_two_commands_install_and_run():
    commands = re.findall(r"```\n(python3 -m venv .*?)\n```", README)
    assert len(commands) == 2, "the README must give exactly two commands"
    assert commands[0].endswith("adamlab train --task digits --optimizer adam")
    assert '".[test]"' in commands[1] and "pytest" in commands[1]
    assert "README.md" in (ROOT / ".ci" / "run").read_text()
