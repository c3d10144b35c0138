"""fwparity.vectors: vector sets in HDF5, hls4ml tb_data .dat files, CMS EMP v1/v2 and APx pattern files, link
maps.

Everything reads leniently and writes exactly: pattern files come out byte for byte as cmssw's
``L1Trigger/DemonstratorTools`` writers print them, and raw codes never pass through floats.
"""

from __future__ import annotations

from ._convert import FileInfo, convert, info, render_info
from ._detect import FORMATS, detect_format
from ._frames import FLAGS, BoardData
from .apx import format_apx, parse_apx, read_apx, write_apx
from .dat import decimal_strings, float32_inexact, format_dat, read_dat, read_dat_tensors, write_dat
from .emp import format_emp_v1, format_emp_v2, parse_emp, read_emp, write_emp
from .hdf5 import (
    SCHEMA,
    VectorSet,
    VectorWriter,
    describe_vectors,
    encode_dataset,
    iter_input_chunks,
    read_frames,
    read_inputs,
    read_stored_inputs,
    read_vectors,
    resolve_inputs,
    write_frames,
    write_root_attributes,
    write_vectors,
)
from .linkmap import ChannelSpec, Field, Link, LinkMap, TensorSpec, load_link_map, parse_link_map

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
    # hdf5
    "SCHEMA",
    "VectorSet",
    "VectorWriter",
    "describe_vectors",
    "read_vectors",
    "write_vectors",
    "read_inputs",
    "read_stored_inputs",
    "resolve_inputs",
    "iter_input_chunks",
    "read_frames",
    "write_frames",
    "encode_dataset",
    "write_root_attributes",
    # dat
    "decimal_strings",
    "float32_inexact",
    "format_dat",
    "read_dat",
    "read_dat_tensors",
    "write_dat",
    # linkmap
    "LinkMap",
    "ChannelSpec",
    "Link",
    "TensorSpec",
    "Field",
    "load_link_map",
    "parse_link_map",
    # _detect
    "FORMATS",
    "detect_format",
    # _convert
    "FileInfo",
    "convert",
    "info",
    "render_info",
]

for _name in __all__:
    _obj = globals()[_name]
    if callable(_obj) and getattr(_obj, "__module__", "").startswith(__name__ + "."):
        _obj.__module__ = __name__
del _name, _obj
