// fwp_merge: elementwise merge of two tensors (nnet_merge.h), res = res_t(a op b) with op exact:
// OP 0 add, 1 subtract, 2 multiply, 3 average ((a + b) * ap_ufixed<1,0>(0.5)), 4 maximum, 5 minimum.
module fwp_merge #(
    parameter integer N = 4,
    parameter integer OP = 0,
    parameter integer A_W = 16, parameter integer A_F = 10, parameter integer A_S = 1,
    parameter integer B_W = 16, parameter integer B_F = 10, parameter integer B_S = 1,
    parameter integer R_W = 16, parameter integer R_F = 10, parameter integer R_S = 1,
    parameter integer R_Q = 0, parameter integer R_O = 0, parameter integer R_N = 0
) (
    input  wire [N*A_W-1:0] a,
    input  wire [N*B_W-1:0] b,
    output wire [N*R_W-1:0] y
);
    // Both operands aligned to F fractional bits in SW signed bits: exact sums, differences and comparisons.
    localparam integer F = (A_F > B_F) ? A_F : B_F;
    localparam integer AW2 = A_W + 1 + F - A_F;
    localparam integer BW2 = B_W + 1 + F - B_F;
    localparam integer SW = ((AW2 > BW2) ? AW2 : BW2) + 1;
    localparam integer P_W = A_W + B_W + 2;

    genvar e;
    generate
        for (e = 0; e < N; e = e + 1) begin : g_el
            wire [A_W-1:0] ar = a[e*A_W +: A_W];
            wire [B_W-1:0] br = b[e*B_W +: B_W];
            if (OP == 2) begin : g_mul
                wire signed [A_W:0] as = {(A_S != 0) & ar[A_W-1], ar};
                wire signed [B_W:0] bs = {(B_S != 0) & br[B_W-1], br};
                wire signed [P_W-1:0] prod = as * bs;
                fwp_requant #(
                    .IN_W(P_W), .IN_F(A_F + B_F), .IN_SIGNED(1),
                    .OUT_W(R_W), .OUT_F(R_F), .OUT_SIGNED(R_S), .QUANT(R_Q), .OVF(R_O), .SAT_BITS(R_N)
                ) u_res (.din(prod), .dout(y[e*R_W +: R_W]));
            end else begin : g_lin
                wire signed [SW-1:0] ae = {{(SW - A_W){(A_S != 0) & ar[A_W-1]}}, ar};
                wire signed [SW-1:0] be = {{(SW - B_W){(B_S != 0) & br[B_W-1]}}, br};
                wire signed [SW-1:0] aa = ae <<< (F - A_F);
                wire signed [SW-1:0] ba = be <<< (F - B_F);
                wire signed [SW-1:0] v = (OP == 1) ? aa - ba
                                       : (OP == 4) ? ((aa > ba) ? aa : ba)
                                       : (OP == 5) ? ((aa < ba) ? aa : ba)
                                       : aa + ba;
                fwp_requant #(
                    .IN_W(SW), .IN_F((OP == 3) ? F + 1 : F), .IN_SIGNED(1),
                    .OUT_W(R_W), .OUT_F(R_F), .OUT_SIGNED(R_S), .QUANT(R_Q), .OVF(R_O), .SAT_BITS(R_N)
                ) u_res (.din(v), .dout(y[e*R_W +: R_W]));
            end
        end
    endgenerate
endmodule
