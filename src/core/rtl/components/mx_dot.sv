// mx_dot — exact integer dot product of LANES element pairs of one block pair (both operands share
// their block exponents across the lanes): psum = Σ_i sig_a[i]·sig_b[i]·2^(eoff_a[i] + eoff_b[i])
// (sig, eoff as mx_dec decodes them),
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
  // One product: both codes decoded exactly as mx_dec does (sig · 2^eoff), multiplied at their own
  // widths (A_SIG_W × B_SIG_W → P_W bits: |sig_a·sig_b| ≤ 2^(P_W-2), so the signed product is exact)
  // and aligned by eoff_a + eoff_b ≤ ES_MAX into T_W = P_W + ES_MAX bits; only the sum is PSUM_W wide.
  // Written as functions over the packed codes rather than LANES mx_dec instances: the same logic
  // after synthesis, and several times faster in event-driven simulators (Icarus).
  localparam int P_W = A_SIG_W + B_SIG_W;
  localparam int ES_MAX = A_EOFF_MAX + B_EOFF_MAX;
  localparam int ESW = $clog2(ES_MAX + 1) + 1;
  localparam int T_W = P_W + ES_MAX;
  // mantissa bits of a float operand (1 for the other kinds keeps their dead float selects legal)
  localparam int A_FM = (A_KIND == 0) ? A_MBITS : 1;
  localparam int B_FM = (B_KIND == 0) ? B_MBITS : 1;

  function automatic logic signed [A_SIG_W-1:0] sig_a(input logic [A_CODE_W-1:0] c);
    logic [A_SIG_W-1:0] m;
    if (A_KIND == 0) begin
      m = A_SIG_W'(c[A_FM-1:0]);
      if (c[A_FM +: A_EOFF_W] != '0) m = m | (A_SIG_W'(1) << A_FM);
      sig_a = c[A_CODE_W-1] ? -$signed(m) : $signed(m);
    end else if (A_KIND == 3) begin
      m = A_SIG_W'(c[A_CODE_W-2:0]);
      sig_a = c[A_CODE_W-1] ? -$signed(m) : $signed(m);
    end else begin
      sig_a = $signed(A_SIG_W'(c));
    end
  endfunction
  function automatic logic signed [B_SIG_W-1:0] sig_b(input logic [B_CODE_W-1:0] c);
    logic [B_SIG_W-1:0] m;
    if (B_KIND == 0) begin
      m = B_SIG_W'(c[B_FM-1:0]);
      if (c[B_FM +: B_EOFF_W] != '0) m = m | (B_SIG_W'(1) << B_FM);
      sig_b = c[B_CODE_W-1] ? -$signed(m) : $signed(m);
    end else if (B_KIND == 3) begin
      m = B_SIG_W'(c[B_CODE_W-2:0]);
      sig_b = c[B_CODE_W-1] ? -$signed(m) : $signed(m);
    end else begin
      sig_b = $signed(B_SIG_W'(c));
    end
  endfunction
  // eoff from a float element's exponent field: E − 1 for a normal element, 0 for a subnormal
  function automatic logic [ESW-1:0] eoff_a(input logic [A_EOFF_W-1:0] e);
    eoff_a = (e != '0) ? ESW'(e) - ESW'(1) : '0;
  endfunction
  function automatic logic [ESW-1:0] eoff_b(input logic [B_EOFF_W-1:0] e);
    eoff_b = (e != '0) ? ESW'(e) - ESW'(1) : '0;
  endfunction

  function automatic logic signed [T_W-1:0] term(input logic [A_CODE_W-1:0] ca, input logic [B_CODE_W-1:0] cb);
    logic signed [P_W-1:0] pr;
    logic [ESW-1:0] ea, eb;
    pr = P_W'(sig_a(ca)) * P_W'(sig_b(cb));
    ea = (A_KIND == 0) ? eoff_a(ca[A_FM +: A_EOFF_W]) : '0;
    eb = (B_KIND == 0) ? eoff_b(cb[B_FM +: B_EOFF_W]) : '0;
    term = T_W'(pr) <<< (ea + eb);
  endfunction

  function automatic logic signed [PSUM_W-1:0] dot(input logic [LANES*A_CODE_W-1:0] a, input logic [LANES*B_CODE_W-1:0] b);
    logic signed [PSUM_W-1:0] tot;
    tot = '0;
    for (int k = 0; k < LANES; k++) tot = tot + PSUM_W'(term(a[k*A_CODE_W +: A_CODE_W], b[k*B_CODE_W +: B_CODE_W]));
    dot = tot;
  endfunction

  assign psum = dot(a_codes, b_codes);
endmodule
