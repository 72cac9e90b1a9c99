// mx_out — the GEMM output stage of the hardware numeric contract: the exact sum S = acc · 2^ACC_LSB
// → float32 (round to nearest, ties to even: 24 significant bits, subnormal quantum 2^-149, exactly
// bigToFloat32 in src/core/datapath) → fix to ACT (round x·2^ACT_F to nearest, ties to even,
// saturate to ±(2^(ACT_W-1) − 1); act.ts fixInt). The double rounding is part of the definition.
// Combinational; ±Inf cannot differ from saturation, so overflow needs no special case.
module mx_out #(
  parameter int ACC_W = 48,
  parameter int ACC_LSB = -30,
  parameter int ACT_W = 24,
  parameter int ACT_F = 14
) (
  input  logic signed [ACC_W-1:0] acc,
  output logic [ACT_W-1:0]        act
);
  // second rounding: value·2^ACT_F = m1 · 2^(ACC_LSB + ACT_F); D2 > 0 drops D2 bits, else shifts left
  localparam int D2 = -(ACC_LSB + ACT_F);
  localparam int LSH = (D2 < 0) ? -D2 : 0;
  localparam int MW = ACC_W + 1 + LSH;   // m1 after the first rounding (one carry bit) and the left shift
  localparam logic [MW-1:0] ACT_MAX = (MW'(1) << (ACT_W - 1)) - MW'(1);
  // below this many acc LSBs the float32 quantum is the subnormal 2^-149
  localparam int SUBQ = -149 - ACC_LSB;

  // position of the leading one (−1 for zero): a binary search, small in any simulator
  localparam int SW = $clog2(ACC_W);
  function automatic int msbw(input logic [ACC_W-1:0] v);
    int p;
    logic [ACC_W-1:0] x;
    p = 0;
    x = v;
    for (int s = 1 << (SW - 1); s >= 1; s = s / 2) begin
      if ((x >> s) != 0) begin
        p = p + s;
        x = x >> s;
      end
    end
    msbw = (v == 0) ? -1 : p;
  endfunction

  // first rounding: the magnitude rounded to 24 significant bits (quantum never below 2^-149), in acc LSBs
  function automatic logic [MW-1:0] round_f32(input logic [ACC_W-1:0] mag);
    logic [MW-1:0] m, lowmask;
    logic half, sticky, inc;
    int top, d1;
    top = msbw(mag);
    d1 = top - 23;
    if (d1 < SUBQ) d1 = SUBQ;
    if (d1 < 0) d1 = 0;
    m = MW'(mag);
    if (d1 > 0) begin
      lowmask = (MW'(1) << d1) - MW'(1);
      half = m[d1 - 1];
      sticky = (m & (lowmask >> 1)) != 0;
      inc = half & (sticky | m[d1]);
      m = (m & ~lowmask) + (inc ? (MW'(1) << d1) : MW'(0));
    end
    round_f32 = m;
  endfunction

  // second rounding to ACT: a constant shift (right with ties to even, or left), then saturation
  function automatic logic [MW-1:0] round_act(input logic [MW-1:0] m1);
    logic [MW-1:0] v;
    logic half, sticky, inc;
    if (D2 > MW) begin
      v = '0;  // below half an ACT LSB: rounds to zero
    end else if (D2 > 0) begin
      v = m1 >> D2;
      half = m1[(D2 > 0 && D2 <= MW ? D2 : 1) - 1];
      sticky = (D2 > 1) ? ((m1 & ((MW'(1) << (D2 > 1 && D2 <= MW ? D2 - 1 : 0)) - MW'(1))) != 0) : 1'b0;
      inc = half & (sticky | v[0]);
      v = v + (inc ? MW'(1) : MW'(0));
    end else begin
      // m1 has at most ACC_W + 1 significant bits, so the shift into MW bits is exact
      v = m1 << LSH;
    end
    round_act = (v > ACT_MAX) ? ACT_MAX : v;
  endfunction

  wire               neg = acc[ACC_W-1];
  wire [ACC_W-1:0]   mag = neg ? ACC_W'(-acc) : ACC_W'(acc);
  wire [MW-1:0]      v = round_act(round_f32(mag));
  assign act = neg ? ACT_W'(-v) : ACT_W'(v);
endmodule
