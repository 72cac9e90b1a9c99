// mx_quant — one block of ACT values → one MX block (element codes + shared exponent code),
// exactly as src/core/formats `encode` does for the block's format (mx-formats.md §A4–A9, Part B):
// amax → shared exponent by the scale rule (clamped), then every element rounded on its grid with
// the rounding mode and saturated. Purely combinational; mx_cast wraps it with a gatherer and
// pipeline registers, mx_matmul uses it for V's column blocks.
//
// Integer formulation (ACT value = a · 2^-ACT_F; element value = c · 2^(X + UNIT_EXP)):
//   z = ACT_F + X + UNIT_EXP, so |x| / 2^(X + UNIT_EXP) = |a| · 2^-z
//   float elements: s = max(L - MBITS, 0) with L = msb(|a|) - z (the element's binade above the
//   subnormal range, in units); c = round(|a| / 2^(z + s)) · 2^s; integer kinds: s = 0.
//   c saturates to MAX_CODE (MAX_NEG for a negative MXInt element).
// The parameters come from src/core/rtl/mxLibrary.ts `castParams(spec)`; do not hand-set them.
module mx_quant #(
  parameter int ACT_W = 24,
  parameter int ACT_F = 14,
  parameter int BLOCK = 32,
  // 0: MX float element (S.E.M), 1: MX int element (two's complement, fixed point),
  // 2: MXInt (two's complement m-bit), 3: BFP (sign-magnitude m-bit)
  parameter int KIND = 0,
  parameter int CODE_W = 4,
  // float: explicit mantissa bits; MX int: fraction bits (N-2); MXInt/BFP: unused
  parameter int MBITS = 1,
  // the element's emax (MX); MXInt: 0 for the ceil rule, -1 for its floor rule (E = floor + 1)
  parameter int EMAX = 2,
  // log2 of the element's datapath unit: float emin - m, MX int -m, MXInt/BFP -(m-1)
  parameter int UNIT_EXP = -1,
  parameter longint MAX_CODE = 12,
  parameter longint MAX_NEG = 12,
  // 0 floor, 1 ceil, 2 even (round amax to MBITS then floor), 3 rceil (smallest X with max_norm·2^X ≥ amax)
  parameter int RULE = 0,
  // 0 nearest (ties away from zero), 1 even, 2 floor (truncation toward zero)
  parameter int ROUND = 0,
  parameter int EXP_BIAS = 127,
  parameter int X_MIN = -127,
  parameter int X_MAX = 127,
  parameter int ZERO_X = -127
) (
  input  logic [BLOCK*ACT_W-1:0]  act,
  output logic [BLOCK*CODE_W-1:0] codes,
  output logic [7:0]              exp_code
);
  // bit length of MAX_CODE minus one (its msb), for the rceil rule
  localparam int MC_MSB = $clog2(MAX_CODE + 1) - 1;

  // position of the leading one (−1 for zero): a 6-step binary search, small in any simulator
  function automatic int msb64(input logic [63:0] v);
    int p;
    logic [63:0] x;
    p = 0;
    x = v;
    for (int s = 32; s >= 1; s = s / 2) begin
      if ((x >> s) != 0) begin
        p = p + s;
        x = x >> s;
      end
    end
    msb64 = (v == 0) ? -1 : p;
  endfunction

  // magnitude of a (never above 2^(ACT_W-1), so it fits 64 bits for any ACT_W ≤ 63)
  function automatic logic [63:0] mag_of(input logic [ACT_W-1:0] a);
    logic [63:0] v;
    v = {{(64 - ACT_W){a[ACT_W-1]}}, a};
    mag_of = a[ACT_W-1] ? 64'(-v) : v;
  endfunction

  // (the argument is not called blk: mx_cast, which instantiates this module, has a signal blk, and
  // the -Wall lint flags a hidden name as VARHIDDEN in the flattened design)
  function automatic logic [63:0] block_amax(input logic [BLOCK*ACT_W-1:0] vals);
    logic [63:0] m, a;
    m = '0;
    for (int i = 0; i < BLOCK; i++) begin
      a = mag_of(vals[i*ACT_W +: ACT_W]);
      if (a > m) m = a;
    end
    block_amax = m;
  endfunction

  // shared exponent X from amax (an ACT integer: amax_real = amax · 2^-ACT_F), clamped
  function automatic logic signed [31:0] shared_exp(input logic [63:0] amax);
    int p, xr;
    logic [63:0] lowmask;
    logic half, sticky, lsb, carry, inc;
    logic [127:0] lhs, rhs;
    p = msb64(amax);
    xr = p - ACT_F - EMAX;
    case (RULE)
      1: xr = p + ((amax & (amax - 64'd1)) != 0 ? 1 : 0) - ACT_F - EMAX;
      2: begin
        // round amax to MBITS fraction bits (ties to even); a carry out of the top moves the floor up
        carry = 1'b0;
        if (p > MBITS) begin
          lowmask = (64'd1 << (p - MBITS)) - 64'd1;
          half = amax[p - MBITS - 1];
          sticky = (amax & (lowmask >> 1)) != 0;
          lsb = amax[p - MBITS];
          inc = half & (sticky | lsb);
          carry = inc && ((amax >> (p - MBITS)) == ((64'd1 << (MBITS + 1)) - 64'd1));
        end
        xr = p + (carry ? 1 : 0) - ACT_F - EMAX;
      end
      3: begin
        // Y = X + UNIT_EXP + ACT_F is msb(amax) - msb(MAX_CODE), or one more when MAX_CODE·2^Y < amax
        lhs = 128'(MAX_CODE) << p;
        rhs = 128'(amax) << MC_MSB;
        xr = p - MC_MSB + (lhs < rhs ? 1 : 0) - UNIT_EXP - ACT_F;
      end
      default: ;
    endcase
    // MXInt/BFP clamp at X_MAX (their elements then saturate); MX never gets there: the generator
    // refuses an ACT range beyond the scale
    if (amax == 0) shared_exp = ZERO_X;
    else if (xr < X_MIN) shared_exp = X_MIN;
    else if (xr > X_MAX) shared_exp = X_MAX;
    else shared_exp = xr;
  endfunction

  localparam logic [63:0] MMASK = (64'd1 << MBITS) - 64'd1;

  // one element's code at shared exponent X
  function automatic logic [CODE_W-1:0] quant_elem(input logic [ACT_W-1:0] x, input logic signed [31:0] sx);
    int z, L, s, d, e;
    logic [63:0] mag, r, c, lowm;
    /* verilator lint_off UNUSEDSIGNAL */  // 64-bit working value: only its low CODE_W bits are the code
    logic [63:0] cw;
    /* verilator lint_on UNUSEDSIGNAL */
    logic neg, half, sticky, up;
    mag = mag_of(x);
    neg = x[ACT_W-1];
    z = ACT_F + sx + UNIT_EXP;
    s = 0;
    if (KIND == 0 && mag != 0) begin
      L = msb64(mag) - z;
      s = (L - MBITS > 0) ? L - MBITS : 0;
    end
    d = z + s;
    if (mag == 0) begin
      r = '0;  // a zero element (an all-zero block has a tiny X, hence a huge left shift)
    end else if (d <= 0) begin
      // exact: a left shift (never past 40 bits for a non-zero element; saturate beyond)
      r = (-d >= 40) ? 64'hFFFF_FFFF_FFFF : mag << (-d);
    end else if (d >= 64) begin
      r = '0;
    end else begin
      r = mag >> d;
      half = mag[d - 1];
      lowm = (64'd1 << (d - 1)) - 64'd1;
      sticky = (mag & lowm) != 0;
      case (ROUND)
        0: up = half;
        1: up = half & (sticky | r[0]);
        default: up = 1'b0;
      endcase
      r = r + (up ? 64'd1 : 64'd0);
    end
    c = r << s;
    if (neg && KIND == 2) begin
      if (c > 64'(MAX_NEG)) c = 64'(MAX_NEG);
    end else if (c > 64'(MAX_CODE)) c = 64'(MAX_CODE);
    case (KIND)
      0: begin
        // S.E.M: subnormal below 2^MBITS units, else exponent field msb(c) - MBITS + 1
        if (c >= (64'd1 << MBITS)) begin
          e = msb64(c) - MBITS + 1;
          cw = (64'(neg) << (CODE_W - 1)) | (64'(e) << MBITS) | ((c >> (e - 1)) & MMASK);
        end else begin
          cw = (64'(neg) << (CODE_W - 1)) | c;
        end
      end
      3: cw = (64'(neg) << (CODE_W - 1)) | c;
      default: cw = neg ? -c : c;
    endcase
    quant_elem = cw[CODE_W-1:0];
  endfunction

  // Pure functions in continuous assignments: plain logic for synthesis, and fast in both simulators
  // (Verilator keeps the element loop a loop instead of BLOCK copies; Icarus re-evaluates only when
  // the block changes — an always_comb loop here ran ~8x slower under Icarus 11).
  wire [63:0] amax = block_amax(act);
  wire signed [31:0] X = shared_exp(amax);
  assign exp_code = 8'(X + EXP_BIAS);
  function automatic logic [BLOCK*CODE_W-1:0] quant_block(input logic [BLOCK*ACT_W-1:0] xb, input logic signed [31:0] sx);
    logic [BLOCK*CODE_W-1:0] c;
    for (int i = 0; i < BLOCK; i++) c[i*CODE_W +: CODE_W] = quant_elem(xb[i*ACT_W +: ACT_W], sx);
    quant_block = c;
  endfunction
  assign codes = quant_block(act, X);
endmodule
