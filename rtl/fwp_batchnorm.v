// fwp_batchnorm: res = res_t(x * scale[c] + bias[c]) with the product and the sum exact (nnet_batchnorm.h); element
// e uses channel c = e % N_FILT (channels last). SCALES / BIASES hold channel c in bits [c*W +: W].
module fwp_batchnorm #(
    parameter integer N = 4,
    parameter integer N_FILT = 4,
    parameter integer X_W = 16, parameter integer X_F = 10, parameter integer X_S = 1,
    parameter integer S_W = 16, parameter integer S_F = 10, parameter integer S_S = 1,
    parameter integer B_W = 16, parameter integer B_F = 10, parameter integer B_S = 1,
    parameter integer R_W = 16, parameter integer R_F = 10, parameter integer R_S = 1,
    parameter integer R_Q = 0, parameter integer R_O = 0, parameter integer R_N = 0,
    parameter [N_FILT*S_W-1:0] SCALES = {(N_FILT*S_W){1'b0}},
    parameter [N_FILT*B_W-1:0] BIASES = {(N_FILT*B_W){1'b0}}
) (
    input  wire [N*X_W-1:0] x,
    output wire [N*R_W-1:0] y
);
    localparam integer P_W = X_W + S_W + 2;
    localparam integer P_F = X_F + S_F;
    localparam integer F = (P_F > B_F) ? P_F : B_F;
    localparam integer PW2 = P_W + F - P_F;
    localparam integer BW2 = B_W + 1 + F - B_F;
    localparam integer SW = ((PW2 > BW2) ? PW2 : BW2) + 1;

    genvar e;
    generate
        for (e = 0; e < N; e = e + 1) begin : g_el
            wire [X_W-1:0] xr = x[e*X_W +: X_W];
            wire [S_W-1:0] sr = SCALES[(e % N_FILT)*S_W +: S_W];
            wire [B_W-1:0] br = BIASES[(e % N_FILT)*B_W +: B_W];
            wire signed [X_W:0] xs = {(X_S != 0) & xr[X_W-1], xr};
            wire signed [S_W:0] ss = {(S_S != 0) & sr[S_W-1], sr};
            wire signed [P_W-1:0] prod = xs * ss;
            wire signed [SW-1:0] pa = {{(SW - P_W){prod[P_W-1]}}, prod};
            wire signed [SW-1:0] ba = {{(SW - B_W){(B_S != 0) & br[B_W-1]}}, br};
            wire signed [SW-1:0] sum = (pa <<< (F - P_F)) + (ba <<< (F - B_F));
            fwp_requant #(
                .IN_W(SW), .IN_F(F), .IN_SIGNED(1),
                .OUT_W(R_W), .OUT_F(R_F), .OUT_SIGNED(R_S), .QUANT(R_Q), .OVF(R_O), .SAT_BITS(R_N)
            ) u_res (.din(sum), .dout(y[e*R_W +: R_W]));
        end
    endgenerate
endmodule
