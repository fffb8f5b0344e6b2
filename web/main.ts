/**
 * The Ordo web console, served by the broker at `/` and built by
 * scripts/build-web.mjs. It is a client like any other: it connects back to
 * the broker that served it with the browser SDK (`/ordo.js`), and shows
 * what the stats and admin operations answer.
 */
import { connect, isOrdoError, type ClientState, type OrdoClient } from '../client/index.js';
import { ConsoleApp } from './app.js';
import { byId, errorText } from './dom.js';
import { ConnectionsView } from './views/connections.js';
import { DeadLettersView } from './views/dead-letters.js';
import { OverviewView } from './views/overview.js';
import { QueuesView } from './views/queues.js';
import { TopicsView } from './views/topics.js';

interface Credentials {
  username: string;
  password: string;
}

const STATUS_TEXT: Record<ClientState, string> = {
  connecting: 'Connecting…', connected: 'Connected', reconnecting: 'Reconnecting…', closed: 'Disconnected',
};

/** The broker that served this page. */
const brokerUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}`;

let app: ConsoleApp | undefined;

function showStatus(state: ClientState): void {
  const status = byId('status');
  status.className = `status status-${state}`;
  byId('status-text').textContent = STATUS_TEXT[state];
}

/** One of the three faces of the page: the login form, a problem, or the console. */
function show(face: 'login' | 'problem' | 'console'): void {
  byId('login').hidden = face !== 'login';
  byId('problem').hidden = face !== 'problem';
  if (face !== 'console') {
    app?.stop();
    app = undefined;
  }
}

function showLogin(error?: string): void {
  show('login');
  const line = byId('login-error');
  line.hidden = error === undefined;
  line.textContent = error ?? '';
  byId<HTMLInputElement>('login-user').focus();
}

function showProblem(err: unknown): void {
  show('problem');
  const hostIsName = !/^(localhost|[\d.]+|\[[\da-f:.]+\])$/i.test(location.hostname);
  byId('problem-text').textContent = `The console could not reach the broker at ${brokerUrl}: ${errorText(err)}`;
  // The broker admits its own origin only under an IP address or localhost (DNS rebinding): say how to admit a name.
  byId('problem-hint').hidden = !hostIsName;
  byId('problem-origin').textContent = location.origin;
}

/** Connects (with `credentials` when given) and opens the console, or shows the login form or the problem. */
async function start(credentials?: Credentials): Promise<void> {
  showStatus('connecting');
  let client: OrdoClient;
  try {
    client = await connect(brokerUrl, { ...credentials, connectTimeoutMs: 5000 });
  } catch (err) {
    showStatus('closed');
    if (isOrdoError(err) && err.code === 'ERR_UNAUTHORIZED') return showLogin(credentials === undefined ? undefined : 'Wrong user name or password.');
    return showProblem(err);
  }
  try {
    await client.stats();
  } catch (err) {
    await client.close();
    showStatus('closed');
    // Anonymous access let the first attempt in, as a user who may not administer: ask for one who may.
    const notAdmin = `${client.welcome?.user ?? 'This user'} is not an administrator: sign in as one.`;
    if (isOrdoError(err) && err.code === 'ERR_FORBIDDEN') return showLogin(credentials === undefined ? undefined : notAdmin);
    return showProblem(err);
  }
  client.on('state', showStatus);
  client.on('close', ({ error }) => {
    // Closed for good (credentials refused on a reconnect, or signed out): back to the start.
    if (error !== undefined) showLogin(errorText(error));
  });
  showStatus(client.state);
  const user = client.welcome?.user;
  byId('user').hidden = user === undefined;
  byId('user-name').textContent = user ?? '';
  byId('server').textContent = `${client.welcome?.server ?? ''} · ${location.host}`;
  byId<HTMLButtonElement>('sign-out').onclick = () => {
    byId('user').hidden = true;
    showLogin();
    void client.close();
  };
  show('console');
  app = new ConsoleApp(client, [new OverviewView(), new QueuesView(), new TopicsView(), new ConnectionsView(), new DeadLettersView()]);
  app.start();
}

byId<HTMLFormElement>('login-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const form = e.target as HTMLFormElement;
  const fields = new FormData(form);
  const submit = form.querySelector('button');
  if (submit !== null) submit.disabled = true;
  void start({ username: String(fields.get('username')), password: String(fields.get('password')) })
    .finally(() => { if (submit !== null) submit.disabled = false; });
});
byId<HTMLButtonElement>('problem-retry').addEventListener('click', () => void start());
void start();
