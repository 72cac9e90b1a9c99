/** SystemVerilog sources import as their text (tools/vite/svText.ts; esbuild `--loader:.sv=text`). */
declare module '*.sv' {
  const text: string;
  export default text;
}
