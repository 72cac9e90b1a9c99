// Testbench stream helpers shared by every tb_hs_* / tb_mx_* testbench (README "Testbench convention").
//   tb_hs_source: drives N beats read with $readmemh from FILE, valid raised with probability
//                 ~RATE/16 per cycle (seeded LFSR) and held until the beat is taken.
//   tb_hs_sink:   takes N beats with ready raised with probability ~RATE/16, compares every beat
//                 bit-exactly with FILE, prints the first mismatch as
//                 MISMATCH <tb> beat=<n> elem=<i> field=<name> got=<hex> exp=<hex>, and the summary
//                 RESULT <tb> beats=<n> mismatches=<m>; a timeout (MAX_CYCLES) counts every missing
//                 beat as a mismatch. Beats are ELEMS fields of ELEM_W bits (field FIELD) with any
//                 bits above them reported as field HI_FIELD.
// Not synthesizable (testbench only).
module tb_hs_source #(
  parameter int W = 8,
  parameter int N = 1,
  parameter FILE = "vectors/in.hex",
  parameter int SEED = 1,
  parameter int RATE = 12
) (
  input  logic         clk,
  input  logic         rst_n,
  output logic [W-1:0] data,
  output logic         valid,
  input  logic         ready,
  output logic         done
);
  logic [W-1:0] mem [0:N-1];
  int idx;
  logic [31:0] lfsr;
  initial $readmemh(FILE, mem);
  assign data = (idx < N) ? mem[idx] : '0;
  assign done = (idx >= N);
  wire go = (32'(lfsr[7:4]) < RATE);
  always_ff @(posedge clk) begin
    if (!rst_n) begin
      idx <= 0;
      valid <= 1'b0;
      lfsr <= 32'(SEED) * 32'h9E3779B1 + 32'h1234567;
    end else begin
      lfsr <= {lfsr[30:0], lfsr[31] ^ lfsr[21] ^ lfsr[1] ^ lfsr[0]};
      if (valid && ready) begin
        idx <= idx + 1;
        valid <= (idx + 1 < N) && go;
      end else if (!valid) begin
        valid <= (idx < N) && go;
      end
    end
  end
endmodule

module tb_hs_sink #(
  parameter int W = 8,
  parameter int N = 1,
  parameter FILE = "vectors/out.hex",
  parameter NAME = "tb",
  parameter int SEED = 2,
  parameter int RATE = 12,
  parameter int ELEM_W = 8,
  parameter int ELEMS = 1,
  parameter FIELD = "data",
  parameter HI_FIELD = "hi",
  parameter int MAX_CYCLES = 1000000
) (
  input  logic         clk,
  input  logic         rst_n,
  input  logic [W-1:0] data,
  input  logic         valid,
  output logic         ready,
  output logic         done,
  output logic [31:0]  errors
);
  logic [W-1:0] mem [0:N-1];
  int cnt, cycles;
  logic [31:0] lfsr;
  initial $readmemh(FILE, mem);
  always_ff @(posedge clk) begin
    if (!rst_n) begin
      cnt <= 0;
      cycles <= 0;
      errors <= 0;
      done <= 1'b0;
      ready <= 1'b0;
      lfsr <= 32'(SEED) * 32'h85EBCA6B + 32'h7654321;
    end else if (!done) begin
      lfsr <= {lfsr[30:0], lfsr[31] ^ lfsr[21] ^ lfsr[1] ^ lfsr[0]};
      cycles <= cycles + 1;
      ready <= (32'(lfsr[11:8]) < RATE);
      if (valid && ready) begin
        if (data !== mem[cnt]) begin
          if (errors == 0) report(cnt, data, mem[cnt]);
          errors <= errors + 1;
        end
        cnt <= cnt + 1;
        if (cnt + 1 == N) begin
          $display("RESULT %0s beats=%0d mismatches=%0d", NAME, N, errors + ((data !== mem[cnt]) ? 1 : 0));
          done <= 1'b1;
          ready <= 1'b0;
        end
      end else if (cycles >= MAX_CYCLES) begin
        $display("TIMEOUT %0s after %0d cycles: %0d of %0d beats", NAME, cycles, cnt, N);
        $display("RESULT %0s beats=%0d mismatches=%0d", NAME, N, errors + (N - cnt));
        errors <= errors + (N - cnt);
        done <= 1'b1;
        ready <= 1'b0;
      end
    end
  end

  task automatic report(input int beat, input logic [W-1:0] got, input logic [W-1:0] want);
    int first;
    first = -1;
    for (int i = 0; i < ELEMS; i++) begin
      if (first < 0 && got[i*ELEM_W +: ELEM_W] !== want[i*ELEM_W +: ELEM_W]) first = i;
    end
    if (first >= 0)
      $display("MISMATCH %0s beat=%0d elem=%0d field=%0s got=%h exp=%h", NAME, beat, first, FIELD, got[first*ELEM_W +: ELEM_W], want[first*ELEM_W +: ELEM_W]);
    else
      $display("MISMATCH %0s beat=%0d elem=0 field=%0s got=%h exp=%h", NAME, beat, HI_FIELD, got >> (ELEMS*ELEM_W), want >> (ELEMS*ELEM_W));
  endtask
endmodule
