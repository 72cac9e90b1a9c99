// Test support for the worker clients: a MessageChannel with a comlink-exposed API stands in for a
// Worker, so cancel (terminate) and crash ('error' event) paths run without a browser.
import * as Comlink from 'comlink';
import type { WorkerLike } from './quantizeClient';

export type TestWorker = WorkerLike & { crash(msg: string): void; terminated(): boolean };

export function fakeWorker(api: object): TestWorker {
  const { port1, port2 } = new MessageChannel();
  Comlink.expose(api, port1 as unknown as Comlink.Endpoint);
  const events = new EventTarget();
  let terminated = false;
  const w: TestWorker = {
    postMessage: (m: unknown, t?: Transferable[]) => port2.postMessage(m, t as never),
    addEventListener: (type: string, l: EventListenerOrEventListenerObject) =>
      type === 'message' ? port2.addEventListener('message', l as never) : events.addEventListener(type, l),
    removeEventListener: (type: string, l: EventListenerOrEventListenerObject) =>
      type === 'message' ? port2.removeEventListener('message', l as never) : events.removeEventListener(type, l),
    terminate: () => {
      terminated = true;
      port1.close();
      port2.close();
    },
    crash: (msg: string) => events.dispatchEvent(Object.assign(new Event('error'), { message: msg })),
    terminated: () => terminated,
  };
  port2.start();
  return w;
}
