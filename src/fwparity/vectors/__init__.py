"""fwparity.vectors: vector sets in HDF5, hls4ml tb_data .dat files, CMS EMP v1/v2 and APx pattern files, link maps.

Everything reads leniently and writes exactly: pattern files come out byte for byte as cmssw's
``L1Trigger/DemonstratorTools`` writers print them, and raw codes are never passed through floats.
"""

from __future__ import annotations

from ._frames import FLAGS, BoardData
from .apx import format_apx, parse_apx, read_apx, write_apx
from .emp import format_emp_v1, format_emp_v2, parse_emp, read_emp, write_emp

__all__ = [
    # _frames
    "BoardData",
    "FLAGS",
    # emp
    "parse_emp",
    "read_emp",
    "format_emp_v1",
    "format_emp_v2",
    "write_emp",
    # apx
    "parse_apx",
    "read_apx",
    "format_apx",
    "write_apx",
]

for _name in __all__:
    _obj = globals()[_name]
    if callable(_obj):
        _obj.__module__ = __name__
del _name, _obj
