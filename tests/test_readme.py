"""The README's and the documentation's examples run as written: every ```python block of
README.md and docs/**/*.md is executed from the repository root (a block that appears in several
pages runs once), and every ``textls`` command their shell blocks name exists (``--help`` exits 0)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").rglob("*.md"))]
# Blocks that load the packaged MiniLM take seconds to a minute on a busy CPU.
SLOW_BLOCK = re.compile(r"get_model_path|SoftLabelTrainer\(")
SUBCOMMAND = re.compile(r"[a-z][a-z-]*")


def fenced_blocks(text: str, name: str = "README.md") -> list[tuple[int, str, str]]:
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
    assert start is None, f"{name} line {start}: a fenced block is never closed"
    return blocks


def _relative(page: Path) -> str:
    return page.relative_to(ROOT).as_posix()


#: ``(page, line, language, code)`` of every fenced block of every page.
BLOCKS = [
    (page, line, language, code)
    for page in PAGES
    for line, language, code in fenced_blocks(page.read_text(encoding="utf-8"), _relative(page))
]
#: Each distinct python block once, where it first appears (README first).
_FIRST: dict[str, tuple[Path, int, str]] = {}
for _page, _line, _language, _code in BLOCKS:
    if _language == "python":
        _FIRST.setdefault(_code, (_page, _line, _code))
PYTHON_BLOCKS = list(_FIRST.values())


def test_readme_has_its_python_examples():
    assert sum(page == README for page, _, _ in PYTHON_BLOCKS) >= 4


@pytest.mark.parametrize(
    "page, line, code",
    [
        pytest.param(
            page,
            line,
            code,
            id=f"{_relative(page)}:{line}",
            marks=[pytest.mark.slow] if SLOW_BLOCK.search(code) else [],
        )
        for page, line, code in PYTHON_BLOCKS
    ],
)
def test_python_block_runs_as_written(page, line, code, monkeypatch):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    # Padding puts the block at its own lines, so a traceback names the page line that failed.
    program = compile("\n" * line + code, str(page), "exec")
    try:
        exec(program, {"__name__": "__main__"})
    except Exception as exc:
        raise AssertionError(
            f"the ```python block at {_relative(page)} line {line} failed: {exc!r}"
        ) from exc


def documented_commands() -> list[tuple[str, ...]]:
    """The ``textls`` (sub)commands named in the shell and usage blocks of every page."""
    commands = set()
    for _, _, language, code in BLOCKS:
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
    "command", documented_commands(), ids=lambda command: " ".join(("textls", *command))
)
def test_documented_command_exists(command, capsys):
    from textls.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main([*command, "--help"])
    assert exit_info.value.code in (0, None), f"`textls {' '.join(command)} --help` failed"
    assert "usage:" in capsys.readouterr().out
