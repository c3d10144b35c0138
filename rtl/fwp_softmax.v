// fwp_softmax: hls4ml's softmax (nnet_activation.h), 'stable' (STABLE=1) or 'latency' (STABLE=0).
//
// stable:  m = max(x); d_i = inp_norm_t(m - x_i); e_i = accum_t(exp_table[top bits of d_i])
// latency: e_i = accum_t(exp_table[top bits of x_i])
// then     s = reduce<accum_t, Op_add>(e) (balanced tree, requantised per add); s' = inv_inp_t(s);
//          res_i = res_t(e_i * inv_table[top bits of s'])
// Tables are addressed by the top EXP_LOG2 / INV_LOG2 bits of the raw pattern (softmax_idx_from_real_val). Their
// contents come from the reference (fwparity.layers.softmax_exp_table / softmax_inv_table), entry k in bits
// [k*W +: W].
module fwp_softmax #(
    parameter integer N = 5,
    parameter integer STABLE = 1,
    parameter integer X_W = 16, parameter integer X_F = 10, parameter integer X_S = 1,
    parameter integer NORM_W = 15, parameter integer NORM_F = 10, parameter integer NORM_S = 0,
    parameter integer NORM_Q = 0, parameter integer NORM_O = 0, parameter integer NORM_N = 0,
    parameter integer EXP_W = 18, parameter integer EXP_F = 10, parameter integer EXP_S = 1,
    parameter integer EXP_LOG2 = 10,
    parameter integer ACC_W = 18, parameter integer ACC_F = 10, parameter integer ACC_S = 1,
    parameter integer ACC_Q = 2, parameter integer ACC_O = 1, parameter integer ACC_N = 0,
    parameter integer INVIN_W = 18, parameter integer INVIN_F = 10, parameter integer INVIN_S = 1,
    parameter integer INVIN_Q = 2, parameter integer INVIN_O = 1, parameter integer INVIN_N = 0,
    parameter integer INV_W = 18, parameter integer INV_F = 10, parameter integer INV_S = 1,
    parameter integer INV_LOG2 = 10,
    parameter integer R_W = 16, parameter integer R_F = 10, parameter integer R_S = 1,
    parameter integer R_Q = 0, parameter integer R_O = 0, parameter integer R_N = 0,
    /* verilator lint_off WIDTHCONCAT */
    parameter [(1<<EXP_LOG2)*EXP_W-1:0] EXP_TABLE = {((1<<EXP_LOG2)*EXP_W){1'b0}},
    parameter [(1<<INV_LOG2)*INV_W-1:0] INV_TABLE = {((1<<INV_LOG2)*INV_W){1'b0}}
    /* verilator lint_on WIDTHCONCAT */
) (
    input  wire [N*X_W-1:0] x,
    output wire [N*R_W-1:0] y
);
    localparam integer EXP_SIZE = 1 << EXP_LOG2;
    localparam integer INV_SIZE = 1 << INV_LOG2;
    localparam integer P_W = ACC_W + INV_W + 2;

    reg [EXP_W-1:0] exp_rom [0:EXP_SIZE-1];
    reg [INV_W-1:0] inv_rom [0:INV_SIZE-1];
    integer k;
    initial begin
        for (k = 0; k < EXP_SIZE; k = k + 1) exp_rom[k] = EXP_TABLE[k*EXP_W +: EXP_W];
        for (k = 0; k < INV_SIZE; k = k + 1) inv_rom[k] = INV_TABLE[k*INV_W +: INV_W];
    end

    /* verilator lint_off UNUSEDSIGNAL */
    // Maximum, compared as values of the input type (one extra bit makes unsigned and signed compare alike).
    wire [X_W-1:0] x_max;
    generate
        if (STABLE != 0) begin : g_max
            reg [X_W-1:0] m;
            integer i;
            always @* begin
                m = x[X_W-1:0];
                for (i = 1; i < N; i = i + 1) begin
                    if ($signed({(X_S != 0) & x[i*X_W+X_W-1], x[i*X_W +: X_W]}) > $signed({(X_S != 0) & m[X_W-1], m}))
                        m = x[i*X_W +: X_W];
                end
            end
            assign x_max = m;
        end else begin : g_nomax
            assign x_max = {X_W{1'b0}};
        end
    endgenerate
    /* verilator lint_on UNUSEDSIGNAL */

    wire [N*ACC_W-1:0] e;
    genvar j;
    generate
        for (j = 0; j < N; j = j + 1) begin : g_exp
            /* verilator lint_off UNUSEDSIGNAL */
            wire [X_W-1:0] xr = x[j*X_W +: X_W];
            /* verilator lint_on UNUSEDSIGNAL */
            wire [EXP_LOG2-1:0] idx;
            if (STABLE != 0) begin : g_stable
                wire signed [X_W+1:0] diff = $signed({{2{(X_S != 0) & x_max[X_W-1]}}, x_max})
                                           - $signed({{2{(X_S != 0) & xr[X_W-1]}}, xr});
                /* verilator lint_off UNUSEDSIGNAL */
                wire [NORM_W-1:0] d;
                /* verilator lint_on UNUSEDSIGNAL */
                fwp_requant #(
                    .IN_W(X_W + 2), .IN_F(X_F), .IN_SIGNED(1), .OUT_W(NORM_W), .OUT_F(NORM_F),
                    .OUT_SIGNED(NORM_S), .QUANT(NORM_Q), .OVF(NORM_O), .SAT_BITS(NORM_N)
                ) u_norm (.din(diff), .dout(d));
                assign idx = d[NORM_W-1 -: EXP_LOG2];
            end else begin : g_latency
                assign idx = xr[X_W-1 -: EXP_LOG2];
            end
            fwp_requant #(
                .IN_W(EXP_W), .IN_F(EXP_F), .IN_SIGNED(EXP_S), .OUT_W(ACC_W), .OUT_F(ACC_F),
                .OUT_SIGNED(ACC_S), .QUANT(ACC_Q), .OVF(ACC_O), .SAT_BITS(ACC_N)
            ) u_exp (.din(exp_rom[idx]), .dout(e[j*ACC_W +: ACC_W]));
        end
    endgenerate

    wire [ACC_W-1:0] s;
    fwp_tree_add #(.N(N), .A_W(ACC_W), .A_F(ACC_F), .A_S(ACC_S), .A_Q(ACC_Q), .A_O(ACC_O), .A_N(ACC_N))
        u_sum (.din(e), .sum(s));
    /* verilator lint_off UNUSEDSIGNAL */
    wire [INVIN_W-1:0] s_in;
    /* verilator lint_on UNUSEDSIGNAL */
    fwp_requant #(
        .IN_W(ACC_W), .IN_F(ACC_F), .IN_SIGNED(ACC_S), .OUT_W(INVIN_W), .OUT_F(INVIN_F),
        .OUT_SIGNED(INVIN_S), .QUANT(INVIN_Q), .OVF(INVIN_O), .SAT_BITS(INVIN_N)
    ) u_invin (.din(s), .dout(s_in));
    wire [INV_W-1:0] inv = inv_rom[s_in[INVIN_W-1 -: INV_LOG2]];
    wire signed [INV_W:0] inv_s = {(INV_S != 0) & inv[INV_W-1], inv};

    generate
        for (j = 0; j < N; j = j + 1) begin : g_out
            wire [ACC_W-1:0] er = e[j*ACC_W +: ACC_W];
            wire signed [ACC_W:0] e_s = {(ACC_S != 0) & er[ACC_W-1], er};
            wire signed [P_W-1:0] prod = e_s * inv_s;
            fwp_requant #(
                .IN_W(P_W), .IN_F(ACC_F + INV_F), .IN_SIGNED(1), .OUT_W(R_W), .OUT_F(R_F),
                .OUT_SIGNED(R_S), .QUANT(R_Q), .OVF(R_O), .SAT_BITS(R_N)
            ) u_res (.din(prod), .dout(y[j*R_W +: R_W]));
        end
    endgenerate
endmodule
