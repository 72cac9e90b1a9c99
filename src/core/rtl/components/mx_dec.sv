// mx_dec — element decoder: a stored element code → signed integer significand and exponent
// offset, so that the element's datapath integer (Encoded.mantissas) is sig · 2^eoff and its value
// is sig · 2^(eoff + UNIT_EXP + X). Float elements keep their small significand (sign, implicit bit,
// MBITS bits) and move the exponent into the dot product's alignment shift instead of widening the
// multiplier; integer kinds have eoff = 0.
//   KIND 0 (MX float S.E.M): subnormal (E = 0): sig = ±M, eoff = 0; normal: sig = ±(2^MBITS + M), eoff = E − 1
//   KIND 1, 2 (MX int, MXInt): two's complement code;  KIND 3 (BFP): sign-magnitude code
// Inf/NaN codes of E5M2/E4M3 never occur: MX conversion saturates (mx-formats.md §A7) and the
// generator refuses NaN weights.
module mx_dec #(
  parameter int KIND = 0,
  parameter int CODE_W = 4,
  parameter int MBITS = 1,
  parameter int SIG_W = (KIND == 0) ? MBITS + 2 : CODE_W,
  parameter int EOFF_W = (KIND == 0) ? CODE_W - 1 - MBITS : 1
) (
  input  logic [CODE_W-1:0]        code,
  output logic signed [SIG_W-1:0]  sig,
  output logic [EOFF_W-1:0]        eoff
);
  generate
    if (KIND == 0) begin : g_fp
      localparam int EB = CODE_W - 1 - MBITS;
      wire [EB-1:0] ef = code[MBITS +: EB];
      wire [MBITS-1:0] mf = code[MBITS-1:0];
      wire [SIG_W-1:0] m = (ef == 0) ? SIG_W'(mf) : SIG_W'({1'b1, mf});
      assign sig = code[CODE_W-1] ? -$signed(m) : $signed(m);
      assign eoff = (ef == 0) ? '0 : ef - EB'(1);
    end else if (KIND == 3) begin : g_bfp
      wire [SIG_W-1:0] m = SIG_W'(code[CODE_W-2:0]);
      assign sig = code[CODE_W-1] ? -$signed(m) : $signed(m);
      assign eoff = '0;
    end else begin : g_int
      assign sig = $signed(SIG_W'(code));
      assign eoff = '0;
    end
  endgenerate
endmodule
