"""The stages in the order they run; stage N is the pipeline file ``pipeline/<name>.py``."""
from __future__ import annotations

import importlib
from functools import lru_cache

from ..errors import ParameterError
from ._base import Stage, stage_from_module

STAGES = ("instruments", "responses", "scoring", "design", "context", "models", "dynamics",
          "report")


@lru_cache(maxsize=None)
def get_stage(name: str) -> Stage:
    """The declaration of one stage, read from its pipeline file."""
    if name not in STAGES:
        raise ParameterError(f"get_stage: 'name' must be among {list(STAGES)}; got {name!r}")
    i = STAGES.index(name)
    module = importlib.import_module(f"{__package__}.{name}")
    return stage_from_module(i + 1, module, STAGES[:i])
