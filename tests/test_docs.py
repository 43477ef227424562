"""The documentation cannot go stale where a test can see it: the Layout page names every module
and package under ``textls/`` (and nothing else), each API reference page documents exactly its
package's ``__all__``, and every page is in the site's navigation."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PACKAGE = ROOT / "textls"


def _modules_on_disk() -> set[str]:
    """Every module and package under textls/, as a path relative to the repository root."""
    found = set()
    for path in PACKAGE.rglob("*"):
        if "__pycache__" in path.parts or path.name == "__init__.py":
            continue
        if path.is_dir():
            found.add(path.relative_to(ROOT).as_posix() + "/")
        elif path.suffix == ".py":
            found.add(path.relative_to(ROOT).as_posix())
    return found


def _modules_on_layout_page() -> set[str]:
    """The files and folders the Layout page's tables name under each ``## `textls/...`` heading."""
    named, folder = set(), None
    for line in (DOCS / "layout.md").read_text().splitlines():
        heading = re.fullmatch(r"## `(textls/[\w/]*)`", line)
        if heading:
            folder = heading.group(1)
        elif line.startswith("## "):
            folder = None
        elif folder and line.startswith("| `"):
            name = re.match(r"\| `([\w.]+/?)`", line).group(1)
            named.add(folder + name)
    return named


def test_layout_page_names_every_module_and_nothing_else():
    on_disk, on_page = _modules_on_disk(), _modules_on_layout_page()
    assert sorted(on_disk - on_page) == [], "modules missing from docs/layout.md"
    assert sorted(on_page - on_disk) == [], "docs/layout.md names files that do not exist"


def test_layout_page_paths_around_the_package_exist():
    text = (DOCS / "layout.md").read_text().split("## Around the package", 1)[1]
    for name in re.findall(r"^\| `([\w./]+)`", text, flags=re.MULTILINE):
        assert (ROOT / name).exists(), name


API_PAGES = {
    "textls.smoothers": "smoothers",
    "textls.losses": "losses",
    "textls.classification": "classification",
    "textls.retrieval": "retrieval",
    "textls.cache": "cache",
    "textls.calibration": "calibration",
    "textls.metrics": "metrics",
    "textls.keywords": "keywords",
    "textls.experiments": "experiments",
}


def _documented(page: str) -> list[str]:
    """The objects a page renders with mkdocstrings (``::: dotted.path``), its first (the package
    docstring) left out."""
    return re.findall(r"^::: ([\w.]+)$", (DOCS / "api" / f"{page}.md").read_text(), re.M)[1:]


@pytest.mark.parametrize("package, page", API_PAGES.items())
def test_api_page_documents_the_public_names(package, page):
    module = importlib.import_module(package)
    documented = _documented(page)
    assert sorted(path.rsplit(".", 1)[1] for path in documented) == sorted(module.__all__)
    for path in documented:  # each path names the object the package exports
        owner, name = path.rsplit(".", 1)
        owner_module = importlib.import_module(owner)
        assert getattr(owner_module, name) is getattr(module, name), path
        # in the module that defines it: mkdocstrings reads source, and a package's __init__
        # only lists names for lazy_exports
        assert not hasattr(owner_module, "__path__"), f"{path}: name the module, not the package"


def test_top_level_api_page_covers_what_the_subpackages_do_not():
    import textls

    elsewhere = {
        n
        for p in ("smoothers", "losses", "keywords")
        for n in importlib.import_module(f"textls.{p}").__all__
    }
    on_page = {path.rsplit(".", 1)[1] for path in _documented("textls")}
    assert sorted(set(textls.__all__) - elsewhere) == sorted(on_page)


def _nav_pages(nav) -> set[str]:
    pages = set()
    for entry in nav:
        for value in entry.values() if isinstance(entry, dict) else [entry]:
            pages |= _nav_pages(value) if isinstance(value, list) else {value}
    return pages


def test_every_page_is_in_the_navigation():
    config = yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=yaml.BaseLoader)
    pages = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")}
    assert pages == _nav_pages(config["nav"])
