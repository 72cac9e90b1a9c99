// tb_mx_cast — mx_cast against vectors from src/core/formats `encode` (src/core/rtl/mx.test.ts):
// vectors/<NAME>.in.hex holds IN_LANES ACT values per beat, vectors/<NAME>.out.hex one block per beat
// as {exp[7:0], codes[BLOCK*CODE_W-1:0]}. Random stalls on both sides; RESULT/MISMATCH per the
// README convention. `done`/`errors` let a wrapper run several configurations in one build.
module tb_mx_cast #(
  parameter NAME = "tb_mx_cast",
  parameter int N_IN = 1,
  parameter int N_OUT = 1,
  parameter int SEED = 1,
  parameter int ACT_W = 24,
  parameter int ACT_F = 14,
  parameter int ROW = 32,
  parameter int IN_LANES = 8,
  parameter int BLOCK = 32,
  parameter int KIND = 0,
  parameter int CODE_W = 4,
  parameter int MBITS = 1,
  parameter int EMAX = 2,
  parameter int UNIT_EXP = -1,
  parameter longint MAX_CODE = 12,
  parameter longint MAX_NEG = 12,
  parameter int RULE = 0,
  parameter int ROUND = 0,
  parameter int EXP_BIAS = 127,
  parameter int X_MIN = -127,
  parameter int X_MAX = 127,
  parameter int ZERO_X = -127
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

  logic [IN_LANES*ACT_W-1:0] in_data;
  logic in_valid, in_ready, src_done;
  logic [BLOCK*CODE_W-1:0] codes;
  logic [7:0] exp_code;
  logic out_valid, out_ready;

  tb_hs_source #(.W(IN_LANES*ACT_W), .N(N_IN), .FILE({"vectors/", NAME, ".in.hex"}), .SEED(SEED)) u_src (
    .clk, .rst_n, .data(in_data), .valid(in_valid), .ready(in_ready), .done(src_done));

  mx_cast #(
    .ACT_W(ACT_W), .ACT_F(ACT_F), .ROW(ROW), .IN_LANES(IN_LANES), .BLOCK(BLOCK), .KIND(KIND), .CODE_W(CODE_W),
    .MBITS(MBITS), .EMAX(EMAX), .UNIT_EXP(UNIT_EXP), .MAX_CODE(MAX_CODE), .MAX_NEG(MAX_NEG), .RULE(RULE),
    .ROUND(ROUND), .EXP_BIAS(EXP_BIAS), .X_MIN(X_MIN), .X_MAX(X_MAX), .ZERO_X(ZERO_X)
  ) dut (
    .clk, .rst_n, .in_data, .in_valid, .in_ready,
    .out_codes(codes), .out_exp(exp_code), .out_valid, .out_ready);

  tb_hs_sink #(.W(8 + BLOCK*CODE_W), .N(N_OUT), .FILE({"vectors/", NAME, ".out.hex"}), .NAME(NAME), .SEED(SEED + 7),
    .ELEM_W(CODE_W), .ELEMS(BLOCK), .FIELD("code"), .HI_FIELD("exp")) u_sink (
    .clk, .rst_n, .data({exp_code, codes}), .valid(out_valid), .ready(out_ready), .done, .errors);
endmodule
