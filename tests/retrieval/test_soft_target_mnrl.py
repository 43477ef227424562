"""SoftTargetMNRLoss / CachedSoftTargetMNRLoss in sentence-transformers: equal to MNRL at epsilon 0,
GradCache equal to the full batch, and a SentenceTransformerTrainer run end to end."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch
from datasets import Dataset
from tiny_st import _dataset, tiny_sentence_transformer

from textls.retrieval import (
    CachedSoftTargetMNRLoss,
    DatasetSoftTargets,
    SoftTargetMNRLoss,
    with_row_ids,
)

st = pytest.importorskip("sentence_transformers")


def mnrl_class():
    """sentence-transformers' MultipleNegativesRankingLoss (its module moved in 6.0)."""
    try:
        from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
    except ImportError:  # sentence-transformers < 6.0
        from sentence_transformers.losses import MultipleNegativesRankingLoss
    return MultipleNegativesRankingLoss


def _features(model, dataset):
    names = [c for c in dataset.column_names if c != "label"]
    return [model.tokenize(list(dataset[c])) for c in names], torch.tensor(dataset["label"])


def _loss_and_grads(model, loss_fn, features, labels):
    model.zero_grad()
    loss = loss_fn([{k: v for k, v in f.items()} for f in features], labels)
    loss.backward()
    grads = [p.grad.detach().clone() for p in model.parameters() if p.grad is not None]
    return loss.detach(), grads


@pytest.mark.parametrize("negatives", [False, True])
def test_epsilon_zero_is_mnrl_loss_and_gradients(tmp_path, negatives):
    model = tiny_sentence_transformer(tmp_path / "m")
    dataset = _dataset(negatives)
    features, labels = _features(model, dataset)
    ours = SoftTargetMNRLoss(model, dataset, method="kwls", epsilon=0.0)
    theirs = mnrl_class()(model)
    loss, grads = _loss_and_grads(model, ours, features, labels)
    expected, expected_grads = _loss_and_grads(model, theirs, features, labels)
    torch.testing.assert_close(loss, expected)
    assert len(grads) == len(expected_grads) > 0
    for got, want in zip(grads, expected_grads, strict=True):
        torch.testing.assert_close(got, want)


@pytest.mark.parametrize("method", ["ls-classic", "ls-tfidf", "kwls", "ls-distill"])
def test_soft_targets_are_the_candidate_targets_of_the_batch(tmp_path, method):
    """The loss is the soft-target cross-entropy of scale * cos against DatasetSoftTargets'
    targets, computed directly; targets move mass off the positives only with epsilon > 0."""
    model = tiny_sentence_transformer(tmp_path / "m")
    dataset = _dataset()
    features, labels = _features(model, dataset)
    loss_fn = SoftTargetMNRLoss(model, dataset, method=method, epsilon=0.3)
    loss = loss_fn(features, labels)
    anchors = model(features[0])["sentence_embedding"]
    candidates = torch.cat([model(f)["sentence_embedding"] for f in features[1:]])
    scores = 20.0 * st.util.cos_sim(anchors, candidates)
    targets = torch.from_numpy(loss_fn.soft_targets.batch_targets(labels.numpy(), 2))
    expected = -(targets * torch.log_softmax(scores, -1)).sum(-1).mean()
    torch.testing.assert_close(loss, expected)
    assert targets.shape == (6, 12)
    np.testing.assert_allclose(targets.sum(-1).numpy(), 1.0, rtol=1e-6)
    np.testing.assert_allclose(
        np.diag(targets[:, :6].numpy()),
        0.7 if method != "ls-classic" else 0.7 + 0.3 / 12,
        rtol=1e-5,
    )


def test_a_repeated_positive_is_a_positive_not_a_negative():
    """Two examples share a positive text: each anchor's target counts both columns as its
    positive (MNRL would push the second away as a negative)."""
    dataset = with_row_ids(
        Dataset.from_dict(
            {
                "anchor": ["reset password", "forgot my password", "shop hours"],
                "positive": ["open settings to reset", "open settings to reset", "opens at nine"],
            }
        )
    )
    targets = (
        DatasetSoftTargets(method="kwls", epsilon=0.0).fit(dataset).batch_targets([0, 1, 2], 1)
    )
    np.testing.assert_allclose(targets[:2, :2], 0.5)
    np.testing.assert_allclose(targets[2], [0.0, 0.0, 1.0])


