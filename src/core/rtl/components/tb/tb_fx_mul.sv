// tb_fx_mul — fx_mul on two ACT streams of N beats; expected fixed.ts fxMul (src/core/rtl/fx.test.ts:
// the real default-model SwiGLU product silu(gate)·up plus extremes: max·max, −max·max, ties of the
// rounding). Independent random stalls on both inputs and the output.
module tb_fx_mul #(
  parameter NAME = "tb_fx_mul",
  parameter int N = 1,
  parameter int SEED = 1,
  parameter int ACT_W = 24,
  parameter int ACT_F = 14,
  parameter int LANES = 4
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
  logic [W-1:0] a_data, b_data, out_data;
  logic a_valid, a_ready, b_valid, b_ready, out_valid, out_ready;
  tb_fx_source #(.W(W), .N(N), .FILE({"vectors/", NAME, ".in.hex"}), .SEED(SEED)) u_a (
    .clk, .rst_n, .data(a_data), .valid(a_valid), .ready(a_ready));
  tb_fx_source #(.W(W), .N(N), .FILE({"vectors/", NAME, ".in_b.hex"}), .SEED(SEED + 3)) u_b (
    .clk, .rst_n, .data(b_data), .valid(b_valid), .ready(b_ready));
  fx_mul #(.ACT_W(ACT_W), .ACT_F(ACT_F), .LANES(LANES)) dut (.clk, .rst_n, .a_data, .a_valid, .a_ready, .b_data, .b_valid, .b_ready, .out_data, .out_valid, .out_ready);
  tb_fx_sink #(.W(W), .N(N), .FILE({"vectors/", NAME, ".out.hex"}), .NAME(NAME), .SEED(SEED + 7), .ELEM_W(ACT_W), .FIELD("y")) u_sink (
    .clk, .rst_n, .data(out_data), .valid(out_valid), .ready(out_ready), .done, .errors);
endmodule
