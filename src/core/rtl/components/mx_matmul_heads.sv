// mx_matmul_heads — an attention GEMM over all heads: H mx_matmul instances (one per query head)
// behind the streams of the whole layer, so a top level sees one ACT stream per operand.
//
//   A stream: rows of H·RA elements (Q [T, H·D] for Q·Kᵀ, RA = D; P in (t, head, key) order
//             [T, H, T] for P·V, RA = T), IN_LANES_A per beat; each head's RA/IN_LANES_A beats go to
//             that head.
//   B stream: rows of HK·D elements (K or V [T, HK·D]), IN_LANES_B per beat; kv head g's beats are
//             forked to its H/HK query heads (grouped-query attention: every head of the group gets
//             the same beats, and the stream advances when all of them took it).
//   Output:   for each row t, head 0's row, then head 1's, … (Q·Kᵀ: scores in (t, head, key) order
//             [T, H, T], masked entries 0; P·V: [T, H·D] row-major), LANES_N per beat.
// Parameters other than H, HK are mx_matmul's (per head). Valid never depends on ready.
module mx_matmul_heads #(
  parameter int H = 2,
  parameter int HK = 2,
  parameter int ACT_W = 24,
  parameter int ACT_F = 14,
  parameter int MODE = 0,
  parameter int T = 8,
  parameter int D = 32,
  parameter int BLOCK = 32,
  parameter int IN_LANES_A = 8,
  parameter int IN_LANES_B = 8,
  parameter int LANES_K = 8,
  parameter int LANES_N = 2,
  parameter int A_KIND = 0,
  parameter int A_CODE_W = 4,
  parameter int A_MBITS = 1,
  parameter int A_EMAX = 2,
  parameter int A_UNIT_EXP = -1,
  parameter longint A_MAX_CODE = 12,
  parameter longint A_MAX_NEG = 12,
  parameter int A_RULE = 0,
  parameter int A_ROUND = 0,
  parameter int A_EXP_BIAS = 127,
  parameter int A_X_MIN = -127,
  parameter int A_X_MAX = 127,
  parameter int A_ZERO_X = -127,
  parameter int B_KIND = 0,
  parameter int B_CODE_W = 4,
  parameter int B_MBITS = 1,
  parameter int B_EMAX = 2,
  parameter int B_UNIT_EXP = -1,
  parameter longint B_MAX_CODE = 12,
  parameter longint B_MAX_NEG = 12,
  parameter int B_RULE = 0,
  parameter int B_ROUND = 0,
  parameter int B_EXP_BIAS = 127,
  parameter int B_X_MIN = -127,
  parameter int B_X_MAX = 127,
  parameter int B_ZERO_X = -127,
  parameter int ACC_W = 64,
  parameter int ACC_LSB = -40
) (
  input  logic                        clk,
  input  logic                        rst_n,
  input  logic [IN_LANES_A*ACT_W-1:0] a_data,
  input  logic                        a_valid,
  output logic                        a_ready,
  input  logic [IN_LANES_B*ACT_W-1:0] b_data,
  input  logic                        b_valid,
  output logic                        b_ready,
  output logic [LANES_N*ACT_W-1:0]    out_data,
  output logic                        out_valid,
  input  logic                        out_ready
);
  localparam int RA = (MODE == 0) ? D : T;      // A elements per head and row
  localparam int NOUT = (MODE == 0) ? T : D;    // output elements per head and row
  localparam int REP = H / HK;
  localparam int ABH = RA / IN_LANES_A;         // A beats per head-row
  localparam int BBH = D / IN_LANES_B;          // B beats per kv-head-row
  localparam int OBH = NOUT / LANES_N;          // output beats per head-row
  localparam int HW = (H > 1) ? $clog2(H) : 1;        // head index width
  localparam int AW = $clog2(ABH + 1);
  localparam int BW = $clog2(BBH + 1);
  localparam int OW = $clog2(OBH + 1);

  logic [H-1:0] ha_valid, ha_ready, hb_valid, hb_ready, ho_valid, ho_ready;
  logic [H*LANES_N*ACT_W-1:0] ho_data;

  // A: each head-row's beats to its head
  logic [HW-1:0] a_h;
  logic [AW-1:0] a_k;
  assign a_ready = ha_ready[a_h];
  for (genvar h = 0; h < H; h++) begin : g_av
    assign ha_valid[h] = a_valid && (32'(a_h) == h);
  end

  // B: kv head g's beats forked to heads g·REP .. g·REP + REP − 1
  logic [HW-1:0] b_g;
  logic [BW-1:0] b_k;
  logic [H-1:0]  sent;
  logic [H-1:0]  in_group;
  for (genvar h = 0; h < H; h++) begin : g_bv
    assign in_group[h] = (h / REP == 32'(b_g));
    assign hb_valid[h] = b_valid && in_group[h] && !sent[h];
  end
  assign b_ready = &(sent | hb_ready | ~in_group);

  // output: head-rows in (row, head) order
  logic [HW-1:0] o_h;
  logic [OW-1:0] o_k;
  assign out_valid = ho_valid[o_h];
  assign out_data = ho_data[32'(o_h) * LANES_N * ACT_W +: LANES_N * ACT_W];
  for (genvar h = 0; h < H; h++) begin : g_ov
    assign ho_ready[h] = out_ready && (32'(o_h) == h);
  end

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      a_h <= '0;
      a_k <= '0;
      b_g <= '0;
      b_k <= '0;
      sent <= '0;
      o_h <= '0;
      o_k <= '0;
    end else begin
      if (a_valid && a_ready) begin
        if (32'(a_k) == ABH - 1) begin
          a_k <= '0;
          a_h <= (32'(a_h) == H - 1) ? '0 : a_h + HW'(1);
        end else begin
          a_k <= a_k + AW'(1);
        end
      end
      if (b_valid && b_ready) begin
        sent <= '0;
        if (32'(b_k) == BBH - 1) begin
          b_k <= '0;
          b_g <= (32'(b_g) == HK - 1) ? '0 : b_g + HW'(1);
        end else begin
          b_k <= b_k + BW'(1);
        end
      end else begin
        sent <= sent | (hb_valid & hb_ready);
      end
      if (out_valid && out_ready) begin
        if (32'(o_k) == OBH - 1) begin
          o_k <= '0;
          o_h <= (32'(o_h) == H - 1) ? '0 : o_h + HW'(1);
        end else begin
          o_k <= o_k + OW'(1);
        end
      end
    end
  end

  for (genvar h = 0; h < H; h++) begin : g_head
    mx_matmul #(
      .ACT_W(ACT_W), .ACT_F(ACT_F), .MODE(MODE), .T(T), .D(D), .BLOCK(BLOCK), .IN_LANES_A(IN_LANES_A), .IN_LANES_B(IN_LANES_B),
      .LANES_K(LANES_K), .LANES_N(LANES_N),
      .A_KIND(A_KIND), .A_CODE_W(A_CODE_W), .A_MBITS(A_MBITS), .A_EMAX(A_EMAX), .A_UNIT_EXP(A_UNIT_EXP), .A_MAX_CODE(A_MAX_CODE), .A_MAX_NEG(A_MAX_NEG), .A_RULE(A_RULE), .A_ROUND(A_ROUND), .A_EXP_BIAS(A_EXP_BIAS), .A_X_MIN(A_X_MIN), .A_X_MAX(A_X_MAX), .A_ZERO_X(A_ZERO_X),
      .B_KIND(B_KIND), .B_CODE_W(B_CODE_W), .B_MBITS(B_MBITS), .B_EMAX(B_EMAX), .B_UNIT_EXP(B_UNIT_EXP), .B_MAX_CODE(B_MAX_CODE), .B_MAX_NEG(B_MAX_NEG), .B_RULE(B_RULE), .B_ROUND(B_ROUND), .B_EXP_BIAS(B_EXP_BIAS), .B_X_MIN(B_X_MIN), .B_X_MAX(B_X_MAX), .B_ZERO_X(B_ZERO_X),
      .ACC_W(ACC_W), .ACC_LSB(ACC_LSB)
    ) u_head (
      .clk, .rst_n,
      .a_data, .a_valid(ha_valid[h]), .a_ready(ha_ready[h]),
      .b_data, .b_valid(hb_valid[h]), .b_ready(hb_ready[h]),
      .out_data(ho_data[h*LANES_N*ACT_W +: LANES_N*ACT_W]), .out_valid(ho_valid[h]), .out_ready(ho_ready[h])
    );
  end
endmodule
