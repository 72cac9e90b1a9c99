/**
 * `--uniform SPEC` and `--config CONFIG.json`, read the same way by every command that takes a
 * quantization config (eval, cost): --uniform first as the rule ["*", SPEC], the file's rules on top.
 */
import { readFileSync } from 'node:fs';
import { FormatError, formatToString, parseFormat } from '../core/formats';
import { ConfigError, parseConfig, type QuantConfig } from '../core/graph';

/** The QuantConfig the flags describe, or null when neither is given. `fail` builds the command's one-line input error. */
export function quantConfigFromFlags(v: Record<string, string | boolean | undefined>, fail: (message: string) => Error): QuantConfig | null {
  const rules: [string, string][] = [];
  if (typeof v.uniform === 'string') {
    try {
      rules.push(['*', formatToString(parseFormat(v.uniform))]);
    } catch (e) {
      if (e instanceof FormatError) throw fail(`--uniform: ${e.message}`);
      throw e;
    }
  }
  if (typeof v.config === 'string') {
    let text: string;
    try {
      text = readFileSync(v.config, 'utf8');
    } catch {
      throw fail(`--config: cannot read ${v.config}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw fail(`--config: ${v.config} is not valid JSON (${(e as Error).message.split('\n')[0]})`);
    }
    try {
      rules.push(...(parseConfig(json).rules as [string, string][]));
    } catch (e) {
      if (e instanceof ConfigError) throw fail(`--config ${v.config}: ${e.message}`);
      throw e;
    }
  }
  return typeof v.uniform === 'string' || typeof v.config === 'string' ? { version: 1, rules } : null;
}
