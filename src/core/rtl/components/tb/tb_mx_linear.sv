// tb_mx_linear — mx_linear on N_IN input beats (ACT rows [T, K], IN_LANES per beat) against N_OUT
// expected beats (rows [T, N], LANES_N per beat) = fix(f32(x_q·W_qᵀ + b)) from src/core/formats
// `encode` and the datapath twin (src/core/rtl/mx.test.ts, src/core/rtl/layer.ts). Weight ROM images
// are the W_CODES_FILE / W_EXPS_FILE / BIAS_FILE parameters. Random stalls on both sides.
module tb_mx_linear #(
  parameter NAME = "tb_mx_linear",
  parameter int N_IN = 1,
  parameter int N_OUT = 1,
  parameter int SEED = 1,
  parameter int ACT_W = 24,
  parameter int ACT_F = 14,
  parameter int K = 32,
  parameter int N = 8,
  parameter int BLOCK = 32,
  parameter int IN_LANES = 8,
  parameter int LANES_K = 8,
  parameter int LANES_N = 2,
  parameter int X_KIND = 0,
  parameter int X_CODE_W = 4,
  parameter int X_MBITS = 1,
  parameter int X_EMAX = 2,
  parameter int X_UNIT_EXP = -1,
  parameter longint X_MAX_CODE = 12,
  parameter longint X_MAX_NEG = 12,
  parameter int X_RULE = 0,
  parameter int X_ROUND = 0,
  parameter int X_EXP_BIAS = 127,
  parameter int X_X_MIN = -127,
  parameter int X_X_MAX = 127,
  parameter int X_ZERO_X = -127,
  parameter int W_KIND = 0,
  parameter int W_CODE_W = 4,
  parameter int W_MBITS = 1,
  parameter int W_EXP_BIAS = 127,
  parameter int W_UNIT_EXP = -1,
  parameter int ACC_W = 64,
  parameter int ACC_LSB = -40,
  parameter int HAS_BIAS = 0,
  parameter W_CODES_FILE = "weights/w_codes.hex",
  parameter W_EXPS_FILE = "weights/w_exps.hex",
  parameter BIAS_FILE = "weights/bias.hex",
  parameter int RATE_IN = 12,
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

  logic [IN_LANES*ACT_W-1:0] in_data;
  logic [LANES_N*ACT_W-1:0] out_data;
  logic in_valid, in_ready, out_valid, out_ready, src_done;

  tb_hs_source #(.W(IN_LANES*ACT_W), .N(N_IN), .FILE({"vectors/", NAME, ".in.hex"}), .SEED(SEED), .RATE(RATE_IN)) u_src (
    .clk, .rst_n, .data(in_data), .valid(in_valid), .ready(in_ready), .done(src_done));

  mx_linear #(
    .ACT_W(ACT_W), .ACT_F(ACT_F), .K(K), .N(N), .BLOCK(BLOCK), .IN_LANES(IN_LANES), .LANES_K(LANES_K), .LANES_N(LANES_N),
    .X_KIND(X_KIND), .X_CODE_W(X_CODE_W), .X_MBITS(X_MBITS), .X_EMAX(X_EMAX), .X_UNIT_EXP(X_UNIT_EXP),
    .X_MAX_CODE(X_MAX_CODE), .X_MAX_NEG(X_MAX_NEG), .X_RULE(X_RULE), .X_ROUND(X_ROUND), .X_EXP_BIAS(X_EXP_BIAS),
    .X_X_MIN(X_X_MIN), .X_X_MAX(X_X_MAX), .X_ZERO_X(X_ZERO_X),
    .W_KIND(W_KIND), .W_CODE_W(W_CODE_W), .W_MBITS(W_MBITS), .W_EXP_BIAS(W_EXP_BIAS), .W_UNIT_EXP(W_UNIT_EXP),
    .ACC_W(ACC_W), .ACC_LSB(ACC_LSB), .HAS_BIAS(HAS_BIAS),
    .W_CODES_FILE(W_CODES_FILE), .W_EXPS_FILE(W_EXPS_FILE), .BIAS_FILE(BIAS_FILE)
  ) dut (.clk, .rst_n, .in_data, .in_valid, .in_ready, .out_data, .out_valid, .out_ready);

  tb_hs_sink #(.W(LANES_N*ACT_W), .N(N_OUT), .FILE({"vectors/", NAME, ".out.hex"}), .NAME(NAME), .SEED(SEED + 7), .RATE(RATE_OUT),
    .ELEM_W(ACT_W), .ELEMS(LANES_N), .FIELD("y")) u_sink (
    .clk, .rst_n, .data(out_data), .valid(out_valid), .ready(out_ready), .done, .errors);
endmodule
