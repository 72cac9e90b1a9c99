// hs_skid — two-entry skid buffer: a full-throughput pipeline register whose in_ready is itself a
// register, so it breaks the combinational ready path as well as the data path (one beat per clock
// with any pattern of stalls on either side; the second entry holds the beat that arrives in the
// cycle the output stalls).
module hs_skid #(
  parameter int W = 8
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
  logic [W-1:0] skid;
  logic         skid_v;

  assign in_ready = !skid_v;

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      out_valid <= 1'b0;
      skid_v <= 1'b0;
      out_data <= '0;
      skid <= '0;
    end else if (!out_valid || out_ready) begin
      // the output register is free this cycle: fill it from the skid entry first, else from the input
      if (skid_v) begin
        out_data <= skid;
        out_valid <= 1'b1;
        skid_v <= 1'b0;
      end else begin
        out_data <= in_data;
        out_valid <= in_valid;
      end
    end else if (in_valid && in_ready) begin
      // output stalled: park the beat
      skid <= in_data;
      skid_v <= 1'b1;
    end
  end
endmodule
