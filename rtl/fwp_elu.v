// fwp_elu: hls4ml's elu (SELU=0) and selu (SELU=1) table activations (nnet_activation.h):
//
//   elu:  x >= 0 ? res_t(x) : res_t(alpha * table[min(index, N-1)])
//   selu: x >= 0 ? res_t(ap_ufixed<16,1>(1.0507009873554805) * x) : res_t(table[clamp(index, 0, N-1)])
//   index = int(x * N / -8)  (fwp_lut_index; for x < 0 it is >= 0 unless the C int wraps, which the generator refuses)
//
// The table (expf(in) - 1, or selu's scaled version, over in = -8 i / N) comes from the reference
// (fwparity.layers.activation_table), entry k in bits [k*T_W +: T_W]. ALPHA is raw on (P_W, P_F, P_S); without a
// param_t hls4ml calls the overload whose alpha is exactly 1 (P_F = 0, ALPHA = 1). Products are exact, then cast.
module fwp_elu #(
    parameter integer N = 4,
    parameter integer SELU = 0,
    parameter integer X_W = 16, parameter integer X_F = 10, parameter integer X_S = 1,
    parameter integer T_W = 18, parameter integer T_F = 10, parameter integer T_S = 1,
    parameter integer P_W = 2, parameter integer P_F = 0, parameter integer P_S = 0,
    parameter [P_W-1:0] ALPHA = 1,
    parameter integer R_W = 16, parameter integer R_F = 10, parameter integer R_S = 1,
    parameter integer R_Q = 0, parameter integer R_O = 0, parameter integer R_N = 0,
    parameter integer TABLE_SIZE = 1024,
    /* verilator lint_off WIDTHCONCAT */
    parameter [TABLE_SIZE*T_W-1:0] TABLE = {(TABLE_SIZE*T_W){1'b0}}
    /* verilator lint_on WIDTHCONCAT */
) (
    input  wire [N*X_W-1:0] x,
    output wire [N*R_W-1:0] y
);
    localparam integer IDX_W = (TABLE_SIZE > 1) ? $clog2(TABLE_SIZE) : 1;
    // ap_ufixed<16,1> lambda = 1.0507009873554805: floor(lambda * 2**15), the double truncated (AP_TRN).
    localparam [15:0] LAMBDA = 16'd34429;
    localparam integer LAMBDA_F = 15;
    localparam integer PL_W = X_W + 17;
    localparam integer PA_W = T_W + P_W + 2;

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
            wire [IDX_W-1:0] idx;
            fwp_lut_index #(
                .X_W(X_W), .X_F(X_F), .X_S(X_S), .NUM(TABLE_SIZE), .DEN_LOG2(3), .DEN_NEG(1), .OFFSET(0),
                .SIZE(TABLE_SIZE), .IDX_W(IDX_W)
            ) u_idx (.x(xr), .idx(idx));
            wire [T_W-1:0] tv = rom[idx];
            wire [R_W-1:0] yp;
            wire [R_W-1:0] yn;
            if (SELU != 0) begin : g_selu
                wire signed [X_W:0] xs = {xneg, xr};
                wire signed [PL_W-1:0] pl = xs * $signed({1'b0, LAMBDA});
                fwp_requant #(
                    .IN_W(PL_W), .IN_F(X_F + LAMBDA_F), .IN_SIGNED(1),
                    .OUT_W(R_W), .OUT_F(R_F), .OUT_SIGNED(R_S), .QUANT(R_Q), .OVF(R_O), .SAT_BITS(R_N)
                ) u_p (.din(pl), .dout(yp));
                fwp_requant #(
                    .IN_W(T_W), .IN_F(T_F), .IN_SIGNED(T_S),
                    .OUT_W(R_W), .OUT_F(R_F), .OUT_SIGNED(R_S), .QUANT(R_Q), .OVF(R_O), .SAT_BITS(R_N)
                ) u_n (.din(tv), .dout(yn));
            end else begin : g_elu
                fwp_requant #(
                    .IN_W(X_W), .IN_F(X_F), .IN_SIGNED(X_S),
                    .OUT_W(R_W), .OUT_F(R_F), .OUT_SIGNED(R_S), .QUANT(R_Q), .OVF(R_O), .SAT_BITS(R_N)
                ) u_p (.din(xr), .dout(yp));
                wire signed [T_W:0] ts = {(T_S != 0) & tv[T_W-1], tv};
                wire signed [P_W:0] alpha_s = {(P_S != 0) & ALPHA[P_W-1], ALPHA};
                wire signed [PA_W-1:0] pa = ts * alpha_s;
                fwp_requant #(
                    .IN_W(PA_W), .IN_F(T_F + P_F), .IN_SIGNED(1),
                    .OUT_W(R_W), .OUT_F(R_F), .OUT_SIGNED(R_S), .QUANT(R_Q), .OVF(R_O), .SAT_BITS(R_N)
                ) u_n (.din(pa), .dout(yn));
            end
            assign y[e*R_W +: R_W] = xneg ? yn : yp;
        end
    endgenerate
endmodule
