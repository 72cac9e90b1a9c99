// top_embed — the embedding lookup of the hardware contract: a ROM of fix(weight) rows (fixed.ts
// fxTable, written by the generator as ROM_FILE, D/LANES words of LANES ACT elements per token) read
// out for each token id taken on the input stream. An id ≥ V (which the emulator refuses) reads as
// a row of zeros. One row in flight: the next id is taken after the last beat of the current row.
module top_embed #(
  parameter int ACT_W = 24,
  parameter int LANES = 4,
  parameter int D = 128,
  parameter int V = 2048,
  parameter int ID_W = 32,
  parameter ROM_FILE = "mem/embed.rom.hex"
) (
  input  logic                   clk,
  input  logic                   rst_n,
  input  logic [ID_W-1:0]        in_data,
  input  logic                   in_valid,
  output logic                   in_ready,
  output logic [LANES*ACT_W-1:0] out_data,
  output logic                   out_valid,
  input  logic                   out_ready
);
  localparam int BEATS = D / LANES;
  localparam int WORDS = V * BEATS;
  localparam int AW = $clog2(WORDS);
  localparam int KW = (BEATS > 1) ? $clog2(BEATS) : 1;
  logic [LANES*ACT_W-1:0] rom [WORDS];
  initial $readmemh(ROM_FILE, rom);

  logic busy, bad;
  logic [AW-1:0] base;
  logic [KW-1:0] k;
  assign in_ready = !busy;
  assign out_valid = busy;
  assign out_data = bad ? '0 : rom[base + AW'(k)];

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      busy <= 1'b0;
      bad <= 1'b0;
      base <= '0;
      k <= '0;
    end else if (in_valid && in_ready) begin
      busy <= 1'b1;
      bad <= (64'(in_data) >= 64'(V));
      base <= AW'(64'(in_data) * 64'(BEATS));
      k <= '0;
    end else if (out_valid && out_ready) begin
      if (32'(k) == BEATS - 1) busy <= 1'b0;
      else k <= k + KW'(1);
    end
  end
endmodule
