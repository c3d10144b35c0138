// fwp_relu: elementwise ReLU family (nnet_activation.h).
//
// MODE 0 linear:  res = res_t(x)
// MODE 1 relu:    res = x > 0 ? res_t(x) : 0
// MODE 2 relu_max (ReLU6 style): res = res_t(clip(x, 0, MAX)), MAX a raw value on the input type
// MODE 3 leaky_relu: res = x > 0 ? res_t(x) : res_t(alpha * x), ALPHA raw on (P_W, P_F, P_S)
// MODE 4 thresholded_relu: res = x > THETA ? res_t(x) : 0, THETA raw on (P_W, P_F, P_S)
module fwp_relu #(
    parameter integer N = 4,
    parameter integer MODE = 1,
    parameter integer X_W = 16, parameter integer X_F = 10, parameter integer X_S = 1,
    parameter integer R_W = 16, parameter integer R_F = 10, parameter integer R_S = 1,
    parameter integer R_Q = 0, parameter integer R_O = 0, parameter integer R_N = 0,
    parameter integer P_W = 16, parameter integer P_F = 10, parameter integer P_S = 1,
    parameter [X_W-1:0] MAX = {X_W{1'b0}},
    parameter [P_W-1:0] ALPHA = {P_W{1'b0}},
    parameter [P_W-1:0] THETA = {P_W{1'b0}}
) (
    input  wire [N*X_W-1:0] x,
    output wire [N*R_W-1:0] y
);
    // Comparisons with a parameter on another type are exact when both sides are aligned to the finer grid.
    localparam integer F_C = (X_F > P_F) ? X_F : P_F;
    localparam integer I_X = X_W - X_F;
    localparam integer I_P = P_W - P_F;
    localparam integer C_W = ((I_X > I_P) ? I_X : I_P) + F_C + 2;
    localparam integer PM_W = X_W + P_W + 2;

    genvar e;
    generate
        for (e = 0; e < N; e = e + 1) begin : g_el
            wire [X_W-1:0] xr = x[e*X_W +: X_W];
            wire xneg = (X_S != 0) & xr[X_W-1];
            /* verilator lint_off UNUSEDSIGNAL */
            wire pos = ~xneg & (|xr);
            /* verilator lint_on UNUSEDSIGNAL */
            wire [R_W-1:0] yx;
            wire [X_W-1:0] src;
            if (MODE == 2) begin : g_clip
                wire signed [X_W:0] xs = {xneg, xr};
                wire signed [X_W:0] ms = {(X_S != 0) & MAX[X_W-1], MAX};
                assign src = ~pos ? {X_W{1'b0}} : ((xs > ms) ? MAX : xr);
            end else begin : g_pass
                assign src = xr;
            end
            fwp_requant #(
                .IN_W(X_W), .IN_F(X_F), .IN_SIGNED(X_S),
                .OUT_W(R_W), .OUT_F(R_F), .OUT_SIGNED(R_S), .QUANT(R_Q), .OVF(R_O), .SAT_BITS(R_N)
            ) u_x (.din(src), .dout(yx));
            if (MODE == 0 || MODE == 2) begin : g_lin
                assign y[e*R_W +: R_W] = yx;
            end else if (MODE == 1) begin : g_relu
                assign y[e*R_W +: R_W] = pos ? yx : {R_W{1'b0}};
            end else if (MODE == 3) begin : g_leaky
                wire signed [X_W:0] xs = {xneg, xr};
                wire signed [P_W:0] as = {(P_S != 0) & ALPHA[P_W-1], ALPHA};
                wire signed [PM_W-1:0] prod = xs * as;
                wire [R_W-1:0] yn;
                fwp_requant #(
                    .IN_W(PM_W), .IN_F(X_F + P_F), .IN_SIGNED(1),
                    .OUT_W(R_W), .OUT_F(R_F), .OUT_SIGNED(R_S), .QUANT(R_Q), .OVF(R_O), .SAT_BITS(R_N)
                ) u_n (.din(prod), .dout(yn));
                assign y[e*R_W +: R_W] = pos ? yx : yn;
            end else begin : g_thr
                wire signed [C_W-1:0] xc = $signed({{(C_W - X_W){xneg}}, xr}) <<< (F_C - X_F);
                wire signed [C_W-1:0] tc = $signed({{(C_W - P_W){(P_S != 0) & THETA[P_W-1]}}, THETA}) <<< (F_C - P_F);
                assign y[e*R_W +: R_W] = (xc > tc) ? yx : {R_W{1'b0}};
            end
        end
    endgenerate
endmodule
