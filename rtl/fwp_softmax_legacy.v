// fwp_softmax_legacy: hls4ml's softmax_legacy (nnet_activation.h, implementation='legacy'), one table type table_t:
//
//   for ii: exp_res[ii] = 0; for jj = 0 .. N-1 in order:
//             exp_res[ii] += (ii == jj) ? table_t(1)
//                                       : exp_table[clamp(int((x[jj] - x[ii]) * EXP_SIZE / 16) + 8 * EXP_SIZE / 16)]
//   res[ii] = res_t(invert_table[clamp(int(exp_res[ii] * INV_SIZE / 64))])
//
// Every '+=' is requantised to table_t (T_Q, T_O, T_N), the difference x[jj] - x[ii] is exact (one bit wider than
// the input), and the indices are fwp_lut_index (truncations toward zero, C int). Table contents come from the
// reference (fwparity.layers.legacy_exp_table / legacy_inv_table), entry k in bits [k*T_W +: T_W]; any table size.
module fwp_softmax_legacy #(
    parameter integer N = 4,
    parameter integer X_W = 16, parameter integer X_F = 10, parameter integer X_S = 1,
    parameter integer T_W = 18, parameter integer T_F = 10, parameter integer T_S = 1,
    parameter integer T_Q = 0, parameter integer T_O = 0, parameter integer T_N = 0,
    parameter integer EXP_SIZE = 1024,
    parameter integer INV_SIZE = 1024,
    parameter integer R_W = 16, parameter integer R_F = 10, parameter integer R_S = 1,
    parameter integer R_Q = 0, parameter integer R_O = 0, parameter integer R_N = 0,
    /* verilator lint_off WIDTHCONCAT */
    parameter [EXP_SIZE*T_W-1:0] EXP_TABLE = {(EXP_SIZE*T_W){1'b0}},
    parameter [INV_SIZE*T_W-1:0] INV_TABLE = {(INV_SIZE*T_W){1'b0}}
    /* verilator lint_on WIDTHCONCAT */
) (
    input  wire [N*X_W-1:0] x,
    output wire [N*R_W-1:0] y
);
    localparam integer EXP_W = (EXP_SIZE > 1) ? $clog2(EXP_SIZE) : 1;
    localparam integer INV_W = (INV_SIZE > 1) ? $clog2(INV_SIZE) : 1;

    /* verilator lint_off UNUSEDSIGNAL */
    reg [T_W-1:0] exp_rom [0:EXP_SIZE-1];  // unread when N = 1
    /* verilator lint_on UNUSEDSIGNAL */
    reg [T_W-1:0] inv_rom [0:INV_SIZE-1];
    integer k;
    initial begin
        for (k = 0; k < EXP_SIZE; k = k + 1) exp_rom[k] = EXP_TABLE[k*T_W +: T_W];
        for (k = 0; k < INV_SIZE; k = k + 1) inv_rom[k] = INV_TABLE[k*T_W +: T_W];
    end

    // table_t(1), with table_t's quantization and overflow.
    wire [T_W-1:0] one;
    fwp_requant #(
        .IN_W(2), .IN_F(0), .IN_SIGNED(0),
        .OUT_W(T_W), .OUT_F(T_F), .OUT_SIGNED(T_S), .QUANT(T_Q), .OVF(T_O), .SAT_BITS(T_N)
    ) u_one (.din(2'b01), .dout(one));

    genvar i, j;
    generate
        for (i = 0; i < N; i = i + 1) begin : g_row
            wire [X_W-1:0] xi = x[i*X_W +: X_W];
            /* verilator lint_off UNUSEDSIGNAL */
            wire signed [X_W+1:0] xis = {{2{(X_S != 0) & xi[X_W-1]}}, xi};
            /* verilator lint_on UNUSEDSIGNAL */
            // acc[j] is exp_res[ii] after j terms.
            wire [T_W-1:0] acc [0:N] /* verilator split_var */;
            assign acc[0] = {T_W{1'b0}};
            for (j = 0; j < N; j = j + 1) begin : g_term
                wire [T_W-1:0] term;
                if (i == j) begin : g_self
                    assign term = one;
                end else begin : g_exp
                    wire [X_W-1:0] xj = x[j*X_W +: X_W];
                    wire signed [X_W+1:0] xjs = {{2{(X_S != 0) & xj[X_W-1]}}, xj};
                    /* verilator lint_off UNUSEDSIGNAL */
                    wire signed [X_W+1:0] diff = xjs - xis;
                    /* verilator lint_on UNUSEDSIGNAL */
                    wire [EXP_W-1:0] idx;
                    fwp_lut_index #(
                        .X_W(X_W + 1), .X_F(X_F), .X_S(1), .NUM(EXP_SIZE), .DEN_LOG2(4), .DEN_NEG(0),
                        .OFFSET((8 * EXP_SIZE) / 16), .SIZE(EXP_SIZE), .IDX_W(EXP_W)
                    ) u_idx (.x(diff[X_W:0]), .idx(idx));
                    assign term = exp_rom[idx];
                end
                fwp_add_requant #(.A_W(T_W), .A_F(T_F), .A_S(T_S), .A_Q(T_Q), .A_O(T_O), .A_N(T_N))
                    u_add (.a(acc[j]), .b(term), .s(acc[j + 1]));
            end
            wire [INV_W-1:0] inv_idx;
            fwp_lut_index #(
                .X_W(T_W), .X_F(T_F), .X_S(T_S), .NUM(INV_SIZE), .DEN_LOG2(6), .DEN_NEG(0), .OFFSET(0),
                .SIZE(INV_SIZE), .IDX_W(INV_W)
            ) u_inv_idx (.x(acc[N]), .idx(inv_idx));
            fwp_requant #(
                .IN_W(T_W), .IN_F(T_F), .IN_SIGNED(T_S),
                .OUT_W(R_W), .OUT_F(R_F), .OUT_SIGNED(R_S), .QUANT(R_Q), .OVF(R_O), .SAT_BITS(R_N)
            ) u_res (.din(inv_rom[inv_idx]), .dout(y[i*R_W +: R_W]));
        end
    endgenerate
endmodule
