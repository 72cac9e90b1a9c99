// fx_norm — RMSNorm (LAYER 0) or LayerNorm (LAYER 1) per row of D on an ACT stream, exactly
// fixed.ts fxRmsNorm / fxLayerNorm with normScale:
//   v = x (RMS) or c = D·x − Σx (LayerNorm: the mean kept exact by scaling with D);
//   m' = Σv²·2^16 + D·EPS (RMS) or + D³·EPS (LN)     (EPS = fxNormParams(…).eps);
//   b = bit length of m', j = floor((32 − b)/2), m_n = m'·4^j (a truncating right shift if j < 0);
//   q = floor(D·2^(80−2h) / m_n) (fx_divu), r = floor(sqrt(q)) (fx_isqrt), h = ceil(ceil(log2 D)/2);
//   u = rhu(v·r, 12 − j − h)                          (v·rsqrt(mean + eps), 20 fraction bits);
//   y = sat(rhu(u·w, 20 + W_F − ACT_F) [+ b])         (w: 24-bit weight ROM, b: ACT bias ROM).
// The weights (and LayerNorm's bias) are ROMs loaded with $readmemh from W_FILE / B_FILE, one word
// per line (fxRoms.ts normWeightImage / normBiasImage). Row-serial phases: IN (D/LANES beats,
// Σx), VAR (D/LANES cycles, Σv²), NORM (1), DIV (81), SQRT (26), OUT (D/LANES beats).
module fx_norm #(
  parameter int ACT_W = 24,
  parameter int ACT_F = 14,
  parameter int LANES = 4,
  parameter int D = 128,
  parameter int LAYER = 0,
  parameter int W_F = 20,
  parameter longint EPS = 175921860,  // fxNormParams(…).eps: eps · 2^(2·ACT_F + 16), ≥ 2^16
  parameter W_FILE = "w.hex",
  parameter B_FILE = "b.hex"
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
  localparam int NB = D / LANES;                    // beats per row (D % LANES == 0)
  localparam int KW = $clog2(NB + 1);
  localparam int LD = $clog2(D);                    // ceil(log2 D)
  localparam int H = (LD + 1) / 2;
  localparam int SXW = ACT_W + LD + 1;              // Σx
  localparam int VW = ACT_W + LD + 2;               // v = x or D·x − Σx
  localparam int SSW = 2 * VW + LD;                 // Σv²
  localparam int DEW = 53 + 3 * LD;                 // D·EPS or D³·EPS
  localparam int MW = ((SSW + 16 > DEW) ? SSW + 16 : DEW) + 1;
  localparam logic [MW-1:0] DE = (LAYER != 0) ? MW'(EPS) * MW'(D) * MW'(D) * MW'(D) : MW'(EPS) * MW'(D);
  localparam logic [80:0] NUM = 81'(D) << (80 - 2 * H);
  localparam int PW = VW + 27;                      // v·r
  localparam int UW = 24 + H;                       // |u| ≤ √D·2^20 (+ rounding)
  localparam int S2 = 20 + W_F - ACT_F;
  localparam int YW = UW + 25;                      // u·w (+ bias)
  localparam logic signed [YW-1:0] MAXV = YW'((64'sd1 <<< (ACT_W - 1)) - 64'sd1);
  localparam logic [ACT_W-1:0] POS = ACT_W'((64'sd1 <<< (ACT_W - 1)) - 64'sd1);
  localparam logic [ACT_W-1:0] NEG = ACT_W'(-((64'sd1 <<< (ACT_W - 1)) - 64'sd1));

  typedef enum logic [2:0] {S_IN, S_VAR, S_NORM, S_DIV, S_SQRT, S_OUT} state_t;
  state_t state;
  logic [ACT_W-1:0] xbuf [0:D-1];
  logic [23:0] wrom [0:D-1];
  initial $readmemh(W_FILE, wrom);
  logic [KW-1:0] k;
  logic signed [SXW-1:0] sx;
  logic [SSW-1:0] ss;
  logic [31:0] mn;
  logic signed [7:0] jr;                            // j of the row
  logic [25:0] r;

  wire last = (k == KW'(NB - 1));

  // ---- v of lane i of beat k (from the buffer: VAR and OUT)
  logic [LANES*VW-1:0] v;  // lane i at [i*VW +: VW], signed
  for (genvar i = 0; i < LANES; i++) begin : g_v
    wire signed [VW-1:0] x = VW'($signed(xbuf[32'(k) * LANES + i]));
    if (LAYER != 0) begin : g_ln
      assign v[i*VW +: VW] = VW'(x * VW'(D)) - VW'(sx);
    end else begin : g_rms
      assign v[i*VW +: VW] = x;
    end
  end

  // ---- IN: Σ of the beat; VAR: Σv² of the beat
  logic signed [SXW-1:0] bsum;
  logic [SSW-1:0] bsq;
  always_comb begin
    bsum = '0;
    bsq = '0;
    for (int i = 0; i < LANES; i++) begin
      bsum = bsum + SXW'($signed(in_data[i*ACT_W +: ACT_W]));
      bsq = bsq + SSW'($signed(v[i*VW +: VW]) * $signed(v[i*VW +: VW]));
    end
  end

  // ---- NORM: m', its bit length, j, m_n
  wire [MW-1:0] mp = (MW'(ss) << 16) + DE;
  logic [7:0] blen;
  always_comb begin
    blen = '0;
    for (int b = 0; b < MW; b++) if (mp[b]) blen = 8'(b + 1);
  end
  wire signed [8:0] jn = (9'sd32 - $signed({1'b0, blen})) >>> 1;  // floor((32 − b)/2)
  wire [MW+63:0] mshift = (jn >= 0) ? ((MW + 64)'(mp) << (2 * jn)) : ((MW + 64)'(mp) >> (-2 * jn));

  // ---- DIV, SQRT
  logic div_start, div_busy, div_done, sq_start, sq_busy, sq_done;
  logic [50:0] quo;
  logic [25:0] root;
  fx_divu #(.NW(81), .DW(32), .QW(51)) u_div (
    .clk, .rst_n, .start(div_start), .num(NUM), .den(mn), .busy(div_busy), .done(div_done), .quo);
  fx_isqrt #(.RW(52)) u_sqrt (.clk, .rst_n, .start(sq_start), .rad({1'b0, quo}), .busy(sq_busy), .done(sq_done), .root);

  // ---- LayerNorm's bias of the beat (0 for RMSNorm)
  logic [LANES*ACT_W-1:0] bbeat;
  if (LAYER != 0) begin : g_brom
    logic [ACT_W-1:0] brom [0:D-1];
    initial $readmemh(B_FILE, brom);
    for (genvar i = 0; i < LANES; i++) begin : g_lane
      assign bbeat[i*ACT_W +: ACT_W] = brom[32'(k) * LANES + i];
    end
  end else begin : g_nobrom
    assign bbeat = '0;
  end

  // ---- OUT: u = rhu(v·r, shift), y = sat(rhu(u·w, S2) + b)
  wire signed [8:0] shift = 9'sd12 - 9'(jr) - 9'(H);  // ≥ 4
  logic [LANES*ACT_W-1:0] ybeat;
  for (genvar i = 0; i < LANES; i++) begin : g_out
    wire signed [PW-1:0] p = PW'($signed(v[i*VW +: VW])) * PW'($signed({1'b0, r}));
    wire signed [PW-1:0] ph = p + (PW'(1) << (shift - 1));
    wire signed [UW-1:0] u = UW'(ph >>> shift);
    wire signed [YW-1:0] uw = YW'(u) * YW'($signed(wrom[32'(k) * LANES + i]));
    wire signed [YW-1:0] yb = ((uw + (YW'(1) << (S2 - 1))) >>> S2) + YW'($signed(bbeat[i*ACT_W +: ACT_W]));
    assign ybeat[i*ACT_W +: ACT_W] = (yb > MAXV) ? POS : (yb < -MAXV) ? NEG : yb[ACT_W-1:0];
  end

  assign in_ready = (state == S_IN);
  assign out_valid = (state == S_OUT);
  assign out_data = ybeat;

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      state <= S_IN;
      k <= '0;
      sx <= '0;
      ss <= '0;
      mn <= '0;
      jr <= '0;
      r <= '0;
      div_start <= 1'b0;
      sq_start <= 1'b0;
    end else begin
      div_start <= 1'b0;
      sq_start <= 1'b0;
      case (state)
        S_IN: if (in_valid) begin
          for (int i = 0; i < LANES; i++) xbuf[32'(k) * LANES + i] <= in_data[i*ACT_W +: ACT_W];
          sx <= (k == '0 ? '0 : sx) + bsum;
          k <= last ? '0 : k + 1'b1;
          if (last) begin
            state <= S_VAR;
            ss <= '0;
          end
        end
        S_VAR: begin
          ss <= ss + bsq;
          k <= last ? '0 : k + 1'b1;
          if (last) state <= S_NORM;
        end
        S_NORM: begin
          mn <= mshift[31:0];
          jr <= jn[7:0];
          div_start <= 1'b1;
          state <= S_DIV;
        end
        S_DIV: if (div_done) begin
          sq_start <= 1'b1;
          state <= S_SQRT;
        end
        S_SQRT: if (sq_done) begin
          r <= root;
          state <= S_OUT;
        end
        S_OUT: if (out_ready) begin
          k <= last ? '0 : k + 1'b1;
          if (last) state <= S_IN;
        end
        default: state <= S_IN;
      endcase
    end
  end
  wire unused = div_busy ^ sq_busy ^ (^mshift[MW+63:32]);
endmodule
