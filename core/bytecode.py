"""Keeping compiled bytecode in the worker, whatever PYTHONDONTWRITEBYTECODE says.

Temporal's workflow sandbox imports the workflow modules afresh for every workflow instance
(each start, continue-as-new and each return after eviction from the worker's cache). Where no
`.pyc` exists, as on machines and images that set PYTHONDONTWRITEBYTECODE=1, every one of those
imports compiled the workflow modules from source: a quarter of the worker's CPU
in bench/month_cycle.py (py-spy: `SourceLoader.source_to_code` under the sandbox's importer).
With bytecode kept, the first import writes `__pycache__` and the rest read it. The Docker image,
whose source tree the app user cannot write, compiles it when the image is built."""

from __future__ import annotations

import sys


def keep_bytecode() -> None:
    """Let this process write the bytecode of what it compiles (`__pycache__`, git-ignored)."""
    sys.dont_write_bytecode = False
