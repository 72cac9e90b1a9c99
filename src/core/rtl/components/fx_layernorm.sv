// fx_layernorm — LayerNorm ((x − mean)/sqrt(var + eps)·w + b) per row of D on an ACT stream, exactly
// fixed.ts fxLayerNorm: fx_norm with LAYER 1 (see there). W_F and EPS come from fxNormParams; W_FILE /
// B_FILE hold fxRoms.ts normWeightImage / normBiasImage.
module fx_layernorm #(
  parameter int ACT_W = 24,
  parameter int ACT_F = 14,
  parameter int LANES = 4,
  parameter int D = 128,
  parameter int W_F = 20,
  parameter longint EPS = 175921860,
  parameter W_FILE = "w.hex",
  parameter B_FILE = "b.hex"
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
  fx_norm #(.ACT_W(ACT_W), .ACT_F(ACT_F), .LANES(LANES), .D(D), .LAYER(1), .W_F(W_F), .EPS(EPS), .W_FILE(W_FILE), .B_FILE(B_FILE)) u_norm (.*);
endmodule
