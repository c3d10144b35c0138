// fwp_dot: hls4ml's dot1d (nnet_merge.h): acc = 0; acc += accum_t(a[i] * b[i]) for i = 0 .. N-1 in order, each
// product exact then cast to accum_t and every running sum requantised to accum_t (so a saturating accumulator
// clips exactly where the C++ does); res = res_t(acc). One output element.
module fwp_dot #(
    parameter integer N = 4,
    parameter integer A_W = 16, parameter integer A_F = 10, parameter integer A_S = 1,
    parameter integer B_W = 16, parameter integer B_F = 10, parameter integer B_S = 1,
    parameter integer ACC_W = 24, parameter integer ACC_F = 12, parameter integer ACC_S = 1,
    parameter integer ACC_Q = 0, parameter integer ACC_O = 0, parameter integer ACC_N = 0,
    parameter integer R_W = 16, parameter integer R_F = 10, parameter integer R_S = 1,
    parameter integer R_Q = 0, parameter integer R_O = 0, parameter integer R_N = 0
) (
    input  wire [N*A_W-1:0] a,
    input  wire [N*B_W-1:0] b,
    output wire [R_W-1:0]   y
);
    localparam integer P_W = A_W + B_W + 2;

    // chain[k] is the running sum after k products; chain[1] = accum_t(0 + m[0]) = m[0] exactly.
    wire [ACC_W-1:0] chain [1:N] /* verilator split_var */;
    genvar k;
    generate
        for (k = 0; k < N; k = k + 1) begin : g_term
            wire [A_W-1:0] ar = a[k*A_W +: A_W];
            wire [B_W-1:0] br = b[k*B_W +: B_W];
            wire signed [A_W:0] as = {(A_S != 0) & ar[A_W-1], ar};
            wire signed [B_W:0] bs = {(B_S != 0) & br[B_W-1], br};
            wire signed [P_W-1:0] prod = as * bs;
            wire [ACC_W-1:0] m;
            fwp_requant #(
                .IN_W(P_W), .IN_F(A_F + B_F), .IN_SIGNED(1), .OUT_W(ACC_W), .OUT_F(ACC_F),
                .OUT_SIGNED(ACC_S), .QUANT(ACC_Q), .OVF(ACC_O), .SAT_BITS(ACC_N)
            ) u_m (.din(prod), .dout(m));
            if (k == 0) begin : g_first
                assign chain[1] = m;
            end else begin : g_add
                fwp_add_requant #(.A_W(ACC_W), .A_F(ACC_F), .A_S(ACC_S), .A_Q(ACC_Q), .A_O(ACC_O), .A_N(ACC_N))
                    u_add (.a(chain[k]), .b(m), .s(chain[k + 1]));
            end
        end
    endgenerate
    fwp_requant #(
        .IN_W(ACC_W), .IN_F(ACC_F), .IN_SIGNED(ACC_S), .OUT_W(R_W), .OUT_F(R_F),
        .OUT_SIGNED(R_S), .QUANT(R_Q), .OVF(R_O), .SAT_BITS(R_N)
    ) u_res (.din(chain[N]), .dout(y));
endmodule
