"""frugal.losses (PyTorch) against frugal's C++ losses (LibTorch), on the same inputs.

The C++ side is tests/probes/loss_probe.cpp, built as ``frugal_loss_probe`` in the build tree
(FRUGAL_BUILD_DIR): it evaluates src/train/update_losses.cpp on a JSON batch and prints the loss
and its gradient. Both must agree to 1e-6 (issue #7), in float64 and in float32 (the training
dtype, where the tolerance is relative to the loss's size, since T^2 KL at T = 100 is large).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import torch

from frugal.losses import (
    FocalDistillationLoss,
    LogitInhibitionLoss,
    focal_distillation_loss,
    logit_inhibition_loss,
)


@pytest.fixture(scope="module")
def probe() -> str:
    path = Path(os.environ["FRUGAL_BUILD_DIR"]) / "tests" / "frugal_loss_probe"
    assert path.exists(), f"{path} is not built (scripts/build builds it)"
    return str(path)


def batch(seed: int, items: int = 64, classes: int = 10) -> dict[str, Any]:
    """Random logits whose old and new argmaxes agree on some items and differ on others, so every
    filter keeps a different subset (checked below)."""
    generator = torch.Generator().manual_seed(seed)
    old = torch.randn(items, classes, generator=generator, dtype=torch.float64) * 3
    new = old + torch.randn(items, classes, generator=generator, dtype=torch.float64) * 2
    labels = torch.randint(0, classes, (items,), generator=generator)
    # Half of the labels follow the old model, so "old correct" is common but not universal.
    labels[: items // 2] = old[: items // 2].argmax(1)
    return {"new_logits": new.tolist(), "old_logits": old.tolist(), "labels": labels.tolist()}


def run_probe(probe: str, tmp_path: Path, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    path = tmp_path / "input.json"
    path.write_text(json.dumps(requests))
    result = subprocess.run([probe, str(path)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    outputs = json.loads(result.stdout)
    assert len(outputs) == len(requests)
    return outputs


def python_side(request: dict[str, Any], dtype: torch.dtype) -> tuple[float, torch.Tensor]:
    new = torch.tensor(request["new_logits"], dtype=torch.float64).to(dtype).requires_grad_(True)
    old = torch.tensor(request["old_logits"], dtype=torch.float64).to(dtype)
    labels = torch.tensor(request["labels"], dtype=torch.int64)
    options = {k: v for k, v in request.items() if k not in ("new_logits", "old_logits", "labels",
                                                             "loss", "dtype")}
    if request["loss"] == "logit-inhibition":
        value = logit_inhibition_loss(new, old, labels, **options)
    else:
        if request["loss"] == "distillation":
            options["beta"] = 0.0
        value = focal_distillation_loss(new, old, labels, **options)
    value.backward()
    return float(value.item()), new.grad.to(torch.float64)


SETTINGS = [
    {"loss": "focal-distillation"},  # the published recipe: alpha 1, beta 5, T 100, w 0.9
    {"loss": "focal-distillation", "temperature": 2.0, "filter": "old-correct", "weight": 0.5},
    {"loss": "focal-distillation", "filter": "negative-flip", "alpha": 0.5, "beta": 3.0},
    {"loss": "focal-distillation", "distance": "logit", "weight": 0.7},
    {"loss": "focal-distillation", "distance": "logit", "filter": "negative-flip"},
    {"loss": "distillation", "temperature": 4.0},
    {"loss": "logit-inhibition"},
    {"loss": "logit-inhibition", "margin": 0.0, "power": 1.5, "weight": 0.3},
]


def test_python_and_cpp_losses_agree(probe: str, tmp_path: Path) -> None:
    requests = [
        {**batch(seed), **settings, "dtype": dtype}
        for settings in SETTINGS
        for dtype in ("float64", "float32")
        for seed in (1, 2, 3)
    ]
    for request, cpp in zip(requests, run_probe(probe, tmp_path, requests)):
        where = f"{request['loss']} {request['dtype']}: " + json.dumps(
            {k: v for k, v in request.items() if k not in ("new_logits", "old_logits", "labels")}
        )
        loss, gradient = python_side(request, getattr(torch, request["dtype"]))
        cpp_gradient = torch.tensor(cpp["gradient"], dtype=torch.float64)
        # float64: the two implementations do the same operations, so 1e-6 is loose. float32:
        # 1e-6 relative to the loss (and to the largest gradient entry) covers summation order.
        single = request["dtype"] == "float32"
        scale = max(1.0, abs(cpp["loss"])) if single else 1.0
        assert abs(loss - cpp["loss"]) <= 1e-6 * scale, (where, loss, cpp["loss"])
        gradient_scale = max(1.0, float(cpp_gradient.abs().max())) if single else 1.0
        assert float((gradient - cpp_gradient).abs().max()) <= 1e-6 * gradient_scale, where
        # The losses are not trivially equal: the settings change the value.
        assert cpp["loss"] > 0, where


def test_the_batch_exercises_every_filter() -> None:
    # Otherwise the filter settings above would test nothing: some items are old-correct, some
    # not, and some of the old-correct ones are negative flips.
    request = batch(1)
    old = torch.tensor(request["old_logits"])
    new = torch.tensor(request["new_logits"])
    labels = torch.tensor(request["labels"])
    old_correct = old.argmax(1) == labels
    flips = old_correct & (new.argmax(1) != labels)
    assert 0 < int(old_correct.sum()) < len(labels)
    assert 0 < int(flips.sum()) < int(old_correct.sum())


def test_the_losses_do_what_they_say() -> None:
    request = batch(4)
    new = torch.tensor(request["new_logits"], dtype=torch.float64)
    old = torch.tensor(request["old_logits"], dtype=torch.float64)
    labels = torch.tensor(request["labels"])
    # w = 0 is plain cross-entropy; equal logits have no distillation or inhibition term.
    ce = torch.nn.functional.cross_entropy(new, labels)
    assert torch.isclose(focal_distillation_loss(new, old, labels, weight=0.0), ce)
    assert torch.isclose(logit_inhibition_loss(new, old, labels, weight=0.0), ce)
    assert float(focal_distillation_loss(old, old, labels, weight=1.0)) == pytest.approx(0, abs=1e-9)
    # No gradient reaches the old logits.
    old_tracked = old.clone().requires_grad_(True)
    focal_distillation_loss(new.clone().requires_grad_(True), old_tracked, labels).backward()
    assert old_tracked.grad is None
    # The module form is the function.
    criterion = FocalDistillationLoss(temperature=3.0, filter="old-correct")
    assert torch.equal(
        criterion(new, old, labels),
        focal_distillation_loss(new, old, labels, temperature=3.0, filter="old-correct"),
    )
    assert torch.equal(LogitInhibitionLoss(weight=0.4)(new, old, labels),
                       logit_inhibition_loss(new, old, labels, weight=0.4))


def test_bad_input_is_a_value_error_with_the_cpp_message() -> None:
    z = torch.zeros(3, 4)
    labels = torch.tensor([0, 1, 2])
    with pytest.raises(ValueError, match=r"the old model's logits must have the new model's shape"):
        focal_distillation_loss(z, torch.zeros(3, 5), labels)
    with pytest.raises(ValueError, match="one label per item is needed"):
        focal_distillation_loss(z, z, torch.tensor([0, 1]))
    with pytest.raises(ValueError, match=r"the distillation weight must be in \[0, 1\], got 1.5"):
        focal_distillation_loss(z, z, labels, weight=1.5)
    with pytest.raises(ValueError, match="the temperature must be positive"):
        focal_distillation_loss(z, z, labels, temperature=0.0)
    with pytest.raises(ValueError, match="alpha and beta must not be negative"):
        focal_distillation_loss(z, z, labels, beta=-1.0)
    with pytest.raises(ValueError, match="filter must be one of"):
        FocalDistillationLoss(filter="sometimes")
    with pytest.raises(ValueError, match="labels must be class indices"):
        focal_distillation_loss(z, z, torch.tensor([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match="a margin >= 0 and a power >= 1"):
        logit_inhibition_loss(z, z, labels, power=0.5)
