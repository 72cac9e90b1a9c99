// top_regroup — change the lane count of an ACT stream (I elements per input beat → O per output
// beat), element order preserved. Modules of a decoder block stream at different widths (a linear
// takes gcd(LANES_K, BLOCK) lanes and emits LANES_N; the fx ops run at their own LANES), so every
// mismatched connection of the top level goes through one of these.
// A shift buffer of I + O elements: a beat is accepted while at most O elements are held (room for
// I more), a beat is emitted once O are held. in_ready and out_valid depend only on the fill level
// (a register), never combinationally on the other side.
module top_regroup #(
  parameter int EW = 24,
  parameter int I = 4,
  parameter int O = 2
) (
  input  logic            clk,
  input  logic            rst_n,
  input  logic [I*EW-1:0] in_data,
  input  logic            in_valid,
  output logic            in_ready,
  output logic [O*EW-1:0] out_data,
  output logic            out_valid,
  input  logic            out_ready
);
  localparam int CAP = I + O;
  localparam int CW = $clog2(CAP + 1);
  logic [CAP*EW-1:0] buffer;
  logic [CW-1:0] cnt;

  assign in_ready = (32'(cnt) <= O);
  assign out_valid = (32'(cnt) >= O);
  assign out_data = buffer[O*EW-1:0];

  wire pop = out_valid && out_ready;
  wire push = in_valid && in_ready;
  logic [CAP*EW-1:0] shifted;
  logic [CW-1:0] kept;
  always_comb begin
    shifted = pop ? (buffer >> (O * EW)) : buffer;
    kept = pop ? cnt - CW'(O) : cnt;
  end

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      cnt <= '0;
      buffer <= '0;
    end else begin
      buffer <= shifted;
      if (push) buffer[32'(kept) * EW +: I * EW] <= in_data;
      cnt <= kept + (push ? CW'(I) : CW'(0));
    end
  end
endmodule
