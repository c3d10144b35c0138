// fwp_argmax: hls4ml's softmax_argmax (nnet_activation.h, implementation='argmax').
//
// res[i] = 0 for every i, then res[idx] = res_t(1) where idx is the FIRST index of the maximum: the C++ scans
// i = 1 .. N-1 with a strict 'data[i] > maximum', so a later equal value never moves idx. res_t(1) is the integer 1
// assigned to res_t with its quantization and overflow (1 WRAPs to 0 or -1 in a type without integer bits, SAT
// gives the largest code), computed here by fwp_requant exactly like every other assignment.
module fwp_argmax #(
    parameter integer N = 5,
    parameter integer X_W = 16, parameter integer X_S = 1,
    parameter integer R_W = 16, parameter integer R_F = 10, parameter integer R_S = 1,
    parameter integer R_Q = 0, parameter integer R_O = 0, parameter integer R_N = 0
) (
    input  wire [N*X_W-1:0] x,
    output wire [N*R_W-1:0] y
);
    localparam integer IDX_W = (N > 1) ? $clog2(N) : 1;

    wire [R_W-1:0] one;
    fwp_requant #(
        .IN_W(2), .IN_F(0), .IN_SIGNED(0),
        .OUT_W(R_W), .OUT_F(R_F), .OUT_SIGNED(R_S), .QUANT(R_Q), .OVF(R_O), .SAT_BITS(R_N)
    ) u_one (.din(2'b01), .dout(one));

    // Running maximum as in the C++ loop; one extra bit makes signed and unsigned inputs compare alike.
    reg [X_W-1:0] m;
    reg [IDX_W-1:0] idx;
    integer i;
    always @* begin
        m = x[X_W-1:0];
        idx = {IDX_W{1'b0}};
        for (i = 1; i < N; i = i + 1) begin
            if ($signed({(X_S != 0) & x[i*X_W+X_W-1], x[i*X_W +: X_W]}) > $signed({(X_S != 0) & m[X_W-1], m})) begin
                m = x[i*X_W +: X_W];
                idx = i[IDX_W-1:0];
            end
        end
    end

    genvar e;
    generate
        for (e = 0; e < N; e = e + 1) begin : g_out
            localparam [IDX_W-1:0] E = e;
            assign y[e*R_W +: R_W] = (idx == E) ? one : {R_W{1'b0}};
        end
    endgenerate
endmodule
