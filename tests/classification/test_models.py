from __future__ import annotations

import pytest
import torch

from textls.classification.models import (
    FastTextConfig,
    FastTextForSequenceClassification,
    TextCNNConfig,
    TextCNNForSequenceClassification,
)

MODELS = [
    (FastTextConfig, FastTextForSequenceClassification),
    (TextCNNConfig, TextCNNForSequenceClassification),
]


@pytest.mark.parametrize(("config_cls", "model_cls"), MODELS)
def test_padding_does_not_change_logits(config_cls, model_cls):
    torch.manual_seed(0)
    model = model_cls(config_cls(vocab_size=50, num_labels=4, embedding_dim=8)).eval()
    ids = torch.tensor([[5, 6, 7, 8]])
    padded = torch.tensor([[5, 6, 7, 8, 0, 0, 0]])
    mask = torch.tensor([[1, 1, 1, 1, 0, 0, 0]])
    torch.testing.assert_close(
        model(input_ids=ids).logits, model(input_ids=padded, attention_mask=mask).logits
    )


@pytest.mark.parametrize(("config_cls", "model_cls"), MODELS)
def test_trains_and_round_trips_through_save_pretrained(tmp_path, config_cls, model_cls):
    torch.manual_seed(0)
    model = model_cls(config_cls(vocab_size=50, num_labels=3, embedding_dim=8))
    ids = torch.randint(1, 50, (6, 5))
    labels = torch.tensor([0, 1, 2, 0, 1, 2])
    out = model(input_ids=ids, labels=labels)
    assert out.logits.shape == (6, 3)
    out.loss.backward()
    assert all(p.grad is not None for p in model.parameters() if p.requires_grad)
    model.save_pretrained(tmp_path)
    loaded = model_cls.from_pretrained(tmp_path).eval()
    model.eval()
    torch.testing.assert_close(loaded(input_ids=ids).logits, model(input_ids=ids).logits)


def test_fasttext_pools_the_masked_mean_of_token_embeddings():
    torch.manual_seed(0)
    model = FastTextForSequenceClassification(
        FastTextConfig(vocab_size=50, num_labels=3, embedding_dim=8)
    ).eval()
    ids = torch.tensor([[5, 6, 7, 8], [9, 10, 0, 0], [11, 0, 0, 0]])
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 0, 0], [1, 0, 0, 0]])
    table = model.embeddings.weight
    expected = (table[ids] * mask.unsqueeze(-1)).sum(1) / mask.sum(1, keepdim=True)
    logits = model(input_ids=ids, attention_mask=mask).logits
    torch.testing.assert_close(logits, model.classifier(expected))


def test_fasttext_padded_batch_matches_each_row_alone():
    torch.manual_seed(0)
    model = FastTextForSequenceClassification(
        FastTextConfig(vocab_size=50, num_labels=3, embedding_dim=8)
    ).eval()
    rows = [[5, 6, 7], [8], [9, 10, 11, 12, 13]]
    width = max(map(len, rows))
    ids = torch.tensor([r + [0] * (width - len(r)) for r in rows])
    mask = ids.ne(0).long()
    batched = model(input_ids=ids, attention_mask=mask).logits
    alone = torch.cat([model(input_ids=torch.tensor([r])).logits for r in rows])
    torch.testing.assert_close(batched, alone)


def test_fasttext_padding_row_stays_zero_and_gets_no_gradient():
    torch.manual_seed(0)
    model = FastTextForSequenceClassification(
        FastTextConfig(vocab_size=50, num_labels=3, embedding_dim=8)
    )
    ids = torch.tensor([[5, 6, 0], [7, 0, 0]])
    out = model(input_ids=ids, labels=torch.tensor([0, 2]))
    out.loss.backward()
    assert not model.embeddings.weight[0].any()
    assert not model.embeddings.weight.grad[0].any()
    assert model.embeddings.weight.grad[5].any()
    assert not model.embeddings.weight.grad.is_sparse  # torch's AdamW takes dense gradients only


def _kept_model(kept=(5, 6, 7, 9)):
    torch.manual_seed(0)
    config = FastTextConfig(vocab_size=50, num_labels=3, embedding_dim=8, kept_token_ids=list(kept))
    return FastTextForSequenceClassification(config).eval()


def test_fasttext_kept_tokens_leave_other_tokens_out_of_the_mean():
    model = _kept_model()
    assert model.embeddings.weight.shape == (5, 8)  # four kept tokens and the zero row
    with_unseen = model(input_ids=torch.tensor([[5, 30, 6, 41, 7]])).logits
    without = model(input_ids=torch.tensor([[5, 6, 7]])).logits
    torch.testing.assert_close(with_unseen, without)
    rows = model.embeddings.weight[1:4]  # ids 5, 6, 7 in sorted order
    torch.testing.assert_close(without, model.classifier(rows.mean(0, keepdim=True)))
    # A text of unseen tokens only pools to zero: its logits are the classifier's bias.
    torch.testing.assert_close(
        model(input_ids=torch.tensor([[30, 41]])).logits[0], model.classifier.bias
    )


def test_fasttext_kept_tokens_round_trip_and_train(tmp_path):
    model = _kept_model().train()
    ids = torch.tensor([[5, 6, 0], [7, 9, 44]])
    out = model(input_ids=ids, labels=torch.tensor([0, 2]))
    out.loss.backward()
    assert model.embeddings.weight.grad[0].abs().sum() == 0  # the shared row of left-out tokens
    model.save_pretrained(tmp_path)
    loaded = FastTextForSequenceClassification.from_pretrained(tmp_path).eval()
    assert loaded.config.kept_token_ids == [5, 6, 7, 9]
    torch.testing.assert_close(loaded(input_ids=ids).logits, model.eval()(input_ids=ids).logits)


def test_fasttext_kept_tokens_outside_the_vocabulary_are_refused():
    with pytest.raises(ValueError, match=r"kept_token_ids must lie in \[0, vocab_size=50\)"):
        _kept_model(kept=(3, 50))


def test_model_factory_keeps_the_training_tokens_for_fasttext_only():
    from textls.classification.modeling import make_model_factory

    class Tok:
        pad_token_id = 0

        def __len__(self):
            return 50

    ids = [[3, 4, 0], [4, 9]]
    fasttext = make_model_factory("fasttext", ["a", "b"], Tok(), ids)()
    assert fasttext.config.kept_token_ids == [0, 3, 4, 9]
    assert make_model_factory("fasttext", ["a", "b"], Tok())().config.kept_token_ids is None
    assert not hasattr(
        make_model_factory("textcnn", ["a", "b"], Tok(), ids)().config, "kept_token_ids"
    )


def test_loading_report_is_one_line_for_a_fresh_head_and_a_warning_for_other_keys(caplog):
    import logging

    from textls.classification.modeling import report_loading

    with caplog.at_level(logging.INFO, logger="textls"):
        report_loading("m", {"missing_keys": {"classifier.weight", "classifier.bias"}})
    assert [r.levelname for r in caplog.records] == ["INFO"]
    assert "new classification head (classifier.bias, classifier.weight)" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="textls"):
        report_loading(
            "m",
            {"missing_keys": {"bert.pooler.dense.weight"}, "unexpected_keys": {"lm_head.bias"}},
        )
    assert [r.levelname for r in caplog.records] == ["WARNING", "WARNING"]
    assert "1 missing weight(s) when loading it: bert.pooler.dense.weight" in caplog.text
    assert "1 unexpected weight(s) when loading it: lm_head.bias" in caplog.text
