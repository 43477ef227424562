"""What :meth:`KeywordSmoother.explain <textls.smoothers.kwls.KeywordSmoother.explain>` returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar


@dataclass
class Explanation:
    """Why KWLS gave a text its soft label: its keywords and what each contributed to each class."""

    text: str
    keywords: list[tuple[str, float]]
    relevance: dict
    contributions: dict = field(repr=False)
    soft_label: dict | None = None
    label: object = None

    #: How much ``str()`` shows: the text's strongest keywords and its most relevant classes (the
    #: gold class always); the dataclass keeps everything.
    max_keywords: ClassVar[int] = 12
    max_classes: ClassVar[int] = 8

    def __str__(self) -> str:
        lines = [f"text: {self.text!r}"]
        shown = ", ".join(f"{t} ({w:.2f})" for t, w in self.keywords[: self.max_keywords])
        more = len(self.keywords) - self.max_keywords
        lines.append(
            "keywords: "
            + (shown or "(none in vocabulary)")
            + (f", ... (+{more})" if more > 0 else "")
        )
        ranked = sorted(self.relevance.items(), key=lambda kv: -kv[1])
        top = ranked[: self.max_classes]
        top += [kv for kv in ranked[self.max_classes :] if kv[0] == self.label]
        for cls, p in top:
            why = ", ".join(
                f"{term}" + (f"~{kw}" if kw != term else "") + f" {c:.3f}"
                for term, kw, c in self.contributions.get(cls, [])
            )
            gold = " (gold)" if cls == self.label else ""
            soft = f"  soft {self.soft_label[cls]:.3f}" if self.soft_label is not None else ""
            lines.append(f"  {cls!s:>20}{gold}: relevance {p:.3f}{soft}  <- {why or '-'}")
        if len(ranked) > len(top):
            lines.append(f"  ... {len(ranked) - len(top)} less relevant classes")
        return "\n".join(lines)