@pytest.mark.parametrize(
    "options",
    [{"method": "kwls", "epsilon": 0.2}, {}, {"margin": 1.0, "positive_margin": 1.0}],
    ids=["kwls", "default", "ignored-suspects"],
)
def test_cached_loss_equals_the_full_batch_loss_and_gradients(tmp_path, options):
    pytest.importorskip("sentence_transformers.base.losses.gradcache")
    model = tiny_sentence_transformer(tmp_path / "m")
    dataset = _dataset()
    features, labels = _features(model, dataset)
    # the default (guided) targets are fitted with the model as guide, before any step
    full = SoftTargetMNRLoss(model, dataset, **options)
    cached = CachedSoftTargetMNRLoss(model, dataset, mini_batch_size=4, **options)  # 4 + 2 rows
    rows = np.asarray(dataset["label"])
    targets = full.soft_targets.batch_targets(rows, 2)
    np.testing.assert_array_equal(cached.soft_targets.batch_targets(rows, 2), targets)
    # the guided cases leave candidates out of the softmax: the cached loss's NaN path is tested
    assert np.isnan(targets).any() == (options.get("method") != "kwls")
    expected, expected_grads = _loss_and_grads(model, full, features, labels)
    loss, grads = _loss_and_grads(model, cached, features, labels)
    torch.testing.assert_close(loss, expected)
    for got, want in zip(grads, expected_grads, strict=True):
        torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("options", [{"method": "kwls"}, {}], ids=["kwls", "default"])
def test_trains_in_a_sentence_transformer_trainer(tmp_path, options):
    model = tiny_sentence_transformer(tmp_path / "m")
    dataset = _dataset()
    loss = SoftTargetMNRLoss(model, dataset, **options)
    before = [p.detach().clone() for p in model.parameters()]
    args = st.SentenceTransformerTrainingArguments(
        output_dir=str(tmp_path / "out"),
        per_device_train_batch_size=3,
        num_train_epochs=2,
        learning_rate=1e-2,
        report_to=[],
        save_strategy="no",
        use_cpu=True,
        disable_tqdm=True,
    )
    trainer = st.SentenceTransformerTrainer(
        model=model, args=args, train_dataset=dataset, loss=loss
    )
    out = trainer.train()
    assert np.isfinite(out.training_loss) and trainer.state.global_step == 4
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))


def test_bad_inputs_are_named(tmp_path):
    plain = Dataset.from_dict({"anchor": ["a b"], "positive": ["c d"], "label": [1.0]})
    with pytest.raises(ValueError, match="already has a label column 'label'"):
        with_row_ids(plain)
    with pytest.raises(ValueError, match="column 'positive', row 1"):
        DatasetSoftTargets(method="kwls").fit(
            Dataset.from_dict({"anchor": ["a", "b"], "positive": ["c", ""]})
        )
    with pytest.raises(ValueError, match="'guided' needs a guide"):
        DatasetSoftTargets().fit(_dataset())  # the default method, without SoftTargetMNRLoss
    soft = DatasetSoftTargets(method="kwls").fit(_dataset())
    with pytest.raises(ValueError, match="label 9 is not the row id"):
        soft.batch_targets([0, 9], 1)
    model = tiny_sentence_transformer(tmp_path / "m")
    features, _ = _features(model, _dataset())
    with pytest.raises(ValueError, match="with_row_ids"):
        SoftTargetMNRLoss(model, soft_targets=soft)(features, None)
    with pytest.raises(ValueError, match="would be ignored"):
        SoftTargetMNRLoss(model, soft_targets=soft, epsilon=0.3)
    with pytest.raises(TypeError, match="epsilonn"):
        SoftTargetMNRLoss(model, _dataset(), epsilonn=0.3)


def test_rows_are_found_by_their_id_after_shuffling():
    dataset = with_row_ids(
        Dataset.from_dict(
            {
                "anchor": ["reset password", "shop hours", "storm news"],
                "positive": ["open settings reset", "shop opens nine", "storm passed noon"],
            }
        )
    )
    plain = DatasetSoftTargets(method="kwls", epsilon=0.2).fit(dataset)
    shuffled = DatasetSoftTargets(method="kwls", epsilon=0.2).fit(dataset.shuffle(seed=1))
    subset = DatasetSoftTargets(method="kwls", epsilon=0.2).fit(dataset.select([2, 0]))
    np.testing.assert_allclose(
        shuffled.batch_targets([2, 0, 1], 1), plain.batch_targets([2, 0, 1], 1)
    )
    np.testing.assert_allclose(subset.batch_targets([2, 0], 1), plain.batch_targets([2, 0], 1))
    with pytest.raises(ValueError, match="label 1 is not the row id"):
        subset.batch_targets([1], 1)


