"""The sample district (lands with issue 2; in progress)."""

from __future__ import annotations

__all__ = ["sample_district"]


def sample_district() -> object:
    raise NotImplementedError("sample_district lands with issue 2")
