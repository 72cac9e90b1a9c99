// tb_mx_out — accumulator values through mx_out; expected fixInt(bigToFloat32(acc, ACC_LSB)) from
// src/core/datapath (src/core/rtl/mx.test.ts): ties at both roundings, the subnormal quantum,
// saturation. Combinational DUT: the stream passes through it.
module tb_mx_out #(
  parameter NAME = "tb_mx_out",
  parameter int N = 1,
  parameter int SEED = 1,
  parameter int ACC_W = 48,
  parameter int ACC_LSB = -30,
  parameter int ACT_W = 24,
  parameter int ACT_F = 14
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

  logic [ACC_W-1:0] acc;
  logic [ACT_W-1:0] act;
  logic valid, ready, src_done;

  tb_hs_source #(.W(ACC_W), .N(N), .FILE({"vectors/", NAME, ".in.hex"}), .SEED(SEED)) u_src (
    .clk, .rst_n, .data(acc), .valid, .ready, .done(src_done));
  mx_out #(.ACC_W(ACC_W), .ACC_LSB(ACC_LSB), .ACT_W(ACT_W), .ACT_F(ACT_F)) dut (.acc, .act);
  tb_hs_sink #(.W(ACT_W), .N(N), .FILE({"vectors/", NAME, ".out.hex"}), .NAME(NAME), .SEED(SEED + 7),
    .ELEM_W(ACT_W), .ELEMS(1), .FIELD("act")) u_sink (
    .clk, .rst_n, .data(act), .valid, .ready, .done, .errors);
endmodule
