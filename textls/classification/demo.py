"""The settings of ``textls demo``: compare all methods on bundled real tweets in under 10 CPU minutes."""

from __future__ import annotations

from pathlib import Path

from textls.classification.compare import CompareArguments


def find_data_dir(data_dir: str | None = None) -> Path:
    candidates = (
        [Path(data_dir)]
        if data_dir
        else [Path(__file__).resolve().parents[2] / "data", Path.cwd() / "data"]
    )
    for candidate in candidates:
        if (candidate / "sentiment" / "train.csv").exists():
            return candidate
    raise FileNotFoundError(
        f"bundled data not found in {[str(c) for c in candidates]}; run from a clone of the textls repository "
        "or pass --data-dir"
    )


def demo_arguments(
    output_dir: str, data_dir: str | None = None, model: str = "minilm", seeds: int = 3
) -> CompareArguments:
    """Crowd-labelled tweet sentiment (negative / neutral / positive; data/sentiment): 540 training
    tweets, 200 for validation (temperature scaling needs more than a handful), 600 test tweets.

    The sizes keep 5 methods x 3 seeds of MiniLM fine-tuning under 10 minutes on 2 CPU cores; the
    learning rate is raised to 1e-4 because so few steps at 5e-5 leave MiniLM under-trained.  The
    labels are noisy (crowd work), the setting where smoothing is claimed to help.
    """
    root = find_data_dir(data_dir) / "sentiment"
    return CompareArguments(
        train=str(root / "train.csv"),
        test=str(root / "test.csv"),
        output_dir=output_dir,
        model=model,
        seeds=seeds,
        max_train_samples=740,  # 540 train + 200 validation
        validation_fraction=200 / 740,
        max_test_samples=600,
        epochs=2.0,
        batch_size=16,
        learning_rate=1e-4 if model == "minilm" else None,
        max_length=48,
    )
