// mx_cast — ACT vector stream → MX block stream: the quant point of an activation, exactly as
// src/core/formats `encode` blocks a [T, ROW] tensor along its last axis. ROW-long rows arrive
// IN_LANES elements per beat (row-major); every BLOCK consecutive elements of a row (the last block
// of a row may be shorter: it is zero-padded, which changes neither amax nor any code) leave as one
// block beat of BLOCK codes and the shared exponent code.
//
// Pipeline: gather register (one block) → mx_quant (combinational) → output register. Valid never
// depends combinationally on ready. Constraints (checked by the generator): IN_LANES divides ROW and
// BLOCK; BLOCK ≤ ROW (pass min(block, ROW)).
module mx_cast #(
  parameter int ACT_W = 24,
  parameter int ACT_F = 14,
  parameter int ROW = 32,
  parameter int IN_LANES = 8,
  parameter int BLOCK = 32,
  parameter int KIND = 0,
  parameter int CODE_W = 4,
  parameter int MBITS = 1,
  parameter int EMAX = 2,
  parameter int UNIT_EXP = -1,
  parameter longint MAX_CODE = 12,
  parameter longint MAX_NEG = 12,
  parameter int RULE = 0,
  parameter int ROUND = 0,
  parameter int EXP_BIAS = 127,
  parameter int X_MIN = -127,
  parameter int X_MAX = 127,
  parameter int ZERO_X = -127
) (
  input  logic                      clk,
  input  logic                      rst_n,
  input  logic [IN_LANES*ACT_W-1:0] in_data,
  input  logic                      in_valid,
  output logic                      in_ready,
  output logic [BLOCK*CODE_W-1:0]   out_codes,
  output logic [7:0]                out_exp,
  output logic                      out_valid,
  input  logic                      out_ready
);
  localparam int PW = $clog2(BLOCK + 1);
  localparam int CW = $clog2(ROW + 1);
  localparam int NSLOT = BLOCK / IN_LANES;   // IN_LANES divides BLOCK (checked by the generator)

  logic [BLOCK*ACT_W-1:0] blk;
  logic                   blk_full;
  logic [PW-1:0]          pos;   // next element position inside the block
  logic [CW-1:0]          col;   // next element position inside the row
  logic [BLOCK*CODE_W-1:0] q_codes;
  logic [7:0]             q_exp;

  mx_quant #(
    .ACT_W(ACT_W), .ACT_F(ACT_F), .BLOCK(BLOCK), .KIND(KIND), .CODE_W(CODE_W), .MBITS(MBITS), .EMAX(EMAX),
    .UNIT_EXP(UNIT_EXP), .MAX_CODE(MAX_CODE), .MAX_NEG(MAX_NEG), .RULE(RULE), .ROUND(ROUND),
    .EXP_BIAS(EXP_BIAS), .X_MIN(X_MIN), .X_MAX(X_MAX), .ZERO_X(ZERO_X)
  ) u_quant (.act(blk), .codes(q_codes), .exp_code(q_exp));

  // the full block moves to the output register when that register is free or being emptied
  wire adv = blk_full && (!out_valid || out_ready);
  assign in_ready = !blk_full || adv;
  wire take = in_valid && in_ready;
  wire row_end = (32'(col) + IN_LANES == ROW);
  wire blk_end = (32'(pos) + IN_LANES == BLOCK) || row_end;

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      blk_full <= 1'b0;
      pos <= '0;
      col <= '0;
      out_valid <= 1'b0;
      blk <= '0;
      out_codes <= '0;
      out_exp <= '0;
    end else begin
      if (adv) begin
        out_valid <= 1'b1;
        out_codes <= q_codes;
        out_exp <= q_exp;
      end else if (out_ready) begin
        out_valid <= 1'b0;
      end
      if (take) begin
        // one constant slot per beat position (pos is a multiple of IN_LANES): enables, not a
        // BLOCK·ACT_W-bit shifter; a new block starts from zeros (the padding of a short last block)
        for (int j = 0; j < NSLOT; j++) begin
          if (32'(pos) == j * IN_LANES) blk[j*IN_LANES*ACT_W +: IN_LANES*ACT_W] <= in_data;
          else if (pos == '0) blk[j*IN_LANES*ACT_W +: IN_LANES*ACT_W] <= '0;
        end
        pos <= blk_end ? '0 : pos + PW'(IN_LANES);
        col <= row_end ? '0 : col + CW'(IN_LANES);
        blk_full <= blk_end;
      end else if (adv) begin
        blk_full <= 1'b0;
      end
    end
  end
endmodule
