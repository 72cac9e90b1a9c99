// tb_fx_softmax — fx_softmax on N beats of unscaled scores (rows of SEQ keys, SEQ/LANES beats per
// row, heads back to back); expected fixed.ts fxCausalSoftmax per head (src/core/rtl/fx.test.ts:
// the default model's real layer-0 scores plus rows of equal, zero and saturated ±max scores).
// Random valid/ready stalls on both sides.
module tb_fx_softmax #(
  parameter NAME = "tb_fx_softmax",
  parameter int N = 1,
  parameter int SEED = 1,
  parameter int ACT_W = 24,
  parameter int ACT_F = 14,
  parameter int LANES = 4,
  parameter int SEQ = 16,
  parameter int C = 4278775
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
  fx_softmax #(.ACT_W(ACT_W), .ACT_F(ACT_F), .LANES(LANES), .SEQ(SEQ), .C(C)) dut (
    .clk, .rst_n, .in_data, .in_valid, .in_ready, .out_data, .out_valid, .out_ready);
  tb_fx_sink #(.W(W), .N(N), .FILE({"vectors/", NAME, ".out.hex"}), .NAME(NAME), .SEED(SEED + 7), .ELEM_W(ACT_W), .FIELD("p")) u_sink (
    .clk, .rst_n, .data(out_data), .valid(out_valid), .ready(out_ready), .done, .errors);
endmodule
