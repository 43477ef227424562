"""A dual encoder over Hugging Face models: shared or separate towers, mean or CLS pooling.

:func:`encode_function` turns one side of it into the ``list[str] -> (n, d)`` function that
:func:`textls.retrieval.encoding.encode_corpus` and the searches call.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from transformers import AutoModel, AutoTokenizer

from textls._utils import resolve_model
from textls.io import atomic_write_json

CONFIG_NAME = "textls_dual_encoder.json"


class DualEncoder(nn.Module):
    r"""Embed queries and passages with one (``shared=True``) or two transformer towers.

    ``e(x) = normalize(pool(h(x)))`` where ``pool`` is the attention-masked mean of the last hidden
    states (``"mean"``, as sentence-transformers' all-MiniLM) or the first token (``"cls"``), and
    ``normalize`` is L2 (``normalize=True``) so scores are cosines.  The training temperature
    ``tau`` lives in the loss, not here.

    Parameters
    ----------
    model_name_or_path : str
        HF model folder or id for the query tower (and the passage tower when shared).
    passage_model_name_or_path : str, optional
        A different passage tower (implies ``shared=False``).
    shared : bool, default True
        One tower for both sides; otherwise the passage tower starts as a copy.
    pooling : {"mean", "cls"}, default "mean"
        Mean of the last hidden states over the attention mask, or the first token.
    normalize : bool, default True
        L2-normalise embeddings.
    """

    def __init__(
        self,
        model_name_or_path: str,
        passage_model_name_or_path: str | None = None,
        shared: bool = True,
        pooling: str = "mean",
        normalize: bool = True,
    ):
        super().__init__()
        if pooling not in ("mean", "cls"):
            raise ValueError(f"pooling must be 'mean' or 'cls', got {pooling!r}")
        self.settings = {
            "model_name_or_path": str(model_name_or_path),
            "passage_model_name_or_path": None
            if passage_model_name_or_path is None
            else str(passage_model_name_or_path),
            "shared": bool(shared and passage_model_name_or_path is None),
            "pooling": pooling,
            "normalize": normalize,
        }
        self.query_model = AutoModel.from_pretrained(model_name_or_path)
        if self.settings["shared"]:
            self.passage_model = self.query_model
        else:
            self.passage_model = AutoModel.from_pretrained(
                passage_model_name_or_path or model_name_or_path
            )

    @classmethod
    def from_models(
        cls,
        query_model: nn.Module,
        passage_model: nn.Module | None = None,
        pooling: str = "mean",
        normalize: bool = True,
    ) -> DualEncoder:
        """Wrap already built models (tests, custom towers)."""
        self = cls.__new__(cls)
        nn.Module.__init__(self)
        self.settings = {
            "model_name_or_path": None,
            "passage_model_name_or_path": None,
            "shared": passage_model is None,
            "pooling": pooling,
            "normalize": normalize,
        }
        self.query_model = query_model
        self.passage_model = query_model if passage_model is None else passage_model
        return self

    @property
    def dim(self) -> int:
        return int(self.query_model.config.hidden_size)

    def _embed(
        self, model: nn.Module, input_ids, attention_mask, token_type_ids=None
    ) -> torch.Tensor:
        kwargs = {"input_ids": input_ids, "attention_mask": attention_mask}
        if token_type_ids is not None:
            kwargs["token_type_ids"] = token_type_ids
        hidden = model(**kwargs).last_hidden_state
        if self.settings["pooling"] == "cls":
            pooled = hidden[:, 0]
        else:
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp_min(1e-9)
        return F.normalize(pooled, dim=-1) if self.settings["normalize"] else pooled

    def encode_queries(self, **features) -> torch.Tensor:
        return self._embed(self.query_model, **features)

    def encode_passages(self, **features) -> torch.Tensor:
        return self._embed(self.passage_model, **features)

    def forward(
        self, query: dict | None = None, passage: dict | None = None
    ) -> dict[str, torch.Tensor]:
        """The embeddings of the sides given (GradCache embeds one side's mini-batch at a time)."""
        out = {}
        if query is not None:
            out["query"] = self.encode_queries(**query)
        if passage is not None:
            out["passage"] = self.encode_passages(**passage)
        return out

    def save(self, directory: str | Path, tokenizer=None) -> Path:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.query_model.save_pretrained(directory / "query")
        if not self.settings["shared"]:
            self.passage_model.save_pretrained(directory / "passage")
        if tokenizer is not None:
            tokenizer.save_pretrained(directory / "query")
        config = {**self.settings, "dim": self.dim}
        atomic_write_json(directory / CONFIG_NAME, config)
        return directory

    @classmethod
    def load(cls, directory: str | Path) -> DualEncoder:
        directory = Path(directory)
        path = directory / CONFIG_NAME
        if not path.exists():
            raise FileNotFoundError(
                f"{directory} is not a saved textls dual encoder (no {CONFIG_NAME})"
            )
        config = json.loads(path.read_text())
        passage = None if config["shared"] else str(directory / "passage")
        return cls(
            str(directory / "query"),
            passage,
            shared=config["shared"],
            pooling=config["pooling"],
            normalize=config["normalize"],
        )


def weights_fingerprint(model: nn.Module) -> str:
    """The sha256 of ``model``'s parameters and buffers: names, dtypes, shapes and values, so two
    models give the same fingerprint only if they compute the same function."""
    digest = hashlib.sha256()
    for name, tensor in model.state_dict().items():
        values = tensor.detach().cpu().contiguous().reshape(-1)
        digest.update(f"{name} {values.dtype} {tuple(tensor.shape)}\n".encode())
        digest.update(values.view(torch.uint8).numpy())
    return f"sha256:{digest.hexdigest()}"


def encode_function(
    encoder: DualEncoder, tokenizer, side: str, max_length: int
) -> Callable[[list[str]], np.ndarray]:
    """A function embedding a batch of texts with one side of ``encoder``, without gradients.

    The encoder is moved to the GPU when torch sees one (else the CPU) and put in eval mode.

    Parameters
    ----------
    encoder : DualEncoder
        The model; its ``pooling`` and ``normalize`` settings apply.
    tokenizer
        The Hugging Face tokenizer of ``encoder``; batches are padded to their longest text.
    side : str
        ``"query"`` (:meth:`DualEncoder.encode_queries`) or ``"passage"``
        (:meth:`DualEncoder.encode_passages`).
    max_length : int
        Tokens kept per text (longer ones are truncated).

    Returns
    -------
    callable
        ``encode(texts: list[str]) -> ndarray`` of shape ``(len(texts), encoder.dim)``, float32.
    """
    if side not in ("query", "passage"):
        raise ValueError(f"side must be 'query' or 'passage', got {side!r}")
    device = "cuda" if torch.cuda.is_available() else "cpu"
    encoder.to(device).eval()
    embed = encoder.encode_queries if side == "query" else encoder.encode_passages

    @torch.no_grad()
    def encode(texts: list[str]) -> np.ndarray:
        features = tokenizer(
            texts, padding=True, truncation=True, max_length=max_length, return_tensors="pt"
        ).to(device)
        return embed(**features).float().cpu().numpy()

    return encode


def load_encoder_and_tokenizer(name_or_path: str):
    """A saved textls dual encoder, or a fresh one over an HF model (``minilm`` = the packaged MiniLM)."""
    source = Path(resolve_model(name_or_path))
    if (source / CONFIG_NAME).exists():
        return DualEncoder.load(source), AutoTokenizer.from_pretrained(source / "query")
    return DualEncoder(str(source)), AutoTokenizer.from_pretrained(str(source))
