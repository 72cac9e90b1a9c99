/**
 * Catches a render error in one pane and shows it, with the stack, instead of a blank page. The
 * document and session live in zustand stores outside React, so nothing the user decided is lost:
 * "Try again" re-mounts the pane from the same state.
 */
import { Component, type ErrorInfo, type ReactNode } from 'react';
import { appendLog } from '../state/ephemeral';

interface Props {
  name: string;
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

  override render(): ReactNode {
    const { error, stack } = this.state;
    if (!error) return this.props.children;
    return (
      <div className="crash" role="alert" data-testid="error-boundary">
        <h2>The {this.props.name} pane hit an error</h2>
        <p>Your format, tensor settings and layout are kept (they live outside this pane). Try again, or undo the last change with Ctrl+Z.</p>
        <pre>
          {error.name}: {error.message}
          {'\n'}
          {error.stack ?? ''}
          {stack}
        </pre>
        <button className="btn" onClick={() => this.setState({ error: null, stack: '' })}>
          Try again
        </button>
      </div>
    );
  }
}
