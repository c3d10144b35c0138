// accum_t(a + b) for two values already on accum_t.
module fwp_add_requant #(
    parameter integer A_W = 18, parameter integer A_F = 10, parameter integer A_S = 1,
    parameter integer A_Q = 0, parameter integer A_O = 0, parameter integer A_N = 0
) (
    input  wire [A_W-1:0] a,
    input  wire [A_W-1:0] b,
    output wire [A_W-1:0] s
);
    wire signed [A_W+1:0] full = {{2{(A_S != 0) & a[A_W-1]}}, a} + {{2{(A_S != 0) & b[A_W-1]}}, b};
    fwp_requant #(
        .IN_W(A_W + 2), .IN_F(A_F), .IN_SIGNED(1),
        .OUT_W(A_W), .OUT_F(A_F), .OUT_SIGNED(A_S), .QUANT(A_Q), .OVF(A_O), .SAT_BITS(A_N)
    ) u_q (.din(full), .dout(s));
endmodule
