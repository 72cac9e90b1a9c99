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
  // One product: both codes decoded exactly as mx_dec does (sig · 2^eoff), multiplied and aligned by
  // eoff_a + eoff_b. Written as functions over the packed codes rather than LANES mx_dec instances:
  // the same logic after synthesis, and several times faster in event-driven simulators (Icarus).
  function automatic logic signed [PSUM_W-1:0] term(input logic [63:0] ca, input logic [63:0] cb);
    logic signed [PSUM_W-1:0] sa, sb;
    int ea, eb;
    logic [63:0] m;
    if (A_KIND == 0) begin
      m = ca & ((64'd1 << A_MBITS) - 1);
      ea = 32'((ca >> A_MBITS) & ((64'd1 << (A_CODE_W - 1 - A_MBITS)) - 1));
      if (ea != 0) begin m = m | (64'd1 << A_MBITS); ea = ea - 1; end
      sa = ca[A_CODE_W-1] ? -(PSUM_W'(m)) : PSUM_W'(m);
    end else if (A_KIND == 3) begin
      m = ca & ((64'd1 << (A_CODE_W - 1)) - 1);
      sa = ca[A_CODE_W-1] ? -(PSUM_W'(m)) : PSUM_W'(m);
      ea = 0;
    end else begin
      sa = ca[A_CODE_W-1] ? PSUM_W'(ca) - (PSUM_W'(1) << A_CODE_W) : PSUM_W'(ca);
      ea = 0;
    end
    if (B_KIND == 0) begin
      m = cb & ((64'd1 << B_MBITS) - 1);
      eb = 32'((cb >> B_MBITS) & ((64'd1 << (B_CODE_W - 1 - B_MBITS)) - 1));
      if (eb != 0) begin m = m | (64'd1 << B_MBITS); eb = eb - 1; end
      sb = cb[B_CODE_W-1] ? -(PSUM_W'(m)) : PSUM_W'(m);
    end else if (B_KIND == 3) begin
      m = cb & ((64'd1 << (B_CODE_W - 1)) - 1);
      sb = cb[B_CODE_W-1] ? -(PSUM_W'(m)) : PSUM_W'(m);
      eb = 0;
    end else begin
      sb = cb[B_CODE_W-1] ? PSUM_W'(cb) - (PSUM_W'(1) << B_CODE_W) : PSUM_W'(cb);
      eb = 0;
    end
    term = (sa * sb) <<< (ea + eb);
  endfunction

  function automatic logic signed [PSUM_W-1:0] dot(input logic [LANES*A_CODE_W-1:0] a, input logic [LANES*B_CODE_W-1:0] b);
    logic signed [PSUM_W-1:0] tot;
    tot = '0;
    for (int k = 0; k < LANES; k++) tot = tot + term(64'(a[k*A_CODE_W +: A_CODE_W]), 64'(b[k*B_CODE_W +: B_CODE_W]));
    dot = tot;
  endfunction

  assign psum = dot(a_codes, b_codes);
endmodule
