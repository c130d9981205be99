"""Learning-rate schedulers with lucid 2.x's names and argument orders: LRScheduler,
LambdaLR, StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, ReduceLROnPlateau,
CyclicLR and NoamScheduler. Each writes its lr into every param group of the optimizer."""

from lucid.optim.lr_scheduler.base import LRScheduler
from lucid.optim.lr_scheduler.cyclic import CyclicLR
from lucid.optim.lr_scheduler.plateau import ReduceLROnPlateau
from lucid.optim.lr_scheduler.schedulers import (
    CosineAnnealingLR,
    ExponentialLR,
    LambdaLR,
    MultiStepLR,
    NoamScheduler,
    StepLR,
)

__all__ = [
    "LRScheduler",
    "LambdaLR",
    "StepLR",
    "MultiStepLR",
    "ExponentialLR",
    "CosineAnnealingLR",
    "ReduceLROnPlateau",
    "CyclicLR",
    "NoamScheduler",
]
