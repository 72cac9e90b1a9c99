/**
 * Catches a render error in one pane and shows it, with the stack, instead of a blank page. The
 * document and session live in zustand stores outside React, so nothing the user decided is lost:
 * "Try again" re-mounts the pane from the same state.
 */
import { Component, type ErrorInfo, type ReactNode } from 'react';
import { appendLog } from '../state/ephemeral';

interface Props {
  name: string;
  /** When this changes (new result, undo), a crashed pane tries again by itself. */
  resetKey?: unknown;
  children: ReactNode;
}
interface State {
  error: Error | null;
  stack: string;
}

export class ErrorBoundary extends Component<Props, State> {
  override state: State = { error: null, stack: '' };

  static getDerivedStateFromError(error: unknown): Partial<State> {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  override componentDidCatch(error: unknown, info: ErrorInfo): void {
    this.setState({ stack: info.componentStack ?? '' });
    appendLog('error', `${this.props.name} pane crashed: ${error instanceof Error ? error.message : String(error)}`);
  }

  override componentDidUpdate(prev: Props): void {
    if (this.state.error && prev.resetKey !== this.props.resetKey) this.setState({ error: null, stack: '' });
  }

  override render(): ReactNode {
    const { error, stack } = this.state;
    if (!error) return this.props.children;
    return (
      <div className="crash" role="alert" data-testid="error-boundary">
        <h2>The {this.props.name} pane hit an error</h2>
        <p>Your format, tensor settings and layout are kept (they live outside this pane). Undo the last change (Ctrl+Z) and the pane retries by itself, or press Try again.</p>
        <pre>
          {error.stack?.includes(error.message) ? error.stack : `${error.name}: ${error.message}\n${error.stack ?? ''}`}
          {stack}
        </pre>
        <button className="btn" onClick={() => this.setState({ error: null, stack: '' })}>
          Try again
        </button>
      </div>
    );
  }
}
