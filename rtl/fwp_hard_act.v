// fwp_hard_act: hls4ml's hard_sigmoid (TANH=0) and hard_tanh (TANH=1), nnet_activation.h:
//
//   auto d = slope * x + shift;        // full precision: ap_fixed's RType of the product, then of the sum (TRN/WRAP)
//   if (d > 1) d = 1; else if (d < 0) d = 0;
//   res = d;                           // hard_sigmoid
//   res = 2 * d - 1;                   // hard_tanh (exact, then one assignment)
//
// d never overflows its type, so it is computed exactly here. The one quirk is 'd = 1': 1 is assigned to d's type
// (AF = max(X_F + SL_F, SH_F) fractional bits, AI integer bits, TRN/WRAP). With AF < 0 that truncates to 0, so every
// d > 1 becomes 0, as in the C++. The wrapping cases (AI <= 1) are built too, for completeness, but a type that
// cannot hold 1 never holds a d > 1 either. SLOPE and SHIFT are raw codes on (SL_W, SL_F, SL_S), (SH_W, SH_F, SH_S).
module fwp_hard_act #(
    parameter integer N = 4,
    parameter integer TANH = 0,
    parameter integer X_W = 16, parameter integer X_F = 10, parameter integer X_S = 1,
    parameter integer SL_W = 16, parameter integer SL_F = 16, parameter integer SL_S = 0,
    parameter integer SH_W = 2, parameter integer SH_F = 2, parameter integer SH_S = 0,
    parameter [SL_W-1:0] SLOPE = 13107,   // 0.2 on ap_ufixed<16,0>, hls4ml's default
    parameter [SH_W-1:0] SHIFT = 2,       // 0.5 on ap_ufixed<2,0>
    parameter integer R_W = 16, parameter integer R_F = 10, parameter integer R_S = 1,
    parameter integer R_Q = 0, parameter integer R_O = 0, parameter integer R_N = 0
) (
    input  wire [N*X_W-1:0] x,
    output wire [N*R_W-1:0] y
);
    // The type of d (ap_fixed_base RType: mult, then plus).
    localparam integer MF = X_F + SL_F;
    localparam integer MI = (X_W - X_F) + (SL_W - SL_F);
    localparam integer MS = ((X_S != 0) || (SL_S != 0)) ? 1 : 0;
    localparam integer SH_I = SH_W - SH_F;
    localparam integer AI_A = MI + (((SH_S != 0) && MS == 0) ? 1 : 0);
    localparam integer AI_B = SH_I + ((MS != 0 && SH_S == 0) ? 1 : 0);
    localparam integer AI = ((AI_A > AI_B) ? AI_A : AI_B) + 1;
    localparam integer AF = (MF > SH_F) ? MF : SH_F;
    localparam integer D_W = AI + AF;
    localparam integer D_S = ((MS != 0) || (SH_S != 0)) ? 1 : 0;
    localparam integer FP = (AF > 0) ? AF : 0;   // hard_tanh works at >= 0 fractional bits so that 1 is exact
    // Working width: room for the aligned product and shift, the carry, 2 * d and 1 << FP.
    localparam integer P_W = X_W + SL_W + 2;
    localparam integer W_P = P_W + AF - MF;
    localparam integer W_S = SH_W + 1 + AF - SH_F;
    localparam integer W_0 = ((W_P > W_S) ? W_P : W_S) + 1;
    localparam integer W_1 = (W_0 > FP + 2) ? W_0 : FP + 2;
    localparam integer V_W = W_1 + (FP - AF) + 2;

    localparam [V_W-1:0] ONE_W = {{(V_W - 1){1'b0}}, 1'b1};
    localparam [V_W-1:0] ONE_FP = ONE_W << FP;                         // 1.0 at FP fractional bits
    localparam [V_W-1:0] ONE_CMP = (AF >= 0) ? ONE_FP : {V_W{1'b0}};  // 1.0 at AF bits (any positive raw when AF < 0)
    // d_t(1): 1 << AF wrapped to D_W bits (TRN/WRAP), 0 when AF < 0.
    localparam integer ONE_ZERO = (AF < 0 || AF >= D_W) ? 1 : 0;
    localparam integer ONE_NEG = (D_S != 0 && AF == D_W - 1) ? 1 : 0;
    localparam [V_W-1:0] ONE_V = (ONE_ZERO != 0) ? {V_W{1'b0}} : (ONE_NEG != 0) ? (~ONE_FP + ONE_W) : ONE_FP;

    wire signed [SL_W:0] sl = {(SL_S != 0) & SLOPE[SL_W-1], SLOPE};
    wire signed [V_W-1:0] sh = $signed({{(V_W - SH_W){(SH_S != 0) & SHIFT[SH_W-1]}}, SHIFT}) <<< (AF - SH_F);

    genvar e;
    generate
        for (e = 0; e < N; e = e + 1) begin : g_el
            wire [X_W-1:0] xr = x[e*X_W +: X_W];
            wire signed [X_W:0] xs = {(X_S != 0) & xr[X_W-1], xr};
            wire signed [P_W-1:0] prod = xs * sl;
            wire signed [V_W-1:0] pa = $signed({{(V_W - P_W){prod[P_W-1]}}, prod}) <<< (AF - MF);
            wire signed [V_W-1:0] d = pa + sh;
            wire signed [V_W-1:0] dc = (d > $signed(ONE_CMP)) ? $signed(ONE_V)
                                     : (d < 0) ? {V_W{1'b0}} : d;
            wire signed [V_W-1:0] v;
            if (TANH != 0) begin : g_tanh
                assign v = (dc <<< (FP - AF + 1)) - $signed(ONE_FP);
            end else begin : g_sigmoid
                assign v = dc;
            end
            fwp_requant #(
                .IN_W(V_W), .IN_F((TANH != 0) ? FP : AF), .IN_SIGNED(1),
                .OUT_W(R_W), .OUT_F(R_F), .OUT_SIGNED(R_S), .QUANT(R_Q), .OVF(R_O), .SAT_BITS(R_N)
            ) u_res (.din(v), .dout(y[e*R_W +: R_W]));
        end
    endgenerate
endmodule
