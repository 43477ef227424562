"""``textls retrieval train``: a dual encoder trained on a BEIR folder's qrels, with soft targets
over each batch's candidates, and the options it shares with ``textls retrieval compare``."""

from __future__ import annotations

import logging
from pathlib import Path

from datasets import Dataset
from transformers import TrainingArguments, set_seed

from textls.io import atomic_write_json
from textls.old_flags import own_options
from textls.retrieval.arguments import RetrievalTrainArguments
from textls.retrieval.collator import RetrievalCollator
from textls.retrieval.data import load_beir, passage_text
from textls.retrieval.encoder import encode_function, load_encoder_and_tokenizer
from textls.retrieval.mining import mine_bm25
from textls.retrieval.search import (
    embed_all,
)
from textls.retrieval.side_files import load_hard_negatives, load_teacher_scores
from textls.retrieval.soft_targets import GUIDED, METHODS, CandidateSoftTargets
from textls.retrieval.trainer import RetrievalTrainer
from textls.training_args import RetrievalTrainingArguments, run_arguments

logger = logging.getLogger(__name__)


def _rows(dataset):
    doc_ids = list(dataset.corpus)
    query_ids = list(dataset.queries)
    return (
        doc_ids,
        {d: i for i, d in enumerate(doc_ids)},
        query_ids,
        {q: i for i, q in enumerate(query_ids)},
    )


def _guide_embeddings(args, encoder, tokenizer, query_texts, passage_texts):
    """The start encoder's embeddings of every query and passage (``guided`` targets)."""
    logger.info(
        "guided targets: embedding %d queries and %d passages with the start model",
        len(query_texts),
        len(passage_texts),
    )
    embedded = []
    for side, texts, length in (
        ("query", query_texts, args.query_max_length),
        ("passage", passage_texts, args.passage_max_length),
    ):
        embedded.append(embed_all(encode_function(encoder, tokenizer, side, length), texts))
    encoder.train()
    return tuple(embedded)


def train_dual_encoder(
    args: RetrievalTrainArguments,
    encoder=None,
    tokenizer=None,
    training_args: TrainingArguments | None = None,
    dataset=None,
) -> Path:
    """Train and save a dual encoder; returns the output folder.  ``dataset``: ``--split`` of
    ``--data_dir`` (:func:`~textls.retrieval.data.load_beir`), when the caller has read it.

    ``training_args``: the Trainer options to start from (default
    :class:`~textls.training_args.RetrievalTrainingArguments`); ``args`` sets the folder, batch
    size, epochs, learning rate and seeds, and the collator needs ``remove_unused_columns=False``
    and ``dataloader_drop_last=True``, which are always set."""
    if args.method != "none" and args.method not in METHODS:
        raise ValueError(f"unknown method {args.method!r}; choose none or one of {METHODS}")
    if dataset is None:
        dataset = load_beir(args.data_dir, args.split)
    doc_ids, doc_row, query_ids, query_row = _rows(dataset)
    passage_texts = [passage_text(dataset.corpus[d]) for d in doc_ids]
    query_texts = [dataset.queries[q] for q in query_ids]
    positives = {
        query_row[q]: {doc_row[d] for d, rel in docs.items() if rel > 0}
        for q, docs in dataset.qrels.items()
    }
    pairs = [
        (query_row[q], doc_row[d])
        for q, docs in dataset.qrels.items()
        for d, rel in docs.items()
        if rel > 0
    ]
    if args.max_train_queries:
        pairs = pairs[: args.max_train_queries]
    query_rows, positive_rows = [q for q, _ in pairs], [p for _, p in pairs]

    negatives = _hard_negatives(
        args, dataset, query_ids, query_texts, passage_texts, positives, doc_row
    )
    # the collator gives each query its first --negatives_per_query mined negatives: those,
    # and no others, are the query's mined negatives to the guided targets
    negatives = {q: rows[: args.negatives_per_query] for q, rows in negatives.items()}
    set_seed(args.seed)
    if encoder is None:
        encoder, tokenizer = load_encoder_and_tokenizer(args.model)
    soft = None
    if args.method != "none":
        teacher = guide = None
        if args.method == "ls-distill" and args.teacher_scores:
            teacher = load_teacher_scores(args.teacher_scores, query_ids, doc_ids)
        if args.method in GUIDED:  # the start encoder guides, as it is before training
            guide = _guide_embeddings(args, encoder, tokenizer, query_texts, passage_texts)
        soft = CandidateSoftTargets(
            method=args.method,
            epsilon=args.epsilon,
            temperature=args.soft_temperature,
            suspect_quantile=args.suspect_quantile,
            suspects=args.suspects,
        )
        soft.fit(
            query_texts,
            passage_texts,
            teacher_scores=teacher,
            guide_embeddings=guide,
            positive_pairs=(query_rows, positive_rows),
        )
        if args.method in GUIDED and soft.suspects_ == "mined" and not any(negatives.values()):
            logger.warning(
                "--method guided without hard negatives: with --suspects mined (the default) no "
                "candidate can be a suspect, and the targets are hard; mine negatives "
                "(--hard_negatives) or pass --suspects all"
            )
    train_set = Dataset.from_dict(
        {
            "query_row": query_rows,
            "positive_row": positive_rows,
            "negative_rows": [negatives.get(q, []) for q in query_rows],
        }
    )
    training_args = run_arguments(
        training_args or RetrievalTrainingArguments(),
        output_dir=args.output_dir,
        per_device_train_batch_size=args.per_device_train_batch_size,
        num_train_epochs=args.num_train_epochs,
        learning_rate=args.learning_rate,
        seed=args.seed,
        data_seed=args.seed if args.data_seed is None else args.data_seed,
        bf16=args.bf16 or (training_args is not None and training_args.bf16),
        remove_unused_columns=False,  # the collator reads the row columns
        dataloader_drop_last=True,  # equal batches on every device, for the gathered negatives
    )
    trainer = RetrievalTrainer(
        model=encoder,
        args=training_args,
        train_dataset=train_set,
        data_collator=RetrievalCollator(
            tokenizer,
            query_texts,
            passage_texts,
            query_max_length=args.query_max_length,
            passage_max_length=args.passage_max_length,
            negatives_per_query=args.negatives_per_query if negatives else 0,
        ),
        processing_class=tokenizer,
        soft_targets=soft,
        positives=positives,
        negatives=negatives,
        temperature=args.temperature,
        mini_batch_size=args.mini_batch_size,
    )
    trainer.train()
    trainer.save_model(args.output_dir)
    atomic_write_json(Path(args.output_dir) / "textls_train_args.json", own_options(args))
    return Path(args.output_dir)


def _hard_negatives(
    args, dataset, query_ids, query_texts, passage_texts, positives, doc_row
) -> dict[int, list[int]]:
    if args.hard_negatives in (None, "", "none") or args.negatives_per_query == 0:
        return {}
    train_rows = sorted(positives)
    if args.hard_negatives == "bm25":
        mined = mine_bm25(
            [query_texts[r] for r in train_rows],
            passage_texts,
            [positives[r] for r in train_rows],
            k=max(10, args.negatives_per_query),
        )
        return dict(zip(train_rows, mined, strict=True))
    by_query = load_hard_negatives(args.hard_negatives, dataset)
    query_row = {q: i for i, q in enumerate(query_ids)}
    return {
        query_row[q]: [
            doc_row[d] for d in negs if doc_row[d] not in positives.get(query_row[q], ())
        ]
        for q, negs in by_query.items()
        if q in query_row
    }
