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
//
// Working widths (all derived from the parameters; nothing is 32 or 64 bits unless a format needs it):
//   |a|, amax           ACT_W bits (|a| ≤ 2^(ACT_W-1)); msb positions $clog2(ACT_W) bits
//   RB                  bits of an element's magnitude before rounding: MBITS + 1 for floats (the
//                       significand), bitlength(max(MAX_CODE, MAX_NEG)) for the integer kinds
//   u = d + RB - 1      the right shift of {|a|, RB zeros} that leaves the element's RB code bits and
//                       the rounding bit at the bottom (d = z + s ≤ 0 is an exact left shift by -d).
//                       u ≥ UMAX = ACT_W + RB shifts everything out (code 0, no rounding bit), so u
//                       is clamped there: UW = $clog2(UMAX + 1) bits. Integer kinds: u < 0 (a left
//                       shift by ≥ RB) saturates every non-zero element (flag lsat); a bit of |a|
//                       above the window saturates too (big). Floats: u = max(zs, msb(|a|)) ≥ 0, and
//                       the window always holds the leading one, so neither can happen.
//   X, z, zs            EW-bit signed: EW bounds the sum of the magnitudes of every term that enters
//                       them (ACT_W, ACT_F, EMAX, UNIT_EXP, RB, X_MIN, X_MAX, ZERO_X, EXP_BIAS, 256).
//   float exponent      s + carry, EPW bits; zs is clamped below at −(E_MC + 1), where s > E_MC
//                       saturates anyway (E_MC, M_MC: MAX_CODE's exponent field and mantissa).
// mx.test.ts checks every kind, rule, rounding and the clamps/saturations bit-exactly against encode.
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
  // ---------------------------------------------------------------- derived widths and constants
  // bit length of MAX_CODE minus one (its msb), for the rceil rule
  localparam int MC_MSB = $clog2(MAX_CODE + 1) - 1;
  localparam longint MAXC = (MAX_NEG > MAX_CODE) ? MAX_NEG : MAX_CODE;
  localparam int RB = (KIND == 0) ? MBITS + 1 : $clog2(MAXC + 1);
  localparam int SW = $clog2(ACT_W);          // msb position of an ACT_W-bit magnitude
  localparam int UMAX = ACT_W + RB;           // a shift by u ≥ UMAX leaves nothing
  localparam int UW = $clog2(UMAX + 1);
  localparam int R3W = ACT_W + MC_MSB + 1;    // rceil compare: MAX_CODE·2^p vs amax·2^MC_MSB
  // the exponent offsets: X = y + KX with y = msb(amax) + (0 or 1)
  localparam int KX = (RULE == 3) ? -MC_MSB - UNIT_EXP - ACT_F : -ACT_F - EMAX;
  localparam int ZK = ACT_F + UNIT_EXP + RB - 1;   // zs = X + ZK = z + RB - 1
  // MAX_CODE as a float code's exponent field and mantissa (floats only)
  localparam int E_MC = (KIND == 0) ? $clog2(MAX_CODE + 1) - MBITS : 1;
  localparam int FM = (KIND == 0) ? MBITS : 1;                // mantissa bits (floats; 1 keeps other kinds' dead selects legal)
  localparam logic [FM-1:0] M_MC = FM'(MAX_CODE >> (E_MC - 1));
  localparam int EB = (KIND == 0) ? CODE_W - 1 - MBITS : 1;   // exponent field bits (floats)
  localparam int EPW = $clog2(ACT_W + E_MC + 2);              // s + carry ≤ ACT_W + E_MC + 1
  localparam int FW = $clog2(((E_MC + 1 > UMAX) ? E_MC + 1 : UMAX) + 1) + 1;   // zs clamped to [-(E_MC+1), UMAX]
  localparam int A_KX = (KX < 0) ? -KX : KX;
  localparam int A_ZK = (ZK < 0) ? -ZK : ZK;
  localparam int A_XMIN = (X_MIN < 0) ? -X_MIN : X_MIN;
  localparam int A_XMAX = (X_MAX < 0) ? -X_MAX : X_MAX;
  localparam int A_ZX = (ZERO_X < 0) ? -ZERO_X : ZERO_X;
  localparam int A_BIAS = (EXP_BIAS < 0) ? -EXP_BIAS : EXP_BIAS;
  localparam int EBND = ACT_W + A_KX + A_ZK + A_XMIN + A_XMAX + A_ZX + A_BIAS + UMAX + E_MC + 256;
  localparam int EW = $clog2(EBND + 1) + 1;

  // position of the leading one (0 for zero, which every caller handles apart): a binary search
  function automatic logic [SW-1:0] msb_of(input logic [ACT_W-1:0] v);
    logic [SW-1:0] p;
    logic [ACT_W-1:0] x;
    p = '0;
    x = v;
    for (int k = SW - 1; k >= 0; k--) begin
      if ((x >> (1 << k)) != '0) begin
        p = p | SW'(1 << k);
        x = x >> (1 << k);
      end
    end
    msb_of = p;
  endfunction

  // magnitude of a: ACT_W bits hold 2^(ACT_W-1)
  function automatic logic [ACT_W-1:0] mag_of(input logic [ACT_W-1:0] a);
    mag_of = a[ACT_W-1] ? -a : a;
  endfunction

  // (the argument is not called blk: mx_cast, which instantiates this module, has a signal blk, and
  // the -Wall lint flags a hidden name as VARHIDDEN in the flattened design)
  function automatic logic [ACT_W-1:0] block_amax(input logic [BLOCK*ACT_W-1:0] vals);
    logic [ACT_W-1:0] m, a;
    m = '0;
    for (int i = 0; i < BLOCK; i++) begin
      a = mag_of(vals[i*ACT_W +: ACT_W]);
      if (a > m) m = a;
    end
    block_amax = m;
  endfunction

  // shared exponent X from amax (an ACT integer: amax_real = amax · 2^-ACT_F), clamped
  function automatic logic signed [EW-1:0] shared_exp(input logic [ACT_W-1:0] amax);
    logic [SW-1:0] p;
    logic [SW:0] ye;
    logic [SW-1:0] k;
    logic [ACT_W-1:0] lowmask;
    logic half, sticky, lsb, carry, inc;
    logic [R3W-1:0] lhs, rhs;
    logic signed [EW-1:0] xr;
    p = msb_of(amax);
    inc = 1'b0;
    case (RULE)
      1: inc = (amax & (amax - ACT_W'(1))) != '0;
      2: begin
        // round amax to MBITS fraction bits (ties to even); a carry out of the top moves the floor up
        carry = 1'b0;
        if (32'(p) > MBITS) begin
          k = p - SW'(MBITS);
          lowmask = (ACT_W'(1) << k) - ACT_W'(1);
          half = amax[k - SW'(1)];
          sticky = (amax & (lowmask >> 1)) != '0;
          lsb = amax[k];
          inc = half & (sticky | lsb);
          carry = inc && ((amax >> k) == ((ACT_W'(1) << (MBITS + 1)) - ACT_W'(1)));
        end
        inc = carry;
      end
      3: begin
        // Y = X + UNIT_EXP + ACT_F is msb(amax) - msb(MAX_CODE), or one more when MAX_CODE·2^Y < amax
        lhs = R3W'(MAX_CODE) << p;
        rhs = R3W'(amax) << MC_MSB;
        inc = lhs < rhs;
      end
      default: ;
    endcase
    ye = {1'b0, p} + (SW + 1)'(inc);
    xr = EW'(ye) + EW'(KX);
    // MXInt/BFP clamp at X_MAX (their elements then saturate); MX never gets there: the generator
    // refuses an ACT range beyond the scale
    if (amax == '0) shared_exp = EW'(ZERO_X);
    else if (xr < $signed(EW'(X_MIN))) shared_exp = EW'(X_MIN);
    else if (xr > $signed(EW'(X_MAX))) shared_exp = EW'(X_MAX);
    else shared_exp = xr;
  endfunction

  // bits of |a| below the rounding bit (i + RB < u) and above the code window (i > u)
  function automatic logic [ACT_W-1:0] below_mask(input logic [UW-1:0] u);
    logic [UMAX:0] m;
    m = ((UMAX + 1)'(1) << u) - (UMAX + 1)'(1);
    below_mask = ACT_W'(m >> RB);
  endfunction
  function automatic logic [ACT_W-1:0] above_mask(input logic [UW-1:0] u);
    above_mask = ({ACT_W{1'b1}} << u) << 1;
  endfunction

  // one element's code. ub, lsat: the integer kinds' block shift and left-shift saturation;
  // zf: the floats' clamped zs (their shift is max(zf, msb) per element)
  function automatic logic [CODE_W-1:0] quant_elem(input logic [ACT_W-1:0] x, input logic [UW-1:0] ub,
                                                   input logic lsat, input logic signed [FW-1:0] zf);
    logic [ACT_W-1:0] mag;
    logic neg, half, sticky, up, big, sat, nrm;
    logic [UW-1:0] u;
    logic signed [FW-1:0] uf;
    /* verilator lint_off UNUSEDSIGNAL */  // s ≤ ACT_W + E_MC: sd's top bits are sign and margin
    logic signed [FW:0] sd;
    /* verilator lint_on UNUSEDSIGNAL */
    logic [EPW-1:0] s, ep;
    logic [RB:0] wnd;
    logic [RB+1:0] r, lim;   // one spare bit: keeps the float selects below legal for a 1-bit RB
    logic [RB-1:0] c;        // ≤ max(MAX_CODE, MAX_NEG) < 2^RB
    logic [CODE_W-1:0] cw;
    mag = mag_of(x);
    neg = x[ACT_W-1];
    if (KIND == 0) begin
      uf = $signed(FW'(msb_of(mag)));
      if (zf > uf) uf = zf;
      u = UW'(uf);
      sd = (FW + 1)'(uf) - (FW + 1)'(zf);
      s = EPW'(sd);
    end else begin
      u = ub;
      s = '0;
    end
    // {t, half}: |a| bits [u-RB, u], i.e. {|a|, RB zeros} >> u
    wnd = (RB + 1)'({mag, {RB{1'b0}}} >> u);
    half = wnd[0];
    sticky = (mag & below_mask(u)) != '0;
    big = (KIND != 0) && ((mag & above_mask(u)) != '0);
    case (ROUND)
      0: up = half;
      1: up = half & (sticky | wnd[1]);
      default: up = 1'b0;
    endcase
    r = {2'b0, wnd[RB:1]} + (RB + 2)'(up);
    if (KIND == 0) begin
      // S.E.M: r ≤ 2^(MBITS+1); exponent field s + (r ≥ 2^MBITS) + (r = 2^(MBITS+1)), mantissa r's low bits
      // (0 when the rounding carried out: r = 2^(MBITS+1) is 1.0 · 2^(s+1) in the next binade)
      nrm = r[FM] | r[FM + 1];
      ep = s + EPW'(nrm) + EPW'(r[FM + 1]);
      /* verilator lint_off CMPCONST */  // M_MC is all ones for most formats (no mantissa above it)
      sat = (ep > EPW'(E_MC)) || (ep == EPW'(E_MC) && r[FM-1:0] > M_MC);
      /* verilator lint_on CMPCONST */
      if (sat) cw = CODE_W'({neg, EB'(E_MC), M_MC});
      else cw = CODE_W'({neg, EB'(ep), r[FM-1:0]});
    end else begin
      lim = (neg && KIND == 2) ? (RB + 2)'(MAX_NEG) : (RB + 2)'(MAX_CODE);
      sat = lsat || big || (r > lim);
      c = sat ? RB'(lim) : RB'(r);
      if (KIND == 3) cw = {neg, (CODE_W - 1)'(c)};
      else cw = neg ? -(CODE_W'(c)) : CODE_W'(c);
    end
    // a zero element is code 0 (an all-zero block has a tiny X, hence a huge left shift)
    quant_elem = (mag == '0) ? '0 : cw;
  endfunction

  // Pure functions in continuous assignments: plain logic for synthesis, and fast in both simulators
  // (Verilator keeps the element loop a loop instead of BLOCK copies; Icarus re-evaluates only when
  // the block changes — an always_comb loop here ran ~8x slower under Icarus 11).
  wire [ACT_W-1:0] amax = block_amax(act);
  wire signed [EW-1:0] X = shared_exp(amax);
  assign exp_code = 8'(X) + 8'(EXP_BIAS);   // X + EXP_BIAS ∈ [0, 255]: mod 2^8 is exact
  // zs = z + RB - 1: the integer kinds' shift (clamped to [0, UMAX]; below 0 every non-zero element
  // saturates), the floats' shift floor (clamped to [-(E_MC+1), UMAX])
  wire signed [EW-1:0] zs = X + EW'(ZK);
  wire lsat = zs < $signed(EW'(0));
  wire [UW-1:0] ub = (zs > $signed(EW'(UMAX))) ? UW'(UMAX) : lsat ? '0 : UW'(zs);
  wire signed [FW-1:0] zf = (zs > $signed(EW'(UMAX))) ? FW'(UMAX) : (zs < $signed(-(EW'(E_MC + 1)))) ? -(FW'(E_MC + 1)) : FW'(zs);
  function automatic logic [BLOCK*CODE_W-1:0] quant_block(input logic [BLOCK*ACT_W-1:0] xs, input logic [UW-1:0] u,
                                                          input logic ls, input logic signed [FW-1:0] z);
    logic [BLOCK*CODE_W-1:0] c;
    for (int i = 0; i < BLOCK; i++) c[i*CODE_W +: CODE_W] = quant_elem(xs[i*ACT_W +: ACT_W], u, ls, z);
    quant_block = c;
  endfunction
  assign codes = quant_block(act, ub, lsat, zf);
endmodule
