// fwp_requant: assign a fixed-point value to another fixed-point type, exactly like ap_fixed's operator=.
//
// The input is a raw integer with IN_F fractional bits; the output is the raw integer of the destination type
// (OUT_W bits, OUT_F fractional bits) after the destination's quantization (QUANT) and overflow (OVF, SAT_BITS).
// Combinational. Every width and fractional-bit count is legal, including F < 0 and F > W, as in ap_fixed.
//
// QUANT: 0 TRN (floor), 1 TRN_ZERO, 2 RND (ties to +inf), 3 RND_ZERO, 4 RND_MIN_INF, 5 RND_INF, 6 RND_CONV.
// OVF:   0 WRAP (with SAT_BITS saturation bits when SAT_BITS > 0), 1 SAT, 2 SAT_ZERO, 3 SAT_SYM,
//        4 WRAP_SM (sign-magnitude wrap, with or without SAT_BITS; signed destinations only: the headers exit for
//        ap_ufixed, and fwparity.fixed.FixedType refuses it).
// The rounding decisions use the sign of the source, not of the truncated value (ap_fixed_base.h quantization_adjust).
module fwp_requant #(
    parameter integer IN_W = 16,
    parameter integer IN_F = 10,
    parameter integer IN_SIGNED = 1,
    parameter integer OUT_W = 16,
    parameter integer OUT_F = 10,
    parameter integer OUT_SIGNED = 1,
    parameter integer QUANT = 0,
    parameter integer OVF = 0,
    parameter integer SAT_BITS = 0
) (
    input  wire [IN_W-1:0]  din,
    output wire [OUT_W-1:0] dout
);
    localparam integer S = IN_F - OUT_F;
    localparam integer LS = (S < 0) ? -S : 0;
    localparam integer RS = (S > 0) ? S : 0;
    // q holds the quantised value exactly: the input shifted left, its sign, a rounding carry, and room to tell
    // an in-range value from an out-of-range one for any OUT_W.
    localparam integer QW0 = IN_W + LS + 2;
    localparam integer QW = (QW0 > OUT_W + 2) ? QW0 : OUT_W + 2;
    localparam integer EW = QW + RS;

    wire neg = (IN_SIGNED != 0) ? din[IN_W-1] : 1'b0;
    wire signed [EW-1:0] ext = {{(EW - IN_W){neg}}, din};
    wire signed [QW-1:0] q;

    generate
        if (RS == 0) begin : g_exact
            assign q = ext <<< LS;
        end else begin : g_round
            /* verilator lint_off UNUSEDSIGNAL */
            wire signed [QW-1:0] fl = ext[EW-1:RS];
            wire qb = ext[RS-1];
            wire nz = |ext[RS-1:0];
            wire r;
            /* verilator lint_on UNUSEDSIGNAL */
            if (RS >= 2) begin : g_r
                assign r = |ext[RS-2:0];
            end else begin : g_r1
                assign r = 1'b0;
            end
            wire inc;
            if (QUANT == 1) begin : g_trn_zero
                assign inc = neg & nz;
            end else if (QUANT == 2) begin : g_rnd
                assign inc = qb;
            end else if (QUANT == 3) begin : g_rnd_zero
                assign inc = qb & (r | neg);
            end else if (QUANT == 4) begin : g_rnd_min_inf
                assign inc = qb & r;
            end else if (QUANT == 5) begin : g_rnd_inf
                assign inc = qb & (r | ~neg);
            end else if (QUANT == 6) begin : g_rnd_conv
                assign inc = qb & (r | fl[0]);
            end else begin : g_trn
                assign inc = 1'b0;
            end
            assign q = fl + {{(QW - 1){1'b0}}, inc};
        end
    endgenerate

    // Constants of the destination, as parameter expressions so none is limited to 32 bits and elaboration stays
    // cheap (a dense layer holds thousands of these).
    localparam [OUT_W:0] TOP_BIT = {1'b1, {OUT_W{1'b0}}} >> 1;
    localparam [OUT_W:0] ONE = {{OUT_W{1'b0}}, 1'b1};
    localparam [OUT_W-1:0] LO = (OUT_SIGNED != 0) ? TOP_BIT[OUT_W-1:0] : {OUT_W{1'b0}};
    localparam [OUT_W-1:0] HI = ~LO;
    localparam [OUT_W-1:0] LO_SYM = (OUT_SIGNED != 0 && OUT_W > 1) ? (LO | ONE[OUT_W-1:0]) : LO;
    localparam [OUT_W-1:0] SAT_MASK = ~({OUT_W{1'b1}} >> SAT_BITS);
    // ap_fixed's N saturation bits: signed -> MSB = sign of the source, the other N-1 = its inverse; unsigned ->
    // all N set, in both directions (ap_fixed_base.h overflow_adjust).
    localparam [OUT_W-1:0] SAT_POS = HI;
    localparam [OUT_W-1:0] SAT_NEG = (OUT_SIGNED != 0) ? LO : {OUT_W{1'b1}};

    localparam [OUT_W-1:0] MSB = TOP_BIT[OUT_W-1:0];

    /* verilator lint_off UNUSEDSIGNAL */
    wire [OUT_W-1:0] low = q[OUT_W-1:0];
    wire q_neg = q[QW-1];
    // Bit OUT_W of floor(t), the source bit just above the destination (the headers' lD, bit F2-F+W of the source):
    // q before rounding. QW >= OUT_W + 2, so the bit is there (0 when the left shift moved every source bit past it).
    wire fl_w;
    /* verilator lint_on UNUSEDSIGNAL */
    generate
        if (RS == 0) begin : g_flw_exact
            assign fl_w = q[OUT_W];
        end else begin : g_flw_round
            assign fl_w = ext[RS + OUT_W];
        end
    endgenerate
    generate
        if (OVF == 0 && SAT_BITS == 0) begin : g_wrap
            assign dout = low;
        end else begin : g_ovf
            wire in_range;
            if (OUT_SIGNED != 0) begin : g_rs
                assign in_range = (&q[QW-1:OUT_W-1]) | ~(|q[QW-1:OUT_W-1]);
            end else begin : g_ru
                assign in_range = ~(|q[QW-1:OUT_W]);
            end
            if (OVF == 1) begin : g_sat
                assign dout = in_range ? low : (q_neg ? LO : HI);
            end else if (OVF == 2) begin : g_sat_zero
                assign dout = in_range ? low : {OUT_W{1'b0}};
            end else if (OVF == 3) begin : g_sat_sym
                // AP_SAT_SYM rewrites an in-range minimum too.
                assign dout = in_range ? ((low == LO) ? LO_SYM : low) : (q_neg ? LO_SYM : HI);
            end else if (OVF == 4) begin : g_wrap_sm
                // ap_fixed_base.h overflow_adjust, AP_WRAP_SM (signed): Ro is the wrapped MSB, sign the source's.
                wire [OUT_W-1:0] folded;
                if (SAT_BITS == 0) begin : g_n0
                    // lD != Ro: invert every bit; then the MSB becomes lD.
                    wire [OUT_W-1:0] inv = (fl_w != low[OUT_W-1]) ? ~low : low;
                    assign folded = (inv & ~MSB) | (fl_w ? MSB : {OUT_W{1'b0}});
                end else if (SAT_BITS == 1) begin : g_n1
                    // sign != Ro: invert every bit; then the MSB becomes the sign.
                    wire [OUT_W-1:0] inv = (neg != low[OUT_W-1]) ? ~low : low;
                    assign folded = (inv & ~MSB) | (neg ? MSB : {OUT_W{1'b0}});
                end else begin : g_nn
                    // Bit W-N equal to the sign: invert every bit; then the N MSBs become saturation bits as for
                    // AP_WRAP with N bits (MSB = sign, the other N-1 its inverse).
                    wire [OUT_W-1:0] inv = (low[OUT_W-SAT_BITS] == neg) ? ~low : low;
                    assign folded = (inv & ~SAT_MASK) | ((neg ? SAT_NEG : SAT_POS) & SAT_MASK);
                end
                assign dout = in_range ? low : folded;
            end else begin : g_wrap_n
                assign dout = in_range ? low : ((low & ~SAT_MASK) | ((neg ? SAT_NEG : SAT_POS) & SAT_MASK));
            end
        end
    endgenerate
endmodule
