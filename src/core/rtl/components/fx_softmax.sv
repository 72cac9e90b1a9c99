// fx_softmax — causal softmax with the attention scale inside, exactly fixed.ts fxSoftmaxRow per
// row. The input is the unscaled score tensor [heads, SEQ, SEQ] streamed row-major, SEQ/LANES beats
// per row; row t (a counter that wraps after SEQ rows, i.e. per head) has t + 1 valid keys, the
// others are ignored and output as 0. Per row, in four phases over a row buffer:
//   IN   take the row, m = max of the valid scores;
//   EXP  per key: d = m − s, z = d·C (C = round(scale·log2 e·2^24), z at 2^−(ACT_F+24)), k = z's
//        integer part, ρ its fraction; 2^−ρ = E[i] − rhu((E[i] − E[i+1])·φ, 16) (i: ρ's top 7 bits,
//        φ the next 16; fx_exp2_rom); e = rhu(2^−ρ, k), 0 for k ≥ 32; Σe;
//   DIV  R = floor(2^52 / Σe) (fx_divu, 53 cycles);
//   OUT  p = rhu(e·R, 52 − ACT_F).
// Row-serial: a row takes 2·SEQ/LANES + 55 cycles (a later version can overlap rows).
module fx_softmax #(
  parameter int ACT_W = 24,
  parameter int ACT_F = 14,
  parameter int LANES = 4,
  parameter int SEQ = 16,        // keys per row = rows per head (the window length)
  parameter int C = 4278775      // attentionScaleConst(headDim) (here hd = 32), < 2^25
) (
  input  logic                   clk,
  input  logic                   rst_n,
  input  logic [LANES*ACT_W-1:0] in_data,
  input  logic                   in_valid,
  output logic                   in_ready,
  output logic [LANES*ACT_W-1:0] out_data,
  output logic                   out_valid,
  input  logic                   out_ready
);
  localparam int NB = SEQ / LANES;                  // beats per row (SEQ % LANES == 0)
  localparam int KW = $clog2(NB + 1);
  localparam int TW = $clog2(SEQ + 1);
  localparam int SW = 21 + $clog2(SEQ + 1);         // Σe < SEQ·2^20 + 1
  localparam int ZW = ACT_W + 1 + 25;               // z = d·C
  localparam int ZF = ACT_F + 24;                   // fraction bits of z
  localparam int SH = 52 - ACT_F;                   // the output shift

  typedef enum logic [1:0] {S_IN, S_EXP, S_DIV, S_OUT} state_t;
  state_t state;
  logic [ACT_W-1:0] sbuf [0:SEQ-1];                 // the row's scores
  logic [20:0]      ebuf [0:SEQ-1];                 // e per key
  logic [KW-1:0] k;                                 // beat within the row
  logic [TW-1:0] t;                                 // row within the head: t + 1 valid keys
  logic signed [ACT_W-1:0] m;                       // running max
  logic [SW-1:0] sum;
  logic [32:0] r;                                   // R ≤ 2^32

  // ---- IN: the beat's max over its valid lanes (key index j = k·LANES + i ≤ t)
  logic signed [ACT_W-1:0] bmax;
  logic bany;
  always_comb begin
    bmax = '0;
    bany = 1'b0;
    for (int i = 0; i < LANES; i++) begin
      if (32'(k) * LANES + i <= 32'(t)) begin
        if (!bany || $signed(in_data[i*ACT_W +: ACT_W]) > bmax) bmax = $signed(in_data[i*ACT_W +: ACT_W]);
        bany = 1'b1;
      end
    end
  end

  // ---- EXP: one beat of e per cycle
  logic [LANES*21-1:0] ebeat;
  logic [SW-1:0] esum;
  for (genvar i = 0; i < LANES; i++) begin : g_exp
    wire [ACT_W-1:0] s = sbuf[32'(k) * LANES + i];
    wire valid_key = 32'(k) * LANES + i <= 32'(t);
    wire [ACT_W:0] d = (ACT_W + 1)'((ACT_W + 1)'(m) - (ACT_W + 1)'($signed(s)));  // ≥ 0 for valid keys
    wire [ZW-1:0] z = ZW'(d) * ZW'(C);
    wire [6:0] idx = z[ZF-1 -: 7];
    wire [15:0] phi = z[ZF-8 -: 16];
    wire [20:0] lo, hi;
    fx_exp2_rom u_rom (.addr(idx), .lo, .hi);
    wire [20:0] dif = lo - hi;
    wire [20:0] mant = lo - 21'((37'(dif) * 37'(phi) + 37'd32768) >> 16);
    wire big = z[ZW-1:ZF] >= (ZW - ZF)'(32);
    wire [4:0] kk = z[ZF +: 5];
    wire [33:0] t2 = {12'd0, mant, 1'b0} + (34'd1 << kk);
    wire [20:0] e = (!valid_key || big) ? 21'd0 : 21'(t2 >> ({1'b0, kk} + 6'd1));  // rhu(mant, kk)
    assign ebeat[i*21 +: 21] = e;
    wire unused_z = ^z[ZF-24:0];  // below the 16 interpolation bits: truncated, as fixed.ts does
  end
  always_comb begin
    esum = '0;
    for (int i = 0; i < LANES; i++) esum = esum + SW'(ebeat[i*21 +: 21]);
  end

  // ---- DIV
  logic div_start, div_busy, div_done;
  logic [32:0] quo;
  fx_divu #(.NW(53), .DW(SW), .QW(33)) u_div (
    .clk, .rst_n, .start(div_start), .num(53'd1 << 52), .den(sum), .busy(div_busy), .done(div_done), .quo);

  // ---- OUT
  logic [LANES*ACT_W-1:0] pbeat;
  for (genvar i = 0; i < LANES; i++) begin : g_out
    wire [20:0] e = ebuf[32'(k) * LANES + i];
    wire [54:0] p = 55'(e) * 55'(r) + (55'd1 << (SH - 1));
    assign pbeat[i*ACT_W +: ACT_W] = ACT_W'(p >> SH);  // ≤ 2^ACT_F
  end

  assign in_ready = (state == S_IN);
  assign out_valid = (state == S_OUT);
  assign out_data = pbeat;

  wire last = (k == KW'(NB - 1));
  always_ff @(posedge clk) begin
    if (!rst_n) begin
      state <= S_IN;
      k <= '0;
      t <= '0;
      m <= '0;
      sum <= '0;
      r <= '0;
      div_start <= 1'b0;
    end else begin
      div_start <= 1'b0;
      case (state)
        S_IN: if (in_valid) begin
          for (int i = 0; i < LANES; i++) sbuf[32'(k) * LANES + i] <= in_data[i*ACT_W +: ACT_W];
          if (bany) m <= (k == '0 || bmax > m) ? bmax : m;
          k <= last ? '0 : k + 1'b1;
          if (last) begin
            state <= S_EXP;
            sum <= '0;
          end
        end
        S_EXP: begin
          for (int i = 0; i < LANES; i++) ebuf[32'(k) * LANES + i] <= ebeat[i*21 +: 21];
          sum <= sum + esum;
          k <= last ? '0 : k + 1'b1;
          if (last) begin
            state <= S_DIV;
            div_start <= 1'b1;
          end
        end
        S_DIV: if (div_done) begin
          r <= quo;
          state <= S_OUT;
        end
        S_OUT: if (out_ready) begin
          k <= last ? '0 : k + 1'b1;
          if (last) begin
            state <= S_IN;
            t <= (t == TW'(SEQ - 1)) ? '0 : t + 1'b1;
          end
        end
        default: state <= S_IN;
      endcase
    end
  end
  wire unused_busy = div_busy;
endmodule