def test_a_negative_that_is_another_rows_positive_is_its_positive():
    """sentence-transformers lays candidates out as [positives, negatives]: row 0's negative is
    row 1's positive, so for anchor 1 both column 1 and column B + 0 are positives."""
    dataset = with_row_ids(
        Dataset.from_dict(
            {
                "anchor": ["reset password", "shop hours", "storm news"],
                "positive": ["open settings", "opens at nine", "the storm passed"],
                "negative": ["opens at nine", "open settings", "rain tomorrow"],
            }
        )
    )
    targets = (
        DatasetSoftTargets(method="kwls", epsilon=0.0).fit(dataset).batch_targets([0, 1, 2], 2)
    )
    np.testing.assert_allclose(targets[1], [0, 0.5, 0, 0.5, 0, 0])
    np.testing.assert_allclose(targets[0], [0.5, 0, 0, 0, 0.5, 0])
    np.testing.assert_allclose(targets[2], [0, 0, 1, 0, 0, 0])


def test_evaluation_loss_is_mnrl_whatever_the_labels(tmp_path):
    """SentenceTransformerTrainer computes the eval loss under no_grad on another dataset: the
    loss then uses MNRL's one-hot target, needing no row ids."""
    model = tiny_sentence_transformer(tmp_path / "m")
    dataset = _dataset()
    features, labels = _features(model, dataset)
    ours = SoftTargetMNRLoss(model, dataset, method="kwls", epsilon=0.3)
    with torch.no_grad():
        expected = mnrl_class()(model)(features, labels)
        torch.testing.assert_close(ours(features, None), expected)
        torch.testing.assert_close(ours(features, labels), expected)


def test_modules_import_without_gradcache_and_the_cached_loss_names_the_fix():
    """On sentence-transformers < 6.0 (no CachedLossMixin) the uncached loss works and the
    cached ones refuse to be built with the pip command that fixes it."""
    code = (
        "import sys; sys.modules['sentence_transformers.base.losses.gradcache'] = None\n"
        "from textls.retrieval import SoftTargetMNRLoss, CachedSoftTargetMNRLoss\n"
        "from textls.retrieval.gradcache import CachedCandidateLoss\n"
        "for build in (lambda: CachedSoftTargetMNRLoss(None, soft_targets=object()),\n"
        "              lambda: CachedCandidateLoss(None, None, 2)):\n"
        "    try:\n"
        "        build()\n"
        "    except ImportError as e:\n"
        "        assert 'sentence-transformers>=6.0' in str(e), e\n"
        "    else:\n"
        "        raise SystemExit('no ImportError')\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]


@pytest.mark.parametrize("negatives", [False, True])
def test_ignoring_every_suspect_is_gistembeds_masking(tmp_path, negatives):
    """``positive_margin=inf`` ignores every suspect, ``suspect_quantile=0`` drops the floor and
    ``suspects="all"`` looks for them in every column (GISTEmbed's rule): sentence-transformers'
    GISTEmbedLoss with the
    model as its own guide, at MNRL's temperature and without its anchor-anchor and
    positive-positive terms, gives the same loss and gradients (a peer implementation)."""
    try:
        from sentence_transformers.sentence_transformer.losses import GISTEmbedLoss
    except ImportError:  # sentence-transformers < 6.0
        from sentence_transformers.losses import GISTEmbedLoss
    model = tiny_sentence_transformer(tmp_path / "m")
    dataset = _dataset(negatives)
    features, labels = _features(model, dataset)
    ours = SoftTargetMNRLoss(
        model, dataset, positive_margin=float("inf"), suspect_quantile=0, suspects="all"
    )
    targets = ours.soft_targets.batch_targets(labels.numpy(), 1 + negatives)
    assert np.isnan(targets).any()  # the test means something: some candidates are suspects
    theirs = GISTEmbedLoss(
        model, model, temperature=0.05, contrast_anchors=False, contrast_positives=False
    )
    loss, grads = _loss_and_grads(model, ours, features, labels)
    expected, expected_grads = _loss_and_grads(model, theirs, features, labels)
    torch.testing.assert_close(loss, expected)
    for got, want in zip(grads, expected_grads, strict=True):
        torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-6)
