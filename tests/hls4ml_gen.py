"""Generate real hls4ml projects for tests: build a small Keras 3 model, convert it with hls4ml, compile once.

This is the oracle side of the bit-exactness tests: hls4ml writes the HLS C++, g++ compiles it against the
real ap_types headers, and ``predict``/``trace`` run that C simulation. Tests compare fwparity's results with
it.

Use it from a test module (``python -m pytest`` puts the repository root on ``sys.path``)::

    from tests.hls4ml_gen import make_project, jet_tagger_spec

    @pytest.fixture(scope="module")
    def jet(tmp_path_factory):
        return make_project(tmp_path_factory, jet_tagger_spec(), input_shape=(16,),
                            default_precision="ap_fixed<16,6>")

    def test_it(jet):
        y = jet.predict(x)              # {output layer name: float64 (N, *shape)}
        y, tr = jet.trace(x)            # tr: {layer name: float64 (N, *shape)} for every traced layer
        model = fwparity.load_model(jet.dir)

Each distinct description (layers, weights seed, precisions, options, hls4ml/Keras versions, this file's code)
is converted and compiled once: per process (``_CACHE``), and on disk under the run's pytest temp directory,
shared by xdist workers under a file lock (or under ``$FWPARITY_HLS4ML_CACHE``, kept across runs). Treat the
project directories as read-only; copy one before editing it. ``compile()`` takes ~7 s for the jet tagger on
the 2-core machine (g++ -O3 over nnet_utils); ``compile=False`` only writes the files (<1 s). Share projects
through module- or session-scoped fixtures.

Design notes (measured with hls4ml 1.3.0):

- Tracing: ``ModelGraph.trace()`` always recompiles (~7 s more). Instead every layer gets ``Trace: True``, the
  graph ``config.trace_output = True`` before the first compile, and :meth:`GeneratedProject.trace` calls the
  bridge's ``allocate_trace_storage``/``collect_trace_output`` itself: 0.03 s for 200 vectors. With
  tracing compiled in but not allocated, ``save_layer_output`` returns at once: ``predict`` is unaffected.
- Precisions: every ``auto`` in the config becomes ``default_precision`` (hls4ml's inferred accumulators
  are up to 39 bits wide and would make the softmax useless); ``precisions={layer: {var: type}}`` overrides.
- Weights are random from ``seed`` and deliberately *off* the type grid, so hls4ml's decimal printing
  (``f'{w:.{F}f}'`` then ``strtod`` then ``ap_fixed(double)``) matters and is exercised.
- Inputs go through ``predict`` as float64: float32 would round wide result types.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import functools
import hashlib
import io
import json
import os
import shutil
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

__all__ = [
    "GeneratedProject",
    "make_project",
    "build_keras_model",
    "keras_weights",
    "jet_tagger_spec",
    "JET_TAGGER_INPUT_SHAPE",
]

#: Input shape of the jet-tagging MLP (example-models KERAS_3layer: 16 -> 64 -> 32 -> 32 -> 5).
JET_TAGGER_INPUT_SHAPE = (16,)

_CACHE: dict[str, GeneratedProject] = {}

_F = TypeVar("_F", bound=Callable[..., Any])


def _quiet(fn: _F) -> _F:
    """Run ``fn`` with warnings ignored: Keras/torch/hls4ml warn on numpy 2; pytest makes warnings errors."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


LayerSpec = Mapping[str, Any] | Sequence[Any]


def jet_tagger_spec() -> list[dict[str, Any]]:
    """The KERAS_3layer jet-tagging MLP: 16 -> 64 -> 32 -> 32 -> 5 with ReLU and softmax."""
    return [
        {"kind": "dense", "units": 64, "name": "fc1"},
        {"kind": "relu", "name": "relu1"},
        {"kind": "dense", "units": 32, "name": "fc2"},
        {"kind": "relu", "name": "relu2"},
        {"kind": "dense", "units": 32, "name": "fc3"},
        {"kind": "relu", "name": "relu3"},
        {"kind": "dense", "units": 5, "name": "output"},
        {"kind": "softmax", "name": "softmax"},
    ]


