// fx_mul — the SwiGLU product gate·up on two ACT streams: y = sat(rhu(a·b, ACT_F)) per lane, exactly
// fixed.ts fxMul (rhu = add 2^(ACT_F−1), arithmetic shift right). One registered stage, handshake
// as fx_add.
module fx_mul #(
  parameter int ACT_W = 24,
  parameter int ACT_F = 14,
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
  localparam int PW = 2 * ACT_W;  // the full product
  localparam logic signed [PW-1:0] MAXV = PW'((64'sd1 <<< (ACT_W - 1)) - 64'sd1);
  localparam logic signed [PW-1:0] HALF = PW'(64'sd1 <<< (ACT_F - 1));
  localparam logic [ACT_W-1:0] POS = ACT_W'((64'sd1 <<< (ACT_W - 1)) - 64'sd1);
  localparam logic [ACT_W-1:0] NEG = ACT_W'(-((64'sd1 <<< (ACT_W - 1)) - 64'sd1));

  wire free = !out_valid || out_ready;
  assign a_ready = b_valid && free;
  assign b_ready = a_valid && free;

  logic [LANES*ACT_W-1:0] y;
  for (genvar i = 0; i < LANES; i++) begin : g_lane
    wire signed [PW-1:0] p = PW'($signed(a_data[i*ACT_W +: ACT_W])) * PW'($signed(b_data[i*ACT_W +: ACT_W]));
    // |a·b| < 2^(2·ACT_W−2): adding HALF cannot overflow PW bits
    wire signed [PW-1:0] r = (p + HALF) >>> ACT_F;
    assign y[i*ACT_W +: ACT_W] = (r > MAXV) ? POS : (r < -MAXV) ? NEG : r[ACT_W-1:0];
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
