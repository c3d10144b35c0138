"""Small hand-built Models shared by the model tests."""

from __future__ import annotations

import numpy as np

from fwparity.model import Layer, Model, Tensor


def tiny_mlp(*, wide: bool = False) -> Model:
    """4 -> 3 dense, relu, 3 -> 2 dense, softmax; ``wide``: the second dense has 80-bit (object) weights."""
    # explicit values (not an RNG stream) so the pinned sha256 cannot move with a numpy upgrade
    w1 = (np.arange(12).reshape(4, 3) * 37 % 256) - 128
    b1 = np.array([-100, 3, 127])
    wt2 = "ap_fixed<80,10>" if wide else "ap_fixed<8,2>"
    if wide:
        w2 = np.empty((3, 2), dtype=object)
        w2[:] = [[(1 << 78) - 1, -(1 << 78)], [12345678901234567890123, -3], [0, 1 << 70]]
    else:
        w2 = np.array([[1, -2], [64, -128], [127, 0]])
    fixed8 = "ap_fixed<8,2>"
    return Model(
        "tiny",
        inputs=[Tensor("x", (4,), "ap_fixed<10,4>")],
        layers=[
            Layer(
                "fc1",
                "dense",
                ["x"],
                (3,),
                {"weight": fixed8, "bias": fixed8, "accum": "ap_fixed<20,8>", "result": "ap_fixed<12,6>"},
                {"weight": w1, "bias": b1},
                {"n_in": 4, "n_out": 3, "strategy": "latency"},
            ),
            Layer("relu1", "relu", ["fc1"], (3,), {"result": "ap_fixed<10,4,AP_RND,AP_SAT>"}),
            Layer(
                "fc2",
                "dense",
                ["relu1"],
                (2,),
                {"weight": wt2, "bias": fixed8, "accum": "ap_fixed<20,8>", "result": "ap_fixed<16,6>"},
                {"weight": w2, "bias": np.array([5, -7])},
                {"n_in": 3, "n_out": 2, "strategy": "latency"},
            ),
            Layer(
                "softmax",
                "softmax",
                ["fc2"],
                (2,),
                {
                    "exp_table": "ap_fixed<18,8,AP_RND,AP_SAT>",
                    "inv_table": "ap_fixed<18,8,AP_RND,AP_SAT>",
                    "accum": "ap_fixed<18,8,AP_RND,AP_SAT>",
                    "inv_inp": "ap_fixed<18,8,AP_RND,AP_SAT>",
                    "inp_norm": "ap_ufixed<15,5>",
                    "result": "ap_fixed<16,6>",
                },
                {},
                {
                    "implementation": "stable",
                    "table_size": 1024,
                    "exp_table_size": 1024,
                    "inv_table_size": 1024,
                    "exp_scale": 1.0,
                },
            ),
        ],
        outputs=["softmax"],
    )