# kind -> (positional argument names for the tuple shorthand)
_POSITIONAL: dict[str, tuple[str, ...]] = {
    "dense": ("units",),
    "conv1d": ("filters", "kernel_size"),
    "conv2d": ("filters", "kernel_size"),
    "maxpool1d": ("pool_size",),
    "avgpool1d": ("pool_size",),
    "maxpool2d": ("pool_size",),
    "avgpool2d": ("pool_size",),
    "leaky_relu": ("negative_slope",),
    "relu_max": ("max_value",),
    "reshape": ("target_shape",),
    "concatenate": ("axis",),
}

_ACTIVATIONS = {
    "relu",
    "linear",
    "sigmoid",
    "tanh",
    "softmax",
    "softplus",
    "softsign",
    "elu",
    "selu",
    "hard_sigmoid",
}
_MERGES = {
    "add": "Add",
    "subtract": "Subtract",
    "multiply": "Multiply",
    "average": "Average",
    "maximum": "Maximum",
    "minimum": "Minimum",
}


def _normalise(spec: Sequence[LayerSpec]) -> list[dict[str, Any]]:
    """Tuple shorthands ``("dense", 8)`` become dicts; every layer gets a name (``<kind><index>``)."""
    out: list[dict[str, Any]] = []
    for i, item in enumerate(spec):
        if isinstance(item, Mapping):
            d = dict(item)
        else:
            kind, *args = item
            names = _POSITIONAL.get(kind, ())
            if len(args) > len(names):
                raise ValueError(f"layer spec {item!r} has too many positional arguments for kind={kind!r}")
            d = {"kind": kind, **dict(zip(names, args, strict=False))}
        d.setdefault("name", f"{d['kind']}{i + 1}")
        out.append(d)
    return out


