// fx_isqrt — integer square root, two radicand bits per cycle (restoring, digit by digit):
// root = floor(sqrt(rad)). RW/2 cycles from `start` (taken when idle) to the one-cycle `done` pulse;
// `root` holds until the next start. fx_norm's r = isqrt(q) of fixed.ts normScale.
module fx_isqrt #(
  parameter int RW = 52  // radicand width, even
) (
  input  logic            clk,
  input  logic            rst_n,
  input  logic            start,
  input  logic [RW-1:0]   rad,
  output logic            busy,
  output logic            done,
  output logic [RW/2-1:0] root
);
  localparam int HW = RW / 2;
  localparam int CW = $clog2(HW + 1);
  logic [RW-1:0] x;       // radicand bits not yet brought down, top pair first
  logic [HW+1:0] rem;     // remainder: < 2·root + 1 ≤ 2^(HW+1)
  logic [CW-1:0] left;
  wire  [HW+3:0] r2 = {rem, x[RW-1 -: 2]};
  wire  [HW+3:0] trial = {2'b00, root, 2'b01};
  wire           ge = r2 >= trial;
  wire  [HW+3:0] r3 = ge ? r2 - trial : r2;

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      busy <= 1'b0;
      done <= 1'b0;
      root <= '0;
      x <= '0;
      rem <= '0;
      left <= '0;
    end else begin
      done <= 1'b0;
      if (!busy) begin
        if (start) begin
          busy <= 1'b1;
          x <= rad;
          rem <= '0;
          root <= '0;
          left <= CW'(HW);
        end
      end else begin
        rem <= r3[HW+1:0];
        x <= x << 2;
        root <= {root[HW-2:0], ge};
        left <= left - 1'b1;
        if (left == CW'(1)) begin
          busy <= 1'b0;
          done <= 1'b1;
        end
      end
    end
  end
  wire unused_r3 = ^r3[HW+3:HW+2];  // always 0: the remainder is ≤ 2·root
endmodule
