"""Datasets and batch loading (lucid 2.x's lucid.data): map-style datasets, random_split,
and a DataLoader that shuffles with lucid's counter-based generator, saves and restores
its place in an epoch, and loads batches in worker processes."""

from lucid.data._worker import WorkerInfo, get_worker_info
from lucid.data.collate import default_collate
from lucid.data.datasets import ConcatDataset, Dataset, Subset, TensorDataset
from lucid.data.distributed import DistributedSampler
from lucid.data.loader import DataLoader
from lucid.data.split import random_split

__all__ = [
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "DistributedSampler",
    "Subset",
    "TensorDataset",
    "WorkerInfo",
    "default_collate",
    "get_worker_info",
    "random_split",
]
