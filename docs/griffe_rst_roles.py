"""griffe extension for the API reference: textls's numpydoc docstrings write Sphinx roles
(``:class:`~textls.cache.CacheError```, ``:math:`y_{kt}```); mkdocstrings renders Markdown, so
show each role's target as inline code instead of the role's raw text."""

from __future__ import annotations

import re

import griffe

# :role:`~a.b.C` -> `C`, :role:`a.b.C` -> `a.b.C`, :role:`text <target>` -> `text`
ROLE = re.compile(r":(?:class|func|meth|mod|attr|data|exc|obj|math):`(~?)([^`<]+?)(?:\s*<[^>]+>)?`")


def _inline(match: re.Match) -> str:
    short, target = match.groups()
    return f"`{target.rsplit('.', 1)[-1] if short else target}`"


class RstRoles(griffe.Extension):
    def on_instance(self, *, obj, **kwargs) -> None:
        if obj.docstring is not None:
            obj.docstring.value = ROLE.sub(_inline, obj.docstring.value)
