"""pytest plugin for fwparity (registered through the ``pytest11`` entry point).

Every pytest run in an environment with fwparity installed loads this module, so its top-level imports are pytest
and the standard library only; fwparity's own modules are imported inside the fixtures and helpers that need them.
"""

from __future__ import annotations
