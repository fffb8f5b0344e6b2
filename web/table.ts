import { h } from './dom.js';
import { count } from './format.js';

/** Rows drawn at most (the DOM stays light); past this a table says how many it left out. */
const MAX_ROWS = 500;

/** One column of a DataTable. */
export interface Column<T> {
  /** Names the cells (`td[data-col=id]`). */
  id: string;
  title: string;
  /** Right-aligned, tabular figures. */
  numeric?: boolean;
  /** The cell's text; or, for cells holding elements (buttons), render and the signature below. */
  text?: (row: T) => string;
  /** Builds the cell's content; called again only when `signature` changes, so a button is not replaced under the pointer. */
  render?: (row: T) => Node;
  signature?: (row: T) => string;
}

interface RowState {
  tr: HTMLTableRowElement;
  /** Per column: the text or signature shown now. */
  shown: string[];
}

/**
 * A table refreshed in place every second: rows are keyed, and a cell is
 * written only when its value changed, so nothing flickers and buttons keep
 * their focus and hover.
 */
export class DataTable<T> {
  readonly element: HTMLDivElement;
  private readonly body: HTMLTableSectionElement;
  private readonly emptyRow: HTMLTableRowElement;
  private readonly more = h('p', { class: 'muted table-more', hidden: true });
  private readonly rows = new Map<string, RowState>();

  constructor(private readonly columns: Column<T>[], private readonly keyOf: (row: T) => string, empty: Node | string) {
    const head = h('tr', {}, ...columns.map((c) => h('th', { class: c.numeric === true ? 'num' : '', scope: 'col' }, c.title)));
    this.emptyRow = h('tr', { class: 'empty' }, h('td', { colspan: String(columns.length) }, empty));
    this.body = h('tbody', {}, this.emptyRow);
    this.element = h('div', {}, h('div', { class: 'table-wrap' }, h('table', { class: 'data' }, h('thead', {}, head), this.body)), this.more);
  }

  /** Shows `rows`, in their order (the first MAX_ROWS of them). */
  update(all: readonly T[]): void {
    const rows = all.slice(0, MAX_ROWS);
    this.more.hidden = all.length <= MAX_ROWS;
    this.more.textContent = `Showing the first ${count(MAX_ROWS)} of ${count(all.length)}.`;
    const seen = new Set<string>();
    let previous: Element | null = null;
    for (const row of rows) {
      const key = this.keyOf(row);
      seen.add(key);
      const state = this.rows.get(key) ?? this.addRow(key);
      this.fill(state, row);
      // Move a row only when it is out of place: moving a node under the pointer could swallow a click.
      const expected: Element | null = previous === null ? this.body.firstElementChild : previous.nextElementSibling;
      if (expected !== state.tr) this.body.insertBefore(state.tr, expected);
      previous = state.tr;
    }
    for (const [key, state] of this.rows) {
      if (seen.has(key)) continue;
      state.tr.remove();
      this.rows.delete(key);
    }
    if (rows.length === 0) this.body.append(this.emptyRow);
    else this.emptyRow.remove();
  }

  private addRow(key: string): RowState {
    const tr = h('tr', { 'data-key': key }, ...this.columns.map((c) => h('td', { class: c.numeric === true ? 'num' : '', 'data-col': c.id })));
    const state = { tr, shown: this.columns.map(() => '\u0000') };
    this.rows.set(key, state);
    return state;
  }

  private fill(state: RowState, row: T): void {
    this.columns.forEach((column, i) => {
      const td = state.tr.cells[i];
      if (column.render !== undefined) {
        const signature = column.signature?.(row) ?? '';
        if (state.shown[i] === signature) return;
        state.shown[i] = signature;
        td.replaceChildren(column.render(row));
        return;
      }
      const text = column.text?.(row) ?? '';
      if (state.shown[i] === text) return;
      state.shown[i] = text;
      td.textContent = text;
    });
  }
}