def _import_keras() -> Any:
    os.environ.setdefault("KERAS_BACKEND", "torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import keras

    return keras


def _import_hls4ml() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import hls4ml

    return hls4ml


@_quiet
def build_keras_model(
    spec: Sequence[LayerSpec],
    *,
    input_shape: Sequence[int] | Mapping[str, Sequence[int]] = JET_TAGGER_INPUT_SHAPE,
    seed: int = 0,
    outputs: Sequence[str] | None = None,
) -> Any:
    """Build a Keras 3 functional model from ``spec`` with random weights from ``seed``.

    ``input_shape`` is one shape (the input is called ``input_1``) or ``{name: shape}``. Each layer reads the
    previous layer unless it names ``"inputs": [...]`` (layer or input names), which is how merges are built.
    Weights are drawn from ``seed`` off the type grid; batchnorm statistics are drawn too (gamma in [0.5,
    1.5], variance in [0.5, 1.5]) so the folded scale and bias are not trivial."""
    keras = _import_keras()
    L = keras.layers
    layers = _normalise(spec)
    shapes = {"input_1": tuple(input_shape)} if not isinstance(input_shape, Mapping) else dict(input_shape)
    tensors: dict[str, Any] = {name: keras.Input(tuple(s), name=name) for name, s in shapes.items()}
    model_inputs = list(tensors.values())
    previous = list(tensors)[-1]
    for d in layers:
        kind, name = d["kind"], d["name"]
        args = [tensors[n] for n in d.get("inputs", [previous])]
        if kind == "dense":
            layer = L.Dense(d["units"], use_bias=d.get("use_bias", True), name=name)
        elif kind in _ACTIVATIONS:
            layer = L.Activation(kind, name=name)
        elif kind == "leaky_relu":
            layer = L.LeakyReLU(negative_slope=d.get("negative_slope", 0.3), name=name)
        elif kind == "relu_max":
            layer = L.ReLU(max_value=d["max_value"], name=name)
        elif kind == "batchnorm":
            layer = L.BatchNormalization(name=name)
        elif kind == "conv1d":
            layer = L.Conv1D(
                d["filters"],
                d["kernel_size"],
                strides=d.get("strides", 1),
                padding=d.get("padding", "valid"),
                name=name,
            )
        elif kind == "conv2d":
            layer = L.Conv2D(
                d["filters"],
                d["kernel_size"],
                strides=d.get("strides", 1),
                padding=d.get("padding", "valid"),
                name=name,
            )
        elif kind in ("maxpool1d", "avgpool1d", "maxpool2d", "avgpool2d"):
            cls = {
                "maxpool1d": L.MaxPooling1D,
                "avgpool1d": L.AveragePooling1D,
                "maxpool2d": L.MaxPooling2D,
                "avgpool2d": L.AveragePooling2D,
            }[kind]
            layer = cls(
                d.get("pool_size", 2), strides=d.get("strides"), padding=d.get("padding", "valid"), name=name
            )
        elif kind in ("global_maxpool1d", "global_avgpool1d", "global_maxpool2d", "global_avgpool2d"):
            cls = {
                "global_maxpool1d": L.GlobalMaxPooling1D,
                "global_avgpool1d": L.GlobalAveragePooling1D,
                "global_maxpool2d": L.GlobalMaxPooling2D,
                "global_avgpool2d": L.GlobalAveragePooling2D,
            }[kind]
            layer = cls(name=name)
        elif kind == "zeropad1d":
            layer = L.ZeroPadding1D(padding=tuple(d.get("padding", (1, 1))), name=name)
        elif kind == "zeropad2d":
            pads = tuple(tuple(p) for p in d.get("padding", ((1, 1), (1, 1))))
            layer = L.ZeroPadding2D(padding=pads, name=name)
        elif kind == "flatten":
            layer = L.Flatten(name=name)
        elif kind == "reshape":
            layer = L.Reshape(tuple(d["target_shape"]), name=name)
        elif kind in _MERGES:
            layer = getattr(L, _MERGES[kind])(name=name)
        elif kind == "concatenate":
            layer = L.Concatenate(axis=d.get("axis", -1), name=name)
        else:
            raise ValueError(f"build_keras_model does not know kind={kind!r} (layer {name!r})")
        tensors[name] = layer(args if len(args) > 1 else args[0])
        previous = name
    outs = [tensors[n] for n in (outputs or [previous])]
    model = keras.Model(model_inputs, outs if len(outs) > 1 else outs[0])
    _randomise_weights(model, seed)
    return model


def _randomise_weights(model: Any, seed: int) -> None:
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        weights = layer.get_weights()
        if not weights:
            continue
        cls = type(layer).__name__
        if cls == "BatchNormalization":
            n = weights[0].shape
            gamma, beta = rng.uniform(0.5, 1.5, n), rng.uniform(-0.5, 0.5, n)
            mean, var = rng.uniform(-0.5, 0.5, n), rng.uniform(0.5, 1.5, n)
            new = [gamma, beta, mean, var]
        else:
            kernel = weights[0]
            fan_in = int(np.prod(kernel.shape[:-1]))
            # ~1.5/sqrt(fan_in) keeps ReLU activations O(1) through a few layers, so <16,6> neither wraps
            # often nor
            # rounds everything to zero, and the values are far from any type grid.
            new = [rng.normal(0.0, 1.5 / np.sqrt(fan_in), kernel.shape)]
            new += [rng.uniform(-0.5, 0.5, w.shape) for w in weights[1:]]
        layer.set_weights([w.astype(np.float32) for w in new])


@dataclass
class GeneratedProject:
    """A converted (and compiled) hls4ml project: its directory, the live ModelGraph, and how to run it."""

    dir: Path
    hls_model: Any
    keras_model: Any
    key: str
    compile_seconds: float  # of the build that made it (also when reused from the disk cache)
    reused: bool = False  # found built on disk (another xdist worker, or FWPARITY_HLS4ML_CACHE)
    input_names: list[str] = field(default_factory=list)
    output_names: list[str] = field(default_factory=list)  # hls4ml/Keras layer names of the outputs

    def _inputs(self, x: Any) -> Any:
        if isinstance(x, Mapping):
            arrays = [np.ascontiguousarray(np.asarray(x[n], dtype=np.float64)) for n in self.input_names]
        elif isinstance(x, (list, tuple)):
            arrays = [np.ascontiguousarray(np.asarray(a, dtype=np.float64)) for a in x]
        else:
            arrays = [np.ascontiguousarray(np.asarray(x, dtype=np.float64))]
        return arrays

    def _as_dict(self, y: Any, n: int) -> dict[str, np.ndarray]:
        ys = y if isinstance(y, list) else [y]
        out = {}
        for name, var, yi in zip(self.output_names, self.hls_model.get_output_variables(), ys, strict=True):
            out[name] = np.asarray(yi, dtype=np.float64).reshape(n, *var.shape)
        return out

    @_quiet
    def predict(self, x: Any) -> dict[str, np.ndarray]:
        """Run the compiled C simulation on float64 inputs: ``{output layer name: (N, *shape) float64}``.

        ``x`` is one array (N, *shape) for a single-input model, or a list/dict of arrays by input name."""
        arrays = self._inputs(x)
        n = arrays[0].shape[0]
        y = self.hls_model.predict(arrays[0] if len(arrays) == 1 else arrays)
        if n == 1:  # hls4ml drops the batch axis for one sample
            y = [np.asarray(v)[None] for v in y] if isinstance(y, list) else np.asarray(y)[None]
        return self._as_dict(y, n)

    @_quiet
    def trace(self, x: Any) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """Outputs and every traced layer's output, without the recompile ``ModelGraph.trace`` does.

        Returns ``(outputs, trace)``, both ``{layer name: (N, *shape) float64}``.
        """
        hm = self.hls_model
        arrays = self._inputs(x)
        n = arrays[0].shape[0]
        lib = hm._top_function_lib
        top, ctype = hm._get_top_function(arrays[0] if len(arrays) == 1 else arrays)

        class TraceData(ctypes.Structure):
            _fields_ = [("name", ctypes.c_char_p), ("data", ctypes.c_void_p)]

        sizes = {}
        for layer in hm.get_layers():
            if layer.get_attr("function_cpp", None) and layer.get_attr("trace", False):
                sizes[layer.name] = tuple(layer.get_output_variable().shape)
        n_traced = len(sizes)
        slots = (TraceData * n_traced)()
        lib.collect_trace_output.argtypes = [ctypes.POINTER(TraceData)]
        lib.collect_trace_output.restype = None
        lib.allocate_trace_storage.argtypes = [ctypes.c_size_t]
        lib.allocate_trace_storage.restype = None
        lib.free_trace_storage.argtypes = None
        lib.free_trace_storage.restype = None
        outs = [np.zeros((n, v.size()), dtype=np.float64) for v in hm.get_output_variables()]
        traced = {name: np.zeros((n, *shape), dtype=np.float64) for name, shape in sizes.items()}
        lib.allocate_trace_storage(ctypes.sizeof(ctype))
        try:
            for i in range(n):
                inp = [np.ascontiguousarray(a[i]) for a in arrays]
                res = [np.zeros(o.shape[1], dtype=np.float64) for o in outs]
                top(*inp, *res)
                for o, r in zip(outs, res, strict=True):
                    o[i] = r
                lib.collect_trace_output(slots)
                for slot in slots:
                    if slot.name is None:  # the bridge traces fewer layers than it might (e.g. folded ones)
                        continue
                    name = slot.name.decode()
                    ptr = ctypes.cast(slot.data, ctypes.POINTER(ctypes.c_double))
                    traced[name][i] = np.ctypeslib.as_array(ptr, shape=sizes[name])
        finally:
            lib.free_trace_storage()
        return self._as_dict(outs if len(outs) > 1 else outs[0], n), traced


@_quiet
def keras_weights(project: GeneratedProject, layer: str) -> list[np.ndarray]:
    """The float32 Keras weights of ``layer`` (kernel, bias, ...) as generated, before hls4ml printed them."""
    return [np.asarray(w) for w in project.keras_model.get_layer(layer).get_weights()]


_MARKER = ".hls4ml_gen_done.json"


def _fingerprint() -> str:
    """What else decides the generated files: this generator's own code and the hls4ml/Keras versions."""
    keras = _import_keras()
    hls4ml = _import_hls4ml()
    text = Path(__file__).read_bytes() + f"{hls4ml.__version__} {keras.__version__}".encode()
    return hashlib.sha256(text).hexdigest()[:16]


def _cache_root(root: Any) -> Path:
    """Where projects go: $FWPARITY_HLS4ML_CACHE (kept across runs), else the run's pytest temp directory,
    shared by all xdist workers of the run (their base temps are siblings ``popen-gw<N>``), else ``root``
    itself."""
    env = os.environ.get("FWPARITY_HLS4ML_CACHE")
    if env:
        return Path(env)
    if hasattr(root, "getbasetemp"):
        basetemp = Path(root.getbasetemp())
        if basetemp.name.startswith("popen-gw"):
            basetemp = basetemp.parent
        return basetemp / "hls4ml_gen"
    return Path(root)


def _describe_keras(model: Any) -> str:
    h = hashlib.sha256(model.to_json().encode())
    for w in model.get_weights():
        h.update(np.ascontiguousarray(w).tobytes())
    return h.hexdigest()


@_quiet
def make_project(
    root: Any,
    spec: Sequence[LayerSpec] | Any,
    *,
    input_shape: Sequence[int] | Mapping[str, Sequence[int]] = JET_TAGGER_INPUT_SHAPE,
    seed: int = 0,
    outputs: Sequence[str] | None = None,
    default_precision: str = "ap_fixed<16,6>",
    precisions: Mapping[str, Mapping[str, str]] | None = None,
    layer_config: Mapping[str, Mapping[str, Any]] | None = None,
    strategy: str = "Latency",
    backend: str = "Vitis",
    io_type: str = "io_parallel",
    namespace: str | None = None,
    write_weights_txt: bool = True,
    project_name: str = "myproject",
    compile: bool = True,
) -> GeneratedProject:
    """Convert and compile an hls4ml project once per distinct description (cached for the process).

    Parameters
    ----------
    root
        pytest's ``tmp_path_factory`` (projects go under its base temp) or a directory.
    spec
        A layer list for :func:`build_keras_model` (``[("dense", 8), ("relu",), ...]`` or dicts with ``kind``,
        ``name`` and the kind's arguments), or a ready Keras model.
    default_precision
        Replaces every ``auto`` in hls4ml's ``granularity='name'`` config (weights, biases, accumulators,
        results, the input). Table types keep hls4ml's defaults unless overridden.
    precisions
        ``{layer name: {var: type}}`` overrides, e.g. ``{"fc1": {"accum": "ap_fixed<20,8,AP_RND,AP_SAT>"}}``;
        the input layer is ``input_1`` (or the names in ``input_shape``).
    layer_config
        Extra per-layer config keys, e.g. ``{"softmax": {"Implementation": "latency", "TableSize": 512}}``.
    strategy, backend, io_type, namespace, write_weights_txt, project_name
        Passed to hls4ml.
    compile
        False only writes the project (<1 s instead of ~7 s): enough for tests of the files themselves
        (importing, weights); ``predict``/``trace`` then raise.
    """
    hls4ml = _import_hls4ml()
    if isinstance(spec, (list, tuple)):
        desc: Any = {"layers": _normalise(spec), "input_shape": input_shape, "seed": seed, "outputs": outputs}
    else:
        desc = {"keras": _describe_keras(spec)}
    desc.update(
        default_precision=default_precision,
        precisions=precisions,
        layer_config=layer_config,
        strategy=strategy,
        backend=backend,
        io_type=io_type,
        namespace=namespace,
        write_weights_txt=write_weights_txt,
        project_name=project_name,
        hls4ml=hls4ml.__version__,
        compile=compile,
    )
    desc["generator"] = _fingerprint()
    key = hashlib.sha256(json.dumps(desc, sort_keys=True, default=list).encode()).hexdigest()[:16]
    if key in _CACHE:
        return _CACHE[key]

    base = _cache_root(root)
    base.mkdir(parents=True, exist_ok=True)
    out_dir = base / f"{project_name}-{key}"
    keras_model = (
        build_keras_model(spec, input_shape=input_shape, seed=seed, outputs=outputs)
        if isinstance(spec, (list, tuple))
        else spec
    )

    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()) as log:
        warnings.simplefilter("ignore")
        cfg = hls4ml.utils.config_from_keras_model(keras_model, granularity="name", backend=backend)
        cfg["Model"]["Strategy"] = strategy
        cfg["Model"]["Precision"]["default"] = default_precision
        for name, lc in cfg["LayerName"].items():
            lc["Trace"] = True
            prec = lc.setdefault("Precision", {})
            if isinstance(prec, dict):
                for var, value in list(prec.items()):
                    if value == "auto":
                        prec[var] = default_precision
                prec.update((precisions or {}).get(name, {}))
            lc.update((layer_config or {}).get(name, {}))
        unknown = set(precisions or {}) - set(cfg["LayerName"])
        unknown |= set(layer_config or {}) - set(cfg["LayerName"])
        if unknown:
            raise ValueError(
                f"precisions/layer_config name unknown layers {sorted(unknown)}; "
                f"layers: {sorted(cfg['LayerName'])}"
            )
        # conversion only builds the graph in memory; nothing is written before write()/compile()
        hls_model = hls4ml.converters.convert_from_keras_model(
            keras_model,
            hls_config=cfg,
            io_type=io_type,
            backend=backend,
            output_dir=str(out_dir),
            project_name=project_name,
            namespace=namespace,
            write_weights_txt=write_weights_txt,
        )
        # TraceOutput is read from the top-level config, not HLSConfig.Model; set it on the graph before the
        # first write so save_layer_output calls are compiled in once.
        hls_model.config.trace_output = True
        # Another xdist worker (or, with FWPARITY_HLS4ML_CACHE, an earlier run) may have built this exact
        # project: build once under a file lock, then every process loads the same files.
        with open(base / f"{project_name}-{key}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            marker = out_dir / _MARKER
            reused = marker.is_file()
            if reused:
                done = json.loads(marker.read_text())
                seconds = float(done["seconds"])
                if compile:
                    lib_path = out_dir / "firmware" / done["lib"]
                    hls_model._top_function_lib = ctypes.cdll.LoadLibrary(str(lib_path))
            else:
                if out_dir.exists():
                    shutil.rmtree(out_dir)  # a build that died half-way
                t0 = time.perf_counter()
                if compile:
                    hls_model.compile()
                else:
                    hls_model.write()
                seconds = time.perf_counter() - t0
                lib = Path(hls_model._top_function_lib._name).name if compile else None
                (out_dir / "hls4ml_gen.log").write_text(log.getvalue())
                marker.write_text(json.dumps({"seconds": seconds, "lib": lib}))

    output_vars = {v.name for v in hls_model.get_output_variables()}
    by_var = {layer.get_output_variable().name: layer.name for layer in hls_model.get_layers()}
    project = GeneratedProject(
        dir=out_dir,
        hls_model=hls_model,
        keras_model=keras_model,
        key=key,
        compile_seconds=seconds,
        reused=reused,
        input_names=[v.name for v in hls_model.get_input_variables()],
        output_names=[by_var[v.name] for v in hls_model.get_output_variables() if v.name in output_vars],
    )
    _CACHE[key] = project
    return project
