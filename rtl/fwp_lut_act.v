// fwp_lut_act: table activation (sigmoid, tanh, softplus, softsign ...) as hls4ml's nnet_activation.h reads it.
//
// index = int(x * TABLE_SIZE / 2**DEN_LOG2) + TABLE_SIZE/2, clamped to [0, TABLE_SIZE-1], where the division and the
// int() both truncate toward zero (ap_fixed sdiv, to_int) and int() keeps 32 bits: fwp_lut_index, which also gets
// X_F < 0 right (the quotient truncates before int() shifts it left); res = res_t(table[index]).
// TABLE holds entry k in bits [k*T_W +: T_W] on the table type (T_W, T_F, T_S), computed by the reference
// (fwparity.layers.activation_table) so the RTL and the model read the very same codes.
module fwp_lut_act #(
    parameter integer N = 4,
    parameter integer X_W = 16, parameter integer X_F = 10, parameter integer X_S = 1,
    parameter integer T_W = 18, parameter integer T_F = 10, parameter integer T_S = 1,
    parameter integer R_W = 16, parameter integer R_F = 10, parameter integer R_S = 1,
    parameter integer R_Q = 0, parameter integer R_O = 0, parameter integer R_N = 0,
    parameter integer TABLE_SIZE = 1024,
    parameter integer SIZE_LOG2 = 10,   // index width: ceil(log2(TABLE_SIZE)), at least 1 (any TABLE_SIZE works)
    parameter integer DEN_LOG2 = 4,
    /* verilator lint_off WIDTHCONCAT */
    parameter [TABLE_SIZE*T_W-1:0] TABLE = {(TABLE_SIZE*T_W){1'b0}}
    /* verilator lint_on WIDTHCONCAT */
) (
    input  wire [N*X_W-1:0] x,
    output wire [N*R_W-1:0] y
);
    reg [T_W-1:0] rom [0:TABLE_SIZE-1];
    integer k;
    initial begin
        for (k = 0; k < TABLE_SIZE; k = k + 1) rom[k] = TABLE[k*T_W +: T_W];
    end

    genvar e;
    generate
        for (e = 0; e < N; e = e + 1) begin : g_el
            wire [SIZE_LOG2-1:0] idx;
            fwp_lut_index #(
                .X_W(X_W), .X_F(X_F), .X_S(X_S), .NUM(TABLE_SIZE), .DEN_LOG2(DEN_LOG2), .DEN_NEG(0),
                .OFFSET(TABLE_SIZE / 2), .SIZE(TABLE_SIZE), .IDX_W(SIZE_LOG2)
            ) u_idx (.x(x[e*X_W +: X_W]), .idx(idx));
            fwp_requant #(
                .IN_W(T_W), .IN_F(T_F), .IN_SIGNED(T_S),
                .OUT_W(R_W), .OUT_F(R_F), .OUT_SIGNED(R_S), .QUANT(R_Q), .OVF(R_O), .SAT_BITS(R_N)
            ) u_res (.din(rom[idx]), .dout(y[e*R_W +: R_W]));
        end
    endgenerate
endmodule
