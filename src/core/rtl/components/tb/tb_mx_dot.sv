// tb_mx_dot — random code vectors through mx_dot; expected psum = Σ a·b of the codec's datapath
// integers (Encoded.mantissas), exact (src/core/rtl/mx.test.ts). Combinational DUT: the stream passes
// through it. Input beat {b_codes, a_codes}; output beat psum (PSUM_W bits, two's complement).
module tb_mx_dot #(
  parameter NAME = "tb_mx_dot",
  parameter int N = 1,
  parameter int SEED = 1,
  parameter int LANES = 8,
  parameter int A_KIND = 0,
  parameter int A_CODE_W = 4,
  parameter int A_MBITS = 1,
  parameter int B_KIND = 0,
  parameter int B_CODE_W = 4,
  parameter int B_MBITS = 1,
  localparam int A_SIG_W = (A_KIND == 0) ? A_MBITS + 2 : A_CODE_W,
  localparam int B_SIG_W = (B_KIND == 0) ? B_MBITS + 2 : B_CODE_W,
  localparam int A_EOFF_MAX = (A_KIND == 0) ? (1 << (A_CODE_W - 1 - A_MBITS)) - 2 : 0,
  localparam int B_EOFF_MAX = (B_KIND == 0) ? (1 << (B_CODE_W - 1 - B_MBITS)) - 2 : 0,
  localparam int PSUM_W = A_SIG_W + B_SIG_W + A_EOFF_MAX + B_EOFF_MAX + $clog2(LANES) + 1
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

  logic [LANES*A_CODE_W-1:0] a;
  logic [LANES*B_CODE_W-1:0] b;
  logic signed [PSUM_W-1:0] psum;
  logic valid, ready, src_done;

  tb_hs_source #(.W(LANES*(A_CODE_W+B_CODE_W)), .N(N), .FILE({"vectors/", NAME, ".in.hex"}), .SEED(SEED)) u_src (
    .clk, .rst_n, .data({b, a}), .valid, .ready, .done(src_done));
  mx_dot #(.LANES(LANES), .A_KIND(A_KIND), .A_CODE_W(A_CODE_W), .A_MBITS(A_MBITS), .B_KIND(B_KIND), .B_CODE_W(B_CODE_W), .B_MBITS(B_MBITS))
    dut (.a_codes(a), .b_codes(b), .psum);
  tb_hs_sink #(.W(PSUM_W), .N(N), .FILE({"vectors/", NAME, ".out.hex"}), .NAME(NAME), .SEED(SEED + 7),
    .ELEM_W(PSUM_W), .ELEMS(1), .FIELD("psum")) u_sink (
    .clk, .rst_n, .data(psum), .valid, .ready, .done, .errors);
endmodule
