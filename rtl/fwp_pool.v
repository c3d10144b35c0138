// fwp_pool: one output pixel of a pooling layer (nnet_pooling.h), for C channels at once.
//
// x holds the K window cells of every channel, cell-major: element k*C + c in bits [(k*C + c)*X_W +: X_W]; the
// generator fills padded cells (max: the most negative pattern, 1 followed by zeros; avg: 0).
// MODE 0 max: m = the maximum cell (compared as x's values); res = res_t(accum_t(m)) when HAS_ACC, else res_t(m).
// MODE 1 avg: accum_t y = 0; y = accum_t(y + x_k) for each cell in order; y /= COUNT (truncated toward zero at
//             accum_t's fraction); res = res_t(y). COUNT is the number of real (unpadded) cells.
module fwp_pool #(
    parameter integer K = 4,
    parameter integer C = 1,
    parameter integer MODE = 0,
    parameter [31:0] COUNT = 4,
    parameter integer HAS_ACC = 1,
    parameter integer X_W = 16, parameter integer X_F = 10, parameter integer X_S = 1,
    parameter integer A_W = 20, parameter integer A_F = 10, parameter integer A_S = 1,
    parameter integer A_Q = 0, parameter integer A_O = 0, parameter integer A_N = 0,
    parameter integer R_W = 16, parameter integer R_F = 10, parameter integer R_S = 1,
    parameter integer R_Q = 0, parameter integer R_O = 0, parameter integer R_N = 0
) (
    input  wire [K*C*X_W-1:0] x,
    output wire [C*R_W-1:0]   y
);
    localparam integer F = (A_F > X_F) ? A_F : X_F;
    localparam integer AW2 = A_W + 1 + F - A_F;
    localparam integer XW2 = X_W + 1 + F - X_F;
    localparam integer SW = ((AW2 > XW2) ? AW2 : XW2) + 1;
    localparam integer DW = ((A_W + 2) > 34) ? A_W + 2 : 34;
    localparam [DW-1:0] CNT = {{(DW - 32){1'b0}}, COUNT};

    genvar c, k;
    generate
        for (c = 0; c < C; c = c + 1) begin : g_ch
            if (MODE == 0) begin : g_max
                reg [X_W-1:0] m;
                integer i;
                always @* begin
                    m = x[c*X_W +: X_W];
                    for (i = 1; i < K; i = i + 1) begin
                        if ($signed({(X_S != 0) & x[(i*C + c)*X_W + X_W - 1], x[(i*C + c)*X_W +: X_W]})
                            > $signed({(X_S != 0) & m[X_W-1], m}))
                            m = x[(i*C + c)*X_W +: X_W];
                    end
                end
                if (HAS_ACC != 0) begin : g_acc
                    wire [A_W-1:0] ma;
                    fwp_requant #(
                        .IN_W(X_W), .IN_F(X_F), .IN_SIGNED(X_S),
                        .OUT_W(A_W), .OUT_F(A_F), .OUT_SIGNED(A_S), .QUANT(A_Q), .OVF(A_O), .SAT_BITS(A_N)
                    ) u_acc (.din(m), .dout(ma));
                    fwp_requant #(
                        .IN_W(A_W), .IN_F(A_F), .IN_SIGNED(A_S),
                        .OUT_W(R_W), .OUT_F(R_F), .OUT_SIGNED(R_S), .QUANT(R_Q), .OVF(R_O), .SAT_BITS(R_N)
                    ) u_res (.din(ma), .dout(y[c*R_W +: R_W]));
                end else begin : g_noacc
                    fwp_requant #(
                        .IN_W(X_W), .IN_F(X_F), .IN_SIGNED(X_S),
                        .OUT_W(R_W), .OUT_F(R_F), .OUT_SIGNED(R_S), .QUANT(R_Q), .OVF(R_O), .SAT_BITS(R_N)
                    ) u_res (.din(m), .dout(y[c*R_W +: R_W]));
                end
            end else begin : g_avg
                wire [A_W-1:0] acc [0:K] /* verilator split_var */;
                assign acc[0] = {A_W{1'b0}};
                for (k = 0; k < K; k = k + 1) begin : g_cell
                    wire [X_W-1:0] xr = x[(k*C + c)*X_W +: X_W];
                    wire signed [SW-1:0] ae = {{(SW - A_W){(A_S != 0) & acc[k][A_W-1]}}, acc[k]};
                    wire signed [SW-1:0] xe = {{(SW - X_W){(X_S != 0) & xr[X_W-1]}}, xr};
                    wire signed [SW-1:0] s = (ae <<< (F - A_F)) + (xe <<< (F - X_F));
                    fwp_requant #(
                        .IN_W(SW), .IN_F(F), .IN_SIGNED(1),
                        .OUT_W(A_W), .OUT_F(A_F), .OUT_SIGNED(A_S), .QUANT(A_Q), .OVF(A_O), .SAT_BITS(A_N)
                    ) u_add (.din(s), .dout(acc[k + 1]));
                end
                // Verilog's signed division truncates toward zero, like ap_fixed's y /= length.
                wire signed [DW-1:0] ye = {{(DW - A_W){(A_S != 0) & acc[K][A_W-1]}}, acc[K]};
                /* verilator lint_off UNUSEDSIGNAL */
                wire signed [DW-1:0] q = ye / $signed(CNT);
                /* verilator lint_on UNUSEDSIGNAL */
                fwp_requant #(
                    .IN_W(A_W), .IN_F(A_F), .IN_SIGNED(A_S),
                    .OUT_W(R_W), .OUT_F(R_F), .OUT_SIGNED(R_S), .QUANT(R_Q), .OVF(R_O), .SAT_BITS(R_N)
                ) u_res (.din(q[A_W-1:0]), .dout(y[c*R_W +: R_W]));
            end
        end
    endgenerate
endmodule
