"""``load_model``: the single entry point that turns a path into a :class:`~fwparity.model.Model`."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import InvalidArgument
from ._model import Model

__all__ = ["load_model"]


def load_model(path: str | os.PathLike[str], *, top: str | None = None) -> Model:
    """Load a Model from a native fwparity file or an hls4ml project directory.

    Parameters
    ----------
    path
        A file written by :meth:`Model.save`, or a directory holding an hls4ml (Vivado/Vitis) project:
        the project root or its ``firmware/`` directory.
    top
        For a project with several candidate top functions, the one to import. Ignored for native files.

    Returns
    -------
    Model
        A validated model.

    Raises
    ------
    InvalidArgument
        ``path`` does not exist, or ``top`` is ambiguous or unknown.
    FormatError
        The file or project is malformed; the message names the file.
    UnsupportedLayer
        The project calls a layer fwparity does not model; the message names the layer and the C++ call.
    """
    p = Path(path)
    if p.is_dir():
        from ._hls4ml import import_hls4ml_project

        return import_hls4ml_project(p, top=top)
    if p.is_file():
        from ._native import load_native

        return load_native(p)
    raise InvalidArgument(f"path={str(path)!r} is neither a model file nor an hls4ml project directory")
