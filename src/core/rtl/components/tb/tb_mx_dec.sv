// tb_mx_dec — every code of an element format through mx_dec; expected {eoff, sig} computed from the
// codec's decoded values and Encoded.mantissas (src/core/rtl/mx.test.ts). mx_dec is combinational:
// the stream passes through it (valid/ready wired straight), so the stalls only pace the vectors.
module tb_mx_dec #(
  parameter NAME = "tb_mx_dec",
  parameter int N = 1,
  parameter int SEED = 1,
  parameter int KIND = 0,
  parameter int CODE_W = 4,
  parameter int MBITS = 1,
  localparam int SIG_W = (KIND == 0) ? MBITS + 2 : CODE_W,
  localparam int EOFF_W = (KIND == 0) ? CODE_W - 1 - MBITS : 1
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

  logic [CODE_W-1:0] code;
  logic signed [SIG_W-1:0] sig;
  logic [EOFF_W-1:0] eoff;
  logic valid, ready, src_done;

  tb_hs_source #(.W(CODE_W), .N(N), .FILE({"vectors/", NAME, ".in.hex"}), .SEED(SEED)) u_src (
    .clk, .rst_n, .data(code), .valid, .ready, .done(src_done));
  mx_dec #(.KIND(KIND), .CODE_W(CODE_W), .MBITS(MBITS)) dut (.code, .sig, .eoff);
  tb_hs_sink #(.W(EOFF_W + SIG_W), .N(N), .FILE({"vectors/", NAME, ".out.hex"}), .NAME(NAME), .SEED(SEED + 7),
    .ELEM_W(SIG_W), .ELEMS(1), .FIELD("sig"), .HI_FIELD("eoff")) u_sink (
    .clk, .rst_n, .data({eoff, sig}), .valid, .ready, .done, .errors);
endmodule
