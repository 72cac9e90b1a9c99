// hs_fifo — synchronous valid/ready FIFO of DEPTH entries (any DEPTH ≥ 1). out_valid is a register
// (occupancy ≠ 0), in_ready is "not full": neither depends combinationally on the other side, so a
// FIFO also cuts combinational ready/valid chains between modules.
module hs_fifo #(
  parameter int W = 8,
  parameter int DEPTH = 4
) (
  input  logic         clk,
  input  logic         rst_n,
  input  logic [W-1:0] in_data,
  input  logic         in_valid,
  output logic         in_ready,
  output logic [W-1:0] out_data,
  output logic         out_valid,
  input  logic         out_ready
);
  localparam int AW = (DEPTH > 1) ? $clog2(DEPTH) : 1;
  logic [W-1:0] mem [DEPTH];
  logic [AW-1:0] rd, wr;
  logic [AW:0] count;

  assign in_ready = (32'(count) < DEPTH);
  assign out_valid = (count != 0);
  assign out_data = mem[rd];

  wire push = in_valid && in_ready;
  wire pop = out_valid && out_ready;

  function automatic logic [AW-1:0] next(input logic [AW-1:0] p);
    next = (32'(p) == DEPTH - 1) ? '0 : p + AW'(1);
  endfunction

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      rd <= '0;
      wr <= '0;
      count <= '0;
    end else begin
      if (push) begin
        mem[wr] <= in_data;
        wr <= next(wr);
      end
      if (pop) rd <= next(rd);
      count <= count + (AW+1)'(push) - (AW+1)'(pop);
    end
  end
endmodule
