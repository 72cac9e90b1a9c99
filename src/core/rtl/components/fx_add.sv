// fx_add — residual add (and learned positions) on two ACT streams: y = sat(a + b) per lane, exactly
// fixed.ts fxAdd. One registered stage; a beat is taken when both inputs are valid and the output
// register is free (in_ready depends on out_ready and on the other input's valid, never valid on ready).
module fx_add #(
  parameter int ACT_W = 24,
  parameter int LANES = 4
) (
  input  logic                   clk,
  input  logic                   rst_n,
  input  logic [LANES*ACT_W-1:0] a_data,
  input  logic                   a_valid,
  output logic                   a_ready,
  input  logic [LANES*ACT_W-1:0] b_data,
  input  logic                   b_valid,
  output logic                   b_ready,
  output logic [LANES*ACT_W-1:0] out_data,
  output logic                   out_valid,
  input  logic                   out_ready
);
  // symmetric saturation bound ±(2^(ACT_W−1) − 1), one bit wider than ACT
  localparam logic signed [ACT_W:0] MAXV = (ACT_W + 1)'((64'sd1 <<< (ACT_W - 1)) - 64'sd1);
  localparam logic [ACT_W-1:0] POS = ACT_W'((64'sd1 <<< (ACT_W - 1)) - 64'sd1);
  localparam logic [ACT_W-1:0] NEG = ACT_W'(-((64'sd1 <<< (ACT_W - 1)) - 64'sd1));

  wire free = !out_valid || out_ready;
  assign a_ready = b_valid && free;
  assign b_ready = a_valid && free;

  logic [LANES*ACT_W-1:0] y;
  for (genvar i = 0; i < LANES; i++) begin : g_lane
    wire signed [ACT_W:0] s = (ACT_W + 1)'($signed(a_data[i*ACT_W +: ACT_W])) + (ACT_W + 1)'($signed(b_data[i*ACT_W +: ACT_W]));
    assign y[i*ACT_W +: ACT_W] = (s > MAXV) ? POS : (s < -MAXV) ? NEG : s[ACT_W-1:0];
  end

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      out_valid <= 1'b0;
      out_data <= '0;
    end else if (free) begin
      out_valid <= a_valid && b_valid;
      if (a_valid && b_valid) out_data <= y;
    end
  end
endmodule
