// tb_fx_layernorm — fx_layernorm on N beats (rows of D, D/LANES beats per row); expected fixed.ts
// fxLayerNorm with the weights of vectors/<NAME>.w.hex and the bias of vectors/<NAME>.b.hex (src/core/rtl/fx.test.ts:
// real tiny-gpt2 ln_1 inputs, weights and bias plus zero rows, one ±max element, tiny rows).
// Random valid/ready stalls on both sides.
module tb_fx_layernorm #(
  parameter NAME = "tb_fx_layernorm",
  parameter int N = 1,
  parameter int SEED = 1,
  parameter int ACT_W = 24,
  parameter int ACT_F = 14,
  parameter int LANES = 4,
  parameter int D = 128,
  parameter int W_F = 20,
  parameter longint EPS = 175921860
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
  localparam int W = LANES * ACT_W;
  logic [W-1:0] in_data, out_data;
  logic in_valid, in_ready, out_valid, out_ready;
  tb_fx_source #(.W(W), .N(N), .FILE({"vectors/", NAME, ".in.hex"}), .SEED(SEED)) u_src (
    .clk, .rst_n, .data(in_data), .valid(in_valid), .ready(in_ready));
  fx_layernorm #(.ACT_W(ACT_W), .ACT_F(ACT_F), .LANES(LANES), .D(D), .W_F(W_F), .EPS(EPS), .W_FILE({"vectors/", NAME, ".w.hex"}), .B_FILE({"vectors/", NAME, ".b.hex"})) dut (
    .clk, .rst_n, .in_data, .in_valid, .in_ready, .out_data, .out_valid, .out_ready);
  tb_fx_sink #(.W(W), .N(N), .FILE({"vectors/", NAME, ".out.hex"}), .NAME(NAME), .SEED(SEED + 7), .ELEM_W(ACT_W), .FIELD("y")) u_sink (
    .clk, .rst_n, .data(out_data), .valid(out_valid), .ready(out_ready), .done, .errors);
endmodule
