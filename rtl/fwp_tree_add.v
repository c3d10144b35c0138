// fwp_tree_add: nnet::reduce<accum_t, N, Op_add>, hls4ml's balanced adder tree, every add requantised to accum_t
// (so a saturating accumulator matches the C++ order exactly). Element k of din is in bits [k*A_W +: A_W].
//
// reduce(x, n) = reduce(x, P) + reduce(x + P, n - P) with P = 2**floor(log2(n - 1)). The left part is a perfect tree
// of P leaves; peeling left parts off repeatedly gives chunks of sizes P1 > P2 > ... whose sums are added from the
// right: T(P1) + (T(P2) + (... + T(Pk))). That is what is built here, without recursive instantiation.
// Combinational.
module fwp_tree_add #(
    parameter integer N = 5,
    parameter integer A_W = 18, parameter integer A_F = 10, parameter integer A_S = 1,
    parameter integer A_Q = 0, parameter integer A_O = 0, parameter integer A_N = 0
) (
    input  wire [N*A_W-1:0] din,
    output wire [A_W-1:0]   sum
);
    // Size of chunk c (0-based); 0 past the last chunk.
    function integer f_chunk;
        input integer n_total;
        input integer c;
        integer n, p, i, size;
        begin
            n = n_total;
            size = 0;
            for (i = 0; i <= c; i = i + 1) begin
                if (n == 0) begin
                    size = 0;
                end else if (n <= 2) begin
                    size = n;  // reduce of 1 is the term, of 2 a single add: a perfect tree either way
                end else begin
                    p = 1;
                    while (p * 2 <= n - 1) p = p * 2;
                    size = p;
                end
                n = n - size;
            end
            f_chunk = size;
        end
    endfunction

    function integer f_start;
        input integer n_total;
        input integer c;
        integer i, s;
        begin
            s = 0;
            for (i = 0; i < c; i = i + 1) s = s + f_chunk(n_total, i);
            f_start = s;
        end
    endfunction

    function integer f_count;
        input integer n_total;
        integer c;
        begin
            c = 0;
            while (f_chunk(n_total, c) > 0) c = c + 1;
            f_count = c;
        end
    endfunction

    localparam integer NC = f_count(N);

    // split_var: Verilator would otherwise see chains through one array as combinational loops.
    wire [A_W-1:0] spine [0:NC-1] /* verilator split_var */;
    genvar c, i;
    generate
        for (c = 0; c < NC; c = c + 1) begin : g_chunk
            localparam integer PC = f_chunk(N, c);
            localparam integer S0 = f_start(N, c);
            // Heap layout: node 1 is the root, node k has children 2k and 2k+1, leaves are PC .. 2PC-1 in order.
            wire [A_W-1:0] nd [1:2*PC-1] /* verilator split_var */;
            for (i = 0; i < PC; i = i + 1) begin : g_leaf
                assign nd[PC + i] = din[(S0 + i)*A_W +: A_W];
            end
            for (i = 1; i < PC; i = i + 1) begin : g_node
                fwp_add_requant #(.A_W(A_W), .A_F(A_F), .A_S(A_S), .A_Q(A_Q), .A_O(A_O), .A_N(A_N))
                    u_add (.a(nd[2*i]), .b(nd[2*i + 1]), .s(nd[i]));
            end
            if (c == NC - 1) begin : g_last
                assign spine[c] = nd[1];
            end else begin : g_join
                fwp_add_requant #(.A_W(A_W), .A_F(A_F), .A_S(A_S), .A_Q(A_Q), .A_O(A_O), .A_N(A_N))
                    u_add (.a(nd[1]), .b(spine[c + 1]), .s(spine[c]));
            end
        end
    endgenerate
    assign sum = spine[0];
endmodule
