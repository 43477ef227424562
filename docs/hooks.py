"""mkdocs hook: serve the benchmark results (``scripts/results/*.json`` and ``*.png``) at
``results/`` on the documentation site, where ``docs/results.md`` links them.

The Results page is generated from those files by ``scripts/render_results.py``; serving them from
where the benchmarks write them keeps one copy of each in the repository.
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.structure.files import File

RESULTS = Path(__file__).resolve().parents[1] / "scripts" / "results"


def on_files(files, config):
    for path in sorted(RESULTS.glob("*")):
        if path.suffix in (".json", ".png"):
            files.append(File.generated(config, f"results/{path.name}", abs_src_path=str(path)))
    return files
