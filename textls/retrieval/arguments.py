"""The options of ``textls retrieval train`` and ``textls retrieval compare``'s training runs, apart
from the code that trains, so that their ``--help`` imports neither torch nor transformers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from textls._utils import check_fraction, check_positive_finite, check_whole
from textls.old_flags import renamed_field, take_renamed

#: The candidate soft targets a dual encoder trains on (:mod:`textls.retrieval.soft_targets`).
METHODS = ("ls-classic", "ls-tfidf", "kwls", "ls-distill", "guided")
#: Where ``guided`` targets look for suspects: ``"mined"``, only among the hard negatives mined
#: for the anchor's query; ``"all"``, among every candidate of the batch (GISTEmbed's rule).
SUSPECTS = ("mined", "all")


@dataclass
class RetrievalOptions:
    """The training options ``textls retrieval train`` and ``textls retrieval compare`` share;
    every other ``TrainingArguments`` option passes through (:mod:`textls.training_args`).  The
    Trainer's own (``num_train_epochs``, ``per_device_train_batch_size``, ``learning_rate``,
    ``bf16``, ``data_seed``) keep its names; a ``None`` is "not given", filled with textls's
    default once the old spellings are taken (:func:`~textls.old_flags.take_renamed`)."""

    #: textls's defaults of the Trainer fields the user did not give.
    DEFAULTS: ClassVar[dict] = {"num_train_epochs": 1.0, "per_device_train_batch_size": 32}

    model: str = field(
        default="minilm",
        metadata={
            "help": "Start model: minilm (packaged), an HF folder, or a saved textls encoder."
        },
    )
    epsilon: float = field(default=0.1, metadata={"help": "Smoothing mass over the candidates."})
    soft_temperature: float = field(
        default=0.05, metadata={"help": "Temperature of the lexical relevance softmax."}
    )
    temperature: float = field(
        default=0.05, metadata={"help": "Temperature tau of the contrastive softmax."}
    )
    hard_negatives: str | None = field(
        default="bm25",
        metadata={
            "help": "'bm25' to mine lexical hard negatives, a JSONL file (query_id, neg_ids), or 'none'."
        },
    )
    negatives_per_query: int = field(
        default=1, metadata={"help": "Hard negatives per query in each batch."}
    )
    teacher_scores: str | None = field(
        default=None,
        metadata={"help": "ls-distill: JSONL of teacher scores (default teacher: BM25)."},
    )
    suspect_quantile: float | None = field(
        default=None,
        metadata={
            "help": "guided: a candidate the start model scores above the labelled positive is "
            "left out of the softmax only when that score is also at least this quantile of the "
            "start model's scores on the labelled pairs; 0 leaves out every such candidate "
            "(GISTEmbed's rule); default the median (0.5)."
        },
    )
    suspects: str | None = field(
        default=None,
        metadata={
            "help": "guided: which candidates can be left out: 'mined', only the hard negatives "
            "mined for the query (default), or 'all', every in-batch candidate (GISTEmbed's rule)."
        },
    )
    num_train_epochs: float | None = field(
        default=None, metadata={"help": "Training epochs of every run; default 1."}
    )
    epochs: float | None = renamed_field("num_train_epochs")
    per_device_train_batch_size: int | None = field(
        default=None,
        metadata={
            "help": "Queries per device per step (each with its positive and hard negatives; "
            "the other queries' passages are its in-batch negatives); default 32."
        },
    )
    batch_size: int | None = renamed_field("per_device_train_batch_size")
    mini_batch_size: int | None = field(
        default=None,
        metadata={
            "help": "GradCache: embed and back-propagate this many texts at a time (memory of a "
            "mini-batch, same loss and gradients); needs sentence-transformers>=6.0."
        },
    )
    learning_rate: float = field(default=2e-5, metadata={"help": "AdamW learning rate."})
    query_max_length: int = field(default=32, metadata={"help": "Query tokens."})
    passage_max_length: int = field(default=128, metadata={"help": "Passage tokens."})
    max_train_queries: int | None = field(
        default=None, metadata={"help": "Use only the first N training pairs."}
    )
    bf16: bool = field(default=False, metadata={"help": "bf16 mixed precision (GPU)."})
    data_seed: int | None = field(
        default=None,
        metadata={
            "help": "Seed of the batch order (the Trainer's data_seed) of every run; default the "
            "run's seed."
        },
    )

    def __post_init__(self):
        """Take the old spellings, fill in the defaults of what the user did not give, and refuse
        a bad option when the arguments are parsed, naming its flag: this command has two
        temperatures, so a message naming only "temperature" would point at either."""
        take_renamed(self)
        for option, default in self.DEFAULTS.items():
            if getattr(self, option) is None:
                setattr(self, option, default)
        for option in ("soft_temperature", "temperature", "num_train_epochs", "learning_rate"):
            check_positive_finite(getattr(self, option), f"--{option}")
        check_fraction(self.epsilon, "--epsilon")
        if self.suspect_quantile is not None:
            check_fraction(self.suspect_quantile, "--suspect_quantile")
        if self.suspects not in (None, *SUSPECTS):
            raise ValueError(f"--suspects must be one of {SUSPECTS}, got {self.suspects!r}")
        counts = {
            "per_device_train_batch_size": 1,
            "query_max_length": 1,
            "passage_max_length": 1,
            "negatives_per_query": 0,
            "mini_batch_size": 1,
            "max_train_queries": 1,
            "data_seed": 0,
        }
        for option, least in counts.items():
            value = getattr(self, option)
            if value is None and option in ("mini_batch_size", "max_train_queries", "data_seed"):
                continue
            check_whole(value, f"--{option}", least)


@dataclass
class BeirFolders:
    """The folders of ``textls retrieval train`` (and ``compare``, whose ``output_dir`` says what
    it writes)."""

    data_dir: str = field(
        metadata={"help": "BEIR folder: corpus.jsonl, queries.jsonl, qrels/<split>.tsv."}
    )
    output_dir: str = field(
        metadata={
            "help": "Where the trained encoder is saved (with textls_train_args.json); no "
            "checkpoints unless --save_strategy asks."
        }
    )


@dataclass
class RetrievalTrainArguments(RetrievalOptions, BeirFolders):
    split: str = field(default="train", metadata={"help": "Qrels split to train on."})
    method: str = field(
        default="none", metadata={"help": "Soft targets: none, " + ", ".join(METHODS) + "."}
    )
    seed: int = field(
        default=0,
        metadata={
            "help": "Seed of the run (the Trainer's seed: initialisation order and sampling; "
            "also the batch order's unless --data_seed)."
        },
    )
