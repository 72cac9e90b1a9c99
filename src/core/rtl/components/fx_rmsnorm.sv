// fx_rmsnorm — RMSNorm (HF LLaMA: w · x · rsqrt(mean(x²) + eps)) per row of D on an ACT stream,
// exactly fixed.ts fxRmsNorm: fx_norm with LAYER 0 (see there). W_F and EPS come from fxNormParams;
// W_FILE holds fxRoms.ts normWeightImage.
module fx_rmsnorm #(
  parameter int ACT_W = 24,
  parameter int ACT_F = 14,
  parameter int LANES = 4,
  parameter int D = 128,
  parameter int W_F = 20,
  parameter longint EPS = 175921860,
  parameter W_FILE = "w.hex"
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
  fx_norm #(.ACT_W(ACT_W), .ACT_F(ACT_F), .LANES(LANES), .D(D), .LAYER(0), .W_F(W_F), .EPS(EPS), .W_FILE(W_FILE)) u_norm (.*);
endmodule
