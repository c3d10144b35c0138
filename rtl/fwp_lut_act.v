// fwp_lut_act: table activation (sigmoid, tanh, softplus, softsign ...) as hls4ml's nnet_activation.h reads it.
//
// index = int(x * TABLE_SIZE / 2**DEN_LOG2) + TABLE_SIZE/2, clamped to [0, TABLE_SIZE-1], where the division and the
// int() both truncate toward zero (ap_fixed sdiv, to_int); res = res_t(table[index]).
// TABLE holds entry k in bits [k*T_W +: T_W] on the table type (T_W, T_F, T_S), computed by the reference
// (fwparity.layers.activation_table) so the RTL and the model read the very same codes.
module fwp_lut_act #(
    parameter integer N = 4,
    parameter integer X_W = 16, parameter integer X_F = 10, parameter integer X_S = 1,
    parameter integer T_W = 18, parameter integer T_F = 10, parameter integer T_S = 1,
    parameter integer R_W = 16, parameter integer R_F = 10, parameter integer R_S = 1,
    parameter integer R_Q = 0, parameter integer R_O = 0, parameter integer R_N = 0,
    parameter integer TABLE_SIZE = 1024,
    parameter integer SIZE_LOG2 = 10,
    parameter integer DEN_LOG2 = 4,
    /* verilator lint_off WIDTHCONCAT */
    parameter [TABLE_SIZE*T_W-1:0] TABLE = {(TABLE_SIZE*T_W){1'b0}}
    /* verilator lint_on WIDTHCONCAT */
) (
    input  wire [N*X_W-1:0] x,
    output wire [N*R_W-1:0] y
);
    // x * TABLE_SIZE is a left shift by SIZE_LOG2; dividing by 2**(DEN_LOG2 + X_F) toward zero is a shift of the
    // magnitude. A negative total shift (X_F < -DEN_LOG2) multiplies instead.
    localparam integer SH = DEN_LOG2 + X_F - SIZE_LOG2;
    localparam integer RSH = (SH > 0) ? SH : 0;
    localparam integer LSH = (SH < 0) ? -SH : 0;
    localparam integer V_W = X_W + 2 + LSH;
    localparam integer I_W = ((V_W > SIZE_LOG2 + 1) ? V_W : SIZE_LOG2 + 1) + 1;

    // TABLE_SIZE is a power of two (the generator checks), so the last entry is all ones.
    localparam [I_W-1:0] HALF = {{(I_W - SIZE_LOG2){1'b0}}, 1'b1, {(SIZE_LOG2 - 1){1'b0}}};

    reg [T_W-1:0] rom [0:TABLE_SIZE-1];
    integer k;
    initial begin
        for (k = 0; k < TABLE_SIZE; k = k + 1) rom[k] = TABLE[k*T_W +: T_W];
    end

    genvar e;
    generate
        for (e = 0; e < N; e = e + 1) begin : g_el
            wire [X_W-1:0] xr = x[e*X_W +: X_W];
            wire xneg = (X_S != 0) & xr[X_W-1];
            wire signed [V_W-1:0] xs = {{(V_W - X_W){xneg}}, xr};
            wire signed [V_W-1:0] mag = xneg ? -xs : xs;
            /* verilator lint_off UNUSEDSIGNAL */
            wire [V_W-1:0] mag_sh = (mag <<< LSH) >>> RSH;
            /* verilator lint_on UNUSEDSIGNAL */
            wire signed [I_W-1:0] v = {{(I_W - V_W){1'b0}}, mag_sh};
            wire [I_W-1:0] idx_s = (xneg ? -v : v) + HALF;
            wire under = idx_s[I_W-1];
            wire over = ~under & (|idx_s[I_W-2:SIZE_LOG2]);
            wire [SIZE_LOG2-1:0] idx = under ? {SIZE_LOG2{1'b0}} : over ? {SIZE_LOG2{1'b1}} : idx_s[SIZE_LOG2-1:0];
            fwp_requant #(
                .IN_W(T_W), .IN_F(T_F), .IN_SIGNED(T_S),
                .OUT_W(R_W), .OUT_F(R_F), .OUT_SIGNED(R_S), .QUANT(R_Q), .OVF(R_O), .SAT_BITS(R_N)
            ) u_res (.din(rom[idx]), .dout(y[e*R_W +: R_W]));
        end
    endgenerate
endmodule
