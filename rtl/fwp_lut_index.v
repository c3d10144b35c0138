// fwp_lut_index: the C++ table index 'int index = x * NUM / DEN + OFFSET', clamped to [0, SIZE-1], as hls4ml's
// nnet_activation.h computes it for elu/selu (DEN = -8) and softmax 'legacy' (DEN = 16 for exp, 64 for the inverse):
//
//   x * NUM is exact, '/ DEN' truncates toward zero at x's X_F fractional bits, the conversion to int truncates
//   toward zero again and keeps the low 32 bits (to_int), '+ OFFSET' is C int arithmetic (32-bit wrap), then the
//   two ifs clamp. Both truncations toward zero act on the magnitude, so they compose into one shift of |x| * NUM;
//   with X_F < 0 the second step is a left shift of the already truncated quotient, as in the C++.
// |DEN| = 2**DEN_LOG2 and DEN_NEG gives its sign. Any NUM (table size) below 2**31 and any X_F are exact.
module fwp_lut_index #(
    parameter integer X_W = 16, parameter integer X_F = 10, parameter integer X_S = 1,
    parameter integer NUM = 1024,
    parameter integer DEN_LOG2 = 3,
    parameter integer DEN_NEG = 1,
    parameter integer OFFSET = 0,
    parameter integer SIZE = 1024,
    parameter integer IDX_W = 10
) (
    input  wire [X_W-1:0]   x,
    output wire [IDX_W-1:0] idx
);
    localparam integer LS = (X_F < 0) ? -X_F : 0;
    localparam integer RS = (X_F > 0) ? X_F : 0;
    localparam integer M_W = X_W + 34 + LS;

    wire neg = (X_S != 0) & x[X_W-1];
    wire [M_W-1:0] xe = {{(M_W - X_W){neg}}, x};
    wire [M_W-1:0] mag = neg ? -xe : xe;
    localparam [M_W-1:0] NUM_W = {{(M_W - 32){1'b0}}, NUM[31:0]};
    /* verilator lint_off UNUSEDSIGNAL */
    wire [M_W-1:0] prod = mag * NUM_W;
    wire [M_W-1:0] t = ((prod >> DEN_LOG2) >> RS) << LS;
    /* verilator lint_on UNUSEDSIGNAL */
    wire [31:0] v = (neg ^ (DEN_NEG != 0)) ? -t[31:0] : t[31:0];
    wire signed [31:0] s = $signed(v) + OFFSET;
    localparam signed [31:0] TOP = SIZE - 1;
    wire signed [31:0] c = (s < 0) ? 32'sd0 : (s > TOP) ? TOP : s;
    /* verilator lint_off UNUSEDSIGNAL */
    wire [31:0] cu = c;
    /* verilator lint_on UNUSEDSIGNAL */
    assign idx = cu[IDX_W-1:0];
endmodule
