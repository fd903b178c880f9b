import { useState } from 'preact/hooks';
import { login } from '../api';
import { ErrorBox } from '../components';
import type { Principal } from '../types';

export function LoginPage({ message, onSignedIn }: { message?: string; onSignedIn: (principal: Principal) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      onSignedIn(await login(username.trim(), password));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="login">
      <form class="login-card" onSubmit={submit} data-testid="login-form">
        <div class="login-brand">
          <span class="brand-mark" aria-hidden="true" />
          <h1>Silo</h1>
        </div>
        <p class="muted">Sign in with your Silo account — the same one you push images with.</p>
        {message && !error && (
          <div class="alert alert-info" data-testid="login-message">
            {message}
          </div>
        )}
        <ErrorBox error={error} testId="login-error" />
        <label class="field">
          <span>Username</span>
          <input name="username" autoComplete="username" autoFocus required value={username} onInput={(e) => setUsername(e.currentTarget.value)} data-testid="login-username" />
        </label>
        <label class="field">
          <span>Password</span>
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
            data-testid="login-password"
          />
        </label>
        <button type="submit" class="button button-primary button-block" disabled={busy} data-testid="login-submit">
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </div>
  );
}
