// top_fork — broadcast one valid/ready stream to N consumers (a decoder block's forks: the residual
// stream to the norm and the residual FIFO, a norm output to the q/k/v or gate/up linears).
// Each consumer takes the beat on its own handshake; a per-output `sent` flag remembers who already
// took it, and the input advances once every consumer has. So a slow consumer never makes another
// see a beat twice, and out_valid never depends on out_ready (only on in_valid and the flags).
module top_fork #(
  parameter int W = 8,
  parameter int N = 2
) (
  input  logic         clk,
  input  logic         rst_n,
  input  logic [W-1:0] in_data,
  input  logic         in_valid,
  output logic         in_ready,
  output logic [W-1:0] out_data,
  output logic [N-1:0] out_valid,
  input  logic [N-1:0] out_ready
);
  logic [N-1:0] sent;
  assign out_data = in_data;
  assign out_valid = {N{in_valid}} & ~sent;
  assign in_ready = &(sent | out_ready);
  always_ff @(posedge clk) begin
    if (!rst_n) sent <= '0;
    else if (in_valid && in_ready) sent <= '0;
    else sent <= sent | (out_valid & out_ready);
  end
endmodule
