// fwp_requant: assign a fixed-point value to another fixed-point type, exactly like ap_fixed's operator=.
//
// The input is a raw integer with IN_F fractional bits; the output is the raw integer of the destination type
// (OUT_W bits, OUT_F fractional bits) after the destination's quantization (QUANT) and overflow (OVF, SAT_BITS).
// Combinational. Every width and fractional-bit count is legal, including F < 0 and F > W, as in ap_fixed.
//
// QUANT: 0 TRN (floor), 1 TRN_ZERO, 2 RND (ties to +inf), 3 RND_ZERO, 4 RND_MIN_INF, 5 RND_INF, 6 RND_CONV.
// OVF:   0 WRAP (with SAT_BITS saturation bits when SAT_BITS > 0), 1 SAT, 2 SAT_ZERO, 3 SAT_SYM.
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
            reg inc;
            always @* begin
                case (QUANT)
                    1: inc = neg & nz;
                    2: inc = qb;
                    3: inc = qb & (r | neg);
                    4: inc = qb & r;
                    5: inc = qb & (r | ~neg);
                    6: inc = qb & (r | fl[0]);
                    default: inc = 1'b0;
                endcase
            end
            assign q = fl + {{(QW - 1){1'b0}}, inc};
        end
    endgenerate

    // Range of the destination, built bit by bit so no constant is limited to 32 bits.
    reg [OUT_W-1:0] lo, hi, lo_sym, sat_mask, sat_val;
    integer k;
    always @* begin
        for (k = 0; k < OUT_W; k = k + 1) begin
            lo[k] = (OUT_SIGNED != 0) && (k == OUT_W - 1);
            hi[k] = (OUT_SIGNED == 0) || (k != OUT_W - 1);
            lo_sym[k] = lo[k] || ((OUT_SIGNED != 0) && (OUT_W > 1) && (k == 0));
            sat_mask[k] = (k >= OUT_W - SAT_BITS);
            // ap_fixed's N saturation bits: signed -> MSB = sign of the source, the other N-1 = its inverse;
            // unsigned -> all N set, in both directions (ap_fixed_base.h overflow_adjust).
            sat_val[k] = (OUT_SIGNED != 0) ? ((k == OUT_W - 1) ? neg : ~neg) : 1'b1;
        end
    end

    wire q_neg = q[QW-1];
    wire in_range;
    generate
        if (OUT_SIGNED != 0) begin : g_rs
            assign in_range = (&q[QW-1:OUT_W-1]) | ~(|q[QW-1:OUT_W-1]);
        end else begin : g_ru
            assign in_range = ~(|q[QW-1:OUT_W]);
        end
    endgenerate

    wire [OUT_W-1:0] low = q[OUT_W-1:0];
    reg [OUT_W-1:0] res;
    always @* begin
        if (OVF == 0 && SAT_BITS == 0) begin
            res = low;
        end else if (in_range) begin
            res = low;
            // AP_SAT_SYM rewrites an in-range minimum too.
            if (OVF == 3 && low == lo) res = lo_sym;
        end else begin
            case (OVF)
                1: res = q_neg ? lo : hi;
                2: res = {OUT_W{1'b0}};
                3: res = q_neg ? lo_sym : hi;
                default: res = (low & ~sat_mask) | (sat_val & sat_mask);
            endcase
        end
    end
    assign dout = res;
endmodule
