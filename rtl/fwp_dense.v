// fwp_dense: fully parallel dense layer with hls4ml's latency-strategy arithmetic (nnet_dense_latency.h).
//
// For output j: acc = accum_t(bias[j]); for i = 0 .. N_IN-1 in order: acc = accum_t(acc + accum_t(x[i] * w[i][j]));
// res[j] = res_t(acc). Each product is exact and then quantised to accum_t on its own, and every add is requantised,
// so a saturating accumulator gives the same answer as the C++ (a wrapping one does not depend on the order).
// WEIGHTS holds w[i][j] at element i*N_OUT+j (Keras kernel order, C order), element k in bits [k*W_W +: W_W];
// BIASES holds bias[j] in bits [j*B_W +: B_W]. Vectors x and res pack element k in bits [k*W +: W].
// Combinational: the generated top registers each layer.
module fwp_dense #(
    parameter integer N_IN = 4,
    parameter integer N_OUT = 2,
    parameter integer X_W = 16, parameter integer X_F = 10, parameter integer X_S = 1,
    parameter integer W_W = 16, parameter integer W_F = 10, parameter integer W_S = 1,
    parameter integer B_W = 16, parameter integer B_F = 10, parameter integer B_S = 1,
    parameter integer A_W = 32, parameter integer A_F = 20, parameter integer A_S = 1,
    parameter integer A_Q = 0, parameter integer A_O = 0, parameter integer A_N = 0,
    parameter integer R_W = 16, parameter integer R_F = 10, parameter integer R_S = 1,
    parameter integer R_Q = 0, parameter integer R_O = 0, parameter integer R_N = 0,
    parameter [N_IN*N_OUT*W_W-1:0] WEIGHTS = {(N_IN*N_OUT*W_W){1'b0}},
    parameter [N_OUT*B_W-1:0] BIASES = {(N_OUT*B_W){1'b0}}
) (
    input  wire [N_IN*X_W-1:0]  x,
    output wire [N_OUT*R_W-1:0] y
);
    localparam integer P_W = X_W + W_W + 2;

    genvar i, j;
    generate
        for (j = 0; j < N_OUT; j = j + 1) begin : g_out
            // split_var: Verilator would otherwise see the chain through one array as a combinational loop.
            wire [A_W-1:0] acc [0:N_IN] /* verilator split_var */;
            fwp_requant #(
                .IN_W(B_W), .IN_F(B_F), .IN_SIGNED(B_S),
                .OUT_W(A_W), .OUT_F(A_F), .OUT_SIGNED(A_S), .QUANT(A_Q), .OVF(A_O), .SAT_BITS(A_N)
            ) u_bias (.din(BIASES[j*B_W +: B_W]), .dout(acc[0]));

            for (i = 0; i < N_IN; i = i + 1) begin : g_in
                wire [X_W-1:0] xr = x[i*X_W +: X_W];
                wire [W_W-1:0] wr = WEIGHTS[(i*N_OUT + j)*W_W +: W_W];
                wire signed [X_W:0] xs = {(X_S != 0) & xr[X_W-1], xr};
                wire signed [W_W:0] ws = {(W_S != 0) & wr[W_W-1], wr};
                wire signed [P_W-1:0] prod = xs * ws;
                wire [A_W-1:0] prod_q;
                if (A_O == 0 && A_N == 0 && A_Q == 0) begin : g_prod_trn_wrap
                    // AP_TRN + AP_WRAP accumulator: the cast is a floor shift and a truncation, i.e. a bit slice of
                    // the sign-extended product. Spelled out so a large layer elaborates and simulates quickly.
                    localparam integer SH = X_F + W_F - A_F;
                    localparam integer LSH = (SH < 0) ? -SH : 0;
                    localparam integer RSH = (SH > 0) ? SH : 0;
                    localparam integer EXT_W = P_W + LSH + RSH + A_W;
                    /* verilator lint_off UNUSEDSIGNAL */
                    wire [EXT_W-1:0] prod_ext = {{(EXT_W - P_W){prod[P_W-1]}}, prod};
                    wire [EXT_W-1:0] prod_sh = prod_ext << LSH;
                    /* verilator lint_on UNUSEDSIGNAL */
                    assign prod_q = prod_sh[RSH + A_W - 1:RSH];
                end else begin : g_prod_cast
                    fwp_requant #(
                        .IN_W(P_W), .IN_F(X_F + W_F), .IN_SIGNED(1),
                        .OUT_W(A_W), .OUT_F(A_F), .OUT_SIGNED(A_S), .QUANT(A_Q), .OVF(A_O), .SAT_BITS(A_N)
                    ) u_prod (.din(prod), .dout(prod_q));
                end
                if (A_O == 0 && A_N == 0) begin : g_add_wrap
                    // Modular addition is what accum_t(acc + p) does under AP_WRAP.
                    assign acc[i + 1] = acc[i] + prod_q;
                end else begin : g_add_cast
                    wire signed [A_W+1:0] sum = {{2{(A_S != 0) & acc[i][A_W-1]}}, acc[i]}
                                               + {{2{(A_S != 0) & prod_q[A_W-1]}}, prod_q};
                    fwp_requant #(
                        .IN_W(A_W + 2), .IN_F(A_F), .IN_SIGNED(1),
                        .OUT_W(A_W), .OUT_F(A_F), .OUT_SIGNED(A_S), .QUANT(A_Q), .OVF(A_O), .SAT_BITS(A_N)
                    ) u_acc (.din(sum), .dout(acc[i + 1]));
                end
            end

            fwp_requant #(
                .IN_W(A_W), .IN_F(A_F), .IN_SIGNED(A_S),
                .OUT_W(R_W), .OUT_F(R_F), .OUT_SIGNED(R_S), .QUANT(R_Q), .OVF(R_O), .SAT_BITS(R_N)
            ) u_res (.din(acc[N_IN]), .dout(y[j*R_W +: R_W]));
        end
    endgenerate
endmodule
