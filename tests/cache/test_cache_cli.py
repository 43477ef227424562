"""``textls cache build | verify | export`` as a user runs them."""

from __future__ import annotations

import json

import numpy as np

from textls.cache import load_cache
from textls.cli import main


def test_build_verify_export_from_the_command_line(tmp_path, data_csv, capsys):
    out = tmp_path / "cache"
    args = ["cache", "build", "--input", data_csv, "--output", str(out), "--method", "kwls"]
    assert main(args + ["--num-shards", "3", "--num-proc", "2", "--epsilon", "0.2"]) == 0
    assert "cache complete" in capsys.readouterr().out
    assert load_cache(out).manifest["params"]["epsilon"] == 0.2
    assert main(["cache", "verify", str(out), "--input", data_csv]) == 0
    assert "matches the fingerprint" in capsys.readouterr().out
    st = tmp_path / "st.jsonl"
    assert main(["cache", "export", str(out), "--input", data_csv, "--output", str(st)]) == 0
    assert len(st.read_text().splitlines()) == 90
    assert main(args + ["--num-shards", "3", "--epsilon", "0.2"]) == 0
    assert "nothing to do" in capsys.readouterr().out


def test_verify_fails_naming_the_shard(tmp_path, data_csv, capsys):
    out = tmp_path / "cache"
    assert (
        main(["cache", "build", "--input", data_csv, "--output", str(out), "--num-shards", "2"])
        == 0
    )
    shard = out / "shards" / "shard-00001-of-00002.arrow"
    raw = bytearray(shard.read_bytes())
    raw[100] ^= 0xFF
    shard.write_bytes(bytes(raw))
    capsys.readouterr()
    assert main(["cache", "verify", str(out)]) == 1
    assert (
        "shard shards/shard-00001-of-00002.arrow does not match its checksum"
        in capsys.readouterr().err
    )


def test_build_from_a_json_config_and_refuse_other_data(tmp_path, data_csv, capsys):
    config = tmp_path / "build.json"
    out = tmp_path / "cache"
    config.write_text(json.dumps({"input": data_csv, "output": str(out), "method": "ls-classic"}))
    assert main(["cache", "build", str(config)]) == 0
    other = tmp_path / "other.csv"
    other.write_text("text,label\nhello world,a\nbye world,b\n")
    capsys.readouterr()
    assert (
        main(
            [
                "cache",
                "build",
                "--input",
                str(other),
                "--output",
                str(out),
                "--method",
                "ls-classic",
            ]
        )
        == 1
    )
    assert "holds a cache of other data" in capsys.readouterr().err
    assert np.asarray(load_cache(out).soft_labels).shape == (90, 3)


def test_cache_is_listed_and_other_commands_still_parse(capsys):
    assert main(["--help"]) == 0
    assert "cache" in capsys.readouterr().out
    assert main(["cache", "--help"]) == 0
    assert "verify" in capsys.readouterr().out
    assert main(["cache", "nope"]) == 2
