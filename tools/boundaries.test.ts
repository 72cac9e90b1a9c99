// The architecture's import rule (architecture.md: UI → services → worker contracts → core) is
// enforced by ESLint; this checks the rule still fires, so a config edit cannot silently disable it.
import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';

const eslint = new ESLint();
async function restricted(filePath: string, code: string): Promise<string[]> {
  const [r] = await eslint.lintText(code, { filePath });
  return r.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('import boundaries', () => {
  it('src/core may not import UI packages, Node built-ins or outer rings', async () => {
    const msgs = await restricted(
      'src/core/formats/probe.ts',
      "import 'react';\nimport 'comlink';\nimport 'node:fs';\nimport '../../state/document';\nimport '../../../workers/api/quantize.api';\nexport {};\n",
    );
    expect(msgs).toHaveLength(5);
    expect(msgs.join('\n')).toMatch(/ring 1/);
  });
  it('workers may not import the UI ring; services may not import panes', async () => {
    expect(await restricted('workers/quantize.worker.ts', "import 'react';\nimport '../src/panes/explorer/Explorer';\nexport {};\n")).toHaveLength(2);
    expect(await restricted('src/services/client.ts', "import '../panes/explorer/Explorer';\nexport {};\n")).toHaveLength(1);
  });
  it('core importing core, and the UI importing core, are fine', async () => {
    expect(await restricted('src/core/formats/probe.ts', "import './spec';\nexport {};\n")).toHaveLength(0);
    expect(await restricted('src/panes/explorer/probe.tsx', "import '../../core/formats';\nexport {};\n")).toHaveLength(0);
  });
});
