"""Readers for planners' layer files (lands with issue 2; in progress)."""

from __future__ import annotations

__all__ = ["read_layer"]


def read_layer(*args: object, **kwargs: object) -> object:
    raise NotImplementedError("read_layer lands with issue 2")
