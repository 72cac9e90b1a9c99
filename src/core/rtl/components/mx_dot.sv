// mx_dot — exact integer dot product of LANES element pairs of one block pair (both operands share
// their block exponents across the lanes): psum = Σ_i sig_a[i]·sig_b[i]·2^(eoff_a[i] + eoff_b[i]),
// i.e. Σ of the products of the datapath integers (Encoded.mantissas), with no rounding. The caller
// aligns psum by the blocks' shared exponents (mx_linear / mx_matmul accumulators).
// PSUM_W is wide enough for every input: LANES · max|sig_a| · max|sig_b| · 2^(max eoff sum).
module mx_dot #(
  parameter int LANES = 8,
  parameter int A_KIND = 0,
  parameter int A_CODE_W = 4,
  parameter int A_MBITS = 1,
  parameter int B_KIND = 0,
  parameter int B_CODE_W = 4,
  parameter int B_MBITS = 1,
  localparam int A_SIG_W = (A_KIND == 0) ? A_MBITS + 2 : A_CODE_W,
  localparam int B_SIG_W = (B_KIND == 0) ? B_MBITS + 2 : B_CODE_W,
  localparam int A_EOFF_W = (A_KIND == 0) ? A_CODE_W - 1 - A_MBITS : 1,
  localparam int B_EOFF_W = (B_KIND == 0) ? B_CODE_W - 1 - B_MBITS : 1,
  // largest eoff: 2^E − 2 for float elements (the top exponent field holds normals or Inf/NaN)
  localparam int A_EOFF_MAX = (A_KIND == 0) ? (1 << A_EOFF_W) - 2 : 0,
  localparam int B_EOFF_MAX = (B_KIND == 0) ? (1 << B_EOFF_W) - 2 : 0,
  localparam int PSUM_W = A_SIG_W + B_SIG_W + A_EOFF_MAX + B_EOFF_MAX + $clog2(LANES) + 1
) (
  input  logic [LANES*A_CODE_W-1:0] a_codes,
  input  logic [LANES*B_CODE_W-1:0] b_codes,
  output logic signed [PSUM_W-1:0]  psum
);
  // flat packed per-lane signals (Icarus 11 mishandles one-element unpacked arrays on ports)
  logic [LANES*A_SIG_W-1:0]  sa;
  logic [LANES*B_SIG_W-1:0]  sb;
  logic [LANES*A_EOFF_W-1:0] ea;
  logic [LANES*B_EOFF_W-1:0] eb;
  logic [LANES*PSUM_W-1:0]   terms;

  for (genvar i = 0; i < LANES; i++) begin : g_lane
    mx_dec #(.KIND(A_KIND), .CODE_W(A_CODE_W), .MBITS(A_MBITS)) u_da (
      .code(a_codes[i*A_CODE_W +: A_CODE_W]), .sig(sa[i*A_SIG_W +: A_SIG_W]), .eoff(ea[i*A_EOFF_W +: A_EOFF_W]));
    mx_dec #(.KIND(B_KIND), .CODE_W(B_CODE_W), .MBITS(B_MBITS)) u_db (
      .code(b_codes[i*B_CODE_W +: B_CODE_W]), .sig(sb[i*B_SIG_W +: B_SIG_W]), .eoff(eb[i*B_EOFF_W +: B_EOFF_W]));
    // the product aligned by its element exponent offsets: exact integer arithmetic
    assign terms[i*PSUM_W +: PSUM_W] = (PSUM_W'($signed(sa[i*A_SIG_W +: A_SIG_W])) * PSUM_W'($signed(sb[i*B_SIG_W +: B_SIG_W])))
                                       <<< (32'(ea[i*A_EOFF_W +: A_EOFF_W]) + 32'(eb[i*B_EOFF_W +: B_EOFF_W]));
  end

  function automatic logic signed [PSUM_W-1:0] total(input logic [LANES*PSUM_W-1:0] t);
    logic signed [PSUM_W-1:0] tot;
    tot = '0;
    for (int k = 0; k < LANES; k++) tot = tot + $signed(t[k*PSUM_W +: PSUM_W]);
    return tot;
  endfunction

  assign psum = total(terms);
endmodule
