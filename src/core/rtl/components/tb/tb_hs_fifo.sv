// tb_hs_fifo — hs_fifo (DEPTH entries) passes N beats through unchanged, in order, under random stalls on both
// sides (vectors/<NAME>.in.hex = vectors/<NAME>.out.hex, written by src/core/rtl/mx.test.ts).
module tb_hs_fifo #(
  parameter NAME = "tb_hs_fifo",
  parameter int N = 1,
  parameter int SEED = 1,
  parameter int RATE_IN = 12,
  parameter int RATE_OUT = 12,
  parameter int DEPTH = 4,
  parameter int W = 16
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

  logic [W-1:0] in_data, out_data;
  logic in_valid, in_ready, out_valid, out_ready, src_done;

  tb_hs_source #(.W(W), .N(N), .FILE({"vectors/", NAME, ".in.hex"}), .SEED(SEED), .RATE(RATE_IN)) u_src (
    .clk, .rst_n, .data(in_data), .valid(in_valid), .ready(in_ready), .done(src_done));
  hs_fifo #(.W(W), .DEPTH(DEPTH)) dut (.clk, .rst_n, .in_data, .in_valid, .in_ready, .out_data, .out_valid, .out_ready);
  tb_hs_sink #(.W(W), .N(N), .FILE({"vectors/", NAME, ".out.hex"}), .NAME(NAME), .SEED(SEED + 7), .RATE(RATE_OUT),
    .ELEM_W(W), .ELEMS(1), .FIELD("data")) u_sink (
    .clk, .rst_n, .data(out_data), .valid(out_valid), .ready(out_ready), .done, .errors);
endmodule
