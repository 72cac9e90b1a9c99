/** Help and shortcuts popover ("?" in the header or the ? key). */
import { setSession } from '../state/session';
import { Kbd } from '../ui/controls';
import { SHORTCUTS } from './shortcuts';

export function HelpPopover({ onClose }: { onClose: () => void }) {
  return (
    <div className="popover" role="dialog" aria-label="Help and shortcuts" data-testid="help">
      <div className="panel-head">
        <h3>MX Studio · help</h3>
        <span className="spacer" />
        <button className="btn small ghost" onClick={onClose} aria-label="Close help">
          Esc
        </button>
      </div>
      <div className="panel-body">
        <h3>Shortcuts</h3>
        <table>
          <tbody>
            {SHORTCUTS.map((s) => (
              <tr key={s.what}>
                <td className="keys">
                  {s.keys.map((combo, i) => (
                    <span key={i}>
                      {i ? <span className="muted"> or </span> : null}
                      {combo.map((k, j) => (
                        <span key={j}>
                          {j ? <span className="muted">+</span> : null}
                          <Kbd>{k}</Kbd>
                        </span>
                      ))}
                    </span>
                  ))}
                </td>
                <td>{s.what}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <h3>Format Explorer</h3>
        <p>
          Type a spec string (<code>mxfp4:block=16</code>, <code>mxint:m=4,e=8</code>, <code>fixed:w=8,f=5</code>, <code>nvfp4</code>) or use the knobs — both edit the same format. Every setting is in the
          link: copy the URL to share exactly this view (results are recomputed, never stored).
        </p>
        <p>MX, MXInt and BFP run on the WASM kernels; fixed point, NVFP4 and FP32 on core’s TypeScript codec. Both give the same bits.</p>
        <h3>Theme</h3>
        <p>
          Follows your OS until you toggle it.{' '}
          <button className="btn small ghost" onClick={() => setSession({ theme: 'system' })}>
            Follow the OS again
          </button>
        </p>
      </div>
    </div>
  );
}
