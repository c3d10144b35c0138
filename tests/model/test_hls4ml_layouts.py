"""The importer on hand-written hls4ml project layouts: where the sources are, namespaces, .h-only weights,
``#define`` sizes with an older bundled nnet_utils, several top functions, and the errors for what it cannot
read.

One small network (dense 4->3, relu, sigmoid) is written in each layout. Its weights are decimal tokens chosen
to hit the quantizer's edges; the expected raw codes are worked out by hand below and confirmed by g++ with
the real ap_types headers in ``test_hand_values_are_what_gxx_computes``.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

from fwparity import _toolchain
from fwparity.errors import FormatError, InvalidArgument, UnsupportedLayer
from fwparity.model import load_model

W_TOKENS = [
    "0.1",
    "-0.1",
    "0.49999",
    "1.03125",
    "0.0312499999",
    "3.99",
    "4.5",
    "-4.0",
    "0",
    "-0.03125",
    "2.0e-1",
    "0.25",
]
# ap_fixed<8,3> (TRN, WRAP): floor(x * 32), wrapped to [-128, 127]; 4.5 * 32 = 144 wraps to -112
W_RAW = [3, -4, 15, 33, 0, 127, -112, -128, 0, -1, 6, 8]
B_TOKENS = ["0.1", "10.0", "-0.046875"]
# ap_fixed<8,3,AP_RND,AP_SAT>: 3.2 -> 3, 320 saturates to 127, -1.5 rounds half up to -1
B_RAW = [3, 127, -1]


def _ns(text: str, ns: str | None) -> str:
    return f"namespace {ns} {{\n{text}\n}}  // namespace {ns}\n" if ns else text


def _weights_h(name: str, type_name: str, tokens: list[str], *, txt: bool, ns: str | None) -> str:
    values = ", ".join(tokens)
    if txt:
        decl = (
            f"#ifndef __SYNTHESIS__\n{type_name} {name}[{len(tokens)}];\n#else\n"
            f"{type_name} {name}[{len(tokens)}] = {{{values}}};\n#endif"
        )
    else:
        decl = f"{type_name} {name}[{len(tokens)}] = {{{values}}};"
    return (
        f"//Numpy array shape [{len(tokens)}]\n#ifndef {name.upper()}_H_\n#define {name.upper()}_H_\n"
        f"{_ns(decl, ns)}\n#endif\n"
    )


def write_project(
    root: Path,
    *,
    firmware: bool = True,
    ns: str | None = None,
    txt: bool = True,
    old_style: bool = False,
    body_extra: str = "",
    top_name: str = "myproject",
) -> Path:
    """Write the small network as hls4ml would (modern 1.x layout, or 0.6-0.8 style with ``old_style``)."""
    fw = root / "firmware" if firmware else root
    (fw / "weights").mkdir(parents=True, exist_ok=True)
    n_in, n_out = ("N_INPUT_1_1", "N_LAYER_2") if old_style else ("4", "3")
    wt, bt = ("model_default_t", "fc1_bias_t") if old_style else ("fc1_weight_t", "fc1_bias_t")
    numbers = "#define N_INPUT_1_1 4\n#define N_LAYER_2 3\n" if old_style else ""
    types = (
        ("typedef ap_fixed<8,3> model_default_t;\n" if old_style else "typedef ap_fixed<8,3> fc1_weight_t;\n")
        + "typedef ap_fixed<10,4> input_t;\ntypedef ap_fixed<20,8> fc1_accum_t;\n"
        "typedef ap_fixed<12,5> layer2_t;\n"
        "typedef ap_fixed<8,3,AP_RND,AP_SAT> fc1_bias_t;\ntypedef ap_fixed<8,3> layer3_t;\n"
        "typedef ap_fixed<16,2> sig_table_t;\ntypedef ap_ufixed<8,0> result_t;\n"
    )
    (fw / "defines.h").write_text(
        '#ifndef DEFINES_H_\n#define DEFINES_H_\n#include "ap_fixed.h"\n#include "ap_int.h"\n'
        f"// hls-fpga-machine-learning insert numbers\n{numbers}"
        f"// hls-fpga-machine-learning insert layer-precision\n{_ns(types, ns)}#endif\n"
    )
    product = (
        "template<class x_T, class y_T, class res_T>\n"
        "    using product = nnet::product::mult<x_T, y_T, res_T>;"
        if old_style
        else "template<class x_T, class y_T>\n    using product = nnet::product::mult<x_T, y_T>;"
    )
    sig_size = "" if old_style else "    static const unsigned table_size = 512;\n"
    structs = (
        "// fc1\nstruct config2 : nnet::dense_config {\n"
        f"    static const unsigned n_in = {n_in};\n    static const unsigned n_out = {n_out};\n"
        "    static const unsigned io_type = nnet::io_parallel;\n"
        "    static const unsigned strategy = nnet::latency;\n"
        f"    typedef fc1_accum_t accum_t;\n    typedef {bt} bias_t;\n"
        f"    typedef {wt} weight_t;\n    {product}\n}};\n\n"
        f"// relu1\nstruct relu_config3 : nnet::activ_config {{\n"
        f"    static const unsigned n_in = {n_out};\n}};\n\n"
        f"// sig\nstruct sigmoid_config4 : nnet::activ_config {{\n    static const unsigned n_in = {n_out};\n"
        f"{sig_size}    typedef sig_table_t table_t;\n}};\n"
    )
    (fw / "parameters.h").write_text(
        '#ifndef PARAMETERS_H_\n#define PARAMETERS_H_\n#include "defines.h"\n'
        '#include "weights/w2.h"\n#include "weights/b2.h"\n' + _ns(structs, ns) + "#endif\n"
    )
    (fw / "weights" / "w2.h").write_text(_weights_h("w2", wt, W_TOKENS, txt=txt, ns=ns))
    (fw / "weights" / "b2.h").write_text(_weights_h("b2", bt, B_TOKENS, txt=txt, ns=ns))
    if txt:
        (fw / "weights" / "w2.txt").write_text(", ".join(W_TOKENS) + "\n")
        (fw / "weights" / "b2.txt").write_text(", ".join(B_TOKENS) + "\n")
    params = f"    input_t x[{n_in}],\n    result_t layer4_out[{n_out}]"
    if old_style:
        params += ",\n    unsigned short &const_size_in_1,\n    unsigned short &const_size_out_1"
    loads = (
        "#ifndef __SYNTHESIS__\n    static bool loaded_weights = false;\n    if (!loaded_weights) {\n"
        f'        nnet::load_weights_from_txt<{wt}, 12>(w2, "w2.txt");\n'
        f'        nnet::load_weights_from_txt<{bt}, 3>(b2, "b2.txt");\n'
        f"        loaded_weights = true;\n    }}\n#endif\n"
        if txt
        else ""
    )
    sizes = f"    const_size_in_1 = {n_in};\n    const_size_out_1 = {n_out};\n" if old_style else ""
    top = (
        f"void {top_name}(\n{params}\n) {{\n    #pragma HLS ARRAY_PARTITION variable=x complete dim=0\n"
        f"    #pragma HLS PIPELINE\n{sizes}{loads}"
        f"    layer2_t layer2_out[{n_out}];\n"
        f"    #pragma HLS ARRAY_PARTITION variable=layer2_out complete dim=0\n"
        f"    layer3_t layer3_out[{n_out}];\n"
        "    nnet::dense<input_t, layer2_t, config2>(x, layer2_out, w2, b2); // fc1\n"
        "    nnet::relu<layer2_t, layer3_t, relu_config3>(layer2_out, layer3_out); // relu1\n"
        f"{body_extra}"
        "    nnet::sigmoid<layer3_t, result_t, sigmoid_config4>(layer3_out, layer4_out); // sig\n}\n"
    )
    (fw / f"{top_name}.cpp").write_text(
        f'#include <iostream>\n\n#include "{top_name}.h"\n#include "parameters.h"\n\n{_ns(top, ns)}'
    )
    (fw / f"{top_name}.h").write_text(
        '#ifndef MYPROJECT_H_\n#define MYPROJECT_H_\n#include "defines.h"\n'
        + _ns(f"void {top_name}(\n{params}\n);\n", ns)
        + "#endif\n"
    )
    if old_style:
        nnet = fw / "nnet_utils"
        nnet.mkdir(exist_ok=True)
        # an older bundled nnet_utils with its own defaults: the importer must read these, not the installed
        # ones
        (nnet / "nnet_activation.h").write_text(
            "namespace nnet {\nstruct activ_config {\n    static const unsigned n_in = 10;\n"
            "    static const unsigned table_size = 2048;\n    static const unsigned io_type = io_parallel;\n"
            "    typedef ap_fixed<18,8> table_t;\n};\n}\n"
        )
    if not firmware:
        # the Python bridge sits next to the top in a flat layout; it calls no layers and is not a candidate
        (root / f"{top_name}_bridge.cpp").write_text(
            f'#include "{top_name}.h"\nextern "C" {{\nvoid {top_name}_double(double x[4], double y[3]) {{\n'
            "    input_t x_ap[4];\n    nnet::convert_data<double, input_t, 4>(x, x_ap);\n"
            "    result_t y_ap[3];\n"
            f"    {top_name}(x_ap, y_ap);\n"
            f"    nnet::convert_data_back<result_t, double, 3>(y_ap, y);\n}}\n}}\n"
        )
    return root


LAYOUTS = {
    "firmware-dir": {},
    "flat": {"firmware": False},
    "namespace": {"ns": "l1t"},
    "h-only-weights": {"txt": False},
    "namespace-h-only": {"ns": "trigger", "txt": False},
    "defines-old-nnet-utils": {"old_style": True},
}


@pytest.mark.parametrize("options", list(LAYOUTS.values()), ids=list(LAYOUTS))
def test_layouts_import_the_same_network(tmp_path: Path, options: dict) -> None:
    model = load_model(write_project(tmp_path / "prj", **options))
    assert [t.name for t in model.inputs] == ["x"] and str(model.inputs[0].type) == "ap_fixed<10,4>"
    assert [(layer.name, layer.kind, layer.inputs) for layer in model.layers] == [
        ("fc1", "dense", ["x"]),
        ("relu1", "relu", ["fc1"]),
        ("sig", "sigmoid", ["relu1"]),
    ]
    assert model.outputs == ["sig"] and model.name == "myproject"
    fc1 = model.layer("fc1")
    assert {k: str(v) for k, v in fc1.types.items()} == {
        "weight": "ap_fixed<8,3>",
        "bias": "ap_fixed<8,3,AP_RND,AP_SAT>",
        "accum": "ap_fixed<20,8>",
        "result": "ap_fixed<12,5>",
    }
    assert fc1.weights["weight"].tolist() == np.reshape(W_RAW, (4, 3)).tolist()
    assert fc1.weights["bias"].tolist() == B_RAW
    assert fc1.options == {"n_in": 4, "n_out": 3, "strategy": "latency", "reuse_factor": 1}
    sig = model.layer("sig")
    assert {k: str(v) for k, v in sig.types.items()} == {
        "result": "ap_ufixed<8,0>",
        "table": "ap_fixed<16,2>",
    }
    # 512 from the struct; the old-style struct has none and inherits the bundled nnet_utils default of 2048
    assert sig.options == {"table_size": 2048 if options.get("old_style") else 512}


def test_project_and_firmware_dirs_give_the_same_model(tmp_path: Path) -> None:
    root = write_project(tmp_path / "prj")
    assert load_model(root).sha256() == load_model(root / "firmware").sha256()


def test_txt_weights_win_over_h_initialisers(tmp_path: Path) -> None:
    # csim (what predict() and fwparity's csim backend run) loads the .txt files; when they disagree with the
    # .h,
    # the .txt values are the ones the C++ simulation uses
    root = write_project(tmp_path / "prj")
    (root / "firmware" / "weights" / "b2.txt").write_text("0.0, 0.0, 0.0\n")
    assert load_model(root).layer("fc1").weights["bias"].tolist() == [0, 0, 0]


def _add_second_top(root: Path) -> None:
    (root / "firmware" / "variant.cpp").write_text(
        '#include "parameters.h"\nvoid myproject_v2(input_t x[4], layer3_t out[3]) {\n'
        "    layer2_t l2[3];\n    nnet::dense<input_t, layer2_t, config2>(x, l2, w2, b2); // fc1\n"
        "    nnet::relu<layer2_t, layer3_t, relu_config3>(l2, out); // relu1\n}\n"
    )


def test_several_tops_need_top(tmp_path: Path) -> None:
    root = write_project(tmp_path / "prj")
    _add_second_top(root)
    with pytest.raises(
        InvalidArgument,
        match=rf"^'{re.escape(str(root))}' has several top functions; "
        r"pass top= one of: myproject, myproject_v2$",
    ):
        load_model(root)
    v2 = load_model(root, top="myproject_v2")
    assert (v2.name, [layer.name for layer in v2.layers], v2.outputs) == (
        "myproject_v2",
        ["fc1", "relu1"],
        ["relu1"],
    )
    assert load_model(root, top="myproject").outputs == ["sig"]


def test_unknown_top_lists_candidates(tmp_path: Path) -> None:
    root = write_project(tmp_path / "prj", ns="l1t")
    with pytest.raises(
        InvalidArgument,
        match=rf"^top='nope' is not a top function of '{re.escape(str(root))}'; candidates: l1t::myproject$",
    ):
        load_model(root, top="nope")
    assert load_model(root, top="l1t::myproject").name == "myproject"


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


ERRORS = [
    pytest.param(
        dict(body_extra="    nnet::resize_nearest<layer3_t, config9>(layer3_out, layer3_out); // up\n"),
        None,
        UnsupportedLayer,
        "Layer 'up': nnet::resize_nearest is not supported by fwparity; call: "
        "nnet::resize_nearest<layer3_t, config9>(layer3_out, layer3_out); // up",
        id="unsupported-layer",
    ),
    pytest.param(
        dict(body_extra="    my_filter(layer3_out, layer3_out);\n"),
        None,
        UnsupportedLayer,
        "myproject.cpp: myproject(): call 'my_filter(layer3_out, layer3_out);' is not an nnet:: layer; "
        "fwparity cannot model it",
        id="foreign-call",
    ),
    pytest.param(
        dict(body_extra="    layer3_out[0] = layer2_out[1]; // glue\n"),
        None,
        UnsupportedLayer,
        "myproject.cpp: myproject(): statement 'layer3_out[0] = layer2_out[1];' uses 'layer2_out' outside an "
        "nnet:: call; fwparity cannot model hand-written code",
        id="hand-written-glue",
    ),
    pytest.param(
        {},
        lambda fw: _edit(fw / "myproject.cpp", "input_t x[4]", "hls::stream<input_t> &x"),
        UnsupportedLayer,
        "myproject.cpp: myproject(): parameter 'hls::stream<input_t> &x' is an hls::stream (io_stream); "
        "io_parallel only",
        id="io-stream",
    ),
    pytest.param(
        {},
        lambda fw: _edit(fw / "defines.h", "typedef ap_fixed<12,5> layer2_t;", "typedef float layer2_t;"),
        UnsupportedLayer,
        "Layer 'fc1' (nnet::dense<input_t, layer2_t, config2>(x, "
        "layer2_out, w2, b2); // fc1): type 'layer2_t' "
        "resolves to 'float', which is not an ap_fixed/ap_int type",
        id="float-type",
    ),
    pytest.param(
        dict(txt=False),
        lambda fw: _edit(fw / "weights" / "w2.h", "= {", "; int unused[1] = {"),
        FormatError,
        "Layer 'fc1' (nnet::dense<input_t, layer2_t, config2>(x, layer2_out, w2, b2); // fc1): no values for "
        "weight array 'w2' (neither weights/w2.txt loaded by "
        "the top function nor an initialiser in weights/*.h) "
        "in '{fw}'",
        id="no-weights",
    ),
    pytest.param(
        {},
        lambda fw: (fw / "weights" / "w2.txt").write_text(", ".join(W_TOKENS[:11]) + "\n"),
        FormatError,
        "'{fw}/weights/w2.txt' holds 11 values for w2[12]",
        id="short-weights-file",
    ),
    pytest.param(
        {},
        lambda fw: _edit(fw / "parameters.h", "struct config2", "struct config2_renamed"),
        FormatError,
        "Layer 'fc1' (nnet::dense<input_t, layer2_t, config2>(x, layer2_out, w2, b2); // fc1): config struct "
        "'config2' is not defined in the project headers",
        id="missing-config",
    ),
    pytest.param(
        {},
        lambda fw: [p.unlink() for p in fw.glob("*.cpp")],
        FormatError,
        "'{root}' is not an hls4ml project: no .cpp files in it or in its firmware/",
        id="no-sources",
    ),
    pytest.param(
        {},
        lambda fw: (fw.parent / "hls4ml_config.yml").write_text("Backend: Vitis\nIOType: io_stream\n"),
        UnsupportedLayer,
        "Project '{root}' uses IOType='io_stream'; fwparity imports io_parallel only",
        id="yaml-io-stream",
    ),
]


@pytest.mark.parametrize(("options", "edit", "error", "message"), ERRORS)
def test_errors_name_the_layer_and_call(tmp_path: Path, options, edit, error: type, message: str) -> None:
    root = write_project(tmp_path / "prj", **options)
    fw = root / "firmware"
    if edit is not None:
        edit(fw)
    with pytest.raises(error) as info:
        load_model(root)
    # whole messages, literal apart from the tmp paths
    assert str(info.value) == message.replace("{fw}", str(fw)).replace("{root}", str(root))


@pytest.mark.requires_gxx
def test_hand_values_are_what_gxx_computes(tmp_path: Path) -> None:
    """The hand-derived raws above are what ``istringstream >> ap_fixed`` (csim's weight loader) produces."""
    src = tmp_path / "q.cpp"
    src.write_text(
        '#include <cstdio>\n#include <sstream>\n#include "ap_fixed.h"\n'
        "template <class T> void q(const char *tok) { T x; std::istringstream(tok) >> x;\n"
        '  std::printf("%d\\n'
        '", (int)x.range(T::width - 1, 0).to_int() - ((x < 0) ? (1 << T::width) : 0)); }\n'
        "int main() {\n"
        + "".join(f'  q<ap_fixed<8,3> >(" {t}");\n' for t in W_TOKENS)
        + "".join(f'  q<ap_fixed<8,3,AP_RND,AP_SAT> >(" {t}");\n' for t in B_TOKENS)
        + "}\n"
    )
    exe = tmp_path / "q"
    subprocess.run(
        [
            _toolchain.find_gxx(),
            "-std=c++17",
            "-O0",
            f"-I{_toolchain.find_ap_include()}",
            str(src),
            "-o",
            str(exe),
        ],
        check=True,
        capture_output=True,
    )
    out = [
        int(v) for v in subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout.split()
    ]
    assert out == W_RAW + B_RAW


def test_softmax_without_implementation_is_legacy(tmp_path: Path) -> None:
    """Projects older than hls4ml 0.6 had one softmax (today's "legacy") and no ``implementation`` member."""
    root = write_project(tmp_path / "prj", old_style=True)
    fw = root / "firmware"
    _edit(
        fw / "parameters.h",
        "// sig\n",
        "// sm\nstruct softmax_config9 : nnet::activ_config {\n    static const unsigned n_in = N_LAYER_2;\n"
        "    static const unsigned table_size = 512;\n    typedef ap_fixed<18,8> exp_table_t;\n"
        "    typedef ap_fixed<18,8> inv_table_t;\n};\n\n// sig\n",
    )
    _edit(
        fw / "myproject.cpp",
        "nnet::sigmoid<layer3_t, result_t, sigmoid_config4>(layer3_out, layer4_out); // sig",
        "nnet::softmax<layer3_t, result_t, softmax_config9>(layer3_out, layer4_out); // sm",
    )
    sm = load_model(root).layer("sm")
    assert (sm.kind, sm.options["implementation"]) == ("softmax", "legacy")
    assert (sm.options["table_size"], sm.options["exp_table_size"], sm.options["inv_table_size"]) == (
        512,
        512,
        512,
    )
    assert {k: str(v) for k, v in sm.types.items()} == {
        "result": "ap_ufixed<8,0>",
        "exp_table": "ap_fixed<18,8>",
        "inv_table": "ap_fixed<18,8>",
        "table": "ap_fixed<18,8>",
    }
