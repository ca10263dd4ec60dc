"""PyTorch losses that train a new model to make fewer new errors than an old one.

The same losses as ``frugal train --loss`` (C++, src/train/update_losses.cpp), for PyTorch users
who train their models themselves; ``python/tests/test_losses.py`` checks that both compute the
same values and gradients. With ``z`` the new model's logits, ``o`` the old model's, ``y`` the
labels and ``N`` the batch size:

Focal distillation (Yan et al., CVPR 2021)::

    L = (1 - w) CE(z, y) + w (1/N) sum_i m_i [alpha + beta 1(old correct on i)] D_i

with ``D_i = T^2 KL(softmax(o_i/T) || softmax(z_i/T))`` (``distance="kl"``) or
``1/2 mean_c (z_ic - o_ic)^2`` (``distance="logit"``), and the filter ``m_i`` = 1 (``"none"``),
1(old correct) (``"old-correct"``) or 1(old correct and new currently wrong)
(``"negative-flip"``). Plain distillation is ``beta = 0``. "Old correct" means
``argmax_c o_ic == y_i`` (ties to the lowest class, as :func:`torch.argmax`).

Logit-difference inhibition (ELODI, Zhao et al. 2022)::

    L = (1 - w) CE(z, y) + w (1/N) sum_i mean_c max(|z_ic - o_ic| - margin, 0)^power

No gradient flows into the old model's logits. This module imports :mod:`torch` (Debian's
``python3-torch``); ``import frugal`` alone does not.

Examples
--------
>>> from frugal.losses import FocalDistillationLoss
>>> criterion = FocalDistillationLoss(alpha=1, beta=5, temperature=100, weight=0.9)
>>> loss = criterion(model(images), old_logits_of_these_images, labels)
>>> loss.backward()
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

__all__ = [
    "FocalDistillationLoss",
    "LogitInhibitionLoss",
    "distillation_distances",
    "focal_distillation_loss",
    "logit_inhibition_loss",
]

_DISTANCES = ("kl", "logit")
_FILTERS = ("none", "old-correct", "negative-flip")


def _check_shapes(new_logits: torch.Tensor, old_logits: torch.Tensor, labels: torch.Tensor) -> None:
    if new_logits.dim() != 2 or old_logits.shape != new_logits.shape:
        raise ValueError(
            "the old model's logits must have the new model's shape [items, classes]; got "
            f"[{', '.join(map(str, old_logits.shape))}] against "
            f"[{', '.join(map(str, new_logits.shape))}]"
        )
    if labels.dim() != 1 or labels.shape[0] != new_logits.shape[0]:
        raise ValueError("one label per item is needed")
    if labels.dtype not in (torch.int64, torch.int32, torch.int16, torch.uint8):
        raise ValueError(f"labels must be class indices (an integer tensor), not {labels.dtype}")


def _check_weight(weight: float, what: str) -> None:
    if not 0 <= weight <= 1:
        raise ValueError(f"{what} must be in [0, 1], got {weight}")


def _correct_mask(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    return (logits.argmax(1) == labels).to(logits.dtype)


def distillation_distances(
    new_logits: torch.Tensor,
    old_logits: torch.Tensor,
    distance: str = "kl",
    temperature: float = 100.0,
) -> torch.Tensor:
    """Per-item distance ``D_i`` between new and old logits, shape ``[N]``.

    Parameters
    ----------
    new_logits, old_logits : torch.Tensor
        ``[N, C]`` logits; the old ones are treated as constants.
    distance : {"kl", "logit"}
        ``T^2 KL(softmax(o/T) || softmax(z/T))`` or ``1/2 mean_c (z - o)^2``.
    temperature : float
        ``T`` of the KL distance; positive.
    """
    old_fixed = old_logits.detach()
    if distance == "logit":
        return 0.5 * (new_logits - old_fixed).pow(2).mean(1)
    if distance != "kl":
        raise ValueError(f"distance must be one of {_DISTANCES}, got {distance!r}")
    if not (temperature > 0 and math.isfinite(temperature)):
        raise ValueError(f"the temperature must be positive, got {temperature}")
    # KL(p_old || p_new) from log-softmaxes, for stability at large T.
    log_old = torch.log_softmax(old_fixed / temperature, 1)
    log_new = torch.log_softmax(new_logits / temperature, 1)
    return temperature * temperature * (log_old.exp() * (log_old - log_new)).sum(1)


def focal_distillation_loss(
    new_logits: torch.Tensor,
    old_logits: torch.Tensor,
    labels: torch.Tensor,
    *,
    alpha: float = 1.0,
    beta: float = 5.0,
    temperature: float = 100.0,
    distance: str = "kl",
    filter: str = "none",
    weight: float = 0.9,
) -> torch.Tensor:
    """Focal distillation (a scalar tensor); ``beta=0`` gives plain distillation.

    Parameters
    ----------
    new_logits : torch.Tensor
        ``[N, C]`` logits of the model being trained.
    old_logits : torch.Tensor
        ``[N, C]`` logits of the old model on the same items (constants).
    labels : torch.Tensor
        ``[N]`` class indices.
    alpha, beta : float
        Weight of every item, and extra weight of the items the old model gets right; >= 0.
    temperature : float
        ``T`` of the KL distance.
    distance : {"kl", "logit"}
    filter : {"none", "old-correct", "negative-flip"}
        Which items are distilled.
    weight : float
        ``w``, the distillation term's share of the loss, in [0, 1].

    Raises
    ------
    ValueError
        For mismatched shapes or settings outside their ranges (the C++ messages).
    """
    _check_shapes(new_logits, old_logits, labels)
    _check_weight(weight, "the distillation weight")
    if not (alpha >= 0 and beta >= 0):
        raise ValueError("focal distillation's alpha and beta must not be negative")
    if filter not in _FILTERS:
        raise ValueError(f"filter must be one of {_FILTERS}, got {filter!r}")
    labels = labels.long()
    old_correct = _correct_mask(old_logits.detach(), labels)
    if filter == "old-correct":
        mask = old_correct
    elif filter == "negative-flip":
        mask = old_correct * (1 - _correct_mask(new_logits.detach(), labels))
    else:
        mask = torch.ones_like(old_correct)
    item_weights = mask * (alpha + beta * old_correct)
    distances = distillation_distances(new_logits, old_logits, distance, temperature)
    cross_entropy = F.cross_entropy(new_logits, labels)
    return (1 - weight) * cross_entropy + weight * (item_weights * distances).mean()


def logit_inhibition_loss(
    new_logits: torch.Tensor,
    old_logits: torch.Tensor,
    labels: torch.Tensor,
    *,
    margin: float = 0.5,
    power: float = 2.0,
    weight: float = 0.9,
) -> torch.Tensor:
    """Logit-difference inhibition (a scalar tensor).

    Parameters
    ----------
    new_logits, old_logits, labels : torch.Tensor
        As in :func:`focal_distillation_loss`.
    margin : float
        ``xi``: logit differences up to this are free; >= 0.
    power : float
        ``p`` >= 1.
    weight : float
        ``w``, the inhibition term's share of the loss, in [0, 1].
    """
    _check_shapes(new_logits, old_logits, labels)
    _check_weight(weight, "the inhibition weight")
    if not (margin >= 0 and power >= 1):
        raise ValueError("logit-difference inhibition needs a margin >= 0 and a power >= 1")
    labels = labels.long()
    excess = torch.relu((new_logits - old_logits.detach()).abs() - margin)
    inhibition = excess.pow(power).mean(1).mean()
    return (1 - weight) * F.cross_entropy(new_logits, labels) + weight * inhibition


class FocalDistillationLoss(torch.nn.Module):
    """:func:`focal_distillation_loss` as a module: ``criterion(new_logits, old_logits, labels)``."""

    def __init__(
        self,
        *,
        alpha: float = 1.0,
        beta: float = 5.0,
        temperature: float = 100.0,
        distance: str = "kl",
        filter: str = "none",
        weight: float = 0.9,
    ) -> None:
        super().__init__()
        # Checked now, so a bad setting fails at construction rather than mid-training.
        if distance not in _DISTANCES:
            raise ValueError(f"distance must be one of {_DISTANCES}, got {distance!r}")
        if filter not in _FILTERS:
            raise ValueError(f"filter must be one of {_FILTERS}, got {filter!r}")
        _check_weight(weight, "the distillation weight")
        self.alpha, self.beta, self.temperature = alpha, beta, temperature
        self.distance, self.filter, self.weight = distance, filter, weight

    def forward(
        self, new_logits: torch.Tensor, old_logits: torch.Tensor, labels: torch.Tensor
    ) -> torch.Tensor:
        return focal_distillation_loss(
            new_logits,
            old_logits,
            labels,
            alpha=self.alpha,
            beta=self.beta,
            temperature=self.temperature,
            distance=self.distance,
            filter=self.filter,
            weight=self.weight,
        )


class LogitInhibitionLoss(torch.nn.Module):
    """:func:`logit_inhibition_loss` as a module."""

    def __init__(self, *, margin: float = 0.5, power: float = 2.0, weight: float = 0.9) -> None:
        super().__init__()
        _check_weight(weight, "the inhibition weight")
        self.margin, self.power, self.weight = margin, power, weight

    def forward(
        self, new_logits: torch.Tensor, old_logits: torch.Tensor, labels: torch.Tensor
    ) -> torch.Tensor:
        return logit_inhibition_loss(
            new_logits, old_logits, labels, margin=self.margin, power=self.power, weight=self.weight
        )
