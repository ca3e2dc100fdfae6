"""The embedded search backend, split by concern: engine.py (the numpy segments, plan, execution and merge),
store.py (the SQLite document store, its generations and write transactions) and backend.py (EmbeddedBackend:
the in-memory main + delta index of the current generation, searching and writing through the two).

The public names stay importable from `search.embedded`.
"""

from search.embedded.backend import EmbeddedBackend
from search.embedded.engine import (
           Partial,
           Plan,
           Segment,
           build_segment,
           execute,
           haversine_array,
           make_plan,
           merge,
           top_k,
)

__all__ = ["EmbeddedBackend", "Partial", "Plan", "Segment", "build_segment", "execute", "haversine_array",
           "make_plan", "merge", "top_k"]
