"""The options of ``textls compare`` (:class:`CompareArguments`), apart from the code that runs
it, so that ``textls compare --help`` imports neither the models nor the training loop."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from textls.classification.regularizers.registry import REGULARIZERS
from textls.experiments.methods import MethodSpec, parse_methods
from textls.experiments.runner import first_seed_field, seeds_field
from textls.old_flags import renamed_field, take_renamed
from textls.smoothers.registry import SMOOTHERS

#: A run without ``--num_train_epochs`` stops once its validation loss has not improved for this many
#: evaluations (one per epoch) and keeps its best weights (:class:`PlateauStopping`) ...
PATIENCE = 3
#: ... or after this many epochs, whichever comes first.
MAX_EPOCHS = 100.0
#: Its learning rate warms up over this share of one epoch's steps, then stays constant.
PLATEAU_WARMUP = 0.1

#: The values ``--epsilon auto`` tries: around label smoothing's usual 0.1 (Szegedy et al. 2016;
#: Muller et al. 2019 use 0.05 to 0.2) and up to 0.3, where textls's own sweep stops gaining.
EPSILON_GRID = (0.05, 0.1, 0.2, 0.3)


@dataclass
class CompareArguments:
    train: str = field(metadata={"help": "Training data: .csv, .tsv, .jsonl or .parquet."})
    test: str = field(metadata={"help": "Test data with the same columns."})
    output_dir: str = field(
        metadata={
            "help": "The compare's folder: results.json, report.md, predictions/ and figures/ "
            "(each run trains in a temporary folder of its own and saves no checkpoint)."
        }
    )
    text_column: str = field(default="text", metadata={"help": "Column holding the text."})
    label_column: str = field(default="label", metadata={"help": "Column holding the gold label."})
    validation: str | None = field(
        default=None,
        metadata={"help": "Validation data; default: --validation_fraction of the training data."},
    )
    validation_fraction: float = field(
        default=0.1,
        metadata={
            "help": "Stratified share of training data held out for temperature scaling; every "
            "class keeps a training row, so a class with a single row stays out of validation "
            "(a warning names it)."
        },
    )
    methods: str = field(
        default="none,ls-classic,ls-distill,ls-tfidf,kwls",
        metadata={
            "help": "Comma-separated methods: none (hard labels), any of "
            + ", ".join(SMOOTHERS)
            + "; and any of "
            + ", ".join(REGULARIZERS)
            + " alone (on hard labels) or after a soft-label method with a +, e.g. kwls+mixup; "
            "ls-distill@M: LS-Distill taught by this compare's models of method M (listed "
            "earlier, the same seed; M itself has no +), e.g. none,ls-classic,ls-distill@none"
        },
    )
    seeds: int = seeds_field(3)
    seed: int = first_seed_field(
        "model initialisation and batch order; each run's Trainer seed and data_seed"
    )
    model: str = field(
        default="minilm",
        metadata={
            "help": "minilm (packaged all-MiniLM-L6-v2), fasttext, textcnn, or a local HF model folder."
        },
    )
    num_train_epochs: float | None = field(
        default=None,
        metadata={
            "help": "A fixed training length of every run, in epochs (a linear decay after the "
            "warm-up; the last weights). Default: each run trains until its validation loss (the "
            "NLL of the validation split, evaluated every epoch) has not improved for "
            "--early_stopping_patience evaluations, at most --max_epochs, and keeps the weights "
            "of its best evaluation."
        },
    )
    epochs: float | None = renamed_field("num_train_epochs")
    max_epochs: float = field(
        default=MAX_EPOCHS,
        metadata={"help": "The cap on a run's epochs when --num_train_epochs is not given."},
    )
    early_stopping_patience: int = field(
        default=PATIENCE,
        metadata={
            "help": "Evaluations without a lower validation loss before a run stops (when "
            "--num_train_epochs is not given)."
        },
    )
    per_device_train_batch_size: int | None = field(
        default=None,
        metadata={
            "help": "Training examples per device per micro-batch (a step is this times "
            "--gradient_accumulation_steps and devices); default 128 for fasttext, 32 otherwise."
        },
    )
    batch_size: int | None = renamed_field("per_device_train_batch_size")
    per_device_eval_batch_size: int | None = field(
        default=None,
        metadata={
            "help": "Validation and test examples per device per forward pass; default the "
            "training batch size, at least 64."
        },
    )
    gradient_accumulation_steps: int = field(
        default=1, metadata={"help": "Micro-batches per optimiser step."}
    )
    learning_rate: float | None = field(
        default=None,
        metadata={
            "help": "AdamW learning rate (peak, after the warm-up); default the model family's: "
            "5e-5 (transformer), 1e-3 (textcnn), and for fasttext one that suits the training "
            "batch size (5e-3 below 128, 7e-3 from 128, 1e-2 from 256, 2e-2 from 512)."
        },
    )
    max_length: int = field(default=64, metadata={"help": "Tokens per text after truncation."})
    epsilon: str = field(
        default="0.1",
        metadata={
            "help": "Smoothing mass of every method, or auto: each soft-label method's from "
            + ", ".join(map(str, EPSILON_GRID))
            + " by the validation NLL of one run (the first seed) per value without a regularizer (never "
            "the test split); methods built on it (kwls+mixup) share the choice."
        },
    )
    test_distribution: str = field(
        default="train",
        metadata={
            "help": "Which class distribution the test data follows, so every model predicts "
            "under it (the logits shifted by log(test prior / the prior of the model's training "
            "targets)): train (drawn like the training data, as a random test split is) or "
            "balanced (every class equally likely). The validation data is taken to follow the "
            "training data."
        },
    )
    loss_mode: str = field(
        default="soft",
        metadata={
            "help": "soft: CE to the soft label; auxiliary: (1-lam) CE(hard) + lam CE(soft)."
        },
    )
    lam: float = field(
        default=0.5, metadata={"help": "Soft-target weight for loss_mode=auxiliary."}
    )
    regularizer_weights: str | None = field(
        default=None,
        metadata={
            "help": "JSON {regularizer: weight}: beta of confidence-penalty (default 0.1), "
            "bootstrap-soft (0.95) and bootstrap-hard (0.8), alpha of mixup (0.2)."
        },
    )
    smoother_params: str | None = field(
        default=None,
        metadata={
            "help": 'JSON {method: {param: value}}, e.g. \'{"kwls": {"class_top_k": 100}}\'.'
        },
    )
    soft_label_files: str | None = field(
        default=None,
        metadata={
            "help": "JSON {method: path} of soft labels for --train: a file written by `textls smooth` "
            "or a cache folder from `textls cache build` (checked against the data's fingerprint)."
        },
    )
    max_train_samples: int | None = field(
        default=None,
        metadata={
            "help": "Stratified subsample of the training data; keeps at least one row of every "
            "class (a warning names classes whose share is below one row)."
        },
    )
    max_test_samples: int | None = field(
        default=None,
        metadata={
            "help": "Stratified subsample of the test data; keeps at least one row of every class "
            "the test data has (a warning names classes whose share is below one row)."
        },
    )
    imbalance_ratio: float | None = field(
        default=None,
        metadata={
            "help": "Long-tailed training subsample: class sizes decay geometrically to "
            "largest/ratio, from the largest base every class can supply; each class keeps a row."
        },
    )
    label_noise: float = field(
        default=0.0,
        metadata={
            "help": "Share of training labels flipped to another class at random (validation and "
            "test stay clean); every class keeps at least one row with its own label."
        },
    )
    bf16: bool = field(default=False, metadata={"help": "bf16 mixed precision (GPU)."})
    data_seed: int = field(
        default=0,
        metadata={
            "help": "Seed of the data subsampling, label noise and validation split, shared by "
            "every run (each run's Trainer data_seed, its batch order, is its --seed)."
        },
    )

    #: JSON types a config may give a field parsed from a string (``"epsilon": 0.1`` or "auto").
    JSON_TYPES: ClassVar[dict] = {"epsilon": (float, str)}

    def __post_init__(self):
        """Take the old spellings, and parse ``--epsilon`` and ``--methods`` (into
        :attr:`specs`, what everything downstream reads), refusing a bad one when the arguments
        are built."""
        take_renamed(self)
        self.epsilon = parse_epsilon(self.epsilon)
        self.specs  # noqa: B018 - parsed now, so a bad --methods fails here

    @property
    def specs(self) -> tuple[MethodSpec, ...]:
        """``--methods``, parsed and checked (:func:`~textls.experiments.methods.parse_methods`)."""
        return parse_methods(self.methods)


def parse_epsilon(value) -> float | str:
    """``--epsilon``: a number in [0, 1] (a string from the command line, or a number), or
    ``"auto"``; anything else is a ``ValueError`` naming the option."""
    if isinstance(value, str) and value.strip().lower() == "auto":
        return "auto"
    try:
        epsilon = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"--epsilon must be a number in [0, 1] or auto, got {value!r}") from None
    if not 0.0 <= epsilon <= 1.0:
        raise ValueError(f"--epsilon must be a number in [0, 1] or auto, got {value!r}")
    return epsilon
