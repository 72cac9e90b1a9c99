// mx_linear — y = sat(fix(f32(x·Wᵀ)) + fix(b)) for an ACT stream x of rows [K] → an ACT stream y of rows [N]
// (src/core/rtl/README.md, "GEMMs"). The activation is cast to MX inside (mx_cast, the op's x quant
// point); the weight W [N, K] is stored encoded (element codes + shared exponent codes, blocked
// along K) in ROMs initialised by $readmemh; the optional bias is stored as ACT integers fix(b) and
// added to the ACT result with symmetric saturation, as the contract defines.
//
// Parallelism is independent of the MX block (unlike MASE's, where the block was the tile):
// LANES_K element products along K and LANES_N output columns per clock (LANES_K·LANES_N
// multipliers). LANES_K must divide or be a multiple of BLOCK, and the padded row KP (K rounded up to
// BLOCK) is walked in KC = KP/LANES_K steps; each group of LANES_N outputs takes KC clocks, a row
// NG·KC clocks (NG = N/LANES_N). Rows are double-buffered (as MX codes), so casting row t+1 overlaps
// computing row t.
//
// Exact accumulation (a Kulisch accumulator sized by the generator, never lossy): every block pair
// contributes psum · 2^(ua + uw) where psum is mx_dot's integer sum and ua, uw are the blocks' unit
// exponents; the accumulator holds S / 2^ACC_LSB in ACC_W bits, with ACC_LSB ≤ every non-zero
// block pair's ua + uw, and ACC_W covering the largest possible |S|
// (mxLibrary.ts `accumulatorFor`). A block pair whose alignment shift falls outside [0, ACC_W) has a
// zero psum (an all-zero block); it contributes nothing.
//
// Interface: ACT stream in (IN_LANES lanes), ACT stream out (LANES_N lanes, row-major: N/LANES_N
// beats per row). Pipeline: issue (ROM read) → dot + accumulate → result register → mx_out →
// output FIFO; credits keep at most OUT_FIFO groups in flight, so the datapath never stalls mid-row.
module mx_linear #(
  parameter int ACT_W = 24,
  parameter int ACT_F = 14,
  parameter int K = 32,
  parameter int N = 8,
  parameter int BLOCK = 32,
  parameter int IN_LANES = 8,
  parameter int LANES_K = 8,
  parameter int LANES_N = 2,
  // activation format (mx_quant parameters; mxLibrary.ts castParams)
  parameter int X_KIND = 0,
  parameter int X_CODE_W = 4,
  parameter int X_MBITS = 1,
  parameter int X_EMAX = 2,
  parameter int X_UNIT_EXP = -1,
  parameter longint X_MAX_CODE = 12,
  parameter longint X_MAX_NEG = 12,
  parameter int X_RULE = 0,
  parameter int X_ROUND = 0,
  parameter int X_EXP_BIAS = 127,
  parameter int X_X_MIN = -127,
  parameter int X_X_MAX = 127,
  parameter int X_ZERO_X = -127,
  // weight format (decode only: the weights are encoded offline)
  parameter int W_KIND = 0,
  parameter int W_CODE_W = 4,
  parameter int W_MBITS = 1,
  parameter int W_EXP_BIAS = 127,
  parameter int W_UNIT_EXP = -1,
  // exact accumulator
  parameter int ACC_W = 64,
  parameter int ACC_LSB = -40,
  parameter int HAS_BIAS = 0,
  parameter W_CODES_FILE = "weights/w_codes.hex",
  parameter W_EXPS_FILE = "weights/w_exps.hex",
  parameter BIAS_FILE = "weights/bias.hex",
  parameter int OUT_FIFO = 4
) (
  input  logic                      clk,
  input  logic                      rst_n,
  input  logic [IN_LANES*ACT_W-1:0] in_data,
  input  logic                      in_valid,
  output logic                      in_ready,
  output logic [LANES_N*ACT_W-1:0]  out_data,
  output logic                      out_valid,
  input  logic                      out_ready
);
  localparam int NBLK = (K + BLOCK - 1) / BLOCK;
  localparam int KP = NBLK * BLOCK;
  localparam int KC = KP / LANES_K;
  localparam int NG = N / LANES_N;
  localparam int G = (LANES_K > BLOCK) ? LANES_K / BLOCK : 1;   // blocks per K step
  localparam int GL = LANES_K / G;                                 // lanes per block in a K step
  localparam int SUBS = (LANES_K < BLOCK) ? BLOCK / LANES_K : 1;   // K steps per block
  localparam int EWORDS = NBLK / G;                                // exponent words per column group
  localparam int SH_OFF = X_EXP_BIAS - X_UNIT_EXP + W_EXP_BIAS - W_UNIT_EXP + ACC_LSB;
  localparam int XCW = X_CODE_W;
  localparam int WCW = W_CODE_W;
  localparam int X_SIG_W = (X_KIND == 0) ? X_MBITS + 2 : X_CODE_W;
  localparam int W_SIG_W = (W_KIND == 0) ? W_MBITS + 2 : W_CODE_W;
  localparam int X_EOFF_MAX = (X_KIND == 0) ? (1 << (X_CODE_W - 1 - X_MBITS)) - 2 : 0;
  localparam int W_EOFF_MAX = (W_KIND == 0) ? (1 << (W_CODE_W - 1 - W_MBITS)) - 2 : 0;
  localparam int PSUM_W = X_SIG_W + W_SIG_W + X_EOFF_MAX + W_EOFF_MAX + $clog2(GL) + 1;
  localparam int NGW = (NG > 1) ? $clog2(NG) : 1;
  localparam int KCW = (KC > 1) ? $clog2(KC) : 1;
  localparam int NBW = (NBLK > 1) ? $clog2(NBLK) : 1;
  localparam int SBW = (SUBS > 1) ? $clog2(SUBS) : 1;
  localparam int CRW = $clog2(OUT_FIFO + 1);

  // ---------------------------------------------------------------- cast: x → MX blocks
  logic [BLOCK*XCW-1:0] blk_codes;
  logic [7:0]           blk_exp;
  logic                 blk_valid, blk_ready;

  mx_cast #(
    .ACT_W(ACT_W), .ACT_F(ACT_F), .ROW(K), .IN_LANES(IN_LANES), .BLOCK(BLOCK), .KIND(X_KIND), .CODE_W(XCW),
    .MBITS(X_MBITS), .EMAX(X_EMAX), .UNIT_EXP(X_UNIT_EXP), .MAX_CODE(X_MAX_CODE), .MAX_NEG(X_MAX_NEG),
    .RULE(X_RULE), .ROUND(X_ROUND), .EXP_BIAS(X_EXP_BIAS), .X_MIN(X_X_MIN), .X_MAX(X_X_MAX), .ZERO_X(X_ZERO_X)
  ) u_cast (
    .clk, .rst_n, .in_data, .in_valid, .in_ready,
    .out_codes(blk_codes), .out_exp(blk_exp), .out_valid(blk_valid), .out_ready(blk_ready)
  );

  // ---------------------------------------------------------------- row buffers (double-buffered)
  logic [KP*XCW-1:0] xb_codes [2];
  logic [NBLK*8-1:0] xb_exps [2];
  logic [1:0]        full;
  logic              wb, rb;
  logic [NBW-1:0]    wblk;

  assign blk_ready = !full[wb];
  wire blk_take = blk_valid && blk_ready;

  // ---------------------------------------------------------------- weights
  logic [LANES_N*LANES_K*WCW-1:0] wc_rom [NG*KC];
  logic [LANES_N*G*8-1:0]         we_rom [NG*EWORDS];
  logic [LANES_N*ACT_W-1:0]       b_rom [NG];
  initial begin
    $readmemh(W_CODES_FILE, wc_rom);
    $readmemh(W_EXPS_FILE, we_rom);
    if (HAS_BIAS != 0) $readmemh(BIAS_FILE, b_rom);
  end

  // ---------------------------------------------------------------- issue
  logic [NGW-1:0] ng;
  logic [KCW-1:0] kc;
  logic [NBW-1:0] kb;
  logic [SBW-1:0] sub;
  logic [CRW-1:0] credits;
  logic           fifo_pop;

  wire group_start = (kc == 0);
  wire go = full[rb] && (!group_start || credits != 0);
  wire last_k = (32'(kc) == KC - 1);
  wire last_g = (32'(ng) == NG - 1);
  wire [31:0] kbx = (G > 1) ? 32'(kc) * G : 32'(kb);

  // stage 1: operands of one K step
  logic                      s1_v, s1_first, s1_last;
  logic [LANES_K*XCW-1:0]    s1_xc;
  logic [G*8-1:0]            s1_xe;
  logic [LANES_N*LANES_K*WCW-1:0] wc_q;
  logic [LANES_N*G*8-1:0]    we_q;
  logic [LANES_N*ACT_W-1:0]  b_q;

  always_ff @(posedge clk) begin
    if (go) begin
      wc_q <= wc_rom[32'(ng) * KC + 32'(kc)];
      we_q <= we_rom[32'(ng) * EWORDS + ((G > 1) ? 32'(kc) : 32'(kb))];
      b_q <= (HAS_BIAS != 0) ? b_rom[ng] : '0;
      s1_xc <= xb_codes[rb][32'(kc) * (LANES_K * XCW) +: LANES_K * XCW];
      for (int g = 0; g < G; g++) s1_xe[g*8 +: 8] <= xb_exps[rb][(kbx + 32'(g)) * 8 +: 8];
    end
  end

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      full <= '0;
      wb <= 1'b0;
      rb <= 1'b0;
      wblk <= '0;
      ng <= '0;
      kc <= '0;
      kb <= '0;
      sub <= '0;
      credits <= CRW'(OUT_FIFO);
      s1_v <= 1'b0;
      s1_first <= 1'b0;
      s1_last <= 1'b0;
    end else begin
      // row writer
      if (blk_take) begin
        xb_codes[wb][32'(wblk) * (BLOCK * XCW) +: BLOCK * XCW] <= blk_codes;
        xb_exps[wb][32'(wblk) * 8 +: 8] <= blk_exp;
        if (32'(wblk) == NBLK - 1) begin
          wblk <= '0;
          wb <= ~wb;
        end else begin
          wblk <= wblk + NBW'(1);
        end
      end
      // issue counters
      s1_v <= go;
      s1_first <= go && group_start;
      s1_last <= go && last_k;
      if (go) begin
        if (last_k) begin
          kc <= '0;
          kb <= '0;
          sub <= '0;
          ng <= last_g ? '0 : ng + NGW'(1);
          if (last_g) rb <= ~rb;
        end else begin
          kc <= kc + KCW'(1);
          if (32'(sub) == SUBS - 1) begin
            sub <= '0;
            kb <= kb + NBW'(1);
          end else begin
            sub <= sub + SBW'(1);
          end
        end
      end
      // bank flags: the writer fills bank wb, the issue stage frees bank rb after its last step
      for (int b = 0; b < 2; b++) begin
        if (blk_take && 1'(b) == wb && 32'(wblk) == NBLK - 1) full[b] <= 1'b1;
        else if (go && last_k && last_g && 1'(b) == rb) full[b] <= 1'b0;
      end
      credits <= credits - CRW'(go && group_start) + CRW'(fifo_pop);
    end
  end

  // ---------------------------------------------------------------- stage 2: dot products and exact accumulation
  logic signed [ACC_W-1:0] acc [LANES_N];
  logic signed [ACC_W-1:0] acc_next [LANES_N];
  logic [LANES_N*ACC_W-1:0] res;
  /* verilator lint_off UNUSEDSIGNAL */  // read only when HAS_BIAS != 0
  logic [LANES_N*ACT_W-1:0] res_b;
  /* verilator lint_on UNUSEDSIGNAL */
  logic                     res_v;

  // acc + Σ_g psum_g · 2^(ex_g + ew_g − SH_OFF): the alignment shift of each block pair
  function automatic logic signed [ACC_W-1:0] acc_step(input logic signed [ACC_W-1:0] base, input logic [G*PSUM_W-1:0] ps,
                                                       input logic [G*8-1:0] xe, input logic [G*8-1:0] we);
    logic signed [ACC_W-1:0] sum;
    int sh;
    sum = base;
    for (int g = 0; g < G; g++) begin
      sh = 32'(xe[g*8 +: 8]) + 32'(we[g*8 +: 8]) - SH_OFF;
      if (sh >= 0 && sh < ACC_W) sum = sum + (ACC_W'($signed(ps[g*PSUM_W +: PSUM_W])) <<< sh);
    end
    acc_step = sum;
  endfunction

  for (genvar j = 0; j < LANES_N; j++) begin : g_col
    logic [G*PSUM_W-1:0] psums;
    for (genvar g = 0; g < G; g++) begin : g_blk
      mx_dot #(
        .LANES(GL), .A_KIND(X_KIND), .A_CODE_W(XCW), .A_MBITS(X_MBITS), .B_KIND(W_KIND), .B_CODE_W(WCW), .B_MBITS(W_MBITS)
      ) u_dot (
        .a_codes(s1_xc[g*GL*XCW +: GL*XCW]),
        .b_codes(wc_q[(j*LANES_K + g*GL)*WCW +: GL*WCW]),
        .psum(psums[g*PSUM_W +: PSUM_W])
      );
    end
    assign acc_next[j] = acc_step(s1_first ? '0 : acc[j], psums, s1_xe, we_q[j*G*8 +: G*8]);
    always_ff @(posedge clk) if (s1_v) acc[j] <= acc_next[j];
  end

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      res_v <= 1'b0;
    end else begin
      res_v <= s1_v && s1_last;
    end
    if (s1_v && s1_last) begin
      for (int j = 0; j < LANES_N; j++) res[j*ACC_W +: ACC_W] <= acc_next[j];
      res_b <= b_q;
    end
  end

  // ---------------------------------------------------------------- output: exact S → f32 → ACT (+ bias, saturating)
  localparam logic signed [ACT_W:0] ACT_MAX = (ACT_W+1)'((1 << (ACT_W - 1)) - 1);
  logic [LANES_N*ACT_W-1:0] y;
  for (genvar j = 0; j < LANES_N; j++) begin : g_out
    logic [ACT_W-1:0] yo;
    mx_out #(.ACC_W(ACC_W), .ACC_LSB(ACC_LSB), .ACT_W(ACT_W), .ACT_F(ACT_F)) u_out (.acc(res[j*ACC_W +: ACC_W]), .act(yo));
    if (HAS_BIAS != 0) begin : g_bias
      wire signed [ACT_W:0] sum = $signed({yo[ACT_W-1], yo}) + $signed({res_b[j*ACT_W + ACT_W - 1], res_b[j*ACT_W +: ACT_W]});
      assign y[j*ACT_W +: ACT_W] = (sum > ACT_MAX) ? ACT_W'(ACT_MAX) : (sum < -ACT_MAX) ? ACT_W'(-ACT_MAX) : ACT_W'(sum);
    end else begin : g_nobias
      assign y[j*ACT_W +: ACT_W] = yo;
    end
  end

  /* verilator lint_off UNUSEDSIGNAL */  // never low when res_v is high: the credits reserve a FIFO slot per group in flight
  logic fifo_in_ready;
  /* verilator lint_on UNUSEDSIGNAL */
  hs_fifo #(.W(LANES_N*ACT_W), .DEPTH(OUT_FIFO)) u_fifo (
    .clk, .rst_n, .in_data(y), .in_valid(res_v), .in_ready(fifo_in_ready),
    .out_data, .out_valid, .out_ready
  );
  assign fifo_pop = out_valid && out_ready;
endmodule
