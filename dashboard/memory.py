"""The app process's allocator for Arrow's buffers: glibc's malloc, not the
mimalloc bundled with pyarrow.

In: nothing (called first thing by ``dashboard/app.py``, before pandas or
pyarrow are imported). Out: ``ARROW_DEFAULT_MEMORY_POOL=system`` in the
process environment, which pyarrow reads once when it is imported; in a
process that has imported pyarrow already (AppTest, a notebook) pyarrow's
default pool is switched instead, for the buffers made from then on.

Why: every string column of a pandas 3 frame is an Arrow array, and so is
every frame the data layer returns. Under mimalloc the app's Streamlit process
kept 60–75 MB resident for 30–40 MB of live Arrow buffers after the
benchmark's visits (``bench/run.py --only-rss``, profiled with
``/proc/<pid>/smaps``: mimalloc keeps the pages that short-lived script
threads freed); in glibc's heap they cost about what they hold (README,
benchmark section, ``app_rss_mb``).
"""

from __future__ import annotations

import os
import sys

ARROW_POOL = "system"


def use_system_allocator_for_arrow() -> None:
    """Arrow's buffers in glibc's malloc from now on (see the module docstring).
    An operator's own ``ARROW_DEFAULT_MEMORY_POOL`` is kept."""
    if "pyarrow" not in sys.modules:
        os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", ARROW_POOL)
        return
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL", ARROW_POOL) != ARROW_POOL:
        return
    import pyarrow as pa

    pa.set_memory_pool(pa.system_memory_pool())
