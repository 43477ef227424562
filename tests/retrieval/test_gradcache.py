"""GradCache in RetrievalTrainer: the same step as the uncached trainer on the same batch."""

from __future__ import annotations

import pytest
import torch
from datasets import Dataset
from one_step import sgd_step_args
from tiny_retrieval import PASSAGES, QUERIES, make_encoder, make_tokenizer
from transformers import set_seed

from textls.retrieval.collator import RetrievalCollator
from textls.retrieval.soft_targets import CandidateSoftTargets
from textls.retrieval.trainer import RetrievalTrainer

pytest.importorskip("sentence_transformers.base.losses.gradcache")


def _step(tmp_path, mini_batch_size, method="kwls"):
    tokenizer = make_tokenizer(tmp_path / "vocab")
    soft = CandidateSoftTargets(method=method, epsilon=0.4, temperature=0.1).fit(QUERIES, PASSAGES)
    n = len(QUERIES)
    dataset = Dataset.from_dict(
        {
            "query_row": list(range(n)),
            "positive_row": list(range(n)),
            "negative_rows": [[(i + 3) % n] for i in range(n)],
        }
    )
    set_seed(0)
    encoder = make_encoder()
    start = torch.cat([p.detach().flatten() for p in encoder.parameters()])
    trainer = RetrievalTrainer(
        model=encoder,
        args=sgd_step_args(tmp_path / "out", n, remove_unused_columns=False),
        train_dataset=dataset,
        data_collator=RetrievalCollator(tokenizer, QUERIES, PASSAGES, negatives_per_query=1),
        soft_targets=soft,
        temperature=0.1,
        mini_batch_size=mini_batch_size,
    )
    loss = trainer.train().training_loss
    return start, torch.cat([p.detach().flatten() for p in encoder.parameters()]), loss


@pytest.mark.parametrize("mini_batch_size", [1, 3, 8])
def test_gradcache_step_equals_the_uncached_step(tmp_path, monkeypatch, mini_batch_size):
    from textls.retrieval.gradcache import CachedCandidateLoss

    start, plain, plain_loss = _step(tmp_path / "plain", None)
    calls = []
    embed = CachedCandidateLoss.embed_minibatch
    monkeypatch.setattr(
        CachedCandidateLoss,
        "embed_minibatch",
        lambda self, *a, **k: (
            calls.append(k["with_grad"] if "with_grad" in k else a[3]) or embed(self, *a, **k)
        ),
    )
    _, cached, cached_loss = _step(tmp_path / "cached", mini_batch_size)
    # 8 queries and 16 passages in mini-batches, embedded without then with a graph
    per_pass = -(-8 // mini_batch_size) + -(-16 // mini_batch_size)
    assert calls.count(False) == calls.count(True) == per_pass
    assert not torch.allclose(plain, start)  # the step moved the parameters
    torch.testing.assert_close(cached, plain, rtol=1e-4, atol=1e-6)
    assert cached_loss == pytest.approx(plain_loss, rel=1e-5)


def test_bad_mini_batch_size_is_refused(tmp_path):
    with pytest.raises(ValueError, match="mini_batch_size must be >= 1"):
        RetrievalTrainer(model=make_encoder(), args=sgd_step_args(tmp_path, 2), mini_batch_size=0)
