"""The README's examples run as written: every ```python block is executed from the repository
root, and every ``textls`` command its shell blocks name exists (``--help`` exits 0)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
# Blocks that load the packaged MiniLM take seconds to a minute on a busy CPU.
SLOW_BLOCK = re.compile(r"get_model_path|SoftLabelTrainer\(")
SUBCOMMAND = re.compile(r"[a-z][a-z-]*")


def fenced_blocks(text: str) -> list[tuple[int, str, str]]:
    """``(line of the opening fence, language, code)`` of every fenced block."""
    blocks, start, language, lines = [], None, "", []
    for number, line in enumerate(text.splitlines(), 1):
        fence = line.strip()
        if start is None:
            if fence.startswith("```"):
                start, language, lines = number, fence[3:].strip(), []
        elif fence == "```":
            blocks.append((start, language, "\n".join(lines)))
            start = None
        else:
            lines.append(line)
    assert start is None, f"README.md line {start}: a fenced block is never closed"
    return blocks


TEXT = README.read_text(encoding="utf-8")
BLOCKS = fenced_blocks(TEXT)
PYTHON_BLOCKS = [(line, code) for line, language, code in BLOCKS if language == "python"]


def test_readme_has_its_python_examples():
    assert len(PYTHON_BLOCKS) >= 4


@pytest.mark.parametrize(
    "line, code",
    [
        pytest.param(
            line,
            code,
            id=f"README.md:{line}",
            marks=[pytest.mark.slow] if SLOW_BLOCK.search(code) else [],
        )
        for line, code in PYTHON_BLOCKS
    ],
)
def test_python_block_runs_as_written(line, code, monkeypatch):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    # Padding puts the block at its own lines, so a traceback names the README line that failed.
    program = compile("\n" * line + code, str(README), "exec")
    try:
        exec(program, {"__name__": "__main__"})
    except Exception as exc:
        raise AssertionError(
            f"the ```python block at README.md line {line} failed: {exc!r}"
        ) from exc


def readme_commands() -> list[tuple[str, ...]]:
    """The ``textls`` (sub)commands named in the README's shell and usage blocks."""
    commands = set()
    for _, language, code in BLOCKS:
        if language not in ("bash", ""):
            continue
        for line in code.splitlines():
            for shell_command in re.split(r"&&|;", line.split("#")[0]):
                words = shell_command.split()
                if not words or words[0] != "textls":
                    continue
                names = []
                for word in words[1:]:
                    if not SUBCOMMAND.fullmatch(word):
                        break
                    names.append(word)
                commands.add(tuple(names))
    return sorted(commands)


@pytest.mark.parametrize(
    "command", readme_commands(), ids=lambda command: " ".join(("textls", *command))
)
def test_readme_command_exists(command, capsys):
    from textls.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main([*command, "--help"])
    assert exit_info.value.code in (0, None), f"`textls {' '.join(command)} --help` failed"
    assert "usage:" in capsys.readouterr().out
