/**
 * The console's few DOM helpers. Text from the broker (queue names, client
 * ids, topics) only ever reaches the page as text nodes, never as HTML.
 */

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | boolean | ((e: Event) => void)>;

/** An element: `h('button', { class: 'btn', onclick: f }, 'Purge')`. Attributes starting with `on` are listeners. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (typeof value === 'function') el.addEventListener(name.slice(2), value);
    else if (value === true) el.setAttribute(name, '');
    else if (value !== false) el.setAttribute(name, value);
  }
  append(el, children);
  return el;
}

function append(el: Element, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'number' ? String(c) : c);
  }
}

/** The element with id `id`, which index.html has. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`console: #${id} is missing from index.html`);
  return el as T;
}

/** A small button; `danger` styles it as destructive. */
export function button(label: string, onClick: () => void, options: { danger?: boolean; disabled?: boolean; title?: string } = {}): HTMLButtonElement {
  return h('button', {
    type: 'button',
    class: options.danger === true ? 'btn btn-danger' : 'btn',
    disabled: options.disabled === true,
    ...(options.title !== undefined && { title: options.title }),
    onclick: onClick,
  }, label);
}

/** A coloured label: `badge('retained')`. */
export function badge(text: string, kind: 'neutral' | 'good' | 'warn' | 'bad' = 'neutral'): HTMLSpanElement {
  return h('span', { class: `badge badge-${kind}` }, text);
}

/**
 * Asks the user to confirm an action in a modal dialog (its button red when
 * the action destroys something); resolves true for the confirm button,
 * false for Cancel or Escape.
 */
export function confirmAction(title: string, message: string, confirmLabel: string, isDestructive = true): Promise<boolean> {
  const dialog = byId<HTMLDialogElement>('confirm');
  byId('confirm-title').textContent = title;
  byId('confirm-message').textContent = message;
  const ok = byId<HTMLButtonElement>('confirm-ok');
  ok.textContent = confirmLabel;
  ok.className = isDestructive ? 'btn btn-danger-solid' : 'btn btn-primary';
  return new Promise((resolve) => {
    const done = (answer: boolean): void => {
      ok.onclick = null;
      byId<HTMLButtonElement>('confirm-cancel').onclick = null;
      dialog.onclose = null;
      if (dialog.open) dialog.close();
      resolve(answer);
    };
    ok.onclick = () => done(true);
    byId<HTMLButtonElement>('confirm-cancel').onclick = () => done(false);
    dialog.onclose = () => done(false);
    dialog.showModal();
  });
}

/** Shows a short notice at the bottom of the page for a few seconds. */
export function toast(message: string, kind: 'good' | 'bad' = 'good'): void {
  const el = h('div', { class: `toast toast-${kind}`, role: 'status' }, message);
  byId('toasts').append(el);
  setTimeout(() => el.remove(), kind === 'bad' ? 8000 : 4000);
}

/** The message of an error the SDK threw (an OrdoError has a code), for a toast. */
export function errorText(err: unknown): string {
  if (err !== null && typeof err === 'object' && 'code' in err && 'message' in err) return `${String(err.code)}: ${String(err.message)}`;
  return err instanceof Error ? err.message : String(err);
}

/** A view's frame: its heading, a line saying what it shows, then its content. */
export function page(id: string, title: string, description: string, ...content: Child[]): HTMLElement {
  return h('section', { class: 'view', id: `view-${id}`, hidden: true },
    h('header', { class: 'view-head' }, h('h1', {}, title), h('p', { class: 'muted' }, description)),
    ...content);
}

/** An empty table's message: a sentence and, optionally, the command that would fill it. */
export function emptyState(text: string, command?: string): HTMLElement {
  return h('div', { class: 'empty-state' }, h('p', {}, text), command !== undefined && h('code', {}, command));
}
