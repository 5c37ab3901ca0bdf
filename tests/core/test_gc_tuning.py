"""core.gc_tuning: start-up objects leave later collections; later garbage is still collected."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_settle_freezes_once_and_later_cycles_are_still_collected() -> None:
    # in a fresh interpreter: pytest's own process must not be frozen by this test
    code = textwrap.dedent(
        """
        import gc, weakref
        from core.gc_tuning import settle_after_startup

        class Node:
            pass

        before = gc.get_freeze_count()
        frozen = settle_after_startup()
        assert before == 0 and frozen > 1000, (before, frozen)
        assert settle_after_startup() == frozen  # a second call changes nothing

        a, b = Node(), Node()
        a.other, b.other = b, a  # a reference cycle made after start-up
        probe = weakref.ref(a)
        del a, b
        gc.collect()
        assert probe() is None, "a cycle made after start-up was not collected"
        print("ok", frozen)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("ok ")
