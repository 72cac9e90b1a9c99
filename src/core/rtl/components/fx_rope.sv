// fx_rope — rotary embedding (rotate-half) of an ACT stream [T, HEADS·HD], exactly fixed.ts fxRope:
//   y_d = sat(rhu(x_d·c_i − x_{d+HD/2}·s_i, 20)),  y_{d+HD/2} = sat(rhu(x_{d+HD/2}·c_i + x_d·s_i, 20)),
// with (c_i, s_i) = cos/sin(t·θ^(−2i/HD)) · 2^20 from a ROM loaded with $readmemh(ROM_FILE): word
// t·HD/2 + i = {sin, cos}, 22 bits each (fxRoms.ts ropeRomImage). t is a row counter that wraps after
// SEQ rows (the sequence's positions 0..SEQ−1). Each head is buffered (HD/LANES beats in), then its
// HD/LANES output beats go out; LANES divides HD/2 so a beat never straddles the halves.
module fx_rope #(
  parameter int ACT_W = 24,
  parameter int LANES = 4,
  parameter int HEADS = 4,
  parameter int HD = 32,
  parameter int SEQ = 16,
  parameter ROM_FILE = "rope.hex"
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
  localparam int HALF = HD / 2;
  localparam int NB = HD / LANES;                   // beats per head
  localparam int KW = $clog2(NB + 1);
  localparam int HW = $clog2(HEADS + 1);
  localparam int TW = $clog2(SEQ + 1);
  localparam int CW = 22;                           // cos/sin: ROPE_F + 2 bits
  localparam int PW = ACT_W + CW + 1;               // x·c ± x'·s
  localparam logic signed [PW-1:0] MAXV = PW'((64'sd1 <<< (ACT_W - 1)) - 64'sd1);
  localparam logic [ACT_W-1:0] POS = ACT_W'((64'sd1 <<< (ACT_W - 1)) - 64'sd1);
  localparam logic [ACT_W-1:0] NEG = ACT_W'(-((64'sd1 <<< (ACT_W - 1)) - 64'sd1));

  logic [2*CW-1:0] rom [0:SEQ*HALF-1];
  initial $readmemh(ROM_FILE, rom);
  logic [ACT_W-1:0] hbuf [0:HD-1];
  logic [KW-1:0] k;
  logic [HW-1:0] hh;
  logic [TW-1:0] t;
  logic phase;                                      // 0: taking the head in, 1: sending it out

  wire last = (k == KW'(NB - 1));
  logic [LANES*ACT_W-1:0] ybeat;
  for (genvar i = 0; i < LANES; i++) begin : g_lane
    wire [31:0] e = 32'(k) * LANES + i;             // element within the head
    wire first = e < HALF;
    wire [31:0] ci = first ? e : e - HALF;
    wire signed [ACT_W-1:0] a = $signed(hbuf[e]);
    wire signed [ACT_W-1:0] b = $signed(hbuf[first ? e + HALF : e - HALF]);
    wire [2*CW-1:0] cs = rom[32'(t) * HALF + ci];
    wire signed [PW-1:0] ac = PW'(a) * PW'($signed(cs[CW-1:0]));
    wire signed [PW-1:0] bs = PW'(b) * PW'($signed(cs[2*CW-1:CW]));
    wire signed [PW-1:0] s = (first ? ac - bs : ac + bs) + PW'(524288);
    wire signed [PW-1:0] r = s >>> 20;
    assign ybeat[i*ACT_W +: ACT_W] = (r > MAXV) ? POS : (r < -MAXV) ? NEG : r[ACT_W-1:0];
  end

  assign in_ready = !phase;
  assign out_valid = phase;
  assign out_data = ybeat;

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      phase <= 1'b0;
      k <= '0;
      hh <= '0;
      t <= '0;
    end else if (!phase) begin
      if (in_valid) begin
        for (int i = 0; i < LANES; i++) hbuf[32'(k) * LANES + i] <= in_data[i*ACT_W +: ACT_W];
        k <= last ? '0 : k + 1'b1;
        if (last) phase <= 1'b1;
      end
    end else if (out_ready) begin
      k <= last ? '0 : k + 1'b1;
      if (last) begin
        phase <= 1'b0;
        if (hh == HW'(HEADS - 1)) begin
          hh <= '0;
          t <= (t == TW'(SEQ - 1)) ? '0 : t + 1'b1;
        end else hh <= hh + 1'b1;
      end
    end
  end
endmodule
