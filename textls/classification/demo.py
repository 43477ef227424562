"""The settings of ``textls demo``: every method on a bundled, naturally long-tailed real corpus,
each model trained to its validation plateau, in about a minute on 2 CPU cores."""

from __future__ import annotations

from pathlib import Path

from textls.experiments.classification.arguments import CompareArguments

#: The bundled corpus the demo runs on (``data/<name>/{train,test}.csv``).
CORPUS = "kjv_chapters"


def find_data_dir(data_dir: str | None = None) -> Path:
    candidates = (
        [Path(data_dir)]
        if data_dir
        else [Path(__file__).resolve().parents[2] / "data", Path.cwd() / "data"]
    )
    for candidate in candidates:
        if (candidate / CORPUS / "train.csv").exists():
            return candidate
    raise FileNotFoundError(
        f"bundled data not found in {[str(c) for c in candidates]}; run from a clone of the "
        "textls repository or pass --data_dir"
    )


def demo_arguments(
    output_dir: str, data_dir: str | None = None, model: str = "fasttext", seeds: int = 3
) -> CompareArguments:
    """Chapters of the King James Bible by the section of the Bible they belong to
    (``data/kjv_chapters``: 951 training and 238 test chapters of ~290 words, 10 classes, 11:1
    imbalance, the test split drawn like the training split), a fastText classifier (on the packaged MiniLM's WordPiece tokens) per
    method and seed, every other option compare's default: each run trains until its validation
    loss stops improving, and predicts under the training data's class prior.

    ``model="minilm"`` fine-tunes the packaged MiniLM instead (its texts cut to 256 tokens):
    about 15 minutes a run on 2 CPU cores.
    """
    root = find_data_dir(data_dir) / CORPUS
    return CompareArguments(
        train=str(root / "train.csv"),
        test=str(root / "test.csv"),
        output_dir=output_dir,
        model=model,
        seeds=seeds,
        max_length=512 if model == "fasttext" else 256,
    )
