// fx_act — the MLP activations of fixed.ts on an ACT stream, per lane (KIND):
//   0 SiLU       y = rhu(x · g_σ(x), 20)                                   (fxSilu)
//   1 gelu_new   y = rhu(x · g_σ(v), 20), v = rhu(G1·xc + G3·x3, 20),       (fxGeluNew)
//                xc = clamp(x, ±8), x2 = rhu(xc², ACT_F), x3 = rhu(x2·xc, ACT_F)
//   2 gelu (erf) y = rhu(x · g_Φ(x), 20)                                   (fxGelu)
//   3 ReLU       y = max(x, 0)                                             (fxRelu)
// g(v) interpolates the 513-entry table (fx_cdf_rom) at |v| clamped to 16 − 2^−ACT_F: index = the 9
// bits above the low ACT_F − 5, which weight T[i+1] − T[i]; negative v gives 2^20 − g(|v|).
// rhu(a, s) = (a + 2^(s−1)) >>> s. |y| ≤ |x|, so no saturation is needed. One registered stage.
module fx_act #(
  parameter int ACT_W = 24,
  parameter int ACT_F = 14,
  parameter int LANES = 4,
  parameter int KIND = 0,
  parameter int G1 = 1673285,  // 2·√(2/π)·2^20 (fixedTables.ts geluNewConsts)
  parameter int G3 = 74821     // 0.044715·2·√(2/π)·2^20
) (
  input  logic                   clk,
  input  logic                   rst_n,
  input  logic [LANES*ACT_W-1:0] in_data,
  input  logic                   in_valid,
  output logic                   in_ready,
  output logic [LANES*ACT_W-1:0] out_data,
  output logic                   out_valid,
  input  logic                   out_ready
);
  localparam int SH = ACT_F - 5;  // interpolation bits below the table index (ACT_F ≥ 5)
  localparam logic signed [63:0] LIM = (64'sd1 <<< (ACT_F + 4)) - 64'sd1;  // 16 − 2^−ACT_F
  localparam logic signed [63:0] CLAMP = 64'sd8 <<< ACT_F;                // gelu_new's cubic on ±8
  localparam logic signed [63:0] HF = 64'sd1 <<< (ACT_F - 1);

  assign in_ready = !out_valid || out_ready;

  logic [LANES*ACT_W-1:0] y;
  for (genvar i = 0; i < LANES; i++) begin : g_lane
    wire signed [ACT_W-1:0] x = $signed(in_data[i*ACT_W +: ACT_W]);
    if (KIND == 3) begin : g_relu
      assign y[i*ACT_W +: ACT_W] = x[ACT_W-1] ? '0 : x;
    end else begin : g_cdf
      wire signed [63:0] x64 = 64'(x);
      logic signed [63:0] v;  // the table argument, ACT units
      if (KIND == 1) begin : g_gelu_new
        wire signed [63:0] xc = (x64 > CLAMP) ? CLAMP : (x64 < -CLAMP) ? -CLAMP : x64;
        wire signed [63:0] x2 = (xc * xc + HF) >>> ACT_F;
        wire signed [63:0] x3 = (x2 * xc + HF) >>> ACT_F;
        assign v = (64'(G1) * xc + 64'(G3) * x3 + 64'sd524288) >>> 20;
      end else begin : g_plain
        assign v = x64;
      end
      wire signed [63:0] av = v[63] ? -v : v;
      wire [ACT_F+3:0] c = (av > LIM) ? LIM[ACT_F+3:0] : av[ACT_F+3:0];
      wire [8:0] idx = c[SH +: 9];
      wire [20:0] lo, hi;
      fx_cdf_rom #(.KIND(KIND == 2 ? 1 : 0)) u_rom (.addr(idx), .lo, .hi);
      logic [20:0] g;
      if (SH > 0) begin : g_interp
        wire [SH-1:0] fr = c[SH-1:0];
        wire [20:0] d = hi - lo;  // ≥ 0: both tables increase
        assign g = lo + 21'(((21 + SH)'(d) * (21 + SH)'(fr) + (21 + SH)'(1 << (SH - 1))) >> SH);
      end else begin : g_nointerp
        wire unused_hi = ^hi;  // ACT_F = 5: no bits below the index, T[i+1] is not needed
        assign g = lo;
      end
      wire [20:0] gs = v[63] ? 21'd1048576 - g : g;
      wire signed [ACT_W+21:0] p = (ACT_W + 22)'(x) * $signed({1'b0, gs});
      assign y[i*ACT_W +: ACT_W] = ACT_W'((p + (ACT_W + 22)'(524288)) >>> 20);
    end
  end

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      out_valid <= 1'b0;
      out_data <= '0;
    end else if (in_ready) begin
      out_valid <= in_valid;
      if (in_valid) out_data <= y;
    end
  end
endmodule
