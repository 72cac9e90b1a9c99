// tb_fx_rope — fx_rope on N beats of [T, HEADS·HD] (positions wrap after SEQ rows); expected fixed.ts
// fxRope with the cos/sin ROM of vectors/<NAME>.rom.hex (src/core/rtl/fx.test.ts: the default model's
// real layer-0 q projection plus ±max rows that saturate). Random valid/ready stalls on both sides.
module tb_fx_rope #(
  parameter NAME = "tb_fx_rope",
  parameter int N = 1,
  parameter int SEED = 1,
  parameter int ACT_W = 24,
  parameter int LANES = 4,
  parameter int HEADS = 4,
  parameter int HD = 32,
  parameter int SEQ = 16
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
  fx_rope #(.ACT_W(ACT_W), .LANES(LANES), .HEADS(HEADS), .HD(HD), .SEQ(SEQ), .ROM_FILE({"vectors/", NAME, ".rom.hex"})) dut (
    .clk, .rst_n, .in_data, .in_valid, .in_ready, .out_data, .out_valid, .out_ready);
  tb_fx_sink #(.W(W), .N(N), .FILE({"vectors/", NAME, ".out.hex"}), .NAME(NAME), .SEED(SEED + 7), .ELEM_W(ACT_W), .FIELD("y")) u_sink (
    .clk, .rst_n, .data(out_data), .valid(out_valid), .ready(out_ready), .done, .errors);
endmodule
