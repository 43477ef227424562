"""The one dispatcher behind ``textls``, ``textls retrieval`` and ``textls cache``."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from textls import __version__
from textls._cli import Command, Group, dispatch


@dataclass
class EchoArguments:
    target: str = field(metadata={"help": "What to echo."})
    times: int = field(default=1, metadata={"help": "How often."})


def echo(args: EchoArguments) -> None:
    if args.times < 1:
        raise ValueError(f"--times must be at least 1, got {args.times}")
    print(" ".join([args.target] * args.times))


INNER = {"echo": Command("Echo a target.", EchoArguments, echo, positional="--target")}
TABLE = {
    "echo": Command("Echo a target.", EchoArguments, f"{__name__}:echo"),
    "inner": Group("Commands of their own.", f"{__name__}:INNER"),
}


def test_usage_lists_the_commands_and_exits_2_without_one(capsys):
    assert dispatch("tool", TABLE, [], noun="command", title="tool 1.0") == 2
    out = capsys.readouterr().out
    assert out.startswith("tool 1.0\n\nusage: tool COMMAND")
    assert "echo" in out and "Commands of their own." in out
    assert dispatch("tool", TABLE, ["--help"]) == 0


def test_version_and_unknown_names(capsys):
    assert dispatch("tool", TABLE, ["--version"]) == 0
    assert capsys.readouterr().out.strip() == __version__
    assert dispatch("tool", TABLE, ["nope"], noun="command") == 2
    assert "tool: unknown command 'nope'; commands: echo, inner" in capsys.readouterr().err
    assert dispatch("tool", TABLE, ["inner", "nope"]) == 2
    assert "tool inner: unknown subcommand 'nope'" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [["echo", "--target", "hi", "--times", "2"], ["inner", "echo", "hi", "--times", "2"]],
)
def test_flags_a_group_and_a_positional_run_the_command(capsys, argv):
    assert dispatch("tool", TABLE, argv) == 0
    assert capsys.readouterr().out == "hi hi\n"


def test_a_json_config_and_a_user_error(tmp_path, capsys):
    config = tmp_path / "echo.json"
    config.write_text('{"target": "hi", "times": 0}')
    assert dispatch("tool", TABLE, ["echo", str(config)]) == 1
    assert "tool echo: error: --times must be at least 1, got 0" in capsys.readouterr().err
