import { emptyState, h } from './dom.js';
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
  /** A name column (queue, topic, client id): long text wraps here instead of pushing the table past the page. */
  wraps?: boolean;
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
  private readonly head: HTMLTableSectionElement;
  private readonly emptyRow: HTMLTableRowElement;
  private readonly emptyCell: HTMLTableCellElement;
  private readonly noMatch = emptyState('Nothing matches the filter.');
  private readonly more = h('p', { class: 'muted table-more', hidden: true });
  private readonly rows = new Map<string, RowState>();

  /** `empty`: what an empty table says (what would fill it); a filtered one that shows nothing says that nothing matches. */
  constructor(private readonly columns: Column<T>[], private readonly keyOf: (row: T) => string, private readonly empty: Node) {
    this.head = h('thead', {}, h('tr', {}, ...columns.map((c) => h('th', { class: cellClass(c), scope: 'col' }, c.title))));
    this.emptyCell = h('td', { colspan: String(columns.length) }, empty);
    this.emptyRow = h('tr', { class: 'empty' }, this.emptyCell);
    this.body = h('tbody', {}, this.emptyRow);
    this.element = h('div', {}, h('div', { class: 'table-wrap' }, h('table', { class: 'data' }, this.head, this.body)), this.more);
  }

  /**
   * Shows `rows`, in their order (the first MAX_ROWS of them); `isFiltered`
   * when the view left some out (a filter), so an empty result says so.
   * An empty table shows only its message, without column headings.
   */
  update(all: readonly T[], isFiltered = false): void {
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
    this.head.hidden = rows.length === 0;
    if (rows.length === 0) {
      const message = isFiltered ? this.noMatch : this.empty;
      if (this.emptyCell.firstChild !== message) this.emptyCell.replaceChildren(message);
      this.body.append(this.emptyRow);
    } else {
      this.emptyRow.remove();
    }
  }

  private addRow(key: string): RowState {
    const tr = h('tr', { 'data-key': key }, ...this.columns.map((c) => h('td', { class: cellClass(c), 'data-col': c.id })));
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

/** The class of a column's cells: `num` (right-aligned figures), `wraps` (a name that may wrap). */
function cellClass(column: Pick<Column<never>, 'numeric' | 'wraps'>): string {
  return [column.numeric === true && 'num', column.wraps === true && 'wraps'].filter(Boolean).join(' ');
}
