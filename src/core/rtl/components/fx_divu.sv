// fx_divu — unsigned restoring division, one quotient bit per cycle: quo = floor(num / den) (the low
// QW bits; callers guarantee the quotient fits). NW cycles from `start` (taken when idle) to the
// one-cycle `done` pulse; `quo` holds until the next start. Used once per row by fx_softmax (the
// reciprocal of Σe) and fx_norm (D·2^(80−2h) / m_n), as fixed.ts specifies with integer division.
module fx_divu #(
  parameter int NW = 53,
  parameter int DW = 32,
  parameter int QW = 33
) (
  input  logic          clk,
  input  logic          rst_n,
  input  logic          start,
  input  logic [NW-1:0] num,
  input  logic [DW-1:0] den,
  output logic          busy,
  output logic          done,
  output logic [QW-1:0] quo
);
  localparam int CW = $clog2(NW + 1);
  logic [NW-1:0] n;
  logic [DW-1:0] d;
  logic [DW-1:0] rem;  // < den
  logic [CW-1:0] left;
  wire  [DW:0]   r2 = {rem, n[NW-1]};
  wire           ge = r2 >= {1'b0, d};
  wire  [DW:0]   r3 = ge ? r2 - {1'b0, d} : r2;

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      busy <= 1'b0;
      done <= 1'b0;
      quo <= '0;
      n <= '0;
      d <= '0;
      rem <= '0;
      left <= '0;
    end else begin
      done <= 1'b0;
      if (!busy) begin
        if (start) begin
          busy <= 1'b1;
          n <= num;
          d <= den;
          rem <= '0;
          quo <= '0;
          left <= CW'(NW);
        end
      end else begin
        rem <= r3[DW-1:0];  // r3 < den < 2^DW
        n <= n << 1;
        quo <= {quo[QW-2:0], ge};
        left <= left - 1'b1;
        if (left == CW'(1)) begin
          busy <= 1'b0;
          done <= 1'b1;
        end
      end
    end
  end
  wire unused_r3 = r3[DW];  // always 0: the remainder stays below the divisor
endmodule
