/**
 * The component library as a browsable file set for the Verilog pane: every synthesizable module
 * (src/core/rtl/components/*.sv → rtl/) and every testbench (components/tb/*.sv → tb/), as the
 * svText plugin imports them (text). Read-only reference beside the generated design; the library
 * grows as its engineers add modules, and this picks them up without a list to maintain.
 */
import type { BundleFiles } from '../../core/rtl/bundle';

const RTL = import.meta.glob<string>('../../core/rtl/components/*.sv', { import: 'default', eager: true });
const TB = import.meta.glob<string>('../../core/rtl/components/tb/*.sv', { import: 'default', eager: true });

const base = (p: string) => p.slice(p.lastIndexOf('/') + 1);

/** `rtl/<module>.sv` and `tb/<testbench>.sv` of the component library. */
export function libraryFiles(): BundleFiles {
  const out: BundleFiles = {};
  for (const [p, text] of Object.entries(RTL)) out[`rtl/${base(p)}`] = text;
  for (const [p, text] of Object.entries(TB)) out[`tb/${base(p)}`] = text;
  return out;
}
