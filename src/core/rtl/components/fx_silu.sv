// fx_silu — SiLU x·σ(x) on an ACT stream (fixed.ts fxSilu): fx_act with KIND 0.
module fx_silu #(
  parameter int ACT_W = 24,
  parameter int ACT_F = 14,
  parameter int LANES = 4
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
  fx_act #(.ACT_W(ACT_W), .ACT_F(ACT_F), .LANES(LANES), .KIND(0)) u_act (.*);
endmodule
