"""Müller et al.'s projection of penultimate activations onto the plane of three class templates."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from tiny_models import make_model

from textls.classification.representation import (
    choose_projection,
    project_onto_templates,
    templates,
)


def test_the_three_templates_land_on_the_plane_at_their_distances():
    rng = np.random.default_rng(0)
    w = rng.normal(size=(3, 7))
    points = project_onto_templates(w, w)
    assert np.allclose(points[0], 0)
    for i in range(3):
        for j in range(3):  # the plane through them keeps their pairwise distances
            assert np.linalg.norm(points[i] - points[j]) == pytest.approx(
                np.linalg.norm(w[i] - w[j])
            )
    # a point's component off the plane is dropped: w_a + n (n normal to the plane) maps to 0
    basis, _ = np.linalg.qr(np.stack([w[1] - w[0], w[2] - w[0]], axis=1))
    normal = rng.normal(size=7)
    normal -= basis @ (basis.T @ normal)
    assert np.allclose(project_onto_templates((w[0] + normal)[None], w), 0)


def test_projection_takes_the_three_largest_training_classes_and_caps_the_rows():
    y_train = np.array([0] * 5 + [1] * 9 + [2] * 2 + [3] * 7)
    y_test = np.array([0, 1, 1, 2, 3, 3, 3])
    projection = choose_projection(y_train, y_test, per_class=4)
    assert projection.classes == [0, 1, 3]
    assert np.bincount(y_train[projection.train_rows], minlength=4).tolist() == [4, 4, 0, 4]
    assert y_test[projection.test_rows].tolist() == [0, 1, 1, 3, 3, 3]
    assert choose_projection(np.array([0, 1, 1]), np.array([0, 1])) is None


def test_templates_are_the_heads_weight_rows():
    model = make_model(num_labels=4)
    rows = templates(model, [0, 2, 3])
    np.testing.assert_allclose(rows, model.classifier.weight.detach().numpy()[[0, 2, 3]])
    model.classifier = torch.nn.Sequential(torch.nn.Linear(16, 4))
    assert templates(model, [0, 1, 2]) is None
    model.score, model.classifier = torch.nn.Linear(16, 4), None  # a decoder's per-token head
    assert templates(model, [0, 1, 2]) is None
