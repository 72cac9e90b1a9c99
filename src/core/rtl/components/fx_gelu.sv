// fx_gelu — GELU on an ACT stream: ERF = 0 is gelu_new / tanh GELU (GPT-2; fixed.ts fxGeluNew),
// ERF = 1 the erf GELU x·Φ(x) (fxGelu). fx_act with KIND 1 or 2.
module fx_gelu #(
  parameter int ACT_W = 24,
  parameter int ACT_F = 14,
  parameter int LANES = 4,
  parameter int ERF = 0
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
  fx_act #(.ACT_W(ACT_W), .ACT_F(ACT_F), .LANES(LANES), .KIND(ERF != 0 ? 2 : 1)) u_act (.*);
endmodule
