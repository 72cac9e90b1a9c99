// tb_mx_matmul — mx_matmul (MODE 0: Q·Kᵀ, MODE 1: P·V) with both operands streamed from vectors
// (vectors/<NAME>.in.hex = A rows, IN_LANES_A per beat; <NAME>.in_b.hex = B rows, IN_LANES_B per beat)
// against expected rows (<NAME>.out.hex, LANES_N per beat) = fix(f32(S)) from src/core/formats
// `encode` and the datapath twin `blockGemm` (src/core/rtl/mxMatmul.ts). Independent random stalls
// on all three streams, so A and B arrive in every relative order.
module tb_mx_matmul #(
  parameter NAME = "tb_mx_matmul",
  parameter int N_A = 1,
  parameter int N_B = 1,
  parameter int N_OUT = 1,
  parameter int SEED = 1,
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
  parameter int ACC_LSB = -40,
  parameter int RATE_A = 12,
  parameter int RATE_B = 12,
  parameter int RATE_OUT = 12
) (
  output logic        done,
  output logic [31:0] errors
);
  logic clk = 1'b0;
  logic rst_n = 1'b0;
  always #5 clk = ~clk;
  initial begin
    repeat (3) @(posedge clk);
    rst_n = 1'b1;
  end

  logic [IN_LANES_A*ACT_W-1:0] a_data;
  logic [IN_LANES_B*ACT_W-1:0] b_data;
  logic [LANES_N*ACT_W-1:0] out_data;
  logic a_valid, a_ready, b_valid, b_ready, out_valid, out_ready, a_done, b_done;

  tb_hs_source #(.W(IN_LANES_A*ACT_W), .N(N_A), .FILE({"vectors/", NAME, ".in.hex"}), .SEED(SEED), .RATE(RATE_A)) u_srca (
    .clk, .rst_n, .data(a_data), .valid(a_valid), .ready(a_ready), .done(a_done));
  tb_hs_source #(.W(IN_LANES_B*ACT_W), .N(N_B), .FILE({"vectors/", NAME, ".in_b.hex"}), .SEED(SEED + 3), .RATE(RATE_B)) u_srcb (
    .clk, .rst_n, .data(b_data), .valid(b_valid), .ready(b_ready), .done(b_done));

  mx_matmul #(
    .ACT_W(ACT_W), .ACT_F(ACT_F), .MODE(MODE), .T(T), .D(D), .BLOCK(BLOCK), .IN_LANES_A(IN_LANES_A), .IN_LANES_B(IN_LANES_B),
    .LANES_K(LANES_K), .LANES_N(LANES_N),
    .A_KIND(A_KIND), .A_CODE_W(A_CODE_W), .A_MBITS(A_MBITS), .A_EMAX(A_EMAX), .A_UNIT_EXP(A_UNIT_EXP), .A_MAX_CODE(A_MAX_CODE), .A_MAX_NEG(A_MAX_NEG), .A_RULE(A_RULE), .A_ROUND(A_ROUND), .A_EXP_BIAS(A_EXP_BIAS), .A_X_MIN(A_X_MIN), .A_X_MAX(A_X_MAX), .A_ZERO_X(A_ZERO_X),
    .B_KIND(B_KIND), .B_CODE_W(B_CODE_W), .B_MBITS(B_MBITS), .B_EMAX(B_EMAX), .B_UNIT_EXP(B_UNIT_EXP), .B_MAX_CODE(B_MAX_CODE), .B_MAX_NEG(B_MAX_NEG), .B_RULE(B_RULE), .B_ROUND(B_ROUND), .B_EXP_BIAS(B_EXP_BIAS), .B_X_MIN(B_X_MIN), .B_X_MAX(B_X_MAX), .B_ZERO_X(B_ZERO_X),
    .ACC_W(ACC_W), .ACC_LSB(ACC_LSB)
  ) dut (.clk, .rst_n, .a_data, .a_valid, .a_ready, .b_data, .b_valid, .b_ready, .out_data, .out_valid, .out_ready);

  tb_hs_sink #(.W(LANES_N*ACT_W), .N(N_OUT), .FILE({"vectors/", NAME, ".out.hex"}), .NAME(NAME), .SEED(SEED + 7), .RATE(RATE_OUT),
    .ELEM_W(ACT_W), .ELEMS(LANES_N), .FIELD("y")) u_sink (
    .clk, .rst_n, .data(out_data), .valid(out_valid), .ready(out_ready), .done, .errors);
endmodule
